"""Image sequences (a folder of numbered frames) read as clips: the frame numbering FFmpeg is told, the frame rate
the user gives, and the whole job on one."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from conftest import media, run_cli
from vidstyle.core.errors import UserError
from vidstyle.media.sequence import find_sequence, rate_of
from vidstyle.media.synthetic import scene, write_clip, write_frames


def touch(folder: Path, names: list[str]) -> Path:
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes(b"")
    return folder


@pytest.mark.parametrize("names, pattern, first, count", [
    ([f"frame_{i:04d}.png" for i in range(1, 6)], "frame_%04d.png", 1, 5),
    ([f"sh010.{i}.dpx" for i in range(9, 13)], "sh010.%d.dpx", 9, 4),  # not padded: 9, 10, 11, 12
    ([f"f{i:04d}.tif" for i in range(998, 1002)], "f%04d.tif", 998, 4),  # padded: 0998, 0999, 1000, 1001
    (["100%_0001.jpg", "100%_0002.jpg", "notes.txt", "slate.png"], "100%%_%04d.jpg", 1, 2),  # '%' doubled
])
def test_the_frames_numbering_is_found(tmp_path, names, pattern, first, count):
    seq = find_sequence(touch(tmp_path / "shot", names))
    assert (Path(seq.pattern).name, seq.first, seq.count) == (pattern, first, count)
    assert [p.name for p in seq.files()] == [n for n in names if n.endswith(names[0][-4:])]  # in frame order


def test_numbering_in_two_ways_is_refused(tmp_path):
    with pytest.raises(UserError, match="numbered in more than one way"):
        find_sequence(touch(tmp_path / "shot", ["f_1.png", "f_02.png", "f_03.png"]))


def test_rates_given_as_numbers_are_the_ones_cameras_mean():
    assert rate_of(23.976) == Fraction(24000, 1001) and rate_of(29.97) == Fraction(30000, 1001)
    assert rate_of(25) == 25 and rate_of(12.5) == Fraction(25, 2) and rate_of(None) is None


def test_an_image_sequence_is_stylized_as_a_clip_at_the_rate_given(tmp_path):
    """A VFX plate (PNGs numbered from 1001, a slate beside them) in, a clip out: every frame, at 23.976 fps,
    painted as the same frames in a clip are; `vidstyle shots` reads it the same way. 16-bit frames are read
    to the level."""
    from vidstyle.media.source import VideoSource

    frames = [scene(96, 64, i / 12) for i in range(12)]
    for name, depth in (("plate", np.uint8), ("deep", np.uint16)):
        (tmp_path / name).mkdir()
        for i, rgb in enumerate(frames):
            bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR).astype(depth) * (257 if depth == np.uint16 else 1)
            cv2.imwrite(str(tmp_path / name / f"{name}.{1001 + i}.png"), bgr)
    shot = tmp_path / "plate"
    cv2.imwrite(str(shot / "slate.0001.png"), frames[0])  # not one of its frames: left out, with a word
    with VideoSource(tmp_path / "deep") as source:
        assert source.rate == 24 and source.estimated_frames() == 12  # the default rate
        read = [f.rgb for f in source.frames(None)]
    # FFmpeg's 16-to-8-bit conversion rounds (x + 128) >> 8: a level up from 128 on
    assert len(read) == 12 and max(np.abs(a.astype(int) - b).max() for a, b in zip(read, frames)) <= 1

    clip = tmp_path / "plate.mkv"  # the same frames, lossless, at the same rate
    write_frames(clip, frames, Fraction(24000, 1001), codec="libx264rgb", pix_fmt="rgb24", options={"qp": "0"})
    painted = {}
    for name, src in (("sequence", shot), ("clip", clip)):
        out = tmp_path / f"{name}.mp4"
        proc = run_cli("video", src, "--backend", "fast", "--style-id", "3", "--sequence-fps", "23.976", "-o", out,
                       "--quiet")
        assert proc.returncode == 0, proc.stderr
        with av.open(str(out)) as container:
            stream = container.streams.video[0]
            decoded = list(container.decode(stream))
            painted[name] = [f.to_ndarray(format="rgb24").astype(float) for f in decoded]
        if name == "sequence":
            assert "1 numbered file beside the sequence plate.#.png left out" in proc.stderr
            assert stream.average_rate == Fraction(24000, 1001)
            times = [float(f.pts * f.time_base) for f in decoded]
            assert len(decoded) == 12 and np.allclose(np.diff(times), 1001 / 24000)
    assert all(np.abs(a - frames[i]).mean() > 10 for i, a in enumerate(painted["sequence"]))  # painted
    # Under 1 level with the blended term; the fast backend's carried term picks, per pixel, between two
    # paintings, and the two runs differ by up to 5.5 levels on frames after the first although their decoded
    # frames are equal (not yet explained; the shot's first frame and the fifth are equal)
    diffs = [np.abs(a - b).mean() for a, b in zip(painted["sequence"], painted["clip"])]
    assert diffs[0] < 1 and np.mean(diffs) < 3 and max(diffs) < 8, diffs

    proc = run_cli("shots", shot, "--sequence-fps", "23.976", "--json")
    assert proc.returncode == 0, proc.stderr
    shots = json.loads(proc.stdout)
    assert len(shots) == 1 and shots[0]["frames"] == 12 and abs(shots[0]["end"] - 12 * 1001 / 24000) < 1e-3


def test_exr_frames_are_read_as_a_viewer_shows_them(tmp_path):
    """EXR renders hold scene-linear light: read through sRGB's curve (not as display values, which came out
    56 levels too dark on average)."""
    from vidstyle.media.source import VideoSource

    rgb = scene(96, 64, 0.0)
    srgb = rgb.astype(np.float32) / 255
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4).astype(np.float32)
    (tmp_path / "render").mkdir()
    for n in (1, 2):
        encoder = av.CodecContext.create("exr", "w")
        encoder.width, encoder.height, encoder.pix_fmt, encoder.time_base = 96, 64, "gbrpf32le", Fraction(1, 24)
        frame = av.VideoFrame(96, 64, "gbrpf32le")
        for plane, channel in zip(frame.planes, (1, 2, 0)):  # G, B, R planes
            plane.update(np.ascontiguousarray(linear[..., channel]).tobytes())
        packets = encoder.encode(frame) + encoder.encode(None)
        (tmp_path / "render" / f"beauty.{n:04d}.exr").write_bytes(b"".join(bytes(p) for p in packets))
    with VideoSource(tmp_path / "render") as source:
        read = [f.rgb for f in source.frames(None)]
    assert len(read) == 2 and np.abs(read[0].astype(int) - rgb).mean() < 1


def test_frames_out_are_numbered_as_the_source_and_keep_its_alpha(tmp_path):
    """An RGBA plate numbered from 1001, its frames 1003-1006 asked for (--start 2f) as PNG frames: written as
    shot_1003.png to shot_1006.png, alpha identical, nothing else left in the folder. A clip with sound to JPEG
    frames: numbered from 1, the sound said to be left out."""
    from PIL import Image

    plate = tmp_path / "plate"
    plate.mkdir()
    alphas = []
    for i in range(6):
        alpha = np.full((48, 64), 255, np.uint8)
        alpha[:, : 10 + 8 * i] = 40 * (i % 3)
        alphas.append(alpha)
        Image.fromarray(np.dstack([scene(64, 48, i / 10), alpha])).save(plate / f"plate.{1001 + i}.png")
    out = tmp_path / "out"
    out.mkdir()
    proc = run_cli("video", plate, "--backend", "fast", "--style-id", "3", "--start", "2f", "-o",
                   out / "shot_####.png", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"shot_{n}.png" for n in range(1003, 1007)]
    for n in range(1003, 1007):
        written = np.asarray(Image.open(out / f"shot_{n}.png"))
        assert written.shape == (48, 64, 4) and np.array_equal(written[..., 3], alphas[n - 1001])
        assert np.abs(written[..., :3].astype(int) - scene(64, 48, (n - 1001) / 10)).mean() > 10  # painted

    clip = tmp_path / "clip.mp4"
    write_clip(clip, 64, 48, frames=8, fps=24, audio=True)
    proc = run_cli("video", clip, "--backend", "fast", "--style-id", "3", "-o", out / "c.%d.jpg", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "an image sequence has no sound: the audio is left out" in proc.stderr
    assert sorted(p.name for p in out.glob("c.*")) == sorted(f"c.{n}.jpg" for n in range(1, 9))
    assert not [p for p in tmp_path.rglob("*") if "vidstyle-tmp" in p.name]


def test_a_rendered_shot_from_frame_16_in_and_out(tmp_path):
    """A real exported sequence (the Sintel frames shipped with RAFT's demo, numbered from 16) in, frames out:
    the same numbers, each painted (at 256x108: 1024x436 scaled, to even sides)."""
    shot = media("flow/sintel_raft_demo")
    out = tmp_path / "sintel.####.png"
    proc = run_cli("video", shot, "--backend", "fast", "--style-id", "19", "--max-size", "256", "-o", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    written = sorted(tmp_path.glob("sintel.*.png"))
    assert [p.name for p in written] == [f"sintel.{n:04d}.png" for n in range(16, 26)]
    for path in written[::3]:
        painted = cv2.imread(str(path))
        source = cv2.resize(cv2.imread(str(shot / f"frame_{path.name[7:11]}.png")), painted.shape[1::-1],
                            interpolation=cv2.INTER_AREA)
        assert painted.shape == (108, 256, 3) and np.abs(painted.astype(int) - source).mean() > 20
