"""Shared by the benchmark scripts: where the media is, and one way to stylize a clip with given settings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from vidstyle.core.machine import keep_freed_memory
from vidstyle.jobs.pipeline import VideoResult
from vidstyle.jobs.run import run_video
from vidstyle.settings import resolve
from vidstyle.settings.model import Settings

ROOT = Path(__file__).resolve().parents[1]
MEDIA = Path(os.environ.get("VIDSTYLE_BENCH_MEDIA", ROOT.parent / "shared" / "media"))  # elsewhere on a lent GPU
OUT = ROOT / "bench-out"

keep_freed_memory()  # as the CLI does, so in-process figures match what users get


def name_tag(name: str) -> str:
    """A clip's whole file name as a part of an output's name: mdn_flower.mp4 and mdn_flower.webm share a stem."""
    return name.replace(".", "_")


def need(rel: str) -> Path:
    path = MEDIA / rel
    if not path.exists():
        sys.exit(f"benchmark needs {path} (the shared test media)")
    return path


def adain_settings(style: Path, max_size: int | None = None, temporal_weight: float | None = None,
                   flow: str = "dis", flow_size: int | None = None) -> Settings:
    """The settings `vidstyle video CLIP --style STYLE` gives, with these values (None: the default)."""
    return resolve(None, {"style": [style], "max_size": max_size, "temporal_weight": temporal_weight, "flow": flow,
                          "flow_size": flow_size})


def stylize(clip: Path, style: Path, out: Path, max_size: int, temporal_weight: float, flow: str = "dis",
            quiet: bool = True, flow_size: int | None = None) -> VideoResult:
    """What `vidstyle video CLIP --style STYLE --max-size N --temporal-weight W --flow F --flow-size S` runs
    (AdaIN; None: the default)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return run_video(clip, out, adain_settings(style, max_size, temporal_weight, flow, flow_size), quiet=quiet)


def cpu_line() -> str:
    """The CPU model and the instruction sets that decide speed (ONEDNN_MAX_CPU_ISA=AVX2 shows the AVX2 path)."""
    info = open("/proc/cpuinfo").read()
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
                 "unknown CPU")
    isa = [f for f in ("amx_bf16", "avx512_bf16", "avx512f", "avx2") if f in info]
    return (f"{model}, {', '.join(isa)}; {os.cpu_count()} cores; "
            f"ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', 'unset')}")


def scaled_clip(clip: Path, height: int, frames: int | None = None) -> Path:
    """`clip` scaled (Lanczos) to `height` px high, its first `frames` frames (all by default), with its audio,
    written once under bench-out/: the shared clips top out at 720p, and jobs at 1080p and 2160p need frames
    of that size to decode. H.264 at CRF 16, so the source adds little noise of its own."""
    import av

    out = OUT / f"{name_tag(clip.name)}_{height}p{f'_{frames}' if frames else ''}.mp4"
    if out.exists():
        return out
    OUT.mkdir(exist_ok=True)
    tmp = out.with_suffix(".part.mp4")
    with av.open(str(clip)) as src, av.open(str(tmp), "w") as dst:
        vin = src.streams.video[0]
        width = round(vin.codec_context.width * height / vin.codec_context.height / 2) * 2
        vout = dst.add_stream("libx264", rate=vin.average_rate)
        vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
        vout.options = {"crf": "16", "preset": "fast"}
        audio = {s.index: dst.add_stream_from_template(s) for s in src.streams.audio}
        seen, end = 0, None
        for packet in src.demux(vin, *src.streams.audio):
            if packet.stream.type == "audio":
                if packet.dts is not None and (end is None or packet.pts * packet.time_base < end):
                    packet.stream = audio[packet.stream.index]
                    dst.mux(packet)
                continue
            for frame in packet.decode():
                if frames is not None and seen >= frames:
                    end = end or frame.pts * frame.time_base
                    continue
                seen += 1
                big = frame.reformat(width=width, height=height, format="yuv420p", interpolation="LANCZOS")
                big.pts, big.time_base = frame.pts, frame.time_base
                dst.mux(vout.encode(big))
        dst.mux(vout.encode(None))
    tmp.rename(out)
    return out


def excerpt(clip: Path, frames: int, side: int) -> Path:
    """The clip's first `frames` frames at `side` px (long side; 0 = as they are), near-lossless and made the same
    way each time, as a clip of their own under bench-out/ (written once, with PyAV alone, so that two versions of
    vidstyle stylize and measure the same frames). Frames as stored: a display rotation is not applied."""
    import av
    import numpy as np

    out = OUT / "excerpts" / f"{name_tag(clip.name)}_{frames}_{side}.mp4"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".part.mp4")
    with av.open(str(clip)) as src, av.open(str(tmp), "w") as dst:
        stream = None
        for i, frame in enumerate(src.decode(video=0)):
            if i == frames:
                break
            if stream is None:
                scale = side / max(frame.width, frame.height) if side else 1.0
                w, h = round(frame.width * scale / 2) * 2, round(frame.height * scale / 2) * 2
                stream = dst.add_stream("libx264", rate=24)
                stream.width, stream.height, stream.pix_fmt = w, h, "yuv444p"
                stream.options = {"crf": "4", "x264-params": "mbtree=0"}  # the same bits each time it is made
            img = np.ascontiguousarray(frame.to_ndarray(format="rgb24", width=w, height=h, interpolation="AREA"))
            dst.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
        dst.mux(stream.encode(None))
    tmp.rename(out)
    return out
