"""Tests for graphiam.snapshot: reading account and organization files.

Snapshots are written with tests/builders.py, which produces the JSON shapes
AWS returns, and are read back through the real reader.
"""

from __future__ import annotations

import copy
import json
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import (
    Org,
    allow,
    deny,
    policy,
    role_arn,
    trust_account,
    trust_arn,
    user_arn,
)
from graphiam.access import AccessGraph
from graphiam.policy import Outcome, PolicyEngine
from graphiam.snapshot.read import SnapshotError, load_snapshot, snapshot_from_data

DEV = "222222222222"
PROD = "333333333333"
DEPLOY = role_arn(PROD, "Deploy")
NO_ORG = "no organization file"


# -- helpers ----------------------------------------------------------------------

def write_files(folder: Path, files: list[tuple[str, object]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(data, indent=2))
    return folder


def cross_account_org() -> Org:
    """A dev account whose users may be given rights on prod Deploy, which trusts the dev account."""
    org = Org()
    org.account(DEV)
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    return org


def decide(snapshot, user: str, role: str = DEPLOY):
    principal = snapshot.principal(user)
    target = snapshot.role(role)
    assert principal is not None and target is not None
    return PolicyEngine(snapshot).decide_assume(principal, target)


def one_line_error(error: SnapshotError) -> str:
    text = str(error)
    assert text, "a SnapshotError must say something"
    assert "\n" not in text, f"the error must be one line: {text!r}"
    return text


def account_file(*users: dict, roles: tuple[dict, ...] = (), policies: tuple[dict, ...] = ()) -> dict:
    return {"UserDetailList": list(users), "GroupDetailList": [], "RoleDetailList": list(roles),
            "Policies": list(policies)}


def raw_user(account: str, name: str, document=None, **extra) -> dict:
    entry = {"Path": "/", "UserName": name, "UserId": f"AIDA{name.upper():Q<17}"[:21], "Arn": user_arn(account, name),
             "GroupList": [], "AttachedManagedPolicies": [], "Tags": []}
    if document is not None:
        entry["UserPolicyList"] = [{"PolicyName": f"{name}-inline", "PolicyDocument": document}]
    entry.update(extra)
    return entry


# -- policy document encodings ---------------------------------------------------------

ALICE_POLICY = policy(
    allow("sts:AssumeRole", DEPLOY, sid="AssumeDeploy",
          condition={"StringEquals": {"aws:PrincipalTag/team": ["platform", "a b+c%d/e"]}}),
    deny("iam:*", "*", sid="NoIam"),
)


def encode(document: dict, form: str):
    if form == "object":
        return document
    if form == "json-text":
        return json.dumps(document)
    if form == "url-encoded":
        return urllib.parse.quote(json.dumps(document))
    raise AssertionError(form)


FORMS = ("object", "json-text", "url-encoded")


def snapshot_with_alice_document(raw) -> object:
    files = [(f"{DEV}.json", account_file(raw_user(DEV, "alice", raw)))]
    return snapshot_from_data(files)


def test_url_encoded_form_really_is_encoded():
    encoded = encode(ALICE_POLICY, "url-encoded")
    assert encoded.startswith("%7B") and "{" not in encoded and '"' not in encoded


def test_document_encodings_parse_to_equal_documents():
    documents = {}
    for form in FORMS:
        snapshot = snapshot_with_alice_document(encode(ALICE_POLICY, form))
        (attached,) = snapshot.principal(user_arn(DEV, "alice")).inline_policies
        documents[form] = attached.document
    assert documents["object"] == documents["json-text"] == documents["url-encoded"]
    assert documents["object"].digest == documents["url-encoded"].digest
    statements = documents["url-encoded"].statements
    assert [s.sid for s in statements] == ["AssumeDeploy", "NoIam"]
    assert [s.effect for s in statements] == ["Allow", "Deny"]
    assert statements[0].actions == ("sts:AssumeRole",)
    assert statements[0].resources == (DEPLOY,)
    (condition,) = statements[0].conditions
    assert condition.key == "aws:PrincipalTag/team"
    assert condition.values == ("platform", "a b+c%d/e")


def test_document_encodings_decide_the_same():
    outcomes = set()
    for form in FORMS:
        org = cross_account_org()
        files = org.files()
        dev = dict(files)[f"{DEV}.json"]
        dev["UserDetailList"].append(raw_user(DEV, "alice", encode(policy(allow("sts:AssumeRole", DEPLOY)), form)))
        snapshot = snapshot_from_data(files)
        outcomes.add(decide(snapshot, user_arn(DEV, "alice")).outcome)
    assert outcomes == {Outcome.ALLOWED}


def test_trust_and_managed_versions_may_be_url_encoded_too():
    org = cross_account_org()
    managed = org.account(DEV).managed_policy("AssumeDeploy", allow("sts:AssumeRole", DEPLOY))
    org.account(DEV).user("alice", managed=(managed,))
    files = org.files()
    data = dict(files)
    for entry in data[f"{PROD}.json"]["RoleDetailList"]:
        entry["AssumeRolePolicyDocument"] = encode(entry["AssumeRolePolicyDocument"], "url-encoded")
    for entry in data[f"{DEV}.json"]["Policies"]:
        for version in entry["PolicyVersionList"]:
            version["Document"] = encode(version["Document"], "url-encoded")
    snapshot = snapshot_from_data(files)
    assert snapshot.managed_policy(managed).document.statements[0].resources == (DEPLOY,)
    assert decide(snapshot, user_arn(DEV, "alice")).outcome is Outcome.ALLOWED


condition_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(condition_text, min_size=1, max_size=3), sid=st.from_regex(r"[A-Za-z0-9]{1,10}", fullmatch=True))
def test_encodings_agree_for_any_condition_values(values, sid):
    document = policy(allow("sts:AssumeRole", DEPLOY, sid=sid, condition={"StringLike": {"aws:PrincipalTag/x": values}}))
    parsed = [snapshot_with_alice_document(encode(document, form)).principal(user_arn(DEV, "alice"))
              .inline_policies[0].document for form in FORMS]
    assert parsed[0] == parsed[1] == parsed[2]
    assert parsed[2].statements[0].conditions[0].values == tuple(values)


