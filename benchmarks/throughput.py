"""End-to-end `vidstyle video` throughput against the AdaIN network alone on the same frames, side by side.

The network-alone figure stylizes frames that were decoded beforehand (no flow, no temporal step, no encode).
The end-to-end figure is the whole job: decode, DIS flow, temporal term, encode with audio. Alternating runs,
each pair run back to back so both see the same machine; the median of the pairs' ratios is the figure (single
runs on a shared 2-core machine swing by 20%).
Usage: python benchmarks/throughput.py [--max-size 640] [--frames 60] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import av
import torch
from common import OUT, need, stylize

from vidstyle.media.images import load_image
from vidstyle.media.video import Frame, VideoSource
from vidstyle.stylize.adain import AdainOptions, AdainStylizer


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
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    clip = excerpt(need(f"video/{args.clip}"), args.frames)
    style_path = need(f"style/{args.style}")
    with VideoSource(clip) as src:
        frames = [f.rgb for f in src.frames(args.max_size) if isinstance(f, Frame)]
    print(f"{clip.name}: {len(frames)} frames at {frames[0].shape[1]}x{frames[0].shape[0]}, "
          f"torch threads {torch.get_num_threads()}", flush=True)
    stylizer = AdainStylizer([load_image(style_path).rgb], [1.0], AdainOptions(), torch.device("cpu"))
    stylizer.stylize(frames[0])  # warm-up, and the style statistics
    alone, whole = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for rgb in frames:
            stylizer.stylize(rgb)
        alone.append(len(frames) / (time.perf_counter() - start))
        result = stylize(clip, style_path, OUT / "throughput.mp4", args.max_size, temporal_weight=0.8)
        whole.append(result.fps)
        print(f"  network alone {alone[-1]:.3f} fps | vidstyle video end to end {whole[-1]:.3f} fps", flush=True)
    ratios = sorted(w / a for w, a in zip(whole, alone))
    print(f"pair ratios {', '.join(f'{r:.3f}' for r in ratios)}; median {ratios[len(ratios) // 2]:.3f} "
          f"(target >= 0.85); best-of ratio {max(whole) / max(alone):.3f}")


if __name__ == "__main__":
    main()
