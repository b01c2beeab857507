"""Arbitrary style transfer with AdaIN (Huang & Belongie 2017), as pytorch-AdaIN users know it.

T(c, s, alpha) = g((1 - alpha) f(c) + alpha * AdaIN(f(c), s)), where several styles are mixed by
interpolating their feature statistics (AdaIN is linear in them, so this equals the weighted sum of outputs
before decoding).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vidstyle.device import pick_precision
from vidstyle.errors import UserError
from vidstyle.nets import weights
from vidstyle.nets.adain import adain, mean_std
from vidstyle.stylize.tensors import pad_to_multiple, to_tensor
from vidstyle.temporal import FeatureBlender, Motion

# Decoder layers whose *input* gets the temporal term: the AdaIN output, 1/8 of the frame. Finer maps
# average textures and wash out the style (measured while tuning, see benchmarks/temporal.py).
TEMPORAL_LAYERS = (0,)


@dataclass
class AdainOptions:
    alpha: float = 1.0
    style_size: int = 512  # shorter side of each style image; 0 keeps its size
    preserve_color: bool = False
    temporal_weight: float = 0.0  # lambda of the temporal term on features (vidstyle.temporal); 0 = off
    precision: str = "auto"  # see vidstyle.device.pick_precision
    vgg_weights: Path | None = None
    decoder_weights: Path | None = None


def resize_short_side(rgb: np.ndarray, size: int) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    if not size or min(h, w) == size:
        return rgb
    scale = size / min(h, w)
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interp)


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
    def __init__(self, styles: list[np.ndarray], style_weights: list[float], options: AdainOptions,
                 device: torch.device) -> None:
        if not 0.0 <= options.alpha <= 1.0:
            raise UserError(f"--alpha must be between 0 and 1, got {options.alpha}")
        total = float(sum(style_weights))
        if len(style_weights) != len(styles) or total <= 0 or min(style_weights) < 0:
            raise UserError("--style-weights needs one non-negative weight per --style, not all zero")
        self.styles = [resize_short_side(s, options.style_size) for s in styles]
        self.weights = [w / total for w in style_weights]
        self.options = options
        self.device = device
        self.encoder = weights.network(weights.VGG, options.vgg_weights, device)[:31]
        self.decoder = weights.network(weights.DECODER, options.decoder_weights, device)
        self.autocast = pick_precision(device, options.precision)
        self._target: tuple[torch.Tensor, torch.Tensor] | None = None
        self.blender = FeatureBlender(options.temporal_weight)

    @torch.inference_mode()
    def _style_stats(self, reference: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """The weighted mean/std of the styles' relu4_1 features, computed once for a whole clip.

        With preserve_color the styles are first recoloured to `reference` (the first frame), so a clip
        keeps one palette instead of following each frame's colours.
        """
        means, stds = [], []
        for style in self.styles:
            if self.options.preserve_color:
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
        with torch.autocast(self.device.type, dtype=self.autocast or torch.float32, enabled=self.autocast is not None):
            feat = self.encoder(x).float()  # statistics and the temporal term in float32
            t = adain(feat, *self._target)
            alpha = self.options.alpha
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
