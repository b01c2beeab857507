"""Iterative style transfer: optimise the pixels of each frame against the normalised VGG-19 (Gatys et al. 2016),
with the video extensions of Ruder et al. 2016: frame t starts from the previous output warped by the flow
(disoccluded pixels from the content) and a temporal loss ties it to that warped output where the flow is
reliable.

Stills and first frames run coarse to fine: the coarsest pass (long side `min_scale`) sets the large strokes
cheaply and each finer pass, twice the size, refines the upsampled result. Warm-started frames run at full size
only, starting from an image that already has its strokes.

Losses (vidstyle.nets.losses): content and Gram style on the normalised VGG-19, the target Grams a blend of the
styles'; squared total variation; the temporal loss against the warped previous output.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F

from vidstyle.backends.base import Look, style_image, style_weights
from vidstyle.core.device import autocast, pick_precision
from vidstyle.core.errors import UserError
from vidstyle.core.tensors import to_tensor
from vidstyle.media.images import resize_to_long_side
from vidstyle.nets import weights
from vidstyle.nets.losses import content_loss, gram, style_loss, temporal_loss, total_variation
from vidstyle.nets.vgg import VGGFeatures
from vidstyle.temporal.motion import Motion

if TYPE_CHECKING:
    from vidstyle.backends.iterative.options import IterativeOptions
    from vidstyle.core.options import CommonOptions

STALL_WINDOW = 5  # iterations over which the relative loss change is measured for early stopping
# VGG-19 to relu5_1 pools four times (rounding up); its reflection-padded 3x3 convolution there needs 2 px.
MIN_SIDE = 17


@dataclass
class Losses:
    total: float
    content: float
    style: float
    temporal: float
    fit: float  # the weighted content + style (+ tv) part: what a frame is judged by, without the temporal term


def _luminance(x: torch.Tensor) -> torch.Tensor:
    return (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])


def _yiq(x: torch.Tensor) -> torch.Tensor:
    y = _luminance(x)
    i = 0.596 * x[:, 0:1] - 0.274 * x[:, 1:2] - 0.322 * x[:, 2:3]
    q = 0.211 * x[:, 0:1] - 0.523 * x[:, 1:2] + 0.312 * x[:, 2:3]
    return torch.cat([y, i, q], 1)


def _rgb(yiq: torch.Tensor) -> torch.Tensor:
    y, i, q = yiq[:, 0:1], yiq[:, 1:2], yiq[:, 2:3]
    return torch.cat([y + 0.956 * i + 0.621 * q, y - 0.272 * i - 0.647 * q, y - 1.106 * i + 1.703 * q], 1)


class _ClampBack(torch.autograd.Function):
    """x clamped to [0,1] going forward; going back, the gradient of a pixel out of range passes only where
    descent would bring it back into range. A plain clamp gives such pixels no gradient, so they stay stuck at 0
    or 1 whatever the losses want; passing every gradient (straight through) lets L-BFGS, which sees no change
    in the loss along those pixels, take huge steps outwards (a warm-started frame diverged). Astronaut x
    Composition VII at 512 px, 300 iterations: style loss 82x lower with the plain clamp, 104x with this, for
    about the same content loss (3.52 -> 3.41)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        return x.clamp(0, 1)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        inward = ((x > 1) & (grad > 0)) | ((x < 0) & (grad < 0))
        return grad * (((x >= 0) & (x <= 1)) | inward)


def _clamp_back(x: torch.Tensor) -> torch.Tensor:
    return _ClampBack.apply(x)


