"""Progress of long work (reading files, deciding edges, writing the cache), reported to whoever listens.

The layers that do the work take a :class:`Progress` and call
``progress.task(description, total, unit)`` around each phase, then
``task.advance()`` as items finish. They never print: the default,
:data:`SILENT`, ignores everything, and the command line passes a terminal
bar (:mod:`graphiam.present.progress_bar`) only when standard error is a
terminal and neither ``--quiet`` nor ``--json`` is given.
"""

from __future__ import annotations

from typing import Protocol


class Task(Protocol):
    """One phase in progress: a context manager; ``advance`` counts finished items."""

    def advance(self, count: int = 1) -> None: ...

    def __enter__(self) -> "Task": ...

    def __exit__(self, *exc: object) -> None: ...


class Progress(Protocol):
    def task(self, description: str, total: int | None = None, unit: str = "") -> Task:
        """A phase of ``total`` items (``None``: not known, e.g. one large write) called ``unit``."""
        ...


class _SilentTask:
    def advance(self, count: int = 1) -> None:
        pass

    def __enter__(self) -> "_SilentTask":
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class _Silent:
    """Progress nobody watches (the default everywhere)."""

    _TASK = _SilentTask()

    def task(self, description: str, total: int | None = None, unit: str = "") -> Task:
        return self._TASK


SILENT: Progress = _Silent()
