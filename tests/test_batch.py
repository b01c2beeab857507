"""Presets, settings precedence, styles by URL, resumable clips and batch jobs that survive SIGKILL."""

from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, media, raising_on_call, run_cli
from vidstyle.core.errors import UserError
from vidstyle.media.synthetic import write_clip
from vidstyle.settings import resolve
from vidstyle.settings.presets import BUILTIN_PRESETS, fetch_style, list_presets


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if "vidstyle-tmp" in p.name or "vidstyle-resume" in p.name]


def write_presets(folder: Path, style_png: Path) -> Path:
    folder.mkdir()
    (folder / "tiny-adain.toml").write_text(f'description = "test"\nbackend = "adain"\nstyle = ["{style_png}"]\n'
                                            "style_size = 64\nmax_size = 64\ncheckpoint_every = 3\n")
    (folder / "tiny-fast.toml").write_text('description = "test"\nbackend = "fast"\nstyle_id = [5]\n'
                                           "max_size = 64\ncheckpoint_every = 3\n")
    return folder


def test_shipped_presets_are_complete_and_cover_every_backend():
    from vidstyle.backends import names

    presets = {name: path for name, path in list_presets().items() if path.parent == BUILTIN_PRESETS}
    assert len(presets) >= 8
    backends = set()
    for name, path in presets.items():
        settings = resolve(name, fetch=False)  # checked; offline, URL styles resolve to their cache path
        backends.add(settings.backend)
    assert backends == set(names())


def test_flags_override_preset_values(tmp_path, style_png):
    folder = write_presets(tmp_path / "p", style_png)
    settings = resolve("tiny-adain", {"max_size": 200, "alpha": None}, folder)
    assert settings.common.max_size == 200 and settings.common.style == [style_png] and settings.options.alpha == 1.0
    assert settings.origins["max_size"] == "command line" and settings.origins["style"] == "preset tiny-adain"
    # a built-in style id on the command line replaces the preset's style image, and picks its backend
    switched = resolve("tiny-adain", {"style_id": [3]}, folder)
    assert switched.backend == "fast" and switched.common.style == [] and switched.options.style_id == [3]
    with pytest.raises(UserError, match="no_such_flag is not a known setting"):
        resolve("tiny-adain", {"no_such_flag": 1}, folder)
    with pytest.raises(UserError, match=r"alpha 2.0 is above the maximum 1.0 \(preset bad\)"):
        (folder / "bad.toml").write_text(f'style = ["{style_png}"]\nalpha = 2.0\n')
        resolve("bad", {}, folder)


