"""Reading the identity-center file: the model it gives, the shape it is recognised by, one-line errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from builders import Org, allow
from graphiam.snapshot.model import (
    AccountAssignment,
    CustomerManagedPolicyReference,
    GroupMembership,
    IdentityCenter,
    PermissionSetBoundary,
)
from graphiam.snapshot.read import SnapshotError, load_snapshot, snapshot_from_data

MANAGEMENT, DEV, PROD = "111111111111", "222222222222", "333333333333"
FILE = "identity-center.json"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


def org_with_center() -> tuple[Org, dict]:
    """alice (two emails, in Admins), bob; AdministratorAccess (inline + managed + boundary), ReadOnly (customer
    managed, a customer managed boundary); Admins get AdministratorAccess in prod, bob ReadOnly in dev."""
    org = Org()
    for account_id in (MANAGEMENT, DEV, PROD):
        org.account(account_id)
    center = org.identity_center()
    ids = {"alice": center.user("alice@example.com", display_name="Alice",
                                emails=["alice@example.com", "alice.l@example.org"]),
           "bob": center.user("bob", emails=["bob@example.com"])}
    ids["admins"] = center.group("Admins", members=[ids["alice"]], description="people who run things")
    ids["admin"] = center.permission_set("AdministratorAccess", allow("logs:*"), managed=[ADMIN_POLICY],
                                         boundary="arn:aws:iam::aws:policy/PowerUserAccess", session_duration="PT8H")
    ids["read"] = center.permission_set("ReadOnly", customer_managed=["AuditExtras", ("/team/", "TeamRead")],
                                        boundary=("/", "ReadBoundary"), description="read everything")
    center.assign(PROD, ids["admin"], group=ids["admins"])
    center.assign(DEV, ids["read"], user=ids["bob"])
    return org, ids


def files_of(org: Org) -> list[tuple[str, dict]]:
    return org.files()


def with_center_file(org: Org, change) -> list[tuple[str, dict]]:
    """The org's files with ``change(data)`` applied to (a copy of) the identity-center file."""
    out = []
    for name, data in org.files():
        if name == FILE:
            data = copy.deepcopy(data)
            change(data)
        out.append((name, data))
    return out


def instance(data: dict) -> dict:
    return data["Instances"][0]


# -- the model ----------------------------------------------------------------------------------

def test_the_file_is_read_into_the_model():
    org, ids = org_with_center()
    center = org.snapshot().identity_center
    assert isinstance(center, IdentityCenter) and center.source == FILE
    assert center.instance_arn == org.center.instance_arn and center.identity_store_id == org.center.identity_store_id
    assert center.owner_account_id == MANAGEMENT and center.partition == "aws"
    alice = center.users[ids["alice"]]
    assert (alice.user_name, alice.display_name, alice.emails) == (
        "alice@example.com", "Alice", ("alice@example.com", "alice.l@example.org"))
    assert center.users[ids["bob"]].display_name is None
    admins = center.groups[ids["admins"]]
    assert (admins.display_name, admins.description) == ("Admins", "people who run things")
    assert center.memberships == (GroupMembership(ids["admins"], ids["alice"], center.memberships[0].membership_id),)
    assert center.groups_of(ids["alice"]) == (ids["admins"],) and center.members_of(ids["admins"]) == (ids["alice"],)
    admin = center.permission_sets[ids["admin"]]
    assert (admin.name, admin.session_duration, admin.managed_policy_arns) == ("AdministratorAccess", "PT8H",
                                                                               (ADMIN_POLICY,))
    assert admin.inline_policy is not None and admin.inline_policy.statements[0].actions == ("logs:*",)
    assert admin.permissions_boundary == PermissionSetBoundary(managed_policy_arn="arn:aws:iam::aws:policy/PowerUserAccess")
    assert admin.provisioned_accounts == (PROD,)
    read = center.permission_sets[ids["read"]]
    assert read.inline_policy is None and read.description == "read everything"
    assert read.customer_managed_policies == (CustomerManagedPolicyReference("AuditExtras", "/"),
                                              CustomerManagedPolicyReference("TeamRead", "/team/"))
    assert read.customer_managed_policies[1].arn_in(DEV) == f"arn:aws:iam::{DEV}:policy/team/TeamRead"
    assert read.permissions_boundary == PermissionSetBoundary(
        customer_managed_policy=CustomerManagedPolicyReference("ReadBoundary", "/"))
    assert set(center.assignments) == {AccountAssignment(PROD, ids["admin"], "GROUP", ids["admins"]),
                                       AccountAssignment(DEV, ids["read"], "USER", ids["bob"])}
    assert center.incomplete == ()


