"""A static scene must stay still: a held still of a shared clip (its first frame, 40 times, H.264 as any
encoder would store a freeze frame) through each backend at its defaults (written at CRF 0), and the iterative one
also at a low iteration count. Prints the mean absolute change between consecutive output frames after the first (0-255
levels; target below 1), and the change from the first output frame to the last.

Usage: python benchmarks/static.py [--max-size 240] [--backends adain,fast,iterative] [--frames 40]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import OUT, cpu_line, need

from vidstyle.jobs.run import run_video
from vidstyle.media.frames import Frame
from vidstyle.media.source import VideoSource
from vidstyle.media.synthetic import write_frames
from vidstyle.settings import resolve


def held_still(clip, frames: int, size: int):
    out = OUT / f"still_{clip.stem}_{frames}_{size}.mp4"
    if out.exists():
        return out
    OUT.mkdir(exist_ok=True)
    with VideoSource(clip) as src:
        first = next(f for f in src.frames(max_size=size) if isinstance(f, Frame)).rgb
    write_frames(out, [first] * frames, 30, options={"crf": "18"})
    return out


def changes(path) -> tuple[float, float]:
    with VideoSource(path) as src:
        frames = [f.rgb.astype(np.float32) for f in src.frames() if isinstance(f, Frame)]
    steps = [np.abs(b - a).mean() for a, b in zip(frames[1:], frames[2:])]  # after the first frame
    return float(np.mean(steps)), float(np.abs(frames[-1] - frames[0]).mean())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-size", type=int, default=240)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--backends", default="adain,fast,iterative")
    ap.add_argument("--clip", default="mdn_flower.mp4")
    args = ap.parse_args()
    print(cpu_line())
    still = held_still(need(f"video/{args.clip}"), args.frames, args.max_size)
    src_step, _ = changes(still)
    print(f"source: held still of {args.clip}, {args.frames} frames at {args.max_size} px; its own frame-to-frame "
          f"change {src_step:.3f}")
    style = need("style/neuralstyle_starry_night.jpg")
    runs = {"adain": [{}], "fast": [{"style_id": [3]}],
            "iterative": [{}, {"iterations": 60, "iterations_later": 20},  # and without the hold, as before it:
                          {"hold": 0}, {"iterations": 60, "iterations_later": 20, "hold": 0}]}
    for backend in args.backends.split(","):
        for extra in runs[backend]:
            # CRF 0: x264's own frame-to-frame noise (an I-frame then P-frames) would otherwise mask the figure.
            overrides = {"backend": backend, "style": [style] if backend != "fast" else None, "cuts": "off", "crf": 0,
                         **extra}
            out = OUT / f"static_{backend}_{'_'.join(f'{k}{v}' for k, v in extra.items())}.mp4"
            start = time.perf_counter()
            run_video(still, out, resolve(None, overrides), quiet=True, resume=False)
            step, drift = changes(out)
            print(f"{backend:<10}{str(extra or 'defaults'):<44} mean change a frame {step:6.3f}  first->last "
                  f"{drift:6.2f}  ({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
