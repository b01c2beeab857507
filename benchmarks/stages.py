"""Per-stage cost of `vidstyle video` per frame, and the ceiling it sets on the job's rate.

Each stage is timed on its own, in one thread, doing what the job's stage does, so the figures add up to what
the job's threads share: decode (to RGB at the processing size), shot detection (TransNetV2 on one thread, in
the job's precision; its windows of 100 frames, 50 apart, spread over the frames), motion (two flows at
--flow-size with the reliability checks, then enlarged on the device), upload (the picture to the device),
the network (the backend's stylize, its feature term included; `--null`: an identity network, so the rest is
what is measured), the output temporal term, download (brightness, to 8 bits, back to the host) and the H.264
encode. CPU ms per frame (process CPU time, all threads of the stage) and wall ms.

The ceiling: however well the stages overlap, a frame needs all its CPU work done on this machine's cores, the
network's own time, and the slowest helper stage's (each has one thread): frames a second at most, and that
against the network's own rate. With `--e2e`, the real job (`vidstyle video`, audio kept) runs on the same clip
and frames, and its rate is given against the network's.

The clip is mdn_flower (960x540) scaled to each --sizes height (benchmarks/common.py scaled_clip), so decoding
runs at that size too.

Usage: python benchmarks/stages.py [--backends fast adain] [--sizes 640 1080 2160] [--frames 60] [--null]
                                   [--e2e] [--device cpu] [--cuts off] [--flow-size N]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import vidstyle  # noqa: F401 - before torch: its OpenMP setting, as the CLI has it
import torch
from common import OUT, cpu_line, need, scaled_clip

from vidstyle.core.device import torch_threads
from vidstyle.core.tensors import to_bytes, to_tensor
from vidstyle.flow import make_estimator
from vidstyle.jobs.pipeline import _opencv_single_threaded
from vidstyle.jobs.run import run_video
from vidstyle.media.frames import Frame
from vidstyle.media.sinks.video import EncodeSettings, VideoSink
from vidstyle.media.source import VideoSource
from vidstyle.settings import resolve
from vidstyle.shots.detect import TransNetDetector
from vidstyle.shots.stage import brightness_gain
from vidstyle.temporal.carry import CarryBlender
from vidstyle.temporal.motion import estimate_motion

STAGES = ("decode", "shot detection", "motion", "upload", "network", "output temporal", "download", "encode")
HELPERS = ("decode", "shot detection", "motion", "upload", "output temporal", "download")  # one thread each


class Null:
    """An identity network: what is left to measure is the pipeline around it."""

    def __init__(self, device: torch.device) -> None:
        self.device = device

    def stylize(self, picture: torch.Tensor, motion=None) -> torch.Tensor:
        return picture


class Clock:
    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.cpu: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self.wall: dict[str, float] = dict.fromkeys(STAGES, 0.0)

    def __call__(self, name: str, work):
        c, w = time.process_time(), time.perf_counter()
        result = work()
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        self.cpu[name] += time.process_time() - c
        self.wall[name] += time.perf_counter() - w
        return result


def settings_for(backend: str, size: int, args: argparse.Namespace):
    extra = {"style_id": [19]} if backend == "fast" else {"style": [need("style/neuralstyle_starry_night.jpg")]}
    return resolve(None, {"backend": backend, "max_size": size, "flow_size": args.flow_size, "device": args.device,
                          "cuts": args.cuts, **extra})


def measure(clip: Path, backend: str, size: int, args: argparse.Namespace) -> tuple[Clock, int, str]:
    settings = settings_for(backend, size, args)
    device = torch.device(args.device)
    flow_size = settings.flow_size()
    tolerance = settings.describe().colour_tolerance  # the colour check, as the job runs it
    weight = settings.temporal_weight()
    stylizer = Null(device) if args.null else settings.build(weight, device)
    flow = make_estimator("dis")
    blend = CarryBlender(weight if settings.describe().output_term else 0.0)
    detector = TransNetDetector(args.device, 1, settings.common.precision) if args.cuts == "auto" else None
    clock = Clock(device)
    OUT.mkdir(exist_ok=True)
    with _opencv_single_threaded(), VideoSource(clip) as src:  # as the job runs OpenCV
        sink = VideoSink(OUT / "stages.mp4", OUT / "stages.mp4", src, EncodeSettings())
        frames = src.frames(size)
        prev, count = None, 0
        while count < args.frames:
            frame = clock("decode", lambda: next(f for f in frames if isinstance(f, Frame)))
            with torch_threads(1 if device.type == "cpu" else None):  # the helper stages' threads, as in the job
                if detector is not None:
                    clock("shot detection", lambda: detector.push(frame.rgb))
                motion = None
                if prev is not None:
                    motion = clock("motion", lambda: estimate_motion(flow, prev, frame.rgb, flow_size, tolerance))
                    clock("motion", lambda: motion.full(device))
                picture = clock("upload", lambda: to_tensor(frame.rgb, device))
            out = clock("network", lambda: stylizer.stylize(picture, motion))
            with torch_threads(1 if device.type == "cpu" else None):
                out = clock("output temporal", lambda: blend(out, motion, picture, count))
                rgb = clock("download", lambda: to_bytes(out, brightness_gain(picture, out)))
            clock("encode", lambda: sink.write_frame(rgb, frame.pts))
            prev, count = frame.rgb, count + 1
        clock("encode", sink.close)
        if detector is not None:
            clock("shot detection", detector.finish)
    h, w = prev.shape[:2]
    what = (f"{w}x{h}, {'identity network' if args.null else backend}, flow at {flow_size} px, temporal weight "
            f"{weight:g}, shot detection {args.cuts}")
    return clock, count, what


def report(clock: Clock, count: int) -> tuple[float, float]:
    """Prints the stages; returns the ceiling (fps) and the network's own rate (fps)."""
    total = sum(clock.cpu.values())
    for name in STAGES:
        print(f"  {name:<16} CPU {1000 * clock.cpu[name] / count:7.1f} ms/frame   wall "
              f"{1000 * clock.wall[name] / count:7.1f} ms/frame   ({100 * clock.cpu[name] / total:4.1f}% of CPU)")
    helpers = total - clock.cpu["network"]
    print(f"  everything but the network: CPU {1000 * helpers / count:.1f} ms/frame (the network's "
          f"{1000 * clock.cpu['network'] / count:.1f})")
    cores = os.cpu_count() or 1
    slowest = max(clock.wall[name] for name in HELPERS)
    per_frame = max(total / cores, clock.wall["network"], slowest, clock.wall["encode"]) / count
    network_fps = count / clock.wall["network"] if clock.wall["network"] else float("inf")
    print(f"  ceiling on {cores} cores: {1 / per_frame:.1f} fps"
          + (f" = {1 / per_frame / network_fps:.2f}x the network's own {network_fps:.1f} fps"
             if clock.wall["network"] > 0.05 * sum(clock.wall.values()) else "")
          + " (every stage overlapped, no start-up)")
    return 1 / per_frame, network_fps


