"""The `vidstyle` command line: the app and its commands (a module each), and the one place where problems become
one line and an exit code (2 for bad input)."""

from __future__ import annotations

import errno
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from vidstyle.cli import batch, conform, deliver, evaluate, models, presets, preview, shots, stylize, train
from vidstyle.cli.flags import backend_epilog
from vidstyle.core.errors import Terminated, UserError
from vidstyle.core.machine import keep_freed_memory
from vidstyle.core.progress import console

try:  # usage errors: Typer vendors click from 0.2x on, older releases use click itself
    from typer import TyperException as _UsageProblem
except ImportError:  # pragma: no cover
    from click import ClickException as _UsageProblem

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Stylize film clips and photos with neural style transfer, keeping audio, timing and "
                       "orientation, without flicker.")
log = logging.getLogger("vidstyle")
_state = {"debug": False, "terminated": False}


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False) -> None:
    _state["debug"] = debug
    keep_freed_memory()
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format="%(message)s",
                        handlers=[_ConsoleHandler()])


class _ConsoleHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        console.print(f"[dim]vidstyle:[/] {escape(record.getMessage())}", highlight=False)


app.command(epilog=backend_epilog())(stylize.image)
app.command(epilog=backend_epilog())(stylize.video)
app.add_typer(presets.app, name="presets")
app.command()(batch.batch)
app.command("train")(train.train)
app.command()(models.models)
app.add_typer(models.weights_app, name="weights")
app.command()(shots.shots)
app.command()(preview.preview)
app.command()(deliver.deliver)
app.command()(conform.conform)
app.command("eval")(evaluate.eval_)


def _terminate(signum: int, frame: object) -> None:
    _state["terminated"] = True
    raise Terminated


def main() -> None:
    """Entry point: people see one line per problem; --debug shows the traceback."""
    # Left to its default, SIGTERM ended the process on the spot, with a temporary output left beside the target.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = app(standalone_mode=False)  # Typer turns Ctrl-C (and Terminated) into a returned 130 in this mode
        if code == 130:
            raise Terminated if _state["terminated"] else KeyboardInterrupt
        if isinstance(code, int) and code:
            sys.exit(code)
    except UserError as exc:
        if _state["debug"]:
            raise
        console.print(f"[bold red]vidstyle: error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        stopped = "terminated" if isinstance(exc, Terminated) else "interrupted"
        console.print(f"vidstyle: {stopped}; no partial output was written", highlight=False)
        sys.exit(Terminated.exit_code if isinstance(exc, Terminated) else 130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        console.print("vidstyle: interrupted; no partial output was written", highlight=False)
        sys.exit(130)
    except _UsageProblem as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into a line
        if _state["debug"]:
            raise
        if type(exc).__name__ in ("OutOfMemoryError", "MemoryError"):  # torch's (CUDA) and Python's: no surprise
            said = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
            console.print(f"[bold red]vidstyle: error:[/] out of memory ({escape(said)}); use a smaller --max-size; "
                          "no partial output was left", highlight=False, soft_wrap=True)
            sys.exit(1)
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):  # a full disk is no surprise
            where = f" holding {Path(exc.filename).parent}" if exc.filename else ""
            console.print(f"[bold red]vidstyle: error:[/] no space left on the device{escape(where)}; no partial "
                          "output was left", highlight=False, soft_wrap=True)
            sys.exit(1)
        console.print(f"[bold red]vidstyle: unexpected error:[/] {exc.__class__.__name__}: {escape(str(exc))} "
                      "(run with --debug for details)", highlight=False, soft_wrap=True)
        sys.exit(1)

