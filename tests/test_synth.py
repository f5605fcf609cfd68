"""Tests for graphiam.synth and ``graphiam synth``: synthetic organizations for the benchmark.

They check what the generator promises: the same arguments write the same
bytes, the snapshot loads without warnings, sizes grow linearly with the
number of accounts, the organization has the promised features (SSO roles,
cross-account and org-wide trusts, conditions, boundaries, service-linked
roles, SCPs and RCPs) and the access graph built from it has cross-account,
conditional and pass edges and 3-hop chains. Small sizes only (N <= 5, plus
the organization file alone for larger N).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import graphiam
from graphiam.access import AccessGraph
from graphiam.cli import main
from graphiam.snapshot.read import snapshot_from_data
from graphiam.synth import AWS_MANAGED, SynthError, synthetic_org_data, write_synthetic_org

REPO_ROOT = Path(__file__).resolve().parent.parent


def files(accounts: int, seed: int) -> dict[str, dict]:
    return dict(synthetic_org_data(accounts, seed))


def account_files(data: dict[str, dict]) -> dict[str, dict]:
    """Account id -> account file."""
    return {path.split("/")[1].removesuffix(".json"): d for path, d in data.items() if path.startswith("accounts/")}


def organization_only(accounts: int, seed: int) -> dict:
    return next(iter(synthetic_org_data(accounts, seed)))[1]


def statements(document: dict) -> list[dict]:
    listed = document["Statement"]
    return listed if isinstance(listed, list) else [listed]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def trust_statements(data: dict[str, dict]):
    for account_id, account in account_files(data).items():
        for role in account["RoleDetailList"]:
            for statement in statements(role["AssumeRolePolicyDocument"]):
                yield account_id, role, statement


@pytest.fixture(scope="module")
def five() -> dict[str, dict]:
    return files(5, 11)


@pytest.fixture(scope="module")
def three_graph() -> tuple[dict[str, dict], AccessGraph]:
    data = files(3, 5)
    return data, AccessGraph(snapshot_from_data(data.items()))


# -- determinism -----------------------------------------------------------------------

def read_tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_arguments_write_identical_bytes(tmp_path):
    first = write_synthetic_org(tmp_path / "a", 3, 42)
    second = write_synthetic_org(tmp_path / "b", 3, 42)
    a, b = read_tree(tmp_path / "a"), read_tree(tmp_path / "b")
    assert a == b
    assert sorted(a) == ["accounts/" + name for name in sorted(n.split("/")[1] for n in a if "/" in n)] + ["organization.json"]
    assert first.files == second.files == 4 and first.bytes == second.bytes == sum(map(len, a.values()))
    # writing again into the same folder overwrites it with the same bytes
    write_synthetic_org(tmp_path / "a", 3, 42)
    assert read_tree(tmp_path / "a") == b


def test_files_are_compact_json_with_sorted_keys(tmp_path):
    write_synthetic_org(tmp_path, 1, 3)
    text = (tmp_path / "organization.json").read_text()
    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"


def test_another_seed_gives_another_organization():
    a, b = files(2, 1), files(2, 2)
    assert a["organization.json"]["Organization"]["Id"] != b["organization.json"]["Organization"]["Id"]
    assert set(account_files(a)) != set(account_files(b))
    assert json.dumps(a, sort_keys=True) != json.dumps(b, sort_keys=True)


# -- loading -----------------------------------------------------------------------------

def test_snapshot_loads_without_warnings(tmp_path):
    write_synthetic_org(tmp_path, 3, 7)
    access = graphiam.load(tmp_path)
    assert access.warnings == ()
    assert len(access.snapshot.accounts) == 3
    assert access.snapshot.organization is not None


def test_every_referenced_managed_policy_is_in_the_account_file(five):
    for account_id, account in account_files(five).items():
        exported = {p["Arn"] for p in account["Policies"]}
        for kind in ("UserDetailList", "GroupDetailList", "RoleDetailList"):
            for entity in account[kind]:
                wanted = {p["PolicyArn"] for p in entity["AttachedManagedPolicies"]}
                if "PermissionsBoundary" in entity:
                    wanted.add(entity["PermissionsBoundary"]["PermissionsBoundaryArn"])
                assert wanted <= exported, (account_id, entity["Arn"], wanted - exported)


def test_aws_managed_policies_are_the_same_document_in_every_account(five):
    documents: dict[str, set[str]] = {}
    for account in account_files(five).values():
        for entry in account["Policies"]:
            if entry["Arn"].startswith("arn:aws:iam::aws:policy/"):
                (version,) = entry["PolicyVersionList"]
                documents.setdefault(entry["Arn"], set()).add(json.dumps(version["Document"], sort_keys=True))
    assert {"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess"} <= set(documents)
    assert all(len(docs) == 1 for docs in documents.values())
    assert set(documents) <= {entry["arn"] for entry in AWS_MANAGED.values()}


# -- sizes ----------------------------------------------------------------------------------

def counts(data: dict[str, dict]) -> Counter:
    total: Counter = Counter()
    for account in account_files(data).values():
        total["users"] += len(account["UserDetailList"])
        total["roles"] += len(account["RoleDetailList"])
        total["groups"] += len(account["GroupDetailList"])
    return total


def test_sizes_scale_linearly():
    small, large = counts(files(2, 9)), counts(files(4, 9))
    principals = (small["users"] + small["roles"], large["users"] + large["roles"])
    assert 1.8 <= principals[1] / principals[0] <= 2.2
    for n, total in ((2, small), (4, large)):
        assert 25 <= total["users"] / n <= 35
        assert 88 <= total["roles"] / n <= 112
        assert total["groups"] >= 8 * n


def test_organization_file_scales_with_accounts():
    org = organization_only(300, 4)
    ids = [a["Id"] for a in org["Accounts"]]
    assert len(ids) == len(set(ids)) == 300
    assert all(len(i) == 12 and i.isdigit() and i[0] != "0" for i in ids)
    assert org["Organization"]["MasterAccountId"] == ids[0]
    ous = {o["Id"]: o for o in org["OrganizationalUnits"]}
    names = {o["Name"]: o["Id"] for o in ous.values()}
    by_parent = Counter(a["ParentId"] for a in org["Accounts"])
    business_units = [o for o in ous.values() if ous.get(o["ParentId"], {}).get("Name") in ("Prod", "NonProd")]
    assert len(business_units) >= 4
    assert sum(by_parent[o["Id"]] for o in business_units) > 200  # most accounts are workloads in a business unit
    assert by_parent[names["Sandbox"]] > 10


# -- features ----------------------------------------------------------------------------------

def test_organization_structure_and_policies(five):
    org = five["organization.json"]
    org_id = org["Organization"]["Id"]
    assert org_id.startswith("o-") and len(org_id) == 12
    (root,) = org["Roots"]
    ous = {o["Id"]: o for o in org["OrganizationalUnits"]}
    names = {o["Name"]: o["Id"] for o in ous.values()}
    assert {"Security", "Infrastructure", "Workloads", "Prod", "NonProd", "Sandbox"} <= set(names)
    assert ous[names["Prod"]]["ParentId"] == names["Workloads"] == ous[names["NonProd"]]["ParentId"]
    assert ous[names["Workloads"]]["ParentId"] == root["Id"]
    accounts = [a["Id"] for a in org["Accounts"]]
    assert org["Organization"]["MasterAccountId"] == accounts[0]
    assert sorted(accounts) == sorted(account_files(five))

    policies = {p["PolicySummary"]["Name"]: p for p in org["Policies"]}
    targets = {name: {t["TargetId"] for t in p["Targets"]} for name, p in policies.items()}
    everything = {root["Id"], *ous, *accounts}
    assert targets["FullAWSAccess"] == everything - {names["Sandbox"]}
    assert targets["RCPFullAWSAccess"] == everything
    assert targets["SandboxAllowList"] == {names["Sandbox"]}
    assert targets["DenyNonProdIntoProd"] == {names["NonProd"]}
    kinds = Counter(p["PolicySummary"]["Type"] for p in policies.values())
    assert kinds["RESOURCE_CONTROL_POLICY"] == 2 and kinds["SERVICE_CONTROL_POLICY"] >= 4
    rcp = json.loads(policies["DenyAssumeRoleFromOutsideOrg"]["Content"])
    (deny,) = rcp["Statement"]
    assert deny["Effect"] == "Deny" and deny["Action"] == "sts:AssumeRole"
    assert deny["Condition"]["StringNotEqualsIfExists"]["aws:PrincipalOrgID"] == org_id
    assert deny["Condition"]["BoolIfExists"] == {"aws:PrincipalIsAWSService": "false"}
    deny_prod = json.loads(policies["DenyNonProdIntoProd"]["Content"])["Statement"][0]
    assert deny_prod["Effect"] == "Deny"
    assert f"/{names['Prod']}/" in deny_prod["Condition"]["ForAnyValue:StringLike"]["aws:ResourceOrgPaths"][0]


def test_sso_roles_trust_the_accounts_saml_provider(five):
    sso = [(a, r, s) for a, r, s in trust_statements(five) if r["RoleName"].startswith("AWSReservedSSO_")]
    per_account = Counter(a for a, _, _ in sso)
    assert len(per_account) == 5 and min(per_account.values()) >= 5
    for account_id, role, statement in sso:
        assert role["Path"].startswith("/aws-reserved/sso.amazonaws.com/")
        permission_set, suffix = role["RoleName"].removeprefix("AWSReservedSSO_").rsplit("_", 1)
        assert permission_set and len(suffix) == 16 and int(suffix, 16) >= 0
        provider = statement["Principal"]["Federated"]
        assert provider.startswith(f"arn:aws:iam::{account_id}:saml-provider/")
        assert "sts:AssumeRoleWithSAML" in as_list(statement["Action"])
        assert statement["Condition"] == {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}
        assert provider in {p["Arn"] for p in account_files(five)[account_id]["SAMLProviderList"]}


def test_trusts_cross_account_org_wide_and_conditions(five):
    accounts = set(account_files(five))
    org_id = five["organization.json"]["Organization"]["Id"]
    found: Counter = Counter()
    for account_id, role, statement in trust_statements(five):
        principal = statement["Principal"]
        condition = statement.get("Condition", {})
        if principal == "*":
            assert condition["StringEquals"]["aws:PrincipalOrgID"] == org_id
            assert condition["ArnLike"]["aws:PrincipalArn"].startswith("arn:aws:iam::")
            found["org-wide"] += 1
            continue
        for arn in as_list(principal.get("AWS", [])):
            other = arn.split(":")[4]
            if other != account_id and arn.endswith(":root"):
                found["other root" if other in accounts else "outside root"] += 1
            elif other != account_id and ":role/" in arn:
                found["other role"] += 1
        if "sts:ExternalId" in condition.get("StringEquals", {}):
            found["external id"] += 1
        if condition.get("Bool", {}).get("aws:MultiFactorAuthPresent") == "true":
            found["mfa"] += 1
        if "aws:PrincipalTag/clearance" in condition.get("StringEquals", {}):
            found["tag"] += 1
        if "Service" in principal:
            found[principal["Service"]] += 1
    assert found["org-wide"] == 2 * 5
    assert found["other root"] >= 5 and found["other role"] >= 5
    assert found["external id"] >= 2 and found["mfa"] >= 5 and found["tag"] == 5
    assert all(found[s] >= 10 for s in ("ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com"))


def test_ci_deploy_roles_trust_one_runner_and_pass_only_to_ec2(five):
    deploy = [(a, r, s) for a, r, s in trust_statements(five) if r["RoleName"].startswith("ci-deploy-")]
    assert len({a for a, _, _ in deploy}) == 5
    runners = {s["Principal"]["AWS"] for _, _, s in deploy}
    assert len(runners) == 1 and (runner := runners.pop()).endswith(":role/ci/build-runner")
    for account_id, role, _ in deploy:
        app = role["RoleName"].removeprefix("ci-deploy-")
        passes = [s for p in role["RolePolicyList"] for s in statements(p["PolicyDocument"]) if s["Action"] == "iam:PassRole"]
        ec2 = [s for s in passes if s["Resource"] == f"arn:aws:iam::{account_id}:role/EC2-roles-for-{app}-*"]
        assert ec2 and ec2[0]["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
    assert sum(runner.split(":")[4] != a for a, _, _ in deploy) > 0  # cross-account, by exact ARN


def test_service_linked_roles_boundaries_and_tags(five):
    linked = boundaries_on_roles = boundaries_on_users = clearance = teams = 0
    for account in account_files(five).values():
        for role in account["RoleDetailList"]:
            if role["Path"].startswith("/aws-service-role/"):
                linked += 1
                assert role["RoleName"].startswith("AWSServiceRoleFor")
            boundaries_on_roles += "PermissionsBoundary" in role
        for user in account["UserDetailList"]:
            boundaries_on_users += "PermissionsBoundary" in user
            tags = {t["Key"]: t["Value"] for t in user["Tags"]}
            clearance += "clearance" in tags
            teams += "team" in tags
        group_names = {g["GroupName"] for g in account["GroupDetailList"]}
        assert any(g["GroupPolicyList"] for g in account["GroupDetailList"])
        assert any(g["AttachedManagedPolicies"] for g in account["GroupDetailList"])
        assert all(set(u["GroupList"]) <= group_names for u in account["UserDetailList"])
        assert any(u["UserPolicyList"] for u in account["UserDetailList"])
    assert 5 <= linked <= 4 * 5
    assert boundaries_on_roles >= 5 and boundaries_on_users >= 5 and clearance >= 5 and teams >= 5 * 24


# -- the access graph ---------------------------------------------------------------------------

def test_graph_has_cross_account_conditional_and_pass_edges(three_graph):
    _, access = three_graph
    graph = access.graph
    kinds: Counter = Counter()
    for source, target, data in graph.edges(data=True):
        edge_type = data.get("edge_type")
        if edge_type not in ("can_assume", "can_pass"):
            continue
        kinds[edge_type] += 1
        source_account = graph.nodes[source].get("account")
        if edge_type == "can_assume" and source_account and source_account != graph.nodes[target]["account"]:
            kinds["cross-account"] += 1
        if data["conditional"]:
            kinds["conditional"] += 1
        if data.get("action") == "sts:AssumeRoleWithSAML":
            kinds["saml"] += 1
    assert kinds["can_assume"] > 100 and kinds["can_pass"] > 50
    assert kinds["cross-account"] >= 10 and kinds["conditional"] >= 10 and kinds["saml"] >= 15


def test_three_hop_chain_from_the_identity_account(three_graph):
    data, access = three_graph
    hub_users = [u["Arn"] for account in account_files(data).values() for u in account["UserDetailList"]
                 if "HubPlatform" in u["GroupList"]]
    assert hub_users
    rows = access.reach(hub_users[0])
    deep = [r for r in rows if r.hops >= 3 and r.action == "sts:AssumeRole" and not r.conditional]
    assert deep, "no 3-hop chain"
    result = access.path(hub_users[0], deep[0].arn)
    assert result.reachable and len(result.path) == 3
    chain = result.to_dict()["path"]
    assert ":role/hub/" in chain[0]["to"] and ":role/platform/" in chain[1]["to"]
    assert chain[1]["from"].split(":")[4] != chain[1]["to"].split(":")[4]  # the middle hop crosses accounts
    assert any(":role/app/" in r.arn and r.hops == 3 for r in deep)  # hub -> platform -> app operator
    assert any(r.action == "iam:PassRole" and r.hops >= 4 for r in rows)


# -- errors and the command line ----------------------------------------------------------------

def test_bad_arguments_raise():
    with pytest.raises(SynthError):
        list(synthetic_org_data(0, 1))
    with pytest.raises(SynthError):
        list(synthetic_org_data(True, 1))


def test_refuses_a_file_and_a_folder_with_other_snapshot_files(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(SynthError, match="not a folder"):
        write_synthetic_org(tmp_path / "file", 1, 1)
    write_synthetic_org(tmp_path / "org", 2, 1)
    with pytest.raises(SynthError, match="other .json"):
        write_synthetic_org(tmp_path / "org", 1, 1)


def test_cli_writes_and_prints_one_line(tmp_path, capsys):
    assert main(["synth", "--accounts", "2", "--seed", "3", "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "2 accounts" in out[0] and "3 files" in out[0]
    assert (tmp_path / "out" / "organization.json").is_file()
    assert len(list((tmp_path / "out" / "accounts").glob("*.json"))) == 2
    assert main(["synth", "--accounts", "2", "--seed", "3", "-o", str(tmp_path / "json"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["accounts"] == 2 and summary["files"] == 3 and summary["roles"] > 150


@pytest.mark.parametrize("args, needle", [
    (["--accounts", "0"], "at least 1"),
    (["--accounts", "-3"], "at least 1"),
    (["--accounts", "two"], "invalid int"),
])
def test_cli_bad_accounts_exit_2_with_one_line(tmp_path, capsys, args, needle):
    try:
        code = main(["synth", *args, "-o", str(tmp_path / "out")])
    except SystemExit as exit_:  # argparse rejects a non-number itself
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("graphiam: error:") and needle in err[0]
    assert not (tmp_path / "out").exists()


def test_cli_output_is_a_file_exits_2(tmp_path):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run([sys.executable, "-m", "graphiam.cli", "synth", "--accounts", "1", "-o", str(target)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [f"graphiam: error: {target}: exists and is not a folder"]
    assert target.read_text() == "not a folder"
