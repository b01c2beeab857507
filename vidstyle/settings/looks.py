"""A look per shot and over time: `[[shot]]` tables, transitions and keyframed values, in presets and job files.

    alpha = { "0:00" = 1.0, "0:04.5" = 0.3 }   # keyframed: linear in between, held outside the keyframes

    [[shot]]
    shot = 1                                  # or shots = [2, 4], or a clip time range: start = "0:03", end = "0:05"
    style = ["wave.jpg"]                      # any setting that may change within a clip (a `live` field)
    transition = 24                           # frames to blend in from the look before, where that is in a shot

Shots are numbered from 1 in the frames the job stylizes; times are the clip's. A table's settings lay over the
preset's (and the job file's); settings a table does not give keep their top-level value or keyframes. What a
backend mixes during a transition is its own (vidstyle.backends.base.Look). A change of look at a shot boundary is a
cut: no transition there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from vidstyle.backends.base import Look
from vidstyle.core.errors import SettingError, UserError
from vidstyle.core.options import CommonOptions, fields_of, required, types_of
from vidstyle.core.timepoints import clock, parse_time
from vidstyle.settings.keys import namespace, owners
from vidstyle.settings.model import TABLE, Keyframes, LookPlan, Rule, Settings

SELECT_KEYS = ("shot", "shots", "start", "end", "transition")

# The temporal weight during a transition, relative to the looks': the change of look is one more change the
# temporal term spreads over frames. AdaIN on mdn_flower at 320 px, starry night to the wave over 24 frames
# (benchmarks/looks.py transition): warping error over the transition 1.46x the shot's mean at 1x, 1.17x at 2x,
# 1.04x at 3x, where the look lags: at the transition's end the distance to the wave had fallen 74%, not 83%.
TRANSITION_HOLD = 2.0

Layers = list[tuple[dict[str, Any], Any]]  # (values, origin) as vidstyle.settings merges them
Merge = Callable[[Layers], Settings]


# --- reading: from the layers vidstyle.settings merges -------------------------------------------------

def split(layers: Layers, label: Callable[[Any, str], str]) -> tuple[Layers, tuple[list, str] | None,
                                                                      dict[str, tuple[dict, str]]]:
    """The layers without their [[shot]] tables and keyframed values (each keyframed key gets its first value,
    for checking), the last layer's tables and the keyframes in force (a later plain value ends a key's)."""
    plain: Layers = []
    tables: tuple[list, str] | None = None
    keyframes: dict[str, tuple[dict, str]] = {}
    for values, origin in layers:
        values = dict(values)
        if TABLE in values:
            tables = (values.pop(TABLE), label(origin, TABLE))
        for key, value in list(values.items()):
            if isinstance(value, dict) and key != "style":
                keyframes[key] = (value, label(origin, key))
                values[key] = next(iter(value.values()), None)
            else:
                keyframes.pop(key, None)
        plain.append((values, origin))
    return plain, tables, keyframes


def plan(base: Settings, layers: Layers, tables: tuple[list, str] | None,
         keyframes: dict[str, tuple[dict, str]], merge: Merge) -> LookPlan:
    """The checked plan: every table's settings resolved (as a preset's are) on top of `layers`."""
    if not tables and not keyframes:
        return LookPlan()
    top = {key: _keyframes(key, table, origin, base, layers, merge) for key, (table, origin) in keyframes.items()}
    rules: list[Rule] = []
    entries, origin = tables or ([], "")
    if not isinstance(entries, list) or not all(isinstance(t, dict) for t in entries):
        raise UserError(f"[[{TABLE}]] must be tables ({origin})")
    for n, table in enumerate(entries, 1):
        rules.append(_rule(n, table, origin, base, layers, top, merge))
    _check_overlaps(rules)
    given = {"tables": entries, "keyframes": {k: t for k, (t, _) in keyframes.items()}}
    return LookPlan(top, rules, repr(given))


def _live_keys(base: Settings) -> dict[str, Any]:
    """The settings that may change within a clip, for this backend, with their types."""
    keys = {}
    for cls in (CommonOptions, type(base.options)):
        types = types_of(cls)
        keys.update({name: types[name] for name, f in fields_of(cls).items() if f.metadata.get("live")})
    return keys


def _keyframes(key: str, table: dict, origin: str, base: Settings, layers: Layers, merge: Merge) -> Keyframes:
    tp = _live_keys(base).get(key)
    if tp is None:
        raise SettingError(key, "cannot change within a clip, so it takes one value, not keyframes").from_origin(origin)
    item = required(tp)
    if item not in (float, list[float]):
        raise SettingError(key, "cannot be keyframed (only numbers can)").from_origin(origin)
    if not table:
        raise SettingError(key, "has an empty keyframe table").from_origin(origin)
    times, values = [], []
    for text, value in table.items():
        try:
            point = parse_time(text, key)
        except SettingError as exc:
            raise exc.from_origin(origin) from None
        if point.seconds is None:
            raise SettingError(key, f"keyframe {text!r}: give keyframes as clip times, not frame numbers"
                               ).from_origin(origin)
        if times and point.seconds <= times[-1]:
            raise SettingError(key, f"keyframe {text!r} is not after the one before it; list keyframes in time "
                                    "order").from_origin(origin)
        checked = merge([*layers, ({key: value}, origin)])  # the value's type and bounds, as any setting's
        times.append(point.seconds)
        values.append(_get(checked, key))
    if isinstance(values[0], list) and len({len(v) for v in values}) > 1:
        raise SettingError(key, "keyframes must all have the same number of values").from_origin(origin)
    return Keyframes(tuple(times), tuple(values))


def _rule(n: int, table: dict, origin: str, base: Settings, layers: Layers, top: dict[str, Keyframes],
          merge: Merge) -> Rule:
    label = f"[[{TABLE}]] {n}" + (f" ({origin})" if origin else "")

    def fail(problem: str) -> UserError:
        return UserError(f"{label}: {problem}")

    live = _live_keys(base)
    values = {k: v for k, v in table.items() if k not in SELECT_KEYS}
    for key in values:
        if key in live:
            continue
        if key == "backend" or key in base.values():
            raise fail(f"{key} cannot change within a clip; set it outside the [[{TABLE}]] tables")
        if key in namespace():
            raise fail(f"{key} is not a setting of the {base.backend} backend (it is {', '.join(owners(key))}'s)")
        raise fail(f"{key} is not a known setting")
    shots = None
    if "shot" in table or "shots" in table:
        if "start" in table or "end" in table or ("shot" in table and "shots" in table):
            raise fail("select by shot, shots, or start/end, one of them")
        given = table.get("shots", [table.get("shot")])
        if not isinstance(given, list) or not given or \
                not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in given):
            raise fail(f"shot numbers are whole numbers from 1, got {table.get('shots', table.get('shot'))!r}")
        shots = tuple(sorted(set(given)))
    start = end = None
    try:
        start = parse_time(table["start"], "start") if "start" in table else None
        end = parse_time(table["end"], "end") if "end" in table else None
    except SettingError as exc:
        raise fail(str(exc)) from None
    if shots is None and start is None and end is None:
        raise fail("selects nothing: give shot, shots, or start/end")
    if start and end and start.form() == end.form() and end.order() <= start.order():
        raise fail(f"end {end} is not after start {start}")
    transition = table.get("transition", 0)
    if not isinstance(transition, int) or isinstance(transition, bool) or transition < 0:
        raise fail(f"transition is a number of frames (0 or more), got {transition!r}")
    plain, _, frames = split([(values, label)], lambda o, k: o)
    try:
        settings = merge([*layers, *plain])
    except SettingError as exc:
        raise fail(str(exc).removesuffix(f" ({label})")) from None
    own = {k: _keyframes(k, t, label, base, [*layers, *plain], merge) for k, (t, _) in frames.items()}
    inherited = {k: v for k, v in top.items() if k not in values}
    return Rule(label, shots, start, end, transition, settings, {**inherited, **own})


def _check_overlaps(rules: list[Rule]) -> None:
    """Two tables may not select the same shot or overlapping times (what can be told without the clip; the
    rest is checked frame by frame)."""
    for i, a in enumerate(rules):
        for b in rules[:i]:
            if a.shots is not None and b.shots is not None:
                both = sorted(set(a.shots) & set(b.shots))
                if both:
                    raise UserError(f"{a.label} selects shot {both[0]}, which {b.label} also selects")
            elif a.shots is None and b.shots is None:
                lo = [p for p in (a.start, b.start) if p is not None]
                hi = [p for p in (a.end, b.end) if p is not None]
                points = lo + hi
                if all(p.form() == points[0].form() for p in points):
                    start = max((p.order() for p in lo), default=0.0)
                    end = min((p.order() for p in hi), default=float("inf"))
                    if start < end:
                        raise UserError(f"{a.label}, {a.where()}, overlaps {b.label}, {b.where()}")


def _get(settings: Settings, key: str) -> Any:
    for part in (settings.common, settings.options):
        if key in fields_of(type(part)):
            return getattr(part, key)
    raise KeyError(key)


def _with(settings: Settings, values: dict[str, Any]) -> tuple[Any, Any]:
    """(common, options) of `settings` with `values` in place."""
    common = dataclasses.replace(settings.common, **{k: v for k, v in values.items()
                                                     if k in fields_of(type(settings.common))})
    options = dataclasses.replace(settings.options, **{k: v for k, v in values.items()
                                                       if k in fields_of(type(settings.options))})
    return common, options


# --- frame by frame -------------------------------------------------------------------------------------

class Schedule:
    """The look of each frame of a clip, in order: give it every decoded frame (`next`)."""

    def __init__(self, base: Settings, plan: LookPlan) -> None:
        self.base = base
        self.plan = plan
        self.shot = 0
        self.rule: Rule | None = None  # the table in force (None: the top level)
        self._from: Rule | None = None  # during a transition: the table it comes from
        self._since = 0  # the transition's first frame
        self._frames = 0  # its length
        self._cache: dict[int, Look] = {}

    def next(self, index: int, seconds: float, boundary: Any) -> Look:
        """The look of frame `index`, shown at `seconds`; `boundary`: whether a shot starts at it (the first
        frame always does)."""
        first = self.shot == 0
        if first or boundary:
            self.shot += 1
            self._frames = 0  # a cut is a change of look already
        matches = [r for r in self.plan.rules if r.selects(self.shot, index, seconds)]
        if len(matches) > 1:
            raise UserError(f"{matches[1].label} and {matches[0].label} both select frame {index} "
                            f"({seconds:.3f} s, shot {self.shot}); select each frame once")
        rule = matches[0] if matches else None
        if rule is not self.rule and not first and not boundary:
            frames = (rule or self.rule).transition
            if frames:
                self._from, self._since, self._frames = self.rule, index, frames
        self.rule = rule
        self.index = index
        look = self._look(rule, seconds)
        if self.blending():
            s = (index - self._since + 1) / (self._frames + 1)  # strictly between the two looks, evenly spaced
            old = self._look(self._from, seconds)
            look = Look(tuple((w * (1 - s), c, o) for w, c, o in old.parts)
                        + tuple((w * s, c, o) for w, c, o in look.parts),
                        TRANSITION_HOLD * ((1 - s) * old.temporal_weight + s * look.temporal_weight))
        return look

    def blending(self) -> bool:
        """Whether the last frame given was in a transition (from `self._from` to `self.rule`)."""
        return bool(self._frames) and self.index - self._since < self._frames

    def phase(self) -> str:
        """What the last frame given was painted with, in words (for `vidstyle presets show --clip`)."""
        if self.blending():
            return f"transition ({self._frames} frames) from {_name(self._from)} to {_name(self.rule)}"
        return _name(self.rule)

    def _look(self, rule: Rule | None, seconds: float) -> Look:
        settings = rule.settings if rule else self.base
        keyframes = rule.keyframes if rule else self.plan.keyframes
        if not keyframes:
            key = id(rule)
            if key not in self._cache:
                self._cache[key] = Look.of(settings.common, settings.options, settings.temporal_weight())
            return self._cache[key]
        common, options = _with(settings, {k: f.at(seconds) for k, f in keyframes.items()})
        weight = common.temporal_weight
        return Look.of(common, options, settings.describe().temporal_weight if weight is None else weight)


def _name(rule: Rule | None) -> str:
    return rule.label.split(" (")[0] if rule else "top level"


def check_frames(settings: Settings, frames: list[tuple[int, float, Any]]) -> None:
    """Every frame's look, worked out before the job starts: two tables selecting one frame fail now."""
    schedule = Schedule(settings, settings.looks)
    for index, seconds, boundary in frames:
        schedule.next(index, seconds, boundary)


