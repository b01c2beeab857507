"""Issue 40: what the 16-bit path costs, and whether 8-bit jobs kept their speed.

Times the media path of a job, everything but the network (which every case shares): decode, the upload to the
network's tensor, the download, the encode; CPU-ms a frame (process time, all threads) and wall, at 1080p.
  8-bit          an 8-bit H.264 source to .mp4 (H.264 8-bit), the path every 8-bit job takes
  10-bit deep    a 10-bit ProRes source to .mov (ProRes 422 HQ) through 16 bits, as jobs now run it
  10-bit via 8   the same source and encoder through 8 bits, as jobs ran it before
Each case runs in a fresh process, the cases interleaved, `--pairs` rounds; the medians are printed. With
`--against DIR` (an earlier checkout, e.g. a `git worktree`), the 8-bit case also runs there, interleaved with
this one, and the pooled ratio of CPU-ms is printed: the 8-bit path's speed, unchanged or not.

    python benchmarks/deliver.py [--frames 48] [--pairs 5] [--against /tmp/w/before]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def _ten_bit(clip: Path) -> Path:
    """`clip` as a 10-bit ProRes 422 HQ file beside it (written once)."""
    import av

    out = clip.with_name(clip.stem + "_prores10.mov")
    if out.exists():
        return out
    tmp = out.with_suffix(".part.mov")
    with av.open(str(clip)) as src, av.open(str(tmp), "w") as dst:
        vin = src.streams.video[0]
        vout = dst.add_stream("prores_ks", rate=vin.average_rate)
        vout.width, vout.height, vout.pix_fmt = vin.codec_context.width, vin.codec_context.height, "yuv422p10le"
        vout.options = {"profile": "3"}
        vout.codec_context.colorspace, vout.codec_context.color_range = 1, 1
        for frame in src.decode(vin):
            ten = frame.reformat(format="yuv422p10le")
            ten.pts, ten.time_base = frame.pts, frame.time_base
            dst.mux(vout.encode(ten))
        dst.mux(vout.encode(None))
    tmp.rename(out)
    return out


def one_case(source_path: Path, output: Path, deep: bool) -> dict[str, float]:
    """The media path once; only APIs an earlier checkout has where `deep` is off."""
    import av
    import torch

    from vidstyle.core.tensors import to_bytes, to_tensor
    from vidstyle.media.sinks import open_sink
    from vidstyle.media.sinks.video import EncodeSettings
    from vidstyle.media.source import VideoSource

    cpu = torch.device("cpu")
    frames = 0
    with VideoSource(source_path) as source:
        sink = open_sink(output, output, source, EncodeSettings())
        if hasattr(sink, "depth"):
            sink.depth = 16 if deep else 8
        started, wall = time.process_time(), time.perf_counter()
        stream = source.frames(deep=True) if deep else source.frames()
        for frame in stream:
            if isinstance(frame, av.Packet):
                continue
            x = to_tensor(frame.deep if deep else frame.rgb, cpu)
            if deep:
                from vidstyle.core.tensors import to_words

                picture = to_words(x)
            else:
                picture = to_bytes(x)
            sink.write_frame(picture, frame.pts)
            frames += 1
        sink.close()
        cpu_s, wall_s = time.process_time() - started, time.perf_counter() - wall
    return {"cpu_ms": 1000 * cpu_s / frames, "wall_ms": 1000 * wall_s / frames, "frames": frames}


def run_case(case: str, source: Path, out: Path, pythonpath: Path | None = None) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath or ROOT)}
    proc = subprocess.run([sys.executable, __file__, "--one", case, "--source", str(source), "--out", str(out)],
                          capture_output=True, text=True, env=env, check=False)
    if proc.returncode:
        sys.exit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--against", type=Path, help="an earlier checkout: its 8-bit path beside this one's")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_case(args.source, args.out, args.one == "10-bit deep")))
        return

    from common import OUT, cpu_line, need, scaled_clip

    print(cpu_line())
    eight = scaled_clip(need("video/mdn_flower.mp4"), 1080, args.frames)
    ten = _ten_bit(eight)
    cases = {"8-bit": (eight, OUT / "deliver_8.mp4", None), "10-bit deep": (ten, OUT / "deliver_10.mov", None),
             "10-bit via 8": (ten, OUT / "deliver_10_via_8.mov", None)}
    if args.against:
        cases["8-bit, before"] = (eight, OUT / "deliver_8_before.mp4", args.against)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
    for _ in range(args.pairs):
        for name, (source, out, path) in cases.items():
            results[name].append(run_case(name.replace(", before", ""), source, out, path))
    print(f"media path at 1080p, {args.frames} frames, median of {args.pairs} interleaved runs")
    for name, runs in results.items():
        print(f"  {name:14s} {statistics.median(r['cpu_ms'] for r in runs):7.1f} CPU-ms "
              f"{statistics.median(r['wall_ms'] for r in runs):7.1f} wall-ms")
    deep = [a["cpu_ms"] / b["cpu_ms"] for a, b in zip(results["10-bit deep"], results["10-bit via 8"])]
    print(f"  16-bit path / 8-bit path, same source and encoder: {statistics.median(deep):.3f}x CPU "
          f"(pairs {min(deep):.3f}-{max(deep):.3f})")
    if args.against:
        same = [a["cpu_ms"] / b["cpu_ms"] for a, b in zip(results["8-bit"], results["8-bit, before"])]
        print(f"  8-bit path, this checkout / {args.against}: {statistics.median(same):.3f}x CPU "
              f"(pairs {min(same):.3f}-{max(same):.3f})")


if __name__ == "__main__":
    main()
