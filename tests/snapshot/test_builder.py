"""Tests for graphiam.snapshot.builder: the JSON it writes and that the reader takes it as meant."""

from __future__ import annotations

import json
import urllib.parse

import pytest

import graphiam
from graphiam.snapshot.builder import (
    RCP,
    SCP,
    Account,
    Org,
    allow,
    deny,
    policy,
    policy_arn,
    role_arn,
    statement,
    trust,
    trust_account,
    trust_arn,
    trust_service,
    url_encoded,
    user_arn,
)
from graphiam.snapshot.read import SnapshotError

DEV, PROD, MGMT = "222222222222", "333333333333", "111111111111"
DEPLOY = role_arn(PROD, "Deploy")


def scenario() -> Org:
    """The module docstring's scenario: alice in dev may assume Deploy in prod."""
    org = Org()
    dev = org.account(DEV, name="dev")
    prod = org.account(PROD, name="prod")
    dev.user("alice", allow("sts:AssumeRole", DEPLOY))
    prod.role("Deploy", trusts=trust_account(DEV))
    org.full_access_everywhere()
    return org


def only(entries: list[dict]) -> dict:
    (entry,) = entries
    return entry


# -- statements and documents -----------------------------------------------------------------

def test_statement_keys_come_in_aws_order_and_values_as_given():
    written = statement("Allow", ["s3:GetObject"], ["arn:aws:s3:::b/*"], sid="Read",
                        condition={"Bool": {"aws:SecureTransport": "true"}})
    assert list(written) == ["Sid", "Effect", "Action", "Resource", "Condition"]
    assert written["Action"] == ["s3:GetObject"]  # a one-element list stays a list
    assert list(statement("Deny", "*", "*", principal="*")) == ["Effect", "Principal", "Action", "Resource"]


def test_not_action_and_not_resource_replace_action_and_resource():
    written = statement("Deny", not_action=["iam:*"], not_resource="arn:aws:s3:::b")
    assert written == {"Effect": "Deny", "NotAction": ["iam:*"], "NotResource": "arn:aws:s3:::b"}


def test_allow_and_deny_take_the_condition_third_and_sid_by_name():
    condition = {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
    assert allow("iam:PassRole", "*", condition, sid="Pass") == {
        "Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": condition}
    assert deny("s3:*") == {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}


def test_trust_statements_name_principals_and_have_no_resource():
    assert trust_account(DEV) == {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEV}:root"},
                                  "Action": "sts:AssumeRole"}
    assert trust_account(DEV, root_form=False)["Principal"] == {"AWS": DEV}
    assert trust_arn(user_arn(DEV, "a"))["Principal"] == {"AWS": user_arn(DEV, "a")}
    assert trust_arn(user_arn(DEV, "a"), user_arn(DEV, "b"))["Principal"] == {"AWS": [user_arn(DEV, "a"),
                                                                                   user_arn(DEV, "b")]}
    assert trust_service("ec2.amazonaws.com")["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert trust({"AWS": DEV}, effect="Deny", not_principal=True) == {
        "Effect": "Deny", "NotPrincipal": {"AWS": DEV}, "Action": "sts:AssumeRole"}
    web = trust({"Federated": "arn:aws:iam::1:oidc-provider/x"}, "sts:AssumeRoleWithWebIdentity", {"Null": {"a": "b"}})
    assert (web["Action"], web["Condition"]) == ("sts:AssumeRoleWithWebIdentity", {"Null": {"a": "b"}})


def test_policy_and_url_encoding():
    document = policy(allow("s3:GetObject"), deny("iam:*"))
    assert document == {"Version": "2012-10-17", "Statement": [allow("s3:GetObject"), deny("iam:*")]}
    encoded = url_encoded(document)
    assert "{" not in encoded and json.loads(urllib.parse.unquote(encoded)) == document


def test_arns():
    assert role_arn(PROD, "Deploy", "/app/") == f"arn:aws:iam::{PROD}:role/app/Deploy"
    assert user_arn(DEV, "carol", "/contractors/") == f"arn:aws:iam::{DEV}:user/contractors/carol"
    assert policy_arn("aws", "ViewOnlyAccess", "/job-function/") == "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"


# -- users, groups, roles ------------------------------------------------------------------------

