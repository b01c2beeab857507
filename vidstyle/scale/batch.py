"""Batch jobs: every input times every preset, predictable output names, resumable, one failure stays one.

A job file (TOML), paths relative to it:

    output_dir = "out"                      # default: beside the job file
    inputs = ["clips/*.mp4", "photo.jpg"]   # files or glob patterns; videos and stills
    sequences = false                       # true: folders named are image sequences (a shot's frames), clips
    presets = ["fast-mosaic", "adain-starry-night"]
    jobs = 2                                # inputs stylized at once (default 2)
    [settings]                              # laid over every preset (any preset key)
    max_size = 640
    [[shot]]                                # looks per shot or time (vidstyle.settings.looks), instead of the presets'
    shot = 2
    style_id = [12]

Outputs are OUTPUT_DIR/STEM.PRESET.mp4 for clips (FOLDER.PRESET.mp4 for a sequence) and OUTPUT_DIR/STEM.PRESET.png
for stills. An output that exists is finished (outputs are renamed into place only when whole) and is skipped; a
clip that was interrupted resumes from its last checkpointed frame.
"""

from __future__ import annotations

import glob
import logging
import multiprocessing
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vidstyle.core.errors import Terminated, UserError
from vidstyle.core.machine import cpu_count, keep_freed_memory, memory_available
from vidstyle.jobs.units import UNIT_FRAMES
from vidstyle.settings import resolve
from vidstyle.settings.model import TABLE
from vidstyle.settings.presets import list_presets, preset_values, read_preset

if TYPE_CHECKING:
    from vidstyle.jobs.units import Span

log = logging.getLogger("vidstyle")

JOB_SETTINGS = "the batch's settings"  # where values laid over every preset come from, in messages
JOB_MEMORY = 3 << 30  # peak memory of one clip job at 1080p with the AdaIN backend is about 2.5 GiB


@dataclass
class Item:
    source: Path
    preset: str
    output: Path
    status: str = "pending"  # done, skipped, failed
    seconds: float = 0.0
    frames: int = 0
    stylized: int = 0
    resumed_from: int = 0
    message: str = ""
    nodes: dict[str, float] = field(default_factory=dict)  # on a Ray cluster: seconds of work per node
    settings: dict[str, Any] = field(default_factory=dict)  # this output's own, over the batch's (a segment)


@dataclass
class BatchJob:
    inputs: list[Path]
    presets: list[str]
    output_dir: Path
    # 2 at once, threads shared out, was 5% faster than 1 on this 2-core machine (benchmarks/batch_jobs.py)
    jobs: int = 2
    settings: dict[str, Any] = field(default_factory=dict)
    presets_dir: Path | None = None
    # On a Ray cluster (vidstyle.scale.cluster): its address ("auto": a running one, else one started here), None to
    # run here; `ship` sends inputs and outputs through Ray's object store instead of a shared path.
    ray: str | None = None
    ship: bool = False
    unit_frames: int = UNIT_FRAMES  # clips longer than this are split into units (0: never)
    warmup: int | None = None  # None: the backend's (Backend.warmup)
    worker_cpus: int | None = None  # None: up to 4, as the nodes allow
    # Folders named are image sequences (vidstyle.media.sequence), each stylized as a clip, not as its stills: a
    # flag, as a camera's folder of photos is numbered like a shot.
    sequences: bool = False


