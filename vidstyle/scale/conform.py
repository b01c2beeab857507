"""Conform: stylize an edit, not a file. The timeline's used source ranges (with handles, merged where they
overlap) are stylized, each event with its look, as a batch (here, or with --ray on the cluster, resumable), and
the timeline is written back relinked to the stylized media at the same source timecodes, so the edit's record
times do not change.

Looks per event come from a job file:

    preset = "adain-starry-night"    # the default look (or --preset)
    [settings]                       # over every look (any preset key: deliver, max_size...)
    deliver = "prores-422hq"
    [[event]]                        # events matched by number, clip name, track or marker text
    clip = "bunny.mov"
    preset = "fast-quick"
    style_id = [3]
"""

from __future__ import annotations

import json
import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidstyle.core.errors import SettingError, UserError
from vidstyle.scale.batch import BatchJob, Item, run_batch
from vidstyle.scale.timeline import (ADAPTERS, Event, Range, events, otio, plan_ranges, read_timeline,
                                     resolve_media)

log = logging.getLogger("vidstyle")

MATCH_KEYS = ("event", "clip", "track", "marker")  # how an [[event]] table names the events it is for


@dataclass
class Look:
    name: str
    preset: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class Conform:
    timeline: Path
    media_dir: Path | None
    output_dir: Path
    handles: int = 12
    preset: str | None = None
    job: Path | None = None  # a job file: the default look, [settings], [[event]] looks
    rate: float = 24.0  # an EDL's frame rate
    extension: str = ".mov"  # the stylized media's container (ProRes 422 HQ by default, vidstyle.media.deliver)
    presets_dir: Path | None = None
    ray: str | None = None
    ship: bool = False


@dataclass
class Result:
    ranges: list[Range]
    items: list[Item]
    written: list[Path]  # the relinked timelines
    stylized: int  # frames stylized
    source_frames: int  # frames in the source media the edit uses
    looks: dict[int, str]  # event number -> look name


