"""graphiam findings: every rule finds its risk (positive) and stays quiet on the safe form (negative)."""

from __future__ import annotations

import pytest

from builders import Org, allow, role_arn, trust, trust_account, trust_arn, trust_service
from graphiam.graph.build import build_graph
from graphiam.policy import PolicyEngine
from graphiam.queries import findings as findings_module
from graphiam.queries.findings import (
    ADMIN_ACCOUNTS_LIMIT,
    CHECKS,
    LEVELS,
    RULES,
    SEVERITIES,
    SOURCE_CONDITION_SERVICES,
    Finding,
    Rule,
    at_least,
    findings,
    rule_by_id,
)
from graphiam.snapshot.read import snapshot_from_data

HOME = "222222222222"  # the account of the roles under test
PEER = "333333333333"  # another account of the organization
VENDOR = "999999999999"  # outside the organization and the snapshot
GITHUB = f"arn:aws:iam::{HOME}:oidc-provider/token.actions.githubusercontent.com"
GH = "token.actions.githubusercontent.com"
ADMIN_POLICY = allow("*", "*", sid="Everything")


def organization() -> Org:
    org = Org()
    org.account(HOME, name="home")
    org.account(PEER, name="peer").user("pat")  # an account file with no principal is not read as an account
    org.full_access_everywhere()
    return org


def run(org_or_snapshot, rule: str | None = None, **kw) -> list[Finding]:
    snapshot = org_or_snapshot.snapshot() if isinstance(org_or_snapshot, Org) else org_or_snapshot
    engine = PolicyEngine(snapshot)
    graph = build_graph(snapshot, engine)
    found = findings(snapshot, graph, engine, **kw)
    return [f for f in found if rule is None or f.rule == rule]


def one_role(*trusts: dict, statements: tuple[dict, ...] = (), name: str = "Target") -> Org:
    org = organization()
    org.account(HOME).role(name, *statements, trusts=list(trusts))
    return org


def github(condition: dict | None) -> dict:
    return trust({"Federated": GITHUB}, "sts:AssumeRoleWithWebIdentity", condition, sid="GitHubDeploy")


AUD = {f"{GH}:aud": "sts.amazonaws.com"}


# -- the rules as data --------------------------------------------------------------------------------

