"""Video out with PyAV: encodes upright RGB frames at their timestamps, with the source's audio and subtitles
beside them (copied where the container carries them, else transcoded) and its tags and timecode."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from vidstyle.core.errors import SettingError, UserError
from vidstyle.core.options import OutputOptions
from vidstyle.media import deliver
from vidstyle.media.formats import output_format
from vidstyle.media.frames import BT709, UNSPECIFIED, bit_depth, has_alpha, is_yuv, sws_matrix
from vidstyle.media.smpte import output_timecode
from vidstyle.media.tags import file_tags, stream_tags

if TYPE_CHECKING:
    from vidstyle.media.source import VideoSource

log = logging.getLogger("vidstyle")

# Where no delivery profile applies (vidstyle.media.deliver: .mov and .mxf always, others for sources above 8 bits)
DEFAULT_CODECS = {"mp4": "libx264", "matroska": "libx264", "webm": "libvpx-vp9"}
CRF_CODECS = {"libx264", "libx265", "libvpx-vp9", "libvpx", "libaom-av1", "libsvtav1"}
# A source with alpha: MOV gets ProRes 4444 (the prores-4444 profile: what editors composite with; its alpha is
# lossless), WebM VP9's yuva420p (the default codec already). Other containers' default codecs have no alpha: the
# log says it is left.
ALPHA_PIX_FMTS = ("yuva420p", "yuva444p", "yuva444p10le", "rgba")  # in order of preference, where a codec has them


@dataclass
class EncodeSettings:
    """The encoder's settings; the defaults (and why) are the output options' (vidstyle.core.options.OutputOptions)."""

    codec: str | None = OutputOptions.codec  # None: the container's usual choice (H.264 for MP4, MOV, MKV)
    crf: int = OutputOptions.crf
    preset: str = OutputOptions.encoder_preset  # x264/x265 speed preset (checked with the settings)
    pix_fmt: str | None = None  # None: yuv420p, or yuv444p for 4:4:4 sources and odd sizes
    deliver: str | None = OutputOptions.deliver  # a delivery profile's name (vidstyle.media.deliver)


# Pairs FFmpeg muxes but common players will not play: transcode these rather than copy. PCM in MP4 (cameras'
# MOV and MXF carry it; MP4 is the default output) is written as ISO 'ipcm', which QuickTime and browsers do not
# play; MOV carries it as they do.
UNPLAYABLE_AUDIO = {("mp4", "vorbis"), ("mov", "vorbis"), ("mov", "opus")}
UNPLAYABLE_PREFIXES = {"mp4": "pcm_"}
AAC_RATE_PER_CHANNEL = 96_000  # bit/s: transparent AAC, for sources that were lossless (PCM) or near it


def codec_name(stream: av.stream.Stream) -> str:
    """The codec's own name (mp3, opus), not its decoder's or encoder's (mp3float, libopus)."""
    return stream.codec_context.codec.canonical_name


def unplayable(stream: av.audio.AudioStream, fmt: str) -> bool:
    """Whether common players would not play `stream`'s codec in `fmt`, which FFmpeg muxes."""
    name, prefix = codec_name(stream), UNPLAYABLE_PREFIXES.get(fmt)
    return (fmt, name) in UNPLAYABLE_AUDIO or (prefix is not None and name.startswith(prefix))


def can_copy(stream: av.audio.AudioStream, fmt: str) -> bool:
    """Whether `fmt` accepts `stream`'s packets (audio, subtitles) as they are, for players too: try writing a
    header, as the real mux will."""
    if unplayable(stream, fmt):
        return False
    buf = io.BytesIO()
    try:
        with av.open(buf, "w", format=fmt) as probe:
            probe.add_stream_from_template(stream)
            probe.start_encoding()
        return True
    except (av.error.FFmpegError, ValueError, NotImplementedError):
        return False


