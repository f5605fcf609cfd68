"""graphiam.snapshot.plan: a snapshot plus a Terraform plan (``terraform show -json``) is the snapshot after apply.

Each supported resource type has a plan under tests/snapshot/plans/ (written in the shape Terraform 1.7 and the
AWS provider 5 give). The old snapshot is built with the one builder (tests/builders.py); the new one is read back
through the real reader and, where access changes, asked of the access graph.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import Org, allow, role_arn, trust_account, trust_arn, trust_service, user_arn
from graphiam.access import AccessGraph
from graphiam.cli import EXIT_BAD_INPUT, EXIT_OK, main
from graphiam.queries.diff import diff_graphs
from graphiam.snapshot.plan import MANIFEST_NAME, PlanError, apply_plan
from graphiam.snapshot.read import MANIFEST_KIND, SnapshotError, load_snapshot, snapshot_from_data

PLANS = Path(__file__).resolve().parent / "plans"
DEV, PROD = "222222222222", "333333333333"
ALICE, BOB, CAROL, DAVE = (user_arn(DEV, n) for n in ("alice", "bob", "carol", "dave"))
CI = role_arn(DEV, "CI")
DEPLOY, PROD_ADMIN, APP_DEPLOY = role_arn(PROD, "Deploy"), role_arn(PROD, "ProdAdmin"), role_arn(PROD, "AppDeploy")
ASSUME_DEPLOY = f"arn:aws:iam::{DEV}:policy/AssumeDeploy"
S3_READ = f"arn:aws:iam::{DEV}:policy/S3Read"
BOUNDARY = f"arn:aws:iam::{PROD}:policy/Boundary"


def scenario(*, bob_attached: bool = False, deployers_can_deploy: bool = False) -> Org:
    """dev (alice may assume anything; bob, carol in deployers, role CI) and prod (Deploy trusts the dev account,
    ProdAdmin trusts CI); the unattached policy AssumeDeploy and bob's S3Read wait in dev."""
    org = Org()
    dev = org.account(DEV, name="dev")
    prod = org.account(PROD, name="prod")
    dev.user("alice", allow("sts:AssumeRole", "*"))
    dev.user("bob", managed=[S3_READ, *([ASSUME_DEPLOY] if bob_attached else [])])
    dev.user("carol", groups=["deployers"])
    dev.group("deployers", *([allow("sts:AssumeRole", DEPLOY)] if deployers_can_deploy else []))
    dev.role("CI", trusts=trust_service("codebuild.amazonaws.com"))
    dev.managed_policy("AssumeDeploy", allow("sts:AssumeRole", DEPLOY))
    dev.managed_policy("S3Read", allow("s3:GetObject"))
    prod.role("Deploy", trusts=trust_account(DEV))
    prod.role("ProdAdmin", allow("*"), trusts=trust_arn(CI))
    prod.managed_policy("Boundary", allow("s3:*"))
    org.full_access_everywhere()
    return org


def old_snapshot(tmp_path: Path, org: Org | None = None) -> Path:
    return (org or scenario()).write(tmp_path / "old")


def apply(tmp_path: Path, fixture: str, org: Org | None = None, **kw):
    old = old_snapshot(tmp_path, org)
    new = tmp_path / "new"
    report = apply_plan([old], PLANS / fixture, new, **kw)
    return old, new, report


def reachable(folder: Path, source: str, target: str) -> bool:
    return AccessGraph(load_snapshot([folder])).path(source, target).reachable


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- the fixtures are plans -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", sorted(p.name for p in PLANS.glob("*.json")))
def test_every_fixture_has_the_shape_of_terraform_show_json(fixture):
    data = json.loads((PLANS / fixture).read_text())
    assert data["format_version"].startswith("1.") and data["terraform_version"]
    assert data["resource_changes"] and "configuration" in data
    for entry in data["resource_changes"]:
        assert {"address", "mode", "type", "name", "provider_name", "change"} <= entry.keys()
        assert {"actions", "before", "after", "after_unknown"} <= entry["change"].keys()


