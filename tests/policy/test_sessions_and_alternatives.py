"""Rules 1, 10 and 15 where the AWS docs settle what graphiam used to get wrong.

- A trust naming ``arn:aws:sts::A:assumed-role/R/S`` names the *calling* session S of role R: for R's
  generic session it is a condition on the caller's ``aws:userid`` (``ROLE_ID:S``), and a request from S
  itself is decided outright. It is never a condition on the new session's ``sts:RoleSessionName``.
- Any one applicable Allow suffices: a conditional Allow naming the caller does not make a decision
  conditional when another Allow covers the caller unconditionally.
- Within one account, a grant to a session, and ``"Principal": "*"`` narrowed by ``aws:PrincipalArn``,
  are not limited by an implicit deny in the caller's boundary; an explicit deny still wins.
- Several conditional Allows are alternatives, and a stated request decides them.
"""

from __future__ import annotations

from builders import Org, allow, deny, role_arn, trust, trust_account, trust_arn, user_arn
from graphiam.policy import Outcome, PolicyEngine
from graphiam.policy.request import apply_stated, stated_context

DEV, PROD = "222222222222", "333333333333"
HUB = role_arn(DEV, "Hub")
TARGET = role_arn(DEV, "Target")
SESSION_A = f"arn:aws:sts::{DEV}:assumed-role/Hub/sess-a"
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
OFFICE = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}


def engine_of(org: Org) -> tuple[PolicyEngine, object]:
    snapshot = org.snapshot()
    return PolicyEngine(snapshot), snapshot


def decide(org: Org, caller: str, target: str, session: str | None = None):
    engine, snapshot = engine_of(org)
    return engine.decide_assume(snapshot.principal(caller), snapshot.role(target), session=session)


def hub_org(*trusts: dict, boundary: bool = False, hub_policies: tuple[dict, ...] = ()) -> Org:
    org = Org()
    dev = org.account(DEV)
    limit = dev.managed_policy("OnlyS3", allow("s3:*", "*")) if boundary else None
    dev.role("Hub", *hub_policies, trusts=trust_account(DEV), boundary=limit)
    dev.role("Target", trusts=list(trusts))
    return org


# -- a session ARN names the calling session -------------------------------------------------------------

def test_a_trust_naming_a_session_is_a_condition_on_the_calling_sessions_userid():
    org = hub_org(trust_arn(SESSION_A))
    engine, snapshot = engine_of(org)
    hub = snapshot.principal(HUB)
    decision = engine.decide_assume(hub, snapshot.role(TARGET))
    assert decision.outcome is Outcome.CONDITIONAL
    (requirement,) = decision.requirements
    (condition,) = requirement.conditions
    assert condition.key == "aws:userid" and condition.values == (f"{hub.role_id}:sess-a",)
    assert all(c.key.lower() != "sts:rolesessionname" for r in decision.requirements for c in r.conditions)


def test_the_named_session_itself_is_allowed_and_another_session_is_not():
    org = hub_org(trust_arn(SESSION_A))
    assert decide(org, HUB, TARGET, session="sess-a").outcome is Outcome.ALLOWED
    other = decide(org, HUB, TARGET, session="sess-b")
    assert other.outcome is Outcome.DENIED and {b.layer for b in other.blockers} == {"trust"}


def test_a_deny_naming_a_session_denies_only_that_session():
    org = hub_org(trust_account(DEV), trust({"AWS": SESSION_A}, effect="Deny"),
                  hub_policies=(allow("sts:AssumeRole", "*"),))
    generic = decide(org, HUB, TARGET)
    assert generic.outcome is Outcome.CONDITIONAL
    (requirement,) = generic.requirements
    assert not requirement.must_hold and requirement.conditions[0].key == "aws:userid"
    assert decide(org, HUB, TARGET, session="sess-a").outcome is Outcome.DENIED
    assert decide(org, HUB, TARGET, session="sess-b").outcome is Outcome.ALLOWED


def test_a_not_principal_deny_listing_a_session_spares_that_session_only():
    org = hub_org(trust_account(DEV), trust({"AWS": SESSION_A}, effect="Deny", not_principal=True),
                  hub_policies=(allow("sts:AssumeRole", "*"),))
    assert decide(org, HUB, TARGET, session="sess-a").outcome is Outcome.ALLOWED
    assert decide(org, HUB, TARGET, session="sess-b").outcome is Outcome.DENIED
    generic = decide(org, HUB, TARGET)
    (requirement,) = generic.requirements
    assert not requirement.must_hold and requirement.conditions[0].operator == "StringNotEquals"


# -- rule 1: any one applicable Allow suffices ---------------------------------------------------------------

def test_a_conditional_allow_for_the_arn_and_an_unconditional_one_for_the_account_allow_outright():
    org = Org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", "*"))
    org.account(PROD).role("Deploy", trusts=[trust_arn(user_arn(DEV, "alice"), condition=MFA), trust_account(DEV)])
    assert decide(org, user_arn(DEV, "alice"), role_arn(PROD, "Deploy")).outcome is Outcome.ALLOWED


