"""Run a fuzz plan through ``graphiam.cli.main`` in-process and judge what it did.

The outcome is judged as CI would read it:

- the exit code is one of graphiam's answers (0, 1, 2, 3, 130); 70 (an internal error) on a fuzz
  input is a bug, and so is any exception out of ``main``;
- no traceback, on either stream;
- standard error holds only ``graphiam: error: ...`` / ``graphiam: warning: ...`` lines, at most one
  error, and exit code 2 has exactly one, last; exit code 2 writes nothing on standard output;
- nothing a terminal would interpret: no control character but newline (and tab on standard output),
  no C1, DEL, lone surrogate or other non-printable character (the streams are strict UTF-8, as a
  terminal's are, so an unencodable character fails the write);
- with ``--json`` and an answer (0 or 1), standard output is exactly one JSON value;
- (``benchmarks/fuzz.py``) no case is slow or stopped at its time limit.

The caller chooses the cache folder (``GRAPHIAM_CACHE_DIR``).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from . import mutations
from .mutations import CHECKS, DATA, argv_of

ALLOWED_CODES = frozenset({0, 1, 2, 3, 130})
INTERNAL_ERROR = 70
_WHERE = re.compile(r", in (graphiam/\S+\.py) line (\d+) \(run with --debug")


@dataclass
class Outcome:
    argv: list[str]
    code: int | None
    stdout: str
    stderr: str
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def internal_error(self) -> str | None:
        """The ``graphiam: internal error: ...`` line of an exit code 70, else ``None``."""
        if self.code != INTERNAL_ERROR:
            return None
        lines = [line for line in self.stderr.splitlines() if line.startswith("graphiam: internal error:")]
        return lines[-1] if lines else self.stderr.strip()[-500:]

    @property
    def where(self) -> str | None:
        """``graphiam/module.py`` of an internal error (the innermost frame of graphiam's code)."""
        match = _WHERE.search(self.internal_error or "")
        return match.group(1) if match else None

    @property
    def exception(self) -> str | None:
        line = self.internal_error
        if not line:
            return None
        return line.removeprefix("graphiam: internal error: ").split(":", 1)[0].split(" ", 1)[0]


class _Terminal(io.TextIOWrapper):
    """A stream like a UTF-8 terminal's: strict, so writing a lone surrogate fails as it would there."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", errors="strict", newline="\n", write_through=True)

    def text(self) -> str:
        self.flush()
        return self.buffer.getvalue().decode("utf-8", "backslashreplace")  # type: ignore[attr-defined]


def run_main(argv: Sequence[str], stdin: str = "") -> tuple[int | None, str, str, list[str]]:
    """``graphiam.cli.main(argv)`` with captured streams: its code, stdout, stderr and problems of the call itself."""
    from graphiam.cli import main

    out, err = _Terminal(), _Terminal()
    problems = []
    code: int | None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _stdin(stdin):
        try:
            code = main(list(argv))
        except SystemExit as stop:  # main returns its code; it should not raise
            code = stop.code if isinstance(stop.code, int) else None
            problems.append(f"main raised SystemExit({stop.code!r})")
        except CaseTimeout as error:
            code = None
            problems.append(f"timeout: {error}")
        except BaseException as error:  # noqa: BLE001 - this is what a fuzz is looking for
            code = None
            problems.append(f"main raised {type(error).__name__}: {error}\n{traceback.format_exc()}")
    return code, out.text(), err.text(), problems


@contextlib.contextmanager
def _stdin(text: str):
    import sys

    saved = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved


def _unsafe(text: str, allowed: str) -> list[str]:
    return sorted(repr(c) for c in set(text) if not c.isprintable() and c not in allowed)


def judge(code: int | None, stdout: str, stderr: str, *, as_json: bool, reports: bool = False) -> list[str]:
    """What is wrong with one run (empty: nothing). ``reports``: a ``check`` run, whose exit code 2 (an entry
    that could not be evaluated) comes with the report of every other entry on standard output."""
    problems = []
    if code == INTERNAL_ERROR:
        problems.append(f"internal error (exit code 70): {stderr.strip()[:1000]}")
    elif code not in ALLOWED_CODES:
        problems.append(f"exit code {code!r} is none of {sorted(ALLOWED_CODES)}")
    for name, text in (("stdout", stdout), ("stderr", stderr)):
        if "Traceback (most recent call last)" in text:
            problems.append(f"a traceback on {name}")
    lines = stderr.splitlines()
    strays = [line for line in lines if not line.startswith(("graphiam: error: ", "graphiam: warning: ",
                                                            "graphiam: internal error: "))]
    if strays:
        problems.append(f"stderr lines that are neither errors nor warnings: {strays[:3]!r}")
    errors = [line for line in lines if line.startswith("graphiam: error: ")]
    if len(errors) > 1:
        problems.append(f"{len(errors)} error lines: {errors[:3]!r}")
    if code == 2:
        if not errors or lines[-1] != errors[-1]:
            problems.append("exit code 2 without an error line last on stderr")
        if stdout and not reports:
            problems.append(f"exit code 2 with output on stdout: {stdout[:200]!r}")
    elif errors and code in (0, 1):
        problems.append(f"an error line with exit code {code}: {errors[0]!r}")
    for name, text, allowed in (("stdout", stdout, "\n\t"), ("stderr", stderr, "\n")):
        unsafe = _unsafe(text, allowed)
        if unsafe:
            problems.append(f"characters unsafe for a terminal on {name}: {', '.join(unsafe[:10])}")
    if as_json and (code in (0, 1) or reports and code == 2 and stdout):
        try:
            json.loads(stdout)
        except ValueError as error:
            problems.append(f"--json output is not one JSON value ({error}): {stdout[:200]!r}")
    return problems


def prepare(plan: dict, workdir: Path) -> list[str]:
    """Write the plan's files under ``workdir`` and return its argv (placeholders filled in)."""
    if plan.get("checks"):  # the check file is mutated; the snapshot is the sample's
        command = plan["command"]
        data = mutations.SAMPLE_DIR
        checks = workdir / mutations.CHECKS_FILE
        content = mutations.check_file(plan)
        if content is not None:
            checks.write_bytes(content)
    else:
        files, command = mutations.snapshot_case(plan)
        data = workdir / "snapshot"
        data.mkdir()
        for name, content in files.items():
            target = data / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        checks = mutations.SAMPLE_CHECKS
    replacements = {DATA: str(data), CHECKS: str(checks), "{OUT}": str(workdir / f"export.{command.get('format', 'jsonl')}")}
    return [replacements.get(arg, arg) for arg in argv_of(command)]


class CaseTimeout(BaseException):
    """A case ran past its time limit (a BaseException: graphiam's guard must not turn it into exit code 70)."""


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Raise :class:`CaseTimeout` in the main thread after ``seconds`` (POSIX; Python code only: a regular
    expression stuck inside the C engine is not interrupted, but it is reported as slow once it returns)."""
    import signal
    import threading

    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise CaseTimeout(f"over {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_plan(plan: dict, workdir: Path | None = None, *, timeout: float | None = None,
             slow: float | None = None) -> Outcome:
    """Run one plan (in ``workdir``, else a temporary folder) and judge it; a run over ``slow`` seconds,
    or stopped at ``timeout``, is a problem too."""
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="graphiam-fuzz-") as folder:
            return run_plan(plan, Path(folder), timeout=timeout, slow=slow)
    argv = prepare(plan, workdir)
    started = time.perf_counter()
    with _time_limit(timeout):
        code, stdout, stderr, problems = run_main(argv, plan["command"].get("stdin", ""))
    took = time.perf_counter() - started
    problems += judge(code, stdout, stderr, as_json="--json" in argv, reports=argv[:1] == ["check"])
    if slow is not None and took > slow:
        problems.append(f"slow: {took:.1f} s")
    return Outcome(argv, code, stdout, stderr, problems, seconds=took)


def debug_traceback(plan: dict) -> str:
    """The traceback ``--debug`` prints for a plan that crashes (standard error of the rerun)."""
    with tempfile.TemporaryDirectory(prefix="graphiam-fuzz-") as folder:
        argv = prepare(plan, Path(folder))
        _, _, stderr, problems = run_main(["--debug", *argv], plan["command"].get("stdin", ""))
    return stderr + "".join(problems)


def save_case(plan: dict, outcome: Outcome, folder: Path) -> None:
    """Keep a failing case: the plan, what happened, the traceback and the files it was run on."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plan.json").write_text(json.dumps(plan, indent=1))
    (folder / "outcome.json").write_text(json.dumps({
        "argv": outcome.argv, "code": outcome.code, "problems": outcome.problems,
        "stdout": outcome.stdout[:20_000], "stderr": outcome.stderr[:20_000], "where": outcome.where,
    }, indent=1))
    (folder / "traceback.txt").write_text(debug_traceback(plan), encoding="utf-8", errors="backslashreplace")
    files = folder / "files"
    with tempfile.TemporaryDirectory(prefix="graphiam-fuzz-") as work:
        prepare(plan, Path(work))
        shutil.copytree(work, files, dirs_exist_ok=True)
