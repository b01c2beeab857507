"""The image operations the temporal terms are written in, for images wherever they live: `ops_for(tensor)` gives
the set to use, `take` turns the tensor into that set's form and `give` turns a result back.

On a GPU (or MPS) they are torch's, on 1xCxHxW tensors. On the CPU they are OpenCV's, on HxWxC views of the
tensors' memory (no copy where a tensor is channels-last or has one channel): for these 3-channel images
PyTorch's CPU kernels were 2-5x slower, and the temporal term is paid on every frame on the cores the network
needs (1920x1080, one thread: a 5x5 Gaussian 28.6 against 5.4 ms, a bicubic warp 57.7 against 32, a x4
enlargement 12.1 against 5.2, a channel sum 9.6 against 2.5, a per-pixel blend 8.6 against 2.9). Plain
arithmetic (+, -, *, /) is written once and runs on either. Setting `TORCH_ON_CPU` runs torch's set on the CPU:
the tests check the GPU's code there against the CPU's.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from vidstyle.core.tensors import from_host, host_view

TORCH_ON_CPU = False  # tests set it to run the GPU's code on the CPU
# Lanczos-4 at half a pixel: the weights of pixels -3..4 for the point between pixels 0 and 1 (sinc(d) sinc(d/4),
# normalised), as OpenCV's INTER_LANCZOS4 computes them
_HALF_WAY = np.sinc(3.5 - np.arange(8)) * np.sinc((3.5 - np.arange(8)) / 4)
_HALF_WAY = (_HALF_WAY / _HALF_WAY.sum()).astype(np.float32)


class OpenCVOps:
    """HxWxC float32 arrays (HxW for one channel)."""

    take = staticmethod(host_view)
    give = staticmethod(from_host)

    @staticmethod
    def size(x: np.ndarray) -> tuple[int, int]:
        return x.shape[:2]

    @staticmethod
    def gaussian(x: np.ndarray, sigma: float, ksize: int = 0) -> np.ndarray:
        return cv2.GaussianBlur(x, (ksize, ksize), sigma)

    @staticmethod
    def shrink(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        return cv2.resize(x, size[::-1], interpolation=cv2.INTER_AREA)

    @staticmethod
    def enlarge(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        return cv2.resize(x, size[::-1], interpolation=cv2.INTER_LINEAR)

    @staticmethod
    def enlarge_nearest(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        return cv2.resize(x, size[::-1], interpolation=cv2.INTER_NEAREST)

    @staticmethod
    def sample_nearest(x: np.ndarray, at: np.ndarray) -> np.ndarray:
        return cv2.remap(x, at, None, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)

    @staticmethod
    def sample_linear(x: np.ndarray, at: np.ndarray) -> np.ndarray:
        """x at the positions `at` (HxWx2, (x, y) px, of any image size): an HxW picture."""
        return cv2.remap(x, at, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    @staticmethod
    def sample_cubic(x: np.ndarray, at: np.ndarray) -> np.ndarray:
        return cv2.remap(x, at, None, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)

    @staticmethod
    def oversample(x: np.ndarray, out: np.ndarray) -> None:
        """x at twice its size, into `out`: pixel (i, j) of x at (2i, 2j) unchanged, the half-way pixels
        interpolated with Lanczos-4 (the separable filter's two passes, interleaved in place: a 1080p frame's
        enlargement into new memory took 6x as long, most of it the kernel mapping the new pages)."""
        one, taps = np.ones(1, np.float32), _HALF_WAY
        h, w, c = x.shape
        half = cv2.sepFilter2D(x, -1, taps, one, anchor=(3, 0), borderType=cv2.BORDER_REPLICATE)
        cv2.merge([x, half], dst=out[0::2].reshape(h, w, 2 * c))  # the even rows: x's pixels and the half-way
        cv2.sepFilter2D(out[0::2], -1, one, taps, dst=out[1::2], anchor=(0, 3), borderType=cv2.BORDER_REPLICATE)

    @staticmethod
    def pad(x: np.ndarray, n: int) -> np.ndarray:
        """x with its border repeated n px around it."""
        return cv2.copyMakeBorder(x, n, n, n, n, cv2.BORDER_REPLICATE)

    @staticmethod
    def rows(x: np.ndarray, start: int, stop: int) -> np.ndarray:
        """A view of x's rows start..stop-1 (to write into)."""
        return x[start:stop]

    @staticmethod
    def positions(x: np.ndarray) -> np.ndarray:
        """Each pixel's (x, y), in x's layout."""
        return _positions(*x.shape[:2])

    @staticmethod
    def split(x: np.ndarray) -> list[np.ndarray]:
        return list(cv2.split(x))

    @staticmethod
    def merge(parts: list[np.ndarray]) -> np.ndarray:
        """The parts' channels, in order, as one image."""
        return cv2.merge(parts)  # numpy's dstack took 8x as long at 1080p

    @staticmethod
    def rint(x: np.ndarray) -> np.ndarray:
        return np.rint(x)

    @staticmethod
    def weight(condition: np.ndarray) -> np.ndarray:
        """1 where the condition holds, else 0."""
        return condition.astype(np.float32)

    @staticmethod
    def counts(values: np.ndarray, where: np.ndarray, n: int) -> list[int]:
        """How many of the pixels `where` holds have each whole value 0..n-1."""
        return np.bincount(values[where].astype(np.int64), minlength=n).tolist()

    @staticmethod
    def minimum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return cv2.min(a, b)

    @staticmethod
    def gradient(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Central differences along x and y, halved (borders reflected as torch's)."""
        return (cv2.Sobel(x, cv2.CV_32F, 1, 0, ksize=1, scale=0.5), cv2.Sobel(x, cv2.CV_32F, 0, 1, ksize=1, scale=0.5))

    @staticmethod
    def energy(x: np.ndarray) -> np.ndarray:
        """The squared magnitude summed over the channels, per pixel."""
        return cv2.transform(cv2.multiply(x, x), np.ones((1, x.shape[2]), np.float32))

    @staticmethod
    def lerp(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
        """a + (b - a) w, with a one-channel weight."""
        return cv2.blendLinear(a, b, 1.0 - w, w)

    @staticmethod
    def scale(x: np.ndarray, gain: np.ndarray) -> np.ndarray:
        """x times a one-channel gain."""
        return cv2.multiply(x, cv2.merge([gain] * x.shape[2]))

    @staticmethod
    def absolute(x: np.ndarray) -> np.ndarray:
        return np.abs(x)

    @staticmethod
    def sqrt(x: np.ndarray) -> np.ndarray:
        return cv2.sqrt(x)

    @staticmethod
    def clip(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
        return np.clip(x, lo, hi, out=x)


class TorchOps:
    """1xCxHxW tensors."""

    @staticmethod
    def take(x: torch.Tensor) -> torch.Tensor:
        return x

    @staticmethod
    def give(x: torch.Tensor) -> torch.Tensor:
        return x

    @staticmethod
    def size(x: torch.Tensor) -> tuple[int, int]:
        return tuple(x.shape[-2:])

    @staticmethod
    def gaussian(x: torch.Tensor, sigma: float, ksize: int = 0) -> torch.Tensor:
        """Borders reflected as OpenCV's; ksize 0: OpenCV's own size for float images (radius 4 sigma)."""
        k = _kernel(ksize or (round(sigma * 8 + 1) | 1), sigma, str(x.device))
        r = min(k.numel() // 2, x.shape[-1] - 1, x.shape[-2] - 1)  # reflection needs a side longer than the radius
        k = k[k.numel() // 2 - r:k.numel() // 2 + r + 1]
        k, c = k / k.sum(), x.shape[1]
        x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
        return F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)

    @staticmethod
    def shrink(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        return F.interpolate(x, size=size, mode="area")

    @staticmethod
    def enlarge(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)  # OpenCV's pixel centres

    @staticmethod
    def enlarge_nearest(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        return F.interpolate(x, size=size, mode="nearest")  # OpenCV's too: pixel floor(i * in / out)

    @staticmethod
    def sample_linear(x: torch.Tensor, at: torch.Tensor) -> torch.Tensor:
        """x at the positions `at` (1x2xHxW, (x, y) px, of any image size): a 1xCxHxW picture."""
        grid = _normalised(at[0].permute(1, 2, 0), *x.shape[-2:])
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)

    @staticmethod
    def sample_nearest(x: torch.Tensor, at: torch.Tensor) -> torch.Tensor:
        grid = _normalised(at[0].permute(1, 2, 0), *x.shape[-2:])
        return F.grid_sample(x, grid, mode="nearest", padding_mode="border", align_corners=True)

    @staticmethod
    def sample_cubic(x: torch.Tensor, at: torch.Tensor) -> torch.Tensor:
        grid = _normalised(at[0].permute(1, 2, 0), *x.shape[-2:])  # OpenCV's cubic too (a = -0.75)
        return F.grid_sample(x, grid, mode="bicubic", padding_mode="border", align_corners=True)

    @staticmethod
    def oversample(x: torch.Tensor, out: torch.Tensor) -> None:
        c = x.shape[1]
        taps = torch.from_numpy(_HALF_WAY).to(x.device)
        half = F.conv2d(F.pad(x, (3, 4, 0, 0), mode="replicate"), taps.view(1, 1, 1, 8).expand(c, 1, 1, 8), groups=c)
        row = torch.stack([x, half], -1).flatten(-2)
        half = F.conv2d(F.pad(row, (0, 0, 3, 4), mode="replicate"), taps.view(1, 1, 8, 1).expand(c, 1, 8, 1),
                        groups=c)
        out.copy_(torch.stack([row, half], -2).flatten(-3, -2))

    @staticmethod
    def pad(x: torch.Tensor, n: int) -> torch.Tensor:
        return F.pad(x, (n,) * 4, mode="replicate")

    @staticmethod
    def rows(x: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        return x[..., start:stop, :]

    @staticmethod
    def positions(x: torch.Tensor) -> torch.Tensor:
        return _position_tensor(*x.shape[-2:], str(x.device)).permute(2, 0, 1)[None]

    @staticmethod
    def split(x: torch.Tensor) -> list[torch.Tensor]:
        return list(x.split(1, 1))

    @staticmethod
    def merge(channels: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(channels, 1)

    @staticmethod
    def rint(x: torch.Tensor) -> torch.Tensor:
        return x.round()

    @staticmethod
    def weight(condition: torch.Tensor) -> torch.Tensor:
        return condition.float()

    @staticmethod
    def counts(values: torch.Tensor, where: torch.Tensor, n: int) -> list[int]:
        return torch.bincount(values[where].long(), minlength=n).tolist()

    @staticmethod
    def minimum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.minimum(a, b)

    @staticmethod
    def gradient(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Central differences along x and y, halved (borders reflected as OpenCV's)."""
        gx = F.pad(x, (1, 1, 0, 0), mode="reflect")
        gy = F.pad(x, (0, 0, 1, 1), mode="reflect")
        return (gx[..., 2:] - gx[..., :-2]) * 0.5, (gy[..., 2:, :] - gy[..., :-2, :]) * 0.5

    @staticmethod
    def energy(x: torch.Tensor) -> torch.Tensor:
        return x.square().sum(1, keepdim=True)

    @staticmethod
    def lerp(a: torch.Tensor, b: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return torch.lerp(a, b, w)

    @staticmethod
    def scale(x: torch.Tensor, gain: torch.Tensor) -> torch.Tensor:
        return x * gain

    @staticmethod
    def absolute(x: torch.Tensor) -> torch.Tensor:
        return x.abs()

    @staticmethod
    def sqrt(x: torch.Tensor) -> torch.Tensor:
        return x.sqrt()

    @staticmethod
    def clip(x: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
        return x.clamp_(lo, hi)


def ops_for(x: torch.Tensor) -> Any:
    return OpenCVOps if x.device.type == "cpu" and not TORCH_ON_CPU else TorchOps


def shrink(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Area-average a tensor down to `size` (height, width)."""
    ops = ops_for(x)
    return ops.give(ops.shrink(ops.take(x), size))


def enlarge(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """A tensor enlarged bilinearly to `size` (height, width)."""
    ops = ops_for(x)
    return ops.give(ops.enlarge(ops.take(x), size))


def sampling_grid(flow: torch.Tensor) -> torch.Tensor:
    """1xHxWx2 positions x + flow(x) (flow 1x2xHxW, pixels) normalised to [-1, 1] as grid_sample takes them
    (align_corners=True)."""
    h, w = flow.shape[-2:]
    return _normalised(_position_tensor(h, w, str(flow.device)) + flow[0].permute(1, 2, 0), h, w)


def _normalised(pos: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """HxWx2 positions (px) in an h x w image as grid_sample takes them: 1xHxWx2 in [-1, 1], align_corners=True."""
    scale = torch.tensor([2.0 / max(w - 1, 1), 2.0 / max(h - 1, 1)], device=pos.device)
    return (pos * scale - 1.0)[None]


@lru_cache(maxsize=16)
def _kernel(size: int, sigma: float, device: str) -> torch.Tensor:
    return torch.from_numpy(cv2.getGaussianKernel(size, sigma, cv2.CV_32F)[:, 0].copy()).to(device)


@lru_cache(maxsize=8)
def _position_tensor(h: int, w: int, device: str) -> torch.Tensor:
    return torch.from_numpy(_positions(h, w).copy()).to(device)


@lru_cache(maxsize=8)
def _positions(h: int, w: int) -> np.ndarray:
    """HxWx2: each pixel's (x, y), made once per size (read-only, as it is shared)."""
    grid = np.ascontiguousarray(np.mgrid[0:h, 0:w][::-1].transpose(1, 2, 0), dtype=np.float32)
    grid.flags.writeable = False
    return grid
