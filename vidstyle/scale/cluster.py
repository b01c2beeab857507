"""Batch jobs on a Ray cluster (`vidstyle batch ... --ray auto|ADDRESS`): the local batch's items, run as units
of work (vidstyle.jobs.units) by Ray actors that keep their networks loaded.

- Units: each (input, preset) item whole; a clip of more than `unit_frames` frames is first scanned for its
  shots on a worker, then split into spans (at cuts; long shots into segments with warm-up frames) whose
  encoded segments the driver joins by stream copy, muxing the audio once.
- Workers: one actor per GPU (`num_gpus=1`) where the cluster has GPUs and the presets may use them, else
  actors of `worker_cpus` CPUs each, as many as the nodes hold (CPUs and the backends' declared memory). An
  actor process loads each network once (vidstyle.nets.weights caches them) and takes unit after unit.
- Data: inputs, presets, styles and the output folder on a path every node sees; or, with `ship`, each clip's
  bytes go to the workers through Ray's object store and each finished file comes back the same way.
- Faults: Ray restarts a killed worker and retries its unit, which resumes from the unit's checkpoint. A driver
  killed and run again finds what is done on disk (outputs, segments, the split plans, checkpoints). A bad
  input fails its item alone.

Ray does the scheduling, placement, retries and data transfer; this module only says what to run.
"""

from __future__ import annotations

import logging
import math
import shutil
import time
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from vidstyle.core.errors import UserError
from vidstyle.jobs.units import Span, load_plan, save_plan, segment_path, split, units_folder
from vidstyle.scale.batch import JOB_SETTINGS, BatchJob, Item, check_presets, plan, skip_finished
from vidstyle.scale.connect import alive_nodes, connect, ray_module, worker_shape
from vidstyle.scale.worker import REPORT_EVERY, Done, Shipped, StyleWorker, Tally, Task, digest

log = logging.getLogger("vidstyle")

RETRIES = 3  # restarts of a killed worker, and retries of the unit it held
START_WAIT = 60  # seconds for all workers to start (loading torch and the networks), before going on with fewer


@dataclass
class _Clip:
    """The driver's view of one item on the cluster."""

    index: int  # the item's place in the batch
    item: Item
    tasks: list[Task] = field(default_factory=list)
    done: int = 0
    spans: list[Span] | None = None  # a split clip's
    sequence_rate: Fraction | None = None  # an image sequence's, for the join (its settings' sequence_fps)


def run_batch_ray(job: BatchJob, quiet: bool = False, items: list[Item] | None = None) -> list[Item]:
    """The batch on a Ray cluster; `items`: the outputs to make, where not every input with every preset (a
    conform's ranges, vidstyle.scale.conform)."""
    if job.ship and any(p.is_dir() for p in job.inputs):
        raise UserError("--ship sends each input as one file: image sequences need a path every node sees "
                        "(leave out --ship)")
    check_presets(job)
    items = plan(job) if items is None else items
    started_here = connect(job.ray)
    ray = ray_module()
    job.output_dir.mkdir(parents=True, exist_ok=True)
    try:
        return _run(ray, job, items, quiet)
    finally:
        if started_here:
            ray.shutdown()