def encoder_options(codec: str, settings: EncodeSettings, alpha: bool = False) -> dict[str, str]:
    """The encoder's options for the settings' quality and speed."""
    opts = {}
    if codec in CRF_CODECS:
        opts["crf"] = str(settings.crf)
        if codec == "libvpx-vp9":
            opts["b"] = "0"
    if codec in ("libx264", "libx265"):
        opts["preset"] = settings.preset
    if codec == "libx265":
        opts["x265-params"] = "log-level=error"  # x265 prints its statistics to the terminal otherwise
    if codec.endswith("_nvenc"):  # NVIDIA's encoders: constant quality at the CRF's number, no bitrate cap
        opts.update({"rc": "vbr", "cq": str(settings.crf), "b": "0"})
    if codec == "prores_ks":  # 422 HQ, or 4444 with alpha: what editors expect (FFmpeg's default is 422)
        opts["profile"] = "4" if alpha else "3"
    if codec == "libx264":
        # x264's macroblock-tree rate control gives different bits for the same frames from run to run
        # (seen with this PyAV build at 64x48 to 320x180; tests/test_batch.py). Off, encoding is
        # reproducible, so a resumed job's file decodes to exactly an uninterrupted one's.
        opts["x264-params"] = "mbtree=0"
    return opts


def check_encoder(codec: str | None, settings: EncodeSettings) -> None:
    """A codec given by name is one this PyAV build has and can open here, said before any frame is decoded:
    a GPU's encoder (h264_nvenc) is in PyAV's wheels, but opens only where an NVIDIA GPU and driver are."""
    if codec is None:
        return
    if codec not in av.codecs_available or not av.Codec(codec, "w").type == "video":
        raise SettingError("codec", f"{codec!r} is not a video encoder in this PyAV build")
    ctx = av.CodecContext.create(codec, "w")
    ctx.width, ctx.height, ctx.time_base = 256, 144, Fraction(1, 24)
    formats = [f.name for f in (ctx.codec.video_formats or [])]
    ctx.pix_fmt = "yuv420p" if "yuv420p" in formats or not formats else formats[0]
    ctx.options = encoder_options(codec, settings)
    try:
        ctx.open()
    except (av.error.FFmpegError, OSError) as exc:
        why = getattr(exc, "strerror", None) or exc
        hint = " (NVENC needs an NVIDIA GPU and its driver)" if codec.endswith("_nvenc") else ""
        raise SettingError("codec", f"{codec!r} cannot open here: {why}{hint}") from None


