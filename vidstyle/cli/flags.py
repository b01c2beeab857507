"""What the commands share: a flag for every setting, made from the settings' declarations (vidstyle.core.options,
each backend's options), the options several commands take, and the output path a command defaults to."""

from __future__ import annotations

import inspect
import os
import typing
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from vidstyle.core.errors import SettingError, UserError


def opt(*names: str, help: str, **kw):
    return typer.Option(*names, help=help, show_default=False, **kw)


# `--help` in panels: each shared setting under what it is about. A backend's own options are left out of the
# panels (the epilog names them, `backend_epilog`, and the docs describe each): in them, `video --help` ran to 180
# lines at 100 columns.
PANELS = {"Input": ("sequence_fps", "start", "end", "cuts", "bars"),
          "Style": ("backend", "style", "style_weights", "preserve_color", "vgg_weights"),
          "Temporal": ("temporal_weight", "flow", "flow_size", "raft_weights", "raft_iters"),
          "Output": ("deliver", "codec", "crf", "encoder_preset"),
          "Performance": ("max_size", "device", "precision", "checkpoint_every")}
PANEL_OF = {key: panel for panel, keys in PANELS.items() for key in keys}

PresetOpt = Annotated[Optional[str], opt("--preset", "-p", help="A preset (see `vidstyle presets list`) or a "
                                                                 ".toml file; flags override its values.",
                                         rich_help_panel="Style")]
PresetsDirOpt = Annotated[Optional[Path], opt("--presets-dir", help="Another folder of presets (searched first).",
                                              rich_help_panel="Style")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.", rich_help_panel="Output")]


def backend_epilog() -> str:
    """The backends' own options by name, under the panels (each is described by the docs' options page and
    `vidstyle presets show`)."""
    from vidstyle.backends import registry
    from vidstyle.core.options import fields_of

    try:
        backends = registry()
    except UserError:
        return ""  # a plugin that does not load: the command says so in one line when it runs
    parts = [f"{b.name}: {' '.join(flag(k) for k in fields_of(b.options))}" for b in backends.values()]
    return "Each backend's own options: " + "; ".join(parts) + "."


def flag(key: str) -> str:
    return "--" + key.replace("_", "-")


@cache  # Typer asks for a command's signature and its annotations: build the parameters once
def _setting_params(video: bool) -> list[inspect.Parameter]:
    """A keyword parameter per setting, for Typer: `--backend`, the shared options, each backend's own (help
    prefixed with the backends that take it), then the output's (video only). Every one defaults to None, "not
    given", so that a preset's value stands unless the flag is on the command line."""
    from vidstyle.backends import DEFAULT, registry
    from vidstyle.core.options import default_of, required
    from vidstyle.settings.keys import namespace, owners

    choices = ", ".join(registry())
    params = [inspect.Parameter("backend", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        Optional[str], opt("--backend", "-b", help=f"Style backend: {choices} (default {DEFAULT}; `vidstyle models`).",
                           rich_help_panel="Style")])]
    for key, (f, tp) in namespace().items():
        meta = f.metadata
        if meta["video"] and not video:
            continue
        text = meta["help"]
        if who := owners(key):
            text = f"{', '.join(who)}: {text}"
        if meta["choices"] and len(meta["choices"]) <= 6:  # longer lists (x264's presets, deliveries) are known
            text += f" One of {', '.join(meta['choices'])}."
        default = meta["default_text"]
        if default == "per backend":
            default = ", ".join(f"{b.name} {getattr(b, key):g}" for b in registry().values())
        elif default is None:
            value = default_of(f)
            default = ",".join(map(str, value)) if isinstance(value, list) else str(value).lower() \
                if isinstance(value, bool) else value
        if default not in (None, ""):
            text += f" (default {default})"
        decls = [flag(key)] + ([meta["short"]] if meta["short"] else [])
        base, extra = required(tp), {}
        if base is bool:
            decls = [f"{flag(key)}/--no-{flag(key)[2:]}"]
        elif meta["csv"]:
            base, extra = str, {"metavar": "<list>"}
        elif typing.get_origin(base) is list:
            extra = {"metavar": f"<{typing.get_args(base)[0].__name__.lower()}>"}
        panel = PANEL_OF.get(key)
        extra.update({"rich_help_panel": panel} if panel else {"hidden": True})
        params.append(inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=None,
                                        annotation=Annotated[Optional[base], opt(*decls, help=text, **extra)]))
    return params


def _panel(param: inspect.Parameter) -> str | None:
    info = next((a for a in typing.get_args(param.annotation) if hasattr(a, "rich_help_panel")), None)
    return getattr(info, "rich_help_panel", None)


class WithSettingFlags:
    """A command with a flag per setting; it receives those given as `flags` (key -> value). Typer reads the
    signature when the command line is parsed, inside main(), so a backend that fails to load is one line."""

    def __init__(self, func, video: bool) -> None:
        self.func, self.video = func, video
        self.__name__, self.__doc__ = func.__name__, func.__doc__

    @property
    def __signature__(self) -> inspect.Signature:
        hints = typing.get_type_hints(self.func, include_extras=True)
        fixed = [p.replace(annotation=hints[p.name]) for p in inspect.signature(self.func).parameters.values()
                 if p.name != "flags"]
        arguments = [p for p in fixed if p.default is inspect.Parameter.empty]
        options = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in fixed if p not in arguments]
        # the panels in PANELS' order: Typer lists them as their first option comes
        order = list(PANELS)
        options = sorted([*options, *_setting_params(self.video)], key=lambda p: order.index(_panel(p))
                         if _panel(p) in order else len(order))
        return inspect.Signature([*arguments, *options])

    @property
    def __annotations__(self) -> dict[str, Any]:
        return {p.name: p.annotation for p in self.__signature__.parameters.values()}

    def __call__(self, **kwargs):
        fixed = inspect.signature(self.func).parameters
        flags = {k: kwargs.pop(k) for k in list(kwargs) if k not in fixed}
        return self.func(**kwargs, flags=flags)


def with_setting_flags(video: bool):
    return lambda func: WithSettingFlags(func, video)


def settings_from_flags(preset: str | None, presets_dir: Path | None, flags: dict[str, Any]):
    """The job's settings: defaults < preset < the flags given."""
    from vidstyle.core.options import split_list
    from vidstyle.settings import resolve
    from vidstyle.settings.keys import namespace

    keys = namespace()
    given: dict[str, Any] = {}
    for key, value in flags.items():
        if value is None or value == []:
            continue
        if key in keys and keys[key][0].metadata["csv"]:
            try:
                value = split_list(key, value, keys[key][1])
            except SettingError as exc:
                raise exc.from_origin(flag(key)) from None
        given[key] = value
    return resolve(preset, given, presets_dir, origin=flag)


def output_path(given: str | None, source: Path, suffix: str) -> Path:
    """The output path: as given, or SOURCE_stylized beside the source, or in the folder given: one that exists,
    or any written with a trailing slash (read from the text: a Path drops it), which must exist as for any
    output."""
    default = f"{source.stem}_stylized{suffix}"
    if given is None:
        return source.with_name(default)
    path = Path(given).expanduser()
    return path / default if path.is_dir() or given.endswith(("/", os.sep)) else path
