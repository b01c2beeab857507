"""Fingerprints of what `vidstyle` writes for each backend on the shared media: a hash of every decoded frame of
each output, so that a change meant to move code and not behaviour (a refactor) is checked frame for frame.

    python benchmarks/fingerprints.py --save before.json     # on the old code
    python benchmarks/fingerprints.py --compare before.json  # on the new: each case "same" or where it differs

Runs the installed `vidstyle` command, as a user does, on short segments at small sizes (a few minutes on 2 cores).
The backends are deterministic on one machine with one thread count; the encoder is too (x264 without mbtree).

A change meant to keep the look but not every bit (a port of the temporal terms, say): `--quality` runs the
first 48 frames of every shared clip with motion through adain and fast at default settings (480 px) and keeps
`vidstyle eval`'s warping error and style distance; `--compare` then gives each one's ratio to the saved run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import MEDIA, OUT, excerpt  # noqa: E402

VIDEO, STYLE, CONTENT = MEDIA / "video", MEDIA / "style", MEDIA / "content"
STARRY = STYLE / "neuralstyle_starry_night.jpg"
# name: (arguments after `vidstyle`, output suffix)
CASES: dict[str, tuple[list[str], str]] = {
    "adain-flower": (["video", VIDEO / "mdn_flower.mp4", "--style", STARRY, "--max-size", "320", "--end", "24f"],
                     ".mp4"),
    "adain-bunny-cuts-raft": (["video", VIDEO / "adain_cutBunny.mp4", "--style", STYLE / "fns_lua_wave.jpg",
                               "--max-size", "256", "--start", "2", "--end", "5", "--flow", "raft-small"], ".mkv"),
    "fast-cockatoo": (["video", VIDEO / "imageio_cockatoo_yuv444_silentmp3.mp4", "--backend", "fast",
                       "--style-id", "19", "--max-size", "320", "--end", "20f"], ".mov"),
    "fast-rotated-vfr": (["video", VIDEO / "moviepy_fire2_rot180_vfr.mp4", "--preset", "fast-quick",
                          "--max-size", "256"], ".mp4"),
    "iterative-realshort": (["video", VIDEO / "imageio_realshort.mp4", "--backend", "iterative", "--style", STARRY,
                             "--max-size", "96", "--end", "4f"], ".mp4"),
    "looks-per-shot": (["video", VIDEO / "adain_cutBunny.mp4", "--preset", "example-shots", "--max-size", "160",
                        "--start", "8"], ".gif"),
    "adain-photo": (["image", CONTENT / "neuralstyle_tubingen.jpg", "--style", STARRY, "--max-size", "384"], ".png"),
    "fast-photo": (["image", CONTENT / "imageio_chelsea.png", "--backend", "fast", "--style-id", "3",
                    "--max-size", "384"], ".png"),
}


QUALITY_STYLE = STARRY
QUALITY_CLIPS = ["adain_cutBunny.mp4", "decord_flipping_a_pancake.mkv", "imageio_cockatoo_yuv444_silentmp3.mp4",
                 "imageio_realshort.mp4", "mdn_flower.mp4", "mdn_flower.webm", "mdn_friday_audiofirst.mp4",
                 "mdn_stream-of-water-audioless.webm", "mdn_stream-of-water.mp4", "moviepy_fire2_rot180_vfr.mp4",
                 "opencvdoc_tree_cinepak_noaudio.avi"]  # every shared clip with 10 frames or more of motion


def quality(clip: str, backend: str) -> dict:
    """`vidstyle eval`'s warping error and style distance of the clip's first 48 frames at default settings."""
    source = excerpt(VIDEO / clip, 48, 480)
    out = OUT / "fingerprints" / f"q_{backend}_{clip.replace('.', '_')}.mp4"
    style = ["--style", str(QUALITY_STYLE)] if backend == "adain" else ["--backend", "fast", "--style-id", "19"]
    exe = str(Path(sys.executable).with_name("vidstyle"))
    subprocess.run([exe, "video", str(source), *style, "-o", str(out), "--quiet", "--no-resume"], check=True,
                   stderr=subprocess.DEVNULL)
    report = subprocess.run([exe, "eval", str(source), str(out), "--style", str(QUALITY_STYLE), "--json",
                             "--quiet"], check=True, capture_output=True, text=True)
    data = json.loads(report.stdout)
    return {"warping_error": data["warping_error"], "style_distance": data["style_distance"]}


def frame_hashes(path: Path) -> list[str]:
    if path.suffix == ".png":
        return [hashlib.sha256(np.asarray(Image.open(path)).tobytes()).hexdigest()[:16]]
    with av.open(str(path)) as c:
        return [hashlib.sha256(f.to_ndarray(format="rgb24").tobytes()).hexdigest()[:16] for f in c.decode(video=0)]


def run(name: str) -> dict:
    args, suffix = CASES[name]
    out = OUT / "fingerprints" / f"{name}{suffix}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    t = time.perf_counter()
    cmd = [str(Path(sys.executable).with_name("vidstyle")), *map(str, args), "-o", str(out), "--quiet"]
    subprocess.run(cmd, check=True)
    return {"frames": frame_hashes(out), "seconds": round(time.perf_counter() - t, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--save", type=Path)
    ap.add_argument("--compare", type=Path)
    ap.add_argument("--only", nargs="*", default=list(CASES))
    ap.add_argument("--quality", action="store_true", help="warping error and style distance on every shared clip")
    a = ap.parse_args()
    if a.quality:
        before = json.loads(a.compare.read_text()) if a.compare else {}
        results = {}
        for clip in QUALITY_CLIPS:
            for backend in ("adain", "fast"):
                key = f"{backend} {clip}"
                results[key] = q = quality(clip, backend)
                line = f"{key:48} warping error {q['warping_error']:.6f}  style distance {q['style_distance']:.5f}"
                if key in before:
                    old = before[key]
                    line += (f"  ratio to saved: {q['warping_error'] / old['warping_error']:.4f}, "
                             f"{q['style_distance'] / old['style_distance']:.4f}")
                print(line, flush=True)
                if a.save:
                    a.save.write_text(json.dumps(results, indent=1))
        return
    before = json.loads(a.compare.read_text()) if a.compare else {}
    results, differ = {}, 0
    for name in a.only:
        results[name] = r = run(name)
        line = f"{name:24} {len(r['frames']):3} frames {r['seconds']:6.1f} s"
        if name in before:
            old = before[name]["frames"]
            same = sum(x == y for x, y in zip(old, r["frames"]))
            ok = old == r["frames"]
            differ += not ok
            line += "  same" if ok else f"  DIFFERENT: {same} of {len(old)} frames equal, {len(r['frames'])} now"
        print(line, flush=True)
        if a.save:  # after each case, so that a failure keeps the ones before
            a.save.write_text(json.dumps(results, indent=1))
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
