"""Files are written whole or not at all: graphiam.present.files.write_atomically, and the writers that use it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from graphiam.present import files
from graphiam.present.files import write_atomically


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_writes_text_bytes_and_streams(tmp_path):
    write_atomically(tmp_path / "a.txt", "héllo\n")
    write_atomically(tmp_path / "b.bin", b"\x00\x01")
    write_atomically(tmp_path / "c.txt", lambda stream: stream.write("line\r\n"), text=True)
    write_atomically(tmp_path / "d.bin", lambda stream: stream.write(b"raw"))
    assert (tmp_path / "a.txt").read_bytes() == "héllo\n".encode()
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "c.txt").read_bytes() == b"line\r\n"  # no newline translation
    assert (tmp_path / "d.bin").read_bytes() == b"raw"
    assert leftovers(tmp_path) == ["a.txt", "b.bin", "c.txt", "d.bin"]


def test_a_lone_surrogate_is_written_as_asked(tmp_path):
    write_atomically(tmp_path / "s.txt", "x\udcffy", errors="backslashreplace")
    assert (tmp_path / "s.txt").read_text() == "x\\udcffy"


class Boom(Exception):
    pass


def _half_then(exception: BaseException):
    def writer(stream):
        stream.write(b"half of the data")
        stream.flush()
        raise exception
    return writer


@pytest.mark.parametrize("exception", [Boom("disk on fire"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_a_failure_mid_write_leaves_no_partial_target_and_no_temporary_file(tmp_path, exception):
    target = tmp_path / "map.html"
    with pytest.raises(type(exception)):
        write_atomically(target, _half_then(exception))
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("exception", [Boom("disk on fire"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_a_failure_mid_write_leaves_an_existing_target_untouched(tmp_path, exception):
    target = tmp_path / "map.html"
    target.write_text("the previous map")
    with pytest.raises(type(exception)):
        write_atomically(target, _half_then(exception), text=False)
    assert target.read_text() == "the previous map"
    assert leftovers(tmp_path) == ["map.html"]


def test_a_failing_rename_removes_the_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "out.svg"
    target.write_bytes(b"old")

    def refuse(source, destination):
        raise KeyboardInterrupt  # Ctrl-C between the write and the rename

    monkeypatch.setattr(files.os, "replace", refuse)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == ["out.svg"]


def test_a_string_that_cannot_be_encoded_fails_before_anything_is_replaced(tmp_path):
    target = tmp_path / "x.txt"
    target.write_text("kept")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(target, "\udcff")  # strict errors
    assert target.read_text() == "kept" and leftovers(tmp_path) == ["x.txt"]


def test_wrong_data_is_a_type_error_and_leaves_nothing(tmp_path):
    with pytest.raises(TypeError):
        write_atomically(tmp_path / "x", 42)  # type: ignore[arg-type]
    assert leftovers(tmp_path) == []


def test_the_temporary_file_is_in_the_target_folder(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(source, destination):
        seen.append((Path(source), Path(destination)))
        real_replace(source, destination)

    monkeypatch.setattr(files.os, "replace", spy)
    write_atomically(tmp_path / ("n" * 250), "long names fit")  # the temporary name stays under 255 bytes
    (source, destination), = seen
    assert source.parent == destination.parent == tmp_path and source.name.startswith(".") and source.name.endswith(".tmp")


@pytest.mark.skipif(not hasattr(os, "fchmod"), reason="no permission bits here")
def test_an_existing_target_keeps_its_permissions_and_a_new_one_follows_the_umask(tmp_path):
    kept = tmp_path / "kept.html"
    kept.write_text("old")
    kept.chmod(0o640)
    write_atomically(kept, "new", fsync=True)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text() == "new"
    mask = os.umask(0o022)
    try:
        write_atomically(tmp_path / "new.html", "x")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "new.html").stat().st_mode) == 0o644


# -- the writers that use it ------------------------------------------------------------------------

def _interrupting(monkeypatch, module, name):
    """Make ``module.name`` (a writer's data source) raise KeyboardInterrupt when called."""
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(module, name, interrupted)


def test_export_is_atomic(tmp_path, monkeypatch):
    import networkx as nx

    from graphiam.present import export

    graph = nx.MultiDiGraph()
    graph.add_node("a", kind="user")
    target = tmp_path / "g.jsonl"
    target.write_text("previous export\n")
    _interrupting(monkeypatch, export, "jsonl_lines")
    with pytest.raises(KeyboardInterrupt):
        export.write_export(graph, target, "jsonl")
    assert target.read_text() == "previous export\n" and leftovers(tmp_path) == ["g.jsonl"]


def test_write_map_and_inline_save_are_atomic(tmp_path, monkeypatch):
    pytest.importorskip("pyvis")
    import graphiam
    from graphiam.present import map as access_map

    access = graphiam.load(Path(__file__).resolve().parents[2] / "data" / "sample-org")
    inline = access.map(focus="grace", depth=1)
    saved = tmp_path / "inline.html"
    inline.save(saved)
    assert saved.read_text(encoding="utf-8") == inline.html
    target = tmp_path / "map.html"
    target.write_text("previous map")

    def interrupted(path, data, **kwargs):  # the data is written, then Ctrl-C before the rename
        def writer(stream):
            stream.write(data.encode("utf-8", "backslashreplace")[:100])
            raise KeyboardInterrupt
        files.write_atomically(path, writer)

    monkeypatch.setattr(access_map, "write_atomically", interrupted)
    with pytest.raises(KeyboardInterrupt):
        access_map.write_map(access.graph, access.snapshot, target)
    with pytest.raises(KeyboardInterrupt):
        inline.save(saved)
    assert target.read_text() == "previous map" and saved.read_text(encoding="utf-8") == inline.html
    assert leftovers(tmp_path) == ["inline.html", "map.html"]
