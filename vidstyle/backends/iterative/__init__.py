"""Iterative style transfer: Gatys et al. 2016 pixel optimisation per frame, coarse to fine, and in clips Ruder
et al. 2016's warm start from the warped previous output with a temporal loss. Slow; the best quality.

This module is the backend's description and defaults; its options are .options, its implementation .stylizer.
"""

from __future__ import annotations

from vidstyle.backends.base import Backend
from vidstyle.backends.iterative.options import IterativeOptions
from vidstyle.core.errors import SettingError

MAX_LONG_TERM = 32  # frames back: the job keeps that many pictures and outputs


def check(common, options: IterativeOptions) -> None:
    from vidstyle.nets.vgg import LAYERS

    reach = options.long_term
    if not reach or reach[0] != 1 or any(b <= a for a, b in zip(reach, reach[1:])) or reach[-1] > MAX_LONG_TERM:
        raise SettingError("long_term", f"{','.join(map(str, reach)) or 'nothing'} is not an increasing list of "
                           f"frames back starting at 1 and at most {MAX_LONG_TERM}, e.g. 1,2,4")

    for key in ("content_layers", "style_layers"):
        for name in getattr(options, key):
            if name not in LAYERS:
                raise SettingError(key, f"{name!r} is not a VGG layer; choose from {', '.join(LAYERS)}")


def build(common, options: IterativeOptions, device, temporal_weight: float):
    from vidstyle.backends.iterative.stylizer import IterativeStylizer

    return IterativeStylizer(common, options, temporal_weight, device)


BACKEND = Backend(
    name="iterative",
    summary="Gatys optimisation per frame, warm-started (slow, best)",
    options=IterativeOptions,
    build=build,
    temporal_weight=100.0,  # Ruder et al. 2016's weight for the normalised VGG's losses
    output_term=False,  # the temporal term is in the optimised loss
    # Measured for the feed-forward blends only. Here the confidence also picks each pixel's start (warped output
    # or content), and on a small synthetic pair the check halved it, so 8 warm iterations no longer caught up.
    # On fire2 at 192 px (25 frames, defaults) it raised the warping error 0.00282 -> 0.00468, style 1.772 -> 1.806.
    colour_tolerance=None,
    checkpoint_every=1,  # seconds to minutes a frame: keep every one
    check=check,
    # Max RSS at 1080p: 9.1 GiB with 4 frames; a long clip adds the job's frame buffers, 1.1-1.5 GiB at 1080p
    # with adain and fast (adain's figure says why; 150 frames at 1080p are hours for this backend).
    memory=12 << 30,
    # Each frame is the last one's result refined a little, so the output depends on the whole shot so far and a
    # restart does not catch up: seam/inside warping error 182 with no warm-up, 148 with 24 frames (mdn_flower
    # 96 px, units of 20; benchmarks/seams.py). So no warm-up: long shots stay whole.
    warmup=None,
)
