"""Escalation technique edges (graphiam/graph/escalation.py): every technique of the catalogue is decided by the
engine, with a positive case and the negatives that trip naive tools."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import Org, allow, deny, policy, role_arn, statement, trust_account, trust_service, user_arn
from graphiam.access import AccessGraph
from graphiam.policy import Outcome
from graphiam.policy.techniques import INSTANCE_PROFILE_PERMISSIONS, TECHNIQUES, Technique
from strategies import organizations

DEV, OTHER = "222222222222", "333333333333"
ATTACKER = user_arn(DEV, "attacker")
TARGET = role_arn(DEV, "Target")
PASS_TECHNIQUES = [t for t in TECHNIQUES if t.kind == "pass_role"]


def actions_of(technique: Technique, drop: str | None = None) -> list[str]:
    """Every action the technique needs (its first one_of set; the instance-profile creation is not needed
    when the role has a profile), without ``drop``."""
    needed = [p.action for p in technique.permissions]
    if technique.one_of:
        needed += [p.action for p in technique.one_of[0]]
    if technique.kind == "pass_role":
        needed.append("iam:PassRole")
    return [a for a in dict.fromkeys(needed) if a != drop]


def pass_org(technique: Technique, *, statements=None, trusts=None, role_account: str = DEV, boundary: bool = False,
             scp_deny: str | None = None, instance_profile: bool = True, managed_deny: str | None = None,
             group_split: bool = False) -> Org:
    org = Org(management="111111111111")
    org.account("111111111111")
    dev = org.account(DEV)
    wanted = statements if statements is not None else [allow(actions_of(technique), "*")]
    managed = [dev.managed_policy("DenyIt", deny(managed_deny, "*"))] if managed_deny else []
    bound = dev.managed_policy("OnlyPass", allow("iam:PassRole", "*")) if boundary else None
    if group_split:  # the pass in a group policy, the service actions inline
        dev.group("passers", allow("iam:PassRole", "*"))
        dev.user("attacker", allow([a for a in actions_of(technique) if a != "iam:PassRole"], "*"), groups=("passers",))
    else:
        dev.user("attacker", *wanted, managed=managed, boundary=bound)
    account = org.account(role_account) if role_account != DEV else dev
    account.role("Target", allow("*", "*"), trusts=trusts or trust_service(technique.service),
                 instance_profile=instance_profile)
    org.full_access_everywhere()
    if scp_deny:
        org.scp("DenyCreate", deny(scp_deny, "*"), targets=(DEV,))
    return org


def technique_edge(org: Org, technique: Technique, target: str = TARGET, source: str = ATTACKER) -> dict | None:
    """The can_escalate edge from ``source`` to ``target`` when ``technique`` is one that holds there, with
    ``technique`` set to that technique's own entry (the edge names its best one)."""
    access = AccessGraph(org.snapshot())
    graph = access.graph
    if not graph.has_edge(source, target, "can_escalate"):
        return None
    data = graph.edges[source, target, "can_escalate"]
    if technique.id not in data["techniques"]:
        return None
    assert "permissions" not in data["technique"]  # the edge holds the summary; hops get the permissions
    from graphiam.graph.escalation import EscalationDecider

    caller, goal = access.snapshot.principal(source), access.snapshot.principal(target)
    decider = EscalationDecider(access.snapshot, access.engine)
    decision = access.engine.decide_pass(caller, goal, technique.service) if technique.kind == "pass_role" else None
    use = decider.decide(technique, caller, goal, decision)
    return {**data, "conditional": use.outcome is Outcome.CONDITIONAL, "technique": use.technique_dict()}


def create_action(technique: Technique) -> str:
    return technique.permissions[0].action


# -- pass a role into a new resource ------------------------------------------------------------------------