def test_a_snapshot_without_the_file_has_no_identity_center():
    org = Org()
    org.account(DEV).user("alice")
    assert org.snapshot().identity_center is None


def test_the_file_is_recognised_by_its_shape_in_a_folder(tmp_path: Path):
    org, _ = org_with_center()
    folder = org.write(tmp_path / "snapshot")
    (folder / "nested").mkdir()
    (folder / FILE).rename(folder / "nested" / "sso-export.json")
    # other AWS answers with an Instances list are not Identity Center's: skipped, not an error
    (folder / "ec2-run-instances.json").write_text(json.dumps({"Instances": [{"InstanceId": "i-0abc"}],
                                                               "ReservationId": "r-1"}))
    snapshot = load_snapshot([folder])
    assert snapshot.identity_center is not None and snapshot.identity_center.source.endswith("sso-export.json")
    assert any("ec2-run-instances.json is not an account" in w for w in snapshot.warnings)


def test_the_collectors_errors_become_warnings_naming_what_is_unknown():
    org, ids = org_with_center()
    org.center.errors = [
        {"Operation": "GetPermissionsBoundaryForPermissionSet", "ErrorCode": "500", "Message": "not implemented",
         "InstanceArn": org.center.instance_arn, "PermissionSetArn": ids["admin"]},
        {"Operation": "ListGroupMemberships", "ErrorCode": "AccessDeniedException", "Message": "denied",
         "GroupId": ids["admins"]},
    ]
    snapshot = org.snapshot()
    expected = (f"{FILE}: the collector's GetPermissionsBoundaryForPermissionSet for permission set {ids['admin']} "
                "failed (500): the permission set's permissions boundary is unknown (access is decided on the roles "
                "it provisioned, which the account files hold)",
                f"{FILE}: the collector's ListGroupMemberships for group {ids['admins']} failed "
                "(AccessDeniedException): the group's members are unknown, so sign-ins through the group are missing")
    assert snapshot.identity_center.incomplete == expected
    assert all(w in snapshot.warnings for w in expected)


def test_no_instance_is_a_warning_not_an_error():
    org, _ = org_with_center()
    snapshot = snapshot_from_data(with_center_file(org, lambda d: d.update(Instances=[])))
    assert snapshot.identity_center is None
    assert f"{FILE} lists no IAM Identity Center instance: no Identity Center user is in the snapshot" in \
        snapshot.warnings


def test_an_account_instance_beside_the_organizations_is_skipped_with_a_warning():
    org, _ = org_with_center()

    def add_account_instance(data):
        data["Instances"].insert(0, {"InstanceArn": "arn:aws:sso:::instance/ssoins-1111111111111111",
                                     "IdentityStoreId": "d-1111111111", "OwnerAccountId": DEV,
                                     "Users": [{"UserId": "u-1", "UserName": "someone"}]})

    snapshot = snapshot_from_data(with_center_file(org, add_account_instance))
    assert snapshot.identity_center.instance_arn == org.center.instance_arn
    assert (f"{FILE}: Identity Center instance arn:aws:sso:::instance/ssoins-1111111111111111 has no permission sets "
            "or account assignments: skipped") in snapshot.warnings


def test_a_failed_identity_center_collection_in_the_manifest_is_a_warning():
    org, _ = org_with_center()
    files = [(n, d) for n, d in org.files() if n != FILE]
    manifest = {"Kind": "graphiam-collection-manifest", "version": 1, "finished_at": "2026-01-01T00:00:00+00:00",
                "accounts": {}, "identity_center": {"file": FILE, "status": "failed", "error_code": "AccessDeniedException"}}
    snapshot = snapshot_from_data([*files, ("collection.json", manifest)])
    assert ("collection.json: IAM Identity Center could not be collected (AccessDeniedException); its users' sign-ins "
            "to their permission sets' roles are missing, so paths from them are unknown") in snapshot.warnings
    unfinished = {**manifest, "identity_center": {"status": "pending"}}
    del unfinished["finished_at"]
    snapshot = snapshot_from_data([*files, ("collection.json", unfinished)])
    assert any(w.startswith("the collection in collection.json did not finish: IAM Identity Center was not collected")
               for w in snapshot.warnings)


