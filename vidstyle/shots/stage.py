"""The shot stage of the video job, between decoding and flow: each frame's shot boundary (detected, or from a cut
list) and the picture area inside black bars, and the brightness guard that keeps fades and black frames dark.

A film clip is a sequence of shots, and a boundary between two is where every temporal state resets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np
import torch

from vidstyle.core.tensors import host_view
from vidstyle.core.timepoints import TimePoint
from vidstyle.shots.cuts import Boundary
from vidstyle.shots.detect import ShotMarker, TransNetDetector

if TYPE_CHECKING:
    from vidstyle.media.frames import Frame


BAR_LEVEL = 24  # a row or column whose brightest pixel stays at or below this (of 255) is a bar, as in cropdetect
MIN_SHOT = 8  # frames: detected boundaries closer than this to the one before are dropped
LIFT = 0.1  # the most a stylized frame's mean brightness may exceed its source's (of full scale)
_LUMA = np.array([0.299, 0.587, 0.114])


def brightness_gain(source: torch.Tensor, output: torch.Tensor) -> float:
    """The factor that keeps a stylized frame's mean brightness within LIFT of its source's, and within twice it
    for dark frames (black stays black, a fade stays a fade). Networks normalise their input's contrast: left
    alone, a frame fading to black comes out as bright as the frames before it and a black one as a flat
    colour. Never brightens; normal frames of the shared clips are left as they are (their outputs sit within
    LIFT of their sources). Both 1x3xHxW in [0, 1], on one device (one number comes back from it)."""
    if source.device.type == "cpu":  # OpenCV's mean: a tenth of torch's time on a channels-last frame
        src, out = (float(np.dot(cv2.mean(host_view(x))[:3], _LUMA)) for x in (source, output))
    else:
        luma = torch.tensor(_LUMA, dtype=torch.float32, device=source.device)
        src, out = (float(x) for x in (torch.stack([source.mean((0, 2, 3)), output.mean((0, 2, 3))]) @ luma).cpu())
    allowed = src + min(LIFT, src)
    return 1.0 if out <= allowed else allowed / out


@dataclass(frozen=True)
class Framing:
    """How one frame is stylized: whether it starts a shot, and the picture area inside black bars."""

    boundary: Boundary | None  # set on the first frame of every shot after the first
    area: tuple[int, int, int, int] | None  # (top, bottom, left, right) of the picture; None: the whole frame

    def picture(self, rgb: np.ndarray) -> np.ndarray:
        if self.area is None:
            return rgb
        top, bottom, left, right = self.area
        return np.ascontiguousarray(rgb[top:bottom, left:right])

    def place(self, picture: np.ndarray, source: np.ndarray | None) -> np.ndarray:
        """The stylized picture back in the source frame, whose bars stay as they were (no frame is needed where
        there are none)."""
        if self.area is None or source is None:
            return picture
        top, bottom, left, right = self.area
        out = source.copy()
        out[top:bottom, left:right] = picture
        return out


@dataclass
class _Seen:
    frame: Frame
    seconds: float
    dark: bool = False  # every pixel at or below BAR_LEVEL: a black frame (looked at with a detector only)
    rows: np.ndarray | None = None  # brightest luminance per row (when bars are looked for)
    cols: np.ndarray | None = None  # brightest luminance per column
    probability: float | None = None  # TransNetV2's, once decided


def _seen(frame: Frame, seconds: float, bars: bool, detect: bool) -> _Seen:
    dark = detect and int(frame.rgb.max()) <= BAR_LEVEL
    if not bars:
        return _Seen(frame, seconds, dark)
    grey = cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2GRAY)
    return _Seen(frame, seconds, dark, grey.max(axis=1), grey.max(axis=0))


def picture_area(rows: np.ndarray, cols: np.ndarray) -> tuple[int, int, int, int] | None:
    """The area inside letterbox or pillarbox bars (even-aligned), or None when there are none. Bars must be at
    least 2% of the side; a frame that is dark nearly everywhere (a fade) has no bars."""

    def span(levels: np.ndarray) -> tuple[int, int]:
        lit = np.nonzero(levels > BAR_LEVEL)[0]
        if lit.size == 0:
            return 0, len(levels)
        return int(lit[0]) // 2 * 2, min(len(levels), -(-(int(lit[-1]) + 1) // 2) * 2)

    (top, bottom), (left, right) = span(rows), span(cols)
    h, w = len(rows), len(cols)
    if bottom - top < h // 4 or right - left < w // 4:
        return None
    vertical = top >= 0.02 * h or h - bottom >= 0.02 * h
    horizontal = left >= 0.02 * w or w - right >= 0.02 * w
    if not (vertical or horizontal):
        return None
    return (top, bottom, left, right) if vertical and horizontal else \
        (top, bottom, 0, w) if vertical else (0, h, left, right)


class ShotStage:
    """Between decoding and flow: marks shot boundaries and finds each shot's picture area inside black bars.
    Frames are held back until their verdict is known (TransNetV2 needs up to 75 later frames; without it,
    LOOKAHEAD frames serve the bars): memory stays bounded."""

    LOOKAHEAD = 24

    def __init__(self, detector: TransNetDetector | None = None, points: list[TimePoint | Boundary] | None = None,
                 bars: bool = True, half_frame: float = 0.0) -> None:
        self.detector = detector
        self.points = list(points or [])
        self.bars = bars
        self.half_frame = half_frame
        self.marker = ShotMarker()
        self.boundaries: list[Boundary] = []
        self._buffer: list[_Seen] = []
        self._area: tuple[int, int, int, int] | None = None
        self._first = True
        self._after_black = False  # black frames came after a frame that was not
        self._was_dark = True  # a clip that opens on black has no shot before it

    @property
    def release_batch(self) -> int:
        """How many frames a verdict can release at once."""
        return self.detector.STEP if self.detector is not None else 1

    def run(self, items: Iterator, seconds_of: Callable[[Frame], float]) -> Iterator:
        """`items`: Frames and packets in decode order; yields packets and (Frame, Framing) in the same order."""
        held: list = []  # packets wait behind the frames read before them
        for item in items:
            if not hasattr(item, "rgb"):
                held.append(item)
                continue
            seen = _seen(item, seconds_of(item), self.bars, self.detector is not None)
            self._buffer.append(seen)
            held.append(seen)
            if self.detector is not None:
                for p in self.detector.push(item.rgb):
                    next(s for s in self._buffer if s.probability is None).probability = p
            yield from self._release(held, final=False)
        if self.detector is not None:
            for p in self.detector.finish():
                next(s for s in self._buffer if s.probability is None).probability = p
        yield from self._release(held, final=True)

    def _decided(self, seen: _Seen, final: bool) -> bool:
        if self.detector is not None:
            return seen.probability is not None
        return final or len(self._buffer) > self.LOOKAHEAD

    def _release(self, held: list, final: bool) -> Iterator:
        while held:
            item = held[0]
            if isinstance(item, _Seen):
                if not self._decided(item, final):
                    return
                self._buffer.pop(0)
                yield item.frame, self._framing(item)
            else:
                yield item
            held.pop(0)

    def _framing(self, seen: _Seen) -> Framing:
        boundary = self._boundary(seen)
        if boundary is not None or self._first:
            if boundary is not None:
                self.boundaries.append(boundary)
            self._first = False
            shot = [seen, *self._buffer]  # the frames known of this shot (a few of the next, at worst: safe)
            self._area = picture_area(np.max([s.rows for s in shot], 0), np.max([s.cols for s in shot], 0)) \
                if self.bars else None
        return Framing(boundary, self._area)

    def _boundary(self, seen: _Seen) -> Boundary | None:
        index = seen.frame.index
        if self.detector is not None:
            hit = self.marker.next(index, seen.seconds, seen.probability)
            # Nothing of a shot carries through black: TransNetV2 misses some fades through black (3 of 9 in
            # benchmarks/shots.py), so the first frame after black frames starts a shot too.
            if hit is None and self._after_black and not seen.dark:
                hit = Boundary(index, seen.seconds, "gradual")
            self._after_black = seen.dark and (self._after_black or index > 0 and not self._was_dark)
            self._was_dark = seen.dark
            # As PySceneDetect's min_scene_len: no shot shorter than MIN_SHOT frames (a fade's black frames and
            # TransNetV2's transition frames would otherwise make two boundaries a few frames apart).
            if hit is not None and self.boundaries and index - self.boundaries[-1].frame < MIN_SHOT:
                return None
            return hit
        hit = None
        while self.points and self.points[0].reached(index, seen.seconds, self.half_frame):
            self.points.pop(0)
            hit = Boundary(index, seen.seconds, "cut") if index > 0 else None
        return hit
