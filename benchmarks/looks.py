"""A look per shot and over time (vidstyle.settings.looks), measured on real clips with `vidstyle video`'s own job.

  shots       three real shots joined by hard cuts, each with its own [[shot]] look (adain: three paintings;
              fast: built-in styles 0, 12, 19, whose "painting" is that style's rendering of a shared photo):
              the Gram distance (relu1_1..relu4_1, normalised VGG) of each shot's frames to each painting.
              Target: each shot closest to its own.
  transition  one shot of mdn_flower, a second look from frame 24 with a 24-frame transition (--backend):
              the distance to the second painting frame by frame (target: falls over the transition, codec noise
              allowed), and the warping error over the transition against the shot's mean (target <= 1.2x).
  keyframes   mdn_flower with alpha = { "0:00" = 1.0, "0:04.5" = 0.3 } (adain): the rank correlation of each
              frame's content distance (relu4_1 against its source) with its alpha (target >= 0.9).
Usage: python benchmarks/looks.py [shots|transition|keyframes ...] [--max-size 320] [--backend adain|fast]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from common import OUT, need

from vidstyle.flow import make_estimator
from vidstyle.jobs.metrics import ContentDistance, StyleDistance, warping_error
from vidstyle.jobs.run import run_video
from vidstyle.media.images import load_image, resize_short_side
from vidstyle.media.synthetic import join_shots, read_frames
from vidstyle.settings import resolve
from vidstyle.backends.base import stylize_image

PAINTINGS = ["neuralstyle_starry_night.jpg", "fns_lua_wave.jpg", "lengstrom_the_scream.jpg"]
FAST_STYLES = [0, 12, 19]
CLIPS = [("mdn_flower.mp4", 0), ("adain_cutBunny.mp4", 40), ("mdn_stream-of-water.mp4", 0)]


def decoded(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def job(text: str, clip: Path, out: Path) -> list[np.ndarray]:
    """`vidstyle video CLIP -p PRESET -o OUT` with a preset written from `text`; the output's frames."""
    with tempfile.TemporaryDirectory() as tmp:
        preset = Path(tmp) / "looks.toml"
        preset.write_text(text, encoding="utf-8")
        run_video(clip, out, resolve(str(preset)), quiet=True)
    return decoded(out)


def toml_path(path: Path) -> str:
    return f'"{path.as_posix()}"'


