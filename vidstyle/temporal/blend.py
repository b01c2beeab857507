"""The temporal term of the feed-forward backends, on their features and on their output.

Ruder et al. 2016's temporal term, |x - warp(prev)|^2 weighted by the flow reliability c, has a per-pixel
closed-form minimiser when added to a plain fit to the new value y:
    x = (y + lambda * c * warp(prev)) / (1 + lambda * c)
Occluded pixels (c = 0) take the new value, so nothing ghosts. Applied naively to output pixels it averages
two differently painted textures and washes the style out (measured on 40 frames of adain_cutBunny at 320 px:
the plain blend that halved the warping error raised the Gram style loss by 45%). So it is applied twice:
  - to the network's coarsest activations (FeatureBlender, inside the backend), so the strokes follow the
    motion while the later layers still paint full-strength texture;
  - to the output (OutputBlender, in the video job), splitting it into three bands: a coarse one, blended as
    above, and a middle band and the fine detail, each blended and then rescaled to the new frame's local
    energy in that band (variance-preserving blending), so the strokes keep their contrast and colour; the
    detail's raised by up to DETAIL_GAIN where the feature term has left the new frame with less fine detail
    than the network alone paints (see there).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from vidstyle.temporal.filters import ops_for
from vidstyle.temporal.motion import FAST, SLOW, Motion

# The feature term is this many times the output term's lambda (tuned on excerpts of adain_cutBunny at 320 and
# 640 px; benchmarks/temporal.py checks the result on whole clips).
FEATURE_RATIO = 8.0


# The feature term averages each cell with its warped past. Where the two are slightly out of register (fast
# motion: the flow is off by a pixel or two, more with motion blur) the decoded frame comes out with less fine
# detail than the network paints on its own, enough to raise the Gram style distance 35-70% on the fast-motion
# clips, most of it in relu1_1/relu2_1 (0.78x the Laplacian energy of temporal-off frames on the cockatoo).
# So the output term's detail target is raised, up to DETAIL_GAIN times the new frame's local amplitude, in
# proportion to the feature term's share at the pixel (none where it is occluded) and to the pixel's speed:
# nothing under SLOW px a frame, all from FAST px (at the size stylized; vidstyle.temporal.motion), linear
# between. Slow scenes lose no detail, and a gain there only adds flicker: a gain of 1.4 on every pixel took the
# whole adain_cutBunny from 0.47 to 0.60 of temporal-off warping error (style +22%). Measured on whole clips at
# 640 px (warping error on/off, style distance change; benchmarks/temporal.py --all): without the gain -> with
# it, cockatoo (6.3 px a frame, median) 0.395, +62% -> 0.478, +13%; realshort (1.5 px) 0.365, +35% -> 0.410,
# +13%; adain_cutBunny (0.9 px) 0.470, -1% -> 0.495, -4%. The ramp's ends were set between the last two clips'
# speeds.
DETAIL_GAIN = 1.35


# The output term's bands (px at the size stylized) and the windows their local energy is measured over.
# Blending the middle band as is, as the coarse band, took its contrast: on fire2's whip pan the strokes came out
# duller and greyer than temporal-off, and the style distance rose 22% (every frame measured; AdaIN at 640 px,
# weight 0.8). Keeping its energy (first measured with full-size blurs): +11%, at some warping error (0.478 ->
# 0.513 of temporal-off), which raising the adain weight to 0.9 buys back: 0.485, +14.2%; the cockatoo 0.424,
# +15.6% -> 0.416, +0.1% (every 10th frame). The figures for every clip: the docs, benchmarks/temporal.py --all.
DETAIL_SIGMA, DETAIL_ENERGY_SIGMA = 1.0, 4.0
COARSE_SIGMA, MID_ENERGY_SIGMA = 4.0, 16.0


def _past_share(confidence: Any, weight: float) -> Any:
    """The warped past's share in the closed-form step, lambda c / (1 + lambda c)."""
    share = confidence * weight
    return share / (share + 1.0)


def _local_energy(ops: Any, band: Any, sigma: float) -> Any:
    """One channel: the band's squared magnitude, summed over channels and averaged over a Gaussian window. A
    narrow window is cut at 2 sigma (half OpenCV's default): it only sets a gain, and it halves the cost; a wide
    one (over 8 px) is taken at a quarter size (_wide_blur)."""
    energy = ops.energy(band)
    if sigma > 8:
        return _wide_blur(ops, energy, sigma)
    return ops.gaussian(energy, sigma, 2 * round(2 * sigma) + 1)


