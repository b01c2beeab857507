"""The style backends, each described once: its name, its typed options, its defaults and how to build it.

A backend is one module that defines `BACKEND = Backend(...)`: the CLI's flags and help, preset and batch
validation, and the video job's temporal and resume defaults all come from these descriptions. The built-in
ones are listed in BUILTIN; more are added, without editing vidstyle, by naming their modules in
$VIDSTYLE_BACKENDS (comma-separated, importable from the Python path).

The descriptions import no torch: `vidstyle --help` and the setting checks run before any network loads.
Each `build` imports its implementation (vidstyle.stylize.*) when called.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vidstyle.errors import SettingError, UserError
from vidstyle.options import CommonOptions, check_bounds

if TYPE_CHECKING:
    import numpy as np
    import torch

    from vidstyle.stylize import Stylizer

BUILTIN = ("vidstyle.backends.adain", "vidstyle.backends.fast", "vidstyle.backends.iterative")
DEFAULT = "adain"
PLUGINS_ENV = "VIDSTYLE_BACKENDS"
# The long side (px) flow runs at unless a backend or the user says otherwise: a quarter of the cost of 640 px,
# which keeps the flow thread from starving the fast network of CPU (benchmarks/stages.py).
FLOW_SIZE = 320
# The forward-backward check trusts a match that both flows agree on. On a fast pan with motion blur that changes
# from frame to frame, DIS agrees with itself on matches whose colours differ, and the temporal terms carried the
# earlier frames' palette into later ones. So a pixel's reliability also falls with the colour difference at its
# match (vidstyle.flow.ops.colour_match): to 1/e at a mean RGB difference of COLOUR_TOLERANCE (13 of 255).
# Measured at 640 px with 640-px flow (AdaIN, warping error on/off, style distance change; benchmarks/temporal.py):
# cockatoo 0.394, +18.9% -> 0.424, +15.6%; fire2 0.364, +22.5% -> 0.478, +18.7%; the slow clips' warping error
# rose a little (README has all).
COLOUR_TOLERANCE = 0.05
# Resume data in batch jobs for backends that keep none by default: a kill then costs at most this many frames.
BATCH_CHECKPOINT_EVERY = 30


@dataclass(frozen=True)
class Backend:
    name: str
    summary: str  # one line for --help and `presets list`
    options: type  # a dataclass of vidstyle.options.setting() fields: what this backend alone takes
    # build(common, options, device, temporal_weight) -> Stylizer; temporal_weight 0 for stills or without flow
    build: Callable[[CommonOptions, Any, torch.device, float], Stylizer]
    temporal_weight: float  # default strength of the temporal term, measured per backend
    # Default long side (px) the flow runs at; 0 = the frame's own size. Finer flow costs CPU beside the network
    # and gives a lower warping error (benchmarks/temporal.py --flow-size).
    flow_size: int = FLOW_SIZE
    # The colour check's tolerance in the flow's confidence (COLOUR_TOLERANCE); None: no colour check and no
    # texture check (vidstyle.temporal.estimate_motion).
    colour_tolerance: float | None = COLOUR_TOLERANCE
    # Where the temporal term lives. True: on the network's features (inside the stylizer) and on the output,
    # which the video job applies (vidstyle.temporal.OutputBlender); False: wholly inside the stylizer.
    output_temporal: bool = True
    checkpoint_every: int = 0  # resume data every N frames of a single clip by default; 0: only in batch jobs
    style_images: bool = True  # takes `style` images (else refuses them: its styles come from its options)
    check: Callable[[CommonOptions, Any], None] | None = None  # checks across fields, SettingError if wrong
    # A contact sheet of everything the backend offers on one photo (`vidstyle image --sheet`).
    contact_sheet: Callable[[np.ndarray, CommonOptions, Any, torch.device], np.ndarray] | None = None
    models: Callable[[], list[str]] | None = None  # lines for `vidstyle models`: its weights and styles
    # Peak memory of one clip job at 1080p on the CPU, bytes, rounded up: what a Ray worker declares (vidstyle.cluster).
    memory: int = 4 << 30
    # Frames a unit of a split clip stylizes before its first when it starts inside a shot (vidstyle.units): as
    # many as bring the seam's warping error within 1.2x the inside's (benchmarks/seams.py). None: no warm-up
    # does (a backend whose state is not rebuilt by some frames), so its clips are split at cuts only.
    warmup: int | None = None


BASE_MEMORY = 512 << 20  # the process and its networks, before any frame
FULL_HD = 1920 * 1080


def peak_memory(backend: Backend, pixels: int) -> int:
    """What one job of `backend` may peak at on frames of `pixels` pixels: its figure at 1080p, scaled by the
    pixels above the base (measured peaks grow with them: adain 2.1, 3.4 and 5.3 GiB at 720p, 1080p and 1440p).
    Rounded up, as the figures are: a 4K adain job measured 11.2 GiB where this says 22."""
    return int(BASE_MEMORY + (backend.memory - BASE_MEMORY) * pixels / FULL_HD)


def side_that_fits(backend: Backend, memory: int, aspect: float) -> int:
    """The longest side (px) whose frames of this aspect (long side / short side) fit `memory` (peak_memory)."""
    pixels = max(memory - BASE_MEMORY, 0) / (backend.memory - BASE_MEMORY) * FULL_HD
    return int((pixels * aspect) ** 0.5)


@cache
def registry() -> dict[str, Backend]:
    modules = [*BUILTIN, *(m.strip() for m in os.environ.get(PLUGINS_ENV, "").split(",") if m.strip())]
    found: dict[str, Backend] = {}
    for name in modules:
        try:
            backend = importlib.import_module(name).BACKEND
        except (ImportError, AttributeError) as exc:
            raise UserError(f"${PLUGINS_ENV}: cannot load a backend from {name!r} ({exc})") from None
        found[backend.name] = backend
    return found


def names() -> tuple[str, ...]:
    return tuple(registry())


def get(name: str) -> Backend:
    try:
        return registry()[name]
    except KeyError:
        raise SettingError("backend", f"{name!r} is not one of {', '.join(names())}") from None


def check(backend: Backend, common: CommonOptions, options: Any) -> None:
    """Every check a backend's settings get before anything loads; SettingError names the setting."""
    check_bounds(common)
    check_bounds(options)
    if backend.style_images:
        if not common.style:
            raise SettingError("style", f"needs at least one image for the {backend.name} backend")
        weights = common.style_weights
        if weights is not None and len(weights) != len(common.style):
            raise SettingError("style_weights", f"has {len(weights)} values for {len(common.style)} style images")
    elif common.style:
        raise SettingError("style", f"images are not used by the {backend.name} backend")
    if common.style_weights is not None and (min(common.style_weights, default=0) < 0
                                             or sum(common.style_weights) <= 0):
        raise SettingError("style_weights", "must be non-negative and not all zero")
    if backend.check:
        backend.check(common, options)


