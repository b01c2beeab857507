"""The fast backend: the PyTorch port of multistyle26 against onnxruntime, blends, the contact sheet, video."""

from __future__ import annotations

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from conftest import MEDIA, moving_bar, run_cli
from vidstyle.backends.fast.options import FastOptions
from vidstyle.backends.fast.stylizer import FastStylizer, contact_sheet, style_vector
from vidstyle.core.errors import UserError
from vidstyle.core.options import CommonOptions
from vidstyle.media.images import load_image
from vidstyle.media.synthetic import read_frames, scene, write_frames
from vidstyle.nets.multistyle import load_multistyle, onnx_path
from vidstyle.settings import resolve
from vidstyle.backends.base import stylize_image


def photo() -> np.ndarray:
    path = MEDIA / "content" / "imageio_chelsea.png"
    rgb = load_image(path).rgb if path.exists() else scene(300, 200, 0.0)
    return cv2.resize(rgb, (256, 172), interpolation=cv2.INTER_AREA)


def test_port_matches_onnxruntime():
    ort = pytest.importorskip("onnxruntime")
    x = photo().transpose(2, 0, 1)[None].astype(np.float32) / 255
    w = style_vector((3, 19), (0.3, 0.7)).numpy()
    session = ort.InferenceSession(str(onnx_path()), providers=["CPUExecutionProvider"])
    ref = session.run(None, {"image": x, "style_weights": w})[0]
    with torch.inference_mode():
        ours = load_multistyle()(torch.from_numpy(x), torch.from_numpy(w)).numpy()
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() < 1e-4


def test_the_onnx_weights_are_read_once_and_then_from_the_cache(tmp_path, monkeypatch):
    """Reading the ONNX file needs the onnx package, 0.7 s to import: its weights are kept in the cache after the
    first read, the same tensors; a damaged cached copy is read past and written again."""
    monkeypatch.setenv("VIDSTYLE_CACHE", str(tmp_path))
    first = load_multistyle().state_dict()
    cached = list((tmp_path / "weights").glob("multistyle26-*.pt"))
    assert len(cached) == 1
    again = load_multistyle().state_dict()
    assert first.keys() == again.keys() and all(torch.equal(first[k], again[k]) for k in first)
    cached[0].write_bytes(b"damaged")
    assert torch.equal(load_multistyle().state_dict()["contract.0.w"], first["contract.0.w"])
    assert cached[0].stat().st_size > 100_000  # written again


def test_the_decoders_half_size_forms_are_the_plain_layers_with_their_gradients():
    """The upsampling and last layers run as convolutions at half size (ConvLayer): same values and weight
    gradients as upsample + reflect pad + conv, and reflect pad + 9x9 conv, in training's batches too."""
    import torch.nn.functional as F

    from vidstyle.nets.multistyle import ConvLayer

    def upsampled(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.pad(F.interpolate(x, scale_factor=2, mode="nearest"), (1,) * 4, mode="reflect"), w)

    torch.manual_seed(0)
    for layer, plain, size in (
            (ConvLayer(6, 5, 3, 1, upsample=True), upsampled, (10, 14)),
            (ConvLayer(5, 3, 9, 1, space_to_depth=True),
             lambda x, w: F.conv2d(F.pad(x, (4,) * 4, mode="reflect"), w), (20, 28))):
        x = torch.rand(2, layer.w.shape[1], *size)
        ours = layer(x, torch.ones(1))
        ref = layer.norm(plain(x, layer.w), torch.ones(1))
        assert ours.shape == ref.shape
        assert (ours - ref).abs().max() < 1e-4
        probe = torch.rand_like(ref)
        (g_ours,) = torch.autograd.grad((ours * probe).sum(), layer.w)
        (g_ref,) = torch.autograd.grad((ref * probe).sum(), layer.w)
        assert (g_ours - g_ref).abs().max() < 1e-2 * g_ref.abs().max()  # float32 sums in another order
        with torch.no_grad():  # the form's weight is kept between frames, and made again after a training step
            layer(x, torch.ones(1))
            layer.w.add_(torch.randn_like(layer.w))
            assert (layer(x, torch.ones(1)) - layer.norm(plain(x, layer.w), torch.ones(1))).abs().max() < 1e-4


def test_style_vector_blends_and_checks():
    v = style_vector((3, 19), (0.3, 0.7))
    assert abs(float(v.sum()) - 1) < 1e-6 and abs(float(v[19]) - 0.7) < 1e-6
    with pytest.raises(UserError, match=r"style_id 26 is out of range 0..25 \(--style-id\)"):
        resolve(None, {"style_id": [26]}, origin=lambda k: "--" + k.replace("_", "-"))
    with pytest.raises(UserError, match="style_weights has 1 values for 2 style ids"):
        resolve(None, {"style_id": [1, 2], "style_weights": [1.0]})


def test_odd_sizes_and_distinct_styles():
    img = scene(101, 67, 0.0)
    fp32 = CommonOptions(precision="fp32")
    a = stylize_image(FastStylizer(fp32, FastOptions([1]), 0.0, torch.device("cpu")), img)
    b = stylize_image(FastStylizer(fp32, FastOptions([17]), 0.0, torch.device("cpu")), img)
    assert a.shape == (67, 101, 3)
    assert np.abs(a - b).mean() > 0.05


