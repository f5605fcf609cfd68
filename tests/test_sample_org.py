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
    if check.get("escalation") and check["target"] == "admin":
        result = sample.becomes_admin(check["source"])
    elif check.get("escalation"):
        result = sample.path(check["source"], check["target"], escalation=True)
    else:
        result = sample.path(check["source"], check["target"], check.get("action") or "sts:AssumeRole",
                             check.get("service"))
    assert result.reachable == (check["expect"] == "reachable"), result.to_text()


def test_the_sample_checks_show_escalation_routes_and_near_misses():
    escalation = [c for c in CHECKS if c.get("escalation")]
    assert {c["expect"] for c in escalation} == {"reachable", "unreachable"}
    assert {c["expect"] for c in escalation if c["target"] == "admin"} == {"reachable", "unreachable"}


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


STAGING = "444444444444"
IDENTITY = "222222222222"


def technique_ids(result) -> list[str]:
    return [hop["technique"]["id"] for hop in result.to_dict()["path"] if hop["technique"]]


def test_e1_build_bot_reaches_codebuild_admin_only_through_the_codebuild_technique(sample):
    bot, role = f"arn:aws:iam::{STAGING}:user/service/build-bot", f"arn:aws:iam::{STAGING}:role/CodeBuildAdmin"
    assert not sample.path(bot, role).reachable
    result = sample.path(bot, role, escalation=True)
    assert result.reachable and not result.conditional
    assert technique_ids(result) == ["codebuild-create-project-start-build"]


def test_e2_iam_helper_rewrites_staging_deploy_trust(sample):
    helper = f"arn:aws:iam::{STAGING}:user/service/iam-helper"
    assert not sample.path(helper, "StagingDeploy").reachable
    result = sample.path(helper, "StagingDeploy", escalation=True)
    assert result.reachable and technique_ids(result) == ["iam-update-assume-role-policy"]


def test_e3_access_provisioner_is_the_only_principal_that_can_become_an_administrator(sample):
    admins, rows = sample.privesc()
    provisioner = f"arn:aws:iam::{IDENTITY}:user/service/access-provisioner"
    assert provisioner not in admins
    assert [(r.principal, r.technique.technique.id) for r in rows] == [(provisioner, "iam-put-user-policy")]


def test_n1_the_staging_scp_is_what_stops_packer_ci(sample):
    ci, role = f"arn:aws:iam::{STAGING}:user/service/packer-ci", f"arn:aws:iam::{STAGING}:role/packer-build-instance"
    assert sample.path(ci, role, "iam:PassRole", "ec2.amazonaws.com").reachable  # the pass alone is allowed
    result = sample.path(ci, role, escalation=True)
    assert not result.reachable
    (run,) = [m for m in result.to_dict()["near_misses"] if m["technique"] == "ec2-run-instances"]
    (missing,) = run["missing"]
    assert missing["action"] == "ec2:RunInstances"
    assert [(b["layer"], b["effect"], b["sid"], b["attached_to"]) for b in missing["blockers"]] == [
        ("scp", "explicit_deny", "NoEC2InstancesInStaging", STAGING)]


def test_n2_peggy_is_kept_from_administrator_by_her_boundary_alone(sample):
    from dataclasses import replace

    peggy = f"arn:aws:iam::{IDENTITY}:user/contractors/peggy"
    assert not sample.becomes_admin(peggy).reachable
    user = sample.snapshot.accounts[IDENTITY].users[peggy]
    unbounded = graphiam.AccessGraph(sample.snapshot.with_principal(replace(user, permissions_boundary_arn=None)))
    assert unbounded.becomes_admin(peggy).reachable


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
