"""vidstyle's fast backend against `styletransfer-lite video` (a competitor from PyPI), same clip, same style.

Both at 640 px on mdn_flower.mp4: throughput (frames / wall time of the whole command, subprocesses run one
after another), warping error (`vidstyle eval`, DIS flow on the source) and whether audio survived.
The competitor runs with --smooth 0 and --smooth 0.5; vidstyle with its temporal term on (default weight).
Usage: python benchmarks/fast_vs_lite.py [--style-id 19] [--clip mdn_flower.mp4]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time

from common import OUT, ROOT, need

from vidstyle.evaluate import evaluate_clip
from vidstyle.media.probe import audio_spans, frame_times


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip", default="mdn_flower.mp4")
    ap.add_argument("--style-id", type=int, default=19)
    ap.add_argument("--max-size", type=int, default=640)
    args = ap.parse_args()
    lite = shutil.which("styletransfer-lite", path=str(ROOT / ".venv" / "bin")) or shutil.which("styletransfer-lite")
    if not lite:
        sys.exit("needs the competitor: pip install styletransfer-lite")
    clip = need(f"video/{args.clip}")
    OUT.mkdir(exist_ok=True)
    runs = {
        "styletransfer-lite --smooth 0": ([lite, "video", str(clip), "-s", str(args.style_id), "--max-size",
                                           str(args.max_size), "--smooth", "0", "--device", "cpu"], "lite_s0.mp4"),
        "styletransfer-lite --smooth 0.5": ([lite, "video", str(clip), "-s", str(args.style_id), "--max-size",
                                             str(args.max_size), "--smooth", "0.5", "--device", "cpu"], "lite_s05.mp4"),
        "vidstyle --backend fast": ([sys.executable, "-m", "vidstyle.cli", "video", str(clip), "--backend", "fast",
                                     "--style-id", str(args.style_id), "--max-size", str(args.max_size), "--quiet"],
                                    "vidstyle_fast.mp4"),
    }
    n_src = len(frame_times(clip)[0])
    results = {}
    for name, (cmd, out_name) in runs.items():
        out = OUT / f"fvl_{out_name}"
        seconds = timed([*cmd, "-o", str(out)])
        report = evaluate_clip(clip, out, quiet=True)
        n_out = len(frame_times(out)[0])
        results[name] = (n_out / seconds, report["warping_error"])
        print(f"{name}: {n_out}/{n_src} frames in {seconds:.1f} s = {n_out / seconds:.2f} fps (whole command), "
              f"warping error {report['warping_error']:.6f}, audio streams {len(audio_spans(out))} "
              f"(source {len(audio_spans(clip))})", flush=True)
    ours_fps, ours_err = results["vidstyle --backend fast"]
    for name in list(runs)[:2]:
        fps, err = results[name]
        print(f"vs {name}: throughput {ours_fps / fps:.2f}x (target >= 1.0), warping error {ours_err / err:.2f}x "
              f"(target <= 0.5)")


if __name__ == "__main__":
    main()
