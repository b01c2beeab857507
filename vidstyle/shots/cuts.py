"""Shot boundaries as plain values, and the cut lists a user may give instead of detection: one time per line, the
CSV `scenedetect list-scenes` writes, or the edit's CMX 3600 EDL.

A boundary (the first frame of the new shot, its time, cut or gradual) is what the video job, the resume data and
`vidstyle shots` share.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vidstyle.core.errors import SettingError, UserError
from vidstyle.core.timepoints import TimePoint, parse_time

if TYPE_CHECKING:
    from vidstyle.media.source import VideoSource

log = logging.getLogger("vidstyle")


@dataclass(frozen=True)
class Boundary:
    frame: int  # index of the new shot's first frame (in the frames the job decodes)
    time: float  # its presentation time, seconds
    kind: str  # "cut", or "gradual" (a dissolve or fade: the new shot starts after the transition)

    def reached(self, index: int, seconds: float, tolerance: float = 0.0) -> bool:
        """As TimePoint.reached: a boundary found by an earlier pass over the same frames is one to the job."""
        return index >= self.frame


def read_cut_file(path: Path, source: VideoSource | None = None) -> list[TimePoint]:
    """The shot starts a user lists for `source`: one time per line (# comments), the CSV `scenedetect
    list-scenes` writes (its scenes' start times; the first scene's start is the clip's), or an edit's CMX 3600
    EDL (read_edl: it needs the source). In order, each once."""
    if path.suffix.lower() == ".edl":
        if source is None:
            raise ValueError("an EDL's cuts are counted from its clip's timecode: give the source")
        return read_edl(path, source)
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: Excel's "CSV UTF-8" starts with a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the cut list ({exc.__class__.__name__})", path) from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if lines and lines[0][1].startswith("Timecode List"):  # scenedetect's first line: the cuts as timecodes
        lines = lines[1:]
    if lines and "Start Time (seconds)" in lines[0][1]:
        rows = csv.DictReader(io.StringIO("\n".join(line for _, line in lines)))
        entries = [(n, row["Start Time (seconds)"]) for (n, _), row in zip(lines[1:], rows)][1:]
    else:
        entries = lines
    points: list[TimePoint] = []
    for line_no, entry in entries:
        try:
            point = parse_time(entry.strip(), "cuts")
        except SettingError as exc:
            raise UserError(f"line {line_no}: {exc.problem}", path) from None
        if points and point.form() != points[-1].form():
            raise UserError(f"line {line_no}: mixes frame numbers and times; list the cuts in one of them", path)
        if points and point.order() <= points[-1].order():
            raise UserError(f"line {line_no}: {entry.strip()} is not after the cut before it", path)
        points.append(point)
    return points


def read_edl(path: Path, source: VideoSource) -> list[TimePoint]:
    """The shot starts in an edit's CMX 3600 EDL, as frames of `source`: each video event's record in (a
    dissolve's or wipe's: the end of the transition, where a detected gradual boundary starts the shot too),
    counted from the clip's own timecode, which a reel exported from the edited timeline carries; in the clip's
    drop-frame form, whichever separator the EDL writes (FCM says it there). Cuts outside the clip are left
    out, with a word."""
    # pycmx reads the lines (its fixed columns and their variants); the events are grouped here, as its
    # Event.edits dropped an event's last line where no note followed it: a dissolve's incoming shot.
    from pycmx.parse_cmx_statements import parse_cmx3600_statements
    from pycmx.statements import StmtEvent

    from vidstyle.media.smpte import frames_between

    origin = source.timecode
    if origin is None:
        raise UserError(f"an EDL's cuts are record timecodes, and {source.path.name} has no timecode to count them "
                        "from; list the cuts as times, one a line", path)
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as f:
            statements = parse_cmx3600_statements(f, tolerant=True)
    except OSError as exc:
        raise UserError(f"cannot read the cut list ({exc.__class__.__name__})", path) from None
    except Exception as exc:  # noqa: BLE001 - the parser's own errors on a file that is not an EDL
        raise UserError(f"not a readable CMX 3600 EDL ({exc.__class__.__name__}: {exc})", path) from None
    incoming: dict[int, StmtEvent] = {}  # each event's last video line: a transition's incoming shot
    for line in statements:
        if isinstance(line, StmtEvent) and ("V" in line.channels.upper() or line.channels.upper() == "B"):
            incoming[line.event] = line
    if not incoming:
        raise UserError("no video events in the EDL", path)
    count = source.estimated_frames()
    cuts: set[int] = set()
    outside = 0
    separator = origin[8:9] if origin[8:9] in (":", ";") else ":"  # the clip's drop-frame form
    for line in incoming.values():
        record = line.record_in[:8] + separator + line.record_in[9:]
        frame = frames_between(origin, record, source.rate)
        if frame is None:
            raise UserError(f"line {line.line_number + 1}: record in {line.record_in} cannot be counted from the "
                            f"clip's timecode, {origin}, at {float(source.rate):.3f} fps", path)
        if line.trans.upper()[:1] in ("D", "W") and line.trans_op.strip().isdigit():
            frame += int(line.trans_op)
        if frame < 0 or count is not None and frame >= count:
            outside += 1
        elif frame > 0:
            cuts.add(frame)
    if outside:
        log.info("%s: %d of its %d video events start outside %s (timecode %s on), left out", path.name, outside,
                 len(incoming), source.path.name, origin)
    return [TimePoint(frame=frame) for frame in sorted(cuts)]
