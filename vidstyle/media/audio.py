"""The source's audio timeline kept when its packets are copied: the stated end, and timestamp gaps it does not count.

A container can state an audio stream shorter than its packets run: MP4 trims the last frame's padding by the
track's duration (mdn_flower: 48 samples), and some muxers leave a gap in the timestamps that the stated
duration does not count (moviepy_fire2_rot180_vfr: the first AAC frame stamped 8,471 samples long, so the
packets span 2.416 s against 106 frames x 1024 = 2.261 s stated, which is what players report and play).
Copied as they are, the output's audio runs past the source's. Here each packet comes out with its gap closed
(when the frames alone fill the stated duration) and the last one shortened to the stated end, which the MP4
muxer writes as the track's duration (edit list), so the output starts and ends where the source does.
"""

from __future__ import annotations

import logging
from typing import Iterator

import av

log = logging.getLogger(__name__)


class AudioTimeline:
    """Fixes one audio stream's packet timestamps as they are demuxed; holds one packet back to trim the end."""

    def __init__(self, stream: av.audio.AudioStream) -> None:
        self.stream = stream
        frame_size = stream.codec_context.frame_size or 0  # samples per packet, 0 when it varies
        begin = stream.start_time or 0
        self.end = begin + stream.duration if stream.duration else None  # the stated end, in stream ticks
        rate, tb = stream.codec_context.sample_rate, stream.time_base
        frame_ticks = round(frame_size / rate / tb) if frame_size and rate and tb else 0
        # Gaps are closed only when the frames alone already reach the stated end: a gap would then put audio
        # past it, so the container does not count it. Without a stated duration, gaps are kept.
        self.close_gaps = bool(frame_ticks and self.end is not None and stream.frames
                               and stream.duration <= stream.frames * frame_ticks)
        self._frame_ticks = frame_ticks
        self._shift = 0  # ticks taken out so far
        self._held: av.Packet | None = None

    def push(self, packet: av.Packet) -> Iterator[av.Packet]:
        """The packet before this one, now that its successor fixed where it ends."""
        if self._held is not None and self.close_gaps:
            expected = self._held.pts + self._frame_ticks
            gap = packet.pts - self._shift - expected
            if gap > 0:
                self._shift += gap
                self._held.duration = self._frame_ticks
        packet.pts -= self._shift
        packet.dts -= self._shift
        held, self._held = self._held, packet
        if held is not None:
            yield held

    def finish(self, trim_end: bool = True) -> Iterator[av.Packet]:
        """The last packet, shortened to the stated end where that falls inside it."""
        held, self._held = self._held, None
        if held is None:
            return
        if self._shift:
            log.info("audio stream #%d: closed a %.0f ms gap in its timestamps that its stated duration does not "
                     "count", self.stream.index, 1000 * float(self._shift * self.stream.time_base))
        if trim_end and self.end is not None and held.duration and 0 < self.end - held.pts < held.duration:
            held.duration = self.end - held.pts
        yield held