def shots(args: argparse.Namespace) -> None:
    size = (args.max_size, args.max_size * 9 // 16)
    parts = [read_frames(need(f"video/{name}"), args.frames, size, skip=skip) for name, skip in CLIPS]
    clip = OUT / "looks_three_shots.mp4"
    starts = join_shots(clip, parts, fps=24)
    bounds = [*starts, sum(len(p) for p in parts)]
    print(f"{len(CLIPS)} shots of {args.frames} frames at {size[0]}x{size[1]}, hard cuts at {starts[1:]}")
    cuts = OUT / "looks_three_shots.cuts"
    cuts.write_text("".join(f"{s}f\n" for s in starts[1:]))
    photo = resize_short_side(load_image(need("content/imageio_chelsea.png")).rgb, size[1])
    fast_refs = []
    for i in FAST_STYLES:  # a built-in style's painting: its rendering of a photo
        net = resolve(None, {"backend": "fast", "style_id": [i]}).build()
        fast_refs.append((stylize_image(net, photo) * 255 + 0.5).astype(np.uint8))
    backends = {
        "adain": ('backend = "adain"\n', lambda k: f"style = [{toml_path(need('style/' + PAINTINGS[k]))}]",
                  [resize_short_side(load_image(need("style/" + p)).rgb, 512) for p in PAINTINGS]),
        "fast": ('backend = "fast"\n', lambda k: f"style_id = [{FAST_STYLES[k]}]", fast_refs),
    }
    for backend, (head, look, refs) in backends.items():
        text = head + look(0) + f"\ncuts = {toml_path(cuts)}\n" + "".join(
            f"[[shot]]\nshot = {k + 1}\n{look(k)}\n" for k in range(1, len(CLIPS)))
        frames = job(text, clip, OUT / f"looks_shots_{backend}.mp4")
        distances = [StyleDistance(r) for r in refs]
        ok = True
        print(f"{backend}: mean Gram distance of each shot's frames to each painting (every 4th frame)")
        for k in range(len(CLIPS)):
            row = [np.mean([d(f) for f in frames[bounds[k]:bounds[k + 1]:4]]) for d in distances]
            ok &= int(np.argmin(row)) == k
            print(f"  shot {k + 1}: " + "  ".join(f"{v:8.4f}{'*' if j == k else ' '}" for j, v in enumerate(row)),
                  flush=True)
        print(f"{backend}: each shot closest to its own painting: {ok}")


def transition(args: argparse.Namespace) -> None:
    clip = need("video/mdn_flower.mp4")
    start, frames_n = 24, 24
    head = f'backend = "{args.backend}"\nmax_size = {args.max_size}\ncuts = "off"\n'
    if args.backend == "fast":
        first, second = f"style_id = [{FAST_STYLES[0]}]", f"style_id = [{FAST_STYLES[1]}]"
    else:
        a, b = (need("style/" + p) for p in PAINTINGS[:2])
        first, second = f"style = [{toml_path(a)}]", f"style = [{toml_path(b)}]"
    text = f'{head}{first}\n[[shot]]\nstart = "{start}f"\n{second}\ntransition = {frames_n}\n'
    print(f"{args.backend}: mdn_flower at {args.max_size} px, the second look from frame {start}, "
          f"transition {frames_n} frames")
    out = job(text, clip, OUT / f"looks_transition_{args.backend}.mp4")
    import cv2

    src = [cv2.resize(f, (o.shape[1], o.shape[0]), interpolation=cv2.INTER_AREA) for f, o in zip(decoded(clip), out)]
    span = range(start - 2, start + frames_n + 2)
    if args.backend == "fast":  # the built-in style's "painting": its own rendering of the same frame
        second_only = job(f"{head}{second}\n", clip, OUT / "looks_second_fast.mp4")
        dist = [StyleDistance(second_only[i])(out[i]) for i in span]
    else:
        target = StyleDistance(resize_short_side(load_image(b).rgb, 512))
        dist = [target(out[i]) for i in span]
    print("distance to the second painting, frames " + f"{span.start}-{span.stop - 1}:")
    print("  " + " ".join(f"{d:.3f}" for d in dist))
    inside = dist[2:2 + frames_n + 1]
    rises = [(span.start + 2 + i, inside[i + 1] - inside[i]) for i in range(len(inside) - 1)
             if inside[i + 1] > inside[i]]
    total = inside[0] - inside[-1]
    print(f"over the transition it falls {inside[0]:.3f} -> {inside[-1]:.3f}; rises: "
          + (", ".join(f"frame {i} +{r:.4f} ({100 * r / total:.1f}% of the fall)" for i, r in rises) or "none"))
    dis = make_estimator("dis")
    plain = job(text.split("[[shot]]")[0], clip, OUT / f"looks_plain_{args.backend}.mp4")  # the first look only
    for name, frames in [("with the transition", out), ("first look throughout", plain)]:
        errors = [warping_error(src[i], src[i + 1], frames[i], frames[i + 1], dis) for i in range(len(frames) - 1)]
        during = np.mean(errors[start - 1:start + frames_n])
        print(f"warping error {name}: shot mean {np.mean(errors):.6f}, over frames {start - 1}-{start + frames_n} "
              f"{during:.6f}, ratio {during / np.mean(errors):.3f}" + (" (target <= 1.2)" if frames is out else ""))
    tiles = [out[i] for i in (start - 1, start + 6, start + 12, start + 18, start + frames_n)]
    from PIL import Image

    Image.fromarray(np.concatenate(tiles, axis=1)).save(OUT / f"looks_transition_{args.backend}.png")


def keyframes(args: argparse.Namespace) -> None:
    clip = need("video/mdn_flower.mp4")
    style = need("style/" + PAINTINGS[0])
    text = (f"style = [{toml_path(style)}]\nmax_size = {args.max_size}\ncuts = \"off\"\n"
            'alpha = { "0:00" = 1.0, "0:04.5" = 0.3 }\n')
    out = job(text, clip, OUT / "looks_keyframes.mp4")
    import av
    import cv2

    with av.open(str(clip)) as c:
        stream = c.streams.video[0]
        times = [float(f.pts * stream.time_base) for f in c.decode(video=0)]
    src = [cv2.resize(f, (o.shape[1], o.shape[0]), interpolation=cv2.INTER_AREA) for f, o in zip(decoded(clip), out)]
    alphas = [1.0 + (0.3 - 1.0) * min(t / 4.5, 1.0) for t in times]
    content = ContentDistance()
    loss = [content(o, s) for o, s in zip(out, src)]
    rho = spearman(np.array(alphas), np.array(loss))
    print(f"{len(out)} frames: content distance {loss[0]:.3f} at alpha 1.0 -> {loss[-1]:.3f} at 0.3; rank "
          f"correlation with alpha {rho:.3f} (target >= 0.9)")


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    def ranks(x: np.ndarray) -> np.ndarray:
        order = x.argsort(kind="stable")
        r = np.empty(len(x))
        r[order] = np.arange(len(x))
        for v in np.unique(x):  # ties share their mean rank
            r[x == v] = r[x == v].mean()
        return r

    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("parts", nargs="*", default=["shots", "transition", "keyframes"])
    ap.add_argument("--max-size", type=int, default=320)
    ap.add_argument("--frames", type=int, default=24, help="frames per shot (shots)")
    ap.add_argument("--backend", choices=("adain", "fast"), default="adain", help="transition: which backend")
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    for part in args.parts:
        {"shots": shots, "transition": transition, "keyframes": keyframes}[part](args)


if __name__ == "__main__":
    main()
