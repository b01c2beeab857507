"""Spatial filters on image tensors (1xCxHxW float32) on whatever device they live: Gaussian blurs, resizing and
warping by a flow.

On a GPU they are torch's ops. On the CPU the same calls run OpenCV's kernels on the tensor's memory (no copy
where the tensor is channels-last or has one channel): PyTorch's CPU kernels for these small-channel images are
several times slower (1920x1080x3, one thread: a 5x5 Gaussian 28.6 against 5.4 CPU-ms, bicubic warping 57.7
against 32, a x4 bilinear enlargement 12.1 against 5.2; /tmp figures in the issue 38 note), and on the CPU
the job's helpers share the cores with the network. Everything else per pixel is plain torch on either.
`TORCH_ON_CPU` runs torch's kernels on the CPU too: the tests check one against the other there.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import torch
import torch.nn.functional as F

TORCH_ON_CPU = False  # tests set it to run the GPU's code on the CPU


def _opencv(x: torch.Tensor) -> bool:
    return x.device.type == "cpu" and not TORCH_ON_CPU


def as_array(x: torch.Tensor) -> np.ndarray:
    """HxWxC (HxW for one channel) numpy view of a 1xCxHxW CPU tensor: no copy where its memory is laid out
    so (channels-last, or one channel)."""
    a = x[0, 0] if x.shape[1] == 1 else x[0].permute(1, 2, 0)
    return np.ascontiguousarray(a.numpy())


def from_array(a: np.ndarray) -> torch.Tensor:
    """1xCxHxW (channels-last) tensor over an HxWxC or HxW array's memory."""
    t = torch.from_numpy(a)
    return t[None, None] if a.ndim == 2 else t.permute(2, 0, 1)[None]


def gaussian(x: torch.Tensor, sigma: float, ksize: int = 0) -> torch.Tensor:
    """Gaussian blur of width `sigma`, borders reflected (OpenCV's default); `ksize` 0: OpenCV's own size for
    float images (radius 4 sigma)."""
    if _opencv(x):
        return from_array(cv2.GaussianBlur(as_array(x), (ksize, ksize), sigma))
    k = _kernel(ksize or (round(sigma * 8 + 1) | 1), sigma, str(x.device))
    c, r = x.shape[1], k.numel() // 2
    r = min(r, x.shape[-1] - 1, x.shape[-2] - 1)  # reflection needs the side to be longer than the radius
    k = k[k.numel() // 2 - r:k.numel() // 2 + r + 1]
    k = k / k.sum()
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


@lru_cache(maxsize=16)
def _kernel(size: int, sigma: float, device: str) -> torch.Tensor:
    return torch.from_numpy(cv2.getGaussianKernel(size, sigma, cv2.CV_32F)[:, 0].copy()).to(device)


def shrink(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Area-average down to `size` (height, width)."""
    if _opencv(x):
        return from_array(cv2.resize(as_array(x), size[::-1], interpolation=cv2.INTER_AREA))
    return F.interpolate(x, size=size, mode="area")


def enlarge(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear to `size` (height, width), pixel centres aligned as in OpenCV's INTER_LINEAR."""
    if _opencv(x):
        return from_array(cv2.resize(as_array(x), size[::-1], interpolation=cv2.INTER_LINEAR))
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def warp_cubic(x: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """`x` sampled bicubically at each pixel plus `flow` (1x2xHxW, pixels), the border repeated."""
    h, w = flow.shape[-2:]
    if _opencv(x):
        pos = as_array(flow) + _positions(h, w)
        maps = cv2.convertMaps(pos, None, cv2.CV_16SC2)  # fixed point: bicubic remap 20% faster than on floats
        return from_array(cv2.remap(as_array(x), *maps, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE))
    return F.grid_sample(x, sampling_grid(flow), mode="bicubic", padding_mode="border", align_corners=True)


def sampling_grid(flow: torch.Tensor) -> torch.Tensor:
    """1xHxWx2 positions x + flow(x) normalised to [-1, 1] as grid_sample takes them (align_corners=True)."""
    h, w = flow.shape[-2:]
    pos = _position_tensor(h, w, str(flow.device)) + flow[0].permute(1, 2, 0)
    scale = torch.tensor([2.0 / max(w - 1, 1), 2.0 / max(h - 1, 1)], device=flow.device)
    return (pos * scale - 1.0)[None]


@lru_cache(maxsize=8)
def _position_tensor(h: int, w: int, device: str) -> torch.Tensor:
    return torch.from_numpy(_positions(h, w).copy()).to(device)


@lru_cache(maxsize=8)
def _positions(h: int, w: int) -> np.ndarray:
    """HxWx2: each pixel's (x, y), made once per size (read-only, as it is shared)."""
    grid = np.ascontiguousarray(np.mgrid[0:h, 0:w][::-1].transpose(1, 2, 0), dtype=np.float32)
    grid.flags.writeable = False
    return grid
