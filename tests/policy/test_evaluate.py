"""One or more tests per rule of ../shared/aws-semantics.md, at the level of whole decisions.

Each test builds the smallest organization that shows the rule, with the
builders in tests/builders.py, and asks the engine for the decision.
"""

from __future__ import annotations

import pytest

from builders import (
    Org,
    allow,
    deny,
    role_arn,
    statement,
    trust,
    trust_account,
    trust_arn,
    trust_service,
    user_arn,
)
from graphiam.policy import USER_ARN_GRANT_IGNORES_BOUNDARY_IMPLICIT_DENY, Outcome, PolicyEngine

DEV, PROD, MGMT = "222222222222", "333333333333", "111111111111"
DEPLOY = role_arn(PROD, "Deploy")


def decide(org: Org, caller: str, target: str):
    snapshot = org.snapshot()
    engine = PolicyEngine(snapshot)
    return engine.decide_assume(snapshot.principal(caller), snapshot.role(target))


def decide_pass(org: Org, caller: str, target: str, service: str):
    snapshot = org.snapshot()
    engine = PolicyEngine(snapshot)
    return engine.decide_pass(snapshot.principal(caller), snapshot.role(target), service)


def layers(decision) -> set[tuple[str, str]]:
    return {(b.layer, b.effect) for b in decision.blockers}


def cross_account_org() -> Org:
    """alice in DEV may assume Deploy in PROD; Deploy trusts the DEV account."""
    org = Org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    return org


# -- rule 1: default deny, explicit deny wins ------------------------------------------

def test_rule1_allowed_when_both_sides_allow():
    assert decide(cross_account_org(), user_arn(DEV, "alice"), DEPLOY).outcome is Outcome.ALLOWED


def test_rule1_default_is_deny():
    org = Org()
    org.account(DEV).user("alice")
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    decision = decide(org, user_arn(DEV, "alice"), DEPLOY)
    assert decision.outcome is Outcome.DENIED
    assert layers(decision) == {("identity", "implicit_deny")}


def test_rule1_explicit_identity_deny_beats_allow():
    org = cross_account_org()
    org.account(DEV).user("bob", allow("sts:AssumeRole", "*"), deny("sts:AssumeRole", DEPLOY, sid="NoProd"))
    decision = decide(org, user_arn(DEV, "bob"), DEPLOY)
    assert decision.outcome is Outcome.DENIED
    assert [(b.layer, b.effect, b.sid) for b in decision.blockers] == [("identity", "explicit_deny", "NoProd")]


def test_rule1_explicit_trust_deny_beats_trust_allow():
    org = Org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    org.account(PROD).role("Deploy", trusts=[trust_account(DEV), trust_arn(user_arn(DEV, "alice"), effect="Deny")])
    decision = decide(org, user_arn(DEV, "alice"), DEPLOY)
    assert layers(decision) == {("trust", "explicit_deny")}


# -- rule 2: actions ---------------------------------------------------------------------

@pytest.mark.parametrize("action", ["sts:AssumeRole", "STS:assumerole", "sts:Assume*", "sts:AssumeRol?", "*", ["s3:*", "sts:*"]])
def test_rule2_action_patterns_match_case_insensitively(action):
    org = Org()
    org.account(DEV).user("alice", allow(action, DEPLOY))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    assert decide(org, user_arn(DEV, "alice"), DEPLOY).allowed


@pytest.mark.parametrize("action", ["sts:AssumeRoleWithSAML", "sts:Assume?", "iam:PassRole", "sts:GetCallerIdentity"])
def test_rule2_other_actions_do_not_match(action):
    org = Org()
    org.account(DEV).user("alice", allow(action, DEPLOY))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    assert not decide(org, user_arn(DEV, "alice"), DEPLOY).allowed


def test_rule2_not_action_allows_everything_not_listed():
    org = Org()
    org.account(DEV).user("alice", statement("Allow", not_action="iam:*", resource="*"))
    org.account(DEV).user("bob", statement("Allow", not_action="sts:*", resource="*"))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    assert decide(org, user_arn(DEV, "alice"), DEPLOY).allowed
    assert not decide(org, user_arn(DEV, "bob"), DEPLOY).allowed


def test_rule2_deny_with_not_action_denies_unlisted_actions():
    org = cross_account_org()
    org.account(DEV).user("carol", allow("*"), statement("Deny", not_action=["s3:*", "ec2:*"], resource="*"))
    assert layers(decide(org, user_arn(DEV, "carol"), DEPLOY)) == {("identity", "explicit_deny")}


# -- rule 3: resources and variables -------------------------------------------------------

@pytest.mark.parametrize("resource, expected", [
    (DEPLOY, True),
    (f"arn:aws:iam::{PROD}:role/*", True),
    ("arn:aws:iam::*:role/Dep?oy", True),
    (f"arn:aws:iam::{PROD}:role/deploy", False),  # resources are case-sensitive
    (f"arn:aws:iam::{DEV}:role/*", False),
])
def test_rule3_resource_patterns(resource, expected):
    org = Org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", resource))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    assert decide(org, user_arn(DEV, "alice"), DEPLOY).allowed is expected


