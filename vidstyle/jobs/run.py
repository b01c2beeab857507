"""One input to one output with a job's settings: what `image`, `video` and each item of `batch` do."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vidstyle.backends import registry
from vidstyle.backends.base import Backend, peak_memory, side_that_fits, stylize_image
from vidstyle.core.errors import UserError
from vidstyle.settings.model import Settings

if TYPE_CHECKING:
    from vidstyle.core.timepoints import TimePoint
    from vidstyle.jobs.pipeline import VideoResult
    from vidstyle.jobs.units import Span
    from vidstyle.media.source import VideoSource
    from vidstyle.shots.cuts import Boundary

log = logging.getLogger("vidstyle")


def check_styles(settings: Settings) -> None:
    """The style images of every look, read before any network loads."""
    from vidstyle.backends.base import check_style

    for look in [settings, *(r.settings for r in settings.looks.rules)]:
        for path in look.common.style:
            check_style(path)


def run_image(photo: Path, output: Path, settings: Settings, sheet: bool = False, quiet: bool = False) -> None:
    import cv2

    from vidstyle.core.progress import make_progress
    from vidstyle.media.atomic import atomic_output, check_output_path
    from vidstyle.media.formats import VIDEO_SUFFIXES
    from vidstyle.media.frames import check_frame_size, fit_size
    from vidstyle.media.images import image_format, is_animation, load_image, save_image

    # What the user gave is checked first, before torch and the networks load.
    backend, common = settings.describe(), settings.common
    if sheet and backend.contact_sheet is None:
        with_sheets = [b.name for b in registry().values() if b.contact_sheet]
        raise UserError(f"--sheet: the {backend.name} backend has no contact sheet (backends with one: "
                        f"{', '.join(with_sheets)})")
    check_output_path(output, [photo, *common.style])
    image_format(output)
    check_styles(settings)
    animated = is_animation(photo)
    if not animated and photo.is_file() and photo.suffix.lower() in VIDEO_SUFFIXES:
        raise UserError("is a clip, not a still; `vidstyle video` stylizes clips", photo)
    if photo.is_dir():
        raise UserError("is a folder, not a still; `vidstyle batch FOLDER` stylizes its photos, `vidstyle video "
                        "FOLDER` a folder of numbered frames as a clip", photo)
    still = load_image(photo, keep_exif=not sheet)
    if animated:  # said once it has been read: a damaged animation is only "not a readable image"
        log.warning("%s is animated: only its first frame is stylized (`vidstyle video` stylizes every frame)", photo)
    h, w = still.rgb.shape[:2]
    check_frame_size(w, h, common.max_size, photo, even=False)
    tw, th = fit_size(w, h, common.max_size, even=False)
    rgb = cv2.resize(still.rgb, (tw, th), interpolation=cv2.INTER_AREA) if (tw, th) != (w, h) else still.rgb

    from vidstyle.core.device import pick_device
    from vidstyle.jobs.pipeline import watch_iterations

    with settings.explaining():
        device = pick_device(common.device)
        if sheet:
            out, alpha = backend.contact_sheet(rgb, common, settings.options, device), None
        else:
            stylizer = settings.build(0.0, device)
            with make_progress(quiet) as progress:
                watch_iterations(stylizer, progress)
                out, alpha = (stylize_image(stylizer, rgb) * 255.0 + 0.5).astype(np.uint8), still.alpha
    with atomic_output(output) as tmp:
        save_image(tmp, out, alpha, fmt_hint=output, exif=still.exif)
    log.info("wrote %s (%dx%d)", output, out.shape[1], out.shape[0])


def run_video(clip: Path, output: Path, settings: Settings, quiet: bool = False, resume: bool = True,
              batch: bool = False, span: Span | None = None,
              on_frames: Callable[[int], None] | None = None) -> VideoResult:
    """Stylize `clip` into `output`; with checkpoints on (settings.checkpoint_every()), a killed run resumes.

    With a `span` (a unit of a split clip, vidstyle.jobs.units), only its frames, video only, timed from its first
    written frame, with the span's shot starts; `on_frames` is told the frames written so far, now and then."""
    from vidstyle.media import deliver
    from vidstyle.media.atomic import check_output_path
    from vidstyle.media.formats import output_format
    from vidstyle.media.sinks.video import EncodeSettings, check_encoder

    # What the user gave is checked first, before torch and the networks load (seconds on a busy machine).
    backend, common, out = settings.describe(), settings.common, settings.output
    check_output_path(output, [clip, *common.style])
    output_format(output)
    encode = EncodeSettings(codec=out.codec, crf=out.crf, preset=out.encoder_preset, deliver=out.deliver)
    with settings.explaining():
        check_encoder(out.codec, encode)
        deliver.check(deliver.get(out.deliver) if out.deliver else None, out.codec, output, alpha=False)
    check_styles(settings)
    facts = _read_clip(clip, settings, output)
    rate, duration, points, start, end = facts.rate, facts.duration, facts.points, facts.start, facts.end
    plan = settings.looks
    if span is not None:
        from vidstyle.core.timepoints import TimePoint
        from vidstyle.shots.cuts import Boundary

        if start or end or plan:
            raise UserError("a clip with a start, an end or looks per shot is stylized whole, not split")
        start = TimePoint(seconds=span.start)
        end = TimePoint(seconds=span.end) if span.end is not None else None
        points = [Boundary(cut, 0.0, "cut") for cut in span.cuts]
    if getattr(settings.options, "passes", 1) > 1:  # multi-pass keeps the first pass in the resume folder
        if settings.checkpoint_every(batch) == 0:
            raise UserError("passes above 1 need the resume folder for the first pass's frames: set "
                            "checkpoint_every to 1 or more")
        if plan:
            raise UserError("passes above 1 run with one look for the clip: not with [[shot]] tables or keyframes")

    from vidstyle.core.device import pick_device
    from vidstyle.flow import make_estimator
    from vidstyle.jobs.checkpoint import Checkpoint, fingerprint
    from vidstyle.jobs.pipeline import VideoOptions, stylize_video
    from vidstyle.settings.looks import Schedule, check_frames
    from vidstyle.shots.detect import TransNetDetector
    from vidstyle.shots.stage import ShotStage

    with settings.explaining():
        device = pick_device(common.device)
        warn_of_memory(backend, facts.size, device)
        if plan.by_shot():  # [[shot]] tables name shots: find them first, then the job uses what was found
            frames = scan_frames(clip, settings, points, device, quiet)
            points = [b for _, _, b in frames if b is not None]
            plan.check_clip(duration, len(points) + 1)
            check_frames(settings, frames)
        weight = plan.max_temporal_weight(settings)
        estimator = make_estimator(out.flow, out.raft_weights, str(device), out.raft_iters) if weight > 0 else None
        if estimator is not None and out.flow.startswith("raft"):
            from vidstyle.flow import flow_frame_size
            from vidstyle.flow.raft import check_size

            check_size(*flow_frame_size(*facts.size, settings.flow_size()))
        stylizer = settings.build(weight if estimator else 0.0, device)

        def shot_stage() -> ShotStage:
            detector = TransNetDetector(str(device), 1, common.precision) if out.cuts == "auto" and \
                not plan.by_shot() and span is None else None
            return ShotStage(detector, points, bars=out.bars == "keep", half_frame=0.5 / rate)

        options = VideoOptions(max_size=common.max_size, temporal_weight=weight if backend.output_term else 0.0,
                               encode=encode, quiet=quiet, start=start, end=end, shots=shot_stage,
                               flow_size=settings.flow_size(),
                               colour_tolerance=backend.colour_tolerance,
                               looks=(lambda: Schedule(settings, plan)) if plan else None,
                               warmup=span.warmup if span else 0, audio=span is None,
                               # clip frame numbers, which the carried term keys on, so a segment keys as the clip does
                               first_index=span.first - span.warmup if span else start.frame_at(rate) if start else 0,
                               on_frames=on_frames, sequence_rate=settings.sequence_rate())
        checkpoint = None
        every = settings.checkpoint_every(batch)
        if every > 0:
            listed = [str(p) for p in points] if points is not None else None
            key = {**settings.fingerprint(), "cut_list": listed, **({"span": span} if span else {})}
            checkpoint = Checkpoint(output, fingerprint(clip, key), every)
            checkpoint.open(resume)
        result = stylize_video(clip, output, stylizer, estimator, options, checkpoint)
    resumed = f", resumed at frame {result.resumed_from}" if result.resumed_from else ""
    shots = f", {len(result.boundaries) + 1} shots" if result.boundaries else ""
    if not span:
        stated = [t for t in (duration, end.seconds if end else None) if t is not None]
        result.short = _ended_early(result, facts.expected, min(stated) if stated else None, rate)
    if result.short:
        log.warning("%s: %s", clip, result.short)
    log.info("wrote %s: %d frame%s%s (%d stylized in this run%s) in %.1f s (%.2f fps)%s", output, result.frames,
             "" if result.frames == 1 else "s", shots, result.stylized, resumed, result.seconds,
             result.stylized / result.seconds if result.seconds else 0.0, f"; {result.short}" if result.short else "")
    return result


