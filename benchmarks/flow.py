"""End-point error of each flow on Sintel alley_1 (frames 2->3, clean and final) against the ground truth, at full
size (1024x436) and at the flow size the job uses (the long side scaled to 320 px, the flow scaled back up, as
vidstyle.temporal.motion.estimate_motion does), with the seconds each flow took on this CPU.

RAFT needs its weights fetched once (`vidstyle weights fetch raft`).
Usage: python benchmarks/flow.py [--sizes 0,320] [--methods dis,farneback,raft-small,raft]
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import torch
from common import cpu_line, need

from vidstyle.flow import flow_frame_size, make_estimator
from vidstyle.flow.flo import read_flo
from vidstyle.media.images import load_image


def at_size(estimator, a: np.ndarray, b: np.ndarray, size: int) -> np.ndarray:
    h, w = a.shape[:2]
    small = flow_frame_size(w, h, size)  # as the job sizes it
    if small == (w, h):
        return estimator(a, b)
    flow = estimator(*(cv2.resize(x, small, interpolation=cv2.INTER_AREA) for x in (a, b)))
    return cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) * np.array([w / small[0], h / small[1]],
                                                                             np.float32)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="0,320")
    parser.add_argument("--methods", default="dis,farneback,raft-small,raft")
    args = parser.parse_args()
    print(cpu_line(), f"torch threads {torch.get_num_threads()}")
    gt = read_flo(need("flow/mpi_sintel_alley_1/gt/frame_0002.flo"))
    frames = {p: [load_image(need(f"flow/mpi_sintel_alley_1/{p}/frame_000{i}.png")).rgb for i in (2, 3)]
              for p in ("clean", "final")}
    print(f"{'flow':<11}{'size':>6}{'EPE clean':>11}{'EPE final':>11}{'s/flow':>8}")
    for method in args.methods.split(","):
        estimator = make_estimator(method)
        for size in (int(s) for s in args.sizes.split(",")):
            epes, secs = [], []
            for a, b in frames.values():
                start = time.perf_counter()
                flow = at_size(estimator, a, b, size)
                secs.append(time.perf_counter() - start)
                epes.append(float(np.linalg.norm(flow - gt, axis=-1).mean()))
            print(f"{method:<11}{size or 'full':>6}{epes[0]:>11.3f}{epes[1]:>11.3f}{min(secs):>8.2f}", flush=True)


if __name__ == "__main__":
    main()