def test_rule3_not_resource():
    org = Org()
    org.account(DEV).user("alice", statement("Allow", "sts:AssumeRole", not_resource=f"arn:aws:iam::{PROD}:role/Admin*"))
    org.account(DEV).user("bob", statement("Allow", "sts:AssumeRole", not_resource=f"arn:aws:iam::{PROD}:role/Dep*"))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    assert decide(org, user_arn(DEV, "alice"), DEPLOY).allowed
    assert not decide(org, user_arn(DEV, "bob"), DEPLOY).allowed


def test_rule3_variables_resolve_from_the_principal():
    policy = allow("sts:AssumeRole", f"arn:aws:iam::{PROD}:role/${{aws:PrincipalTag/team}}-*")
    org = Org()
    org.account(DEV).user("alice", policy, tags={"team": "payments"})
    org.account(DEV).user("bob", policy, tags={"team": "search"})
    org.account(DEV).user("carol", policy)  # no tag: the variable does not resolve, nothing matches
    org.account(PROD).role("payments-deploy", trusts=trust_account(DEV))
    target = role_arn(PROD, "payments-deploy")
    assert decide(org, user_arn(DEV, "alice"), target).allowed
    assert not decide(org, user_arn(DEV, "bob"), target).allowed
    assert not decide(org, user_arn(DEV, "carol"), target).allowed


def test_rule3_username_variable():
    policy = allow("sts:AssumeRole", f"arn:aws:iam::{PROD}:role/personal-${{aws:username}}")
    org = Org()
    org.account(DEV).user("alice", policy)
    org.account(DEV).user("bob", policy)
    org.account(PROD).role("personal-alice", trusts=trust_account(DEV))
    target = role_arn(PROD, "personal-alice")
    assert decide(org, user_arn(DEV, "alice"), target).allowed
    assert not decide(org, user_arn(DEV, "bob"), target).allowed


# -- rule 4: conditions in decisions ---------------------------------------------------------

def test_rule4_keys_are_anded_and_values_ored():
    condition = {"StringEquals": {"aws:PrincipalTag/team": ["payments", "search"], "aws:PrincipalTag/env": "prod"}}
    org = Org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY), tags={"team": "search", "env": "prod"})
    org.account(DEV).user("bob", allow("sts:AssumeRole", DEPLOY), tags={"team": "search", "env": "dev"})
    org.account(DEV).user("carol", allow("sts:AssumeRole", DEPLOY), tags={"team": "web", "env": "prod"})
    org.account(PROD).role("Deploy", trusts=trust_account(DEV, condition=condition))
    assert decide(org, user_arn(DEV, "alice"), DEPLOY).outcome is Outcome.ALLOWED
    assert not decide(org, user_arn(DEV, "bob"), DEPLOY).allowed
    assert not decide(org, user_arn(DEV, "carol"), DEPLOY).allowed


def test_rule4_if_exists_and_null_on_static_keys():
    org = Org()
    org.account(DEV).user("tagged", allow("sts:AssumeRole", DEPLOY), tags={"team": "ops"})
    org.account(DEV).user("untagged", allow("sts:AssumeRole", DEPLOY))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV, condition={"StringEqualsIfExists": {"aws:PrincipalTag/team": "web"}}))
    org.account(PROD).role("NeedsTag", trusts=trust_account(DEV, condition={"Null": {"aws:PrincipalTag/team": "false"}}))
    assert not decide(org, user_arn(DEV, "tagged"), DEPLOY).allowed  # present and different
    assert decide(org, user_arn(DEV, "untagged"), DEPLOY).allowed  # absent: IfExists holds
    org.account(DEV).users[0]["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Resource"] = "*"
    org.account(DEV).users[1]["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Resource"] = "*"
    assert decide(org, user_arn(DEV, "tagged"), role_arn(PROD, "NeedsTag")).allowed
    assert not decide(org, user_arn(DEV, "untagged"), role_arn(PROD, "NeedsTag")).allowed


# -- rule 5: default version, groups -----------------------------------------------------------

def test_rule5_only_the_default_version_counts():
    org = Org()
    dev = org.account(DEV)
    old_allows = dev.managed_policy("Assume", versions=[[allow("sts:AssumeRole", DEPLOY)], [allow("s3:*")]], default=1)
    new_allows = dev.managed_policy("Assume2", versions=[[allow("s3:*")], [allow("sts:AssumeRole", DEPLOY)]], default=1)
    dev.user("alice", managed=(old_allows,))
    dev.user("bob", managed=(new_allows,))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    assert not decide(org, user_arn(DEV, "alice"), DEPLOY).allowed
    assert decide(org, user_arn(DEV, "bob"), DEPLOY).allowed


def test_rule5_group_inline_and_managed_policies_count():
    org = Org()
    dev = org.account(DEV)
    managed = dev.managed_policy("DeployAccess", allow("sts:AssumeRole", DEPLOY))
    dev.group("Inline", allow("sts:AssumeRole", DEPLOY))
    dev.group("Managed", managed=(managed,))
    dev.group("Nothing", allow("s3:*"))
    dev.user("alice", groups=("Inline",))
    dev.user("bob", groups=("Managed",))
    dev.user("carol", groups=("Nothing",))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    assert decide(org, user_arn(DEV, "alice"), DEPLOY).allowed
    assert decide(org, user_arn(DEV, "bob"), DEPLOY).allowed
    assert not decide(org, user_arn(DEV, "carol"), DEPLOY).allowed