def describe(settings: Settings, frames: list[tuple[int, float, Any]]) -> list[str]:
    """The plan against a clip's frames ((index, clip time, boundary) each): which look each run of frames of
    each shot gets."""
    plan = settings.looks
    shots = 1 + sum(1 for _, _, b in frames if b is not None)
    plan.check_clip(None, shots)
    schedule = Schedule(settings, plan)
    runs: list[list] = []  # [shot, phase, first, last, start, end]
    for index, seconds, boundary in frames:
        schedule.next(index, seconds, boundary)
        phase = schedule.phase()
        if runs and runs[-1][0] == schedule.shot and runs[-1][1] == phase:
            runs[-1][3], runs[-1][5] = index, seconds
        else:
            runs.append([schedule.shot, phase, index, index, seconds, seconds])
    lines = [f"{len(frames)} frames, {shots} shot{'s' if shots > 1 else ''}",
             f"{'shot':>4}  {'frames':^13}  {'first at':12}  {'last at':12}  look"]
    for shot, phase, first, last, start, end in runs:
        lines.append(f"{shot:>4}  {first:>6}-{last:<6}  {clock(start)}  {clock(end)}  {phase}")
    lines.append("")
    for rule in [None, *plan.rules]:
        settings_of = rule.settings if rule else settings
        keys = rule.keyframes if rule else plan.keyframes
        where = f" ({rule.where()}{f', transition {rule.transition} frames' if rule.transition else ''})" \
            if rule else ""
        lines.append(f"{_name(rule)}{where}: {_summary(settings_of)}"
                     + "".join(f"; {k} keyframed at {', '.join(f'{t:g}' for t in f.times)} s" for k, f in keys.items()))
    return lines


def _summary(settings: Settings) -> str:
    """The look's style, in a few words."""
    common, options = settings.common, settings.options
    if common.style:
        text = "style " + ", ".join(p.name for p in common.style)
    else:
        text = f"style_id {options.style_id}" if getattr(options, "model", None) is None else f"model {options.model}"
    if common.style_weights:
        text += f" weights {common.style_weights}"
    return text
