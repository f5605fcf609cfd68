"""The graph cache trusts nothing it did not write: a private folder, authenticated entries, faults rebuilt.

Each test here failed before the cache checked owners, modes, links and HMACs
(the cache then unpickled whatever a folder held under a predictable key).
"""

from __future__ import annotations

import builtins
import json
import os
import pickle
import zlib
import random
import shutil
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from graphiam.access import load_with_report
from graphiam.cli import main
from graphiam.graph import cache as graph_cache
from graphiam.graph import index as graph_index
from graphiam.snapshot.read import SnapshotError, read_files, snapshot_files

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-org"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
OTHER_UID = 4242


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("GRAPHIAM_CACHE_DIR", str(folder))
    return folder


def key() -> str:
    return graph_cache.snapshot_key(snapshot_files([SAMPLE]))


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def filled(cache_dir: Path) -> tuple[Path, Path]:
    """Write the sample's entry; its pickle and its query index."""
    _, report = load_with_report([SAMPLE], cache=True)
    assert report["cache"] == "miss"
    return cache_dir / f"{key()}.pickle", cache_dir / f"{key()}.sqlite"


class Boom:
    """A pickle that, when loaded, creates ``marker``: what a hostile entry would do (run code)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (Path(self.marker),)


def loaded(warnings: list | None = None):
    return graph_cache.load_cached(key(), warnings)


# -- 1. the folder graphiam makes is private ---------------------------------------------------------

def test_the_folder_and_the_parents_graphiam_makes_are_0700_whatever_the_umask(tmp_path, monkeypatch):
    folder = tmp_path / "made" / "by" / "graphiam"
    monkeypatch.setenv("GRAPHIAM_CACHE_DIR", str(folder))
    previous = os.umask(0)
    try:
        load_with_report([SAMPLE], cache=True)
    finally:
        os.umask(previous)
    assert [mode(p) for p in (tmp_path / "made", tmp_path / "made" / "by", folder)] == [0o700] * 3
    assert {p.name: mode(p) for p in folder.iterdir()} == {
        f"{key()}.pickle": 0o600, f"{key()}.sqlite": 0o600, graph_index.SECRET: 0o600}


def test_the_default_folder_under_xdg_cache_home_is_private(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAPHIAM_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    previous = os.umask(0o002)
    try:
        load_with_report([SAMPLE], cache=True)
    finally:
        os.umask(previous)
    assert mode(tmp_path / "xdg") == mode(tmp_path / "xdg" / "graphiam") == 0o700


# -- 2. a folder, secret or entry someone else can write is not used ----------------------------------

@pytest.mark.parametrize("bits", [0o777, 0o770, 0o702, 0o720])
def test_a_folder_others_can_write_is_neither_read_nor_written(cache_dir, bits):
    pickled, _ = filled(cache_dir)
    os.chmod(cache_dir, bits)
    names = sorted(p.name for p in cache_dir.iterdir())
    _, report = load_with_report([SAMPLE], cache=True)
    assert report["cache"] == "miss" and sorted(p.name for p in cache_dir.iterdir()) == names
    warnings: list[str] = []
    assert loaded(warnings) is None
    (warning,) = warnings
    assert warning.startswith(f"graph cache not used: {cache_dir} is writable by ") and f"(mode {bits:04o})" in warning
    assert "chmod 700" in warning
    # nothing is written there either, and the build is the same
    for child in cache_dir.iterdir():
        child.unlink()
    access, report = load_with_report([SAMPLE], cache=True)
    assert report["cache"] == "miss" and access.graph.number_of_edges() > 0
    assert list(cache_dir.iterdir()) == []
    assert graph_cache.store(key(), access.snapshot, access.graph, warnings) is None
    assert list(cache_dir.iterdir()) == [] and warnings == [warning]


def test_a_folder_owned_by_someone_else_is_not_used(cache_dir, monkeypatch):
    filled(cache_dir)
    monkeypatch.setattr(graph_index, "_euid", lambda: os.stat(cache_dir).st_uid + 1)
    assert load_with_report([SAMPLE], cache=True)[1]["cache"] == "miss"
    warnings: list[str] = []
    assert loaded(warnings) is None
    assert warnings and f"{cache_dir} is owned by uid {os.stat(cache_dir).st_uid}, not by you" in warnings[0]
    with pytest.raises(graph_index.CacheRefused):
        graph_index.QueryIndex(graph_cache.index_file(key()))


@pytest.mark.skipif(not IS_ROOT, reason="giving a folder to another user needs root")
def test_a_folder_chowned_to_another_user_is_not_used(cache_dir):
    filled(cache_dir)
    os.chown(cache_dir, OTHER_UID, -1)
    assert load_with_report([SAMPLE], cache=True)[1]["cache"] == "miss"
    warnings: list[str] = []
    assert loaded(warnings) is None and f"is owned by uid {OTHER_UID}" in warnings[0]


def test_a_folder_that_is_a_symlink_is_not_followed(tmp_path, monkeypatch):
    real = tmp_path / "real"
    monkeypatch.setenv("GRAPHIAM_CACHE_DIR", str(real))
    filled(real)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    monkeypatch.setenv("GRAPHIAM_CACHE_DIR", str(link))
    before = sorted(p.name for p in real.iterdir())
    _, report = load_with_report([SAMPLE], cache=True)
    assert report["cache"] == "miss" and sorted(p.name for p in real.iterdir()) == before
    warnings: list[str] = []
    assert loaded(warnings) is None
    assert warnings == [f"graph cache not used: {link} is a symbolic link, which graphiam does not follow; "
                        "graphiam reads and writes its cache only in a folder you own that no one else can write "
                        "(make it private with chmod 700, or delete it; or set GRAPHIAM_CACHE_DIR): the graph is "
                        "built afresh"]


def test_a_symlinked_entry_is_never_followed(cache_dir, tmp_path):
    pickled, _ = filled(cache_dir)
    elsewhere = tmp_path / "elsewhere.pickle"
    pickled.rename(elsewhere)  # an authentic entry, even
    pickled.symlink_to(elsewhere)
    assert load_with_report([SAMPLE], cache=True)[1]["cache"] == "miss"
    assert pickled.is_file() and not pickled.is_symlink()  # rebuilt, as a file of its own
    pickled.unlink()
    pickled.symlink_to(elsewhere)
    warnings: list[str] = []
    assert loaded(warnings) is None
    assert warnings == [f"graph cache entry {pickled} is a symbolic link, which graphiam does not follow; "
                        "the entry is discarded and rebuilt"]
    assert not pickled.is_symlink() and elsewhere.exists()  # the link is gone, what it pointed to untouched


def test_a_symlinked_index_is_never_followed(cache_dir, tmp_path):
    _, indexed = filled(cache_dir)
    elsewhere = tmp_path / "elsewhere.sqlite"
    indexed.rename(elsewhere)
    indexed.symlink_to(elsewhere)
    with pytest.raises(graph_index.EntryRejected, match="symbolic link"):
        graph_index.QueryIndex(indexed)
    warnings: list[str] = []
    assert loaded(warnings) is not None  # the pickle is fine; the index is made anew, a file
    assert "symbolic link" in warnings[0] and indexed.is_file() and not indexed.is_symlink()


def test_an_entry_others_can_write_is_discarded(cache_dir):
    pickled, _ = filled(cache_dir)
    os.chmod(pickled, 0o666)
    assert load_with_report([SAMPLE], cache=True)[1]["cache"] == "miss" and mode(pickled) == 0o600
    os.chmod(pickled, 0o666)
    warnings: list[str] = []
    assert loaded(warnings) is None
    assert warnings == [f"graph cache entry {pickled} is writable by group and others (mode 0666); "
                        "the entry is discarded and rebuilt"]
    assert not pickled.exists()
    _, report = load_with_report([SAMPLE], cache=True)
    assert report["cache"] == "miss" and mode(pickled) == 0o600


@pytest.mark.skipif(not IS_ROOT, reason="giving a file to another user needs root")
def test_an_entry_owned_by_someone_else_is_discarded(cache_dir):
    pickled, _ = filled(cache_dir)
    os.chown(pickled, OTHER_UID, -1)
    assert load_with_report([SAMPLE], cache=True)[1]["cache"] == "miss"
    assert pickled.stat().st_uid == os.geteuid()
    os.chown(pickled, OTHER_UID, -1)
    warnings: list[str] = []
    assert loaded(warnings) is None and f"is owned by uid {OTHER_UID}" in warnings[0]


@pytest.mark.parametrize("spoil", ["mode 0644", "mode 0660", "a symlink", "31 bytes", "owner"])
def test_a_secret_that_is_not_private_is_refused_like_a_hostile_folder(cache_dir, tmp_path, spoil, monkeypatch):
    filled(cache_dir)
    secret = cache_dir / graph_index.SECRET
    if spoil.startswith("mode"):
        os.chmod(secret, int(spoil.split()[1], 8))
    elif spoil == "a symlink":
        kept = tmp_path / "kept-secret"
        secret.rename(kept)
        secret.symlink_to(kept)
    elif spoil == "31 bytes":
        secret.write_bytes(secret.read_bytes()[:31])
    elif IS_ROOT:
        os.chown(secret, OTHER_UID, -1)
    else:
        pytest.skip("giving a file to another user needs root")
    names = sorted(p.name for p in cache_dir.iterdir())
    warnings: list[str] = []
    assert loaded(warnings) is None
    (warning,) = warnings
    assert warning.startswith(f"graph cache not used: its secret {secret} ")
    access, report = load_with_report([SAMPLE], cache=True)
    assert report["cache"] == "miss"
    assert graph_cache.store(key(), access.snapshot, access.graph) is None
    assert sorted(p.name for p in cache_dir.iterdir()) == names  # nothing written, nothing removed


def test_the_secret_is_made_once_and_never_replaced(cache_dir):
    graph_index.make_private_folders(cache_dir)
    with graph_index.CacheFolder.open(cache_dir) as folder:
        first = folder.secret(create=True)
        folder._make_secret()  # a second writer racing the first: its link fails, the first secret stays
    with graph_index.CacheFolder.open(cache_dir) as folder:
        assert folder.secret() == first and len(first) == 32
    assert [p.name for p in cache_dir.iterdir()] == [graph_index.SECRET] and mode(cache_dir / graph_index.SECRET) == 0o600


# -- 3. every entry is authenticated --------------------------------------------------------------------

def test_a_planted_pickle_is_never_unpickled(cache_dir, tmp_path):
    pickled, _ = filled(cache_dir)
    marker = tmp_path / "code-ran"
    pickled.write_bytes(pickle.dumps(Boom(marker)))  # what an attacker who can write the folder would plant
    assert load_with_report([SAMPLE], cache=True)[1]["cache"] == "miss"
    assert not marker.exists()
    pickled.write_bytes(pickle.dumps(Boom(marker)))
    warnings: list[str] = []
    assert loaded(warnings) is None and not marker.exists()
    assert warnings == [f"graph cache entry {pickled} is incomplete, or not an entry of this graphiam; "
                        "it is discarded and rebuilt"]


def test_a_planted_pickle_with_a_forged_trailer_fails_authentication(cache_dir, tmp_path):
    pickled, _ = filled(cache_dir)
    marker = tmp_path / "code-ran"
    real = pickled.read_bytes()
    pickled.write_bytes(pickle.dumps(Boom(marker)) + real[-48:])  # a trailer copied from an authentic entry
    assert load_with_report([SAMPLE], cache=True)[1]["cache"] == "miss" and not marker.exists()
    pickled.write_bytes(pickle.dumps(Boom(marker)) + real[-48:])
    warnings: list[str] = []
    assert loaded(warnings) is None and not marker.exists()
    assert warnings == [f"graph cache entry {pickled} failed authentication (it changed after graphiam wrote it, "
                        "or is corrupt); it is discarded and rebuilt"]


# the query index before entries were authenticated (format 4): meta, node data, parts and accounts pickled
OLD_SCHEMA = """
CREATE TABLE meta(k TEXT PRIMARY KEY, v BLOB);
CREATE TABLE nodes(n INTEGER PRIMARY KEY, id TEXT UNIQUE, kind TEXT, account TEXT, name TEXT, data BLOB);
CREATE TABLE edges(source INTEGER, target INTEGER, key TEXT, edge_type TEXT, action TEXT, service TEXT,
                   conditional INTEGER, granted_by TEXT, conditions TEXT, alternatives TEXT, depends_on TEXT,
                   other BLOB);