def test_user_preset_folder_wins_over_shipped(tmp_path, monkeypatch, style_png):
    user = tmp_path / "config" / "vidstyle" / "presets"
    user.mkdir(parents=True)
    (user / "fast-quick.toml").write_text('backend = "fast"\nstyle_id = [7]\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert resolve("fast-quick", {}).options.style_id == [7]
    # saved by a Windows editor: a byte-order mark (read as 'not valid TOML ... line 1, column 1') and CRLF ends
    (user / "fast-quick.toml").write_bytes(b'\xef\xbb\xbfbackend = "fast"\r\nstyle_id = [8]\r\n')
    assert resolve("fast-quick", {}).options.style_id == [8]


def test_style_by_url_is_fetched_once_and_checked(tmp_path, monkeypatch, style_png):
    monkeypatch.setenv("VIDSTYLE_CACHE", str(tmp_path / "cache"))
    digest = hashlib.sha256(style_png.read_bytes()).hexdigest()
    url = style_png.as_uri()  # a real urllib fetch, without the network
    path = fetch_style(url, digest)
    assert path.read_bytes() == style_png.read_bytes() and path.is_relative_to(tmp_path / "cache")
    style_png_copy = tmp_path / "gone.png"
    with pytest.raises(UserError, match="put the file at"):
        fetch_style(style_png_copy.as_uri(), digest[::-1])  # not there: says where to put it
    with pytest.raises(UserError, match="does not match"):
        fetch_style(url, "0" * 64)
    assert fetch_style(url, digest) == path


def test_preset_with_unreachable_url_fails_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("VIDSTYLE_CACHE", str(tmp_path / "cache"))
    env_cache = tmp_path / "cache"
    photo = tmp_path / "p.png"
    from PIL import Image

    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(photo)
    preset = tmp_path / "remote.toml"
    preset.write_text('style = [{url = "http://127.0.0.1:9/x.jpg", sha256 = "' + "a" * 64 + '"}]\n')
    proc = subprocess.run([sys.executable, "-m", "vidstyle.cli", "image", str(photo), "--preset", str(preset)],
                          capture_output=True, text=True, env={**os.environ, "VIDSTYLE_CACHE": str(env_cache),
                                                               "COLUMNS": "300"})
    assert proc.returncode == 2
    assert "cannot download style" in proc.stderr and "put the file at" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_killed_clip_resumes_to_the_same_frames(tmp_path, style_png):
    """In process: a run stopped after some frames (the state of a SIGKILL: resume data, no output), resumed."""
    from vidstyle.jobs.run import run_video

    clip = tmp_path / "c.mp4"
    write_clip(clip, 96, 64, frames=20, fps=10, audio=True)
    settings = resolve(None, {"style": [style_png], "style_size": 64, "max_size": 64, "checkpoint_every": 4})
    whole = run_video(clip, tmp_path / "whole.mp4", settings, quiet=True)
    assert whole.stylized == 20

    import vidstyle.jobs.pipeline as job

    with pytest.raises(KeyboardInterrupt), raising_on_call(job.CarryBlender, "__call__", 14, KeyboardInterrupt):
        run_video(clip, tmp_path / "again.mp4", settings, quiet=True)
    assert not (tmp_path / "again.mp4").exists()
    resumed = run_video(clip, tmp_path / "again.mp4", settings, quiet=True)
    assert resumed.resumed_from == 12 and resumed.stylized == 8  # state saved after frames 3, 7, 11
    for a, b in zip(decoded(tmp_path / "whole.mp4"), decoded(tmp_path / "again.mp4"), strict=True):
        assert np.array_equal(a, b)
    assert leftovers(tmp_path) == []


def _batch(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "vidstyle.cli", "batch", *args], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "COLUMNS": "300"})


def test_batch_killed_with_sigkill_then_rerun_matches_uninterrupted(tmp_path, style_png):
    presets = write_presets(tmp_path / "presets", style_png)
    clips = []
    for n in range(3):
        clips.append(tmp_path / f"clip{n}.mp4")
        write_clip(clips[-1], 96, 64, frames=16 + 4 * n, fps=10, audio=n != 1)
    args = [*map(str, clips), "--preset", "tiny-adain", "--preset", "tiny-fast", "--presets-dir", str(presets), "-q"]

    ref = _batch([*args, "-o", str(tmp_path / "ref")], tmp_path)
    out, _ = ref.communicate(timeout=600)
    assert ref.returncode == 0, out

    rng = random.Random(os.getpid())
    killed = _batch([*args, "-o", str(tmp_path / "out")], tmp_path)
    deadline = time.time() + 300
    while not list((tmp_path / "out").glob(".*vidstyle-resume/state.pt")) and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 1.5))  # a random moment once the first clip is under way
    killed.send_signal(signal.SIGKILL)
    killed.wait()

    rerun = _batch([*args, "-o", str(tmp_path / "out")], tmp_path)
    log, _ = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, log
    names = sorted(p.name for p in (tmp_path / "ref").iterdir())
    assert len(names) == 6 and names == sorted(p.name for p in (tmp_path / "out").iterdir())
    for name in names:
        ref_frames, got = decoded(tmp_path / "ref" / name), decoded(tmp_path / "out" / name)
        assert len(ref_frames) == len(got)
        assert all(np.array_equal(a, b) for a, b in zip(ref_frames, got)), name
    assert leftovers(tmp_path / "out") == []
    # A resumed clip stylized only the frames after its last saved state.
    for total, stylized, start in re.findall(r"(\d+) frames \((\d+) stylized in this run, resumed at\s+frame\s+(\d+)",
                                             log.replace("\n", " ")):
        assert int(stylized) == int(total) - int(start)


