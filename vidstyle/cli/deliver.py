"""`vidstyle deliver`: the delivery profiles, what each is for, and what it writes."""

from __future__ import annotations


def deliver() -> None:
    """The delivery profiles (--deliver NAME, or deliver in a preset's [output] table): what each is for and
    what it writes. Without one, a .mov is ProRes 422 HQ, a .mxf DNxHR HQX, and the bit depth follows the source."""
    import typer

    from vidstyle.media.deliver import PROFILES

    for p in PROFILES.values():
        what = "frames" if p.codec == "sequence" else p.codec
        bits = f"{p.depth}-bit" if p.depth else "source depth"
        typer.echo(f"{p.name:13s} {', '.join(p.suffixes):17s} {what:9s} {bits:12s} {p.purpose}")
