"""The iterative backend with the real VGG weights, at tiny sizes and few iterations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import raising_on_call, run_cli, style_file
from vidstyle.backends.iterative.options import IterativeOptions
from vidstyle.backends.iterative.stylizer import IterativeStylizer, _clamp_back, _yiq
from vidstyle.core.errors import UserError
from vidstyle.core.options import CommonOptions
from vidstyle.media.synthetic import scene, style_image, write_clip
from vidstyle.settings import resolve
from vidstyle.backends.base import stylize_image


def make(temporal: float = 0.0, preserve_color: bool = False, **kw) -> IterativeStylizer:
    options = IterativeOptions(**{"iterations": 30, "scales": 2, "min_scale": 32, "tolerance": 0, **kw})
    common = CommonOptions(style=[style_file(style_image(96))], preserve_color=preserve_color)
    return IterativeStylizer(common, options, temporal, torch.device("cpu"))


def test_style_loss_falls_from_the_content_start():
    content = scene(64, 48, 0.0)
    z = make()
    start = z.measure(content, content)
    out = (stylize_image(z, content) * 255 + 0.5).astype(np.uint8)
    end = z.measure(out, content)
    assert start.content < 1e-6 < end.content
    assert end.style < start.style / 5, (start, end)


def test_clamped_pixels_get_the_gradient_that_brings_them_back():
    """Forward the saved image (clamped); backward, an out-of-range pixel gets its gradient only when descent
    moves it back into range (the stuck pixels of a plain clamp come back; none is pushed further out)."""
    x = torch.tensor([-0.5, -0.5, 0.25, 1.5, 1.5], requires_grad=True)
    y = _clamp_back(x)
    assert y.tolist() == [0.0, 0.0, 0.25, 1.0, 1.0]
    (y * torch.tensor([-1.0, 1.0, 2.0, 3.0, -3.0])).sum().backward()
    assert x.grad.tolist() == [-1.0, 0.0, 2.0, 3.0, 0.0]


def test_same_seed_same_output_and_another_seed_differs():
    content = scene(48, 32, 0.0)
    a = stylize_image(make(init="noise", seed=3, iterations=5), content)
    b = stylize_image(make(init="noise", seed=3, iterations=5), content)
    c = stylize_image(make(init="noise", seed=4, iterations=5), content)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_preserve_color_keeps_the_content_chroma():
    content = scene(48, 32, 0.0)
    out = stylize_image(make(preserve_color=True, iterations=10), content)
    to = lambda x: _yiq(torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)[None].float())  # noqa: E731
    before, after = to(content / 255.0), to(out)
    inside = (after[:, 0] > 0.05) & (after[:, 0] < 0.95)  # where clamping to [0,1] did not bite
    assert (after[:, 1:] - before[:, 1:]).abs().amax(1)[inside].mean() < 0.02
    assert (after[:, 0] - before[:, 0]).abs().mean() > 0.02  # the luminance was stylized


def test_adam_and_early_stop():
    content = scene(48, 32, 0.0)
    z = make(optimizer="adam", iterations=200, tolerance=0.05, scales=1)
    stylize_image(z, content)
    assert 5 < z.last_iterations < 200  # stopped once the loss changed by < 5% over 5 iterations


def test_bad_options_are_user_errors():
    base = {"backend": "iterative", "style": ["s.png"]}
    with pytest.raises(UserError, match="optimizer 'sgd' is not one of lbfgs, adam"):
        resolve(None, {**base, "optimizer": "sgd"})
    with pytest.raises(UserError, match=r"style_layers 'relu9_9' is not a VGG layer.*\(preset p\)"):
        resolve(None, {**base, "style_layers": ["relu9_9"]}, origin="preset p")
    with pytest.raises(UserError, match="iterations must be a whole number"):
        resolve(None, {**base, "iterations": "many"})


def test_warm_start_starts_close_and_temporal_loss_is_used(tmp_path):
    from vidstyle.flow import make_estimator
    from vidstyle.temporal.motion import estimate_motion

    z = make(temporal=100.0, iterations=20, iterations_later=8)
    f0, f1 = scene(64, 48, 0.0), scene(64, 48, 0.1)
    stylize_image(z, f0)
    first = z.last
    stylize_image(z, f1, estimate_motion(make_estimator("dis"), f0, f1))
    assert z.last_iterations == 8 and z.last.temporal > 0
    assert z.last.style < first.style * 2  # 8 warm iterations land near the 20 of the first frame


def test_a_still_scene_stays_still_and_skips_its_optimisation():
    """Frames that do not change: after the first, the output holds (no descent goes on painting it)."""
    from vidstyle.flow import make_estimator
    from vidstyle.temporal.motion import estimate_motion

    z = make(temporal=100.0, iterations=20, iterations_later=8)
    still = scene(64, 48, 0.0)
    motion = estimate_motion(make_estimator("dis"), still, still)
    outs = [stylize_image(z, still, motion if i else None) for i in range(4)]
    assert z.last_iterations == 0
    assert max(np.abs(b - a).mean() for a, b in zip(outs[1:], outs[2:])) < 0.5 / 255
    moving = make(temporal=100.0, iterations=20, iterations_later=8, hold=0)  # as before the hold: it drifts on
    outs = [stylize_image(moving, still, motion if i else None) for i in range(4)]
    assert moving.last_iterations == 8 and np.abs(outs[3] - outs[1]).mean() > 1 / 255


def test_long_term_terms_weight_only_what_nearer_frames_do_not_see():
    """Ruder et al.: frame t-2's output counts only where frame t-1 is unreliable and t-2 reliable."""
    from vidstyle.temporal.motion import Motion

    z = make(temporal=100.0, long_term=[1, 2, 4])
    f = scene(64, 48, 0.0)
    for _ in range(3):
        z._earlier.append(torch.rand(1, 3, 48, 64))
    zero = np.zeros((48, 64, 2), np.float32)
    near = np.ones((48, 64), np.float32)
    near[:, :20] = 0.0  # an occluder over the left in frame t-1
    two = np.ones((48, 64), np.float32)
    two[:, :10] = 0.0  # and over its left half in frame t-2 too
    motion = Motion(zero, near, earlier={2: Motion(zero, two), 4: Motion(zero, np.ones((48, 64), np.float32))})
    conf = torch.from_numpy(near)[None, None]
    targets = z._long_term_targets(motion, conf, 48, 64)
    assert len(targets) == 1  # frame t-4 is not kept yet (three earlier outputs): only t-2's term
    weight = targets[0][1][0, 0].numpy()
    assert weight[:, 10:20].min() == 1 and weight[:, :10].max() == 0 and weight[:, 20:].max() == 0
    z._earlier.append(torch.rand(1, 3, 48, 64))
    targets = z._long_term_targets(motion, conf, 48, 64)
    assert len(targets) == 2 and targets[1][1][0, 0, :, :10].min() == 1  # t-4 fills what t-1 and t-2 miss
    assert f.shape == (48, 64, 3)


