"""Backends are described once: a new one is one module plus one registry line, and appears everywhere."""

from __future__ import annotations

import os
import re
from pathlib import Path

import av
import numpy as np
import pytest

from conftest import ROOT, run_cli
from vidstyle import backends
from vidstyle.backends.base import style_image

# The test backend (tests/invert_backend.py), registered as a user's plugin would be.
PLUGIN = {"VIDSTYLE_BACKENDS": "invert_backend",
          "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}


def frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def test_a_new_backend_appears_in_help_presets_and_batch(tmp_path, clip):
    help_text = run_cli("video", "--help", env=PLUGIN).stdout
    # the backend among the choices, its own option named under the panels (the epilog)
    assert "adain, fast, iterative, invert" in help_text and "invert: --strength" in help_text
    assert "invert" not in run_cli("video", "--help").stdout  # only where registered

    out = tmp_path / "inverted.mp4"
    proc = run_cli("video", clip, "--backend", "invert", "-o", out, "-q", env=PLUGIN)
    assert proc.returncode == 0, proc.stderr
    for src, got in zip(frames(clip), frames(out), strict=True):
        assert np.abs((255 - src.astype(int)) - got).mean() < 4  # inverted, within encoder noise

    presets = tmp_path / "presets"
    presets.mkdir()
    (presets / "half-invert.toml").write_text('description = "half way"\nbackend = "invert"\nstrength = 0.5\n')
    listed = run_cli("presets", "list", "--presets-dir", presets, env=PLUGIN).stdout
    assert re.search(r"half-invert\s+invert\s+half way", listed)
    assert "# strength = 0.5" in run_cli("presets", "show", "half-invert", "--presets-dir", presets, env=PLUGIN).stdout

    proc = run_cli("batch", clip, "--preset", "half-invert", "--presets-dir", presets, "-o", tmp_path / "b", "-q",
                   env=PLUGIN)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert all(abs(float(f.mean()) - 127.5) < 3 for f in frames(tmp_path / "b" / "moving.half-invert.mp4"))

    bad = run_cli("video", clip, "--backend", "invert", "--strength", "2", "-o", tmp_path / "x.mp4", env=PLUGIN)
    assert bad.returncode == 2 and bad.stderr.strip() == \
        "vidstyle: error: strength 2.0 is above the maximum 1.0 (--strength)"
    assert not (tmp_path / "x.mp4").exists()


def test_an_unloadable_plugin_is_one_line(tmp_path, clip):
    proc = run_cli("presets", "list", env={"VIDSTYLE_BACKENDS": "no_such_module"})
    assert proc.returncode == 2 and "cannot load a backend from 'no_such_module'" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_backend_names_are_branched_on_nowhere_else():
    """Only a backend's own package (vidstyle/backends/NAME/) and the registry name it as a string."""
    for name in backends.names():
        quoted = re.compile(rf"""["']{name}["']|backend\s*(==|!=)""")
        for path in (ROOT / "vidstyle").rglob("*.py"):
            rel = path.relative_to(ROOT / "vidstyle").as_posix()
            if rel.startswith(f"backends/{name}/") or rel == "backends/__init__.py":
                continue
            hits = [line for line in path.read_text().splitlines() if quoted.search(line)]
            assert not hits, (rel, hits)


@pytest.mark.parametrize("flags,expect", [
    (["--alpha", "0.5", "--backend", "fast"], None),  # another backend's setting: a warning, not an error
    (["--style-weights", "a,b"], "style_weights must be float values separated by commas, got 'a,b' "
                                 "(--style-weights)"),
    (["--optimizer", "sgd", "--backend", "iterative"], "optimizer 'sgd' is not one of lbfgs, adam (--optimizer)"),
    (["--device", "tpu"], "device 'tpu' is not one of auto, cpu, cuda, mps (--device)"),
    (["--backend", "oil"], "backend 'oil' is not one of adain, fast, iterative (--backend)"),
])
def test_setting_errors_name_the_flag(tmp_path, clip, style_png, flags, expect):
    style = [] if "fast" in flags else ["-s", style_png]
    proc = run_cli("video", clip, *style, "-o", tmp_path / "o.mp4", "-q", "--max-size", "32", *flags)
    if expect is None:
        assert proc.returncode == 0, proc.stderr
        assert "--alpha does not apply to the fast backend; ignored" in proc.stderr
    else:
        assert proc.returncode == 2 and proc.stderr.strip() == f"vidstyle: error: {expect}", proc.stderr
        assert not (tmp_path / "o.mp4").exists()


def test_a_style_with_transparent_parts_is_taken_on_white(tmp_path):
    """A brush-stroke PNG on a transparent background: the hidden colour under the transparency (black here) is
    not the painting's, and it filled the style's statistics; it is taken as white paper, as viewers show it."""
    from PIL import Image

    rgba = np.zeros((64, 64, 4), np.uint8)  # transparent black
    rgba[16:48, 16:48] = (200, 40, 40, 255)  # an opaque stroke
    rgba[:, :8, 3] = 128  # a half-transparent band over black
    Image.fromarray(rgba).save(tmp_path / "stroke.png")
    style = style_image(tmp_path / "stroke.png")
    assert tuple(style[32, 32]) == (200, 40, 40) and tuple(style[60, 60]) == (255, 255, 255)
    assert tuple(style[60, 2]) == (127, 127, 127)  # half black, half white