def end_to_end(clip: Path, backend: str, size: int, args: argparse.Namespace) -> float:
    """The real job's frames a second (`vidstyle video` on the same frames, audio kept)."""
    settings = settings_for(backend, size, args)
    result = run_video(clip, OUT / f"stages_e2e_{backend}_{size}.mp4", settings, quiet=True, resume=False)
    return result.frames / result.seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", nargs="+", default=["fast", "adain"])
    ap.add_argument("--sizes", type=int, nargs="+", default=[640, 1080, 2160],
                    help="frame heights (640: mdn_flower at 640 px wide, as the docs' figures)")
    ap.add_argument("--frames", type=int, default=60, help="TransNetV2 runs a window every 50 frames and two at "
                    "the end, so short runs overstate its share (150: the whole clip)")
    ap.add_argument("--flow-size", type=int, help="default: the backend's")
    ap.add_argument("--cuts", choices=("auto", "off"), default="auto", help="off: no shot detection, as --cuts off")
    ap.add_argument("--null", action="store_true", help="an identity network: the pipeline's own cost and ceiling")
    ap.add_argument("--e2e", action="store_true", help="also run the real job and give its rate against the network")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"{cpu_line()}; torch {torch.__version__}, {torch.get_num_threads()} threads; device {device} ({name})")
    for size in args.sizes:
        # 640 means the docs' 640x360 (the clip itself, capped at 640 px wide); others are heights of 16:9.
        clip = need("video/mdn_flower.mp4") if size == 640 else scaled_clip(need("video/mdn_flower.mp4"), size,
                                                                            args.frames + 10)
        long_side = 640 if size == 640 else size * 16 // 9
        for backend in ([None] if args.null else args.backends):
            clock, count, what = measure(clip, backend or "fast", long_side, args)
            print(f"mdn_flower, {count} frames at {what}")
            ceiling, network_fps = report(clock, count)
            if args.e2e and backend:
                fps = end_to_end(clip, backend, long_side, args)
                print(f"  end to end: {fps:.2f} fps = {fps / network_fps:.2f}x the network's own "
                      f"{network_fps:.2f} fps (ceiling {ceiling:.2f})", flush=True)


if __name__ == "__main__":
    main()
