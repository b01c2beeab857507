"""The style backends by name: the built-in ones, and any more named in $VIDSTYLE_BACKENDS.

A backend is a module or package that defines `BACKEND = Backend(...)` (vidstyle.backends.base): the CLI's flags
and help, preset and batch validation, and the video job's temporal and resume defaults all come from these
descriptions. The built-in ones are listed in BUILTIN; more are added, without editing vidstyle, by naming their
modules in $VIDSTYLE_BACKENDS (comma-separated, importable from the Python path). They are imported by name, when
first asked for: the registry sits above them.
"""

from __future__ import annotations

import importlib
import os
from functools import cache

from vidstyle.backends.base import Backend
from vidstyle.core.errors import SettingError, UserError

BUILTIN = ("vidstyle.backends.adain", "vidstyle.backends.fast", "vidstyle.backends.iterative")
DEFAULT = "adain"
PLUGINS_ENV = "VIDSTYLE_BACKENDS"


@cache
def registry() -> dict[str, Backend]:
    modules = [*BUILTIN, *(m.strip() for m in os.environ.get(PLUGINS_ENV, "").split(",") if m.strip())]
    found: dict[str, Backend] = {}
    for name in modules:
        try:
            backend = importlib.import_module(name).BACKEND
        except (ImportError, AttributeError) as exc:
            raise UserError(f"${PLUGINS_ENV}: cannot load a backend from {name!r} ({exc})") from None
        found[backend.name] = backend
    return found


def names() -> tuple[str, ...]:
    return tuple(registry())


def get(name: str) -> Backend:
    try:
        return registry()[name]
    except KeyError:
        raise SettingError("backend", f"{name!r} is not one of {', '.join(names())}") from None
