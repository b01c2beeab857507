"""Temporal consistency against the painting: each backend's default temporal term against temporal-off.

Per clip and backend (adain with the starry night; fast with style 19), both runs at the backend's defaults
(weight, flow size, shot detection), on the clip's first --frames frames at --max-size (an excerpt made once,
benchmarks/common.py excerpt), and for each:
  - the warping error (Lai et al. 2018, DIS flow on the source, every pair);
  - the Gram style distance (relu1_1..relu4_1 of the normalised VGG), to the style image for adain, and for fast
    (whose styles come with no image) to its style painted on a photo (neuralstyle_tubingen at 512 px);
  - the content distance (relu4_1, output against its source frame);
  - the high-frequency energy (variance of the Laplacian of the grey output), over the frame and where the
    source moves more than 2 px a frame (DIS at the output's size): the brush texture the term may wash out;
the last four on every 5th frame. Both runs are written losslessly (--crf 0): the Gram distance reads the
fast network's 1-2 px grain, and an encoder keeps that grain in frames that change (temporal-off) and smooths it
in frames it predicts from the last (temporal-on): at the default CRF 18, re-encoding temporal-off frames alone
raised their style distance 2.9x (fast, adain_cutBunny), and carried frames measured 2.7x where their lossless
copies measured 0.84x. --crf 18 measures what the default delivers, the encoder included.
Then the on/off ratios against the targets (warping error <= 0.5, style
distance <= 1.15, content distance <= 1.10), and a table at the end.
`--all` takes every shared clip with 10 frames or more of motion and the two Sintel frame sequences.

Usage: python benchmarks/temporal.py [--backends adain fast] [--max-size 640] [--frames 60] [--all | CLIP ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import av
import cv2
import numpy as np
from common import MEDIA, OUT, excerpt, name_tag, need
from PIL import Image

from vidstyle.backends.base import stylize_image
from vidstyle.flow import make_estimator
from vidstyle.jobs.evaluate import evaluate_clip
from vidstyle.jobs.metrics import ContentDistance, StyleDistance
from vidstyle.jobs.run import run_video
from vidstyle.media.images import resize_short_side
from vidstyle.media.synthetic import write_frames
from vidstyle.settings import resolve

SEQUENCES = ["mpi_sintel_alley_1/final", "sintel_raft_demo"]  # frame folders under media/flow
STYLE = "neuralstyle_starry_night.jpg"
EVERY = 5  # frames between those the style, content and detail figures are taken on
TARGETS = {"warping": 0.5, "style": 1.15, "content": 1.10}


def frame_count(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for p in c.demux(c.streams.video[0]) if p.size)


def every_clip() -> list[str]:
    clips = [p.name for p in sorted((MEDIA / "video").iterdir()) if "corrupt" not in p.name]
    return [c for c in clips if frame_count(MEDIA / "video" / c) >= 10] + SEQUENCES


def source_of(name: str) -> Path:
    """A shared clip, or a frame sequence encoded (CRF 4, 24 fps) into bench-out."""
    if name not in SEQUENCES:
        return need(f"video/{name}")
    out = OUT / f"seq_{name.replace('/', '_')}.mp4"
    if not out.exists():
        OUT.mkdir(exist_ok=True)
        frames = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(need(f"flow/{name}").glob("*.png"))]
        write_frames(out, [f[: f.shape[0] // 2 * 2, : f.shape[1] // 2 * 2] for f in frames], options={"crf": "4"})
    return out


def decode(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def detail(rgb: np.ndarray, mask: np.ndarray | None = None) -> float:
    lap = cv2.Laplacian(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32), cv2.CV_32F)
    return float(lap.var() if mask is None else lap[mask].var()) if mask is None or mask.any() else float("nan")


def fast_reference() -> np.ndarray:
    """The fast backend's style 19 painted on a photo: what its frames are measured against (it has no image)."""
    settings = resolve(None, {"backend": "fast", "style_id": [19]})
    photo = resize_short_side(np.asarray(Image.open(need("content/neuralstyle_tubingen.jpg")).convert("RGB")), 512)
    return (stylize_image(settings.build(), photo) * 255 + 0.5).astype(np.uint8)


