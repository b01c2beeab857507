"""Style backends behind one small protocol: prepare the style once, then stylize frame after frame."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Stylizer(Protocol):
    def stylize(self, rgb: np.ndarray) -> np.ndarray:
        """HxWx3 uint8 content in, HxWx3 float32 stylized out, in [0,1] and at the same size."""
        ...


BACKENDS = ("adain",)