def test_batch_stops_at_once_on_sigterm_and_resumes(tmp_path, style_png):
    """SIGTERM reaches the batch process alone (Ctrl-C reaches its workers too): it stops its workers at once
    rather than wait for their clips, exits 143, and the rerun resumes what they left."""
    presets = write_presets(tmp_path / "presets", style_png)
    clips = []
    for n in range(2):
        clips.append(tmp_path / f"clip{n}.mp4")
        write_clip(clips[-1], 96, 64, frames=400, fps=25, audio=False)
    args = [*map(str, clips), "--preset", "tiny-fast", "--presets-dir", str(presets), "-q", "--jobs", "2",
            "-o", str(tmp_path / "out")]
    batch = _batch(args, tmp_path)
    deadline = time.time() + 300
    while not list((tmp_path / "out").glob(".*vidstyle-resume/state.pt")) and time.time() < deadline:
        time.sleep(0.02)
    batch.send_signal(signal.SIGTERM)
    sent = time.time()
    log, _ = batch.communicate(timeout=60)
    assert batch.returncode == 143 and "terminated" in log, log
    assert time.time() - sent < 10, "it waited for the clips"
    assert not list((tmp_path / "out").glob("*.mp4"))
    rerun = _batch(args, tmp_path)
    log, _ = rerun.communicate(timeout=600)
    assert rerun.returncode == 0 and "resumed at" in log, log
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["clip0.tiny-fast.mp4", "clip1.tiny-fast.mp4"]
    assert all(len(decoded(tmp_path / "out" / f"clip{n}.tiny-fast.mp4")) == 400 for n in range(2))


def test_batch_removes_resume_data_a_kill_left_beside_a_finished_output(tmp_path, style_png):
    """A kill after the output was renamed into place, before its resume folder was removed (found by the SIGKILL
    test above at a random moment): the rerun skips the finished output and removes the folder."""
    from vidstyle.jobs.checkpoint import Checkpoint
    from vidstyle.scale.batch import BatchJob, run_batch

    presets = write_presets(tmp_path / "presets", style_png)
    clip = tmp_path / "clip.mp4"
    write_clip(clip, 96, 64, frames=8, fps=10, audio=False)
    job = BatchJob([clip], ["tiny-fast"], tmp_path / "out", jobs=1, presets_dir=presets)
    # Checkpoint.clear runs when the job opens an empty resume folder, and again once the output is in place.
    with pytest.raises(KeyboardInterrupt), raising_on_call(Checkpoint, "clear", 2, KeyboardInterrupt):
        run_batch(job, quiet=True)
    output = tmp_path / "out" / "clip.tiny-fast.mp4"
    made = output.read_bytes()
    assert leftovers(tmp_path / "out") == [".clip.tiny-fast.mp4.vidstyle-resume"]
    (items,) = run_batch(job, quiet=True)
    assert items.status == "skipped" and output.read_bytes() == made
    assert leftovers(tmp_path / "out") == []


def test_batch_goes_on_past_a_bad_clip_and_says_so(tmp_path, style_png):
    write_presets(tmp_path / "presets", style_png)
    good = tmp_path / "good.mp4"
    write_clip(good, 96, 64, frames=6, fps=10, audio=False)
    bad = media("video/decord_corrupted.mp4") if (ROOT.parent / "shared").exists() else tmp_path / "bad.mp4"
    if not bad.exists():
        bad.write_text("not a video")
    job = tmp_path / "job.toml"
    job.write_text(f'output_dir = "out"\ninputs = ["{good}", "{bad}"]\npresets = ["tiny-fast"]\n'
                   "[settings]\nmax_size = 48\n")
    proc = run_cli("batch", job, "--presets-dir", tmp_path / "presets", "-q")
    assert proc.returncode == 1, proc.stderr
    assert (tmp_path / "out" / "good.tiny-fast.mp4").exists()
    assert not (tmp_path / "out" / f"{bad.stem}.tiny-fast.mp4").exists()
    assert "failed" in proc.stderr and bad.name in proc.stderr
    assert "done 1, skipped 0, failed 1" in proc.stdout
    assert leftovers(tmp_path / "out") == []
    again = run_cli("batch", job, "--presets-dir", tmp_path / "presets", "-q")
    assert "done 0, skipped 1, failed 1" in again.stdout


