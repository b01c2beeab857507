"""`vidstyle presets list` and `vidstyle presets show`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from vidstyle.cli.flags import PresetsDirOpt, QuietOpt

app = typer.Typer(help="List and show presets (TOML job settings).", no_args_is_help=True)


@app.command("list")
def presets_list(presets_dir: PresetsDirOpt = None) -> None:
    """Every preset, where it comes from and what it does."""
    from vidstyle.backends import DEFAULT
    from vidstyle.settings.presets import list_presets, read_preset

    for name, path in list_presets(presets_dir).items():
        table = read_preset(path)
        description = (table.get("description", "").splitlines() or [""])[0]
        typer.echo(f"{name:28s} {table.get('backend', DEFAULT):9s} {description}")
        typer.echo(f"{'':28s} {'':9s} [{path}]")


@app.command("show")
def presets_show(name: Annotated[str, typer.Argument(help="Preset name or .toml file.")],
                 clip: Annotated[Optional[Path], typer.Option("--clip", help="Also print the look each shot of this "
                                                                           "clip gets, from which frame to which.")
                                 ] = None,
                 presets_dir: PresetsDirOpt = None, quiet: QuietOpt = False) -> None:
    """A preset's file and the complete settings it gives (defaults filled in)."""
    from vidstyle.settings import resolve
    from vidstyle.settings.presets import find_preset

    path = find_preset(name, presets_dir)
    typer.echo(f"# {path}")
    typer.echo(path.read_text(encoding="utf-8-sig").rstrip())
    settings = resolve(str(path), fetch=False)
    typer.echo("\n# complete settings")
    for key, value in settings.values().items():
        typer.echo(f"# {key} = {value!r}")
    if clip is not None:
        from vidstyle.jobs.run import plan_frames
        from vidstyle.settings.looks import describe

        typer.echo(f"\n# the plan on {clip} (shots: {settings.output.cuts})")
        for line in describe(settings, plan_frames(clip, settings, quiet)):
            typer.echo(f"# {line}".rstrip())
