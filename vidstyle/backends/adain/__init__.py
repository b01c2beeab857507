"""AdaIN (Huang & Belongie 2017): any painting as the style, one encoder-decoder pass per frame.

This module is the backend's description and defaults; its options are .options, its implementation .stylizer.
"""

from __future__ import annotations

from vidstyle.backends.adain.options import AdainOptions
from vidstyle.backends.base import Backend


def build(common, options: AdainOptions, device, temporal_weight: float):
    from vidstyle.backends.adain.stylizer import AdainStylizer

    return AdainStylizer(common, options, temporal_weight, device)


def models() -> list[str]:
    from vidstyle.nets import weights

    lines = []
    for w in (weights.VGG, weights.DECODER):
        path, packaged = weights.locate(w)
        lines.append(f"{w.name}: {path}{' (sha256 checked)' if packaged else ''}")
    return lines


BACKEND = Backend(
    name="adain",
    summary="arbitrary style from any image (AdaIN, Huang & Belongie 2017)",
    options=AdainOptions,
    build=build,
    # Measured on every shared clip at 640 px (benchmarks/temporal.py --all, the docs): 0.9 keeps each one's warping
    # error under half of temporal-off (0.16-0.48) and its style distance within +15% of it (fire2 +9.7%, the
    # most). Before the output term kept its middle band's energy, 0.8 was the most the style bound allowed.
    temporal_weight=0.9,
    # Flow at up to 640 px: the network takes about 1.2 CPU-s a 640x360 frame, the motion stage about 55 CPU-ms
    # (18 at 320 px). At 640 px the warping error fell on every clip measured (the Sintel demo 0.528 -> 0.431;
    # benchmarks/temporal.py --flow-size, the docs).
    flow_size=640,
    models=models,
    # Max RSS at 1080p, 150 frames of a 720p clip scaled up: 4.7 GiB (3.6 with 4 frames, before the job's frame
    # buffers fill: the shot detector's look-ahead and the queues between threads).
    memory=6 << 30,
    warmup=12,  # seam/inside warping error 1.03 (8: 1.64), mdn_flower 320 px, units of 30 (benchmarks/seams.py)
)
