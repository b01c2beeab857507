"""Outputs appear whole or not at all: write to a temporary file beside the target, rename at the end (an image
sequence: to a temporary folder, its frames moved into place at the end)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from vidstyle.core.errors import UserError
from vidstyle.media.sequence import output_sequence


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def check_output_path(output: Path, inputs: Sequence[Path] = ()) -> None:
    """Refuse an output that would overwrite an input or that cannot be written, before any work starts."""
    out = output.expanduser()
    for src in inputs:
        if out.resolve() == Path(src).expanduser().resolve():
            raise UserError("output path is the same as an input; choose another output name", output)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"output folder {folder} does not exist", output)
    if out.is_dir():
        raise UserError("output path is a folder; give a file name", output)
    if output_sequence(out) is not None:
        for src in map(Path, inputs):
            # A folder holds one sequence: beside the input's, the output's would overwrite its frames, or make
            # the folder unreadable as an input (two sequences)
            if src.expanduser().is_dir() and src.expanduser().resolve() == folder.resolve():
                raise UserError("output frames go in a folder of their own, not the input sequence's", output)
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise UserError("output is not writable (permission denied)", output)


@contextmanager
def atomic_output(output: Path, folder: Path | None = None) -> Iterator[Path]:
    """Yield a temporary path in the output's folder, or in `folder` on the same file system (same suffix, so
    formats are guessed right).

    On success it replaces `output` in one rename; on any failure, Ctrl-C included, it is deleted.
    """
    out = output.expanduser()
    if output_sequence(out) is not None:
        with _atomic_frames(out, folder) as tmp:
            yield tmp
        return
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=f".vidstyle-tmp{out.suffix}",
                                        dir=folder or out.parent)
    except OSError as exc:
        raise UserError(f"cannot write in {out.parent} ({exc.strerror})", output) from None
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; a finished output gets the usual permissions
    try:
        yield tmp
        try:
            os.replace(tmp, out)
        except OSError as exc:
            raise UserError(f"cannot replace the output ({exc.strerror})", output) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def _atomic_frames(out: Path, folder: Path | None) -> Iterator[Path]:
    """atomic_output for an image sequence: a temporary folder, whose frames replace any of the same names in the
    output's folder at the end. Frames of an earlier output with other numbers are left as they are."""
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.stem}.", suffix=".vidstyle-tmp", dir=folder or out.parent))
    except OSError as exc:
        raise UserError(f"cannot write in {out.parent} ({exc.strerror})", out) from None
    try:
        yield tmp
        try:
            for frame in sorted(tmp.iterdir()):
                os.chmod(frame, 0o666 & ~_UMASK)
                os.replace(frame, out.parent / frame.name)
        except OSError as exc:
            raise UserError(f"cannot move the frames into place ({exc.strerror})", out) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