def test_undecodable_policy_document_is_an_error_naming_file_and_principal():
    files = [("dev.json", account_file(raw_user(DEV, "alice", "%7B%22Statement%22%3A")))]
    with pytest.raises(SnapshotError) as caught:
        snapshot_from_data(files)
    text = one_line_error(caught.value)
    assert "dev.json" in text and "alice" in text and "not JSON" in text


# -- account id from ARNs ------------------------------------------------------------------

def test_account_id_comes_from_the_arns_not_the_file_name(tmp_path):
    org = Org()
    org.account(DEV).user("alice")
    org.account(DEV).role("Hub", trusts=trust_account(DEV))
    data = org.accounts[DEV].to_json()
    (tmp_path / "999999999999.json").write_text(json.dumps(data))
    snapshot = load_snapshot([tmp_path])
    assert set(snapshot.accounts) == {DEV}
    account = snapshot.accounts[DEV]
    assert account.source.endswith("999999999999.json")
    assert snapshot.principal(user_arn(DEV, "alice")).account_id == DEV
    assert snapshot.role(role_arn(DEV, "Hub")).account_id == DEV


def test_account_id_comes_from_the_arns_even_with_a_misleading_source_name():
    org = Org()
    org.account(DEV).user("alice")
    snapshot = snapshot_from_data([("accounts/999999999999-prod.json", org.accounts[DEV].to_json())])
    assert list(snapshot.accounts) == [DEV]


# -- managed policy versions ---------------------------------------------------------------

