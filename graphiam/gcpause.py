"""Pausing Python's cyclic garbage collector around bulk work (loading, building, unpickling)."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

_freeze_survivors = False


def freeze_survivors(enabled: bool = True) -> None:
    """After each bulk phase, move what it left alive out of the collector's reach (``gc.freeze``).

    For a process whose objects live until it exits (the ``graphiam``
    command): re-enabling the collector after a build of millions of objects
    makes its next full collection rescan all of them (about 1.5 s at 200
    accounts), and every later one again, to free nothing. A library caller
    (a notebook building graph after graph) leaves this off, so a graph it
    drops, cycles included, is freed as usual.
    """
    global _freeze_survivors
    _freeze_survivors = enabled


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the block with the cyclic collector off, then restore it as it was.

    Loading a snapshot, building a graph or unpickling one allocates millions
    of small objects that form no garbage cycles. The collector would free
    nothing, yet it rescans the growing heap again and again: 15-30% of those
    phases. Reference counting still frees everything as usual. With
    :func:`freeze_survivors` on, the block's survivors are frozen before the
    collector is back.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _freeze_survivors:
            gc.freeze()
        if enabled:
            gc.enable()
