"""Arbitrary style transfer with AdaIN (Huang & Belongie 2017), as pytorch-AdaIN users know it.

T(c, s, alpha) = g((1 - alpha) f(c) + alpha * AdaIN(f(c), s)), where several styles are mixed by
interpolating their feature statistics (AdaIN is linear in them, so this equals the weighted sum of outputs
before decoding).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from vidstyle.backends.base import Look, style_image, style_weights
from vidstyle.core.device import autocast, pick_precision
from vidstyle.core.tensors import pad_to_multiple, to_bytes, to_tensor
from vidstyle.media.images import resize_short_side, resize_to_long_side
from vidstyle.nets import weights
from vidstyle.nets.adain import adain, mean_std
from vidstyle.temporal.blend import FeatureBlender
from vidstyle.temporal.motion import Motion

if TYPE_CHECKING:
    from vidstyle.backends.adain.options import AdainOptions
    from vidstyle.core.options import CommonOptions

# Decoder layers whose *input* gets the temporal term: the AdaIN output, 1/8 of the frame. Finer maps
# average textures and wash out the style (measured while tuning, see benchmarks/temporal.py).
TEMPORAL_LAYERS = (0,)


def coral(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Recolour `source` (HxWx3 uint8) to the RGB mean and covariance of `target` (CORAL, Gatys 2017)."""
    src = source.reshape(-1, 3).astype(np.float64) / 255.0
    tgt = target.reshape(-1, 3).astype(np.float64) / 255.0

    def sqrtm(cov: np.ndarray, inverse: bool = False) -> np.ndarray:
        vals, vecs = np.linalg.eigh(cov + np.eye(3))
        vals = np.clip(vals, 1e-8, None) ** (-0.5 if inverse else 0.5)
        return (vecs * vals) @ vecs.T

    whitened = (src - src.mean(0)) @ sqrtm(np.cov(src.T), inverse=True)
    out = whitened @ sqrtm(np.cov(tgt.T)) + tgt.mean(0)
    return (np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8).reshape(source.shape)


class AdainStylizer:
    """Paints with a Look (vidstyle.backends.base): its styles' feature statistics mixed by weight, and its alpha;
    `temporal_weight` is the feature term's lambda (vidstyle.temporal), 0 = off."""

    def __init__(self, common: CommonOptions, options: AdainOptions, temporal_weight: float,
                 device: torch.device) -> None:
        self.device = device
        self.encoder = weights.network(weights.VGG, common.vgg_weights, device)[:31]
        self.decoder = weights.network(weights.DECODER, options.decoder_weights, device)
        self.autocast = pick_precision(device, common.precision)
        self.blender = FeatureBlender(temporal_weight)
        # Each style's relu4_1 mean/std, by (style, size, preserve_color, frame size): made once per clip.
        self._stats: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}
        self._target: tuple[tuple, torch.Tensor, torch.Tensor, float] | None = None  # (key, mean, std, alpha)
        self.set_look(Look.of(common, options, temporal_weight))

    def set_look(self, look: Look) -> None:
        self.look = look
        self.blender.set_weight(look.temporal_weight)

    def _style_stats(self, path: Path, options: AdainOptions, preserve_color: bool,
                     reference: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One style's statistics for frames like `reference` (1x3xHxW). With preserve_color the style is first
        recoloured to `reference` (the first frame painted with it), so a clip keeps one palette instead of
        following each frame's colours."""
        h, w = reference.shape[-2:]
        relative = options.style_scale is not None
        size = options.style_scale if relative else options.style_size
        key = (str(path), relative, size, preserve_color, (h, w) if relative else None)
        if key not in self._stats:
            style = style_image(path)
            if relative:
                style = resize_to_long_side(style, options.style_scale * max(h, w))
            else:
                style = resize_short_side(style, options.style_size)
            if preserve_color:
                style = coral(style, to_bytes(reference))
            self._stats[key] = mean_std(self.encoder(to_tensor(style, self.device)))
        return self._stats[key]

    @torch.inference_mode()
    def _targets(self, picture: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, float]:
        """The look's mean/std (AdaIN is linear in them: mixing statistics mixes styles) and alpha."""
        key = (self.look, tuple(picture.shape[-2:]))
        if self._target is None or self._target[0] != key:
            mean = std = 0.0
            for part, common, options in self.look.parts:
                for path, weight in zip(common.style, style_weights(common)):
                    m, s = self._style_stats(path, options, common.preserve_color, picture)
                    mean, std = mean + part * weight * m, std + part * weight * s
            self._target = (key, mean, std, self.look.mean(lambda c, o: o.alpha))
        return self._target[1:]

    @torch.inference_mode()
    def stylize(self, picture: torch.Tensor, motion: Motion | None = None) -> torch.Tensor:
        """Stylize one frame; `motion` links it to the previous call's frame (None: no temporal term)."""
        mean, std, alpha = self._targets(picture)
        h, w = picture.shape[-2:]
        # Three 2x poolings and upsamplings; at 1/8, 3x3 convolutions with reflection need 2 px.
        x, padded = pad_to_multiple(picture, 8, minimum=16)
        with autocast(self.device, self.autocast):
            feat = self.encoder(x).float()  # statistics and the temporal term in float32
            t = adain(feat, mean, std)
            if alpha < 1.0:
                t = alpha * t + (1 - alpha) * feat
            for i, layer in enumerate(self.decoder):
                if i in TEMPORAL_LAYERS:
                    t = self.blender(str(i), t.float(), motion, padded)
                t = layer(t)
        return t[:, :, :h, :w].float().clamp_(0, 1)

    def state(self) -> dict:
        return {"stats": self._stats, "features": self.blender.state()}

    def load_state(self, state: dict) -> None:
        self._stats = {k: (m.to(self.device), s.to(self.device)) for k, (m, s) in state["stats"].items()}
        self._target = None
        self.blender.load_state(state["features"])
