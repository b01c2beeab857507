"""Resume data for one video output, so that a killed job picks up where it stopped.

A folder beside the output holds every finished frame as a PNG (lossless: the resumed run encodes exactly the
pixels the first run made) and, every N frames, the temporal state (the stylizer's and the output blender's) as
of that frame, written atomically. A resumed run re-encodes the stored frames and stylizes from the frame after
the last saved state; the result equals an uninterrupted run's. The output's temporary file lives in the same
folder, so whatever a kill leaves behind is found and removed on the next run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vidstyle.core.errors import UserError
from vidstyle.media.sequence import find_sequence

log = logging.getLogger("vidstyle")

# Resume data of another format is not used (3: AdaIN's output term is the carried one, its state a dict).
FORMAT = 3


@dataclass
class Saved:
    """The temporal state as of a finished frame: what stylizing the frames after it depends on."""

    frame: int  # frames up to this one are on disk
    stylizer: dict[str, Any]  # Stylizer.state()
    blender: Any  # CarryBlender.state()
    boundaries: list[Any] = field(default_factory=list)  # the shot boundaries up to `frame` (vidstyle.shots)


def folder_for(output: Path) -> Path:
    return output.parent / f".{output.name}.vidstyle-resume"


def fingerprint(source: Path, settings: dict[str, Any]) -> str:
    """What the stored frames depend on: the input file (path, size, mtime; an image sequence's folder: its
    files') and the job's settings."""
    files = find_sequence(source).files() if source.is_dir() else [source]
    stats = [p.stat() for p in files]
    text = json.dumps({"src": str(source.resolve()), "size": [st.st_size for st in stats],
                       "mtime": [st.st_mtime_ns for st in stats],
                       "settings": settings, "format": FORMAT}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Checkpoint:
    def __init__(self, output: Path, key: str, every: int) -> None:
        self.folder = folder_for(output)
        self.key = key
        self.every = max(1, every)
        self.resume_from = 0  # first frame to stylize
        self.saved: Saved | None = None  # the state to resume from

    def open(self, resume: bool) -> None:
        """Load a matching earlier run's state (when `resume`), else start an empty folder."""
        state_file = self.folder / "state.pt"
        if resume and state_file.exists():
            try:
                import torch

                state = torch.load(state_file, weights_only=False, map_location="cpu")  # the job moves it on
            except Exception:  # noqa: BLE001 - an unreadable state is only a lost head start
                state = None
            if state and state.get("key") == self.key:
                self.saved = Saved(**{f.name: state[f.name] for f in dataclasses.fields(Saved)})
                self.resume_from = self.saved.frame + 1
                log.info("resuming %s from frame %d (frames before it were stylized by an earlier run)",
                         self.folder.name.removesuffix(".vidstyle-resume").lstrip("."), self.resume_from)
                self._remove_temporaries()
                return
            log.info("earlier resume data in %s is for other settings or input; starting afresh", self.folder)
        self.clear()
        try:
            (self.folder / "frames").mkdir(parents=True)
        except OSError as exc:
            raise UserError(f"cannot write in this folder ({exc.strerror})", self.folder.parent) from None

    def _remove_temporaries(self) -> None:
        for tmp in self.folder.glob("*.vidstyle-tmp*"):  # a killed run's output (a sequence's: a folder)
            shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)

    def is_due(self, index: int) -> bool:
        return (index + 1) % self.every == 0

    def frame_path(self, index: int) -> Path:
        return self.folder / "frames" / f"{index:07d}.png"

    def save_frame(self, index: int, rgb: np.ndarray, atomic: bool = False) -> None:
        """`atomic` where the frame replaces one a resumed run may read (the multi-pass rewrites them)."""
        _write_png(self.frame_path(index), rgb, atomic)

    def load_frame(self, index: int) -> np.ndarray:
        return _read_png(self.frame_path(index))

    def source_path(self, index: int) -> Path:
        return self.folder / "sources" / f"{index:07d}.png"

    def save_source(self, index: int, rgb: np.ndarray) -> None:
        """The source frame, for the passes after the first (vidstyle.jobs.passes)."""
        self.source_path(index).parent.mkdir(exist_ok=True)
        _write_png(self.source_path(index), rgb, False)

    def load_source(self, index: int) -> np.ndarray:
        return _read_png(self.source_path(index))

    def save_state(self, saved: Saved) -> None:
        """Record that frames up to `saved.frame` are on disk and the state after them; atomic, so a kill during
        it leaves the previous state."""
        import torch  # here, not at the top: a batch names resume folders without loading torch

        tmp = self.folder / "state.pt.part"
        buffer = io.BytesIO()
        # Not dataclasses.asdict: it would deep-copy the tensors first.
        torch.save({"key": self.key, **{f.name: getattr(saved, f.name) for f in dataclasses.fields(Saved)}}, buffer)
        tmp.write_bytes(buffer.getbuffer())  # Python's own write: a full disk is an OSError that says so
        os.replace(tmp, self.folder / "state.pt")

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _write_png(path: Path, rgb: np.ndarray, atomic: bool) -> None:
    # Compression level 1: several times faster than the default for ~10% larger files. Encoded in memory and
    # written by Python, which raises on a full disk: cv2.imwrite does not (it returned False and left no frame
    # on a full tmpfs, True on /dev/full), and the job went on without the frames it would resume from.
    target = path.with_suffix(".part.png") if atomic else path
    _, png = cv2.imencode(".png", rgb[..., ::-1], [cv2.IMWRITE_PNG_COMPRESSION, 1])
    target.write_bytes(png.data)
    if atomic:
        os.replace(target, path)


def _read_png(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)  # 16 bits where the job's output is above 8
    if bgr is None:
        raise FileNotFoundError(path)
    return np.ascontiguousarray(bgr[..., ::-1])
