"""OpenCV flow on the CPU: DIS (fast, the default) and Farneback. Both release the GIL while they run."""

from __future__ import annotations

import cv2
import numpy as np


class OpenCVFlow:
    def __init__(self, method: str = "dis") -> None:
        self.method = method
        if method == "dis":
            self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ga = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)
        gb = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY)
        if self.method == "dis":
            return self._dis.calc(ga, gb, None)
        return cv2.calcOpticalFlowFarneback(ga, gb, None, pyr_scale=0.5, levels=5, winsize=15, iterations=3,
                                            poly_n=7, poly_sigma=1.5, flags=cv2.OPTFLOW_FARNEBACK_GAUSSIAN)