def test_rule5_group_deny_applies_to_members():
    org = cross_account_org()
    org.account(DEV).group("NoProd", deny("sts:AssumeRole", f"arn:aws:iam::{PROD}:role/*"))
    org.account(DEV).user("bob", allow("sts:AssumeRole", "*"), groups=("NoProd",))
    assert layers(decide(org, user_arn(DEV, "bob"), DEPLOY)) == {("identity", "explicit_deny")}


# -- rule 6: the trust policy must allow -------------------------------------------------------

def test_rule6_admin_in_the_same_account_still_needs_the_trust():
    org = Org()
    prod = org.account(PROD)
    prod.user("admin", allow("*", "*"))
    prod.role("Deploy", trusts=trust_service("ec2.amazonaws.com"))
    decision = decide(org, user_arn(PROD, "admin"), DEPLOY)
    assert layers(decision) == {("trust", "implicit_deny")}


# -- rule 7: same account, exact ARN grants alone ------------------------------------------------

def test_rule7_same_account_exact_user_arn_needs_no_identity_policy():
    org = Org()
    prod = org.account(PROD)
    prod.user("alice")
    prod.role("Deploy", trusts=trust_arn(user_arn(PROD, "alice")))
    decision = decide(org, user_arn(PROD, "alice"), DEPLOY)
    assert decision.outcome is Outcome.ALLOWED
    assert [e.layer for e in decision.granted_by] == ["trust"]


def test_rule7_same_account_exact_role_arn_needs_no_identity_policy():
    org = Org()
    prod = org.account(PROD)
    prod.role("Builder", trusts=trust_service("codebuild.amazonaws.com"))
    prod.role("Deploy", trusts=trust_arn(role_arn(PROD, "Builder")))
    assert decide(org, role_arn(PROD, "Builder"), DEPLOY).outcome is Outcome.ALLOWED


# -- rule 8: trust names the account ---------------------------------------------------------------

@pytest.mark.parametrize("root_form", [True, False])
def test_rule8_account_trust_needs_identity_allow_in_the_same_account(root_form):
    org = Org()
    prod = org.account(PROD)
    prod.user("alice")
    prod.user("bob", allow("sts:AssumeRole", DEPLOY))
    prod.role("Deploy", trusts=trust_account(PROD, root_form=root_form))
    assert layers(decide(org, user_arn(PROD, "alice"), DEPLOY)) == {("identity", "implicit_deny")}
    assert decide(org, user_arn(PROD, "bob"), DEPLOY).allowed


# -- rule 9: cross-account needs both sides ----------------------------------------------------------

def test_rule9_cross_account_exact_arn_still_needs_identity_allow():
    org = Org()
    org.account(DEV).user("alice")
    org.account(PROD).role("Deploy", trusts=trust_arn(user_arn(DEV, "alice")))
    assert layers(decide(org, user_arn(DEV, "alice"), DEPLOY)) == {("identity", "implicit_deny")}


def test_rule9_cross_account_identity_allow_without_trust_is_denied_by_trust():
    org = Org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    org.account(PROD).role("Deploy", trusts=trust_account("444444444444"))
    assert layers(decide(org, user_arn(DEV, "alice"), DEPLOY)) == {("trust", "implicit_deny")}


def test_rule9_missing_on_both_sides_reports_both_layers():
    org = Org()
    org.account(DEV).user("alice")
    org.account(PROD).role("Deploy", trusts=trust_account("444444444444"))
    assert layers(decide(org, user_arn(DEV, "alice"), DEPLOY)) == {("trust", "implicit_deny"), ("identity", "implicit_deny")}


# -- rule 10: permissions boundaries ------------------------------------------------------------------

def boundary_org() -> tuple[Org, str, str]:
    org = Org()
    dev = org.account(DEV)
    s3_only = dev.managed_policy("S3Only", allow("s3:*"))
    with_deny = dev.managed_policy("DenyAssume", allow("*"), deny("sts:AssumeRole", "*", sid="NoAssume"))
    return org, s3_only, with_deny


def test_rule10_identity_allow_counts_only_inside_the_boundary():
    org, s3_only, _ = boundary_org()
    org.account(DEV).user("carol", allow("sts:AssumeRole", DEPLOY), boundary=s3_only)
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    decision = decide(org, user_arn(DEV, "carol"), DEPLOY)
    assert layers(decision) == {("permissions_boundary", "implicit_deny")}
    assert decision.blockers[0].policy == s3_only


def test_rule10_boundary_allowing_the_action_lets_the_identity_allow_count():
    org, _, _ = boundary_org()
    wide = org.account(DEV).managed_policy("Wide", allow(["s3:*", "sts:AssumeRole"]))
    org.account(DEV).user("carol", allow("sts:AssumeRole", DEPLOY), boundary=wide)
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    decision = decide(org, user_arn(DEV, "carol"), DEPLOY)
    assert decision.outcome is Outcome.ALLOWED
    assert {e.layer for e in decision.granted_by} == {"identity", "permissions_boundary", "trust"}


def test_rule10_boundary_deny_wins_even_over_an_exact_arn_trust_grant():
    org, _, with_deny = boundary_org()
    dev = org.account(DEV)
    dev.user("carol", boundary=with_deny)
    dev.role("Tools", trusts=trust_arn(user_arn(DEV, "carol")))
    decision = decide(org, user_arn(DEV, "carol"), role_arn(DEV, "Tools"))
    assert layers(decision) == {("permissions_boundary", "explicit_deny")}


