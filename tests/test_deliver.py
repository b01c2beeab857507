"""Mastering deliverables (vidstyle.media.deliver): 10-bit sources stay 10-bit, each profile writes what it
names, colour tags and timecode come back as they went in, and profiles an output cannot carry are refused."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from conftest import run_cli, write_alpha_clip

# The identity network: the test plugin's colour inversion at strength 0 (tests/invert_backend.py), so what comes
# back is what the media path did to the frames.
IDENTITY = ("--backend", "invert", "--strength", "0", "--cuts", "off", "-q")
PLUGIN = {"VIDSTYLE_BACKENDS": "invert_backend", "PYTHONPATH": str(Path(__file__).parent)}


def write_yuv_clip(path: Path, rgb: np.ndarray, codec: str, pix_fmt: str, matrix: int = 1, full: bool = False,
                   frames: int = 2, tags: dict[str, str] | None = None, options: dict[str, str] | None = None) -> None:
    """`frames` copies of a 16-bit RGB picture, converted to YUV with `matrix` (an AVColorSpace) and range
    by swscale, tagged so (BT.709 primaries and transfer)."""
    from vidstyle.media.frames import sws_matrix

    h, w = rgb.shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=24)
        stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
        stream.options = options or {}
        cc = stream.codec_context
        cc.colorspace, cc.color_range, cc.color_primaries, cc.color_trc = matrix, 2 if full else 1, 1, 1
        stream.metadata.update(tags or {})
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb48le").reformat(
                format=pix_fmt, dst_colorspace=sws_matrix(matrix), dst_color_range=2 if full else 1)
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


def grey_ramp(width: int = 640, height: int = 24) -> np.ndarray:
    """A smooth grey ramp, black to white: at 8 bits a channel it holds 256 levels, at 10 bits 1024."""
    ramp = np.linspace(0, 65535, width)[None, :, None].repeat(height, 0).repeat(3, 2)
    return ramp.round().astype(np.uint16)


def stream_facts(path: Path) -> dict:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        cc = s.codec_context
        tags = {k.lower(): v for t in (s.metadata, *(d.metadata for d in c.streams.data)) for k, v in t.items()
                if k.lower() in ("timecode", "reel_name")}  # Matroska's is TIMECODE
        return {"codec": cc.name, "profile": cc.profile, "pix_fmt": cc.pix_fmt, "colour": (
            cc.colorspace, int(cc.color_range), cc.color_primaries, cc.color_trc), **tags}


def luma_levels(path: Path) -> int:
    """Distinct code values in the first frame's luma plane."""
    with av.open(str(path)) as c:
        frame = next(c.decode(video=0))
    plane = frame.planes[0]
    wide = frame.format.components[0].bits > 8
    data = np.frombuffer(bytes(plane), np.uint16 if wide else np.uint8).reshape(plane.height, -1)
    return len(np.unique(data[:, :plane.width]))


def test_a_10_bit_prores_source_comes_out_prores_hq_10_bit_with_its_levels(tmp_path):
    src = tmp_path / "ramp.mov"
    tags = {"timecode": "10:00:00:00", "reel_name": "A001C003"}
    write_yuv_clip(src, grey_ramp(), "prores_ks", "yuv422p10le", tags=tags, options={"profile": "3"})
    assert luma_levels(src) > 600
    out = tmp_path / "out.mov"
    proc = run_cli("video", src, "-o", out, *IDENTITY, env=PLUGIN)
    assert proc.returncode == 0, proc.stderr
    facts = stream_facts(out)
    assert (facts["codec"], facts["profile"], facts["pix_fmt"]) == ("prores", "HQ", "yuv422p10le")
    assert facts["colour"] == stream_facts(src)["colour"] == (1, 1, 1, 1)
    assert (facts["timecode"], facts["reel_name"]) == ("10:00:00:00", "A001C003")
    deep = luma_levels(out)
    # The 8-bit path beside it: the same job delivered as an H.264 review copy.
    review = tmp_path / "review.mp4"
    assert run_cli("video", src, "-o", review, "--deliver", "h264", *IDENTITY, env=PLUGIN).returncode == 0
    shallow = luma_levels(review)
    assert deep > 400 and shallow <= 220, (deep, shallow)


