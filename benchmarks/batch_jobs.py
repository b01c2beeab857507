"""`vidstyle batch --jobs 1` against `--jobs 2` on 4 short clips, run alternately (twice each), wall time.

Usage: python benchmarks/batch_jobs.py [--preset example] [--frames 48] [--rounds 2]
The clips are the project's own synthetic ones (320x180, with audio), made under bench-out/jobs/.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time

from common import OUT, ROOT

from vidstyle.media.synthetic import style_image, write_clip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="example")
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    folder = OUT / "jobs"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    clips = []
    for n in range(4):
        clips.append(folder / f"clip{n}.mp4")
        write_clip(clips[-1], 320, 180, frames=args.frames, fps=24, audio=True)
    if args.preset == "example" and not (ROOT / "examples" / "style.png").exists():
        from PIL import Image

        Image.fromarray(style_image(512)).save(ROOT / "examples" / "style.png")
    times: dict[int, list[float]] = {1: [], 2: []}
    for r in range(args.rounds):
        for jobs in ((1, 2) if r % 2 == 0 else (2, 1)):
            out = folder / f"out_j{jobs}"
            shutil.rmtree(out, ignore_errors=True)
            started = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "vidstyle.cli", "batch", *map(str, clips), "--preset",
                                   args.preset, "-o", str(out), "--jobs", str(jobs), "-q"], capture_output=True,
                                  text=True, cwd=ROOT)
            seconds = time.perf_counter() - started
            if proc.returncode != 0:
                sys.exit(proc.stdout + proc.stderr)
            times[jobs].append(seconds)
            print(f"round {r + 1}: --jobs {jobs}: {seconds:.1f} s for 4 clips x {args.frames} frames", flush=True)
    best1, best2 = min(times[1]), min(times[2])
    print(f"--jobs 1 best {best1:.1f} s, --jobs 2 best {best2:.1f} s: jobs 2 takes {best2 / best1:.2f}x the time "
          f"of jobs 1 ({'faster' if best2 < best1 else 'slower'})")


if __name__ == "__main__":
    main()