def test_inputs_sharing_a_stem_keep_their_extension_in_the_output_names(tmp_path):
    """clip.mp4 and clip.webm in one batch (as mdn_flower.mp4 and mdn_flower.webm in the shared folder) get
    outputs of their own; outputs that would still collide are refused in one line naming both sources."""
    from vidstyle.scale.batch import BatchJob, plan

    a, b = tmp_path / "a", tmp_path / "b"
    out = tmp_path / "out"
    items = plan(BatchJob([a / "clip.mp4", a / "clip.webm", a / "other.mp4", a / "photo.jpg"], ["p", "q"], out))
    assert [i.output.name for i in items] == [
        "clip.mp4.p.mp4", "clip.mp4.q.mp4", "clip.webm.p.mp4", "clip.webm.q.mp4",
        "other.p.mp4", "other.q.mp4", "photo.p.png", "photo.q.png"]
    with pytest.raises(UserError, match=f"{a / 'clip.mp4'} and {b / 'clip.mp4'} would both write clip.mp4.p.mp4"):
        plan(BatchJob([a / "clip.mp4", a / "clip.webm", b / "clip.mp4"], ["p"], out))
    with pytest.raises(UserError, match="the presets a/p.toml and b/p.toml would both write clip.p.mp4"):
        plan(BatchJob([a / "clip.mp4"], ["a/p.toml", "b/p.toml"], out))


def test_a_file_name_with_glob_characters_is_taken_as_it_is(tmp_path, monkeypatch):
    """"take [1].mp4" exists: it is that file, not a pattern matching "take 1.mp4"; patterns still match, and
    "~" is the home folder, in a job file too."""
    from vidstyle.scale.batch import expand_inputs, load_job

    for name in ("take [1].mp4", "take 1.mp4", "b.mp4"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert expand_inputs([str(tmp_path / "take [1].mp4")]) == [tmp_path / "take [1].mp4"]
    assert expand_inputs([str(tmp_path / "take [12].mp4")]) == [tmp_path / "take 1.mp4"]
    assert expand_inputs(["~/b.mp4", "~/t*.mp4"]) == [tmp_path / n for n in ("b.mp4", "take 1.mp4", "take [1].mp4")]
    job = tmp_path / "sub" / "job.toml"
    job.parent.mkdir()
    job.write_text('inputs = ["~/take [1].mp4"]\npresets = ["fast-quick"]\noutput_dir = "~/out"\n')
    loaded = load_job(job)
    assert loaded.inputs == [tmp_path / "take [1].mp4"] and loaded.output_dir == tmp_path / "out"


def test_a_folder_of_frames_given_to_batch_is_said_to_be_a_shot(tmp_path, caplog):
    """batch reads a folder as its stills, so a shot exported as frames is stylized a photo at a time: it says so,
    and how to stylize it as a clip; a folder of photos named otherwise gets no word."""
    from vidstyle.scale.batch import expand_inputs

    for folder, names in (("shot", ["sh.0001.png", "sh.0002.png", "sh.0003.png"]), ("album", ["a.png", "b.png"])):
        (tmp_path / folder).mkdir()
        for name in names:
            Image.new("RGB", (16, 16)).save(tmp_path / folder / name)
    with caplog.at_level("WARNING", logger="vidstyle"):
        assert len(expand_inputs([str(tmp_path / "shot"), str(tmp_path / "album")])) == 5
    assert [r.getMessage() for r in caplog.records] == [
        f"{tmp_path / 'shot'}: its 3 stills are numbered as the frames of a shot: each is stylized as a photo; "
        f"`vidstyle video {tmp_path / 'shot'}` or `vidstyle batch --sequences` stylizes them as a clip"]


def test_a_folder_is_its_clips_and_stills_and_a_rerun_into_it_leaves_the_outputs_out(tmp_path):
    """`vidstyle batch clips/` failed as 'is a folder, not a video file'. A folder now stands for the clips and
    stills directly in it, by name: not notes, hidden files (macOS's `._clip.mp4`) or subfolders. Outputs written
    into the folder itself (the default output folder is the current one) by this job or with another preset are
    not inputs when a batch runs there again. A folder with nothing to stylize is one line, exit 2."""
    from vidstyle.scale.batch import BatchJob, expand_inputs, plan

    clips = tmp_path / "clips"
    (clips / "old").mkdir(parents=True)
    for name in ("b.MTS", "a.mp4", "c.jpg", "notes.txt", "._a.mp4", "old/d.mp4"):
        (clips / name).write_bytes(b"")
    # GIF and WebP by their frames: animations are clips, a still WebP a photo, a still GIF (a logo) left out
    frames = [Image.new("RGB", (16, 16), (40 * i, 80, 120)) for i in range(3)]
    for name, more in (("e.gif", frames[1:]), ("f.webp", frames[1:]), ("g.webp", []), ("h.gif", [])):
        frames[0].save(clips / name, save_all=True, append_images=more, duration=100)
    assert expand_inputs([str(clips), str(clips / "a.mp4")]) == [
        clips / n for n in ("a.mp4", "b.MTS", "c.jpg", "e.gif", "f.webp", "g.webp")]
    assert [i.output.suffix for i in plan(BatchJob([clips / "f.webp", clips / "g.webp"], ["p"], tmp_path))] == [
        ".mp4", ".png"]
    for name in ("e.gif", "f.webp", "g.webp", "h.gif"):
        (clips / name).unlink()
    # written by earlier runs into the folder, with this job's presets or a shipped one
    for name in ("a.p.mp4", "c.p.png", "b.fast-quick.mp4", "holiday.fast-quick.mp4"):
        (clips / name).write_bytes(b"")
    items = plan(BatchJob(expand_inputs([str(clips)]), ["p", "q"], clips))
    # holiday.fast-quick.mp4 has no holiday.* beside it: a clip of that name, not an output
    assert sorted({i.source.name for i in items}) == ["a.mp4", "b.MTS", "c.jpg", "holiday.fast-quick.mp4"]
    assert [i.output.name for i in items][:2] == ["a.p.mp4", "a.q.mp4"]
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("")
    proc = run_cli("batch", empty, "--preset", "fast-quick")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and "no clips or stills in the folder" in lines[0], proc.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux), a device that is always full")
