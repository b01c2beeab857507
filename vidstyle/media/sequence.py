"""Image sequences: a shot exported as numbered frames in a folder (frame_0001.png, frame_0002.png, ...), the way
film and VFX work moves between tools. Read as a clip by FFmpeg's image2 demuxer at the frame rate the user gives
(the files carry none that FFmpeg reads), so every stage that reads clips reads them too; written by a sink of
their own (vidstyle.media.sinks.sequence) when the output is named as one (shot_%04d.png).
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from vidstyle.core.errors import UserError

log = logging.getLogger("vidstyle")

# The stills formats FFmpeg decodes as frames. DPX (film scans) and EXR (renders, scene-linear) are not photo
# formats: `vidstyle image` does not read them.
SEQUENCE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".ppm", ".dpx", ".exr"}
DEFAULT_RATE = Fraction(24)  # film's; FFmpeg's image2 default would be 25
_NUMBERED = re.compile(r"^(.*?)(\d+)(\.[^.]+)$")  # prefix, the frame number (the last digits), extension
# An output named as FFmpeg's (shot_%04d.png) or compositors' (shot_####.png) sequences are: written as one
SEQUENCE_OUTPUTS = {".png", ".tif", ".tiff", ".jpg", ".jpeg", ".exr"}
_PATTERN = re.compile(r"^(.*?)(?:%(\d*)d|(#+))(\.[^.]+)$")


@dataclass(frozen=True)
class Sequence:
    folder: Path
    prefix: str
    width: int  # the frame number's zero-padded width; 0: not padded
    suffix: str
    first: int
    count: int
    others: int = 0  # numbered files beside it in the folder, not of it

    @property
    def pattern(self) -> str:
        """The image2 pattern FFmpeg reads the frames by (a '%' in the path doubled)."""
        number = f"%0{self.width}d" if self.width else "%d"
        return str(self.folder / self.prefix).replace("%", "%%") + number + self.suffix

    def name(self, number: int) -> str:
        return f"{self.prefix}{number:0{self.width}d}{self.suffix}"

    def files(self) -> list[Path]:
        return [self.folder / self.name(n) for n in range(self.first, self.first + self.count)]

    def options(self, rate: Fraction) -> dict[str, str]:
        return {"framerate": str(rate), "start_number": str(self.first), "pattern_type": "sequence"}


_NTSC = [Fraction(n * 1000, 1001) for n in (24, 30, 48, 60, 120)]  # 23.976 and the like, as cameras mean them


def rate_of(fps: float | None) -> Fraction | None:
    """A frame rate given as a number (23.976, 25) as the exact one it stands for (24000/1001, 25)."""
    if fps is None:
        return None
    near = [r for r in _NTSC if abs(float(r) - fps) < 0.002]
    return near[0] if near else Fraction(fps).limit_denominator(1001)


def output_sequence(path: Path) -> Sequence | None:
    """The sequence an output path names (`shot_%04d.png`, `shot.####.tif`), or None for a file."""
    match = _PATTERN.match(path.name)
    if not match or match[4].lower() not in SEQUENCE_OUTPUTS:
        return None
    width = len(match[3]) if match[3] else int(match[2] or 0)
    return Sequence(path.parent, match[1], width, match[4], 1, 0)


def find_sequence(folder: Path) -> Sequence:
    """The one sequence of numbered frames in `folder`: its files named alike but for the frame number, numbered
    without a gap (a missing frame is a failed render or copy: said, not skipped over, which would shift every
    later frame's time). Numbered files beside it are left out (counted in `others`: say_left_out)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for p in folder.iterdir():
        match = _NUMBERED.match(p.name)
        if match and not p.name.startswith(".") and match[3].lower() in SEQUENCE_SUFFIXES and p.is_file():
            groups.setdefault((match[1], match[3]), []).append(match[2])
    runs = {key: digits for key, digits in groups.items() if len(digits) > 1}
    if not runs:
        raise UserError("is a folder, not a video file or an image sequence (numbered frames: frame_0001.png, "
                        "frame_0002.png, ...)", folder)
    if len(runs) > 1:
        names = ", ".join(f"{prefix}#{suffix}" for prefix, suffix in sorted(runs))
        raise UserError(f"holds {len(runs)} image sequences ({names}): give a folder with one", folder)
    (prefix, suffix), digits = next(iter(runs.items()))
    numbers = sorted(int(d) for d in digits)
    # Padded (frame_0001) or not (frame_1); padded frames past the width (frame_10000) have no leading zero.
    padded = [d for d in digits if d.startswith("0") and len(d) > 1]
    width = min(len(d) for d in padded) if padded else 0
    if any(d != f"{int(d):0{width}d}" for d in digits) or len(set(numbers)) < len(numbers):
        raise UserError(f"the frames {prefix}#{suffix} are numbered in more than one way (e.g. "
                        f"{prefix}{min(digits, key=len)}{suffix} and {prefix}{max(digits, key=len)}{suffix})", folder)
    first, last = numbers[0], numbers[-1]
    if last - first + 1 != len(numbers):
        present = set(numbers)
        gap = next(n for n in range(first, last + 1) if n not in present)
        missing = last - first + 1 - len(numbers)
        sequence = Sequence(folder, prefix, width, suffix, first, len(numbers))
        raise UserError(f"the image sequence has a gap: {sequence.name(gap)} is missing ({missing} frame"
                        f"{'s' if missing > 1 else ''} missing between {sequence.name(first)} and "
                        f"{sequence.name(last)})", folder)
    others = sum(len(d) for key, d in groups.items() if key != (prefix, suffix))
    return Sequence(folder, prefix, width, suffix, first, len(numbers), others)


@functools.cache  # once a process: a job opens its input more than once
def say_left_out(sequence: Sequence) -> None:
    if sequence.others:
        log.warning("%s: %d numbered file%s beside the sequence %s#%s left out", sequence.folder, sequence.others,
                    "s" if sequence.others > 1 else "", sequence.prefix, sequence.suffix)
