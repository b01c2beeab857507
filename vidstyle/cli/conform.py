"""`vidstyle conform`: stylize the media an edit uses, and hand back its timeline relinked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from vidstyle.cli.flags import PresetsDirOpt, QuietOpt


def conform(
    timeline: Annotated[Path, typer.Argument(help="The edit: CMX 3600 .edl, FCP 7 .xml, .fcpxml, .otio (.aaf with "
                                                  "otio-aaf-adapter).")],
    output_dir: Annotated[Path, typer.Option("--output-dir", "-o", help="Where the stylized media and the relinked "
                                                                      "timeline go.")],
    media: Annotated[Optional[Path], typer.Option("--media", help="Folder of the source media, found by reel or clip "
                                                                 "name, else by source timecode.")] = None,
    preset: Annotated[Optional[str], typer.Option("--preset", "-p", help="The look of every event (a job file's "
                                                                        "[[event]] tables override it).")] = None,
    job: Annotated[Optional[Path], typer.Option("--job", help="Job file: preset, [settings], [[event]] looks by "
                                                              "event, clip, track or marker.")] = None,
    handles: Annotated[int, typer.Option("--handles", min=0, help="Frames stylized beyond each event's ends.")] = 12,
    rate: Annotated[float, typer.Option("--rate", min=1, help="An EDL's frame rate (EDLs do not state it).")] = 24.0,
    extension: Annotated[str, typer.Option("--ext", help="The stylized media's container: .mov is ProRes 422 HQ, "
                                                         ".mxf DNxHR HQX.")] = ".mov",
    presets_dir: PresetsDirOpt = None,
    ray: Annotated[Optional[str], typer.Option("--ray", rich_help_panel="Cluster",
                                                     help="Run on a Ray cluster (auto or HOST:PORT); each range "
                                                             "is one unit of work.")] = None,
    ship: Annotated[bool, typer.Option("--ship/--shared", rich_help_panel="Cluster",
                                         help="With --ray: send media through Ray's object "
                                                               "store.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Stylize only what an edit uses (each event's source range with handles, overlaps merged, a look per
    event) and write the timeline back relinked to the stylized media, its record times unchanged. Reruns skip
    finished ranges and resume interrupted ones."""
    from rich.table import Table

    from vidstyle.core.errors import UserError
    from vidstyle.core.progress import console
    from vidstyle.scale.conform import Conform, run_conform

    if ship and not ray:
        raise UserError("--ship sends work through a Ray cluster: give --ray too")
    result = run_conform(Conform(timeline, media, output_dir, handles, preset, job, rate,
                                 extension if extension.startswith(".") else f".{extension}", presets_dir, ray, ship),
                         quiet)
    table = Table(title=f"vidstyle conform: {timeline.name}")
    for column in ("media", "frames", "look", "events", "status", "output / problem"):
        table.add_column(column, overflow="fold")
    for r, item in zip(result.ranges, result.items):
        table.add_row(r.media.path.name, f"{r.first}-{r.last} ({r.frames})", r.look,
                      ", ".join(str(e.number) for e in r.events), item.status,
                      item.message if item.status == "failed" else r.output.name,
                      style={"failed": "red", "skipped": "dim"}.get(item.status))
    console.print(table)
    share = result.stylized / result.source_frames if result.source_frames else 0
    looks = ", ".join(f"{n} {look}" for n, look in sorted(result.looks.items()))
    typer.echo(f"stylized {result.stylized} frames of the {result.source_frames} in the source media "
               f"({share:.0%}); events and looks: {looks}")
    for path in result.written:
        typer.echo(f"relinked timeline: {path}")
    if any(item.status == "failed" for item in result.items):
        raise typer.Exit(1)
