"""Video in and out through PyAV: timestamps, audio, rotation, pixel formats, atomic outputs."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from conftest import media, run_cli, write_alpha_clip, write_audio_only, write_empty_clip
from vidstyle.core.errors import UserError
from vidstyle.core.timepoints import parse_time
from vidstyle.media import probe
from vidstyle.media.atomic import atomic_output, check_output_path
from vidstyle.media.frames import Frame, fit_size
from vidstyle.media.sinks import open_sink
from vidstyle.media.sinks.video import EncodeSettings
from vidstyle.media.source import VideoSource
from vidstyle.media.synthetic import scene, write_clip, write_frames


def copy_clip(src_path: Path, out_path: Path, max_size: int | None = None) -> list[int]:
    """Decode and re-encode unchanged pixels; return the source pts seen."""
    seen = []
    with VideoSource(src_path) as src:
        sink = open_sink(out_path, out_path, src, EncodeSettings(preset="ultrafast"))
        for item in src.frames(max_size, with_audio=True):
            if isinstance(item, Frame):
                sink.write_frame(item.rgb, item.pts, item.alpha)
                seen.append(item.pts)
            else:
                sink.write_audio(item)
        sink.close()
    return seen


def frame_times(path: Path) -> list[float]:
    return probe.frame_times(path)[0]


def audio_span(path: Path) -> float | None:
    spans = probe.audio_spans(path)
    return spans[0] if spans else None


def test_vfr_timestamps_and_audio_survive(tmp_path):
    src = tmp_path / "vfr.mp4"
    times = write_clip(src, 64, 48, frames=20, fps=20, audio=True, vfr=True)
    gaps = np.diff(times)
    assert gaps.max() > 1.5 * gaps.min(), "the source really is variable frame rate"
    for suffix, tick in ((".mp4", 1 / 90000), (".mkv", 1 / 1000)):  # Matroska counts in milliseconds
        out = tmp_path / f"out{suffix}"
        copy_clip(src, out)
        got = frame_times(out)
        assert len(got) == len(times)
        assert np.allclose(got, frame_times(src), rtol=0, atol=tick + 1e-9)
        assert abs(audio_span(out) - audio_span(src)) < 0.05


@pytest.mark.parametrize("rotation", [90, -90, 180])
def test_rotation_flag_is_applied_to_pixels(tmp_path, rotation):
    src = tmp_path / f"rot{rotation}.mp4"
    write_clip(src, 64, 32, frames=2, fps=10, audio=False, rotation=rotation, pix_fmt="yuv444p")
    with VideoSource(src) as vs:
        first = next(f for f in vs.frames() if isinstance(f, Frame))
    upright = np.rot90(scene(64, 32, 0.0), k=round(rotation / 90) % 4).astype(np.float32)
    assert first.rgb.shape == upright.shape
    assert np.abs(first.rgb.astype(np.float32) - upright).mean() < 6  # only compression error left


def test_444_source_and_odd_size_keep_4_4_4(tmp_path):
    src = tmp_path / "odd444.mkv"
    write_clip(src, 63, 37, frames=3, fps=10, audio=False, pix_fmt="yuv444p")
    out = tmp_path / "out.mp4"
    copy_clip(src, out)
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert (s.codec_context.width, s.codec_context.height) == (63, 37)
        assert s.codec_context.pix_fmt == "yuv444p"


def test_fit_size_caps_long_side_only_when_needed():
    assert fit_size(960, 540, None) == (960, 540)
    assert fit_size(960, 540, 2000) == (960, 540)
    assert fit_size(960, 540, 640) == (640, 360)
    assert fit_size(320, 568, 100) == (56, 100)


def test_zero_frame_and_audio_only_files_are_refused(tmp_path):
    empty = write_empty_clip(tmp_path / "empty.mkv")
    with pytest.raises(UserError, match="no decodable video frames"), VideoSource(empty) as vs:
        list(vs.frames())
    with pytest.raises(UserError, match="no video stream"):
        VideoSource(write_audio_only(tmp_path / "sound.m4a"))


def test_atomic_output_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with atomic_output(target) as tmp:
        tmp.write_bytes(b"whole")
    assert target.read_bytes() == b"whole" and len(list(tmp_path.iterdir())) == 1


def test_output_checks(tmp_path):
    src = tmp_path / "in.mp4"
    src.write_bytes(b"x")
    with pytest.raises(UserError, match="same as an input"):
        check_output_path(tmp_path / "." / "in.mp4", [src])
    with pytest.raises(UserError, match="does not exist"):
        check_output_path(tmp_path / "nope" / "o.mp4", [src])


@pytest.mark.parametrize("name", ["moviepy_fire2_rot180_vfr.mp4", "decord_flipping_a_pancake.mkv",
                                  "mdn_friday_audiofirst.mp4", "decord_unordered.mov"])
def test_real_clips_keep_every_timestamp_and_the_audio(tmp_path, name):
    src = media(f"video/{name}")
    out = tmp_path / "out.mp4"
    copy_clip(src, out, max_size=160)
    want, got = frame_times(src), frame_times(out)
    assert len(got) == len(want)
    tick = max(float(probe.frame_times(src)[1]), float(probe.frame_times(out)[1]))
    assert max(abs(a - b) for a, b in zip(sorted(want), got)) <= tick + 1e-9
    a_in, a_out = audio_span(src), audio_span(out)
    assert (a_in is None) == (a_out is None)
    if a_in is not None:  # against the length the source states where it does (moviepy's packets run 155 ms past)
        stated = probe.audio_timing(src)[0][1]
        assert abs((stated or a_in) - a_out) < 0.05


@pytest.mark.parametrize("name", ["moviepy_fire2_rot180_vfr.mp4", "imageio_realshort.mp4", "mdn_flower.mp4",
                                  "adain_cutBunny.mp4", "imageio_cockatoo_yuv444_silentmp3.mp4"])
def test_copied_audio_starts_and_ends_where_the_source_does(tmp_path, name):
    """Trimmed ends (stated durations shorter than the packets), priming cut by an edit list, and a timestamp gap
    the stated duration does not count (moviepy: 155 ms) all come out as the source states them."""
    src = media(f"video/{name}")
    out = tmp_path / "out.mp4"
    copy_clip(src, out, max_size=96)
    (start_in, stated_in), = probe.audio_timing(src)
    (start_out, stated_out), = probe.audio_timing(out)
    with av.open(str(src)) as c:
        a = c.streams.audio[0]
        one_frame = a.codec_context.frame_size / a.codec_context.sample_rate
    assert abs(start_out - start_in) < 0.001
    assert abs(stated_out - stated_in) <= one_frame
    assert audio_span(out) <= audio_span(src) + 1e-9  # the packets themselves, not only the header


def test_vorbis_is_transcoded_for_mp4(tmp_path):
    src = media("video/mdn_stream-of-water-audioless.webm")
    out = tmp_path / "out.mp4"
    copy_clip(src, out, max_size=96)
    with av.open(str(out)) as c:
        assert c.streams.audio[0].codec_context.name == "aac"
    assert abs(audio_span(out) - audio_span(src)) < 0.05


def write_pts_from_dts(path: Path, frames: int = 30) -> None:
    """H.264 with B-frames muxed with each packet's pts set to its dts: decoded stamps come out of order."""
    from fractions import Fraction

    enc = av.CodecContext.create("libx264", "w")
    enc.width, enc.height, enc.pix_fmt = 64, 48, "yuv420p"
    enc.time_base, enc.framerate = Fraction(1, 30), 30
    enc.options = {"bf": "2", "g": "12"}
    packets = []
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(scene(64, 48, i / 30), format="rgb24")
        frame.pts, frame.time_base = i, Fraction(1, 30)
        packets += enc.encode(frame)
    packets += enc.encode(None)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.extradata = enc.extradata
        stream.time_base = Fraction(1, 30)
        for packet in packets:
            packet.pts, packet.stream, packet.time_base = packet.dts, stream, Fraction(1, 30)
            out.mux(packet)


