"""Interlaced video made progressive before it is painted.

An interlaced frame (DV, DVD, broadcast 1080i, older camcorders) weaves two fields shot 1/50 or 1/60 s apart:
anything that moves shows combs, which a style paints as stripes and the flow takes for texture. FFmpeg's
bwdif (a motion-adaptive deinterlacer) makes each such frame a whole one, at the same rate and timestamp, so
the clip's timing is kept; progressive frames of the same stream pass through as they are.
"""

from __future__ import annotations

from fractions import Fraction

import av

# One output frame per input frame (the timing is kept); field order from each frame's flags; only frames
# flagged interlaced are touched.
BWDIF = "mode=send_frame:parity=auto:deint=interlaced"


class Deinterlacer:
    """Frames in display order in, the same frames out, interlaced ones deinterlaced. The filter needs the next
    frame to rebuild a field, so output runs one frame behind while it is on; `flush` gives the last. It starts
    at the first interlaced frame: a progressive clip never goes through it."""

    def __init__(self, time_base: Fraction) -> None:
        self.time_base = time_base
        self.count = 0  # interlaced frames seen
        self._graph: av.filter.Graph | None = None
        self._shape: tuple[int, int, str] | None = None

    def push(self, vf: av.VideoFrame, pts: int) -> list[tuple[av.VideoFrame, int]]:
        self.count += vf.interlaced_frame
        if self._graph is None and not vf.interlaced_frame:
            return [(vf, pts)]
        out = []
        shape = (vf.width, vf.height, vf.format.name)
        if shape != self._shape:  # a new stream size or format needs a new filter
            out = self.flush()
            self._open(vf)
            self._shape = shape
        assert self._graph is not None
        vf.pts, vf.time_base = pts, self.time_base
        self._graph.push(vf)
        return out + self._pull()

    def flush(self) -> list[tuple[av.VideoFrame, int]]:
        """The frames still held, at the end of the stream (or of a size)."""
        if self._graph is None:
            return []
        self._graph.push(None)
        out = self._pull()
        self._graph = self._shape = None
        return out

    def _open(self, vf: av.VideoFrame) -> None:
        graph = av.filter.Graph()
        source = graph.add_buffer(width=vf.width, height=vf.height, format=vf.format, time_base=self.time_base)
        bwdif = graph.add("bwdif", BWDIF)
        sink = graph.add("buffersink")
        source.link_to(bwdif)
        bwdif.link_to(sink)
        graph.configure()
        self._graph = graph

    def _pull(self) -> list[tuple[av.VideoFrame, int]]:
        assert self._graph is not None
        out = []
        while True:
            try:
                vf = self._graph.vpull()
            except (BlockingIOError, EOFError):  # needs more input / has given everything
                return out
            # bwdif counts time in half the input's ticks (it can also give one frame per field): back to ours
            out.append((vf, round(vf.pts * vf.time_base / self.time_base)))
