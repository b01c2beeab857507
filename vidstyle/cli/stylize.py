"""`vidstyle image` and `vidstyle video`: one still, or one clip."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from vidstyle.cli.flags import PresetOpt, PresetsDirOpt, QuietOpt, output_path, settings_from_flags, with_setting_flags


@with_setting_flags(video=False)
def image(
    photo: Annotated[Path, typer.Argument(help="Photo to stylize.")],
    output: Annotated[Optional[str], typer.Option("--output", "-o", metavar="PATH",
                                                  help="Output image (default PHOTO_stylized.png; a folder: "
                                                        "that name in it).", rich_help_panel="Output")] = None,
    preset: PresetOpt = None, presets_dir: PresetsDirOpt = None,
    sheet: Annotated[bool, typer.Option("--sheet", help="One tile per built-in style (backends that have them).",
                                        rich_help_panel="Output")] = False,
    quiet: QuietOpt = False, *, flags: dict[str, Any],
) -> None:
    """Stylize a still image."""
    from vidstyle.jobs.run import run_image

    settings = settings_from_flags(preset, presets_dir, flags)
    run_image(photo, output_path(output, photo, ".png"), settings, sheet=sheet, quiet=quiet)


@with_setting_flags(video=True)
def video(
    clip: Annotated[Path, typer.Argument(help="Video clip to stylize, or a folder of numbered frames (an image "
                                              "sequence).")],
    output: Annotated[Optional[str], typer.Option(
        "--output", "-o", metavar="PATH", help="Output video (.mp4, .mov, .mxf, .mkv, .webm), or frames named as "
                                               "shot_%04d.png (default CLIP_stylized.mp4; a folder: that name in "
                                               "it).", rich_help_panel="Output")] = None,
    preset: PresetOpt = None, presets_dir: PresetsDirOpt = None,
    resume: Annotated[bool, typer.Option("--resume/--no-resume", help="Continue a killed run of the same job.",
                                         rich_help_panel="Performance")] = True,
    quiet: QuietOpt = False, *, flags: dict[str, Any],
) -> None:
    """Stylize a video clip, keeping its audio, frame timing and orientation (a still image is refused: use
    `vidstyle image`)."""
    from vidstyle.jobs.run import run_video

    settings = settings_from_flags(preset, presets_dir, flags)
    run_video(clip, output_path(output, clip, ".mp4"), settings, quiet=quiet, resume=resume)