def run(clip: Path, backend: str, weight: float | None, tag: str, crf: int = 0) -> Path:
    out = OUT / "temporal" / f"{tag}.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    look = {"style": [need(f"style/{STYLE}")]} if backend == "adain" else {"style_id": [19]}
    settings = resolve(None, {"backend": backend, "temporal_weight": weight, "crf": crf, **look})
    run_video(clip, out, settings, quiet=True, resume=False)
    return out


def measure(clip: Path, outputs: dict[str, Path], backend: str) -> dict[str, dict[str, float]]:
    source = decode(clip)
    frames = {k: decode(p) for k, p in outputs.items()}
    picks = list(range(EVERY, len(source), EVERY))  # frame 0 has no temporal term
    if backend == "adain":
        style = StyleDistance(resize_short_side(np.asarray(Image.open(need(f"style/{STYLE}")).convert("RGB")), 512))
    else:
        style = StyleDistance(fast_reference())
    content = ContentDistance()
    est = make_estimator("dis")
    moving = {}
    for i in picks:
        flow = est(source[i], source[i - 1])
        moving[i] = np.hypot(flow[..., 0], flow[..., 1]) > 2.0
    result = {}
    for key, outs in frames.items():
        report = evaluate_clip(clip, outputs[key], quiet=True)
        result[key] = {
            "warping": report["warping_error"],
            "style": float(np.mean([style(outs[i]) for i in picks])),
            "content": float(np.mean([content(outs[i], source[i]) for i in picks])),
            "detail": float(np.mean([detail(outs[i]) for i in picks])),
            "detail_moving": float(np.nanmean([detail(outs[i], moving[i]) for i in picks])),
        }
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("clips", nargs="*", default=["mdn_flower.mp4", "imageio_cockatoo_yuv444_silentmp3.mp4"])
    ap.add_argument("--backends", nargs="+", default=["adain", "fast"])
    ap.add_argument("--max-size", type=int, default=640, help="the excerpt's long side (0: the clip's own)")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--all", action="store_true", help="every shared clip with motion and the Sintel sequences")
    ap.add_argument("--keep-off", action="store_true", help="reuse temporal-off outputs already in bench-out (they "
                    "do not depend on the temporal code): halves a survey that only changes the term")
    ap.add_argument("--crf", type=int, default=0, help="the outputs' CRF (0: lossless; the docstring says why)")
    ap.add_argument("--save", type=Path, help="write the figures as JSON")
    args = ap.parse_args()
    clips = every_clip() if args.all else args.clips
    table = []
    for name in clips:
        clip = excerpt(source_of(name), args.frames, args.max_size)
        for backend in args.backends:
            tag = f"{backend}_{name_tag(Path(name).name)}_{args.frames}_{args.max_size}_crf{args.crf}"
            outputs = {"on": run(clip, backend, None, tag + "_on", args.crf)}
            off = OUT / "temporal" / f"{tag}_off.mp4"
            outputs["off"] = off if args.keep_off and off.exists() else run(clip, backend, 0.0, tag + "_off", args.crf)
            figures = measure(clip, outputs, backend)
            on, off = figures["on"], figures["off"]
            ratios = {k: on[k] / off[k] for k in on}
            table.append((name, backend, ratios, figures))
            verdict = ", ".join(f"{k} {ratios[k]:.3f}{' (over)' if k in TARGETS and ratios[k] > TARGETS[k] else ''}"
                                for k in ratios)
            print(f"{name} {backend}: on/off {verdict}", flush=True)
    print(f"\n{args.frames} frames at {args.max_size or 'source'} px, CRF {args.crf}, the backends' defaults; "
          f"on/off ratios "
          f"(targets: warping <= {TARGETS['warping']}, style <= {TARGETS['style']}, content <= {TARGETS['content']})")
    print(f"  {'clip':40} {'backend':8} {'warping':>8} {'style':>7} {'content':>8} {'detail':>7} {'moving':>7}")
    for name, backend, r, _ in table:
        print(f"  {name:40} {backend:8} {r['warping']:8.3f} {r['style']:7.3f} {r['content']:8.3f} "
              f"{r['detail']:7.3f} {r['detail_moving']:7.3f}")
    if args.save:
        args.save.write_text(json.dumps([{"clip": n, "backend": b, "figures": f} for n, b, _, f in table], indent=1))


if __name__ == "__main__":
    main()
