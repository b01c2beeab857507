"""What vidstyle reads as clips and writes, by the file's name."""

from __future__ import annotations

from pathlib import Path

from vidstyle.core.errors import UserError
from vidstyle.media.images import is_animation
from vidstyle.media.sequence import SEQUENCE_OUTPUTS, output_sequence

# Clips a folder given to `batch` (or `train --data`) is searched for: the containers people bring (FFmpeg reads
# more, and a still GIF named on its own is read as a one-frame clip), and animated GIFs and WebPs (is_clip).
VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".ts", ".mts", ".m2ts", ".mpg", ".mpeg", ".vob",
                  ".dv", ".3gp", ".flv", ".wmv", ".mxf", ".ogv"}


def is_clip(path: Path) -> bool:
    """A clip, by its name, or by its frames for GIF and WebP (a still WebP is a photo, a still GIF left out)."""
    return path.suffix.lower() in VIDEO_SUFFIXES or is_animation(path)


# What `vidstyle video` writes, by the output's extension. FFmpeg muxes more, but these are the ones made and
# checked here: AVI, for one, keeps no timestamps (its MPEG-4 stream came out probing as 1000 fps).
CONTAINERS = {"": "mp4", ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mxf": "mxf", ".mkv": "matroska",
              ".webm": "webm", ".gif": "gif", ".webp": "webp"}
ANIMATIONS = ("gif", "webp")  # written by vidstyle.media.sinks.animation


def output_format(path: Path) -> str:
    """The container for an output path ("sequence": numbered frames, vidstyle.media.sequence), or one line
    listing the ones vidstyle writes."""
    if output_sequence(path) is not None:
        return "sequence"
    fmt = CONTAINERS.get(path.suffix.lower())
    if fmt is None:
        listed = " ".join(s for s in CONTAINERS if s)
        frames = f", or frames named as {path.stem}_%04d{path.suffix}" if path.suffix.lower() in SEQUENCE_OUTPUTS \
            else ""
        raise UserError(f"vidstyle does not write {path.suffix} clips; use one of {listed}{frames}", path)
    return fmt
