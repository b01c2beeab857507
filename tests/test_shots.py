"""Shots: boundaries from TransNetV2 or a user's list, every temporal state reset at a cut, segments by time,
black bars kept, fades and black frames kept dark."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np
import torch
import pytest

from conftest import media, run_cli
from vidstyle.core.errors import UserError
from vidstyle.core.timepoints import TimePoint
from vidstyle.core.timepoints import parse_time
from vidstyle.media.synthetic import join_shots, read_frames, write_clip, write_frames
from vidstyle.shots.cuts import read_cut_file
from vidstyle.shots.detect import ShotMarker
from vidstyle.shots.stage import ShotStage, brightness_gain, picture_area


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def only_line(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def test_times_and_cut_lists(tmp_path):
    assert parse_time("2.5", "start") == TimePoint(seconds=2.5)
    assert parse_time("00:01:02.500", "start") == TimePoint(seconds=62.5)
    assert parse_time("1:02.5", "start") == TimePoint(seconds=62.5)
    assert parse_time("120f", "start") == TimePoint(frame=120)
    plain = tmp_path / "cuts.txt"
    plain.write_text("# shot starts\n1.5\n00:00:03.000\n")
    assert read_cut_file(plain) == [TimePoint(1.5), TimePoint(3.0)]
    plain.write_text("36f\n90f\n")
    assert read_cut_file(plain) == [TimePoint(frame=36), TimePoint(frame=90)]
    scenedetect = tmp_path / "scenes.csv"  # as `scenedetect list-scenes` writes it
    scenedetect.write_text("Timecode List:,00:00:01.500\nScene Number,Start Frame,Start Timecode,Start Time (seconds),"
                           "End Frame,End Timecode,End Time (seconds),Length (frames)\n"
                           "1,1,00:00:00.000,0.000,36,00:00:01.500,1.500,36\n"
                           "2,37,00:00:01.500,1.500,72,00:00:03.000,3.000,36\n")
    assert read_cut_file(scenedetect) == [TimePoint(1.5)]
    # saved by Excel ("CSV UTF-8") or a Windows editor: a byte-order mark and CRLF ends
    scenedetect.write_bytes(b"\xef\xbb\xbf" + scenedetect.read_bytes().replace(b"\n", b"\r\n"))
    assert read_cut_file(scenedetect) == [TimePoint(1.5)]
    for text, problem in [("# cuts\n1.0\nsoon\n", "line 3: 'soon' is not a time"),
                          ("2.0\n1.0\n", "line 2: 1.0 is not after"), ("2.0\n90f\n", "line 2: mixes")]:
        plain.write_text(text)
        with pytest.raises(UserError, match=problem):
            read_cut_file(plain)


def test_marker_turns_transition_frames_into_boundaries():
    marker = ShotMarker()
    # a hard cut marks the last frame of the old shot; a dissolve, several frames
    probs = [0.0, 0.0, 0.99, 0.0, 0.0, 0.7, 0.8, 0.6, 0.1, 0.0]
    found = [b for i, p in enumerate(probs) if (b := marker.next(i, i / 10, p))]
    assert [(b.frame, b.kind) for b in found] == [(3, "cut"), (8, "gradual")]


def test_picture_area_finds_letterbox_and_pillarbox_bars():
    frame = np.zeros((90, 160), np.uint8)
    frame[12:78, :] = 120  # 2.39:1 inside 16:9
    assert picture_area(frame.max(1), frame.max(0)) == (12, 78, 0, 160)
    frame = np.zeros((90, 160), np.uint8)
    frame[:, 20:140] = 90  # 4:3 inside 16:9
    assert picture_area(frame.max(1), frame.max(0)) == (0, 90, 20, 140)
    assert picture_area(np.zeros(90), np.zeros(160)) is None  # a black frame has no bars
    assert picture_area(np.full(90, 200), np.full(160, 200)) is None


def test_stage_keeps_packets_in_order_and_marks_listed_cuts(clip):
    from vidstyle.media.source import VideoSource

    with VideoSource(clip) as src:
        stage = ShotStage(points=[TimePoint(seconds=0.5), TimePoint(frame=9)], half_frame=0.5 / float(src.rate))
        items = list(stage.run(src.frames(with_audio=True), src.clip_seconds))
    frames = [i for i in items if isinstance(i, tuple)]
    assert [f.index for f, _ in frames] == list(range(12))
    assert [b.frame for b in stage.boundaries] == [6, 9]
    assert len(items) > len(frames)  # the audio packets came through too
    assert all(framing.area is None for _, framing in frames)


def test_transnet_verdicts_are_the_packages_own():
    """Its pools read the network's channels-last maps in place (vidstyle.shots.detect._load_transnet); the verdicts
    must be those of the package's own layers, in float32 and under bf16 autocast, on 100 real frames."""
    import copy

    import torch

    from vidstyle.core.device import autocast
    from vidstyle.media.frames import Frame
    from vidstyle.media.source import VideoSource
    from vidstyle.shots.detect import _load_transnet, thumbnail

    with VideoSource(media("video/mdn_flower.mp4")) as src:
        thumbs = [thumbnail(f.rgb) for f in src.frames(320) if isinstance(f, Frame)][:100]
    batch = torch.from_numpy(np.stack(thumbs))[None]
    ours = _load_transnet("cpu")
    package = copy.deepcopy(ours)
    for stack in package.SDDCNN:
        assert not isinstance(stack.pool, torch.nn.AvgPool3d)
        stack.pool = torch.nn.AvgPool3d((1, 2, 2))
    for dtype in (None, torch.bfloat16):
        with torch.inference_mode(), autocast(torch.device("cpu"), dtype):
            got, want = ours.predict_raw(batch)[0], package.predict_raw(batch)[0]
        assert got.shape == want.shape == (1, 100, 1)
        assert torch.allclose(got, want, atol=1e-5), (dtype, (got - want).abs().max())


