"""Peak memory of `vidstyle video` on a long clip against a short one of the same frame size (by default 20 s
against 5 s of mdn_flower: 600 frames against 150).

Both inputs are cut from one real clip (looped); each run is a fresh process and its peak RSS comes from the
kernel (wait4). Usage: python benchmarks/memory.py [--max-size 320] [--backend fast] [--seconds 5 20]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from fractions import Fraction

import av
from common import OUT, ROOT, need


def looped(clip, seconds: float):
    """Re-encode `clip` played in a loop for `seconds` (video and audio)."""
    out = OUT / f"loop_{clip.stem}_{seconds:g}s.mp4"
    if out.exists():
        return out
    OUT.mkdir(exist_ok=True)
    with av.open(str(clip)) as src:
        duration = float(src.duration / av.time_base)
    tb = Fraction(1, 90000)
    with av.open(str(out), "w") as dst:
        vs = None
        t0 = 0.0
        done = False
        while not done:
            with av.open(str(clip)) as src:
                for frame in src.decode(src.streams.video[0]):
                    t = t0 + float(frame.pts * frame.time_base)
                    if t >= seconds:
                        done = True
                        break
                    if vs is None:
                        vs = dst.add_stream("libx264", rate=src.streams.video[0].average_rate)
                        vs.width, vs.height, vs.pix_fmt = frame.width, frame.height, "yuv420p"
                        vs.time_base = vs.codec_context.time_base = tb
                        vs.options = {"preset": "veryfast"}
                    frame.pts, frame.time_base = round(t / tb), tb
                    frame.pict_type = av.video.frame.PictureType.NONE
                    for p in vs.encode(frame):
                        dst.mux(p)
            t0 += duration
        for p in vs.encode(None):
            dst.mux(p)
    return out


def peak_rss_mb(args: list[str]) -> float:
    proc = subprocess.Popen([sys.executable, "-m", "vidstyle.cli", *args], cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"run failed: {args}")
    return usage.ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip", default="mdn_flower.mp4")
    ap.add_argument("--style", default="neuralstyle_starry_night.jpg")
    ap.add_argument("--max-size", type=int, default=320)
    ap.add_argument("--backend", default="adain", choices=("adain", "fast"))
    ap.add_argument("--seconds", type=float, nargs=2, default=[5, 20])
    args = ap.parse_args()
    clip = need(f"video/{args.clip}")
    style = need(f"style/{args.style}")
    look = ["-s", str(style)] if args.backend == "adain" else ["--backend", "fast", "--style-id", "19"]
    peaks = {}
    short, long = args.seconds
    for seconds in (short, long):
        src = looped(clip, seconds)
        peaks[seconds] = peak_rss_mb(["video", str(src), *look, "-o", str(OUT / f"mem_{seconds:g}.mp4"),
                                      "--max-size", str(args.max_size), "--quiet", "--no-resume"])
        print(f"{seconds:>4g} s clip ({src.name}): peak RSS {peaks[seconds]:.0f} MiB", flush=True)
    print(f"{args.backend}: {long:g} s / {short:g} s peak memory: {peaks[long] / peaks[short]:.3f} (target <= 1.10)")


if __name__ == "__main__":
    main()
