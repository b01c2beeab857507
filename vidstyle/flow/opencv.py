"""OpenCV flow on the CPU: DIS (fast, the default) and Farneback. Both release the GIL while they run."""

from __future__ import annotations

import cv2
import numpy as np


class OpenCVFlow:
    def __init__(self, method: str = "dis") -> None:
        self.method = method
        if method == "dis":
            self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
            # 12 patch-descent iterations instead of the preset's 25: the same end-point error on Sintel alley_1
            # at 320 px (0.689 clean, 0.688 final) for 15-25% less time; it runs twice a frame beside the network.
            self._dis.setGradientDescentIterations(12)

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        h, w = a.shape[:2]
        ga, gb = (_padded(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY)) for x in (a, b))
        if self.method == "dis":
            flow = self._dis.calc(ga, gb, None)
        else:
            flow = cv2.calcOpticalFlowFarneback(ga, gb, None, pyr_scale=0.5, levels=5, winsize=15, iterations=3,
                                                poly_n=7, poly_sigma=1.5, flags=cv2.OPTFLOW_FARNEBACK_GAUSSIAN)
        return flow if flow.shape[:2] == (h, w) else np.ascontiguousarray(flow[:h, :w])


# DIS refuses frames under 12 px a side and crashed the process on a 130x9 one (its 8-px patches and pyramid):
# thin or tiny frames are padded up to this, edge pixels repeated, and the flow cropped back.
MIN_SIDE = 32


def _padded(grey: np.ndarray) -> np.ndarray:
    h, w = grey.shape
    if min(h, w) >= MIN_SIDE:
        return grey
    return cv2.copyMakeBorder(grey, 0, max(0, MIN_SIDE - h), 0, max(0, MIN_SIDE - w), cv2.BORDER_REPLICATE)
