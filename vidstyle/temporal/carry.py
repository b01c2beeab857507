"""The fast backend's temporal term: the painting carried along the flow, not averaged with the new one.

The fast network paints a 1-2 px grain that the Gram style distance (and the eye) reads as its style, and that
any averaging or resampling blur takes away. Measured on temporal-off frames of adain_cutBunny (style 19, 640 px):
a 0.5 px shift raised the style distance 3.2x when resampled bicubically, 18x bilinearly, 1.2x with Lanczos-4,
not at all to the nearest pixel; a 0.7 px Gaussian blur, 29x; averaging two successive frames unwarped, 2.6x.
The blended terms (vidstyle.temporal.blend) average the past with the new frame and warp the result again every
frame, so the grain went: 4.1-6.8x the temporal-off style distance on the fast-motion clips.

So each output pixel is either the painting of a key frame, carried to this frame along the composed flow and
sampled from the key once (Lanczos-4), or the new frame's own painting; the two mix only over a narrow band of
the path's reliability (the lowest flow confidence along the way from the key, times the temporal weight). Every
KEY_EVERY frames the output becomes the next key, so what is carried is resampled once per key, not per frame,
and a pixel that lost its path takes the network's painting again within KEY_EVERY frames. Keys fall on the
clip's frame numbers that KEY_EVERY divides, so that a clip split into units keys where the whole run does: with
keys counted from each unit's first frame, a seam's warping error was 1.5x the inside's after a warm-up of 8 or
16 frames, and 1.0x after 4, 12 or 20 (fast, 128 px, units of 20 frames).
"""

from __future__ import annotations

from typing import Any

import torch

from vidstyle.temporal.filters import ops_for
from vidstyle.temporal.motion import Motion

# The path's reliability (confidence times the temporal weight) from which the carried painting is used, and from
# which it is used alone; a narrow band, as mixing the two paintings is what washes the grain out (fast, weight
# 1.6: confidence 0.30 to 0.35). Measured with benchmarks/temporal.py: see README's table.
TRUST_FROM, TRUST_FULL = 0.48, 0.56
# Frames a key is carried for: longer keeps more grain (fewer resamplings) and lets more pixels that lost their
# path show the network's flicker until the next key (adain_cutBunny at 640 px, warping error and style distance
# on/off: 8 frames 0.395, 1.71; 16 frames 0.469, 1.15; before the source and strain checks).
KEY_EVERY = 8
# A composed path can be smooth, pass each frame's forward-backward check and still be wrong (a bird's wing over
# eight frames of fast motion: the key came out smeared along it). So the key's source frame, carried the same
# way, must match this frame's source: their difference, blurred at MATCH_SIGMA px (RMS over the channels, 0..1),
# is trusted up to MATCH_FROM and not from MATCH_TO.
MATCH_SIGMA, MATCH_FROM, MATCH_TO = 1.5, 0.03, 0.06
# Nor may the path stretch the key: in a dark, flat patch the sources match whatever the flow, and a key sampled
# through a displacement that changes fast from pixel to pixel came out as streaks. The strain (root of the
# displacement's summed squared derivatives) is trusted up to STRAIN_FROM and not from STRAIN_TO.
STRAIN_FROM, STRAIN_TO = 0.25, 0.5


def _ramp(ops: Any, x: Any, zero_at: float, one_at: float) -> Any:
    """0 at `zero_at`, 1 at `one_at`, linear between and clipped (falling where `one_at` is the lower)."""
    return ops.clip((x - zero_at) * (1.0 / (one_at - zero_at)), 0.0, 1.0)


class CarryBlender:
    """The output temporal term, frame after frame, with OutputBlender's interface (the video job runs it in the
    encode thread). Its state: the key and the key's source, each pixel's displacement from this frame to the key
    (1x2xHxW, px) and the lowest confidence along its path (1x1xHxW)."""

    def __init__(self, weight: float) -> None:
        self.weight = weight
        self._key: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None] | None = None
        self._count = 0  # frame numbers, where the caller gives none

    def __call__(self, fresh: torch.Tensor, motion: Motion | None, source: torch.Tensor | None = None,
                 index: int | None = None) -> torch.Tensor:
        """`fresh`: the backend's 1x3xHxW output in [0,1], on its device; `source`: the picture it was made from;
        `index`: its frame number in the clip."""
        source = fresh if source is None else source
        index, self._count = (self._count if index is None else index), self._count + 1
        if motion is None or self.weight <= 0 or self._key is None or self._key[0].shape != fresh.shape:
            self._key = (fresh, source, None, None)  # a new shot (or no term): the network's own frame is the key
            return fresh
        key, key_source, disp, path = self._key
        ops = ops_for(fresh)
        flow, confidence = (ops.take(x) for x in motion.full(fresh.device))
        if disp is None:
            disp, path = flow, confidence
        else:  # where this frame's pixel was in the last frame, then where that was in the key
            disp = ops.warp_linear(ops.take(disp), flow) + flow
            path = ops.minimum(ops.warp_linear(ops.take(path), flow), confidence)
        seen = ops.warp_linear(ops.take(key_source.to(fresh.device)), disp)
        error = ops.sqrt(ops.energy(ops.gaussian(seen - ops.take(source), MATCH_SIGMA)) * (1.0 / 3.0))
        gx, gy = ops.gradient(disp)
        strain = ops.sqrt(ops.energy(gx) + ops.energy(gy))
        match = ops.minimum(_ramp(ops, error, MATCH_TO, MATCH_FROM), _ramp(ops, strain, STRAIN_TO, STRAIN_FROM))
        trust = _ramp(ops, path * self.weight, TRUST_FROM, TRUST_FULL)
        carried = ops.warp_lanczos(ops.take(key.to(fresh.device)), disp)
        out = ops.give(ops.clip(ops.lerp(ops.take(fresh), carried, ops.minimum(trust, match)), 0.0, 1.0))
        self._key = ((out, source, None, None) if index % KEY_EVERY == 0 else
                     (key, key_source, ops.give(disp), ops.give(path)))
        return out

    def state(self) -> Any:
        return self._key

    def load_state(self, state: Any) -> None:
        self._key = state if isinstance(state, tuple) and len(state) == 4 else None  # else: start afresh
