"""Files written whole or not at all: a temporary file beside the target, then one rename.

:func:`write_atomically` is how maps, static pictures and exports reach the
disk. The data goes to a new temporary file in the target's own folder (so
the rename never crosses a file system), optionally ``fsync``-ed, then
``os.replace`` puts it in place in one step. Whatever interrupts the write (an
error, a full disk, Ctrl-C) removes the temporary file and leaves the target
as it was: absent, or the previous version, never half a file.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import stat
from pathlib import Path
from typing import IO, Any, Callable, Union

Writer = Callable[[IO[Any]], object]
Data = Union[str, bytes, bytearray, memoryview, Writer]

_NAME_ROOM = 200  # of the target's name kept in the temporary name (file names stop at 255 bytes)
_ATTEMPTS = 16


def write_atomically(path: str | os.PathLike[str], data: Data, *, encoding: str = "utf-8", errors: str = "strict",
                     text: bool = False, fsync: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    ``data`` is the whole content (``str``, encoded with ``encoding``/``errors``;
    or bytes), or a callable that writes it to the stream it is given: a binary
    stream, or with ``text=True`` a text stream (``encoding``, ``errors``, no
    newline translation). An existing target keeps its permission bits; a new
    one gets the usual ``0o666`` less the umask. ``fsync=True`` flushes the
    file and then its folder to the disk before returning.

    On any failure, ``KeyboardInterrupt`` included, the temporary file is
    removed and the exception propagates; the target is untouched.
    """
    target = Path(path)
    folder = target.parent
    descriptor, temporary = _create_temporary(folder, target.name)
    try:
        with open(descriptor, "wb", closefd=True) as raw:
            if callable(data):
                if text:
                    stream = io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="", write_through=False)
                    try:
                        data(stream)
                        stream.flush()
                    finally:
                        stream.detach()  # the outer ``with`` closes the file
                else:
                    data(raw)
            elif isinstance(data, str):
                raw.write(data.encode(encoding, errors))
            elif isinstance(data, (bytes, bytearray, memoryview)):
                raw.write(data)
            else:
                raise TypeError(f"write_atomically: data must be str, bytes or a callable, not {type(data).__name__}")
            raw.flush()
            _keep_mode(target, raw.fileno())
            if fsync:
                os.fsync(raw.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if fsync:
        _fsync_folder(folder)


def _create_temporary(folder: Path, name: str) -> tuple[int, str]:
    """A new file ``.NAME.RANDOM.tmp`` in ``folder``, opened for writing; created, never reused or followed."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(_ATTEMPTS):
        temporary = os.path.join(folder, f".{name[:_NAME_ROOM]}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"{folder}: could not create a temporary file")  # pragma: no cover - 16 random collisions


def _keep_mode(target: Path, descriptor: int) -> None:
    """Give the new file the permission bits of the regular file it replaces, if there is one."""
    try:
        existing = os.stat(target)
    except OSError:
        return
    if stat.S_ISREG(existing.st_mode) and hasattr(os, "fchmod"):
        with contextlib.suppress(OSError):
            os.fchmod(descriptor, stat.S_IMODE(existing.st_mode))


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); where folders cannot be opened, nothing to do."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