def load_job(path: Path, sequences: bool | None = None) -> BatchJob:
    """The job file at `path`; `sequences`, where given (the command line's flag), over the file's."""
    table = read_preset(path)  # the same TOML reading and errors as presets
    base = path.parent
    unknown = set(table) - {"output_dir", "inputs", "presets", "jobs", "settings", "description", "sequences", TABLE,
                            *CLUSTER_KEYS}
    if unknown:
        raise UserError(f"unknown keys in the job file: {', '.join(sorted(unknown))}", path)
    sequences = table.get("sequences", False) if sequences is None else sequences
    if not isinstance(sequences, bool):
        raise UserError(f"sequences in the job file: {sequences!r} is not true or false", path)
    listed = {key: _names(table, key, path) for key in ("inputs", "presets")}
    inputs = expand_inputs([str(base / Path(p).expanduser()) for p in listed["inputs"]], sequences)
    presets = [str(base / Path(p).expanduser()) if p.endswith(".toml") else p for p in listed["presets"]]
    if not inputs or not presets:
        raise UserError("a job file needs `inputs` and `presets`", path)
    settings = dict(table.get("settings", {}))
    if TABLE in table:  # styles named in the tables are relative to the job file, as in a preset
        settings[TABLE] = preset_values(path)[TABLE]
    output_dir = base / Path(table.get("output_dir", ".")).expanduser()
    job = BatchJob(inputs, presets, output_dir, int(table.get("jobs", BatchJob.jobs)), settings, sequences=sequences)
    for key, kind in CLUSTER_KEYS.items():
        if key in table:
            value = table[key]
            if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool) or \
                    (kind is int and value < (1 if key == "worker_cpus" else 0)):
                raise UserError(f"{key} in the job file: {value!r} is not a {CLUSTER_KEYS_SAY[key]}", path)
            setattr(job, key, value)
    return job


# Job-file keys for a Ray cluster (vidstyle.scale.cluster), as the `batch` flags of the same names.
CLUSTER_KEYS = {"ray": str, "ship": bool, "unit_frames": int, "warmup": int, "worker_cpus": int}
CLUSTER_KEYS_SAY = {"ray": "cluster address (auto, or HOST:PORT)", "ship": "true or false",
                    "unit_frames": "frame count (0 or more)", "warmup": "frame count (0 or more)",
                    "worker_cpus": "CPU count (1 or more)"}


def _names(table: dict[str, Any], key: str, path: Path) -> list[str]:
    """A job file's list of names under `key`; one name alone is taken as a list of one (it was taken letter by
    letter: 20 'file not found' items for a 20-character path)."""
    value = table.get(key, [])
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"`{key}` must be a list of names, like [\"a.mp4\", \"b.mp4\"]", path)
    return value


def expand_inputs(patterns: list[str], sequences: bool = False) -> list[Path]:
    """Files named or matched by glob patterns, and the clips and stills in folders named (with `sequences`: the
    folders themselves, each an image sequence), in order, each once; a name that matches nothing is kept so that
    it fails as a missing file, in the summary."""
    found: list[Path] = []
    for pattern in patterns:
        path = os.path.expanduser(pattern)
        # A file that exists is taken by its name, whatever it holds: "take [1].mp4" is a file, not a pattern.
        matches = [path] if not glob.has_magic(path) or os.path.exists(path) else sorted(glob.glob(path))
        if not matches:
            raise UserError(f"no input matches {pattern!r}")
        for match in map(Path, matches):
            media = _media_in(match) if match.is_dir() and not sequences else [match]
            found += [m for m in media if m not in found]
    return found


def _media_in(folder: Path) -> list[Path]:
    """The clips and stills directly in `folder`, by name; not hidden files (macOS leaves `._clip.mp4` beside
    clips copied from its disks), nor what is in its subfolders (an output folder kept inside, say)."""
    from vidstyle.media.formats import VIDEO_SUFFIXES, is_clip
    from vidstyle.media.images import is_image

    media = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                   and (is_image(p) or is_clip(p)))
    if not media:
        raise UserError(f"no clips or stills in the folder (looked for {' '.join(sorted(VIDEO_SUFFIXES))}, "
                        "animated GIFs and images)", folder)
    if len(media) > 1 and all(is_image(p) for p in media) and _one_sequence(folder, len(media)):
        log.warning("%s: its %d stills are numbered as the frames of a shot: each is stylized as a photo; "
                    "`vidstyle video %s` or `vidstyle batch --sequences` stylizes them as a clip", folder, len(media),
                    folder)
    return media


def _one_sequence(folder: Path, stills: int) -> bool:
    from vidstyle.media.sequence import find_sequence

    try:
        return find_sequence(folder).count == stills
    except UserError:
        return False


