"""The AdaIN decoder (Huang & Belongie 2017): the encoder mirrored up to relu4_1, nearest upsampling."""

from __future__ import annotations

import torch
from torch import nn

_PLAN = [(512, 256), "U", (256, 256), (256, 256), (256, 256), (256, 128), "U", (128, 128), (128, 64), "U",
         (64, 64), (64, 3)]


def build_decoder() -> nn.Sequential:
    layers: list[nn.Module] = []
    convs = [p for p in _PLAN if p != "U"]
    for item in _PLAN:
        if item == "U":
            layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
            continue
        cin, cout = item
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3)]
        if item is not convs[-1]:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def mean_std(feat: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and standard deviation over space, shaped Nx Cx1x1."""
    n, c = feat.shape[:2]
    flat = feat.reshape(n, c, -1)
    return flat.mean(-1).view(n, c, 1, 1), (flat.var(-1) + eps).sqrt().view(n, c, 1, 1)


def adain(content: torch.Tensor, style_mean: torch.Tensor, style_std: torch.Tensor) -> torch.Tensor:
    c_mean, c_std = mean_std(content)
    return (content - c_mean) / c_std * style_std + style_mean
