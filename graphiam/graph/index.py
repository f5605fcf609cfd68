"""The cache's files: a private folder, authenticated entries, and the query index that answers ``path`` and ``why``.

**The folder and its entries.** :class:`CacheFolder` opens the cache folder
(never through a symbolic link) and refuses it unless it is owned by the
current user and writable by no one else; graphiam creates it, and the
parents it makes, with mode 0700. Every entry (the graph pickle of
:mod:`graphiam.graph.cache`, the query index below) ends with an HMAC-SHA256
of its bytes, its kind and its cache key, under a secret of 32 random bytes
kept in the folder (``hmac-secret``, mode 0600, made atomically: written to
a temporary file with ``O_EXCL``, then linked into place, which fails if
another process won the race). The pickle is read whole and checked (owner,
mode, not a link, its HMAC) before a byte of it is unpickled: the bytes
verified are the bytes unpickled. A folder, secret or entry that fails a
check raises :class:`CacheRefused` or :class:`EntryRejected`, whose text is
the warning the caller returns; nothing is printed here.

**The query index.** Next to each cached graph the cache keeps an SQLite
database with one row per node (its data, its ``can_assume`` edges out and
every edge into it) and one per account of the snapshot. A warm ``graphiam
path`` then reads only what its question touches: the nodes reachable from
SOURCE (breadth-first, one query per hop), the edges into TARGET, and the two
accounts the direct request is decided on (plus the organization and the AWS
managed policies). The facade (:func:`graphiam.access.partial_access`)
answers with the same code on that small graph and partial snapshot, so the
answer is the one the full graph gives (the tests compare them).

Reading only what a question touches means not checking the whole file's
HMAC on each warm query (at a thousand accounts the index is 300 MB). So
every row also carries its own HMAC (under a key derived from the secret and
the entry's key), and is verified when it is read; every row a query needs
is named by a row already verified (a node's edges name their other ends,
which must be found), and the one scan (of the names, to resolve them) is
checked against a digest in the authenticated root row. A corrupt or changed
row is found before it is used (:class:`EntryRejected`); a flip in what a
query does not read cannot change its answer, and the next full load, which
checks the whole file's HMAC, discards the index and rebuilds it.

The index holds no pickle: node data, evidence, membership edges and the
graph's attributes are JSON, and the snapshot's frozen dataclasses (accounts,
the organization, AWS managed policies) a JSON form driven by their type
hints (:class:`_Model`) that gives back equal objects of the same types
(or refuses to write).
"""

from __future__ import annotations

import base64
import collections.abc
import dataclasses
import errno
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import stat
import threading
import time
import types
import typing
import urllib.parse
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import networkx as nx

from ..gcpause import paused_gc
from ..snapshot.model import Account, IdentityCenter, ManagedPolicy, Organization, PolicyDocument, Snapshot
from ..snapshot.names import account_of, is_aws_managed_policy
from .schema import CAN_ASSUME

try:  # writes and reads JSON several times faster; the standard library is the fallback
    from orjson import dumps as _fast_dumps
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - orjson is optional
    _fast_dumps = _fast_loads = None

FORMAT = 9  # 9: parts stored in blocks of _PART_BLOCK, node data without the kind/account/name its columns hold, rows deflated at level 6; 8: technique and sign-in edge attributes stored once, as parts; edge lists, parts and accounts deflated; 7: IAM Identity Center users, groups, sign-in edges and facts, the snapshot's identity_center; 6: escalation technique edges, instance profiles; 5: authenticated entries, a JSON query index; 4: (snapshot, graph) pickles; 3: numbered nodes

# -- the private folder and authenticated entries ---------------------------------------------------------

SECRET = "hmac-secret"
_SECRET_BYTES = 32
_MAGIC = b"graphiam-cache5\n"  # ends every entry, after its HMAC
_TAG = hashlib.sha256().digest_size
_TRAILER = _TAG + len(_MAGIC)
# temporary files: ".KEY.<random>" (entries) and ".hmac-secret.<random>"; a killed writer's are removed
TEMPORARY = re.compile(r"\.(?:[0-9a-f]{40}|" + re.escape(SECRET) + r")\..+")
STALE_TEMPORARY_SECONDS = 15 * 60
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC
_READ_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | _CLOEXEC
_CREATE_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
# owners, O_NOFOLLOW and operations relative to an open folder: without them the checks cannot be made
_POSIX = (hasattr(os, "geteuid") and bool(_NOFOLLOW) and {os.open, os.stat, os.unlink, os.rename, os.link}
          <= os.supports_dir_fd and os.scandir in os.supports_fd)


class CacheProblem(sqlite3.DatabaseError):
    """Something of the cache cannot be trusted or read; ``str()`` is the warning, one line.

    A :class:`sqlite3.DatabaseError`, so that a caller that treats an
    unreadable index as a miss (``except sqlite3.Error``) treats these the same way.
    """


class CacheRefused(CacheProblem):
    """The folder, or its secret, is not private to this user: nothing is read from it or written to it."""


class EntryRejected(CacheProblem):
    """One entry is not to be used (a link, not this user's, failed authentication, unreadable): rebuild it."""


class NoEntry(CacheProblem):
    """There is no such entry (a miss, not a warning)."""


def _euid() -> int:
    return os.geteuid()


def _who_can_write(mode: int) -> str:
    return " and ".join(who for who, bit in (("group", stat.S_IWGRP), ("others", stat.S_IWOTH)) if mode & bit)


def _foreign(info: os.stat_result) -> str | None:
    """Why a folder or file so described is not the current user's alone to write, or ``None``."""
    if info.st_uid != _euid():
        return f"is owned by uid {info.st_uid}, not by you (uid {_euid()})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"is writable by {_who_can_write(info.st_mode)} (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def _refused_folder(path: Path, reason: str) -> CacheRefused:
    return CacheRefused(f"graph cache not used: {path} {reason}; graphiam reads and writes its cache only in a "
                        f"folder you own that no one else can write (make it private with chmod 700, or delete "
                        f"it; or set GRAPHIAM_CACHE_DIR): the graph is built afresh")


def make_private_folders(path: Path) -> None:
    """Create ``path`` and the parents it lacks, each with mode 0700 whatever the umask; existing ones are left
    as they are (:meth:`CacheFolder.open` then checks the folder itself)."""
    missing: list[Path] = []
    folder = path
    while not os.path.lexists(folder) and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)  # the umask only takes bits away: never more than 0700
        except FileExistsError:
            continue  # made meanwhile (by another graphiam): checked like any existing folder
        descriptor = os.open(folder, _FOLDER_FLAGS)
        try:
            info = os.fstat(descriptor)
            if info.st_uid == _euid() and stat.S_IMODE(info.st_mode) != 0o700:
                os.fchmod(descriptor, 0o700)  # a umask that took the owner's bits too
        finally:
            os.close(descriptor)


