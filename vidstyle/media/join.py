"""One output from the segments of a split clip (vidstyle.jobs.units): their video packets copied, never re-encoded,
and the source's audio muxed once, as a whole-clip run writes it.

Each segment was encoded on its own with the same settings, timed from 0 (an MP4 starting later would round
its start to the movie's millisecond timescale); its packets go in order, moved to the clip time of its first
frame, exactly, in the source's ticks. A decode time that would not increase at a seam is moved one tick on.
The file is renamed into place only when whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av

from vidstyle.core.errors import UserError
from vidstyle.media.atomic import atomic_output
from vidstyle.media.sinks.video import EncodeSettings, VideoSink
from vidstyle.media.source import VideoSource


def _video_packets(segments: list[tuple[Path, float]], source: VideoSource
                   ) -> Iterator[tuple[av.video.stream.VideoStream, av.Packet]]:
    """Each segment's video packets in order, with their stream, moved to the clip time it starts at; segments
    must share one encoding."""
    extradata: bytes | None = None
    for path, at in segments:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            data = bytes(stream.codec_context.extradata or b"")
            if extradata is not None and data != extradata:
                raise UserError("its segments were encoded with different settings and cannot be joined", path)
            extradata = data
            # The clip time in source ticks (exact: times come from them), then in the segment's (1/N, N = the
            # source time base's denominator, as VideoSink writes).
            ticks = round(at / source.time_base) + (source.stream.start_time or 0)
            shift = round(ticks * source.time_base / stream.time_base)
            for packet in container.demux(stream):
                if packet.size:
                    packet.pts += shift
                    packet.dts += shift
                    yield stream, packet


def join_segments(source_path: Path, segments: list[tuple[Path, float]], output: Path,
                  tmp_dir: Path | None = None, sequence_rate: Fraction | None = None) -> int:
    """Write `output` from `segments` (each a file and the clip time of its first frame, in clip order) and the
    audio of `source_path` (an image sequence: at `sequence_rate`); the video frame count."""
    count = 0
    with VideoSource(source_path, sequence_rate) as source, atomic_output(output, tmp_dir) as tmp:
        sink = VideoSink(tmp, output, source, EncodeSettings())
        try:
            video = _video_packets(segments, source)
            audio = source.audio_packets()
            pending_video = next(video, None)
            pending_audio = next(audio, None)
            if pending_video is None:
                raise UserError("no frames to write", source_path)
            sink.open_copy(pending_video[0])
            last_dts: int | None = None
            while pending_video is not None or pending_audio is not None:
                # Interleaved by time, as the muxer of a whole-clip run receives them.
                if pending_video is not None and (pending_audio is None or _seconds(pending_video[1])
                                                  <= _seconds(pending_audio)):
                    packet = pending_video[1]
                    if last_dts is not None and packet.dts is not None and packet.dts <= last_dts:
                        packet.dts = last_dts + 1
                    last_dts = packet.dts
                    sink.write_packet(packet)
                    count += 1
                    pending_video = next(video, None)
                else:
                    sink.write_audio(pending_audio)
                    pending_audio = next(audio, None)
            sink.close()
        except BaseException:
            sink.abort()
            raise
    return count


def _seconds(packet: av.Packet) -> float:
    stamp = packet.dts if packet.dts is not None else packet.pts
    return float(stamp * packet.time_base) if stamp is not None else 0.0
