"""Blockers for the direct request and the smallest verified fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import graphiam
from builders import Org, allow, deny, role_arn, trust_account, trust_arn, trust_service, user_arn
from graphiam.access import AccessGraph
from graphiam.policy.grammar import policy_problems
from graphiam.queries.explain import apply_fix, camel_case, fix_problems, unique_sid
from strategies import SERVICES, organizations

DEV, PROD = "222222222222", "333333333333"
DEPLOY = role_arn(PROD, "Deploy")
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-org"


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


# -- Sids --------------------------------------------------------------------------

SID = re.compile(r"^[A-Za-z0-9]+$")


def _trust_sid(org: Org, source: str, target: str = DEPLOY) -> str:
    _, result = fix_of(org, source, target)
    (change,) = [c for c in result.fix if c["type"] == "add_trust_statement"]
    return change["statement"]["Sid"]


def _named_org(**names: str) -> Org:
    org = Org()
    for account_id, name in names.items():
        org.account(account_id, name)
    org.full_access_everywhere()  # writes the organization file, which names the accounts
    return org


def test_a_trust_sid_names_the_caller_and_its_account_by_name():
    org = _named_org(**{DEV: "dev", PROD: "prod"})
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    org.account(PROD).role("Deploy", trusts=trust_account("444444444444"))
    assert _trust_sid(org, user_arn(DEV, "alice")) == "TrustAliceFromDev"


def test_a_trust_sid_names_the_account_by_id_when_no_organization_names_it():
    org = Org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    org.account(PROD).role("Deploy", trusts=trust_account("444444444444"))
    assert _trust_sid(org, user_arn(DEV, "alice")) == f"TrustAliceFrom{DEV}"


def test_a_trust_sid_for_a_role_caller_uses_the_role_s_name():
    org = _named_org(**{DEV: "acme-identity", PROD: "acme-prod"})
    org.account(DEV).role("Hub", allow("sts:AssumeRole", DEPLOY), trusts=trust_account(DEV))
    org.account(PROD).role("Deploy", trusts=trust_account("444444444444"))
    assert _trust_sid(org, role_arn(DEV, "Hub")) == "TrustHubFromAcmeIdentity"


@pytest.mark.parametrize(("user", "account_name", "expected"), [
    ("ci-runner", "dev", "TrustCiRunnerFromDev"),
    ("first.last", "dev", "TrustFirstLastFromDev"),
    ("alice@example.com", "dev", "TrustAliceExampleComFromDev"),
    ("build_bot+ci=1,x", "dev", "TrustBuildBotCi1XFromDev"),
    ("1password-sync", "dev", "Trust1passwordSyncFromDev"),
    ("GitHubActions", "dev", "TrustGitHubActionsFromDev"),
    ("alice", "Entwicklung-Müller", "TrustAliceFromEntwicklungMuller"),
    ("alice", "Straße & Co.", "TrustAliceFromStrasseCo"),
    ("alice", "開発", f"TrustAliceFrom{DEV}"),  # no ASCII word in the name: the id
    ("josé", "dev", "TrustJoseFromDev"),
])
def test_trust_sids_are_camel_case_ascii_words(user, account_name, expected):
    org = _named_org(**{DEV: account_name, PROD: "prod"})
    org.account(DEV).user(user, allow("sts:AssumeRole", DEPLOY))
    org.account(PROD).role("Deploy", trusts=trust_account("444444444444"))
    sid = _trust_sid(org, user_arn(DEV, user))
    assert sid == expected and SID.match(sid)


@pytest.mark.parametrize(("role", "expected"), [
    ("Deploy", "AllowAssumeDeploy"),
    ("EC2-roles-for-XYZ-web", "AllowAssumeEC2RolesForXYZWeb"),
    ("xyz-api.lambda_exec", "AllowAssumeXyzApiLambdaExec"),
    ("SSO-Admin", "AllowAssumeSSOAdmin"),
    ("2024-migration", "AllowAssume2024Migration"),
])
def test_identity_sids_are_camel_case_words_of_the_role_name(role, expected):
    org = Org()
    org.account(DEV).user("bob")  # another account: the trust alone does not let bob in
    org.account(PROD).role(role, trusts=trust_arn(user_arn(DEV, "bob")))
    _, result = fix_of(org, user_arn(DEV, "bob"), role_arn(PROD, role))
    (change,) = result.fix
    assert change["statement"]["Sid"] == expected


def test_a_name_with_no_ascii_word_is_named_by_its_unique_id():
    org = Org()
    org.account(DEV).user("bob")
    org.account(PROD).role("開発", trusts=trust_arn(user_arn(DEV, "bob")))
    access, result = fix_of(org, user_arn(DEV, "bob"), role_arn(PROD, "開発"))
    (change,) = result.fix
    role_id = access.snapshot.role(role_arn(PROD, "開発")).role_id
    assert change["statement"]["Sid"] == "AllowAssume" + role_id[0].upper() + role_id[1:]
    assert SID.match(change["statement"]["Sid"])


def test_a_pass_role_sid_names_the_role_and_a_service_trust_sid_the_service():
    org = Org()
    org.account(PROD).user("ci")
    org.account(PROD).role("EC2-roles-for-XYZ-web", trusts=trust_service("ecs-tasks.amazonaws.com"))
    web = role_arn(PROD, "EC2-roles-for-XYZ-web")
    _, result = fix_of(org, user_arn(PROD, "ci"), web, "iam:PassRole", "ec2.amazonaws.com")
    sids = {c["type"]: c["statement"]["Sid"] for c in result.fix}
    assert sids == {"add_identity_statement": "AllowPassEC2RolesForXYZWeb", "add_trust_statement": "TrustEC2Service"}
    _, result = fix_of(org, user_arn(PROD, "ci"), web, "iam:PassRole", "lambda.amazonaws.com")
    assert {c["statement"]["Sid"] for c in result.fix} == {"AllowPassEC2RolesForXYZWeb", "TrustLambdaService"}


def test_a_sid_the_trust_policy_already_holds_gets_a_number():
    org = _named_org(**{DEV: "dev", PROD: "prod"})
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    org.account(PROD).role("Deploy", trusts=[trust_account("444444444444", sid="TrustAliceFromDev"),
                                             trust_account("555555555555", sid="trustalicefromdev2")])
    access, result = fix_of(org, user_arn(DEV, "alice"))
    (change,) = result.fix
    assert change["statement"]["Sid"] == "TrustAliceFromDev3"  # Sids compared without regard to case
    assert fix_problems(access.snapshot, list(result.fix)) == []


def test_long_names_keep_the_sid_within_100_characters_and_keep_the_account():
    account_name = "a" * 50
    user = "u" * 64
    org = _named_org(**{DEV: account_name, PROD: "prod"})
    org.account(DEV).user(user, allow("sts:AssumeRole", DEPLOY))
    org.account(PROD).role("Deploy", trusts=trust_account("444444444444", sid=("Trust" + "U" * 64 + "FromA" + "a" * 49)[:100]))
    sid = _trust_sid(org, user_arn(DEV, user))
    assert len(sid) == 100 and SID.match(sid) and sid.startswith("TrustU")
    assert "From" + "A" + "a" * 40 in sid


def test_unit_sid_helpers():
    assert camel_case("EC2-roles-for-XYZ-web") == "EC2RolesForXYZWeb"
    assert camel_case("---") == ""
    assert unique_sid("Trust", set()) == "Trust"
    assert unique_sid("Trust", {"Trust", "Trust2"}) == "Trust3"
    assert unique_sid("x" * 100, {"x" * 100}) == "x" * 99 + "2"


def test_a_caller_with_a_graphiam_fix_policy_gets_a_new_policy_name():
    org = Org()
    dev = org.account(DEV)
    dev.user("bob", allow("s3:ListBucket", "*"))
    dev.users[-1]["UserPolicyList"][0]["PolicyName"] = "graphiam-fix"
    org.account(PROD).role("Deploy", trusts=trust_arn(user_arn(DEV, "bob")))
    _, result = fix_of(org, user_arn(DEV, "bob"))
    (change,) = result.fix
    assert change["policy_name"] == "graphiam-fix-2"


# -- every fix passes the grammar check --------------------------------------------------

def _check_every_fix(access: AccessGraph, services) -> int:
    """Ask every user/role -> role question; assert each fix is valid IAM and verified. Returns the fixes seen."""
    snapshot = access.snapshot
    sources = [p.arn for p in snapshot.all_principals()]
    seen = 0
    for target in (r.arn for r in snapshot.all_roles()):
        for source in sources:
            for service in services:
                result = access.path(source, target, "iam:PassRole" if service else "sts:AssumeRole", service)
                if not result.fix:
                    continue
                seen += 1
                assert fix_problems(snapshot, list(result.fix)) == [], result.fix
                for change in result.fix:
                    sid = change["statement"]["Sid"]
                    assert SID.match(sid) and len(sid) <= 100, sid
                    if change["type"] == "add_identity_statement":
                        document = {"Version": "2012-10-17", "Statement": [change["statement"]]}
                        assert policy_problems(document, "identity") == []
                    else:
                        role = snapshot.role(change["role"])
                        statements = role.trust_policy.raw["Statement"]
                        statements = statements if isinstance(statements, list) else [statements]
                        document = {**role.trust_policy.raw, "Statement": [*statements, change["statement"]]}
                        assert policy_problems(document, "trust") == []
    return seen


def test_every_fix_for_the_sample_organization_passes_the_grammar():
    access = graphiam.load(SAMPLE)
    assert _check_every_fix(access, (None, "ec2.amazonaws.com")) > 500


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(organizations())
def test_every_fix_for_random_organizations_passes_the_grammar(org):
    _check_every_fix(AccessGraph(org.snapshot()), (None, *SERVICES))


def test_a_trust_policy_that_is_already_invalid_still_gets_a_fix_that_adds_no_problem():
    org = Org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    org.account(PROD).role("Deploy", trusts=trust_account("444444444444", sid="not-a-sid"))
    access, result = fix_of(org, user_arn(DEV, "alice"))
    (change,) = result.fix
    assert change["statement"]["Sid"] == f"TrustAliceFrom{DEV}"
    (already,) = fix_problems(access.snapshot, [change])  # the snapshot's own Sid, not the fix's
    assert "'not-a-sid'" in already and "statement 1" in already
    assert fix_problems(access.snapshot, [change], introduced_only=True) == []


def test_a_fix_that_would_add_a_problem_is_never_offered(monkeypatch):
    from graphiam.queries import explain

    org = Org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    org.account(PROD).role("Deploy", trusts=trust_account("444444444444"))
    monkeypatch.setattr(explain, "trust_sid", lambda *args: "Trust-alice")  # a generator gone wrong
    _, result = fix_of(org, user_arn(DEV, "alice"))
    assert result.fix == ()  # only a trust statement could help, and this one is not valid IAM


def test_fix_problems_reports_an_invalid_change():
    org = Org()
    org.account(PROD).user("bob")
    org.account(PROD).role("Deploy", trusts=trust_arn(user_arn(PROD, "bob")))
    snapshot = org.snapshot()
    bad = {"type": "add_identity_statement", "principal": user_arn(PROD, "bob"), "policy_name": "graphiam-fix",
           "statement": {"Sid": "Allow-Deploy", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": DEPLOY}}
    (problem,) = fix_problems(snapshot, [bad])
    assert "Sid" in problem and "graphiam-fix" in problem
