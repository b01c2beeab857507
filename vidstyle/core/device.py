"""One device story: `auto` picks CUDA, then MPS, then CPU."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import torch

from vidstyle.core.errors import SettingError
from vidstyle.core.options import DEVICES, PRECISIONS


def pick_device(name: str = "auto") -> torch.device:
    if name not in DEVICES:
        raise SettingError("device", f"{name!r} is not one of {', '.join(DEVICES)}")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SettingError("device", "cuda was asked for, but no CUDA device is available")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise SettingError("device", "mps was asked for, but MPS is not available")
    return torch.device(name)


# oneDNN ISA levels that compute bf16 natively. Below them (ONEDNN_MAX_CPU_ISA=AVX2 on an AMX machine shows what
# AVX2-only users get) oneDNN emulates bf16, several times slower than float32 (the fast network: 537 ms vs 86).
_BF16_ISAS = {"AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX512_CORE_AMX", "AVX512_CORE_AMX_FP16", "AVX10_1_512",
              "AVX10_1_512_AMX", "AVX10_1_512_AMX_FP16", "AVX10_2_512", "AVX10_2_512_AMX_2", "DEFAULT", "ALL"}


def _cpu_has_native_bf16() -> bool:
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA")
    if cap and cap.upper() not in _BF16_ISAS:
        return False
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def pick_precision(device: torch.device, name: str = "auto") -> torch.dtype | None:
    """The autocast dtype for inference, or None for plain float32.

    `auto`: half precision on CUDA, bfloat16 on CPUs that compute it natively (AMX or AVX512-BF16, about
    2x faster there, mean output change under 1/255), float32 elsewhere.
    """
    if name not in PRECISIONS:
        raise SettingError("precision", f"{name!r} is not one of {', '.join(PRECISIONS)}")
    if name == "auto":
        if device.type == "cuda":
            return torch.float16
        return torch.bfloat16 if device.type == "cpu" and _cpu_has_native_bf16() else None
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[name]


def autocast(device: torch.device, dtype: torch.dtype | None) -> AbstractContextManager:
    """Mixed precision in `dtype` (from pick_precision) on `device`; None runs in float32 as written."""
    return torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None)


@contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """PyTorch's CPU threads for the calling thread's work inside the block (OpenMP keeps the count per thread:
    other threads keep theirs); None: unchanged."""
    before = torch.get_num_threads()
    if count:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        if count:
            torch.set_num_threads(before)
