"""Style backends behind one small protocol: prepare the style once, then stylize frame after frame."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from vidstyle.temporal import Motion


class Stylizer(Protocol):
    def stylize(self, rgb: np.ndarray, motion: Motion | None = None) -> np.ndarray:
        """HxWx3 uint8 content in, HxWx3 float32 stylized out, in [0,1] and at the same size.

        `motion` relates this frame to the one given in the previous call; with it, the backend applies the
        temporal term inside its network (vidstyle.temporal.FeatureBlender). None starts afresh (a still, a
        first frame). The output-level term is the video job's (OutputBlender).
        """
        ...


BACKENDS = ("adain", "fast")