def versioned_org(default: int) -> tuple[Org, str]:
    """bob's policy has v1 (s3 only) and v2 (may assume prod Deploy); ``default`` picks which counts."""
    org = cross_account_org()
    dev = org.account(DEV)
    arn = dev.managed_policy(
        "BobAccess",
        versions=[[allow("s3:GetObject", "*", sid="ReadOnly")], [allow("sts:AssumeRole", DEPLOY, sid="AssumeDeploy")]],
        default=default,
    )
    dev.user("bob", managed=(arn,))
    return org, arn


def test_only_the_default_version_is_the_document():
    org, arn = versioned_org(default=0)
    found = org.snapshot().managed_policy(arn)
    assert found is not None
    assert found.default_version == "v1"
    assert [s.sid for s in found.document.statements] == ["ReadOnly"]
    assert all("sts:AssumeRole" not in s.actions for s in found.document.statements)


def test_the_default_version_may_be_a_later_one():
    org, arn = versioned_org(default=1)
    found = org.snapshot().managed_policy(arn)
    assert found.default_version == "v2"
    assert [s.sid for s in found.document.statements] == ["AssumeDeploy"]


@pytest.mark.parametrize(("default", "expected"), [(0, Outcome.DENIED), (1, Outcome.ALLOWED)])
def test_a_non_default_version_does_not_grant(default, expected):
    org, arn = versioned_org(default)
    decision = decide(org.snapshot(), user_arn(DEV, "bob"))
    assert decision.outcome is expected
    if expected is Outcome.DENIED:
        assert [b.layer for b in decision.blockers] == ["identity"]
    else:
        assert any(e.policy == arn for e in decision.granted_by)


def test_default_version_id_is_used_when_versions_carry_no_flag():
    org, arn = versioned_org(default=0)
    files = org.files()
    (entry,) = dict(files)[f"{DEV}.json"]["Policies"]
    for version in entry["PolicyVersionList"]:
        del version["IsDefaultVersion"]
    entry["DefaultVersionId"] = "v2"
    snapshot = snapshot_from_data(files)
    assert snapshot.managed_policy(arn).default_version == "v2"
    assert decide(snapshot, user_arn(DEV, "bob")).outcome is Outcome.ALLOWED


# -- AWS managed policies --------------------------------------------------------------------

def test_aws_managed_policy_is_found_in_another_accounts_file():
    org = Org()
    prod = org.account(PROD)
    aws_policy = prod.managed_policy("AssumeAnything", allow("sts:AssumeRole", "*"), aws_managed=True)
    prod.user("ops", managed=(aws_policy,))
    prod.role("Deploy", trusts=trust_account(DEV))
    dev = org.account(DEV)
    dev.user("alice", managed=(aws_policy,))  # the dev file does not list the AWS policy
    assert dev.policies == []
    snapshot = org.snapshot()
    assert aws_policy == "arn:aws:iam::aws:policy/AssumeAnything"
    found = snapshot.managed_policy(aws_policy)
    assert found is not None and found.document.statements[0].actions == ("sts:AssumeRole",)
    assert not any(aws_policy in w for w in snapshot.warnings)
    decision = decide(snapshot, user_arn(DEV, "alice"))
    assert decision.outcome is Outcome.ALLOWED
    assert decision.depends_on == ()
    assert any(e.policy == aws_policy for e in decision.granted_by)


def test_aws_managed_policy_missing_everywhere_is_a_warning():
    org = cross_account_org()
    org.account(DEV).user("alice", managed=("arn:aws:iam::aws:policy/AdministratorAccess",))
    snapshot = org.snapshot()
    assert any("arn:aws:iam::aws:policy/AdministratorAccess" in w and user_arn(DEV, "alice") in w
               for w in snapshot.warnings)


