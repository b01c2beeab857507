from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
MEDIA = ROOT.parent / "shared" / "media"


def media(rel: str) -> Path:
    """A file from ../shared/media, or a skip saying it is absent (the suite runs without it)."""
    path = MEDIA / rel
    if not path.exists():
        pytest.skip(f"shared test media not present: {path}")
    return path


def run_cli(*args: str | Path, timeout: float = 300, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "vidstyle.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env)


def write_empty_clip(path: Path) -> Path:
    """A Matroska file whose video track has no frames (a little audio keeps the file valid)."""
    return write_audio_only(path, with_video_track=True)


def write_audio_only(path: Path, with_video_track: bool = False, cover: bool = False) -> Path:
    """An audio file; with `cover`, with album art (a one-picture video stream marked attached_pic), as MP3s
    and M4As carry it."""
    import av
    import numpy as np
    from av.stream import Disposition

    with av.open(str(path), "w") as c:
        if with_video_track:
            v = c.add_stream("libx264", rate=10)
            v.width, v.height = 32, 32
        a = c.add_stream("libmp3lame" if path.suffix == ".mp3" else "aac", rate=8000)
        if cover:  # after the audio: the MP3 muxer wants its audio stream first
            art = c.add_stream("mjpeg", rate=1)
            art.width, art.height, art.pix_fmt = 64, 64, "yuvj420p"
            art.disposition = Disposition.attached_pic
            picture = av.VideoFrame.from_ndarray(np.full((64, 64, 3), 200, np.uint8), format="rgb24")
            picture.pts = 0
            for p in [*art.encode(picture), *art.encode(None)]:
                c.mux(p)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 8000, 0
        for p in [*a.encode(frame), *a.encode(None)]:
            c.mux(p)
    return path


def write_alpha_clip(path: Path, codec: str, pix_fmt: str, frames: int = 8, w: int = 64, h: int = 48
                     ) -> list[np.ndarray]:
    """A clip with an alpha channel (a soft disc moving over a gradient); returns the alpha planes written."""
    from vidstyle.media.synthetic import write_frames

    yy, xx = np.mgrid[0:h, 0:w]
    images = []
    for i in range(frames):
        rgba = np.zeros((h, w, 4), np.uint8)
        rgba[..., 0], rgba[..., 1], rgba[..., 2] = (xx * 4 + i * 8) % 256, yy * 5, 128
        rgba[..., 3] = np.clip(255 - np.hypot(xx - 20 - 2 * i, yy - h / 2) * 6, 0, 255)
        images.append(rgba)
    write_frames(path, images, 10, codec=codec, pix_fmt=pix_fmt, fmt="rgba")
    return [rgba[..., 3].copy() for rgba in images]


@pytest.fixture(scope="session")
def style_png(tmp_path_factory) -> Path:
    from PIL import Image

    from vidstyle.media.synthetic import style_image

    path = tmp_path_factory.mktemp("style") / "strokes.png"
    Image.fromarray(style_image(128)).save(path)
    return path


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> Path:
    """A short constant-rate clip with audio."""
    from vidstyle.media.synthetic import write_clip

    path = tmp_path_factory.mktemp("clips") / "moving.mp4"
    write_clip(path, 96, 64, frames=12, fps=12, audio=True)
    return path


def moving_bar(width: int, height: int, frames: int, speed: int) -> tuple[list[np.ndarray], list[int]]:
    """Frames of a flat yellow bar (width/16 wide, the middle 4/9 of the height) moving `speed` px a frame to the
    right over a flat blue-grey background (an object passing a plain wall), and the bar's left edge in each."""
    lefts = [width // 10 + speed * i for i in range(frames)]
    out = []
    for x in lefts:
        frame = np.empty((height, width, 3), np.uint8)
        frame[:] = (90, 120, 160)
        frame[height * 5 // 18: height * 13 // 18, x: x + width // 16] = (230, 200, 40)
        out.append(frame)
    return out, lefts


def make_stylizer(temporal_weight: float = 0.0, style_size: int = 128, alpha: float = 1.0, **common):
    """AdaIN with the real packaged weights (cached per process) and the project's own stroke style."""
    import torch

    from vidstyle.backends.adain.options import AdainOptions
    from vidstyle.backends.adain.stylizer import AdainStylizer
    from vidstyle.core.options import CommonOptions
    from vidstyle.media.synthetic import style_image

    return AdainStylizer(CommonOptions(style=[style_file(style_image(128))], **common),
                         AdainOptions(alpha=alpha, style_size=style_size), temporal_weight, torch.device("cpu"))


def style_file(rgb: np.ndarray) -> Path:
    """An in-memory style image as a file (stylizers take styles by path), named by its content."""
    from PIL import Image

    digest = hashlib.sha1(rgb.tobytes() + str(rgb.shape).encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / "vidstyle-test-styles" / f"{digest}.png"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rgb).save(path.with_suffix(".part.png"))
        os.replace(path.with_suffix(".part.png"), path)
    return path


@contextmanager
def raising_on_call(owner: type, name: str, n: int, exc: type[BaseException]) -> Iterator[None]:
    """`owner.name` raises `exc` on its n-th call: a job stopped at a known frame, as a kill would stop it."""
    real = getattr(owner, name)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise exc
        return real(*args, **kwargs)

    setattr(owner, name, wrapper)
    try:
        yield
    finally:
        setattr(owner, name, real)