def test_a_user_with_everything():
    account = Account(DEV)
    arn = account.user("carol", allow("s3:GetObject"), groups=["Developers"], managed=[policy_arn(DEV, "P")],
                       boundary=policy_arn(DEV, "Ceiling"), tags={"team": "data"}, path="/contractors/",
                       inline={"Extra": policy(deny("iam:*"))})
    entry = only(account.users)
    assert arn == entry["Arn"] == user_arn(DEV, "carol", "/contractors/")
    assert (entry["UserName"], entry["Path"], entry["GroupList"]) == ("carol", "/contractors/", ["Developers"])
    assert [p["PolicyName"] for p in entry["UserPolicyList"]] == ["carol-inline", "Extra"]
    assert entry["UserPolicyList"][0]["PolicyDocument"] == policy(allow("s3:GetObject"))
    assert entry["AttachedManagedPolicies"] == [{"PolicyName": "P", "PolicyArn": policy_arn(DEV, "P")}]
    assert entry["Tags"] == [{"Key": "team", "Value": "data"}]
    assert entry["PermissionsBoundary"] == {"PermissionsBoundaryType": "Policy",
                                            "PermissionsBoundaryArn": policy_arn(DEV, "Ceiling")}
    assert "CreateDate" not in entry  # no date given, no hook


def test_unique_ids_are_derived_from_account_kind_and_name():
    first, again, other = Account(DEV), Account(DEV), Account(PROD)
    for account in (first, again, other):
        account.user("alice")
        account.role("alice", trusts=trust_account(DEV))
    user_id, role_id = first.users[0]["UserId"], first.roles[0]["RoleId"]
    assert user_id.startswith("AIDA") and role_id.startswith("AROA") and len(user_id) == len(role_id) == 21
    assert user_id[4:].isupper() and user_id[4:].isalnum()
    assert (again.users[0]["UserId"], again.roles[0]["RoleId"]) == (user_id, role_id)
    assert other.users[0]["UserId"] != user_id and user_id[4:] != role_id[4:]


def test_given_ids_and_dates_win_over_derived_ones_and_the_hook():
    calls = []

    def hook(kind: str, name: str) -> str:
        calls.append((kind, name))
        return "2021-01-01T00:00:00Z"

    account = Account(DEV, create_dates=hook)
    account.user("hooked")
    account.user("given", unique_id="AIDAGIVEN", create_date="2020-05-05T00:00:00Z")
    account.group("Ops")
    account.managed_policy("P", allow("s3:*"))
    assert [u["CreateDate"] for u in account.users] == ["2021-01-01T00:00:00Z", "2020-05-05T00:00:00Z"]
    assert account.users[1]["UserId"] == "AIDAGIVEN"
    assert calls == [("user", "hooked"), ("group", "Ops"), ("policy", "P")]
    assert account.groups[0]["CreateDate"] == account.policies[0]["CreateDate"] == "2021-01-01T00:00:00Z"


def test_a_group_with_inline_and_managed_policies():
    account = Account(DEV)
    arn = account.group("Hub", allow("sts:AssumeRole", DEPLOY), managed=[policy_arn("aws", "ReadOnlyAccess")],
                        path="/hub/", inline={"More": policy(allow("s3:*"))})
    entry = only(account.groups)
    assert arn == entry["Arn"] == f"arn:aws:iam::{DEV}:group/hub/Hub" and entry["GroupId"].startswith("AGPA")
    assert [p["PolicyName"] for p in entry["GroupPolicyList"]] == ["Hub-inline", "More"]
    assert entry["AttachedManagedPolicies"][0]["PolicyName"] == "ReadOnlyAccess"


def test_a_role_with_the_fields_aws_writes():
    account = Account(PROD)
    arn = account.role("web", allow("s3:GetObject"), trusts=[trust_service("ec2.amazonaws.com"), trust_account(DEV)],
                       path="/app/", last_used={"LastUsedDate": "2024-01-01T00:00:00Z", "Region": "eu-west-1"},
                       max_session=43200, description="Web servers", instance_profile=True,
                       create_date="2023-03-03T00:00:00Z", tags={"app": "web"})
    entry = only(account.roles)
    assert arn == entry["Arn"] == role_arn(PROD, "web", "/app/")
    assert entry["AssumeRolePolicyDocument"] == policy(trust_service("ec2.amazonaws.com"), trust_account(DEV))
    assert entry["RoleLastUsed"] == {"LastUsedDate": "2024-01-01T00:00:00Z", "Region": "eu-west-1"}
    assert (entry["MaxSessionDuration"], entry["Description"]) == (43200, "Web servers")
    profile = only(entry["InstanceProfileList"])
    assert profile["Arn"] == f"arn:aws:iam::{PROD}:instance-profile/web"
    assert profile["InstanceProfileId"].startswith("AIPA") and profile["CreateDate"] == "2023-03-03T00:00:00Z"