def test_out_of_order_timestamps_are_put_in_order(tmp_path, caplog):
    path = tmp_path / "pts_from_dts.mp4"
    write_pts_from_dts(path)
    with av.open(str(path)) as c:
        raw = [f.pts for f in c.decode(video=0)]
    assert raw != sorted(raw)  # the case: stamps out of order
    with VideoSource(path) as src:
        got = [f.pts for f in src.frames()]
    assert got == sorted(raw)  # each frame the stamp a player shows it at: evenly spaced again
    assert len(set(np.diff(got))) == 1
    assert "timestamps out of order; they were given them in order" in caplog.text
    caplog.clear()
    write_clip(tmp_path / "vfr.mp4", 64, 48, frames=20, vfr=True, audio=False)
    with av.open(str(tmp_path / "vfr.mp4")) as c:
        raw = [f.pts for f in c.decode(video=0)]
    with VideoSource(tmp_path / "vfr.mp4") as src:
        assert [f.pts for f in src.frames()] == raw  # in-order stamps, variable gaps: as they are
    assert "out of order" not in caplog.text


def alpha_planes(path: Path) -> list[np.ndarray] | None:
    with VideoSource(path) as src:
        return [f.alpha for f in src.frames()] if src.alpha else None


@pytest.mark.parametrize("codec, pix_fmt, suffix, exact", [
    ("libvpx-vp9", "yuva420p", ".webm", False),  # VP9 codes alpha lossily, in a side channel of WebM
    ("libvpx-vp9", "yuva420p", ".mov", True),  # into ProRes 4444, whose alpha is lossless
    ("prores_ks", "yuva444p10le", ".mov", True),  # 10-bit alpha read and written without drift
    ("png", "rgba", ".mov", True),
    ("png", "rgba", ".webp", True),
])
def test_alpha_is_carried_through(tmp_path, codec, pix_fmt, suffix, exact):
    src = tmp_path / f"src{'.webm' if codec == 'libvpx-vp9' else '.mov'}"
    written = write_alpha_clip(src, codec, pix_fmt)
    out = tmp_path / f"out{suffix}"
    copy_clip(src, out)
    want = alpha_planes(src)
    assert want is not None and np.abs(want[3].astype(int) - written[3]).mean() < 1.5
    if suffix == ".webp":
        from PIL import Image, ImageSequence
        got = [np.asarray(f.convert("RGBA"))[..., 3] for f in ImageSequence.Iterator(Image.open(out))]
    else:
        got = alpha_planes(out)
    assert got is not None and len(got) == len(want)
    diff = np.abs(np.stack(got).astype(int) - np.stack(want))
    if exact:
        assert diff.max() == 0
    else:
        assert diff.mean() < 1.0 and diff.max() <= 8


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_alpha_left_out_is_said(tmp_path, caplog, suffix):
    src = tmp_path / "src.webm"
    write_alpha_clip(src, "libvpx-vp9", "yuva420p", frames=3)
    copy_clip(src, tmp_path / f"out{suffix}")
    assert "alpha channel is left out" in caplog.text


