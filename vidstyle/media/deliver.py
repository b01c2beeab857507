"""Delivery profiles: what an editor, a grade or an archive expects to be handed, by name (`--deliver NAME`, or
`deliver` in a preset's `[output]` table), and the defaults when none is named.

A profile fixes the encoder, its profile and the pixel format; the bit depth is the profile's where it has one
(ProRes, DNxHR and HEVC Main10 are 10-bit, H.264 8-bit), else the source's (FFV1, the image sequences): a 10-bit
source is stylized without an 8-bit step (vidstyle.media.source reads 16-bit RGB, the network works in float)
and written at 10 bits or more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import av

from vidstyle.core.errors import SettingError, UserError
from vidstyle.core.options import DELIVERIES


@dataclass(frozen=True)
class Profile:
    name: str
    codec: str  # the FFmpeg encoder; "sequence" profiles write a file a frame
    suffixes: tuple[str, ...]  # the outputs that carry it, the first the usual one
    pix_fmts: dict[str, str]  # the encoder's pixel format by kind of source: "", "alpha", "deep", "deep alpha"
    purpose: str
    depth: int | None = 10  # bits a channel; None: the source's (8, or 16 above 8)
    options: dict[str, str] = field(default_factory=dict)  # the encoder's own (its profile)
    alpha: bool = False  # whether the source's alpha channel is kept
    crf: bool = False  # whether the quality setting (crf) applies
    min_size: tuple[int, int] = (1, 1)  # the smallest frame the encoder takes


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("prores-422hq", "prores_ks", (".mov",), {"": "yuv422p10le"},
            "editing and grading master: Apple ProRes 422 HQ, 10-bit 4:2:2 (the .mov default)",
            options={"profile": "3"}),
    Profile("prores-4444", "prores_ks", (".mov",), {"": "yuv444p10le", "alpha": "yuva444p10le"},
            "compositing master: ProRes 4444, 10-bit 4:4:4, the source's alpha kept", options={"profile": "4"},
            alpha=True),
    Profile("dnxhr-hqx", "dnxhd", (".mxf", ".mov"), {"": "yuv422p10le"},
            "Avid master: DNxHR HQX, 10-bit 4:2:2, in MXF (OP1a) or MOV (the .mxf default)",
            options={"profile": "dnxhr_hqx"}, min_size=(256, 120)),
    Profile("hevc-10", "libx265", (".mp4", ".mov", ".mkv"), {"": "yuv420p10le"},
            "10-bit delivery copy: HEVC Main10 (the .mp4 and .mkv default for sources above 8 bits)", crf=True),
    Profile("h264", "libx264", (".mp4", ".mov", ".mkv"), {"": "yuv420p"},
            "review copy: H.264 8-bit 4:2:0, plays everywhere (the .mp4 and .mkv default for 8-bit sources)",
            depth=8, crf=True),
    Profile("ffv1", "ffv1", (".mkv",),
            {"": "bgr0", "alpha": "bgra", "deep": "gbrp16le", "deep alpha": "gbrap16le"},
            "lossless archive: FFV1 version 3 in Matroska, RGB at the source's depth (16 bits above 8), the "
            "source's alpha kept", depth=None,
            options={"level": "3", "slicecrc": "1", "g": "1"}, alpha=True),
    Profile("tiff16", "sequence", (".tif", ".tiff"), {},
            "16-bit TIFF frames (name the output shot_%04d.tif), the source's alpha kept", depth=16, alpha=True),
    Profile("png16", "sequence", (".png",), {},
            "16-bit PNG frames (name the output shot_%04d.png), the source's alpha kept", depth=16, alpha=True),
    Profile("exr-half", "sequence", (".exr",), {},
            "half-float OpenEXR frames in linear light, BT.709 primaries (name the output shot_%04d.exr)",
            depth=16, alpha=True),
)}

assert tuple(PROFILES) == DELIVERIES, "a profile's name is listed in vidstyle.core.options.DELIVERIES"

DEFAULTS = {".mov": "prores-422hq", ".mxf": "dnxhr-hqx", ".exr": "exr-half"}  # by the output's extension
DEEP_DEFAULTS = {".mp4": "hevc-10", ".m4v": "hevc-10", ".mkv": "hevc-10"}  # where the source is above 8 bits


def get(name: str) -> Profile:
    if name not in PROFILES:
        raise SettingError("deliver", f"{name!r} is not a delivery profile; one of {', '.join(PROFILES)}")
    return PROFILES[name]


def pick(name: str | None, codec: str | None, output: Path, source_depth: int, alpha: bool) -> Profile | None:
    """The profile an output is written with: the one named, else the output's default (none where `codec` is
    given: the encoder named is used as it is)."""
    if name is not None:
        return get(name)
    if codec is not None:
        return None
    suffix = output.suffix.lower()
    if suffix == ".mov" and alpha:
        return PROFILES["prores-4444"]
    chosen = DEFAULTS.get(suffix) or (DEEP_DEFAULTS.get(suffix) if source_depth > 8 else None)
    return PROFILES[chosen] if chosen else None


def check(profile: Profile | None, codec: str | None, output: Path, alpha: bool,
          size: tuple[int, int] | None = None) -> None:
    """One line, before any frame is decoded, for a profile its output cannot carry (ProRes in .mp4), that
    would drop what the source has (alpha in DNxHR), or whose encoder does not take frames of `size`."""
    if profile is None:
        return
    if size is not None and (size[0] < profile.min_size[0] or size[1] < profile.min_size[1]):
        raise UserError(f"{profile.name} takes frames from {profile.min_size[0]}x{profile.min_size[1]}, and these "
                        f"are {size[0]}x{size[1]}: deliver another profile, or a larger max_size", output)
    suffix = output.suffix.lower()
    if codec is not None and codec != profile.codec:
        raise SettingError("codec", f"{codec!r} is not the {profile.name} profile's encoder ({profile.codec}); "
                                    "give one of them")
    if suffix not in profile.suffixes:
        named = " or ".join(profile.suffixes)
        how = " named as frames (shot_%04d" + profile.suffixes[0] + ")" if profile.codec == "sequence" else ""
        raise UserError(f"{profile.name} is written to {named}{how}, not {suffix or 'a name without an extension'}",
                        output)
    if alpha and not profile.alpha and profile.name != "h264":  # a master that would lose the alpha said so
        keeps = ", ".join(p.name for p in PROFILES.values() if p.alpha and p.codec != "sequence")
        raise UserError(f"the source has an alpha channel, which {profile.name} cannot carry: deliver {keeps}, or "
                        "h264 for a review copy without it", output)
    if profile.codec != "sequence" and profile.codec not in av.codecs_available:
        raise SettingError("deliver", f"{profile.name} needs the {profile.codec} encoder, not in this PyAV build")


def depth_of(profile: Profile | None, source_depth: int) -> int:
    """The bits a channel the output is written with: the profile's, else 16 above an 8-bit source, else 8."""
    if profile is not None and profile.depth is not None:
        return profile.depth
    return 16 if source_depth > 8 else 8


def pix_fmt(profile: Profile, depth: int, alpha: bool) -> str:
    """The encoder's pixel format for an output of `depth` bits, with the source's alpha where it keeps it."""
    kind = " ".join(k for k, on in (("deep", depth > 8), ("alpha", alpha and profile.alpha)) if on)
    fmts = profile.pix_fmts
    return fmts.get(kind) or fmts.get(kind.replace("deep", "").strip()) or fmts[""]
