"""The motion between two frames of a shot, as the temporal terms use it: backward flow and its reliability."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import torch

from vidstyle.flow import FLOW_SIZE, FlowEstimator
from vidstyle.flow.ops import colour_match, reliability, sampling_map, texture_check

# The speed ramp of the output term's detail gain: nothing under SLOW px a frame, all from FAST px (at the size
# stylized); vidstyle.temporal.blend.DETAIL_GAIN says why and how they were set.
SLOW, FAST = 1.3, 1.8


@dataclass
class Motion:
    """How frame t relates to frame t-1: backward flow t -> t-1 (pixels) and its reliability in frame t."""

    flow: np.ndarray  # HxWx2 float32
    confidence: np.ndarray  # HxW float32 in [0,1]
    # Long-term terms: frame t's motion from frame t-j, for each j > 1 the stylizer reaches back to (flow computed
    # directly between the two frames), where the shot has that frame.
    earlier: dict[int, Motion] = field(default_factory=dict)
    _scaled: dict[object, tuple] = field(default_factory=dict, repr=False)  # derived forms, made once

    def remap_maps(self) -> tuple[np.ndarray, np.ndarray]:
        """Maps for cv2.remap of where each pixel of frame t is in frame t-1, in OpenCV's fixed-point form
        (1/32 pixel): bicubic remap runs 20% faster on it than on the float map. Not kept: the output temporal
        step, its one reader, needs them once per frame."""
        return cv2.convertMaps(sampling_map(self.flow), None, cv2.CV_16SC2)

    def speed_ramp(self) -> np.ndarray:
        """HxW float32: 0 where a pixel moves under SLOW px a frame, 1 from FAST px up, linear between."""
        speed = cv2.magnitude(self.flow[..., 0], self.flow[..., 1])
        speed -= np.float32(SLOW)
        speed *= np.float32(1.0 / (FAST - SLOW))
        return np.clip(speed, 0.0, 1.0, out=speed)

    def at(self, height: int, width: int, padded: tuple[int, int],
           device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """Sampling grid (1xhxwx2, for grid_sample) and confidence (1x1xhxw) for an activation of size h x w.

        The activation covers the frame padded to `padded` (H', W'), each cell a block of H'/h x W'/w pixels.
        """
        key = (height, width, *padded, hash(str(device)))
        if key not in self._scaled:
            ph, pw = padded[0] - self.flow.shape[0], padded[1] - self.flow.shape[1]
            flow = cv2.copyMakeBorder(self.flow, 0, ph, 0, pw, cv2.BORDER_REPLICATE)
            conf = cv2.copyMakeBorder(self.confidence, 0, ph, 0, pw, cv2.BORDER_REPLICATE)
            sx, sy = width / padded[1], height / padded[0]
            if (height, width) != padded:
                flow = cv2.resize(flow, (width, height), interpolation=cv2.INTER_AREA)
                conf = cv2.resize(conf, (width, height), interpolation=cv2.INTER_AREA)
            # Positions in this activation's cells, then normalised to [-1, 1] as grid_sample wants.
            pos = sampling_map(flow * np.array([sx, sy], np.float32))
            pos *= np.array([2.0 / max(width - 1, 1), 2.0 / max(height - 1, 1)], np.float32)
            pos -= 1.0
            grid = torch.from_numpy(pos)[None].to(device)
            self._scaled[key] = (grid, torch.from_numpy(np.ascontiguousarray(conf))[None, None].to(device))
        return self._scaled[key]


def estimate_motion(estimator: FlowEstimator, prev: np.ndarray, cur: np.ndarray,
                    flow_size: int | None = FLOW_SIZE, colour_tolerance: float | None = None) -> Motion:
    """Frame `cur`'s motion from `prev`; with `colour_tolerance` (the feed-forward backends), its confidence
    includes the colour check (vidstyle.flow.ops.colour_match; vidstyle.flow.COLOUR_TOLERANCE says why) and
    the texture check (vidstyle.flow.ops.texture_check: no motion is trusted in a flat patch)."""
    h, w = cur.shape[:2]
    scale = min(1.0, flow_size / max(h, w)) if flow_size else 1.0
    if scale < 1.0:
        size = (max(8, round(w * scale)), max(8, round(h * scale)))
        prev, cur = (cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in (prev, cur))
    backward = estimator(cur, prev)
    forward = estimator(prev, cur)
    confidence = reliability(backward, forward)
    if colour_tolerance is not None:
        confidence *= colour_match(cur, prev, backward, colour_tolerance)
        confidence *= texture_check(cur, backward)
    if scale < 1.0:
        sw, sh = w / backward.shape[1], h / backward.shape[0]
        backward = cv2.resize(backward, (w, h), interpolation=cv2.INTER_LINEAR)
        backward *= np.array([sw, sh], np.float32)
        confidence = cv2.resize(confidence, (w, h), interpolation=cv2.INTER_LINEAR)
    return Motion(backward, confidence)
