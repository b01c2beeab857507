"""Shared by the benchmark scripts: where the media is, and one way to stylize a clip with given settings."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from vidstyle.flow import make_estimator
from vidstyle.job import VideoOptions, VideoResult, stylize_video
from vidstyle.malloc import keep_freed_memory
from vidstyle.media.images import load_image
from vidstyle.media.video import EncodeSettings
from vidstyle.stylize.adain import AdainOptions, AdainStylizer

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media"
OUT = ROOT / "bench-out"

keep_freed_memory()  # as the CLI does, so in-process figures match what users get


def need(rel: str) -> Path:
    path = MEDIA / rel
    if not path.exists():
        sys.exit(f"benchmark needs {path} (the shared test media)")
    return path


def stylize(clip: Path, style: Path, out: Path, max_size: int, temporal_weight: float, flow: str = "dis",
            quiet: bool = True) -> VideoResult:
    opts = AdainOptions(temporal_weight=temporal_weight)
    stylizer = AdainStylizer([load_image(style).rgb], [1.0], opts, torch.device("cpu"))
    estimator = make_estimator(flow) if temporal_weight > 0 else None
    out.parent.mkdir(parents=True, exist_ok=True)
    return stylize_video(clip, out, stylizer, estimator,
                         VideoOptions(max_size=max_size, temporal_weight=temporal_weight, encode=EncodeSettings(),
                                      quiet=quiet))
