"""Points in a clip as users write them: seconds, a clock time, a frame number, or (for a segment's start and end)
the source's own SMPTE timecode; and seconds written as a clock."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from vidstyle.core.errors import SettingError

_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)$")
_SMPTE = re.compile(r"^\d{2}:\d{2}:\d{2}[:;]\d{2,3}$")


@dataclass(frozen=True)
class TimePoint:
    """A point in a clip: seconds, or a frame number (`120f`); or a timecode of the source's, which names a frame
    once the source is open (VideoSource.resolve sets `frame`)."""

    seconds: float | None = None
    frame: int | None = None
    timecode: str | None = None

    def reached(self, index: int, seconds: float, tolerance: float = 1e-3) -> bool:
        """Whether the frame `index` shown at `seconds` is at or after this point (`tolerance`: for times rounded
        when they were written)."""
        if self.frame is not None:
            return index >= self.frame
        return seconds >= self.seconds - tolerance

    def frame_at(self, rate: float) -> int:
        """The frame number this point names in a clip of `rate` frames a second (a time: the nearest frame; a
        timecode must be resolved first)."""
        return self.frame if self.frame is not None else round(self.seconds * rate)

    def form(self) -> str:
        """How the point is given: "frame", "timecode" (not yet resolved to a frame) or "seconds". Points of one
        form order among themselves (`order`); a frame number and a time only the clip relates."""
        if self.frame is not None:
            return "frame"
        return "timecode" if self.timecode is not None else "seconds"

    def order(self) -> float | str:
        """A key that orders points of this one's form (timecodes, HH:MM:SS:FF, sort as text)."""
        if self.frame is not None:
            return self.frame
        return self.timecode.replace(";", ":") if self.timecode is not None else self.seconds

    def __str__(self) -> str:
        if self.timecode is not None:
            return self.timecode
        return f"{self.frame}f" if self.frame is not None else f"{self.seconds:g} s"


def parse_time(text: str | float | int, key: str) -> TimePoint:
    """`2.5` (seconds), `00:01:02.500` or `1:02.5` (clock), `120f` (frame number, from 0)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        s = str(text).strip()
        if s.endswith("f") and s[:-1].isdigit():
            return TimePoint(frame=int(s[:-1]))
        match = _CLOCK.match(s)
        try:
            value = (int(match[1] or 0) * 3600 + int(match[2]) * 60 + float(match[3])) if match else float(s)
        except ValueError:
            raise SettingError(key, f"{text!r} is not a time (seconds, HH:MM:SS.mmm, or a frame number as 120f)"
                               ) from None
    if not math.isfinite(value) or value < 0:
        raise SettingError(key, f"{text!r} is not a time at or after the clip's start")
    return TimePoint(seconds=value)


def parse_point(text: str | float | int, key: str) -> TimePoint:
    """A segment's start or end: parse_time's forms, or a timecode of the source's (HH:MM:SS:FF, HH:MM:SS;FF for
    drop-frame), as editing software and edit lists give them."""
    if isinstance(text, str) and _SMPTE.match(text.strip()):
        return TimePoint(timecode=text.strip())
    try:
        return parse_time(text, key)
    except SettingError as exc:
        if "is not a time (" not in exc.problem:
            raise
        raise SettingError(key, f"{text!r} is not a time (seconds, HH:MM:SS.mmm, a frame number as 120f, or the "
                                "source's timecode as HH:MM:SS:FF)") from None


def clock(seconds: float) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"
