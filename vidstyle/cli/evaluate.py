"""`vidstyle eval`: how well a stylized clip holds together over time (and its style and content distances)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from vidstyle.cli.flags import QuietOpt


def eval_(
    original: Annotated[Path, typer.Argument(help="The source clip.")],
    stylized: Annotated[Path, typer.Argument(help="The stylized clip.")],
    flow: Annotated[str, typer.Option("--flow", help="Flow for the measure: dis, farneback, raft or raft-small.")
                    ] = "dis",
    raft_weights: Annotated[Optional[Path], typer.Option("--raft-weights")] = None,
    style: Annotated[Optional[Path], typer.Option("--style", help="Also report the Gram style distance.")] = None,
    content: Annotated[bool, typer.Option("--content", help="Also report the content distance (relu4_1) to the "
                                                             "source.")] = False,
    interval: Annotated[int, typer.Option("--interval", help="Frames between the two of each pair: 1 (short-term), "
                                                              "10 (long-term drift); flow computed directly "
                                                              "between them.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON with a per-frame table.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Temporal warping error (Lai et al. 2018) of a stylized clip against its source."""
    from vidstyle.jobs.evaluate import evaluate_clip

    report = evaluate_clip(original, stylized, flow, raft_weights, style, quiet=quiet or as_json, content=content,
                           interval=interval)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=1) + "\n")
        return
    placed = f", from source frame {report['source_start']} by timecode" if report["source_start"] else ""
    typer.echo(f"warping error: {report['warping_error']:.6f}  ({report['pairs']} frame pairs {interval} apart, "
               f"flow {flow}{placed})")
    if report.get("style_distance") is not None:
        typer.echo(f"style distance: {report['style_distance']:.6f}")
    if report.get("content_distance") is not None:
        typer.echo(f"content distance: {report['content_distance']:.6f}")
