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
        ga = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)
        gb = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY)
        if self.method == "dis":
            return self._dis.calc(ga, gb, None)
        return cv2.calcOpticalFlowFarneback(ga, gb, None, pyr_scale=0.5, levels=5, winsize=15, iterations=3,
                                            poly_n=7, poly_sigma=1.5, flags=cv2.OPTFLOW_FARNEBACK_GAUSSIAN)
