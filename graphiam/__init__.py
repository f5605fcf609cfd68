"""graphiam: who can reach which AWS IAM role, and exactly why a wanted path does not exist.

``graphiam.load(path, ...)`` reads a snapshot and returns an :class:`AccessGraph`
whose ``path``, ``why``, ``reach`` and ``who_can`` answer the same questions as
the command line; ``PathResult.to_dict()`` is the CLI's ``--json`` contract.
``graphiam.diff(old, new)`` compares two snapshots as ``graphiam diff`` does
(a :class:`SnapshotDiff`, with frames and a map of the change).
"""

from .access import AccessGraph, PathResult, load
from .queries.denied import DeniedMessageError
from .queries.errors import QueryError
from .queries.resolve import UnknownPrincipalError
from .snapshot.read import SnapshotError
from .version import __version__

__all__ = ["AccessGraph", "DeniedMessageError", "PathResult", "QueryError", "SnapshotDiff", "SnapshotError",
           "UnknownPrincipalError", "__version__", "diff", "load"]


def __getattr__(name: str):
    """``graphiam.diff`` and ``graphiam.SnapshotDiff`` (:mod:`graphiam.review`), imported on first use, so the
    command line does not load them."""
    if name in ("diff", "SnapshotDiff"):
        from . import review

        return getattr(review, name)
    raise AttributeError(f"module 'graphiam' has no attribute {name!r}")
