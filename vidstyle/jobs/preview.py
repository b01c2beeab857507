"""`vidstyle preview`: several looks on each shot of a clip, side by side, in seconds, so that a look is picked
before an overnight render. One row a shot (its middle frame), one column for the source and one a look; written
as a PNG and as a self-contained HTML page (the pictures inside it)."""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vidstyle.core.timepoints import clock
from vidstyle.settings import resolve
from vidstyle.settings.model import Settings
from vidstyle.shots.listing import Shot, list_shots

LABEL = 24  # px: the height of a label (columns are labelled at the top, rows above their pictures)


@dataclass
class Look:
    label: str
    settings: Settings


def looks(presets: list[str], styles: list[Path], style_ids: list[int], size: int,
          presets_dir: Path | None = None) -> list[Look]:
    """The looks named, each checked before anything loads: presets, each style image with the default backend
    (AdaIN), and the fast network's built-in styles, all at the preview's size."""
    found = [Look(Path(p).stem, resolve(p, {"max_size": size}, presets_dir)) for p in presets]
    found += [Look(s.stem, resolve(None, {"style": [s], "max_size": size})) for s in styles]  # the default backend
    found += [Look(f"fast style {n}", resolve(None, {"style_id": [n], "max_size": size}))  # picks its backend
              for n in style_ids]
    return found


def middle_frames(path: Path, shots: list[Shot], size: int, sequence_rate: Fraction | None = None
                  ) -> list[np.ndarray]:
    """Each shot's middle frame, its long side at `size`: what the shot looks like, away from a transition."""
    from vidstyle.media.frames import Frame
    from vidstyle.media.source import VideoSource

    wanted = {shot.first + shot.frames // 2: n for n, shot in enumerate(shots)}
    picked: dict[int, np.ndarray] = {}
    with VideoSource(path, sequence_rate) as source:
        for frame in source.frames(max_size=size):
            if isinstance(frame, Frame) and frame.index in wanted:
                picked[wanted[frame.index]] = frame.rgb
                if len(picked) == len(wanted):
                    break
    return [picked[n] for n in sorted(picked)]


def preview(clip: Path, chosen: list[Look], size: int = 320, cuts: str = "auto", device: Any = None,
            sequence_rate: Fraction | None = None) -> tuple[list[Shot], list[list[np.ndarray]]]:
    """The shots, and a row of pictures for each: the source's middle frame, then each look's."""
    from vidstyle.backends.base import stylize_image
    from vidstyle.core.device import pick_device

    device = device or pick_device("auto")
    shots, _ = list_shots(clip, cuts, str(device), sequence_rate=sequence_rate)
    sources = middle_frames(clip, shots, size, sequence_rate)
    rows = [[rgb] for rgb in sources]
    for look in chosen:
        stylizer = look.settings.build(0.0, device)
        for row, rgb in zip(rows, sources):
            row.append((stylize_image(stylizer, rgb) * 255.0 + 0.5).astype(np.uint8))
        del stylizer
    return shots[:len(rows)], rows


def row_label(shot: Shot) -> str:
    at = shot.timecode or clock(shot.start)
    return f"shot {shot.number}  {at}  ({shot.frames} frames)"


def sheet(shots: list[Shot], labels: list[str], rows: list[list[np.ndarray]]) -> np.ndarray:
    """The contact sheet as one RGB image: a label over each column, one over each row."""
    width = max(img.shape[1] for row in rows for img in row)
    height = max(img.shape[0] for row in rows for img in row)
    pad = 4
    columns = len(rows[0])
    out = np.full((LABEL + len(rows) * (height + LABEL + pad), columns * (width + pad), 3), 24, np.uint8)

    def text(s: str, x: int, y: int) -> None:
        cv2.putText(out, s, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (235, 235, 235), 1, cv2.LINE_AA)

    for c, label in enumerate(["source", *labels]):
        text(label[:40], c * (width + pad) + 4, LABEL - 8)
    for r, (shot, row) in enumerate(zip(shots, rows)):
        top = LABEL + r * (height + LABEL + pad)
        text(row_label(shot), 4, top + LABEL - 8)
        for c, img in enumerate(row):
            y, x = top + LABEL, c * (width + pad)
            out[y:y + img.shape[0], x:x + img.shape[1]] = img
    return out


def page(clip: Path, shots: list[Shot], labels: list[str], rows: list[list[np.ndarray]]) -> str:
    """A self-contained HTML page: a table, the pictures inside it as PNG data."""
    from PIL import Image

    def data(img: np.ndarray) -> str:
        buffer = io.BytesIO()
        Image.fromarray(img).save(buffer, format="PNG", optimize=True)
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()

    head = "".join(f"<th>{html.escape(label)}</th>" for label in ["", "source", *labels])
    body = "".join(
        f"<tr><th>{html.escape(row_label(shot))}</th>" +
        "".join(f'<td><img src="{data(img)}" alt="{html.escape(label)}"></td>'
                for img, label in zip(row, ["source", *labels])) + "</tr>"
        for shot, row in zip(shots, rows))
    return (f"<!doctype html><meta charset=utf-8><title>vidstyle preview: {html.escape(clip.name)}</title>"
            "<style>body{background:#181818;color:#eee;font:14px sans-serif}td,th{padding:4px;text-align:left;"
            "vertical-align:top}img{display:block;max-width:100%}</style>"
            f"<h1>{html.escape(clip.name)}</h1><table><tr>{head}</tr>{body}</table>")
