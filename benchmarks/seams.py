"""Seams of a clip split inside a shot (vidstyle.jobs.units): the warping error of the frame pairs across each seam
against the mean of the pairs inside the segments, for K warm-up frames, beside the unsplit run's same pairs.

The units run as a Ray worker runs them (run_video with a span) and are joined as the driver joins them; no
cluster is needed for the figures. Warping error as `vidstyle eval` (DIS on the source, interval 1).

Usage: python benchmarks/seams.py [--clip mdn_flower.mp4] [--frames 150] [--max-size 320] [--backend adain]
           [--unit 30] [--warmups 0,1,2,4,8,16]
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import OUT, cpu_line, need
from throughput import excerpt

from vidstyle.jobs.evaluate import evaluate_clip
from vidstyle.jobs.run import plan_frames, run_video
from vidstyle.jobs.units import split
from vidstyle.media.join import join_segments
from vidstyle.settings import resolve


def seam_ratio(clip, out, seams: set[int]) -> tuple[float, float, float]:
    """(mean over the seam pairs, mean over the others, their ratio)."""
    rows = evaluate_clip(clip, out, quiet=True)["per_frame"]
    at = [r["warping_error"] for r in rows if r["frame"] in seams]
    inside = [r["warping_error"] for r in rows if r["frame"] not in seams]
    return statistics.mean(at), statistics.mean(inside), statistics.mean(at) / statistics.mean(inside)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip", default="mdn_flower.mp4")
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--max-size", type=int, default=320)
    ap.add_argument("--backend", default="adain")
    ap.add_argument("--style", default="neuralstyle_starry_night.jpg")
    ap.add_argument("--unit", type=int, default=30, help="frames per unit")
    ap.add_argument("--warmups", default="0,1,2,4,8,16")
    args = ap.parse_args()
    print(cpu_line())
    clip = excerpt(need(f"video/{args.clip}"), args.frames)
    values = {"backend": args.backend, "max_size": args.max_size, "cuts": "off", "crf": 0}
    if args.backend == "fast":
        values["style_id"] = [19]
    else:
        values["style"] = [need(f"style/{args.style}")]
    settings = resolve(None, values)
    frames = plan_frames(clip, settings)
    whole = OUT / f"seams_{args.backend}_whole.mp4"
    start = time.perf_counter()
    run_video(clip, whole, settings, quiet=True, resume=False)
    whole_s = time.perf_counter() - start
    seams = {s.first for s in split(frames, args.unit, 0)[1:]}
    print(f"{args.clip}: {len(frames)} frames at {args.max_size} px, {args.backend}, units of {args.unit} frames, "
          f"{len(seams)} seams (at frames {sorted(seams)})")
    at, inside, ratio = seam_ratio(clip, whole, seams)
    print(f"{'unsplit':<10} seam pairs {at:.4e}  inside {inside:.4e}  ratio {ratio:.2f}  {whole_s:5.0f} s")
    for warmup in map(int, args.warmups.split(",")):
        spans = split(frames, args.unit, warmup)
        parts = []
        start = time.perf_counter()
        for n, span in enumerate(spans):
            seg = OUT / f"seams_{args.backend}_k{warmup}_{n}.mp4"
            run_video(clip, seg, settings, quiet=True, resume=False, span=span)
            parts.append((seg, span.at))
        out = OUT / f"seams_{args.backend}_k{warmup}.mp4"
        join_segments(clip, parts, out)
        seconds = time.perf_counter() - start
        extra = sum(s.warmup for s in spans) / len(frames)
        at, inside, ratio = seam_ratio(clip, out, seams)
        print(f"K={warmup:<8} seam pairs {at:.4e}  inside {inside:.4e}  ratio {ratio:.2f}  {seconds:5.0f} s  "
              f"(+{100 * extra:.1f}% frames stylized)", flush=True)
        for seg, _ in parts:
            seg.unlink()


if __name__ == "__main__":
    main()
