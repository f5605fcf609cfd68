"""graphiam: who can reach which AWS IAM role, and exactly why a wanted path does not exist.

``graphiam.load(path, ...)`` reads a snapshot and returns an :class:`AccessGraph`
whose ``path``, ``why``, ``reach`` and ``who_can`` answer the same questions as
the command line; ``PathResult.to_dict()`` is the CLI's ``--json`` contract.
"""

from .access import AccessGraph, PathResult, load
from .queries.denied import DeniedMessageError
from .queries.errors import QueryError
from .queries.resolve import UnknownPrincipalError
from .snapshot.read import SnapshotError
from .version import __version__

__all__ = ["AccessGraph", "DeniedMessageError", "PathResult", "QueryError", "SnapshotError",
           "UnknownPrincipalError", "__version__", "load"]
