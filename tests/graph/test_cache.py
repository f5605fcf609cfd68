"""The graph cache: keyed by snapshot content and graphiam's code, never stale, never fatal.

What it trusts (owners, modes, links, HMACs) and how it survives corruption: test_cache_security.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graphiam.graph import cache as graph_cache
from graphiam.access import load_with_report
from graphiam.snapshot.read import snapshot_files

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-org"


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("GRAPHIAM_CACHE_DIR", str(folder))
    return folder


def edges(access) -> set:
    return {(u, v, k) for u, v, k in access.graph.edges(keys=True)}


def test_second_load_is_answered_by_the_cache(cache_dir):
    first, report = load_with_report([SAMPLE], cache=True)
    assert report["cache"] == "miss" and len(list(cache_dir.glob("*.pickle"))) == 1
    second, report = load_with_report([SAMPLE], cache=True)
    assert report["cache"] == "hit" and "load" not in report["timings"]
    assert edges(second) == edges(first)
    assert second.path("alice", "Deploy").to_dict() == first.path("alice", "Deploy").to_dict()


def test_a_changed_snapshot_is_a_different_key(cache_dir, tmp_path):
    copy = tmp_path / "snapshot"
    shutil.copytree(SAMPLE, copy)
    before, _ = load_with_report([copy], cache=True)
    assert not before.path("alice", "arn:aws:iam::333333333333:role/Deploy").reachable
    deploy = copy / "accounts" / "333333333333-prod.json"
    data = json.loads(deploy.read_text())
    role = next(r for r in data["RoleDetailList"] if r["RoleName"] == "Deploy")
    role["AssumeRolePolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:user/alice"}, "Action": "sts:AssumeRole"})
    deploy.write_text(json.dumps(data))
    after, report = load_with_report([copy], cache=True)
    assert report["cache"] == "miss"
    assert after.path("alice", "arn:aws:iam::333333333333:role/Deploy").reachable


def test_the_key_covers_graphiams_own_code(cache_dir, monkeypatch):
    files = sorted(SAMPLE.rglob("*.json"))
    key = graph_cache.snapshot_key(files)
    monkeypatch.setattr(graph_cache, "code_fingerprint", lambda: "another graphiam")
    assert graph_cache.snapshot_key(files) != key


def test_a_corrupt_entry_is_rebuilt(cache_dir):
    load_with_report([SAMPLE], cache=True)
    (entry,) = cache_dir.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    access, report = load_with_report([SAMPLE], cache=True)
    assert report["cache"] == "miss" and access.graph.number_of_edges() > 0
    assert entry.read_bytes() != b"not a pickle"


def test_a_corrupt_entry_is_reported_and_discarded(cache_dir):
    load_with_report([SAMPLE], cache=True)
    (entry,) = cache_dir.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    warnings: list[str] = []
    assert graph_cache.load_cached(graph_cache.snapshot_key(snapshot_files([SAMPLE])), warnings) is None
    assert warnings == [f"graph cache entry {entry} is incomplete, or not an entry of this graphiam; "
                        "it is discarded and rebuilt"]
    assert not entry.exists()


def test_an_unwritable_cache_is_skipped(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("GRAPHIAM_CACHE_DIR", str(blocker / "cache"))  # a folder cannot be made under a file
    access, report = load_with_report([SAMPLE], cache=True)
    assert report["cache"] == "miss" and access.graph.number_of_edges() > 0
    warnings: list[str] = []
    assert graph_cache.store("0" * 40, access.snapshot, access.graph, warnings) is None
    assert warnings == []  # a cache that cannot be made is skipped silently, as before


def test_cache_location_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("GRAPHIAM_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert graph_cache.cache_dir() == tmp_path / "xdg" / "graphiam"


def run_cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    root = Path(__file__).resolve().parents[2]
    environment = {**os.environ, **env, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-m", "graphiam.cli", *args], capture_output=True, text=True,
                          env=environment, timeout=120)


def test_build_command_reports_counts_timings_and_the_cache(cache_dir):
    env = {"GRAPHIAM_CACHE_DIR": str(cache_dir)}
    first = run_cli("build", "--data", str(SAMPLE), "--json", env=env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["cache"] == "miss"
    assert report["counts"]["accounts"] == 6 and report["counts"]["principals"] == 75
    counts = report["counts"]
    assert counts["edges"] == counts["assume_edges"] + counts["pass_edges"] + counts["technique_edges"]
    assert counts["technique_edges"] > 0
    assert counts["candidate_pairs_evaluated"] >= counts["assume_edges"] + counts["pass_edges"]
    assert {"load", "build_indexes", "build_edges", "total"} <= set(report["timings_seconds"])
    second = json.loads(run_cli("build", "--data", str(SAMPLE), "--json", env=env).stdout)
    assert second["cache"] == "hit" and second["counts"] == report["counts"]
    fresh = json.loads(run_cli("build", "--data", str(SAMPLE), "--json", "--no-cache", env=env).stdout)
    assert fresh["cache"] == "off"
    path = run_cli("path", "alice", "Deploy", "--data", str(SAMPLE), "--json", env=env)
    assert path.returncode == 1 and json.loads(path.stdout)["blockers"][0]["layer"] == "trust"


def test_a_file_changing_after_it_was_hashed_cannot_poison_the_cache(cache_dir, tmp_path):
    from graphiam.snapshot.read import read_files

    snapshot_dir = tmp_path / "snap"
    shutil.copytree(SAMPLE, snapshot_dir)
    prod = next(snapshot_dir.glob("accounts/333333333333-*.json"))
    buffers = read_files([snapshot_dir])
    key = graph_cache.snapshot_key_of(buffers)
    # between hashing and parsing, someone empties prod's roles: the entry must hold what was hashed
    changed = json.loads(prod.read_text())
    changed["RoleDetailList"] = []
    prod.write_text(json.dumps(changed))
    access, report = load_with_report([snapshot_dir], cache=True, key=key, buffers=buffers)
    assert report["cache"] == "miss" and access.snapshot.role("arn:aws:iam::333333333333:role/Deploy") is not None
    # the changed files are another key: they are built afresh, and the two answers never mix
    fresh, report = load_with_report([snapshot_dir], cache=True)
    assert report["cache"] == "miss" and fresh.snapshot.role("arn:aws:iam::333333333333:role/Deploy") is None
    again, report = load_with_report([snapshot_dir], cache=True)
    assert report["cache"] == "hit" and again.snapshot.role("arn:aws:iam::333333333333:role/Deploy") is None


# -- the files' states: a warm path reads no snapshot bytes ----------------------------------------------------

def _path_json(snapshot_dir: Path, capsys, source: str = "alice", target: str = "arn:aws:iam::333333333333:role/Deploy"):
    from graphiam import cli

    code = cli.main(["path", source, target, "--data", str(snapshot_dir), "--json"])
    return code, json.loads(capsys.readouterr().out)


class ReadsCounted:
    """Counts the reads of the snapshot's files (read_files calls, under each name graphiam calls it by)."""

    def __init__(self, monkeypatch) -> None:
        from graphiam.snapshot import read

        self.calls = 0
        real = read.read_files

        def counted(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)

        for module in (read, graph_cache):
            monkeypatch.setattr(module, "read_files", counted)