def test_rule10_role_arn_grant_is_limited_by_the_roles_boundary():
    org, s3_only, _ = boundary_org()
    dev = org.account(DEV)
    dev.role("Builder", trusts=trust_service("codebuild.amazonaws.com"), boundary=s3_only)
    dev.role("Tools", trusts=trust_arn(role_arn(DEV, "Builder")))
    decision = decide(org, role_arn(DEV, "Builder"), role_arn(DEV, "Tools"))
    assert layers(decision) == {("permissions_boundary", "implicit_deny")}


def test_rule10_documented_reading_user_arn_grant_ignores_boundary_implicit_deny():
    """The docs disagree; graphiam follows the evaluation-logic page (README: 'Readings')."""
    org, s3_only, _ = boundary_org()
    dev = org.account(DEV)
    dev.user("carol", boundary=s3_only)
    dev.role("Tools", trusts=trust_arn(user_arn(DEV, "carol")))
    decision = decide(org, user_arn(DEV, "carol"), role_arn(DEV, "Tools"))
    assert USER_ARN_GRANT_IGNORES_BOUNDARY_IMPLICIT_DENY is True
    assert decision.outcome is Outcome.ALLOWED


def test_rule10_user_boundary_still_limits_an_account_trust_in_the_same_account():
    org, s3_only, _ = boundary_org()
    dev = org.account(DEV)
    dev.user("carol", allow("sts:AssumeRole", "*"), boundary=s3_only)
    dev.role("Tools", trusts=trust_account(DEV))
    assert layers(decide(org, user_arn(DEV, "carol"), role_arn(DEV, "Tools"))) == {("permissions_boundary", "implicit_deny")}


def test_rule10_deny_with_not_principal_always_denies_principals_with_a_boundary():
    org, _, _ = boundary_org()
    dev = org.account(DEV)
    wide = dev.managed_policy("Wide", allow("*"))
    carol, dave = user_arn(DEV, "carol"), user_arn(DEV, "dave")
    dev.user("carol", allow("sts:AssumeRole", "*"), boundary=wide)
    dev.user("dave", allow("sts:AssumeRole", "*"))
    dev.role("Tools", trusts=[trust_account(DEV),
                              trust({"AWS": [carol, dave, f"arn:aws:iam::{DEV}:root"]}, effect="Deny", not_principal=True)])
    tools = role_arn(DEV, "Tools")
    assert layers(decide(org, carol, tools)) == {("trust", "explicit_deny")}  # listed, but has a boundary
    assert decide(org, dave, tools).allowed  # listed, no boundary


# -- rule 11: SCPs ---------------------------------------------------------------------------------------

def scp_org() -> Org:
    org = Org(management=MGMT)
    workloads = org.ou("ou-test-workload", "Workloads")
    org.account(MGMT).user("admin", allow("*"))
    org.account(DEV, parent=workloads).user("alice", allow("sts:AssumeRole", "*"))
    org.account(PROD).role("Deploy", trusts=[trust_account(DEV), trust_account(MGMT)])
    return org


def test_rule11_scp_allow_lists_intersect_down_the_path():
    org = scp_org()
    org.full_access_everywhere(skip=("ou-test-workload",))
    org.scp("OnlyS3", allow("s3:*"), targets=("ou-test-workload",))
    decision = decide(org, user_arn(DEV, "alice"), DEPLOY)
    assert layers(decision) == {("scp", "implicit_deny")}
    assert decision.blockers[0].attached_to == "ou-test-workload"


def test_rule11_full_access_at_every_level_allows():
    org = scp_org()
    org.full_access_everywhere()
    assert decide(org, user_arn(DEV, "alice"), DEPLOY).outcome is Outcome.ALLOWED


def test_rule11_missing_allow_at_the_account_level_denies():
    org = scp_org()
    org.full_access_everywhere(skip=(DEV,))
    decision = decide(org, user_arn(DEV, "alice"), DEPLOY)
    assert [(b.layer, b.attached_to) for b in decision.blockers] == [("scp", DEV)]


def test_rule11_scp_deny_wins():
    org = scp_org()
    org.full_access_everywhere()
    org.scp("NoProd", deny("sts:AssumeRole", f"arn:aws:iam::{PROD}:role/*"), targets=("r-test",))
    assert layers(decide(org, user_arn(DEV, "alice"), DEPLOY)) == {("scp", "explicit_deny")}


def test_rule11_scps_do_not_apply_to_the_management_account():
    org = scp_org()
    org.full_access_everywhere()
    org.scp("DenyAll", deny("*"), targets=("r-test",))
    assert decide(org, user_arn(MGMT, "admin"), DEPLOY).outcome is Outcome.ALLOWED
    assert layers(decide(org, user_arn(DEV, "alice"), DEPLOY)) == {("scp", "explicit_deny")}


def test_rule11_scps_do_not_apply_to_service_linked_roles():
    org = scp_org()
    org.full_access_everywhere()
    org.scp("DenyAll", deny("*"), targets=("r-test",))
    dev = org.account(DEV)
    dev.role("AWSServiceRoleForThing", allow("sts:AssumeRole", "*"), trusts=trust_service("thing.amazonaws.com"),
             path="/aws-service-role/thing.amazonaws.com/")
    slr = f"arn:aws:iam::{DEV}:role/aws-service-role/thing.amazonaws.com/AWSServiceRoleForThing"
    assert decide(org, slr, DEPLOY).outcome is Outcome.ALLOWED


