"""Feed-forward style transfer: one pass of a small network per frame (the 26 built-in styles, blendable).

Its temporal term is on its output (vidstyle.temporal.carry, run by the video job): the network runs each frame
as a still.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import torch

from vidstyle.backends.base import Look, stylize_image
from vidstyle.core.device import pick_precision
from vidstyle.core.errors import SettingError
from vidstyle.core.tensors import pad_to_multiple
from vidstyle.nets.multistyle import NUM_STYLES, MultiStyleNet, load_model, load_multistyle
from vidstyle.temporal.motion import Motion

if TYPE_CHECKING:
    from vidstyle.backends.fast.options import FastOptions
    from vidstyle.core.options import CommonOptions


def style_vector(ids: list[int] | tuple[int, ...], weights: list[float] | None) -> torch.Tensor:
    """The network's 26-long style mix, normalised to sum to 1 (ids and weights checked with the settings)."""
    vec = torch.zeros(NUM_STYLES)
    for i, w in zip(ids, weights if weights is not None else [1.0] * len(ids)):
        vec[i] += w
    return vec / vec.sum()


@lru_cache(maxsize=4)
def _network(device: str, dtype: torch.dtype) -> MultiStyleNet:
    return load_multistyle().to(device=device, dtype=dtype)


def use_onnxruntime(runtime: str, device: torch.device, dtype: torch.dtype) -> bool:
    """Whether the built-in network runs on onnxruntime: when asked, or with `auto` on a CPU where PyTorch
    runs it in float32 (no native bf16), where onnxruntime's kernels were faster (benchmarks/fast_runtime.py)."""
    if runtime == "onnxruntime":
        if device.type != "cpu":
            raise SettingError("runtime", f"onnxruntime runs the network on the CPU here, not on {device.type}")
        return True
    return runtime == "auto" and device.type == "cpu" and dtype == torch.float32


class FastStylizer:
    """The network runs wholly in the chosen precision rather than under autocast, channels-last throughout:
    autocast's casts around every conv cost more than the bf16 convs saved. A 640x360 frame on a 2-core AMX
    CPU: autocast 165 ms, fp32 105 ms, bf16 40 ms (mean output change 0.006, not visible)."""

    def __init__(self, common: CommonOptions, options: FastOptions, temporal_weight: float,
                 device: torch.device) -> None:
        self.dtype = pick_precision(device, common.precision) or torch.float32
        self.model = options.model
        self.onnx = None
        if self.model is not None:
            self.net = load_model(self.model).to(device=device, dtype=self.dtype)
        elif use_onnxruntime(options.runtime, device, self.dtype):
            from vidstyle.backends.fast.onnx import OnnxFastNet

            self.onnx, self.dtype = OnnxFastNet(torch.get_num_threads()), torch.float32
        else:
            self.net = _network(str(device), self.dtype)
        self.device = device
        self.set_look(Look.of(common, options, temporal_weight))

    def set_look(self, look: Look) -> None:
        """The look's style weights, mixed (a trained model's own styles in equal parts: it cannot change)."""
        self.look = look
        if self.model is not None:
            self.weights = torch.ones(self.net.styles, device=self.device) / self.net.styles
        else:
            self.weights = sum(w * style_vector(o.style_id, c.style_weights) for w, c, o in look.parts).to(self.device)

    @torch.inference_mode()
    def stylize(self, picture: torch.Tensor, motion: Motion | None = None) -> torch.Tensor:
        h, w = picture.shape[-2:]
        # Two stride-2 convs and two x2 upsamples; the 9x9 convolutions' reflection needs 5 px at full size.
        x, padded = pad_to_multiple(picture, 4, minimum=8)
        if self.onnx is not None:
            out = torch.from_numpy(self.onnx.run(x.contiguous().numpy(), self.weights.numpy()))
        else:
            out = self.net.decode(self.net.encode(x.to(self.dtype), self.weights), self.weights)
        return out[:, :, :h, :w].float().clamp_(0, 1)

    def state(self) -> dict:
        return {}  # no state of its own: the temporal term's is the video job's

    def load_state(self, state: dict) -> None:
        pass


def contact_sheet(rgb: np.ndarray, stylizer: FastStylizer, columns: int = 7) -> np.ndarray:
    """The photo, then each built-in style on it, in a grid with each tile's style id written on it."""
    import cv2

    tiles = [rgb]
    common, options = stylizer.look.main()
    for i in range(NUM_STYLES):
        stylizer.set_look(Look.of(common, dataclasses.replace(options, style_id=[i]), 0.0))
        tile = (stylize_image(stylizer, rgb) * 255.0 + 0.5).astype(np.uint8)
        cv2.putText(tile, str(i), (6, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 4, cv2.LINE_AA)
        cv2.putText(tile, str(i), (6, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2, cv2.LINE_AA)
        tiles.append(tile)
    blank = np.full_like(rgb, 255)
    tiles += [blank] * (-len(tiles) % columns)
    rows = [np.concatenate(tiles[r:r + columns], axis=1) for r in range(0, len(tiles), columns)]
    return np.concatenate(rows, axis=0)