def _ended_early(result: VideoResult, expected: int | None, until: float | None, rate: float) -> str:
    """Words for an input that ended well before what its container states (a truncated or damaged file), or "".

    `expected`: the frames the container states for the job (header count or duration x rate); `until`: the clip
    time the job should reach (the stated duration, or the segment's end). Short in both count and time: a
    header may count time ticks, not frames (an AVI with dropped frames: 68 frames over the 444 ticks of its
    29.6 s), and a clip's last frame may be held for long; a frame or two of difference is the usual rounding of
    stated lengths. A segment whose end was reached was not cut short, however few frames it had."""
    if not expected or result.stopped_at_end or result.frames >= expected - max(2, 0.02 * expected):
        return ""
    reached = result.reached + 1 / rate  # the last frame is shown for about a frame
    if until is not None and reached >= until - max(2 / rate, 0.02 * until):
        return ""
    told = f"{result.frames} of the {expected} frames"
    if until is not None:
        told += f", {reached:.2f} s of {until:.2f} s,"
    return f"the input ended early: {told} its container states (a truncated or damaged file?)"


def plan_frames(clip: Path, settings: Settings, quiet: bool = True) -> list[tuple[int, float, Boundary | None]]:
    """The frames a job on `clip` would stylize (scan_frames), after the checks run_video makes first."""
    from vidstyle.core.device import pick_device

    points = _read_clip(clip, settings).points
    with settings.explaining():
        return scan_frames(clip, settings, points, pick_device(settings.common.device), quiet)