def test_brightness_gain_keeps_dark_frames_dark():
    def picture(level: float) -> torch.Tensor:
        return torch.full((1, 3, 8, 8), level)

    grey = picture(100 / 255)
    assert brightness_gain(grey, picture(0.45)) == 1.0  # within LIFT of the source: as is
    assert abs(brightness_gain(grey, picture(0.8)) * 0.8 - (100 / 255 + 0.1)) < 1e-6
    assert brightness_gain(picture(0.0), picture(0.6)) == 0.0


def two_shots(tmp_path: Path, size=(128, 72), n=20, tags: dict[str, str] | None = None) -> tuple[Path, int]:
    a = read_frames(media("video/mdn_flower.mp4"), n, size)
    b = read_frames(media("video/adain_cutBunny.mp4"), n, size, skip=40)
    path = tmp_path / "two_shots.mp4"
    return path, join_shots(path, [a, b], fps=24, tags=tags)[1]


@pytest.mark.parametrize("backend", ["adain", "fast", "iterative"])
def test_no_state_crosses_a_cut(tmp_path, style_png, backend):
    clip, cut = two_shots(tmp_path)
    style = ["--style-id", "7"] if backend == "fast" else ["-s", style_png]
    fast_iterative = ["--iterations", "4", "--iterations-later", "2", "--scales", "1"] if backend == "iterative" else []
    common = ["-b", backend, *style, *fast_iterative, "--crf", "0", "-q", "--style-size", "64"]
    whole, alone = tmp_path / "whole.mp4", tmp_path / "alone.mp4"
    for out, extra in [(whole, []), (alone, ["--start", f"{cut}f"])]:
        proc = run_cli("video", clip, "-o", out, *common, *extra)
        assert proc.returncode == 0, proc.stderr
    a, b = decoded(whole)[cut:], decoded(alone)
    assert len(a) == len(b)
    assert max(np.abs(x.astype(float) - y).mean() / 255 for x, y in zip(a, b)) <= 0.004
    if backend != "iterative":
        off = tmp_path / "off.mp4"
        assert run_cli("video", clip, "-o", off, *common, "--temporal-weight", "0").returncode == 0
        assert np.abs(decoded(off)[cut].astype(float) - decoded(whole)[cut]).mean() / 255 <= 0.004


