"""`vidstyle eval`: warping error of a stylized clip against its source, frame pair by frame pair.

With an interval K > 1 the pairs are frames t and t+K (K = 10 is the usual long-term figure: slow drift that
frame-to-frame measures miss), the flow computed directly between those two source frames, not chained.

A segment (`video --start/--end`) is measured against the source frames it was made from, found by the
timecodes both carry (vidstyle.media.smpte); without them the two clips must have as many frames.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

import cv2

from vidstyle.core.errors import UserError
from vidstyle.core.progress import make_progress
from vidstyle.core.timepoints import TimePoint
from vidstyle.flow import make_estimator
from vidstyle.jobs.metrics import ContentDistance, StyleDistance, warping_error
from vidstyle.media.frames import Frame
from vidstyle.media.source import VideoSource


def _segment_start(src: VideoSource, out: VideoSource) -> int | None:
    """The source frame the stylized clip's first frame was made from, by the timecodes both carry (a segment
    carries its first frame's); None where they do not place it."""
    from vidstyle.media.smpte import frames_between

    if src.timecode is None or out.timecode is None:
        return None
    skip = frames_between(src.timecode, out.timecode, src.rate)
    return skip if skip is not None and skip >= 0 else None


def evaluate_clip(original: Path, stylized: Path, flow: str = "dis", raft_weights: Path | None = None,
                  style: Path | None = None, style_every: int = 10, quiet: bool = False, content: bool = False,
                  interval: int = 1) -> dict[str, Any]:
    """Both clips are decoded upright, the source scaled to the stylized size; they must have as many frames, or
    the stylized one be a segment that its timecode places in the source. With `style`, the Gram style distance
    to it, and with `content` the content distance to the source (vidstyle.jobs.metrics), on every `style_every`-th
    frame."""
    if flow == "none":
        raise UserError("eval needs a flow method: dis, farneback, raft or raft-small")
    if interval < 1:
        raise UserError(f"--interval must be 1 or more frames, not {interval}")
    estimator = make_estimator(flow, raft_weights)
    distance = None
    if style is not None:
        from vidstyle.backends.base import style_image
        from vidstyle.media.images import resize_short_side

        distance = StyleDistance(resize_short_side(style_image(style), 512))
    contents = ContentDistance() if content else None
    rows: list[dict[str, Any]] = []
    styles: list[float] = []
    kept: list[float] = []
    with VideoSource(original) as src, VideoSource(stylized) as out, make_progress(quiet) as progress:
        task = progress.add_task("eval " + stylized.name, total=out.estimated_frames())
        skip = _segment_start(src, out)
        start = TimePoint(frame=skip) if skip else None
        src_frames = (f for f in src.frames(start=start) if isinstance(f, Frame))
        earlier: deque[tuple] = deque(maxlen=interval)  # (source, output) of the frames t-K .. t-1
        count = 0
        for frame in out.frames():
            if not isinstance(frame, Frame):
                continue
            source = next(src_frames, None)
            if source is None:
                raise UserError(f"has more frames than the source {original.name}", stylized)
            h, w = frame.rgb.shape[:2]
            s_rgb = source.rgb
            if s_rgb.shape[:2] != (h, w):
                s_rgb = cv2.resize(s_rgb, (w, h), interpolation=cv2.INTER_AREA)
            if distance is not None and count % style_every == 0:
                styles.append(distance(frame.rgb))
            if contents is not None and count % style_every == 0:
                kept.append(contents(frame.rgb, s_rgb))
            if len(earlier) == interval:
                err = warping_error(earlier[0][0], s_rgb, earlier[0][1], frame.rgb, estimator)
                rows.append({"frame": count, "time": float(frame.pts * out.time_base), "warping_error": err})
            earlier.append((s_rgb, frame.rgb))
            count += 1
            progress.update(task, advance=1)
        if skip is None and next(src_frames, None) is not None:
            raise UserError(f"has fewer frames than the source {original.name} (a segment is placed in its source "
                            "by the timecodes both carry, and these two do not)", stylized)
    if not rows:
        raise UserError(f"needs at least {interval + 1} frames to measure temporal consistency at interval "
                        f"{interval}", stylized)
    return {
        "original": str(original), "stylized": str(stylized), "flow": flow, "interval": interval, "pairs": len(rows),
        "source_start": skip or 0,  # the source frame the stylized clip's first was made from
        "warping_error": sum(r["warping_error"] for r in rows) / len(rows),
        "style_distance": sum(styles) / len(styles) if styles else None,
        "content_distance": sum(kept) / len(kept) if kept else None,
        "per_frame": rows,
    }
