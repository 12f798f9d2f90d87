"""Progress of the command-line tools (sample generation, load, publish), on standard error.

On a terminal a rich progress bar shows the step, the count and the elapsed
time; elsewhere (a log, CI) every step is a line with the elapsed time, so a
long run still says where it is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)


def at_a_tenth(done: int, total: int) -> bool:
    """Whether step `done` (1 to `total`) is the first to reach another tenth of them:
    ten log lines for a long run, the last step always among them, one per step for a short one."""
    return done * 10 // total != (done - 1) * 10 // total


class Steps:
    """Report each finished or started step of a run with `step`."""

    def __init__(self, progress: Progress | None, console: Console, quiet: bool) -> None:
        self._progress = progress
        self._task = progress.add_task("", total=None) if progress is not None else None
        self._console = console
        self._quiet = quiet
        self._started = time.perf_counter()
        self._last = ""

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._started

    def total(self, steps: int) -> None:
        """The number of steps, once it is known (the bar shows a count)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, total=steps)

    def step(self, message: str, advance: int = 1) -> None:
        """Start the step `message` (the one before it is done)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=message, advance=advance)
        elif not self._quiet and message != self._last:
            self._console.print(f"[{self.elapsed:6.1f}s] {message}", markup=False, highlight=False)
        self._last = message

    def done(self, message: str) -> None:
        """The closing line of the run."""
        if not self._quiet:
            self._console.print(message, markup=False, highlight=False)


@contextmanager
def steps(quiet: bool = False, console: Console | None = None) -> Iterator[Steps]:
    """Progress of one run: a bar on a terminal, a line per step elsewhere, nothing if quiet."""
    console = console or Console(stderr=True)
    if quiet or not console.is_terminal:
        yield Steps(None, console, quiet)
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        yield Steps(progress, console, quiet)
