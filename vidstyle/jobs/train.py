"""Training a one-style feed-forward network: perceptual losses on the normalised VGG-19 (Johnson et al. 2016)
and, on consecutive video frames, a temporal loss on the outputs with flow and occlusion masks (Ruder et al.
2018): mean of c * (out_t - warp(out_t-1))^2. Checkpoints make a killed run resume where it stopped.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from vidstyle.backends.base import style_image
from vidstyle.core.device import autocast, pick_precision
from vidstyle.core.errors import UserError
from vidstyle.core.progress import make_progress
from vidstyle.flow.opencv import OpenCVFlow
from vidstyle.media.atomic import atomic_output, check_output_path
from vidstyle.media.formats import is_clip
from vidstyle.media.frames import Frame
from vidstyle.media.images import is_image, load_image, resize_short_side, save_image
from vidstyle.media.source import VideoSource
from vidstyle.nets import weights
from vidstyle.nets.losses import content_loss, gram, style_loss, temporal_loss, total_variation
from vidstyle.nets.multistyle import MultiStyleNet, save_model
from vidstyle.nets.vgg import STYLE_LAYERS, VGGFeatures
from vidstyle.temporal.motion import Motion, estimate_motion

log = logging.getLogger("vidstyle")

CONTENT_LAYER = "relu3_1"


@dataclass
class TrainOptions:
    style: Path
    data: list[Path]
    output: Path
    steps: int = 2000
    batch_size: int = 4
    size: int = 256
    width: int = 32
    lr: float = 1e-3
    content_weight: float = 1.0
    style_weight: float = 10.0
    tv_weight: float = 1e-4
    temporal_weight: float = 10.0
    style_size: int = 512
    checkpoint_every: int = 100
    preview_every: int = 100
    frames_per_clip: int = 300  # decoded frames kept per clip (memory bound)
    resume: bool = True
    seed: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    precision: str = "auto"
    quiet: bool = False


@dataclass
class Pair:
    """Crop `index` of a batch came from a clip: the previous frame's crop and the motion to it."""

    index: int
    prev: np.ndarray
    motion: Motion


