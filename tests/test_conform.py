"""vidstyle conform: an edit's used ranges stylized with handles, overlaps merged, the timeline relinked (EDL and
FCP 7 XML built here, read and written by OpenTimelineIO), and bad timelines refused before any work."""

from __future__ import annotations

import json
from pathlib import Path

import av
import pytest

from conftest import media, run_cli
from test_batch import write_presets

otio = pytest.importorskip("opentimelineio", reason="the conform extra (OpenTimelineIO) is not installed")

HANDLES = 4
# event: reel, source in and out (frames into the source's timecode), record in; events 1 and 3 overlap in A001
EVENTS = [("A001", 12, 24, 0), ("B002", 6, 18, 12), ("A001", 18, 30, 24)]
STARTS = {"A001": "10:00:00:00", "B002": "20:00:00:00"}
RATE = 24


def tc(frames: int, start: str = "00:00:00:00") -> str:
    return otio.opentime.to_timecode(otio.opentime.from_timecode(start, RATE) +
                                     otio.opentime.RationalTime(frames, RATE), RATE)


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    return write_sources(tmp_path_factory.mktemp("media"))


def write_sources(folder: Path) -> Path:
    """Two timecoded sources of 40 frames, named as their reels."""
    from vidstyle.media.synthetic import read_frames, write_frames

    folder.mkdir(exist_ok=True)
    for (reel, start), clip in zip(STARTS.items(), ("mdn_flower.mp4", "adain_cutBunny.mp4")):
        frames = read_frames(media(f"video/{clip}"), 40, (96, 64))
        write_frames(folder / f"{reel}.mp4", frames, RATE, options={"crf": "16"}, tags={"timecode": start})
    return folder


def write_edl(path: Path, edit: list[tuple[str, int, int, int]] = EVENTS) -> None:
    lines = ["TITLE: CONFORM TEST", "FCM: NON-DROP FRAME", ""]
    for n, (reel, src_in, src_out, rec_in) in enumerate(edit, 1):
        lines.append(f"{n:03d}  {reel:8s} V     C        {tc(src_in, STARTS[reel])} {tc(src_out, STARTS[reel])} "
                     f"{tc(rec_in, '01:00:00:00')} {tc(rec_in + src_out - src_in, '01:00:00:00')}")
        lines.append(f"* FROM CLIP NAME: {reel}.mp4")
    path.write_text("\n".join(lines) + "\n")


def write_xml(path: Path, folder: Path) -> None:
    """The same edit as FCP 7 XML, its clips pointing at the media by path."""
    timeline = otio.schema.Timeline(name="conform test")
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for reel, src_in, src_out, _ in EVENTS:
        start = otio.opentime.from_timecode(STARTS[reel], RATE)
        ref = otio.schema.ExternalReference(target_url=(folder / f"{reel}.mp4").as_uri(),
                                            available_range=otio.opentime.TimeRange(
                                                start, otio.opentime.RationalTime(40, RATE)))
        track.append(otio.schema.Clip(name=f"{reel}.mp4", media_reference=ref, source_range=otio.opentime.TimeRange(
            start + otio.opentime.RationalTime(src_in, RATE), otio.opentime.RationalTime(src_out - src_in, RATE))))
    otio.adapters.write_to_file(timeline, str(path), adapter_name="fcp_xml")


def record_ranges(path: Path) -> list[tuple[int, int]]:
    timeline = otio.adapters.read_from_file(str(path), **({"rate": RATE} if path.suffix == ".edl" else {}))
    return [(round(c.range_in_parent().start_time.value), round(c.range_in_parent().duration.value))
            for c in timeline.find_clips()]


