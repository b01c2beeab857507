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

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from vidstyle.temporal.motion import Motion

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
# +15.6% -> 0.416, +0.1% (every 10th frame). The figures for every clip: README, benchmarks/temporal.py --all.
DETAIL_SIGMA, DETAIL_ENERGY_SIGMA = 1.0, 4.0
COARSE_SIGMA, MID_ENERGY_SIGMA = 4.0, 16.0


_SUM_CHANNELS = np.ones((1, 3), np.float32)  # cv2.transform matrix: per-pixel sum over the three channels


def _past_share(confidence: np.ndarray, weight: float) -> np.ndarray:
    """HxW float32: the warped past's share in the closed-form step, lambda c / (1 + lambda c), a new array."""
    share = confidence * np.float32(weight)
    share /= share + 1.0
    return share


def _local_energy(band: np.ndarray, sigma: float) -> np.ndarray:
    """HxW: the band's squared magnitude, summed over channels and averaged over a Gaussian window. A narrow
    window is cut at 2 sigma (half OpenCV's default): it only sets a gain, and it halves the cost; a wide one
    (over 8 px) is taken at a quarter size (_wide_blur)."""
    energy = cv2.transform(cv2.multiply(band, band), _SUM_CHANNELS)
    if sigma > 8:
        return _wide_blur(energy, sigma)
    ksize = 2 * round(2 * sigma) + 1
    return cv2.GaussianBlur(energy, (ksize, ksize), sigma)


def _wide_blur(image: np.ndarray, sigma: float, factor: int = 4) -> np.ndarray:
    """A Gaussian-like blur of width `sigma` (well above `factor`) at a `factor`-times smaller size, for a quarter
    of the full-size blur's cost or less (640x360x3 at sigma 4: 0.6 against 2.6 ms). The area shrink and the
    linear enlargement add a width of about 2 px themselves."""
    h, w = image.shape[:2]
    small = cv2.resize(image, (-(-w // factor), -(-h // factor)), interpolation=cv2.INTER_AREA)
    inner = max(sigma * sigma - 4.0, 0.25) ** 0.5 / factor
    small = cv2.GaussianBlur(small, (0, 0), inner)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _variance_kept(new_band: np.ndarray, old_band: np.ndarray, new: np.ndarray, old: np.ndarray,
                   target: np.ndarray, sigma: float) -> np.ndarray:
    """The band blended per pixel (new * new_band + old * old_band), then rescaled so its local energy (window
    `sigma`) is `target`: averaging two differently painted textures would otherwise lower their contrast."""
    band = cv2.blendLinear(new_band, old_band, new, old)
    gain = cv2.sqrt(cv2.divide(target + 1e-6, _local_energy(band, sigma) + 1e-6))
    cv2.multiply(band, cv2.merge((gain, gain, gain)), dst=band)  # 0.3 ms; numpy broadcasting the gain: 0.7
    return band


def blend_output(fresh: np.ndarray, prev_output: np.ndarray, motion: Motion, weight: float) -> np.ndarray:
    """The closed-form temporal step on HxWx3 float32 images in [0,1], in three bands: the coarse band (a blur
    at COARSE_SIGMA) blended as is; the middle band (a blur at DETAIL_SIGMA, minus the coarse band) and the fine
    detail (the rest) blended with their local energy kept, the detail's raised by up to DETAIL_GAIN.

    All in OpenCV, whose per-pixel-weighted blend (blendLinear) and channel sum (transform) are one pass each,
    with no torch threads beside the network's, and in place where a buffer is not needed again: this runs
    on every frame in the encode thread, on the CPU the network also needs.
    """
    # Bicubic, not bilinear: the output is warped again every frame and bilinear blur would pile up.
    warped = cv2.remap(prev_output, *motion.remap_maps(), cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    old = _past_share(motion.confidence, weight)  # the previous output's share, per pixel
    new = 1.0 - old
    base_new = cv2.GaussianBlur(fresh, (0, 0), DETAIL_SIGMA)
    base_old = cv2.GaussianBlur(warped, (0, 0), DETAIL_SIGMA)
    coarse_new, coarse_old = _wide_blur(base_new, COARSE_SIGMA), _wide_blur(base_old, COARSE_SIGMA)
    mid_new = cv2.subtract(base_new, coarse_new)
    mid = _variance_kept(mid_new, cv2.subtract(base_old, coarse_old), new, old,
                         _local_energy(mid_new, MID_ENERGY_SIGMA), MID_ENERGY_SIGMA)
    detail_new = cv2.subtract(fresh, base_new)
    lift = _past_share(motion.confidence, weight * FEATURE_RATIO)  # the feature term's share at each pixel
    lift *= motion.speed_ramp()
    lift *= np.float32(DETAIL_GAIN - 1.0)
    lift += 1.0
    target = cv2.multiply(_local_energy(detail_new, DETAIL_ENERGY_SIGMA), cv2.multiply(lift, lift))
    detail = _variance_kept(detail_new, cv2.subtract(warped, base_old, dst=warped), new, old, target,
                            DETAIL_ENERGY_SIGMA)
    out = cv2.blendLinear(coarse_new, coarse_old, new, old)
    out += mid
    out += detail
    return np.clip(out, 0.0, 1.0, out=out)


class OutputBlender:
    """The temporal term on a clip's outputs, frame after frame. It needs only the previous output, so the
    video job runs it in the encode thread, beside the network's work on the next frame."""

    def __init__(self, weight: float) -> None:
        self.weight = weight
        self._prev_output: np.ndarray | None = None

    def __call__(self, fresh: np.ndarray, motion: Motion | None) -> np.ndarray:
        """`fresh`: the backend's HxWx3 float32 output in [0,1]."""
        out = fresh
        if motion is not None and self._prev_output is not None and self.weight > 0:
            out = blend_output(fresh, self._prev_output, motion, self.weight)
        self._prev_output = out
        return out

    def state(self) -> np.ndarray | None:
        return self._prev_output

    def load_state(self, state: np.ndarray | None) -> None:
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
        None where the term does not apply (no motion, a new shot, a changed size, weight 0). For a network run
        elsewhere (onnxruntime), which applies the step itself and hands its result to `remember`."""
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

    def remember(self, key: str, act: torch.Tensor) -> None:
        self._prev[key] = act

    def state(self) -> dict[str, torch.Tensor]:
        """The kept activations; safe to hold while later frames run, as they are replaced, never changed."""
        return dict(self._prev)

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        self._prev = dict(state)
