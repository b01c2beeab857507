"""The fast network with its decoder's half-size layers (vidstyle.nets.multistyle.ConvLayer) against the same
network with those layers written plainly (nearest upsample, reflection pad, conv; the last 9x9 conv at full size;
every norm on channels-last), side by side: the same frames of mdn_flower at 640x360, interleaved rounds, the
median ms a frame of each and their ratio, and the largest difference between their outputs.

Usage: python benchmarks/fast_layers.py [--precision bf16|fp32] [--frames 12] [--rounds 8]
On a bf16 CPU, ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 with --precision fp32 shows the AVX2 path.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import vidstyle  # noqa: F401 - before torch: its OpenMP setting, as the CLI has it
import torch
import torch.nn.functional as F
from common import cpu_line, need

from vidstyle.core.tensors import to_tensor
from vidstyle.media.synthetic import read_frames
from vidstyle.nets import multistyle
from vidstyle.nets.multistyle import ConvLayer, load_multistyle


def _plain_forward(self: ConvLayer, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    if self.upsample:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
    return self.norm(F.conv2d(F.pad(x, (self.pad,) * 4, mode="reflect"), self.w, stride=self.stride), weights)


@contextmanager
def plain_layers() -> Iterator[None]:
    """Every ConvLayer as written before its half-size forms, and no planar norm."""
    forward, few = ConvLayer.forward, multistyle.FEW_CHANNELS
    ConvLayer.forward, multistyle.FEW_CHANNELS = _plain_forward, 0
    try:
        yield
    finally:
        ConvLayer.forward, multistyle.FEW_CHANNELS = forward, few


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--precision", choices=("bf16", "fp32"), default="bf16")
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=8)
    args = ap.parse_args()
    print(cpu_line(), f"; {torch.get_num_threads()} threads; {args.precision}")
    dtype = torch.bfloat16 if args.precision == "bf16" else torch.float32
    net = load_multistyle().to(dtype=dtype)
    style = torch.zeros(multistyle.NUM_STYLES)
    style[19] = 1.0
    frames = [to_tensor(rgb, torch.device("cpu")).to(dtype)
              for rgb in read_frames(need("video/mdn_flower.mp4"), args.frames, (640, 360))]

    def run() -> list[torch.Tensor]:
        return [net(x, style).float() for x in frames]

    times: dict[str, list[float]] = {"half-size layers": [], "plain layers": []}
    with torch.inference_mode():
        ours = run()
        with plain_layers():
            plain = run()
        levels = max(float((a - b).abs().max()) for a, b in zip(ours, plain)) * 255
        for _ in range(args.rounds):
            for name in times:
                with plain_layers() if name == "plain layers" else nullcontext():
                    start = time.perf_counter()
                    run()
                    times[name].append(1000 * (time.perf_counter() - start) / len(frames))
    for name, values in times.items():
        print(f"{name:<17} {statistics.median(values):6.1f} ms a frame (rounds {min(values):.0f}-{max(values):.0f})")
    ratios = [a / b for a, b in zip(times["half-size layers"], times["plain layers"])]
    print(f"half-size / plain: median {statistics.median(ratios):.2f}x over {len(ratios)} rounds; "
          f"outputs differ by at most {levels:.1f} levels of 255")


if __name__ == "__main__":
    main()
