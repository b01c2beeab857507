"""Quality measures: temporal warping error (Lai et al. 2018) and a Gram style distance (normalised VGG-19).

Warping error, Lai's convention: flow is computed on the *input* frames, t -> t+1 and back; the output frame
t+1 is warped to t; E = sum M (V_t - warp(V_t+1))^2 / (3 sum M), frames in RGB [0,1], M = not occluded (the
forward-backward and motion-boundary tests of flow/ops.py). A clip's score is the mean over its pairs.
"""

from __future__ import annotations

import numpy as np
import torch

from vidstyle.core.tensors import to_tensor
from vidstyle.flow import FlowEstimator
from vidstyle.flow.ops import occlusion, warp
from vidstyle.nets import weights
from vidstyle.nets.losses import content_loss, gram, style_loss
from vidstyle.nets.vgg import STYLE_LAYERS, VGGFeatures


def warping_error(src_t: np.ndarray, src_next: np.ndarray, out_t: np.ndarray, out_next: np.ndarray,
                  estimator: FlowEstimator) -> float:
    """E_warp for one pair. `src_*` are the input frames (uint8), `out_*` the outputs (uint8), same size."""
    forward = estimator(src_t, src_next)
    backward = estimator(src_next, src_t)
    mask = (~occlusion(forward, backward)).astype(np.float32)
    a = out_t.astype(np.float32) / 255.0
    b = warp(out_next.astype(np.float32) / 255.0, forward)
    err = ((a - b) ** 2).sum(-1) * mask
    count = mask.sum() * 3
    return float(err.sum() / (count if count > 0 else mask.size * 3))


class StyleDistance:
    """Mean over relu1_1..relu4_1 of the MSE between Gram matrices of an image and of the style."""

    def __init__(self, style: np.ndarray, device: torch.device = torch.device("cpu")) -> None:
        self.device = device
        self.features = VGGFeatures(weights.network(weights.VGG, device=device), STYLE_LAYERS)
        with torch.inference_mode():
            self.targets = {k: gram(v) for k, v in self.features(to_tensor(style, device)).items()}

    @torch.inference_mode()
    def __call__(self, rgb: np.ndarray) -> float:
        feats = self.features(to_tensor(rgb, self.device))
        return float(style_loss(feats, self.targets, STYLE_LAYERS))


class ContentDistance:
    """MSE between relu4_1 activations of the normalised VGG-19 of an image and of its source frame: how far the
    stylization strayed from the content (the layer AdaIN works on)."""

    LAYER = ("relu4_1",)

    def __init__(self, device: torch.device = torch.device("cpu")) -> None:
        self.device = device
        self.features = VGGFeatures(weights.network(weights.VGG, device=device), self.LAYER)

    @torch.inference_mode()
    def __call__(self, rgb: np.ndarray, source: np.ndarray) -> float:
        return float(content_loss(self.features(to_tensor(rgb, self.device)),
                                  self.features(to_tensor(source, self.device)), self.LAYER))