CREATE TABLE parts(id INTEGER PRIMARY KEY, data BLOB);
CREATE TABLE accounts(id TEXT PRIMARY KEY, data BLOB);
"""


def test_a_planted_index_with_pickled_blobs_never_runs_code(cache_dir, tmp_path, capsys):
    """The old index unpickled its meta, node, part and account blobs: a planted one ran code on a warm path."""
    access, _ = load_with_report([SAMPLE], cache=True)
    indexed = cache_dir / f"{key()}.sqlite"
    marker = tmp_path / "code-ran"
    indexed.unlink()
    bomb = pickle.dumps(Boom(marker))
    with sqlite3.connect(indexed) as db:  # the old index's layout, every blob a bomb
        db.executescript(OLD_SCHEMA)
        db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, bomb) for k in ("organization", "warnings",
                                                                            "aws_managed", "graph")])
        db.executemany("INSERT INTO accounts VALUES (?, ?)", [(a, bomb) for a in access.snapshot.accounts])
        db.executemany("INSERT INTO nodes VALUES (?, ?, ?, ?, ?, ?)",
                       [(n, node, d.get("kind"), d.get("account"), d.get("name"), bomb)
                        for n, (node, d) in enumerate(access.graph.nodes(data=True))])
    db.close()
    os.chmod(indexed, 0o600)
    fresh = main(["path", "grace", "AppConfig", "--data", str(SAMPLE), "--json", "--no-cache"]), capsys.readouterr()
    warm = main(["path", "grace", "AppConfig", "--data", str(SAMPLE), "--json"]), capsys.readouterr()
    assert not marker.exists()
    assert warm[0] == fresh[0] and json.loads(warm[1].out) == json.loads(fresh[1].out)
    assert "Traceback" not in warm[1].err


def test_an_entry_authentic_under_another_key_or_kind_is_rejected(cache_dir):
    pickled, indexed = filled(cache_dir)
    other = "0" * 40
    (cache_dir / f"{other}.pickle").write_bytes(pickled.read_bytes())
    os.chmod(cache_dir / f"{other}.pickle", 0o600)
    warnings: list[str] = []
    assert graph_cache.load_cached(other, warnings) is None and "failed authentication" in warnings[0]
    pickled.write_bytes(indexed.read_bytes())  # the index, where the pickle goes
    warnings = []
    assert loaded(warnings) is None and "failed authentication" in warnings[0]


def test_an_authentic_entry_of_the_wrong_type_is_rejected(cache_dir):
    pickled, indexed = filled(cache_dir)
    with graph_index.CacheFolder.open(cache_dir) as folder:  # written with the real secret: authentic
        def fill(descriptor, _):
            os.write(descriptor, zlib.compress(pickle.dumps(["not", "a", "graph"])))  # deflated, as entries are
        folder.write(pickled.name, graph_cache.GRAPH_KIND, key(), fill)
    warnings: list[str] = []
    assert loaded(warnings) is None
    assert warnings == [f"graph cache entry {pickled} holds a list, not a (snapshot, graph) pair; "
                        "it is discarded and rebuilt"]
    assert not pickled.exists()


@pytest.mark.parametrize("payload", ["not a database", "another key", "empty database"])
def test_an_authentic_index_of_the_wrong_type_is_rejected_and_rebuilt(cache_dir, payload):
    _, indexed = filled(cache_dir)
    with graph_index.CacheFolder.open(cache_dir) as folder:
        def fill(descriptor, path):
            if payload == "not a database":
                os.write(descriptor, b"just some bytes, authentic ones" * 100)
                return
            with sqlite3.connect(path) as db:
                db.execute("CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT)")
                if payload == "another key":
                    db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", str(graph_index.FORMAT)),
                                                                     ("key", json.dumps("0" * 40))])
            db.close()
        folder.write(indexed.name, graph_index.INDEX_KIND, key(), fill)
    with pytest.raises(graph_index.EntryRejected):
        graph_index.QueryIndex(indexed)
    warnings: list[str] = []
    assert loaded(warnings) is not None and len(warnings) == 1
    assert str(indexed) in warnings[0] and warnings[0].endswith("it is discarded and rebuilt")
    graph_index.QueryIndex(indexed).close()  # made anew


# -- 4. corruption and faults -------------------------------------------------------------------------------

@pytest.mark.parametrize("keep", [0, 1, 100, 4096, "half", -1])
def test_a_truncated_index_is_detected_and_rebuilt(cache_dir, capsys, keep):
    _, indexed = filled(cache_dir)
    size = indexed.stat().st_size
    indexed.write_bytes(indexed.read_bytes()[: size // 2 if keep == "half" else keep % size])
    fresh = run_path(capsys, PAIRS[0], "--no-cache")
    assert run_path(capsys, PAIRS[0])[:2] == fresh[:2]  # the warm path notices, the whole graph answers
    assert indexed.stat().st_size == size  # and the index was rebuilt
    indexed.write_bytes(indexed.read_bytes()[: size // 2 if keep == "half" else keep % size])
    warnings: list[str] = []
    assert loaded(warnings) is not None
    assert warnings == [f"graph cache entry {indexed} is incomplete, or not an entry of this graphiam; "
                        "it is discarded and rebuilt"]
    graph_index.QueryIndex(indexed).close()


def test_a_pickle_where_the_index_goes_is_detected(cache_dir):
    _, indexed = filled(cache_dir)
    indexed.write_bytes(pickle.dumps({"meta": "not an index"}))
    warnings: list[str] = []
    assert loaded(warnings) is not None and warnings[0].startswith(f"graph cache entry {indexed} is incomplete")
    graph_index.QueryIndex(indexed).close()


def test_a_missing_index_next_to_a_valid_pickle_is_recreated(cache_dir):
    _, indexed = filled(cache_dir)
    indexed.unlink()
    warnings: list[str] = []
    assert loaded(warnings) is not None and warnings == []
    assert mode(indexed) == 0o600
    graph_index.QueryIndex(indexed).close()


def test_the_temporary_files_of_killed_writers_are_removed(cache_dir):
    access, _ = load_with_report([SAMPLE], cache=True)
    hour_ago = time.time() - 3600
    stale = [f".{key()}.0123456789abcdef", f".{key()}.sqlite.deadbeef", f".{graph_index.SECRET}.00ff00ff00ff00ff"]
    kept = [f".{key()}.fresh", ".unrelated", "notes.txt", f".{'f' * 39}.short-key"]
    for name in stale + kept:
        (cache_dir / name).write_bytes(b"half written")
    for name in stale + kept[1:]:
        os.utime(cache_dir / name, (hour_ago, hour_ago))
    assert graph_cache.store(key(), access.snapshot, access.graph) is not None
    names = {p.name for p in cache_dir.iterdir()}
    assert not names & set(stale) and set(kept) <= names


def test_a_failed_write_leaves_no_temporary_file(cache_dir, monkeypatch):
    access, _ = load_with_report([SAMPLE], cache=True)

    def unfaithful(*args):
        raise graph_index.Unfaithful("a tuple where a list was")

    monkeypatch.setattr(graph_index, "_fill_index", unfaithful)
    warnings: list[str] = []
    assert graph_cache.store(key(), access.snapshot, access.graph, warnings) is None
    assert warnings == ["graph cache query index not written (a graphiam bug: a tuple where a list was); "
                        "path and why load the whole graph instead"]
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".")]
    graph_index.QueryIndex(cache_dir / f"{key()}.sqlite").close()  # the index written before is still there, whole


PAIRS = [("grace", "AppConfig"), ("alice", "Deploy"), ("arn:aws:iam::222222222222:user/alice",
                                                      "arn:aws:iam::333333333333:role/Deploy")]
FLIPS = 150


def run_path(capsys, pair, *extra: str) -> tuple[int, object, str]:
    code = main(["path", *pair, "--data", str(SAMPLE), "--json", *extra])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else None, captured.err


@pytest.mark.parametrize("entry", ["index", "pickle"])
def test_a_flipped_byte_anywhere_in_an_entry_never_changes_the_answer(cache_dir, capsys, entry):
    """150 trials, one flipped byte each (seeded): ``graphiam path`` answers as ``--no-cache`` does, no traceback,
    and the flip is detected: the entry is discarded (with a warning) and rebuilt.

    A warm path verifies only the index rows it reads: a flip elsewhere cannot change its answer, and is found
    by the whole-file check of the next full load (here: ``load_cached``). A pickle is checked whole before
    it is unpickled (the index is removed, so that the answer needs the pickle)."""
    fresh = {pair: run_path(capsys, pair, "--no-cache") for pair in PAIRS}
    assert all(code in (0, 1) for code, _, _ in fresh.values())
    run_path(capsys, PAIRS[0])  # writes the entry
    rng = random.Random(f"flips-{entry}")
    suffix = "sqlite" if entry == "index" else "pickle"
    tracebacks = found_later = 0
    for trial in range(FLIPS):
        target = cache_dir / f"{key()}.{suffix}"
        if not target.exists():
            run_path(capsys, PAIRS[0])
        data = bytearray(target.read_bytes())
        at = rng.randrange(len(data))
        data[at] ^= rng.randrange(1, 256)
        target.write_bytes(bytes(data))
        if entry == "pickle":
            (cache_dir / f"{key()}.sqlite").unlink()  # so the answer needs the pickle
        pair = PAIRS[trial % len(PAIRS)]
        code, answer, err = run_path(capsys, pair)
        tracebacks += "Traceback" in err or "internal error" in err
        assert (code, answer) == fresh[pair][:2], (entry, trial, at, err)
        if target.read_bytes() == bytes(data):  # the warm path did not need the flipped part: the full check finds it
            warnings: list[str] = []
            assert loaded(warnings) is not None and len(warnings) == 1, (entry, trial, at)
            assert "failed authentication" in warnings[0] or "incomplete" in warnings[0]
            found_later += 1
        assert target.read_bytes() != bytes(data), (entry, trial, at)  # detected: discarded and rebuilt
    assert tracebacks == 0
    assert entry == "index" or found_later == 0  # a flipped pickle is always found before it is unpickled


# -- 5. the key's errors ----------------------------------------------------------------------------------

@pytest.fixture
def unreadable(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A copy of the sample, one file of which cannot be read (PermissionError): mode 000, or for root (who reads
    anything) every way of opening that one file refused."""
    copy = tmp_path / "snapshot"
    shutil.copytree(SAMPLE, copy)
    target = snapshot_files([copy])[1]
    if not IS_ROOT:
        os.chmod(target, 0)
        return copy, target
    real_open, real_builtin_open = os.open, builtins.open

    def refused(path) -> bool:
        return isinstance(path, (str, os.PathLike)) and os.path.abspath(os.fspath(path)) == str(target.absolute())

    def os_open(path, *args, **kwargs):
        if refused(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, *args, **kwargs)

    def builtin_open(file, *args, **kwargs):
        if refused(file):
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real_builtin_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", builtin_open)
    return copy, target