class CacheFolder:
    """The cache folder, opened without following a link and checked: owned by this user, writable by no one else.

    Everything below goes through the open folder (``dir_fd``), so the folder
    checked is the folder used. Use it as a context manager (it closes the folder).
    """

    def __init__(self, path: Path, descriptor: int) -> None:
        self.path = path
        self.fd = descriptor
        self._secret: bytes | None = None

    @classmethod
    def open(cls, path: Path, create: bool = False) -> "CacheFolder | None":
        """The checked folder; ``None`` when it does not exist (and ``create`` is false).

        Raises :class:`CacheRefused` for a folder that is a link, or is not
        this user's alone to write; :class:`OSError` when it cannot be made or opened.
        """
        path = Path(path)
        if not _POSIX:
            raise CacheRefused("graph cache not used: checking who owns and can write its folder needs a POSIX "
                               "system; the graph is built afresh")
        if create:
            make_private_folders(path)
        try:
            descriptor = os.open(path, _FOLDER_FLAGS)
        except FileNotFoundError:
            if create:
                raise
            return None
        except OSError:
            if os.path.islink(path):
                raise _refused_folder(path, "is a symbolic link, which graphiam does not follow") from None
            raise
        try:
            info = os.fstat(descriptor)
            reason = "is not a folder" if not stat.S_ISDIR(info.st_mode) else _foreign(info)
        except BaseException:
            os.close(descriptor)
            raise
        if reason is not None:
            os.close(descriptor)
            raise _refused_folder(path, reason)
        return cls(path, descriptor)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> "CacheFolder":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the secret -------------------------------------------------------------------------------
    def secret(self, create: bool = False) -> bytes | None:
        """The folder's HMAC secret (made when ``create`` and there is none); ``None`` when there is none.

        Raises :class:`CacheRefused` for a secret that is a link, not this
        user's, readable or writable by anyone else, or not 32 bytes.
        """
        if self._secret is None:
            found = self._read_secret()
            if found is None and create:
                self._make_secret()
                found = self._read_secret()
            self._secret = found
        return self._secret

    def _refused_secret(self, reason: str) -> CacheRefused:
        return CacheRefused(f"graph cache not used: its secret {self.path / SECRET} {reason}; it must be a file of "
                            f"{_SECRET_BYTES} bytes that only you can read and write (mode 0600): delete the folder "
                            f"{self.path} and graphiam makes a new one; the graph is built afresh")

    def _read_secret(self) -> bytes | None:
        try:
            descriptor = os.open(SECRET, _READ_FLAGS, dir_fd=self.fd)
        except FileNotFoundError:
            return None
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise self._refused_secret("is a symbolic link, which graphiam does not follow") from None
            raise self._refused_secret(f"cannot be read ({error.strerror})") from None
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                raise self._refused_secret("is not a regular file")
            if info.st_uid != _euid():
                raise self._refused_secret(f"is owned by uid {info.st_uid}, not by you (uid {_euid()})")
            if info.st_mode & 0o077:
                raise self._refused_secret(f"can be read or written by others than you "
                                           f"(mode {stat.S_IMODE(info.st_mode):04o})")
            found = os.read(descriptor, _SECRET_BYTES + 1)
        finally:
            os.close(descriptor)
        if len(found) != _SECRET_BYTES:
            raise self._refused_secret(f"holds {len(found)} bytes, not {_SECRET_BYTES}")
        return found

    def _make_secret(self) -> None:
        """Write a new secret to a temporary file (O_EXCL, 0600), then link it into place: the link fails if
        another process made the secret meanwhile, and a reader never sees a secret half written."""
        temporary = f".{SECRET}.{secrets.token_hex(8)}"
        descriptor = os.open(temporary, _CREATE_FLAGS, 0o600, dir_fd=self.fd)
        try:
            try:
                os.write(descriptor, secrets.token_bytes(_SECRET_BYTES))
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            try:
                os.link(temporary, SECRET, src_dir_fd=self.fd, dst_dir_fd=self.fd, follow_symlinks=False)
            except FileExistsError:
                pass  # another graphiam made it first: use theirs
        finally:
            os.unlink(temporary, dir_fd=self.fd)

    # -- entries ----------------------------------------------------------------------------------
    def _context(self, name: str, kind: str, key: str) -> hmac.HMAC:
        secret = self.secret()
        if secret is None:
            raise EntryRejected(f"graph cache entry {self.path / name} cannot be authenticated: the cache has no "
                                f"secret (it was deleted); the entry is discarded and rebuilt")
        return hmac.new(secret, f"graphiam cache {FORMAT}\0{kind}\0{key}\0".encode(), hashlib.sha256)

    def _open_entry(self, name: str) -> tuple[int, os.stat_result] | None:
        try:
            descriptor = os.open(name, _READ_FLAGS, dir_fd=self.fd)
        except FileNotFoundError:
            return None
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise EntryRejected(f"graph cache entry {self.path / name} is a symbolic link, which graphiam does "
                                    f"not follow; the entry is discarded and rebuilt") from None
            raise EntryRejected(f"graph cache entry {self.path / name} cannot be read ({error.strerror}); "
                                f"it is rebuilt") from None
        info = os.fstat(descriptor)
        reason = "is not a regular file" if not stat.S_ISREG(info.st_mode) else _foreign(info)
        if reason is not None:
            os.close(descriptor)
            raise EntryRejected(f"graph cache entry {self.path / name} {reason}; the entry is discarded and rebuilt")
        return descriptor, info

    def read(self, name: str, kind: str, key: str) -> memoryview | None:
        """The authenticated contents of entry ``name`` (without its trailer); ``None`` when there is no such file.

        Raises :class:`EntryRejected` when the entry is a link, is not this
        user's alone, is incomplete or fails authentication.
        """
        opened = self._open_entry(name)
        if opened is None:
            return None
        descriptor, info = opened
        try:
            data = bytearray(info.st_size)
            view = memoryview(data)
            done = 0
            while done < len(data):
                count = os.readv(descriptor, [view[done:]])
                if count == 0:
                    break
                done += count
            grew = os.read(descriptor, 1)
        except OSError as error:
            raise EntryRejected(f"graph cache entry {self.path / name} cannot be read ({error.strerror}); "
                                f"it is rebuilt") from None
        finally:
            os.close(descriptor)
        if done != len(data) or grew:
            raise EntryRejected(f"graph cache entry {self.path / name} changed while it was read; it is rebuilt")
        return self._verified(view, name, kind, key)

    def verify(self, name: str, kind: str, key: str) -> bool:
        """Whether entry ``name`` exists; raises :class:`EntryRejected` as :meth:`read` does. The file is read
        in blocks, never held whole."""
        opened = self._open_entry(name)
        if opened is None:
            return False
        descriptor, info = opened
        mac = self._context(name, kind, key)
        payload = info.st_size - _TRAILER
        try:
            if payload < 0:
                raise self._incomplete(name)
            done = 0
            while done < payload:
                block = os.read(descriptor, min(1 << 20, payload - done))
                if not block:
                    raise self._incomplete(name)
                mac.update(block)
                done += len(block)
            trailer = os.read(descriptor, _TRAILER + 1)
        except OSError as error:
            raise EntryRejected(f"graph cache entry {self.path / name} cannot be read ({error.strerror}); "
                                f"it is rebuilt") from None
        finally:
            os.close(descriptor)
        if len(trailer) != _TRAILER or trailer[-len(_MAGIC):] != _MAGIC:
            raise self._incomplete(name)
        if not hmac.compare_digest(mac.digest(), trailer[:_TAG]):
            raise self._unauthentic(name)
        return True

    def _incomplete(self, name: str) -> EntryRejected:
        return EntryRejected(f"graph cache entry {self.path / name} is incomplete, or not an entry of this "
                             f"graphiam; it is discarded and rebuilt")

    def _unauthentic(self, name: str) -> EntryRejected:
        return EntryRejected(f"graph cache entry {self.path / name} failed authentication (it changed after "
                             f"graphiam wrote it, or is corrupt); it is discarded and rebuilt")

    def _verified(self, data: memoryview, name: str, kind: str, key: str) -> memoryview:
        if len(data) < _TRAILER or data[-len(_MAGIC):] != _MAGIC:
            raise self._incomplete(name)
        payload = data[:-_TRAILER]
        mac = self._context(name, kind, key)
        mac.update(payload)
        if not hmac.compare_digest(mac.digest(), bytes(data[-_TRAILER:-len(_MAGIC)])):
            raise self._unauthentic(name)
        return payload

    def write(self, name: str, kind: str, key: str, fill: Callable[[int, Path], None]) -> Path:
        """Write entry ``name`` atomically: ``fill(descriptor, path)`` writes its contents to a new temporary file
        (mode 0600, through the descriptor, or by path for SQLite), then its HMAC is appended and the file renamed
        into place."""
        mac = self._context(name, kind, key)  # before anything is made: a folder without a secret writes nothing
        temporary = f".{key}.{secrets.token_hex(8)}"
        descriptor = os.open(temporary, _CREATE_FLAGS, 0o600, dir_fd=self.fd)
        try:
            fill(descriptor, self.path / temporary)
            os.lseek(descriptor, 0, os.SEEK_SET)
            for block in iter(lambda: os.read(descriptor, 1 << 20), b""):
                mac.update(block)
            trailer = mac.digest() + _MAGIC
            os.lseek(descriptor, 0, os.SEEK_END)
            while trailer:
                trailer = trailer[os.write(descriptor, trailer):]
            os.close(descriptor)
            descriptor = -1
            os.replace(temporary, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            if descriptor >= 0:
                os.close(descriptor)
            try:
                os.unlink(temporary, dir_fd=self.fd)
            except OSError:
                pass
            raise
        return self.path / name

    def discard(self, name: str) -> None:
        """Remove entry ``name`` (a link itself, never what it points to); a missing one is fine."""
        try:
            os.unlink(name, dir_fd=self.fd)
        except FileNotFoundError:
            pass

    def clean_temporaries(self, older_than: float = STALE_TEMPORARY_SECONDS) -> list[str]:
        """Remove the temporary files (``.KEY.*``, ``.hmac-secret.*``) of writers killed more than
        ``older_than`` seconds ago; the names removed."""
        removed = []
        cutoff = time.time() - older_than
        with os.scandir(self.fd) as entries:
            for entry in entries:
                if not TEMPORARY.fullmatch(entry.name):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                    if info.st_mtime < cutoff and not stat.S_ISDIR(info.st_mode):
                        os.unlink(entry.name, dir_fd=self.fd)
                        removed.append(entry.name)
                except OSError:
                    continue  # gone meanwhile
        return removed


# -- the snapshot model as JSON -----------------------------------------------------------------------


class Unfaithful(TypeError):
    """A value whose JSON form would not give it back as it is (a graphiam bug): the index is not written."""


def _dumps(value: object, finite: bool = True) -> str:
    """``value`` (plain JSON, see :func:`_plain`) as JSON text. orjson when installed, unless ``value`` may hold
    a NaN or an infinity (``finite`` false), which orjson would write as null; the standard encoder also takes
    what orjson refuses (a lone surrogate, an int beyond 64 bits) and escapes all but ASCII."""
    if finite and _fast_dumps is not None:
        try:
            return _fast_dumps(value).decode()
        except TypeError:
            pass
    try:
        return json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise Unfaithful(str(error)) from None


def _loads(text: str | bytes) -> Any:
    if _fast_loads is not None:
        try:
            return _fast_loads(text)
        except ValueError:
            pass  # what orjson refuses and the standard parser reads: NaN, a lone surrogate, a huge int
    return json.loads(text)


NOT_PLAIN, PLAIN, NOT_FINITE = 0, 1, 2


def _plain(value: object) -> int:
    """Whether ``value`` is plain JSON (dicts with string keys, lists, str, int, float, bool, None), which JSON
    gives back equal and of the same types: :data:`PLAIN`, :data:`NOT_FINITE` (plain, with a NaN or an infinity
    somewhere: only the standard encoder writes those) or :data:`NOT_PLAIN` (0)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return PLAIN
    if kind is float:
        return PLAIN if value - value == 0 else NOT_FINITE  # type: ignore[operator]
    if kind is dict:
        if any(type(key) is not str for key in value):  # type: ignore[attr-defined]
            return NOT_PLAIN
        items = value.values()  # type: ignore[attr-defined]
    elif kind is list:
        items = value
    else:
        return NOT_PLAIN
    worst = PLAIN
    for item in items:  # type: ignore[attr-defined]
        if type(item) is str or item is None:
            continue
        found = _plain(item)
        if found == NOT_PLAIN:
            return NOT_PLAIN
        if found == NOT_FINITE:
            worst = NOT_FINITE
    return worst


_ZDICT_BYTES = 32768  # zlib's window: the preset dictionary's useful size


def _zdict(texts: Iterable[str]) -> bytes:
    """A preset dictionary for deflating many small rows of similar JSON: the first rows themselves, up to
    zlib's window (a part row is a few hundred bytes: alone it barely deflates)."""
    out, size = [], 0
    for text in texts:
        data = text.encode("utf-8")
        out.append(data)
        size += len(data)
        if size >= _ZDICT_BYTES:
            break
    return b"".join(out)[-_ZDICT_BYTES:]


def _pack(text: str, zdict: bytes) -> bytes:
    """A long row's JSON as stored: deflated with the index's preset dictionary (edge lists, parts and accounts
    are repetitive JSON; a warm query inflates only the rows it reads, after their HMAC is checked)."""
    packer = _primed(zdict).copy()
    return packer.compress(text.encode("utf-8")) + packer.flush()


@lru_cache(maxsize=4)
def _primed(zdict: bytes) -> "zlib._Compress":
    """A compressor with the preset dictionary loaded, copied for each row: loading a dictionary costs about
    40 us a row, a copy a few. Level 6 (zlib's default): on a 200-account index 14% smaller than level 1, for
    0.85 s more of a 5.5 s cache write, which the answer does not wait for. Any zlib inflates the stream with
    the same dictionary."""
    return zlib.compressobj(_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS, 8, zdict=zdict) if zdict else \
        zlib.compressobj(_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS, 8)


_LEVEL = 6


def _unpack(blob: bytes, zdict: bytes) -> bytes:
    unpacker = zlib.decompressobj(zdict=zdict) if zdict else zlib.decompressobj()
    return unpacker.decompress(blob) + unpacker.flush()


def _plain_text(value: object, *what: object) -> str:
    """Graph data (node data, evidence, edge and graph attributes) as JSON: plain and finite, or :class:`Unfaithful`
    (``what`` names it)."""
    if _plain(value) != PLAIN:
        raise Unfaithful(f"{' '.join(map(str, what))} is not plain JSON (or holds a NaN): {value!r:.200}")
    return _dumps(value)


_IDENTITY = None  # a decoder that is the identity: the JSON value is the value


class _Model:
    """The snapshot model's values as JSON and back, driven by the type hints of its frozen dataclasses.

    A dataclass is the list of its ``init`` fields (fields with ``init=False``
    are caches, as in the pickles: :attr:`PolicyDocument.by_action`); a tuple,
    a list; a frozenset, a sorted list; a mapping, an object. Encoding checks
    every value against its hint (the exact type), so what comes back is equal
    and of the same types, or :class:`Unfaithful` is raised. Policy documents
    are stored once per blob and referred to by number: a document the blob's
    objects share is shared again when decoded, as a pickle would give it.
    """

    def __init__(self) -> None:
        self._encoders: dict[object, Callable[[Any], Any]] = {}
        self._decoders: dict[object, Callable[[Any], Any] | None] = {}
        self._blob = threading.local()  # the documents of the blob being encoded or decoded, per thread

    def dumps(self, value: object, hint: object) -> str:
        encode = self.encoder(hint)
        blob = self._blob
        blob.out, blob.numbers, blob.finite = [], {}, True
        try:
            encoded = encode(value)
            return _dumps([blob.out, encoded], blob.finite)
        finally:
            blob.out, blob.numbers = None, {}

    def loads(self, text: str | bytes, hint: object) -> Any:
        documents, encoded = _loads(text)
        decode_document = self.decoder(PolicyDocument, shared=False)
        blob = self._blob
        blob.documents = [decode_document(d) for d in documents]  # type: ignore[misc]
        try:
            decode = self.decoder(hint)
            return encoded if decode is None else decode(encoded)
        finally:
            blob.documents = []

    # -- encoders ---------------------------------------------------------------------------------
    def encoder(self, hint: object) -> Callable[[Any], Any]:
        found = self._encoders.get(hint)
        if found is None:
            found = self._encoders[hint] = self._make_encoder(hint)
        return found

    def _make_encoder(self, hint: Any) -> Callable[[Any], Any]:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if hint in (str, int, float, bool):
            def exact(value: Any) -> Any:
                if type(value) is not hint:
                    raise Unfaithful(f"{value!r:.100} is not a {hint.__name__}")
                return value
            return exact
        if hint is type(None):
            def none(value: Any) -> Any:
                if value is not None:
                    raise Unfaithful(f"{value!r:.100} is not None")
                return value
            return none
        if origin is typing.Literal:
            allowed = {(type(a), a) for a in args}

            def literal(value: Any) -> Any:
                if (type(value), value) not in allowed:
                    raise Unfaithful(f"{value!r:.100} is not one of {args}")
                return value
            return literal
        if origin in (typing.Union, types.UnionType):
            others = [a for a in args if a is not type(None)]
            if len(others) != 1 or len(args) != 2:
                raise TypeError(f"no JSON form for {hint!r}")
            inner = self.encoder(others[0])
            return lambda value: None if value is None else inner(value)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                if args[0] is str:
                    def strings(value: Any) -> Any:
                        if type(value) is not tuple:
                            raise Unfaithful(f"{value!r:.100} is not a tuple of str")
                        for v in value:
                            if type(v) is not str:
                                raise Unfaithful(f"{value!r:.100} is not a tuple of str")
                        return list(value)
                    return strings
                item = self.encoder(args[0])

                def items(value: Any) -> Any:
                    if type(value) is not tuple:
                        raise Unfaithful(f"{value!r:.100} is not a tuple")
                    return [item(v) for v in value]
                return items
            each = [self.encoder(a) for a in args]

            def fixed(value: Any) -> Any:
                if type(value) is not tuple or len(value) != len(each):
                    raise Unfaithful(f"{value!r:.100} is not a tuple of {len(each)}")
                return [encode(v) for encode, v in zip(each, value)]
            return fixed
        if origin is frozenset:
            item = self.encoder(args[0])

            def members(value: Any) -> Any:
                if type(value) is not frozenset:
                    raise Unfaithful(f"{value!r:.100} is not a frozenset")
                return sorted(item(v) for v in value)
            return members
        if origin in (dict, collections.abc.Mapping) and args:
            if args[0] is not str:
                raise TypeError(f"no JSON form for {hint!r}")
            item = self.encoder(args[1])

            def mapping(value: Any) -> Any:
                if type(value) is not dict or not all(type(k) is str for k in value):
                    raise Unfaithful(f"{value!r:.100} is not a dict with str keys")
                return {k: item(v) for k, v in value.items()}
            return mapping
        if hint in (dict, typing.Mapping, collections.abc.Mapping):  # JSON as read (a policy document's raw)
            blob = self._blob

            def raw(value: Any) -> Any:
                found = _plain(value) if type(value) is dict else NOT_PLAIN
                if found == NOT_PLAIN:
                    raise Unfaithful(f"{value!r:.100} is not plain JSON")
                if found == NOT_FINITE:
                    blob.finite = False  # as read: a policy with NaN in it is given back with NaN
                return value
            return raw
        if dataclasses.is_dataclass(hint):
            return self._dataclass_encoder(hint)
        raise TypeError(f"no JSON form for {hint!r}")

    def _dataclass_encoder(self, cls: type) -> Callable[[Any], Any]:
        hints = typing.get_type_hints(cls)
        fields = [(f.name, self.encoder(hints[f.name])) for f in dataclasses.fields(cls) if f.init]

        def instance(value: Any) -> Any:
            if type(value) is not cls:
                raise Unfaithful(f"{value!r:.100} is not a {cls.__name__}")
            return [encode(getattr(value, name)) for name, encode in fields]

        if cls is not PolicyDocument:
            return instance

        blob = self._blob

        def document(value: Any) -> Any:
            number = blob.numbers.get(id(value))
            if number is None:
                encoded = instance(value)
                number = blob.numbers[id(value)] = len(blob.out)
                blob.out.append(encoded)
            return number
        return document

    # -- decoders ---------------------------------------------------------------------------------
    def decoder(self, hint: object, shared: bool = True) -> Callable[[Any], Any] | None:
        """The decoder of ``hint``'s JSON form, or ``None`` when the JSON value is the value."""
        cache_key = (hint, shared)
        if cache_key not in self._decoders:
            self._decoders[cache_key] = self._make_decoder(hint, shared)
        return self._decoders[cache_key]

    def _make_decoder(self, hint: Any, shared: bool) -> Callable[[Any], Any] | None:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if hint in (str, int, float, bool, type(None), dict, typing.Mapping, collections.abc.Mapping) \
                or origin is typing.Literal:
            return _IDENTITY
        if origin in (typing.Union, types.UnionType):
            inner = self.decoder(next(a for a in args if a is not type(None)))
            return None if inner is None else (lambda value: None if value is None else inner(value))
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                item = self.decoder(args[0])
                if item is None:
                    return tuple
                return lambda value: tuple([item(v) for v in value])
            each = [self.decoder(a) or (lambda v: v) for a in args]
            return lambda value: tuple([decode(v) for decode, v in zip(each, value)])
        if origin is frozenset:
            item = self.decoder(args[0])
            return frozenset if item is None else (lambda value: frozenset(item(v) for v in value))
        if origin in (dict, collections.abc.Mapping) and args:
            item = self.decoder(args[1])
            return None if item is None else (lambda value: {k: item(v) for k, v in value.items()})
        if dataclasses.is_dataclass(hint):
            if hint is PolicyDocument and shared:
                blob = self._blob  # the blob's documents, decoded first
                return lambda number: blob.documents[number]
            return self._dataclass_decoder(hint)
        raise TypeError(f"no JSON form for {hint!r}")

    def _dataclass_decoder(self, cls: type) -> Callable[[Any], Any]:
        """Like unpickling: a new instance whose ``__dict__`` gets the fields (no ``__init__``, which a frozen
        dataclass makes slow), and the ``init=False`` fields their defaults."""
        hints = typing.get_type_hints(cls)
        fields = [f for f in dataclasses.fields(cls) if f.init]
        names = [f.name for f in fields]
        decoders = [self.decoder(hints[f.name]) for f in fields]
        defaults = [(f.name, f.default_factory) for f in dataclasses.fields(cls) if not f.init]
        if hasattr(cls, "__post_init__") or hasattr(cls, "__slots__") or any(
                factory is dataclasses.MISSING for _, factory in defaults):
            def construct(value: Any) -> Any:
                return cls(*[v if d is None else d(v) for d, v in zip(decoders, value)])
            return construct
        new = object.__new__
        plain = all(d is None for d in decoders)

        def instance(value: Any) -> Any:
            if len(value) != len(names):
                raise ValueError(f"{cls.__name__}: {len(value)} fields, not {len(names)}")
            made = new(cls)
            state = made.__dict__
            if plain:
                state.update(zip(names, value))
            else:
                for name, decode, v in zip(names, decoders, value):
                    state[name] = v if decode is None else decode(v)
            for name, factory in defaults:
                state[name] = factory()  # type: ignore[operator]
            return made
        return instance


_MODEL = _Model()


def model_to_json(value: object, hint: object) -> str:
    """``value`` (of type ``hint``, e.g. :class:`Account`) as the index stores it; :class:`Unfaithful` if its
    JSON form would not give it back as it is."""
    return _MODEL.dumps(value, hint)


def model_from_json(text: str | bytes, hint: object) -> Any:
    """The value :func:`model_to_json` stored: equal, of the same types, sharing documents as the original did."""
    return _MODEL.loads(text, hint)


_META_HINTS: dict[str, object] = {"organization": Organization | None, "warnings": tuple[str, ...],
                                  "aws_managed": Mapping[str, ManagedPolicy],
                                  "identity_center": IdentityCenter | None}


# -- the query index ------------------------------------------------------------------------------------

# One row per node: its data, its can_assume edges out (what the breadth-first search follows: [target's
# number, attributes]) and every edge into it ([source's number, key, attributes]). An assume or pass edge's
# attributes are a list (edge_type, action, service, conditional, then its evidence and condition dicts by
# number in parts: one statement's evidence recurs in thousands of edges and is stored once, and depends_on);
# any other edge's (techniques, sign-ins, membership) the number of the part that holds its JSON object (one
# caller's technique attributes recur over a whole account). Every row carries an HMAC of what it holds (its
# own number or id included), under
# a key derived from the folder's secret and the entry's key: a warm query verifies exactly the rows it reads,
# and a row it reads lists every row it then needs, so nothing can go missing unnoticed. The one scan (names,
# for resolving) is checked against a digest in the authenticated meta row "root".
_SCHEMA = """
CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT, mac BLOB);
CREATE TABLE nodes(n INTEGER PRIMARY KEY, id TEXT UNIQUE, kind TEXT, account TEXT, name TEXT, data TEXT, mac BLOB,
                   out BLOB, out_mac BLOB, inn BLOB, inn_mac BLOB);
CREATE TABLE parts(id INTEGER PRIMARY KEY, data BLOB, mac BLOB);
CREATE TABLE accounts(id TEXT PRIMARY KEY, data BLOB, mac BLOB);
"""
_TABLES = ("accounts", "meta", "nodes", "parts")
# the attributes graph.edge_attributes gives an assume or pass edge, in its order
_COLUMNS = ("edge_type", "action", "service", "conditional", "granted_by", "conditions", "alternatives", "depends_on")
_NODE = "SELECT n, id, kind, account, name, data, mac FROM nodes "
_CHUNK = 500
INDEX_KIND = "index"
_ROW_MAC = 16  # bytes of each row's HMAC-SHA256 kept
_PART_BLOCK = 64  # parts deflated together: one part alone barely deflates (1,000 accounts: 62 MB of parts -> 10)
_LIST_TAGS = {"out": b"out", "inn": b"in"}


def index_name(key: str) -> str:
    return f"{key}.sqlite"


def _fields(*values: object) -> bytes:
    """An unambiguous byte string of a row's values (str, int, bytes or None), for its HMAC."""
    out = []
    for value in values:
        if value is None:
            out.append(b"n")
        elif type(value) is int:
            out.append(b"i%d;" % value)
        elif type(value) is bytes:
            out.append(b"b%d:" % len(value) + value)
        else:
            data = str(value).encode()
            out.append(b"s%d:" % len(data) + data)
    return b"".join(out)


class _Rows:
    """HMACs of the index's rows, under a key derived from the folder's secret and the entry's cache key."""

    def __init__(self, secret: bytes, key: str) -> None:
        self._key = hmac.digest(secret, f"graphiam index rows {FORMAT}\0{key}".encode(), "sha256")

    def mac(self, message: bytes) -> bytes:
        """The HMAC of a row's ``message``: its table's tag, then :func:`_fields` of its values."""
        return hmac.digest(self._key, message, "sha256")[:_ROW_MAC]

    def check(self, mac: object, message: bytes) -> bool:
        return type(mac) is bytes and hmac.compare_digest(mac, self.mac(message))


def _whole(header: bytes, end: bytes, size: int) -> bool:
    """Whether a file of ``size`` bytes that begins with ``header`` (100 bytes) and ends with ``end`` is a whole
    index entry: an SQLite database of as many pages as its header says, then the trailer (a cheap check, made
    before each warm query; the HMAC of the whole file is checked by a full load)."""
    if len(header) < 100 or not header.startswith(b"SQLite format 3\0") or end != _MAGIC:
        return False
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    return page_size * pages + _TRAILER == size


def _names_digest() -> "hashlib._Hash":
    return hashlib.sha256(b"graphiam index names")


def write_index(folder: CacheFolder, key: str, snapshot: Snapshot, graph: nx.MultiDiGraph) -> Path:
    """Write the query index of ``graph`` (built from ``snapshot``) into ``folder`` as an authenticated entry.

    Raises :class:`Unfaithful` (nothing written) for a value the JSON form would not give back as it is.
    """
    rows = _Rows(folder.secret() or b"", key)

    def fill(descriptor: int, path: Path) -> None:
        db = sqlite3.connect(path)
        try:
            _fill_index(db, rows, key, snapshot, graph)
            db.commit()
        finally:
            db.close()

    return folder.write(index_name(key), INDEX_KIND, key, fill)


def _fill_index(db: sqlite3.Connection, rows: _Rows, key: str, snapshot: Snapshot, graph: nx.MultiDiGraph) -> None:
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
    numbers = {node: number for number, node in enumerate(graph.nodes)}
    out: dict[int, list] = {}
    into: dict[int, list] = {}
    parts = _Parts()
    for u, v, k, d in graph.edges(keys=True, data=True):
        attributes = _edge_value(d, parts, (u, v, k))
        into.setdefault(numbers[v], []).append([numbers[u], k, attributes])
        if k == CAN_ASSUME:
            out.setdefault(numbers[u], []).append([numbers[v], attributes])
    names = _names_digest()
    mac = rows.mac
    zdict = _zdict(parts.by_text)
    node_rows = []
    for node, d in graph.nodes(data=True):
        n = numbers[node]
        kind, account, name = (v if type(v) is str else None for v in (d.get("kind"), d.get("account"), d.get("name")))
        data = _node_text(d, kind, account, name, node)
        listed = out.get(n)
        out_text = _pack(_dumps(listed) if listed else "[]", zdict)
        listed = into.get(n)
        in_text = _pack(_dumps(listed) if listed else "[]", zdict)
        head = _fields(n, node, kind, account, name)
        names.update(head)
        node_rows.append((n, node, kind, account, name, data, mac(b"node" + head + _fields(data)),
                          out_text, mac(b"out" + _fields(n, out_text)), in_text, mac(b"in" + _fields(n, in_text))))
    db.executemany("INSERT INTO nodes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", node_rows)
    texts = list(parts.by_text)  # in the order of their numbers
    db.executemany("INSERT INTO parts VALUES (?, ?, ?)",
                   ((block, blob, mac(b"part" + _fields(block, blob)))
                    for block, blob in ((start // _PART_BLOCK, _pack("[" + ",".join(texts[start:start + _PART_BLOCK])
                                                                     + "]", zdict))
                                        for start in range(0, len(texts), _PART_BLOCK))))
    accounts = [(a, _pack(_MODEL.dumps(account, Account), zdict)) for a, account in snapshot.accounts.items()]
    db.executemany("INSERT INTO accounts VALUES (?, ?, ?)",
                   ((a, text, mac(b"account" + _fields(a, text))) for a, text in accounts))
    aws_managed: dict[str, ManagedPolicy] = dict(snapshot.aws_managed_policies)
    for account in snapshot.accounts.values():
        aws_managed.update({a: p for a, p in account.policies.items() if is_aws_managed_policy(a)})
    root = {"format": FORMAT, "key": key, "nodes": len(node_rows), "names": names.hexdigest(),
            "accounts": sorted(snapshot.accounts), "parts": len(texts)}
    meta = [("root", _dumps(root)),
            ("organization", _MODEL.dumps(snapshot.organization, _META_HINTS["organization"])),
            ("warnings", _MODEL.dumps(snapshot.warnings, _META_HINTS["warnings"])),
            ("aws_managed", _MODEL.dumps(aws_managed, _META_HINTS["aws_managed"])),
            ("identity_center", _MODEL.dumps(snapshot.identity_center, _META_HINTS["identity_center"])),
            ("graph", _plain_text(dict(graph.graph), "the graph's attributes")),
            ("zdict", _dumps(base64.b64encode(zdict).decode("ascii")))]
    db.executemany("INSERT INTO meta VALUES (?, ?, ?)", ((k, v, mac(b"meta" + _fields(k, v))) for k, v in meta))


