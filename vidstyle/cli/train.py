"""`vidstyle train`: a feed-forward network for one style."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from vidstyle.cli.flags import QuietOpt

log = logging.getLogger("vidstyle")


def train(
    style: Annotated[Path, typer.Option("--style", "-s", help="The painting to learn.")],
    data: Annotated[list[Path], typer.Option("--data", help="Folder of photos and/or clips, or files; repeat.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The model file to write (.pt).")],
    steps: Annotated[int, typer.Option("--steps", min=1)] = 2000,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = 4,
    size: Annotated[int, typer.Option("--size", min=32, help="Training crop size (px).")] = 256,
    width: Annotated[int, typer.Option("--width", min=8, help="Network width: 32 light (CPU), 64+ fuller.")] = 32,
    lr: Annotated[float, typer.Option("--lr")] = 1e-3,
    style_weight: Annotated[float, typer.Option("--style-weight")] = 10.0,
    content_weight: Annotated[float, typer.Option("--content-weight")] = 1.0,
    temporal_weight: Annotated[float, typer.Option("--temporal-weight", help="On consecutive clip frames.")] = 10.0,
    checkpoint_every: Annotated[int, typer.Option("--checkpoint-every", min=1)] = 100,
    preview_every: Annotated[int, typer.Option("--preview-every", min=0, help="0 = no preview images.")] = 100,
    resume: Annotated[bool, typer.Option("--resume/--no-resume", help="Continue from OUTPUT.ckpt.")] = True,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    device: Annotated[str, typer.Option("--device", help="auto, cpu, cuda or mps.")] = "auto",
    precision: Annotated[str, typer.Option("--precision", help="auto, fp32, bf16 or fp16.")] = "auto",
    quiet: QuietOpt = False,
) -> None:
    """Train a feed-forward network for one style (use it with --model in image and video)."""
    from vidstyle.core.device import pick_device
    from vidstyle.jobs.train import TrainOptions, train

    opts = TrainOptions(style=style, data=data, output=output, steps=steps, batch_size=batch_size, size=size,
                        width=width, lr=lr, style_weight=style_weight, content_weight=content_weight,
                        temporal_weight=temporal_weight, checkpoint_every=checkpoint_every,
                        preview_every=preview_every, resume=resume, seed=seed, device=pick_device(device),
                        precision=precision, quiet=quiet)
    report = train(opts)
    log.info("wrote %s: %d steps, %.2f steps/s, perceptual loss %.4g -> %.4g", output, report["steps"],
             report["steps_per_s"], report["perceptual_first"], report["perceptual_last"])
