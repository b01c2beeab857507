"""`vidstyle video` on every clip in ../shared/media/video (but the corrupt one), checked frame by frame.

For each clip: the run succeeds; the output has as many frames as the input, each within one tick of its
source timestamp; audio streams are there exactly where the input has them, each within 50 ms of the
source's duration; and the picture is upright (rotated clips: the output matches the source turned by its
display matrix far better than any other turn). Writes bench-out/clips_frames.png (frame 10 of each output) to look at.
Usage: python benchmarks/clips.py [--max-size 320] [CLIP ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import cv2
import numpy as np
from common import MEDIA, OUT, ROOT, name_tag
from PIL import Image

from vidstyle.media.frames import Frame
from vidstyle.media.probe import audio_spans, frame_times
from vidstyle.media.source import VideoSource


def some_frame(path, max_size=None, index: int = 10) -> np.ndarray:
    """Frame `index` (or the last, for shorter clips): first frames are often blank fades."""
    chosen = None
    with VideoSource(path) as src:
        for f in src.frames(max_size):
            if isinstance(f, Frame):
                chosen = f.rgb
                if f.index >= index:
                    break
    return chosen


def edges(rgb: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    grey = cv2.GaussianBlur(grey, (0, 0), 2)
    mag = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    return (mag - mag.mean()) / (mag.std() + 1e-6)


def upright_score(out: np.ndarray, src_upright: np.ndarray) -> tuple[float, float]:
    """Correlation of edge maps with the upright source, and the best correlation with any other turn."""
    e = edges(out)
    scores = []
    for k in range(4):
        turned = np.rot90(src_upright, k)
        if turned.shape[:2] != out.shape[:2]:
            if k % 2 and src_upright.shape[0] != src_upright.shape[1]:
                scores.append(-1.0)
                continue
            turned = cv2.resize(turned, (out.shape[1], out.shape[0]), interpolation=cv2.INTER_AREA)
        scores.append(float((e * edges(np.ascontiguousarray(turned))).mean()))
    return scores[0], max(scores[1:])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-size", type=int, default=320)
    ap.add_argument("--style", default="neuralstyle_starry_night.jpg")
    ap.add_argument("names", nargs="*", help="only these clips (default: all but the corrupt one)")
    args = ap.parse_args()
    style = MEDIA / "style" / args.style
    clips = sorted(p for p in (MEDIA / "video").iterdir()
                   if "corrupt" not in p.name and (not args.names or p.name in args.names))
    OUT.mkdir(exist_ok=True)
    failures, thumbs = 0, []
    for clip in clips:
        out = OUT / f"clip_{name_tag(clip.name)}.mp4"
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "vidstyle.cli", "video", str(clip), "-s", str(style),
                               "-o", str(out), "--max-size", str(args.max_size), "--quiet"],
                              cwd=ROOT, capture_output=True, text=True)
        took = time.perf_counter() - start
        if proc.returncode != 0:
            failures += 1
            print(f"FAIL {clip.name}: exit {proc.returncode}: {proc.stderr.strip()}")
            continue
        (src_t, src_tb), (out_t, out_tb) = frame_times(clip), frame_times(out)
        tick = max(float(src_tb), float(out_tb))
        same_count = len(src_t) == len(out_t)
        worst = max(abs(a - b) for a, b in zip(sorted(src_t), out_t)) if same_count else float("inf")
        a_in, a_out = audio_spans(clip), audio_spans(out)
        audio_ok = len(a_in) == len(a_out) and all(abs(a - b) <= 0.05 for a, b in zip(a_in, a_out))
        source_first = some_frame(clip, args.max_size)
        flat = source_first.std() == 0  # a blank picture has no orientation to check
        up, other = upright_score(some_frame(out), source_first) if not flat else (0.0, 0.0)
        ok = same_count and worst <= tick + 1e-9 and audio_ok and (flat or up > other)
        failures += not ok
        notes = [line for line in proc.stderr.splitlines() if "transcoded" in line]
        print(f"{'ok  ' if ok else 'FAIL'} {clip.name}: frames {len(out_t)}/{len(src_t)}, worst pts error "
              f"{worst * 1000:.3f} ms (tick {tick * 1000:.3f} ms), audio {[f'{a:.3f}' for a in a_in]} -> "
              f"{[f'{a:.3f}' for a in a_out]} s, "
              + ("blank picture (no orientation to check)" if flat else f"upright corr {up:.2f} vs {other:.2f}")
              + f", {took:.0f} s"
              + (f" [{notes[0].strip()}]" if notes else ""), flush=True)
        thumb = some_frame(out)
        scale = 120 / thumb.shape[0]
        thumbs.append(cv2.resize(thumb, (max(1, round(thumb.shape[1] * scale)), 120)))
    sheet = np.concatenate([np.pad(t, ((0, 0), (0, 4), (0, 0)), constant_values=255) for t in thumbs], axis=1)
    Image.fromarray(sheet).save(OUT / "clips_frames.png")
    print(f"{len(clips) - failures}/{len(clips)} clips pass")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