def test_resume_data_on_a_full_disk_is_an_error_that_says_so(tmp_path):
    """cv2.imwrite returned False on a full tmpfs, leaving no frame, and True on /dev/full (the error lost when
    the file closed), and torch.save said 'unexpected pos 64 vs 0': the job went on without the frames it would
    resume from. Both now stop it with errno ENOSPC."""
    import errno

    import torch

    from vidstyle.jobs.checkpoint import Checkpoint, Saved

    rgb = np.zeros((16, 16, 3), np.uint8)
    checkpoint = Checkpoint(tmp_path / "out.mp4", "key", 1)
    checkpoint.open(resume=False)
    checkpoint.frame_path(0).symlink_to("/dev/full")
    with pytest.raises(OSError) as raised:
        checkpoint.save_frame(0, rgb)
    assert raised.value.errno == errno.ENOSPC
    (checkpoint.folder / "state.pt.part").symlink_to("/dev/full")
    with pytest.raises(OSError) as raised:
        checkpoint.save_state(Saved(0, {"x": torch.zeros(3)}, None, []))
    assert raised.value.errno == errno.ENOSPC


def test_resume_data_for_other_settings_is_not_used(tmp_path, style_png):
    from vidstyle.jobs.run import run_video

    clip = tmp_path / "c.mp4"
    write_clip(clip, 96, 64, frames=10, fps=10, audio=False)
    settings = resolve(None, {"style": [style_png], "style_size": 64, "max_size": 64, "checkpoint_every": 2})
    import vidstyle.jobs.pipeline as job

    with pytest.raises(KeyboardInterrupt), raising_on_call(job.CarryBlender, "__call__", 8, KeyboardInterrupt):
        run_video(clip, tmp_path / "o.mp4", settings, quiet=True)
    changed = resolve(None, {"style": [style_png], "style_size": 64, "max_size": 64, "checkpoint_every": 2,
                             "alpha": 0.5})
    result = run_video(clip, tmp_path / "o.mp4", changed, quiet=True)
    assert result.resumed_from == 0 and result.stylized == 10
    assert leftovers(tmp_path) == []