PROFILES = [  # name, output, codec, profile read back, pixel format
    ("prores-422hq", "o.mov", "prores", "HQ", "yuv422p10le"),
    ("prores-4444", "o.mov", "prores", "4444", "yuv444p12le"),  # FFmpeg's decoder gives 12 bits
    ("dnxhr-hqx", "o.mxf", "dnxhd", "DNXHR HQX", "yuv422p10le"),
    ("dnxhr-hqx", "o.mov", "dnxhd", "DNXHR HQX", "yuv422p10le"),
    ("hevc-10", "o.mp4", "hevc", "Main 10", "yuv420p10le"),
    ("h264", "o.mp4", "h264", "High", "yuv420p"),
    ("ffv1", "o.mkv", "ffv1", None, "gbrp16le"),
]


@pytest.fixture(scope="module")
def ten_bit_clip(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("deliver") / "src.mov"
    rgb = np.dstack([grey_ramp(256, 128)[..., 0], np.full((128, 256), 30000, np.uint16),
                     grey_ramp(256, 128)[..., 0][:, ::-1]])
    write_yuv_clip(src, rgb, "prores_ks", "yuv422p10le", tags={"timecode": "01:02:03:04", "reel_name": "B002"})
    return src


@pytest.mark.parametrize("name,output,codec,profile,pix_fmt", PROFILES)
def test_each_profile_writes_what_it_names_with_the_source_tags(tmp_path, ten_bit_clip, name, output, codec,
                                                                 profile, pix_fmt):
    out = tmp_path / output
    proc = run_cli("video", ten_bit_clip, "-o", out, "--deliver", name, *IDENTITY, env=PLUGIN)
    assert proc.returncode == 0, proc.stderr
    facts = stream_facts(out)
    assert (facts["codec"], facts["profile"], facts["pix_fmt"]) == (codec, profile, pix_fmt)
    assert facts["colour"][2:] == (1, 1)  # primaries and transfer
    if facts["pix_fmt"].startswith("yuv"):
        assert facts["colour"][:2] == (1, 1)
    assert facts["timecode"] == "01:02:03:04"
    if out.suffix in (".mov", ".mxf"):
        assert facts["reel_name"] == "B002"


@pytest.mark.parametrize("name,pattern,bits", [("tiff16", "f_%04d.tif", 16), ("png16", "f_%04d.png", 16),
                                               ("exr-half", "f_%04d.exr", 16)])
def test_frame_profiles_write_16_bits_or_half_floats(tmp_path, ten_bit_clip, name, pattern, bits):
    out = tmp_path / "frames" / pattern
    out.parent.mkdir()
    proc = run_cli("video", ten_bit_clip, "-o", out, "--deliver", name, *IDENTITY, env=PLUGIN)
    assert proc.returncode == 0, proc.stderr
    files = sorted(out.parent.iterdir())
    assert len(files) == 2
    with av.open(str(files[0])) as c:
        frame = next(c.decode(video=0))
    assert frame.format.name in ({"rgb48le", "rgb48be"} if name != "exr-half" else {"gbrpf16le"})
    # read back (EXR through sRGB's curve, as vidstyle reads EXR): the source's levels, not 8-bit steps
    from vidstyle.media.source import VideoSource

    with VideoSource(out.parent) as back, VideoSource(ten_bit_clip) as src:
        got = next(f for f in back.frames(deep=True) if not isinstance(f, av.Packet)).deep
        want = next(f for f in src.frames(deep=True) if not isinstance(f, av.Packet)).deep
    error = np.abs(got.astype(int) - want.astype(int))
    off_8_bits = np.mean(got % 257 != 0)  # levels an 8-bit step could not give
    assert error.mean() < 257 / 4 and off_8_bits > 0.5, (error.mean(), off_8_bits)


@pytest.mark.parametrize("matrix,full,codec,pix_fmt,suffix", [
    (6, False, "libx264", "yuv444p", ".mp4"),  # BT.601, limited
    (5, True, "libx264", "yuv444p", ".mkv"),  # BT.470BG (601), full range
    (9, False, "prores_ks", "yuv444p10le", ".mov"),  # BT.2020, 10-bit
])
def test_colour_bars_come_back_through_the_identity_path(tmp_path, matrix, full, codec, pix_fmt, suffix):
    """The source's matrix and range are written and used: a colour-bar clip's YUV code values come back
    within a code value (8-bit) per channel on average."""
    bars = np.array([[191, 191, 191], [191, 191, 0], [0, 191, 191], [0, 191, 0], [191, 0, 191], [191, 0, 0],
                     [0, 0, 191], [16, 16, 16]], np.float64) / 255
    rgb = (bars.repeat(32, 0)[None].repeat(64, 0) * 65535).astype(np.uint16)
    src = tmp_path / f"bars{suffix}"
    write_yuv_clip(src, rgb, codec, pix_fmt, matrix=matrix, full=full,
                   options={"crf": "0"} if codec == "libx264" else {"profile": "4"})
    out = tmp_path / f"out{suffix}"
    deliver = ("--deliver", "prores-4444") if codec == "prores_ks" else ("--codec", codec, "--crf", "0")
    proc = run_cli("video", src, "-o", out, *deliver, *IDENTITY, env=PLUGIN)
    assert proc.returncode == 0, proc.stderr
    planes = []
    for path in (src, out):
        with av.open(str(path)) as c:
            frame = next(c.decode(video=0)).reformat(format="yuv444p16le")  # the code values, at 16 bits
            planes.append(np.stack([np.frombuffer(bytes(p), np.uint16).reshape(p.height, -1)[:, :p.width]
                                    for p in frame.planes[:3]]) / 257)
            if path == out:
                cc = c.streams.video[0].codec_context
                assert (cc.colorspace, int(cc.color_range)) == (matrix, 2 if full else 1)
    diff = np.abs(planes[0] - planes[1]).mean(axis=(1, 2))  # Y, U, V in 8-bit code values
    assert np.all(diff <= 1.0), diff


def test_profiles_an_output_cannot_carry_are_one_line_and_nothing_is_written(tmp_path, ten_bit_clip):
    alpha = tmp_path / "alpha.mov"
    write_alpha_clip(alpha, "prores_ks", "yuva444p10le", w=256, h=128)
    for source, output, name, said in (
            (ten_bit_clip, "o.mp4", "prores-422hq", "prores-422hq is written to .mov, not .mp4"),
            (ten_bit_clip, "o.mov", "tiff16", "tiff16 is written to .tif or .tiff named as frames"),
            (alpha, "o.mxf", "dnxhr-hqx", "the source has an alpha channel, which dnxhr-hqx cannot carry"),
            (ten_bit_clip, "o.mov", "mpeg2", "'mpeg2' is not one of")):
        out = tmp_path / output
        proc = run_cli("video", source, "-o", out, "--deliver", name, *IDENTITY, env=PLUGIN)
        assert proc.returncode == 2 and said in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert not out.exists() and not list(tmp_path.glob("*.part*"))


def test_an_output_table_in_a_preset_names_the_delivery(tmp_path):
    from vidstyle.core.errors import UserError
    from vidstyle.settings import resolve

    preset = tmp_path / "master.toml"
    preset.write_text('backend = "adain"\nstyle = [{ builtin = "strokes" }]\n'
                      '[output]\ndeliver = "dnxhr-hqx"\ncrf = 12\n')
    settings = resolve(str(preset), fetch=False)
    assert (settings.output.deliver, settings.output.crf) == ("dnxhr-hqx", 12)
    preset.write_text('[output]\nstyle_weight = 2\n')
    with pytest.raises(UserError, match=r"\[output\] style_weight is not an output setting"):
        resolve(str(preset), fetch=False)


def test_profile_names_are_the_settings_choices():
    from vidstyle.core.options import DELIVERIES
    from vidstyle.media.deliver import PROFILES

    assert tuple(PROFILES) == DELIVERIES
