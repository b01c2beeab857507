"""HDR clips (HLG: phones' default, iPhone's Dolby Vision included; PQ: HDR10) brought to SDR BT.709 as read.

The styles are SDR paintings, and the networks were trained on SDR photos. Read as it is, an HLG frame puts
reference white at 75% of the signal (192 of 255: a dim grey to the network) in BT.2020's wider primaries
(washed-out colours), and a PQ frame puts it at 58%; written back with the HDR tags, a painting's white became
a highlight 5x as bright as the clip's white. So frames are converted to display light (BT.2100; HLG's
system gamma taken per channel), reference white (BT.2408: 203 cd/m2) made 1, BT.2020 taken to BT.709, the
highlights above a knee rolled off into what SDR holds, and the result encoded for an SDR screen (BT.1886): what
a player shows of the clip on one, give or take its tone curve. The output is SDR BT.709, tagged so.
"""

from __future__ import annotations

import cv2
import numpy as np

PQ, HLG = 16, 18  # FFmpeg's AVColorTransferCharacteristic values
REFERENCE_WHITE = 203.0  # cd/m2: BT.2408's HDR reference (diffuse) white, made SDR white
PEAK = 1000.0  # cd/m2: the display HLG's system gamma of 1.2 is for, and a usual PQ grade's peak
KNEE = 0.75  # linear SDR level up to which light is kept as it is; above it, rolled off to PEAK

# BT.2020 to BT.709 primaries, linear light (BT.2087)
_TO_709 = np.array([[1.6605, -0.5876, -0.0728],
                    [-0.1246, 1.1329, -0.0083],
                    [-0.0182, -0.1006, 1.1187]], np.float32)


def is_hdr(trc: int | None) -> bool:
    return trc in (PQ, HLG)


def _pq_nits(signal: np.ndarray) -> np.ndarray:
    """SMPTE ST 2084 EOTF: signal in [0,1] to cd/m2."""
    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    p = np.power(signal, 1 / m2)
    return 10000.0 * np.power(np.maximum(p - c1, 0) / (c2 - c3 * p), 1 / m1)


def _hlg_nits(signal: np.ndarray) -> np.ndarray:
    """BT.2100 HLG inverse OETF, then the OOTF for a PEAK display (system gamma 1.2), per channel."""
    a, b, c = 0.17883277, 0.28466892, 0.55991073
    scene = np.where(signal <= 0.5, signal ** 2 / 3, (np.exp((signal - c) / a) + b) / 12)
    return PEAK * np.power(scene, 1.2)


def _roll_off(x: np.ndarray) -> np.ndarray:
    """Linear up to KNEE, then an extended-Reinhard shoulder with slope 1 at the knee that reaches 1 at PEAK."""
    top = (PEAK / REFERENCE_WHITE - KNEE) / (1 - KNEE)
    s = np.maximum(x - KNEE, 0) / (1 - KNEE)
    return np.where(x <= KNEE, x, KNEE + (1 - KNEE) * s * (1 + s / top ** 2) / (1 + s))


def _bt1886_inverse(light: np.ndarray) -> np.ndarray:
    """The signal an SDR screen (BT.1886: gamma 2.4) shows as this display light: the light is display-referred
    already (HLG's OOTF, PQ's absolute light), so not BT.709's camera curve, which would show it darker (an
    18% grey at 86 of 255, not 108)."""
    return np.power(light, 1 / 2.4)


class ToSdr:
    """16-bit RGB frames of an HDR clip in, 8-bit (or 16-bit) SDR BT.709 RGB out. Two tables and a matrix: about 36 ms a
    1080p frame on one core here (most of it the first table's lookup), on top of decoding."""

    def __init__(self, trc: int) -> None:
        signal = np.arange(65536, dtype=np.float64) / 65535
        nits = _pq_nits(signal) if trc == PQ else _hlg_nits(signal)
        self._linear = (nits / REFERENCE_WHITE).astype(np.float32)  # 16-bit code -> relative light
        light = _roll_off(np.arange(65536, dtype=np.float64) / 65535 * PEAK / REFERENCE_WHITE)
        self._signal = _bt1886_inverse(np.clip(light, 0, 1))
        self._encode: dict[int, np.ndarray] = {}  # relative light index -> 8- or 16-bit code, made when first asked
        self._step = np.float32(65535 * REFERENCE_WHITE / PEAK)  # relative light -> index into _encode

    def __call__(self, rgb48: np.ndarray, bits: int = 8) -> np.ndarray:
        """8-bit RGB, or 16-bit where the output is above 8 bits."""
        if bits not in self._encode:
            top, kind = (255, np.uint8) if bits == 8 else (65535, np.uint16)
            self._encode[bits] = np.clip(np.round(self._signal * top), 0, top).astype(kind)
        light = cv2.transform(self._linear[rgb48], _TO_709)  # BT.2020 -> BT.709, still linear
        light *= self._step
        np.clip(light, 0, 65535, out=light)
        return self._encode[bits][light.astype(np.uint16)]
