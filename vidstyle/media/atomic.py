"""Outputs appear whole or not at all: write to a temporary file beside the target, rename at the end."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from vidstyle.errors import UserError


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
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise UserError("output is not writable (permission denied)", output)


@contextmanager
def atomic_output(output: Path, folder: Path | None = None) -> Iterator[Path]:
    """Yield a temporary path in the output's folder, or in `folder` on the same file system (same suffix, so
    formats are guessed right).

    On success it replaces `output` in one rename; on any failure, Ctrl-C included, it is deleted.
    """
    out = output.expanduser()
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
