"""Units of work for a batch spread over machines (vidstyle.scale.cluster): a whole (clip, preset) item, or a span of
a long clip.

A clip longer than `unit_frames` is split at its shot boundaries, consecutive short shots grouped up to
`unit_frames`, and a shot longer than that into equal segments. Shots carry no temporal state across a cut, so
a unit that starts at a cut makes exactly the frames an unsplit run makes there. A segment that starts inside a
shot first stylizes the `warmup` frames before it (the previous unit writes those) only to build the temporal
state, so that its first frame is tied to the ones before it as frames inside a segment are (how many: each
backend's `warmup`, measured by benchmarks/seams.py; None for a backend that no warm-up brings back in step,
whose long shots then stay whole). Each unit encodes its own segment; vidstyle.media.join joins them by stream
copy and muxes the audio once.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vidstyle.shots.cuts import Boundary

# A clip longer than this is split (30 s at 30 fps); no unit writes more, but for a backend split at cuts only a
# long shot stays one unit.
UNIT_FRAMES = 900


@dataclass(frozen=True)
class Span:
    """The part of a clip one unit makes."""

    first: int  # the first frame it writes (number among the frames the job stylizes)
    frames: int  # how many frames it writes
    warmup: int  # frames before `first` stylized only to build the temporal state
    at: float  # clip time of `first`, seconds: where the join puts the segment, whose own times start at 0
    start: float  # clip time of the first frame decoded (first - warmup)
    end: float | None  # clip time of the frame after its last; None: to the clip's end
    cuts: tuple[int, ...] = ()  # shot starts inside it, counted from its first decoded frame

    @property
    def decoded(self) -> int:
        return self.warmup + self.frames


def split(frames: list[tuple[int, float, Boundary | None]], unit_frames: int, warmup: int | None) -> list[Span]:
    """The spans of a clip whose frames (index, clip seconds, boundary started there) a scan found; with `warmup`
    None, at its cuts only."""
    count = len(frames)
    starts = [0, *(n for n, (_, _, b) in enumerate(frames) if b is not None and n > 0)]
    pieces: list[tuple[int, int, int]] = []  # first, end, warm-up
    for a, b in zip(starts, [*starts[1:], count]):
        parts = max(1, math.ceil((b - a) / unit_frames)) if warmup is not None else 1
        edges = [a + round(k * (b - a) / parts) for k in range(parts + 1)]
        pieces += [(edges[k], edges[k + 1], min(warmup or 0, edges[k] - a)) for k in range(parts)]
    groups: list[list[tuple[int, int, int]]] = []
    for piece in pieces:  # whole short shots go together, up to unit_frames
        if groups and piece[2] == 0 and piece[1] - groups[-1][0][0] <= unit_frames:
            groups[-1].append(piece)
        else:
            groups.append([piece])
    spans = []
    for group in groups:
        first, end, warm = group[0][0], group[-1][1], group[0][2]
        decode_from = first - warm
        spans.append(Span(first, end - first, warm, frames[first][1], frames[decode_from][1],
                          frames[end][1] if end < count else None, tuple(p[0] - decode_from for p in group[1:])))
    return spans


def save_plan(path: Path, key: str, spans: list[Span]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"key": key, "spans": [asdict(s) for s in spans]}))
    tmp.replace(path)


def load_plan(path: Path, key: str) -> list[Span] | None:
    """The spans an earlier run planned with the same input and settings, else None."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if data.get("key") != key:
        return None
    return [Span(**{**s, "cuts": tuple(s["cuts"])}) for s in data["spans"]]


def units_folder(output: Path) -> Path:
    """Where a split clip's segments and plan wait until the join."""
    return output.parent / f".{output.name}.vidstyle-units"


def segment_path(output: Path, number: int) -> Path:
    return units_folder(output) / f"segment-{number:04d}.mp4"
