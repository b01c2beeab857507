"""Frames as the video job passes them (upright RGB with a timestamp), the size they are processed at, and their
colour: what the readers and writers of clips share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import Colorspace

from vidstyle.core.errors import UserError


@dataclass
class Frame:
    """One decoded video frame: upright RGB pixels and its presentation time."""

    index: int
    rgb: np.ndarray  # HxWx3 uint8, display orientation
    pts: int  # in VideoSource.time_base
    alpha: np.ndarray | None = None  # HxW uint8 like rgb, where the source has an alpha channel
    deep: np.ndarray | None = None  # HxWx3 uint16, the same pixels at 16 bits, where the output is above 8 bits


def bit_depth(pix_fmt: str) -> int:
    """Bits a channel of a pixel format (10 for yuv422p10le, 8 for an unknown one)."""
    try:
        return max(c.bits for c in av.VideoFormat(pix_fmt).components)
    except ValueError:
        return 8


def has_alpha(pix_fmt: str) -> bool:
    try:
        return any(c.is_alpha for c in av.VideoFormat(pix_fmt).components)
    except ValueError:
        return False


def fit_size(width: int, height: int, max_size: int | None, even: bool = True) -> tuple[int, int]:
    """The processing size: the long side capped at `max_size` (never enlarged), aspect kept.

    Sizes are rounded to even numbers only when the frame is scaled anyway, so a source keeps its
    exact size unless `max_size` asks for less.
    """
    if not max_size or max(width, height) <= max_size:
        return width, height
    scale = max_size / max(width, height)
    step = 2 if even else 1
    return (max(step, round(width * scale / step) * step), max(step, round(height * scale / step) * step))


MIN_SIDE = 8  # px: the smallest frame side stylized; above it, frames are padded up to each network's own minimum


def check_frame_size(width: int, height: int, max_size: int | None, path: Path, even: bool = True) -> None:
    """One line for frames too small to stylize, at the size they would be processed at."""
    tw, th = fit_size(width, height, max_size, even)
    if min(tw, th) < MIN_SIDE:
        at = f" (at max_size {max_size}: {tw}x{th})" if (tw, th) != (width, height) else ""
        raise UserError(f"{width}x{height} frames{at} are below the {MIN_SIDE}-px side vidstyle stylizes", path)


# Colour. A YUV frame is read with the matrix its tag names or, untagged, the one players assume (mpv's rule:
# BT.709 from 1280 px wide or over 576 high, else BT.601). Outputs are written with the source's matrix and range
# (that one, untagged), primaries and transfer, and tagged so: what a grade set up for the source expects, and a
# colour bar comes back as it went in. Untagged, as PyAV writes by default, BT.601 pixels were shown as BT.709 by
# players at HD sizes and by browsers at any: pure green as (0, 215, 0).
UNSPECIFIED = 2  # AVCOL_SPCUNSPECIFIED, AVCOL_PRIUNSPECIFIED, AVCOL_TRCUNSPECIFIED
BT709 = 1  # AVCOL_SPCBT709, AVCOL_PRIBT709, AVCOL_TRCBT709
# FFmpeg's matrices (AVColorSpace) as swscale's coefficient tables name them (SWS_CS_*): BT.470BG and SMPTE 170M
# are both BT.601; BT.2020's constant-luminance form has no table and is read as its non-constant one.
_SWS_MATRIX = {1: Colorspace.ITU709, 4: Colorspace.FCC, 5: Colorspace.ITU601, 6: Colorspace.ITU601,
               7: Colorspace.SMPTE240M, 9: Colorspace.BT2020, 10: Colorspace.BT2020}


def is_yuv(fmt: av.VideoFormat) -> bool:
    return not (fmt.is_rgb or fmt.has_palette) and len(fmt.components) >= 3


def known_matrix(matrix: int) -> bool:
    return matrix in _SWS_MATRIX


def sws_matrix(matrix: int) -> Colorspace:
    """swscale's table for a matrix tag (AVColorSpace); BT.709 for one it has none for."""
    return _SWS_MATRIX.get(matrix, Colorspace.ITU709)


def matrix_for(width: int, height: int) -> int:
    """The matrix (AVColorSpace) players assume for an untagged YUV frame of this size."""
    return BT709 if width >= 1280 or height > 576 else 6


def read_matrix(vf: av.VideoFrame) -> Colorspace | None:
    """The matrix to read `vf` with where its tag does not name one (None: its tag's, or not YUV)."""
    if vf.colorspace != UNSPECIFIED or not is_yuv(vf.format):
        return None
    return sws_matrix(matrix_for(vf.width, vf.height))
