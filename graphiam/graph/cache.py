"""A cache of built access graphs, keyed by the snapshot's content and graphiam's own code.

The second ``graphiam path`` on an unchanged snapshot does not rebuild: it
answers from the entry's query index (:mod:`graphiam.graph.index`), reading only
what the question touches; other commands load the whole built graph. The key
hashes every snapshot file's name and bytes (in path order) together with
graphiam's version and the bytes of its own modules, so an edited snapshot or
an upgraded (or locally changed) graphiam never reads a stale graph. An entry
is the pickled pair (snapshot, graph) and its query index, each written
atomically and authenticated (HMAC-SHA256 under a per-user secret kept in the
folder): the pickle's HMAC is checked before anything is inflated or unpickled.
Both are deflated (zlib's default level 6): the pickle as a whole, the index
row by row (parts in blocks of 64). A third, tiny kind of entry remembers
which key the files had in which ``os.stat`` states (:func:`file_states`), so
that a warm ``path`` finds its index without reading the snapshot's bytes.

Trust: the folder must be owned by the current user and writable by no one
else, and neither it nor an entry may be a symbolic link; graphiam creates it
(and the parents it makes) with mode 0700. A folder or secret that fails
these checks is not read or written; an entry that fails them, or fails
authentication, or cannot be read as an entry, is discarded and rebuilt. Each
such event is a warning handed back to the caller (the ``warnings`` lists
below), never printed here. Temporary files of killed writers are removed
after a quarter of an hour.

Location: ``$GRAPHIAM_CACHE_DIR``, else ``$XDG_CACHE_HOME/graphiam``, else
``~/.cache/graphiam``. ``--no-cache`` skips it; deleting the folder is always safe.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sqlite3
import time
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import networkx as nx

from ..gcpause import paused_gc
from ..snapshot.model import Snapshot
from ..progress import SILENT, Progress
from ..snapshot.read import SnapshotBuffers, SnapshotError, read_files
from ..version import __version__
from .index import (FORMAT, INDEX_KIND, CacheFolder, CacheProblem, EntryRejected, NoEntry, QueryIndex, Unfaithful,
                    index_name, write_index)

GRAPH_KIND = "graph"

__all__ = ["FORMAT", "FileStates", "KeyHasher", "cache_dir", "code_fingerprint", "file_states", "has_entry",
           "index_file", "load_cached", "open_index", "read_keyed", "recalled_key", "remember_key", "snapshot_key",
           "snapshot_key_of", "store"]


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
    """The cache key of the snapshot made of ``files`` (as :func:`~graphiam.snapshot.read.snapshot_files` lists
    them), read here one at a time as the reader reads them; a file that cannot be read is a
    :class:`~graphiam.snapshot.read.SnapshotError` naming it (one line)."""
    return snapshot_key_of(item for path in files for item in _read(path))


def snapshot_key_of(items: Iterable[tuple[str | os.PathLike[str], bytes | bytearray | memoryview]]) -> str:
    """The cache key of a snapshot given as (file name, bytes) pairs, in the order the snapshot reads them.

    For a caller that has read the files already, so that the key is that of
    the very bytes it parses: ``snapshot_key_of(read_files(paths))`` with
    :func:`graphiam.snapshot.read.read_files`, whose result
    :func:`~graphiam.snapshot.read.snapshot_from_buffers` then parses. It
    equals ``snapshot_key(snapshot_files(paths))``.
    """
    with KeyHasher() as hasher:
        for path, data in items:
            hasher.add(path, data)
        return hasher.hexdigest()


def read_keyed(paths: Iterable[str | os.PathLike[str]], progress: Progress = SILENT) -> tuple[SnapshotBuffers, str]:
    """The bytes of the snapshot's files (:func:`~graphiam.snapshot.read.read_files`; ``paths`` may be what
    :func:`~graphiam.snapshot.read.snapshot_files` listed) and their cache key, each file hashed while the next
    ones are read: the key names exactly the bytes the caller then parses."""
    with KeyHasher() as hasher:
        buffers = read_files(paths, progress, each=hasher.add)
        return buffers, hasher.hexdigest()


def has_entry(key: str) -> bool:
    """Whether the cache folder holds both files of the entry ``key`` (graph pickle and query index); they are
    checked when read, not here."""
    return entry_file(key).is_file() and index_file(key).is_file()


class KeyHasher:
    """Computes :func:`snapshot_key_of` file by file, as the files are read (``with KeyHasher() as h:
    h.add(path, data) ...; h.hexdigest()``).

    Each file's bytes are hashed on their own on a few threads (hashlib lets go of the GIL for large
    buffers: a warm 1,000-account question hashes 150 MB), while the caller reads the next files; the key
    hashes the names, sizes and those digests in order. At most a window of files waits to be hashed, so a
    snapshot read one file at a time is not all held.
    """

    def __init__(self) -> None:
        self._digest = hashlib.blake2b(code_fingerprint().encode(), digest_size=20)
        self._pool = ThreadPoolExecutor(max_workers=_HASH_THREADS)
        self._pending: deque = deque()

    def __enter__(self) -> "KeyHasher":
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def add(self, path: str | os.PathLike[str], data: bytes | bytearray | memoryview) -> None:
        self._pending.append((os.fsencode(path), len(data), self._pool.submit(_file_digest, data)))
        if len(self._pending) > _HASH_WINDOW:
            self._take()

    def _take(self) -> None:
        name, size, digest = self._pending.popleft()
        self._digest.update(len(name).to_bytes(8, "little") + name)
        self._digest.update(size.to_bytes(8, "little"))
        self._digest.update(digest.result())

    def hexdigest(self) -> str:
        while self._pending:
            self._take()
        return self._digest.hexdigest()


_HASH_THREADS = min(4, os.cpu_count() or 1)
_HASH_WINDOW = 64


def _file_digest(data: bytes | bytearray | memoryview) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def _read(path: str | os.PathLike[str]) -> list[tuple[Path, bytes]]:
    """``[(path, bytes)]``, read as the snapshot reader reads (regular files only; its one-line
    :class:`~graphiam.snapshot.read.SnapshotError` naming the file), one file at a time."""
    try:
        return read_files([path])
    except SnapshotError:
        raise
    except (OSError, ValueError) as error:
        raise SnapshotError(f"{path}: cannot be read ({error.__class__.__name__}: "
                            f"{getattr(error, 'strerror', None) or error})") from None


# -- the files' states: a warm question reads no snapshot bytes ---------------------------------------------

STATES_KIND = "file states"
SETTLED_SECONDS = 2.0
"""A file changed less than this long before it was looked at is not remembered (see :func:`file_states`)."""
TRUST_STAT_VARIABLE = "GRAPHIAM_CACHE_TRUST_STAT"


@dataclass(frozen=True)
class FileStates:
    """What a snapshot's files were when looked at, as ``os.stat`` tells (:func:`file_states`).

    ``token`` hashes graphiam's code fingerprint and, for every file in order, its name, device, inode, mode,
    size, modification and status-change times (nanoseconds). ``settled``: every file was last changed at least
    :data:`SETTLED_SECONDS` before it was looked at, so a later change of it, which always sets its status-change
    time to the time of that change (no system call can set it back), gives another token. Only settled states are
    remembered; this is how git trusts its index (its "racy" files are the unsettled ones).
    """

    token: str
    settled: bool


def file_states(files: Iterable[str | os.PathLike[str]]) -> FileStates | None:
    """The states of ``files`` (as :func:`~graphiam.snapshot.read.snapshot_files` lists them); ``None`` when one
    cannot be looked at, or when ``$GRAPHIAM_CACHE_TRUST_STAT`` is ``0`` (for a file system whose times cannot
    be trusted: every question then reads and hashes the files)."""
    if os.environ.get(TRUST_STAT_VARIABLE, "").strip().lower() in ("0", "no", "off", "false"):
        return None
    looked = time.time_ns()
    settled_before = looked - int(SETTLED_SECONDS * 1e9)
    digest = hashlib.blake2b(f"graphiam file states\0{code_fingerprint()}".encode(), digest_size=20)
    settled = True
    for path in files:
        name = os.fsencode(path)
        try:
            info = os.stat(name)
        except (OSError, ValueError):
            return None
        digest.update(len(name).to_bytes(8, "little") + name)
        digest.update(f"{info.st_dev}:{info.st_ino}:{info.st_mode}:{info.st_size}:{info.st_mtime_ns}:"
                      f"{info.st_ctime_ns}\0".encode())
        if max(info.st_mtime_ns, info.st_ctime_ns) >= settled_before:
            settled = False
    return FileStates(digest.hexdigest(), settled)


def recalled_key(states: FileStates) -> str | None:
    """The cache key of the bytes the files held when they were last read in these very states, or ``None``.

    The memo is an entry like the others (authenticated, this user's alone); one that fails its checks is
    discarded, and the files are read and hashed instead. Use it only to find an entry: a key recalled for which
    no entry exists is not a key to store a graph under (the files may have changed since they were looked at),
    so the caller then reads and hashes the files (:class:`KeyHasher`).
    """
    try:
        folder = CacheFolder.open(cache_dir())
        if folder is None:
            return None
        with folder:
            name = _states_name(states.token)
            try:
                payload = folder.read(name, STATES_KIND, states.token)
            except EntryRejected:
                _discard(folder, name)
                return None
    except (CacheProblem, OSError):
        return None
    if payload is None:
        return None
    key = bytes(payload).decode("ascii", "replace")
    return key if _KEY.fullmatch(key) else None


def remember_key(states: FileStates, key: str) -> None:
    """Remember that files in ``states`` hold the bytes of cache key ``key`` (when the states are settled);
    a cache that cannot be written is skipped."""
    if not states.settled or not _KEY.fullmatch(key):
        return
    try:
        folder = CacheFolder.open(cache_dir(), create=True)
        if folder is None:
            return
        with folder:
            folder.secret(create=True)

            def fill(descriptor: int, _: Path) -> None:
                os.write(descriptor, key.encode("ascii"))

            folder.write(_states_name(states.token), STATES_KIND, states.token, fill)
    except (CacheProblem, OSError):
        pass


_KEY = re.compile(r"[0-9a-f]{40}")


def _states_name(token: str) -> str:
    return f"{token}.files"


def entry_file(key: str) -> Path:
    """The entry's graph pickle."""
    return cache_dir() / _entry_name(key)


def index_file(key: str) -> Path:
    """The entry's query index (see :mod:`graphiam.graph.index`)."""
    return cache_dir() / index_name(key)


def _entry_name(key: str) -> str:
    return f"{key}.pickle"


def _say(warnings: list[str] | None, problem: object) -> None:
    message = str(problem)
    if warnings is not None and message not in warnings:
        warnings.append(message)


def load_cached(key: str, warnings: list[str] | None = None) -> tuple[Snapshot, nx.MultiDiGraph] | None:
    """The entry's (snapshot, graph), or ``None`` when there is none that can be trusted and read.

    Why an entry, or the whole folder, was not used is appended to
    ``warnings``; a rejected entry is discarded (the caller rebuilds it). A
    valid entry whose query index is missing, or fails its checks, gets a
    new index.
    """
    try:
        folder = CacheFolder.open(cache_dir())
    except CacheProblem as refused:
        _say(warnings, refused)
        return None
    except OSError:
        return None
    if folder is None:
        return None
    with folder:
        name = _entry_name(key)
        try:
            entry = _read_entry(folder, name, key)
        except EntryRejected as rejected:
            _say(warnings, rejected)
            _discard(folder, name)
            return None
        except CacheProblem as refused:  # the secret
            _say(warnings, refused)
            return None
        except OSError:
            return None
        if entry is not None:
            _check_index(folder, key, *entry, warnings)
        return entry


def _read_entry(folder: CacheFolder, name: str, key: str) -> tuple[Snapshot, nx.MultiDiGraph] | None:
    payload = folder.read(name, GRAPH_KIND, key)  # authenticated: only now is it unpickled
    if payload is None:
        return None
    try:
        with paused_gc():
            entry = pickle.loads(zlib.decompress(payload))
    except Exception as error:  # an authentic entry always unpickles: this graphiam did not write it
        raise EntryRejected(f"graph cache entry {folder.path / name} cannot be unpickled ({type(error).__name__}); "
                            f"it is discarded and rebuilt") from None
    finally:
        payload.release()
    if not (type(entry) is tuple and len(entry) == 2 and isinstance(entry[0], Snapshot)
            and isinstance(entry[1], nx.MultiDiGraph)):
        raise EntryRejected(f"graph cache entry {folder.path / name} holds a {type(entry).__name__}, not a "
                            f"(snapshot, graph) pair; it is discarded and rebuilt")
    return entry


def _discard(folder: CacheFolder, name: str) -> None:
    try:
        folder.discard(name)
    except OSError:
        pass


def _check_index(folder: CacheFolder, key: str, snapshot: Snapshot, graph: nx.MultiDiGraph,
                 warnings: list[str] | None) -> None:
    """Recreate the query index next to a valid graph pickle when it is missing or fails its checks (the whole
    file's HMAC, then its tables and root row)."""
    try:
        if folder.verify(index_name(key), INDEX_KIND, key):
            QueryIndex(folder.path / index_name(key)).close()
            return
    except NoEntry:
        pass
    except CacheProblem as problem:
        _say(warnings, problem)
        _discard(folder, index_name(key))
    except OSError:
        pass
    _write_index(folder, key, snapshot, graph, warnings)


def _write_index(folder: CacheFolder, key: str, snapshot: Snapshot, graph: nx.MultiDiGraph,
                 warnings: list[str] | None) -> bool:
    try:
        with paused_gc():
            write_index(folder, key, snapshot, graph)
        return True
    except Unfaithful as error:
        _say(warnings, f"graph cache query index not written (a graphiam bug: {error}); "
                       f"path and why load the whole graph instead")
    except UnicodeError as error:  # a name SQLite cannot store (a lone surrogate)
        _say(warnings, f"graph cache query index not written ({error}); path and why load the whole graph instead")
    except (OSError, sqlite3.Error):
        pass  # written atomically: whatever was there is still there
    return False


def open_index(key: str, warnings: list[str] | None = None) -> QueryIndex | None:
    """The entry's authenticated query index, or ``None`` (a miss: why, when it is not simply absent, is
    appended to ``warnings``)."""
    try:
        return QueryIndex(index_file(key))
    except NoEntry:
        return None
    except CacheProblem as problem:
        _say(warnings, problem)
        return None
    except OSError:
        return None


_PICKLE_LEVEL = 6  # zlib's default: at 1,000 accounts 37 MB instead of 44 MB (level 1), for 2.2 s more of the write


def store(key: str, snapshot: Snapshot, graph: nx.MultiDiGraph, warnings: list[str] | None = None) -> Path | None:
    """Write the entry (graph pickle, then its query index) atomically, and remove stale temporary files; the
    pickle's path. A cache that cannot be written is skipped (``None``), never an error; a folder that is not
    private is not written to (why is appended to ``warnings``)."""
    try:
        with paused_gc():
            folder = CacheFolder.open(cache_dir(), create=True)
            if folder is None:
                return None
            with folder:
                folder.secret(create=True)
                folder.clean_temporaries()

                def fill(descriptor: int, _: Path) -> None:
                    with open(descriptor, "wb", closefd=False) as handle:
                        handle.write(zlib.compress(pickle.dumps((snapshot, graph), protocol=pickle.HIGHEST_PROTOCOL),
                                                   _PICKLE_LEVEL))

                target = folder.write(_entry_name(key), GRAPH_KIND, key, fill)
                if not _write_index(folder, key, snapshot, graph, warnings):
                    return None
                return target
    except CacheProblem as problem:
        _say(warnings, problem)
        return None
    except (OSError, sqlite3.Error):
        return None
