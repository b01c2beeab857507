"""`vidstyle shots`: the shots of a clip as the video job cuts it, and a contact sheet of their first frames."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from vidstyle.core.timepoints import clock
from vidstyle.shots.cuts import read_cut_file
from vidstyle.shots.detect import TransNetDetector
from vidstyle.shots.stage import ShotStage


@dataclass
class Shot:
    number: int  # from 1
    first: int  # frame index
    frames: int
    start: float  # seconds
    end: float  # seconds: the next shot's start, or the clip's end
    kind: str  # how it began: "start", "cut" or "gradual"
    timecode: str | None = None  # its first frame's, where the clip has a timecode (vidstyle.media.smpte)


def list_shots(path: Path, cuts: str = "auto", device: str = "cpu", tile: int = 240,
               sequence_rate: Fraction | None = None) -> tuple[list[Shot], list[np.ndarray]]:
    """The shots of a clip (one pass of decoding), and each one's first frame at `tile` px wide."""
    from vidstyle.media.smpte import moved_on
    from vidstyle.media.source import VideoSource

    with VideoSource(path, sequence_rate) as source:
        points = read_cut_file(Path(cuts), source) if cuts not in ("auto", "off") else None
        half = 0.5 / float(source.rate)
        stage = ShotStage(TransNetDetector(device) if cuts == "auto" else None, points, bars=False, half_frame=half)
        firsts: list[np.ndarray] = []
        starts: list[tuple[int, float, str]] = []
        last, count = 0.0, 0
        for frame, framing in stage.run(source.frames(max_size=tile * 2), source.clip_seconds):
            seconds = source.clip_seconds(frame)
            if frame.index == 0 or framing.boundary is not None:
                starts.append((frame.index, seconds, framing.boundary.kind if framing.boundary else "start"))
                h, w = frame.rgb.shape[:2]
                firsts.append(cv2.resize(frame.rgb, (tile, max(1, round(h * tile / w))), interpolation=cv2.INTER_AREA))
            last, count = seconds + 1.0 / float(source.rate), frame.index + 1
        origin, rate = source.timecode, source.rate
    shots = []
    for n, (first, start, kind) in enumerate(starts):
        nxt = starts[n + 1] if n + 1 < len(starts) else (count, last, "")
        timecode = moved_on(origin, first, rate) if origin else None
        shots.append(Shot(n + 1, first, nxt[0] - first, start, nxt[1], kind, timecode))
    return shots, firsts


def contact_sheet(shots: list[Shot], firsts: list[np.ndarray], columns: int = 4) -> np.ndarray:
    """Each shot's first frame with its number and start time, in rows of `columns`."""
    tiles = []
    height = max(f.shape[0] for f in firsts)
    for shot, img in zip(shots, firsts):
        tile = np.zeros((height + 22, img.shape[1], 3), np.uint8)
        tile[:img.shape[0]] = img
        text = f"#{shot.number}  {clock(shot.start)}  {shot.frames} fr"
        cv2.putText(tile, text, (4, height + 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    columns = min(columns, len(tiles))
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % columns)
    return np.concatenate([np.concatenate(tiles[r:r + columns], 1) for r in range(0, len(tiles), columns)], 0)