def test_a_plain_role_has_an_empty_last_used_and_no_optional_fields():
    account = Account(PROD)
    account.role("Deploy", trusts=trust_account(DEV))  # one statement, not a list
    entry = only(account.roles)
    assert entry["AssumeRolePolicyDocument"] == policy(trust_account(DEV))
    assert entry["RoleLastUsed"] == {} and entry["InstanceProfileList"] == [] and entry["RolePolicyList"] == []
    assert not {"MaxSessionDuration", "Description", "PermissionsBoundary", "CreateDate"} & set(entry)


# -- managed policies -----------------------------------------------------------------------------

def test_managed_policy_versions_default_and_dates():
    account = Account(DEV)
    arn = account.managed_policy("Access", versions=[[allow("s3:GetObject")], [allow("s3:*")], [allow("*")]],
                                 default=1, path="/team/", description="Team access",
                                 create_date="2022-01-01T00:00:00Z",
                                 version_dates=["2022-01-01T00:00:00Z", "2022-02-01T00:00:00Z", "2022-03-01T00:00:00Z"])
    entry = only(account.policies)
    assert arn == entry["Arn"] == f"arn:aws:iam::{DEV}:policy/team/Access"
    assert entry["DefaultVersionId"] == "v2" and entry["Description"] == "Team access"
    versions = entry["PolicyVersionList"]
    assert [v["VersionId"] for v in versions] == ["v3", "v2", "v1"]  # newest first, as IAM lists them
    assert [v["IsDefaultVersion"] for v in versions] == [False, True, False]
    assert versions[1]["Document"] == policy(allow("s3:*"))
    assert (entry["CreateDate"], entry["UpdateDate"]) == ("2022-01-01T00:00:00Z", "2022-03-01T00:00:00Z")
    assert [v["CreateDate"] for v in versions] == ["2022-03-01T00:00:00Z", "2022-02-01T00:00:00Z",
                                                   "2022-01-01T00:00:00Z"]


def test_the_newest_version_is_the_default_unless_told():
    account = Account(DEV)
    account.managed_policy("One", allow("s3:*"))
    account.managed_policy("Two", versions=[[allow("s3:*")], [allow("ec2:*")]])
    assert [p["DefaultVersionId"] for p in account.policies] == ["v1", "v2"]
    assert "CreateDate" not in account.policies[0]["PolicyVersionList"][0]


def test_the_reader_takes_only_the_default_version():
    org = Org()
    dev = org.account(DEV)
    arn = dev.managed_policy("Access", versions=[[allow("s3:GetObject", sid="Old")], [allow("s3:*", sid="New")]],
                             default=0)
    found = org.snapshot().managed_policy(arn)
    assert found.default_version == "v1" and [s.sid for s in found.document.statements] == ["Old"]


def test_aws_managed_policies_get_the_aws_arn_and_skip_the_date_hook():
    account = Account(DEV, create_dates=lambda kind, name: "2021-01-01T00:00:00Z")
    arn = account.managed_policy("ViewOnlyAccess", allow("ec2:Describe*"), path="/job-function/", aws_managed=True,
                                 create_date="2016-11-10T17:20:15Z", version_dates=["2023-11-02T20:59:32Z"])
    entry = only(account.policies)
    assert arn == "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"
    assert (entry["CreateDate"], entry["UpdateDate"]) == ("2016-11-10T17:20:15Z", "2023-11-02T20:59:32Z")
    assert entry["PolicyId"].startswith("ANPA")
    other = Account(PROD, create_dates=lambda kind, name: "2021-01-01T00:00:00Z")
    other.managed_policy("ViewOnlyAccess", allow("ec2:Describe*"), path="/job-function/", aws_managed=True)
    assert other.policies[0]["PolicyId"] == entry["PolicyId"]  # the same policy in every account
    assert "CreateDate" not in other.policies[0]  # an account's dates are not AWS's


