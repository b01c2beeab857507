"""Points in a clip as users write them: seconds, a clock time, or a frame number."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from vidstyle.errors import SettingError

_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)$")


@dataclass(frozen=True)
class TimePoint:
    """A point in a clip: seconds, or a frame number (`120f`)."""

    seconds: float | None = None
    frame: int | None = None

    def reached(self, index: int, seconds: float, tolerance: float = 1e-3) -> bool:
        """Whether the frame `index` shown at `seconds` is at or after this point (`tolerance`: for times rounded
        when they were written)."""
        if self.frame is not None:
            return index >= self.frame
        return seconds >= self.seconds - tolerance

    def __str__(self) -> str:
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
