"""Tests for graphiam.snapshot: reading account and organization files.

Snapshots are written with tests/builders.py, which produces the JSON shapes
AWS returns, and are read back through the real reader.
"""

from __future__ import annotations

import codecs
import copy
import json
import os
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
from graphiam.snapshot import read as read_module
from graphiam.snapshot.read import SnapshotError, load_snapshot, snapshot_files, snapshot_from_data, snapshot_from_files

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


FAST_PATHS = [pytest.param(True, id="orjson"), pytest.param(False, id="json")]


def use_fast_path(monkeypatch, fast: bool) -> None:
    """Read files with orjson (when it is installed: else the test is skipped) or with the standard parser."""
    if fast:
        pytest.importorskip("orjson")
        import orjson

        monkeypatch.setattr(read_module, "_fast_loads", orjson.loads)
    else:
        monkeypatch.setattr(read_module, "_fast_loads", None)


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


UNDECODABLE = {
    "invalid UTF-8": b'{"UserDetailList": "\xff\xfe"}',
    "UTF-8 BOM, then invalid UTF-8": codecs.BOM_UTF8 + b'{"UserDetailList": "\xc3"}',
    "UTF-16 LE BOM, then a lone surrogate": codecs.BOM_UTF16_LE + "{}".encode("utf-16-le") + b"\x00\xd8",
    "UTF-16 BE BOM, then a lone surrogate": codecs.BOM_UTF16_BE + "{}".encode("utf-16-be") + b"\xdc\x00",
    "UTF-16 BOM, odd length": codecs.BOM_UTF16_LE + b"{\x00}",
}


@pytest.mark.parametrize("fast", FAST_PATHS)
@pytest.mark.parametrize("content", list(UNDECODABLE.values()), ids=list(UNDECODABLE))
def test_unreadable_file(tmp_path, monkeypatch, fast, content):
    use_fast_path(monkeypatch, fast)
    bad = tmp_path / "binary.json"
    bad.write_bytes(content)
    text = assert_load_error([bad], str(bad), "cannot be read")
    assert text.startswith(str(bad))


def test_an_undecodable_file_in_a_folder_is_still_an_error(tmp_path):
    write_files(tmp_path, cross_account_org().files())
    (tmp_path / "notes.json").write_bytes(UNDECODABLE["invalid UTF-8"])
    assert_load_error([tmp_path], "notes.json", "cannot be read")


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


def test_a_file_with_arns_of_two_accounts_is_split():
    org = Org()
    org.account(DEV).user("alice")
    data = org.accounts[DEV].to_json()
    data["RoleDetailList"].append({
        "Path": "/", "RoleName": "Deploy", "RoleId": "AROAQQQQQQQQQQQQQQQQ1", "Arn": DEPLOY,
        "AssumeRolePolicyDocument": policy(trust_account(DEV)), "RolePolicyList": [], "AttachedManagedPolicies": [],
    })
    snapshot = snapshot_from_data([("mixed.json", data)])
    assert sorted(snapshot.accounts) == [DEV, PROD]
    assert list(snapshot.accounts[DEV].users) == [user_arn(DEV, "alice")] and not snapshot.accounts[DEV].roles
    assert list(snapshot.accounts[PROD].roles) == [DEPLOY] and not snapshot.accounts[PROD].users
    assert {a.source for a in snapshot.accounts.values()} == {"mixed.json"}
    assert not any("mixed.json" in w for w in snapshot.warnings)


def test_a_customer_managed_policy_of_another_account_in_the_file_goes_to_that_account():
    org = Org()
    org.account(DEV).user("alice")
    data = org.accounts[DEV].to_json()
    other = Org().account(PROD)
    stray = other.managed_policy("Stray", allow("s3:*"))
    data["Policies"].extend(other.to_json()["Policies"])
    snapshot = snapshot_from_data([("dev.json", data)])
    assert sorted(snapshot.accounts) == [DEV, PROD]
    assert list(snapshot.accounts[PROD].policies) == [stray] and not snapshot.accounts[PROD].users
    assert stray not in snapshot.accounts[DEV].policies
    assert snapshot.managed_policy(stray).document.statements[0].actions == ("s3:*",)


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


# -- file encodings ------------------------------------------------------------------------

