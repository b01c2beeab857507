"""A look per shot and over time: [[shot]] tables, transitions, keyframes (vidstyle.settings.looks), on real clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import media, run_cli
from vidstyle.core.errors import UserError
from vidstyle.media.synthetic import join_shots, read_frames
from vidstyle.settings import resolve
from vidstyle.settings.looks import Schedule
from vidstyle.settings.model import Keyframes

SIZE = (96, 54)


def three_shots(tmp_path: Path, n: int = 10) -> tuple[Path, list[int]]:
    """Three real shots joined by hard cuts."""
    shots = [read_frames(media("video/mdn_flower.mp4"), n, SIZE),
             read_frames(media("video/adain_cutBunny.mp4"), n, SIZE, skip=40),
             read_frames(media("video/mdn_stream-of-water.mp4"), n, SIZE)]
    path = tmp_path / "three_shots.mp4"
    return path, join_shots(path, shots, fps=24)


def preset(tmp_path: Path, text: str, name: str = "looks") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


FAST = 'backend = "fast"\nstyle_id = [0]\n'


def frames_of(path: Path) -> np.ndarray:
    import av

    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype(np.float32)


def test_each_shot_gets_its_own_look_and_nothing_else(tmp_path):
    """Shot 2's frames are those of a run with shot 2's look throughout: a look per shot changes nothing else."""
    clip, starts = three_shots(tmp_path)
    cuts = preset(tmp_path, "".join(f"{s}f\n" for s in starts[1:]), "cuts")
    looks = preset(tmp_path, FAST + f'cuts = "{cuts}"\n[[shot]]\nshot = 2\nstyle_id = [12]\n'
                                    '[[shot]]\nshots = [3]\nstyle_id = [19]\n')
    outs = {}
    for name, args in [("looks", ["-p", looks]), ("s0", ["--style-id", "0"]), ("s12", ["--style-id", "12"]),
                       ("s19", ["--style-id", "19"])]:
        outs[name] = tmp_path / f"{name}.mp4"
        proc = run_cli("video", clip, "--backend", "fast", *args, "--cuts", cuts, "--crf", "0", "-o", outs[name],
                       "--quiet")
        assert proc.returncode == 0, proc.stderr
    got = {k: frames_of(v) for k, v in outs.items()}
    bounds = [*starts, len(got["looks"])]
    for shot, ref in enumerate(["s0", "s12", "s19"]):
        part = slice(bounds[shot], bounds[shot + 1])
        same = np.abs(got["looks"][part] - got[ref][part]).mean()
        others = [np.abs(got["looks"][part] - got[o][part]).mean() for o in ("s0", "s12", "s19") if o != ref]
        assert same < 1.0 < min(others), (shot, same, others)


def test_schedule_transition_and_keyframes():
    settings = resolve(None, {"backend": "fast", "style_id": [0], "shot": [
        {"start": "1.0", "style_id": [12], "transition": 4}]})
    schedule = Schedule(settings, settings.looks)
    looks = [schedule.next(i, i / 4, None) for i in range(12)]  # 4 fps: the table starts at frame 4
    shares = [sum(w for w, _, o in look.parts if o.style_id == [12]) for look in looks]
    assert shares[:4] == [0, 0, 0, 0] and shares[8:] == [1, 1, 1, 1]
    assert shares[4:8] == pytest.approx([0.2, 0.4, 0.6, 0.8])
    # At a cut, the new look starts whole.
    schedule = Schedule(settings, settings.looks)
    looks = [schedule.next(i, i / 4, object() if i == 4 else None) for i in range(6)]
    assert [len(look.parts) for look in looks] == [1] * 6
    frames = Keyframes((0.0, 4.5), (1.0, 0.3))
    assert frames.at(-1) == 1.0 and frames.at(9) == 0.3 and frames.at(2.25) == pytest.approx(0.65)


def test_keyframed_alpha_reaches_the_stylizer(tmp_path):
    settings = resolve(str(preset(tmp_path, 'style = [{ builtin = "strokes" }]\nalpha = { "0" = 1.0, "2" = 0.0 }\n')))
    schedule = Schedule(settings, settings.looks)
    alphas = [schedule.next(i, i * 0.5, None).mean(lambda c, o: o.alpha) for i in range(6)]
    assert alphas == pytest.approx([1.0, 0.75, 0.5, 0.25, 0.0, 0.0])


@pytest.mark.parametrize("text, message", [
    ('[[shot]]\nshot = 1\nmax_size = 64\n', r"\[\[shot\]\] 1 \(preset looks\): max_size cannot change within a clip"),
    ('[[shot]]\nshot = 1\nbackend = "adain"\n', r"\[\[shot\]\] 1 .*backend cannot change within a clip"),
    ('[[shot]]\nshot = 1\nstyle_id = [3]\n[[shot]]\nshots = [2, 1]\nstyle_id = [4]\n',
     r"\[\[shot\]\] 2 \(preset looks\) selects shot 1, which \[\[shot\]\] 1 \(preset looks\) also selects"),
    ('[[shot]]\nstart = 1\nend = 3\nstyle_id = [3]\n[[shot]]\nstart = "0:02"\nstyle_id = [4]\n',
     r"\[\[shot\]\] 2 .*, 2 s to the end, overlaps \[\[shot\]\] 1 .*, 1 s to 3 s"),
    ('temporal_weight = { "0:02" = 1.0, "0:01" = 2.0 }\n', r"temporal_weight keyframe '0:01' is not after"),
    ('[[shot]]\nshot = 1\nstyle_id = [30]\n', r"\[\[shot\]\] 1 .*style_id 30 is out of range 0..25"),
    ('[[shot]]\nstyle_id = [3]\n', r"\[\[shot\]\] 1 .*selects nothing"),
    ('[[shot]]\nshot = 0\nstyle_id = [3]\n', r"shot numbers are whole numbers from 1"),
    ('max_size = { "0" = 64 }\n', r"max_size cannot change within a clip"),
    ('[[shot]]\nshot = 1\nalpha = 0.5\n',
     r"\[\[shot\]\] 1 .*alpha is not a setting of the fast backend \(it is adain's\)"),
])
def test_bad_tables_are_one_line(tmp_path, text, message):
    with pytest.raises(UserError, match=message):
        resolve(str(preset(tmp_path, FAST + text)))


@pytest.mark.parametrize("text, message", [
    ('[[shot]]\nshot = 4\nstyle_id = [3]\n', r"\[\[shot\]\] 1 .* selects shot 4, but the clip has 3 shots"),
    ('[[shot]]\nstart = "0:09"\nstyle_id = [3]\n', r"start 9 s is past the end of the clip"),
    ('style_weights = { "0" = [1.0], "0:20" = [1.0] }\n', r"style_weights keyframe at 20 s is past the end"),
    ('[[shot]]\nshot = 2\nstyle_id = [3]\n[[shot]]\nstart = "0:00.5"\nend = "0:00.6"\nstyle_id = [4]\n',
     r"\[\[shot\]\] 2 .* and \[\[shot\]\] 1 .* both select frame 12 \(0.500 s, shot 2\)"),
])
def test_tables_that_do_not_fit_the_clip_fail_before_any_work(tmp_path, text, message):
    clip, starts = three_shots(tmp_path, n=8)
    out = tmp_path / "out.mp4"
    proc = run_cli("video", clip, "-p", preset(tmp_path, FAST + text), "-o", out, "--quiet")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and __import__("re").search(message, lines[0]), proc.stderr
    assert {p.name for p in tmp_path.iterdir()} == {"three_shots.mp4", "looks.toml"}  # nothing written


def test_presets_show_prints_the_plan_against_a_clip(tmp_path):
    clip, starts = three_shots(tmp_path, n=8)
    looks = preset(tmp_path, FAST + '[[shot]]\nshot = 2\nstyle_id = [12]\n'
                                    '[[shot]]\nstart = "0:00.7"\nend = "0:00.9"\nstyle_id = [19]\ntransition = 2\n')
    proc = run_cli("presets", "show", looks, "--clip", clip)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "3 shots" in out and "[[shot]] 1" in out and "[[shot]] 2" in out and "transition" in out, out


def test_a_killed_job_resumes_mid_transition_to_the_same_frames(tmp_path, style_png):
    """The look of each frame, and the style statistics it was painted with, survive a kill."""
    import vidstyle.jobs.pipeline as job
    from conftest import raising_on_call, style_file
    from vidstyle.jobs.run import run_video
    from vidstyle.media.synthetic import style_image, write_clip

    clip = tmp_path / "c.mp4"
    write_clip(clip, 96, 64, frames=20, fps=10, audio=True)
    other = style_file(style_image(96, seed=7))
    looks = preset(tmp_path, f'style = ["{style_png}"]\nstyle_size = 64\nmax_size = 64\ncheckpoint_every = 4\n'
                   'cuts = "off"\nalpha = { "0" = 1.0, "1.9" = 0.5 }\n'
                   f'[[shot]]\nstart = "1.0"\nstyle = ["{other}"]\npreserve_color = true\ntransition = 6\n')
    settings = resolve(str(looks))
    whole = run_video(clip, tmp_path / "whole.mp4", settings, quiet=True)
    assert whole.stylized == 20
    with pytest.raises(KeyboardInterrupt), raising_on_call(job.CarryBlender, "__call__", 14, KeyboardInterrupt):
        run_video(clip, tmp_path / "again.mp4", settings, quiet=True)
    resumed = run_video(clip, tmp_path / "again.mp4", settings, quiet=True)
    assert resumed.resumed_from == 12  # inside the transition (frames 10-15)
    a, b = frames_of(tmp_path / "whole.mp4"), frames_of(tmp_path / "again.mp4")
    assert a.shape == b.shape and np.array_equal(a, b)
    assert np.abs(a[9] - a[19]).mean() > 10  # the look did change


def test_each_backend_mixes_what_it_paints_with():
    """A transition's look: AdaIN mixes the style statistics, iterative the Gram targets, fast the style weights."""
    import dataclasses

    from conftest import style_file
    from vidstyle.backends.base import Look
    from vidstyle.media.synthetic import scene, style_image

    a, b = style_file(style_image(64, seed=1)), style_file(style_image(64, seed=7))
    frame = scene(48, 32, 0.0)
    for backend, extra in [("adain", {"style_size": 64}), ("iterative", {"iterations": 1, "scales": 1})]:
        settings = resolve(None, {"backend": backend, "style": [a], **extra})
        stylizer = settings.build()
        common_b = dataclasses.replace(settings.common, style=[b])
        look = Look(((0.25, settings.common, settings.options), (0.75, common_b, settings.options)), 0.0)

        def target(look: Look):
            stylizer.set_look(look)
            if backend == "adain":
                return stylizer._targets(frame)[:2]
            return tuple(stylizer._style_targets(32, 48).values())

        mixed = target(look)
        only_a = target(Look.of(settings.common, settings.options, 0.0))
        only_b = target(Look.of(common_b, settings.options, 0.0))
        for m, x, y in zip(mixed, only_a, only_b, strict=True):
            assert np.allclose(m, 0.25 * x + 0.75 * y, atol=1e-5), backend
            assert not np.allclose(x, y)
    settings = resolve(None, {"backend": "fast", "style_id": [3]})
    stylizer = settings.build()
    other = dataclasses.replace(settings.options, style_id=[12])
    stylizer.set_look(Look(((0.25, settings.common, settings.options), (0.75, settings.common, other)), 0.0))
    assert stylizer.weights[3] == pytest.approx(0.25) and stylizer.weights[12] == pytest.approx(0.75)


