"""Style backends behind one small protocol: prepare the style once, then stylize frame after frame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from vidstyle.errors import UserError
from vidstyle.temporal import Motion

if TYPE_CHECKING:
    from vidstyle.settings import Settings


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


BACKENDS = ("adain", "fast", "iterative")


def build(settings: Settings, temporal_weight: float = 0.0) -> Stylizer:
    """The stylizer `settings` ask for; `temporal_weight` 0 for stills or when there is no flow."""
    from vidstyle.device import pick_device
    from vidstyle.media.images import load_image

    s = settings
    if s.backend not in BACKENDS:
        raise UserError(f"unknown backend {s.backend!r}; available: {', '.join(BACKENDS)}")
    device = pick_device(s.device)
    weights = list(s.style_weights) if s.style_weights is not None else None
    if s.backend == "fast":
        from vidstyle.stylize.fast import FastOptions, FastStylizer

        if s.style:
            raise UserError("the fast backend uses built-in styles (--style-id N, see `vidstyle models`) or a "
                            "trained --model")
        ids = tuple(s.style_id) or (0,)
        return FastStylizer(FastOptions(ids, tuple(weights) if weights else None, temporal_weight, s.precision,
                                        s.model), device)
    if not s.style:
        raise UserError(f"give at least one --style image for the {s.backend} backend")
    if s.style_id:
        raise UserError(f"--style-id picks a built-in style of --backend fast; {s.backend} takes --style images")
    if weights is not None and len(weights) != len(s.style):
        raise UserError(f"--style-weights has {len(weights)} values for {len(s.style)} --style images")
    images = [load_image(p).rgb for p in s.style]
    weights = weights or [1.0] * len(images)
    if s.backend == "iterative":
        from vidstyle.stylize.iterative import IterativeStylizer

        return IterativeStylizer(images, weights, s, temporal_weight, device)
    from vidstyle.stylize.adain import AdainOptions, AdainStylizer

    opts = AdainOptions(alpha=s.alpha, style_size=s.style_size, preserve_color=s.preserve_color,
                        temporal_weight=temporal_weight, precision=s.precision, vgg_weights=s.vgg_weights,
                        decoder_weights=s.decoder_weights)
    return AdainStylizer(images, weights, opts, device)
