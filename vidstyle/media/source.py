"""Video in with PyAV: a clip's (or image sequence's) frames with their timestamps, upright, and its audio packets
for the output."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from av.stream import Disposition
from av.video.reformatter import ColorRange, VideoReformatter

from vidstyle.core.errors import UserError
from vidstyle.core.timepoints import TimePoint
from vidstyle.media.audio import AudioTimeline
from vidstyle.media.deinterlace import Deinterlacer
from vidstyle.media.frames import (BT709, Frame, bit_depth, fit_size, has_alpha, is_yuv, known_matrix, matrix_for,
                                   read_matrix)
from vidstyle.media.hdr import PQ, ToSdr, is_hdr
from vidstyle.media.images import is_animation, is_image
from vidstyle.media.reorder import Reorder
from vidstyle.media.sequence import DEFAULT_RATE, Sequence, find_sequence, say_left_out
from vidstyle.media.smpte import find_timecode, frames_between

log = logging.getLogger("vidstyle")

# VP8/VP9 in WebM keep alpha in a side channel (BlockAdditional) that only libvpx's decoders read.
ALPHA_DECODERS = {"vp9": "libvpx-vp9", "vp8": "libvpx"}


MAX_RATE = 1000  # fps: above this, a stated rate is taken as wrong


class VideoSource:
    """An input clip (or image sequence): its first video stream, the audio streams beside it, and upright frames."""

    def __init__(self, path: Path, sequence_rate: Fraction | None = None) -> None:
        """`sequence_rate`: the frame rate of an image sequence (a folder of numbered frames); default 24."""
        self.path = path
        if not path.exists():
            raise UserError("file not found", path)
        self.sequence: Sequence | None = find_sequence(path) if path.is_dir() else None
        try:
            if self.sequence is not None:
                say_left_out(self.sequence)
                rate = sequence_rate or DEFAULT_RATE
                self.container = av.open(self.sequence.pattern, format="image2", options=self.sequence.options(rate))
            elif path.suffix.lower() == ".webp" and is_animation(path):  # FFmpeg's WebP decoder takes no animation
                from vidstyle.media.webp import webp_as_clip

                self.container = av.open(str(webp_as_clip(path)))
            else:
                self.container = av.open(str(path))
        except av.error.FFmpegError as exc:
            raise UserError(f"not a readable video ({_ffmpeg_reason(exc)})", path) from None
        # A cover picture (an MP3's or M4A's album art, an M4V's poster) is a video stream of one still: not a clip.
        videos = [v for v in self.container.streams.video if not v.disposition & Disposition.attached_pic]
        if not videos:
            covered = " (only a cover picture)" if self.container.streams.video else ""
            self.close()
            raise UserError(f"has no video stream{covered}", path)
        # HEIC and AVIF photos open as one-frame MP4s: they are stills too, by their name
        if self.sequence is None and (self.container.format.name == "image2" or
                                      self.container.format.name.endswith("_pipe") or is_image(path)):
            self.close()  # FFmpeg reads a still as a one-frame video: refused, not made a 1-frame clip
            raise UserError("is a still image, not a clip; `vidstyle image` stylizes stills", path)
        self.stream = videos[0]
        self.stream.thread_type = "AUTO"
        self.audio_streams = list(self.container.streams.audio)
        self.subtitle_streams = list(self.container.streams.subtitles)  # copied beside the audio where they fit
        self.time_base: Fraction = self.stream.time_base or Fraction(1, 90000)
        # An average over 1000 fps is a muxer's slip (a Matroska remux stated 30000 for 25 fps), not a camera's:
        # it made frame counts and the encoder's rate 1000x off. FFmpeg's guess from the timestamps then.
        rates = [r for r in (self.stream.average_rate, self.stream.guessed_rate) if r and r <= MAX_RATE]
        self.rate: Fraction = Fraction(rates[0] if rates else 30)
        cc = self.stream.codec_context
        self.pix_fmt: str = cc.pix_fmt or "yuv420p"
        # Anamorphic sources (DV, DVD: 720x576 shown as 16:9) store wide pixels: frames are read at square pixels,
        # as players show them, so strokes are painted round and the output (square pixels) is not squeezed.
        sar = self.stream.sample_aspect_ratio or cc.sample_aspect_ratio
        self.pixel_aspect = Fraction(sar) if sar and sar > 0 else Fraction(1)
        self.size = (max(1, round(cc.width * self.pixel_aspect)), cc.height)  # as shown, before any rotation
        self.alpha = has_alpha(self.pix_fmt)  # frames carry an alpha plane, which the output keeps where it can
        # The primaries and transfer curve the frames come in (the output is tagged with them): the source's, or
        # BT.709 for HDR, which is read as SDR (vidstyle.media.hdr says why).
        self.primaries, self.transfer = cc.color_primaries, cc.color_trc
        self.hdr = ToSdr(cc.color_trc) if is_hdr(cc.color_trc) else None
        if self.hdr is not None:
            self.primaries = self.transfer = BT709
        if cc.name == "exr":  # scene-linear light: to display values (sRGB's curve, above 1.0 clipped), as a viewer
            cc.options = {"apply_trc": "iec61966_2_1"}
            self.primaries = self.transfer = BT709
        # Bits a channel (an output follows them: vidstyle.media.deliver), and the matrix and range a YUV output is
        # written with: the source's, so that a grade set up for it holds (BT.709, limited, for RGB and HDR ones).
        self.depth = bit_depth(self.pix_fmt)
        yuv = is_yuv(av.VideoFormat(self.pix_fmt)) and self.hdr is None
        self.matrix = (cc.colorspace if known_matrix(cc.colorspace) else matrix_for(cc.width, cc.height)) if yuv \
            else BT709
        self.color_range = int(cc.color_range) if yuv and cc.color_range in (ColorRange.MPEG, ColorRange.JPEG) \
            else int(ColorRange.MPEG)
        self._decoder: av.CodecContext | None = None  # None: the stream's own
        if self.stream.metadata.get("alpha_mode") == "1" and ALPHA_DECODERS.get(cc.name) in av.codecs_available:
            self._decoder = av.CodecContext.create(ALPHA_DECODERS[cc.name], "r")
            self._decoder.extradata = cc.extradata
            self._decoder.thread_type = "AUTO"
            self.alpha = True
        self._shift = 0  # a segment's first frame's pts: subtracted from the frames' timestamps
        self._to_rgb_fmt = VideoReformatter()  # one converter for the clip: a new one a frame costs its set-up
        self.stopped_at_end = False  # whether `frames` stopped at a segment's end (not at the input's)

    def estimated_frames(self, start: TimePoint | None = None, end: TimePoint | None = None) -> int | None:
        """Frame count for progress bars: the header's count, else duration x rate; None when unknown. With a
        segment, its share."""
        whole = self._estimated_frames()
        if whole is None or (start is None and end is None):
            return whole
        first = start.frame_at(self.rate) if start else 0
        last = end.frame_at(self.rate) if end else whole
        return max(1, min(last, whole) - first)

    def _estimated_frames(self) -> int | None:
        if self.stream.frames:
            return int(self.stream.frames)
        if self.stream.duration and self.time_base:
            return max(1, int(self.stream.duration * self.time_base * self.rate))
        if self.container.duration:
            return max(1, int(self.container.duration / av.time_base * self.rate))
        return None

    def frame_number(self, pts: int) -> int | None:
        """An image sequence's number for the frame `frames` gave at `pts` (its frames are a tick apart); None
        for a clip."""
        if self.sequence is None:
            return None
        return self.sequence.first + pts + self._shift - (self.stream.start_time or 0)

    def seconds(self, pts: int) -> float:
        """A frame's time from the start of the stream."""
        return float((pts - (self.stream.start_time or 0)) * self.time_base)

    def clip_seconds(self, frame: Frame) -> float:
        """The time in the clip of a frame from `frames`, whose timestamps a segment starts at 0."""
        return self.clip_time(frame.pts)

    def clip_time(self, pts: int) -> float:
        """The time in the clip of a timestamp from `frames` (a segment's start at 0)."""
        return self.seconds(pts + self._shift)

    @property
    def timecode(self) -> str | None:
        """The source's start timecode (vidstyle.media.smpte), where it has one."""
        return find_timecode(self.stream.metadata, [s.metadata for s in self.container.streams.data],
                             self.container.metadata)

    @property
    def reel(self) -> str | None:
        """The source's reel (tape or card) name, which MOV and MXF carry beside the timecode."""
        return find_timecode(self.stream.metadata, [s.metadata for s in self.container.streams.data],
                             self.container.metadata, "reel_name")

    def resolve(self, point: TimePoint | None, key: str) -> TimePoint | None:
        """`point`, a timecode of the source's given the frame it names (counted from the first, as `120f`)."""
        if point is None or point.timecode is None or point.frame is not None:
            return point
        origin = self.timecode
        if origin is None:
            raise UserError(f"{key} {point.timecode} is a timecode, and the clip has none: give seconds or a frame "
                            "number (120f)", self.path)
        frames = frames_between(origin, point.timecode, self.rate)
        if frames is None:
            raise UserError(f"{key} {point.timecode} cannot be counted from the clip's timecode, {origin}, at "
                            f"{float(self.rate):.3f} fps (drop-frame is written HH:MM:SS;FF)", self.path)
        if frames < 0:
            raise UserError(f"{key} {point.timecode} is before the clip's first frame, {origin}", self.path)
        return replace(point, frame=frames)

    def duration(self) -> float | None:
        """The video stream's stated length in seconds, if the container says."""
        if self.stream.duration:
            return float(self.stream.duration * self.time_base)
        return self.container.duration / av.time_base if self.container.duration else None

    def frames(self, max_size: int | None = None, with_audio: bool = False, start: TimePoint | None = None,
               end: TimePoint | None = None, deep: bool = False) -> Iterator[Frame | av.Packet]:
        """Decode in presentation order. With `with_audio`, audio packets come interleaved as they are read.
        With `deep`, each frame carries its pixels at 16 bits too (Frame.deep), for an output above 8 bits.

        Frames are rotated upright by their display matrix, so the output needs no rotation flag. With `start`
        or `end`, only the frames in [start, end) come, renumbered from 0 with timestamps from 0 (the first
        one's), and the audio packets of the same span, shifted alike (cut at packet boundaries). Subtitle
        packets come with the audio, cut alike by their start.
        """
        if self.hdr is not None:
            _say_once(self.path, "hdr", "HDR (%s): read as SDR BT.709, its reference white as white, highlights "
                      "rolled off", "PQ" if self.stream.codec_context.color_trc == PQ else "HLG")
        streams = [self.stream, *(self.audio_streams + self.subtitle_streams if with_audio else [])]
        index = kept = decoded = 0
        step = _pts_step(self.rate, self.time_base)
        last_pts: int | None = None
        offset: float | None = None if start else 0.0  # the clip time that becomes 0 (audio is shifted alike)
        shift_pts = 0 if not start else None
        video_done = False
        early: list[av.Packet] = []  # audio read before the segment's first frame fixed its start
        order = Reorder(step)
        weave = Deinterlacer(self.time_base)

        def emit(vf: av.VideoFrame, pts: int) -> Iterator[Frame | av.Packet]:
            nonlocal index, kept, video_done, shift_pts, offset
            if video_done:
                return
            seconds = self.seconds(pts)
            if start is not None and not start.reached(index, seconds):
                index += 1
                return
            if end is not None and end.reached(index, seconds):
                video_done = self.stopped_at_end = True
                return
            if shift_pts is None:
                shift_pts, offset = pts, seconds
                self._shift = pts
                yield from filter(None, (self._cut_packet(p, offset, end) for p in early))
            rgb, alpha, deep_rgb = self._to_rgb(vf, max_size, deep)
            yield Frame(kept, rgb, pts - shift_pts, alpha, deep_rgb)
            index += 1
            kept += 1

        def emit_all(ordered: list[tuple[av.VideoFrame, int]]) -> Iterator[Frame | av.Packet]:
            """Frames in display order, through the deinterlacer, out."""
            for vf, pts in ordered:
                for whole, at in weave.push(vf, pts):
                    yield from emit(whole, at)

        # To the keyframe before `start`: the frames from there to it are decoded and dropped. Not with an end given
        # as a frame number, which counts from the clip's first frame, not from where a seek lands.
        if start is not None and start.seconds and (end is None or end.frame is None):
            self._seek_before(start.seconds)
        timelines = {s.index: AudioTimeline(s) for s in self.audio_streams if with_audio}

        def audio(packets: Iterable[av.Packet]) -> Iterator[av.Packet]:
            """The packets to write now; the audio is done at the first one past a segment's end."""
            nonlocal audio_done
            for packet in packets:
                if offset is None:
                    early.append(packet)
                    continue
                if start or end:
                    packet = self._cut_packet(packet, offset, end)
                    if packet is None:
                        audio_done = video_done
                        continue
                yield packet

        def cue(packet: av.Packet) -> Iterator[av.Packet]:
            """A subtitle packet to write now, if it starts in the segment; sparse, so it never ends the demux."""
            if offset is None:
                early.append(packet)
            elif not (start or end) or (packet := self._cut_packet(packet, offset, end)) is not None:
                yield packet

        audio_done = False
        try:
            for packet in self.container.demux(streams):
                if packet.stream.type == "subtitle":
                    if packet.pts is not None:
                        yield from cue(packet)
                    continue
                if packet.stream.type == "audio":
                    if packet.dts is not None:
                        yield from audio(timelines[packet.stream.index].push(packet))
                    if audio_done:
                        break
                    continue
                if video_done:
                    continue
                for vf in self._decode(packet):
                    decoded += 1
                    pts = vf.pts if vf.pts is not None else (0 if last_pts is None else last_pts + step)
                    last_pts = pts
                    yield from emit_all(order.push(vf, pts))
                if video_done and not with_audio:
                    break
            if not video_done:
                yield from emit_all(order.drain())
                for vf, pts in weave.flush():
                    yield from emit(vf, pts)
            for timeline in timelines.values():  # the stated end trims the last packet of a clip run to its end
                yield from audio(timeline.finish(trim_end=end is None))
        except av.error.FFmpegError as exc:
            if self.sequence is not None:
                self._name_unreadable_frame(last_pts)
            reason = _ffmpeg_reason(exc)
            # `decoded`, not the frames passed on: up to Reorder.DEPTH of them are still held
            raise UserError(f"corrupt or undecodable video data after {decoded} frames ({reason})",
                            self.path) from None
        if self.sequence is not None and not self.stopped_at_end and \
                (last_pts is None or last_pts - (self.stream.start_time or 0) < self.sequence.count - 1):
            self._name_unreadable_frame(last_pts)  # a damaged last frame: the threaded decoder drops it unsaid
        if weave.count:
            _say_once(self.path, "interlaced", "%d interlaced frames deinterlaced (bwdif, one frame each: the timing "
                      "is kept)", weave.count)
        if order.repaired:
            log.warning("%s: %d frames came with their timestamps out of order; they were given them in order "
                        "(as players show them)", self.path, order.repaired)
        if kept == 0:
            if self.stopped_at_end:  # a frame reached the start and the end at once: units mixed, in that order
                raise UserError(f"the segment is empty: end {end} comes at or before the start, {start}", self.path)
            if start is not None and index > 0:
                counted = f" ({index} frames)" if start.frame is not None else ""  # after a seek, index is not
                raise UserError(f"start {start} is past the end of the clip{counted}", self.path)
            raise UserError("has no decodable video frames", self.path)

    def _name_unreadable_frame(self, last_pts: int | None) -> None:
        """An image sequence's first unreadable frame from the last one decoded on (the decoder's threads report
        an error a frame or more late), said by its file name."""
        seq = self.sequence
        decoded = seq.first + (last_pts - (self.stream.start_time or 0) if last_pts is not None else -1)
        for number in range(max(seq.first, decoded - 2), seq.first + seq.count):
            try:
                with av.open(str(seq.folder / seq.name(number))) as still:
                    if next(still.decode(video=0), None) is not None:
                        continue
            except (av.error.FFmpegError, OSError):
                pass
            raise UserError(f"the image sequence's frame {seq.name(number)} is not readable", self.path)

    def _decode(self, packet: av.Packet) -> list[av.VideoFrame]:
        return self._decoder.decode(packet) if self._decoder else packet.decode()

    def _seek_before(self, seconds: float) -> None:
        """Seek to where decoding gives a first frame at or before `seconds`. A file with an index (MP4, MKV)
        lands on the keyframe before; MPEG-TS (broadcast recordings, camcorders' .mts) has none, and FFmpeg's
        search lands on any packet before, from which the decoder gives nothing until the next keyframe: the
        segment came out starting late, or empty. So each landing is tried, and moved back 1, 2, 4... s until
        its first frame is early enough, or to the start of the file."""
        start = self.stream.start_time or 0
        target = round(seconds / self.time_base) + start
        back = 0
        while target - back > start:
            self._seek(target - back)
            first = self._first_frame_pts()
            if first is not None and first <= target:
                self._seek(target - back)  # again: the probe read on
                return
            back = max(2 * back, round(1 / self.time_base))
        self._seek(None)

    def _seek(self, at: int | None) -> None:
        """Seek to the packet at or before `at`, or with None to the first (in TS, decoding order starts before
        the first frame's time)."""
        try:
            self.container.seek(-2**62 if at is None else at, stream=self.stream, backward=True)
        except av.error.FFmpegError:  # AVI refuses a time before its first
            self.container.seek(self.stream.start_time or 0, stream=self.stream, backward=True)
        if self._decoder:  # the stream's own decoder is flushed by the seek; this one is not
            self._decoder.flush_buffers()

    def _first_frame_pts(self) -> int | None:
        """The timestamp of the first frame decoded from here (None: none before the end)."""
        try:
            for packet in self.container.demux(self.stream):
                for vf in self._decode(packet):
                    if vf.pts is not None:
                        return vf.pts
            return None
        except av.error.FFmpegError:
            return None

    def audio_packets(self) -> Iterator[av.Packet]:
        """The whole clip's audio and subtitle packets alone, as `frames(with_audio=True)` gives them beside the
        frames (the join of a split clip's segments muxes them once)."""
        if not self.audio_streams + self.subtitle_streams:
            return
        timelines = {s.index: AudioTimeline(s) for s in self.audio_streams}
        try:
            for packet in self.container.demux(self.audio_streams + self.subtitle_streams):
                if packet.stream.type == "subtitle":
                    if packet.pts is not None:
                        yield packet
                elif packet.dts is not None:
                    yield from timelines[packet.stream.index].push(packet)
            for timeline in timelines.values():
                yield from timeline.finish(trim_end=True)
        except av.error.FFmpegError as exc:
            raise UserError(f"corrupt audio data ({_ffmpeg_reason(exc)})", self.path) from None

    def _cut_packet(self, packet: av.Packet, offset: float, end: TimePoint | None) -> av.Packet | None:
        """The audio or subtitle packet if it starts inside the segment, shifted so that `offset` seconds becomes
        0; else None. Audio counts from its stream's start; a subtitle stream's starts at its first cue, so cues
        count from the video's."""
        tb = packet.time_base
        origin = packet.stream.start_time or 0
        if packet.stream.type == "subtitle":
            origin = round((self.stream.start_time or 0) * self.time_base / tb)
        begin = float((packet.pts - origin) * tb)
        if begin < offset - 1e-6 or (end is not None and end.seconds is not None and begin >= end.seconds - 1e-6):
            return None
        shift = round(offset / tb) + origin
        packet.pts -= shift
        if packet.dts is not None:
            packet.dts -= shift
        return packet

    def _to_rgb(self, vf: av.VideoFrame, max_size: int | None, deep: bool = False
                ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Upright RGB at the processing size, the alpha plane alike where the source has one, and with `deep`
        the RGB at 16 bits (None for an 8-bit source, which has no more to give)."""
        turns = round((vf.rotation or 0) / 90) % 4
        w, h = max(1, round(vf.width * self.pixel_aspect)), vf.height  # square pixels
        uw, uh = (h, w) if turns % 2 else (w, h)
        tw, th = fit_size(uw, uh, max_size)
        sw, sh = (th, tw) if turns % 2 else (tw, th)
        canvas = (sw, sh) if (w, h) == self.size else self._canvas(max_size, turns)
        if (sw, sh) != canvas:
            sw, sh = self._fit_changed_size(vf, (sw, sh), canvas)
        deep = deep and (self.depth > 8 or self.hdr is not None)
        # swscale converts any pixel format (10-bit, 4:4:4, rgb24, palettes) and scales in one pass. Alpha goes
        # through 16 bits: 10- and 12-bit alpha (ProRes 4444) read to 8 bits exactly as they were written.
        wide = self.alpha or self.hdr is not None or deep
        fmt = ("rgba64le" if self.alpha else "rgb48le") if wide else "rgb24"
        pixels = self._to_rgb_fmt.reformat(vf, width=sw, height=sh, format=fmt,
                                           interpolation="AREA" if sw < vf.width or sh < vf.height else None,
                                           src_colorspace=read_matrix(vf)).to_ndarray()
        if (sw, sh) != canvas:  # centred on black (transparent, with alpha)
            framed = np.zeros((canvas[1], canvas[0], pixels.shape[2]), pixels.dtype)
            top, left = (canvas[1] - sh) // 2, (canvas[0] - sw) // 2
            framed[top:top + sh, left:left + sw] = pixels
            pixels = framed
        rgb, alpha, deep_rgb = pixels, None, None
        if self.alpha:
            rgb, alpha = np.ascontiguousarray(pixels[..., :3]), _to_8_bits(pixels[..., 3])
        if self.hdr is not None:
            rgb = self.hdr(rgb, 16 if deep else 8)
        if rgb.dtype == np.uint16:  # 8 bits beside the 16 for the flow, the shots and the bars
            deep_rgb = rgb if deep else None
            rgb = cv2.convertScaleAbs(rgb, alpha=255 / 65535)
        # ffmpeg's display rotation is counter-clockwise degrees; undoing it turns the pixels clockwise.
        upright = [None if a is None else np.ascontiguousarray(np.rot90(a, k=turns) if turns else a)
                   for a in (rgb, alpha, deep_rgb)]
        return upright[0], upright[1], upright[2]

    def _canvas(self, max_size: int | None, turns: int) -> tuple[int, int]:
        """The size every frame is read at (before turning upright): the stream's, as its header states it."""
        w, h = self.size
        tw, th = fit_size(*((h, w) if turns % 2 else (w, h)), max_size)
        return (th, tw) if turns % 2 else (tw, th)

    def _fit_changed_size(self, vf: av.VideoFrame, size: tuple[int, int], canvas: tuple[int, int]) -> tuple[int, int]:
        """The size a frame whose stream changed size mid-clip (a broadcast recording switching formats, clips
        joined as they were) is read at: fitted inside the stream's stated size, its aspect kept. The job, its
        flow and the output stay at one size; the bars are framing, which the shot's look leaves unpainted."""
        scale = min(canvas[0] / size[0], canvas[1] / size[1])
        fitted = (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))
        _say_once(self.path, (vf.width, vf.height), "the frames change size to %dx%d at %.2f s; they are fitted into "
                  "the clip's size (%dx%d), with black bars", vf.width, vf.height, self.seconds(vf.pts or 0),
                  *self.size, level=logging.WARNING)
        return fitted

    def close(self) -> None:
        self.container.close()

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_SAID: set[tuple[Path, object]] = set()


def _say_once(path: Path, key: object, message: str, *args: object, level: int = logging.INFO) -> None:
    """Log a fact about a clip once a run: a job opens and reads its input more than once (the checks, a shot
    scan, the job itself)."""
    if (path, key) not in _SAID:
        _SAID.add((path, key))
        log.log(level, "%s: " + message, path, *args)


def _to_8_bits(pixels: np.ndarray) -> np.ndarray:
    return ((pixels.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def _pts_step(rate: Fraction, time_base: Fraction) -> int:
    return max(1, round(1 / (rate * time_base))) if rate and time_base else 1


def _ffmpeg_reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc).split(";")[0]