def test_a_job_file_naming_one_input_without_a_list_takes_it_whole(tmp_path):
    """`inputs = "clip.mp4"` was taken letter by letter (a 'file not found' item for each); now a list of one.
    A list of other things is one line."""
    from vidstyle.scale.batch import load_job

    (tmp_path / "clip.mp4").write_bytes(b"")
    job = tmp_path / "job.toml"
    job.write_text('inputs = "clip.mp4"\npresets = "fast-quick"\n')
    loaded = load_job(job)
    assert loaded.inputs == [tmp_path / "clip.mp4"] and loaded.presets == ["fast-quick"]
    job.write_text('inputs = [1, 2]\npresets = ["fast-quick"]\n')
    with pytest.raises(UserError, match="`inputs` must be a list of names"):
        load_job(job)


def test_batch_stylizes_folders_of_frames_as_clips_with_sequences(tmp_path, style_png):
    """`--sequences`: each folder named is a shot's frames, stylized as a clip at --sequence-fps into FOLDER.PRESET.mp4
    (the folder's whole name), as `vidstyle video FOLDER` does; a clip beside them is as ever; a folder that holds no
    sequence fails alone. The same from a job file (`sequences = true`)."""
    from vidstyle.media.synthetic import read_frames
    from vidstyle.scale.batch import load_job

    presets = write_presets(tmp_path / "presets", style_png)
    frames = read_frames(media("video/mdn_flower.mp4"), 8, (96, 64))
    shots = tmp_path / "shots"
    for name, pattern in (("sh010.v2", "plate.{:04d}.png"), ("sh020", "f_{}.png")):
        (shots / name).mkdir(parents=True)
        for i, rgb in enumerate(frames[:6] if name == "sh020" else frames):
            Image.fromarray(rgb).save(shots / name / pattern.format(1001 + i))
    (shots / "album").mkdir()
    Image.fromarray(frames[0]).save(shots / "album" / "beach.png")
    clip = tmp_path / "c.mp4"
    write_clip(clip, 64, 48, frames=4, fps=10, audio=False)
    out = tmp_path / "out"
    proc = run_cli("batch", shots / "*", clip, "--sequences", "--sequence-fps", "25", "--preset", "tiny-fast",
                   "--presets-dir", presets, "-o", out, "-q")
    assert proc.returncode == 1, proc.stderr
    assert "done 3, skipped 0, failed 1" in proc.stdout, proc.stdout
    assert "album with tiny-fast: " in proc.stderr and "not a video file or an image sequence" in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["c.tiny-fast.mp4", "sh010.v2.tiny-fast.mp4",
                                                     "sh020.tiny-fast.mp4"]
    alone = tmp_path / "alone.mp4"
    proc = run_cli("video", shots / "sh010.v2", "--sequence-fps", "25", "--preset", "tiny-fast", "--presets-dir",
                   presets, "-o", alone, "-q")
    assert proc.returncode == 0, proc.stderr
    for path, count in ((out / "sh010.v2.tiny-fast.mp4", 8), (out / "sh020.tiny-fast.mp4", 6)):
        with av.open(str(path)) as container:
            assert container.streams.video[0].average_rate == 25 and container.streams.video[0].frames == count
    # the batch's workers share the 2 threads out: bf16 sums differ by a level or so from a 2-thread run's
    assert all(np.abs(a - b).mean() < 1 for a, b in zip(painted_of(out / "sh010.v2.tiny-fast.mp4"),
                                                        painted_of(alone)))

    job = tmp_path / "job.toml"
    job.write_text('inputs = ["shots/sh0*"]\npresets = ["tiny-fast"]\nsequences = true\n'
                   '[settings]\nsequence_fps = 25\n')
    assert [p.name for p in load_job(job).inputs] == ["sh010.v2", "sh020"]
    job.write_text('inputs = ["shots/sh0*"]\npresets = ["tiny-fast"]\nsequences = "yes"\n')
    with pytest.raises(UserError, match="sequences in the job file: 'yes' is not true or false"):
        load_job(job)


def painted_of(path: Path) -> list[np.ndarray]:
    """A clip's frames, as float RGB."""
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24").astype(float) for f in container.decode(video=0)]
