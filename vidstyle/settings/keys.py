"""Every setting key a preset, a job file or a flag may give: the shared options, each backend's, the output's."""

from __future__ import annotations

import dataclasses
from typing import Any

from vidstyle import backends
from vidstyle.core.options import CommonOptions, OutputOptions, fields_of, types_of


def namespace() -> dict[str, tuple[dataclasses.Field, Any]]:
    """Every setting key with its field and type: the shared ones, then each backend's, then the output's.
    A key that several backends declare (none do today) takes the first declaration's type."""
    keys: dict[str, tuple[dataclasses.Field, Any]] = {}
    for cls in (CommonOptions, *(b.options for b in backends.registry().values()), OutputOptions):
        types = types_of(cls)
        for name, f in fields_of(cls).items():
            keys.setdefault(name, (f, types[name]))
    return keys


def owners(key: str) -> list[str]:
    """The backends that declare `key` among their own options (empty for shared and output settings)."""
    return [b.name for b in backends.registry().values() if key in fields_of(b.options)]
