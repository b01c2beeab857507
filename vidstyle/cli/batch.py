"""`vidstyle batch`: every input with every preset, here or on a Ray cluster."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from vidstyle.cli.flags import PresetsDirOpt, QuietOpt, opt
from vidstyle.core.errors import UserError

CLUSTER = "Cluster"  # the --help panel of the Ray options


def batch(
    inputs: Annotated[list[Path], typer.Argument(help="A job file (.toml), or clips, photos and folders of them "
                                                          "(globs work); with --sequences, folders of numbered "
                                                          "frames.")],
    preset: Annotated[Optional[list[str]], typer.Option("--preset", "-p", help="Preset to apply to every input; "
                                                                              "repeat for several.")] = None,
    output_dir: Annotated[Optional[Path], typer.Option("--output-dir", "-o", help="Where outputs go (default the job "
                                                                                 "file's folder, or .).")] = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Inputs processed at once, threads "
                                                                            "shared out (default 2).")] = None,
    max_size: Annotated[Optional[int], opt("--max-size", help="Cap the long side (px), over every preset's.")] = None,
    sequences: Annotated[bool, typer.Option("--sequences", help="Each folder named is an image sequence (a shot's "
                                                                "numbered frames), stylized as a clip, not as "
                                                                "photos.")] = False,
    sequence_fps: Annotated[Optional[float], opt("--sequence-fps", min=1, max=1000, help="Frame rate of the image "
                                                  "sequences, over every preset's [default: 24].")] = None,
    presets_dir: PresetsDirOpt = None,
    ray: Annotated[Optional[str], typer.Option(
        "--ray", rich_help_panel=CLUSTER, help="Run on a Ray cluster: auto (a running one, else one started here) "
                                               "or the head's HOST:PORT.")] = None,
    ship: Annotated[Optional[bool], typer.Option(
        "--ship/--shared", rich_help_panel=CLUSTER, help="With --ray: send inputs and outputs through Ray's object "
                                                         "store, or use paths every node sees (default).")] = None,
    unit_frames: Annotated[Optional[int], typer.Option(
        "--unit-frames", min=0, rich_help_panel=CLUSTER, help="With --ray: split clips longer than this at their "
                                                              "shots (0: never; default 900).")] = None,
    warmup: Annotated[Optional[int], typer.Option(
        "--warmup", min=0, rich_help_panel=CLUSTER, help="With --ray: frames stylized before a unit that starts "
                                                         "inside a shot (default: the backend's, as measured: adain "
                                                         "12, fast 8; iterative: long shots stay whole).")] = None,
    worker_cpus: Annotated[Optional[int], typer.Option(
        "--worker-cpus", min=1, rich_help_panel=CLUSTER, help="With --ray: CPUs per worker without a GPU (default "
                                                              "up to 4).")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Every input with every preset: finished outputs are skipped, interrupted clips resume, failures are
    reported at the end (exit code 1 if any). With --ray, on a Ray cluster, long clips split into units."""
    from rich.table import Table

    from vidstyle.core.progress import console
    from vidstyle.scale.batch import BatchJob, expand_inputs, load_job, run_batch, summary_rows

    if len(inputs) == 1 and inputs[0].suffix == ".toml":
        job = load_job(inputs[0], sequences or None)
        if preset:
            job.presets = list(preset)
        job.output_dir = output_dir or job.output_dir
    else:
        if not preset:
            raise UserError("give at least one --preset (see `vidstyle presets list`), or a job file")
        job = BatchJob(expand_inputs([str(p) for p in inputs], sequences), list(preset), output_dir or Path("."),
                       sequences=sequences)
    job.jobs = jobs or job.jobs
    job.presets_dir = presets_dir
    for key, value in (("max_size", max_size), ("sequence_fps", sequence_fps)):
        if value is not None:
            job.settings[key] = value
    for key, value in (("ray", ray), ("ship", ship), ("unit_frames", unit_frames), ("warmup", warmup),
                       ("worker_cpus", worker_cpus)):
        if value is not None:
            setattr(job, key, value)
    if job.ship and not job.ray:
        raise UserError("--ship sends work through a Ray cluster: give --ray too")
    started = time.perf_counter()
    if job.ray:
        from vidstyle.scale.cluster import run_batch_ray

        items = run_batch_ray(job, quiet=quiet)
    else:
        items = run_batch(job, quiet=quiet)
    table = Table(title=f"vidstyle batch: {time.perf_counter() - started:.1f} s")
    rows = summary_rows(items)
    resumed = any(row[5] for row in rows)  # the column only where a clip resumed: a narrow terminal needs the room
    for column in ("input", "preset", "status", "seconds", "stylized", "resumed at", "output / problem",
                   *(("nodes",) if job.ray else ())):
        if column != "resumed at" or resumed:
            # Names and messages folded onto more lines, not cut: which file it was matters most.
            table.add_column(column, overflow="fold" if column in ("input", "output / problem") else "ellipsis")
    for row in rows:
        table.add_row(*(cell for k, cell in enumerate(row) if k != 5 or resumed),
                      style={"failed": "red", "skipped": "dim"}.get(row[2]))
    console.print(table)
    counts = {s: sum(i.status == s for i in items) for s in ("done", "skipped", "failed")}
    typer.echo(f"done {counts['done']}, skipped {counts['skipped']}, failed {counts['failed']}")
    if counts["failed"]:
        raise typer.Exit(1)
