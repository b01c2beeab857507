"""Rich progress bars (frames, fps, ETA) on stderr, and a silent stand-in for --quiet."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text

console = Console(stderr=True)
# Wrapped at the terminal's width on a terminal; elsewhere (a log file, a script reading the last line) one line
# per message, whatever its length.
console.soft_wrap = not console.is_terminal


class RateColumn(ProgressColumn):
    def __init__(self) -> None:
        super().__init__(table_column=Column(no_wrap=True))

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        unit = task.fields.get("unit", "fps")
        return Text(f"{speed:.2f} {unit}" if speed else f"-- {unit}", style="progress.data.speed")


def make_progress(quiet: bool = False) -> Progress:
    # 4 redraws a second, not Rich's 10: each costs about 1 ms of Python under the GIL, which the network thread
    # waits for between ops; for jobs of minutes, 4 a second reads as live. A long file name is cut short, so
    # that the figures stay whole on an 80-column terminal.
    name = Column(no_wrap=True, overflow="ellipsis", max_width=32)
    return Progress(
        SpinnerColumn(), TextColumn("[bold]{task.description}", table_column=name), BarColumn(), MofNCompleteColumn(),
        RateColumn(), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=console, disable=quiet, transient=False, refresh_per_second=4,
    )