SUPPORTED_FIXTURES = {
    "aws_iam_role": "role_create.json", "aws_iam_user": "user.json", "aws_iam_group": "group.json",
    "aws_iam_policy": "policy_create.json", "aws_iam_role_policy": "role_policy.json",
    "aws_iam_user_policy": "user_policy.json", "aws_iam_group_policy": "group_policy.json",
    "aws_iam_role_policy_attachment": "role_policy_attachment.json",
    "aws_iam_user_policy_attachment": "user_policy_attachment.json",
    "aws_iam_group_policy_attachment": "group_policy_attachment.json",
    "aws_iam_policy_attachment": "policy_attachment.json", "aws_iam_group_membership": "group_membership.json",
    "aws_iam_user_group_membership": "user_group_membership.json",
}


def test_each_supported_type_has_a_fixture():
    from graphiam.snapshot.plan import SUPPORTED_TYPES

    assert set(SUPPORTED_FIXTURES) == set(SUPPORTED_TYPES)
    for kind, fixture in SUPPORTED_FIXTURES.items():
        types = {c["type"] for c in json.loads((PLANS / fixture).read_text())["resource_changes"]}
        assert kind in types, fixture


# -- roles and their trust ------------------------------------------------------------------------------------------

def test_a_new_role_gets_its_trust_inline_policy_boundary_and_tags(tmp_path):
    old, new, report = apply(tmp_path, "role_create.json", account=PROD)
    assert load_snapshot([old]).role(APP_DEPLOY) is None
    assert reachable(new, ALICE, APP_DEPLOY)
    role = load_snapshot([new]).role(APP_DEPLOY)
    assert role is not None and role.role_id == ""  # its unique id is IAM's to give at apply: left out
    assert [p.name for p in role.inline_policies] == ["read-artifacts"]
    assert role.permissions_boundary_arn == BOUNDARY
    assert [(t.key, t.value) for t in role.tags] == [("team", "platform")]
    assert role.managed_policy_arns == ()
    assert report.applied == (("aws_iam_role.app_deploy", "create"),)
    assert report.unknown == ()  # managed_policy_arns is not configured: computed by the provider, not reported
    assert report.changed_files == (f"{PROD}.json",)


def test_a_new_role_in_a_snapshot_of_several_accounts_needs_the_account(tmp_path):
    old = old_snapshot(tmp_path)
    with pytest.raises(PlanError) as caught:
        apply_plan([old], PLANS / "role_create.json", tmp_path / "new")
    message = str(caught.value)
    assert "\n" not in message and "role_create.json: aws_iam_role.app_deploy:" in message
    assert "--account" in message and DEV in message and PROD in message
    assert not (tmp_path / "new").exists()


def test_a_new_role_in_a_snapshot_of_one_account_goes_there(tmp_path):
    org = Org()
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    org.account(PROD).managed_policy("Boundary", allow("s3:*"))
    _, new, _ = apply(tmp_path, "role_create.json", org)
    assert load_snapshot([new]).role(APP_DEPLOY) is not None


def test_a_rewritten_trust_opens_the_path_and_the_other_files_stay_byte_for_byte(tmp_path):
    old, new, report = apply(tmp_path, "role_update_trust.json")  # the role's ARN says its account
    assert not reachable(old, ALICE, PROD_ADMIN) and reachable(new, ALICE, PROD_ADMIN)
    before, after = files_of(old), files_of(new)
    assert set(after) == set(before) | {MANIFEST_NAME}
    assert report.changed_files == (f"{PROD}.json",)
    for name in before:
        if name != f"{PROD}.json":
            assert after[name] == before[name], name
    assert after[f"{PROD}.json"] != before[f"{PROD}.json"]
    role = load_snapshot([new]).role(PROD_ADMIN)
    assert [p.name for p in role.inline_policies] == ["ProdAdmin-inline"]  # unchanged by the plan, kept
    assert files_of(old) == before  # the old snapshot is not touched