def test_rule11_scps_of_the_role_account_do_not_limit_external_callers():
    org = scp_org()
    prod_ou = org.ou("ou-test-prod", "Prod")
    org.account(PROD).parent = prod_ou
    org.full_access_everywhere()
    org.scp("ProdNoAssume", deny("sts:AssumeRole"), targets=(prod_ou,))
    assert decide(org, user_arn(DEV, "alice"), DEPLOY).outcome is Outcome.ALLOWED


# -- rule 12: RCPs -------------------------------------------------------------------------------------------

def rcp_org() -> Org:
    org = scp_org()
    org.account(PROD).parent = org.ou("ou-test-prod", "Prod")
    org.account(PROD).role("Mgmt", trusts=trust_account(DEV))
    return org


def test_rule12_rcp_deny_gates_every_caller_even_when_scps_allow():
    org = rcp_org()
    org.full_access_everywhere(scp=True, rcp=True)
    org.rcp("NoAssume", statement("Deny", "sts:AssumeRole", "*", principal="*"), targets=("ou-test-prod",))
    assert layers(decide(org, user_arn(DEV, "alice"), DEPLOY)) == {("rcp", "explicit_deny")}
    assert layers(decide(org, user_arn(MGMT, "admin"), DEPLOY)) == {("rcp", "explicit_deny")}


def test_rule12_a_level_without_an_allowing_rcp_is_taken_as_rcpfullawsaccess_and_said():
    org = rcp_org()
    org.full_access_everywhere(scp=True, rcp=True, skip=())
    org.rcp_policies_only_at = None
    # remove RCPFullAWSAccess from the Prod OU: no RCP allows there
    for p in org.org_policies:
        if p["PolicySummary"]["Name"] == "RCPFullAWSAccess":
            p["Targets"] = [t for t in p["Targets"] if t["TargetId"] != "ou-test-prod"]
    decision = decide(org, user_arn(DEV, "alice"), DEPLOY)
    # AWS attaches RCPFullAWSAccess everywhere and it cannot be detached: RCPs only deny (reading 5)
    assert decision.outcome is Outcome.ALLOWED and decision.blockers == ()
    (gap,) = decision.depends_on
    assert "RCPFullAWSAccess" in gap and "ou-test-prod" in gap
    # an RCP deny at that level still wins
    org.rcp("NoAssume", statement("Deny", "sts:AssumeRole", "*", principal="*"), targets=("ou-test-prod",))
    assert layers(decide(org, user_arn(DEV, "alice"), DEPLOY)) == {("rcp", "explicit_deny")}


def test_rule12_rcps_do_not_apply_to_the_management_accounts_roles():
    org = rcp_org()
    org.full_access_everywhere(scp=True, rcp=True)
    org.account(MGMT).role("Central", trusts=trust_account(DEV))
    org.rcp("NoAssume", statement("Deny", "sts:AssumeRole", "*", principal="*"), targets=("r-test",))
    assert decide(org, user_arn(DEV, "alice"), role_arn(MGMT, "Central")).outcome is Outcome.ALLOWED
    assert not decide(org, user_arn(DEV, "alice"), DEPLOY).allowed


def test_rule12_rcps_do_not_apply_to_service_linked_roles():
    org = rcp_org()
    org.full_access_everywhere(scp=True, rcp=True)
    org.rcp("NoAssume", statement("Deny", "sts:AssumeRole", "*", principal="*"), targets=("r-test",))
    org.account(PROD).role("AWSServiceRoleForX", trusts=trust_service("x.amazonaws.com"), path="/aws-service-role/x.amazonaws.com/")
    snapshot = org.snapshot()
    slr = snapshot.role(f"arn:aws:iam::{PROD}:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX")
    assert PolicyEngine(snapshot).decide_service("x.amazonaws.com", slr).outcome is Outcome.ALLOWED


def test_rule12_rcp_conditions_see_the_callers_tags():
    org = rcp_org()
    org.full_access_everywhere(scp=True, rcp=True)
    org.account(DEV).user("erin", allow("sts:AssumeRole", "*"), tags={"clearance": "prod"})
    org.rcp("NeedsClearance", statement("Deny", "sts:AssumeRole", "*", principal="*",
                                        condition={"StringNotEqualsIfExists": {"aws:PrincipalTag/clearance": "prod"}}),
            targets=("ou-test-prod",))
    assert decide(org, user_arn(DEV, "erin"), DEPLOY).outcome is Outcome.ALLOWED
    assert layers(decide(org, user_arn(DEV, "alice"), DEPLOY)) == {("rcp", "explicit_deny")}


def test_rule12_rcps_do_not_gate_iam_pass_role():
    org = rcp_org()
    org.full_access_everywhere(scp=True, rcp=True)
    org.rcp("DenyEverything", statement("Deny", "*", "*", principal="*"), targets=("ou-test-prod",))
    prod = org.account(PROD)
    prod.user("ci", allow("iam:PassRole", "*"))
    prod.role("Web", trusts=trust_service("ec2.amazonaws.com"))
    decision = decide_pass(org, user_arn(PROD, "ci"), role_arn(PROD, "Web"), "ec2.amazonaws.com")
    # the pass itself is not gated; the service's own AssumeRole of the role is (rule 12 applies to STS)
    assert layers(decision) == {("rcp", "explicit_deny")}
    assert all("sts:AssumeRole" in b.message for b in decision.blockers)


