"""Image-sequence outputs: a file a frame, numbered as the source's frames."""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np

from vidstyle.core.errors import UserError
from vidstyle.media import deliver
from vidstyle.media.sequence import Sequence

if TYPE_CHECKING:
    from vidstyle.media.source import VideoSource

log = logging.getLogger("vidstyle")


class SequenceSink:
    """The VideoSink interface (write_frame, write_audio, close, abort) for an image-sequence output: a file a
    frame, numbered as the source's frames (an input sequence's own numbers, a segment's included, so that renders
    line up with the plate; a clip's from 1). Written into the temporary folder atomic_output gives, moved into
    place when the job ends. PNG and TIFF at the source's depth (16 bits above 8) or the profile's, EXR as half
    floats in linear light; PNG, TIFF and EXR keep a source's alpha."""

    def __init__(self, folder: Path, target: Sequence, source: VideoSource, profile: str | None = None) -> None:
        self.folder, self.target, self.source = folder, target, source
        self.suffix = target.suffix.lower()
        self.exr = self.suffix == ".exr"
        named = deliver.get(profile) if profile else None
        self.depth = 8 if self.suffix in (".jpg", ".jpeg") else 16 if self.exr else \
            deliver.depth_of(named, source.depth)
        self.count = 0
        self._said: set[str] = set()

    def write_frame(self, rgb: np.ndarray, pts: int, alpha: np.ndarray | None = None, key: bool = False) -> None:
        import cv2

        number = self.source.frame_number(pts)
        self.count += 1
        if number is None:
            number = self.count
        path = self.folder / self.target.name(number)
        if self.depth > 8 and rgb.dtype == np.uint8:  # a frame finished at 8 bits (a multi-pass checkpoint's)
            rgb = rgb.astype(np.uint16) * 257
        if self.exr:
            path.write_bytes(_exr(rgb, alpha))
            return
        picture = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        if alpha is not None:
            if self.suffix in (".png", ".tif", ".tiff"):
                picture = np.dstack([picture, alpha.astype(np.uint16) * 257 if self.depth > 8 else alpha])
            elif "alpha" not in self._said:
                self._said.add("alpha")
                log.warning("%s: its alpha channel is left out: JPEG has none (PNG, TIFF and EXR keep it)",
                            self.source.path)
        if not cv2.imwrite(str(path), picture):
            raise UserError(f"could not write the frame {path.name}", self.target.folder)

    def write_audio(self, packet: av.Packet) -> None:
        kind = packet.stream.type
        if kind not in self._said:
            self._said.add(kind)
            log.warning("an image sequence has no %s: %s left out",
                        *(("sound", "the audio is") if kind == "audio" else ("subtitles", "they are")))

    def close(self) -> None:
        if not self.count:
            raise UserError("no frames to write", self.source.path)

    def abort(self) -> None:
        pass  # atomic_output removes the folder


def _exr(rgb: np.ndarray, alpha: np.ndarray | None) -> bytes:
    """One OpenEXR file: half floats, linear light (sRGB's curve undone, as vidstyle reads EXR back), ZIP."""
    signal = rgb.astype(np.float32) / (65535.0 if rgb.dtype == np.uint16 else 255.0)
    linear = np.where(signal <= 0.04045, signal / 12.92, ((signal + 0.055) / 1.055) ** 2.4).astype(np.float32)
    planes = [linear[..., 1], linear[..., 2], linear[..., 0]]  # FFmpeg's planar order: G, B, R
    fmt = "gbrpf32le"
    if alpha is not None:
        planes.append(alpha.astype(np.float32) / 255.0)
        fmt = "gbrapf32le"
    frame = av.VideoFrame(rgb.shape[1], rgb.shape[0], fmt)
    for plane, values in zip(frame.planes, planes):
        row = plane.line_size // 4
        padded = np.zeros((values.shape[0], row), np.float32)
        padded[:, :values.shape[1]] = values
        plane.update(padded.tobytes())
    ctx = av.CodecContext.create("exr", "w")
    ctx.width, ctx.height, ctx.pix_fmt = rgb.shape[1], rgb.shape[0], fmt
    ctx.time_base = Fraction(1, 24)
    ctx.options = {"format": "half", "compression": "zip16"}
    return b"".join(bytes(p) for p in [*ctx.encode(frame), *ctx.encode(None)])
