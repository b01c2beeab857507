"""Facts about a finished file, for checks: decoded frame times and the span of each audio stream."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av


def frame_times(path: Path) -> tuple[list[float], Fraction]:
    """Presentation times (seconds) of every decoded frame of the first video stream, and its time base."""
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        return [float(f.pts * f.time_base) for f in c.decode(stream)], stream.time_base


def audio_spans(path: Path) -> list[float]:
    """For each audio stream: seconds from its first packet's start to its last packet's end."""
    spans = []
    with av.open(str(path)) as c:
        for stream in c.streams.audio:
            edges = [(p.pts, p.pts + (p.duration or 0)) for p in c.demux(stream) if p.pts is not None]
            span = (max(e for _, e in edges) - min(s for s, _ in edges)) * stream.time_base if edges else 0
            spans.append(float(span))
    return spans


def audio_timing(path: Path) -> list[tuple[float, float | None]]:
    """For each audio stream: when its first decoded sample plays and the duration its container states (s)."""
    timing = []
    with av.open(str(path)) as c:
        for stream in c.streams.audio:
            first = next((f for f in c.decode(stream) if f.pts is not None), None)
            start = float(first.pts * first.time_base) if first is not None else 0.0
            stated = float(stream.duration * stream.time_base) if stream.duration else None
            timing.append((start, stated))
            c.seek(0)
    return timing