def _run(ray: Any, job: BatchJob, items: list[Item], quiet: bool) -> list[Item]:
    from vidstyle.core.progress import make_progress

    nodes = alive_nodes()
    shape = worker_shape(job, nodes)
    count = shape.count(nodes)
    clips = [_Clip(n, item) for n, item in enumerate(items)]
    todo = [clip for clip in clips if not skip_finished(clip.item)]
    if not todo:
        return items
    estimates = {c.index: _estimated_frames(c.item.source) for c in todo}
    wanted = sum(max(1, math.ceil((estimates[c.index] or 1) / job.unit_frames)) if job.unit_frames else 1
                 for c in todo)
    remote = ray.remote(num_cpus=shape.cpus, num_gpus=shape.gpus, memory=shape.memory, max_restarts=RETRIES,
                        max_task_retries=RETRIES)(StyleWorker)
    began = time.perf_counter()
    workers = [remote.remote(shape.cpus, job.settings, job.presets_dir) for _ in range(max(1, min(count, wanted)))]
    workers, names = _started(ray, workers)
    log.info("%d outputs to make on %d workers (%d CPU%s each, started in %.1f s) on %d node(s): %s", len(todo),
             len(workers), shape.cpus, f", {shape.gpus} GPU" if shape.gpus else "", time.perf_counter() - began,
             len(set(names)), ", ".join(sorted(set(names))))
    tally = ray.remote(num_cpus=0)(Tally).remote()
    stats = Stats()
    started = time.perf_counter()
    with make_progress(quiet) as progress:
        overall = progress.add_task("cluster", total=None, unit="fps")
        _plan_units(ray, job, todo, workers, estimates)
        bars = {c.index: progress.add_task(c.item.output.name, total=sum(t.frames for t in c.tasks) or None)
                for c in todo if c.tasks}
        queue = deque(sorted((t for c in todo for t in c.tasks if not t.output.exists()), key=lambda t: -t.frames))
        for clip in todo:  # segments finished by an earlier run
            clip.done = sum(t.output.exists() for t in clip.tasks)
            if clip.tasks and clip.done == len(clip.tasks):
                _join(clip, stats)
        idle, running = list(workers), {}
        while queue or running:
            while idle and queue:
                task = queue.popleft()
                worker = idle.pop()
                running[worker.run.remote(task, tally)] = (worker, task, time.perf_counter())
            ready, _ = ray.wait(list(running), num_returns=1, timeout=REPORT_EVERY)
            for ref in ready:
                worker, task, sent = running.pop(ref)
                idle.append(worker)
                _finish(ray, ref, task, clips[task.item], stats, time.perf_counter() - sent)
            frames = ray.get(tally.get.remote())
            done = sum(frames.values())
            for n, bar in bars.items():
                progress.update(bar, completed=sum(v for (i, _), v in frames.items() if i == n))
            progress.update(overall, completed=done,
                            description=f"cluster: {done / (time.perf_counter() - started):.1f} fps")
    keys = list({t.data.key for c in todo for t in c.tasks if t.data is not None})
    if keys:
        ray.get([w.forget.remote(keys) for w in workers])
    for worker in workers:
        ray.kill(worker)
    log.info("%s", stats)
    return items


def _started(ray: Any, workers: list[Any]) -> tuple[list[Any], list[str]]:
    """The workers that start (and their nodes' names): on a cluster other jobs share, some may wait for
    resources that never free; the batch goes on with those that started, and fails if none does."""
    calls = {w.ready.remote(): w for w in workers}
    ready, waiting = ray.wait(list(calls), num_returns=len(calls), timeout=START_WAIT)
    if not ready:
        ready, waiting = ray.wait(waiting, num_returns=1, timeout=10 * START_WAIT)
    if not ready:
        raise UserError(f"no worker started on the Ray cluster in {11 * START_WAIT} s: its resources are taken by "
                        "other jobs")
    for ref in waiting:
        ray.kill(calls[ref])
    return [calls[ref] for ref in ready], ray.get(ready)