@pytest.mark.parametrize("technique", PASS_TECHNIQUES, ids=lambda t: t.id)
def test_pass_technique_with_exactly_its_permissions(technique):
    edge = technique_edge(pass_org(technique), technique)
    assert edge is not None and not edge["conditional"]
    assert edge["technique"]["id"] == technique.id and edge["technique"]["service"] == technique.service
    listed = [p["action"] for p in edge["technique"]["permissions"]]
    assert listed[0] == "iam:PassRole" and set(actions_of(technique)) <= set(listed)
    assert all(p["granted_by"] for p in edge["technique"]["permissions"])


@pytest.mark.parametrize(("technique", "drop"), [(t, a) for t in PASS_TECHNIQUES for a in actions_of(t)],
                         ids=lambda v: v.id if isinstance(v, Technique) else v)
def test_pass_technique_missing_any_one_permission(technique, drop):
    needed = actions_of(technique, drop)
    org = pass_org(technique, statements=[allow(needed, "*")] if needed else [])
    if technique.one_of and drop in {p.action for p in technique.one_of[0]} and len(technique.one_of) > 1:
        return  # another one_of set could stand in; the next test covers one_of on its own
    assert technique_edge(org, technique) is None


@pytest.mark.parametrize("technique", PASS_TECHNIQUES, ids=lambda t: t.id)
def test_pass_technique_negatives(technique):
    create = create_action(technique)
    cases = {
        "allow and deny in one policy": pass_org(technique, statements=[allow(actions_of(technique), "*"),
                                                                         deny(create, "*")]),
        "deny in another policy": pass_org(technique, managed_deny=create),
        "Deny iam:*": pass_org(technique, statements=[allow(actions_of(technique), "*"), deny("iam:*", "*")]),
        "NotAction": pass_org(technique, statements=[statement("Allow", not_action=[create], resource="*")]),
        "PassedToService names another service": pass_org(technique, statements=[
            allow([a for a in actions_of(technique) if a != "iam:PassRole"], "*"),
            allow("iam:PassRole", "*", condition={"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"
                                                                   if technique.service != "glue.amazonaws.com"
                                                                   else "ec2.amazonaws.com"}})]),
        "the role does not trust the service": pass_org(technique, trusts=trust_service(
            "codestar.amazonaws.com")),
        "an SCP blocks the create action": pass_org(technique, scp_deny=create),
        "a boundary blocks the create action": pass_org(technique, boundary=True),
        "a cross-account pass": pass_org(technique, role_account=OTHER),
    }
    for name, org in cases.items():
        target = role_arn(OTHER, "Target") if name == "a cross-account pass" else TARGET
        assert technique_edge(org, technique, target) is None, name


@pytest.mark.parametrize("technique", PASS_TECHNIQUES, ids=lambda t: t.id)
def test_permissions_split_across_policies_and_groups_still_count(technique):
    assert technique_edge(pass_org(technique, group_split=True), technique) is not None


@pytest.mark.parametrize("technique", [t for t in PASS_TECHNIQUES if t.instance_profile], ids=lambda t: t.id)
def test_ec2_needs_an_instance_profile_or_the_rights_to_make_one(technique):
    without = pass_org(technique, instance_profile=False)
    assert technique_edge(without, technique) is None
    more = actions_of(technique) + [p.action for p in INSTANCE_PROFILE_PERMISSIONS]
    made = pass_org(technique, instance_profile=False, statements=[allow(more, "*")])
    assert technique_edge(made, technique) is not None


def test_a_resource_scoped_allow_is_found_by_a_witness_and_a_covering_deny_still_blocks():
    lambda_technique = next(t for t in PASS_TECHNIQUES if t.id == "lambda-create-invoke")
    scoped = [allow("iam:PassRole", "*"), allow(["lambda:CreateFunction", "lambda:InvokeFunction"],
                                                f"arn:aws:lambda:us-east-1:{DEV}:function:dev-*")]
    edge = technique_edge(pass_org(lambda_technique, statements=scoped), lambda_technique)
    assert edge is not None
    resources = {p["action"]: p["resource"] for p in edge["technique"]["permissions"]}
    assert resources["lambda:CreateFunction"].startswith(f"arn:aws:lambda:us-east-1:{DEV}:function:dev-")
    denied = scoped + [deny("lambda:CreateFunction", f"arn:aws:lambda:*:{DEV}:function:dev-*")]
    assert technique_edge(pass_org(lambda_technique, statements=denied), lambda_technique) is None


