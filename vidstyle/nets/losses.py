"""The losses of style transfer, on activations of the normalised VGG-19 (vidstyle.nets.vgg), in one place: the
iterative backend optimises them, training minimises them, and the metrics report them.

Activations of the normalised VGG average about 1 at every layer, so layers are averaged without scaling.
Every loss is computed in float32, whatever precision the network ran in.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def gram(feat: torch.Tensor) -> torch.Tensor:
    """Gram matrix over space, divided by H*W so the value does not depend on the image size."""
    n, c, h, w = feat.shape
    flat = feat.float().reshape(n, c, h * w)
    return flat @ flat.transpose(1, 2) / (h * w)


def content_loss(feats: dict[str, torch.Tensor], targets: dict[str, torch.Tensor], layers: tuple[str, ...] | list[str]
                 ) -> torch.Tensor:
    """Mean over `layers` of the MSE between activations and the content's."""
    return sum(F.mse_loss(feats[k].float(), targets[k].float()) for k in layers) / len(layers)


def style_loss(feats: dict[str, torch.Tensor], grams: dict[str, torch.Tensor], layers: tuple[str, ...] | list[str]
               ) -> torch.Tensor:
    """Mean over `layers` of the MSE between Gram matrices and the style's (broadcast over a batch)."""
    total = 0.0
    for k in layers:
        g = gram(feats[k])
        total = total + F.mse_loss(g, grams[k].expand_as(g))
    return total / len(layers)


def total_variation(x: torch.Tensor, power: int = 2) -> torch.Tensor:
    """Mean |difference|^power of vertically and of horizontally neighbouring pixels, summed."""
    x = x.float()
    return (x[..., 1:, :] - x[..., :-1, :]).abs().pow(power).mean() + (x[..., 1:] - x[..., :-1]).abs().pow(power).mean()


def temporal_loss(x: torch.Tensor, warped: torch.Tensor, confidence: torch.Tensor) -> torch.Tensor:
    """Ruder et al. 2016: mean of c * (x - warp(previous output))^2 over pixels and channels."""
    return (confidence * (x.float() - warped.float()).pow(2)).mean()