def test_a_file_of_aws_managed_policies_alone_still_provides_them():
    org = cross_account_org()
    aws_only = org.account(DEV)
    aws_policy = aws_only.managed_policy("AssumeAnything", allow("sts:AssumeRole", "*"), aws_managed=True)
    aws_file = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": aws_only.policies}
    prod = org.accounts[PROD].to_json()
    prod["UserDetailList"].append(raw_user(PROD, "ops", AttachedManagedPolicies=[
        {"PolicyName": "AssumeAnything", "PolicyArn": aws_policy}]))
    snapshot = snapshot_from_data([("aws-managed.json", aws_file), (f"{PROD}.json", prod)])
    assert snapshot.managed_policy(aws_policy) is not None
    assert not any(aws_policy in w for w in snapshot.warnings)


# -- groups -----------------------------------------------------------------------------

def test_group_inline_policy_grants_its_members():
    org = cross_account_org()
    dev = org.account(DEV)
    group = dev.group("Deployers", allow("sts:AssumeRole", DEPLOY, sid="FromGroup"))
    dev.user("member", groups=("Deployers",))
    dev.user("outsider")
    snapshot = org.snapshot()
    member = snapshot.principal(user_arn(DEV, "member"))
    assert [g.arn for g in snapshot.groups_of(member)] == [group]
    decision = decide(snapshot, user_arn(DEV, "member"))
    assert decision.outcome is Outcome.ALLOWED
    assert any(e.layer == "identity" and e.attached_to == group and e.sid == "FromGroup" for e in decision.granted_by)
    assert decide(snapshot, user_arn(DEV, "outsider")).outcome is Outcome.DENIED


def test_group_managed_policy_grants_its_members():
    org = cross_account_org()
    dev = org.account(DEV)
    managed = dev.managed_policy("DeployAccess", allow("sts:AssumeRole", DEPLOY))
    group = dev.group("Deployers", managed=(managed,))
    dev.user("member", groups=("Deployers",))
    snapshot = org.snapshot()
    decision = decide(snapshot, user_arn(DEV, "member"))
    assert decision.outcome is Outcome.ALLOWED
    assert any(e.policy == managed and e.attached_to == group for e in decision.granted_by)


def test_group_deny_applies_to_members():
    org = cross_account_org()
    dev = org.account(DEV)
    dev.group("Frozen", deny("sts:AssumeRole", "*"))
    dev.user("member", allow("sts:AssumeRole", DEPLOY), groups=("Frozen",))
    decision = decide(org.snapshot(), user_arn(DEV, "member"))
    assert decision.outcome is Outcome.DENIED
    assert [(b.layer, b.effect) for b in decision.blockers] == [("identity", "explicit_deny")]


# -- folders ---------------------------------------------------------------------------

def test_folder_is_scanned_recursively_and_other_files_are_ignored(tmp_path):
    org = cross_account_org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    org.ou("ou-dev", "Dev")
    org.full_access_everywhere()
    files = dict(org.files())
    write_files(tmp_path, [
        (f"a/b/c/{DEV}.json", files[f"{DEV}.json"]),
        (f"accounts/{PROD}.json", files[f"{PROD}.json"]),
        ("organization.json", files["organization.json"]),
    ])
    (tmp_path / "README.md").write_text("# not a snapshot {")
    (tmp_path / "a" / "notes.txt").write_text("garbage {{{")
    (tmp_path / "a" / "b" / f"{DEV}.json.bak").write_text("{ broken")
    snapshot = load_snapshot([tmp_path])
    assert set(snapshot.accounts) == {DEV, PROD}
    assert snapshot.organization is not None
    assert not any(NO_ORG in w for w in snapshot.warnings)
    assert decide(snapshot, user_arn(DEV, "alice")).outcome is Outcome.ALLOWED


def test_files_and_folders_can_be_mixed(tmp_path):
    org = cross_account_org()
    org.account(DEV).user("alice")
    files = dict(org.files())
    write_files(tmp_path / "one", [(f"{DEV}.json", files[f"{DEV}.json"])])
    write_files(tmp_path / "two", [(f"x/{PROD}.json", files[f"{PROD}.json"])])
    snapshot = load_snapshot([tmp_path / "one" / f"{DEV}.json", tmp_path / "two"])
    assert set(snapshot.accounts) == {DEV, PROD}


