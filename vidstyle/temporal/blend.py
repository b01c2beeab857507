"""The feature temporal term of AdaIN: the closed-form step of Ruder et al. 2016 on the network's activations.

Ruder et al.'s temporal term, |x - warp(prev)|^2 weighted by the flow reliability c, has a per-pixel closed-form
minimiser when added to a plain fit to the new value y:
    x = (y + lambda * c * warp(prev)) / (1 + lambda * c)
Occluded cells (c = 0) take the new value, so nothing ghosts. On output pixels it averages two differently painted
textures and washes the style out, so the painting itself is carried along the flow by the video job
(vidstyle.temporal.carry); this term on the coarsest activations steadies what the carried term leaves to the
network (where a path is not trusted: a changing surface, things coming into view), lightly on fast motion.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from vidstyle.temporal.motion import Motion

# The feature term's lambda as a share of the clip's temporal weight (the carried term's): FEATURE_RATIO where a
# cell moves under SLOW cells a frame, FEATURE_RATIO_FAST from FAST on, linear between (a cell is 8 px of the frame
# stylized: 2 and 4 px). What the carried term leaves to the network where things hold still (water, whose source
# changes from frame to frame; a dark clip's noise) needs a firm feature term; on fast motion, blur puts the flow
# off by a pixel or two and the term averages strokes out of register, which takes the painting's texture.
# Measured with AdaIN at 640 px (benchmarks/temporal.py, 60 frames, the carried term at 2.4), on/off warping error
# / style distance, one ratio of 0.5 everywhere -> this: stream-of-water.webm 0.71 -> 0.59, stream-of-water.mp4
# 0.52 -> 0.44, friday 0.45 -> 0.40, no_duration 0.78 -> 0.68, adain_cutBunny 0.37/1.06 -> 0.34/1.07, the
# cockatoo (4.5 px a frame, median) 0.46/1.17 -> 0.45/1.17, fire2 (13 px) 0.58/1.13 -> 0.58/1.13. One ratio of 1.0
# everywhere: the cockatoo 0.44/1.20, fire2 0.55/1.16; 2.0 everywhere: stream-of-water.webm 0.59. By the frame's
# median motion instead of each cell's: the same (water 0.591, no_duration 0.660, the cockatoo 0.454/1.172). A
# FEATURE_RATIO_FAST of 0.25: the cockatoo 0.47/1.15, fire2 0.61/1.12.
FEATURE_RATIO, FEATURE_RATIO_FAST = 2.0, 0.5
SLOW, FAST = 0.25, 0.5


class FeatureBlender:
    """Applies the temporal term to named activations, frame after frame, keeping the previous frame's.
    A backend makes one with the clip's temporal weight; its lambda is FEATURE_RATIO(_FAST) times that."""

    def __init__(self, weight: float) -> None:
        self.set_weight(weight)
        self._prev: dict[str, torch.Tensor] = {}

    def set_weight(self, weight: float) -> None:
        """The clip's temporal weight at this frame (a look may change it)."""
        self.weight = weight

    def __call__(self, key: str, act: torch.Tensor, motion: Motion | None, padded: tuple[int, int]) -> torch.Tensor:
        if key in self._prev and self._prev[key].device != act.device:  # resumed from a state loaded elsewhere
            self._prev[key] = self._prev[key].to(act.device)
        terms = self.terms(key, act.shape, motion, padded, act.dtype)
        if terms is not None:
            # (act + lc * warped) / (1 + lc), with the per-pixel weight formed on one channel, not 512:
            # one pass over the activation instead of four (6.6 -> 0.6 ms at 640x360, on the network's path).
            act = torch.lerp(act, *terms)
        self._prev[key] = act
        return act

    def terms(self, key: str, shape: torch.Size | tuple[int, ...], motion: Motion | None, padded: tuple[int, int],
              dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The previous activation under `key` warped to this frame, and each cell's share of it, lc / (1 + lc);
        None where the term does not apply (no motion, a new shot, a changed size, weight 0)."""
        prev = self._prev.get(key)
        if motion is None or prev is None or tuple(prev.shape) != tuple(shape) or self.weight <= 0:
            return None
        flow, conf = motion.cells(shape[-2], shape[-1], padded, prev.device)
        grid, _ = motion.at(shape[-2], shape[-1], padded, prev.device)
        slow = ((FAST - torch.linalg.vector_norm(flow, dim=1, keepdim=True)) / (FAST - SLOW)).clamp(0, 1)
        # Bicubic: the kept activation is mostly the warped past, warped again every frame, and bilinear's blur
        # piled up (when the fast backend had a feature term, its frames kept 0.73-0.90x the 1-4 px stroke detail
        # of temporal-off's, benchmarks/fast_detail.py; bicubic, 0.93-0.98x). In float32: PyTorch's bicubic
        # grid_sample took 5x as long in bf16.
        warped = F.grid_sample(prev.float(), grid, mode="bicubic", padding_mode="border", align_corners=True)
        lc = self.weight * (FEATURE_RATIO_FAST + (FEATURE_RATIO - FEATURE_RATIO_FAST) * slow) * conf
        return warped.to(dtype), (lc / (1.0 + lc)).to(dtype)

    def state(self) -> dict[str, torch.Tensor]:
        """The kept activations; safe to hold while later frames run, as they are replaced, never changed."""
        return dict(self._prev)

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        self._prev = dict(state)
