"""Odd frame geometries: every size is either stylized right or refused with the stated one-line error.

Widths and heights from 1 to 64 (a grid of them) and aspect ratios up to 1:250, as 3-frame clips with a tone
through `vidstyle video`'s job, and as stills through `vidstyle image`'s, per backend. A clip passes when the
output has every frame at the size asked for; a refusal passes when it is a UserError (one line, exit 2).
Anything else is printed as UNEXPECTED.
Usage: python benchmarks/geometries.py [--backends adain fast iterative]
"""

from __future__ import annotations

import argparse
import tempfile
import traceback
from pathlib import Path

import av
from common import OUT
from PIL import Image

from vidstyle.core.errors import UserError
from vidstyle.jobs.run import run_image, run_video
from vidstyle.media.frames import MIN_SIDE, fit_size
from vidstyle.media.synthetic import scene, write_clip
from vidstyle.settings import resolve
from vidstyle.settings.presets import builtin_style

SIDES = [1, 2, 3, 5, 7, 8, 9, 12, 15, 16, 17, 31, 33, 64]
LONG = [(250, 1), (1000, 4), (2000, 8), (8, 2000), (4000, 16)]


def settings_for(backend: str):
    values = {"adain": {"style": [builtin_style("strokes")]}, "fast": {"backend": "fast"},
              "iterative": {"backend": "iterative", "style": [builtin_style("strokes")], "iterations": 2,
                            "iterations_later": 1, "scales": 2}}[backend]
    return resolve(None, {**values, "cuts": "off", "max_size": 1000})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", nargs="+", default=["adain", "fast", "iterative"])
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    sizes = [(w, h) for w in SIDES for h in SIDES] + LONG
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        folder = Path(tmp)
        for backend in args.backends:
            settings = settings_for(backend)
            counts = {"clip ok": 0, "still ok": 0, "refused": 0, "UNEXPECTED": 0}
            for w, h in sizes:
                clip, still = folder / f"c{w}x{h}.mp4", folder / f"s{w}x{h}.png"
                write_clip(clip, w, h, frames=3, fps=12, audio=True, pix_fmt="yuv444p")
                Image.fromarray(scene(w, h, 0.0)).save(still)
                tw, th = fit_size(w, h, 1000)
                for kind, run in [("clip", lambda: run_video(clip, folder / "o.mp4", settings, quiet=True)),
                                  ("still", lambda: run_image(still, folder / "o.png", settings, quiet=True))]:
                    try:
                        run()
                        if kind == "clip":
                            with av.open(str(folder / "o.mp4")) as c:
                                got = [(f.width, f.height) for f in c.decode(video=0)]
                            ok = got == [(tw, th)] * 3
                        else:
                            ok = Image.open(folder / "o.png").size == fit_size(w, h, 1000, even=False)
                        counts[f"{kind} ok" if ok else "UNEXPECTED"] += 1
                        if not ok:
                            print(f"UNEXPECTED {backend} {kind} {w}x{h}: wrong output")
                    except UserError as exc:
                        counts["refused"] += 1
                        if min(tw, th) >= MIN_SIDE:
                            print(f"refused {backend} {kind} {w}x{h}: {exc}")
                    except Exception:  # noqa: BLE001 - what the sweep is for
                        counts["UNEXPECTED"] += 1
                        print(f"UNEXPECTED {backend} {kind} {w}x{h}:\n{traceback.format_exc(limit=2)}")
            print(f"{backend}: {len(sizes)} sizes: " + ", ".join(f"{k} {v}" for k, v in counts.items()), flush=True)


if __name__ == "__main__":
    main()