def plan(job: BatchJob) -> list[Item]:
    """Every input with every preset, each output named `STEM.PRESET.mp4` (`.png` for a photo, the folder's whole
    name for an image sequence); inputs that share a stem (clip.mp4 and clip.webm) keep their extension in it
    (`clip.webm.PRESET.mp4`), so that none collide."""
    from vidstyle.media.images import is_image

    def stem(source: Path) -> str:
        return source.name if source.is_dir() else source.stem

    def outputs(inputs: list[Path]) -> list[Item]:
        stems = Counter(stem(source) for source in inputs)
        names = [Path(p).stem for p in job.presets]
        items = []
        for source in inputs:
            base = source.name if stems[stem(source)] > 1 else stem(source)
            for preset, name in zip(job.presets, names):
                suffix = ".png" if is_image(source) else ".mp4"
                items.append(Item(source, preset, job.output_dir / f"{base}.{name}{suffix}"))
        return items

    items = outputs(job.inputs)
    # A rerun over a folder that outputs went into (the default output folder is the current one) finds them
    # there; stylized again they would be outputs of outputs. Left out: this job's own, and STEM.PRESET.mp4 (.png)
    # for a preset it knows, made from an input STEM beside it.
    made = {item.output.resolve() for item in items}
    presets = {Path(p).stem for p in job.presets} | set(list_presets(job.presets_dir))
    sources = {(p.parent, name) for p in job.inputs for name in (p.name, p.stem)}

    def batch_output(source: Path) -> bool:
        stem, _, suffix = source.name.rpartition(".")
        origin, _, preset = stem.rpartition(".")
        return source.resolve() in made or (suffix in ("mp4", "png") and preset in presets and
                                            (source.parent, origin) in sources)

    inputs = [source for source in job.inputs if not batch_output(source)]
    if len(inputs) < len(job.inputs):
        gone = len(job.inputs) - len(inputs)
        log.info("%d file%s left out of the inputs: written by a batch, from %s beside %s", gone,
                 "" if gone == 1 else "s", "a clip" if gone == 1 else "clips", "it" if gone == 1 else "them")
        items = outputs(inputs)
    seen: dict[Path, Item] = {}
    for item in items:
        other = seen.setdefault(item.output, item)
        if other is not item:
            pair = f"{other.source} and {item.source}" if other.source != item.source else \
                f"the presets {other.preset} and {item.preset}"
            raise UserError(f"{pair} would both write {item.output.name}; rename one or run them apart")
    return items


def check_presets(job: BatchJob) -> None:
    """Fail before any work if a preset is missing or broken (each is resolved once, styles fetched)."""
    for preset in job.presets:
        resolve(preset, job.settings, job.presets_dir, JOB_SETTINGS)


def skip_finished(item: Item) -> bool:
    """Whether the item's output is there already (then it is marked skipped). Outputs are renamed into place
    only when whole, so resume data or segments still beside one were left by a job killed between that rename
    and their removal: they are removed here, or a batch that skips the output would keep them for good."""
    from vidstyle.jobs.checkpoint import folder_for
    from vidstyle.jobs.units import units_folder

    if not item.output.exists():
        return False
    item.status, item.message = "skipped", "output exists"
    for folder in (folder_for(item.output), units_folder(item.output)):
        if folder.is_dir():
            log.info("removing %s, left beside the finished %s", folder.name, item.output.name)
            shutil.rmtree(folder, ignore_errors=True)
    return True


def run_item(item: Item, overrides: dict[str, Any], presets_dir: Path | None, quiet: bool, span: Span | None = None,
             on_frames: Callable[[int], None] | None = None) -> Item:
    """Run one input x preset (or, with a `span`, that part of its clip into `item.output`: vidstyle.jobs.units);
    errors become the item's status, so that the batch goes on."""
    from vidstyle.jobs.run import run_image, run_video
    from vidstyle.media.images import is_image

    started = time.perf_counter()
    try:
        settings = resolve(item.preset, {**overrides, **item.settings}, presets_dir, JOB_SETTINGS)
        if is_image(item.source):
            run_image(item.source, item.output, settings, quiet=quiet)
            item.frames = item.stylized = 1
        else:
            result = run_video(item.source, item.output, settings, quiet=quiet, batch=True, span=span,
                               on_frames=on_frames)
            item.frames, item.stylized, item.resumed_from = result.frames, result.stylized, result.resumed_from
            item.message = result.short
        item.status = "done"
    except UserError as exc:
        item.status, item.message = "failed", str(exc)
    except Exception as exc:  # noqa: BLE001 - one bad item must not end the batch
        item.status, item.message = "failed", f"{exc.__class__.__name__}: {exc}"
    item.seconds = time.perf_counter() - started
    return item