def _edge_value(d: dict, parts: "_Parts", edge: tuple) -> list | int:
    """An edge's attributes as stored: a list for an assume or pass edge (:data:`_COLUMNS`, its evidence and
    conditions by part number), else the number of the part that holds the attributes (plain JSON)."""
    if len(d) == len(_COLUMNS):
        try:
            listed = [d[c] for c in _COLUMNS]
        except KeyError:
            listed = None
        if listed is not None:
            edge_type, action, service, conditional, granted_by, conditions, alternatives, depends_on = listed
            if (type(edge_type) is str and type(action) is str and (service is None or type(service) is str)
                    and type(conditional) is bool and type(granted_by) is list and type(conditions) is list
                    and type(alternatives) is list and type(depends_on) is list
                    and (not depends_on or _plain(depends_on) == PLAIN)
                    and all(type(more) is list for more in alternatives)):
                numbers = parts.numbers
                return [edge_type, action, service, conditional, numbers(granted_by), numbers(conditions),
                        [numbers(more) for more in alternatives] if alternatives else [], depends_on]
    # technique and sign-in edges: one caller's attributes recur over a whole account, each edge's dict a copy
    # holding the very same values (networkx copies the outer dict), so they are numbered by those values
    same = tuple([(name, id(value)) for name, value in d.items()])
    found = parts.by_values.get(same)
    if found is not None:
        return found
    found = parts.by_values[same] = parts.number(d, f"edge {edge[0]} -> {edge[1]} [{edge[2]}]: its attributes")
    return found


