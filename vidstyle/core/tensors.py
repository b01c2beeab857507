"""Frames to tensors on a device and back: a frame goes to the network's device once, and comes back once."""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F


def to_tensor(rgb: np.ndarray, device: torch.device) -> torch.Tensor:
    """HxWx3 uint8 (or uint16: a source above 8 bits) to 1x3xHxW float in [0,1], channels-last (the fast layout
    for convolutions on CPU)."""
    if rgb.dtype == np.uint16:  # torch moves no uint16 to a GPU: as int32, a quarter of a float's bytes more
        return _to_float(torch.from_numpy(rgb.astype(np.int32)).to(device), 65535.0)
    if not rgb.flags.writeable:  # decoded frames can be read-only views; torch wants to own writable memory
        rgb = rgb.copy()
    # The batch axis goes in before the permute, so the strides are the canonical channels-last ones: with a
    # batch stride of 3, is_contiguous(channels_last) holds, yet F.pad made its output NCHW (whole net slower).
    return _to_float(torch.from_numpy(rgb).to(device), 255.0)


def _to_float(hwc: torch.Tensor, top: float) -> torch.Tensor:
    x = hwc[None].permute(0, 3, 1, 2).float().div_(top)
    return x.contiguous(memory_format=torch.channels_last)


def pad_to_multiple(x: torch.Tensor, multiple: int, minimum: int = 0) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad the bottom and right so both sides divide by `multiple` and are at least `minimum` (a network's
    smallest input: thin banners and tiny sprites are padded up to it); the network then gives the size back
    exactly (crop with [:h, :w]). Returns the padded tensor and its (height, width)."""
    h, w = x.shape[-2:]
    ph, pw = (max(minimum, d + -d % multiple) - d for d in (h, w))
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="reflect" if min(h, w) > multiple and ph < h and pw < w else "replicate")
    return x, (h + ph, w + pw)


def to_array(x: torch.Tensor) -> np.ndarray:
    """1x3xHxW float to HxWx3 float32 on the host."""
    return x[0].permute(1, 2, 0).float().contiguous().cpu().numpy()


def host_view(x: torch.Tensor) -> np.ndarray:
    """HxWxC (HxW for one channel) numpy view of a 1xCxHxW CPU tensor's memory: no copy where it is laid out so
    (channels-last, or one channel), as OpenCV wants it."""
    a = x[0, 0] if x.shape[1] == 1 else x[0].permute(1, 2, 0)
    return np.ascontiguousarray(a.numpy())


def from_host(a: np.ndarray) -> torch.Tensor:
    """1xCxHxW (channels-last) tensor over an HxWxC or HxW array's memory."""
    t = torch.from_numpy(a)
    return t[None, None] if a.ndim == 2 else t.permute(2, 0, 1)[None]


def to_bytes(x: torch.Tensor, gain: float = 1.0) -> np.ndarray:
    """1x3xHxW float in [0,1] (times `gain`) to HxWx3 uint8 on the host, rounded half to even as OpenCV's
    saturate_cast does: converted where the tensor lives, so a GPU sends back a quarter of the bytes. On the CPU,
    OpenCV's one pass (1.1 against 11 ms at 1920x1080 for torch's four)."""
    if x.device.type == "cpu" and x.dtype == torch.float32:
        return cv2.convertScaleAbs(host_view(x), alpha=255.0 * gain)
    scaled = x[0].permute(1, 2, 0).float() * (255.0 * gain)
    return scaled.round_().clamp_(0, 255).to(torch.uint8).contiguous().cpu().numpy()


def to_words(x: torch.Tensor, gain: float = 1.0) -> np.ndarray:
    """As to_bytes, to HxWx3 uint16 (0..65535): the output of a job written above 8 bits."""
    scaled = x[0].permute(1, 2, 0).float() * (65535.0 * gain)
    return scaled.round_().clamp_(0, 65535).to(torch.int32).cpu().numpy().astype(np.uint16)
