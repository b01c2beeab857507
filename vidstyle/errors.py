"""Errors meant for people: one line naming the file and the problem, exit code 2."""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """A problem with what the user asked for (a bad file, a bad option). Printed as one line."""

    exit_code = 2

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else None
        super().__init__(f"{self.path}: {message}" if self.path else message)
