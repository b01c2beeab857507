"""Multi-pass (Ruder et al. 2016, section 3.3): after the first, forward pass over a clip, passes alternate
backward and forward over the outputs kept in the resume folder. In each, a frame starts from its last result
blended with its neighbour's new result warped to it (half where the flow is reliable), and is optimised again
a few iterations with the temporal loss towards that neighbour. The first pass only looks back, so a frame
never learns what later ones became; later passes carry consistency both ways and even out slow drift.

Each frame is rewritten in place (atomically) as the pass reaches it, and passes.json records where the
passes stand, so a killed job goes on from the frame it was at.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2

from vidstyle.flow import FlowEstimator
from vidstyle.jobs.checkpoint import Checkpoint
from vidstyle.temporal.motion import estimate_motion

BLEND = 0.5  # Ruder et al.'s delta: the neighbour's share of a frame's start, where the flow is reliable


@dataclass
class PassState:
    frames: int  # frames of the clip, all on disk after the first pass
    shot_starts: list[int]  # first frame of each shot: no pass carries anything across a cut
    passes: int
    done: int = 1  # passes finished
    next: int = 0  # position, in the running pass's order, of the next frame to refine

    def order(self, number: int) -> list[int]:
        """Frame indices in pass `number`'s order: even passes run backward."""
        return list(range(self.frames - 1, -1, -1)) if number % 2 == 0 else list(range(self.frames))

    def neighbour(self, index: int, number: int) -> int | None:
        """The frame before `index` in pass `number`'s direction, in the same shot."""
        other = index + 1 if number % 2 == 0 else index - 1
        if not 0 <= other < self.frames:
            return None
        first, last = sorted((index, other))
        return None if any(first < s <= last for s in self.shot_starts) else other


def state_path(checkpoint: Checkpoint) -> Path:
    return checkpoint.folder / "passes.json"


def load(checkpoint: Checkpoint) -> PassState | None:
    try:
        return PassState(**json.loads(state_path(checkpoint).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def save(checkpoint: Checkpoint, state: PassState) -> None:
    tmp = state_path(checkpoint).with_suffix(".part")
    tmp.write_text(json.dumps(asdict(state)))
    os.replace(tmp, state_path(checkpoint))


def refine(checkpoint: Checkpoint, state: PassState, stylizer, estimator: FlowEstimator, flow_size: int,
           on_frame: Callable[[int, int], None] | None = None) -> None:
    """Run the passes after the first, from where `state` says, rewriting the stored frames."""
    while state.done < state.passes:
        number = state.done + 1
        order = state.order(number)
        while state.next < len(order):
            index = order[state.next]
            other = state.neighbour(index, number)
            if other is not None:
                source, near = checkpoint.load_source(index), checkpoint.load_source(other)
                motion = estimate_motion(estimator, near, source, flow_size)
                out = stylizer.refine(source, checkpoint.load_frame(index), near, checkpoint.load_frame(other),
                                      motion, BLEND)
                checkpoint.save_frame(index, cv2.convertScaleAbs(out, alpha=255.0), atomic=True)
            state.next += 1
            save(checkpoint, state)
            if on_frame:
                on_frame(number, state.next)
        state.done, state.next = number, 0
        save(checkpoint, state)