@dataclass
class Stats:
    """What running on the cluster cost beyond the stylizing: per unit, the time from sending it to having its
    result less the worker's own run (scheduling, shipping bytes, Ray's calls); per split clip, the join."""

    overheads: list[float] = field(default_factory=list)
    joins: list[float] = field(default_factory=list)
    work: float = 0.0  # the workers' own seconds, all units

    def __str__(self) -> str:
        def median(values: list[float]) -> float:
            return sorted(values)[len(values) // 2] if values else 0.0

        text = (f"{len(self.overheads)} units, {self.work:.1f} s of work: overhead per unit median "
                f"{1000 * median(self.overheads):.0f} ms")
        if self.joins:
            text += f"; {len(self.joins)} joins, median {1000 * median(self.joins):.0f} ms"
        return text


def _plan_units(ray: Any, job: BatchJob, todo: list[_Clip], workers: list[Any],
                estimates: dict[int, int | None]) -> None:
    """Each item's tasks: whole, or its spans. The clips longer than unit_frames are scanned for their shots on
    the workers, in parallel, once per clip and frame size; a plan an earlier run saved is used as it is."""
    from vidstyle.jobs.checkpoint import fingerprint
    from vidstyle.media.images import is_image
    from vidstyle.settings import resolve

    data: dict[Path, Shipped] = {}
    scans: dict[tuple, Any] = {}  # one per clip and what the scan depends on
    waiting: list[tuple[_Clip, tuple, int, str, Path]] = []
    for n, clip in enumerate(todo):
        item = clip.item
        if job.ship and item.source not in data and item.source.is_file():
            st = item.source.stat()
            key = digest(f"{item.source.resolve()}:{st.st_size}:{st.st_mtime_ns}")
            data[item.source] = Shipped(ray.put(item.source.read_bytes()), key)
        frames = estimates[clip.index] if not is_image(item.source) else 1
        clip.tasks = [Task(clip.index, 0, item.source, item.preset, item.output, frames or 1,
                           data=data.get(item.source), settings=item.settings)]
        if not job.unit_frames or not frames or frames <= job.unit_frames:
            continue
        settings = resolve(item.preset, {**job.settings, **item.settings}, job.presets_dir, JOB_SETTINGS)
        clip.sequence_rate = settings.sequence_rate()
        why = _whole_why(settings)
        if why:
            log.info("%s with %s: stylized whole (%s)", item.source.name, item.preset, why)
            continue
        warmup = job.warmup if job.warmup is not None else settings.describe().warmup
        key = fingerprint(item.source, {**settings.fingerprint(), "unit_frames": job.unit_frames, "warmup": warmup})
        plan_file = units_folder(item.output) / "plan.json"
        clip.spans = load_plan(plan_file, key)
        if clip.spans is None:
            scan = (item.source, settings.common.max_size, settings.output.cuts, settings.common.precision,
                    settings.common.device, settings.sequence_rate())
            if scan not in scans:
                worker = workers[len(scans) % len(workers)]
                scans[scan] = worker.scan.remote(item.source, item.preset, data.get(item.source))
            waiting.append((clip, scan, warmup, key, plan_file))
    for clip, scan, warmup, key, plan_file in waiting:
        try:
            clip.spans = split(ray.get(scans[scan]), job.unit_frames, warmup)
        except Exception as exc:  # noqa: BLE001 - a clip that cannot be scanned fails alone, as its run would
            clip.item.status, clip.item.message = "failed", _reason(exc)
            clip.tasks = []
            continue
        if warmup is None and any(s.frames > job.unit_frames for s in clip.spans):
            log.info("%s: its shots longer than %d frames stay whole (this backend is split at cuts only)",
                     clip.item.source.name, job.unit_frames)
        plan_file.parent.mkdir(exist_ok=True)
        save_plan(plan_file, key, clip.spans)
    for clip in todo:
        if clip.spans and len(clip.spans) > 1:
            whole = clip.tasks[0]
            clip.tasks = [Task(whole.item, k, whole.source, whole.preset, segment_path(whole.output, k), s.frames,
                               s, whole.data) for k, s in enumerate(clip.spans)]


def _whole_why(settings: Any) -> str:
    """Why a long clip is not split with these settings, or ""."""
    out = settings.output
    if out.start is not None or out.end is not None:
        return "a segment of it is asked for"
    if settings.looks:
        return "looks per shot or keyframes"
    if getattr(settings.options, "passes", 1) > 1:
        return "multi-pass runs over whole shots"
    return ""


def _estimated_frames(source: Path) -> int | None:
    from vidstyle.media.source import VideoSource

    try:
        with VideoSource(source) as clip:
            return clip.estimated_frames()
    except UserError:
        return None  # a bad input: run whole, to fail in its own item with its own message


def _finish(ray: Any, ref: Any, task: Task, clip: _Clip, stats: Stats, seconds: float) -> None:
    """Take a unit's result (`seconds` after it was sent): the item's status and counts, the file when shipped,
    the join when all are in."""
    from vidstyle.media.atomic import atomic_output

    item = clip.item
    try:
        done: Done = ray.get(ref)
    except Exception as exc:  # noqa: BLE001 - a worker lost more often than retried: its item fails alone
        item.status, item.message = "failed", f"worker lost: {_reason(exc)}"
        return
    got = done.item
    stats.overheads.append(max(0.0, seconds - got.seconds))
    stats.work += got.seconds
    item.nodes[done.node] = item.nodes.get(done.node, 0.0) + got.seconds
    item.seconds += got.seconds
    if got.status != "done":
        item.status, item.message = "failed", got.message
        return
    if done.data is not None:
        with atomic_output(task.output) as tmp:
            tmp.write_bytes(done.data)
    item.frames += got.frames
    item.stylized += got.stylized
    item.resumed_from = item.resumed_from or got.resumed_from
    clip.done += 1
    if clip.done == len(clip.tasks) and item.status != "failed":
        _join(clip, stats)


def _join(clip: _Clip, stats: Stats) -> None:
    item = clip.item
    if clip.spans and len(clip.tasks) > 1:
        from vidstyle.media.join import join_segments

        folder = units_folder(item.output)
        began = time.perf_counter()
        try:
            item.frames = join_segments(item.source, [(t.output, t.span.at) for t in clip.tasks], item.output, folder,
                                        clip.sequence_rate)
        except UserError as exc:
            item.status, item.message = "failed", str(exc)
            return
        stats.joins.append(time.perf_counter() - began)
        shutil.rmtree(folder, ignore_errors=True)
        item.message = f"{len(clip.tasks)} units joined"
    item.status = "done"


def _reason(exc: BaseException) -> str:
    """One line for an error a worker raised (Ray wraps it: its cause is the worker's own exception)."""
    exc = getattr(exc, "cause", None) or exc
    if isinstance(exc, UserError):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[-1] if text else ''}"
