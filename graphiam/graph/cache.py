"""A cache of built access graphs, keyed by the snapshot's content and graphiam's own code.

The second ``graphiam path`` on an unchanged snapshot does not rebuild: it
answers from the entry's query index (:mod:`graphiam.graph.index`), reading only
what the question touches; other commands load the whole built graph. The key hashes every snapshot file's bytes (in path
order) together with graphiam's version and the bytes of its own modules, so
an edited snapshot or an upgraded (or locally changed) graphiam never reads a
stale graph. An entry is the pickled pair (snapshot, graph), written
atomically; a corrupt, unreadable or foreign entry is ignored and rebuilt.

Location: ``$GRAPHIAM_CACHE_DIR``, else ``$XDG_CACHE_HOME/graphiam``, else
``~/.cache/graphiam``. ``--no-cache`` skips it; deleting the folder is always safe.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import networkx as nx

from ..gcpause import paused_gc
from ..snapshot.model import Snapshot
from ..version import __version__

FORMAT = 4  # 4: an entry is the pair (snapshot, graph); 3: the query index numbers nodes and evidence


def cache_dir() -> Path:
    explicit = os.environ.get("GRAPHIAM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "graphiam"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """graphiam's version and the bytes of its modules: a changed engine must not read old graphs."""
    digest = hashlib.blake2b(f"{__version__}/{FORMAT}".encode(), digest_size=16)
    package = Path(__file__).resolve().parent.parent  # the whole graphiam package
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def snapshot_key(files: Iterable[Path]) -> str:
    digest = hashlib.blake2b(code_fingerprint().encode(), digest_size=20)
    for path in files:
        digest.update(str(path).encode() + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def load_cached(key: str) -> tuple[Snapshot, nx.MultiDiGraph] | None:
    """The entry's (snapshot, graph), or ``None`` when there is none or it cannot be read as one."""
    path = cache_dir() / f"{key}.pickle"
    try:
        with open(path, "rb") as handle, paused_gc():
            entry = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception:  # a truncated or foreign file: rebuild (and overwrite it)
        return None
    if (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], Snapshot)
            and isinstance(entry[1], nx.MultiDiGraph)):
        return entry
    return None


def index_file(key: str) -> Path:
    """The entry's query index (see :mod:`graphiam.graph.index`)."""
    return cache_dir() / f"{key}.sqlite"


def store(key: str, snapshot: Snapshot, graph: nx.MultiDiGraph) -> Path | None:
    """Write the entry (graph pickle, then its query index) atomically; a cache that cannot be written is
    skipped, never an error."""
    try:
        with paused_gc():
            return _store(cache_dir(), key, snapshot, graph)
    except (OSError, sqlite3.Error):
        return None


def _store(folder: Path, key: str, snapshot: Snapshot, graph: nx.MultiDiGraph) -> Path:
    from .index import write_index

    folder.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{key}.", dir=folder)
    with os.fdopen(descriptor, "wb") as handle:
        pickle.dump((snapshot, graph), handle, protocol=pickle.HIGHEST_PROTOCOL)
    target = folder / f"{key}.pickle"
    os.replace(temporary, target)
    write_index(index_file(key), snapshot, graph)
    return target