def style_weights(common: CommonOptions) -> list[float]:
    """The style images' blend weights, normalised to sum to 1."""
    weights = list(common.style_weights) if common.style_weights is not None else [1.0] * len(common.style)
    total = float(sum(weights))
    return [w / total for w in weights]


@cache
def style_image(path: Path) -> np.ndarray:
    """A style image (HxWx3 uint8), read once per process: looks that share a painting share its pixels.

    Transparent parts are taken as white paper, as a viewer shows them: their stored colour (often black) is not
    the painting's, and it filled the style's statistics."""
    import numpy as np

    from vidstyle.media.images import load_image

    still = load_image(path)
    image = still.rgb
    if still.alpha is not None:
        a = still.alpha[..., None].astype(np.float32) / 255.0
        image = (image * a + 255.0 * (1.0 - a) + 0.5).astype(np.uint8)
    image.flags.writeable = False
    return image


MIN_STYLE_SIDE = 16  # below this a style image has no texture the networks can see (relu4_1 is 1/8 of it)


def check_style(path: Path) -> None:
    """Refuse a style image too small to carry a style; warn about one that is a flat colour."""
    import logging

    image = style_image(path)
    h, w = image.shape[:2]
    if min(h, w) < MIN_STYLE_SIDE:
        raise UserError(f"a {w}x{h} style image is too small to carry a style (at least {MIN_STYLE_SIDE} px a "
                        "side; a few hundred is usual)", path)
    if float(image.reshape(-1, 3).std(axis=0).max()) < 2.0:  # every channel nearly constant
        logging.getLogger("vidstyle").warning("%s is nearly one flat colour: the output will be flat too", path)
