"""ICC v2 matrix/TRC display profiles made from chromaticities, for tests of colour-managed stills (Pillow makes
only sRGB, LAB and XYZ profiles itself)."""

from __future__ import annotations

import struct

import numpy as np

DISPLAY_P3 = [(0.680, 0.320), (0.265, 0.690), (0.150, 0.060)]  # red, green, blue (x, y); white D65


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)


def _gamma(g: float) -> bytes:
    return b"curv" + bytes(4) + struct.pack(">IH", 1, round(g * 256)) + bytes(2)


def _desc(text: str) -> bytes:
    ascii_ = text.encode() + b"\0"
    return b"desc" + bytes(4) + struct.pack(">I", len(ascii_)) + ascii_ + bytes(8 + 2 + 1 + 67)


def matrix_profile(name: str, primaries: list[tuple[float, float]], white: tuple[float, float] = (0.3127, 0.3290),
                   gamma: float = 2.2) -> bytes:
    """An RGB display profile: the primaries' XYZ at `white`, adapted to the ICC's D50 (Bradford), and a gamma."""
    def xyz(x: float, y: float) -> np.ndarray:
        return np.array([x / y, 1.0, (1 - x - y) / y])

    w = xyz(*white)
    p = np.stack([xyz(*c) for c in primaries], 1)
    m = p * np.linalg.solve(p, w)
    bradford = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
    d50 = np.array([0.9642, 1.0, 0.8249])
    m = np.linalg.inv(bradford) @ np.diag((bradford @ d50) / (bradford @ w)) @ bradford @ m
    tags = [(b"desc", _desc(name)), (b"wtpt", _xyz(*d50)), (b"rXYZ", _xyz(*m[:, 0])), (b"gXYZ", _xyz(*m[:, 1])),
            (b"bXYZ", _xyz(*m[:, 2])), (b"rTRC", _gamma(gamma)), (b"gTRC", _gamma(gamma)), (b"bTRC", _gamma(gamma)),
            (b"cprt", b"text" + bytes(4) + b"none\0\0\0\0")]
    table, data = struct.pack(">I", len(tags)), b""
    start = 128 + 4 + 12 * len(tags)
    for signature, body in tags:
        table += signature + struct.pack(">II", start + len(data), len(body))
        data += body + bytes(-len(body) % 4)
    header = (struct.pack(">I", start + len(data)) + b"none" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ " + bytes(12)
              + b"acsp" + bytes(28) + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + bytes(48))
    assert len(header) == 128
    return header + table + data
