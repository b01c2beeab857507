"""vidstyle's fast backend against `styletransfer-lite video` (a competitor from PyPI), same clip, same style.

Both at 640 px on mdn_flower.mp4: throughput (frames / wall time of the whole command, subprocesses run one
after another, in --rounds rounds; each round's ratios are printed, then their median), warping error
(`vidstyle eval`, DIS flow on the source) and whether audio survived.
The competitor runs with --smooth 0 and --smooth 0.5; vidstyle with its temporal term on (default weight): as
`auto` picks here, with --precision fp32 (what `auto` picks on a CPU without native bf16: onnxruntime), with
--runtime torch --precision fp32, with --precision fp32 --cuts off (no shot detection); and with the temporal
term off, for the warping error's reference. Each round also times the network alone on 60 frames
(benchmarks/fast_runtime.py --alone) beside the commands.
Usage: python benchmarks/fast_vs_lite.py [--style-id 19] [--clip mdn_flower.mp4] [--rounds 2]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

from common import OUT, ROOT, need

from vidstyle.jobs.evaluate import evaluate_clip
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
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    lite = shutil.which("styletransfer-lite", path=str(ROOT / ".venv" / "bin")) or shutil.which("styletransfer-lite")
    if not lite:
        sys.exit("needs the competitor: pip install styletransfer-lite")
    clip = need(f"video/{args.clip}")
    OUT.mkdir(exist_ok=True)
    ours = [sys.executable, "-m", "vidstyle.cli", "video", str(clip), "--backend", "fast", "--style-id",
            str(args.style_id), "--max-size", str(args.max_size)]
    runs = {
        "styletransfer-lite --smooth 0": ([lite, "video", str(clip), "-s", str(args.style_id), "--max-size",
                                           str(args.max_size), "--smooth", "0", "--device", "cpu"], "lite_s0.mp4"),
        "styletransfer-lite --smooth 0.5": ([lite, "video", str(clip), "-s", str(args.style_id), "--max-size",
                                             str(args.max_size), "--smooth", "0.5", "--device", "cpu"], "lite_s05.mp4"),
        "vidstyle --backend fast": ([*ours, "--quiet"], "vidstyle_fast.mp4"),
        # What `auto` picks on a CPU without native bf16 (AVX2-only): onnxruntime, float32.
        "vidstyle --backend fast --precision fp32": ([*ours, "--precision", "fp32", "--quiet"], "vidstyle_fp32.mp4"),
        "vidstyle --backend fast --precision fp32 --runtime torch": ([*ours, "--precision", "fp32", "--runtime",
                                                                     "torch", "--quiet"], "vidstyle_fp32_torch.mp4"),
        # Without shot detection (TransNetV2 costs about 21 CPU-ms a frame in float32: benchmarks/stages.py).
        "vidstyle --backend fast --precision fp32 --cuts off": ([*ours, "--precision", "fp32", "--cuts", "off",
                                                                 "--quiet"], "vidstyle_fp32_nocuts.mp4"),
        "vidstyle --backend fast --temporal-weight 0": ([*ours, "--temporal-weight", "0", "--quiet"],
                                                        "vidstyle_t0.mp4"),
    }
    alone = {"vidstyle --backend fast": "auto", "vidstyle --backend fast --precision fp32": "fp32",
             "vidstyle --backend fast --precision fp32 --cuts off": "fp32"}
    alone_fps: dict[str, list[float]] = {precision: [] for precision in alone.values()}
    n_src = len(frame_times(clip)[0])
    fps: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(args.rounds):
        for name, (cmd, out_name) in runs.items():
            out = OUT / f"fvl_{out_name}"
            seconds = timed([*cmd, "-o", str(out)])
            fps[name].append(len(frame_times(out)[0]) / seconds)
            print(f"round {round_ + 1}: {name}: {seconds:.1f} s = {fps[name][-1]:.2f} fps (whole command)", flush=True)
        for precision in alone_fps:  # the network alone on the same frames, in this round too
            proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fast_runtime.py"), "--alone", precision,
                                   "--frames", "60"], capture_output=True, text=True, check=True)
            alone_fps[precision].append(float(proc.stdout.split()[-1]))
            print(f"round {round_ + 1}: --precision {precision}: network alone {alone_fps[precision][-1]:.2f} fps",
                  flush=True)
    errors = {}
    for name, (_, out_name) in runs.items():
        out = OUT / f"fvl_{out_name}"
        errors[name] = evaluate_clip(clip, out, quiet=True)["warping_error"]
        print(f"{name}: {len(frame_times(out)[0])}/{n_src} frames, warping error {errors[name]:.6f}, "
              f"audio streams {len(audio_spans(out))} (source {len(audio_spans(clip))})", flush=True)
    off = errors["vidstyle --backend fast --temporal-weight 0"]
    for ours in [name for name in runs if name.startswith("vidstyle") and "--temporal-weight" not in name]:
        for name in list(runs)[:2]:
            ratios = sorted(a / b for a, b in zip(fps[ours], fps[name]))
            print(f"{ours} vs {name}: throughput {', '.join(f'{r:.2f}x' for r in ratios)} by round, median "
                  f"{statistics.median(ratios):.2f}x (target >= 1.5); warping error "
                  f"{errors[ours] / errors[name]:.2f}x")
        if ours in alone:
            ratios = sorted(a / b for a, b in zip(fps[ours], alone_fps[alone[ours]]))
            print(f"{ours}: end to end / network alone {', '.join(f'{r:.2f}x' for r in ratios)} by round, median "
                  f"{statistics.median(ratios):.2f}x (target >= 0.75)")
        print(f"{ours}: warping error {errors[ours] / off:.2f}x temporal off (target <= 0.5)")


if __name__ == "__main__":
    main()
