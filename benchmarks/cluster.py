"""Scale-out on Ray, simulated on this machine: a cluster of one, then two nodes (`ray start --head` and a second
`ray start --address=...`, each with 1 CPU), against one process and the local `--jobs 2`.

Two batches: 4 clips (shared media, first FRAMES frames) with one preset, whole items; and one long clip of 4
shots (built from the shared clips), split at its cuts into 4 units. Wall time of the `vidstyle batch` command,
each configuration ROUNDS times in alternation (best kept), and what the driver logs of its costs: worker start,
the overhead per unit (sending it to its result, less the worker's own run: scheduling, shipping, Ray calls),
the joins.

Usage: python benchmarks/cluster.py [--frames 48] [--size 320] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import OUT, cpu_line, need
from throughput import excerpt

from vidstyle.media.synthetic import join_shots, read_frames

RAY = Path(sys.executable).parent / "ray"
PORT = 6391


def ray(*args: str) -> None:
    subprocess.run([str(RAY), *args], check=True, capture_output=True, env={**os.environ, "RAY_AUTH_MODE": "token"})


def batch(inputs: list[Path], out: Path, size: int, extra: list[str]) -> tuple[float, str]:
    shutil.rmtree(out, ignore_errors=True)
    args = [sys.executable, "-m", "vidstyle.cli", "batch", *map(str, inputs), "--preset", "starry",
            "--presets-dir", str(OUT / "cluster_presets"), "--max-size", str(size), "-o", str(out), "-q", *extra]
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(extra)} failed:\n{proc.stderr[-3000:]}")
    notes = [m.group(0) for m in re.finditer(r"started in [\d.]+ s|\d+ units, .*", proc.stderr)]
    return seconds, "; ".join(notes)


def long_clip(size: int) -> Path:
    path = OUT / f"cluster_long_{size}.mp4"
    if not path.exists():
        dims = (size, size * 9 // 16 // 2 * 2)
        shots = [read_frames(need("video/mdn_flower.mp4"), 60, dims),
                 read_frames(need("video/adain_cutBunny.mp4"), 60, dims, skip=40),
                 read_frames(need("video/mdn_stream-of-water.mp4"), 60, dims),
                 read_frames(need("video/mdn_flower.mp4"), 60, dims, skip=70)]
        join_shots(path, shots, fps=24, audio=True)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--size", type=int, default=320)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    print(cpu_line())
    names = ("mdn_flower.mp4", "adain_cutBunny.mp4", "mdn_stream-of-water.mp4", "imageio_cockatoo_yuv444_silentmp3.mp4")
    clips = [excerpt(need(f"video/{name}"), args.frames) for name in names]
    long = long_clip(args.size)
    presets = OUT / "cluster_presets"
    presets.mkdir(exist_ok=True)  # AdaIN with The Starry Night (the shipped preset's painting, from the shared media)
    painting = need("style/neuralstyle_starry_night.jpg")
    (presets / "starry.toml").write_text(f'backend = "adain"\nstyle = ["{painting}"]\n')
    address = f"127.0.0.1:{PORT}"
    ray("stop", "--force")
    ray("start", "--head", "--num-cpus", "1", "--port", str(PORT), "--include-dashboard", "false",
        "--disable-usage-stats")
    results: dict[str, list[tuple[float, str]]] = {}
    try:
        for nodes in (1, 2):
            if nodes == 2:
                ray("start", f"--address={address}", "--num-cpus", "1", "--disable-usage-stats")
            configs = {
                "4 clips: one process (--jobs 1)": (clips, ["--jobs", "1"]),
                "4 clips: local --jobs 2": (clips, ["--jobs", "2"]),
                f"4 clips: Ray, {nodes} node(s)": (clips, ["--ray", address, "--worker-cpus", "1"]),
                f"4 clips: Ray, {nodes} node(s), --ship": (clips, ["--ray", address, "--worker-cpus", "1", "--ship"]),
                "long clip: one process": ([long], ["--jobs", "1"]),
                f"long clip: Ray, {nodes} node(s), 4 units": ([long], ["--ray", address, "--worker-cpus", "1",
                                                                       "--unit-frames", "60"]),
            }
            if nodes == 2:  # the local runs were measured beside the one-node cluster already
                configs = {k: v for k, v in configs.items() if "Ray" in k}
            for _ in range(args.rounds):
                for name, (inputs, extra) in configs.items():
                    results.setdefault(name, []).append(batch(inputs, OUT / "cluster_out", args.size, extra))
    finally:
        ray("stop", "--force")
    frames = 4 * args.frames
    print(f"AdaIN, The Starry Night, at {args.size} px; 4 clips x {args.frames} frames; long clip 4 shots x 60 frames; "
          f"best of {args.rounds}")
    for name, runs in results.items():
        seconds, notes = min(runs)
        count = 240 if name.startswith("long") else frames
        print(f"{name:<44} {seconds:6.1f} s  {count / seconds:5.2f} fps  {notes}")


if __name__ == "__main__":
    main()