# -- rewrite a trust, take over a user ----------------------------------------------------------------------

def rewrite_org(*statements: dict, path: str = "/", scp: dict | None = None) -> Org:
    org = Org(management="111111111111")
    org.account("111111111111")
    dev = org.account(DEV)
    dev.user("attacker", *statements)
    dev.user("victim", allow("*", "*"))
    dev.role("Target", allow("*", "*"), trusts=trust_account("111111111111"), path=path)
    org.full_access_everywhere()
    if scp:
        org.scp("Extra", scp, targets=(DEV,))
    return org


REWRITE = next(t for t in TECHNIQUES if t.kind == "rewrite_trust")


def test_trust_rewrite_needs_no_assume_allow_of_its_own():
    edge = technique_edge(rewrite_org(allow("iam:UpdateAssumeRolePolicy", TARGET)), REWRITE)
    assert edge is not None and [p["action"] for p in edge["technique"]["permissions"]] == [
        "iam:UpdateAssumeRolePolicy", "sts:AssumeRole"]


def test_trust_rewrite_negatives():
    assert technique_edge(rewrite_org(allow("iam:UpdateAssumeRolePolicy", role_arn(DEV, "Other"))), REWRITE) is None
    assert technique_edge(rewrite_org(allow("iam:*", "*"), deny("iam:UpdateAssumeRolePolicy", "*")), REWRITE) is None
    linked = rewrite_org(allow("iam:UpdateAssumeRolePolicy", "*"), path="/aws-service-role/ec2.amazonaws.com/")
    assert not AccessGraph(linked.snapshot()).graph.has_edge(ATTACKER, TARGET, "can_escalate")
    # the assume after the rewrite is still under the SCPs
    blocked = rewrite_org(allow("iam:UpdateAssumeRolePolicy", "*"), scp=deny("sts:AssumeRole", "*"))
    assert technique_edge(blocked, REWRITE) is None


@pytest.mark.parametrize("technique", [t for t in TECHNIQUES if t.kind == "takeover"], ids=lambda t: t.id)
def test_user_takeover(technique):
    victim = user_arn(DEV, "victim")
    action = technique.permissions[0].action
    assert technique_edge(rewrite_org(allow(action, victim)), technique, victim) is not None
    assert technique_edge(rewrite_org(allow(action, "*"), deny(action, victim)), technique, victim) is None


# -- privesc: becoming an administrator ---------------------------------------------------------------------

def test_privesc_by_a_policy_on_oneself_and_a_boundary_that_caps_it():
    org = Org(management="111111111111")
    org.account("111111111111")
    dev = org.account(DEV)
    dev.user("admin", allow("*", "*"))
    dev.user("self-writer", allow("iam:PutUserPolicy", user_arn(DEV, "self-writer")))
    capped = dev.managed_policy("Capped", allow(["iam:PutUserPolicy", "s3:*"], "*"))
    dev.user("capped-writer", allow("iam:PutUserPolicy", user_arn(DEV, "capped-writer")), boundary=capped)
    dev.user("reader", allow("s3:GetObject", "*"))
    org.full_access_everywhere()
    admins, rows = AccessGraph(org.snapshot()).privesc()
    assert admins == [user_arn(DEV, "admin")]
    by = {row.principal: row.to_dict() for row in rows}
    assert set(by) == {user_arn(DEV, "self-writer")}
    (hop,) = by[user_arn(DEV, "self-writer")]["becomes_admin_via"]
    assert hop["technique"]["kind"] == "self" and "PutUserPolicy" in hop["technique"]["permissions"][0]["action"]


