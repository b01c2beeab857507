"""Animated GIF and WebP outputs: short stylized loops, each frame shown for as long as in the source.

Written with Pillow at the end of the clip, from the frames kept until then (a GIF's palette is made for the
whole clip, so colours do not jump from frame to frame): meant for loops of seconds, not whole films. Neither
format carries sound; WebP keeps a source's alpha channel.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from vidstyle.media.source import VideoSource

log = logging.getLogger("vidstyle")

GIF_TICK = 10  # ms: GIF frame delays are whole centiseconds
PALETTE_SAMPLES = 16  # frames the GIF palette is made from, spread over the clip


class AnimationSink:
    """The VideoSink interface (write_frame, write_audio, close, abort) for `.gif` and `.webp`."""

    depth = 8  # bits a channel: GIF and WebP have no more

    def __init__(self, path: Path, fmt: str, source: VideoSource) -> None:
        self.path = path
        self.fmt = fmt
        self.source = source
        self.frames: list[np.ndarray] = []
        self.times: list[float] = []  # seconds
        self._said_alpha = False
        self._said: set[str] = set()  # the kinds of packet left out (audio, subtitle), said once each

    def write_frame(self, rgb: np.ndarray, pts: int, alpha: np.ndarray | None = None, key: bool = False) -> None:
        if alpha is not None and self.fmt == "gif" and not self._said_alpha and alpha.min() < 255:
            log.warning("%s: its alpha channel is left out: GIF has only on/off transparency (.webp keeps it)",
                        self.source.path)
            self._said_alpha = True
        self.frames.append(np.dstack([rgb, alpha]) if alpha is not None and self.fmt == "webp" else rgb)
        self.times.append(float(pts * self.source.time_base))

    def write_audio(self, packet: av.Packet) -> None:
        kind = packet.stream.type
        if kind not in self._said:
            log.warning("%s has no %s: %s left out", self.fmt.upper(), *(("sound", "the audio is") if kind == "audio"
                                                                        else ("subtitles", "they are")))
            self._said.add(kind)

    def durations(self) -> list[int]:
        """Each frame's display time in ms, from the timestamps (the last one: the source's frame duration),
        rounded so that every frame starts within half a tick of its source time (the error does not add up)."""
        tick = GIF_TICK if self.fmt == "gif" else 1
        ends = [*self.times[1:], self.times[-1] + 1.0 / float(self.source.rate)]
        starts = [round((t - self.times[0]) * 1000 / tick) * tick for t in [self.times[0], *ends]]
        return [max(tick, b - a) for a, b in zip(starts, starts[1:])]

    def close(self) -> None:
        if not self.frames:
            return
        images = [Image.fromarray(f) for f in self.frames]
        if self.fmt == "gif":
            palette = _palette(self.frames)
            images = [im.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG) for im in images]
            encoder = {"format": "GIF", "disposal": 1, "optimize": False}
        else:
            encoder = {"format": "WEBP", "quality": 90, "method": 4}
        images[0].save(self.path, save_all=True, append_images=images[1:], duration=self.durations(), loop=0,
                       **encoder)
        self.frames.clear()

    def abort(self) -> None:
        self.frames.clear()


def _palette(frames: list[np.ndarray]) -> Image.Image:
    """256 colours for the whole clip, from a mosaic of frames spread over it."""
    picks = np.linspace(0, len(frames) - 1, min(PALETTE_SAMPLES, len(frames))).round().astype(int)
    h, w = frames[0].shape[:2]
    scale = min(1.0, 160 / max(h, w))
    tiles = [np.asarray(Image.fromarray(frames[i]).resize((max(1, round(w * scale)), max(1, round(h * scale)))))
             for i in picks]
    return Image.fromarray(np.concatenate(tiles, axis=0)).quantize(256, method=Image.Quantize.MEDIANCUT)
