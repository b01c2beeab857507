"""One job's settings, presets (TOML files) that fill them, and the command-line flags that override them.

A preset is a TOML file whose keys are the fields of `Settings` (the long option names with underscores) plus a
`description`. Its styles are paths (relative to the preset file), or tables `{url = "...", sha256 = "..."}`
fetched once into a cache folder. Presets are looked up, first match wins, in: `--presets-dir`,
$VIDSTYLE_PRESETS_DIR, the per-user folder ($XDG_CONFIG_HOME or ~/.config, then vidstyle/presets), and the
project's presets/ folder.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidstyle.errors import UserError

BUILTIN_PRESETS = Path(__file__).resolve().parents[1] / "presets"


@dataclass
class Settings:
    """Everything a stylization job needs besides its input and output. The defaults are the CLI's."""

    backend: str = "adain"  # adain, fast or iterative
    style: list[Path] = field(default_factory=list)  # style images (adain, iterative)
    style_id: list[int] = field(default_factory=list)  # built-in styles (fast)
    model: Path | None = None  # a network from `vidstyle train` (fast)
    style_weights: list[float] | None = None  # blend weights, one per style or style id
    alpha: float = 1.0
    preserve_color: bool = False
    style_size: int = 512  # adain: style short side; iterative: the style scale is relative to the frame
    max_size: int | None = None
    device: str = "auto"
    precision: str = "auto"
    vgg_weights: Path | None = None
    decoder_weights: Path | None = None
    # video
    flow: str = "dis"
    raft_weights: Path | None = None
    temporal_weight: float | None = None  # None: the backend's default
    codec: str | None = None
    crf: int = 18
    encoder_preset: str = "faster"  # why: vidstyle.media.video.EncodeSettings
    checkpoint_every: int | None = None  # frames between saved states; None: the backend's default, 0: off
    # iterative (Gatys et al. 2016 / Ruder et al. 2016)
    content_layers: list[str] = field(default_factory=lambda: ["relu4_2"])
    style_layers: list[str] = field(default_factory=lambda: ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"])
    content_weight: float = 1.0
    style_weight: float = 50.0
    tv_weight: float = 0.0
    iterations: int = 300  # first frame (and stills), over all scales
    iterations_later: int = 100  # later frames of a clip, warm-started
    optimizer: str = "lbfgs"  # lbfgs or adam
    learning_rate: float = 0.02  # adam
    init: str = "warped"  # warped: frame 0 from the content, frame t from output t-1 warped; content/noise: scratch
    style_scale: float = 1.0
    scales: int = 3  # multi-scale passes, coarse to fine, each 2x the last
    min_scale: int = 128  # long side of the coarsest pass
    tolerance: float = 1e-4  # stop a pass when the loss changes by less than this, relatively, over 5 iterations
    seed: int = 0

    def temporal(self) -> float:
        """The backend's default, measured on mdn_flower at 640 px: the fast network's finer texture needs a
        firmer hold than AdaIN's (1.6: warping error 0.0019 against 0.0025 at 0.8, for 10% less Laplacian energy)."""
        if self.temporal_weight is not None:
            return self.temporal_weight
        return {"iterative": 100.0, "fast": 1.6}.get(self.backend, 0.8)

    def checkpoints(self, batch: bool = False) -> int:
        """Frames between saved resume states. By default every frame for the iterative backend (seconds to
        minutes each), every 30 in batch jobs, and none for a single feed-forward clip: each kept frame is a PNG
        written beside the encode (65 ms per 640x360 frame measured on a busy 2-core CPU)."""
        if self.checkpoint_every is not None:
            return self.checkpoint_every
        return 1 if self.backend == "iterative" else 30 if batch else 0

    def fingerprint(self) -> dict[str, Any]:
        """The settings a stylized frame depends on (not the quiet/progress kind, nor the encoder's)."""
        data = dataclasses.asdict(self)
        for key in ("codec", "crf", "encoder_preset", "checkpoint_every"):
            data.pop(key)
        return data


FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_PATH_FIELDS = {"model", "vgg_weights", "decoder_weights", "raft_weights"}


def apply(settings: Settings, values: dict[str, Any], origin: str) -> Settings:
    """`settings` with `values` (preset keys or CLI flags) laid over it; unknown keys are an error."""
    changes = {}
    for key, value in values.items():
        name = key.replace("-", "_")
        if name not in FIELDS:
            raise UserError(f"{origin}: unknown setting {key!r}")
        changes[name] = value
    try:
        return dataclasses.replace(settings, **changes)
    except TypeError as exc:
        raise UserError(f"{origin}: {exc}") from None


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
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read preset ({exc.__class__.__name__})", path) from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"not valid TOML ({exc})", path) from None


def preset_values(path: Path, fetch: bool = True) -> dict[str, Any]:
    """The preset's settings, with its styles and other files resolved to local paths."""
    values = read_preset(path)
    values.pop("description", None)
    if "style" in values:
        styles = values["style"] if isinstance(values["style"], list) else [values["style"]]
        values["style"] = [_style_path(s, path, fetch) for s in styles]
    if isinstance(values.get("style_id"), int):
        values["style_id"] = [values["style_id"]]
    for key in _PATH_FIELDS & values.keys():
        values[key] = (path.parent / Path(values[key]).expanduser())
    return values


def _style_path(entry: Any, preset: Path, fetch: bool) -> Path:
    if isinstance(entry, str):
        if "://" in entry:
            raise UserError(f"style {entry!r}: give a URL as {{url = \"...\", sha256 = \"...\"}}", preset)
        return preset.parent / Path(entry).expanduser()
    if isinstance(entry, dict) and "url" in entry and "sha256" in entry:
        return fetch_style(entry["url"], entry["sha256"]) if fetch else cached_path(entry["url"], entry["sha256"])
    raise UserError(f"style entries are paths or {{url, sha256}} tables, got {entry!r}", preset)


# --- styles fetched by URL ----------------------------------------------------------------------------

def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(os.environ.get("VIDSTYLE_CACHE", Path(base) / "vidstyle")) / "styles"


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
                        f"(sha256 {sha256[:12]}...) or pass --style PATH") from None
    if file_sha256(part) != sha256:
        part.unlink(missing_ok=True)
        raise UserError(f"downloaded style {url} does not match its sha256 {sha256[:12]}...; not used")
    os.replace(part, path)
    return path


def resolve(preset: str | None, overrides: dict[str, Any], presets_dir: Path | None = None) -> Settings:
    """Defaults, then the preset's values, then the flags the user gave (those not None/empty)."""
    settings = Settings()
    if preset:
        path = find_preset(preset, presets_dir)
        settings = apply(settings, preset_values(path), str(path))
    given = {k: v for k, v in overrides.items() if v is not None and v != []}
    # A style given on the command line replaces the preset's, of either kind (image or built-in id).
    if "style" in given:
        given.setdefault("style_id", [])
    if "style_id" in given:
        given.setdefault("style", [])
    return apply(settings, given, "command line")