def test_usage_counts_are_counted_when_the_file_is_written():
    account = Account(DEV)
    used = account.managed_policy("Used", allow("s3:*"))
    ceiling = account.managed_policy("Ceiling", allow("s3:*"))
    account.managed_policy("Unused", allow("s3:*"))
    account.user("a", managed=[used], boundary=ceiling)
    account.group("g", managed=[used])
    account.role("r", trusts=trust_account(DEV), managed=[used], boundary=ceiling)
    counts = {p["PolicyName"]: (p["AttachmentCount"], p["PermissionsBoundaryUsageCount"])
              for p in account.to_json()["Policies"]}
    assert counts == {"Used": (3, 0), "Ceiling": (0, 2), "Unused": (0, 0)}
    assert account.policies_in_use() == {used, ceiling}
    assert "AttachmentCount" not in account.policies[0]  # the entries as written stay as they are


# -- account files ---------------------------------------------------------------------------------

def test_an_account_file_has_the_four_lists_and_extra_keys():
    account = Account(DEV)
    account.user("alice")
    account.extra["SAMLProviderList"] = [{"Arn": f"arn:aws:iam::{DEV}:saml-provider/Okta"}]
    data = account.to_json()
    assert set(data) == {"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies", "SAMLProviderList"}
    assert data["UserDetailList"] is account.users  # edits to the entries show in the file


def test_url_encoded_accounts_encode_every_document_and_read_the_same():
    def build(encoded: bool) -> Org:
        org = Org()
        dev = org.account(DEV, url_encoded=encoded)
        managed = dev.managed_policy("Assume", allow("sts:AssumeRole", DEPLOY, sid="Managed"))
        dev.group("G", allow("s3:*", sid="Group"))
        dev.user("alice", allow("sts:AssumeRole", DEPLOY, sid="Inline"), managed=[managed], groups=["G"])
        dev.role("Hub", allow("s3:*"), trusts=trust_account(DEV))
        org.account(PROD).role("Deploy", trusts=trust_account(DEV))
        return org

    data = build(True).accounts[DEV].to_json()
    documents = [data["UserDetailList"][0]["UserPolicyList"][0]["PolicyDocument"],
                 data["GroupDetailList"][0]["GroupPolicyList"][0]["PolicyDocument"],
                 data["RoleDetailList"][0]["AssumeRolePolicyDocument"],
                 data["RoleDetailList"][0]["RolePolicyList"][0]["PolicyDocument"],
                 data["Policies"][0]["PolicyVersionList"][0]["Document"]]
    assert all(isinstance(d, str) and d.startswith("%7B") for d in documents)
    assert isinstance(build(True).accounts[DEV].users[0]["UserPolicyList"][0]["PolicyDocument"], dict)
    encoded, plain = build(True).snapshot(), build(False).snapshot()
    alice = user_arn(DEV, "alice")
    assert encoded.principal(alice).inline_policies == plain.principal(alice).inline_policies
    assert encoded.role(role_arn(DEV, "Hub")).trust_policy == plain.role(role_arn(DEV, "Hub")).trust_policy


# -- the organization ----------------------------------------------------------------------------

def test_loose_accounts_have_no_organization_file():
    org = Org()
    org.account(DEV).user("alice")
    assert not org.with_organization
    assert [name for name, _ in org.files()] == [f"{DEV}.json"]
    assert org.snapshot().organization is None


