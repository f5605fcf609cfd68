"""Progress: what each phase reports (graphiam.progress), the terminal bar (present/progress_bar.py), and the
command line showing it only on a terminal, never with --quiet or --json."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from builders import Org, allow, role_arn, trust_account
from graphiam.access import load_with_report
from graphiam.present.progress_bar import TerminalProgress

REPO_ROOT = Path(__file__).resolve().parent.parent


class Recording:
    """A Progress that remembers every phase: description, total, unit, how many items were advanced."""

    def __init__(self) -> None:
        self.tasks: list[list] = []

    def task(self, description: str, total: int | None = None, unit: str = ""):
        record = [description, total, unit, 0]
        self.tasks.append(record)

        class Task:
            def advance(self, count: int = 1) -> None:
                record[3] += count

            def __enter__(self):
                return self

            def __exit__(self, *exc) -> None:
                pass

        return Task()


def three_accounts(tmp_path: Path) -> Path:
    org = Org()
    org.account("111111111111").user("alice", allow("sts:AssumeRole", "*"))
    for account in ("222222222222", "333333333333"):
        org.account(account).role("Deploy", trusts=trust_account("111111111111"))
    org.full_access_everywhere()
    return org.write(tmp_path / "org")


@pytest.mark.parametrize("cache", [False, True])
def test_each_phase_reports_its_items(tmp_path, monkeypatch, cache):
    monkeypatch.setenv("GRAPHIAM_CACHE_DIR", str(tmp_path / "cache"))
    folder = three_accounts(tmp_path)
    files = len(list(folder.rglob("*.json")))
    recording = Recording()
    load_with_report([folder], cache=cache, progress=recording)
    done = {description: (total, advanced) for description, total, _, advanced in recording.tasks}
    assert done["reading accounts"] == (files, files)
    assert done["deciding target accounts"] == (2, 2)  # the accounts that hold roles
    if cache:
        assert done["reading snapshot files"] == (files, files)
        assert "writing the cache" in done
        again = Recording()
        load_with_report([folder], cache=True, progress=again)
        assert [t[0] for t in again.tasks] == ["reading snapshot files", "reading the cache"]


def test_the_bar_shows_counts_and_rate_once_the_delay_has_passed():
    stream = io.StringIO()
    progress = TerminalProgress(stream, delay=0, force_terminal=True)
    with progress.task("deciding target accounts", 4, "accounts") as task:
        for _ in range(4):
            task.advance()
    shown = stream.getvalue()
    assert "deciding target accounts" in shown and "4/4" in shown and "accounts/s" in shown


def test_a_phase_shorter_than_the_delay_shows_nothing():
    stream = io.StringIO()
    with TerminalProgress(stream, delay=30, force_terminal=True).task("reading accounts", 3, "files") as task:
        task.advance(3)
    assert stream.getvalue() == ""


def run_on_a_terminal(*args: str) -> tuple[int, str, str]:
    """The CLI with standard error on a pseudo-terminal (standard output a pipe); what each said."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "GRAPHIAM_PROGRESS_DELAY": "0", "COLUMNS": "120"}
    process = subprocess.Popen([sys.executable, "-m", "graphiam.cli", *args], stdout=subprocess.PIPE,
                               stderr=terminal, stdin=subprocess.DEVNULL, cwd=REPO_ROOT, env=env)
    os.close(terminal)
    said = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        said += chunk
    out = process.stdout.read().decode()
    code = process.wait(timeout=120)
    os.close(controller)
    return code, out, said.decode(errors="replace")


def test_the_command_line_shows_progress_on_a_terminal_and_only_there(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHIAM_CACHE_DIR", str(tmp_path / "cache"))
    folder = str(three_accounts(tmp_path))
    code, out, err = run_on_a_terminal("build", "--data", folder, "--no-cache", "--engine", "local")
    assert code == 0 and "deciding target accounts" in err and "accounts/s" in err
    assert "deciding" not in out  # the answer on standard output stays clean
    code, out, err = run_on_a_terminal("build", "--data", folder, "--no-cache", "--engine", "processes")
    assert code == 0 and "collecting the other partitions" in err and "partitions" not in out
    for quiet in (["--quiet"], ["--json"]):
        code, out, err = run_on_a_terminal("build", "--data", folder, "--no-cache", *quiet)
        assert code == 0 and err == "", err
    piped = subprocess.run([sys.executable, "-m", "graphiam.cli", "build", "--data", folder, "--no-cache"],
                           capture_output=True, text=True, cwd=REPO_ROOT, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "GRAPHIAM_PROGRESS_DELAY": "0"})
    assert piped.returncode == 0 and piped.stderr == ""
