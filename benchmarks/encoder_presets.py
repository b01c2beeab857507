"""x264 speed presets on stylized frames: encoder CPU time, file size and PSNR at the default CRF 18.

The encoder runs beside the network on the same CPU, so its cost is taken from stylization; this is what chose
the default preset (vidstyle.media.sinks.video.EncodeSettings). Frames are stylized as the video job does (AdaIN,
DIS flow, both temporal terms), kept as raw RGB, then encoded single-threaded with each preset; PSNR is
against those raw frames, on all of RGB and on luma (Y) alone, since 4:2:0 chroma dominates the RGB figure.
Usage: python benchmarks/encoder_presets.py [--frames 60] [--max-size 640]
"""

from __future__ import annotations

import argparse
import io
import time

import av
import cv2
import numpy as np
from common import adain_settings, need
from throughput import excerpt

from vidstyle.flow import make_estimator
from vidstyle.media.frames import Frame
from vidstyle.media.source import VideoSource
from vidstyle.temporal.carry import CarryBlender
from vidstyle.temporal.motion import estimate_motion
from vidstyle.core.tensors import to_bytes, to_tensor

PAIRS = [("mdn_flower.mp4", "neuralstyle_starry_night.jpg"), ("adain_cutBunny.mp4", "pytorch_fns_mosaic.jpg"),
         ("mdn_flower.mp4", "lengstrom_the_scream.jpg")]
PRESETS = ["medium", "fast", "faster", "veryfast"]


def stylized_frames(clip: str, style: str, frames: int, max_size: int) -> list[np.ndarray]:
    with VideoSource(excerpt(need(f"video/{clip}"), frames)) as src:
        source = [f.rgb for f in src.frames(max_size) if isinstance(f, Frame)][:frames]
    settings = adain_settings(need(f"style/{style}"), max_size)
    weight = settings.temporal_weight()
    stylizer = settings.build(weight)
    estimator, blender, out, prev = make_estimator("dis"), CarryBlender(weight), [], None
    for i, rgb in enumerate(source):
        motion = estimate_motion(estimator, prev, rgb) if prev is not None else None
        picture = to_tensor(rgb, stylizer.device)
        out.append(to_bytes(blender(stylizer.stylize(picture, motion), motion, picture, i)))
        prev = rgb
    return out


def encode(frames: list[np.ndarray], preset: str) -> tuple[bytes, float]:
    """The MP4 bytes and the encoder's CPU milliseconds per frame."""
    buf = io.BytesIO()
    start = time.process_time()
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        stream.options = {"crf": "18", "preset": preset, "x264-params": "mbtree=0", "threads": "1"}
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buf.getvalue(), (time.process_time() - start) * 1000 / len(frames)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255.0**2 / np.mean((a.astype(np.float64) - b) ** 2)))


def luma(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV)[..., 0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--max-size", type=int, default=640)
    args = ap.parse_args()
    for clip, style in PAIRS:
        frames = stylized_frames(clip, style, args.frames, args.max_size)
        for preset in PRESETS:
            data, cpu_ms = encode(frames, preset)
            with av.open(io.BytesIO(data)) as container:
                decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
            rgb = np.mean([psnr(a, b) for a, b in zip(frames, decoded)])
            y = np.mean([psnr(luma(a), luma(b)) for a, b in zip(frames, decoded)])
            print(f"{clip} x {style}: {preset:8s} {cpu_ms:5.1f} CPU-ms/frame, {len(data) / 1024:6.0f} KiB, "
                  f"PSNR RGB {rgb:.2f} dB, Y {y:.2f} dB", flush=True)


if __name__ == "__main__":
    main()