def test_rules_are_complete_records():
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids)) and ids == sorted(ids)
    assert len({rule.name for rule in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.check in CHECKS
        assert rule.severity in SEVERITIES and rule.level in LEVELS
        # one scale: high is an error, medium a warning, low a note
        assert LEVELS.index(rule.level) == SEVERITIES.index(rule.severity)
        assert rule.help_uri.startswith("https://docs.aws.amazon.com/")
        assert rule.title and rule.description.endswith(".") and rule.fix.endswith(".")
        assert rule.name[0].isupper() and " " not in rule.name
        assert 0 < float(rule.security_severity) <= 10
    assert rule_by_id("GIAM003").name == "OidcTrustAnySubject"
    for entry in SOURCE_CONDITION_SERVICES:
        assert entry.service.endswith(".amazonaws.com") and entry.doc.startswith("https://docs.aws.amazon.com/")


def test_a_malformed_rule_is_refused():
    with pytest.raises(ValueError):
        Rule("X1", "Bad", "t", "d.", "f.", "high", "error", "https://docs.aws.amazon.com/", "dangling")
    with pytest.raises(ValueError):
        Rule("GIAM999", "Bad", "t", "d.", "f.", "critical", "error", "https://docs.aws.amazon.com/", "dangling")


def test_findings_are_sorted_most_severe_first_and_filtered_by_severity():
    org = one_role(trust("*"), trust_arn("AROA" + "Q" * 17, sid="Old"))
    found = run(org)
    assert [f.rule for f in found] == ["GIAM001", "GIAM007"]
    assert [f.rule for f in at_least(found, "high")] == ["GIAM001"]
    assert [f.rule for f in at_least(found, "low")] == ["GIAM001", "GIAM007"]
    assert found[0].to_dict()["role"] == role_arn(HOME, "Target")


def test_only_the_rules_asked_for_are_run():
    org = one_role(trust("*"), trust_arn("AROA" + "Q" * 17))
    assert [f.rule for f in run(org, rules=[rule_by_id("GIAM007")])] == ["GIAM007"]


# -- GIAM001: open to any AWS principal ---------------------------------------------------------------

def test_public_trust_positive():
    (finding,) = run(one_role(trust("*", sid="Anyone")), "GIAM001")
    assert (finding.role, finding.sid, finding.statement, finding.subject) == (role_arn(HOME, "Target"), "Anyone", 1,
                                                                               "*")
    assert (finding.severity, finding.level, finding.account) == ("high", "error", HOME)
    assert finding.source == f"{HOME}.json" and "o-test000001" in finding.fix
    # an ExternalId is a shared secret, not an identity: still any principal, said with what it asks
    (secret,) = run(one_role(trust("*", condition={"StringEquals": {"sts:ExternalId": "s3cr3t"}})), "GIAM001")
    assert "sts:ExternalId StringEquals s3cr3t" in secret.message
    # a negated organization condition does not confine, nor does NotPrincipal
    assert run(one_role(trust("*", condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-other"}})), "GIAM001")
    assert run(one_role(trust({"AWS": role_arn(PEER, "Nobody")}, not_principal=True)), "GIAM001")


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"aws:PrincipalOrgID": "o-test000001"}},
    {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-test000001/r-test/*"}},
    {"StringEquals": {"aws:PrincipalAccount": PEER}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{PEER}:role/*"}},
    {"StringEquals": {"aws:SourceOrgID": "o-test000001"}},
    {"StringEquals": {"aws:SourceAccount": HOME}},
])
def test_public_trust_negative(condition):
    assert run(one_role(trust("*", condition=condition)), "GIAM001") == []
    assert run(one_role(trust_account(PEER)), "GIAM001") == []


# -- GIAM002-004: web identity ------------------------------------------------------------------------

def test_oidc_without_audience():
    (finding,) = run(one_role(github({"StringLike": {f"{GH}:sub": "repo:acme/app:ref:refs/heads/main"}})),
                     "GIAM002")
    assert (finding.level, finding.sid, finding.subject) == ("note", "GitHubDeploy", GITHUB)
    assert f'"{GH}:aud": "sts.amazonaws.com"' in finding.fix
    pinned = {"StringEquals": {**AUD, f"{GH}:sub": "repo:acme/app:ref:refs/heads/main"}}
    assert run(one_role(github(pinned)), "GIAM002") == []


@pytest.mark.parametrize("condition, who", [
    ({"StringEquals": AUD}, "any repository on GitHub"),
    (None, "any repository on GitHub"),
    ({"StringEquals": AUD, "StringLike": {f"{GH}:sub": "repo:*"}}, "any repository on GitHub"),
    ({"StringEquals": AUD, "StringLike": {f"{GH}:sub": "repo:acme*"}},
     "any repository of any organization matching acme*"),
])
def test_oidc_any_subject_positive(condition, who):
    (finding,) = run(one_role(github(condition)), "GIAM003")
    assert finding.severity == "high" and who in finding.message
    assert "repo:ORG/REPO:ref:refs/heads/main" in finding.fix
    assert finding.details["who"]["scope"] == "provider"


@pytest.mark.parametrize("pattern", ["repo:acme/*", "repo:acme/app:*", "repo:acme/app:ref:refs/heads/main"])
def test_oidc_any_subject_negative(pattern):
    assert run(one_role(github({"StringEquals": AUD, "StringLike": {f"{GH}:sub": pattern}})), "GIAM003") == []


@pytest.mark.parametrize("pattern, who", [
    ("repo:acme/*", "any repository of acme"),
    ("repo:acme/app:*", "any branch, tag, environment or pull request of acme/app"),
    ("repo:acme/app:pull_request", "pull requests of acme/app"),
    ("repo:acme/app:ref:refs/heads/*", "any branch of acme/app"),
])
def test_oidc_broad_subject_positive(pattern, who):
    (finding,) = run(one_role(github({"StringEquals": AUD, "StringLike": {f"{GH}:sub": pattern}})), "GIAM004")
    assert finding.level == "warning" and who in finding.message and pattern in finding.message


@pytest.mark.parametrize("condition", [
    {"StringEquals": {**AUD, f"{GH}:sub": "repo:acme/app:ref:refs/heads/main"}},
    {"StringEquals": {**AUD, f"{GH}:sub": ["repo:acme/app:ref:refs/heads/main", "repo:acme/app:environment:prod"]}},
    {"StringEquals": {**AUD, f"{GH}:repository": "acme/app", f"{GH}:environment": "prod"}},
    {"StringEquals": AUD},  # any subject: GIAM003, not this rule
])
def test_oidc_broad_subject_negative(condition):
    assert run(one_role(github(condition)), "GIAM004") == []


def test_eks_and_terraform_trusts_are_read_by_their_subject_form():
    eks = f"arn:aws:iam::{HOME}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC123"
    key = "oidc.eks.eu-west-1.amazonaws.com/id/ABC123"
    namespace = trust({"Federated": eks}, "sts:AssumeRoleWithWebIdentity",
                      {"StringEquals": {f"{key}:aud": "sts.amazonaws.com"},
                       "StringLike": {f"{key}:sub": "system:serviceaccount:payments:*"}})
    (finding,) = run(one_role(namespace), "GIAM004")
    assert "any service account in namespace payments" in finding.message
    assert "system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT" in finding.fix
    one = trust({"Federated": eks}, "sts:AssumeRoleWithWebIdentity",
                {"StringEquals": {f"{key}:aud": "sts.amazonaws.com",
                                  f"{key}:sub": "system:serviceaccount:payments:api"}})
    assert run(one_role(one)) == []


# -- GIAM005: an outside account without ExternalId ---------------------------------------------------

def test_outside_account_without_external_id_positive():
    (finding,) = run(one_role(trust_account(VENDOR, sid="Vendor")), "GIAM005")
    assert (finding.subject, finding.sid) == (f"arn:aws:iam::{VENDOR}:root", "Vendor")
    assert "sts:ExternalId" in finding.fix
    # a principal of the account, or the bare account id, alike
    assert run(one_role(trust_arn(f"arn:aws:iam::{VENDOR}:role/Scanner")), "GIAM005")
    assert run(one_role(trust_account(VENDOR, root_form=False)), "GIAM005")


def test_outside_account_without_external_id_negative():
    with_id = trust_account(VENDOR, condition={"StringEquals": {"sts:ExternalId": "7f3k-vendor"}})
    assert run(one_role(with_id), "GIAM005") == []
    assert run(one_role(trust_account(PEER)), "GIAM005") == []
    # a member of the organization whose file the snapshot lacks is inside the organization
    org = organization()
    org.account("444444444444", name="uncollected")
    org.account(HOME).role("Target", trusts=[trust_account("444444444444")])
    files = [(name, data) for name, data in org.files() if name != "444444444444.json"]
    assert run(snapshot_from_data(files), "GIAM005") == []


# -- GIAM006: a service trust without source conditions -----------------------------------------------

def test_service_without_source_condition_positive():
    (finding,) = run(one_role(trust_service("config.amazonaws.com", sid="Config")), "GIAM006")
    assert finding.subject == "config.amazonaws.com" and finding.level == "note"
    assert f'"aws:SourceAccount": "{HOME}"' in finding.fix
    assert finding.details["doc"].startswith("https://docs.aws.amazon.com/config/")


@pytest.mark.parametrize("statement", [
    trust_service("config.amazonaws.com", condition={"StringEquals": {"aws:SourceAccount": HOME}}),
    trust_service("states.amazonaws.com", condition={"ArnLike": {"aws:SourceArn": f"arn:aws:states:*:{HOME}:*"}}),
    trust_service("lambda.amazonaws.com"),  # not a service whose guide asks for them
    trust_service("ec2.amazonaws.com"),
])
def test_service_without_source_condition_negative(statement):
    assert run(one_role(statement), "GIAM006") == []


# -- GIAM007 / GIAM008: the graph's trust facts -------------------------------------------------------

def test_deleted_principal():
    (finding,) = run(one_role(trust_arn("AROA" + "Z" * 17, sid="Old")), "GIAM007")
    assert (finding.subject, finding.sid, finding.statement) == ("AROA" + "Z" * 17, "Old", 1)
    assert run(one_role(trust_arn(role_arn(PEER, "Exists"))), "GIAM007") == []


def test_account_outside_the_snapshot():
    (outside,) = run(one_role(trust_account(VENDOR)), "GIAM008")
    assert "outside the organization" in outside.message and outside.details["member"] is False
    org = organization()
    org.account("444444444444", name="uncollected")
    org.account(HOME).role("Target", trusts=[trust_account("444444444444")])
    files = [(name, data) for name, data in org.files() if name != "444444444444.json"]
    (member,) = run(snapshot_from_data(files), "GIAM008")
    assert "member of the organization" in member.message and "graphiam collect" in member.fix
    assert run(one_role(trust_account(PEER)), "GIAM008") == []


# -- GIAM009 / GIAM010: from outside to an administrator ----------------------------------------------

def test_outside_caller_reaches_an_administrator():
    (anyone,) = run(one_role(trust("*", sid="Open"), statements=(ADMIN_POLICY,)), "GIAM009")
    assert anyone.subject == "*" and "is an administrator" in anyone.message and anyone.sid == "Open"
    (vendor,) = run(one_role(trust_account(VENDOR), statements=(ADMIN_POLICY,)), "GIAM009")
    assert vendor.subject == f"arn:aws:iam::{VENDOR}:root" and "outside the organization" in vendor.message
    # through a further role: the outside caller's role is not an administrator, the role it reaches is
    org = organization()
    home = org.account(HOME)
    entry = home.role("Entry", allow("sts:AssumeRole", role_arn(HOME, "Admin")), trusts=[trust_account(VENDOR)])
    home.role("Admin", ADMIN_POLICY, trusts=[trust_arn(entry)])
    (chained,) = run(org, "GIAM009")
    assert chained.role == entry and role_arn(HOME, "Admin") in chained.message


def test_outside_caller_reaches_an_administrator_negative():
    assert run(one_role(trust_account(VENDOR)), "GIAM009") == []  # not an administrator
    assert run(one_role(trust_account(PEER), statements=(ADMIN_POLICY,)), "GIAM009") == []  # inside
    pinned = trust("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-test000001"}})
    assert run(one_role(pinned, statements=(ADMIN_POLICY,)), "GIAM009") == []


def test_workload_identity_reaches_an_administrator():
    main = {"StringEquals": {**AUD, f"{GH}:sub": "repo:acme/app:ref:refs/heads/main"}}
    (finding,) = run(one_role(github(main), statements=(ADMIN_POLICY,)), "GIAM010")
    assert finding.message.startswith(f"Tokens of {GH} for acme/app on refs/heads/main can assume")
    assert "is an administrator" in finding.message
    assert finding.subject == GITHUB and finding.sid == "GitHubDeploy"
    assert run(one_role(github(main)), "GIAM010") == []  # not an administrator
    saml = trust({"Federated": f"arn:aws:iam::{HOME}:saml-provider/Okta"}, "sts:AssumeRoleWithSAML",
                 {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}})
    assert run(one_role(saml, statements=(ADMIN_POLICY,)), "GIAM010") == []  # people signing in: not a workload


def test_admin_rules_are_skipped_when_escalation_is_unavailable(monkeypatch):
    monkeypatch.setattr(findings_module._Scope, "privesc", lambda self: None)
    found = run(one_role(trust("*"), statements=(ADMIN_POLICY,)))
    assert [f.rule for f in found] == ["GIAM001"]


# -- GIAM011: IAM Identity Center ---------------------------------------------------------------------

ACCOUNTS = ("222222222222", "333333333333", "444444444444", "555555555555", "666666666666")
needs_identity_center = pytest.mark.skipif(not hasattr(Org, "identity_center"),
                                           reason="the snapshot builder has no IAM Identity Center yet")


def identity_center_org(assign) -> Org:
    """An organization of ACCOUNTS whose Identity Center has erin, frank (in Admins), an administrator and a
    read-only permission set; ``assign(center, users, sets)`` makes the assignments."""
    org = Org()
    for account_id in ACCOUNTS:
        org.account(account_id).user("local")
    center = org.identity_center()
    erin = center.user("erin@acme.example")
    frank = center.user("frank@acme.example")
    admins = center.group("Admins", members=[frank])
    sets = {"admin": center.permission_set("AdministratorAccess", ADMIN_POLICY,
                                           managed=["arn:aws:iam::aws:policy/AdministratorAccess"]),
            "read": center.permission_set("ReadOnly", allow(["s3:Get*", "s3:List*"], "*"))}
    assign(center, {"erin": erin, "frank": frank, "admins": admins}, sets)
    org.full_access_everywhere()  # after every account exists: each level must allow
    return org


@needs_identity_center
def test_identity_center_admin_in_many_accounts_positive():
    def direct(center, users, sets):
        for account_id in ACCOUNTS[:ADMIN_ACCOUNTS_LIMIT + 1]:
            center.assign(account_id, sets["admin"], user=users["erin"])

    (finding,) = run(identity_center_org(direct), "GIAM011")
    assert finding.subject.startswith("arn:aws:identitystore::") and ":user/" in finding.subject
    assert finding.role is None and finding.account is None
    assert "erin@acme.example" in finding.message and finding.details["accounts"] == list(ACCOUNTS[:4])
    assert finding.source == "identity-center.json" and finding.details["permission_sets"] == ["AdministratorAccess"]

    def by_group(center, users, sets):
        for account_id in ACCOUNTS:
            center.assign(account_id, sets["admin"], group=users["admins"])

    (finding,) = run(identity_center_org(by_group), "GIAM011")
    assert "frank@acme.example" in finding.message and "5 accounts" in finding.message


@needs_identity_center
def test_identity_center_judges_accounts_without_a_file_by_the_permission_set():
    def mixed(center, users, sets):
        for account_id in ACCOUNTS[:2]:
            center.assign(account_id, sets["admin"], user=users["erin"])
        for account_id in ("777777777777", "888888888888"):  # members whose account files were not collected
            center.assign(account_id, sets["admin"], user=users["erin"], provision=False)

    (finding,) = run(identity_center_org(mixed), "GIAM011")
    assert finding.details["judged_from_permission_set"] == ["777777777777", "888888888888"]
    assert "4 accounts" in finding.message


@needs_identity_center
def test_identity_center_admin_in_many_accounts_negative():
    assert run(organization().snapshot(), "GIAM011") == []  # no Identity Center data: skipped

    def at_limit(center, users, sets):
        for account_id in ACCOUNTS[:ADMIN_ACCOUNTS_LIMIT]:
            center.assign(account_id, sets["admin"], user=users["erin"])

    assert run(identity_center_org(at_limit), "GIAM011") == []

    def read_only(center, users, sets):  # the engine decides on the provisioned roles: they can only read
        for account_id in ACCOUNTS:
            center.assign(account_id, sets["read"], user=users["erin"])

    assert run(identity_center_org(read_only), "GIAM011") == []

    def everywhere(center, users, sets):
        for account_id in ACCOUNTS:
            center.assign(account_id, sets["admin"], user=users["erin"])

    assert run(identity_center_org(everywhere), "GIAM011", admin_accounts_limit=len(ACCOUNTS)) == []


def test_identity_center_rule_is_skipped_without_its_data():
    snapshot = organization().snapshot()
    assert getattr(snapshot, "identity_center", None) is None
    assert run(snapshot, "GIAM011") == []


# -- the sample organization --------------------------------------------------------------------------

def test_the_sample_organization(sample_dir):
    from graphiam.snapshot.read import snapshot_from_files, snapshot_files

    found = run(snapshot_from_files(snapshot_files([sample_dir])))
    seen = {(f.rule, f.role.rsplit("/", 1)[-1] if f.role else None, f.subject) for f in found}
    assert {("GIAM001", "PartnerIntake", "*"),
            ("GIAM005", "LegacyDeploy", "arn:aws:iam::777777777777:root"),
            ("GIAM007", "LegacyDeploy", "AROAZZZZZZZZZZZZZZZZZ"),
            ("GIAM008", "LegacyDeploy", "arn:aws:iam::777777777777:root"),
            ("GIAM008", "ExternalAuditor", "arn:aws:iam::999999999999:root")} <= seen
    # the GitHub trust is pinned to acme/app on main with its audience: nothing to say of it
    assert not [f for f in found if f.role and f.role.endswith(":role/GitHubActions")]
    assert len({f.key for f in found}) == len(found)