def test_the_diff_of_old_and_new_says_what_the_plan_opens(tmp_path):
    old, new, _ = apply(tmp_path, "role_update_trust.json")
    result = diff_graphs(AccessGraph(load_snapshot([old])).graph, AccessGraph(load_snapshot([new])).graph, ())
    assert (ALICE, PROD_ADMIN) in {(c.source, c.target) for c in result.opened}


def test_a_changed_file_keeps_its_indentation_and_its_other_keys(tmp_path):
    old, new, _ = apply(tmp_path, "role_update_trust.json")
    text = (new / f"{PROD}.json").read_text()
    assert text.startswith('{\n  "') and text.endswith("}\n")  # the builder writes two spaces: so does apply-plan
    before, after = json.loads((old / f"{PROD}.json").read_text()), json.loads(text)
    (old_role,) = [r for r in before["RoleDetailList"] if r["RoleName"] == "ProdAdmin"]
    (new_role,) = [r for r in after["RoleDetailList"] if r["RoleName"] == "ProdAdmin"]
    assert new_role["RoleId"] == old_role["RoleId"] and new_role["RoleLastUsed"] == old_role["RoleLastUsed"]
    assert new_role["AssumeRolePolicyDocument"] != old_role["AssumeRolePolicyDocument"]


def test_a_role_replaced_under_the_same_arn_keeps_its_inline_policy_and_gets_new_ids(tmp_path):
    plan = json.loads((PLANS / "role_update_trust.json").read_text())
    change = plan["resource_changes"][0]["change"]
    change["actions"] = ["delete", "create"]
    change["after"] = {k: v for k, v in change["after"].items()
                       if k not in ("arn", "unique_id", "create_date", "inline_policy", "managed_policy_arns")}
    change["after_unknown"] = {"arn": True, "unique_id": True, "create_date": True, "inline_policy": True,
                               "managed_policy_arns": True}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    report = apply_plan([old_snapshot(tmp_path)], tmp_path / "plan.json", tmp_path / "new")
    assert report.applied == (("aws_iam_role.prod_admin", "replace"),) and report.unknown == ()
    role = load_snapshot([tmp_path / "new"]).role(PROD_ADMIN)
    assert role.role_id == "" and [p.name for p in role.inline_policies] == ["ProdAdmin-inline"]
    assert reachable(tmp_path / "new", ALICE, PROD_ADMIN)


