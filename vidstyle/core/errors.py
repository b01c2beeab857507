"""Errors meant for people: one line naming the file or the setting and the problem, exit code 2."""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """A problem with what the user asked for (a bad file, a bad option). Printed as one line."""

    exit_code = 2

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else None
        super().__init__(f"{self.path}: {message}" if self.path else message)


class SettingError(UserError):
    """A setting's value is wrong, in words that fit every source: "style_id 30 is out of range 0..25".

    The layer that knows where the value came from (a flag, a preset, a job file) adds it with `from_origin`.
    """

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"{key} {problem}")

    def from_origin(self, origin: str | None) -> SettingError:
        if origin:
            self.args = (f"{self.args[0]} ({origin})",)
        return self


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill`, `timeout`, a container or service stopping), raised in the main thread so that it stops
    the job as Ctrl-C does: no half-written output, resume data kept (vidstyle.cli.main installs it)."""

    exit_code = 143  # 128 + SIGTERM, as a shell reports a process the signal ended
