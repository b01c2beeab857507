"""The style backends' implementations behind one small protocol: set a look, then stylize frame after frame.
What each backend is, takes and defaults to is its description in vidstyle.backends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from vidstyle.options import CommonOptions
    from vidstyle.temporal import Motion


@dataclass(frozen=True)
class Look:
    """What a frame is painted with: the settings that may change from frame to frame (the shared options and
    the backend's own), one set, or during a transition two mixed by weight (summing to 1), and the temporal
    weight at that frame. Backends mix what they paint with: AdaIN the style statistics, fast the style
    weights, iterative the Gram targets; numbers mix linearly and a switch (preserve_color) follows the
    heavier part."""

    parts: tuple[tuple[float, CommonOptions, Any], ...]
    temporal_weight: float

    @staticmethod
    def of(common: CommonOptions, options: Any, temporal_weight: float) -> Look:
        return Look(((1.0, common, options),), temporal_weight)

    def mean(self, value: Any) -> float:
        """The weighted mean of `value(common, options)` over the parts."""
        return sum(w * value(c, o) for w, c, o in self.parts)

    def main(self) -> tuple[CommonOptions, Any]:
        """The heavier part's settings (for values that cannot be mixed)."""
        _, common, options = max(self.parts, key=lambda p: p[0])
        return common, options


class Stylizer(Protocol):
    def set_look(self, look: Look) -> None:
        """Paint the next frames with `look` (a backend is built with its settings' look)."""
        ...

    def stylize(self, rgb: np.ndarray, motion: Motion | None = None) -> np.ndarray:
        """HxWx3 uint8 content in, HxWx3 float32 stylized out, in [0,1] and at the same size.

        `motion` relates this frame to the one given in the previous call; with it, the backend applies its
        temporal term. None starts afresh (a still, a first frame). The output-level term of the feed-forward
        backends is the video job's (OutputBlender).
        """
        ...

    # A stylizer may also have `long_term`: the frames back (1, 2, 4, ...) its temporal term ties a frame to;
    # the video job then computes the motion from each of those frames too (Motion.earlier).

    def state(self) -> dict[str, Any]:
        """What the next stylize() call depends on (for resuming a clip); tensors are not copied."""
        ...

    def load_state(self, state: dict[str, Any]) -> None: ...