def test_sample_org_loads(sample_dir):
    snapshot = load_snapshot([sample_dir])
    assert set(snapshot.accounts) == {"111111111111", "222222222222", "333333333333", "444444444444",
                                      "555555555555", "666666666666"}
    assert snapshot.organization is not None
    assert snapshot.warnings == ()
    # the identity account's documents are URL-encoded on disk: they must parse like the others
    hub = snapshot.role("arn:aws:iam::222222222222:role/Hub")
    assert hub is not None and hub.trust_policy.statements
    bob_policy = snapshot.managed_policy("arn:aws:iam::222222222222:policy/StagingDeployAccess")
    assert bob_policy is not None and bob_policy.default_version == "v1"


# -- errors --------------------------------------------------------------------------------

def assert_load_error(paths, *expected: str) -> str:
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(paths)
    text = one_line_error(caught.value)
    for part in expected:
        assert part in text, f"{part!r} not in {text!r}"
    return text


def assert_data_error(files, *expected: str) -> str:
    with pytest.raises(SnapshotError) as caught:
        snapshot_from_data(files)
    text = one_line_error(caught.value)
    for part in expected:
        assert part in text, f"{part!r} not in {text!r}"
    return text


def test_invalid_json_names_file_line_and_column(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{\n  "UserDetailList": [\n    {"Arn": ,}\n  ]\n}\n')
    text = assert_load_error([tmp_path], str(bad), "invalid JSON", "line 3", "column 13")
    assert text.startswith(str(bad))


def test_invalid_json_in_a_folder_among_good_files(tmp_path):
    org = cross_account_org()
    write_files(tmp_path, org.files())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "zz.json").write_text("{")
    assert_load_error([tmp_path], "zz.json", "invalid JSON", "line 1")


def test_unreadable_file(tmp_path):
    bad = tmp_path / "binary.json"
    bad.write_bytes(b"\xff\xfe\x00{\x00}")
    assert_load_error([bad], str(bad), "cannot be read")


@pytest.mark.parametrize("content", [
    {"Users": []},
    {"foo": 1},
    {},
    "UserDetailList",
    42,
    None,
])
def test_a_json_file_of_neither_shape(tmp_path, content):
    bad = tmp_path / "other.json"
    bad.write_text(json.dumps(content))
    assert_load_error([bad], str(bad), "neither")


def test_a_list_at_top_level(tmp_path):
    bad = tmp_path / "list.json"
    org = cross_account_org()
    bad.write_text(json.dumps([org.accounts[DEV].to_json()]))
    assert_load_error([bad], str(bad))


def test_a_missing_path(tmp_path):
    missing = tmp_path / "nowhere"
    assert_load_error([missing], str(missing), "no such file")


def test_a_folder_without_json_files(tmp_path):
    (tmp_path / "readme.txt").write_text("hello")
    assert_load_error([tmp_path], str(tmp_path), "no .json")


def test_two_files_for_one_account(tmp_path):
    org = cross_account_org()
    org.account(DEV).user("alice")
    data = org.accounts[DEV].to_json()
    write_files(tmp_path, [("first.json", data), ("second.json", data), (f"{PROD}.json", org.accounts[PROD].to_json())])
    text = assert_load_error([tmp_path], "first.json", "second.json", DEV)
    assert "\n" not in text


def test_a_file_with_arns_of_two_accounts():
    org = Org()
    org.account(DEV).user("alice")
    data = org.accounts[DEV].to_json()
    data["RoleDetailList"].append({
        "Path": "/", "RoleName": "Deploy", "RoleId": "AROAQQQQQQQQQQQQQQQQ1", "Arn": DEPLOY,
        "AssumeRolePolicyDocument": policy(trust_account(DEV)), "RolePolicyList": [], "AttachedManagedPolicies": [],
    })
    assert_data_error([("mixed.json", data)], "mixed.json", DEV, PROD)