@pytest.fixture
def settled_at_once(monkeypatch):
    """Files count as settled as soon as they were written (the tests' files are seconds old at most)."""
    monkeypatch.setattr(graph_cache, "SETTLED_SECONDS", 0.0)


def _copy(tmp_path: Path) -> Path:
    snapshot_dir = tmp_path / "snap"
    shutil.copytree(SAMPLE, snapshot_dir)
    return snapshot_dir


def test_a_warm_path_on_unchanged_files_reads_no_snapshot_bytes(cache_dir, tmp_path, capsys, monkeypatch,
                                                                 settled_at_once):
    snapshot_dir = _copy(tmp_path)
    first = _path_json(snapshot_dir, capsys)
    assert len(list(cache_dir.glob("*.files"))) == 1  # the states remembered, with the key of the bytes read
    reads = ReadsCounted(monkeypatch)
    assert _path_json(snapshot_dir, capsys) == first
    assert reads.calls == 0


def test_a_file_rewritten_with_its_size_and_times_kept_is_read_again(cache_dir, tmp_path, capsys, monkeypatch,
                                                                      settled_at_once):
    snapshot_dir = _copy(tmp_path)
    before = _path_json(snapshot_dir, capsys)
    assert before[1]["reachable"] is False
    prod = next(snapshot_dir.glob("accounts/333333333333-*.json"))
    kept = os.stat(prod)
    text = prod.read_text()
    # the same length, another trust: Deploy now trusts alice's account instead of the release engineers'
    grants = text.replace('"arn:aws:iam::444444444444:root"', '"arn:aws:iam::222222222222:root"')
    assert grants != text and len(grants) == len(text)
    prod.write_text(grants)
    os.utime(prod, ns=(kept.st_atime_ns, kept.st_mtime_ns))  # only the status-change time tells now
    assert os.stat(prod).st_size == kept.st_size and os.stat(prod).st_mtime_ns == kept.st_mtime_ns
    reads = ReadsCounted(monkeypatch)
    after = _path_json(snapshot_dir, capsys)
    assert reads.calls == 1
    from graphiam import cli

    assert cli.main(["path", "alice", "arn:aws:iam::333333333333:role/Deploy", "--data", str(snapshot_dir), "--json",
                     "--no-cache"]) == after[0]
    assert json.loads(capsys.readouterr().out) == after[1] != before[1]  # the new bytes' answer


