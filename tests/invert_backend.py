"""A style backend defined outside vidstyle, as a user's plugin would be: this one module, plus one registry
line, `VIDSTYLE_BACKENDS=invert_backend`. It inverts the colours, so its output is easy to check."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from vidstyle.backends.base import Backend
from vidstyle.core.options import setting


@dataclass
class InvertOptions:
    strength: float = setting(1.0, "How far to invert the colours, 0..1.", min=0.0, max=1.0)


class InvertStylizer:
    """The Stylizer protocol (vidstyle.backends.base): frames come as 1x3xHxW tensors in [0,1] on its device."""

    def __init__(self, strength: float, device: torch.device) -> None:
        self.strength = strength
        self.device = device

    def stylize(self, picture: torch.Tensor, motion=None) -> torch.Tensor:
        return picture + self.strength * (1.0 - 2.0 * picture)

    def state(self) -> dict:
        return {}

    def load_state(self, state: dict) -> None:
        pass


BACKEND = Backend(
    name="invert",
    summary="colour inversion (a test backend)",
    options=InvertOptions,
    build=lambda common, options, device, temporal_weight: InvertStylizer(options.strength, device),
    temporal_weight=0.0,
    style_images=False,
)