def scan_frames(clip: Path, settings: Settings, points: list | None, device: Any, quiet: bool = True
                ) -> list[tuple[int, float, Boundary | None]]:
    """Each frame the job will stylize, with its clip time and the shot boundary it starts, from one pass of
    decoding with the job's own shot detection (the same frames, detector and precision as the job's)."""
    from vidstyle.core.progress import make_progress
    from vidstyle.media.source import VideoSource
    from vidstyle.shots.detect import TransNetDetector
    from vidstyle.shots.stage import ShotStage

    common, out = settings.common, settings.output
    frames: list[tuple[int, float, Boundary | None]] = []
    with VideoSource(clip, settings.sequence_rate()) as source, make_progress(quiet) as progress:
        start, end = _segment(settings, source)
        task = progress.add_task(f"shots of {clip.name}", total=source.estimated_frames(start, end))
        detector = TransNetDetector(str(device), None, common.precision) if out.cuts == "auto" else None
        stage = ShotStage(detector, points, bars=False, half_frame=0.5 / float(source.rate))
        decoded = source.frames(common.max_size, start=start, end=end)
        for frame, framing in stage.run(decoded, source.clip_seconds):
            frames.append((frame.index, source.clip_seconds(frame), framing.boundary))
            progress.update(task, advance=1)
    return frames


