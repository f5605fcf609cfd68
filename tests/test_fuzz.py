"""Fuzzing the command line: mutated sample organizations and check files, run in-process.

Each example is a plan (tests/fuzz/mutations.py): mutations of ``data/sample-org`` (keys deleted,
types changed, strings replaced by hostile ones: control characters, ANSI escapes, ``</script>``,
template placeholders, lone surrogates, 100,000 characters; entities duplicated, JSON truncated or
nested 100,000 deep, integers of 50,000 digits, URL-encoded garbage policy documents, byte order
marks, bytes that are not UTF-8 ...) or of ``data/sample-checks.json``, and a command (path, why,
reach, who-can, check, export to a JSON Lines file, build; text or ``--json``; cached or
``--no-cache``). ``graphiam.cli.main`` runs it with strict UTF-8 streams, and tests/fuzz/harness.py
judges what it did: an exit code of 0, 1, 2, 3 or 130 (never 70: an internal error on a fuzz
input is a bug), no traceback, one-line errors, nothing unsafe for a terminal, one JSON value with
``--json``.

Example counts are bounded for CI (250, 150 and 200 examples: the whole file takes 15 to 20 s on
2 cores) and derandomized, so a CI run is reproducible; ``GRAPHIAM_FUZZ_EXAMPLES=N`` runs N
examples per test with fresh randomness. ``benchmarks/fuzz.py --cases N --seed S`` runs thousands of cases without shrinking.

A crash the fuzz finds in a module this suite's owner does not own is kept below as a minimal
input in a test marked ``xfail(strict=True)`` naming the module, and its signature (module,
exception) goes into ``KNOWN_CRASHES`` so the fuzz tests tolerate it meanwhile. When the owner
fixes it, the xfail test passes, strict makes that a failure, and both entries are removed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from fuzz import harness, mutations
from fuzz.strategies import check_plans, commands, mutations as mutation_strategy, snapshot_plans

CUSTOM = int(os.environ.get("GRAPHIAM_FUZZ_EXAMPLES", "0") or 0)


def fuzz_settings(examples: int) -> settings:
    return settings(max_examples=CUSTOM or examples, deadline=None, derandomize=not CUSTOM, database=None,
                    print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])


# (module of the innermost graphiam frame, exception type) of crashes that have an xfail test below, and the
# test's name. None now: what the fuzz found first (RecursionError and ValueError in snapshot/read.py on deep
# nesting and long integers; UnicodeEncodeError in present/export.py and graph/index.py on lone surrogates)
# was fixed in the reader (limits, lone surrogates refused) before these tests were committed.
KNOWN_CRASHES: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module", autouse=True)
def _fuzz_cache(tmp_path_factory: pytest.TempPathFactory):
    """A cache folder of the fuzz's own: every mutated snapshot is a new entry."""
    folder = tmp_path_factory.mktemp("fuzz-cache")
    saved = os.environ.get("GRAPHIAM_CACHE_DIR")
    os.environ["GRAPHIAM_CACHE_DIR"] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop("GRAPHIAM_CACHE_DIR", None)
    else:
        os.environ["GRAPHIAM_CACHE_DIR"] = saved
    shutil.rmtree(folder, ignore_errors=True)


def check(plan: dict) -> harness.Outcome:
    note(f"plan: {plan!r}")
    outcome = harness.run_plan(plan)
    note(f"argv: {outcome.argv!r}\nexit code: {outcome.code}\nstderr: {outcome.stderr[:2000]!r}")
    if outcome.code == harness.INTERNAL_ERROR and (outcome.where, outcome.exception) in KNOWN_CRASHES:
        return outcome  # a known bug of another module, kept by its xfail test
    if outcome.problems and outcome.code == harness.INTERNAL_ERROR:
        note(harness.debug_traceback(plan))
    assert not outcome.problems, "\n".join(outcome.problems)
    return outcome


# -- planted examples: each kind of hostile input at least once, whatever the random draw --------------------

def _plan(*mutation_list: dict, **command) -> dict:
    return {"mutations": list(mutation_list), "command": {"json": False, "cache": False, **command}}


def _hostile(match: str, value: str, *, policy: bool = False) -> dict:
    """``value`` appended to every ``match`` in the sample (inside policy documents with ``policy``)."""
    hostile = {"kind": "hostile", "match": match, "value": value, "how": "append"}
    return {"kind": "policy", "match": match, "encode": "url", "inner": hostile} if policy else hostile


