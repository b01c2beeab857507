"""One job's settings, from the defaults, a preset (TOML) and the values given on top (flags, job files).

Settings are the backend's name, the options every backend shares (vidstyle.core.options.CommonOptions), the
backend's own (its description in vidstyle.backends) and how the clip is written (OutputOptions). A preset is a
TOML file whose keys are those fields' names plus a `description` (vidstyle.settings.presets), and `[[shot]]`
tables and keyframes for looks that change within a clip (vidstyle.settings.looks). `resolve` lays them over
each other and checks the result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vidstyle import backends
from vidstyle.backends.base import check
from vidstyle.core.errors import SettingError
from vidstyle.core.options import CommonOptions, OutputOptions, check_bounds, check_output, coerce, fields_of, types_of
from vidstyle.settings import looks
from vidstyle.settings.keys import namespace, owners
from vidstyle.settings.model import Settings
from vidstyle.settings.presets import find_preset, preset_values

log = logging.getLogger("vidstyle")

Origin = str | Callable[[str], str]


def resolve(preset: str | None = None, overrides: dict[str, Any] | None = None, presets_dir: Path | None = None,
            origin: Origin = "command line", fetch: bool = True) -> Settings:
    """Defaults, then the preset's values, then `overrides` (those not None/empty), checked.

    `origin` says where the overrides came from, for messages: a label, or a function of the key (the CLI's
    flag names). Settings of another backend than the chosen one are ignored (a preset's backend can be
    switched from the command line), with a warning where the user typed them as flags. Without `fetch`, a
    preset's styles given by URL are not downloaded (their cache path stands in).
    """
    layers: list[tuple[dict[str, Any], Origin]] = []
    if preset:
        path = find_preset(preset, presets_dir)
        layers.append((preset_values(path, fetch), f"preset {path.stem}"))
    given = {k.replace("-", "_"): v for k, v in (overrides or {}).items() if v is not None and v != []}
    layers.append((given, origin))
    layers, tables, keyframes = looks.split(layers, lambda o, key: o(key) if callable(o) else o)
    settings = _merge(layers)
    settings.looks = looks.plan(settings, layers, tables, keyframes, _merge)
    return settings


def _merge(layers: list[tuple[dict[str, Any], Origin]]) -> Settings:
    keys = namespace()
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for layer, origin in layers:
        label = origin if callable(origin) else (lambda _k, o=origin: o)
        for key in layer:
            if key != "backend" and key not in keys:
                raise SettingError(key, "is not a known setting").from_origin(label(key))
        # A style named in a later layer replaces an earlier one of any kind (images, built-in ids, a model).
        if any(keys[k][0].metadata["style_source"] for k in layer if k in keys):
            for k in [k for k in values if k in keys and keys[k][0].metadata["style_source"]]:
                del values[k], origins[k]
        for key, value in layer.items():
            values[key], origins[key] = value, label(key)
        # A setting only one backend takes picks that backend, unless the same layer names one (--style-id: fast).
        picked = {o: k for k in layer if k in keys and keys[k][0].metadata["selects"] for o in owners(k)}
        if "backend" not in layer and len(picked) == 1:
            (values["backend"], key), = picked.items()
            origins["backend"] = origins[key]
    name = values.get("backend", backends.DEFAULT)
    try:
        backend = backends.get(coerce("backend", name, str))
    except SettingError as exc:
        raise exc.from_origin(origins.get("backend")) from None
    parts: dict[type, dict[str, Any]] = {CommonOptions: {}, backend.options: {}, OutputOptions: {}}
    for key, value in values.items():
        if key == "backend":
            continue
        cls = next((c for c in parts if key in fields_of(c)), None)
        if cls is None:
            if origins[key].startswith("--"):
                log.warning("%s does not apply to the %s backend; ignored", origins[key], backend.name)
            continue
        try:
            parts[cls][key] = coerce(key, value, types_of(cls)[key])
        except SettingError as exc:
            raise exc.from_origin(origins[key]) from None
    settings = Settings(backend.name, CommonOptions(**parts[CommonOptions]), backend.options(**parts[backend.options]),
                        OutputOptions(**parts[OutputOptions]), origins)
    try:
        check(backend, settings.common, settings.options)
        check_bounds(settings.output)
        check_output(settings.output)
    except SettingError as exc:
        raise settings.explain(exc) from None
    return settings
