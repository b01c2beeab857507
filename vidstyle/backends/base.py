"""What every backend shares: its description (Backend), the look it paints with (Look), the protocol its stylizer
keeps (Stylizer), and the checks and style images all of them use.

A backend is one package (vidstyle.backends.adain, .fast, .iterative): its options (options.py), its description
(`BACKEND = Backend(...)` in its __init__) and its stylizer (stylizer.py), which `build` imports when called. The
descriptions import no torch: `vidstyle --help` and the setting checks run before any network loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from vidstyle.core.errors import SettingError, UserError
from vidstyle.core.options import CommonOptions, check_bounds
from vidstyle.flow import COLOUR_TOLERANCE, FLOW_SIZE

if TYPE_CHECKING:
    import numpy as np
    import torch

    from vidstyle.temporal.motion import Motion

# Resume data in batch jobs for backends that keep none by default: a kill then costs at most this many frames.
BATCH_CHECKPOINT_EVERY = 30


@dataclass(frozen=True)
class Backend:
    name: str
    summary: str  # one line for --help and `presets list`
    options: type  # a dataclass of vidstyle.core.options.setting() fields: what this backend alone takes
    # build(common, options, device, temporal_weight) -> Stylizer; temporal_weight 0 for stills or without flow
    build: Callable[[CommonOptions, Any, torch.device, float], Stylizer]
    temporal_weight: float  # default strength of the temporal term, measured per backend
    # Default long side (px) the flow runs at; 0 = the frame's own size. Finer flow costs CPU beside the network
    # and gives a lower warping error (benchmarks/temporal.py --flow-size).
    flow_size: int = FLOW_SIZE
    # The colour check's tolerance in the flow's confidence (COLOUR_TOLERANCE); None: no colour check and no
    # texture check (vidstyle.temporal.motion.estimate_motion).
    colour_tolerance: float | None = COLOUR_TOLERANCE
    # The video job carries the output's painting along the flow (vidstyle.temporal.carry.CarryBlender); False: the
    # temporal term lives wholly inside the stylizer.
    output_term: bool = True
    checkpoint_every: int = 0  # resume data every N frames of a single clip by default; 0: only in batch jobs
    style_images: bool = True  # takes `style` images (else refuses them: its styles come from its options)
    check: Callable[[CommonOptions, Any], None] | None = None  # checks across fields, SettingError if wrong
    # A contact sheet of everything the backend offers on one photo (`vidstyle image --sheet`).
    contact_sheet: Callable[[np.ndarray, CommonOptions, Any, torch.device], np.ndarray] | None = None
    models: Callable[[], list[str]] | None = None  # lines for `vidstyle models`: its weights and styles
    # Peak memory of one clip job at 1080p on the CPU, bytes, rounded up: what a Ray worker declares
    # (vidstyle.scale.cluster).
    memory: int = 4 << 30
    # Frames a unit of a split clip stylizes before its first when it starts inside a shot (vidstyle.jobs.units): as
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


@dataclass(frozen=True)
class Look:
    """What a frame is painted with: the settings that may change from frame to frame (the shared options and
    the backend's own), one set, or during a transition two mixed by weight (summing to 1), and the temporal
    weight at that frame. Backends mix what they paint with: AdaIN the style statistics, fast the style
    weights, iterative the Gram targets; numbers mix linearly and a switch (preserve_color) follows the
    heavier part."""

    parts: tuple[tuple[float, CommonOptions, Any], ...]
    temporal_weight: float

    @staticmethod
    def of(common: CommonOptions, options: Any, temporal_weight: float) -> Look:
        return Look(((1.0, common, options),), temporal_weight)

    def mean(self, value: Any) -> float:
        """The weighted mean of `value(common, options)` over the parts."""
        return sum(w * value(c, o) for w, c, o in self.parts)

    def main(self) -> tuple[CommonOptions, Any]:
        """The heavier part's settings (for values that cannot be mixed)."""
        _, common, options = max(self.parts, key=lambda p: p[0])
        return common, options


class Stylizer(Protocol):
    device: torch.device  # where it runs: the frames it is given live there, and its outputs stay there

    def set_look(self, look: Look) -> None:
        """Paint the next frames with `look` (a backend is built with its settings' look)."""
        ...

    def stylize(self, picture: torch.Tensor, motion: Motion | None = None) -> torch.Tensor:
        """1x3xHxW float content in [0,1] on the stylizer's device in (vidstyle.core.tensors.to_tensor makes one
        of a frame), the same size stylized out, in [0,1], on the device.

        `motion` relates this frame to the one given in the previous call; with it, the backend applies its
        temporal term. None starts afresh (a still, a first frame). The output-level term of the feed-forward
        backends is the video job's (CarryBlender).
        """
        ...

    # A stylizer may also have `long_term`: the frames back (1, 2, 4, ...) its temporal term ties a frame to;
    # the video job then computes the motion from each of those frames too (Motion.earlier).

    def state(self) -> dict[str, Any]:
        """What the next stylize() call depends on (for resuming a clip); tensors are not copied."""
        ...

    def load_state(self, state: dict[str, Any]) -> None:
        """The state `state()` gave, its tensors wherever they were loaded (they are moved to the device)."""
        ...


def stylize_image(stylizer: Stylizer, rgb: np.ndarray, motion: Motion | None = None) -> np.ndarray:
    """A still (HxWx3 uint8) stylized, as HxWx3 float32 in [0,1] on the host."""
    from vidstyle.core.tensors import to_array, to_tensor

    return to_array(stylizer.stylize(to_tensor(rgb, stylizer.device), motion))


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