@pytest.mark.parametrize("kind", ["edl", "xml"])
def test_an_edit_is_conformed_with_handles_and_its_overlaps_merged(tmp_path, sources, style_png, kind):
    presets = write_presets(tmp_path / "presets", style_png)
    timeline = tmp_path / f"edit.{kind}"
    write_edl(timeline) if kind == "edl" else write_xml(timeline, sources)
    out = tmp_path / "out"
    proc = run_cli("conform", timeline, "--media", sources, "-o", out, "--preset", "tiny-adain", "--presets-dir",
                   presets, "--handles", str(HANDLES), "--ext", ".mp4", "-q")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((out / "conform.json").read_text())
    ranges = {Path(r["media"]).stem: r for r in report["ranges"]}
    # A001: events 1 and 3 (12-24 and 18-30) merged into 12-30, with handles 8-34; B002: 6-18, with handles 2-22
    assert {k: (r["first"], r["last"], r["events"]) for k, r in ranges.items()} == \
        {"A001": (8, 34, [1, 3]), "B002": (2, 22, [2])}
    assert (report["frames_stylized"], report["frames_in_source_media"]) == (26 + 20, 80)
    for reel, r in ranges.items():
        with av.open(r["output"]) as c:
            stream = c.streams.video[0]
            frames = sum(1 for _ in c.decode(stream))
            assert frames == r["frames"] == (r["last"] - r["first"])
            assert stream.metadata.get("timecode") == tc(r["first"], STARTS[reel])  # source in - handles
    assert "stylized 46 frames of the 80 in the source media (57%)" in proc.stdout
    relinked = out / f"edit.stylized.{kind}"
    assert record_ranges(relinked) == record_ranges(timeline) == [(0, 12), (12, 12), (24, 12)]
    back = otio.adapters.read_from_file(str(out / "edit.stylized.otio"))
    outputs = [Path(ranges[reel]["output"]).name for reel, *_ in EVENTS]
    assert [Path(c.media_reference.target_url).name for c in back.find_clips()] == outputs
    again = otio.adapters.read_from_file(str(relinked), **({"rate": RATE} if kind == "edl" else {}))
    named = [c.name for c in again.find_clips()] if kind == "edl" else \
        [Path(c.media_reference.target_url).name for c in again.find_clips()]
    assert named == outputs  # an EDL names the files (* FROM CLIP NAME), XML points at them
    # a rerun finds the ranges made
    proc = run_cli("conform", timeline, "--media", sources, "-o", out, "--preset", "tiny-adain", "--presets-dir",
                   presets, "--handles", str(HANDLES), "--ext", ".mp4", "-q")
    assert proc.returncode == 0 and proc.stderr.count("skipped") == 2, proc.stderr  # the table is on stderr


def test_looks_per_event_from_a_job_file(tmp_path, sources, style_png):
    from vidstyle.scale.conform import Conform, plan

    presets = write_presets(tmp_path / "presets", style_png)
    timeline = tmp_path / "edit.edl"
    write_edl(timeline)
    job = tmp_path / "looks.toml"
    job.write_text('preset = "tiny-adain"\n[[event]]\nevent = 3\npreset = "tiny-fast"\n'
                   '[[event]]\nclip = "B002.mp4"\nname = "soft"\nalpha = 0.5\n')
    _, found, ranges, looks, _ = plan(Conform(timeline, sources, tmp_path / "out", 0, job=job, presets_dir=presets))
    chosen = {e.number: r.look for r in ranges for e in r.events}
    assert chosen == {1: "tiny-adain", 2: "soft", 3: "tiny-fast"}
    assert len(ranges) == 3  # events 1 and 3 overlap, but with two looks they stay apart
    assert looks["soft"].settings == {"alpha": 0.5}


def test_bad_timelines_are_one_line_and_nothing_is_written(tmp_path, sources):
    bad = tmp_path / "edit.txt"
    bad.write_text("hello")
    past = tmp_path / "past.edl"
    write_edl(past, [EVENTS[0], ("B002", 34, 46, 12)])  # B002 has 40 frames
    elsewhere = tmp_path / "empty"
    elsewhere.mkdir()
    missing = tmp_path / "missing.edl"
    write_edl(missing)
    for timeline, folder, said in ((bad, sources, "not a timeline vidstyle reads"),
                                   (past, sources, "event past the end of its media: 2 (B002.mp4: frames 34-46 of 40)"),
                                   (missing, elsewhere, "no media for events 1 (A001), 2 (B002), 3 (A001)")):
        out = tmp_path / "out"
        proc = run_cli("conform", timeline, "--media", folder, "-o", out, "--preset", "example", "-q")
        assert proc.returncode == 2 and said in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert not out.exists()


def test_a_dissolve_takes_handle_frames_from_both_sides(tmp_path, sources, style_png):
    """A 6-frame dissolve centred on the cut from A001 to B002: A001's range runs 3 frames past its out point,
    B002's starts 3 before its in point (OpenTimelineIO's in and out offsets), each with the handles beyond."""
    from vidstyle.scale.conform import Conform, plan

    timeline = otio.schema.Timeline(name="dissolve")
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    timeline.tracks.append(track)
    for reel, src_in in (("A001", 10), ("B002", 16)):
        start = otio.opentime.from_timecode(STARTS[reel], RATE)
        clip = otio.schema.Clip(name=f"{reel}.mp4", source_range=otio.opentime.TimeRange(
            start + otio.opentime.RationalTime(src_in, RATE), otio.opentime.RationalTime(12, RATE)))
        if reel == "B002":
            half = otio.opentime.RationalTime(3, RATE)
            track.append(otio.schema.Transition(in_offset=half, out_offset=half))
        track.append(clip)
    path = tmp_path / "dissolve.otio"
    otio.adapters.write_to_file(timeline, str(path))
    presets = write_presets(tmp_path / "presets", style_png)
    _, _, ranges, _, _ = plan(Conform(path, sources, tmp_path / "out", 2, "tiny-adain", presets_dir=presets))
    assert {r.media.path.stem: (r.first, r.last) for r in ranges} == {"A001": (8, 27), "B002": (11, 30)}