def test_a_renamed_group_keeps_its_members_and_a_renamed_user_its_id(tmp_path):
    group = {"arn": f"arn:aws:iam::{DEV}:group/deployers", "name": "deployers", "path": "/"}
    user = {"arn": BOB, "name": "bob", "path": "/", "permissions_boundary": "", "tags": {}}
    plan = {"format_version": "1.2", "terraform_version": "1.7.5", "resource_changes": [
        {"address": "aws_iam_group.deployers", "mode": "managed", "type": "aws_iam_group", "name": "deployers",
         "change": {"actions": ["update"], "before": group, "after": dict(group, name="shippers"), "after_unknown": {}}},
        {"address": "aws_iam_user.bob", "mode": "managed", "type": "aws_iam_user", "name": "bob",
         "change": {"actions": ["update"], "before": user, "after": dict(user, name="robert", path="/staff/"),
                    "after_unknown": {}}}]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    old = old_snapshot(tmp_path)
    apply_plan([old], tmp_path / "plan.json", tmp_path / "new")
    snapshot = load_snapshot([tmp_path / "new"])
    assert snapshot.principal(CAROL).group_names == ("shippers",)
    robert = snapshot.principal(f"arn:aws:iam::{DEV}:user/staff/robert")
    assert robert.user_id == load_snapshot([old]).principal(BOB).user_id and snapshot.principal(BOB) is None


def test_a_configured_list_known_only_after_apply_is_reported_for_a_role_in_a_module(tmp_path):
    plan = json.loads((PLANS / "role_create.json").read_text())
    entry = plan["resource_changes"][0]
    entry["address"], entry["module_address"] = "module.app[0].aws_iam_role.app_deploy", "module.app[0]"
    resource = plan["configuration"]["root_module"].pop("resources")[0]
    resource["expressions"]["managed_policy_arns"] = {"references": ["aws_iam_policy.new.arn", "aws_iam_policy.new"]}
    plan["configuration"]["root_module"]["module_calls"] = {"app": {"source": "./app", "module": {
        "resources": [resource]}}}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    report = apply_plan([old_snapshot(tmp_path)], tmp_path / "plan.json", tmp_path / "new", account=PROD)
    (unknown,) = report.unknown
    assert (unknown.address, unknown.attribute) == ("module.app[0].aws_iam_role.app_deploy", "managed_policy_arns")
    assert "none of its planned attached managed policies" in unknown.effect


# -- values known only after apply ----------------------------------------------------------------------------------

def test_a_trust_known_only_after_apply_is_kept_reported_and_warned_of_downstream(tmp_path):
    old, new, report = apply(tmp_path, "role_unknown_trust.json", account=PROD)
    (unknown,) = report.unknown
    assert (unknown.address, unknown.attribute, unknown.arn) == ("aws_iam_role.prod_admin", "assume_role_policy",
                                                                 PROD_ADMIN)
    assert "keeps the current trust policy" in unknown.effect
    assert any("aws_iam_role.prod_admin: assume_role_policy is known only after apply" in w for w in report.warnings)
    snapshot = load_snapshot([new])
    assert snapshot.role(PROD_ADMIN).trust_policy == load_snapshot([old]).role(PROD_ADMIN).trust_policy
    assert snapshot.role(role_arn(PROD, "Auditor")) is not None
    manifest = json.loads((new / MANIFEST_NAME).read_text())
    assert manifest["Kind"] == MANIFEST_KIND and manifest["unknown_after_apply"] == [unknown.to_dict()]
    (warning,) = [w for w in snapshot.warnings if "known only after" in w]
    assert warning.startswith(f"{new / MANIFEST_NAME}: aws_iam_role.prod_admin: assume_role_policy")
    answer = AccessGraph(snapshot).path(CI, PROD_ADMIN)
    assert warning in answer.warnings  # every answer on the new snapshot says it


def test_a_new_role_whose_trust_is_unknown_gets_an_empty_one(tmp_path):
    plan = json.loads((PLANS / "role_create.json").read_text())
    change = plan["resource_changes"][0]["change"]
    del change["after"]["assume_role_policy"]
    change["after_unknown"]["assume_role_policy"] = True
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    old = old_snapshot(tmp_path)
    report = apply_plan([old], tmp_path / "plan.json", tmp_path / "new", account=PROD)
    assert [u.attribute for u in report.unknown] == ["assume_role_policy"]
    assert "empty trust policy" in report.unknown[0].effect
    role = load_snapshot([tmp_path / "new"]).role(APP_DEPLOY)
    assert role.trust_policy.statements == ()
    assert not reachable(tmp_path / "new", ALICE, APP_DEPLOY)


def test_a_new_policy_gets_its_arn_and_an_attachment_to_it_is_reported_not_guessed(tmp_path):
    old, new, report = apply(tmp_path, "policy_create.json", account=DEV)
    arn = f"arn:aws:iam::{DEV}:policy/ci/AssumeProdAdmin"
    policy = load_snapshot([new]).accounts[DEV].policies[arn]
    assert policy.default_version == "v1"
    assert [s.resources for s in policy.document.statements] == [(PROD_ADMIN,)]
    (unknown,) = report.unknown
    assert (unknown.address, unknown.attribute) == ("aws_iam_user_policy_attachment.bob_assume_admin", "policy_arn")
    bob = load_snapshot([new]).principal(BOB)
    assert bob.managed_policy_arns == (S3_READ,)  # the attachment is left out, not guessed
    entry = next(p for p in json.loads((new / f"{DEV}.json").read_text())["Policies"] if p["Arn"] == arn)
    assert entry["Path"] == "/ci/" and entry["Description"] == "CI may assume ProdAdmin"


def test_a_new_policy_without_an_account_in_a_snapshot_of_several_is_refused(tmp_path):
    with pytest.raises(PlanError, match="give --account"):
        apply(tmp_path, "policy_create.json")


# -- inline policies ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture, source", [("role_policy.json", CI), ("user_policy.json", BOB),
                                             ("group_policy.json", CAROL)])
