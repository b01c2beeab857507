"""The motion between two frames of a shot, as the temporal terms use it: backward flow and its reliability."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from vidstyle.core.tensors import from_host
from vidstyle.flow import FLOW_SIZE, FlowEstimator, flow_frame_size
from vidstyle.flow.ops import colour_match, reliability, texture_check
from vidstyle.temporal.filters import enlarge, sampling_grid, shrink


@dataclass
class Motion:
    """How frame t relates to frame t-1: backward flow t -> t-1 and its reliability in frame t, at the size the flow
    was computed at (its vectors in that size's pixels), for a frame of `size`. The forms the temporal terms use
    are made from it on their device, once each: at the frame's size (`full`), at another (`sized`: the carried
    term's tracks) and at an activation's (`at`)."""

    flow: np.ndarray  # hxwx2 float32
    confidence: np.ndarray  # hxw float32 in [0,1]
    size: tuple[int, int] | None = None  # the frame's (height, width); None: the flow's own
    # Long-term terms: frame t's motion from frame t-j, for each j > 1 the stylizer reaches back to (flow computed
    # directly between the two frames), where the shot has that frame.
    earlier: dict[int, Motion] = field(default_factory=dict)
    _scaled: dict[object, tuple] = field(default_factory=dict, repr=False)  # derived forms, made once

    def full(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """The flow (1x2xHxW, in the frame's pixels) and confidence (1x1xHxW) at the frame's size, on `device`:
        enlarged there, bilinearly, so a frame's only upload is the flow's size."""
        return self.sized(self.size or self.flow.shape[:2], device)

    def sized(self, size: tuple[int, int], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """The same at another (height, width), the vectors in its pixels."""
        key = (tuple(size), str(device))
        if key not in self._scaled:
            flow = from_host(self.flow).to(device)
            conf = from_host(self.confidence).to(device)
            h, w = self.flow.shape[:2]
            if tuple(size) != (h, w):
                resize = enlarge if size[0] * size[1] > h * w else shrink
                flow = resize(flow, size) * torch.tensor([size[1] / w, size[0] / h], device=device).view(1, 2, 1, 1)
                conf = resize(conf, size)
            self._scaled[key] = (flow, conf)
        return self._scaled[key]

    def at(self, height: int, width: int, padded: tuple[int, int],
           device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """Sampling grid (1xhxwx2, for grid_sample) and confidence (1x1xhxw) for an activation of size h x w."""
        key = ("grid", height, width, *padded, str(device))
        if key not in self._scaled:
            flow, conf = self.cells(height, width, padded, device)
            self._scaled[key] = (sampling_grid(flow), conf)
        return self._scaled[key]

    def cells(self, height: int, width: int, padded: tuple[int, int],
              device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """The flow (1x2xhxw, in cells) and confidence (1x1xhxw) for an activation of size h x w. The activation
        covers the frame padded to `padded` (H', W'), each cell a block of H'/h x W'/w pixels."""
        key = ("cells", height, width, *padded, str(device))
        if key not in self._scaled:
            flow, conf = self.full(device)
            ph, pw = padded[0] - flow.shape[-2], padded[1] - flow.shape[-1]
            if ph or pw:
                flow, conf = (F.pad(x, (0, pw, 0, ph), mode="replicate") for x in (flow, conf))
            if (height, width) != padded:
                flow, conf = shrink(flow, (height, width)), shrink(conf, (height, width))
            scale = torch.tensor([width / padded[1], height / padded[0]], device=device).view(1, 2, 1, 1)
            self._scaled[key] = (flow * scale, conf.contiguous())
        return self._scaled[key]


def estimate_motion(estimator: FlowEstimator, prev: np.ndarray, cur: np.ndarray,
                    flow_size: int | None = FLOW_SIZE, colour_tolerance: float | None = None) -> Motion:
    """Frame `cur`'s motion from `prev`; with `colour_tolerance` (the feed-forward backends), its confidence
    includes the colour check (vidstyle.flow.ops.colour_match; vidstyle.flow.COLOUR_TOLERANCE says why) and
    the texture check (vidstyle.flow.ops.texture_check: no motion is trusted in a flat patch)."""
    h, w = cur.shape[:2]
    size = flow_frame_size(w, h, flow_size)
    if size != (w, h):
        prev, cur = (cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in (prev, cur))
    backward = estimator(cur, prev)
    forward = estimator(prev, cur)
    confidence = reliability(backward, forward)
    if colour_tolerance is not None:
        confidence *= colour_match(cur, prev, backward, colour_tolerance)
        confidence *= texture_check(cur, backward)
    return Motion(backward, confidence, (h, w) if size != (w, h) else None)
