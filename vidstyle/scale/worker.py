"""The cluster's units of work and the Ray actors that run them: a worker keeps its networks loaded and takes unit
after unit; a tally holds the frames each unit has written so far."""

from __future__ import annotations

import hashlib
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidstyle.core.machine import keep_freed_memory
from vidstyle.jobs.run import plan_frames
from vidstyle.jobs.units import Span
from vidstyle.scale.batch import JOB_SETTINGS, Item, run_item
from vidstyle.settings import resolve

REPORT_EVERY = 0.5  # seconds between a worker's progress reports


@dataclass
class Task:
    """One unit for a worker: an item whole (span None), or a span of its clip into a segment file."""

    item: int  # the item's place in the batch
    unit: int  # the span's number in its clip (0 for a whole item)
    source: Path
    preset: str
    output: Path  # the item's output, or the segment's file
    frames: int  # frames it writes, as far as known (progress, and the largest units go first)
    span: Span | None = None
    data: Shipped | None = None  # with `ship`: the input's bytes
    settings: dict[str, Any] = field(default_factory=dict)  # the item's own, over the batch's (Item.settings)


@dataclass(frozen=True)
class Shipped:
    """An input sent through Ray's object store: its bytes, and a key for the file as it was (path, size and
    time), under which a node keeps its copy."""

    ref: Any  # ray.ObjectRef of the bytes (inside a dataclass, so that a node fetches it only when it has no copy)
    key: str


@dataclass
class Done:
    task: Task
    item: Item  # the status, message and counts of the run
    node: str
    data: bytes | None = None  # with `ship`: the finished file


class StyleWorker:
    """A Ray actor: takes units one after another; its process keeps the networks it loaded."""

    def __init__(self, threads: int, overrides: dict[str, Any], presets_dir: Path | None) -> None:
        import cv2
        import ray
        import torch

        torch.set_num_threads(threads)
        cv2.setNumThreads(threads)
        keep_freed_memory()
        self.overrides, self.presets_dir = overrides, presets_dir
        self.node = f"{socket.gethostname()}/{ray.get_runtime_context().get_node_id()[:6]}"
        # Shipped inputs and the units' files live here; a retried unit on this node resumes from it.
        self.scratch = Path(tempfile.gettempdir()) / "vidstyle-ship"

    def ready(self) -> str:
        return self.node

    def scan(self, source: Path, preset: str, data: Shipped | None = None) -> list[tuple[int, float, Any]]:
        """A clip's frames and shot boundaries, as the job will find them (vidstyle.jobs.run.plan_frames)."""
        settings = resolve(preset, self.overrides, self.presets_dir, JOB_SETTINGS)
        return plan_frames(self._local(source, data), settings)

    def run(self, task: Task, tally: Any = None) -> Done:
        item = Item(self._local(task.source, task.data), task.preset, task.output, settings=task.settings)
        if task.data is not None:
            item.output = self.scratch / digest(str(task.output)) / task.output.name
            item.output.parent.mkdir(parents=True, exist_ok=True)
        last = [0.0]

        def report(frames: int) -> None:
            now = time.monotonic()
            if tally is not None and now - last[0] >= REPORT_EVERY:
                last[0] = now
                tally.put.remote((task.item, task.unit), frames)

        run_item(item, self.overrides, self.presets_dir, True, task.span, report)
        if tally is not None:
            tally.put.remote((task.item, task.unit), item.frames)
        data = None
        if task.data is not None and item.status == "done":
            data = item.output.read_bytes()
            shutil.rmtree(item.output.parent, ignore_errors=True)  # this output's own folder
        return Done(task, item, self.node, data)

    def forget(self, keys: list[str]) -> None:
        """Remove the copies of shipped inputs this node kept (the batch is over)."""
        for key in keys:
            shutil.rmtree(self.scratch / key, ignore_errors=True)

    def _local(self, source: Path, data: Shipped | None) -> Path:
        """The input's path on this node: as given, or its shipped bytes written once into the scratch folder."""
        if data is None:
            return source
        import ray

        path = self.scratch / data.key / f"input{source.suffix}"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(ray.get(data.ref))
            tmp.replace(path)
        return path


class Tally:
    """Frames written so far by each unit, as its worker reports them (a Ray actor)."""

    def __init__(self) -> None:
        self.frames: dict[tuple[int, int], int] = {}

    def put(self, key: tuple[int, int], frames: int) -> None:
        self.frames[key] = frames

    def get(self) -> dict[tuple[int, int], int]:
        return self.frames


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
