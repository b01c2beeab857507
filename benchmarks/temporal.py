"""Temporal consistency vs style strength, AdaIN at 640 px: --temporal-weight 0 against the default.

Prints, per clip, the warping error (Lai et al. 2018, DIS flow on the source), the Gram style distance
(relu1_1..relu4_1 of the normalised VGG) and the content distance (relu4_1, output vs source frame), both every
10th frame, for both runs, and their ratios.
Usage: python benchmarks/temporal.py [--max-size 640] [--weight W] [CLIP ...]
"""

from __future__ import annotations

import argparse

from common import OUT, adain_settings, need, stylize

from vidstyle.evaluate import evaluate_clip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("clips", nargs="*", default=["mdn_flower.mp4", "adain_cutBunny.mp4"])
    ap.add_argument("--max-size", type=int, default=640)
    ap.add_argument("--weight", type=float, help="default: the backend's")
    ap.add_argument("--style", default="neuralstyle_starry_night.jpg")
    args = ap.parse_args()
    style = need(f"style/{args.style}")
    args.weight = adain_settings(style).temporal_weight() if args.weight is None else args.weight
    for name in args.clips:
        clip = need(f"video/{name}")
        rows = {}
        for weight in (0.0, args.weight):
            out = OUT / f"temporal_{clip.stem}_w{weight:g}.mp4"
            result = stylize(clip, style, out, args.max_size, weight)
            report = evaluate_clip(clip, out, style=style, quiet=True, content=True)
            rows[weight] = report
            print(f"{name} weight {weight:g}: {result.frames} frames, {result.fps:.2f} fps, "
                  f"warping error {report['warping_error']:.6f}, style distance {report['style_distance']:.4f}, "
                  f"content distance {report['content_distance']:.4f}",
                  flush=True)
        off, on = rows[0.0], rows[args.weight]
        print(f"{name}: warping error ratio {on['warping_error'] / off['warping_error']:.3f} (target <= 0.5), "
              f"style distance change {100 * (on['style_distance'] / off['style_distance'] - 1):+.1f}% "
              f"(target <= +15%), content distance ratio {on['content_distance'] / off['content_distance']:.3f} "
              "(target <= 1.10)", flush=True)


if __name__ == "__main__":
    main()
