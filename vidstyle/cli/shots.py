"""`vidstyle shots`: the shots of a clip, as `vidstyle video` cuts it."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

log = logging.getLogger("vidstyle")


def shots(
    clip: Annotated[Path, typer.Argument(help="Video clip, or a folder of numbered frames.")],
    cuts: Annotated[str, typer.Option("--cuts", help="auto (detected with TransNetV2) or a file listing the cuts "
                                                     "(times, scenedetect's CSV, or an .edl).")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    sheet: Annotated[Optional[Path], typer.Option("--sheet", help="Write each shot's first frame, with its time, "
                                                                  "to this image.")] = None,
    sequence_fps: Annotated[Optional[float], typer.Option(
        "--sequence-fps", min=1, max=1000, help="Frame rate of an image sequence (a folder of numbered frames) "
                                                "[default: 24].")] = None,
) -> None:
    """The shots of a clip, as `vidstyle video` will cut it: number, first frame, start and end time, frames."""
    import dataclasses

    from vidstyle.core.device import pick_device
    from vidstyle.core.timepoints import clock
    from vidstyle.media.atomic import atomic_output, check_output_path
    from vidstyle.media.images import image_format, save_image
    from vidstyle.media.sequence import rate_of
    from vidstyle.shots.listing import contact_sheet, list_shots

    if sheet is not None:
        check_output_path(sheet, [clip])
        image_format(sheet)
    found, firsts = list_shots(clip, cuts, str(pick_device("auto")), sequence_rate=rate_of(sequence_fps))
    if as_json:
        sys.stdout.write(json.dumps([dataclasses.asdict(s) for s in found], indent=1) + "\n")
    else:
        timecodes = any(s.timecode for s in found)  # a column only where the clip has a timecode
        head = f"{'shot':>4}  {'first frame':>11}  {'start':>12}  {'end':>12}  {'frames':>6}  "
        typer.echo(head + (f"{'timecode':>11}  " if timecodes else "") + "began")
        for s in found:
            row = f"{s.number:>4}  {s.first:>11}  {clock(s.start):>12}  {clock(s.end):>12}  {s.frames:>6}  "
            typer.echo(row + (f"{s.timecode or '':>11}  " if timecodes else "") + s.kind)
    if sheet is not None:
        with atomic_output(sheet) as tmp:
            save_image(tmp, contact_sheet(found, firsts), fmt_hint=sheet)
        log.info("wrote %s (%d shot%s)", sheet, len(found), "" if len(found) == 1 else "s")
