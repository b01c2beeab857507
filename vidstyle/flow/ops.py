"""Warping by a flow, and reliability by forward-backward consistency (Sundaram et al. 2010, Ruder et al. 2016)
and by colour constancy."""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np


@lru_cache(maxsize=8)
def _grid(h: int, w: int) -> np.ndarray:
    """HxWx2: each pixel's (x, y), made once per size (read-only, as it is shared)."""
    grid = np.ascontiguousarray(np.mgrid[0:h, 0:w][::-1].transpose(1, 2, 0), dtype=np.float32)
    grid.flags.writeable = False
    return grid


def sampling_map(flow: np.ndarray) -> np.ndarray:
    """HxWx2 float32 absolute positions x + flow(x): one map that cv2.remap takes as it is."""
    return flow + _grid(*flow.shape[:2])


def _sq(v: np.ndarray) -> np.ndarray:
    """|v|^2 of an HxWx2 field (20x faster than (v**2).sum(-1), which reduces a length-2 axis slowly)."""
    return v[..., 0] * v[..., 0] + v[..., 1] * v[..., 1]


def warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample `image` (frame b) at x + flow(x): with flow from frame a to b, the result lines up with frame a."""
    return cv2.remap(image, sampling_map(flow), None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def occlusion(flow_ab: np.ndarray, flow_ba: np.ndarray) -> np.ndarray:
    """HxW bool, True where a pixel of frame a has no reliable match in frame b.

    Occluded where the two flows disagree, |w + w'|^2 > 0.01(|w|^2 + |w'|^2) + 0.5, with w' the backward flow
    at the forward target; on a motion boundary, |grad u|^2 + |grad v|^2 > 0.01|w|^2 + 0.002; or where the
    target leaves the frame. These are the thresholds of Ruder's checker and of Lai et al.'s evaluation.
    """
    h, w = flow_ab.shape[:2]
    back = warp(flow_ba, flow_ab)
    total = flow_ab + back
    sq_ab = _sq(flow_ab)
    disagree = _sq(total) > 0.01 * (sq_ab + _sq(back)) + 0.5
    du = np.zeros((h, w, 2), np.float32)
    dv = np.zeros((h, w, 2), np.float32)
    du[:, :-1] = flow_ab[:, 1:] - flow_ab[:, :-1]  # forward differences, as in the reference code
    dv[:-1] = flow_ab[1:] - flow_ab[:-1]
    boundary = _sq(du) + _sq(dv) > 0.01 * sq_ab + 0.002
    target = sampling_map(flow_ab)
    tx, ty = target[..., 0], target[..., 1]
    outside = (tx < 0) | (tx > w - 1) | (ty < 0) | (ty > h - 1)
    return disagree | boundary | outside


def reliability(flow_ab: np.ndarray, flow_ba: np.ndarray, erode: int = 3, sigma: float = 1.0) -> np.ndarray:
    """HxW float32 in [0,1]: 1 where frame a can trust what frame b shows at x + flow_ab(x).

    The hard mask is eroded and softened so that blending never seams at occlusion edges (the source of
    ghosting): a few pixels around every occlusion fall back to the new frame.
    """
    mask = (~occlusion(flow_ab, flow_ba)).astype(np.float32)
    if erode > 1:
        mask = cv2.erode(mask, np.ones((erode, erode), np.uint8))
    if sigma > 0:
        mask = cv2.GaussianBlur(mask, (0, 0), sigma)
    return mask


def texture_check(image: np.ndarray, flow: np.ndarray, contrast: float = 2.0 / 255, sigma: float = 4.0,
                  still: float = 0.5) -> np.ndarray:
    """HxW float32 in [0,1]: 0 where `flow` moves a pixel more than still + 1 px in a flat patch of `image` (uint8
    RGB; the patch a Gaussian window of `sigma` px), 1 where the patch has texture (a grey-level standard
    deviation of `contrast` or more, on a 0-1 scale) or the pixel moves under `still` px, linear between.

    A flat patch cannot show motion: DIS fills a textureless area with the motion of its nearest edges, with
    both flows agreeing and the colours matching, so a plain wall or sky beside a moving object was given the
    object's motion, and the temporal terms dragged the painted halo around the object into it as a trail.
    """
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    grey *= np.float32(1.0 / 255)
    mean = cv2.GaussianBlur(grey, (0, 0), sigma)
    variance = cv2.GaussianBlur(cv2.multiply(grey, grey), (0, 0), sigma)
    variance -= cv2.multiply(mean, mean)
    flat = 1.0 - np.clip(np.sqrt(np.maximum(variance, 0.0, out=variance)) * np.float32(1.0 / contrast), 0.0, 1.0)
    moving = cv2.magnitude(flow[..., 0], flow[..., 1])
    moving -= np.float32(still)
    np.clip(moving, 0.0, 1.0, out=moving)
    return 1.0 - flat * moving


def colour_match(a: np.ndarray, b: np.ndarray, flow_ab: np.ndarray, tolerance: float) -> np.ndarray:
    """HxW float32 in (0,1]: exp(-(d / tolerance)^2), with d the mean absolute RGB difference (uint8 frames, taken
    as [0,1], smoothed over a pixel) between frame a and frame b sampled at x + flow_ab(x).

    Low where the flow's match shows other colours although both flows agree on it: motion blur that changes
    from frame to frame on a fast pan, where DIS finds smooth, consistent but wrong matches.
    """
    matched = warp(b, flow_ab)
    scale = np.full((1, 3), 1.0 / (3 * 255 * tolerance), np.float32)
    d = cv2.GaussianBlur(cv2.transform(cv2.absdiff(a, matched).astype(np.float32), scale), (0, 0), 1.0)
    return np.exp(-cv2.multiply(d, d))
