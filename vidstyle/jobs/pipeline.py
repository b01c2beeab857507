"""Runs a video job as a stream: decode + shot detection | flow | stylize | output temporal term + encode + audio,
in four threads.

Bounded queues between the stages keep memory flat whatever the clip length, and let decoding, flow and
encoding overlap with network inference. Only the temporal step must go frame by frame, in order.
With a checkpoint (vidstyle.jobs.checkpoint), the encode thread also keeps each finished frame and, every N frames,
the temporal state, so that a killed job resumes where it stopped.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import torch
from rich.progress import Progress

from vidstyle.backends.base import Look, Stylizer
from vidstyle.core.device import torch_threads
from vidstyle.core.errors import UserError
from vidstyle.core.progress import make_progress
from vidstyle.core.tensors import to_bytes, to_tensor, to_words
from vidstyle.core.timepoints import TimePoint
from vidstyle.flow import FLOW_SIZE, FlowEstimator
from vidstyle.jobs.checkpoint import Checkpoint, Saved
from vidstyle.media.atomic import atomic_output
from vidstyle.media.frames import Frame
from vidstyle.media.sinks import open_sink
from vidstyle.media.sinks.video import EncodeSettings
from vidstyle.media.source import VideoSource
from vidstyle.settings.looks import Schedule
from vidstyle.shots.cuts import Boundary
from vidstyle.shots.stage import Framing, ShotStage, brightness_gain
from vidstyle.temporal.carry import CarryBlender
from vidstyle.temporal.motion import Motion, estimate_motion

QUEUE_DEPTH = 8
_DONE = object()


@dataclass
class VideoOptions:
    max_size: int | None
    temporal_weight: float  # the output-level temporal term (used when there is an estimator); 0 = off
    encode: EncodeSettings = field(default_factory=EncodeSettings)
    quiet: bool = False
    start: TimePoint | None = None  # the segment to stylize; None: from the clip's start
    end: TimePoint | None = None
    shots: Callable[[], ShotStage] = ShotStage  # makes the run's shot stage: boundaries and bars
    looks: Callable[[], Schedule] | None = None  # makes the run's look schedule ([[shot]] tables, keyframes)
    flow_size: int = FLOW_SIZE  # the long side flow runs at; 0 = the frame's own
    colour_tolerance: float | None = None  # the colour check in the flow's confidence (Backend); None: off
    first_index: int = 0  # the clip's frame number of the first frame decoded (a unit's: Span.first - warmup)
    # A unit of a split clip (vidstyle.jobs.units): its first `warmup` frames are stylized only to build the temporal
    # state and are not written (the timestamps written start at the first written frame's); `audio` off (the
    # join muxes it once).
    warmup: int = 0
    audio: bool = True
    on_frames: Callable[[int], None] | None = None  # told the frames written so far, now and then
    sequence_rate: Fraction | None = None  # an image sequence's frame rate (vidstyle.media.sequence)


@dataclass
class Decoded:
    """Decode thread -> network: a frame, the picture to stylize (inside any bars) on the network's device, its
    motion from the previous frame (None: no temporal term, as at a shot's first frame), how it is framed and
    its look (None: the settings' own throughout)."""

    frame: Frame
    picture: torch.Tensor
    motion: Motion | None
    framing: Framing
    look: Look | None = None


@dataclass
class Stylized:
    """Network -> encode thread: a frame's output (None: finished by an earlier run, read from the checkpoint),
    its motion for the output temporal term, its framing, and the stylizer's state after it when a checkpoint
    is due."""

    frame: Frame
    out: torch.Tensor | None  # on the network's device
    picture: torch.Tensor | None = None  # the source picture it was made from (inside any bars), on the device
    motion: Motion | None = None
    framing: Framing | None = None
    state: dict[str, Any] | None = None
    look: Look | None = None


@dataclass
class VideoResult:
    frames: int
    seconds: float
    stylized: int = 0  # frames stylized by this run (the rest came from a checkpoint)
    resumed_from: int = 0
    boundaries: list[Boundary] = field(default_factory=list)  # where shots started, after the first
    reached: float = 0.0  # the clip time of the last frame
    short: str = ""  # why the input ended before what its container states, if it did
    stopped_at_end: bool = False  # the decoding stopped at the segment's end, not at the input's

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


class _Stage(threading.Thread):
    """A daemon thread whose failure is handed to the consumer instead of being lost."""

    def __init__(self, target: Callable[[], None], name: str, finish: Callable[[], object] = lambda: None) -> None:
        super().__init__(name=name, daemon=True)
        self._work = target
        self._finish = finish
        self.error: BaseException | None = None

    def run(self) -> None:
        _lower_priority()
        try:
            self._work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            self.error = exc
        finally:
            self._finish()  # after `error` is set, so a consumer that sees the end also sees the error


def _lower_priority() -> None:
    """Let the network's threads win the CPU: the helper stages have queue slack and catch up in the gaps,
    while a preempted inference thread stalls every other one at the next sync. Linux applies nice values per
    thread (and to the threads this one starts, such as x264's); elsewhere this does nothing."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


@contextmanager
def _helper_threads(device: torch.device) -> Iterator[None]:
    """The helper stages' tensor work on one thread where the network runs on the CPU: the cores are its."""
    with torch_threads(1 if device.type == "cpu" else None):
        yield


@contextmanager
def _opencv_single_threaded() -> Iterator[None]:
    """OpenCV's own thread pool off for the job: its work (flow, the output temporal step) already runs in the
    helper stages, beside the network. With the pool on, its threads preempted the network's mid-layer: on 2
    cores, AdaIN end to end at 640x360 ran at 0.69-0.91 of the network alone, and 0.81-1.01 without it
    (3 rounds side by side, 30 frames)."""
    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def _put(q: queue.Queue, item: Any, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _drain(q: queue.Queue, stop: threading.Event, upstream: _Stage | None = None) -> Iterator[Any]:
    """Items from `q` until the upstream stage says it is done; its error, if any, is raised here."""
    while True:
        try:
            item = q.get(timeout=0.1)
        except queue.Empty:
            if stop.is_set():
                return
            continue
        if item is _DONE:
            if upstream is not None and upstream.error is not None:
                raise upstream.error
            return
        yield item


def watch_iterations(stylizer: Stylizer, progress: Progress) -> None:
    """A second bar for backends that optimise each frame: iterations and loss within the current frame."""
    if not hasattr(stylizer, "on_step"):
        return
    task = progress.add_task("iterations", total=None, unit="it/s")

    def on_step(done: int, total: int, loss: float) -> None:
        if done == 1:
            progress.reset(task, total=total)
        progress.update(task, completed=done, total=total, description=f"loss {loss:.4g}")

    stylizer.on_step = on_step


def stylize_video(source_path: Path, output: Path, stylizer: Stylizer, estimator: FlowEstimator | None,
                  options: VideoOptions, checkpoint: Checkpoint | None = None) -> VideoResult:
    """Stylize one clip into `output`, which appears only when the whole file is written.

    With an `estimator`, each frame's motion from the previous one goes to the stylizer's temporal term.
    With an opened `checkpoint`, finished frames and the temporal state are kept as the job goes, frames an
    earlier run finished are taken from it, and it is removed once the output is in place.
    A stylizer with `passes` > 1 (multi-pass, vidstyle.jobs.passes) makes three steps of it: the first pass into the
    checkpoint's folder only, the later passes over the frames there, then the encoding of them all.
    """
    passes = getattr(stylizer, "passes", 1) if estimator is not None else 1
    if passes == 1 or checkpoint is None:
        result = _stream(source_path, output, stylizer, estimator, options, checkpoint,
                         checkpoint.resume_from if checkpoint else 0)
    else:
        from vidstyle.jobs import passes as multipass

        started, resumed_from = time.perf_counter(), checkpoint.resume_from
        state, stylized = multipass.load(checkpoint), 0
        if state is None:
            first = _stream(source_path, output, stylizer, estimator, options, checkpoint, checkpoint.resume_from,
                            encode=False)
            state = multipass.PassState(first.frames, [0, *(b.frame for b in first.boundaries)], passes)
            multipass.save(checkpoint, state)
            stylized = first.stylized
        with make_progress(options.quiet) as progress:
            task = progress.add_task(f"pass {state.done + 1}/{passes}", total=state.frames)
            watch_iterations(stylizer, progress)

            def on_frame(number: int, done: int) -> None:
                way = "backward" if number % 2 == 0 else "forward"
                progress.update(task, completed=done, description=f"pass {number}/{passes} ({way})")

            multipass.refine(checkpoint, state, stylizer, estimator, options.flow_size, on_frame)
        result = _stream(source_path, output, stylizer, estimator, options, checkpoint, state.frames)
        result.stylized, result.resumed_from = stylized, resumed_from
        result.seconds = time.perf_counter() - started
    if checkpoint:
        checkpoint.clear()
    return result


def _backdrop(frame: Frame, deep: bool) -> np.ndarray:
    """The source frame a stylized picture is placed in (its bars), at the output's depth."""
    if not deep or frame.deep is not None:
        return frame.rgb if not deep else frame.deep
    return frame.rgb.astype(np.uint16) * 257


class _Discard:
    """The sink of a first pass whose frames only go to the checkpoint's folder."""

    depth = 8

    def write_frame(self, *args: Any) -> None: ...

    def write_audio(self, packet: av.Packet) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


def _stream(source_path: Path, output: Path, stylizer: Stylizer, estimator: FlowEstimator | None,
            options: VideoOptions, checkpoint: Checkpoint | None, skip: int, encode: bool = True) -> VideoResult:
    """One pass over the clip in three threads; frames before `skip` come from the checkpoint. Without
    `encode`, nothing is written but the checkpoint's frames, and the source frames beside them."""
    started = time.perf_counter()
    stop = threading.Event()
    if checkpoint and checkpoint.saved:
        stylizer.load_state(checkpoint.saved.stylizer)
    tmp_dir = checkpoint.folder if checkpoint else None
    device = stylizer.device
    with _opencv_single_threaded(), VideoSource(source_path, options.sequence_rate) as source, \
            (atomic_output(output, tmp_dir) if encode else nullcontext()) as tmp:
        sink = open_sink(tmp, output, source, options.encode, options.audio) if encode else _Discard()
        deep = sink.depth > 8  # frames go to the network and come back at 16 bits, not 8 (vidstyle.media.deliver)
        shots = options.shots()
        # Decoding and shot detection run a thread of their own, ahead of the flow: the detector releases frames
        # in batches (TransNetV2: 50 at a time, once it has seen 25 more), and while a batch waits here for its
        # flows, the reader goes on to the frames the next verdict needs. In one thread with the flow, the
        # network waited about 1.1 s at each batch (the fast backend on mdn_flower at 640 px, float32: the job
        # 21.8 -> 20.2 s for 150 frames; 720p cockatoo, bf16, 280 frames: 87.4 -> 80.3 s, peak memory +7%).
        framed: queue.Queue = queue.Queue(max(QUEUE_DEPTH, shots.release_batch))
        decoded: queue.Queue = queue.Queue(QUEUE_DEPTH)
        encoded: queue.Queue = queue.Queue(QUEUE_DEPTH)
        looks = options.looks() if options.looks else None

        reach = tuple(j for j in getattr(stylizer, "long_term", ()) if j > 1)

        def read() -> None:
            frames = source.frames(options.max_size, with_audio=options.audio, start=options.start, end=options.end,
                                   deep=deep)
            for item in shots.run(frames, source.clip_seconds):
                if not _put(framed, item, stop):
                    return

        def produce() -> None:
            with _helper_threads(device):
                _produce()

        def _produce() -> None:
            # The shot's last pictures, newest last: the previous one, and those long-term terms reach back to.
            earlier: deque[np.ndarray] = deque(maxlen=max((1, *reach)))
            for item in _drain(framed, stop, reader):
                if not isinstance(item, av.Packet):
                    frame, framing = item
                    picture = framing.picture(frame.rgb)
                    motion = None
                    if framing.boundary is not None:
                        earlier.clear()
                    if estimator and earlier and frame.index >= skip:
                        motion = estimate_motion(estimator, earlier[-1], picture, options.flow_size,
                                                 options.colour_tolerance)
                        for j in reach:
                            if j <= len(earlier):
                                motion.earlier[j] = estimate_motion(estimator, earlier[-j], picture,
                                                                    options.flow_size, options.colour_tolerance)
                        for m in (motion, *motion.earlier.values()):
                            m.full(device)  # enlarged on the device here, beside the network, not in its thread
                    earlier.append(picture)
                    look = looks.next(frame.index, source.clip_seconds(frame), framing.boundary) if looks else None
                    pixels = picture if frame.deep is None else framing.picture(frame.deep)
                    item = Decoded(frame, to_tensor(pixels, device), motion, framing, look)
                if not _put(decoded, item, stop):
                    return

        def consume() -> None:
            with _helper_threads(device):
                _consume()

        def _consume() -> None:
            output_temporal = options.temporal_weight > 0 and estimator is not None
            blend = CarryBlender(options.temporal_weight if output_temporal else 0.0)
            if checkpoint and checkpoint.saved:
                blend.load_state(checkpoint.saved.blender)
            origin = 0
            try:
                for item in _drain(encoded, stop):
                    if isinstance(item, av.Packet):
                        sink.write_audio(item)
                        continue
                    index = item.frame.index
                    key = item.framing is not None and item.framing.boundary is not None  # a shot's first frame
                    if index == options.warmup:
                        origin = item.frame.pts if options.warmup else 0
                    pts = item.frame.pts - origin
                    if item.out is None:  # finished by an earlier run (or pass)
                        if encode and index >= options.warmup:
                            sink.write_frame(checkpoint.load_frame(index), pts, item.frame.alpha, key)
                        continue
                    if item.look is not None and output_temporal:
                        blend.weight = item.look.temporal_weight
                    out = blend(item.out, item.motion, item.picture, options.first_index + index, item.look)
                    # Dimmed where the source is dark, and rounded, in one pass; the temporal state stays undimmed.
                    picture = (to_words if deep else to_bytes)(out, brightness_gain(item.picture, out))
                    rgb = item.framing.place(picture, _backdrop(item.frame, deep) if item.framing.area else None)
                    if index < options.warmup:
                        if checkpoint and item.state is not None:
                            checkpoint.save_state(Saved(index, item.state, blend.state(), list(shots.boundaries)))
                        continue
                    sink.write_frame(rgb, pts, item.frame.alpha, key)
                    if checkpoint:
                        checkpoint.save_frame(index, rgb)
                        if not encode:
                            checkpoint.save_source(index, item.frame.rgb)
                        if item.state is not None:
                            checkpoint.save_state(Saved(index, item.state, blend.state(), list(shots.boundaries)))
                if not stop.is_set():
                    sink.close()
            except BaseException:
                stop.set()  # the other stages must not wait on a writer that is gone
                sink.abort()
                raise

        reader = _Stage(read, "vidstyle-decode", finish=lambda: _put(framed, _DONE, stop))
        producer = _Stage(produce, "vidstyle-flow", finish=lambda: _put(decoded, _DONE, stop))
        writer = _Stage(consume, "vidstyle-encode")
        frames = stylized = 0
        reached = 0.0
        look: Look | None = None
        try:
            with make_progress(options.quiet) as progress:
                task = progress.add_task(source_path.name, total=source.estimated_frames(options.start, options.end))
                watch_iterations(stylizer, progress)
                reader.start()
                producer.start()
                writer.start()
                for item in _drain(decoded, stop, producer):
                    if isinstance(item, av.Packet):
                        _put(encoded, item, stop)
                        continue
                    frame = item.frame
                    if frame.index < skip:
                        entry = Stylized(frame, None, framing=item.framing)
                    else:
                        if item.look is not None and item.look is not look:
                            stylizer.set_look(item.look)
                            look = item.look
                        out = stylizer.stylize(item.picture, item.motion)
                        state = stylizer.state() if checkpoint and checkpoint.is_due(frame.index) else None
                        entry = Stylized(frame, out, item.picture, item.motion, item.framing, state, item.look)
                        stylized += 1
                    if not _put(encoded, entry, stop):
                        break
                    frames += 1
                    reached = source.clip_seconds(frame)
                    progress.update(task, advance=1)
                    if options.on_frames is not None:
                        options.on_frames(max(0, frames - options.warmup))
                _put(encoded, _DONE, stop)
                while writer.is_alive():
                    writer.join(0.1)
                if writer.error is not None:
                    raise writer.error
                progress.update(task, total=frames, completed=frames)
        except BaseException as exc:
            stop.set()
            for thread in (reader, producer, writer):
                if thread.is_alive():
                    thread.join(5)
            sink.abort()
            if checkpoint and isinstance(exc, UserError):
                checkpoint.clear()  # bad input stays bad: nothing to resume (a kill or Ctrl-C keeps the data)
            raise
    written = max(0, frames - options.warmup)
    return VideoResult(written, time.perf_counter() - started, stylized, skip, shots.boundaries, reached,
                       stopped_at_end=source.stopped_at_end)