def test_a_customer_managed_policy_of_another_account_in_the_file():
    org = Org()
    org.account(DEV).user("alice")
    data = org.accounts[DEV].to_json()
    other = Org().account(PROD)
    other.managed_policy("Stray", allow("s3:*"))
    data["Policies"].extend(other.policies)
    assert_data_error([("dev.json", data)], "dev.json", DEV, PROD)


@pytest.mark.parametrize("effect", ["Permit", "allow", "", None])
def test_a_statement_with_a_bad_effect(effect):
    statement = {"Effect": effect, "Action": "sts:AssumeRole", "Resource": "*"}
    files = [("dev.json", account_file(raw_user(DEV, "alice", {"Version": "2012-10-17", "Statement": [statement]})))]
    text = assert_data_error(files, "dev.json", "Effect")
    if effect:
        assert repr(effect) in text or effect in text


def test_a_bad_effect_in_a_trust_policy_names_the_role():
    org = Org()
    org.account(DEV).role("Hub", trusts={"Effect": "Permit", "Principal": {"AWS": user_arn(DEV, "a")},
                                         "Action": "sts:AssumeRole"})
    assert_data_error(org.files(), f"{DEV}.json", "Hub", "Effect", "Permit")


@pytest.mark.parametrize("condition", ["aws:MultiFactorAuthPresent", ["StringEquals"], 3, [{"Bool": {"a": "b"}}]])
def test_a_non_object_condition(condition):
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Condition": condition}
    files = [("dev.json", account_file(raw_user(DEV, "alice", {"Statement": [statement]})))]
    assert_data_error(files, "dev.json", "alice", "Condition")


@pytest.mark.parametrize("condition", [[], ""])
def test_an_empty_non_object_condition_is_rejected_too(condition):
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Condition": condition}
    files = [("dev.json", account_file(raw_user(DEV, "alice", {"Statement": [statement]})))]
    assert_data_error(files, "dev.json", "Condition")


def test_a_condition_operator_that_maps_to_a_non_object():
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*", "Condition": {"Bool": "true"}}
    files = [("dev.json", account_file(raw_user(DEV, "alice", {"Statement": [statement]})))]
    assert_data_error(files, "dev.json", "Bool")


def org_with_ous() -> Org:
    org = cross_account_org()
    org.ou("ou-work", "Workloads")
    org.accounts[PROD].parent = "ou-work"
    org.full_access_everywhere()
    return org


def test_a_well_formed_organization_file_loads():
    snapshot = org_with_ous().snapshot()
    assert snapshot.organization is not None
    assert snapshot.organization.path_of(PROD) == ("r-test", "ou-work", PROD)
    assert not any(NO_ORG in w for w in snapshot.warnings)


def test_an_ou_whose_parent_is_missing():
    org = org_with_ous()
    files = org.files()
    data = dict(files)["organization.json"]
    data["OrganizationalUnits"][0]["ParentId"] = "ou-gone"
    assert_data_error(files, "organization.json", "ou-work", "ou-gone")


def test_an_account_whose_parent_is_missing():
    org = org_with_ous()
    files = org.files()
    data = dict(files)["organization.json"]
    for account in data["Accounts"]:
        if account["Id"] == PROD:
            account["ParentId"] = "ou-vanished"
    assert_data_error(files, "organization.json", PROD, "ou-vanished")


def test_an_ou_cycle_is_an_error():
    org = org_with_ous()
    org.ou("ou-a", "A", parent="ou-b")
    org.ou("ou-b", "B", parent="ou-a")
    assert_data_error(org.files(), "organization.json")


def test_two_organization_files():
    org = org_with_ous()
    files = org.files()
    files.append(("again.json", copy.deepcopy(dict(files)["organization.json"])))
    assert_data_error(files, "again.json", "organization.json")