def test_files_changed_just_before_they_were_looked_at_are_not_remembered(cache_dir, tmp_path, capsys, monkeypatch):
    snapshot_dir = _copy(tmp_path)  # seconds old: within graphiam's settling time
    _path_json(snapshot_dir, capsys)
    assert not list(cache_dir.glob("*.files"))
    reads = ReadsCounted(monkeypatch)
    _path_json(snapshot_dir, capsys)
    assert reads.calls == 1


def test_a_remembered_key_is_authenticated_for_its_states_alone(cache_dir, tmp_path, capsys, settled_at_once):
    snapshot_dir = _copy(tmp_path)
    _path_json(snapshot_dir, capsys)
    states = graph_cache.file_states(snapshot_files([snapshot_dir]))
    key = graph_cache.recalled_key(states)
    assert key is not None and (cache_dir / f"{key}.sqlite").is_file()
    memo = cache_dir / f"{states.token}.files"
    other = graph_cache.FileStates("0" * 40, True)
    shutil.copy(memo, cache_dir / f"{other.token}.files")  # another snapshot's states: its HMAC says no
    assert graph_cache.recalled_key(other) is None and not (cache_dir / f"{other.token}.files").exists()
    data = bytearray(memo.read_bytes())
    data[0] = ord("0") if data[0] != ord("0") else ord("1")  # another key under the same states
    memo.write_bytes(bytes(data))
    assert graph_cache.recalled_key(states) is None and not memo.exists()  # discarded; the files are read


def test_the_environment_turns_the_files_states_off(cache_dir, tmp_path, capsys, monkeypatch, settled_at_once):
    monkeypatch.setenv("GRAPHIAM_CACHE_TRUST_STAT", "0")
    snapshot_dir = _copy(tmp_path)
    _path_json(snapshot_dir, capsys)
    assert graph_cache.file_states(snapshot_files([snapshot_dir])) is None and not list(cache_dir.glob("*.files"))
    reads = ReadsCounted(monkeypatch)
    _path_json(snapshot_dir, capsys)
    assert reads.calls == 1


def test_the_states_token_follows_every_file_and_its_name(tmp_path, settled_at_once):
    snapshot_dir = _copy(tmp_path)
    files = snapshot_files([snapshot_dir])
    token = graph_cache.file_states(files).token
    assert graph_cache.file_states(files).token == token
    assert graph_cache.file_states(list(reversed(files))).token != token
    assert graph_cache.file_states(files[:-1]).token != token
    files[0].touch()
    assert graph_cache.file_states(files).token != token