# -- rule 13: role chaining --------------------------------------------------------------------------------

def test_rule13_a_role_session_uses_the_roles_policies_and_arn():
    org = Org()
    org.account(DEV).role("Hub", allow("sts:AssumeRole", DEPLOY), trusts=trust_account(DEV))
    org.account(DEV).role("Other", trusts=trust_account(DEV))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV, condition={"ArnEquals": {"aws:PrincipalArn": role_arn(DEV, "Hub")}}))
    assert decide(org, role_arn(DEV, "Hub"), DEPLOY).outcome is Outcome.ALLOWED
    assert not decide(org, role_arn(DEV, "Other"), DEPLOY).allowed


def test_rule13_principal_type_is_assumed_role_for_sessions():
    org = Org()
    org.account(DEV).role("Hub", allow("sts:AssumeRole", DEPLOY), trusts=trust_account(DEV))
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV, condition={"StringEquals": {"aws:PrincipalType": "AssumedRole"}}))
    assert decide(org, role_arn(DEV, "Hub"), DEPLOY).allowed
    assert not decide(org, user_arn(DEV, "alice"), DEPLOY).allowed


def test_rule13_the_role_accounts_scps_apply_to_its_session():
    org = Org(management=MGMT)
    nonprod = org.ou("ou-test-nonprod", "NonProd")
    org.account(DEV, parent=nonprod).role("Hub", allow("sts:AssumeRole", "*"), trusts=trust_account(DEV))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    org.full_access_everywhere()
    org.scp("NoProd", deny("sts:AssumeRole", f"arn:aws:iam::{PROD}:role/*"), targets=(nonprod,))
    assert layers(decide(org, role_arn(DEV, "Hub"), DEPLOY)) == {("scp", "explicit_deny")}


# -- rule 14: no implicit self-trust ---------------------------------------------------------------------------

def test_rule14_a_role_does_not_trust_itself_implicitly():
    org = Org()
    org.account(PROD).role("Admin", allow("*", "*"), trusts=trust_service("ec2.amazonaws.com"))
    org.account(PROD).role("SelfTrusting", allow("*", "*"), trusts=trust_arn(role_arn(PROD, "SelfTrusting")))
    admin = role_arn(PROD, "Admin")
    assert layers(decide(org, admin, admin)) == {("trust", "implicit_deny")}
    me = role_arn(PROD, "SelfTrusting")
    assert decide(org, me, me).outcome is Outcome.ALLOWED


# -- rule 15: the Principal element ------------------------------------------------------------------------------

def test_rule15_star_principal_narrowed_by_org_id():
    org = Org(org_id="o-mine")
    org.account(DEV).user("alice", allow("sts:AssumeRole", "*"))
    org.account("444444444444").user("outsider", allow("sts:AssumeRole", "*"))
    org.account(PROD).role("Deploy", trusts=trust("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-mine"}}))
    org.with_organization = True
    org.accounts["444444444444"].parent = None
    snapshot_files = org.files()
    # take 444444444444 out of the organization file: it is outside the org
    org_json = dict(snapshot_files[-1][1])
    org_json["Accounts"] = [a for a in org_json["Accounts"] if a["Id"] != "444444444444"]
    from graphiam.snapshot.read import snapshot_from_data
    snapshot = snapshot_from_data([*snapshot_files[:-1], ("organization.json", org_json)])
    engine = PolicyEngine(snapshot)
    deploy = snapshot.role(DEPLOY)
    assert engine.decide_assume(snapshot.principal(user_arn(DEV, "alice")), deploy).outcome is Outcome.ALLOWED
    assert not engine.decide_assume(snapshot.principal(user_arn("444444444444", "outsider")), deploy).allowed


def test_rule15_star_principal_in_the_same_account_grants_like_a_named_principal():
    """graphiam's reading: "*" names every principal, so within one account it grants alone (README)."""
    org = Org()
    org.account(PROD).user("alice")
    org.account(PROD).role("Open", trusts=trust("*"))
    assert decide(org, user_arn(PROD, "alice"), role_arn(PROD, "Open")).outcome is Outcome.ALLOWED


def test_rule15_a_unique_id_matches_nobody():
    org = Org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", "*"))
    org.account(PROD).role("Deploy", trusts=trust({"AWS": "AIDAQQQQQQQQQQQQQQQQQ"}))
    assert layers(decide(org, user_arn(DEV, "alice"), DEPLOY)) == {("trust", "implicit_deny")}


def test_rule15_service_principals_are_not_iam_principals():
    org = Org()
    org.account(PROD).user("ec2.amazonaws.com", allow("*"))  # a user cannot borrow a service's name
    org.account(PROD).role("Web", trusts=trust_service("ec2.amazonaws.com"))
    snapshot = org.snapshot()
    engine = PolicyEngine(snapshot)
    web = snapshot.role(role_arn(PROD, "Web"))
    assert not engine.decide_assume(snapshot.principal(user_arn(PROD, "ec2.amazonaws.com")), web).allowed
    assert engine.decide_service("ec2.amazonaws.com", web).outcome is Outcome.ALLOWED
    assert not engine.decide_service("lambda.amazonaws.com", web).allowed