def test_errors_on_disk_name_the_real_path(tmp_path):
    org = Org()
    org.account(DEV).role("Hub", trusts={"Effect": "Permit", "Principal": "*", "Action": "sts:AssumeRole"})
    write_files(tmp_path / "deep" / "er", org.files())
    assert_load_error([tmp_path], str(tmp_path / "deep" / "er" / f"{DEV}.json"), "Permit")


MALFORMED_ENTRIES = {
    "user entry is a string": ("UserDetailList", ["alice"]),
    "role entry is a number": ("RoleDetailList", [7]),
    "policy entry is a string": ("Policies", ["arn:aws:iam::222222222222:policy/P"]),
    "user tags are a number": ("UserDetailList", [{**raw_user(DEV, "alice"), "Tags": 5}]),
    "group list is not a list": ("UserDetailList", [{**raw_user(DEV, "alice"), "GroupList": True}]),
    "attached policies are not a list": ("UserDetailList", [{**raw_user(DEV, "alice"), "AttachedManagedPolicies": True}]),
    "role path is not a string": ("RoleDetailList", [{"RoleName": "R", "Arn": role_arn(DEV, "R"), "Path": {},
                                                      "AssumeRolePolicyDocument": policy(trust_account(DEV))}]),
}


@pytest.mark.parametrize("key,value", list(MALFORMED_ENTRIES.values()), ids=list(MALFORMED_ENTRIES))
def test_malformed_entries_are_snapshot_errors(key, value):
    data = account_file(raw_user(DEV, "bob"))
    data[key] = value
    with pytest.raises(SnapshotError) as caught:
        AccessGraph(snapshot_from_data([("dev.json", data)]))  # whatever is not rejected must not crash later
    assert "dev.json" in one_line_error(caught.value)


def test_a_root_that_is_not_an_object():
    org = org_with_ous()
    files = org.files()
    dict(files)["organization.json"]["Roots"] = ["r-test"]
    assert_data_error(files, "organization.json")


# -- warnings ------------------------------------------------------------------------------

def test_missing_managed_policy_is_a_warning_and_a_dependency():
    missing = f"arn:aws:iam::{DEV}:policy/DeletedLongAgo"
    org = cross_account_org()
    dev = org.account(DEV)
    dev.user("alice", managed=(missing,))
    dev.user("carl", allow("sts:AssumeRole", DEPLOY))
    snapshot = org.snapshot()
    related = [w for w in snapshot.warnings if missing in w]
    assert len(related) == 1
    assert f"{DEV}.json" in related[0] and user_arn(DEV, "alice") in related[0]
    assert "\n" not in related[0]
    alice = decide(snapshot, user_arn(DEV, "alice"))
    assert missing in alice.depends_on
    carl = decide(snapshot, user_arn(DEV, "carl"))
    assert carl.outcome is Outcome.ALLOWED and carl.depends_on == ()


def test_missing_policy_on_a_group_reaches_its_members_decisions():
    missing = f"arn:aws:iam::{DEV}:policy/GroupGone"
    org = cross_account_org()
    dev = org.account(DEV)
    group = dev.group("Deployers", managed=(missing,))
    dev.user("member", groups=("Deployers",))
    snapshot = org.snapshot()
    assert any(missing in w and group in w for w in snapshot.warnings)
    assert missing in decide(snapshot, user_arn(DEV, "member")).depends_on


def test_missing_boundary_is_a_warning_and_a_dependency():
    missing = f"arn:aws:iam::{DEV}:policy/boundaries/Gone"
    org = cross_account_org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY), boundary=missing)
    snapshot = org.snapshot()
    assert any(missing in w and user_arn(DEV, "alice") in w for w in snapshot.warnings)
    assert missing in decide(snapshot, user_arn(DEV, "alice")).depends_on


def test_warning_on_disk_names_the_file(tmp_path):
    missing = f"arn:aws:iam::{DEV}:policy/DeletedLongAgo"
    org = cross_account_org()
    org.account(DEV).user("alice", managed=(missing,))
    write_files(tmp_path, org.files())
    snapshot = load_snapshot([tmp_path])
    assert any(str(tmp_path / f"{DEV}.json") in w and missing in w for w in snapshot.warnings)


