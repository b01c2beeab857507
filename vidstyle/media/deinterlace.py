"""Interlaced video made progressive before it is painted.

An interlaced frame (DV, DVD, broadcast 1080i, older camcorders) weaves two fields shot 1/50 or 1/60 s apart:
anything that moves shows combs, which a style paints as stripes and the flow takes for texture. FFmpeg's
bwdif (a motion-adaptive deinterlacer) makes each such frame a whole one, at the same rate and timestamp, so
the clip's timing is kept; progressive frames of the same stream pass through as they are.

Interlaced video re-encoded without its flags (a DV or TV capture saved as progressive, telecined film) says
nothing of its combs: `combed` looks for them with FFmpeg's idet, and where it finds them, idet flags each
frame as it sees it and bwdif deinterlaces the ones it flags.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from pathlib import Path

import av

# One output frame per input frame (the timing is kept); field order from each frame's flags; only frames
# flagged interlaced are touched.
BWDIF = "mode=send_frame:parity=auto:deint=interlaced"
# A clip whose frames say progressive is taken as combed when idet flags this share of its first PROBE_FRAMES
# frames or more. Measured: a woven clip saved as progressive, 39 of 39; telecined film combs 2 frames of 5; the
# shared clips, none, but for adain_cutBunny (an animation) at 6 of 60.
COMBED_SHARE, PROBE_FRAMES = 1 / 3, 60


def combed(path: Path, stream: int) -> bool:
    """Whether the clip's frames show combs although none of its first frames is flagged interlaced."""
    stat = path.stat()
    return _combed(str(path), stream, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)  # a job reads its input more than once (checks, shots, the frames)
def _combed(path: str, stream: int, size: int, mtime: int) -> bool:
    flagged = seen = 0
    try:
        with av.open(path) as container:
            video = container.streams[stream]
            video.thread_type = "AUTO"
            graph: av.filter.Graph | None = None
            for vf in container.decode(video):
                if vf.interlaced_frame:
                    return False  # flagged: bwdif takes the frames the flags name
                if graph is None:
                    graph = _graph(vf, video.time_base or Fraction(1, 90000), "idet")
                graph.push(vf)
                for out in _drain(graph):
                    flagged += out.interlaced_frame  # idet's verdict, written into the frame's flags
                    seen += 1
                if seen >= PROBE_FRAMES:
                    break
    except (av.error.FFmpegError, ValueError):  # undecodable data is said where the frames are read
        pass
    return seen >= 10 and flagged >= COMBED_SHARE * seen


def _graph(vf: av.VideoFrame, time_base: Fraction, chain: str) -> av.filter.Graph:
    """buffer -> the filters of `chain` ("a,b=options") -> buffersink, for frames like `vf`."""
    graph = av.filter.Graph()
    node = graph.add_buffer(width=vf.width, height=vf.height, format=vf.format, time_base=time_base)
    for item in chain.split(","):
        name, _, options = item.partition("=")
        following = graph.add(name, options or None)
        node.link_to(following)
        node = following
    node.link_to(graph.add("buffersink"))
    graph.configure()
    return graph


def _drain(graph: av.filter.Graph) -> list[av.VideoFrame]:
    out = []
    while True:
        try:
            out.append(graph.vpull())
        except (BlockingIOError, EOFError):  # needs more input / has given everything
            return out


class Deinterlacer:
    """Frames in display order in, the same frames out, interlaced ones deinterlaced. The filter needs the next
    frame to rebuild a field, so output runs one frame behind while it is on; `flush` gives the last. It starts
    at the first interlaced frame: a progressive clip never goes through it (unless `combed` found it combed)."""

    def __init__(self, time_base: Fraction, detect: bool = False) -> None:
        """`detect`: every frame goes through idet first, which flags the combed ones (see `combed`)."""
        self.time_base = time_base
        self.detect = detect
        self.count = 0  # frames seen flagged interlaced
        self._graph: av.filter.Graph | None = None
        self._shape: tuple[int, int, str] | None = None

    def push(self, vf: av.VideoFrame, pts: int) -> list[tuple[av.VideoFrame, int]]:
        self.count += vf.interlaced_frame
        if self._graph is None and not (self.detect or vf.interlaced_frame):
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
        self._graph = _graph(vf, self.time_base, ("idet," if self.detect else "") + "bwdif=" + BWDIF)

    def _pull(self) -> list[tuple[av.VideoFrame, int]]:
        assert self._graph is not None
        # bwdif counts time in half the input's ticks (it can also give one frame per field): back to ours
        return [(vf, round(vf.pts * vf.time_base / self.time_base)) for vf in _drain(self._graph)]
