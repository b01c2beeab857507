"""A style backend defined outside vidstyle, as a user's plugin would be: this one module, plus one registry
line, `VIDSTYLE_BACKENDS=invert_backend`. It inverts the colours, so its output is easy to check."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vidstyle.backends.base import Backend
from vidstyle.core.options import setting


@dataclass
class InvertOptions:
    strength: float = setting(1.0, "How far to invert the colours, 0..1.", min=0.0, max=1.0)


class InvertStylizer:
    def __init__(self, strength: float) -> None:
        self.strength = strength

    def stylize(self, rgb: np.ndarray, motion=None) -> np.ndarray:
        x = rgb.astype(np.float32) / 255.0
        return x + self.strength * (1.0 - 2.0 * x)

    def state(self) -> dict:
        return {}

    def load_state(self, state: dict) -> None:
        pass


BACKEND = Backend(
    name="invert",
    summary="colour inversion (a test backend)",
    options=InvertOptions,
    build=lambda common, options, device, temporal_weight: InvertStylizer(options.strength),
    temporal_weight=0.0,
    style_images=False,
)