def test_an_inline_policy_opens_the_path(tmp_path, fixture, source):
    old, new, report = apply(tmp_path, fixture, account=DEV)
    assert not reachable(old, source, DEPLOY) and reachable(new, source, DEPLOY)
    assert report.changed_files == (f"{DEV}.json",) and report.unknown == ()


def test_a_plan_naming_a_role_in_neither_the_snapshot_nor_the_plan_is_bad_input(tmp_path):
    with pytest.raises(PlanError) as caught:
        apply(tmp_path, "missing_role.json", account=DEV)
    assert str(caught.value) == (f"{PLANS / 'missing_role.json'}: aws_iam_role_policy.ghost: role Ghost (account "
                                 f"{DEV}) is in neither the snapshot nor the plan")
    assert not (tmp_path / "new").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".new.")]  # no temporary folder left


# -- attachments ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture, source", [("role_policy_attachment.json", CI), ("user_policy_attachment.json", BOB),
                                             ("group_policy_attachment.json", CAROL)])
def test_an_attachment_opens_the_path_and_is_counted(tmp_path, fixture, source):
    old, new, _ = apply(tmp_path, fixture)  # the policy's ARN places it in dev: no --account needed
    assert not reachable(old, source, DEPLOY) and reachable(new, source, DEPLOY)
    entry = next(p for p in json.loads((new / f"{DEV}.json").read_text())["Policies"] if p["Arn"] == ASSUME_DEPLOY)
    assert entry["AttachmentCount"] == 1


def test_an_exclusive_policy_attachment_moves_from_a_user_to_a_role(tmp_path):
    old, new, _ = apply(tmp_path, "policy_attachment.json", scenario(bob_attached=True))
    assert reachable(old, BOB, DEPLOY) and not reachable(old, CI, DEPLOY)
    assert not reachable(new, BOB, DEPLOY) and reachable(new, CI, DEPLOY)
    assert load_snapshot([new]).principal(BOB).managed_policy_arns == (S3_READ,)


# -- managed policies -----------------------------------------------------------------------------------------------

def test_a_widened_policy_document_becomes_the_default_version(tmp_path):
    old, new, _ = apply(tmp_path, "policy_update.json")
    assert not reachable(old, BOB, DEPLOY) and reachable(new, BOB, DEPLOY)
    entry = next(p for p in json.loads((new / f"{DEV}.json").read_text())["Policies"] if p["Arn"] == S3_READ)
    assert [v["IsDefaultVersion"] for v in entry["PolicyVersionList"]] == [True, False]
    assert "VersionId" not in entry["PolicyVersionList"][0] and "DefaultVersionId" not in entry


# -- memberships, users, groups -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", ["group_membership.json", "user_group_membership.json"])
def test_a_membership_puts_bob_in_the_group_that_may_deploy(tmp_path, fixture):
    old, new, _ = apply(tmp_path, fixture, scenario(deployers_can_deploy=True), account=DEV)
    assert reachable(old, CAROL, DEPLOY) and not reachable(old, BOB, DEPLOY)
    assert reachable(new, CAROL, DEPLOY) and reachable(new, BOB, DEPLOY)
    assert load_snapshot([new]).principal(BOB).group_names == ("deployers",)


