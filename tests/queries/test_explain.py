"""Blockers for the direct request and the smallest verified fix."""

from __future__ import annotations

from builders import Org, allow, deny, role_arn, trust_account, trust_arn, trust_service, user_arn
from graphiam.access import AccessGraph
from graphiam.queries.explain import apply_fix

DEV, PROD = "222222222222", "333333333333"
DEPLOY = role_arn(PROD, "Deploy")


def fix_of(org: Org, source: str, target: str = DEPLOY, action: str = "sts:AssumeRole", service: str | None = None):
    access = AccessGraph(org.snapshot())
    result = access.path(source, target, action, service)
    assert not result.reachable
    return access, result


def test_wrong_account_in_trust_gets_a_trust_fix_naming_the_exact_caller():
    org = Org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    org.account(PROD).role("Deploy", trusts=trust_account("444444444444"))
    access, result = fix_of(org, user_arn(DEV, "alice"))
    assert [b.layer for b in result.blockers] == ["trust"]
    (change,) = result.fix
    assert change["type"] == "add_trust_statement" and change["role"] == DEPLOY
    assert change["statement"]["Principal"] == {"AWS": user_arn(DEV, "alice")}
    assert change["statement"]["Action"] == "sts:AssumeRole"


def test_missing_identity_allow_gets_an_identity_fix_with_the_exact_role_arn():
    org = Org()
    org.account(DEV).user("bob")
    org.account(PROD).role("Deploy", trusts=trust_arn(user_arn(DEV, "bob")))
    _, result = fix_of(org, user_arn(DEV, "bob"))
    (change,) = result.fix
    assert change["type"] == "add_identity_statement" and change["principal"] == user_arn(DEV, "bob")
    assert change["statement"] == {"Sid": "AllowAssumeDeploy", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": DEPLOY}


def test_cross_account_with_nothing_on_either_side_needs_both_statements():
    org = Org()
    org.account(DEV).user("carol")
    org.account(PROD).role("Deploy", trusts=trust_service("ec2.amazonaws.com"))
    _, result = fix_of(org, user_arn(DEV, "carol"))
    assert sorted(c["type"] for c in result.fix) == ["add_identity_statement", "add_trust_statement"]


def test_same_account_missing_trust_needs_only_the_trust_statement():
    org = Org()
    org.account(PROD).user("dave")
    org.account(PROD).role("Deploy", trusts=trust_service("ec2.amazonaws.com"))
    _, result = fix_of(org, user_arn(PROD, "dave"))
    assert [c["type"] for c in result.fix] == ["add_trust_statement"]


def test_no_fix_when_an_explicit_deny_blocks():
    org = Org()
    org.account(DEV).user("eve", allow("sts:AssumeRole", "*"), deny("sts:AssumeRole", DEPLOY, sid="Never"))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    _, result = fix_of(org, user_arn(DEV, "eve"))
    assert result.fix == ()
    assert [(b.layer, b.effect, b.sid) for b in result.blockers] == [("identity", "explicit_deny", "Never")]


def test_no_fix_when_a_boundary_blocks_even_with_a_missing_trust():
    org = Org()
    dev = org.account(DEV)
    boundary = dev.managed_policy("S3Only", allow("s3:*"))
    dev.user("carol", allow("sts:AssumeRole", "*"), boundary=boundary)
    org.account(PROD).role("Deploy", trusts=trust_account("444444444444"))
    _, result = fix_of(org, user_arn(DEV, "carol"))
    assert result.fix == ()
    assert {b.layer for b in result.blockers} == {"trust", "permissions_boundary"}


def test_pass_role_fix_is_scoped_to_the_service():
    org = Org()
    org.account(PROD).user("ci")
    org.account(PROD).role("Web", trusts=trust_service("ec2.amazonaws.com"))
    _, result = fix_of(org, user_arn(PROD, "ci"), role_arn(PROD, "Web"), "iam:PassRole", "ec2.amazonaws.com")
    (change,) = result.fix
    assert change["statement"]["Action"] == "iam:PassRole"
    assert change["statement"]["Resource"] == role_arn(PROD, "Web")
    assert change["statement"]["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}


def test_pass_role_to_an_untrusting_service_fixes_the_roles_trust():
    org = Org()
    org.account(PROD).user("ci", allow("iam:PassRole", role_arn(PROD, "Web")))
    org.account(PROD).role("Web", trusts=trust_service("ec2.amazonaws.com"))
    _, result = fix_of(org, user_arn(PROD, "ci"), role_arn(PROD, "Web"), "iam:PassRole", "lambda.amazonaws.com")
    (change,) = result.fix
    assert change["type"] == "add_trust_statement"
    assert change["statement"]["Principal"] == {"Service": "lambda.amazonaws.com"}


def test_the_fix_is_verified_by_the_engine():
    org = Org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    org.account(PROD).role("Deploy", trusts=trust_account("444444444444"))
    access, result = fix_of(org, user_arn(DEV, "alice"))
    fixed = AccessGraph(apply_fix(access.snapshot, list(result.fix)))
    assert fixed.path(user_arn(DEV, "alice"), DEPLOY).reachable
    assert not access.path(user_arn(DEV, "alice"), DEPLOY).reachable  # the original snapshot is untouched


def test_human_text_names_the_blocker_and_prints_pasteable_json():
    org = Org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    org.account(PROD).role("Deploy", trusts=trust_account("444444444444"))
    _, result = fix_of(org, user_arn(DEV, "alice"))
    text = result.to_text()
    assert "NOT REACHABLE" in text and "[trust, implicit deny]" in text
    assert '"Principal": {' in text and user_arn(DEV, "alice") in text
