"""torchvision RAFT (small). Weights come from --raft-weights, or torchvision's download where online."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from vidstyle.errors import UserError

RAFT_URL_HINT = "https://download.pytorch.org/models/raft_small_C_T_V2-01064c6d.pth"


def load_raft(weights_path: Path | None) -> torch.nn.Module:
    from torchvision.models.optical_flow import Raft_Small_Weights, raft_small

    if weights_path is not None:
        if not Path(weights_path).is_file():
            raise UserError("RAFT weights not found", weights_path)
        model = raft_small(weights=None)
        try:
            model.load_state_dict(torch.load(weights_path, map_location="cpu", weights_only=True))
        except (RuntimeError, OSError, ValueError, EOFError, pickle.UnpicklingError) as exc:
            raise UserError(f"not a torchvision raft_small state_dict ({str(exc).splitlines()[0][:120]})",
                            weights_path) from None
        return model
    try:
        return raft_small(weights=Raft_Small_Weights.C_T_V2, progress=False)
    except Exception as exc:  # noqa: BLE001 - any download failure means the same thing to the user
        raise UserError(f"RAFT weights could not be downloaded ({exc.__class__.__name__}); download "
                        f"{RAFT_URL_HINT} where online and pass --raft-weights PATH, or use --flow dis") from None


class RaftFlow:
    def __init__(self, weights_path: Path | None = None, device: str | torch.device = "cpu",
                 model: torch.nn.Module | None = None, iters: int = 12) -> None:
        self.device = torch.device(device)
        self.model = (model or load_raft(weights_path)).eval().to(self.device)
        self.iters = iters

    @torch.inference_mode()
    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        h, w = a.shape[:2]
        ta, tb = (torch.from_numpy(x).to(self.device).permute(2, 0, 1)[None].float() / 127.5 - 1 for x in (a, b))
        # RAFT works at 1/8 scale and its correlation pyramid needs at least 128 px: pad, run, crop.
        ph, pw = max(128 - h, -h % 8), max(128 - w, -w % 8)
        ta = F.pad(ta, (0, pw, 0, ph), mode="replicate")
        tb = F.pad(tb, (0, pw, 0, ph), mode="replicate")
        flow = self.model(ta, tb, num_flow_updates=self.iters)[-1][0, :, :h, :w]
        return flow.permute(1, 2, 0).cpu().numpy().astype(np.float32)