def encoded_file(data, encoding: str) -> bytes:
    """``data`` as JSON text in ``encoding``: a byte order mark, as Windows tools write, where the name says so."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    boms = {"utf-8-bom": (codecs.BOM_UTF8, "utf-8"), "utf-16-le-bom": (codecs.BOM_UTF16_LE, "utf-16-le"),
            "utf-16-be-bom": (codecs.BOM_UTF16_BE, "utf-16-be"), "utf-32-le-bom": (codecs.BOM_UTF32_LE, "utf-32-le"),
            "utf-16-le": (b"", "utf-16-le"), "utf-16-be": (b"", "utf-16-be"), "utf-8": (b"", "utf-8")}
    bom, codec = boms[encoding]
    return bom + text.encode(codec)


ENCODINGS = ["utf-8", "utf-8-bom", "utf-16-le-bom", "utf-16-be-bom", "utf-32-le-bom", "utf-16-le", "utf-16-be"]


def powershell_org() -> Org:
    """An organization whose names are not all ASCII (a decoding slip would show)."""
    org = cross_account_org()
    org.account(DEV).user("zoë", allow("sts:AssumeRole", DEPLOY),
                          allow("s3:GetObject", "*", condition={"StringEquals": {"s3:prefix": "équipe-ß/日本"}}))
    org.full_access_everywhere()
    return org


@pytest.mark.parametrize("fast", FAST_PATHS)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_files_in_utf8_with_a_bom_and_in_utf16_read_as_their_text(tmp_path, monkeypatch, fast, encoding):
    use_fast_path(monkeypatch, fast)
    org = powershell_org()
    for name, data in org.files():
        (tmp_path / name).write_bytes(encoded_file(data, encoding))
    expected = powershell_org().snapshot()
    snapshot = load_snapshot([tmp_path])
    assert set(snapshot.accounts) == {DEV, PROD} and snapshot.organization is not None
    zoe = snapshot.principal(user_arn(DEV, "zoë"))
    assert zoe is not None and zoe == expected.principal(user_arn(DEV, "zoë"))
    assert zoe.inline_policies[0].document.statements[1].conditions[0].values == ("équipe-ß/日本",)
    assert [w for w in snapshot.warnings if str(tmp_path) in w] == []
    assert decide(snapshot, user_arn(DEV, "zoë")).outcome is Outcome.ALLOWED


@pytest.mark.parametrize("fast", FAST_PATHS)
@pytest.mark.parametrize("encoding", ["utf-8-bom", "utf-16-le-bom", "utf-16-be-bom"])
def test_invalid_json_in_a_bom_file_names_line_and_column_of_its_text(tmp_path, monkeypatch, fast, encoding):
    use_fast_path(monkeypatch, fast)
    bad = tmp_path / "broken.json"
    text = '{\n  "UserDetailList": [\n    {"Arn": ,}\n  ]\n}\n'
    bom, codec = {"utf-8-bom": (codecs.BOM_UTF8, "utf-8"), "utf-16-le-bom": (codecs.BOM_UTF16_LE, "utf-16-le"),
                  "utf-16-be-bom": (codecs.BOM_UTF16_BE, "utf-16-be")}[encoding]
    bad.write_bytes(bom + text.encode(codec))
    assert_load_error([bad], str(bad), "invalid JSON", "line 3", "column 13")


# -- folders with other JSON -----------------------------------------------------------------

NOT_IAM = {
    "describe-regions.json": {"Regions": [{"Endpoint": "ec2.eu-west-1.amazonaws.com", "RegionName": "eu-west-1",
                                           "OptInStatus": "opt-in-not-required"}]},
    "account-data/default/us-east-1/ec2-describe-instances.json": {"Reservations": []},
    "account-data/default/us-east-1/organizations-list-accounts.json": {"Accounts": [{"Id": DEV, "Name": "dev"}]},
    "account-data/default/us-east-1/iam-list-policies.json": {"Policies": [
        {"PolicyName": "P", "Arn": f"arn:aws:iam::{DEV}:policy/P", "DefaultVersionId": "v1", "AttachmentCount": 1}]},
    "account-data/default/us-east-1/organizations-list-policies.json": {"Policies": [
        {"Id": "p-FullAWSAccess", "Arn": "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess",
         "Name": "FullAWSAccess", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": True}]},
    "config.json": {"accounts": [{"id": DEV, "name": "dev", "default": True}]},
    "list.json": [1, 2, 3],
    "null.json": None,
    "string.json": "UserDetailList",
}
SKIPPED = "is not an account, organization or manifest file: skipped"


def test_other_json_in_a_folder_is_skipped_with_one_warning_each(tmp_path):
    org = cross_account_org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    org.full_access_everywhere()
    write_files(tmp_path, [*org.files(), *NOT_IAM.items()])
    snapshot = load_snapshot([tmp_path])
    assert set(snapshot.accounts) == {DEV, PROD} and snapshot.organization is not None
    skipped = [w for w in snapshot.warnings if SKIPPED in w]
    assert sorted(skipped) == sorted(f"{tmp_path / name} {SKIPPED}" for name in NOT_IAM)
    assert all("\n" not in w for w in skipped)
    assert decide(snapshot, user_arn(DEV, "alice")).outcome is Outcome.ALLOWED


def test_the_facade_skips_them_too(tmp_path):
    import graphiam

    write_files(tmp_path, [*cross_account_org().files(), ("describe-regions.json", NOT_IAM["describe-regions.json"])])
    access = graphiam.load(tmp_path)
    assert f"{tmp_path / 'describe-regions.json'} {SKIPPED}" in access.warnings


@pytest.mark.parametrize("name", list(NOT_IAM), ids=[name.rsplit("/", 1)[-1] for name in NOT_IAM])
def test_other_json_named_explicitly_is_still_an_error(tmp_path, name):
    org = cross_account_org()
    write_files(tmp_path / "snap", org.files())
    other = write_files(tmp_path / "other", [(name, NOT_IAM[name])]) / name
    assert_load_error([tmp_path / "snap", other], str(other), "neither")


def test_a_file_named_and_also_in_the_folder_counts_as_named(tmp_path):
    write_files(tmp_path, [*cross_account_org().files(), ("regions.json", NOT_IAM["describe-regions.json"])])
    assert_load_error([tmp_path, tmp_path / "regions.json"], "regions.json", "neither")


def test_snapshot_files_says_which_came_from_a_folder(tmp_path):
    write_files(tmp_path / "snap", cross_account_org().files())
    write_files(tmp_path, [("regions.json", NOT_IAM["describe-regions.json"])])
    files = snapshot_files([tmp_path / "snap", tmp_path / "regions.json"])
    assert isinstance(files, list) and files[-1] == tmp_path / "regions.json"
    assert files.from_folder == {tmp_path / "snap" / f"{DEV}.json", tmp_path / "snap" / f"{PROD}.json"}
    assert_load_error([tmp_path / "snap", tmp_path / "regions.json"], "regions.json", "neither")
    # a plain list of paths counts as named files; the folder bit may be given
    with pytest.raises(SnapshotError):
        snapshot_from_files(list(files))
    snapshot = snapshot_from_files(list(files), from_folder=[tmp_path / "regions.json"])
    assert f"{tmp_path / 'regions.json'} {SKIPPED}" in snapshot.warnings


def test_snapshot_from_data_skips_only_the_sources_it_is_told_came_from_a_folder():
    files = [*cross_account_org().files(), ("regions.json", NOT_IAM["describe-regions.json"])]
    assert_data_error(files, "regions.json", "neither")
    snapshot = snapshot_from_data(files, from_folder={"regions.json"})
    assert [w for w in snapshot.warnings if SKIPPED in w] == [f"regions.json {SKIPPED}"]


def test_a_folder_of_nothing_but_other_json_has_no_account(tmp_path):
    write_files(tmp_path, [("regions.json", NOT_IAM["describe-regions.json"])])
    assert_load_error([tmp_path], "regions.json", "no account file")


def test_a_real_account_file_with_only_policies_is_still_read_in_a_folder(tmp_path):
    org = cross_account_org()
    aws_policy = org.account(DEV).managed_policy("AssumeAnything", allow("sts:AssumeRole", "*"), aws_managed=True)
    policies_only = {"Policies": org.accounts[DEV].to_json()["Policies"]}
    prod = org.accounts[PROD].to_json()
    prod["UserDetailList"].append(raw_user(PROD, "ops", AttachedManagedPolicies=[
        {"PolicyName": "AssumeAnything", "PolicyArn": aws_policy}]))
    write_files(tmp_path, [("aws-managed.json", policies_only), (f"{PROD}.json", prod)])
    snapshot = load_snapshot([tmp_path])
    assert snapshot.managed_policy(aws_policy) is not None
    assert not any(SKIPPED in w or aws_policy in w for w in snapshot.warnings)


# -- truncated exports -----------------------------------------------------------------------

# the shape of the AWS CLI documentation's get-account-authorization-details example: one page, a Marker
MARKER = "EXAMPLEkakv9BCuUNFDtxWSyfzetYwEx2ADc8dnzfvERF5S6YMvXKx41t6gCl/eeaCX3Jo94/bKqezEAg8TEVS99EKFLxm3jtbpl25FDWEXAMPLE"
TRUNCATED = "a truncated export"


def test_a_truncated_export_is_a_warning_naming_the_file(tmp_path):
    org = cross_account_org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    files = dict(org.files())
    files[f"{DEV}.json"] = {**files[f"{DEV}.json"], "Marker": MARKER, "IsTruncated": True}
    write_files(tmp_path, list(files.items()))
    snapshot = load_snapshot([tmp_path])
    (warning,) = [w for w in snapshot.warnings if TRUNCATED in w]
    assert warning.startswith(str(tmp_path / f"{DEV}.json")) and "IsTruncated" in warning
    assert "missing" in warning and "\n" not in warning
    assert decide(snapshot, user_arn(DEV, "alice")).outcome is Outcome.ALLOWED  # what is there is still read


def test_a_cli_max_items_export_with_a_next_token_is_truncated_too():
    data = {**account_file(raw_user(DEV, "alice")), "NextToken": "eyJNYXJrZXIiOiBudWxsfQ=="}
    (warning,) = [w for w in snapshot_from_data([("dev.json", data)]).warnings if TRUNCATED in w]
    assert warning.startswith("dev.json") and "NextToken" in warning


def test_a_complete_export_is_not_truncated():
    data = {**account_file(raw_user(DEV, "alice")), "IsTruncated": False}
    assert not any(TRUNCATED in w for w in snapshot_from_data([("dev.json", data)]).warnings)


# -- merged multi-account files --------------------------------------------------------------

def merged_org() -> Org:
    """Two accounts with a group of the same name: dev's Admins may assume prod Deploy, prod's may not."""
    org = cross_account_org()
    dev = org.account(DEV)
    dev_policy = dev.managed_policy("DevBase", allow("s3:GetObject", "*"))
    dev.group("Admins", allow("sts:AssumeRole", DEPLOY, sid="DevAdmins"))
    dev.user("alice", groups=("Admins",), managed=(dev_policy,))
    prod = org.account(PROD)
    prod_policy = prod.managed_policy("ProdBase", allow("s3:ListBucket", "*"))
    prod.group("Admins", deny("sts:AssumeRole", "*", sid="ProdAdmins"))
    prod.user("bob", allow("sts:AssumeRole", DEPLOY), groups=("Admins",), managed=(prod_policy,))
    return org


def merge(*files: dict) -> dict:
    """One file holding the entities of all ``files`` (cloudsplaining-style merged export)."""
    out: dict = {key: [] for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")}
    for data in files:
        for key in out:
            out[key].extend(copy.deepcopy(data.get(key, [])))
    return out


def test_a_merged_file_reads_like_one_file_per_account():
    org = merged_org()
    separate = org.snapshot()
    merged = snapshot_from_data([("merged.json", merge(*(data for _, data in org.files())))])
    assert sorted(merged.accounts) == sorted(separate.accounts) == [DEV, PROD]
    for account_id, account in merged.accounts.items():
        expected = separate.accounts[account_id]
        assert account.source == "merged.json"
        assert account.users == expected.users and account.groups == expected.groups
        assert account.roles == expected.roles and account.policies == expected.policies
    assert merged.warnings == separate.warnings  # the no-organization warning alone: a consistent merge says nothing


def test_group_names_of_a_merged_file_resolve_in_the_users_own_account():
    org = merged_org()
    snapshot = snapshot_from_data([("merged.json", merge(*(data for _, data in org.files())))])
    alice = snapshot.principal(user_arn(DEV, "alice"))
    bob = snapshot.principal(user_arn(PROD, "bob"))
    assert [g.account_id for g in snapshot.groups_of(alice)] == [DEV]
    assert [g.account_id for g in snapshot.groups_of(bob)] == [PROD]
    assert decide(snapshot, user_arn(DEV, "alice")).outcome is Outcome.ALLOWED  # dev's Admins allows
    bob_decision = decide(snapshot, user_arn(PROD, "bob"))  # prod's Admins denies, dev's does not apply
    assert bob_decision.outcome is Outcome.DENIED
    assert [b.attached_to for b in bob_decision.blockers if (b.layer, b.effect) == ("identity", "explicit_deny")] == [
        f"arn:aws:iam::{PROD}:group/Admins"]


def test_a_merged_file_with_aws_managed_policies_shares_them():
    org = merged_org()
    aws_policy = org.account(DEV).managed_policy("ReadOnlyAccess", allow("s3:Get*", "*"), aws_managed=True)
    org.account(PROD).user("carol", managed=(aws_policy,))
    snapshot = snapshot_from_data([("merged.json", merge(*(data for _, data in org.files())))])
    assert aws_policy in snapshot.aws_managed_policies
    assert snapshot.managed_policy(aws_policy) is not None
    assert not any(aws_policy in w for w in snapshot.warnings)


def test_a_merged_file_and_another_file_of_one_of_its_accounts_is_an_error_as_for_two_files():
    org = merged_org()
    files = dict(org.files())
    text = assert_data_error([("merged.json", merge(*files.values())), ("again.json", files[f"{DEV}.json"])],
                             "again.json", "merged.json", DEV)
    assert "give each account once" in text


def test_a_policy_referenced_across_a_merged_file_is_found_by_its_arn_and_warned_about():
    org = merged_org()
    prod_policy = f"arn:aws:iam::{PROD}:policy/ProdBase"
    org.account(DEV).user("dave", managed=(prod_policy,))
    snapshot = snapshot_from_data([("merged.json", merge(*(data for _, data in org.files())))])
    assert snapshot.managed_policy(prod_policy) is not None
    (warning,) = [w for w in snapshot.warnings if user_arn(DEV, "dave") in w]
    assert warning.startswith("merged.json") and prod_policy in warning and "merged file" in warning


def test_a_group_missing_from_the_users_account_in_a_merged_file_is_warned_about():
    org = merged_org()
    org.account(PROD).group("Operators", allow("sts:AssumeRole", DEPLOY))
    org.account(DEV).user("erin", groups=("Operators",))
    org.account(DEV).user("fred", groups=("Gone",))  # in no account of the file: as silent as in a file of its own
    snapshot = snapshot_from_data([("merged.json", merge(*(data for _, data in org.files())))])
    assert snapshot.groups_of(snapshot.principal(user_arn(DEV, "erin"))) == ()
    (warning,) = [w for w in snapshot.warnings if user_arn(DEV, "erin") in w]
    assert "Operators" in warning and PROD in warning and "own account" in warning
    assert decide(snapshot, user_arn(DEV, "erin")).outcome is Outcome.DENIED
    assert not any(user_arn(DEV, "fred") in w for w in snapshot.warnings)


def test_one_account_in_two_partitions_is_an_error():
    data = account_file(raw_user(DEV, "alice"), raw_user(DEV, "bob"))
    data["UserDetailList"][1]["Arn"] = f"arn:aws-cn:iam::{DEV}:user/bob"
    assert_data_error([("dev.json", data)], "dev.json", DEV, "aws-cn", "partition")


# -- incomplete organization files -------------------------------------------------------------

def org_file(org: Org) -> dict:
    return copy.deepcopy(dict(org.files())["organization.json"])


def with_org_file(org: Org, data: dict) -> list[tuple[str, object]]:
    return [(name, content) for name, content in org.files() if name != "organization.json"] + [("organization.json", data)]


def test_a_complete_organization_file_is_not_incomplete():
    snapshot = org_with_ous().snapshot()
    organization = snapshot.organization
    assert organization.incomplete == () and organization.accounts_listed
    assert organization.policy_types_known == {"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"}
    assert organization.policy_type_status("SERVICE_CONTROL_POLICY") == "listed"
    assert not any("organization.json" in w for w in snapshot.warnings)


def test_describe_organization_alone_is_an_incomplete_organization():
    org = org_with_ous()
    describe = {"Organization": {"Id": "o-test000001", "Arn": "arn:aws:organizations::111111111111:organization/o-test000001",
                                 "FeatureSet": "ALL", "MasterAccountId": "111111111111"}}
    snapshot = snapshot_from_data(with_org_file(org, describe))
    organization = snapshot.organization
    assert organization is not None and organization.org_id == "o-test000001"
    assert organization.parents == {} and organization.policies == () and organization.root_ids == ()
    assert not organization.accounts_listed
    assert organization.policy_types_enabled is None and organization.policy_types_known == frozenset()
    assert organization.incomplete == (
        "organization.json has no Accounts: which accounts are members, and under which OU, is unknown; "
        "no SCP or RCP is applied to any account",
        "organization.json has no Policies: SCPs and RCPs are unknown",
    )
    assert [w for w in snapshot.warnings if "organization" in w] == list(organization.incomplete)
    assert {organization.policy_type_status(t) for t in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")} == {"unknown"}


def test_describe_organization_says_which_policy_types_are_enabled():
    org = org_with_ous()
    describe = {"Organization": {"Id": "o-test000001", "MasterAccountId": "111111111111", "AvailablePolicyTypes": [
        {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}, {"Type": "TAG_POLICY", "Status": "ENABLED"}]}}
    organization = snapshot_from_data(with_org_file(org, describe)).organization
    assert organization.policy_types_enabled == {"SERVICE_CONTROL_POLICY", "TAG_POLICY"}
    assert organization.policy_types_known == {"RESOURCE_CONTROL_POLICY"}  # not enabled: none apply
    assert organization.policy_type_status("RESOURCE_CONTROL_POLICY") == "off"
    assert organization.policy_type_status("SERVICE_CONTROL_POLICY") == "unknown"
    assert "organization.json has no Policies: SCPs are unknown" in organization.incomplete


def test_an_organization_file_without_accounts():
    org = org_with_ous()
    data = org_file(org)
    del data["Accounts"]
    snapshot = snapshot_from_data(with_org_file(org, data))
    organization = snapshot.organization
    assert not organization.accounts_listed and len(organization.incomplete) == 1
    assert "no Accounts" in organization.incomplete[0]
    assert organization.policy_types_known == {"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"}
    # one warning for the missing list, none per account "not in the organization file"
    assert [w for w in snapshot.warnings if "organization" in w] == list(organization.incomplete)
    assert organization.path_of(PROD) is None  # nothing invented


def test_an_organization_file_without_policies():
    org = org_with_ous()
    data = org_file(org)
    del data["Policies"]
    snapshot = snapshot_from_data(with_org_file(org, data))
    organization = snapshot.organization
    assert organization.incomplete == ("organization.json has no Policies: SCPs and RCPs are unknown",)
    assert organization.incomplete[0] in snapshot.warnings
    assert organization.policy_types_known == frozenset() and organization.policies == ()
    assert organization.path_of(PROD) == ("r-test", "ou-work", PROD)


def test_an_organization_file_with_policies_lacking_targets():
    org = org_with_ous()
    org.scp("DenyRegions", deny("ec2:*", "*"), targets=("ou-work",))
    data = org_file(org)
    for entry in data["Policies"]:
        del entry["Targets"]
    organization = snapshot_from_data(with_org_file(org, data)).organization
    assert organization.incomplete == (
        "organization.json: 2 SCPs without Targets (FullAWSAccess, DenyRegions): where SCPs apply is unknown",)
    assert organization.policy_types_known == {"RESOURCE_CONTROL_POLICY"}
    assert {p.name for p in organization.policies} == {"FullAWSAccess", "DenyRegions"}
    assert all(p.target_ids == () for p in organization.policies)


def test_empty_targets_are_known_targets():
    org = org_with_ous()
    org.scp("Detached", deny("*", "*"), targets=())
    organization = org.snapshot().organization
    assert organization.incomplete == () and "SERVICE_CONTROL_POLICY" in organization.policy_types_known


def test_roots_policy_types_say_which_types_are_enabled():
    org = org_with_ous()
    data = org_file(org)
    data["Roots"][0]["PolicyTypes"] = [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
                                       {"Type": "RESOURCE_CONTROL_POLICY", "Status": "PENDING_ENABLE"}]
    data["Organization"]["AvailablePolicyTypes"] = [{"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"}]
    organization = snapshot_from_data(with_org_file(org, data)).organization
    assert organization.policy_types_enabled == {"SERVICE_CONTROL_POLICY"}  # the roots win over the deprecated field
    assert organization.policy_type_status("SERVICE_CONTROL_POLICY") == "listed"
    assert organization.policy_type_status("RESOURCE_CONTROL_POLICY") == "off"
    assert organization.incomplete == ()


def test_no_policy_types_enabled_and_no_policies_is_complete():
    org = org_with_ous()
    data = org_file(org)
    data["Roots"][0]["PolicyTypes"] = []
    del data["Policies"]
    organization = snapshot_from_data(with_org_file(org, data)).organization
    assert organization.policy_types_enabled == frozenset() and organization.incomplete == ()
    assert organization.policy_type_status("SERVICE_CONTROL_POLICY") == "off"


def test_malformed_policy_types_are_errors_naming_the_file():
    org = org_with_ous()
    data = org_file(org)
    data["Roots"][0]["PolicyTypes"] = "SERVICE_CONTROL_POLICY"
    assert_data_error(with_org_file(org, data), "organization.json", "PolicyTypes")


def test_the_sample_says_both_policy_types_are_enabled_and_listed(sample_dir):
    organization = load_snapshot([sample_dir]).organization
    assert organization.policy_types_enabled >= {"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"}
    assert organization.incomplete == ()
    assert organization.policy_type_status("RESOURCE_CONTROL_POLICY") == "listed"


# -- partitions ------------------------------------------------------------------------------

def in_partition(data, partition: str):
    """``data`` with every ``arn:aws:`` ARN moved to ``partition`` (and service principals to its form)."""
    text = json.dumps(data).replace("arn:aws:", f"arn:{partition}:")
    if partition == "aws-cn":
        text = text.replace(".amazonaws.com\"", ".amazonaws.com.cn\"")
    return json.loads(text)


@pytest.mark.parametrize("partition", ["aws-us-gov", "aws-cn"])
def test_govcloud_and_china_exports_load_like_commercial_ones(partition):
    org = cross_account_org()
    dev = org.account(DEV)
    aws_policy = dev.managed_policy("ReadOnlyAccess", allow("s3:Get*", "*"), aws_managed=True)
    own = dev.managed_policy("DevBase", allow("s3:ListBucket", "*"))
    dev.user("alice", allow("sts:AssumeRole", DEPLOY), managed=(aws_policy, own))
    org.account(PROD).user("ops", managed=(aws_policy,))
    files = [(name, in_partition(data, partition)) for name, data in org.files()]
    snapshot = snapshot_from_data(files)
    moved_aws, moved_own = (arn.replace("arn:aws:", f"arn:{partition}:") for arn in (aws_policy, own))
    assert {a.partition for a in snapshot.accounts.values()} == {partition}
    assert moved_aws in snapshot.aws_managed_policies and moved_aws in snapshot.accounts[DEV].policies
    assert moved_own in snapshot.accounts[DEV].policies
    assert snapshot.managed_policy(moved_aws) is not None and snapshot.managed_policy(moved_own) is not None
    assert not any("references managed policy" in w for w in snapshot.warnings)
    alice = snapshot.principal(f"arn:{partition}:iam::{DEV}:user/alice")
    assert alice is not None and alice.managed_policy_arns == (moved_aws, moved_own)


@pytest.mark.parametrize("partition", ["aws-us-gov", "aws-cn"])
def test_a_file_of_govcloud_or_china_aws_managed_policies_alone(partition):
    aws_only = Org().account(DEV)
    aws_only.managed_policy("ReadOnlyAccess", allow("s3:Get*", "*"), aws_managed=True)
    aws_file = in_partition({"Policies": aws_only.to_json()["Policies"]}, partition)
    user = in_partition(raw_user(PROD, "ops", AttachedManagedPolicies=[
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]), partition)
    snapshot = snapshot_from_data([("aws-managed.json", aws_file), (f"{PROD}.json", account_file(user))])
    assert list(snapshot.accounts) == [PROD] and snapshot.accounts[PROD].partition == partition
    assert f"arn:{partition}:iam::aws:policy/ReadOnlyAccess" in snapshot.aws_managed_policies
    assert not any("references managed policy" in w for w in snapshot.warnings)


def test_a_commercial_account_is_in_the_aws_partition():
    assert {a.partition for a in cross_account_org().snapshot().accounts.values()} == {"aws"}


def test_a_policy_under_an_unknown_owner_is_still_not_an_iam_arn():
    data = account_file(raw_user(DEV, "alice"))
    data["Policies"] = [{"PolicyName": "X", "Arn": "arn:aws:iam::amazon:policy/X", "DefaultVersionId": "v1",
                         "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": True, "Document": policy(allow("*"))}]}]
    assert_data_error([("dev.json", data)], "dev.json", "not an IAM ARN")


# -- input limits ------------------------------------------------------------------------------

def populated_org() -> Org:
    """:func:`cross_account_org` with a user in dev, so that both account files hold principals."""
    org = cross_account_org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    return org


TOO_DEEP = f"nested deeper than {read_module.MAX_DEPTH} levels"


def nested(depth: int) -> object:
    """Arrays ``depth`` deep (``[[...]]``), written without recursion."""
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def nested_text(depth: int) -> str:
    return "[" * depth + "]" * depth


def write_raw_account(path: Path, extra_text: str = "", **entry) -> Path:
    """An account file whose text gets ``extra_text`` spliced in as an extra top-level key (deep or huge
    values that ``json.dumps`` itself could not write)."""
    data = account_file(raw_user(DEV, "alice", **entry))
    text = json.dumps(data)
    if extra_text:
        text = text[:-1] + ', "Extra": ' + extra_text + "}"
    path.write_text(text)
    return path


@pytest.mark.parametrize("fast", FAST_PATHS)
@pytest.mark.parametrize("depth", [read_module.MAX_DEPTH, 500, 1025, 5000])
def test_json_nested_too_deep_is_one_error_with_either_parser(tmp_path, monkeypatch, fast, depth):
    use_fast_path(monkeypatch, fast)
    bad = write_raw_account(tmp_path / "deep.json", nested_text(depth))  # the file's own object is one more level
    text = assert_load_error([bad], str(bad), TOO_DEEP)
    assert text == f"{bad}: JSON {TOO_DEEP} (the most graphiam reads)"


@pytest.mark.parametrize("fast", FAST_PATHS)
def test_json_nested_as_deep_as_the_limit_is_read(tmp_path, monkeypatch, fast):
    use_fast_path(monkeypatch, fast)
    ok = write_raw_account(tmp_path / "deep.json", nested_text(read_module.MAX_DEPTH - 1))
    assert DEV in load_snapshot([ok]).accounts


@pytest.mark.parametrize("fast", FAST_PATHS)
@pytest.mark.parametrize("form", ["json-text", "url-encoded"])
@pytest.mark.parametrize("depth", [150, 2000])
def test_a_policy_document_nested_too_deep_inside_a_file(tmp_path, monkeypatch, fast, form, depth):
    use_fast_path(monkeypatch, fast)
    text = ('{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": '
            '{"ForAnyValue:StringEquals": {"aws:TagKeys": ' + nested_text(depth) + "}}}]}")
    document = text if form == "json-text" else urllib.parse.quote(text)
    bad = tmp_path / "dev.json"
    bad.write_text(json.dumps(account_file(raw_user(DEV, "alice", document))))
    error = assert_load_error([bad], str(bad), "inline policy alice-inline", "policy document", TOO_DEEP)
    assert error.startswith(f"{bad}: UserDetailList[0]")


@pytest.mark.parametrize("depth", [150, 3000])
def test_a_policy_document_nested_too_deep_in_data_built_in_code(depth):
    document = policy(allow("s3:*", "*", condition={"StringEquals": {"s3:prefix": nested(depth)}}))
    assert_data_error([("dev.json", account_file(raw_user(DEV, "alice", document)))],
                      "dev.json", "inline policy alice-inline", TOO_DEEP)


HUGE = "1" + "0" * 5000
INT_LIMIT = "more than 4300 digits"


@pytest.mark.parametrize("fast", FAST_PATHS)
def test_an_integer_beyond_pythons_limit_in_a_file(tmp_path, monkeypatch, fast):
    use_fast_path(monkeypatch, fast)
    bad = write_raw_account(tmp_path / "dev.json", HUGE)
    assert_load_error([bad], str(bad), INT_LIMIT)
    also = write_raw_account(tmp_path / "dev.json", "[" + "1" * 4300 + "]")  # at the limit: read
    assert DEV in load_snapshot([also]).accounts


@pytest.mark.parametrize("fast", FAST_PATHS)
@pytest.mark.parametrize("form", ["json-text", "url-encoded"])
def test_an_integer_beyond_pythons_limit_in_a_policy_document_string(tmp_path, monkeypatch, fast, form):
    use_fast_path(monkeypatch, fast)
    text = ('{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": '
            '{"NumericLessThan": {"s3:max-keys": ' + HUGE + "}}}]}")
    bad = tmp_path / "dev.json"
    bad.write_text(json.dumps(account_file(raw_user(DEV, "alice", text if form == "json-text" else urllib.parse.quote(text)))))
    assert_load_error([bad], str(bad), "inline policy alice-inline", "policy document", INT_LIMIT)


def test_an_integer_beyond_pythons_limit_in_data_built_in_code():
    document = policy(allow("s3:*", "*", condition={"NumericLessThan": {"s3:max-keys": 10 ** 5000}}))
    assert_data_error([("dev.json", account_file(raw_user(DEV, "alice", document)))],
                      "dev.json", "inline policy alice-inline", INT_LIMIT)
    org = populated_org()
    org.scp("Guard", deny("iam:*", "*"), targets=[org.root])
    files = dict(org.files())
    files["organization.json"]["Policies"][0]["PolicySummary"]["Name"] = 10 ** 5000
    assert_data_error(list(files.items()), "organization.json", "Policies[0]", "Name", INT_LIMIT)


LONE = "\ud800"
NOT_UNICODE = "is not valid Unicode text (a lone surrogate \\ud800"


def lone_surrogate_cases() -> dict[str, tuple[object, str]]:
    """(account file data, the field the error must name) for a lone surrogate in each kind of text."""
    document = policy(allow("s3:GetObject", f"arn:aws:s3:::bucket-{LONE}/*"))
    cases = {
        "user ARN": (account_file(raw_user(DEV, "alice", Arn=user_arn(DEV, f"al{LONE}ice"))), "UserDetailList[0]: Arn"),
        "user name": (account_file(raw_user(DEV, "alice", UserName=f"al{LONE}ice")), "UserDetailList[0]: UserName"),
        "group name": (account_file(raw_user(DEV, "alice", GroupList=[f"Admins{LONE}"])), "GroupList[0]"),
        "tag": (account_file(raw_user(DEV, "alice", Tags=[{"Key": "team", "Value": f"a{LONE}"}])), "Tags: Value"),
        "policy document": (account_file(raw_user(DEV, "alice", document)), "Statement[0].Resource"),
        "policy document text": (account_file(raw_user(DEV, "alice", json.dumps(document))), "Statement[0].Resource"),
        "policy document key": (account_file(raw_user(DEV, "alice", {**document, f"K{LONE}": 1})), "a key of"),
    }
    role = populated_org().accounts[PROD].to_json()
    role["RoleDetailList"][0]["RoleName"] = f"Dep{LONE}loy"
    cases["role name"] = (role, "RoleDetailList[0]: RoleName")
    return cases


LONE_CASES = lone_surrogate_cases()


@pytest.mark.parametrize("fast", FAST_PATHS)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le-bom"])
@pytest.mark.parametrize("case", list(LONE_CASES))
def test_a_lone_surrogate_is_rejected_when_read_naming_file_and_field(tmp_path, monkeypatch, fast, encoding, case):
    use_fast_path(monkeypatch, fast)
    data, field = LONE_CASES[case]
    text = json.dumps(data)  # the surrogate as a \ud800 escape, which JSON allows
    assert "\\ud800" in text
    bad = tmp_path / "dev.json"
    bad.write_bytes(text.encode() if encoding == "utf-8" else codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    error = assert_load_error([bad], str(bad), field, NOT_UNICODE, "UTF-8")
    error.encode("utf-8")  # the message itself can be printed


@pytest.mark.parametrize("case", list(LONE_CASES))
def test_a_lone_surrogate_in_data_built_in_code_is_rejected_too(case):
    data, field = LONE_CASES[case]
    assert_data_error([("dev.json", data)], "dev.json", field, NOT_UNICODE)


def test_a_lone_surrogate_in_an_organization_file_is_rejected():
    org = populated_org()
    org.full_access_everywhere()
    files = dict(org.files())
    files["organization.json"]["Accounts"][0]["Name"] = f"dev{LONE}"
    assert_data_error(list(files.items()), "organization.json", "Accounts[0]: Name", NOT_UNICODE)


@pytest.mark.parametrize("fast", FAST_PATHS)
def test_a_surrogate_pair_is_ordinary_text(tmp_path, monkeypatch, fast):
    use_fast_path(monkeypatch, fast)
    data = account_file(raw_user(DEV, "alice", policy(allow("s3:GetObject", "arn:aws:s3:::\U0001F600/*")),
                                 Tags=[{"Key": "mood", "Value": "\U0001F600"}]))
    good = tmp_path / "dev.json"
    good.write_text(json.dumps(data))  # "\ud83d\ude00": a valid pair of escapes
    assert "\\ud83d\\ude00" in good.read_text()
    alice = load_snapshot([good]).principal(user_arn(DEV, "alice"))
    assert alice.tags[0].value == "\U0001F600"
    assert alice.inline_policies[0].document.statements[0].resources == ("arn:aws:s3:::\U0001F600/*",)


def test_a_file_name_that_is_not_utf8_is_an_error(tmp_path):
    name = os.fsdecode(b"dev-\xff.json")
    try:
        (tmp_path / name).write_text(json.dumps(populated_org().accounts[DEV].to_json()))
    except (OSError, UnicodeError):
        pytest.skip("this file system does not take such names")
    for given in ([tmp_path / name], [tmp_path]):
        text = assert_load_error(given, "dev-\\udcff.json", "not valid UTF-8")
        text.encode("utf-8")


def test_a_file_name_with_a_line_break_is_an_error(tmp_path):
    (tmp_path / "dev\n.json").write_text(json.dumps(populated_org().accounts[DEV].to_json()))
    assert_load_error([tmp_path], "dev\\x0a.json", "line break")


# -- special files -----------------------------------------------------------------------------------

@pytest.fixture
def no_hang():
    """Fails a test that blocks (opening a FIFO without a writer would) instead of hanging the run."""
    import signal

    if not hasattr(signal, "SIGALRM"):
        pytest.skip("needs SIGALRM")

    def timeout(signum, frame):
        raise AssertionError("reading blocked")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


ONLY_REGULAR = "only regular files are read"


def fifo(path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(path)
    return path


def unix_socket(path: Path):
    import socket

    if not hasattr(socket, "AF_UNIX") or len(str(path)) > 100:
        pytest.skip("no Unix socket at this path")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    return server


def test_a_fifo_named_is_an_error_and_does_not_block(tmp_path, no_hang):
    pipe = fifo(tmp_path / "dev.json")
    assert_load_error([pipe], str(pipe), "a FIFO", ONLY_REGULAR)
    with pytest.raises(SnapshotError, match="a FIFO"):
        read_module.read_files([pipe])


def test_a_fifo_in_a_folder_is_skipped_with_a_warning(tmp_path, no_hang):
    write_files(tmp_path, populated_org().files())
    (tmp_path / "sub").mkdir()
    pipe = fifo(tmp_path / "sub" / "pipe.json")
    snapshot = load_snapshot([tmp_path])
    assert set(snapshot.accounts) == {DEV, PROD}
    assert f"{pipe} is a FIFO (named pipe): skipped (only regular files are read)" in snapshot.warnings


def test_a_file_that_becomes_a_fifo_after_the_scan_is_an_error_not_a_hang(tmp_path, no_hang):
    write_files(tmp_path, populated_org().files())
    files = snapshot_files([tmp_path])
    files[0].unlink()
    fifo(files[0])
    assert files[0] in files.from_folder
    with pytest.raises(SnapshotError) as caught:
        snapshot_from_files(files)
    assert one_line_error(caught.value) == f"{files[0]}: a FIFO (named pipe): {ONLY_REGULAR} (save the JSON to a file and give that)"


def test_a_socket_named_or_found_is_not_read(tmp_path):
    write_files(tmp_path, populated_org().files())
    server = unix_socket(tmp_path / "s.json")
    try:
        assert_load_error([tmp_path / "s.json"], "s.json", "a socket", ONLY_REGULAR)
        assert f"{tmp_path / 's.json'} is a socket: skipped (only regular files are read)" in load_snapshot([tmp_path]).warnings
    finally:
        server.close()


def test_a_device_named_is_an_error(no_hang):
    if not Path("/dev/null").exists() or Path("/dev/null").is_file():
        pytest.skip("no /dev/null device")
    assert_load_error(["/dev/null"], "/dev/null", "a character device", ONLY_REGULAR)


def test_proc_files_are_not_read(tmp_path, no_hang):
    status = Path("/proc/self/status")
    if not status.is_file():
        pytest.skip("no /proc")
    assert_load_error([status], str(status), "a kernel pseudo-file", ONLY_REGULAR)
    assert_load_error(["/proc/self"], "/proc/self", "kernel pseudo-files")
    write_files(tmp_path, populated_org().files())
    (tmp_path / "status.json").symlink_to(status)
    snapshot = load_snapshot([tmp_path])
    assert f"{tmp_path / 'status.json'} is a kernel pseudo-file (/proc, /sys): skipped (only regular files are read)" \
        in snapshot.warnings


def test_a_link_to_a_file_is_read_and_a_link_to_a_folder_is_a_warning(tmp_path):
    write_files(tmp_path / "real", populated_org().files())
    (tmp_path / "snap").mkdir()
    (tmp_path / "snap" / f"{DEV}.json").symlink_to(tmp_path / "real" / f"{DEV}.json")
    (tmp_path / "snap" / "more").symlink_to(tmp_path / "real", target_is_directory=True)
    (tmp_path / "snap" / "gone.json").symlink_to(tmp_path / "nowhere.json")
    snapshot = load_snapshot([tmp_path / "snap"])
    assert set(snapshot.accounts) == {DEV}
    assert snapshot.warnings[:2] == (
        f"{tmp_path / 'snap' / 'gone.json'} is a broken link: skipped",
        f"{tmp_path / 'snap' / 'more'} is a link to a folder: not followed, so its files are not in the snapshot "
        "(give the folder itself to read them)",
    )


def unreadable(path: Path, monkeypatch, *, folder: bool) -> None:
    """``chmod 000`` on ``path``; where that does not stop this process (root), the read is refused by
    patching what the reader uses to open it (``os.scandir`` for a folder, ``os.open`` for a file)."""
    path.chmod(0)
    try:
        os.listdir(path) if folder else path.read_bytes()
    except PermissionError:
        return  # chmod works here
    name = "scandir" if folder else "open"
    real = getattr(os, name)

    def refuse(target, *args, **kwargs):
        if Path(target) == path:
            raise PermissionError(13, "Permission denied", str(path))
        return real(target, *args, **kwargs)

    monkeypatch.setattr(os, name, refuse)


@pytest.fixture
def restore_modes(tmp_path):
    yield
    for path in [tmp_path, *tmp_path.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o700)


def test_a_file_that_cannot_be_read_names_the_file(tmp_path, monkeypatch, restore_modes):
    write_files(tmp_path, populated_org().files())
    locked = tmp_path / f"{PROD}.json"
    unreadable(locked, monkeypatch, folder=False)
    for given in ([locked], [tmp_path]):
        text = assert_load_error(given, str(locked), "cannot be read (PermissionError: Permission denied)")
        assert text.startswith(str(locked))


def test_an_unreadable_subfolder_is_a_warning_naming_it(tmp_path, monkeypatch, restore_modes):
    org = populated_org()
    org.full_access_everywhere()
    files = dict(org.files())
    write_files(tmp_path, [(f"{DEV}.json", files[f"{DEV}.json"]), ("organization.json", files["organization.json"]),
                           (f"prod/{PROD}.json", files[f"{PROD}.json"])])
    unreadable(tmp_path / "prod", monkeypatch, folder=True)
    snapshot = load_snapshot([tmp_path])
    assert set(snapshot.accounts) == {DEV}
    assert snapshot.warnings[0] == (f"{tmp_path / 'prod'} cannot be read (PermissionError: Permission denied): "
                                    "its files are not in the snapshot")
    assert read_module.read_files([tmp_path]).warnings == (snapshot.warnings[0],)


def test_an_unreadable_folder_named_is_an_error(tmp_path, monkeypatch, restore_modes):
    write_files(tmp_path / "snap", populated_org().files())
    unreadable(tmp_path / "snap", monkeypatch, folder=True)
    assert_load_error([tmp_path / "snap"], str(tmp_path / "snap"), "cannot be read (PermissionError")


# -- interrupted collections -------------------------------------------------------------------------

STAGING = "444444444444"
SANDBOX = "555555555555"


def collected_org() -> Org:
    """dev, prod, staging and sandbox in the organization; the manifests below say what was collected."""
    org = populated_org()
    org.accounts[DEV].name, org.accounts[PROD].name = "dev", "prod"
    org.account(STAGING, name="staging").user("stager")
    org.account(SANDBOX, name="sandbox").user("player")
    org.full_access_everywhere()
    return org


def manifest(finished: bool | None, **outcomes: str) -> dict:
    """A collection.json; ``finished`` None writes ``"finished_at": null`` (the older collector's interrupted run)."""
    data = {"Kind": read_module.MANIFEST_KIND, "version": 1, "started_at": "2026-01-01T00:00:00+00:00",
            "caller": "arn:aws:iam::111111111111:user/c", "caller_account": "111111111111",
            "options": {"org": True, "accounts": [], "exclude_accounts": []},
            "accounts": {account_id: {"status": status, "name": None} for account_id, status in outcomes.items()}}
    if finished:
        data["finished_at"] = "2026-01-01T00:05:00+00:00"
    elif finished is None:
        data["finished_at"] = None
    return data


def collection_files(org: Org, data: dict, *accounts: str) -> list[tuple[str, object]]:
    files = dict(org.files())
    return [*((f"{a}.json", files[f"{a}.json"]) for a in accounts), ("organization.json", files["organization.json"]),
            ("collection.json", data)]


def unfinished(snapshot) -> list[str]:
    return [w for w in snapshot.warnings if "did not finish" in w]


@pytest.mark.parametrize("finished_at", [False, None], ids=["absent", "null"])
def test_an_interrupted_collection_names_the_organization_accounts_not_collected(finished_at):
    data = manifest(finished_at, **{DEV: "ok", PROD: "ok", STAGING: "pending", SANDBOX: "pending"})
    snapshot = snapshot_from_data(collection_files(collected_org(), data, DEV, PROD))
    assert unfinished(snapshot) == [
        f"the collection in collection.json did not finish: accounts {STAGING} (staging), {SANDBOX} (sandbox) "
        "were not collected; answers about paths through them are unknown"]


def test_an_interrupted_collection_counts_every_organization_account_without_a_file():
    # the manifest was last written early: it knows nothing of prod, whose file is missing too
    data = manifest(False, **{DEV: "ok"})
    snapshot = snapshot_from_data(collection_files(collected_org(), data, DEV, STAGING, SANDBOX))
    assert unfinished(snapshot) == [
        f"the collection in collection.json did not finish: account {PROD} (prod) was not collected; "
        "answers about paths through it are unknown"]


def test_a_finished_collection_has_no_such_warning():
    data = manifest(True, **{DEV: "ok", PROD: "ok", STAGING: "ok", SANDBOX: "ok"})
    assert unfinished(snapshot_from_data(collection_files(collected_org(), data, DEV, PROD))) == []


def test_an_interrupted_collection_leaves_out_failed_skipped_and_excluded_accounts():
    data = manifest(False, **{DEV: "ok", PROD: "failed", STAGING: "skipped"})
    data["options"]["exclude_accounts"] = [SANDBOX]
    snapshot = snapshot_from_data(collection_files(collected_org(), data, DEV))
    assert unfinished(snapshot) == []
    assert any(f"account {PROD} could not be collected" in w for w in snapshot.warnings)
    data["options"] = {"accounts": [DEV, STAGING]}  # --account: only those were to be read
    data["accounts"][STAGING]["status"] = "pending"
    (warning,) = unfinished(snapshot_from_data(collection_files(collected_org(), data, DEV)))
    assert f"account {STAGING} (staging) was not collected" in warning


def test_an_interrupted_collection_without_an_organization_file_names_its_pending_accounts():
    data = manifest(False, **{DEV: "ok", PROD: "pending", STAGING: "pending"})
    data["accounts"][PROD]["name"] = "prod"
    files = [(f"{DEV}.json", collected_org().accounts[DEV].to_json()), ("collection.json", data)]
    assert unfinished(snapshot_from_data(files)) == [
        f"the collection in collection.json did not finish: accounts {PROD} (prod), {STAGING} were not collected; "
        "answers about paths through them are unknown"]
    data["accounts"] = {DEV: {"status": "ok"}}
    assert unfinished(snapshot_from_data(files)) == [
        "the collection in collection.json did not finish: which accounts it did not collect is unknown "
        "(it lists none as pending, and no organization file lists the accounts); "
        "answers about paths through them are unknown"]


def test_a_long_list_of_accounts_not_collected_is_cut_short():
    org = collected_org()
    many = [f"{900000000000 + n}" for n in range(25)]
    for account_id in many:
        org.account(account_id)
    data = manifest(False, **{DEV: "ok"})
    (warning,) = unfinished(snapshot_from_data(collection_files(org, data, DEV)))
    assert "and 8 more were not collected" in warning  # prod, staging, sandbox and 25: 20 named and "\n" not in warning


def test_an_interrupted_collection_on_disk_names_the_manifest(tmp_path):
    data = manifest(False, **{DEV: "ok", PROD: "ok", STAGING: "pending"})
    write_files(tmp_path, collection_files(collected_org(), data, DEV, PROD, SANDBOX))
    (warning,) = unfinished(load_snapshot([tmp_path]))
    assert warning.startswith(f"the collection in {tmp_path / 'collection.json'} did not finish: account {STAGING}")


def test_the_organization_lists_its_account_ids():
    organization = collected_org().snapshot().organization
    assert organization.account_ids == (DEV, PROD, STAGING, SANDBOX)


# -- reading the bytes once -------------------------------------------------------------------------

def test_read_files_returns_the_bytes_and_what_the_scan_found(tmp_path):
    write_files(tmp_path / "snap", populated_org().files())
    write_files(tmp_path, [("regions.json", NOT_IAM["describe-regions.json"])])
    buffers = read_module.read_files([tmp_path / "snap", tmp_path / "regions.json"])
    files = snapshot_files([tmp_path / "snap", tmp_path / "regions.json"])
    assert isinstance(buffers, list) and [path for path, _ in buffers] == list(files)
    assert all(raw == path.read_bytes() for path, raw in buffers)
    assert buffers.from_folder == files.from_folder and buffers.warnings == files.warnings == ()


@pytest.mark.parametrize("fast", FAST_PATHS)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le-bom", "utf-16-be"])
def test_snapshot_from_buffers_reads_as_snapshot_from_files_does(tmp_path, monkeypatch, fast, encoding):
    use_fast_path(monkeypatch, fast)
    org = powershell_org()
    for name, data in [*org.files(), ("regions.json", NOT_IAM["describe-regions.json"])]:
        (tmp_path / name).write_bytes(encoded_file(data, encoding))
    expected = load_snapshot([tmp_path])
    snapshot = read_module.snapshot_from_buffers(read_module.read_files([tmp_path]))
    assert snapshot == expected and snapshot.warnings == expected.warnings
    assert f"{tmp_path / 'regions.json'} {SKIPPED}" in snapshot.warnings


def test_snapshot_from_buffers_parses_those_bytes_not_the_files_now(tmp_path, monkeypatch):
    org = populated_org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    write_files(tmp_path, org.files())
    buffers = read_module.read_files([tmp_path])
    org.account(DEV).user("mallory")  # the files change after they were read (and hashed)
    write_files(tmp_path, org.files())

    def no_disk(*args, **kwargs):
        raise AssertionError("snapshot_from_buffers read the disk")

    monkeypatch.setattr(read_module, "_read_file", no_disk)
    monkeypatch.setattr(os, "open", no_disk)
    snapshot = read_module.snapshot_from_buffers(buffers)
    assert snapshot.principal(user_arn(DEV, "alice")) is not None
    assert snapshot.principal(user_arn(DEV, "mallory")) is None


def test_snapshot_from_buffers_errors_name_the_path():
    bad = Path("/snap/broken.json")
    with pytest.raises(SnapshotError) as caught:
        read_module.snapshot_from_buffers([(bad, b'{\n  "UserDetailList": [\n    {"Arn": ,}\n  ]\n}\n')])
    assert one_line_error(caught.value).startswith(f"{bad}: invalid JSON at line 3 column 13")
    with pytest.raises(SnapshotError, match="regions.json: neither"):
        read_module.snapshot_from_buffers([(Path("regions.json"), b'{"Regions": []}')])
    snapshot = read_module.snapshot_from_buffers(
        [(Path(f"{DEV}.json"), json.dumps(populated_org().accounts[DEV].to_json()).encode()),
         (Path("regions.json"), b'{"Regions": []}')], from_folder=[Path("regions.json")], warnings=["read note"])
    assert snapshot.warnings[0] == "read note" and f"regions.json {SKIPPED}" in snapshot.warnings


def test_snapshot_from_files_reads_each_file_once(tmp_path, monkeypatch):
    write_files(tmp_path, populated_org().files())
    files = snapshot_files([tmp_path])
    read = []
    real = read_module._read_file
    monkeypatch.setattr(read_module, "_read_file", lambda path: read.append(path) or real(path))
    load_snapshot([tmp_path])
    assert sorted(read) == sorted(files)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\,:ab \n\u00e9\U0001F600', max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet='[]{}"\\:a', max_size=3), inner, max_size=3),
    max_leaves=12,
)


def depth_of(value) -> int:
    """How deep arrays and objects nest in ``value`` (the reference: a plain recursive walk)."""
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES, limit=st.integers(1, 6), ascii_only=st.booleans(), indent=st.sampled_from([None, 1]))
def test_the_depth_of_json_text_is_the_depth_of_its_value(value, limit, ascii_only, indent):
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent).encode()
    assert read_module._text_too_deep(text, limit) == (depth_of(value) > limit)