@pytest.mark.parametrize("name,start,end", [("mdn_flower.mp4", 2.5, 4.0), ("moviepy_fire2_rot180_vfr.mp4", 0.5, 2.0)])
def test_segment_by_time_keeps_its_audio(tmp_path, style_png, name, start, end):
    src = media(f"video/{name}")
    out = tmp_path / "seg.mp4"
    proc = run_cli("video", src, "-s", style_png, "--max-size", "96", "--start", str(start), "--end", str(end), "-o",
                   out, "-q", "--cuts", "off")
    assert proc.returncode == 0, proc.stderr
    with av.open(str(src)) as c:
        s = c.streams.video[0]
        expect = sum(1 for f in c.decode(s) if start <= float((f.pts - (s.start_time or 0)) * f.time_base) < end)
        sample_rate = c.streams.audio[0].sample_rate
    with av.open(str(out)) as c:
        times = [float(f.pts * f.time_base) for f in c.decode(video=0)]
    with av.open(str(out)) as c:
        a = c.streams.audio[0]
        packets = [p for p in c.demux(a) if p.pts is not None]
        audio = float((packets[-1].pts + packets[-1].duration - packets[0].pts) * a.time_base)
    assert len(times) == expect and expect > 10 and times[0] == 0.0
    assert abs(audio - (end - start)) <= 1024 / sample_rate + 1e-6  # within one AAC frame


def test_letterbox_bars_stay_black(tmp_path, style_png):
    frames = read_frames(media("video/mdn_flower.mp4"), 12, (128, 54))
    boxed = [np.pad(f, ((9, 9), (0, 0), (0, 0))) for f in frames]  # 2.39:1 inside 16:9
    clip = tmp_path / "boxed.mp4"
    join_shots(clip, [boxed])
    out = tmp_path / "out.mp4"
    assert run_cli("video", clip, "-s", style_png, "-o", out, "-q", "--cuts", "off").returncode == 0
    for f in decoded(out):
        assert f[:8].max() <= 16 and f[-8:].max() <= 16
        assert f[12:-12].mean() > 30  # the picture was stylized


def test_black_frames_stay_black(tmp_path, style_png):
    clip = tmp_path / "fade.mp4"
    frames = read_frames(media("video/mdn_flower.mp4"), 20, (96, 54))
    ramp = [(f * max(0.0, 1 - (i + 1) / 8)).astype(np.uint8) for i, f in enumerate(frames[12:])]  # last 8 to black
    join_shots(clip, [frames[:12] + ramp])
    out = tmp_path / "out.mp4"
    assert run_cli("video", clip, "-s", style_png, "-o", out, "-q", "--cuts", "off").returncode == 0
    got = decoded(out)
    assert got[-1].max() <= 16  # the black frame is black
    assert got[-4].mean() < got[5].mean() * 0.7  # the fade is a fade


@pytest.mark.parametrize("case", ["unparsable", "out_of_order", "out_of_range", "start_after_end", "start_past_end",
                                  "bad_bars", "edl_without_timecode", "edl_of_nothing"])
def test_bad_shot_and_segment_input_is_one_line(tmp_path, style_png, case):
    clip = tmp_path / "c.mp4"
    write_clip(clip, 64, 48, frames=12, fps=12, audio=False)
    cuts = tmp_path / "cuts.txt"
    extra, expect = [], ""
    if case == "unparsable":
        cuts.write_text("0.5\nhalf past\n")
        extra, expect = ["--cuts", str(cuts)], "line 2: 'half past' is not a time"
    elif case == "out_of_order":
        cuts.write_text("0.7\n0.3\n")
        extra, expect = ["--cuts", str(cuts)], "line 2: 0.3 is not after the cut before it"
    elif case == "out_of_range":
        cuts.write_text("0.5\n30\n")
        extra, expect = ["--cuts", str(cuts)], "the cut at 30 s is past the end of the clip"
    elif case == "start_after_end":
        extra, expect = ["--start", "0.8", "--end", "0.5"], "end 0.5 s is not after the start, 0.8 s (--end)"
    elif case == "start_past_end":
        extra, expect = ["--start", "5"], "start 5 s is past the end of the clip"
    elif case == "bad_bars":
        extra, expect = ["--bars", "crop"], "bars 'crop' is not one of keep, paint (--bars)"
    elif case.startswith("edl"):
        edl = tmp_path / "cut.edl"
        edl.write_text(EDL if case == "edl_without_timecode" else "TITLE: notes\nnothing here\n")
        if case == "edl_of_nothing":
            write_frames(clip, read_frames(clip, 12, (64, 48)), 12, tags={"timecode": "01:00:00:00"})
        extra, expect = ["--cuts", str(edl)], ("c.mp4 has no timecode to count them from" if case ==
                                              "edl_without_timecode" else "no video events in the EDL")
    out = tmp_path / "out.mp4"
    proc = run_cli("video", clip, "-s", style_png, "-o", out, "-q", *extra)
    assert proc.returncode == 2, proc.stderr
    assert expect in only_line(proc)
    assert not out.exists() and not [p for p in tmp_path.iterdir() if "vidstyle" in p.name]


