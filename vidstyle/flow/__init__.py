"""Optical flow between frames: OpenCV DIS and Farneback, torchvision RAFT; warping and reliability masks.

A flow is HxWx2 float32 in pixels: flow_ab(x) moves pixel x of frame a to its place in frame b.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from vidstyle.core.errors import SettingError
from vidstyle.core.options import FLOW_METHODS

# The long side (px) flow runs at unless a backend or the user says otherwise: a quarter of the cost of 640 px,
# which keeps the flow thread from starving the fast network of CPU (benchmarks/stages.py).
FLOW_SIZE = 320
# The forward-backward check trusts a match that both flows agree on. On a fast pan with motion blur that changes
# from frame to frame, DIS agrees with itself on matches whose colours differ, and the temporal terms carried the
# earlier frames' palette into later ones. So a pixel's reliability also falls with the colour difference at its
# match (vidstyle.flow.ops.colour_match): to 1/e at a mean RGB difference of COLOUR_TOLERANCE (13 of 255).
# Measured at 640 px with 640-px flow (AdaIN, warping error on/off, style distance change; benchmarks/temporal.py):
# cockatoo 0.394, +18.9% -> 0.424, +15.6%; fire2 0.364, +22.5% -> 0.478, +18.7%; the slow clips' warping error
# rose a little (docs/cluster.md has all).
COLOUR_TOLERANCE = 0.05


class FlowEstimator(Protocol):
    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Flow from RGB frame `a` to RGB frame `b` (both HxWx3 uint8, same size)."""
        ...


def flow_frame_size(width: int, height: int, flow_size: int | None) -> tuple[int, int]:
    """The (width, height) flow is computed at for frames of this size: the long side capped at `flow_size` (0 or
    None: the frame's own), at least 8 px a side."""
    scale = min(1.0, flow_size / max(width, height)) if flow_size else 1.0
    return (max(8, round(width * scale)), max(8, round(height * scale))) if scale < 1.0 else (width, height)


def make_estimator(method: str, raft_weights: Path | None = None, device: str = "cpu",
                   raft_iters: int = 12) -> FlowEstimator | None:
    if method == "none":
        return None
    if method in ("dis", "farneback"):
        from vidstyle.flow.opencv import OpenCVFlow

        return OpenCVFlow(method)
    if method in ("raft", "raft-small"):
        from vidstyle.flow.raft import RaftFlow

        return RaftFlow(method, raft_weights, device, iters=raft_iters)
    raise SettingError("flow", f"{method!r} is not one of {', '.join(FLOW_METHODS)}")