def _worker_init(threads: int) -> None:
    """In each worker process: its share of the threads, and death with the batch process. Without the latter
    a SIGKILLed batch would leave workers writing while the rerun takes the same clips up (Linux only)."""
    import ctypes
    import signal

    import cv2
    import torch

    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    keep_freed_memory()


def worker_budget(jobs: int) -> tuple[int, int]:
    """How many clips at once and how many threads each: the CPU's threads shared out, and no more jobs than
    the free memory holds."""
    jobs = max(1, min(jobs, cpu_count()))
    free = memory_available()
    if free is not None and jobs > 1 and free // JOB_MEMORY < jobs:
        fits = max(1, free // JOB_MEMORY)
        log.warning("--jobs %d lowered to %d: %.1f GiB of memory free, about %.1f GiB per job", jobs, fits,
                    free / (1 << 30), JOB_MEMORY / (1 << 30))
        jobs = fits
    return jobs, max(1, cpu_count() // jobs)


def run_batch(job: BatchJob, quiet: bool = False, items: list[Item] | None = None) -> list[Item]:
    """The batch here; `items`: the outputs to make, where not every input with every preset (a conform's
    ranges, vidstyle.scale.conform)."""
    from vidstyle.core.progress import make_progress

    check_presets(job)
    job.output_dir.mkdir(parents=True, exist_ok=True)
    items = plan(job) if items is None else items
    todo = [item for item in items if not skip_finished(item)]
    jobs, threads = worker_budget(job.jobs)
    log.info("%d output%s: %d to make, %d already there; %d at a time, %d thread%s each", len(items),
             "" if len(items) == 1 else "s", len(todo), len(items) - len(todo), jobs, threads,
             "" if threads == 1 else "s")
    if jobs == 1:
        for item in todo:
            log.info("%s with %s -> %s", item.source.name, item.preset, item.output)
            run_item(item, job.settings, job.presets_dir, quiet)
            _report(item)
        return items
    with make_progress(quiet) as progress, \
            ProcessPoolExecutor(jobs, mp_context=_spawn(), initializer=_worker_init, initargs=(threads,)) as pool:
        task = progress.add_task("batch", total=len(todo), unit="items/s")
        futures = {pool.submit(run_item, item, job.settings, job.presets_dir, True): n
                   for n, item in enumerate(todo)}
        try:
            for future in as_completed(futures):
                done = future.result()
                todo[futures[future]].__dict__.update(done.__dict__)
                _report(done)
                progress.advance(task)
        except Terminated:
            # Ctrl-C reaches the workers from the terminal; a SIGTERM only this process, which would wait here for
            # their clips to finish. They stop now, as if killed: their clips resume on the next run.
            for child in multiprocessing.active_children():
                child.terminate()
            raise
    return items


def _spawn():
    return multiprocessing.get_context("spawn")  # fork would copy torch's thread pools in a broken state


def _report(item: Item) -> None:
    if item.status == "failed":
        log.error("failed: %s with %s: %s", item.source.name, item.preset, item.message)


def summary_rows(items: list[Item]) -> list[tuple[str, ...]]:
    """The summary table's rows; on a Ray cluster, with the seconds each node spent on the item."""
    rows = []
    for i in items:
        message = i.message.removeprefix(f"{i.source}: ")  # the input column names it
        row = (i.source.name, Path(i.preset).stem, i.status, f"{i.seconds:.1f}", str(i.stylized),
               str(i.resumed_from or ""), "; ".join(m for m in (i.output.name if i.status != "failed" else "",
                                                               message) if m))
        if any(item.nodes for item in items):
            row += (", ".join(f"{node} {seconds:.1f} s" for node, seconds in sorted(i.nodes.items())),)
        rows.append(row)
    return rows