# -- bad input: one line naming the file and the field ---------------------------------------------

def _set(path: list, value):
    def change(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return change


I = ["Instances", 0]
BAD = [
    (_set(["Instances"], {"InstanceArn": "x"}),  # not the shape: said as for any file of no known shape
     f"{FILE}: neither an account file (keys UserDetailList, GroupDetailList, RoleDetailList, Policies), an "
     "organization file (keys Organization, Accounts, ...) nor an Identity Center file (key Instances)"),
    (lambda d: d.update(Instances={"InstanceArn": "x"}, Errors=[]), f"{FILE}: Instances: must be a list, found dict"),
    (_set(I + ["InstanceArn"], KeyError), f"{FILE}: Instances[0]: missing InstanceArn"),
    (_set(I + ["InstanceArn"], "arn:aws:iam::111111111111:root"),
     f"{FILE}: Instances[0]: InstanceArn 'arn:aws:iam::111111111111:root' is not an Identity Center instance ARN"),
    (_set(I + ["IdentityStoreId"], 7), f"{FILE}: Instances[0]: IdentityStoreId must be a string"),
    (_set(I + ["OwnerAccountId"], "me"), f"{FILE}: Instances[0]: OwnerAccountId must be a 12-digit account id"),
    (_set(I + ["Users", 0, "UserName"], KeyError), f"{FILE}: Instances[0] Users[0]: missing UserName"),
    (_set(I + ["Users", 1, "UserId"], None), f"{FILE}: Instances[0] Users[1]: missing UserId"),
    (_set(I + ["Users", 0, "Emails"], [{"Type": "work"}]), f"{FILE}: Instances[0] Users[0] Emails[0]: missing Value"),
    (_set(I + ["Groups", 0], "Admins"), f"{FILE}: Instances[0] Groups[0]: must be an object, found str"),
    (_set(I + ["GroupMemberships", 0, "MemberId"], "someone"),
     f"{FILE}: Instances[0] GroupMemberships[0]: MemberId must be an object"),
    (_set(I + ["GroupMemberships", 0, "MemberId"], {}),
     f"{FILE}: Instances[0] GroupMemberships[0] MemberId: missing UserId"),
    (_set(I + ["PermissionSets", 0, "PermissionSet"], KeyError),
     f"{FILE}: Instances[0] PermissionSets[0]: PermissionSet must be the describe_permission_set object"),
    (_set(I + ["PermissionSets", 0, "PermissionSet", "PermissionSetArn"], "ps-123"),
     f"{FILE}: Instances[0] PermissionSets[0] PermissionSet: PermissionSetArn 'ps-123' is not a permission set ARN"),
    (_set(I + ["PermissionSets", 0, "InlinePolicy"], "{not json"),
     f"{FILE}: Instances[0] PermissionSets[0] (AdministratorAccess) InlinePolicy: policy document is not JSON"),
    (_set(I + ["PermissionSets", 0, "AttachedManagedPolicies"], [{"Name": "x"}]),
     f"{FILE}: Instances[0] PermissionSets[0] AttachedManagedPolicies[0]: missing Arn"),
    (_set(I + ["PermissionSets", 1, "CustomerManagedPolicyReferences", 0, "Path"], "team"),
     f"{FILE}: Instances[0] PermissionSets[1] CustomerManagedPolicyReferences[0]: Path must begin and end with /"),
    (_set(I + ["PermissionSets", 0, "PermissionsBoundary"], {}),
     f"{FILE}: Instances[0] PermissionSets[0] PermissionsBoundary: has neither ManagedPolicyArn nor "
     "CustomerManagedPolicyReference"),
    (_set(I + ["PermissionSets", 0, "AccountIds"], ["prod"]),
     f"{FILE}: Instances[0] PermissionSets[0]: AccountIds[0] must be a 12-digit account id"),
    (_set(I + ["AccountAssignments", 0, "PrincipalType"], "ROLE"),
     f"{FILE}: Instances[0] AccountAssignments[0]: PrincipalType must be \"USER\" or \"GROUP\", found 'ROLE'"),
    (_set(I + ["AccountAssignments", 1, "AccountId"], "12345"),
     f"{FILE}: Instances[0] AccountAssignments[1]: AccountId must be a 12-digit account id, found '12345'"),
    (_set(I + ["AccountAssignments", 0, "PrincipalId"], KeyError),
     f"{FILE}: Instances[0] AccountAssignments[0]: missing PrincipalId"),
    (_set(["Errors"], [{"ErrorCode": "x"}]), f"{FILE}: Errors[0]: missing Operation"),
]


@pytest.mark.parametrize("change, message", BAD, ids=[m.split(": ", 1)[1][:60] for _, m in BAD])
def test_bad_input_is_one_line_naming_the_file_and_field(change, message):
    org, _ = org_with_center()
    with pytest.raises(SnapshotError) as raised:
        snapshot_from_data(with_center_file(org, change))
    text = str(raised.value)
    assert "\n" not in text
    assert text.startswith(message), text


def test_a_user_listed_twice_is_an_error():
    org, ids = org_with_center()
    with pytest.raises(SnapshotError, match=rf"{FILE}: Instances\[0\] Users\[2\]: UserId {ids['bob']} is listed twice"):
        snapshot_from_data(with_center_file(org, lambda d: instance(d)["Users"].append(instance(d)["Users"][1])))


def test_a_second_identity_center_file_is_an_error():
    org, _ = org_with_center()
    files = org.files()
    center = next(data for name, data in files if name == FILE)
    with pytest.raises(SnapshotError, match=rf"^sso/other.json: a second Identity Center file \(the first is {FILE}\)$"):
        snapshot_from_data([*files, ("sso/other.json", center)])


def test_two_instances_with_permission_sets_are_an_error():
    org, _ = org_with_center()

    def twice(data):
        other = copy.deepcopy(instance(data))
        other["InstanceArn"] = "arn:aws:sso:::instance/ssoins-2222222222222222"
        data["Instances"].append(other)

    with pytest.raises(SnapshotError, match=r"2 Identity Center instances with permission sets"):
        snapshot_from_data(with_center_file(org, twice))


def test_a_lone_surrogate_in_a_user_name_is_refused_naming_the_field():
    org, _ = org_with_center()
    with pytest.raises(SnapshotError, match=r"Users\[0\]: UserName is not valid Unicode text"):
        snapshot_from_data(with_center_file(org, _set(I + ["Users", 0, "UserName"], "al\ud800ice")))


# -- the builder ------------------------------------------------------------------------------------

def test_the_builder_writes_the_same_bytes_for_the_same_scenario_and_provisions_roles(tmp_path: Path):
    one, _ = org_with_center()
    two, ids = org_with_center()
    assert json.dumps(one.files(), sort_keys=True) == json.dumps(two.files(), sort_keys=True)
    role = two.center.role_arn(ids["admin"], PROD)
    assert role.startswith(f"arn:aws:iam::{PROD}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_")
    written = next(r for r in two.accounts[PROD].roles if r["Arn"] == role)
    assert written["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Federated": f"arn:aws:iam::{PROD}:saml-provider/{two.center.provider_name}"}
    assert written["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/PowerUserAccess"
    assert [p["PolicyName"] for p in written["RolePolicyList"]] == ["AwsSSOInlinePolicy"]
    read = next(r for r in two.accounts[DEV].roles if "ReadOnly" in r["RoleName"])
    assert [p["PolicyArn"] for p in read["AttachedManagedPolicies"]] == [
        f"arn:aws:iam::{DEV}:policy/AuditExtras", f"arn:aws:iam::{DEV}:policy/team/TeamRead"]
    assert read["PermissionsBoundary"]["PermissionsBoundaryArn"] == f"arn:aws:iam::{DEV}:policy/ReadBoundary"
    assert two.accounts[PROD].extra["SAMLProviderList"] == [{"Arn": two.center.provider_arn(PROD)}]


def test_provisioning_keeps_a_role_of_the_permission_set_already_in_the_account():
    org, ids = org_with_center()
    kept = org.accounts[DEV].role("AWSReservedSSO_AdministratorAccess_4f1c2a9e7b3d5c60",
                                  path="/aws-reserved/sso.amazonaws.com/", trusts=allow("sts:AssumeRoleWithSAML"))
    assert org.center.provision(ids["admin"], DEV) == kept
    assert sum("AdministratorAccess" in r["RoleName"] for r in org.accounts[DEV].roles) == 1
    with pytest.raises(ValueError, match="one user or one group"):
        org.center.assign(DEV, ids["admin"])
