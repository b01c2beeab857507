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
    # The painting is carried along the flow, as the fast backend's (vidstyle.temporal.carry), with a feature term
    # that steadies what is not carried, lighter on fast motion (vidstyle.temporal.blend.FEATURE_RATIO, which
    # gives its figures). On/off warping error, style distance and content loss at 640 px (benchmarks/temporal.py, 60
    # frames): the blended output bands at 0.9 that this replaced, fire2 0.48/1.33/1.16, realshort 0.41/1.94/1.24,
    # cockatoo 0.40/1.06/1.16; carried at 2.4, fire2 0.58/1.13/0.99, realshort 0.25/1.08/1.01, cockatoo
    # 0.45/1.17/0.97 (at 1.6 without the feature term, fire2 0.72/1.10). docs/cluster.md has every clip's.
    temporal_weight=2.4,
    # Flow at up to 640 px: the network takes about 1.2 CPU-s a 640x360 frame, the motion stage about 55 CPU-ms
    # (18 at 320 px). At 640 px the warping error fell on every clip measured (the Sintel demo 0.528 -> 0.431;
    # benchmarks/temporal.py --flow-size, the docs).
    flow_size=640,
    models=models,
    # Max RSS at 1080p, 150 frames of a 720p clip scaled up: 4.7 GiB (3.6 with 4 frames, before the job's frame
    # buffers fill: the shot detector's look-ahead and the queues between threads), measured before the carried
    # term, whose keys hold 400 MB more at 1080p (the fast backend's figure).
    memory=6 << 30,
    warmup=12,  # seam/inside warping error 1.03 (8: 1.64), mdn_flower 320 px, units of 30 (benchmarks/seams.py)
)