def test_privesc_through_a_chain_to_an_administrator():
    org = Org(management="111111111111")
    org.account("111111111111")
    dev = org.account(DEV)
    dev.user("dev", allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "*"))
    dev.role("LambdaAdmin", allow("*", "*"), trusts=trust_service("lambda.amazonaws.com"))
    org.full_access_everywhere()
    admins, rows = AccessGraph(org.snapshot()).privesc()
    assert role_arn(DEV, "LambdaAdmin") in admins
    (row,) = [r for r in rows if r.principal == user_arn(DEV, "dev")]
    assert [h.technique["id"] for h in row.hops if h.technique] and row.hops[-1].target == role_arn(DEV, "LambdaAdmin")


# -- a property: an explicit deny never adds a technique edge or an escalation path -------------------------

@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(organizations(), st.sampled_from(["iam:PassRole", "lambda:*", "ec2:RunInstances", "iam:*", "*"]),
       st.sampled_from(["111111111111", "222222222222", "333333333333"]))
def test_adding_an_explicit_deny_never_adds_a_technique_edge_or_a_path(org, action, account):
    if not org.with_organization:  # an organization file changes more than SCPs (aws:PrincipalOrgID ...)
        org.full_access_everywhere()
    before = AccessGraph(org.snapshot())
    org.scp("ExtraDeny", deny(action, "*"), targets=(account,))
    after = AccessGraph(org.snapshot())

    def techniques(access):
        return {(u, v, t) for u, v, k, d in access.graph.edges(keys=True, data=True) if k == "can_escalate"
                for t in d["techniques"]}

    assert techniques(after) <= techniques(before)
    from graphiam.queries.paths import reach

    for node in [n for n, d in before.graph.nodes(data=True) if d.get("kind") in ("user", "role")][:6]:
        was = {(r.arn, r.action, r.service) for r in reach(before.graph, node, escalation=True)}
        now = {(r.arn, r.action, r.service) for r in reach(after.graph, node, escalation=True)}
        assert now <= was


# -- techniques on oneself (privesc) --------------------------------------------------------------------

from graphiam.policy.techniques import REQUIRES_EXISTING_RESOURCE  # noqa: E402

SELF_TECHNIQUES = [t for t in TECHNIQUES if t.kind == "self" and t.id not in REQUIRES_EXISTING_RESOURCE]


def self_org(technique: Technique, *, allowed: bool = True, capped: bool = False) -> tuple[Org, str]:
    """An account where one principal has exactly ``technique``'s permission on what it names (or, with
    ``allowed=False``, the same Allow with the action denied too); ``capped``: a boundary that keeps it small."""
    org = Org(management="111111111111")
    org.account("111111111111")
    dev = org.account(DEV)
    action = technique.permissions[0].action
    template = technique.permissions[0].resource
    as_role = technique.caller == "role"
    me = role_arn(DEV, "me") if as_role else user_arn(DEV, "me")
    resource = me
    groups: tuple[str, ...] = ()
    managed: list[str] = []
    if template == "{policy}":
        resource = dev.managed_policy("MyPolicy", allow("s3:GetObject", "*"))
        managed = [resource]
    elif template == "{group}":
        if action == "iam:AddUserToGroup":
            resource = dev.group("admins", allow("*", "*"))
        else:
            resource = dev.group("team", allow("s3:ListBucket", "*"))
            groups = ("team",)
    statements = [allow(action, resource)] + ([] if allowed else [deny(action, "*")])
    boundary = None
    if "Boundary" in action:  # a principal that would be an administrator but for its boundary
        statements.append(allow("*", "*"))
        boundary = dev.managed_policy("Small", allow(["s3:*", action], "*"))
    elif capped:
        boundary = dev.managed_policy("Capped", allow(["s3:*", action], "*"))
    if as_role:
        dev.role("me", *statements, trusts=trust_account(DEV), managed=managed, boundary=boundary)
    else:
        dev.user("me", *statements, managed=managed, groups=groups, boundary=boundary)
    org.full_access_everywhere()
    return org, me