_NODE_COLUMNS = ("kind", "account", "name")
_BESIDE_COLUMNS = "+"  # node data so marked holds the keys after kind, account and name: the columns hold those


def _node_text(d: dict, kind: str | None, account: str | None, name: str | None, node: object) -> str:
    """A node's data as stored: without kind, account and name when they are its first keys and the columns hold
    them exactly (about a third of a role's data), else whole."""
    keys = list(d)
    if keys[:3] == list(_NODE_COLUMNS) and (d["kind"], d["account"], d["name"]) == (kind, account, name):
        return _BESIDE_COLUMNS + _plain_text({k: d[k] for k in keys[3:]}, "node", node)
    return _plain_text(d, "node", node)


def _node_data(row: tuple) -> dict:
    """A verified node row's data (see :func:`_node_text`)."""
    _, _, kind, account, name, data, _ = row
    if data.startswith(_BESIDE_COLUMNS):
        rest = _loads(data[len(_BESIDE_COLUMNS):])
        if type(rest) is not dict:
            raise ValueError("node data is not an object")
        return {"kind": kind, "account": account, "name": name, **rest}
    return _loads(data)


class _Parts:
    """Numbers each distinct evidence or condition dict (by identity first: the builder shares them)."""

    def __init__(self) -> None:
        self.by_text: dict[str, int] = {}
        self._by_id: dict[int, int] = {}
        # (key, id of value) of every item of an edge's attributes -> its part (the graph holds the values)
        self.by_values: dict[tuple, int] = {}

    def number(self, part: dict, what: str = "an edge's evidence") -> int:
        found = self._by_id.get(id(part))
        if found is None:
            found = self.by_text.setdefault(_plain_text(part, what), len(self.by_text))
            self._by_id[id(part)] = found  # the graph holds every part while the index is written
        return found

    def numbers(self, listed: list[dict]) -> list[int]:
        return [self.number(p) for p in listed]


