"""End-to-end `vidstyle video` throughput against the AdaIN network alone on the same frames, side by side.

The network-alone figure stylizes frames that were decoded beforehand (no flow, no temporal step, no encode), with
a new stylizer each round, as the job has: both figures include its one-time style statistics (the VGG encoding of
the style image, about three frames' time), neither the loading of the weights. The end-to-end figure is the whole
job: decode, DIS flow, temporal term, encode with audio.

The 2-core machine this was built on changes speed by up to 2x for seconds at a time (the network alone: 220 or
420 ms a frame, both cores busy, no steal), so one pair of runs can say anything from 0.6 to 1.25. Hence many
short pairs, each run back to back and every other pair in the other order, and two figures that pool them: the
median of the pair ratios, and the ratio of the total frames per second (all frames over all seconds).
Usage: python benchmarks/throughput.py [--max-size 640] [--frames 40] [--repeats 20]
"""

from __future__ import annotations

import argparse
import statistics
import time

import av

import vidstyle  # noqa: F401 - before torch: its OpenMP setting, as the CLI has it
import torch
from common import OUT, adain_settings, need, stylize

from vidstyle.media.frames import Frame
from vidstyle.media.source import VideoSource
from vidstyle.backends.base import stylize_image


def excerpt(clip, frames: int):
    """The first `frames` frames of `clip` (with its audio) as a new file, so both runs see the same frames."""
    out = OUT / f"excerpt_{clip.stem}_{frames}.mp4"
    if out.exists():
        return out
    OUT.mkdir(exist_ok=True)
    with av.open(str(clip)) as src, av.open(str(out), "w") as dst:
        streams = [src.streams.video[0], *src.streams.audio]
        outs = {s.index: dst.add_stream_from_template(s) for s in streams}
        limit = None
        seen = 0
        for packet in src.demux(streams):
            if packet.dts is None:
                continue
            t = packet.pts * packet.time_base if packet.pts is not None else 0
            if packet.stream.type == "video":
                seen += 1
                if seen > frames + 8:  # a few extra packets so B-frames decode
                    limit = t
            if limit is not None and t >= limit:
                continue
            packet.stream = outs[packet.stream.index]
            dst.mux(packet)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip", default="mdn_flower.mp4")
    ap.add_argument("--style", default="neuralstyle_starry_night.jpg")
    ap.add_argument("--max-size", type=int, default=640)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    clip = excerpt(need(f"video/{args.clip}"), args.frames)
    style_path = need(f"style/{args.style}")
    with VideoSource(clip) as src:
        frames = [f.rgb for f in src.frames(args.max_size) if isinstance(f, Frame)]
    print(f"{clip.name}: {len(frames)} frames at {frames[0].shape[1]}x{frames[0].shape[0]}, "
          f"torch threads {torch.get_num_threads()}", flush=True)
    settings = adain_settings(style_path, args.max_size)
    stylize_image(settings.build(), frames[0])  # warm-up

    def network_alone() -> float:
        """Seconds for the frames (a new stylizer each time: the job also pays for the style statistics)."""
        stylizer = settings.build()
        start = time.perf_counter()
        for rgb in frames:
            stylize_image(stylizer, rgb)
        return time.perf_counter() - start

    def end_to_end() -> float:
        result = stylize(clip, style_path, OUT / "throughput.mp4", args.max_size, settings.temporal_weight())
        assert result.frames == len(frames), (result.frames, len(frames))
        return result.seconds

    alone, whole = [], []  # seconds
    n = len(frames)
    for i in range(args.repeats):
        if i % 2:  # every other pair the other way round, so a machine that drifts favours neither
            whole.append(end_to_end())
            alone.append(network_alone())
        else:
            alone.append(network_alone())
            whole.append(end_to_end())
        print(f"  network alone {n / alone[-1]:.3f} fps | vidstyle video end to end {n / whole[-1]:.3f} fps | "
              f"ratio {alone[-1] / whole[-1]:.3f}", flush=True)
    ratios = sorted(a / w for w, a in zip(whole, alone))
    quart = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    print(f"pair ratios {', '.join(f'{r:.3f}' for r in ratios)}")
    print(f"median of {len(ratios)} pair ratios {statistics.median(ratios):.3f} "
          f"(quartiles {quart[0]:.3f}-{quart[2]:.3f}); ratio of totals {sum(alone) / sum(whole):.3f}: "
          f"end to end {n * len(whole) / sum(whole):.3f} fps against {n * len(alone) / sum(alone):.3f} fps alone "
          "(target >= 0.85)")


if __name__ == "__main__":
    main()
