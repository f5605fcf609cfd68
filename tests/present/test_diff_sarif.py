"""``graphiam diff --sarif``: one SARIF 2.1.0 run of the paths a change opens and the findings it adds, valid
against the OASIS schema beside this file (see ``test_sarif.py`` for where it comes from and its digest)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from pathlib import Path

import jsonschema
import pytest

from builders import Org, allow, role_arn, trust, trust_arn, user_arn
from graphiam.access import load
from graphiam.present.sarif import (NEW_PATH_FINGERPRINT, NEW_PATH_RULE, SARIF_SCHEMA, diff_sarif_log, sarif_text,
                                    write_diff_sarif)
from graphiam.queries.diff import diff_graphs
from graphiam.queries.findings import RULES, findings
from graphiam.version import __version__

HERE = Path(__file__).resolve().parent
SCHEMA_FILE = HERE / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
DEV, PROD = "222222222222", "333333333333"
ALICE, BOB = user_arn(DEV, "alice"), user_arn(DEV, "bob")
CI, ADMIN = role_arn(DEV, "CI"), role_arn(PROD, "ProdAdmin")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["id"] == SARIF_SCHEMA
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def errors(validator, log) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]


def org(opened: bool) -> Org:
    """bob reaches CI; the change lets CI (and so bob) into ProdAdmin, and anyone too (statement Anyone)."""
    built = Org(management="111111111111")
    built.account("111111111111")
    dev = built.account(DEV)
    dev.user("alice", allow("sts:AssumeRole", "*"))
    dev.user("bob", allow("sts:AssumeRole", CI))
    dev.role("CI", allow("sts:AssumeRole", "*"), trusts=trust_arn(BOB))
    prod = built.account(PROD)
    trusts = [trust_arn(ALICE, sid="Alice")]
    if opened:
        trusts += [trust_arn(CI, sid="FromCI"), trust("*", sid="Anyone")]
    prod.role("ProdAdmin", allow("*", "*"), trusts=trusts)
    built.full_access_everywhere()
    return built


def diff_of(tmp_path: Path, sensitive=("arn:aws:iam::*:role/ProdAdmin",)):
    old, new = load(org(False).write(tmp_path / "old")), load(org(True).write(tmp_path / "new"))
    found = tuple(findings(a.snapshot, a.graph, a.engine, privesc_result=a.privesc()) for a in (old, new))
    return diff_graphs(old.graph, new.graph, sensitive, findings=found), new


def test_the_diff_log_is_valid_sarif_and_names_the_opened_path(validator, tmp_path):
    result, new = diff_of(tmp_path)
    log = diff_sarif_log(result, __version__, new.snapshot, base=tmp_path)
    assert errors(validator, log) == []
    (run,) = log["runs"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rules == [r.id for r in RULES] + ["GIAMD001"]
    paths = [r for r in run["results"] if r["ruleId"] == NEW_PATH_RULE.id]
    assert len(paths) == len(result.opened) >= 3
    bob = next(r for r in paths if r["properties"]["source"] == BOB)
    chain = f"{BOB} -> {CI} -> {ADMIN}"
    assert chain in bob["message"]["text"] and bob["properties"]["chain"] == [BOB, CI, ADMIN]
    assert rules[bob["ruleIndex"]] == "GIAMD001" and bob["level"] == "error" and bob["baselineState"] == "new"
    # the location is the statement that grants the new hop: ProdAdmin's trust statement FromCI, in prod's file
    (location,) = bob["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == f"new/{PROD}.json"
    line = location["physicalLocation"]["region"]["startLine"]
    assert '"Sid": "FromCI"' in (tmp_path / "new" / f"{PROD}.json").read_text().splitlines()[line - 1]
    assert location["logicalLocations"][1]["fullyQualifiedName"] == f"{ADMIN} trust policy statement FromCI"
    # CI's identity statement, in dev's file, is the related location
    assert [r["physicalLocation"]["artifactLocation"]["uri"] for r in bob["relatedLocations"]] == [f"new/{DEV}.json"]
    assert "(account 222222222222)" in bob["relatedLocations"][0]["message"]["text"]
    assert len({r["partialFingerprints"][NEW_PATH_FINGERPRINT] for r in paths}) == len(paths)
    # the findings the change adds, under their own rules
    added = [r for r in run["results"] if r["ruleId"] != NEW_PATH_RULE.id]
    assert {r["ruleId"] for r in added} == {c.rule for c in result.findings_added} >= {"GIAM001", "GIAM009"}
    public = next(r for r in added if r["ruleId"] == "GIAM001")
    assert rules[public["ruleIndex"]] == "GIAM001" and public["properties"]["sid"] == "Anyone"
    assert public["properties"]["account"] == PROD and public["baselineState"] == "new"


def test_the_validator_rejects_a_broken_diff_log(validator, tmp_path):
    result, new = diff_of(tmp_path)
    log = diff_sarif_log(result, __version__, new.snapshot, base=tmp_path)
    path = next(r for r in log["runs"][0]["results"] if r["ruleId"] == NEW_PATH_RULE.id)
    del path["message"]
    path["baselineState"] = "brand-new"
    assert len(errors(validator, log)) == 2


def test_nothing_opened_is_an_empty_valid_run(validator, tmp_path):
    result, new = diff_of(tmp_path, sensitive=("arn:aws:iam::*:role/Nothing",))
    log = diff_sarif_log(diff_graphs(new.graph, new.graph, ()), __version__, new.snapshot)
    assert errors(validator, log) == [] and log["runs"][0]["results"] == []
    only_findings = diff_sarif_log(result, __version__, new.snapshot, base=tmp_path)
    assert {r["ruleId"] for r in only_findings["runs"][0]["results"]} == {c.rule for c in result.findings_added}


def test_write_diff_sarif_and_the_command(validator, tmp_path):
    result, new = diff_of(tmp_path)
    target = tmp_path / "out.sarif"
    write_diff_sarif(target, result, __version__, new.snapshot, base=tmp_path)
    text = target.read_text(encoding="utf-8")
    assert text.isascii() and json.loads(text) == json.loads(sarif_text(diff_sarif_log(result, __version__,
                                                                                        new.snapshot, tmp_path)))
    from graphiam.cli import main

    written = tmp_path / "cli.sarif"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["diff", "--old", str(tmp_path / "old"), "--new", str(tmp_path / "new"), "--sensitive", "admin",
                     "--sarif", str(written)])
    assert code == 1
    log = json.loads(written.read_text(encoding="utf-8"))
    assert errors(validator, log) == []
    assert any(r["ruleId"] == "GIAMD001" and r["properties"]["target"] == ADMIN for r in log["runs"][0]["results"])
    assert not list(tmp_path.glob(".cli.sarif.*.tmp"))


def test_an_unwritable_sarif_file_is_exit_code_2(tmp_path):
    org(False).write(tmp_path / "old")
    from graphiam.cli import main

    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["diff", "--old", str(tmp_path / "old"), "--new", str(tmp_path / "old"),
                     "--sarif", str(tmp_path / "no" / "such" / "x.sarif")])
    assert code == 2 and err.getvalue().startswith("graphiam: error: ") and err.getvalue().count("\n") == 1