def test_contact_sheet_has_every_style():
    img = scene(40, 32, 0.0)
    sheet = contact_sheet(img, FastStylizer(CommonOptions(), FastOptions(), 0.0, torch.device("cpu")), columns=7)
    assert sheet.shape == (4 * 32, 7 * 40, 3)  # the photo and 26 styles, in rows of 7


def test_fast_video_cli(tmp_path, clip):
    out = tmp_path / "fast.mp4"
    proc = run_cli("video", clip, "--backend", "fast", "--style-id", "3", "--style-id", "19",
                   "--style-weights", "0.3,0.7", "-o", out, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 0
    proc = run_cli("video", clip, "--backend", "fast", "--style-id", "40", "-o", tmp_path / "bad.mp4", "--quiet")
    assert proc.returncode == 2 and "style_id 40 is out of range 0..25 (--style-id)" in proc.stderr


def test_no_trail_behind_an_object_passing_a_plain_wall(tmp_path):
    """The temporal term leaves the plain background around a moving bar as the network paints it, frame by frame
    (temporal off), instead of dragging the bar's painted halo along as a trail: the texture check (without it,
    10-28 levels apart in the two windows by frame 23; with it, under 5)."""
    frames, lefts = moving_bar(320, 180, 24, 6)
    write_frames(tmp_path / "bar.mp4", frames, options={"crf": "10"})
    outs = {}
    for name, weight in (("on", []), ("off", ["--temporal-weight", "0"])):
        proc = run_cli("video", tmp_path / "bar.mp4", "--backend", "fast", "--cuts", "off", "-q", *weight,
                       "-o", tmp_path / f"{name}.mp4")
        assert proc.returncode == 0, proc.stderr
        outs[name] = read_frames(tmp_path / f"{name}.mp4", 24, (320, 180))
    for i in range(12, 24):
        x = lefts[i]
        diff = np.abs(outs["on"][i].astype(np.float32) - outs["off"][i]).mean(-1)
        assert diff[50:130, x - 44:x - 20].mean() < 5, i  # behind the bar
        assert diff[50:130, x + 40:x + 64].mean() < 6, i  # ahead of it


def test_onnxruntime_path_paints_as_the_port():
    """vidstyle's onnxruntime session (vidstyle.backends.fast.onnx) against the PyTorch port, both in float32."""
    frame = scene(160, 96, 0.3)
    fp32, cpu = CommonOptions(precision="fp32"), torch.device("cpu")
    outs = {}
    for runtime in ("torch", "onnxruntime"):
        stylizer = FastStylizer(fp32, FastOptions([5], runtime=runtime), 1.6, cpu)
        assert (stylizer.onnx is not None) == (runtime == "onnxruntime")
        outs[runtime] = stylize_image(stylizer, frame)
    assert np.abs(outs["torch"] - outs["onnxruntime"]).max() < 2e-3


def test_auto_runtime_is_onnxruntime_where_torch_would_run_float32():
    from vidstyle.backends.fast.stylizer import use_onnxruntime

    cpu = torch.device("cpu")
    assert use_onnxruntime("auto", cpu, torch.float32)
    assert not use_onnxruntime("auto", cpu, torch.bfloat16)
    assert not use_onnxruntime("torch", cpu, torch.float32)
    assert not use_onnxruntime("auto", torch.device("cuda"), torch.float32)
    with pytest.raises(Exception, match="onnxruntime runs the network on the CPU"):
        use_onnxruntime("onnxruntime", torch.device("cuda"), torch.float16)


def test_a_onednn_cap_below_bf16_makes_auto_float32(monkeypatch):
    """ONEDNN_MAX_CPU_ISA=AVX2 on a bf16 CPU must give the AVX2 path (float32, so onnxruntime), not emulated bf16."""
    from vidstyle.core.device import pick_precision

    cpu = torch.device("cpu")
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    uncapped = pick_precision(cpu)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert pick_precision(cpu) is None
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "avx512_core_amx")  # a cap at or above bf16 changes nothing
    assert pick_precision(cpu) == uncapped


_IDLE_SPIN = """
import os, time
import vidstyle, torch
torch.set_num_threads(2)
x = torch.rand(256, 256)
idle = 0.0
for _ in range(20):
    (x @ x).relu_().sum()
    process, own = time.process_time(), time.thread_time()
    time.sleep(0.02)
    idle += (time.process_time() - process) - (time.thread_time() - own)  # the other threads' CPU while idle
print(1000 * idle / 20, os.environ["GOMP_SPINCOUNT"])
"""


def test_torch_threads_sleep_soon_after_a_parallel_step_unless_the_user_says_otherwise() -> None:
    """vidstyle sets libgomp's spin count before torch loads it: idle, PyTorch's threads leave the CPU to the
    job's other stages (libgomp's default spun 7.8 ms of CPU after each step here; 0.1 with vidstyle's)."""
    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
    ours = subprocess.run([sys.executable, "-c", _IDLE_SPIN], env=env, capture_output=True, text=True, check=True)
    spun, count = ours.stdout.split()
    assert count == "3000" and float(spun) < 2.0, ours.stdout
    theirs = subprocess.run([sys.executable, "-c", _IDLE_SPIN], env={**env, "GOMP_SPINCOUNT": "100000"},
                            capture_output=True, text=True, check=True)
    assert theirs.stdout.split()[1] == "100000"
