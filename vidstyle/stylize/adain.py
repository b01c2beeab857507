"""Arbitrary style transfer with AdaIN (Huang & Belongie 2017), as pytorch-AdaIN users know it.

T(c, s, alpha) = g((1 - alpha) f(c) + alpha * AdaIN(f(c), s)), where several styles are mixed by
interpolating their feature statistics (AdaIN is linear in them, so this equals the weighted sum of outputs
before decoding).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from vidstyle.device import autocast, pick_precision
from vidstyle.media.images import resize_short_side
from vidstyle.nets import weights
from vidstyle.nets.adain import adain, mean_std
from vidstyle.temporal import FeatureBlender, Motion
from vidstyle.tensors import pad_to_multiple, to_tensor

if TYPE_CHECKING:
    from vidstyle.backends.adain import AdainOptions
    from vidstyle.options import CommonOptions

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
    """`style_weights` sum to 1; `temporal_weight` is the feature term's lambda (vidstyle.temporal), 0 = off."""

    def __init__(self, styles: list[np.ndarray], style_weights: list[float], common: CommonOptions,
                 options: AdainOptions, temporal_weight: float, device: torch.device) -> None:
        self.styles = [resize_short_side(s, options.style_size) for s in styles]
        self.weights = style_weights
        self.alpha = options.alpha
        self.preserve_color = common.preserve_color
        self.device = device
        self.encoder = weights.network(weights.VGG, common.vgg_weights, device)[:31]
        self.decoder = weights.network(weights.DECODER, options.decoder_weights, device)
        self.autocast = pick_precision(device, common.precision)
        self._target: tuple[torch.Tensor, torch.Tensor] | None = None
        self.blender = FeatureBlender(temporal_weight)

    @torch.inference_mode()
    def _style_stats(self, reference: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """The weighted mean/std of the styles' relu4_1 features, computed once for a whole clip.

        With preserve_color the styles are first recoloured to `reference` (the first frame), so a clip
        keeps one palette instead of following each frame's colours.
        """
        means, stds = [], []
        for style in self.styles:
            if self.preserve_color:
                style = coral(style, reference)
            m, s = mean_std(self.encoder(to_tensor(style, self.device)))
            means.append(m)
            stds.append(s)
        mean = sum(w * m for w, m in zip(self.weights, means))
        std = sum(w * s for w, s in zip(self.weights, stds))
        return mean, std

    @torch.inference_mode()
    def stylize(self, rgb: np.ndarray, motion: Motion | None = None) -> np.ndarray:
        """Stylize one frame; `motion` links it to the previous call's frame (None: no temporal term)."""
        if self._target is None:
            self._target = self._style_stats(rgb)
        h, w = rgb.shape[:2]
        x, padded = pad_to_multiple(to_tensor(rgb, self.device), 8)  # three 2x poolings, three 2x upsamplings
        with autocast(self.device, self.autocast):
            feat = self.encoder(x).float()  # statistics and the temporal term in float32
            t = adain(feat, *self._target)
            alpha = self.alpha
            if alpha < 1.0:
                t = alpha * t + (1 - alpha) * feat
            for i, layer in enumerate(self.decoder):
                if i in TEMPORAL_LAYERS:
                    t = self.blender(str(i), t.float(), motion, padded)
                t = layer(t)
        return t[:, :, :h, :w].float().clamp_(0, 1)[0].permute(1, 2, 0).contiguous().cpu().numpy()

    def state(self) -> dict:
        return {"target": self._target, "features": self.blender.state()}

    def load_state(self, state: dict) -> None:
        self._target = state["target"]
        self.blender.load_state(state["features"])