def test_no_organization_file_warning():
    org = cross_account_org()
    assert not org.with_organization
    snapshot = org.snapshot()
    assert snapshot.organization is None
    assert sum(w.startswith(NO_ORG) for w in snapshot.warnings) == 1


def test_organization_file_silences_that_warning():
    snapshot = org_with_ous().snapshot()
    assert not any(NO_ORG in w for w in snapshot.warnings)


def test_account_outside_the_organization_is_a_warning():
    org = org_with_ous()
    org.account(DEV).user("alice")
    files = org.files()
    data = dict(files)["organization.json"]
    data["Accounts"] = [a for a in data["Accounts"] if a["Id"] != DEV]
    snapshot = snapshot_from_data(files)
    assert any(DEV in w and "organization" in w for w in snapshot.warnings)


# -- moto quirks ---------------------------------------------------------------------------

def test_user_inline_policy_without_policy_name_does_not_crash():
    org = cross_account_org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    files = org.files()
    (alice,) = dict(files)[f"{DEV}.json"]["UserDetailList"]
    for entry in alice["UserPolicyList"]:
        del entry["PolicyName"]
    snapshot = snapshot_from_data(files)
    (inline,) = snapshot.principal(user_arn(DEV, "alice")).inline_policies
    assert inline.name  # some stable, non-empty name
    assert decide(snapshot, user_arn(DEV, "alice")).outcome is Outcome.ALLOWED


def test_two_nameless_inline_policies_stay_distinct():
    org = cross_account_org()
    org.account(DEV).user("alice", allow("s3:GetObject"))
    files = org.files()
    (alice,) = dict(files)[f"{DEV}.json"]["UserDetailList"]
    alice["UserPolicyList"] = [{"PolicyDocument": policy(allow("s3:GetObject"))},
                               {"PolicyDocument": policy(allow("sts:AssumeRole", DEPLOY))}]
    snapshot = snapshot_from_data(files)
    names = [p.name for p in snapshot.principal(user_arn(DEV, "alice")).inline_policies]
    assert len(names) == 2 and len(set(names)) == 2
    assert decide(snapshot, user_arn(DEV, "alice")).outcome is Outcome.ALLOWED


def test_same_account_exact_arn_trust_is_read_from_the_trust_policy():
    # guards the reader's trust parsing: Principal lists are kept as given
    org = Org()
    dev = org.account(DEV)
    dev.user("alice")
    dev.role("Hub", trusts=trust_arn(user_arn(DEV, "alice"), user_arn(DEV, "zed")))
    snapshot = org.snapshot()
    (statement,) = snapshot.role(role_arn(DEV, "Hub")).trust_policy.statements
    assert tuple(v for t, v in statement.named_principals() if t == "AWS") == (user_arn(DEV, "alice"), user_arn(DEV, "zed"))
    assert decide(snapshot, user_arn(DEV, "alice"), role_arn(DEV, "Hub")).outcome is Outcome.ALLOWED


def test_a_pickled_snapshot_leaves_the_engines_per_action_filters_behind_and_decides_the_same():
    import pickle

    org = cross_account_org()
    org.accounts[DEV].user("alice", allow("sts:AssumeRole", DEPLOY))
    snapshot = org.snapshot()
    before = decide(snapshot, user_arn(DEV, "alice"))
    filled = [p.document for p in snapshot.principal(user_arn(DEV, "alice")).inline_policies]
    assert filled[0].by_action  # the engine filtered its statements by action
    copy_ = pickle.loads(pickle.dumps(snapshot))
    documents = [p.document for p in copy_.principal(user_arn(DEV, "alice")).inline_policies]
    assert documents[0].by_action == {} and documents[0] == filled[0]
    assert decide(copy_, user_arn(DEV, "alice")) == before