def test_a_job_file_tables_replace_the_presets_and_name_files_beside_it(tmp_path):
    from vidstyle.scale.batch import JOB_SETTINGS, load_job

    (tmp_path / "looks").mkdir()
    (tmp_path / "looks" / "wave.png").write_bytes(b"")  # only its path is read here
    job = tmp_path / "looks" / "job.toml"
    job.write_text('inputs = ["a.mp4"]\npresets = ["example-shots"]\n[[shot]]\nshot = 2\nbackend_free = 1\n')
    with pytest.raises(UserError, match=r"\[\[shot\]\] 1 \(the batch's settings\): backend_free is not a known"):
        resolve("example-shots", load_job(job).settings, origin=JOB_SETTINGS)
    job.write_text('inputs = ["a.mp4"]\npresets = ["example-shots"]\n[[shot]]\nshot = 3\nbackend = "adain"\n'
                   'style = ["wave.png"]\n')
    with pytest.raises(UserError, match="backend cannot change within a clip"):
        resolve("example-shots", load_job(job).settings, origin=JOB_SETTINGS)
    job.write_text('inputs = ["a.mp4"]\npresets = ["example-shots"]\n[[shot]]\nshot = 3\nstyle_id = [7]\n')
    settings = resolve("example-shots", load_job(job).settings, origin=JOB_SETTINGS)
    assert [(r.shots, r.settings.options.style_id) for r in settings.looks.rules] == [((3,), [7])]
    settings = resolve(str(preset(tmp_path, 'style = ["looks/wave.png"]\n[[shot]]\nshot = 2\nstyle = ["x.png"]\n')))
    assert settings.looks.rules[0].settings.common.style == [tmp_path / "x.png"]
