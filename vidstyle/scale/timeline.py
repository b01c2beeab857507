"""An edit's timeline as the work of a conform: its events, the media each uses, and the ranges of that media to
stylize (vidstyle.scale.conform runs them and relinks the timeline).

Timelines are read by OpenTimelineIO and its adapters (CMX 3600 EDL, FCP 7 XML, FCPXML, .otio; AAF where
otio-aaf-adapter is installed): the `conform` extra. Times are counted in frames of each source's rate, from its
first frame, which carries the source's start timecode (00:00:00:00 where it has none).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from vidstyle.core.errors import UserError

log = logging.getLogger("vidstyle")

ADAPTERS = {".edl": "cmx_3600", ".xml": "fcp_xml", ".fcpxml": "fcpx_xml", ".otio": "otio_json",
            ".aaf": "AAF"}  # by the timeline's extension; AAF's adapter is a separate package


def otio() -> Any:
    try:
        import opentimelineio
    except ImportError:
        raise UserError("conform reads timelines with OpenTimelineIO: pip install 'vidstyle[conform]'") from None
    return opentimelineio


@dataclass
class Media:
    path: Path
    rate: Fraction
    first: int  # the first frame's timecode, in frames at `rate`
    frames: int
    timecode: str | None


@dataclass
class Event:
    """One clip of the timeline's video tracks: where it is in the edit, and the source frames it shows (with
    the frames a dissolve takes from beyond its cut)."""

    number: int  # 1, 2, ... over the video tracks, in order
    name: str
    track: str
    reel: str | None
    url: str | None
    markers: list[str]
    source_in: int  # the first frame shown (a dissolve's included), as a timecode in frames at `rate`
    frames: int
    rate: Fraction
    record: tuple[int, int]  # where it sits in the edit: first frame and length, at the timeline's rate
    clip: Any  # the OTIO clip (relinked by vidstyle.scale.conform)
    media: Media | None = None


@dataclass
class Range:
    """Frames [first, last) of one media file, stylized with one look into `output`."""

    media: Media
    first: int
    last: int
    look: str
    events: list[Event] = field(default_factory=list)
    output: Path | None = None

    @property
    def frames(self) -> int:
        return self.last - self.first


def read_timeline(path: Path, rate: float = 24.0) -> Any:
    """The timeline, read by the adapter for its extension (`rate`: an EDL's, which it does not state)."""
    lib = otio()
    if not path.is_file():
        raise UserError("file not found", path)
    adapter = ADAPTERS.get(path.suffix.lower())
    if adapter is None:
        raise UserError(f"not a timeline vidstyle reads ({', '.join(ADAPTERS)})", path)
    if adapter not in lib.adapters.available_adapter_names():
        raise UserError(f"reading {path.suffix} needs OpenTimelineIO's {adapter} adapter (pip install "
                        "otio-aaf-adapter)", path)
    try:
        kwargs = {"rate": rate} if adapter == "cmx_3600" else {}
        timeline = lib.adapters.read_from_file(str(path), adapter_name=adapter, **kwargs)
    except Exception as exc:  # noqa: BLE001 - each adapter raises its own kinds; all are a bad timeline
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise UserError(f"not a readable {adapter} timeline ({reason})", path) from None
    if not isinstance(timeline, lib.schema.Timeline):  # an XML with several sequences reads as a collection
        timelines = list(timeline.find_children(descended_from_type=lib.schema.Timeline)) if \
            hasattr(timeline, "find_children") else []
        if len(timelines) != 1:
            raise UserError(f"holds {len(timelines)} timelines: give a file with one", path)
        timeline = timelines[0]
    return timeline


def events(timeline: Any) -> list[Event]:
    lib = otio()
    found: list[Event] = []
    for track in timeline.video_tracks():
        for clip in track.find_clips(shallow_search=True):
            used = clip.visible_range()  # the source range, with what dissolves take beyond it
            rate = Fraction(used.start_time.rate).limit_denominator(1001)
            record = clip.range_in_parent()
            ref = clip.media_reference
            url = ref.target_url if isinstance(ref, lib.schema.ExternalReference) and ref.target_url else None
            reel = (clip.metadata.get("cmx_3600") or {}).get("reel") or None
            found.append(Event(len(found) + 1, clip.name or "", track.name or f"V{len(found) + 1}", reel, url,
                               [m.name for m in clip.markers if m.name], round(used.start_time.value),
                               round(used.duration.value), rate,
                               (round(record.start_time.value), round(record.duration.value)), clip))
    if not found:
        raise UserError("the timeline has no video clips")
    return found


def probe(path: Path) -> Media | None:
    from vidstyle.media.smpte import frames_between
    from vidstyle.media.source import VideoSource

    try:
        with VideoSource(path) as source:
            tc, rate, frames = source.timecode, source.rate, source.estimated_frames()
    except UserError:
        return None
    first = frames_between("00:00:00:00" if tc is None or ";" not in tc else "00:00:00;00", tc, rate) if tc else 0
    return Media(path, rate, first or 0, frames or 0, tc)


def resolve_media(found: list[Event], media_dir: Path | None, timeline_path: Path) -> None:
    """Each event's media: the timeline's URL (relative ones from the timeline's folder), else a file in
    `media_dir` named as its reel or clip, else the one whose timecodes hold its source range. Every event
    without one is listed in one line."""
    from vidstyle.media.formats import is_clip

    files = sorted(p for p in media_dir.rglob("*") if p.is_file() and is_clip(p)) if media_dir else []
    probed: dict[Path, Media | None] = {}

    def media(path: Path) -> Media | None:
        if path not in probed:
            probed[path] = probe(path)
        return probed[path]

    missing = []
    for event in found:
        candidates = []
        if event.url:
            parsed = urlparse(event.url)
            local = Path(unquote(parsed.path)) if parsed.scheme in ("file", "") else None
            if local is not None:
                candidates.append(local if local.is_absolute() else timeline_path.parent / local)
        names = {n.lower() for n in (event.reel, event.name, Path(event.name).stem if event.name else None) if n}
        candidates += [p for p in files if p.name.lower() in names or p.stem.lower() in names]
        event.media = next((m for p in candidates if p.is_file() and (m := media(p)) is not None), None)
        if event.media is None:  # by timecode: the file whose frames hold the event's
            event.media = next((m for p in files if (m := media(p)) is not None and m.timecode is not None and
                                m.first <= event.source_in and event.source_in + event.frames <= m.first + m.frames),
                               None)
        if event.media is None:
            missing.append(f"{event.number} ({event.reel or event.name or 'unnamed'})")
    if missing:
        where = f" in {media_dir}" if media_dir else " (give --media DIR)"
        raise UserError(f"no media for event{'s' if len(missing) > 1 else ''} {', '.join(missing)}: looked for the "
                        f"timeline's paths, files{where} named as the reel or clip, and source timecodes")


def plan_ranges(found: list[Event], looks: dict[int, str], handles: int) -> list[Range]:
    """The media ranges to stylize: each event's frames with `handles` more on both sides (within the media),
    merged where they overlap or touch in the same media with the same look. An event past its media's frames
    is one line."""
    past = []
    ranges: list[Range] = []
    for event in found:
        media = event.media
        assert media is not None
        first = round((event.source_in - media.first) * media.rate / event.rate)  # the timeline's rate -> media's
        frames = round(event.frames * media.rate / event.rate)
        if first < 0 or first + frames > media.frames:
            past.append(f"{event.number} ({event.name or event.reel}: frames {first}-{first + frames} of "
                        f"{media.frames})")
            continue
        ranges.append(Range(media, max(0, first - handles), min(media.frames, first + frames + handles),
                            looks[event.number], [event]))
    if past:
        raise UserError(f"event{'s' if len(past) > 1 else ''} past the end of {'their' if len(past) > 1 else 'its'} "
                        f"media: {', '.join(past)}")
    merged: list[Range] = []
    for r in sorted(ranges, key=lambda r: (str(r.media.path), r.look, r.first)):
        last = merged[-1] if merged else None
        if last is not None and last.media.path == r.media.path and last.look == r.look and r.first <= last.last:
            last.last = max(last.last, r.last)
            last.events += r.events
        else:
            merged.append(r)
    return merged