@pytest.mark.parametrize("long_term", [[1], [1, 2, 4]])
def test_video_cli_resumes_a_killed_iterative_run(tmp_path, style_png, long_term):
    from vidstyle.jobs.run import run_video

    clip = tmp_path / "c.mp4"
    write_clip(clip, 64, 48, frames=5, fps=5, audio=True)
    settings = resolve(None, {"backend": "iterative", "style": [style_png], "iterations": 6, "iterations_later": 3,
                              "scales": 1, "long_term": long_term})
    whole = run_video(clip, tmp_path / "whole.mp4", settings, quiet=True)
    assert whole.stylized == 5

    with pytest.raises(KeyboardInterrupt), raising_on_call(IterativeStylizer, "stylize", 4, KeyboardInterrupt):
        run_video(clip, tmp_path / "again.mp4", settings, quiet=True)
    resumed = run_video(clip, tmp_path / "again.mp4", settings, quiet=True)
    assert resumed.resumed_from == 3 and resumed.stylized == 2  # every frame is checkpointed by default

    import av

    def frames(p):
        with av.open(str(p)) as c:
            return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]

    assert all(np.array_equal(a, b) for a, b in zip(frames(tmp_path / "whole.mp4"), frames(tmp_path / "again.mp4"),
                                                     strict=True))


def test_multi_pass_changes_the_frames_and_resumes_mid_pass(tmp_path, style_png):
    """Passes after the first rewrite the kept frames (backward, then forward); a job killed during one goes on
    from the frame it was at and ends with the same file as an uninterrupted job."""
    import av

    from vidstyle.jobs.run import run_video

    clip = tmp_path / "c.mp4"
    write_clip(clip, 64, 48, frames=6, fps=6, audio=True)
    base = {"backend": "iterative", "style": [style_png], "iterations": 6, "iterations_later": 3, "scales": 1,
            "pass_iterations": 3, "cuts": "off"}

    def frames(p):
        with av.open(str(p)) as c:
            return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]

    one = run_video(clip, tmp_path / "one.mp4", resolve(None, base), quiet=True)
    settings = resolve(None, {**base, "passes": 3})
    whole = run_video(clip, tmp_path / "whole.mp4", settings, quiet=True)
    assert one.frames == whole.frames == 6 and whole.stylized == 6
    diffs = [np.abs(a.astype(int) - b).mean() for a, b in zip(frames(tmp_path / "one.mp4"), frames(tmp_path /
                                                                                                    "whole.mp4"))]
    assert diffs[0] > 0.5 and diffs[-1] > 0.5  # the backward pass reaches the first frame, the forward the last

    with pytest.raises(KeyboardInterrupt), raising_on_call(IterativeStylizer, "refine", 7, KeyboardInterrupt):
        run_video(clip, tmp_path / "again.mp4", settings, quiet=True)  # in pass 3: pass 2 refines 5 frames
    assert not (tmp_path / "again.mp4").exists()
    resumed = run_video(clip, tmp_path / "again.mp4", settings, quiet=True)
    assert resumed.stylized == 0 and resumed.frames == 6
    assert all(np.array_equal(a, b) for a, b in zip(frames(tmp_path / "whole.mp4"), frames(tmp_path / "again.mp4"),
                                                     strict=True))
    proc = run_cli("video", clip, "-s", style_png, "--backend", "iterative", "--passes", "0", "-o", tmp_path / "x.mp4")
    assert proc.returncode == 2 and "passes" in proc.stderr


def test_image_cli_iterative(tmp_path, style_png):
    from PIL import Image

    photo = tmp_path / "p.png"
    Image.fromarray(scene(60, 40, 0.0)).save(photo)
    out = tmp_path / "o.png"
    proc = run_cli("image", photo, "--backend", "iterative", "-s", style_png, "--iterations", "4", "--scales", "1",
                   "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert Image.open(out).size == (60, 40)