def test_a_conditional_exact_grant_and_an_unconditional_star_in_one_account_allow_outright():
    org = Org()
    dev = org.account(DEV)
    dev.user("alice")  # no identity policy at all: both grants name her (rule 7, reading 2)
    dev.role("Target", trusts=[trust_arn(user_arn(DEV, "alice"), condition=MFA), trust("*")])
    assert decide(org, user_arn(DEV, "alice"), TARGET).outcome is Outcome.ALLOWED


def test_the_account_grant_still_needs_the_identity_allow_when_the_exact_one_is_conditional():
    org = Org()
    org.account(DEV).user("alice")  # no identity Allow: only the exact (conditional) grant can work
    org.account(DEV).role("Target", trusts=[trust_arn(user_arn(DEV, "alice"), condition=MFA), trust_account(DEV)])
    decision = decide(org, user_arn(DEV, "alice"), TARGET)
    assert decision.outcome is Outcome.CONDITIONAL
    assert [r.keys for r in decision.requirements] == [("aws:MultiFactorAuthPresent",)]


# -- rule 10: grants a boundary does not limit ----------------------------------------------------------------

def test_a_grant_to_the_session_is_not_limited_by_the_callers_boundary():
    org = hub_org(trust_arn(SESSION_A), boundary=True)
    assert decide(org, HUB, TARGET, session="sess-a").outcome is Outcome.ALLOWED


def test_star_narrowed_by_principal_arn_is_not_limited_by_the_boundary():
    org = hub_org(trust("*", condition={"ArnEquals": {"aws:PrincipalArn": HUB}}), boundary=True)
    assert decide(org, HUB, TARGET).outcome is Outcome.ALLOWED


def test_a_grant_to_the_role_arn_is_still_limited_by_its_boundary():
    org = hub_org(trust_arn(HUB), boundary=True)
    decision = decide(org, HUB, TARGET)
    assert decision.outcome is Outcome.DENIED and {b.layer for b in decision.blockers} == {"permissions_boundary"}


def test_an_explicit_deny_in_the_boundary_still_wins_over_a_session_grant():
    org = Org()
    dev = org.account(DEV)
    limit = dev.managed_policy("NoAssume", allow("*", "*"), deny("sts:AssumeRole", "*"))
    dev.role("Hub", trusts=trust_account(DEV), boundary=limit)
    dev.role("Target", trusts=trust_arn(SESSION_A))
    decision = decide(org, HUB, TARGET, session="sess-a")
    assert decision.outcome is Outcome.DENIED
    assert {(b.layer, b.effect) for b in decision.blockers} == {("permissions_boundary", "explicit_deny")}


# -- several conditional Allows are alternatives -------------------------------------------------------------

def alternatives_org() -> Org:
    org = Org()
    org.account(DEV).user("heidi", allow("sts:AssumeRole", "*"))
    org.account(PROD).role("BreakGlass", trusts=[trust_account(DEV, condition=MFA), trust_account(DEV, condition=OFFICE)])
    return org


def test_each_conditional_allow_is_an_alternative():
    decision = decide(alternatives_org(), user_arn(DEV, "heidi"), role_arn(PROD, "BreakGlass"))
    assert decision.outcome is Outcome.CONDITIONAL
    keys = [tuple(k for r in s for k in r.keys) for s in decision.requirement_sets]
    assert sorted(keys) == [("aws:MultiFactorAuthPresent",), ("aws:SourceIp",)]


def sets_of(decision) -> list[list[dict]]:
    return [[r.to_dict() for r in s] for s in decision.requirement_sets]


def test_a_stated_request_decides_the_alternatives():
    decision = decide(alternatives_org(), user_arn(DEV, "heidi"), role_arn(PROD, "BreakGlass"))
    with_mfa = apply_stated(sets_of(decision), stated_context({"aws:MultiFactorAuthPresent": "true"}))
    assert with_mfa.outcome is Outcome.ALLOWED
    from_office = apply_stated(sets_of(decision), stated_context({"aws:MultiFactorAuthPresent": "false",
                                                                  "aws:SourceIp": "10.1.2.3"}))
    assert from_office.outcome is Outcome.ALLOWED
    nowhere = apply_stated(sets_of(decision), stated_context({"aws:MultiFactorAuthPresent": "false",
                                                              "aws:SourceIp": "192.0.2.1"}))
    assert nowhere.outcome is Outcome.DENIED and {a.held for a in nowhere.assumed} == {False}
    half = apply_stated(sets_of(decision), stated_context({"aws:MultiFactorAuthPresent": "false"}))
    assert half.outcome is Outcome.CONDITIONAL
    assert [[c["key"] for r in s for c in r["conditions"]] for s in half.sets] == [["aws:SourceIp"]]


def test_a_stated_request_meets_or_trips_a_conditional_deny():
    org = Org()
    org.account(DEV).user("bob", allow("sts:AssumeRole", "*"),
                          deny("*", "*", condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    decision = decide(org, user_arn(DEV, "bob"), role_arn(PROD, "Deploy"))
    assert apply_stated(sets_of(decision), stated_context({"aws:MultiFactorAuthPresent": "true"})).outcome is Outcome.ALLOWED
    assert apply_stated(sets_of(decision), stated_context({"aws:MultiFactorAuthPresent": "false"})).outcome is Outcome.DENIED
    assert apply_stated(sets_of(decision), stated_context({"aws:SourceIp": "10.0.0.1"})).outcome is Outcome.CONDITIONAL