def load_looks(conform: Conform) -> tuple[Look, list[tuple[dict[str, Any], Look]], dict[str, Any]]:
    """The default look, the [[event]] tables' (their match keys and look), and the [settings] over all."""
    table: dict[str, Any] = {}
    if conform.job is not None:
        try:
            table = tomllib.loads(conform.job.read_text(encoding="utf-8-sig"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise UserError(f"not a readable job file ({exc})", conform.job) from None
    unknown = set(table) - {"preset", "settings", "event"}
    if unknown:
        raise UserError(f"{sorted(unknown)[0]} is not a conform job key (preset, [settings], [[event]])", conform.job)
    preset = conform.preset or table.get("preset")
    if not preset:
        raise UserError("give a look: --preset NAME (see `vidstyle presets list`), or a job file with preset = ...")
    default = Look(Path(preset).stem, preset)
    tables = []
    for n, entry in enumerate(table.get("event", []), 1):
        keys = {k: v for k, v in entry.items() if k in MATCH_KEYS}
        if not keys:
            raise UserError(f"[[event]] table {n} names no event: give one of {', '.join(MATCH_KEYS)}", conform.job)
        rest = {k: v for k, v in entry.items() if k not in MATCH_KEYS and k not in ("preset", "name")}
        look_preset = entry.get("preset", preset)
        name = entry.get("name") or (Path(look_preset).stem if not rest else f"event-look-{n}")
        tables.append((keys, Look(str(name), look_preset, rest)))
    return default, tables, table.get("settings", {})


def _matches(keys: dict[str, Any], event: Event) -> bool:
    checks = {"event": lambda v: event.number == v, "clip": lambda v: v in (event.name, Path(event.name).stem),
              "track": lambda v: event.track == v, "marker": lambda v: any(v in m for m in event.markers)}
    return all(checks[k](v) for k, v in keys.items())


def plan(conform: Conform) -> tuple[Any, list[Event], list[Range], dict[str, Look], dict[str, Any]]:
    """Everything checked before any work: the timeline, its media, the looks, the ranges and their outputs."""
    from vidstyle.settings import resolve

    timeline = read_timeline(conform.timeline, conform.rate)
    found = events(timeline)
    resolve_media(found, conform.media_dir, conform.timeline)
    default, tables, common = load_looks(conform)
    looks = {default.name: default}
    chosen: dict[int, str] = {}
    for event in found:
        look = next((look for keys, look in tables if _matches(keys, event)), default)
        looks.setdefault(look.name, look)
        chosen[event.number] = look.name
    for look in looks.values():  # each look checked once, before any frame
        try:
            resolve(look.preset, {**common, **look.settings}, conform.presets_dir, f"look {look.name}")
        except SettingError as exc:
            raise UserError(f"look {look.name}: {exc}") from None
    from vidstyle.media.formats import output_format

    output_format(Path("x" + conform.extension))
    ranges = plan_ranges(found, chosen, conform.handles)
    stems: dict[str, Path] = {}
    for r in ranges:  # two media named alike (a/A001.mov, b/A001.mov) keep apart
        stem = r.media.path.stem if stems.setdefault(r.media.path.stem, r.media.path) == r.media.path else \
            f"{r.media.path.parent.name}_{r.media.path.stem}"
        r.output = conform.output_dir / f"{stem}.{r.look}.{r.first:06d}-{r.last:06d}{conform.extension}"
    return timeline, found, ranges, looks, common


def run_conform(conform: Conform, quiet: bool = False) -> Result:
    timeline, found, ranges, looks, common = plan(conform)
    for path in sorted({r.media.path for r in ranges if r.media.timecode is None}):
        log.warning("%s has no timecode: its stylized ranges carry none either, so an editor relinks them by the "
                    "path in the .otio or XML (an EDL's * FROM CLIP), not by timecode", path.name)
    items = [Item(r.media.path, looks[r.look].preset, r.output,
                  settings={**looks[r.look].settings, "start": f"{r.first}f", "end": f"{r.last}f"}) for r in ranges]
    job = BatchJob(sorted({r.media.path for r in ranges}), sorted({look.preset for look in looks.values()}),
                   conform.output_dir, settings=common, presets_dir=conform.presets_dir, ray=conform.ray,
                   ship=conform.ship, unit_frames=0)  # a range is one unit of work
    if conform.ray:
        from vidstyle.scale.cluster import run_batch_ray

        run_batch_ray(job, quiet, items)
    else:
        run_batch(job, quiet, items)
    written: list[Path] = []
    if all(item.status in ("done", "skipped") for item in items):
        written = relink(timeline, ranges, conform)
    media = {r.media.path: r.media.frames for r in ranges}
    result = Result(ranges, items, written, sum(r.frames for r in ranges), sum(media.values()),
                    {e.number: r.look for r in ranges for e in r.events})
    _save_report(result, conform.output_dir / "conform.json")
    return result


def relink(timeline: Any, ranges: list[Range], conform: Conform) -> list[Path]:
    """The timeline with each clip pointing at its stylized media (whose first frame carries the range's source
    timecode), written in its own format and as .otio. An EDL has no paths: its clips are named after the files
    (* FROM CLIP NAME), as editors relink EDLs by name and timecode."""
    lib = otio()
    for r in ranges:
        for event in r.events:
            scale = event.rate / r.media.rate  # media frames -> the timeline's
            start = lib.opentime.RationalTime(round((r.media.first + r.first) * scale), float(event.rate))
            length = lib.opentime.RationalTime(round(r.frames * scale), float(event.rate))
            event.clip.media_reference = lib.schema.ExternalReference(
                target_url=r.output.resolve().as_uri(), available_range=lib.opentime.TimeRange(start, length))
    stem = conform.output_dir / f"{conform.timeline.stem}.stylized"
    written = []
    suffix = conform.timeline.suffix.lower()
    targets = [(stem.with_name(stem.name + ".otio"), "otio_json")]
    if suffix != ".otio":
        targets.append((stem.with_name(stem.name + suffix), ADAPTERS[suffix]))
    for path, adapter in targets:
        if adapter == "cmx_3600":
            for r in ranges:
                for event in r.events:
                    event.clip.name = r.output.name
        try:
            lib.adapters.write_to_file(timeline, str(path), adapter_name=adapter)
        except Exception as exc:  # noqa: BLE001 - an adapter that cannot write (AAF's): the .otio stands
            log.warning("the relinked timeline is not written as %s (%s): %s has it", path.suffix, exc,
                        targets[0][0].name)
            continue
        written.append(path)
    return written


def _save_report(result: Result, path: Path) -> None:
    report = {
        "frames_stylized": result.stylized, "frames_in_source_media": result.source_frames,
        "ranges": [{"media": str(r.media.path), "first": r.first, "last": r.last, "frames": r.frames,
                    "look": r.look, "events": [e.number for e in r.events], "output": str(r.output)}
                   for r in result.ranges],
        "events": [{"event": e.number, "name": e.name, "look": r.look, "media": str(r.media.path)}
                   for r in result.ranges for e in r.events],
        "timelines": [str(p) for p in result.written],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1))
