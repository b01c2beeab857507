"""Middlebury .flo files (the format of Sintel's ground truth and of most flow tools)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

MAGIC = 202021.25


def read_flo(path: Path) -> np.ndarray:
    with open(path, "rb") as fh:
        magic = np.fromfile(fh, np.float32, 1)
        if magic.size != 1 or magic[0] != MAGIC:
            raise ValueError(f"{path}: not a .flo file")
        w, h = np.fromfile(fh, np.int32, 2)
        data = np.fromfile(fh, np.float32, 2 * w * h)
    return data.reshape(h, w, 2)


def write_flo(path: Path, flow: np.ndarray) -> None:
    h, w = flow.shape[:2]
    with open(path, "wb") as fh:
        np.array([MAGIC], np.float32).tofile(fh)
        np.array([w, h], np.int32).tofile(fh)
        flow.astype(np.float32).tofile(fh)
