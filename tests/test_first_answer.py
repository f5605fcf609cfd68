"""The first `graphiam path` on a new snapshot: answered from the part of the graph it reads, the whole graph
built and cached afterwards by a detached child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from graphiam import cli

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample-org"
QUESTIONS = [("grace", "AppConfig"), ("alice", "333333333333:role/ProdAdmin"),
             ("nina@acme.example.com",
              "arn:aws:iam::333333333333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnlyAccess_9e1c342147a9abce"),
             ("peggy", "arn:aws:iam::333333333333:role/Deploy")]


def _env(cache: Path, **more: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "GRAPHIAM_CACHE_WRITE"}
    return {**env, "PYTHONPATH": str(ROOT), "GRAPHIAM_CACHE_DIR": str(cache), **more}


def _path(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graphiam.cli", "path", *args, "--data", str(SAMPLE), "--json"],
                          env=env, capture_output=True, text=True)


def _entry(cache: Path, timeout: float = 120.0) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(cache.glob("*.sqlite")) if cache.is_dir() else []
        if found and sorted(cache.glob("*.pickle")):
            return found
        time.sleep(0.2)
    return []


def test_the_first_answer_is_the_whole_graphs_answer_and_the_cache_comes_after(tmp_path):
    cache = tmp_path / "cache"
    first = _path(_env(cache), "grace", "AppConfig")
    fresh = _path(_env(tmp_path / "other"), "grace", "AppConfig", "--no-cache")
    assert first.returncode == fresh.returncode == 0
    assert json.loads(first.stdout) == json.loads(fresh.stdout)
    assert first.stderr == ""  # nothing of the child reaches the terminal
    assert _entry(cache), "the background child wrote no cache entry"
    assert not list(cache.glob("*.tmp*"))
    warm = _path(_env(cache), "grace", "AppConfig")
    assert json.loads(warm.stdout) == json.loads(first.stdout)


def test_waiting_for_the_cache_is_asked_for_by_the_environment(tmp_path):
    cache = tmp_path / "cache"
    done = _path(_env(cache, GRAPHIAM_CACHE_WRITE="wait"), "grace", "AppConfig")
    assert done.returncode == 0
    assert sorted(cache.glob("*.sqlite")) and sorted(cache.glob("*.pickle"))  # there when the process returns


def test_first_answers_equal_whole_graph_answers_in_process(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GRAPHIAM_CACHE_DIR", str(tmp_path / "cache"))
    for source, target in QUESTIONS:
        answers = []
        for extra in (["--no-cache"], []):  # --no-cache: the part of the graph alone; then the cached build
            code = cli.main(["path", source, target, "--data", str(SAMPLE), "--json", *extra])
            answers.append((code, json.loads(capsys.readouterr().out)))
        warm = cli.main(["path", source, target, "--data", str(SAMPLE), "--json"])
        answers.append((warm, json.loads(capsys.readouterr().out)))
        assert answers[0] == answers[1] == answers[2], (source, target)


def test_a_source_outside_the_principals_is_answered_by_the_whole_graph(capsys):
    code = cli.main(["path", "ec2.amazonaws.com", "AppConfig", "--data", str(SAMPLE), "--no-cache", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, 1) and out["source"] == "ec2.amazonaws.com"


def test_every_question_answers_before_the_cache_is_written_and_a_bad_one_still_leaves_the_entry(tmp_path, capsys,
                                                                                                 monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("GRAPHIAM_CACHE_DIR", str(cache))
    written: list[str] = []
    real = cli._cache_later

    def spy(snapshot, key, args, progress, graph=None):
        written.append(capsys.readouterr().out)  # what was printed before the entry is written
        real(snapshot, key, args, progress, graph)

    monkeypatch.setattr(cli, "_cache_later", spy)
    assert cli.main(["who-can", "AppConfig", "--data", str(SAMPLE)]) == 0
    assert "AppConfig" in written[0]  # the answer came first
    assert sorted(cache.glob("*.pickle")) and sorted(cache.glob("*.sqlite"))
    for entry in cache.glob("*.*"):
        if entry.suffix in (".pickle", ".sqlite"):
            entry.unlink()
    assert cli.main(["who-can", "NoSuchRoleAnywhere", "--data", str(SAMPLE)]) == 2
    assert sorted(cache.glob("*.pickle")) and sorted(cache.glob("*.sqlite"))  # the graph was good: kept


def test_a_name_that_does_not_resolve_is_said_without_the_whole_build_and_the_entry_is_still_written(
        tmp_path, capsys, monkeypatch):
    from graphiam.graph.build import build_graph
    from graphiam.queries.resolve import UnknownPrincipalError, resolve
    from graphiam.snapshot.read import load_snapshot

    cache = tmp_path / "cache"
    monkeypatch.setenv("GRAPHIAM_CACHE_DIR", str(cache))
    whole = build_graph(load_snapshot([SAMPLE]))

    def no_whole_build(*args, **kwargs):
        raise AssertionError("the whole graph was built before the error was said")

    monkeypatch.setattr(cli, "load_with_report", no_whole_build)

    def whole_graphs_error(*names: str) -> str:
        for name in names:
            try:
                resolve(whole, name)
            except UnknownPrincipalError as error:
                return str(error)
        raise AssertionError(f"{names} all resolve")

    for source, target in (("grace", "NoSuchRoleAnywhere"), ("nobody-of-that-name", "AppConfig")):
        assert cli.main(["path", source, target, "--data", str(SAMPLE)]) == 2
        assert whole_graphs_error(source, target) in capsys.readouterr().err  # the whole graph's very words
    assert sorted(cache.glob("*.pickle")) and sorted(cache.glob("*.sqlite"))  # the snapshot was good: kept
    rebuilt: list[str] = []
    monkeypatch.setattr(cli, "_cache_later", lambda *args, **kwargs: rebuilt.append("entry written again"))
    assert cli.main(["path", "grace", "NoSuchRoleAnywhere", "--data", str(SAMPLE)]) == 2
    assert rebuilt == []  # the entry is there: an unknown name on a cached snapshot rebuilds nothing
