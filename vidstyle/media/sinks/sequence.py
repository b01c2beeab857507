"""Image-sequence outputs: a file a frame, numbered as the source's frames."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np

from vidstyle.core.errors import UserError
from vidstyle.media.sequence import Sequence

if TYPE_CHECKING:
    from vidstyle.media.source import VideoSource

log = logging.getLogger("vidstyle")


class SequenceSink:
    """The VideoSink interface (write_frame, write_audio, close, abort) for an image-sequence output: a file a
    frame, numbered as the source's frames (an input sequence's own numbers, a segment's included, so that renders
    line up with the plate; a clip's from 1). Written into the temporary folder atomic_output gives, moved into
    place when the job ends. 8 bits a channel; PNG and TIFF keep a source's alpha."""

    def __init__(self, folder: Path, target: Sequence, source: VideoSource) -> None:
        self.folder, self.target, self.source = folder, target, source
        self.count = 0
        self._said: set[str] = set()

    def write_frame(self, rgb: np.ndarray, pts: int, alpha: np.ndarray | None = None, key: bool = False) -> None:
        import cv2

        number = self.source.frame_number(pts)
        self.count += 1
        if number is None:
            number = self.count
        picture = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        if alpha is not None:
            if self.target.suffix.lower() in (".png", ".tif", ".tiff"):
                picture = np.dstack([picture, alpha])
            elif "alpha" not in self._said:
                self._said.add("alpha")
                log.warning("%s: its alpha channel is left out: JPEG has none (PNG and TIFF keep it)",
                            self.source.path)
        path = self.folder / self.target.name(number)
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
