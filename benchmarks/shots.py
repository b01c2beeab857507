"""Shots, on clips built from the shared media: detection, cost, fades and bars.

  detect  TransNetV2 on real clips joined by hard cuts, by 12-frame cross-dissolves and by fades through black
          (recall and precision of the hard cuts, within one frame; what it does on the gradual ones), and on
          each shared clip alone (every boundary it finds there, with the frames around it written as PNG).
  state   two real shots joined by a hard cut (45 frames of mdn_flower, 45 of adain_cutBunny, 480x270): the second
          shot's frames against a run on it alone (--start at the cut), and the frame after the cut against
          --temporal-weight 0, for adain, fast and iterative (lossless output, so only the stylization differs);
          frames around the cut written as PNG.
  cost    `vidstyle video` at 640 px with --cuts auto against --cuts off, in alternating pairs (target <= 3%).
  window  TransNetV2 on one window of 100 real frames, on one thread as the job runs it, at --precision: the
          network as vidstyle loads it (its pools read the maps in place) against the package's own layers,
          interleaved (--pairs rounds, 5 windows each); CPU ms a window and the verdicts' largest difference.
  fades   a shared clip with its last 30 frames ramped to black: per-frame mean brightness of source and output,
          a pure black frame's maximum, and the normal frames' gains (adain and fast).
  bars    a shared clip letterboxed to 2.39:1 inside 16:9, against the same clip unpadded: the bars' maximum and
          the picture's difference.
Usage: python benchmarks/shots.py [detect|state|cost|fades|bars ...] [--pairs 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from common import OUT, ROOT, cpu_line, need

from vidstyle.media.frames import Frame
from vidstyle.media.source import VideoSource
from vidstyle.media.synthetic import join_shots, read_frames
from vidstyle.shots.detect import TransNetDetector
from vidstyle.shots.stage import ShotStage

SIZE = (480, 270)
# (clip, first frame, frames): shots of real footage; adain_cutBunny has a cut of its own at frame 235.
SHOTS = [("mdn_flower.mp4", 0, 40), ("adain_cutBunny.mp4", 0, 40), ("opencvdoc_tree_cinepak_noaudio.avi", 0, 40),
         ("decord_flipping_a_pancake.mkv", 0, 40), ("mdn_stream-of-water.mp4", 0, 40),
         ("imageio_cockatoo_yuv444_silentmp3.mp4", 0, 40), ("mdn_friday_audiofirst.mp4", 0, 40),
         ("adain_cutBunny.mp4", 100, 40), ("decord_flipping_a_pancake.mkv", 200, 40), ("mdn_flower.mp4", 80, 40)]
SINGLE = ["mdn_flower.mp4", "adain_cutBunny.mp4", "moviepy_fire2_rot180_vfr.mp4", "opencvdoc_tree_cinepak_noaudio.avi",
          "decord_flipping_a_pancake.mkv", "mdn_stream-of-water.mp4", "imageio_cockatoo_yuv444_silentmp3.mp4",
          "mdn_friday_audiofirst.mp4"]


def decode(path: Path, max_size: int | None = None) -> list[np.ndarray]:
    with VideoSource(path) as src:
        return [f.rgb for f in src.frames(max_size) if isinstance(f, Frame)]


def boundaries(frames: list[np.ndarray]) -> list[tuple[int, str]]:
    """As the video job finds them (vidstyle.shots.stage.ShotStage with TransNetV2)."""
    stage = ShotStage(TransNetDetector(), bars=False)
    for _ in stage.run((Frame(i, rgb, i) for i, rgb in enumerate(frames)), lambda f: f.index / 24):
        pass
    return [(b.frame, b.kind) for b in stage.boundaries]


def detect() -> None:
    shots = [read_frames(need(f"video/{name}"), n, SIZE, skip) for name, skip, n in SHOTS]
    for label, kw in [("hard cuts", {}), ("12-frame dissolves", {"dissolve": 12}),
                      ("fades through black (6 + 6 frames)", {"through_black": 6})]:
        path = OUT / f"shots_{label.split()[0]}.mp4"
        starts = join_shots(path, shots, **kw)[1:]
        found = boundaries(decode(path))
        hits = [s for s in starts if any(abs(f - s) <= 1 for f, _ in found)]
        true = [f for f, _ in found if any(abs(f - s) <= 1 for s in starts)]
        print(f"{label}: {len(starts)} transitions at {starts}; found {found}")
        if not kw:
            print(f"  hard-cut recall {len(hits) / len(starts):.3f}, precision {len(true) / max(1, len(found)):.3f} "
                  "(targets >= 0.95)")
        else:
            print(f"  transitions found within a frame of the new shot's start: {len(hits)}/{len(starts)}; "
                  f"offsets of the nearest boundary: "
                  f"{[min((f - s for f, _ in found), key=abs, default=None) for s in starts]}")
    for name in SINGLE:
        frames = decode(need(f"video/{name}"), 480)
        found = boundaries(frames)
        print(f"{name}: {len(frames)} frames, boundaries {found}")
        for f, _ in found:
            row = np.concatenate(frames[max(0, f - 2):f + 2], 1)
            cv2.imwrite(str(OUT / f"shots_{Path(name).stem}_{f}.png"), row[..., ::-1])


def state() -> None:
    size, n = (480, 270), 45
    clip = OUT / "two_shots.mp4"
    a = read_frames(need("video/mdn_flower.mp4"), n, size)
    b = read_frames(need("video/adain_cutBunny.mp4"), n, size)
    cut = join_shots(clip, [a, b], fps=24)[1]
    style = str(need("style/neuralstyle_starry_night.jpg"))
    for backend, extra in [("adain", ["-s", style]), ("fast", ["--style-id", "19"]),
                           ("iterative", ["-s", style, "--max-size", "240", "--iterations", "60",
                                          "--iterations-later", "20"])]:
        outs = {}
        for name, more in [("whole", []), ("alone", ["--start", f"{cut}f"]), ("off", ["--temporal-weight", "0"])]:
            if backend == "iterative" and name == "off":
                continue
            outs[name] = OUT / f"state_{backend}_{name}.mp4"
            run(["video", str(clip), "-b", backend, *extra, "--crf", "0", "-q", "-o", str(outs[name]), *more])
        whole, alone = decode(outs["whole"]), decode(outs["alone"])
        diffs = [np.abs(x.astype(float) - y).mean() / 255 for x, y in zip(whole[cut:], alone, strict=True)]
        line = f"{backend}: second shot vs alone: max mean |diff| {max(diffs):.5f} over {len(diffs)} frames"
        if "off" in outs:
            after = np.abs(whole[cut].astype(float) - decode(outs["off"])[cut]).mean() / 255
            line += f"; frame after the cut vs temporal off: {after:.5f}"
        print(line + " (target <= 0.004)")
        cv2.imwrite(str(OUT / f"state_{backend}_cut.png"), np.concatenate(whole[cut - 2:cut + 3], 1)[..., ::-1])


def run(args: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "vidstyle.cli", *args], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(proc.stderr)
    return time.perf_counter() - start


def cost(pairs: int, precision: str) -> None:
    """On a CPU with AMX or AVX-512 BF16, `ONEDNN_MAX_CPU_ISA=AVX2` with `--precision fp32` is the AVX2 path."""
    clip, style = need("video/mdn_flower.mp4"), need("style/neuralstyle_starry_night.jpg")
    base = ["video", str(clip), "-s", str(style), "--max-size", "640", "--precision", precision, "-q", "-o"]
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 "unknown CPU")
    flags = open("/proc/cpuinfo").read()
    isa = [f for f in ("amx_bf16", "avx512_bf16", "avx512f", "avx2") if f in flags]
    print(f"{model}, {', '.join(isa)}; ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', 'unset')}, "
          f"--precision {precision}", flush=True)
    ratios = []
    for i in range(pairs):
        order = [("off", OUT / "cost_off.mp4"), ("auto", OUT / "cost_auto.mp4")]
        times = {}
        for mode, out in order if i % 2 else order[::-1]:
            times[mode] = run([*base, str(out), "--cuts", mode])
        ratios.append(times["auto"] / times["off"])
        print(f"  pair {i + 1}: cuts off {times['off']:.1f} s, auto {times['auto']:.1f} s, ratio {ratios[-1]:.3f}",
              flush=True)
    print(f"detection cost: median ratio {statistics.median(ratios):.3f} over {pairs} pairs (target <= 1.03)")


def window(pairs: int, precision: str) -> None:
    import copy

    import torch

    from vidstyle.core.device import autocast, pick_precision, torch_threads
    from vidstyle.shots.detect import _load_transnet, thumbnail

    dtype = pick_precision(torch.device("cpu"), precision)
    print(cpu_line(), f"; TransNetV2 in {dtype or torch.float32}, 1 thread", flush=True)
    thumbs = [thumbnail(rgb) for rgb in decode(need("video/mdn_flower.mp4"))[:100]]
    batch = torch.from_numpy(np.stack(thumbs))[None]
    ours = _load_transnet("cpu")
    package = copy.deepcopy(ours)
    for stack in package.SDDCNN:
        stack.pool = torch.nn.AvgPool3d((1, 2, 2))

    def timed(model) -> tuple[float, torch.Tensor]:
        start = time.process_time()
        with torch_threads(1), torch.inference_mode(), autocast(torch.device("cpu"), dtype):
            for _ in range(5):
                out = model.predict_raw(batch)[0]
        return (time.process_time() - start) / 5 * 1000, out

    timed(ours), timed(package)  # warm-up: oneDNN's kernels are made on first use
    ratios = []
    for i in range(pairs):
        if i % 2:
            (a, got), (b, want) = timed(ours), timed(package)
        else:
            (b, want), (a, got) = timed(package), timed(ours)
        ratios.append(a / b)
        print(f"  round {i + 1}: vidstyle {a:.0f}, package {b:.0f} CPU ms a window, ratio {a / b:.3f}", flush=True)
    print(f"median ratio {statistics.median(ratios):.3f} over {pairs} rounds; verdicts differ by at most "
          f"{(got - want).abs().max().item():.2g}")


def mean_brightness(frames: list[np.ndarray]) -> np.ndarray:
    return np.array([float(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY).mean()) for f in frames])


def fades() -> None:
    src = read_frames(need("video/mdn_flower.mp4"), 120, (640, 360))
    ramp = [(f * (1 - (i + 1) / 30)).astype(np.uint8) for i, f in enumerate(src[-30:])]
    clip = OUT / "fade_to_black.mp4"
    join_shots(clip, [src[:-30] + ramp], fps=30)
    source = mean_brightness(decode(clip))
    for backend in (["-b", "adain", "-s", str(need("style/neuralstyle_starry_night.jpg"))], ["-b", "fast",
                                                                                            "--style-id", "19"]):
        out = OUT / f"fade_{backend[1]}.mp4"
        run(["video", str(clip), *backend, "-o", str(out), "-q"])
        frames = decode(out)
        got = mean_brightness(frames)
        gap = np.abs(got - source)
        print(f"{backend[1]}: source mean {source[0]:.1f} -> {source[-1]:.1f}, output {got[0]:.1f} -> {got[-1]:.1f}; "
              f"black frame max {frames[-1].max()}; largest |output - source| mean brightness {gap.max():.1f} of 255 "
              f"at frame {gap.argmax()} (target <= 25.5); normal frames (0-89): {gap[:90].max():.1f}")
        for n in (0, 89, 95, 100, 105, 110, 115, 119):
            print(f"    frame {n}: source {source[n]:6.1f}  output {got[n]:6.1f}")
        strip = np.concatenate([frames[n] for n in (60, 95, 105, 112, 119)], 1)
        cv2.imwrite(str(OUT / f"fade_{backend[1]}.png"), strip[..., ::-1])


def bars() -> None:
    """Lossless throughout first (source and outputs at crf 0), so that the picture can be compared with a run on
    the same pixels unpadded (AdaIN turns the 1-2 levels of two lossy encodes into 10); then at the default crf."""
    src = read_frames(need("video/mdn_flower.mp4"), 48, (640, 268))
    pad = (360 - 268) // 2
    boxed, plain = OUT / "letterboxed.mp4", OUT / "unboxed.mp4"
    join_shots(boxed, [[np.pad(f, ((pad, pad), (0, 0), (0, 0))) for f in src]], crf=0)
    join_shots(plain, [src], crf=0)
    style = str(need("style/neuralstyle_starry_night.jpg"))
    for name, clip, extra in [("keep", boxed, ["--crf", "0"]), ("plain", plain, ["--crf", "0"]),
                              ("paint", boxed, ["--bars", "paint"]), ("default", boxed, [])]:
        run(["video", str(clip), "-s", style, "-o", str(OUT / f"bars_{name}.mp4"), "-q", *extra])
    keep, ref, paint, default = (decode(OUT / f"bars_{m}.mp4") for m in ("keep", "plain", "paint", "default"))

    def bar_max(frames: list[np.ndarray], margin: int = 0) -> int:
        return max(int(max(f[:pad - margin].max(), f[pad + 268 + margin:].max())) for f in frames)

    diff = np.mean([np.abs(k[pad:-pad].astype(float) - r).mean() / 255 for k, r in zip(keep, ref)])
    print(f"bars keep, lossless: bar maximum {bar_max(keep)} of 255, {bar_max(keep, 2)} beyond the 2 rows next to "
          f"the picture (4:2:0 chroma is shared and interpolated across them) (target <= 16); picture against the "
          f"unpadded run: mean |diff| {diff:.5f} (target <= 0.004)")
    print(f"bars keep, default crf 18: bar maximum {bar_max(default)}, {bar_max(default, 4)} beyond 4 px from the "
          f"picture (the codec's ringing at its edge); with --bars paint the bars reach {bar_max(paint)}")
    cv2.imwrite(str(OUT / "bars.png"), np.concatenate([default[24], paint[24]], 1)[..., ::-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("parts", nargs="*", default=["detect", "state", "cost", "fades", "bars"])
    ap.add_argument("--pairs", type=int, default=4, help="cost and window: rounds")
    ap.add_argument("--precision", default="auto", help="cost and window: the jobs' --precision "
                    "(fp32 for the AVX2 path)")
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    for part in args.parts:
        print(f"== {part}", flush=True)
        globals()[part](args.pairs, args.precision) if part in ("cost", "window") else globals()[part]()


if __name__ == "__main__":
    main()
