"""Per-stage cost of `vidstyle video` per frame, each stage timed on its own in one thread, so the figures add up
to what the job's threads share: decode (to RGB at the processing size), shot detection (TransNetV2 on one
thread, in the job's precision, as the job runs it; its windows of 100 frames, 50 apart, spread over the frames),
motion (two DIS flows and the reliability check, at --flow-size), the network (the backend's stylize, temporal
term included), the output temporal step, and the H.264 encode. CPU ms per frame (process CPU time, all threads
of the stage) and wall ms.

Usage: python benchmarks/stages.py [--backend fast] [--max-size 640] [--frames 150] [--flow-size N] [--cuts off]
"""

from __future__ import annotations

import argparse
import os
import time

import vidstyle  # noqa: F401 - before torch: its OpenMP setting, as the CLI has it
import cv2
import torch
from common import OUT, cpu_line, need

from vidstyle.flow import make_estimator
from vidstyle.jobs.pipeline import _opencv_single_threaded
from vidstyle.media.frames import Frame
from vidstyle.media.sinks.video import EncodeSettings, VideoSink
from vidstyle.media.source import VideoSource
from vidstyle.settings import resolve
from vidstyle.shots.detect import TransNetDetector
from vidstyle.temporal.blend import OutputBlender
from vidstyle.temporal.motion import estimate_motion


class Clock:
    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.wall: dict[str, float] = {}

    def __call__(self, name: str, work):
        c, w = time.process_time(), time.perf_counter()
        result = work()
        self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - c
        self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - w
        return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default="fast")
    ap.add_argument("--max-size", type=int, default=640)
    ap.add_argument("--frames", type=int, default=150, help="the whole of mdn_flower: TransNetV2 "
                    "runs a window every 50 frames and two at the end, so short runs overstate its share")
    ap.add_argument("--flow-size", type=int, help="default: the backend's")
    ap.add_argument("--clip", default="mdn_flower.mp4")
    ap.add_argument("--cuts", choices=("auto", "off"), default="auto", help="off: no shot detection, as --cuts off")
    args = ap.parse_args()
    print(cpu_line(), f"torch threads {torch.get_num_threads()}")
    overrides = {"backend": args.backend, "max_size": args.max_size}
    if args.backend == "fast":
        overrides["style_id"] = [19]
    else:
        overrides["style"] = [need("style/neuralstyle_starry_night.jpg")]
    settings = resolve(None, {**overrides, "flow_size": args.flow_size})
    args.flow_size = settings.flow_size()
    tolerance = settings.describe().colour_tolerance  # the colour check, as the job runs it
    weight = settings.temporal_weight()
    stylizer = settings.build(weight, torch.device("cpu"))
    flow = make_estimator("dis")
    blend = OutputBlender(weight if settings.describe().output_temporal else 0.0)
    detector = TransNetDetector("cpu", 1, settings.common.precision) if args.cuts == "auto" else None
    clock = Clock()
    OUT.mkdir(exist_ok=True)
    with _opencv_single_threaded(), VideoSource(need(f"video/{args.clip}")) as src:  # as the job runs OpenCV
        sink = VideoSink(OUT / "stages.mp4", OUT / "stages.mp4", src, EncodeSettings())
        frames = src.frames(args.max_size)
        prev, count = None, 0
        while count < args.frames:
            frame = clock("decode", lambda: next(f for f in frames if isinstance(f, Frame)))
            if detector is not None:
                clock("shot detection", lambda: detector.push(frame.rgb))
            motion = clock("motion", lambda: estimate_motion(flow, prev, frame.rgb, args.flow_size, tolerance)) \
                if prev is not None else None
            out = clock("network", lambda: stylizer.stylize(frame.rgb, motion))
            out = clock("output temporal", lambda: blend(out, motion))
            clock("encode", lambda: sink.write_frame(cv2.convertScaleAbs(out, alpha=255.0), frame.pts))
            prev, count = frame.rgb, count + 1
        clock("encode", sink.close)
        if detector is not None:
            clock("shot detection", detector.finish)
    h, w = prev.shape[:2]
    print(f"{args.clip}: {count} frames at {w}x{h}, {args.backend}, flow at {args.flow_size} px, temporal weight "
          f"{weight:g}, shot detection {args.cuts}")
    total_cpu = sum(clock.cpu.values())
    for name in clock.cpu:
        print(f"  {name:<16} CPU {1000 * clock.cpu[name] / count:7.1f} ms/frame   wall "
              f"{1000 * clock.wall[name] / count:7.1f} ms/frame   ({100 * clock.cpu[name] / total_cpu:4.1f}% of CPU)")
    helpers = total_cpu - clock.cpu["network"]
    print(f"  helpers (all but the network): CPU {1000 * helpers / count:.1f} ms/frame against the network's "
          f"{1000 * clock.cpu['network'] / count:.1f}")
    # However well the job's threads overlap, a frame needs all its CPU work done on this many cores: the
    # ceiling on the job's rate, before start-up, against the network's own rate (its wall time, as timed here).
    cores = os.cpu_count() or 1
    ceiling = count / max(total_cpu / cores, clock.wall["network"])
    print(f"  ceiling on {cores} cores: {ceiling:.1f} fps = {ceiling * clock.wall['network'] / count:.2f}x the "
          f"network's own {count / clock.wall['network']:.1f} fps (every stage overlapped, no start-up)")


if __name__ == "__main__":
    main()