def _resize(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    if x.shape[-2:] == (h, w):
        return x
    return F.interpolate(x, size=(h, w), mode="bicubic", align_corners=False).clamp(0, 1)


class IterativeStylizer:
    """One frame after another; `on_step(iteration, total, loss)` reports progress within a frame."""

    def __init__(self, common: CommonOptions, options: IterativeOptions, temporal_weight: float,
                 device: torch.device) -> None:
        """The options are checked by the backend's description; those a look may change come from set_look."""
        s = options
        self.s = s
        self.device = device
        vgg = weights.network(weights.VGG, common.vgg_weights, device)
        self.features = VGGFeatures(vgg, tuple(dict.fromkeys((*s.style_layers, *s.content_layers))))
        # bf16 on AMX CPUs: twice the iterations per second for a slightly slower descent per iteration
        # (30 iterations at 360x270: 0.45 vs 0.92 s each, style loss 0.42 vs 0.36); losses stay in float32.
        self.autocast = pick_precision(device, common.precision)
        self.on_step: Callable[[int, int, float], None] | None = None
        self.last: Losses | None = None  # the last frame's final losses
        self.last_iterations = 0
        self.frame_iterations = 0  # the last frame's iterations over all its passes
        self.trace: list[Losses] = []  # the last optimisation pass's losses, iteration by iteration
        self.stop_at: float | None = None  # also stop a frame's last pass once its fit loss is this low
        self._prev: torch.Tensor | None = None  # previous output, 1x3xHxW float32
        self.long_term = tuple(s.long_term)  # frames back the temporal loss reaches (the job supplies their motion)
        self.passes = s.passes  # over the whole clip; the job runs those after the first (vidstyle.jobs.passes)
        self._earlier: deque[torch.Tensor] = deque(maxlen=max(self.long_term))  # the shot's last outputs, newest last
        # The source each output pixel was last painted from, carried along the flow: a pixel whose source has
        # not changed since (by more than `hold` levels) keeps its output, so a still scene stays still.
        self._ref: torch.Tensor | None = None
        self._grams: dict[tuple, dict[str, torch.Tensor]] = {}  # by (style, style_scale, frame size)
        self._targets: dict[tuple[int, int], dict[str, torch.Tensor]] = {}  # the look's, by frame size
        self._generator = torch.Generator().manual_seed(s.seed)
        self.set_look(Look.of(common, options, temporal_weight))

    def set_look(self, look: Look) -> None:
        """The look's Gram targets and loss weights, mixed; preserve_color follows the heavier part."""
        self.look = look
        self._targets = {}
        self.preserve_color = look.main()[0].preserve_color
        self.content_weight = look.mean(lambda c, o: o.content_weight)
        self.style_weight = look.mean(lambda c, o: o.style_weight)
        self.tv_weight = look.mean(lambda c, o: o.tv_weight)
        self.temporal_weight = look.temporal_weight

    # --- protocol -------------------------------------------------------------------------------------
    def state(self) -> dict:
        return {"prev": self._prev, "ref": self._ref, "earlier": list(self._earlier),
                "rng": self._generator.get_state()}

    def load_state(self, state: dict) -> None:
        here = (lambda t: t.to(self.device) if t is not None else None)
        self._prev = here(state["prev"])
        self._ref = here(state.get("ref"))
        self._earlier.clear()
        earlier = state.get("earlier") or ([state["prev"]] if state["prev"] is not None else [])
        self._earlier.extend(here(t) for t in earlier)
        self._generator.set_state(state["rng"])

    def stylize(self, picture: torch.Tensor, motion: Motion | None = None) -> torch.Tensor:
        h, w = picture.shape[-2:]
        if min(h, w) < MIN_SIDE:  # thin banners, tiny sprites: optimised padded (edge pixels repeated), cropped
            picture = F.pad(picture, (0, max(0, MIN_SIDE - w), 0, max(0, MIN_SIDE - h)), mode="replicate")
        content = picture.contiguous()
        warm = (self.s.init == "warped" and motion is not None and self._prev is not None
                and self._prev.shape == content.shape)
        self.frame_iterations = 0
        try:
            if warm:
                out = self._warm(content, motion)
            else:
                self._earlier.clear()
                out = self._coarse_to_fine(content)
        except (torch.OutOfMemoryError, MemoryError, RuntimeError) as exc:
            if isinstance(exc, RuntimeError) and "memory" not in str(exc).lower():
                raise
            raise UserError(f"a {w}x{h} frame does not fit in memory on {self.device} for the iterative backend; "
                            "use a smaller max_size (or fewer or lower style_layers)") from None
        self._prev = out.detach()
        self._earlier.append(self._prev)
        return out[:, :, :h, :w]

    def refine(self, rgb: np.ndarray, last: np.ndarray, near_rgb: np.ndarray, near_out: np.ndarray,
               motion: Motion, blend: float) -> np.ndarray:
        """A pass after the first (vidstyle.jobs.passes) on frame `rgb`: its result of the last pass `last`, and the
        neighbour in this pass's direction, its source `near_rgb` and new result `near_out` (all uint8, one
        size), `motion` relating the frame to that neighbour. Starts from `last` blended with the warped
        neighbour (`blend` where the flow is reliable), then `pass_iterations` with the temporal loss towards
        it; pixels whose source matches the neighbour's (within `hold`) keep the start."""
        content = to_tensor(rgb, self.device).contiguous()
        h, w = content.shape[-2:]
        grid, conf = motion.at(h, w, (h, w), self.device)

        def warp(image: np.ndarray, mode: str) -> torch.Tensor:
            return F.grid_sample(to_tensor(image, self.device), grid, mode=mode, padding_mode="border",
                                 align_corners=True).clamp(0, 1)

        warped = warp(near_out, "bicubic")
        start = torch.lerp(to_tensor(last, self.device), warped, blend * conf)
        gate = self._changed(content, warp(near_rgb, "bilinear")) if self.s.hold > 0 else None
        self.frame_iterations = 0
        if gate is not None and gate.max() < 1 / 255:
            out = start
        else:
            out = self._optimise(start, content, self.s.pass_iterations, warped, conf, gate=gate, held=start)
        return out[0].permute(1, 2, 0).contiguous().cpu().numpy()

    def measure(self, image: np.ndarray, content: np.ndarray) -> Losses:
        """The losses of `image` as a stylization of `content` (same size, no temporal term): of the content
        itself, this is where optimisation starts."""
        self._optimise(to_tensor(image, self.device), to_tensor(content, self.device), 0, None, None)
        return self.last

    # --- the two schedules --------------------------------------------------------------------------------
    def _sizes(self, h: int, w: int) -> list[tuple[int, int]]:
        """Coarse to fine: the last is the frame's size, each earlier one half the next, none below min_scale."""
        sizes = [(h, w)]
        while len(sizes) < self.s.scales and max(sizes[0]) / 2 >= self.s.min_scale and min(sizes[0]) / 2 >= MIN_SIDE:
            ph, pw = sizes[0]
            sizes.insert(0, (max(1, round(ph / 2)), max(1, round(pw / 2))))
        return sizes

    def _coarse_to_fine(self, content: torch.Tensor) -> torch.Tensor:
        self._ref = content
        h, w = content.shape[-2:]
        sizes = self._sizes(h, w)
        per_scale = max(1, self.s.iterations // len(sizes))
        x = None
        for i, (sh, sw) in enumerate(sizes):
            c = _resize(content, sh, sw)
            if x is None:
                x = c.clone() if self.s.init != "noise" else torch.rand(c.shape, generator=self._generator).to(c)
            else:
                x = _resize(x, sh, sw)
            iters = self.s.iterations - per_scale * (len(sizes) - 1) if i == len(sizes) - 1 else per_scale
            x = self._optimise(x, c, iters, None, None, final_pass=i == len(sizes) - 1)
        return x

    def _warm(self, content: torch.Tensor, motion: Motion) -> torch.Tensor:
        h, w = content.shape[-2:]
        grid, conf = motion.at(h, w, (h, w), self.device)
        warped = F.grid_sample(self._prev, grid, mode="bicubic", padding_mode="border", align_corners=True).clamp(0, 1)
        gate = None
        if self.s.hold > 0 and self._ref is not None and self._ref.shape == content.shape:
            ref = F.grid_sample(self._ref, grid, mode="bilinear", padding_mode="border", align_corners=True)
            gate = self._changed(content, ref)
            self._ref = torch.lerp(ref, content, gate)
            if gate.max() < 1 / 255:  # no pixel free to move by a level: the optimisation would only go on
                # descending on a source that has not changed, so it is skipped
                self.last_iterations = 0
                return warped
        else:
            self._ref = content
        # Disoccluded pixels start from the content (Ruder et al.), the rest from the warped previous output.
        x = warped * conf + content * (1 - conf)
        return self._optimise(x, content, self.s.iterations_later, warped, conf, gate=gate,
                              longer=self._long_term_targets(motion, conf, h, w))

    def _long_term_targets(self, motion: Motion, conf: torch.Tensor, h: int, w: int
                           ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Ruder et al. 2016's long-term terms: the output of frame t-j warped to this frame, each pixel weighted
        only where frame t-j is the nearest frame that sees it reliably, max(c_j - sum of nearer c, 0)."""
        targets = []
        nearer = conf.clone()
        for j in self.long_term:
            if j == 1 or j not in motion.earlier or j > len(self._earlier):
                continue
            grid, c = motion.earlier[j].at(h, w, (h, w), self.device)
            weight = (c - nearer).clamp(min=0)
            nearer = nearer + c
            if weight.max() > 0:
                earlier = F.grid_sample(self._earlier[-j], grid, mode="bicubic", padding_mode="border",
                                        align_corners=True).clamp(0, 1)
                targets.append((earlier, weight))
        return targets

    def _changed(self, content: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        """1x1xHxW in [0,1]: how free each output pixel is to change. 0 where the source is within `hold` levels
        of what the pixel was painted from (a 3x3 mean, so noise does not count); 1 from three times that. This
        also catches where the flow is wrong (the carried source no longer matches), so the flow's reliability
        is not asked: on a still scene DIS flagged a few reliable pixels, and repainting them made the output
        jump there (0.5 levels over the frame)."""
        diff = F.avg_pool2d((content - ref).abs().amax(1, keepdim=True), 3, stride=1, padding=1,
                            count_include_pad=False)
        low = self.s.hold / 255.0
        return ((diff - low) / (2 * low)).clamp(0, 1)

    # --- the optimisation ---------------------------------------------------------------------------------
    def _style_grams(self, path: Path, style_scale: float, h: int, w: int) -> dict[str, torch.Tensor]:
        """One style's Grams for a frame of h x w: the style resized so its long side is style_scale times the
        frame's (as neural-style does), so strokes keep their size relative to the frame at every scale."""
        key = (str(path), style_scale, h, w)
        if key not in self._grams:
            img = resize_to_long_side(style_image(path), style_scale * max(h, w))
            with torch.no_grad(), autocast(self.device, self.autocast):
                feats = self.features(to_tensor(img, self.device))
            self._grams[key] = {name: gram(feats[name]) for name in self.s.style_layers}
        return self._grams[key]

    def _style_targets(self, h: int, w: int) -> dict[str, torch.Tensor]:
        """The look's Gram targets for a frame of h x w: its styles' Grams mixed by weight."""
        if (h, w) not in self._targets:
            targets: dict[str, torch.Tensor] = {}
            for part, common, options in self.look.parts:
                for path, weight in zip(common.style, style_weights(common)):
                    for name, g in self._style_grams(path, options.style_scale, h, w).items():
                        targets[name] = targets[name] + part * weight * g if name in targets else part * weight * g
            self._targets[(h, w)] = targets
        return self._targets[(h, w)]

    def _optimise(self, x: torch.Tensor, content: torch.Tensor, iterations: int, warped: torch.Tensor | None,
                  conf: torch.Tensor | None, final_pass: bool = True, gate: torch.Tensor | None = None,
                  longer: list[tuple[torch.Tensor, torch.Tensor]] = (), held: torch.Tensor | None = None
                  ) -> torch.Tensor:
        """`gate`: per pixel, how much of the result is optimised; the rest stays `held` (default `warped`).
        `longer`: the long-term terms' targets and weights, beside the previous frame's (`warped`, `conf`)."""
        held = warped if held is None else held
        s = self.s
        h, w = content.shape[-2:]
        targets = self._style_targets(h, w)
        luminance_only = self.preserve_color
        base = _yiq(content) if luminance_only else None
        with torch.no_grad(), autocast(self.device, self.autocast):
            content_feats = {k: v.float() for k, v in self.features(content).items() if k in s.content_layers}
        if luminance_only:  # optimise luminance only; colour (I, Q) stays the content's (Gatys et al. 2017)
            param = _yiq(x)[:, 0:1].detach().clone().requires_grad_(True)
        else:
            param = x.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)

        def image() -> torch.Tensor:
            # The losses see the image as it will be saved, clamped to [0,1]: unclamped, the optimiser paints
            # style into values out of range that the saved image loses (kodim03 x wave at 512: 90x lower style
            # loss in the optimiser, 59x once clamped and saved).
            rgb = _rgb(torch.cat([param, base[:, 1:]], 1)) if luminance_only else param
            if gate is not None:  # held pixels are constant: the losses see them, fixed
                rgb = torch.lerp(held, rgb, gate)
            return _clamp_back(rgb)

        def losses() -> tuple[torch.Tensor, Losses]:
            img = image()
            with autocast(self.device, self.autocast):
                feats = self.features(img.contiguous(memory_format=torch.channels_last))
            c = content_loss(feats, content_feats, s.content_layers)
            st = style_loss(feats, targets, s.style_layers)
            total = self.content_weight * c + self.style_weight * st
            if self.tv_weight:
                total = total + self.tv_weight * total_variation(img)
            fit = total
            t = torch.zeros(())
            if warped is not None and self.temporal_weight > 0:
                t = temporal_loss(img, warped, conf)
                for target, weight in longer:
                    t = t + temporal_loss(img, target, weight)
                total = total + self.temporal_weight * t
            return total, Losses(total.item(), c.item(), st.item(), t.item(), fit.item())

        if s.optimizer == "lbfgs":
            # One iteration per step() so progress and early stopping see every one; the history carries over.
            opt: torch.optim.Optimizer = torch.optim.LBFGS([param], lr=1.0, max_iter=1, history_size=100,
                                                           tolerance_grad=0.0, tolerance_change=0.0)
        else:
            opt = torch.optim.Adam([param], lr=s.learning_rate)
        history: list[float] = []
        record: list[Losses] = []

        def closure() -> torch.Tensor:
            opt.zero_grad()
            total, parts = losses()
            total.backward()
            record.append(parts)
            return total

        done = 0
        for done in range(1, iterations + 1):
            opt.step(closure)  # no clamping between steps: it would corrupt L-BFGS's curvature history
            history.append(record[-1].total)
            if self.on_step:
                self.on_step(done, iterations, record[-1].total)
            if self.stop_at is not None and record[-1].fit <= self.stop_at and final_pass:
                break
            if len(history) > STALL_WINDOW and s.tolerance > 0:
                old = history[-STALL_WINDOW - 1]
                if abs(old - history[-1]) <= s.tolerance * abs(old):
                    break
        with torch.no_grad():
            _, parts = losses()
            out = image().detach().clamp(0, 1)
        self.last = parts
        self.last_iterations = done
        self.frame_iterations += done
        self.trace = record
        return out
