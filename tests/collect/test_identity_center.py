"""Collecting IAM Identity Center from moto's server, and answering questions on the collected snapshot.

The Identity Center comes from moto_identity_center.build_identity_center (on
top of moto_org.build_org); MOTO_NOTES.md says what moto does not do. The
collector runs in-process (``graphiam.collect.collect``) against the server,
over HTTP only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import graphiam
from graphiam.collect import CollectOptions, collect
from graphiam.collect.clients import ClientOptions
from graphiam.queries.identity_center import identity_center_facts
from graphiam.queries.paths import find_path

from .fault_proxy import GARBAGE, SERVER_ERROR, FaultProxy, Rule
from .moto_identity_center import IdentityCenterFacts, build_identity_center
from .moto_org import OrgFacts

NOT_IN_MOTO = "GetPermissionsBoundaryForPermissionSet"  # moto 5.2.5 answers HTTP 500: not implemented


@pytest.fixture
def center(moto_org: OrgFacts) -> IdentityCenterFacts:
    return build_identity_center(moto_org)


def run_collect(facts: OrgFacts, out: Path, endpoint: str | None = None, **options):
    # one attempt per call: moto's 500 for an unimplemented operation would otherwise be retried with back-off
    clients = ClientOptions(endpoint_url=endpoint or facts.endpoint_url, max_attempts=1)
    return collect(CollectOptions(output=out, clients=clients, org=True, workers=4, **options))


def read(out: Path) -> dict:
    return json.loads((out / "identity-center.json").read_text())


def test_the_file_holds_the_boto3_answers(moto_org: OrgFacts, center: IdentityCenterFacts, tmp_path: Path):
    out = tmp_path / "snapshot"
    report = run_collect(moto_org, out)
    assert report.identity_center["status"] == "ok" and not report.failed
    assert report.identity_center["counts"] == {"instances": 1, "users": 3, "groups": 2, "group_memberships": 2,
                                                "permission_sets": 3, "account_assignments": 4, "errors": 3}
    assert report.manifest["identity_center"]["file"] == "identity-center.json"
    (instance,) = read(out)["Instances"]
    assert (instance["InstanceArn"], instance["IdentityStoreId"]) == (center.instance_arn, center.identity_store_id)
    assert instance["OwnerAccountId"] == moto_org.management_account_id
    alice = next(u for u in instance["Users"] if u["UserName"] == "alice@example.com")
    assert alice["UserId"] == center.users["alice@example.com"] and alice["DisplayName"] == "Alice Liddell"
    assert alice["Emails"] == [{"Value": "alice@example.com", "Type": "work", "Primary": True}]
    assert {g["DisplayName"]: g["GroupId"] for g in instance["Groups"]} == center.groups
    assert {(m["GroupId"], m["MemberId"]["UserId"]) for m in instance["GroupMemberships"]} == {
        (center.groups["Admins"], center.users["alice@example.com"]), (center.groups["Readers"], center.users["bob"])}
    by_name = {p["PermissionSet"]["Name"]: p for p in instance["PermissionSets"]}
    admin = by_name["AdministratorAccess"]
    assert admin["PermissionSet"]["PermissionSetArn"] == center.permission_sets["AdministratorAccess"]
    assert json.loads(admin["InlinePolicy"])["Statement"][0]["Sid"] == "Logs"
    assert admin["AttachedManagedPolicies"] == [{"Name": "AdministratorAccess",
                                                 "Arn": "arn:aws:iam::aws:policy/AdministratorAccess"}]
    assert by_name["ReadOnly"]["CustomerManagedPolicyReferences"] == [{"Name": "AuditExtras", "Path": "/"}]
    assert by_name["Broken"]["InlinePolicy"] == "" and "PermissionsBoundary" not in by_name["Broken"]
    assert {(a["AccountId"], a["PermissionSetArn"], a["PrincipalType"], a["PrincipalId"])
            for a in instance["AccountAssignments"]} == {
        (moto_org.account_ids["prod"], center.permission_sets["AdministratorAccess"], "GROUP", center.groups["Admins"]),
        (moto_org.account_ids["nonprod"], center.permission_sets["ReadOnly"], "USER", center.users["bob"]),
        (moto_org.account_ids["sandbox"], center.permission_sets["ReadOnly"], "GROUP", center.groups["Readers"]),
        (moto_org.account_ids["prod"], center.permission_sets["Broken"], "USER",
         center.users["carol@example.com"])}
    assert "ResponseMetadata" not in json.dumps(read(out))


def test_a_call_moto_does_not_implement_is_recorded_and_the_rest_collected(moto_org: OrgFacts,
                                                                           center: IdentityCenterFacts, tmp_path: Path):
    """moto has no get_permissions_boundary_for_permission_set: each call fails (HTTP 500, code "500"); the
    collector records it in the file's Errors and the manifest's warnings, and the reader warns."""
    out = tmp_path / "snapshot"
    report = run_collect(moto_org, out)
    errors = read(out)["Errors"]
    assert {e["Operation"] for e in errors} == {NOT_IN_MOTO}
    assert {e["PermissionSetArn"] for e in errors} == set(center.permission_sets.values())
    assert {e["ErrorCode"] for e in errors} == {"500"}
    assert len(report.identity_center["warnings"]) == 3
    assert all(w.startswith(f"{NOT_IN_MOTO} (PermissionSetArn ") for w in report.identity_center["warnings"])
    warnings = graphiam.load(out).warnings
    boundary = [w for w in warnings if NOT_IN_MOTO in w]
    assert len(boundary) == 3 and all("permissions boundary is unknown" in w for w in boundary)


def test_the_collected_snapshot_answers_who_signs_in_where(moto_org: OrgFacts, center: IdentityCenterFacts,
                                                           tmp_path: Path):
    out = tmp_path / "snapshot"
    run_collect(moto_org, out)
    access = graphiam.load(out)
    alice = access.resolve("alice@example.com")
    assert alice == f"arn:aws:identitystore::{center.identity_store_id}:user/{center.users['alice@example.com']}"
    assert access.resolve("bob@example.com") == access.resolve("bob")  # an email, and a user name
    admin_role, read_role = center.role("AdministratorAccess", "prod"), center.role("ReadOnly", "nonprod")
    assert admin_role in {row.arn for row in access.reach("alice@example.com")}
    (hop,) = find_path(access.graph, alice, admin_role)
    assert hop.action == "sts:AssumeRoleWithSAML" and not hop.conditional
    assert [a["name"] for a in access.graph.edges[alice, admin_role, "can_assume"]["identity_center"]["assignments"]] \
        == ["Admins"]
    rows = {row.arn: row for row in access.who_can(read_role)}
    assert rows[access.resolve("bob")].action == "sts:AssumeRoleWithSAML"
    # carol's role wants another SAML audience: the engine's decision, with Identity Center's sign-in, denies it
    carol = access.resolve("carol@example.com")
    assert access.reach(carol) == []
    (denied,) = identity_center_facts(access.graph, carol)
    assert (denied["kind"], denied["role"]) == ("trust_denies", center.role("Broken", "prod"))
    # Readers have ReadOnly in sandbox, where no role was provisioned
    missing = identity_center_facts(access.graph, f"arn:aws:iam::{moto_org.account_ids['sandbox']}:root")
    assert [(f["kind"], f["permission_set_name"]) for f in missing] == [("role_not_provisioned", "ReadOnly")]
    assert missing[0]["principals"] == [f"arn:aws:identitystore::{center.identity_store_id}:group/"
                                        f"{center.groups['Readers']}"]


def test_path_from_an_identity_center_user_on_the_collected_snapshot(moto_org: OrgFacts, center: IdentityCenterFacts,
                                                                     tmp_path: Path):
    out = tmp_path / "snapshot"
    run_collect(moto_org, out)
    result = graphiam.load(out).path("alice@example.com", center.role("AdministratorAccess", "prod"))
    assert result.reachable and not result.conditional
    assert [hop.action for hop in result.path] == ["sts:AssumeRoleWithSAML"]


def test_resume_skips_identity_center_when_its_file_is_there(moto_org: OrgFacts, center: IdentityCenterFacts,
                                                             tmp_path: Path):
    out = tmp_path / "snapshot"
    first = run_collect(moto_org, out)
    before = (out / "identity-center.json").stat().st_mtime_ns
    again = run_collect(moto_org, out, resume=True)
    assert again.identity_center["status"] == "skipped"
    assert again.identity_center["counts"] == first.identity_center["counts"]
    assert (out / "identity-center.json").stat().st_mtime_ns == before
    (out / "identity-center.json").unlink()
    assert run_collect(moto_org, out, resume=True).identity_center["status"] == "ok"


def test_without_identity_center_no_file_and_no_record(moto_org: OrgFacts, tmp_path: Path):
    out = tmp_path / "snapshot"
    report = run_collect(moto_org, out, identity_center=False)
    assert report.manifest["identity_center"] is None and not (out / "identity-center.json").exists()


def test_list_instances_failing_fails_identity_center_only(moto_org: OrgFacts, center: IdentityCenterFacts,
                                                           tmp_path: Path):
    out = tmp_path / "snapshot"
    with FaultProxy(moto_org.endpoint_url, default_account=moto_org.management_account_id) as proxy:
        proxy.add(Rule(SERVER_ERROR, operation="ListInstances"))
        report = run_collect(moto_org, out, endpoint=proxy.url)
    record = report.identity_center
    assert record["status"] == "failed" and record["error"].startswith("ListInstances: ") and report.identity_center_failed
    assert not report.failed and not (out / "identity-center.json").exists()  # every account was collected
    warnings = graphiam.load(out).warnings
    assert any(f"IAM Identity Center could not be collected ({record['error_code']})" in w for w in warnings)


def test_a_broken_listing_is_recorded_and_the_rest_collected(moto_org: OrgFacts, center: IdentityCenterFacts,
                                                             tmp_path: Path):
    out = tmp_path / "snapshot"
    with FaultProxy(moto_org.endpoint_url, default_account=moto_org.management_account_id) as proxy:
        proxy.add(Rule(GARBAGE, operation="ListUsers"))
        report = run_collect(moto_org, out, endpoint=proxy.url)
    assert report.identity_center["status"] == "ok"
    data = read(out)
    assert "Users" not in data["Instances"][0] and data["Instances"][0]["Groups"]
    assert {"ListUsers", NOT_IN_MOTO} == {e["Operation"] for e in data["Errors"]}
    (broken,) = [e for e in data["Errors"] if e["Operation"] == "ListUsers"]
    assert broken["ErrorCode"] == "ResponseParserError"
    access = graphiam.load(out)
    assert any("ListUsers failed (ResponseParserError): its users are unknown" in w for w in access.warnings)
    assert not [n for n, d in access.graph.nodes(data=True) if d.get("kind") == "sso_user"]
    unknown = [f for f in access.graph.graph["identity_center_facts"] if f["kind"] == "unknown_principal"]
    assert {f["permission_set_name"] for f in unknown} == {"ReadOnly", "Broken"}  # the USER assignments


# -- what moto does with Identity Center (MOTO_NOTES.md) ------------------------------------------------

def test_moto_quirk_identity_center_provisioning(moto_org: OrgFacts, center: IdentityCenterFacts):
    sso = moto_org.client("sso-admin")
    arn = center.permission_sets["ReadOnly"]
    assert arn.startswith(f"{center.instance_arn}/ps-")  # AWS: arn:aws:sso:::permissionSet/ssoins-.../ps-...
    # provisioning always lands in the caller's (management) account, whatever the TargetId
    assert sso.list_accounts_for_provisioned_permission_set(InstanceArn=center.instance_arn, PermissionSetArn=arn)[
        "AccountIds"] == [moto_org.management_account_id]
    # and the per-account listing ignores AccountId: every provisioned permission set, for any account
    listed = sso.list_permission_sets_provisioned_to_account(InstanceArn=center.instance_arn,
                                                              AccountId="999999999999")["PermissionSets"]
    assert set(listed) == set(center.permission_sets.values())
    # no role, no SAML provider: the sandbox account (where build_identity_center made none) has neither
    iam = moto_org.member_client("sandbox", "iam")
    assert not [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("AWSReservedSSO_")]
    assert iam.list_saml_providers()["SAMLProviderList"] == []