def test_ous_scps_rcps_and_their_targets():
    org = Org("o-abc", MGMT, "r-ab12")
    org.account(MGMT, "mgmt", email="root@example.com")
    org.account(PROD, "prod", parent=org.ou("ou-ab12-work", "Workloads"), joined="2022-02-02T00:00:00Z",
                joined_method="INVITED")
    scp_id = org.scp("NoLeaving", deny("organizations:LeaveOrganization"), targets=["ou-ab12-work", PROD],
                     description="Stay")
    rcp_id = org.rcp("Given", statement("Deny", "sts:AssumeRole", "*", principal="*"), targets=["r-ab12"],
                     policy_id="p-given123")
    data = org.organization_json()
    assert data["Organization"]["Arn"] == f"arn:aws:organizations::{MGMT}:organization/o-abc"
    assert data["Organization"]["MasterAccountEmail"] == "root@example.com"
    assert "AvailablePolicyTypes" not in data["Organization"] and "PolicyTypes" not in data["Roots"][0]
    assert only(data["OrganizationalUnits"]) == {"Id": "ou-ab12-work", "Name": "Workloads", "ParentId": "r-ab12",
                                                 "Arn": f"arn:aws:organizations::{MGMT}:ou/o-abc/ou-ab12-work"}
    prod = data["Accounts"][1]
    assert (prod["ParentId"], prod["JoinedMethod"], prod["JoinedTimestamp"]) == ("ou-ab12-work", "INVITED",
                                                                                 "2022-02-02T00:00:00Z")
    assert data["Accounts"][0]["ParentId"] == "r-ab12" and "Email" not in prod
    scp, rcp = data["Policies"]
    assert scp_id.startswith("p-") and scp_id == Org().scp("NoLeaving", targets=[])  # derived from the name
    assert scp["PolicySummary"] == {"Id": scp_id, "Name": "NoLeaving", "Type": SCP, "AwsManaged": False,
                                    "Description": "Stay",
                                    "Arn": f"arn:aws:organizations::{MGMT}:policy/o-abc/service_control_policy/{scp_id}"}
    assert json.loads(scp["Content"]) == policy(deny("organizations:LeaveOrganization"))
    assert [(t["TargetId"], t["Type"], t["Name"]) for t in scp["Targets"]] == [
        ("ou-ab12-work", "ORGANIZATIONAL_UNIT", "Workloads"), (PROD, "ACCOUNT", "prod")]
    assert (rcp_id, rcp["PolicySummary"]["Type"], rcp["Targets"][0]["Type"]) == ("p-given123", RCP, "ROOT")
    org.accounts[PROD].user("ops")
    organization = org.snapshot().organization
    assert organization.path_of(PROD) == ("r-ab12", "ou-ab12-work", PROD)
    assert [(p.policy_id, p.target_ids) for p in organization.policies] == [
        (scp_id, ("ou-ab12-work", PROD)), ("p-given123", ("r-ab12",))]


def test_policy_types_are_written_only_when_given():
    org = Org(policy_types=(SCP, RCP))
    org.ou("ou-x", "X")
    data = org.organization_json()
    enabled = [{"Type": SCP, "Status": "ENABLED"}, {"Type": RCP, "Status": "ENABLED"}]
    assert data["Organization"]["AvailablePolicyTypes"] == data["Roots"][0]["PolicyTypes"] == enabled


def test_full_access_everywhere_attaches_the_aws_managed_policies_to_every_node_but_skipped_ones():
    org = Org()
    org.account(DEV)
    org.ou("ou-test-sbx", "Sandbox")
    org.full_access_everywhere(skip=["ou-test-sbx"])
    org.full_access_everywhere(scp=False, rcp=True)
    full, rcp_full = org.organization_json()["Policies"]
    assert full["PolicySummary"]["Id"] == "p-FullAWSAccess" and full["PolicySummary"]["AwsManaged"] is True
    assert full["PolicySummary"]["Arn"] == "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
    assert [t["TargetId"] for t in full["Targets"]] == ["r-test", DEV]
    assert [t["TargetId"] for t in rcp_full["Targets"]] == ["r-test", "ou-test-sbx", DEV]
    assert json.loads(rcp_full["Content"])["Statement"] == [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]


# -- reading back ------------------------------------------------------------------------------------

def test_snapshot_goes_through_the_real_reader():
    snapshot = scenario().snapshot()
    assert set(snapshot.accounts) == {DEV, PROD} and snapshot.organization is not None
    assert snapshot.principal(user_arn(DEV, "alice")).inline_policies[0].name == "alice-inline"
    broken = Org()
    broken.account(DEV).role("Hub", trusts={"Effect": "Permit", "Principal": "*", "Action": "sts:AssumeRole"})
    with pytest.raises(SnapshotError, match="Permit"):
        broken.snapshot()


def test_write_gives_files_graphiam_loads(tmp_path):
    folder = scenario().write(tmp_path / "snapshot")
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{DEV}.json", f"{PROD}.json", "organization.json"])
    access = graphiam.load(folder)
    assert access.path("alice", "Deploy").reachable
    assert access.snapshot.warnings == ()


def test_the_same_scenario_writes_the_same_bytes(tmp_path):
    first, second = scenario().write(tmp_path / "a"), scenario().write(tmp_path / "b")
    assert {p.name: p.read_bytes() for p in first.iterdir()} == {p.name: p.read_bytes() for p in second.iterdir()}
