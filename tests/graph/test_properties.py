"""Invariants that must hold on every organization, checked on random ones."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import deny
from graphiam.access import AccessGraph
from graphiam.queries.explain import apply_fix
from graphiam.graph.build import build_graph, build_reference_graph
from graphiam.policy import PolicyEngine
from strategies import SERVICES, organizations

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def edge_set(graph) -> set:
    return {
        (u, v, k, d.get("conditional"), tuple(sorted(str(c) for c in d.get("conditions", []))))
        for u, v, k, d in graph.edges(keys=True, data=True)
    }


def full_edges(graph) -> dict:
    """Every edge with all its attributes (evidence, conditions, depends_on), comparable."""
    return {(u, v, k): repr(sorted(d.items())) for u, v, k, d in graph.edges(keys=True, data=True)}


@SETTINGS
@given(organizations())
def test_indexed_builder_gives_exactly_the_reference_edges(org):
    snapshot = org.snapshot()
    assert full_edges(build_graph(snapshot)) == full_edges(build_reference_graph(snapshot))


@SETTINGS
@given(organizations())
def test_the_memoizing_engine_decides_every_pair_like_a_fresh_one(org):
    """Every decision, denied ones and their messages included, is the same with and without the memos."""
    snapshot = org.snapshot()
    memoized, fresh = PolicyEngine(snapshot), PolicyEngine(snapshot, memoize=False)
    principals = list(snapshot.all_principals())
    for _ in range(2):  # the second round answers from the memos
        for role in snapshot.all_roles():
            for caller in principals:
                assert memoized.decide_assume(caller, role) == fresh.decide_assume(caller, role)
                for service in SERVICES:
                    assert memoized.decide_pass(caller, role, service) == fresh.decide_pass(caller, role, service)


@SETTINGS
@given(organizations(), st.data())
def test_an_engine_sharing_the_organizations_results_decides_like_a_fresh_one(org, data):
    """What privesc does per principal and technique: an engine of an edited snapshot (one principal changed),
    reusing the SCP and RCP results of the snapshot's engine, gives exactly a fresh engine's decisions."""
    snapshot = org.snapshot()
    base = PolicyEngine(snapshot)
    principals = list(snapshot.all_principals())
    roles = list(snapshot.all_roles())
    for role in roles:  # fill the base engine's memos first
        for caller in principals:
            base.decide_assume(caller, role)
    changed_principal = data.draw(st.sampled_from(principals))
    edited = replace(changed_principal, permissions_boundary_arn=None,
                     inline_policies=changed_principal.inline_policies[:-1])
    changed = snapshot.with_principal(edited)
    shared, fresh = PolicyEngine(changed, share_from=base), PolicyEngine(changed)
    assert shared._org_memos is base._org_memos
    for caller in [edited, *principals[:3]]:
        for action in ("sts:AssumeRole", "iam:UpdateAssumeRolePolicy", "iam:CreateAccessKey", "s3:GetObject"):
            assert shared.decide_action(caller, action, "*") == fresh.decide_action(caller, action, "*")
        for role in roles:
            assert shared.decide_assume(caller, role) == fresh.decide_assume(caller, role)


def _assume_pairs(access: AccessGraph) -> set[tuple[str, str]]:
    pairs = set()
    for source in access.graph.nodes:
        if access.graph.nodes[source].get("kind") not in ("user", "role"):
            continue
        for row in access.reach(source):
            pairs.add((source, row.arn, row.action, row.service))
    return pairs


@SETTINGS
@given(organizations(), st.data())
def test_adding_an_explicit_deny_never_adds_a_path(org, data):
    before = AccessGraph(org.snapshot())
    principals = [(a, u) for a in org.accounts.values() for u in a.users] + \
                 [(a, r) for a in org.accounts.values() for r in a.roles]
    account, entity = data.draw(st.sampled_from(principals))
    action = data.draw(st.sampled_from(["sts:AssumeRole", "iam:PassRole", "*"]))
    resource = data.draw(st.sampled_from(["*", *(r["Arn"] for a in org.accounts.values() for r in a.roles)]))
    key = "UserPolicyList" if "UserName" in entity else "RolePolicyList"
    entity[key] = entity[key] + [{"PolicyName": "added-deny", "PolicyDocument": {
        "Version": "2012-10-17", "Statement": [deny(action, resource)]}}]
    after = AccessGraph(org.snapshot())
    assert edge_set(after.graph) <= edge_set(before.graph)
    assert _assume_pairs(after) <= _assume_pairs(before)


@SETTINGS
@given(organizations(), st.data())
def test_every_printed_fix_opens_its_path(org, data):
    access = AccessGraph(org.snapshot())
    principals = sorted(p.arn for p in access.snapshot.all_principals())
    roles = sorted(r.arn for r in access.snapshot.all_roles())
    source = data.draw(st.sampled_from(principals))
    target = data.draw(st.sampled_from(roles))
    service = data.draw(st.sampled_from([None, "ec2.amazonaws.com"]))
    action = "iam:PassRole" if service else "sts:AssumeRole"
    result = access.path(source, target, action, service)
    if result.reachable:
        assert result.fix == ()
        return
    if not result.fix:
        # nothing to add can help only when a deny, a boundary, an SCP or an RCP blocks
        # (or, for a pass, when the accounts differ)
        assert result.blockers
        return
    fixed = AccessGraph(apply_fix(access.snapshot, list(result.fix)))
    assert fixed.path(source, target, action, service).reachable
    for change in result.fix:
        assert "*" not in str(change["statement"])
