"""pandas tables (graphiam.present.frames and the AccessGraph *_frame methods)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas", minversion="3")

import graphiam
from builders import Org, allow, role_arn, trust, trust_account, trust_service, user_arn
from graphiam.present import frames
from graphiam.access import AccessGraph
from graphiam.present.frames import (COLUMN_DTYPES, EDGE_COLUMNS, PRINCIPAL_COLUMNS, PRIVESC_COLUMNS, REACH_COLUMNS,
                                     ROLE_COLUMNS)
from graphiam.queries.paths import ReachRow

A, B, C = "222222222222", "333333333333", "444444444444"
ID, PROD = "222222222222", "333333333333"
REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "data" / "sample-org"


@pytest.fixture(scope="module")
def sample() -> AccessGraph:
    return graphiam.load(SAMPLE)


@pytest.fixture(scope="module")
def edges(sample) -> pd.DataFrame:
    return sample.edges_frame()


def one(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    found = frame[mask]
    assert len(found) == 1, f"{where}: {len(found)} rows"
    return found.iloc[0]


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts, missing values as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def assert_contract(frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    assert tuple(frame.columns) == columns
    assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0
    for column in columns:
        dtype = frame[column].dtype
        expected = COLUMN_DTYPES[column]
        if expected == "str":
            assert isinstance(dtype, pd.StringDtype) and dtype == "str", (column, dtype)
        else:
            assert dtype == expected, (column, dtype)


# -- the contract --------------------------------------------------------------------

def test_column_tuples_are_the_documented_contract():
    assert PRINCIPAL_COLUMNS == ("arn", "kind", "account", "name", "path", "tags", "groups", "inline_policies",
                                 "managed_policies", "permissions_boundary")
    assert ROLE_COLUMNS == ("arn", "account", "name", "path", "service_linked", "trusted_services",
                            "trusted_accounts", "trusted_principals", "federated_providers", "tags", "assumers",
                            "conditional_assumers", "passers")
    assert EDGE_COLUMNS == ("source", "target", "source_account", "target_account", "edge_type", "action",
                            "service", "conditional", "condition_keys", "granted_by", "cross_account")
    assert REACH_COLUMNS == tuple(ReachRow.__dataclass_fields__)
    assert PRIVESC_COLUMNS == ("principal", "account", "hops", "techniques", "first_hop", "conditional")
    assert {c for c, d in COLUMN_DTYPES.items() if d == "bool"} == {"service_linked", "conditional", "cross_account"}
    assert {c for c, d in COLUMN_DTYPES.items() if d == "int64"} == {"assumers", "conditional_assumers", "passers",
                                                                      "hops"}


def test_readme_lists_every_column():
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("### pandas tables", 1)[1].split("\n## ", 1)[0]
    for column in set(PRINCIPAL_COLUMNS + ROLE_COLUMNS + EDGE_COLUMNS + REACH_COLUMNS):
        assert f"`{column}`" in section, column


def test_every_frame_of_the_sample_has_its_columns_and_dtypes(sample):
    assert_contract(sample.principals_frame(), PRINCIPAL_COLUMNS)
    assert_contract(sample.roles_frame(), ROLE_COLUMNS)
    assert_contract(sample.edges_frame(), EDGE_COLUMNS)
    assert_contract(sample.reach_frame("grace"), REACH_COLUMNS)
    assert_contract(sample.who_can_frame("ProdAdmin"), REACH_COLUMNS)


def test_empty_frames_keep_their_columns_and_dtypes():
    org = Org()
    org.account(A).user("loner")
    access = AccessGraph(org.snapshot())
    assert len(access.roles_frame()) == 0 and len(access.edges_frame()) == 0
    assert_contract(access.roles_frame(), ROLE_COLUMNS)
    assert_contract(access.edges_frame(), EDGE_COLUMNS)
    assert_contract(access.reach_frame("loner"), REACH_COLUMNS)
    assert_contract(access.principals_frame(), PRINCIPAL_COLUMNS)


def test_methods_are_the_module_functions(sample):
    pd.testing.assert_frame_equal(sample.principals_frame(), frames.principals_frame(sample.snapshot))
    pd.testing.assert_frame_equal(sample.roles_frame(), frames.roles_frame(sample.snapshot, sample.graph))
    pd.testing.assert_frame_equal(sample.edges_frame(), frames.edges_frame(sample.graph))
    pd.testing.assert_frame_equal(sample.reach_frame("ivan"), frames.reach_rows_frame(sample.reach("ivan")))
    pd.testing.assert_frame_equal(sample.who_can_frame("Deploy"), frames.reach_rows_frame(sample.who_can("Deploy")))


def test_frames_are_deterministic(sample):
    again = graphiam.load(SAMPLE)
    pd.testing.assert_frame_equal(sample.edges_frame(), again.edges_frame())
    pd.testing.assert_frame_equal(sample.roles_frame(), again.roles_frame())


# -- principals --------------------------------------------------------------------

def test_principals_frame_has_every_user_and_role_sorted_by_arn(sample):
    frame = sample.principals_frame()
    assert len(frame) == 75
    assert frame.arn.tolist() == sorted(frame.arn)
    assert frame.kind.value_counts().to_dict() == {"role": 45, "user": 30}
    assert (frame[frame.kind == "role"].groups == "").all()


def test_principals_frame_rows_of_the_sample(sample):
    frame = sample.principals_frame()
    erin = one(frame, arn=user_arn(ID, "erin"))
    assert "clearance=prod-admin" in erin.tags.split("; ")
    assert erin.groups == "Admins" and erin.account == ID and erin.kind == "user"
    assert pd.isna(erin.permissions_boundary)
    carol = one(frame, name="carol")
    assert carol.path == "/contractors/" and carol.arn == f"arn:aws:iam::{ID}:user/contractors/carol"
    assert carol.permissions_boundary == f"arn:aws:iam::{ID}:policy/boundaries/DeveloperBoundary"
    alice = one(frame, arn=user_arn(ID, "alice"))
    assert alice.inline_policies == "AssumeProdDeploy" and alice.groups == "Operators"
    admin = one(frame, arn=user_arn("111111111111", "org-admin"))
    assert admin.managed_policies == "arn:aws:iam::aws:policy/AdministratorAccess"
    # filtering a text column works as documented
    cleared = frame[frame.tags.str.contains("clearance=prod-admin", regex=False)]
    assert set(cleared.name) >= {"erin", "mia"}


def test_list_and_tag_columns_are_sorted_and_joined():
    org = Org()
    dev = org.account(A)
    dev.group("Developers")
    dev.group("Admins")
    managed = (dev.managed_policy("Zeta", allow("s3:*")), dev.managed_policy("Alpha", allow("ec2:*")))
    boundary = dev.managed_policy("Boundary", allow("*"))
    dev.user("alice", allow("s3:*"), groups=("Developers", "Admins"), managed=managed, boundary=boundary,
             tags={"team": "payments", "cost-center": "cc 1; 2"})
    dev.user("bob")
    frame = AccessGraph(org.snapshot()).principals_frame()
    alice = one(frame, name="alice")
    assert alice.groups == "Admins, Developers"
    assert alice.managed_policies == f"arn:aws:iam::{A}:policy/Alpha, arn:aws:iam::{A}:policy/Zeta"
    assert alice.inline_policies == "alice-inline"
    assert alice.tags == "cost-center=cc 1; 2; team=payments"
    assert alice.permissions_boundary == boundary
    bob = one(frame, name="bob")
    assert (bob.groups, bob.inline_policies, bob.managed_policies, bob.tags) == ("", "", "", "")
    assert pd.isna(bob.permissions_boundary)


# -- roles ---------------------------------------------------------------------------

def test_roles_frame_rows_of_the_sample(sample):
    frame = sample.roles_frame()
    assert len(frame) == 45 and frame.arn.tolist() == sorted(frame.arn)
    glass = one(frame, arn=role_arn(PROD, "BreakGlass"))
    assert glass.trusted_accounts == ID and glass.trusted_principals == "" and not glass.service_linked
    assert glass.assumers > 0 and glass.conditional_assumers == glass.assumers  # MFA on every way in
    admin = one(frame, arn=role_arn(PROD, "ProdAdmin"))
    assert admin.assumers == 2 and admin.conditional_assumers == 0  # erin and mia
    sso = one(frame, arn=role_arn(ID, "SSO-Admin"))
    assert sso.federated_providers == f"arn:aws:iam::{ID}:saml-provider/Okta" and sso.assumers == 1
    linked = one(frame, name="AWSServiceRoleForAutoScaling")
    assert linked.service_linked and linked.trusted_services == "autoscaling.amazonaws.com"
    assert linked.path == "/aws-service-role/autoscaling.amazonaws.com/"
    legacy = one(frame, arn=role_arn(C, "LegacyDeploy"))
    assert legacy.trusted_accounts == "777777777777" and legacy.trusted_principals == "AROAZZZZZZZZZZZZZZZZZ"
    assert one(frame, arn=role_arn(PROD, "ProdReadOnly")).trusted_accounts == ID  # the bare account id form
    assert one(frame, arn=role_arn(PROD, "SecurityAudit")).trusted_principals == "*"
    assert one(frame, arn=role_arn(PROD, "AppConfig")).trusted_principals == role_arn(PROD, "Deploy")
    web = one(frame, arn=role_arn(PROD, "EC2-roles-for-XYZ-web"))
    assert web.trusted_services == "ec2.amazonaws.com" and web.passers >= 1


def test_role_counts_are_the_graph_in_degrees(sample):
    graph = sample.graph
    for row in sample.roles_frame().itertuples():
        assume = [d for _, _, k, d in graph.in_edges(row.arn, keys=True, data=True) if k == "can_assume"]
        passers = {u for u, _, d in graph.in_edges(row.arn, data=True) if d.get("edge_type") == "can_pass"}
        assert row.assumers == len(assume)
        assert row.conditional_assumers == sum(bool(d["conditional"]) for d in assume)
        assert row.passers == len(passers)


def test_trusted_columns_read_only_allows_for_assume_actions():
    org = Org()
    org.account(A).user("alice", allow("sts:AssumeRole", "*"))
    org.account(B).role("R", trusts=[
        trust({"AWS": [user_arn(A, "alice"), A], "Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]}),
        trust({"AWS": f"arn:aws:iam::{C}:root"}, effect="Deny"),
        trust({"AWS": role_arn(C, "Tagger")}, action="sts:TagSession"),
        trust({"Federated": f"arn:aws:iam::{B}:oidc-provider/token.actions.githubusercontent.com"},
              action="sts:AssumeRoleWithWebIdentity"),
    ])
    org.account(B).role("Open", trusts=trust({"AWS": user_arn(A, "mallory")}, not_principal=True))
    frame = AccessGraph(org.snapshot()).roles_frame()
    r = one(frame, name="R")
    assert r.trusted_accounts == A
    assert r.trusted_principals == user_arn(A, "alice")
    assert r.trusted_services == "ec2.amazonaws.com, lambda.amazonaws.com"
    assert r.federated_providers == f"arn:aws:iam::{B}:oidc-provider/token.actions.githubusercontent.com"
    assert one(frame, name="Open").trusted_principals == "*"


# -- edges -----------------------------------------------------------------------------

def test_edges_frame_has_one_row_per_assume_and_pass_edge(sample, edges):
    wanted = sorted((u, v, d["edge_type"], d.get("service") or "") for u, v, d in sample.graph.edges(data=True)
                    if d["edge_type"] in ("can_assume", "can_pass"))
    got = list(zip(edges.source, edges.target, edges.edge_type, edges.service.fillna("")))
    assert got == wanted  # every edge once, sorted by source, target, type, service
    assert set(edges.edge_type) == {"can_assume", "can_pass"}


def test_erin_to_prod_admin_is_cross_account_and_not_conditional(edges):
    row = one(edges, source=user_arn(ID, "erin"), target=role_arn(PROD, "ProdAdmin"))
    assert row.edge_type == "can_assume" and row.action == "sts:AssumeRole"
    assert row.cross_account and not row.conditional and row.condition_keys == ""
    assert (row.source_account, row.target_account) == (ID, PROD)
    assert pd.isna(row.service)
    layers = [part.split(":", 1)[0] for part in row.granted_by.split("; ")]
    assert sorted(layers) == ["identity", "trust"]
    assert "on group/Admins" in row.granted_by  # erin's grant comes from her group


def test_heidi_to_break_glass_needs_mfa(edges):
    row = one(edges, source=user_arn(ID, "heidi"), target=role_arn(PROD, "BreakGlass"))
    assert row.conditional and row.cross_account
    assert row.condition_keys == "aws:MultiFactorAuthPresent"
    assert f"trust: {role_arn(PROD, 'BreakGlass')} statement MFAOnly" in row.granted_by


def test_deploy_can_pass_the_web_role_to_ec2(edges):
    row = one(edges, source=role_arn(PROD, "Deploy"), target=role_arn(PROD, "EC2-roles-for-XYZ-web"),
              edge_type="can_pass")
    assert row.action == "iam:PassRole" and row.service == "ec2.amazonaws.com"
    assert not row.conditional and not row.cross_account
    assert row.granted_by.startswith("identity: DeployEC2Workloads statement PassXYZRolesToEC2Only")
    # the batch role trusts only Lambda, so Deploy's EC2-only grant gives no edge at all
    assert edges[(edges.source == role_arn(PROD, "Deploy"))
                 & (edges.target == role_arn(PROD, "EC2-roles-for-XYZ-batch"))].empty


def test_service_and_outside_account_sources(edges):
    service = one(edges, source="ec2.amazonaws.com", target=role_arn(PROD, "EC2-roles-for-XYZ-web"))
    assert pd.isna(service.source_account) and not service.cross_account
    vendor = one(edges, source="arn:aws:iam::999999999999:root", target=role_arn("555555555555", "ExternalAuditor"))
    assert vendor.cross_account and vendor.conditional and "sts:ExternalId" in vendor.condition_keys.split(", ")
    saml = edges[edges.action == "sts:AssumeRoleWithSAML"]
    # the SAML providers, and the four Identity Center users signing in to their permission sets' roles
    assert set(saml.source[~saml.source.str.startswith("arn:aws:identitystore:")]) == {
        f"arn:aws:iam::{ID}:saml-provider/Okta",
        *(f"arn:aws:iam::{account}:saml-provider/AWSSSO_4f1c2a9e7b3d5c60_DO_NOT_DELETE"
          for account in (ID, PROD, "444444444444", "666666666666"))}
    assert saml.source.str.startswith("arn:aws:identitystore::d-b7e93f05fa:user/").sum() > 0
    assert saml.source[saml.source.str.startswith("arn:aws:identitystore:")].nunique() == 4


def test_cross_account_pivot_per_account_pair(edges):
    pivot = edges[edges.cross_account].pivot_table(index="source_account", columns="target_account",
                                                   values="target", aggfunc="count", fill_value=0)
    assert pivot.loc[ID, PROD] == len(edges[(edges.source_account == ID) & (edges.target_account == PROD)])
    assert pivot.loc[ID, PROD] > 0


def test_granted_by_and_condition_keys_of_a_built_edge():
    org = Org()
    org.account(A).user("alice", allow("sts:AssumeRole", role_arn(B, "Vault"), sid="MayAssume"))
    org.account(B).role("Vault", trusts=trust_account(A, sid="Partners", condition={
        "StringEquals": {"sts:ExternalId": "x-1"}, "Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    row = one(AccessGraph(org.snapshot()).edges_frame(), source=user_arn(A, "alice"))
    assert row.condition_keys == "aws:MultiFactorAuthPresent, sts:ExternalId"
    assert sorted(row.granted_by.split("; ")) == [
        "identity: alice-inline statement MayAssume",
        f"trust: {role_arn(B, 'Vault')} statement Partners",
    ]


def test_granted_by_names_a_statement_without_sid_by_position():
    org = Org()
    org.account(A).user("alice", allow("s3:*"), allow("sts:AssumeRole", "*"))
    org.account(A).role("Local", trusts=trust_account(A))
    row = one(AccessGraph(org.snapshot()).edges_frame(), source=user_arn(A, "alice"))
    assert "identity: alice-inline statement #2" in row.granted_by.split("; ")
    assert not row.cross_account


# -- reach / who-can ---------------------------------------------------------------------

def as_row(record: dict) -> ReachRow:
    """A frame record back as the row it came from (``conditions`` is joined text in the frame)."""
    def split(text: str) -> tuple[str, ...]:
        return tuple(text.split(", ")) if text else ()

    subject = record["subject"] if isinstance(record["subject"], str) else None  # missing: NaN in the frame
    return ReachRow(**{**record, "conditions": split(record["conditions"]), "techniques": split(record["techniques"]),
                       "subject": subject})


@pytest.mark.parametrize("source", ["grace", "erin", "ivan", role_arn(PROD, "Deploy"), "sam", "legacy-ci"])
def test_reach_frame_is_the_reach_rows(sample, source):
    rows = sample.reach(source)
    frame = sample.reach_frame(source)
    assert [as_row(record) for record in records(frame)] == rows


@pytest.mark.parametrize("target", ["ProdAdmin", role_arn(PROD, "Deploy"), "BreakGlass",
                                    role_arn(PROD, "EC2-roles-for-XYZ-web"), "ExternalAuditor", "LegacyDeploy"])
def test_who_can_frame_is_the_who_can_rows(sample, target):
    rows = sample.who_can(target)
    frame = sample.who_can_frame(target)
    assert [as_row(record) for record in records(frame)] == rows


def test_reach_frame_rows_of_grace(sample):
    frame = sample.reach_frame("grace")
    app = one(frame, arn=role_arn(PROD, "AppConfig"), action="sts:AssumeRole")
    assert app.hops == 3 and not app.conditional and pd.isna(app.service)
    web = one(frame, arn=role_arn(PROD, "EC2-roles-for-XYZ-web"), action="iam:PassRole")
    assert web.service == "ec2.amazonaws.com" and web.hops == 3
    assert one(sample.who_can_frame("BreakGlass"), arn=user_arn(ID, "heidi")).conditional


def test_names_resolve_as_in_the_other_queries(sample):
    pd.testing.assert_frame_equal(sample.reach_frame("grace"), sample.reach_frame(user_arn(ID, "grace")))
    with pytest.raises(graphiam.UnknownPrincipalError):
        sample.reach_frame("no-such-principal")


# -- pandas stays optional ----------------------------------------------------------------

def test_missing_pandas_names_the_extra(monkeypatch):
    org = Org()
    org.account(A).user("alice")
    access = AccessGraph(org.snapshot())
    monkeypatch.setitem(sys.modules, "pandas", None)  # "import pandas" now fails
    monkeypatch.delitem(sys.modules, "graphiam.present.frames")
    monkeypatch.delattr(graphiam.present, "frames", raising=False)
    for call in (access.principals_frame, access.roles_frame, access.edges_frame,
                 lambda: access.reach_frame("alice"), lambda: access.who_can_frame("alice")):
        with pytest.raises(ImportError, match=r"pip install 'graphiam\[notebook\]'"):
            call()


def test_the_core_does_not_import_pandas():
    code = ("import sys, graphiam; a = graphiam.load(sys.argv[1]); a.path('alice', 'Deploy'); a.reach('grace'); "
            "a._repr_html_(); a.path('heidi', 'BreakGlass')._repr_html_(); "
            "assert 'pandas' not in sys.modules, 'pandas imported'")
    done = subprocess.run([sys.executable, "-c", code, str(SAMPLE)], cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_privesc_frame_is_the_privesc_rows():
    org = Org(management="111111111111")
    org.account("111111111111")
    dev = org.account(A)
    dev.user("writer", allow("iam:PutUserPolicy", user_arn(A, "writer")))
    dev.user("dev", allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "*"))
    dev.role("LambdaAdmin", allow("*", "*"), trusts=trust_service("lambda.amazonaws.com"))
    org.full_access_everywhere()
    access = AccessGraph(org.snapshot())
    frame = access.privesc_frame()
    assert tuple(frame.columns) == PRIVESC_COLUMNS
    rows = {r["principal"]: r for r in records(frame)}
    assert rows[user_arn(A, "writer")]["first_hop"] == user_arn(A, "writer") and rows[user_arn(A, "writer")]["hops"] == 1
    assert rows[user_arn(A, "dev")]["techniques"] == "lambda-create-invoke"
    assert rows[user_arn(A, "dev")]["first_hop"] == role_arn(A, "LambdaAdmin")
