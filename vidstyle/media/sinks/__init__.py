"""The writers of a stylized clip, one per kind of output, behind one interface (write_frame, write_audio, close,
abort); `open_sink` picks one by the output's name."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from vidstyle.media.formats import ANIMATIONS, output_format
from vidstyle.media.sequence import output_sequence
from vidstyle.media.sinks.animation import AnimationSink
from vidstyle.media.sinks.sequence import SequenceSink
from vidstyle.media.sinks.video import EncodeSettings, VideoSink

if TYPE_CHECKING:
    from vidstyle.media.source import VideoSource


def open_sink(path: Path, fmt_path: Path, source: VideoSource, settings: EncodeSettings, audio: bool = True) -> Any:
    """The writer for `fmt_path`'s container, writing to `path` (the temporary file); without `audio`, video only."""
    fmt = output_format(fmt_path)
    if fmt == "sequence":
        return SequenceSink(path, output_sequence(fmt_path), source, settings.deliver)
    if fmt in ANIMATIONS:
        return AnimationSink(path, fmt, source)
    return VideoSink(path, fmt_path, source, settings, audio)