@dataclass(frozen=True)
class ClipFacts:
    """What a job needs of its input before anything loads (_read_clip)."""

    rate: float
    duration: float | None  # as the container states it
    expected: int | None  # frames the container states for the job (its segment)
    points: list | None  # the user's cut list, where one is given
    size: tuple[int, int]  # the size frames are stylized at
    start: TimePoint | None  # the segment's, a timecode resolved to its frame
    end: TimePoint | None


def _read_clip(clip: Path, settings: Settings, output: Path | None = None) -> ClipFacts:
    """The input's facts, checked: its size against --max-size, the start against its length, the user's cut
    list read and the looks' times and keyframes checked against the duration; with `output`, that its delivery
    profile keeps what the clip has (its alpha)."""
    from vidstyle.media import deliver
    from vidstyle.media.frames import check_frame_size, fit_size
    from vidstyle.media.source import VideoSource

    common, out = settings.common, settings.output
    with VideoSource(clip, settings.sequence_rate()) as source:
        start, end = _segment(settings, source)
        rate, duration = float(source.rate), source.duration()
        check_frame_size(*source.size, common.max_size, clip)
        size = fit_size(*source.size, common.max_size)
        if output is not None:
            with settings.explaining():
                profile = deliver.pick(out.deliver, out.codec, output, source.depth, source.alpha)
                deliver.check(profile, out.codec, output, source.alpha, size)
        expected = source.estimated_frames(start, end)
        points = _cut_list(Path(out.cuts).expanduser(), duration, source) if out.cuts not in ("auto", "off") else None
    if start is not None and start.seconds is not None and duration is not None and start.seconds >= duration:
        raise UserError(f"start {start} is past the end of the clip ({duration:.2f} s)", clip)
    settings.looks.check_clip(duration, None)
    return ClipFacts(rate, duration, expected, points, size, start, end)


def warn_of_memory(backend: Backend, size: tuple[int, int], device: Any, free: int | None = None) -> str | None:
    """On the CPU, where running out of memory gets the process killed without a word, say before the work when
    frames of this size may need more than is free (`free`: what /proc/meminfo says), and the size that fits.
    Returns what it said."""
    from vidstyle.core.machine import memory_available

    free = memory_available() if free is None else free
    need = peak_memory(backend, size[0] * size[1])
    if device.type != "cpu" or free is None or need <= free:
        return None
    fits = side_that_fits(backend, free, max(size) / min(size))
    said = (f"a {size[0]}x{size[1]} frame may need up to {need / (1 << 30):.1f} GiB with the {backend.name} backend "
            f"on the CPU, and {free / (1 << 30):.1f} GiB are free: if the job is killed for memory, "
            f"--max-size {fits} fits")
    log.warning("%s", said)
    return said


def _segment(settings: Settings, source: VideoSource) -> tuple[TimePoint | None, TimePoint | None]:
    """The segment's start and end, a timecode resolved to the frame of `source` it names."""
    from vidstyle.core.timepoints import parse_point

    out = settings.output
    start = parse_point(out.start, "start") if out.start is not None else None
    end = parse_point(out.end, "end") if out.end is not None else None
    return source.resolve(start, "start"), source.resolve(end, "end")


def _cut_list(path: Path, duration: float | None, source: VideoSource):
    """The user's list of shot starts, each inside the clip."""
    from vidstyle.shots.cuts import read_cut_file

    points = read_cut_file(path, source)
    for point in points:
        if point.seconds is not None and duration is not None and point.seconds > duration:
            raise UserError(f"the cut at {point} is past the end of the clip ({duration:.3f} s)", path)
    return points