def test_an_unreadable_snapshot_file_is_a_snapshot_error_naming_it(unreadable):
    copy, target = unreadable
    with pytest.raises(SnapshotError) as raised:
        graph_cache.snapshot_key(snapshot_files([copy]))
    assert str(raised.value) == f"{target}: cannot be read (PermissionError: Permission denied)"


def test_an_unreadable_snapshot_file_makes_the_command_exit_2(unreadable, cache_dir, capsys):
    copy, target = unreadable
    code = main(["path", "grace", "AppConfig", "--data", str(copy)])
    err = capsys.readouterr().err
    assert code == 2 and err == f"graphiam: error: {target}: cannot be read (PermissionError: Permission denied)\n"


def test_the_key_of_bytes_already_read_is_the_key_of_the_files():
    files = snapshot_files([SAMPLE])
    assert graph_cache.snapshot_key_of(read_files([SAMPLE])) == graph_cache.snapshot_key(files)
    assert graph_cache.snapshot_key_of((f, f.read_bytes()) for f in files) == graph_cache.snapshot_key(files)
    # file boundaries count: the same bytes split differently are another snapshot
    a, b = files[0], files[1]
    joined = graph_cache.snapshot_key_of([(a, a.read_bytes() + b"\0" + os.fsencode(b) + b"\0" + b.read_bytes())])
    assert joined != graph_cache.snapshot_key_of([(a, a.read_bytes()), (b, b.read_bytes())])


