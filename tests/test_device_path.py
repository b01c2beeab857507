"""The frame path on the network's device: what a GPU runs is run here, on the CPU, and gives the CPU's frames.

The temporal terms are written once in vidstyle.temporal.filters' operations; a GPU runs torch's, the CPU
OpenCV's. `TORCH_ON_CPU` makes the CPU run torch's, so the code a GPU runs is tested where CI runs.
"""

from __future__ import annotations

import av
import cv2
import numpy as np
import pytest
import torch

from vidstyle.core.tensors import to_bytes
from vidstyle.flow import make_estimator
from vidstyle.jobs.metrics import warping_error
from vidstyle.jobs.run import run_video
from vidstyle.media.synthetic import scene, write_clip
from vidstyle.settings import resolve
from vidstyle.temporal import filters


@pytest.mark.parametrize("backend", ["adain", "fast"])
def test_a_job_on_the_gpus_code_makes_the_cpus_frames(tmp_path, monkeypatch, style_png, backend):
    """A whole job (flow, feature and output terms, brightness, 8 bits) with the GPU's operations on the CPU:
    its frames (PNGs, so that no encoder stands between) and their warping error are the CPU code's."""
    src = tmp_path / "pan.mp4"
    write_clip(src, 160, 96, frames=16, fps=16)
    styles = {"style": [style_png]} if backend == "adain" else {"style_id": [19]}
    settings = resolve(None, {"backend": backend, "cuts": "off", **styles})
    outputs = {}
    for name, torch_on_cpu in (("cpu", False), ("gpu_code", True)):
        monkeypatch.setattr(filters, "TORCH_ON_CPU", torch_on_cpu)
        (tmp_path / name).mkdir()
        run_video(src, tmp_path / name / "f_%04d.png", settings, quiet=True, resume=False)
        outputs[name] = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
                         for p in sorted((tmp_path / name).glob("f_*.png"))]
    cpu, gpu_code = outputs["cpu"], outputs["gpu_code"]
    assert len(cpu) == len(gpu_code) == 16
    # measured: 0.10 (adain) and 0.17 (fast) levels of 255 on average, the borders' handling and OpenCV's
    # fixed-point warp positions; not growing from frame to frame
    assert np.mean([np.abs(a.astype(int) - b).mean() for a, b in zip(cpu, gpu_code)]) < 0.4
    with av.open(str(src)) as c:
        source = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    est = make_estimator("dis")

    def error(out: list[np.ndarray]) -> float:
        return float(np.mean([warping_error(source[i], source[i + 1], out[i], out[i + 1], est) for i in range(15)]))

    assert abs(error(gpu_code) / error(cpu) - 1) < 0.03


def test_to_bytes_rounds_as_opencv_on_every_device():
    x = torch.tensor([0.0, 0.1, 0.25, 0.333, 0.5, 0.75, 0.9, 1.0, 1.2]).view(1, 1, 3, 3)
    x = x.expand(1, 3, 3, 3).contiguous(memory_format=torch.channels_last)
    expected = cv2.convertScaleAbs(x[0].permute(1, 2, 0).contiguous().numpy(), alpha=255.0)
    assert np.array_equal(to_bytes(x), expected)
    assert np.array_equal(to_bytes(x.to(torch.float64)), expected)  # the torch path, as a GPU runs it


def test_a_picture_uploaded_and_stylized_stays_on_its_device():
    from vidstyle.core.tensors import to_tensor

    settings = resolve(None, {"backend": "fast", "style_id": [3]})
    stylizer = settings.build(0.0, torch.device("cpu"))
    picture = to_tensor(scene(64, 48, 0.0), stylizer.device)
    out = stylizer.stylize(picture)
    assert out.device == picture.device and out.shape == picture.shape
    assert 0 <= float(out.min()) <= float(out.max()) <= 1
