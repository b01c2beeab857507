"""For a lent GPU, after benchmarks/gpu.py: where the fast network's time goes at 1080p, and what each output
temporal term costs on the GPU.

On an H200 (2026-12-04, benchmarks/gpu.py) the fast network took 34.8 ms a 1080p frame, about as many CPU-ms
as wall: far above what its arithmetic needs there, so something runs on the CPU or launches too many kernels.
This prints the network's ms a frame at 1080p and 2160p, a profile of five 1080p frames sorted by CPU time, and
the carried (vidstyle.temporal.carry) and blended (vidstyle.temporal.blend) output terms' ms a frame.
Usage: python benchmarks/gpu_network.py   (CUDA only; under a minute)
"""

from __future__ import annotations

import time
import vidstyle  # noqa: F401 - before torch: its OpenMP setting, as the CLI has it
import numpy as np
import torch
from torch.profiler import profile, ProfilerActivity
from vidstyle.settings import resolve
from vidstyle.temporal.carry import CarryBlender
from vidstyle.temporal.motion import Motion

cuda = torch.device("cuda")
s = resolve(None, {"backend": "fast", "style_id": [19], "device": "cuda"})
st = s.build(1.6, cuda)
for H, W in ((1080, 1920), (2160, 3840)):
    x = torch.rand(1, 3, H, W, device=cuda).contiguous(memory_format=torch.channels_last)
    for _ in range(3):
        st.stylize(x)
    torch.cuda.synchronize(); t = time.perf_counter()
    for _ in range(20):
        st.stylize(x)
    torch.cuda.synchronize()
    print(f"fast network {H}p: {(time.perf_counter() - t) / 20 * 1000:.2f} ms a frame ({st.dtype})", flush=True)
x = torch.rand(1, 3, 1080, 1920, device=cuda).contiguous(memory_format=torch.channels_last)
with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
    for _ in range(5):
        st.stylize(x)
    torch.cuda.synchronize()
print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=14), flush=True)
for H, W in ((1080, 1920), (2160, 3840)):
    f = torch.rand(1, 3, H, W, device=cuda)
    rng = np.random.default_rng(0)
    b = CarryBlender(1.6)
    b(f, None, f, 0)
    ms = []
    for i in range(1, 12):
        m = Motion(rng.normal(0, 1, (180, 320, 2)).astype(np.float32), np.ones((180, 320), np.float32), (H, W))
        torch.cuda.synchronize(); t = time.perf_counter()
        b(f, m, f, i)
        torch.cuda.synchronize(); ms.append((time.perf_counter() - t) * 1000)
    print(f"output term (carried) at {H}p: {np.median(ms[2:]):.2f} ms a frame (GPU, flow enlargement included)",
          flush=True)