class TrainingData:
    """Photos and consecutive frame pairs from clips, at a working size of `size` on the short side.

    Photos are read when a batch draws them, not all at the start: the full recipe's 20-40k photos held at 256 px
    would take 5-10 GiB. A file that cannot be read is left out with a warning, not the whole run: one broken file
    in a folder of thousands should not stop it."""

    def __init__(self, paths: list[Path], size: int, frames_per_clip: int) -> None:
        self.size = size
        self.images: list[Path] = []
        self.clips: list[list[np.ndarray]] = []
        for root in paths:
            if not root.exists():
                raise UserError("training data not found", root)
            files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
            for f in files:
                if is_image(f):
                    self.images.append(f)
                elif is_clip(f):
                    frames = self._clip(f, frames_per_clip)
                    if len(frames) >= 2:
                        self.clips.append(frames)
        # The preview's source: the first photo that can be read (those before it are said and left out now),
        # else a clip's first frame.
        self.preview = self._first_photo()
        if self.preview is None:
            if not self.clips:
                raise UserError("no images or clips found in the training data", paths[0])
            self.preview = self.clips[0][0]
        self.flow = OpenCVFlow("dis")

    def _clip(self, path: Path, count: int) -> list[np.ndarray]:
        """Up to `count` frames from the start of the clip; those before any damage, if it is damaged."""
        frames: list[np.ndarray] = []
        try:
            with VideoSource(path) as src:
                for item in src.frames(with_audio=False):
                    if isinstance(item, Frame):
                        frames.append(resize_short_side(item.rgb, self.size))
                        if len(frames) >= count:
                            break
        except UserError as exc:
            log.warning("%s; %d of its frames are used", exc, len(frames))
        return frames

    def _photo(self, path: Path) -> np.ndarray | None:
        try:
            return resize_short_side(load_image(path).rgb, self.size)
        except UserError as exc:
            log.warning("%s; left out of the training data", exc)
            self.images.remove(path)
            return None

    def _first_photo(self) -> np.ndarray | None:
        """The first photo that can be read (None: none can)."""
        while self.images:
            photo = self._photo(self.images[0])
            if photo is not None:
                return photo
        return None

    def _draw(self, rng: random.Random) -> np.ndarray:
        while self.images:
            photo = self._photo(rng.choice(self.images))
            if photo is not None:
                return photo
        raise UserError("none of the training photos can be read")

    def _crop(self, rng: random.Random, *frames: np.ndarray) -> list[np.ndarray]:
        h, w = frames[0].shape[:2]
        s = min(self.size, h, w)
        y, x = rng.randint(0, h - s), rng.randint(0, w - s)
        return [f[y:y + s, x:x + s] for f in frames]

    def batch(self, rng: random.Random, n: int) -> tuple[np.ndarray, list[Pair]]:
        """`n` content crops (every second one from a clip when there are both), and a Pair for each clip crop."""
        crops, pairs = [], []
        for i in range(n):
            if self.clips and (not self.images or i % 2 == 1):
                clip = rng.choice(self.clips)
                t = rng.randint(1, len(clip) - 1)
                prev, cur = self._crop(rng, clip[t - 1], clip[t])
                pairs.append(Pair(i, prev, estimate_motion(self.flow, prev, cur)))
                crops.append(cur)
            else:
                crops.append(self._crop(rng, self._draw(rng))[0])
        s = min(c.shape[0] for c in crops)  # crops are square; small sources give smaller ones
        pairs = [Pair(p.index, p.prev[:s, :s], Motion(p.motion.flow[:s, :s], p.motion.confidence[:s, :s]))
                 for p in pairs]
        return np.stack([c[:s, :s] for c in crops]), pairs


def _tensor(batch: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(batch)).to(device).permute(0, 3, 1, 2).float().div_(255.0)