def _chunks(items: list) -> Iterable[list]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


class IndexedNodes:
    """What :func:`graphiam.queries.resolve.resolve` needs of a graph (membership, nodes with data), read from the
    index: a node found is verified, and a scan of all of them is checked against the index's digest of names."""

    def __init__(self, index: "QueryIndex") -> None:
        self.index = index

    def __contains__(self, node: object) -> bool:
        return self.index._node_row(node) is not None

    def nodes(self, data: bool = True) -> Iterator[tuple[str, dict]]:
        index = self.index
        names = _names_digest()
        count = 0
        for n, node, kind, account, name in index.db.execute("SELECT n, id, kind, account, name FROM nodes ORDER BY n"):
            names.update(_fields(n, node, kind, account, name))
            count += 1
            yield node, {"kind": kind, "account": account, "name": name}
        root = index.root
        if count != root["nodes"] or names.hexdigest() != root["names"]:
            raise index.rejected("its names do not match its digest")


def _decoding(method: Callable) -> Callable:
    """A query that reports a value it cannot decode as :class:`EntryRejected` (authentic rows always decode),
    run with the cyclic collector paused."""
    def decoded(self: "QueryIndex", *args: Any) -> Any:
        try:
            with paused_gc():  # many small objects, no cycles (see graphiam.gcpause)
                return method(self, *args)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
            raise self.rejected(f"a row cannot be decoded ({type(error).__name__})") from None
    decoded.__name__, decoded.__doc__ = method.__name__, method.__doc__
    return decoded


