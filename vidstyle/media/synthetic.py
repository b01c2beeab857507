"""Clips and images the project makes itself, for examples and tests: moving shapes over a textured
background, with a tone for audio, at any size, frame rate (constant or variable) and rotation flag."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np


def scene(width: int, height: int, t: float, seed: int = 0) -> np.ndarray:
    """One RGB frame at time t (seconds): a drifting gradient, a textured disc and a bar that move."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    bg = np.stack([
        128 + 80 * np.sin((xs + 40 * t) / max(width, 1) * 6.0),
        128 + 80 * np.cos((ys - 25 * t) / max(height, 1) * 5.0),
        128 + 60 * np.sin((xs + ys) / max(width + height, 1) * 9.0 + t),
    ], -1)
    noise = rng.normal(0, 12, (height // 4 + 1, width // 4 + 1, 3)).astype(np.float32)
    noise = cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
    img = np.clip(bg + noise, 0, 255).astype(np.uint8)
    cx = int(width * (0.3 + 0.4 * (0.5 + 0.5 * np.sin(t * 1.7))))
    cy = int(height * (0.5 + 0.25 * np.cos(t * 1.3)))
    cv2.circle(img, (cx, cy), max(2, min(width, height) // 5), (230, 60, 40), -1)
    cv2.circle(img, (cx, cy), max(1, min(width, height) // 10), (250, 220, 60), -1)
    bx = int((t * 0.35 * width) % max(width, 1))
    cv2.rectangle(img, (bx, height // 8), (bx + max(2, width // 10), height - height // 8), (30, 90, 200), -1)
    return img


def write_clip(path: Path, width: int = 160, height: int = 96, frames: int = 24, fps: int = 24,
               audio: bool = True, vfr: bool = False, rotation: int = 0, pix_fmt: str = "yuv420p",
               codec: str = "libx264") -> list[float]:
    """Write a clip and return its frame times in seconds. VFR clips get irregular gaps (1/fps to 2/fps)."""
    times: list[float] = []
    tb = Fraction(1, 90000)
    with av.open(str(path), "w") as out:
        vs = out.add_stream(codec, rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, pix_fmt
        vs.time_base = vs.codec_context.time_base = tb
        if rotation:
            vs.set_display_rotation(rotation)
        tone = _tone_stream(out) if audio else None
        t = 0.0
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(scene(width, height, t), format="rgb24")
            frame.pts = round(t / tb)
            frame.time_base = tb
            times.append(frame.pts * float(tb))
            for packet in vs.encode(frame):
                out.mux(packet)
            t += (1 + (i * 7 % 5) / 4) / fps if vfr else 1 / fps
        for packet in vs.encode(None):
            out.mux(packet)
        if tone is not None:
            _write_tone(out, tone, t)
    return times


def _tone_stream(out: av.container.OutputContainer) -> av.audio.AudioStream:
    stream = out.add_stream("aac", rate=44100)
    stream.layout = "stereo"
    return stream


def _write_tone(out: av.container.OutputContainer, stream: av.audio.AudioStream, duration: float) -> None:
    """A 440 Hz tone of `duration` seconds into `stream` (_tone_stream), after the video."""
    sr, chunk = 44100, 1024
    n_total = int(duration * sr)
    for start in range(0, n_total, chunk):
        k = np.arange(start, min(start + chunk, n_total)) / sr
        tone = (0.2 * np.sin(2 * np.pi * 440 * k)).astype(np.float32)
        af = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
        af.sample_rate = sr
        af.pts = start
        af.time_base = Fraction(1, sr)
        for packet in stream.encode(af):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)


def style_image(size: int = 256, seed: int = 1) -> np.ndarray:
    """A bold, colourful brush-stroke pattern to use as a style."""
    rng = np.random.default_rng(seed)
    img = np.full((size, size, 3), (245, 230, 200), np.uint8)
    palette = [(200, 40, 40), (30, 60, 160), (240, 190, 30), (20, 120, 60), (20, 20, 30), (240, 120, 20)]
    for _ in range(size * 2):
        x, y = rng.integers(0, size, 2)
        angle = rng.uniform(0, np.pi)
        length = rng.integers(size // 20, size // 6)
        dx, dy = int(np.cos(angle) * length), int(np.sin(angle) * length)
        color = palette[rng.integers(len(palette))]
        cv2.line(img, (int(x), int(y)), (int(x + dx), int(y + dy)), color, int(rng.integers(2, max(3, size // 40))))
    return cv2.GaussianBlur(img, (3, 3), 0)


def read_frames(path: Path, count: int, size: tuple[int, int], skip: int = 0) -> list[np.ndarray]:
    """`count` frames of a clip after its first `skip`, upright, resized to `size` (width, height)."""
    from vidstyle.media.frames import Frame
    from vidstyle.media.source import VideoSource

    out: list[np.ndarray] = []
    with VideoSource(path) as src:
        for item in src.frames():
            if isinstance(item, Frame) and item.index >= skip:
                out.append(cv2.resize(item.rgb, size, interpolation=cv2.INTER_AREA))
                if len(out) == count:
                    break
    return out


def join_shots(path: Path, shots: list[list[np.ndarray]], fps: int = 24, dissolve: int = 0,
               through_black: int = 0, crf: int = 16, audio: bool = False,
               tags: dict[str, str] | None = None) -> list[int]:
    """Write shots (lists of same-size RGB frames) one after another as an H.264 clip, and return the index of
    each shot's first frame. Between shots: a hard cut; or, with `dissolve` N, an N-frame cross-dissolve (the
    last N frames of one shot blended into the first N of the next); or, with `through_black` N, a fade out over
    N frames and in over N frames. A shot's first frame is the first not mixed with the one before. `crf` 0:
    lossless. With `audio`, a tone as long as the frames; `tags` on the video stream (write_frames)."""
    frames: list[np.ndarray] = list(shots[0])
    starts = [0]
    for shot in shots[1:]:
        if dissolve:
            a, b = frames[-dissolve:], shot[:dissolve]
            mixed = [cv2.addWeighted(x, 1 - (i + 1) / (dissolve + 1), y, (i + 1) / (dissolve + 1), 0)
                     for i, (x, y) in enumerate(zip(a, b))]
            frames[-dissolve:] = mixed
            starts.append(len(frames))
            frames += shot[dissolve:]
        elif through_black:
            n = through_black
            for i in range(n):
                frames[-n + i] = (frames[-n + i] * (1 - (i + 1) / n)).astype(np.uint8)
            faded = [(f * ((i + 1) / (n + 1))).astype(np.uint8) for i, f in enumerate(shot[:n])]
            starts.append(len(frames) + n)
            frames += faded + list(shot[n:])
        else:
            starts.append(len(frames))
            frames += shot
    write_frames(path, frames, fps, options={"crf": str(crf)}, audio=audio, tags=tags)
    return starts


def write_frames(path: Path, frames: list[np.ndarray], fps: int = 24, codec: str = "libx264",
                 pix_fmt: str = "yuv420p", options: dict[str, str] | None = None, fmt: str = "rgb24",
                 audio: bool = False, tags: dict[str, str] | None = None) -> None:
    """Encode same-size frames (HxWx3 RGB, or HxWx4 with `fmt` "rgba") one tick apart at `fps`; with `audio`,
    a tone as long as they are; `tags` on the video stream (a timecode: MOV and MP4 make a track of it)."""
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        vs = out.add_stream(codec, rate=fps, options=options or {})
        vs.width, vs.height, vs.pix_fmt = w, h, pix_fmt
        vs.metadata.update(tags or {})
        tone = _tone_stream(out) if audio else None
        for i, pixels in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format=fmt)
            frame.pts = i
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode(None):
            out.mux(packet)
        if tone is not None:
            _write_tone(out, tone, len(frames) / fps)
