"""Setting variants side by side on one clip excerpt: the warping error at intervals 1 and 10 (DIS on the source,
flow computed directly between frames t and t+K), the Gram style distance to the painting (every 10th frame),
and the seconds each run took. For the iterative backend's long-term terms and for RAFT against DIS.

Usage: python benchmarks/variants.py [--clip mdn_flower.mp4] [--frames 60] [--max-size 200] [--backend iterative]
           [--style neuralstyle_starry_night.jpg] [--base 'iterations_later=50'] VARIANT ...
A VARIANT is `key=value[;key=value]` with values as Python literals where they are not plain words, e.g.
`long_term=[1,2,4]`, `flow=raft`, `temporal_weight=0`; `-` is the base settings alone.
"""

from __future__ import annotations

import argparse
import ast
import time

from common import OUT, cpu_line, need
from throughput import excerpt

from vidstyle.jobs.evaluate import evaluate_clip
from vidstyle.jobs.run import run_video
from vidstyle.settings import resolve


def parse(text: str) -> dict:
    values = {}
    for part in filter(None, text.split(";")):
        if part == "-":
            continue
        key, value = part.split("=", 1)
        try:
            values[key.strip()] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            values[key.strip()] = value
    return values


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("variants", nargs="+")
    ap.add_argument("--clip", default="mdn_flower.mp4")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--max-size", type=int, default=200)
    ap.add_argument("--backend", default="iterative")
    ap.add_argument("--style", default="neuralstyle_starry_night.jpg")
    ap.add_argument("--base", default="", help="settings every variant starts from")
    args = ap.parse_args()
    print(cpu_line())
    clip = excerpt(need(f"video/{args.clip}"), args.frames)
    style = need(f"style/{args.style}")
    base = {"backend": args.backend, "max_size": args.max_size, "cuts": "off", "crf": 0, **parse(args.base)}
    if args.backend != "fast":
        base["style"] = [style]
    print(f"{args.clip}: first {args.frames} frames at {args.max_size} px, {args.backend}, base {args.base or '-'}")
    for text in args.variants:
        overrides = {**base, **parse(text)}
        out = OUT / f"variant_{args.backend}_{''.join(c if c.isalnum() else '_' for c in text)}.mp4"
        start = time.perf_counter()
        run_video(clip, out, resolve(None, overrides), quiet=True, resume=False)
        seconds = time.perf_counter() - start
        one = evaluate_clip(clip, out, style=style, quiet=True)
        ten = evaluate_clip(clip, out, quiet=True, interval=10)
        print(f"{text:<34} warping error t+1 {one['warping_error']:.4e}  t+10 {ten['warping_error']:.4e}  style "
              f"distance {one['style_distance']:.4f}  {seconds:6.0f} s", flush=True)


if __name__ == "__main__":
    main()
