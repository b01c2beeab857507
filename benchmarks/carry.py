"""The fast backend's carried temporal term alone: CPU-ms a frame (process time, all threads) at 640x360 and
1920x1080, on a moving, partly matching clip made up here (random paintings, a blurred source panning 0.7 px a
frame, flow at half size with confidence 0.9), over two keys' life. With `--against DIR` (an earlier checkout,
e.g. a `git worktree`), the same in that checkout, interleaved round by round, and the median ratio.

    python benchmarks/carry.py [--rounds 4] [--against /tmp/w/before]

The term runs as the job runs it: OpenCV on one thread, freed memory kept (vidstyle.core.machine).

Figures (AMD EPYC, 2 cores; against 32ef90e, Lanczos-4 sampling of frame-size keys and frame-size tracks): 24.2
against 36.4 CPU-ms at 640x360 (0.67x), 155.5 against 376.6 at 1080p (0.41x); with OpenCV's AVX2 path, 0.64x
and 0.35x. The texture-keeping mix (1bed8ec) cost 1.75x at 640 and 1.61x at 1080p; written as one extrapolating
blend (against 73ee4cc): 22.3 against 24.4 (0.90x), 118.2 against 128.7 (0.92x); AVX2 path 1.01x and 0.91x.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = """
import json, sys, time
import cv2, numpy as np
from vidstyle.core.machine import keep_freed_memory
from vidstyle.core.tensors import from_host
from vidstyle.temporal.carry import KEY_EVERY, CarryBlender
from vidstyle.temporal.motion import Motion
h, w = map(int, sys.argv[1:3])
keep_freed_memory()  # as the job runs it: freed memory kept, OpenCV on one thread
cv2.setNumThreads(1)
rng = np.random.default_rng(0)
big = cv2.GaussianBlur(rng.random((h, w + 64, 3), dtype=np.float32), (0, 0), 3)
paint = [from_host(rng.random((h, w, 3), dtype=np.float32)) for _ in range(4)]
source = [from_host(np.ascontiguousarray(big[:, int(t * 0.7):int(t * 0.7) + w])) for t in range(2 * KEY_EVERY + 1)]
flow = np.zeros((h // 2, w // 2, 2), np.float32)
flow[..., 0] = -0.35
confidence = np.full((h // 2, w // 2), 0.9, np.float32)
blender = CarryBlender(1.6)
blender(paint[0], None, source[0], 0)
start = time.process_time()
for t in range(1, len(source)):
    blender(paint[t % 4], Motion(flow, confidence, (h, w)), source[t], t)
print(json.dumps((time.process_time() - start) / (len(source) - 1) * 1000))
"""


def cpu_ms(checkout: Path, h: int, w: int) -> float:
    env = {"PYTHONPATH": str(checkout)}  # that checkout's vidstyle, not the installed one
    proc = subprocess.run([sys.executable, "-c", WORKER, str(h), str(w)], cwd=checkout, capture_output=True,
                          text=True, check=True, env={**os.environ, **env})
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--against", type=Path, help="an earlier checkout: its term beside this one's")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from common import cpu_line

    print(cpu_line())
    import cv2  # the term runs OpenCV's kernels, dispatched by its own CPU checks (not oneDNN's)

    print(f"OpenCV {cv2.__version__}: {cv2.getCPUFeaturesLine()} (* dispatched, ? unavailable or disabled: "
          "OPENCV_CPU_DISABLE=AVX512-SKX,AVX512-CLX,AVX512F,AVX512-COMMON runs its AVX2 path)")
    for h, w in ((360, 640), (1080, 1920)):
        here, there = [], []
        for n in range(args.rounds):
            order = [(ROOT, here), (args.against, there)] if args.against else [(ROOT, here)]
            for checkout, into in order if n % 2 == 0 else order[::-1]:
                into.append(cpu_ms(checkout, h, w))
        line = f"{w}x{h}: {statistics.median(here):.1f} CPU-ms a frame (rounds {', '.join(f'{x:.0f}' for x in here)})"
        if there:
            ratios = [a / b for a, b in zip(here, there)]
            line += (f"; {args.against}: {statistics.median(there):.1f}; ratio {statistics.median(ratios):.2f} "
                     f"(rounds {', '.join(f'{r:.2f}' for r in ratios)})")
        print(line, flush=True)


if __name__ == "__main__":
    main()
