"""Make the example inputs the project ships as code, not as binaries: a 4-second clip with a tone, a
variable-frame-rate clip for the batch example (batch.toml), a clip of three shots for the per-shot example
(shots.toml) and a brush-stroke style image.
Usage: python examples/make_example.py [FOLDER]"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

from vidstyle.media.synthetic import join_shots, scene, style_image, write_clip


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    folder.mkdir(parents=True, exist_ok=True)
    write_clip(folder / "clip.mp4", width=320, height=180, frames=96, fps=24, audio=True)
    write_clip(folder / "clip_vfr.mp4", width=240, height=160, frames=48, fps=24, audio=True, vfr=True)
    shots = [[scene(320, 180, i / 24, seed=seed) for i in range(32)] for seed in (3, 11, 5)]
    join_shots(folder / "shots.mp4", shots, fps=24)
    Image.fromarray(style_image(512)).save(folder / "style.png")
    print(f"wrote {folder / 'clip.mp4'}, {folder / 'clip_vfr.mp4'}, {folder / 'shots.mp4'} and {folder / 'style.png'}")


if __name__ == "__main__":
    main()