def test_the_key_hashed_while_reading_is_the_same_key_and_keeps_the_files_order(tmp_path, monkeypatch):
    """KeyHasher hashes files on threads, a window at a time: the key is the same whatever the window, and
    still depends on the order, names and bytes of more files than one window holds."""
    items = [(tmp_path / f"f{i:03}.json", f'{{"n": {i}}}'.encode()) for i in range(150)]
    key = graph_cache.snapshot_key_of(items)
    monkeypatch.setattr(graph_cache, "_HASH_WINDOW", 1)
    assert graph_cache.snapshot_key_of(items) == key
    swapped = [items[1], items[0], *items[2:]]
    assert graph_cache.snapshot_key_of(swapped) != key
    renamed = [*items[:140], (tmp_path / "other.json", items[140][1]), *items[141:]]
    assert graph_cache.snapshot_key_of(renamed) != key
    with graph_cache.KeyHasher() as hasher:
        for path, data in items:
            hasher.add(path, data)
        assert hasher.hexdigest() == key
    for name, data in items[:3]:
        name.write_bytes(data)
    with graph_cache.KeyHasher() as hasher:
        buffers = read_files([tmp_path], each=hasher.add)
        assert hasher.hexdigest() == graph_cache.snapshot_key_of(buffers) == graph_cache.snapshot_key(snapshot_files([tmp_path]))
