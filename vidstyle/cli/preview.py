"""`vidstyle preview`: looks side by side on each shot of a clip, to pick one before a long render."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from vidstyle.cli.flags import PresetsDirOpt

log = logging.getLogger("vidstyle")


def preview(
    clip: Annotated[Path, typer.Argument(help="Video clip, or a folder of numbered frames.")],
    preset: Annotated[Optional[list[str]], typer.Option("--preset", "-p", help="A look from a preset; repeat.")] = None,
    style: Annotated[Optional[list[Path]], typer.Option("--style", "-s", help="A painting, as an AdaIN look; "
                                                                             "repeat.")] = None,
    style_id: Annotated[Optional[list[int]], typer.Option("--style-id", min=0, max=25, help="A built-in style of the "
                                                          "fast network; repeat.")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="The sheet (.png); an .html page beside it.")
                      ] = Path("preview.png"),
    size: Annotated[int, typer.Option("--size", min=64, max=1024, help="Long side of each picture (px).")] = 320,
    cuts: Annotated[str, typer.Option("--cuts", help="auto (detected) or a file listing the cuts.")] = "auto",
    presets_dir: PresetsDirOpt = None,
) -> None:
    """A contact sheet of looks: one row a shot (its middle frame, with its number and timecode), one column for
    the source and one a look, as a PNG and a self-contained HTML page."""
    from vidstyle.core.errors import UserError
    from vidstyle.jobs.preview import looks, page, preview as run_preview, sheet
    from vidstyle.media.atomic import atomic_output, check_output_path
    from vidstyle.media.images import save_image

    if output.suffix.lower() != ".png":
        raise UserError("the sheet is a .png (the .html page is written beside it)", output)
    chosen = looks(list(preset or []), list(style or []), list(style_id or []), size, presets_dir)
    if not chosen:
        raise UserError("give looks to compare: --preset NAME, --style PAINTING or --style-id N (repeat each)")
    check_output_path(output, [clip])
    shots, rows = run_preview(clip, chosen, size, cuts)
    labels = [look.label for look in chosen]
    with atomic_output(output) as tmp:
        save_image(tmp, sheet(shots, labels, rows), fmt_hint=output)
    html_path = output.with_suffix(".html")
    with atomic_output(html_path) as tmp:
        tmp.write_text(page(clip, shots, labels, rows), encoding="utf-8")
    log.info("wrote %s and %s: %d shot%s x %d look%s", output, html_path.name, len(shots),
             "" if len(shots) == 1 else "s", len(chosen), "" if len(chosen) == 1 else "s")
