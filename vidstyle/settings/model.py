"""One job's settings (Settings) and its looks over the clip (LookPlan: [[shot]] tables and keyframes).

The two refer to each other (each table's settings are a whole Settings), so they live in one module; reading
them from presets and flags is vidstyle.settings (resolve), and the looks' reading and frame-by-frame schedule
vidstyle.settings.looks.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from vidstyle import backends
from vidstyle.backends.base import BATCH_CHECKPOINT_EVERY, Backend
from vidstyle.core.errors import SettingError, UserError
from vidstyle.core.options import CommonOptions, OutputOptions
from vidstyle.core.timepoints import TimePoint

TABLE = "shot"  # [[shot]]


@dataclass(frozen=True)
class Keyframes:
    times: tuple[float, ...]  # seconds, increasing
    values: tuple[Any, ...]  # numbers, or lists of numbers of one length

    def at(self, seconds: float) -> Any:
        i = bisect.bisect_right(self.times, seconds)
        if i == 0:
            return self.values[0]
        if i == len(self.times):
            return self.values[-1]
        t0, t1 = self.times[i - 1], self.times[i]
        a, b = self.values[i - 1], self.values[i]
        s = (seconds - t0) / (t1 - t0)
        if isinstance(a, list):
            return [x + s * (y - x) for x, y in zip(a, b)]
        return a + s * (b - a)


@dataclass
class Rule:
    """One [[shot]] table: what it selects and the settings its frames get."""

    label: str  # "[[shot]] 2 (preset trailer)", for messages
    shots: tuple[int, ...] | None
    start: TimePoint | None
    end: TimePoint | None
    transition: int
    settings: Settings
    keyframes: dict[str, Keyframes]  # its own, and the top level's for the keys it does not set

    def selects(self, shot: int, index: int, seconds: float) -> bool:
        if self.shots is not None:
            return shot in self.shots
        return (self.start is None or self.start.reached(index, seconds)) and \
            (self.end is None or not self.end.reached(index, seconds))

    def where(self) -> str:
        if self.shots is not None:
            return f"shot{'s' if len(self.shots) > 1 else ''} {', '.join(map(str, self.shots))}"
        return f"{self.start or 'the start'} to {self.end or 'the end'}"


@dataclass
class LookPlan:
    """A job's looks: the top level (the settings and their keyframes) and its [[shot]] rules."""

    keyframes: dict[str, Keyframes] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    source: str = ""  # the tables and keyframes as given, for resume fingerprints

    def __bool__(self) -> bool:
        return bool(self.keyframes or self.rules)

    def by_shot(self) -> bool:
        """Whether a rule selects shots by number (the clip's shots must then be known before it starts)."""
        return any(r.shots is not None for r in self.rules)

    def max_temporal_weight(self, base: Settings) -> float:
        """The strongest temporal weight any frame may get (the job needs flow when it is above 0)."""
        weights = [base.temporal_weight(), *(r.settings.temporal_weight() for r in self.rules)]
        for frames in [self.keyframes, *(r.keyframes for r in self.rules)]:
            weights += frames["temporal_weight"].values if "temporal_weight" in frames else []
        return max(weights)

    def check_clip(self, duration: float | None, shots: int | None) -> None:
        """What needs the clip: times inside it, shot numbers that exist (`shots`: how many, when known)."""
        for rule in self.rules:
            if shots is not None and rule.shots is not None and max(rule.shots) > shots:
                raise UserError(f"{rule.label} selects shot {max(rule.shots)}, but the clip has {shots} "
                                f"shot{'s' if shots > 1 else ''} (`vidstyle shots CLIP` lists them)")
            if duration is not None and rule.start is not None and rule.start.seconds is not None \
                    and rule.start.seconds >= duration:
                raise UserError(f"{rule.label}: start {rule.start} is past the end of the clip ({duration:.3f} s)")
        if duration is not None:
            for label, keys in [("the top level", self.keyframes), *((r.label, r.keyframes) for r in self.rules)]:
                for key, frames in keys.items():
                    if frames.times[-1] > duration:
                        raise UserError(f"{key} keyframe at {frames.times[-1]:g} s is past the end of the clip "
                                        f"({duration:.3f} s; {label})")


@dataclass
class Settings:
    """Everything a stylization job needs besides its input and output. Make one with `resolve`."""

    backend: str = backends.DEFAULT
    common: CommonOptions = field(default_factory=CommonOptions)
    options: Any = None  # the backend's options dataclass; None: its defaults
    output: OutputOptions = field(default_factory=OutputOptions)
    origins: dict[str, str] = field(default_factory=dict, compare=False, repr=False)  # key -> "--flag", "preset X"
    looks: LookPlan = field(default_factory=LookPlan, compare=False, repr=False)  # [[shot]] tables, keyframes

    def __post_init__(self) -> None:
        if self.options is None:
            self.options = self.describe().options()

    def describe(self) -> Backend:
        return backends.get(self.backend)

    def build(self, temporal_weight: float = 0.0, device: Any = None) -> Any:
        """The backend's stylizer (vidstyle.backends.base.Stylizer) on `device` (default: the settings' device);
        `temporal_weight` 0 for stills or where there is no flow."""
        from vidstyle.core.device import pick_device

        with self.explaining():
            device = device if device is not None else pick_device(self.common.device)
            return self.describe().build(self.common, self.options, device, temporal_weight)

    def temporal_weight(self) -> float:
        weight = self.common.temporal_weight
        return self.describe().temporal_weight if weight is None else weight

    def sequence_rate(self) -> Fraction | None:
        """An image-sequence input's frame rate, exact (vidstyle.media.sequence.rate_of); None: the default."""
        from vidstyle.media.sequence import rate_of

        return rate_of(self.output.sequence_fps)

    def flow_size(self) -> int:
        size = self.output.flow_size
        return self.describe().flow_size if size is None else size

    def checkpoint_every(self, batch: bool = False) -> int:
        """Frames between saved resume states: the user's, else the backend's, else in batch jobs every 30
        (each kept frame is a PNG written beside the encode: 65 ms per 640x360 frame on a busy 2-core CPU)."""
        if self.output.checkpoint_every is not None:
            return self.output.checkpoint_every
        return self.describe().checkpoint_every or (BATCH_CHECKPOINT_EVERY if batch else 0)

    def values(self) -> dict[str, Any]:
        """Every setting by its key, as a preset would write it."""
        return {"backend": self.backend, **dataclasses.asdict(self.common), **dataclasses.asdict(self.options),
                **dataclasses.asdict(self.output)}

    def fingerprint(self) -> dict[str, Any]:
        """The settings a stylized frame depends on (not the encoder's, nor how often it is saved)."""
        data = self.values()
        for key in ("codec", "crf", "encoder_preset", "checkpoint_every"):
            data.pop(key)
        if self.looks:
            data["looks"] = self.looks.source
        return data

    def explain(self, exc: SettingError) -> SettingError:
        """`exc` with where its setting's value came from."""
        return exc.from_origin(self.origins.get(exc.key))

    @contextmanager
    def explaining(self) -> Iterator[None]:
        """A SettingError raised inside says where the setting's value came from."""
        try:
            yield
        except SettingError as exc:
            raise self.explain(exc) from None