def test_rule15_federated_principals_assume_with_their_claims_as_conditions():
    provider = f"arn:aws:iam::{PROD}:oidc-provider/token.actions.githubusercontent.com"
    org = Org()
    org.account(PROD).role("GitHub", trusts=trust({"Federated": provider}, action="sts:AssumeRoleWithWebIdentity", condition={
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"},
    }))
    org.account(PROD).role("SamlOnly", trusts=trust({"Federated": f"arn:aws:iam::{PROD}:saml-provider/Okta"}, action="sts:AssumeRoleWithSAML"))
    snapshot = org.snapshot()
    engine = PolicyEngine(snapshot)
    decision = engine.decide_federated(provider, snapshot.role(role_arn(PROD, "GitHub")))
    assert decision.outcome is Outcome.CONDITIONAL
    keys = {key for r in decision.requirements for key in r.keys}
    assert keys == {"token.actions.githubusercontent.com:aud", "token.actions.githubusercontent.com:sub"}
    assert not engine.decide_federated(provider, snapshot.role(role_arn(PROD, "SamlOnly"))).allowed
    saml = engine.decide_federated(f"arn:aws:iam::{PROD}:saml-provider/Okta", snapshot.role(role_arn(PROD, "SamlOnly")))
    assert saml.outcome is Outcome.ALLOWED


# -- rule 16: iam:PassRole is identity-side only --------------------------------------------------------------------

def pass_org() -> Org:
    org = Org()
    prod = org.account(PROD)
    prod.role("EC2-roles-for-XYZ-web", trusts=trust_service("ec2.amazonaws.com"))
    prod.role("Batch", trusts=trust_service("lambda.amazonaws.com"))
    return org


WEB = role_arn(PROD, "EC2-roles-for-XYZ-web")


def test_rule16_pass_role_needs_an_identity_allow_and_no_trust_for_the_caller():
    org = pass_org()
    org.account(PROD).user("ci", allow("iam:PassRole", f"arn:aws:iam::{PROD}:role/EC2-roles-for-XYZ-*"))
    org.account(PROD).user("nobody")
    assert decide_pass(org, user_arn(PROD, "ci"), WEB, "ec2.amazonaws.com").outcome is Outcome.ALLOWED
    assert layers(decide_pass(org, user_arn(PROD, "nobody"), WEB, "ec2.amazonaws.com")) == {("identity", "implicit_deny")}