def test_an_opaque_alpha_plane_is_left_out_without_a_word(tmp_path, caplog):
    """moviepy_no_duration.webm declares VP9 alpha but every pixel is opaque: nothing is lost, nothing said."""
    src = media("video/moviepy_no_duration.webm")
    assert alpha_planes(src) is not None and min(a.min() for a in alpha_planes(src)) == 255
    copy_clip(src, tmp_path / "out.mp4", max_size=64)
    assert "alpha" not in caplog.text


PATCHES = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (200, 120, 60), (60, 160, 90)]


def patches(width: int, height: int) -> np.ndarray:
    rgb = np.zeros((height, width, 3), np.uint8)
    step = width // len(PATCHES)
    for i, colour in enumerate(PATCHES):
        rgb[:, i * step:(i + 1) * step] = colour
    return rgb


def patch_colours(rgb: np.ndarray) -> np.ndarray:
    step = rgb.shape[1] // len(PATCHES)
    return np.array([rgb[rgb.shape[0] // 2, i * step + step // 2] for i in range(len(PATCHES))], np.int16)


def write_yuv(path: Path, rgb: np.ndarray, matrix, full_range: bool = False, tag: bool = False) -> None:
    """Three frames of `rgb` in 4:2:0 made with `matrix`, the stream tagged with it (and the range) or not."""
    from av.video.reformatter import ColorRange

    with av.open(str(path), "w") as c:
        stream = c.add_stream("libx264", rate=24, options={"crf": "4"})
        stream.width, stream.height, stream.pix_fmt = rgb.shape[1], rgb.shape[0], "yuv420p"
        colour_range = ColorRange.JPEG if full_range else ColorRange.MPEG
        if tag or full_range:
            stream.codec_context.color_range = int(colour_range)
        if tag:
            stream.codec_context.colorspace = 1 if matrix.name == "ITU709" else 6
        for k in range(3):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
                format="yuv420p", dst_colorspace=matrix, dst_color_range=colour_range)
            frame.pts = k
            for packet in stream.encode(frame):
                c.mux(packet)
        for packet in stream.encode():
            c.mux(packet)


def read_first(path: Path) -> np.ndarray:
    with VideoSource(path) as src:
        return next(f.rgb for f in src.frames() if isinstance(f, Frame))


def test_colours_are_read_as_players_show_them_and_written_tagged(tmp_path):
    """Untagged YUV is read with the matrix players assume (BT.709 at HD sizes, BT.601 below), tagged YUV and
    full range with their tags; outputs are written with the source's matrix and range, tagged so, with its
    primaries and transfer. Untagged BT.601 (PyAV's default), the output's pure green showed as (0, 215, 0) at HD
    in players."""
    from av.video.reformatter import Colorspace

    for (w, h), matrix, full, tag in [((1280, 720), Colorspace.ITU709, False, False),
                                      ((640, 360), Colorspace.ITU601, False, False),
                                      ((640, 360), Colorspace.ITU709, False, True),
                                      ((1280, 720), Colorspace.ITU601, True, True)]:
        clip = tmp_path / f"in_{w}_{matrix.name}_{full}.mp4"
        write_yuv(clip, patches(w, h), matrix, full, tag)
        got = patch_colours(read_first(clip))
        assert np.abs(got - np.array(PATCHES)).max() <= 4, (w, matrix, full, tag, got)

    source = media("video/mdn_flower.mp4")  # tagged BT.601 with SMPTE 170M primaries and transfer
    out = tmp_path / "out.mp4"
    with VideoSource(source) as src:
        sink = open_sink(out, out, src, EncodeSettings(preset="ultrafast"), audio=False)
        for k in range(3):
            sink.write_frame(patches(1280, 720), k * src.time_base.denominator // 30 // src.time_base.numerator)
        sink.close()
    with av.open(str(out)) as c:
        cc = c.streams.video[0].codec_context
        assert (cc.colorspace, cc.color_range, cc.color_primaries, cc.color_trc) == (6, 1, 6, 6)  # the source's
        frame = next(c.decode(video=0))
        as_709 = patch_colours(frame.reformat(format="rgb24", src_colorspace=Colorspace.ITU709).to_ndarray())
        as_601 = patch_colours(frame.reformat(format="rgb24", src_colorspace=Colorspace.ITU601).to_ndarray())
    assert np.abs(as_601 - np.array(PATCHES)).max() <= 4, as_601
    assert np.abs(as_709 - np.array(PATCHES)).max() > 20  # the tag is what makes players show it right
    assert np.abs(patch_colours(read_first(out)) - np.array(PATCHES)).max() <= 4


def test_stills_with_another_colour_profile_are_read_in_srgb(tmp_path):
    """A phone's Display P3 photo read as it is came out duller: its pixels are converted to sRGB (what untagged
    outputs are taken to be), alpha kept; an sRGB-tagged one is left exactly as it is."""
    from PIL import Image, ImageCms

    from icc_profiles import DISPLAY_P3, matrix_profile
    from vidstyle.media.images import load_image

    colours = [(200, 120, 60), (60, 160, 90), (128, 128, 128), (255, 0, 0)]
    rgba = Image.fromarray(np.repeat(np.array([[(*c, 100 + 40 * i) for i, c in enumerate(colours)]], np.uint8), 16, 1)
                           .repeat(16, 0))  # 16x16 patches: JPEG's 4:2:0 blends single pixels
    p3 = matrix_profile("Display P3 (test)", DISPLAY_P3)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for name, image, icc in (("p3.png", rgba.convert("RGB"), p3), ("p3.jpg", rgba.convert("RGB"), p3),
                             ("p3a.png", rgba, p3), ("srgb.png", rgba.convert("RGB"), srgb)):
        image.save(tmp_path / name, icc_profile=icc, **({"quality": 100} if name.endswith(".jpg") else {}))
        still = load_image(tmp_path / name)
        got = still.rgb[8, 8::16].astype(int)
        if name == "srgb.png":
            assert np.array_equal(got, colours)
            continue
        tolerance = 4 if name.endswith(".jpg") else 1
        assert np.abs(got[0] - (214, 116, 38)).max() <= tolerance, got  # more saturated than the numbers read
        assert np.abs(got[2] - 128).max() <= tolerance + 1 and tuple(got[3]) == (255, 0, 0), got
        if name == "p3a.png":
            assert still.alpha is not None and list(still.alpha[8, 8::16]) == [100, 140, 180, 220]
    rgba.convert("RGB").save(tmp_path / "broken.png", icc_profile=b"not a profile" * 20)
    assert np.array_equal(load_image(tmp_path / "broken.png").rgb[8, 8::16], colours)  # said, and read as sRGB


def test_anamorphic_frames_are_read_at_square_pixels(tmp_path):
    """A 720x576 PAL frame shown as 16:9 (sample aspect 64:45) holds a circle drawn squeezed: read, it is round
    and 1024x576 as players show it (it was read 720x576 and written with square pixels: an ellipse, squeezed);
    the output is 16:9 in square pixels."""
    from fractions import Fraction

    clip = tmp_path / "pal_wide.mp4"
    yy, xx = np.mgrid[0:576, 0:720]
    picture = np.zeros((576, 720, 3), np.uint8)
    picture[((xx * 64 / 45 - 512) ** 2 + (yy - 288) ** 2) < 200 ** 2] = 255  # round where each pixel is 64/45 wide
    with av.open(str(clip), "w") as c:
        stream = c.add_stream("libx264", rate=25, options={"crf": "10"})
        stream.width, stream.height, stream.pix_fmt = 720, 576, "yuv420p"
        stream.codec_context.sample_aspect_ratio = Fraction(64, 45)
        for k in range(3):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = k
            for packet in stream.encode(frame):
                c.mux(packet)
        for packet in stream.encode():
            c.mux(packet)
    for max_size, size in ((None, (576, 1024)), (512, (288, 512))):
        with VideoSource(clip) as src:
            assert src.size == (1024, 576)
            rgb = next(f.rgb for f in src.frames(max_size) if isinstance(f, Frame))
        assert rgb.shape[:2] == size
        ys, xs = np.nonzero(rgb[..., 0] > 128)
        width, height = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
        assert abs(width / height - 1) < 0.03, (width, height)  # round, not 64:45 wide
    out = tmp_path / "out.mp4"
    copy_clip(clip, out)
    with av.open(str(out)) as c:
        stream = c.streams.video[0]
        assert (stream.width, stream.height) == (1024, 576) and stream.sample_aspect_ratio in (None, 0, 1)


def _bar(t: int) -> np.ndarray:
    """A yellow bar moving 6 px to the right per field."""
    picture = np.full((240, 320, 3), 40, np.uint8)
    picture[40:200, 20 + 6 * t:50 + 6 * t] = (230, 200, 60)
    return picture


def _field_planes(rows: np.ndarray) -> list[np.ndarray]:
    """One field's own Y, U, V (interlaced 4:2:0 subsamples the chroma within each field)."""
    yuv = av.VideoFrame.from_ndarray(rows, format="rgb24").reformat(format="yuv420p").to_ndarray()
    h, w = rows.shape[:2]
    return [yuv[:h], yuv[h:h + h // 4].reshape(h // 2, w // 2), yuv[h + h // 4:].reshape(h // 2, w // 2)]


def _write_interlaced(path: Path, frames: int) -> None:
    """Bottom field first (as DV, and as libx264 flags frames that carry no field order): frame k weaves the bar
    at field time 2k on its odd rows and at 2k+1 on its even rows."""
    with av.open(str(path), "w") as c:
        stream = c.add_stream("libx264", rate=25, options={"crf": "12", "x264-params": "interlaced=1"})
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for k in range(frames):
            planes = []
            for first, second in zip(_field_planes(_bar(2 * k)[1::2]), _field_planes(_bar(2 * k + 1)[0::2])):
                plane = np.empty((first.shape[0] * 2, first.shape[1]), np.uint8)
                plane[1::2], plane[0::2] = first, second
                planes.append(plane.reshape(-1, 320))
            frame = av.VideoFrame.from_ndarray(np.concatenate(planes), format="yuv420p")
            frame.pts = k
            for packet in stream.encode(frame):
                c.mux(packet)
        for packet in stream.encode():
            c.mux(packet)


def _combing(rgb: np.ndarray) -> float:
    """How far each row is from the mean of its neighbours: interlaced motion shows as combs."""
    grey = rgb.astype(float).mean(2)
    return float(np.abs(grey[1:-1] - (grey[:-2] + grey[2:]) / 2).mean())


def test_interlaced_frames_are_deinterlaced_with_their_timing_kept(tmp_path):
    """An interlaced clip (two fields 1/50 s apart in each frame) showed combs on the moving bar, which a style
    paints as stripes. Read, each frame is whole: the bar where the first field has it on every row, no combs,
    and the frames and their timestamps are the decoder's, one for one."""
    clip = tmp_path / "interlaced.mp4"
    _write_interlaced(clip, 10)
    with av.open(str(clip)) as c:
        raw = [(f.interlaced_frame, f.pts, _combing(f.to_ndarray(format="rgb24"))) for f in c.decode(video=0)]
    assert all(flag for flag, _, _ in raw) and min(comb for _, _, comb in raw) > 10 * _combing(_bar(0))
    with VideoSource(clip) as src:
        frames = [f for f in src.frames() if isinstance(f, Frame)]
    assert [f.pts for f in frames] == [pts for _, pts, _ in raw]
    for k, frame in enumerate(frames):
        assert _combing(frame.rgb) < 1.5 * _combing(_bar(0)), k
        left = [int(np.argmax(row[:, 1] > 150)) for row in frame.rgb[50:190]]
        assert set(left) <= {19 + 12 * k, 20 + 12 * k, 21 + 12 * k}, (k, sorted(set(left)))


def test_tags_are_carried_to_the_output(tmp_path):
    """A phone clip's creation time and location (what photo libraries sort and map by), a film's title and its
    audio track's language and name were dropped: the output looked made today, somewhere unknown. They are
    kept, in MP4 and MKV, beside a segment's join too; the source's encoder, brands and rotation, which would be
    false of the output, are not, nor the timecode as a file tag (it goes on the video track, moved to the
    output's first frame: the next test)."""
    plain = tmp_path / "plain.mp4"
    write_clip(plain, 64, 48, frames=6)
    clip = tmp_path / "phone.mkv"
    tags = {"creation_time": "2017-01-05T18:32:43.000000Z", "location": "+54.1843-002.7189/", "title": "Bay"}
    with av.open(str(plain)) as src, av.open(str(clip), "w") as out:
        out.metadata.update({**tags, "encoder": "Phone 1.0", "timecode": "01:00:00:00"})
        streams = {s.index: out.add_stream_from_template(s) for s in src.streams}
        streams[1].metadata.update({"language": "fra", "title": "Commentary"})
        for packet in src.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    with av.open(str(clip)) as c:
        assert {k.lower(): v for k, v in c.metadata.items()}["timecode"] == "01:00:00:00"
    for name, track in (("out.mp4", ("fra", None)), ("out.mkv", ("fra", "Commentary"))):  # MP4 keeps no track name
        copy_clip(clip, tmp_path / name)
        with av.open(str(tmp_path / name)) as c:
            kept = {k.lower(): v for k, v in c.metadata.items()}
            assert {k: kept.get(k) for k in tags} == tags, (name, kept)
            assert "timecode" not in kept and kept.get("encoder", "").startswith("Lavf"), (name, kept)
            assert c.streams.video[0].metadata.get("timecode", c.streams.video[0].metadata.get("TIMECODE")) == \
                "01:00:00:00"
            audio = c.streams.audio[0].metadata
            assert (audio.get("language"), audio.get("title")) == track, (name, dict(audio))


@pytest.mark.parametrize("timecode, frames, rate, moved", [
    ("01:00:10:05", 48, Fraction(24), "01:00:12:05"),
    ("23:59:59:23", 1, Fraction(24000, 1001), "00:00:00:00"),  # 23.976 counts 24 labels a second; a day wraps
    ("00:00:59;29", 1, Fraction(30000, 1001), "00:01:00;02"),  # drop-frame: ;00 and ;01 skipped each minute
    ("00:09:59;29", 1, Fraction(30000, 1001), "00:10:00;00"),  # ... but every tenth
    ("00:00:00;00", 17982, Fraction(30000, 1001), "00:10:00;00"),  # ten minutes of real frames
    ("00:00:00;00", 3600, Fraction(60000, 1001), "00:01:00;04"),  # 59.94: 4 skipped
    ("00:59:59;28", 0, Fraction(25), None),  # drop-frame at 25 fps: no such timecode
    ("10:00:00:30", 0, Fraction(30), None),  # a frame field past the rate
    ("1:00:00:00", 0, Fraction(24), None),
])
def test_timecodes_move_on_by_frames(timecode, frames, rate, moved):
    from vidstyle.media.smpte import moved_on

    assert moved_on(timecode, frames, rate) == moved


def test_the_timecode_is_kept_and_moved_to_a_segments_start(tmp_path, caplog):
    """Editing software puts a stylized shot back in the cut by its timecode: MOV and MP4 outputs carry the
    source's as a timecode track, MKV and WebM as a TIMECODE tag, moved on by the frames a segment skips; one the
    rate cannot hold is left out, with a word. A segment can be given in the source's timecode."""
    frames = [scene(64, 48, k / 8) for k in range(6)]
    ntsc, pal = tmp_path / "ntsc.mov", tmp_path / "pal.mkv"  # MP4's muxer drops a timecode its rate cannot hold
    write_frames(ntsc, frames, Fraction(30000, 1001), tags={"timecode": "00:59:59;28"})
    write_frames(pal, frames, 25, tags={"timecode": "00:59:59;28"})  # drop-frame at 25 fps: not a timecode
    with VideoSource(ntsc) as src:
        assert src.timecode == "00:59:59;28"
    for name, start, moved in (("all.mov", None, "00:59:59;28"), ("cut.mp4", "2f", "01:00:00;00"),
                               ("cut.mkv", "2f", "01:00:00;00"), ("cut.webm", "0.1", "01:00:00;01")):  # frame 3
        out = tmp_path / name
        with VideoSource(ntsc) as src:
            sink = open_sink(out, out, src, EncodeSettings(preset="ultrafast"))
            for item in src.frames(start=parse_time(start, "start") if start else None):
                if isinstance(item, Frame):
                    sink.write_frame(item.rgb, item.pts)
            sink.close()
        with av.open(str(out)) as c:
            tags = {k.lower(): v for k, v in c.streams.video[0].metadata.items()}
            assert tags.get("timecode") == moved, (name, tags)
            if out.suffix in (".mov", ".mp4"):
                assert [s.metadata.get("timecode") for s in c.streams.data] == [moved], name
    # eval places the segment in its source by the two timecodes: frames 2 to 5, 3 pairs.
    from vidstyle.jobs.evaluate import evaluate_clip

    report = evaluate_clip(ntsc, tmp_path / "cut.mp4", quiet=True)
    assert (report["source_start"], report["pairs"]) == (2, 3)
    with pytest.raises(UserError, match="placed in its source by the timecodes both carry, and these two do not"):
        evaluate_clip(pal, tmp_path / "cut.mp4", quiet=True)
    # A segment given in the source's timecode, as an edit list gives it: frames 2 to 4.
    out = tmp_path / "edl.mov"
    proc = run_cli("video", ntsc, "--backend", "fast", "--style-id", "3", "--start", "01:00:00;00", "--end",
                   "01:00:00;03", "-o", out, "-q")
    assert proc.returncode == 0, proc.stderr
    with av.open(str(out)) as c:
        assert c.streams.video[0].metadata["timecode"] == "01:00:00;00" and c.streams.video[0].frames == 3
    for start, words in (("00:59:00;02", "is before the clip's first frame, 00:59:59;28"),
                         ("01:00:00:00", "cannot be counted from the clip's timecode, 00:59:59;28, at 29.970 fps")):
        proc = run_cli("video", ntsc, "--backend", "fast", "--style-id", "3", "--start", start, "-o", out, "-q")
        assert proc.returncode == 2 and words in proc.stderr, proc.stderr
    with caplog.at_level("WARNING", logger="vidstyle"):
        copy_clip(pal, tmp_path / "pal_out.mp4")
    assert "its timecode 00:59:59;28 is left out: not a timecode at 25.000 fps" in caplog.text
    with av.open(str(tmp_path / "pal_out.mp4")) as c:
        assert "timecode" not in c.streams.video[0].metadata and not c.streams.data


def _write_keyframed(path: Path, width: int, height: int, frames: int, first: int = 0, keyint: int = 10) -> None:
    """A 25 fps clip with a keyframe every `keyint` frames; `.ts`: MPEG-TS (a broadcast recording, a camcorder's
    .mts), which has no index."""
    with av.open(str(path), "w", format="mpegts" if path.suffix == ".ts" else None) as c:
        stream = c.add_stream("libx264", rate=25, options={"x264-params": f"keyint={keyint}:min-keyint={keyint}"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for k in range(frames):
            frame = av.VideoFrame.from_ndarray(scene(width, height, (first + k) / 25), format="rgb24")
            frame.pts = first + k
            for packet in stream.encode(frame):
                c.mux(packet)
        for packet in stream.encode():
            c.mux(packet)


def test_segments_of_an_mpeg_ts_clip_start_where_asked(tmp_path):
    """MPEG-TS has no index: a seek landed on a packet after the keyframe, and the decoder gave nothing until
    the next one. `--start` came out late by up to a keyframe interval, or empty ('has no decodable video frames')
    where the clip had one keyframe. Each segment now holds exactly the whole clip's frames from its start."""
    from vidstyle.core.timepoints import parse_time

    for keyint in (10, 250):
        clip = tmp_path / f"broadcast{keyint}.ts"
        _write_keyframed(clip, 64, 48, 50, keyint=keyint)
        with VideoSource(clip) as src:
            whole = [(src.clip_seconds(f), f.rgb) for f in src.frames() if isinstance(f, Frame)]
        for start in ("0.5", "1.3", "40f"):
            with VideoSource(clip) as src:
                part = [(src.clip_seconds(f), f.rgb) for f in src.frames(start=parse_time(start, "start"))
                        if isinstance(f, Frame)]
            first = 40 if start == "40f" else next(k for k, (t, _) in enumerate(whole) if t >= float(start) - 1e-3)
            assert [t for t, _ in part] == pytest.approx([t for t, _ in whole[first:]]), (keyint, start)
            assert np.array_equal(part[0][1], whole[first][1]), (keyint, start)


@pytest.mark.parametrize("transfer, white", [(18, 0.75), (16, 0.58)])
def test_hdr_clips_are_read_as_sdr(tmp_path, transfer, white):
    """An HLG clip (phones' default) or a PQ one (HDR10) was read as its signal: reference white at 192 of 255
    for HLG, a dim grey to the network, BT.2020's primaries taken as BT.709's, and the output tagged HDR, where a
    painting's white became a highlight 5x the clip's white. Now BT.2408's reference white (HLG 75%, PQ 58%) reads
    as white, the 18% grey patch (HLG 38%) as an SDR screen shows 18% grey, BT.2020 red as BT.709 red, and the
    output is 8-bit SDR tagged BT.709."""
    from av.video.reformatter import Colorspace

    signal = np.zeros((64, 96, 3), np.float32)
    signal[:, :32] = 0.38 if transfer == 18 else 0.0
    signal[:, 32:64] = white
    signal[:, 64:] = (white, 0.0, 0.0)
    clip = tmp_path / "hdr.mp4"
    with av.open(str(clip), "w") as c:
        stream = c.add_stream("libx265", rate=25, options={"x265-params": "lossless=1:log-level=error"})
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv444p10le"
        cc = stream.codec_context
        cc.color_primaries, cc.colorspace, cc.color_trc, cc.color_range = 9, 9, transfer, 1  # BT.2020, limited
        for k in range(3):
            frame = av.VideoFrame.from_ndarray((signal * 65535).astype(np.uint16), format="rgb48le")
            frame = frame.reformat(format="yuv444p10le", dst_colorspace=Colorspace.BT2020, dst_color_range=1)
            frame.pts = k
            for packet in stream.encode(frame):
                c.mux(packet)
        for packet in stream.encode():
            c.mux(packet)
    with VideoSource(clip) as src:
        rgb = next(f.rgb for f in src.frames() if isinstance(f, Frame)).astype(int)
    with VideoSource(clip) as src:
        deep = next(f.deep for f in src.frames(deep=True) if isinstance(f, Frame))  # for an output above 8 bits
    assert deep.dtype == np.uint16 and np.abs(deep / 257 - rgb).max() <= 0.5 + 1e-9
    grey, ref, red = rgb[32, 16], rgb[32, 48], rgb[32, 80]
    if transfer == 18:
        assert np.all(np.abs(grey - 108) <= 3), grey  # 0.128 of white at gamma 2.4; 97 as the signal was read
    assert np.all(np.abs(ref - 241) <= 3), ref  # the knee keeps room above white for highlights
    assert red[0] >= 240 and red[1:].max() <= 8, red
    out = tmp_path / "out.mp4"
    copy_clip(clip, out)
    with av.open(str(out)) as c:
        cc = c.streams.video[0].codec_context
        # SDR BT.709 at the source's depth: HEVC Main10 (vidstyle.media.deliver), 4:2:0
        assert (cc.color_primaries, cc.color_trc, cc.colorspace, cc.pix_fmt) == (1, 1, 1, "yuv420p10le")


def test_subtitles_are_kept_where_the_container_carries_them(tmp_path, caplog):
    """A film's subtitle tracks were dropped. They are copied with their language into MKV, timed as the source
    has them, and in a segment shifted alike (a cue that began before it is left out); MP4 does not carry SRT:
    the log says the track is left out."""
    from vidstyle.core.timepoints import parse_time

    base, srt, clip = tmp_path / "base.mp4", tmp_path / "cues.srt", tmp_path / "film.mkv"
    write_clip(base, 64, 48, frames=50, fps=25)
    srt.write_text("1\n00:00:00,200 --> 00:00:00,900\nHello\n\n2\n00:00:01,000 --> 00:00:01,800\nWorld\n")
    with av.open(str(base)) as video, av.open(str(srt)) as cues, av.open(str(clip), "w") as out:
        streams = {s: out.add_stream_from_template(s) for s in [*video.streams, *cues.streams]}
        streams[cues.streams[0]].metadata["language"] = "fra"
        for source in (video, cues):
            for packet in source.demux():
                if packet.dts is not None:
                    packet.stream = streams[packet.stream]
                    out.mux(packet)

    def cues_in(path: Path) -> list[tuple[float, float, bytes]]:
        with av.open(str(path)) as c:
            origin = c.streams.video[0].start_time * c.streams.video[0].time_base
            return [(round(float(p.pts * p.time_base - origin), 3), round(float(p.duration * p.time_base), 3),
                     bytes(p)) for p in c.demux(c.streams.subtitles[0]) if p.size]

    assert cues_in(clip) == [(0.2, 0.7, b"Hello"), (1.0, 0.8, b"World")]
    copy_clip(clip, tmp_path / "out.mkv")
    assert cues_in(tmp_path / "out.mkv") == cues_in(clip)
    with av.open(str(tmp_path / "out.mkv")) as c:
        assert c.streams.subtitles[0].metadata.get("language") == "fra"
    with VideoSource(clip) as src:
        # This remux states an average of 30000 fps, which made frame counts 1000x and warned 'ended early'
        assert src.rate == 25 and src.estimated_frames() == 50
        items = list(src.frames(with_audio=True, start=parse_time("0.5", "start")))
        first = next(f for f in items if isinstance(f, Frame))
        cut = [(round(float(p.pts * p.time_base), 3), bytes(p)) for p in items
               if isinstance(p, av.Packet) and p.stream.type == "subtitle"]
    assert cut == [(round(1.0 - src.clip_seconds(first), 3), b"World")]
    with caplog.at_level("WARNING", logger="vidstyle"):
        copy_clip(clip, tmp_path / "out.mp4")
    assert "subtitle stream #2 (subrip) left out: mp4 does not carry it" in caplog.text
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert [s.type for s in c.streams] == ["video", "audio"]


def test_pcm_audio_is_transcoded_for_mp4_and_kept_in_mov(tmp_path, caplog):
    """A camera's MOV carries PCM sound. Copied into MP4 (the default output) it was written as ISO 'ipcm',
    which QuickTime and browsers do not play: the clip came out silent there. MP4 now gets AAC at 96 kb/s a
    channel; MOV keeps the PCM as it is."""
    clip = tmp_path / "camera.mov"
    with av.open(str(clip), "w") as c:
        video = c.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = c.add_stream("pcm_s24le", rate=48000)
        audio.layout = "stereo"
        for k in range(10):
            frame = av.VideoFrame.from_ndarray(scene(64, 48, k / 25), format="rgb24")
            frame.pts = k
            for packet in video.encode(frame):
                c.mux(packet)
            t = np.arange(k * 1920, (k + 1) * 1920) / 48000
            tone = (0.2 * np.sin(2 * np.pi * 440 * t) * 2 ** 31).astype(np.int32)
            sound = av.AudioFrame.from_ndarray(np.repeat(tone, 2)[None], format="s32", layout="stereo")
            sound.sample_rate, sound.pts = 48000, k * 1920
            for packet in audio.encode(sound):
                c.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode():
                c.mux(packet)
    with caplog.at_level("WARNING", logger="vidstyle"):
        copy_clip(clip, tmp_path / "out.mp4")
    assert "(pcm_s24le) transcoded to aac: players do not play it in mp4" in caplog.text
    copy_clip(clip, tmp_path / "out.mov")
    for name, codec, tag in (("out.mp4", "aac", "mp4a"), ("out.mov", "pcm_s24le", "in24")):
        with av.open(str(tmp_path / name)) as c:
            cc = c.streams.audio[0].codec_context
            assert (cc.name, cc.codec_tag) == (codec, tag), name
            if codec == "aac":
                assert cc.bit_rate > 150_000, cc.bit_rate


def test_a_heif_photo_in_display_p3_by_primaries_is_read_in_srgb(tmp_path):
    """HEIF gives its colour as primaries (nclx) where it has no ICC profile: an Android phone's Display P3
    photo was read as if sRGB, duller. P3's (200, 120, 60) is sRGB's (213, 115, 42) with the sRGB curve; an
    sRGB photo stays as it is."""
    import pillow_heif
    from PIL import Image

    from vidstyle.media.images import load_image

    pillow_heif.register_heif_opener()
    for primaries, want in ((12, (213, 115, 42)), (1, (200, 120, 60))):
        path = tmp_path / f"photo{primaries}.heic"
        Image.fromarray(np.full((32, 32, 3), (200, 120, 60), np.uint8)).save(
            path, quality=100, nclx_profile={"color_primaries": primaries, "transfer_characteristics": 13,
                                             "matrix_coefficients": 6, "full_range_flag": 1})
        got = load_image(path).rgb[16, 16].astype(int)
        assert np.abs(got - want).max() <= 3, (primaries, got)


def test_deep_stills_read_as_their_picture(tmp_path):
    """16-bit and float stills (scans, renders, scientific TIFFs) read as their picture: a float greyscale TIFF
    in [0, 1] was read black (Pillow's conversion clipped it to 0 and 1)."""
    import cv2
    from PIL import Image

    from vidstyle.media.images import load_image

    ramp = np.linspace(0, 1, 64)[None, :] * np.ones((48, 1))
    Image.fromarray((ramp * 65535).astype(np.uint16)).save(tmp_path / "grey16.png")
    Image.fromarray(ramp.astype(np.float32)).save(tmp_path / "float.tif")
    cv2.imwrite(str(tmp_path / "rgb16.png"), np.repeat((ramp * 65535).astype(np.uint16)[..., None], 3, axis=2))
    cv2.imwrite(str(tmp_path / "rgb16.tif"), np.repeat((ramp * 65535).astype(np.uint16)[..., None], 3, axis=2))
    for name in ("grey16.png", "float.tif", "rgb16.png", "rgb16.tif"):
        rgb = load_image(tmp_path / name).rgb
        assert rgb.shape == (48, 64, 3) and np.abs(rgb[20, :, 1].astype(int) - ramp[0] * 255).max() <= 2, name


def test_a_segment_given_in_seconds_and_frames_is_the_frames_asked_for(tmp_path):
    """`--start 1.0 --end 30f` on a clip with a keyframe every 10 frames gave 25 frames, not 5: the seek to the
    keyframe before the start restarted the count the end's frame number is read against. And `--start 10f --end
    0.2` said 'start 10f is past the end of the clip (10 frames)' of a 50-frame clip: the segment is empty."""
    from vidstyle.core.timepoints import parse_time

    clip = tmp_path / "keyint10.mp4"
    _write_keyframed(clip, 64, 48, 50, keyint=10)
    with VideoSource(clip) as src:
        whole = [f.rgb for f in src.frames() if isinstance(f, Frame)]
    for start, end in (("1.0", "30f"), ("25f", "1.2"), ("1.0", "1.2")):
        with VideoSource(clip) as src:
            got = [f.rgb for f in src.frames(start=parse_time(start, "start"), end=parse_time(end, "end"))
                   if isinstance(f, Frame)]
        assert len(got) == 5 and all(np.array_equal(a, b) for a, b in zip(got, whole[25:30])), (start, end, len(got))
    with VideoSource(clip) as src, pytest.raises(UserError, match="the segment is empty: end 0.2 s comes at or "
                                                                  "before the start, 10f"):
        list(src.frames(start=parse_time("10f", "start"), end=parse_time("0.2", "end")))