class VideoSink:
    """Encodes upright RGB frames at the given timestamps and muxes the source's audio beside them."""

    def __init__(self, path: Path, fmt_path: Path, source: VideoSource, settings: EncodeSettings,
                 audio: bool = True) -> None:
        self.fmt = output_format(fmt_path)
        self.settings = settings
        self.profile = deliver.pick(settings.deliver, settings.codec, fmt_path, source.depth, source.alpha)
        self.codec = self.profile.codec if self.profile else settings.codec or DEFAULT_CODECS.get(self.fmt, "libx264")
        if self.codec not in av.codecs_available:
            raise SettingError("codec", f"{self.codec!r} is not in this PyAV build")
        self.formats = {f.name for f in (av.Codec(self.codec, "w").video_formats or [])}
        self.alpha_fmts = [f for f in ALPHA_PIX_FMTS if f in self.formats] if source.alpha else []
        # Above 8 bits where the profile is, or where the source is and the encoder can be (frames then come at
        # 16 bits: VideoSource.frames(deep=True), and go to the encoder without an 8-bit step).
        self.depth = deliver.depth_of(self.profile, source.depth) if self.profile else \
            16 if source.depth > 8 and any(bit_depth(f) > 8 for f in self.formats) and settings.pix_fmt is None else 8
        self._alpha_said = False
        self.source = source
        self.audio_sources = source.audio_streams if audio else []
        self.subtitle_sources = source.subtitle_streams if audio else []
        # Keep source timestamps as they are: no shifting to make B-frame decode times non-negative.
        self.container = av.open(str(path), "w", format=self.fmt, options={"avoid_negative_ts": "disabled"})
        self.container.metadata.update(file_tags(source.container.metadata))
        # Exact timestamps: a time base of 1/N that holds every source tick (MP4 wants 1/N).
        self.tick = source.time_base.numerator
        self.time_base = Fraction(1, source.time_base.denominator)
        self.stream: av.video.stream.VideoStream | None = None
        self.alpha = False  # whether the output stream has an alpha plane (set when it opens)
        self.yuv = False  # whether it is YUV, written with BT.709 (set when it opens)
        self._to_yuv = VideoReformatter()
        self._last_pts: int | None = None
        self._copying = False  # video packets copied (open_copy), not encoded
        self._audio: dict[int, tuple[av.audio.AudioStream, bool]] = {}
        self._early_audio: list[av.Packet] = []  # audio read before the first frame opened the file

    def _open(self, width: int, height: int, pts: int) -> None:
        s = self.settings
        stream = self.container.add_stream(self.codec, rate=self.source.rate)
        stream.width, stream.height = width, height
        stream.metadata.update(stream_tags(self.source.stream.metadata))
        self._keep_timecode(stream, self.source.clip_time(pts))
        stream.pix_fmt = s.pix_fmt or self._pick_pix_fmt(width, height)
        self.alpha = has_alpha(stream.pix_fmt)
        stream.time_base = self.time_base
        stream.codec_context.time_base = self.time_base
        self.yuv = is_yuv(av.VideoFormat(stream.pix_fmt))
        cc, src = stream.codec_context, self.source
        if self.yuv:
            cc.colorspace, cc.color_range = src.matrix, src.color_range
        cc.color_primaries = src.primaries if src.primaries != UNSPECIFIED else BT709  # RGB ones too (FFV1)
        cc.color_trc = src.transfer if src.transfer != UNSPECIFIED else BT709
        options = encoder_options(self.codec, s, self.alpha)
        if self.profile is not None:
            options.update(self.profile.options)
        if self.codec == "libx265" and self.fmt in ("mp4", "mov"):
            cc.codec_tag = "hvc1"  # Apple's players and browsers play HEVC tagged so, not FFmpeg's default hev1
            if (src.estimated_frames() or 0) < 3:  # x265's B-frames in a clip of 1 or 2: MP4 refused the file
                options["x265-params"] += ":bframes=0"
        stream.options = options
        self.stream = stream
        self._add_audio()

    def open_copy(self, template: av.video.stream.VideoStream) -> None:
        """Take encoded video packets as they are (write_packet) instead of frames: the join of a split clip's
        segments, whose stream is `template`'s."""
        self.stream = self.container.add_stream_from_template(template)
        self.stream.time_base = template.time_base
        # The rate, as a whole run's stream has it (MOV's muxer needs it to write a timecode track).
        self.stream.codec_context.framerate = self.source.rate
        self.stream.metadata.update(stream_tags(self.source.stream.metadata))
        self._keep_timecode(self.stream, 0.0)  # the segments joined make the whole clip
        self._copying = True
        self._add_audio()

    def _keep_timecode(self, stream: av.video.stream.VideoStream, start: float) -> None:
        """The source's timecode, moved on to the output's first frame (at `start` s in the clip)."""
        rate = self.source.rate
        timecode = output_timecode(self.source.timecode, round(start * rate), rate, self.fmt, self.source.path)
        if timecode is not None:
            stream.metadata["timecode"] = timecode
        reel = self.source.reel
        if reel and self.fmt in ("mov", "mxf"):  # MOV's timecode track takes it from the video stream, MXF's
            stream.metadata["reel_name"] = reel     # source package from the file
            if self.fmt == "mxf":
                self.container.metadata["reel_name"] = reel

    def write_packet(self, packet: av.Packet) -> None:
        packet.stream = self.stream
        self.container.mux(packet)

    def _add_audio(self) -> None:
        """An output stream for each source audio stream (a copy where the container carries its codec) and
        subtitle stream (where it carries its format); then the packets read before the video opened the file."""
        for src in self.audio_sources:
            copy = can_copy(src, self.fmt)
            if copy:
                out = self.container.add_stream_from_template(src)
            else:
                target = self.container.default_audio_codec or "aac"
                rate = 48000 if self.fmt == "mxf" else src.codec_context.sample_rate or 48000  # MXF: 48 kHz only
                out = self.container.add_stream(target, rate=rate)
                if src.codec_context.layout is not None:
                    out.layout = src.codec_context.layout
                if target == "aac":  # FFmpeg's default, 128 kb/s whatever the channels, is thin for 5.1
                    out.bit_rate = AAC_RATE_PER_CHANNEL * out.codec_context.channels
                why = "players do not play it in" if unplayable(src, self.fmt) else "FFmpeg does not write it into"
                log.warning("audio stream #%d (%s) transcoded to %s: %s %s", src.index, codec_name(src),
                            codec_name(out), why, self.fmt)
            out.metadata.update(stream_tags(src.metadata))
            self._audio[src.index] = (out, copy)
        for src in self.subtitle_sources:  # copied, or left out: text in one format is not turned into another
            if not can_copy(src, self.fmt):
                log.warning("subtitle stream #%d (%s) left out: %s does not carry it (MKV does)", src.index,
                            codec_name(src), self.fmt)
                continue
            out = self.container.add_stream_from_template(src)
            out.metadata.update(stream_tags(src.metadata))
            self._audio[src.index] = (out, True)
        early, self._early_audio = self._early_audio, []
        for packet in early:
            self.write_audio(packet)

    def _pick_pix_fmt(self, width: int, height: int) -> str:
        odd = width % 2 or height % 2
        if self.profile is not None and self.profile.pix_fmts:
            fmt = deliver.pix_fmt(self.profile, self.depth, self.source.alpha)
            return fmt.replace("420", "444") if odd and fmt.replace("420", "444") in self.formats else fmt
        fmt = self._pick_8_bit_pix_fmt(width, height)
        deep = fmt.replace("p", "p10le", 1) if fmt.endswith("p") else fmt  # yuv420p -> yuv420p10le
        return deep if self.depth > 8 and deep in self.formats else fmt

    def _pick_8_bit_pix_fmt(self, width: int, height: int) -> str:
        formats = self.formats
        wants_444 = "444" in self.source.pix_fmt or width % 2 or height % 2
        if self.alpha_fmts:
            return next((f for f in self.alpha_fmts if not (wants_444 and "420" in f)), self.alpha_fmts[0])
        if wants_444 and "yuv444p" in formats:
            return "yuv444p"
        if "yuv420p" in formats or not formats:
            if width % 2 or height % 2:
                raise UserError(f"{self.codec} cannot encode odd frame size {width}x{height} in 4:2:0; "
                                "use another max_size, or the libx264 codec", self.source.path)
            return "yuv420p"
        return sorted(formats)[0]

    def write_frame(self, rgb: np.ndarray, pts: int, alpha: np.ndarray | None = None, key: bool = False) -> None:
        """`key`: the first frame of a shot, made a keyframe: an editor cuts there, and the frame is coded from
        itself alone, not from the shot before, whose pictures differ with the temporal term on or off."""
        if self.stream is None:
            self._open(rgb.shape[1], rgb.shape[0], pts)
        out_pts = pts * self.tick
        if self._last_pts is not None and out_pts <= self._last_pts:
            out_pts = self._last_pts + 1  # repeated or out-of-order source timestamps: one tick later
        self._last_pts = out_pts
        deep = self.depth > 8
        if deep and rgb.dtype == np.uint8:  # a frame finished at 8 bits (a multi-pass job's checkpoint)
            rgb = rgb.astype(np.uint16) * 257
        if self.alpha and alpha is not None:
            planes = np.dstack([rgb, alpha.astype(np.uint16) * 257 if deep else alpha])
            frame = av.VideoFrame.from_ndarray(planes, format="rgba64le" if deep else "rgba")
        else:
            if alpha is not None and not self._alpha_said and alpha.min() < 255:  # an opaque plane loses nothing
                log.warning("%s: its alpha channel is left out: %s cannot carry it (.webm and .mov outputs keep "
                            "it)", self.source.path, self.codec)
                self._alpha_said = True
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb48le" if deep else "rgb24")
        if self.yuv:  # here, not in the encoder, which would convert with BT.601; one converter for the clip
            frame = self._to_yuv.reformat(frame, format=self.stream.pix_fmt,
                                          dst_colorspace=sws_matrix(self.source.matrix),
                                          dst_color_range=self.source.color_range)
        frame.pts = out_pts
        frame.time_base = self.time_base
        if key:
            frame.pict_type = av.video.frame.PictureType.I
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def write_audio(self, packet: av.Packet) -> None:
        if self.stream is None:
            self._early_audio.append(packet)
            return
        entry = self._audio.get(packet.stream.index)
        if entry is None:
            return
        out, copy = entry
        if copy:
            packet.stream = out
            self.container.mux(packet)
            return
        for frame in packet.decode():
            for enc in out.encode(frame):
                self.container.mux(enc)

    def close(self) -> None:
        """Flush encoders and finish the file. Raises if no frame was ever written."""
        if self.stream is None:
            self.container.close()
            raise UserError("no frames to write", self.source.path)
        for packet in [] if self._copying else self.stream.encode(None):
            self.container.mux(packet)
        for out, copy in self._audio.values():
            if not copy:
                for packet in out.encode(None):
                    self.container.mux(packet)
        self.container.close()

    def abort(self) -> None:
        try:
            self.container.close()
        except Exception:  # noqa: BLE001 - the file is being thrown away anyway
            pass
