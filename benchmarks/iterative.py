"""The iterative backend: quality on stills, the warm start on a clip, and memory at 720p.

  python benchmarks/iterative.py quality  [--size 512] [--iterations 300] [--pairs 0 1 2] [--precision auto]
                                          [--style-weight W]
      3 photo/painting pairs: the style loss of the content-initialised start and of the result (target: 100x
      lower); images in bench-out/iterative_*.png.
  python benchmarks/iterative.py warmstart [--frames 48] [--size 360] [--iterations 150]
      adain_cutBunny, two runs side by side: (A) the video mode (frame 0 coarse to fine; later frames from the
      warped previous output, with the temporal loss, capped at a third of frame 0's iterations) and (B) each
      frame from scratch like frame 0 (no temporal loss). Both stop a frame once its content+style loss is
      down to frame 0's final one. Prints iterations per frame, times, and the warping error of both.
  python benchmarks/iterative.py memory [--size 1280]
      peak RSS of one multi-scale 720p frame (a few iterations per scale), and the message when it cannot fit.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

import cv2
import numpy as np
import torch
from common import OUT, ROOT, need

from vidstyle.backends.iterative.options import IterativeOptions
from vidstyle.backends.iterative.stylizer import IterativeStylizer
from vidstyle.core.options import CommonOptions
from vidstyle.flow import make_estimator
from vidstyle.jobs.metrics import warping_error
from vidstyle.media.frames import Frame
from vidstyle.media.images import load_image
from vidstyle.media.source import VideoSource
from vidstyle.temporal.motion import estimate_motion
from vidstyle.backends.base import stylize_image

PAIRS = [("neuralstyle_tubingen.jpg", "neuralstyle_starry_night.jpg"),
         ("imageio_kodim03.png", "fns_lua_wave.jpg"),
         ("imageio_astronaut.png", "fns_lua_composition_vii.jpg")]


def fit(rgb: np.ndarray, size: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    s = size / max(h, w)
    return cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA) if s < 1 else rgb


def to_u8(x: np.ndarray) -> np.ndarray:
    return (x * 255.0 + 0.5).astype(np.uint8)


def quality(args: argparse.Namespace) -> None:
    OUT.mkdir(exist_ok=True)
    for photo, painting in [PAIRS[i] for i in args.pairs] if args.pairs else PAIRS:
        content = fit(load_image(need(f"content/{photo}")).rgb, args.size)
        options = IterativeOptions(iterations=args.iterations,
                                   **({"style_weight": args.style_weight} if args.style_weight else {}))
        z = IterativeStylizer(CommonOptions(style=[need(f"style/{painting}")], precision=args.precision), options,
                              0.0, torch.device("cpu"))
        start = z.measure(content, content)
        t = time.perf_counter()
        out = to_u8(stylize_image(z, content))
        seconds = time.perf_counter() - t
        iterations = z.frame_iterations
        end = z.measure(out, content)
        name = OUT / f"iterative_{photo.split('.')[0]}_{painting.split('.')[0]}.png"
        cv2.imwrite(str(name), np.concatenate([content, out], 1)[..., ::-1])
        print(f"{photo} x {painting} at {content.shape[1]}x{content.shape[0]}: style loss {start.style:.4f} -> "
              f"{end.style:.5f} ({start.style / end.style:.0f}x lower; target >= 100x), content loss "
              f"{end.content:.3f}, {iterations} iterations over all scales, {seconds:.0f} s -> {name.name}",
              flush=True)


def frames(clip, count: int, size: int) -> list[np.ndarray]:
    out = []
    with VideoSource(clip) as src:
        for item in src.frames(size):
            if isinstance(item, Frame):
                out.append(item.rgb)
                if len(out) == count:
                    break
    return out


def warmstart(args: argparse.Namespace) -> None:
    clip = need("video/adain_cutBunny.mp4")
    style = need("style/neuralstyle_starry_night.jpg")
    src = frames(clip, args.frames, args.size)
    dis = make_estimator("dis")
    motions = [None] + [estimate_motion(dis, a, b) for a, b in zip(src, src[1:])]
    options = IterativeOptions(iterations=args.iterations, iterations_later=args.iterations // 3, tolerance=0)
    print(f"{len(src)} frames of {clip.name} at {src[0].shape[1]}x{src[0].shape[0]}, frame 0: {args.iterations} "
          f"iterations coarse to fine", flush=True)

    def run(video_mode: bool) -> tuple[list[np.ndarray], list[int], float, float, int]:
        z = IterativeStylizer(CommonOptions(style=[style]), options, 100.0 if video_mode else 0.0,
                              torch.device("cpu"))
        outs, iters = [], []
        reached = 0  # later frames that got down to frame 0's loss within their iterations
        started = time.perf_counter()
        for i, rgb in enumerate(src):
            outs.append(to_u8(stylize_image(z, rgb, motions[i] if video_mode else None)))
            iters.append(z.frame_iterations)
            if i == 0:
                z.stop_at = z.last.fit  # every later frame stops at frame 0's final loss
            else:
                reached += z.last.fit <= z.stop_at
            if not video_mode:
                z._prev = None  # from scratch
        return outs, iters, time.perf_counter() - started, z.stop_at, reached

    a_out, a_iters, a_time, target, a_reached = run(True)
    print(f"A video mode: {a_time:.0f} s; later frames' iterations to frame 0's loss {target:.4f}: median "
          f"{np.median(a_iters[1:]):.0f}, 90th percentile {np.percentile(a_iters[1:], 90):.0f}, max "
          f"{max(a_iters[1:])} (cap {args.iterations // 3} = a third of {args.iterations}); {a_reached} of "
          f"{len(src) - 1} reached it", flush=True)
    b_out, b_iters, b_time, _, b_reached = run(False)
    print(f"B from scratch: {b_time:.0f} s; iterations per frame (all scales): median "
          f"{np.median(b_iters[1:]):.0f}; {b_reached} of {len(src) - 1} reached frame 0's loss", flush=True)
    wa = np.mean([warping_error(s0, s1, o0, o1, dis) for s0, s1, o0, o1 in zip(src, src[1:], a_out, a_out[1:])])
    wb = np.mean([warping_error(s0, s1, o0, o1, dis) for s0, s1, o0, o1 in zip(src, src[1:], b_out, b_out[1:])])
    print(f"time A/B {a_time / b_time:.3f} (target <= 0.40); warping error A {wa:.5f} vs B {wb:.5f}: ratio "
          f"{wa / wb:.3f} (target <= 0.5)", flush=True)
    OUT.mkdir(exist_ok=True)
    for n in (0, len(src) // 2, len(src) - 1):
        row = np.concatenate([src[n], a_out[n], b_out[n]], 1)
        cv2.imwrite(str(OUT / f"iterative_bunny_{n:02d}.png"), row[..., ::-1])


def memory(args: argparse.Namespace) -> None:
    code = (f"import resource, numpy as np, torch; from vidstyle.core.options import CommonOptions; "
            f"from vidstyle.backends.iterative.options import IterativeOptions; "
            f"from vidstyle.backends.iterative.stylizer import IterativeStylizer; "
            f"from vidstyle.media.synthetic import scene; from vidstyle.settings.presets import builtin_style; "
            f"from vidstyle.backends.base import stylize_image; "
            f"z = IterativeStylizer(CommonOptions(style=[builtin_style('strokes')]), IterativeOptions("
            f"iterations=9, scales=3, tolerance=0), 0.0, torch.device('cpu')); "
            f"t = __import__('time').perf_counter(); stylize_image(z, scene({args.size}, {args.size * 9 // 16}, 0.0)); "
            f"print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "
            f"round(__import__('time').perf_counter() - t))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    peak, seconds = proc.stdout.split()
    print(f"{args.size}x{args.size * 9 // 16}, 3 scales, 3 iterations each: peak RSS {peak} MiB ({seconds} s)")
    # The same frame in a process limited to 1.5 GiB of address space above what torch needs to load.
    limit = 6 << 30
    proc = subprocess.run([sys.executable, "-m", "vidstyle.cli", "image", str(need("content/mdn_ice-cream.jpg")),
                           "--backend", "iterative", "-s", str(need("style/fns_lua_wave.jpg")), "--iterations", "3",
                           "--scales", "1", "-o", str(OUT / "oom.png")], capture_output=True, text=True, cwd=ROOT,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit)))
    print(f"under a {limit >> 30} GiB address-space limit at full size: exit {proc.returncode}: "
          f"{proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.stdout.strip()}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["quality", "warmstart", "memory"])
    ap.add_argument("--size", type=int)
    ap.add_argument("--iterations", type=int)
    ap.add_argument("--frames", type=int, default=48)
    ap.add_argument("--pairs", type=int, nargs="*", help="quality: which of the 3 pairs (0-2)")
    ap.add_argument("--precision", default="auto", help="quality: auto, fp32 or bf16")
    ap.add_argument("--style-weight", type=float, help="quality: instead of the default")
    args = ap.parse_args()
    defaults = {"quality": (512, 300), "warmstart": (360, 150), "memory": (1280, 9)}[args.what]
    args.size = args.size or defaults[0]
    args.iterations = args.iterations or defaults[1]
    {"quality": quality, "warmstart": warmstart, "memory": memory}[args.what](args)


if __name__ == "__main__":
    main()
