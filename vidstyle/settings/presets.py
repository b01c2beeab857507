"""Presets: TOML files of settings, found by name in the preset folders, their styles made local paths.

A preset's styles are paths (relative to the preset file), `{url = "...", sha256 = "..."}` tables fetched once
into a cache folder, or `{builtin = "strokes"}`, the brush-stroke pattern vidstyle paints itself. Presets are
looked up, first match wins, in: `--presets-dir`, $VIDSTYLE_PRESETS_DIR, the per-user folder ($XDG_CONFIG_HOME
or ~/.config, then vidstyle/presets), and the presets shipped inside the package (vidstyle/presets).
"""

from __future__ import annotations

import os
import tomllib
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from vidstyle.core.errors import UserError
from vidstyle.core.options import OutputOptions, fields_of
from vidstyle.core.paths import cache_dir
from vidstyle.settings.keys import namespace
from vidstyle.settings.model import TABLE

BUILTIN_PRESETS = Path(__file__).resolve().parents[1] / "presets"


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
    output = values.pop("output", None)
    if isinstance(output, dict):  # an [output] table: how the clip is written (deliver, codec, crf...)
        unknown = sorted(set(output) - set(fields_of(OutputOptions)))
        if unknown:
            raise UserError(f"[output] {unknown[0]} is not an output setting (those are: "
                            f"{', '.join(fields_of(OutputOptions))})", path)
        values.update(output)
    elif output is not None:
        raise UserError("output is a table: [output] with deliver = ..., codec = ..., crf = ...", path)
    if isinstance(values.get(TABLE), list):
        values[TABLE] = [_local_paths(t, path, fetch) if isinstance(t, dict) else t for t in values[TABLE]]
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
