"""Make the pictures the README and the docs show, from media whose licence allows it, downscaled:
mdn_flower.mp4 (CC0, MDN interactive examples) and the paintings' public-domain scans in ../shared/media.

    python docs/pictures.py [--media ../shared/media]

Writes docs/pictures/looks.jpg (a frame and three looks), temporal.jpg (four frames, temporal term off and on)
and gallery.jpg (every shipped preset whose styles are here, on the same frame).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "pictures"
FRAME = 60  # of mdn_flower: the flower open, the bee on it


def label(img: np.ndarray, text: str) -> np.ndarray:
    band = np.full((22, img.shape[1], 3), 255, np.uint8)
    cv2.putText(band, text, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (20, 20, 20), 1, cv2.LINE_AA)
    return np.concatenate([band, img], 0)


def row(images: list[np.ndarray], gap: int = 4) -> np.ndarray:
    h = max(i.shape[0] for i in images)
    parts = []
    for img in images:
        parts += [np.pad(img, ((0, h - img.shape[0]), (0, 0), (0, 0)), constant_values=255),
                  np.full((h, gap, 3), 255, np.uint8)]
    return np.concatenate(parts[:-1], 1)


def save(path: Path, rgb: np.ndarray) -> None:
    OUT.mkdir(exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 82])
    print(f"{path.relative_to(HERE.parent)}: {rgb.shape[1]}x{rgb.shape[0]}, {path.stat().st_size // 1024} KB")


def frame_of(clip: Path, index: int, side: int) -> np.ndarray:
    from vidstyle.media.frames import Frame
    from vidstyle.media.source import VideoSource

    with VideoSource(clip) as source:
        return next(f.rgb for f in source.frames(max_size=side) if isinstance(f, Frame) and f.index == index)


def stylized(settings, rgb: np.ndarray) -> np.ndarray:
    from vidstyle.backends.base import stylize_image

    return (stylize_image(settings.build(0.0), rgb) * 255 + 0.5).astype(np.uint8)


def looks(media: Path) -> None:
    from vidstyle.settings import resolve

    rgb = frame_of(media / "video/mdn_flower.mp4", FRAME, 320)
    chosen = [("example preset (strokes)", resolve("example", {"max_size": 320})),
              ("adain: Hokusai, The Great Wave", resolve(None, {"style": [media / "style/fns_lua_wave.jpg"],
                                                                "max_size": 320})),
              ("fast: built-in style 19", resolve(None, {"backend": "fast", "style_id": [19], "max_size": 320}))]
    save(OUT / "looks.jpg", row([label(rgb, "source (mdn_flower, CC0)"),
                                 *(label(stylized(s, rgb), name) for name, s in chosen)]))


def temporal(media: Path) -> None:
    """mdn_flower at 240 px, the fast backend with its temporal term off and on: frame 42, and how much each
    pixel changed from the frame before (x4, so that flicker shows in a still picture)."""
    from vidstyle.jobs.run import run_video
    from vidstyle.media.frames import Frame
    from vidstyle.media.source import VideoSource
    from vidstyle.settings import resolve

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for weight, name in ((0.0, "temporal off"), (None, "temporal on")):
            out = Path(tmp) / f"{name}.mp4"
            settings = resolve(None, {"backend": "fast", "style_id": [19], "max_size": 240, "temporal_weight": weight,
                                      "end": "44f", "crf": 12, "cuts": "off"})
            run_video(media / "video/mdn_flower.mp4", out, settings, quiet=True)
            with VideoSource(out) as source:
                f = [f.rgb.astype(np.int16) for f in source.frames() if isinstance(f, Frame) and f.index >= 41]
            changes = [np.abs(b - a) for a, b in zip(f, f[1:])]
            tiles = [label(f[1].astype(np.uint8), f"{name}: frame 42")]
            tiles += [label(np.clip(c * 4, 0, 255).astype(np.uint8), f"change {41 + k}-{42 + k}: {c.mean():.1f} levels")
                      for k, c in enumerate(changes)]
            rows.append(row(tiles))
    save(OUT / "temporal.jpg", np.concatenate([rows[0], np.full((6, rows[0].shape[1], 3), 255, np.uint8), rows[1]]))


def gallery(media: Path) -> None:
    """Every shipped preset whose styles are here (URL styles only once fetched), at 200 px."""
    from vidstyle.core.errors import UserError
    from vidstyle.settings import resolve
    from vidstyle.settings.presets import BUILTIN_PRESETS, list_presets

    rgb = frame_of(media / "video/mdn_flower.mp4", FRAME, 200)
    tiles = [label(rgb, "source")]
    for name, path in sorted(list_presets().items()):
        if path.parent != BUILTIN_PRESETS:
            continue
        try:
            settings = resolve(name, {"max_size": 200}, fetch=False)
            if not all(Path(s).is_file() for s in settings.common.style):
                print(f"{name}: left out (its style is fetched by URL on first use)")
                continue
            if settings.backend == "iterative":
                settings = resolve(name, {"max_size": 200, "iterations": 60}, fetch=False)
            tiles.append(label(stylized(settings, rgb), name))
        except UserError as exc:
            print(f"{name}: left out ({exc})")
    rows = [row(tiles[k:k + 4]) for k in range(0, len(tiles), 4)]
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 6), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    save(OUT / "gallery.jpg", np.concatenate(rows, 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--media", type=Path, default=HERE.parent.parent / "shared" / "media")
    parser.add_argument("--only", choices=("looks", "temporal", "gallery"))
    args = parser.parse_args()
    for make in (looks, temporal, gallery):
        if args.only in (None, make.__name__):
            make(args.media)


if __name__ == "__main__":
    main()
