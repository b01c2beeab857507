"""Decoded frames given their timestamps in display order, where a file stores them out of order."""

from __future__ import annotations

import heapq
from collections import deque

import av


class Reorder:
    """Frames come from the decoder in display order; their timestamps should too. Where a file's are out of
    order (B-frames muxed with pts = dts, packed B-frames in AVI), each frame takes the smallest timestamp among
    the next DEPTH frames': the stamps sorted, as FFmpeg's best-effort timestamps and players do. In-order
    stamps pass unchanged. A jump back by more than the window is a discontinuity, not reordering: the frames
    before it go first."""

    DEPTH = 16  # frames held: B-frame reordering is at most this deep

    def __init__(self, step: int) -> None:
        self.step = step
        self.frames: deque[tuple[av.VideoFrame, int]] = deque()
        self.stamps: list[int] = []  # a heap
        self.repaired = 0

    def push(self, vf: av.VideoFrame, pts: int) -> list[tuple[av.VideoFrame, int]]:
        out = []
        if self.stamps and pts < max(self.stamps) - self.DEPTH * max(self.step, 1):
            out = self.drain()
        self.frames.append((vf, pts))
        heapq.heappush(self.stamps, pts)
        while len(self.frames) > self.DEPTH:
            out.append(self._pop())
        return out

    def drain(self) -> list[tuple[av.VideoFrame, int]]:
        return [self._pop() for _ in range(len(self.frames))]

    def _pop(self) -> tuple[av.VideoFrame, int]:
        vf, own = self.frames.popleft()
        pts = heapq.heappop(self.stamps)
        self.repaired += pts != own
        return vf, pts