def _wide_blur(ops: Any, image: Any, sigma: float, factor: int = 4) -> Any:
    """A Gaussian-like blur of width `sigma` (well above `factor`) at a `factor`-times smaller size, for a quarter
    of the full-size blur's cost or less (640x360x3 at sigma 4: 0.6 against 2.6 ms). The area shrink and the
    linear enlargement add a width of about 2 px themselves."""
    h, w = ops.size(image)
    small = ops.shrink(image, (-(-h // factor), -(-w // factor)))
    inner = max(sigma * sigma - 4.0, 0.25) ** 0.5 / factor
    return ops.enlarge(ops.gaussian(small, inner), (h, w))


def _variance_kept(ops: Any, new_band: Any, old_band: Any, old: Any, target: Any, sigma: float) -> Any:
    """The band blended per pixel (the past's share `old`), then rescaled so its local energy (window `sigma`) is
    `target`: averaging two differently painted textures would otherwise lower their contrast."""
    band = ops.lerp(new_band, old_band, old)
    return ops.scale(band, ops.sqrt((target + 1e-6) / (_local_energy(ops, band, sigma) + 1e-6)))


def blend_output(fresh: torch.Tensor, prev_output: torch.Tensor, motion: Motion, weight: float) -> torch.Tensor:
    """The closed-form temporal step on 1x3xHxW images in [0,1], on their device, in three bands: the coarse band
    (a blur at COARSE_SIGMA) blended as is; the middle band (a blur at DETAIL_SIGMA, minus the coarse band) and
    the fine detail (the rest) blended with their local energy kept, the detail's raised by up to DETAIL_GAIN.
    Written in vidstyle.temporal.filters' operations: OpenCV's on the CPU, torch's on a GPU."""
    ops = ops_for(fresh)
    flow, confidence = (ops.take(x) for x in motion.full(fresh.device))
    fresh, prev_output = ops.take(fresh), ops.take(prev_output)
    # Bicubic, not bilinear: the output is warped again every frame and bilinear blur would pile up.
    warped = ops.warp_cubic(prev_output, flow)
    old = _past_share(confidence, weight)  # the previous output's share, per pixel
    base_new, base_old = ops.gaussian(fresh, DETAIL_SIGMA), ops.gaussian(warped, DETAIL_SIGMA)
    coarse_new, coarse_old = _wide_blur(ops, base_new, COARSE_SIGMA), _wide_blur(ops, base_old, COARSE_SIGMA)
    mid_new = base_new - coarse_new
    mid = _variance_kept(ops, mid_new, base_old - coarse_old, old, _local_energy(ops, mid_new, MID_ENERGY_SIGMA),
                         MID_ENERGY_SIGMA)
    detail_new = fresh - base_new
    ramp = ops.clip((ops.sqrt(ops.energy(flow)) - SLOW) * (1.0 / (FAST - SLOW)), 0.0, 1.0)  # 0 slow .. 1 fast
    lift = _past_share(confidence, weight * FEATURE_RATIO) * ramp * (DETAIL_GAIN - 1.0) + 1.0
    target = _local_energy(ops, detail_new, DETAIL_ENERGY_SIGMA) * (lift * lift)
    detail = _variance_kept(ops, detail_new, warped - base_old, old, target, DETAIL_ENERGY_SIGMA)
    return ops.give(ops.clip(ops.lerp(coarse_new, coarse_old, old) + mid + detail, 0.0, 1.0))


class OutputBlender:
    """The temporal term on a clip's outputs, frame after frame. It needs only the previous output, so the
    video job runs it in the encode thread, beside the network's work on the next frame."""

    def __init__(self, weight: float) -> None:
        self.weight = weight
        self._prev_output: torch.Tensor | None = None

    def __call__(self, fresh: torch.Tensor, motion: Motion | None, source: torch.Tensor | None = None,
                 index: int | None = None, look: Any = None) -> torch.Tensor:
        """`fresh`: the backend's 1x3xHxW output in [0,1], on its device (its picture, `source`, and its frame
        number, `index`, are CarryBlender's)."""
        out = fresh
        if motion is not None and self._prev_output is not None and self.weight > 0:
            out = blend_output(fresh, self._prev_output.to(fresh.device), motion, self.weight)
        self._prev_output = out
        return out

    def state(self) -> torch.Tensor | None:
        return self._prev_output

    def load_state(self, state: torch.Tensor | None) -> None:
        self._prev_output = state


class FeatureBlender:
    """Applies the temporal term to named activations, frame after frame, keeping the previous frame's.
    A backend makes one with the clip's temporal weight; the feature term is FEATURE_RATIO times stronger."""

    def __init__(self, weight: float) -> None:
        self.set_weight(weight)
        self._prev: dict[str, torch.Tensor] = {}

    def set_weight(self, weight: float) -> None:
        """The clip's temporal weight at this frame (a look may change it)."""
        self.weight = weight * FEATURE_RATIO

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
        grid, conf = motion.at(shape[-2], shape[-1], padded, prev.device)
        # Bicubic, as the output term's warp: the kept activation is mostly the warped past, warped again every
        # frame, and bilinear's blur piled up. With it the fast backend's frames had 0.73-0.90x the 1-4 px stroke
        # detail of temporal-off's (benchmarks/fast_detail.py); bicubic, 0.93-0.98x. In float32: PyTorch's
        # bicubic grid_sample took 5x as long in bf16.
        warped = F.grid_sample(prev.float(), grid, mode="bicubic", padding_mode="border", align_corners=True)
        lc = self.weight * conf
        return warped.to(dtype), (lc / (1.0 + lc)).to(dtype)

    def state(self) -> dict[str, torch.Tensor]:
        """The kept activations; safe to hold while later frames run, as they are replaced, never changed."""
        return dict(self._prev)

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        self._prev = dict(state)