class QueryIndex:
    """An entry's query index, opened read-only; every row it gives out is verified.

    ``QueryIndex(path)`` checks the folder (see :class:`CacheFolder`) and the
    entry (a regular file of this user's, not a link), opens it, and checks
    its tables and its authenticated root row. It raises
    :class:`CacheProblem` (an :class:`sqlite3.DatabaseError`) when any check
    fails: :class:`NoEntry` when there is no index, :class:`CacheRefused` or
    :class:`EntryRejected` (whose text is the warning) otherwise. A row that
    fails its HMAC, or is missing though a verified row names it, raises
    :class:`EntryRejected` when it is read. Reading verifies only what a
    question touches; :func:`graphiam.graph.cache.load_cached` checks the
    whole file's HMAC.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.key = self.path.name.removesuffix(".sqlite")
        folder = CacheFolder.open(self.path.parent)
        if folder is None:
            raise NoEntry(f"{self.path.parent}: no cache folder")
        with folder:
            opened = folder._open_entry(self.path.name)
            if opened is None:
                raise NoEntry(f"{self.path}: no query index")
            descriptor, info = opened
            try:
                header = os.pread(descriptor, 100, 0)
                end = os.pread(descriptor, len(_MAGIC), max(0, info.st_size - len(_MAGIC)))
            finally:
                os.close(descriptor)
            if not _whole(header, end, info.st_size):
                raise folder._incomplete(self.path.name)
            secret = folder.secret()
        if secret is None:
            raise EntryRejected(f"graph cache entry {self.path} cannot be authenticated: the cache has no secret "
                                f"(it was deleted); the entry is discarded and rebuilt")
        self._rows = _Rows(secret, self.key)
        self._parts: dict[int, Any] = {}
        self._meta_values: dict[str, Any] = {}
        uri = f"file:{urllib.parse.quote(str(self.path.absolute()))}?mode=ro&immutable=1"
        try:
            self.db = sqlite3.connect(uri, uri=True)
        except sqlite3.Error as error:
            raise self.rejected(f"it cannot be opened ({error})") from None
        try:
            self.db.execute("PRAGMA trusted_schema = OFF")
            tables = self.db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
            if [(t, n) for t, n, _ in tables if t == "table"] != [("table", n) for n in _TABLES] or \
                    any(t not in ("table", "index") for t, _, _ in tables):
                raise self.rejected("its tables are not those of a query index")
            root = self._meta("root")
            if type(root) is not dict or root.get("format") != FORMAT or root.get("key") != self.key:
                raise self.rejected("it is not the index of this entry")
            self.root = root
        except sqlite3.DatabaseError as error:
            self.db.close()
            if isinstance(error, CacheProblem):
                raise
            raise self.rejected(f"it is not a database graphiam wrote ({error})") from None
        except Exception as error:
            self.db.close()
            raise self.rejected(f"its root row cannot be decoded ({type(error).__name__})") from None

    def rejected(self, why: str) -> EntryRejected:
        return EntryRejected(f"graph cache query index {self.path} is corrupt: {why}; it is discarded and rebuilt")

    def close(self) -> None:
        self.db.close()

    # -- verified rows ------------------------------------------------------------------------------------
    def _meta(self, key: str) -> Any:
        if key in self._meta_values:
            return self._meta_values[key]
        row = self.db.execute("SELECT v, mac FROM meta WHERE k = ?", (key,)).fetchone()
        if row is None or not self._rows.check(row[1], b"meta" + _fields(key, row[0])):
            raise self.rejected(f"its meta row {key} is missing or fails its HMAC")
        hint = _META_HINTS.get(key)
        value = _loads(row[0]) if hint is None else _MODEL.loads(row[0], hint)
        self._meta_values[key] = value
        return value

    def _zdict(self) -> bytes:
        """The preset dictionary the deflated rows were written with (an authenticated meta row)."""
        found = self._meta_values.get("zdict_bytes")
        if found is None:
            text = self._meta("zdict")
            if type(text) is not str:
                raise self.rejected("its meta row zdict is not text")
            try:
                found = base64.b64decode(text, validate=True)
            except ValueError:
                raise self.rejected("its meta row zdict is not base64") from None
            self._meta_values["zdict_bytes"] = found
        return found

    def _verified_node(self, row: tuple) -> tuple:
        n, node, kind, account, name, data, mac = row
        if not self._rows.check(mac, b"node" + _fields(n, node, kind, account, name, data)):
            raise self.rejected(f"the row of node {n} fails its HMAC")
        return row

    def _node_row(self, node: object) -> tuple | None:
        """The verified row of ``node`` (by ARN), or ``None`` when the index has none."""
        row = self.db.execute(_NODE + "WHERE id = ?", (node,)).fetchone()
        if row is None:
            return None
        if row[1] != node:
            raise self.rejected(f"looking up {node} gives the row of {row[1]}")
        return self._verified_node(row)

    def _node_rows(self, numbers: Iterable[int], column: str | None = None) -> dict[int, tuple]:
        """The verified rows of ``numbers`` (each must exist: a verified row named it), with ``column`` ("out"
        or "inn") decoded and verified too, as their last item."""
        wanted = sorted(set(numbers))
        found: dict[int, tuple] = {}
        extra = f", {column}, {column}_mac" if column else ""
        for chunk in _chunks(wanted):
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(f"SELECT n, id, kind, account, name, data, mac{extra} FROM nodes "
                                       f"WHERE n IN ({marks})", chunk):
                node = self._verified_node(row[:7])
                if column:
                    text, mac = row[7], row[8]
                    if not self._rows.check(mac, _LIST_TAGS[column] + _fields(row[0], text)):
                        raise self.rejected(f"the {column} list of node {row[0]} fails its HMAC")
                    node = node + (_loads(_unpack(text, self._zdict())),)
                found[row[0]] = node
        if len(found) != len(wanted):
            raise self.rejected(f"{len(wanted) - len(found)} node row(s) it refers to are missing")
        return found

    def _part(self, number: int) -> dict:
        """Part ``number``: read with the other parts of its block (:data:`_PART_BLOCK` of them, deflated as one
        JSON list), which is verified as a whole."""
        found = self._parts.get(number)
        if found is None:
            count = self.root.get("parts")
            if type(number) is not int or type(count) is not int or not 0 <= number < count:
                raise self.rejected(f"it refers to part {number!r}, which it does not hold")
            block = number // _PART_BLOCK
            row = self.db.execute("SELECT data, mac FROM parts WHERE id = ?", (block,)).fetchone()
            if row is None or not self._rows.check(row[1], b"part" + _fields(block, row[0])):
                raise self.rejected(f"its block of parts {block} is missing or fails its HMAC")
            listed = _loads(_unpack(row[0], self._zdict()))
            first = block * _PART_BLOCK
            if type(listed) is not list or len(listed) != min(_PART_BLOCK, count - first):
                raise self.rejected(f"its block of parts {block} does not hold the parts it should")
            self._parts.update(zip(range(first, first + len(listed)), listed))
            found = self._parts[number]
        return found

    def _attributes(self, value: list | int) -> dict:
        """An edge's attributes from their stored form (see :func:`_edge_value`)."""
        if type(value) is int:
            return dict(self._part(value))
        edge_type, action, service, conditional, granted_by, conditions, alternatives, depends_on = value
        part = self._part
        return {
            "edge_type": edge_type,
            "action": action,
            "service": service,
            "conditional": conditional,
            "granted_by": [part(n) for n in granted_by],
            "conditions": [part(n) for n in conditions],
            "alternatives": [[part(n) for n in more] for more in alternatives],
            "depends_on": depends_on,
        }

    # -- questions --------------------------------------------------------------------------------------
    def nodes(self) -> IndexedNodes:
        """Every node of the graph, for resolving names against the whole snapshot."""
        return IndexedNodes(self)

    @_decoding
    def subgraph(self, source: str, target: str) -> nx.MultiDiGraph:
        """What a path question needs: everything ``source`` reaches by assuming roles, and the edges into ``target``.

        Both must be nodes of the index (resolve them against :meth:`nodes` first).
        """
        ends = {}
        for end in (source, target):
            row = self._node_row(end)
            if row is None:
                raise self.rejected(f"it has no node {end}")
            ends[end] = row
        rows: dict[int, tuple] = {}
        edges: list[tuple[int, int, str, Any]] = []
        start = ends[source][0]
        seen = {start}
        frontier = [start]
        while frontier:
            expanded = self._node_rows(frontier, "out")
            rows.update({n: row[:7] for n, row in expanded.items()})
            following: list[int] = []
            for u in sorted(frontier):
                for v, attributes in expanded[u][7]:
                    edges.append((u, v, CAN_ASSUME, attributes))
                    if v not in seen:
                        seen.add(v)
                        following.append(v)
            frontier = following
        into = self._node_rows([ends[target][0]], "inn")[ends[target][0]]
        rows[into[0]] = into[:7]
        edges.extend((u, into[0], k, attributes) for u, k, attributes in into[7])
        rows.update(self._node_rows({u for u, _, _, _ in edges} - rows.keys()))
        graph = nx.MultiDiGraph()
        for u, v, k, attributes in edges:
            graph.add_edge(rows[u][1], rows[v][1], key=k, **self._attributes(attributes))
        by_id = {row[1]: row for row in rows.values()}
        for node in sorted(set(graph.nodes) | {source, target}):
            graph.add_node(node, **_node_data(by_id[node]))
        graph.graph.update(self._meta("graph"))
        return graph

    @_decoding
    def snapshot_for(self, *arns: str) -> Snapshot:
        """The accounts of ``arns`` (enough to decide their direct request), the organization, every AWS managed
        policy, and the Identity Center (its assignments decide an Identity Center user's direct request)."""
        accounts = {}
        listed = set(self.root["accounts"])
        for account_id in sorted({account_of(arn) for arn in arns} - {None}):  # type: ignore[type-var]
            row = self.db.execute("SELECT data, mac FROM accounts WHERE id = ?", (account_id,)).fetchone()
            if row is None:
                if account_id in listed:
                    raise self.rejected(f"its account {account_id} is missing")
                continue
            if not self._rows.check(row[1], b"account" + _fields(account_id, row[0])):
                raise self.rejected(f"its account {account_id} fails its HMAC")
            accounts[account_id] = _MODEL.loads(_unpack(row[0], self._zdict()), Account)
        return Snapshot(accounts=accounts, organization=self._meta("organization"), warnings=self._meta("warnings"),
                        aws_managed_policies=self._meta("aws_managed"), identity_center=self._meta("identity_center"))
