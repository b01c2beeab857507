"""The fast backend's temporal term: warping error and stroke detail, temporal on against off.

The built-in styles come without their paintings, so the style distance of benchmarks/temporal.py has nothing to
measure against; what the temporal term can take from them is detail. Per clip, at 640 px, style 19: the
warping error (vidstyle eval) with the term over without it (target <= 0.5), and the mean energy of the frames'
fine detail (|Laplacian| of the luma) and of their 1-4 px band (|blur at 1 px - blur at 4 px|) with the term
over without it, frame 0 left out (the term does not touch it).
Usage: python benchmarks/fast_detail.py [--style-id 19] [--max-size 640] [CLIP ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import av
import cv2
import numpy as np
from common import OUT, ROOT, name_tag, need

from vidstyle.jobs.evaluate import evaluate_clip

CLIPS = ["mdn_flower.mp4", "moviepy_fire2_rot180_vfr.mp4", "imageio_realshort.mp4", "adain_cutBunny.mp4"]


def detail(path) -> tuple[float, float]:
    """Mean fine-detail and 1-4 px band energy of a clip's frames after the first."""
    fine, band = [], []
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == 0:
                continue
            grey = cv2.cvtColor(frame.to_ndarray(format="rgb24"), cv2.COLOR_RGB2GRAY).astype(np.float32)
            fine.append(np.abs(cv2.Laplacian(grey, cv2.CV_32F)).mean())
            band.append(np.abs(cv2.GaussianBlur(grey, (0, 0), 1) - cv2.GaussianBlur(grey, (0, 0), 4)).mean())
    return float(np.mean(fine)), float(np.mean(band))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("clips", nargs="*", default=CLIPS)
    ap.add_argument("--style-id", type=int, default=19)
    ap.add_argument("--max-size", type=int, default=640)
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    for name in args.clips:
        clip = need(f"video/{name}")
        figures = {}
        for label, weight in (("off", ["--temporal-weight", "0"]), ("on", [])):
            out = OUT / f"fast_detail_{name_tag(name)}_{label}.mp4"
            out.unlink(missing_ok=True)  # vidstyle refuses to overwrite an output
            subprocess.run([sys.executable, "-m", "vidstyle.cli", "video", str(clip), "--backend", "fast",
                            "--style-id", str(args.style_id), "--max-size", str(args.max_size), *weight,
                            "--quiet", "-o", str(out)], cwd=ROOT, check=True, capture_output=True)
            figures[label] = (evaluate_clip(clip, out, quiet=True)["warping_error"], *detail(out))
        (w_off, f_off, b_off), (w_on, f_on, b_on) = figures["off"], figures["on"]
        print(f"{name}: warping error on/off {w_on / w_off:.3f} (target <= 0.5), fine detail on/off "
              f"{f_on / f_off:.3f}, 1-4 px band on/off {b_on / b_off:.3f}", flush=True)


if __name__ == "__main__":
    main()
