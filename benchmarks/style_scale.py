"""The AdaIN style image's size: fixed (the default, a 512-px short side) against relative to the frame.

Every photo in ../shared/media/content with every painting in ../shared/media/style, each photo resized so its
long side is each --sizes value, stylized (AdaIN, no temporal term) with the default fixed size and with each
--scales value of style_scale. Prints, per size and setting, the mean content distance to the photo (relu4_1,
lower keeps more content) and the mean Gram distance to the painting (relu1_1..relu4_1 against the painting at a
512-px short side, as benchmarks/stills.py; lower is closer to the style), and the ratio of both to the
default's. Writes contact sheets (photo, default, then each scale) to bench-out/style_scale_SIZE_PHOTO.png.
Usage: python benchmarks/style_scale.py [--sizes 256 1024] [--scales 0.5 0.75 1 1.5] [--photos N] [--styles N]
"""

from __future__ import annotations

import argparse
import platform

import cv2
import numpy as np
import torch
from common import MEDIA, OUT
from PIL import Image

from vidstyle.backends.base import Look
from vidstyle.jobs.metrics import ContentDistance, StyleDistance
from vidstyle.media.images import load_image, resize_short_side
from vidstyle.settings import resolve
from vidstyle.backends.base import stylize_image

OLD = "style_size 512 (default)"


def fit_long_side(rgb: np.ndarray, size: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=interp)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    ap.add_argument("--scales", type=float, nargs="+", default=[0.5, 0.75, 1.0, 1.5])
    ap.add_argument("--photos", type=int, default=None, help="only the first N photos")
    ap.add_argument("--styles", type=int, default=None, help="only the first N paintings")
    args = ap.parse_args()
    print(f"CPU {platform.processor() or platform.machine()}, torch {torch.__version__}")
    photos = sorted((MEDIA / "content").iterdir())[:args.photos]
    styles = sorted((MEDIA / "style").iterdir())[:args.styles]
    OUT.mkdir(exist_ok=True)
    configs = {OLD: {}, **{f"style_scale {s:g}": {"style_scale": s} for s in args.scales}}
    stylizer = resolve(None, {"style": styles[:1], "precision": "fp32"}).build()  # one network; looks per run
    distances = {s: StyleDistance(resize_short_side(load_image(s).rgb, 512)) for s in styles}
    content = ContentDistance()
    for size in args.sizes:
        totals = {name: [0.0, 0.0] for name in configs}
        for photo in photos:
            src = fit_long_side(load_image(photo).rgb, size)
            row = [src]
            for style in styles:
                for name, values in configs.items():
                    settings = resolve(None, {"style": [style], "precision": "fp32", **values})
                    stylizer.set_look(Look.of(settings.common, settings.options, 0.0))
                    out = (stylize_image(stylizer, src) * 255 + 0.5).astype(np.uint8)
                    totals[name][0] += content(out, src)
                    totals[name][1] += distances[style](out)
                    if style == styles[0]:
                        row.append(out)
            h = 200
            tiles = [cv2.resize(im, (round(im.shape[1] * h / im.shape[0]), h), interpolation=cv2.INTER_AREA)
                     for im in row]
            Image.fromarray(np.concatenate(tiles, axis=1)).save(OUT / f"style_scale_{size}_{photo.stem}.png")
        n = len(photos) * len(styles)
        old_c, old_g = (v / n for v in totals[OLD])
        print(f"\n{size} px long side, {len(photos)} photos x {len(styles)} paintings (contact sheets: "
              f"{styles[0].stem})")
        print(f"{'setting':28} {'content':>9} {'vs 512':>7} {'gram':>9} {'vs 512':>7}")
        for name, (c, g) in totals.items():
            print(f"{name:28} {c / n:9.4f} {c / n / old_c:7.3f} {g / n:9.4f} {g / n / old_g:7.3f}", flush=True)


if __name__ == "__main__":
    main()