def test_rule16_passed_to_service_is_a_static_key():
    condition = {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
    org = pass_org()
    org.account(PROD).user("ci", allow("iam:PassRole", "*", condition=condition))
    assert decide_pass(org, user_arn(PROD, "ci"), WEB, "ec2.amazonaws.com").outcome is Outcome.ALLOWED
    batch = decide_pass(org, user_arn(PROD, "ci"), role_arn(PROD, "Batch"), "lambda.amazonaws.com")
    assert layers(batch) == {("identity", "implicit_deny")}


def test_rule16_associated_resource_arn_is_request_time():
    condition = {"ArnLike": {"iam:AssociatedResourceArn": f"arn:aws:ec2:*:{PROD}:instance/*"}}
    org = pass_org()
    org.account(PROD).user("ci", allow("iam:PassRole", "*", condition=condition))
    decision = decide_pass(org, user_arn(PROD, "ci"), WEB, "ec2.amazonaws.com")
    assert decision.outcome is Outcome.CONDITIONAL
    assert [r.keys for r in decision.requirements] == [("iam:AssociatedResourceArn",)]


def test_rule16_boundary_and_scp_limit_pass_role():
    org = pass_org()
    prod = org.account(PROD)
    s3_only = prod.managed_policy("S3Only", allow("s3:*"))
    prod.user("bounded", allow("iam:PassRole", "*"), boundary=s3_only)
    assert layers(decide_pass(org, user_arn(PROD, "bounded"), WEB, "ec2.amazonaws.com")) == {("permissions_boundary", "implicit_deny")}
    org.account(PROD).user("ci", allow("iam:PassRole", "*"))
    org.full_access_everywhere()
    org.scp("NoPass", deny("iam:PassRole"), targets=("r-test",))
    assert layers(decide_pass(org, user_arn(PROD, "ci"), WEB, "ec2.amazonaws.com")) == {("scp", "explicit_deny")}


# -- rule 17: usable and same-account ----------------------------------------------------------------------------------

def test_rule17_the_role_must_trust_the_service_it_is_passed_to():
    org = pass_org()
    org.account(PROD).user("ci", allow("iam:PassRole", "*"))
    decision = decide_pass(org, user_arn(PROD, "ci"), role_arn(PROD, "Batch"), "ec2.amazonaws.com")
    assert layers(decision) == {("trust", "implicit_deny")}


def test_rule17_a_role_cannot_be_passed_across_accounts():
    org = pass_org()
    org.account(DEV).user("ci", allow("iam:PassRole", "*"))
    decision = decide_pass(org, user_arn(DEV, "ci"), WEB, "ec2.amazonaws.com")
    assert not decision.allowed
    assert any("its own account" in b.message for b in decision.blockers)


# -- rule 18: request-time keys make decisions conditional ----------------------------------------------------------------

def test_rule18_mfa_in_trust_makes_the_decision_conditional():
    org = Org()
    org.account(DEV).user("heidi", allow("sts:AssumeRole", "*"))
    org.account(PROD).role("BreakGlass", trusts=trust_account(DEV, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    decision = decide(org, user_arn(DEV, "heidi"), role_arn(PROD, "BreakGlass"))
    assert decision.outcome is Outcome.CONDITIONAL
    assert decision.allowed
    (requirement,) = decision.requirements
    assert requirement.must_hold and requirement.keys == ("aws:MultiFactorAuthPresent",)


def test_rule18_external_id_is_request_time_but_static_keys_still_decide():
    org = Org()
    org.account(DEV).user("auditor", allow("sts:AssumeRole", "*"), tags={"team": "audit"})
    org.account(DEV).user("dev", allow("sts:AssumeRole", "*"), tags={"team": "dev"})
    condition = {"StringEquals": {"sts:ExternalId": "abc", "aws:PrincipalTag/team": "audit"}}
    org.account(PROD).role("Audit", trusts=trust_account(DEV, condition=condition))
    audit = role_arn(PROD, "Audit")
    assert decide(org, user_arn(DEV, "auditor"), audit).outcome is Outcome.CONDITIONAL
    assert decide(org, user_arn(DEV, "dev"), audit).outcome is Outcome.DENIED


def test_rule18_a_deny_on_a_request_time_key_becomes_a_must_not_requirement():
    org = cross_account_org()
    org.account(DEV).user("bob", allow("sts:AssumeRole", "*"),
                          deny("*", "*", condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, sid="RequireMFA"))
    decision = decide(org, user_arn(DEV, "bob"), DEPLOY)
    assert decision.outcome is Outcome.CONDITIONAL
    (requirement,) = decision.requirements
    assert not requirement.must_hold and requirement.sid == "RequireMFA"


def test_rule18_an_unconditional_allow_beats_a_conditional_one():
    org = Org()
    org.account(DEV).user("alice", allow("sts:AssumeRole", "*"))
    org.account(PROD).role("Deploy", trusts=[
        trust_account(DEV, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        trust_arn(user_arn(DEV, "alice")),
    ])
    assert decide(org, user_arn(DEV, "alice"), DEPLOY).outcome is Outcome.ALLOWED


# -- missing data -----------------------------------------------------------------------------------------------

def test_decisions_name_the_missing_managed_policies_they_depend_on():
    org = Org()
    missing = f"arn:aws:iam::{DEV}:policy/NotExported"
    org.account(DEV).user("alice", allow("sts:AssumeRole", DEPLOY), managed=(missing,))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    snapshot = org.snapshot()
    assert any(missing in w for w in snapshot.warnings)
    decision = decide(org, user_arn(DEV, "alice"), DEPLOY)
    assert decision.allowed and decision.depends_on == (missing,)


def test_rule3_a_resource_variable_on_a_request_time_key_makes_the_statement_conditional():
    org = cross_account_org()
    org.account(DEV).user("bob", allow("sts:AssumeRole", "*"),
                          deny("sts:AssumeRole", f"arn:aws:iam::{PROD}:role/${{aws:SourceIdentity}}", sid="NotOwnName"))
    decision = decide(org, user_arn(DEV, "bob"), DEPLOY)
    # the deny is not dropped: it applies if the request's source identity is "Deploy"
    assert decision.outcome is Outcome.CONDITIONAL
    (requirement,) = decision.requirements
    assert not requirement.must_hold and requirement.sid == "NotOwnName"


def test_rule4_arn_like_needs_every_arn_field():
    from graphiam.policy.matching import arn_matches
    assert arn_matches("arn:aws:iam::*:role/*", DEPLOY)
    assert not arn_matches("arn:aws:iam::*", DEPLOY)  # a pattern with fields missing is no wildcard for them


# -- rules 11, 12 on an incomplete organization file: unknown, never "none" ---------------------------------

def _with_organization_file(org: Org, keep: tuple[str, ...]):
    from graphiam.snapshot.read import snapshot_from_data
    files = [(name, data) for name, data in org.files() if name != "organization.json"]
    whole = org.organization_json()
    return snapshot_from_data(files + [("organization.json", {k: v for k, v in whole.items() if k in keep})])


def test_an_organization_file_without_policies_leaves_scps_unknown_and_says_so():
    org = scp_org()
    org.full_access_everywhere()
    org.scp("NoAssume", deny("sts:AssumeRole", "*"), targets=("r-test",))
    whole = PolicyEngine(org.snapshot())
    alice, deploy = org.snapshot().principal(user_arn(DEV, "alice")), org.snapshot().role(DEPLOY)
    assert whole.decide_assume(alice, deploy).outcome is Outcome.DENIED  # the complete file: the SCP denies
    for keep in (("Organization",), ("Organization", "Roots", "OrganizationalUnits", "Accounts")):
        snapshot = _with_organization_file(org, keep)
        assert snapshot.warnings, keep
        decision = PolicyEngine(snapshot).decide_assume(snapshot.principal(alice.arn), snapshot.role(DEPLOY))
        assert decision.outcome is Outcome.ALLOWED, keep  # the trust and identity allow; the SCPs are unknown
        assert any(d.startswith(f"the SCPs that apply to account {DEV}") for d in decision.depends_on), decision.depends_on