def test_a_new_user_with_its_policy_and_a_deleted_user(tmp_path):
    old, new, report = apply(tmp_path, "user.json", account=DEV)
    snapshot = load_snapshot([new])
    assert snapshot.principal(ALICE) is None and load_snapshot([old]).principal(ALICE) is not None
    dave = snapshot.principal(DAVE)
    assert dave is not None and [(t.key, t.value) for t in dave.tags] == [("team", "platform")]
    assert reachable(new, DAVE, DEPLOY)
    assert dict(report.applied) == {"aws_iam_user.dave": "create", "aws_iam_user_policy.dave_assume_deploy": "create",
                                    "aws_iam_user.alice": "delete"}


def test_a_new_group_with_a_policy_and_a_member(tmp_path):
    old, new, _ = apply(tmp_path, "group.json", account=DEV)
    assert not reachable(old, BOB, DEPLOY) and reachable(new, BOB, DEPLOY)
    snapshot = load_snapshot([new])
    assert f"arn:aws:iam::{DEV}:group/ops" in snapshot.accounts[DEV].groups
    assert set(snapshot.principal(BOB).group_names) == {"ops"}


# -- what is not applied --------------------------------------------------------------------------------------------

def test_unsupported_iam_types_are_one_warning_each_and_reach_the_new_snapshot(tmp_path):
    old, new, report = apply(tmp_path, "unsupported.json", account=DEV)
    lines = [w for w in report.warnings if "is not supported" in w]
    assert len(lines) == 2  # one per type; aws_s3_bucket, the no-op role and the data source are not IAM changes
    (profiles,) = [w for w in lines if "aws_iam_instance_profile" in w]
    assert "aws_iam_instance_profile.web (create)" in profiles and "aws_iam_instance_profile.api (delete)" in profiles
    assert not any("aws_s3_bucket" in w for w in report.warnings)
    assert report.applied == () and report.changed_files == ()
    assert {n.address for n in report.not_applied} == {"aws_iam_instance_profile.web", "aws_iam_instance_profile.api",
                                                       "aws_iam_openid_connect_provider.github"}
    warnings = [w for w in load_snapshot([new]).warnings if "graphiam does not apply" in w]
    assert len(warnings) == 3 and all(w.startswith(str(new / MANIFEST_NAME)) for w in warnings)
    before, after = files_of(old), files_of(new)
    assert {k: v for k, v in after.items() if k != MANIFEST_NAME} == before


# -- where files go -------------------------------------------------------------------------------------------------

