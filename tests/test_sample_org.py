"""The bundled sample organization answers as data/SCENARIOS.md says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import graphiam

DATA = Path(__file__).resolve().parent.parent / "data"
CHECKS = json.loads((DATA / "sample-checks.json").read_text())["checks"]


@pytest.fixture(scope="module")
def sample():
    return graphiam.load(DATA / "sample-org")


def test_sample_is_realistic_in_size(sample):
    principals = sample.snapshot.all_principals()
    assert len(sample.snapshot.accounts) >= 4 and len(principals) >= 40
    assert sample.snapshot.warnings == ()  # nothing missing: every referenced policy is in the snapshot


@pytest.mark.parametrize("check", [c for c in CHECKS if "expect" in c], ids=lambda c: c["name"])
def test_every_sample_check_holds(sample, check):
    result = sample.path(check["source"], check["target"], check.get("action") or "sts:AssumeRole", check.get("service"))
    assert result.reachable == (check["expect"] == "reachable"), result.to_text()


@pytest.mark.parametrize("check", [c for c in CHECKS if "why" in c], ids=lambda c: c["name"])
def test_every_ticket_is_explained_and_agrees_with_the_layer_aws_blamed(sample, check):
    result = sample.why(check["why"])
    assert not result.reachable and result.blockers
    if result.reported.policy_type:
        assert result.reported.policy_type in {b.layer for b in result.blockers}


def test_w2_break_glass_needs_mfa(sample):
    result = sample.path("heidi", "BreakGlass")
    assert result.reachable and result.conditional
    keys = {c["key"] for hop in result.to_dict()["path"] for req in hop["conditions"] for c in req["conditions"]}
    assert keys == {"aws:MultiFactorAuthPresent"}


def test_b1_alice_is_blocked_by_trust_and_gets_a_verified_trust_fix(sample):
    result = sample.path("alice", "arn:aws:iam::333333333333:role/Deploy")
    assert [(b.layer, b.effect) for b in result.blockers] == [("trust", "implicit_deny")]
    (change,) = result.fix
    assert change == {"type": "add_trust_statement", "role": "arn:aws:iam::333333333333:role/Deploy", "statement": {
        "Sid": "TrustAliceFromAcmeIdentity", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:user/alice"},
        "Action": "sts:AssumeRole"}}


def test_b3_scp_deny_names_the_policy_and_the_ou(sample):
    result = sample.path("arn:aws:sts::444444444444:assumed-role/StagingCI/ci-build-1842", "arn:aws:iam::333333333333:role/Deploy")
    (blocker,) = result.blockers
    assert (blocker.layer, blocker.effect, blocker.sid, blocker.attached_to) == ("scp", "explicit_deny", "DenyNonProdToProd", "ou-ab12-nonprod1")
    assert result.fix == ()


def test_b6_rcp_stops_dave_but_not_erin(sample):
    dave = sample.path("dave", "ProdAdmin")
    assert [(b.layer, b.effect) for b in dave.blockers] == [("rcp", "explicit_deny")]
    assert sample.path("erin", "ProdAdmin").reachable


def test_dangling_and_external_trusts_are_reported(sample):
    facts = {(f["role"].rsplit("/", 1)[-1], f["kind"]) for f in sample.trust_facts}
    assert ("LegacyDeploy", "dangling") in facts
    assert ("LegacyDeploy", "external_account") in facts
    assert ("ExternalAuditor", "external_account") in facts
    vendor = [r for r in sample.who_can("ExternalAuditor") if r.arn == "arn:aws:iam::999999999999:root"]
    assert vendor and vendor[0].conditional  # sts:ExternalId, and the vendor's own policies


def test_the_generator_rewrites_the_committed_sample_byte_for_byte(tmp_path):
    import subprocess
    import sys

    # run as the README says (a script, from another folder), into a fresh folder
    subprocess.run([sys.executable, str(DATA / "make_sample_org.py"), "--output", str(tmp_path)],
                   cwd=tmp_path, check=True, capture_output=True, text=True)

    def generated(root: Path) -> dict[str, bytes]:
        paths = [root / "sample-checks.json", *sorted((root / "sample-org").rglob("*"))]
        return {str(p.relative_to(root)): p.read_bytes() for p in paths if p.is_file()}

    committed, written = generated(DATA), generated(tmp_path)
    assert sorted(written) == sorted(committed)
    assert [name for name in committed if written[name] != committed[name]] == []
