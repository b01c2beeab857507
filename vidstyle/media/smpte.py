"""SMPTE timecodes (HH:MM:SS:FF; HH:MM:SS;FF for drop-frame): a camera's or an edit's clock, which editing
software uses to put a stylized shot back where its source was in the cut.

A source's start timecode is carried to the output, moved on by the frames before the output's first (a
segment's start): MOV and MP4 write it as a timecode track, Matroska and WebM as a TIMECODE tag, as FFmpeg does.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path

log = logging.getLogger("vidstyle")

_SMPTE = re.compile(r"^(\d{2}):(\d{2}):(\d{2})([:;.])(\d{2,3})$")
TIMECODE_FORMATS = ("mp4", "mov", "mxf", "matroska", "webm")  # the output formats that carry one
_DAY = 24 * 3600


def find_timecode(video: Mapping[str, str], others: Sequence[Mapping[str, str]],
                  container: Mapping[str, str], name: str = "timecode") -> str | None:
    """The source's start timecode: the video stream's tag (MOV/MP4 demuxers copy their timecode track there;
    Matroska's is TIMECODE), a timecode track's, or the file's (MXF). With `name` reel_name, its reel (a MOV's
    timecode track's, an MXF's video stream's)."""
    for tags in (video, *others, container):
        for key, value in tags.items():
            if key.lower() == name and value:
                return value.strip()
    return None


def moved_on(timecode: str, frames: int, rate: Fraction) -> str | None:
    """`timecode` plus `frames` frames of a clip at `rate` (wrapping at 24 hours), or None where it cannot be
    read at that rate (_count)."""
    counted = _count(timecode, rate)
    return None if counted is None else _label(counted[0] + frames, round(rate), counted[1])


def frames_between(origin: str, timecode: str, rate: Fraction) -> int | None:
    """How many frames `timecode` is after `origin` (a clip's first frame) at `rate`; None where either cannot be
    read at that rate, or one is drop-frame and the other not."""
    a, b = _count(origin, rate), _count(timecode, rate)
    return None if a is None or b is None or a[1] != b[1] else b[0] - a[0]


def _count(timecode: str, rate: Fraction) -> tuple[int, int] | None:
    """The frame count from 00:00:00:00 to `timecode` at `rate`, and the labels drop-frame skips each minute (0
    for non-drop); None where it is not HH:MM:SS:FF, its frame field is past the rate, or it is drop-frame at a
    rate that is not a multiple of 30000/1001 (what FFmpeg's muxers refuse too)."""
    match = _SMPTE.match(timecode)
    fps = round(rate) if rate > 0 else 0
    if not match or fps <= 0:
        return None
    h, m, s, f = (int(match[k]) for k in (1, 2, 3, 5))
    dropframe = match[4] != ":"
    if dropframe and fps % 30 or m > 59 or s > 59 or f >= fps:
        return None
    drop = 2 * fps // 30 if dropframe else 0  # labels skipped each minute: 2 at 29.97 fps, 4 at 59.94
    minutes = 60 * h + m
    return (3600 * h + 60 * m + s) * fps + f - drop * (minutes - minutes // 10), drop


def _label(count: int, fps: int, drop: int) -> str:
    """The timecode of frame `count` (0 at 00:00:00:00), drop-frame where `drop` labels are skipped each minute
    but every tenth (SMPTE 12M)."""
    if drop:
        per_ten = 600 * fps - 9 * drop  # real frames in ten minutes
        count %= 144 * per_ten  # a day
        tens, rest = divmod(count, per_ten)
        count += 9 * drop * tens + (drop * ((rest - drop) // (60 * fps - drop)) if rest > drop else 0)
    else:
        count %= _DAY * fps
    seconds, f = divmod(count, fps)
    sep = ";" if drop else ":"
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{sep}{f:02d}"


def output_timecode(source_timecode: str | None, frames_before: int, rate: Fraction, fmt: str,
                    source: Path) -> str | None:
    """The timecode to write on an output of format `fmt` whose first frame is `frames_before` frames into the
    source; None (said once, where the source had one) where it cannot be carried."""
    if source_timecode is None or fmt not in TIMECODE_FORMATS:
        return None
    moved = moved_on(source_timecode, frames_before, rate)
    if moved is None:
        log.warning("%s: its timecode %s is left out: not a timecode at %.3f fps", source, source_timecode,
                    float(rate))
    return moved