def test_a_merged_account_file_gets_the_change_in_the_right_account(tmp_path):
    org = scenario()
    dev, prod = org.accounts[DEV].to_json(), org.accounts[PROD].to_json()
    merged = {key: dev[key] + prod[key] for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")}
    old = tmp_path / "old"
    (old / "accounts").mkdir(parents=True)
    (old / "accounts" / "merged.json").write_text(json.dumps(merged, indent=4))
    (old / "organization.json").write_text(json.dumps(org.organization_json()))
    report = apply_plan([old], PLANS / "role_update_trust.json", tmp_path / "new")
    assert report.changed_files == ("accounts/merged.json",) and report.copied_files == ("organization.json",)
    assert (tmp_path / "new" / "organization.json").read_bytes() == (old / "organization.json").read_bytes()
    assert (tmp_path / "new" / "accounts" / "merged.json").read_text().startswith('{\n    "')  # its 4 spaces kept
    assert reachable(tmp_path / "new", ALICE, PROD_ADMIN)
    assert set(load_snapshot([tmp_path / "new"]).accounts) == {DEV, PROD}


def test_files_named_one_by_one_go_to_the_top_of_the_output(tmp_path):
    old = old_snapshot(tmp_path)
    report = apply_plan([old / f"{DEV}.json", old / f"{PROD}.json"], PLANS / "role_update_trust.json",
                        tmp_path / "new")
    assert set(files_of(tmp_path / "new")) == {f"{DEV}.json", f"{PROD}.json", MANIFEST_NAME}
    assert report.copied_files == (f"{DEV}.json",)


def test_a_second_plan_on_a_new_snapshot_keeps_the_first_manifest(tmp_path):
    _, first, _ = apply(tmp_path, "role_update_trust.json")
    second = tmp_path / "second"
    report = apply_plan([first], PLANS / "user_policy.json", second, account=DEV)
    assert report.manifest == "apply-plan-2.json"
    assert (second / MANIFEST_NAME).read_bytes() == (first / MANIFEST_NAME).read_bytes()
    assert reachable(second, ALICE, PROD_ADMIN) and reachable(second, BOB, DEPLOY)


# -- bad input ------------------------------------------------------------------------------------------------------

def bad_plan(tmp_path: Path, content: bytes | str | dict | list) -> Path:
    path = tmp_path / "plan.json"
    if isinstance(content, (dict, list)):
        content = json.dumps(content)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


@pytest.mark.parametrize("content, said", [
    ("{not json", "invalid JSON at line 1"),
    (b"PK\x03\x04binary plan", "a binary plan file, not its JSON"),
    ([1, 2], "not a Terraform plan"),
    ({"format_version": "1.0", "terraform_version": "1.7.5", "values": {"root_module": {}}}, "a Terraform state"),
    ({"format_version": "1.2", "planned_values": {}}, "no resource_changes"),
    ({"format_version": "1.2", "resource_changes": {}}, "resource_changes must be a list"),
    ({"format_version": "2.0", "resource_changes": []}, "format_version 2.0 is not supported"),
    ({"format_version": "1.2", "resource_changes": [], "errored": True}, "could not finish this plan"),
    ({"format_version": "1.2", "resource_changes": [{"type": "aws_iam_role"}]}, "resource_changes[0]: needs a type"),
])
def test_a_file_that_is_not_a_plan_is_one_line_naming_it(tmp_path, content, said):
    plan = bad_plan(tmp_path, content)
    with pytest.raises(SnapshotError) as caught:
        apply_plan([old_snapshot(tmp_path)], plan, tmp_path / "new")
    assert str(caught.value).startswith(f"{plan}: ") and said in str(caught.value) and "\n" not in str(caught.value)


def test_the_output_must_be_a_new_or_empty_folder_and_not_the_snapshot(tmp_path):
    old = old_snapshot(tmp_path)
    for output in (old, old / "inside"):
        with pytest.raises(PlanError, match="is the snapshot .* or inside it"):
            apply_plan([old], PLANS / "role_update_trust.json", output)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    with pytest.raises(PlanError, match="exists and is not empty"):
        apply_plan([old], PLANS / "role_update_trust.json", tmp_path / "full")
    (tmp_path / "empty").mkdir()
    apply_plan([old], PLANS / "role_update_trust.json", tmp_path / "empty")
    assert reachable(tmp_path / "empty", ALICE, PROD_ADMIN)


def test_an_account_the_snapshot_does_not_hold_is_refused(tmp_path):
    with pytest.raises(PlanError, match="--account 999999999999: the snapshot holds no such account"):
        apply(tmp_path, "role_policy.json", account="999999999999")


# -- the command line -----------------------------------------------------------------------------------------------

def test_the_command_writes_the_new_snapshot_and_says_so(tmp_path, capsys):
    old = old_snapshot(tmp_path)
    new = tmp_path / "new"
    code = main(["snapshot", "apply-plan", "--data", str(old), "--plan", str(PLANS / "role_unknown_trust.json"),
                 "-o", str(new), "--account", PROD])
    out, err = capsys.readouterr()
    assert code == EXIT_OK
    assert out.startswith(f"wrote {new}: 2 change(s) from ") and "1 value(s) known only after apply" in out
    assert "graphiam: warning: " in err and "assume_role_policy is known only after apply" in err
    assert main(["path", "--data", str(new), CI, PROD_ADMIN, "--no-cache"]) in (0, 1)
    out, _ = capsys.readouterr()
    assert "assume_role_policy is known only after the Terraform plan is applied" in out


def test_the_command_json_report(tmp_path, capsys):
    old = old_snapshot(tmp_path)
    code = main(["snapshot", "apply-plan", "--data", str(old), "--plan", str(PLANS / "role_update_trust.json"),
                 "-o", str(tmp_path / "new"), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK
    assert data["applied"] == [{"address": "aws_iam_role.prod_admin", "action": "update"}]
    assert data["changed_files"] == [f"{PROD}.json"] and data["manifest"] == MANIFEST_NAME


@pytest.mark.parametrize("argv_tail, said", [
    (["--plan", "MISSING"], "no such file"),
    (["--plan", str(PLANS / "missing_role.json"), "--account", DEV], "is in neither the snapshot nor the plan"),
    (["--plan", str(PLANS / "role_create.json")], "give --account ACCOUNT_ID"),
])
def test_bad_input_is_exit_2_with_one_error_line(tmp_path, capsys, argv_tail, said):
    old = old_snapshot(tmp_path)
    code = main(["snapshot", "apply-plan", "--data", str(old), "-o", str(tmp_path / "new"), *argv_tail])
    out, err = capsys.readouterr()
    assert code == EXIT_BAD_INPUT and out == ""
    assert err.count("\n") == 1 and err.startswith("graphiam: error: ") and said in err
    assert not (tmp_path / "new").exists()


def test_the_global_data_is_not_the_old_snapshot(tmp_path, capsys):
    old = old_snapshot(tmp_path)
    code = main(["--data", str(old), "snapshot", "apply-plan", "--plan", str(PLANS / "role_update_trust.json"),
                 "-o", str(tmp_path / "new")])
    assert code == EXIT_BAD_INPUT and "--data" in capsys.readouterr().err
    code = main(["snapshot", "apply-plan", "--data", str(old), "--plan", str(PLANS / "role_update_trust.json"),
                 "-o", str(tmp_path / "new"), "--quiet"])
    out, _ = capsys.readouterr()
    assert code == EXIT_OK and out == ""


# -- the reader's side: the manifest's fields become warnings --------------------------------------------------------

def test_the_reader_warns_once_per_unknown_and_per_change_not_applied():
    org = scenario()
    manifest = {"Kind": MANIFEST_KIND, "version": 1, "finished_at": "2026-03-02T10:15:00Z",
                "unknown_after_apply": [
                    {"address": "aws_iam_role.x", "attribute": "assume_role_policy", "arn": None,
                     "effect": "keeps the current trust policy of X"},
                    {"address": "malformed"},  # left out
                    "not an object"],
                "not_applied": [{"address": "aws_iam_instance_profile.web", "type": "aws_iam_instance_profile",
                                 "action": "create"}]}
    snapshot = snapshot_from_data([*org.files(), ("m.json", manifest)])
    found = [w for w in snapshot.warnings if w.startswith("m.json:")]
    assert found == [
        "m.json: aws_iam_role.x: assume_role_policy is known only after the Terraform plan is applied; this snapshot "
        "keeps the current trust policy of X, so answers that depend on it may differ after the apply",
        "m.json: aws_iam_instance_profile.web (create): graphiam does not apply aws_iam_instance_profile changes, so "
        "this snapshot does not hold it; answers that depend on it may differ after the apply",
    ]


def test_a_lone_surrogate_in_a_manifest_entry_is_bad_input():
    manifest = {"Kind": MANIFEST_KIND, "finished_at": "x",
                "unknown_after_apply": [{"address": "a\ud800", "attribute": "b", "effect": "c"}]}
    with pytest.raises(SnapshotError, match="not valid Unicode"):
        snapshot_from_data([*scenario().files(), ("m.json", manifest)])
