"""`vidstyle image` on every photo in ../shared/media/content with every painting in ../shared/media/style.

Runs the real command for each pair and writes one contact sheet per photo (the photo, then one result per
style) under bench-out/, to look at. Prints each run's time and the style distance of the result against
its painting next to that of the unstylized photo (lower is closer to the style).
Usage: python benchmarks/stills.py [--max-size 384]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import cv2
import numpy as np
from common import MEDIA, OUT, ROOT
from PIL import Image

from vidstyle.jobs.metrics import StyleDistance
from vidstyle.media.images import load_image, resize_short_side


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-size", type=int, default=384)
    args = ap.parse_args()
    photos = sorted((MEDIA / "content").iterdir())
    styles = sorted((MEDIA / "style").iterdir())
    OUT.mkdir(exist_ok=True)
    distances = {s: StyleDistance(resize_short_side(load_image(s).rgb, 512)) for s in styles}
    closer = total = 0
    for photo in photos:
        row = []
        for style in styles:
            out = OUT / f"still_{photo.stem}__{style.stem}.png"
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "vidstyle.cli", "image", str(photo), "-s", str(style), "-o",
                                   str(out), "--max-size", str(args.max_size)], cwd=ROOT, capture_output=True,
                                  text=True)
            if proc.returncode != 0:
                print(f"FAIL {photo.name} x {style.name}: {proc.stderr.strip()}")
                continue
            result = load_image(out).rgb
            src = cv2.resize(load_image(photo).rgb, (result.shape[1], result.shape[0]), interpolation=cv2.INTER_AREA)
            d_out, d_src = distances[style](result), distances[style](src)
            total += 1
            closer += d_out < d_src
            print(f"{photo.name} x {style.name}: {time.perf_counter() - start:.1f} s, style distance "
                  f"{d_src:.3f} -> {d_out:.3f}", flush=True)
            row.append(result)
        if row:
            h = 160
            tiles = [cv2.resize(im, (round(im.shape[1] * h / im.shape[0]), h), interpolation=cv2.INTER_AREA)
                     for im in [src, *row]]
            Image.fromarray(np.concatenate(tiles, axis=1)).save(OUT / f"stills_{photo.stem}.png")
    print(f"{closer}/{total} results are closer to their painting than the photo is")


if __name__ == "__main__":
    main()
