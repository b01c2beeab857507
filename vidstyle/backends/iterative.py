"""Iterative style transfer: Gatys et al. 2016 pixel optimisation per frame, coarse to fine, and in clips Ruder
et al. 2016's warm start from the warped previous output with a temporal loss. Slow; the best quality.

Names and defaults as in neural-style. The implementation is vidstyle.stylize.iterative.
"""

from __future__ import annotations

from dataclasses import dataclass

from vidstyle.backends import Backend
from vidstyle.errors import SettingError
from vidstyle.options import setting

OPTIMIZERS = ("lbfgs", "adam")
INITS = ("warped", "content", "noise")


@dataclass
class IterativeOptions:
    content_layers: list[str] = setting(factory=lambda: ["relu4_2"], help="VGG layers of the content loss.",
                                        csv=True)
    style_layers: list[str] = setting(factory=lambda: ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"],
                                      help="VGG layers of the style loss.", csv=True)
    content_weight: float = setting(1.0, "Weight of the content loss.", min=0.0, live=True)
    style_weight: float = setting(50.0, "Weight of the style loss.", min=0.0, live=True)
    tv_weight: float = setting(0.0, "Weight of the total variation loss.", min=0.0, live=True)
    iterations: int = setting(300, "Iterations of the first frame and of stills, over all scales.", min=1)
    iterations_later: int = setting(100, "Iterations of later (warm-started) frames.", min=0, video=True)
    optimizer: str = setting("lbfgs", "Optimiser.", choices=OPTIMIZERS)
    learning_rate: float = setting(0.02, "Adam's learning rate.", min=0.0)
    init: str = setting("warped", "warped: the first frame from the content, later ones from the warped previous "
                                  "output; content or noise: every frame from scratch.", choices=INITS)
    long_term: list[int] = setting(factory=lambda: [1], csv=True, video=True,
                                   help="Frames back the temporal loss ties each frame to, e.g. 1,2,4 (Ruder et al. "
                                        "2016's long-term terms): each pixel to the nearest of them where it is "
                                        "reliably seen. 1 = the previous frame only.")
    passes: int = setting(1, "Passes over each shot (Ruder et al.'s multi-pass): after the first, forward one, "
                             "they alternate backward and forward over the kept outputs; needs resume data "
                             "(checkpoint_every 1 or more).", min=1, max=50, video=True)
    pass_iterations: int = setting(30, "Iterations of each frame in each pass after the first.", min=1, video=True)
    hold: float = setting(2.0, "In clips, an output pixel whose source changed by less than this (levels of 255, "
                               "3x3 mean) since it was painted is kept as it was, so still scenes stay still; "
                               "0 = off.", min=0.0, video=True)
    style_scale: float = setting(1.0, "Style size relative to the frame.", min=0.0, live=True)
    scales: int = setting(3, "Coarse-to-fine passes, each twice the size of the last.", min=1)
    min_scale: int = setting(128, "Long side of the coarsest pass (px).", min=16)
    tolerance: float = setting(1e-4, "A pass stops when the loss changed by less than this, relatively, over "
                                     "5 iterations; 0 = never.", min=0.0)
    seed: int = setting(0, "Random seed (noise init).")


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
    from vidstyle.stylize.iterative import IterativeStylizer

    return IterativeStylizer(common, options, temporal_weight, device)


BACKEND = Backend(
    name="iterative",
    summary="Gatys optimisation per frame, warm-started (slow, best)",
    options=IterativeOptions,
    build=build,
    temporal_weight=100.0,  # Ruder et al. 2016's weight for the normalised VGG's losses
    output_temporal=False,  # the temporal term is in the optimised loss
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