@pytest.mark.parametrize("technique", SELF_TECHNIQUES, ids=lambda t: t.id)
def test_self_technique_makes_its_caller_an_administrator(technique):
    org, me = self_org(technique)
    _, rows = AccessGraph(org.snapshot()).privesc()
    (row,) = [r for r in rows if r.principal == me]
    (hop,) = row.to_dict()["becomes_admin_via"]
    assert hop["technique"]["id"] == technique.id or hop["technique"]["kind"] == "self"


@pytest.mark.parametrize("technique", SELF_TECHNIQUES, ids=lambda t: t.id)
def test_self_technique_denied_or_capped_by_a_boundary_is_no_escalation(technique):
    denied, me = self_org(technique, allowed=False)
    assert me not in {r.principal for r in AccessGraph(denied.snapshot()).privesc()[1]}
    if "Boundary" not in technique.permissions[0].action:
        capped, me = self_org(technique, capped=True)
        assert me not in {r.principal for r in AccessGraph(capped.snapshot()).privesc()[1]}


def test_decisions_shared_across_a_class_of_roles_still_tell_the_roles_apart():
    """The memo shares one decision among roles the policies cannot tell apart, never across ones they can."""
    org = Org(management="111111111111")
    org.account("111111111111")
    dev = org.account(DEV)
    dev.user("attacker", allow("iam:UpdateAssumeRolePolicy", "*"))
    for name in ("Open", "Guarded", "AlsoOpen"):
        dev.role(name, allow("*", "*"), trusts=trust_account("111111111111"))
    org.full_access_everywhere()
    org.scp("GuardOne", deny("sts:AssumeRole", role_arn(DEV, "Guarded")), targets=(DEV,))
    graph = AccessGraph(org.snapshot()).graph
    reached = {v for u, v, k in graph.edges(keys=True) if u == ATTACKER and k == "can_escalate"}
    assert reached == {role_arn(DEV, "Open"), role_arn(DEV, "AlsoOpen")}
    shared = [graph.edges[ATTACKER, role_arn(DEV, name), "can_escalate"] for name in ("Open", "AlsoOpen")]
    assert shared[0] == shared[1] and shared[0]["granted_by"] is shared[1]["granted_by"]  # decided once for both


def test_a_condition_on_the_resources_account_still_shares_a_class_and_a_tag_condition_does_not():
    """aws:ResourceAccount and aws:ResourceOrgPaths are the same for every role of one account (one decision for
    the class); aws:ResourceTag is the target's own (decided per target)."""
    org = Org(management="111111111111")
    org.account("111111111111")
    dev = org.account(DEV)
    dev.user("attacker", allow("iam:UpdateAssumeRolePolicy", "*"),
             allow("iam:CreateAccessKey", "*", condition={"StringEquals": {"aws:ResourceTag/team": "ops"}}))
    for name in ("One", "Two"):
        dev.role(name, allow("*", "*"), trusts=trust_account("111111111111"))
    dev.user("ops", tags={"team": "ops"})
    dev.user("dev", tags={"team": "dev"})
    org.full_access_everywhere()
    org.scp("HomeOnly", deny("sts:AssumeRole", "*", condition={"StringNotEquals": {"aws:ResourceAccount": DEV},
                                                               "ForAllValues:StringNotLike": {"aws:ResourceOrgPaths": "o-x/*"}}),
            targets=(DEV,))
    graph = AccessGraph(org.snapshot()).graph
    rewrites = [graph.edges[ATTACKER, role_arn(DEV, name), "can_escalate"] for name in ("One", "Two")]
    assert rewrites[0]["granted_by"] is rewrites[1]["granted_by"]  # decided once for the class
    taken = {v for u, v, k in graph.edges(keys=True) if u == ATTACKER and k == "can_escalate" and ":user/" in v}
    assert taken == {user_arn(DEV, "ops")}
