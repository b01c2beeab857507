"""Optical flow between frames: OpenCV DIS and Farneback, torchvision RAFT; warping and reliability masks.

A flow is HxWx2 float32 in pixels: flow_ab(x) moves pixel x of frame a to its place in frame b.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from vidstyle.errors import SettingError
from vidstyle.options import FLOW_METHODS


class FlowEstimator(Protocol):
    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Flow from RGB frame `a` to RGB frame `b` (both HxWx3 uint8, same size)."""
        ...


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
