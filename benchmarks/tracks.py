"""The carried term's tracks at a fraction of the frame (vidstyle.temporal.carry.TRACK_SIDE) against tracks at the
frame's own size: the fast backend on the same excerpt both ways, lossless, and the ratios of warping error, style
distance, content distance and detail (benchmarks/temporal.py's measures, every --every frames).

Figures (AMD EPYC; 30 frames at 1920 px, every 2nd frame; tracks at 960x540 against 1920x1080): adain_cutBunny
warping 1.007x, style 0.996x; the cockatoo 1.002x, 0.999x.

    python benchmarks/tracks.py [--frames 30] [--max-size 1920] [--every 2] [CLIP ...]
"""

from __future__ import annotations

import argparse

import temporal
from common import OUT, excerpt

from vidstyle.jobs.run import run_video
from vidstyle.settings import resolve
from vidstyle.temporal import carry


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("clips", nargs="*", default=["adain_cutBunny.mp4", "imageio_cockatoo_yuv444_silentmp3.mp4"])
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--max-size", type=int, default=1920, help="the excerpt's long side")
    ap.add_argument("--every", type=int, default=2, help="frames between those measured")
    args = ap.parse_args()
    temporal.EVERY = args.every
    default = carry.TRACK_SIDE
    for name in args.clips:
        clip = excerpt(temporal.source_of(name), args.frames, args.max_size)
        outs = {}
        for label, side in (("fraction", default), ("frame", 1 << 16)):
            carry.TRACK_SIDE = side
            outs[label] = OUT / "temporal" / f"tracks_{label}_{clip.stem}.mp4"
            settings = resolve(None, {"backend": "fast", "crf": 0, "style_id": [19]})
            run_video(clip, outs[label], settings, quiet=True, resume=False)
        carry.TRACK_SIDE = default
        figures = temporal.measure(clip, outs, "fast")
        h, w = carry.track_size(*_size(clip))
        ratios = ", ".join(f"{k} {figures['fraction'][k] / figures['frame'][k]:.3f}x" for k in figures["frame"])
        print(f"{name}: tracks at {w}x{h} against the frame's size: {ratios}", flush=True)


def _size(clip) -> tuple[int, int]:
    import av

    with av.open(str(clip)) as c:
        s = c.streams.video[0].codec_context
        return s.height, s.width


if __name__ == "__main__":
    main()
