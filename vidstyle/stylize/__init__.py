"""The style backends' implementations behind one small protocol: prepare the style once, then stylize frame
after frame. What each backend is, takes and defaults to is its description in vidstyle.backends."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from vidstyle.temporal import Motion


class Stylizer(Protocol):
    def stylize(self, rgb: np.ndarray, motion: Motion | None = None) -> np.ndarray:
        """HxWx3 uint8 content in, HxWx3 float32 stylized out, in [0,1] and at the same size.

        `motion` relates this frame to the one given in the previous call; with it, the backend applies its
        temporal term. None starts afresh (a still, a first frame). The output-level term of the feed-forward
        backends is the video job's (OutputBlender).
        """
        ...

    def state(self) -> dict[str, Any]:
        """What the next stylize() call depends on (for resuming a clip); tensors are not copied."""
        ...

    def load_state(self, state: dict[str, Any]) -> None: ...
