"""Temporal consistency shared by the feed-forward backends (Ruder et al. 2016's temporal term, solved per pixel).

Minimising |out - y|^2 + lambda * c * |out - warp(prev_out)|^2 pixel by pixel gives
    out = (y + lambda * c * warp(prev_out)) / (1 + lambda * c)
where y is the newly stylized frame and c the flow reliability: reliable pixels follow the previous output
along the motion, occluded ones (c = 0) take the new frame, so nothing ghosts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidstyle.flow import FlowEstimator
from vidstyle.flow.ops import reliability, warp


@dataclass
class Motion:
    """How frame t relates to frame t-1: backward flow t -> t-1 and its reliability in frame t."""

    flow: np.ndarray  # HxWx2 float32
    confidence: np.ndarray  # HxW float32 in [0,1]


def estimate_motion(estimator: FlowEstimator, prev: np.ndarray, cur: np.ndarray) -> Motion:
    backward = estimator(cur, prev)
    forward = estimator(prev, cur)
    return Motion(backward, reliability(backward, forward))


def blend(stylized: np.ndarray, prev_output: np.ndarray, motion: Motion, weight: float) -> np.ndarray:
    """The closed-form minimiser above. Arrays are HxWx3 float32 in [0,1]."""
    lc = (weight * motion.confidence)[..., None]
    return (stylized + lc * warp(prev_output, motion.flow)) / (1.0 + lc)
