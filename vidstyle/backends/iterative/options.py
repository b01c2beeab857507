"""What a user can set for the iterative backend: its own options, named and defaulted as in neural-style
(those every backend takes are vidstyle.core.options.CommonOptions)."""

from __future__ import annotations

from dataclasses import dataclass

from vidstyle.core.options import setting

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
