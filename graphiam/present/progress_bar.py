"""Progress bars on a terminal (rich), for the phases :mod:`graphiam.progress` reports.

A phase shows a bar only once it has run for ``delay`` seconds (one second
by default), so quick commands print nothing extra; the bar has the phase's
name, counts, rate and elapsed time, and disappears when the phase ends
(``transient``): what stays on the screen is the answer. The command line
uses it only when standard error is a terminal and neither ``--quiet`` nor
``--json`` is given, and imports this module (and rich) only then.
"""

from __future__ import annotations

import threading
from typing import IO, Any

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn,
                           TimeElapsedColumn)
from rich.text import Text

DEFAULT_DELAY = 1.0


class TerminalProgress:
    """A :class:`graphiam.progress.Progress` drawing rich bars on ``stream`` (standard error)."""

    def __init__(self, stream: IO[str], delay: float = DEFAULT_DELAY, force_terminal: bool | None = None) -> None:
        self.stream = stream
        self.delay = delay
        self.force_terminal = force_terminal

    def task(self, description: str, total: int | None = None, unit: str = "") -> "_BarTask":
        return _BarTask(self, description, total, unit)


class _BarTask:
    def __init__(self, owner: TerminalProgress, description: str, total: int | None, unit: str) -> None:
        self.owner = owner
        self.description = description
        self.total = total
        self.unit = unit
        self.done = 0
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._bar: Any = None
        self._id: Any = None
        self._ended = False

    def __enter__(self) -> "_BarTask":
        if self.owner.delay <= 0:
            self._show()
        else:
            self._timer = threading.Timer(self.owner.delay, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self.done += count
            if self._bar is not None:
                self._bar.update(self._id, completed=self.done)

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._ended = True
            if self._bar is not None:
                self._bar.update(self._id, completed=self.done)
                self._bar.stop()
                self._bar = None

    def _show(self) -> None:
        with self._lock:
            if self._ended or self._bar is not None:
                return
            console = Console(file=self.owner.stream, force_terminal=self.owner.force_terminal, highlight=False)
            columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
            if self.total is not None:
                columns += [BarColumn(), MofNCompleteColumn(), _Rate(self.unit)]
            columns.append(TimeElapsedColumn())
            self._bar = Progress(*columns, console=console, transient=True, refresh_per_second=8)
            self._id = self._bar.add_task(self.description, total=self.total, completed=self.done)
            self._bar.start()


class _Rate(ProgressColumn):
    """``1,234 accounts/s``."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} {self.unit}/s")
