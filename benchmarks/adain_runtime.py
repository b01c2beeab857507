"""The AdaIN networks' runtimes side by side on the same frames: vidstyle's PyTorch path (fp32, and the precision
`auto` picks) against onnxruntime running the same encoder (VGG-19 to relu4_1) and decoder, exported here to
ONNX, with the AdaIN step between them in PyTorch for both. Issue 16 asked for the check the fast network got
(benchmarks/fast_runtime.py): is onnxruntime faster where PyTorch runs float32 (AVX2-only CPUs)?

Interleaved: each round runs every runtime over the same FRAMES frames (640x360 of mdn_flower.mp4), ROUNDS
rounds; the median ms per frame of each and its ratio to onnxruntime. With --neighbour, a second process keeps
one core busy the whole time. ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 holds PyTorch to AVX2
(onnxruntime's own kernels pick the ISA by themselves, so on an AVX-512 CPU that favours onnxruntime).

Usage: python benchmarks/adain_runtime.py [--frames 3] [--rounds 3] [--threads 2] [--neighbour]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import vidstyle  # noqa: F401 - before torch: its OpenMP setting, as the CLI has it
import numpy as np
import torch
from common import cpu_line, need
from fast_runtime import interleaved, report

from vidstyle.core.tensors import to_tensor
from vidstyle.media.synthetic import read_frames
from vidstyle.nets.adain import adain
from vidstyle.settings import resolve
from vidstyle.backends.base import stylize_image


def onnx_session(module: torch.nn.Module, example: torch.Tensor, path: Path, threads: int):
    import onnxruntime as ort

    torch.onnx.export(module, (example,), str(path), dynamo=False, opset_version=17, input_names=["x"],
                      output_names=["y"])
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--neighbour", action="store_true")
    args = ap.parse_args()
    print(cpu_line(), f"; {args.threads} threads", "; a busy neighbour process" if args.neighbour else "")
    torch.set_num_threads(args.threads)
    frames = read_frames(need("video/mdn_flower.mp4"), args.frames, (640, 360))
    style = need("style/neuralstyle_starry_night.jpg")

    def stylizer(precision: str):
        return resolve(None, {"backend": "adain", "style": [style], "precision": precision}).build(0.0)

    ref = stylizer("fp32")  # also what onnxruntime runs, exported below
    runners = {}
    for precision, s in (("fp32", ref), ("auto", stylizer("auto"))):
        runners[f"PyTorch {precision} ({s.autocast or torch.float32})"] = s.stylize
    mean, std, _ = ref._targets(frames[0])
    example = to_tensor(frames[0], torch.device("cpu")).contiguous()
    with tempfile.TemporaryDirectory() as tmp, torch.inference_mode():
        encoder = onnx_session(ref.encoder, example, Path(tmp) / "encoder.onnx", args.threads)
        feat = ref.encoder(example)
        decoder = onnx_session(ref.decoder, feat.contiguous(), Path(tmp) / "decoder.onnx", args.threads)

    def run_onnx(rgb: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(rgb.transpose(2, 0, 1)[None], np.float32) / 255.0
        with torch.inference_mode():
            t = adain(torch.from_numpy(encoder.run(None, {"x": x})[0]), mean, std)
        return decoder.run(None, {"x": t.numpy()})[0]

    runners["onnxruntime fp32"] = run_onnx
    with torch.inference_mode():
        out = run_onnx(frames[0])[0].transpose(1, 2, 0).clip(0, 1)
    gap = np.abs(out - stylize_image(ref, frames[0])).max()
    print(f"onnxruntime against PyTorch fp32: largest difference {gap:.2g}")
    report(interleaved(runners, frames, args.rounds, args.neighbour), "onnxruntime fp32")


if __name__ == "__main__":
    main()