# An edit of four events (the usual notes between them left out): shots of 14 and 10 frames, then a 4-frame dissolve
# into the third, an audio line beside the second, and a fourth event past the 36 frames of the reel (two_shots).
EDL = """TITLE: REEL 1
FCM: NON-DROP FRAME

001  A001     V     C        00:00:10:00 00:00:10:14 01:00:00:00 01:00:00:14
* FROM CLIP NAME: flower.mov
002  A002     V     C        00:00:20:00 00:00:20:10 01:00:00:14 01:00:01:00
002  A002     A     C        00:00:20:00 00:00:20:10 01:00:00:14 01:00:01:00
003  A002     V     C        00:00:20:10 00:00:20:10 01:00:01:00 01:00:01:00
003  A003     V     D    004 00:00:30:00 00:00:30:12 01:00:01:00 01:00:01:12
004  A004     V     C        00:00:40:00 00:00:40:12 01:00:01:12 01:00:02:00
"""


def test_an_edit_list_gives_the_shots(tmp_path, style_png):
    """`--cuts reel.edl`: the edit's own cuts, counted from the reel's timecode (a dissolve's shot from the end of
    its transition; events outside the clip left out, with a word), for `shots` and for `video`, whose temporal
    state resets there."""
    import json

    clip = tmp_path / "reel.mp4"
    size = (96, 64)
    join_shots(clip, [read_frames(media("video/mdn_flower.mp4"), 14, size),
                      read_frames(media("video/adain_cutBunny.mp4"), 14, size, skip=40),
                      read_frames(media("video/mdn_flower.mp4"), 8, size, skip=60)], tags={"timecode": "01:00:00:00"})
    edl = tmp_path / "reel.edl"
    edl.write_text(EDL)
    proc = run_cli("shots", clip, "--cuts", edl, "--json")
    assert proc.returncode == 0, proc.stderr
    assert [(s["first"], s["frames"], s["timecode"]) for s in json.loads(proc.stdout)] == \
        [(0, 14, "01:00:00:00"), (14, 14, "01:00:00:14"), (28, 8, "01:00:01:04")]
    assert "1 of its 4 video events start outside reel.mp4 (timecode 01:00:00:00 on), left out" in proc.stderr
    out = tmp_path / "out.mp4"
    proc = run_cli("video", clip, "--cuts", edl, "-s", style_png, "--style-size", "64", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "36 frames, 3 shots" in proc.stderr


def test_shots_command_lists_the_cuts(tmp_path):
    """Each shot's first frame, times and kind; with the source's timecode where it has one (what an editor
    gives --start)."""
    clip, cut = two_shots(tmp_path, n=40, tags={"timecode": "01:00:00:00"})
    proc = run_cli("shots", clip, "--json", "--sheet", tmp_path / "sheet.png")
    assert proc.returncode == 0, proc.stderr
    import json

    shots = json.loads(proc.stdout)
    assert [(s["first"], s["frames"], s["kind"]) for s in shots] == [(0, cut, "start"), (cut, 40, "cut")]
    assert abs(shots[1]["start"] - cut / 24) < 1e-6 and (tmp_path / "sheet.png").stat().st_size > 0
    assert [s["timecode"] for s in shots] == ["01:00:00:00", f"01:00:{cut // 24:02d}:{cut % 24:02d}"]
    proc = run_cli("shots", clip)
    assert proc.returncode == 0 and proc.stdout.splitlines()[2].split()[-2:] == [shots[1]["timecode"], "cut"]
