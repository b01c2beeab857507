"""Joining a Ray cluster (or starting one here) and sizing its workers: what one holds, and how many fit."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidstyle.backends.base import peak_memory
from vidstyle.core.errors import UserError
from vidstyle.scale.batch import JOB_SETTINGS, BatchJob
from vidstyle.settings import resolve

INSTALL = "pip install 'vidstyle[ray]'"


def ray_module():
    try:
        import ray
    except ImportError:
        raise UserError(f"--ray needs Ray, an optional extra: {INSTALL}") from None
    return ray


def connect(address: str) -> bool:
    """Join the cluster at `address`, or with "auto" a running one, else start one on this machine; whether
    this call started it (and so shuts it down at the end)."""
    if address != "auto" and "RAY_AUTH_MODE" not in os.environ and _has_token():
        # A cluster from `ray start` (Ray 2.60) asks for its token; a driver joining by address sends it only in
        # token mode, read when Ray is imported (a cluster without authentication accepts it too).
        os.environ["RAY_AUTH_MODE"] = "token"
    ray = ray_module()
    options = {"log_to_driver": False, "include_dashboard": False, "logging_level": logging.WARNING}
    if address == "auto":
        try:
            ray.init(address="auto", **options)
            return False
        except ConnectionError:
            ray.init(**options)
            return True
    host, port = _host_port(address)
    try:  # Ray would retry an unreachable address for minutes; one quick look says it is not there
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise UserError(f"--ray {address}: no Ray cluster reachable there ({exc.strerror or exc})") from None
    try:
        ray.init(address=address, **options)
    except Exception as exc:  # noqa: BLE001 - Ray raises several kinds here, all meaning the same to the user
        text = str(exc)
        if "InvalidAuthToken" in text or exc.__class__.__name__ == "AuthenticationError":
            raise UserError(f"--ray {address}: the cluster refused this machine's token: copy the head node's "
                            "~/.ray/auth_token here, or set RAY_AUTH_TOKEN") from None
        raise UserError(f"--ray {address}: cannot join the cluster ({text.splitlines()[0] if text else exc})"
                        ) from None
    return False


def _has_token() -> bool:
    if os.environ.get("RAY_AUTH_TOKEN"):
        return True
    path = os.environ.get("RAY_AUTH_TOKEN_PATH") or Path.home() / ".ray" / "auth_token"
    return Path(path).is_file()


def _host_port(address: str) -> tuple[str, int]:
    rest = address.split("://", 1)[-1]
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"--ray {address!r}: give auto, or the head node's HOST:PORT (as `ray start --head` prints)")
    return host, int(port)


@dataclass(frozen=True)
class Shape:
    """What one worker holds."""

    cpus: int
    gpus: int
    memory: int  # bytes

    def count(self, nodes: list[dict[str, float]]) -> int:
        """Workers the nodes hold, each whole on one node."""
        total = 0
        for res in nodes:
            fits = [res.get("CPU", 0) // self.cpus, res.get("memory", 0) // self.memory]
            if self.gpus:
                fits.append(res.get("GPU", 0) // self.gpus)
            total += int(min(fits))
        return total


def worker_shape(job: BatchJob, nodes: list[dict[str, float]]) -> Shape:
    """A GPU per worker where the presets may use one and the cluster has them, else `worker_cpus` CPUs (by
    default up to 4, no more than the smallest node has); the memory the presets' backends declare."""
    settings = [resolve(p, job.settings, job.presets_dir, JOB_SETTINGS) for p in job.presets]
    devices = {s.common.device for s in settings}
    memory = max(_memory(s) for s in settings)
    has_gpu = any(n.get("GPU", 0) >= 1 for n in nodes)
    if "cuda" in devices and not has_gpu:
        raise UserError("no node of the Ray cluster has a GPU, and a preset asks for device cuda")
    gpus = 1 if has_gpu and devices <= {"auto", "cuda"} else 0
    if "cpu" in devices and gpus:
        gpus = 0  # one kind of worker for the whole batch: a preset pinned to the CPU keeps it on CPUs
    smallest = min((int(n.get("CPU", 0)) for n in nodes), default=0)
    cpus = job.worker_cpus or (1 if gpus else max(1, min(4, smallest)))
    shape = Shape(cpus, gpus, memory)
    if shape.count(nodes) == 0:
        need = f"{cpus} CPUs{', 1 GPU' if gpus else ''} and {memory / (1 << 30):.1f} GiB of memory"
        raise UserError(f"no node of the Ray cluster can hold a worker ({need}); lower --worker-cpus or add nodes")
    return shape


def _memory(settings: Any) -> int:
    """What a worker running these settings may peak at: the backend's figure at 1080p, scaled by the pixels of
    the settings' frame size (16:9) where it is smaller."""
    side = settings.common.max_size
    if not side or side >= 1920:
        return settings.describe().memory
    return peak_memory(settings.describe(), round(side * side * 9 / 16))


def alive_nodes() -> list[dict[str, float]]:
    ray = ray_module()
    return [n["Resources"] for n in ray.nodes() if n.get("Alive")]
