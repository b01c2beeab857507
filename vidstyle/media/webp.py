"""Animated WebP inputs, which FFmpeg cannot decode, turned into a clip it reads."""

from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageSequence

from vidstyle.core.errors import UserError

_REMUXED: dict[tuple[str, int, int], Path] = {}  # an animated WebP's clip, by the file's path, size and time
_FOLDER: tempfile.TemporaryDirectory | None = None  # where they are written; removed when the process ends


def webp_as_clip(path: Path) -> Path:
    """An animated WebP as a clip that FFmpeg reads (its WebP decoder takes no animation): every frame, lossless
    (FFV1 in Matroska, RGB or RGBA where a frame is not opaque), at its own time to the millisecond. The clip's
    rate is the most common frame duration's. Made once a process (a job reads its input more than once: 1.8 s
    for 100 frames at 512x512), in a temporary folder."""
    global _FOLDER
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _REMUXED:
        if _FOLDER is None:
            _FOLDER = tempfile.TemporaryDirectory(prefix="vidstyle-webp-")
        out = Path(_FOLDER.name) / f"{len(_REMUXED)}.mkv"
        _write_clip(path, out)
        _REMUXED[key] = out
    return _REMUXED[key]


def _write_clip(path: Path, out: Path) -> None:
    try:
        with Image.open(path) as img:
            durations, opaque = [], True
            for frame in ImageSequence.Iterator(img):
                frame.load()  # a frame's duration is known once it is decoded
                durations.append(int(frame.info.get("duration") or 100))  # 0: shown for 100 ms, as browsers do
                opaque = opaque and (frame.mode != "RGBA" or frame.getchannel("A").getextrema()[0] == 255)
            mode, fmt = ("RGB", "bgr0") if opaque else ("RGBA", "bgra")
            with av.open(str(out), "w") as container:
                common = max(set(durations), key=durations.count)
                stream = container.add_stream("ffv1", rate=Fraction(1000, common))
                stream.width, stream.height, stream.pix_fmt = *img.size, fmt
                stream.codec_context.time_base = Fraction(1, 1000)
                clock = 0
                for frame, duration in zip(ImageSequence.Iterator(img), durations):
                    vf = av.VideoFrame.from_ndarray(np.asarray(frame.convert(mode)),
                                                    format="rgb24" if mode == "RGB" else "rgba")
                    vf.pts, vf.time_base = clock, Fraction(1, 1000)
                    container.mux(stream.encode(vf))
                    clock += duration
                container.mux(stream.encode(None))
    except (OSError, ValueError) as exc:
        raise UserError(f"not a readable animated WebP ({exc})", path) from None