ESCAPES = "\x1b[31mred\x1b[0m\x1b]0;pwned\x07\nREACHABLE: forged\r\x00\x7f\x85\x9b\u202e\u2028"
PLACEHOLDERS = "{{DATA_JSON}}{{TITLE}}/*VIS_JS*//*VIS_CSS*/</script>"
PLANTED = [
    # a hostile policy name, Sid and condition value, in text answers, in JSON, in a table's note
    _plan(_hostile("HubOnward", ESCAPES), name="path", source="grace", target="AppConfig"),
    _plan(_hostile("HubOnward", ESCAPES), name="path", source="grace", target="AppConfig", json=True, cache=True),
    _plan(_hostile("MFAOnly", ESCAPES, policy=True), name="path", source="heidi", target="BreakGlass"),
    _plan(_hostile("acme-partner-7f3k", ESCAPES, policy=True), name="who-can", target="PartnerIntake"),
    _plan(_hostile("acme-7f3a91", ESCAPES, policy=True), name="check"),
    _plan(_hostile("HubOnward", PLACEHOLDERS), name="export", format="jsonl"),
    _plan(_hostile("HubOnward", mutations.LONG), name="why", message=mutations.tickets()[0]),
    # the reader's limits and encodings
    _plan({"kind": "nest", "file": 1, "at": 3, "focus": True, "n": 100_000}, name="build"),
    _plan({"kind": "bigint", "file": 1, "at": 3, "focus": True, "n": 50_000}, name="reach", source="grace"),
    _plan({"kind": "truncate", "file": 3, "fraction": 0.5}, name="path", source="grace", target="AppConfig"),
    _plan({"kind": "bom", "file": 0}, {"kind": "utf16", "file": 1}, name="path", source="grace", target="AppConfig"),
    _plan({"kind": "badbyte", "file": 2, "fraction": 0.3, "value": 0xe9}, name="who-can", target="Deploy"),
    _plan({"kind": "copy_file", "file": 2}, name="who-can", target="Deploy"),
    _plan({"kind": "duplicate", "file": 1, "at": 1, "focus": True}, name="check"),
    _plan({"kind": "garbage_doc", "file": 1, "at": 0, "focus": True, "value": "%7B%22Statement%22%3A"}, name="why",
          message=mutations.tickets()[0]),
    _plan({"kind": "retype", "file": 2, "at": 0, "focus": True, "value": None}, name="why",
          message=mutations.why_message("{PICK:3}", "sts:AssumeRole", "{PICK:30}")),
    # hostile arguments: a name and a context value that are not text a terminal should get
    _plan(name="reach", source="x\udcff\x1b[2J"),
    _plan(name="path", source="grace", target="AppConfig", context=["aws:SourceIp=\x1b[31m\udcff"]),
]


def with_examples(plans: list[dict]):
    """Run each plan as an explicit example (before the drawn ones)."""
    def decorate(test):
        for plan in reversed(plans):
            test = example(plan=plan)(test)
        return test
    return decorate


@fuzz_settings(250)
@with_examples(PLANTED)
@given(plan=snapshot_plans())
def test_mutated_snapshots_get_an_answer_or_one_error_line(plan):
    check(plan)


@fuzz_settings(150)
@given(plan=st.fixed_dictionaries({
    "mutations": st.lists(mutation_strategy(("hostile", "policy")), min_size=1, max_size=3),
    "command": commands(("path", "why", "reach", "who-can", "check", "build", "export")).map(
        lambda c: {**c, "json": False}),
}))
def test_hostile_strings_reach_the_terminal_only_escaped(plan):
    """Text output (not --json) of snapshots whose strings hold escapes, controls and surrogates."""
    check(plan)


PLANTED_CHECKS = [
    {"checks": True, "command": {"name": "check", "json": False, "cache": True}, "mutations": mutation_list}
    for mutation_list in (
        [{"kind": "retype", "file": 0, "at": 3, "focus": True, "value": 1}],
        [{"kind": "retype", "file": 0, "at": 2, "focus": True, "value": None}],
        [{"kind": "hostile", "file": 0, "at": 1, "focus": True, "value": "\x1b[2J\nFAIL forged", "how": "append"}],
        [{"kind": "bom", "file": 0}],
        [{"kind": "badbyte", "file": 0, "fraction": 0.5, "value": 0xff}],
        [{"kind": "nest", "file": 0, "at": 0, "focus": True, "n": 100_000}],
        [{"kind": "truncate", "file": 0, "fraction": 0.7}],
        [{"kind": "utf16", "file": 0}],
        [{"kind": "retype", "file": 0, "at": 0, "focus": True, "value": {"a": 1}}],
    )
]


@fuzz_settings(200)
@with_examples(PLANTED_CHECKS)
@given(plan=check_plans())
def test_mutated_check_files_get_an_answer_or_one_error_line(plan):
    outcome = check(plan)
    if outcome.code == 2:
        assert outcome.stderr.startswith("graphiam: error: ")


def test_the_harness_sees_a_crash(monkeypatch):
    """The fuzz can only pass if it can fail: a planted bug must come out as exit code 70 and a problem."""
    import graphiam.cli as cli

    def broken(*args, **kwargs):
        raise ZeroDivisionError("planted")

    monkeypatch.setattr(cli, "_run", broken)
    outcome = harness.run_plan(_plan(name="reach", source="grace"))
    assert outcome.code == 70 and outcome.where == "graphiam/cli.py" and outcome.exception == "ZeroDivisionError"
    assert any("internal error" in problem for problem in outcome.problems)


def test_the_harness_sees_unsafe_output():
    assert harness.judge(0, "ok \x1b[31m\n", "", as_json=False)
    assert harness.judge(0, "ok\n", "graphiam: warning: a\x85b\n", as_json=False)
    assert harness.judge(2, "", "graphiam: error: one\ngraphiam: error: two\n", as_json=False)
    assert harness.judge(0, "{", "", as_json=True)
    assert harness.judge(0, "fine\ttab\n", "graphiam: warning: fine\n", as_json=False) == []


def test_plans_are_data_and_replay_the_same_files():
    import json
    import random

    plan = mutations.random_snapshot_plan(random.Random(7))
    again = json.loads(json.dumps(plan))
    assert mutations.snapshot_case(again) == mutations.snapshot_case(plan)
    assert Path(mutations.SAMPLE_DIR).is_dir()
