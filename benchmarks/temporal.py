"""Temporal consistency vs style strength, AdaIN at 640 px: --temporal-weight 0 against the default.

Prints, per clip, the warping error (Lai et al. 2018, DIS flow on the source), the Gram style distance
(relu1_1..relu4_1 of the normalised VGG) and the content distance (relu4_1, output vs source frame), both on
every 10th frame of a clip of 100 frames or more and on every frame of a shorter one (every 10th frame of
fire2's 25 is 3 frames, one of them frame 0, which the term does not touch), for both runs, and their ratios.
`--all` takes every shared clip with motion (10 or more frames; the decord_video_* clips have 4) and the two
Sintel frame sequences of ../shared/media/flow, encoded here as near-lossless clips, and ends with a table.
Usage: python benchmarks/temporal.py [--max-size 640] [--weight W] [--flow-size N] [--keep-off] [--all | CLIP ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import av
import numpy as np
from common import MEDIA, OUT, adain_settings, name_tag, need, stylize
from PIL import Image

from vidstyle.jobs.evaluate import evaluate_clip
from vidstyle.media.synthetic import write_frames

SEQUENCES = ["mpi_sintel_alley_1/final", "sintel_raft_demo"]  # frame folders under media/flow


def frame_count(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for p in c.demux(c.streams.video[0]) if p.size)


def every_clip() -> list[str]:
    clips = [p.name for p in sorted((MEDIA / "video").iterdir()) if "corrupt" not in p.name]
    return [c for c in clips if frame_count(MEDIA / "video" / c) >= 10] + SEQUENCES


def as_clip(name: str) -> Path:
    """A shared clip, or a frame sequence encoded (CRF 4, 24 fps) into bench-out."""
    if name not in SEQUENCES:
        return need(f"video/{name}")
    out = OUT / f"seq_{name.replace('/', '_')}.mp4"
    if not out.exists():
        OUT.mkdir(exist_ok=True)
        frames = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(need(f"flow/{name}").glob("*.png"))]
        write_frames(out, [f[: f.shape[0] // 2 * 2, : f.shape[1] // 2 * 2] for f in frames], options={"crf": "4"})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("clips", nargs="*", default=["mdn_flower.mp4", "adain_cutBunny.mp4"])
    ap.add_argument("--max-size", type=int, default=640)
    ap.add_argument("--weight", type=float, help="default: the backend's")
    ap.add_argument("--style", default="neuralstyle_starry_night.jpg")
    ap.add_argument("--flow-size", type=int, help="default: the backend's")
    ap.add_argument("--all", action="store_true", help="every shared clip with motion and the Sintel sequences")
    ap.add_argument("--keep-off", action="store_true", help="reuse a temporal-off output already in bench-out (it "
                    "does not depend on the temporal code): halves a survey that only changes the term")
    args = ap.parse_args()
    if args.all:
        args.clips = every_clip()
    table = []
    style = need(f"style/{args.style}")
    args.weight = adain_settings(style).temporal_weight() if args.weight is None else args.weight
    for name in args.clips:
        clip = as_clip(name)
        rows = {}
        every = 10 if frame_count(clip) >= 100 else 1  # the frames the style and content distances are taken on
        for weight in (0.0, args.weight):
            flow = f"_f{args.flow_size}" if args.flow_size is not None and weight else ""
            out = OUT / f"temporal_{name_tag(clip.name)}_s{args.max_size}_w{weight:g}{flow}_{Path(args.style).stem}.mp4"
            keep = weight == 0 and args.keep_off and out.exists()
            if not keep:
                result = stylize(clip, style, out, args.max_size, weight, flow_size=args.flow_size)
                print(f"{name} weight {weight:g}: {result.frames} frames, {result.fps:.2f} fps", flush=True)
            saved = out.with_suffix(".json")  # the kept output's figures
            if keep and saved.exists() and saved.stat().st_mtime > out.stat().st_mtime:
                report = json.loads(saved.read_text())
            else:
                report = evaluate_clip(clip, out, style=style, quiet=True, content=True, style_every=every)
                saved.write_text(json.dumps(report))
            rows[weight] = report
            print(f"{name} weight {weight:g}: "
                  f"warping error {report['warping_error']:.6f}, style distance {report['style_distance']:.4f}, "
                  f"content distance {report['content_distance']:.4f}",
                  flush=True)
        off, on = rows[0.0], rows[args.weight]
        change = 100 * (on["style_distance"] / off["style_distance"] - 1)
        print(f"{name}: warping error ratio {on['warping_error'] / off['warping_error']:.3f} (target <= 0.5), "
              f"style distance change {change:+.1f}% (target <= +15%), "
              f"content distance ratio {on['content_distance'] / off['content_distance']:.3f} (target <= 1.10)",
              flush=True)
        table.append((name, on["warping_error"] / off["warping_error"], change,
                      on["content_distance"] / off["content_distance"]))
    flow_size = adain_settings(style, flow_size=args.flow_size).flow_size()
    print(f"\nweight {args.weight:g}, {args.max_size} px, flow at {flow_size or 'full'} px: clip, warping error "
          "on/off, style distance change, content distance on/off")
    for name, ratio, change, content in table:
        print(f"  {name:40s} {ratio:.3f} {change:+6.1f}% {content:.3f}")


if __name__ == "__main__":
    main()