class Trainer:
    def __init__(self, opts: TrainOptions) -> None:
        self.opts = opts
        torch.manual_seed(opts.seed)
        self.rng = random.Random(opts.seed)
        self.data = TrainingData(opts.data, opts.size, opts.frames_per_clip)
        self.net = MultiStyleNet(styles=1, width=opts.width).to(opts.device)
        self.style_vec = torch.ones(1, device=opts.device)
        self.optim = torch.optim.Adam(self.net.parameters(), lr=opts.lr)
        layers = tuple(dict.fromkeys((*STYLE_LAYERS, CONTENT_LAYER)))
        self.vgg = VGGFeatures(weights.network(weights.VGG, device=opts.device), layers)
        self.autocast = pick_precision(opts.device, opts.precision)
        style = resize_short_side(style_image(opts.style), opts.style_size)
        with torch.no_grad():
            feats = self.vgg(_tensor(style[None], opts.device))
            self.style_grams = {k: gram(feats[k]) for k in STYLE_LAYERS}
        self.step = 0
        self.checkpoint = opts.output.with_name(opts.output.name + ".ckpt")
        self.preview_source = self.data.preview

    def losses(self, content: np.ndarray, pairs: list[Pair]) -> dict[str, torch.Tensor]:
        o, dev = self.opts, self.opts.device
        x = _tensor(content, dev)
        with autocast(dev, self.autocast):
            out = self.net(x, self.style_vec)
            f_out, f_in = self.vgg(out), self.vgg(x)
        out32 = out.float()
        # The style loss summed over its layers (not averaged, as elsewhere): the default weights were tuned so.
        result = {"content": o.content_weight * content_loss(f_out, f_in, (CONTENT_LAYER,)),
                  "style": o.style_weight * len(STYLE_LAYERS) * style_loss(f_out, self.style_grams, STYLE_LAYERS),
                  "tv": o.tv_weight * total_variation(out32, power=1)}
        if pairs and o.temporal_weight > 0:
            prev = _tensor(np.stack([p.prev for p in pairs]), dev)
            with autocast(dev, self.autocast):
                out_prev = self.net(prev, self.style_vec).float()
            h, w = out_prev.shape[-2:]
            grids, confs = zip(*(p.motion.at(h, w, (h, w), dev) for p in pairs))
            warped = F.grid_sample(out_prev, torch.cat(grids), mode="bilinear", padding_mode="border",
                                   align_corners=True)
            conf = torch.cat(confs)
            current = out32[[p.index for p in pairs]]
            result["temporal"] = o.temporal_weight * temporal_loss(current, warped, conf)
        return result

    def save_checkpoint(self) -> None:
        state = {"step": self.step, "net": self.net.state_dict(), "optim": self.optim.state_dict(),
                 "rng": self.rng.getstate(), "torch_rng": torch.get_rng_state()}
        with atomic_output(self.checkpoint) as tmp:
            torch.save(state, tmp)

    def load_checkpoint(self) -> bool:
        if not (self.opts.resume and self.checkpoint.exists()):
            return False
        state = torch.load(self.checkpoint, map_location=self.opts.device, weights_only=False)
        self.net.load_state_dict(state["net"])
        self.optim.load_state_dict(state["optim"])
        self.rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        self.step = int(state["step"])
        return True

    @torch.no_grad()
    def preview(self) -> Path:
        path = self.opts.output.with_name(f"{self.opts.output.stem}.preview.png")
        x = _tensor(self.preview_source[None], self.opts.device)
        h, w = x.shape[-2:]
        x = F.pad(x, (0, -w % 4, 0, -h % 4), mode="replicate")
        out = self.net(x, self.style_vec)[0, :, :h, :w].clamp(0, 1).permute(1, 2, 0).cpu().numpy()
        with atomic_output(path) as tmp:
            save_image(tmp, np.concatenate([self.preview_source, (out * 255 + 0.5).astype(np.uint8)], 1), fmt_hint=path)
        return path

    def run(self) -> dict[str, float]:
        o = self.opts
        resumed = self.load_checkpoint()
        history: list[float] = []
        first: float | None = None
        start, start_step = time.perf_counter(), self.step
        with make_progress(o.quiet) as progress:
            task = progress.add_task("train" + (" (resumed)" if resumed else ""), total=o.steps, completed=self.step)
            while self.step < o.steps:
                content, pairs = self.data.batch(self.rng, o.batch_size)
                parts = self.losses(content, pairs)
                loss = sum(parts.values())
                self.optim.zero_grad(set_to_none=True)
                loss.backward()
                self.optim.step()
                self.step += 1
                perceptual = float((parts["content"] + parts["style"]).detach())
                history.append(perceptual)
                first = perceptual if first is None else first
                progress.update(task, advance=1, description="train " + " ".join(
                    f"{k} {float(v.detach()):.3g}" for k, v in parts.items()))
                if self.step % o.checkpoint_every == 0 or self.step == o.steps:
                    self.save_checkpoint()
                if o.preview_every and (self.step % o.preview_every == 0 or self.step == o.steps):
                    self.preview()
        with atomic_output(o.output) as tmp:
            save_model(self.net.cpu().eval(), tmp, style=str(o.style.name), steps=self.step)
        self.checkpoint.unlink(missing_ok=True)
        steps_run = self.step - start_step
        window = max(1, min(20, len(history) // 4))
        return {"steps": self.step, "steps_per_s": steps_run / max(time.perf_counter() - start, 1e-9),
                "perceptual_first": float(np.mean(history[:window])) if history else float("nan"),
                "perceptual_last": float(np.mean(history[-window:])) if history else float("nan")}


def train(opts: TrainOptions) -> dict[str, float]:
    check_output_path(opts.output, [opts.style, *opts.data])
    style_image(opts.style)  # a bad style fails before the data is read
    return Trainer(opts).run()
