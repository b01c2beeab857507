"""Fast feed-forward style transfer: the 26 built-in styles of Dumoulin et al. 2017 (blendable), or a network
trained with `vidstyle train`.

This module is the backend's description and defaults; its options are .options, its implementation .stylizer.
"""

from __future__ import annotations

from vidstyle.backends.base import Backend
from vidstyle.backends.fast.options import NUM_STYLES, FastOptions
from vidstyle.core.errors import SettingError


def check(common, options: FastOptions) -> None:
    if common.preserve_color:
        raise SettingError("preserve_color", "is not available with the fast backend")
    if not options.style_id and options.model is None:
        raise SettingError("style_id", "needs at least one built-in style")
    for i in options.style_id:
        if not 0 <= i < NUM_STYLES:
            raise SettingError("style_id", f"{i} is out of range 0..{NUM_STYLES - 1}")
    weights = common.style_weights
    if weights is not None and options.model is None and len(weights) != len(options.style_id):
        raise SettingError("style_weights", f"has {len(weights)} values for {len(options.style_id)} style ids")


def build(common, options: FastOptions, device, temporal_weight: float):
    from vidstyle.backends.fast.stylizer import FastStylizer

    return FastStylizer(common, options, temporal_weight, device)


def contact_sheet(rgb, common, options: FastOptions, device):
    from vidstyle.backends.fast.stylizer import contact_sheet

    return contact_sheet(rgb, build(common, options, device, 0.0))


def models() -> list[str]:
    from vidstyle.nets.multistyle import onnx_path

    return [f"{NUM_STYLES} built-in styles, --style-id 0..{NUM_STYLES - 1} (blend with --style-weights); "
            f"weights {onnx_path()}",
            "see them on your own photo: vidstyle image PHOTO --backend fast --sheet -o sheet.png"]


BACKEND = Backend(
    name="fast",
    summary="26 built-in styles or your own trained network (one feed-forward pass a frame)",
    options=FastOptions,
    build=build,
    # The fast network's finer texture needs a firmer hold than AdaIN's: on mdn_flower at 640 px, 1.6 gave a
    # warping error of 0.0019 against 0.0025 at 0.8, for 10% less Laplacian energy.
    temporal_weight=1.6,
    # Its 1-2 px grain goes under any averaging: the painting is carried along the flow (vidstyle.temporal.carry
    # says why, with figures), and the network's features are left alone. AdaIN's feature term put back on its
    # 1/4-size map (inside the ONNX graph, as before c3afb94) steadied what the carried term leaves to the network
    # but thinned the grain the Gram distance reads (benchmarks/temporal.py, 60 frames at 640 px, on/off warping /
    # style, without -> with it): stream-of-water.webm 0.88 -> 0.64, no_duration 0.92 -> 0.64, pancake 0.57 ->
    # 0.49, friday 0.56/1.09 -> 0.45/1.36, the cockatoo 0.59/1.11 -> 0.51/1.65, mdn_flower 0.27/1.12 -> 0.23/1.32,
    # adain_cutBunny 0.39/1.66 -> 0.35/2.50; only on slow cells at half the ratio, friday 0.49/1.24, mdn_flower
    # 0.24/1.23, the cockatoo 0.58/1.12, stream-of-water.webm 0.71.
    style_images=False,
    check=check,
    contact_sheet=contact_sheet,
    models=models,
    # max RSS at 1080p, 150 frames of the cockatoo scaled up: 3.9 GiB (3.1 before the carried term kept its keys'
    # paintings at twice the size, 400 MB; 1.6 with 4 frames, adain's figure says why)
    memory=5 << 30,
    # A key's life (vidstyle.temporal.carry): the seam's warping error over the inside's 1.12 (0 frames: 1.40, 4:
    # 1.04, 12: 1.01, 20: 1.00; a synthetic pan at 128 px, units of 20 frames, as in tests/test_cluster.py)
    warmup=8,
)
