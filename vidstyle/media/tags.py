"""The source's descriptive tags, carried to the output as FFmpeg's own `-map_metadata` default does.

A phone clip's creation time is what photo libraries sort by, and its location what they map; a film's
title, and each audio track's language and name, are what players list. Tags that the muxer writes itself, or
that would be false of the output, stay behind.
"""

from __future__ import annotations

from collections.abc import Mapping

# Muxers' own (brands, encoder, handler), Matroska's per-track statistics, and what the output changes: the
# rotation (its pixels are turned upright) and the timecode (a segment starts elsewhere: it goes on the video
# track, moved on to the output's first frame, vidstyle.media.smpte).
_LEFT = {"major_brand", "minor_version", "compatible_brands", "encoder", "handler_name", "vendor_id", "duration",
         "number_of_frames", "number_of_bytes", "bps", "rotate", "timecode", "alpha_mode"}
STREAM_TAGS = ("language", "title")  # what a track is, for players' track menus


def file_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The tags of a whole file worth keeping."""
    return {k: v for k, v in tags.items() if k.lower() not in _LEFT and not k.lower().startswith("_statistics")}


def stream_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """A track's language and name; FFmpeg's 'und' (undetermined) is no language."""
    return {k: v for k, v in tags.items() if k.lower() in STREAM_TAGS and v and v != "und"}
