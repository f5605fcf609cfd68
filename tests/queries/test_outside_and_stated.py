"""Callers the snapshot cannot list, the calling session's name, and stated requests (issue: right answers).

- A trust open to ``"*"`` with no condition confining the caller makes the role world-assumable: an
  "any AWS principal" node with its conditional edge, a ``public`` trust fact with the conditions that
  remain, and ``path`` from any principal ARN of an account outside the snapshot.
- A session ARN as SOURCE names the calling session: a trust naming another session of that role is no
  path, the named one is.
- ``context`` states the request: conditional hops become allowed or denied, and the answer says what it
  assumed.
"""

from __future__ import annotations

from builders import Org, allow, role_arn, trust, trust_account, trust_arn, user_arn
from graphiam.access import AccessGraph
from graphiam.graph.schema import ANY_PRINCIPAL, CAN_ASSUME

A, B = "222222222222", "333333333333"
OUTSIDER = "arn:aws:iam::888888888888:user/eve"
EXTERNAL_ID = {"StringEquals": {"sts:ExternalId": "shared-secret"}}
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}


def public_org() -> Org:
    org = Org()
    org.account(A).user("alice", allow("sts:AssumeRole", "*"))
    b = org.account(B)
    b.role("Public", allow("sts:AssumeRole", role_arn(B, "Inner")), trusts=trust("*", condition=EXTERNAL_ID))
    b.role("OrgWide", trusts=trust("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-test000001"}}))
    b.role("Inner", trusts=trust_arn(role_arn(B, "Public")))
    return org


def test_a_trust_open_to_anyone_gets_an_any_principal_node_and_a_public_fact():
    access = AccessGraph(public_org().snapshot())
    public = role_arn(B, "Public")
    assert access.graph.nodes[ANY_PRINCIPAL]["kind"] == "anyone"
    edge = access.graph.edges[ANY_PRINCIPAL, public, CAN_ASSUME]
    assert edge["conditional"] and [c["key"] for r in edge["conditions"] for c in r["conditions"]] == ["sts:ExternalId"]
    (fact,) = [f for f in access.trust_facts if f["role"] == public]
    assert fact["kind"] == "public" and fact["principal"] == "*"
    assert fact["conditions"] == ["sts:ExternalId StringEquals shared-secret"]
    assert any(row.arn == ANY_PRINCIPAL and row.kind == "anyone" for row in access.who_can("Public"))


def test_a_trust_confined_to_the_organization_is_not_public():
    access = AccessGraph(public_org().snapshot())
    org_wide = role_arn(B, "OrgWide")
    assert not access.graph.has_edge(ANY_PRINCIPAL, org_wide)
    assert not [f for f in access.trust_facts if f["role"] == org_wide]


def test_path_from_a_principal_outside_the_snapshot_is_decided_as_an_external_caller():
    access = AccessGraph(public_org().snapshot())
    result = access.path(OUTSIDER, "Inner")
    assert result.reachable and result.conditional and result.source == OUTSIDER
    assert [(h.source, h.target) for h in result.path] == [(OUTSIDER, role_arn(B, "Public")),
                                                            (role_arn(B, "Public"), role_arn(B, "Inner"))]
    assert result.path[0].conditional  # on the ExternalId and on eve's own account's policies
    assert any("888888888888" in w for w in result.warnings)
    assert not access.path(OUTSIDER, "OrgWide").reachable


def test_an_outside_callers_edge_is_conditional_in_path_json_too():
    org = Org()
    org.account(B).role("Vendor", trusts=trust_account("999999999999"))
    access = AccessGraph(org.snapshot())
    data = access.path("arn:aws:iam::999999999999:root", "Vendor").to_dict()
    assert data["reachable"] and data["conditional"] is True
    rows = access.who_can("Vendor")
    assert [r.conditional for r in rows] == [True]


def session_org() -> Org:
    org = Org()
    a = org.account(A)
    a.user("alice", allow("sts:AssumeRole", role_arn(A, "SSOAdmin")))
    a.role("SSOAdmin", allow("sts:AssumeRole", "*"), trusts=trust_account(A))
    a.role("Personal", trusts=trust_arn(f"arn:aws:sts::{A}:assumed-role/SSOAdmin/elad@example.com"))
    return org


def test_a_session_source_is_decided_for_its_own_session_name():
    access = AccessGraph(session_org().snapshot())
    bob = access.path(f"arn:aws:sts::{A}:assumed-role/SSOAdmin/bob@example.com", "Personal")
    assert not bob.reachable and bob.session == "bob@example.com"
    assert {b.layer for b in bob.blockers} == {"trust"}
    elad = access.path(f"arn:aws:sts::{A}:assumed-role/SSOAdmin/elad@example.com", "Personal")
    assert elad.reachable and not elad.conditional and not elad.blockers
    # the role itself (no session named): conditional on the calling session's name, never on sts:RoleSessionName
    generic = access.path(role_arn(A, "SSOAdmin"), "Personal")
    assert generic.reachable and generic.conditional
    assert [c["key"] for r in generic.path[0].conditions for c in r["conditions"]] == ["aws:userid"]


def test_a_stated_request_decides_conditional_hops_and_says_what_it_assumed():
    org = Org()
    org.account(A).user("heidi", allow("sts:AssumeRole", "*"))
    org.account(B).role("BreakGlass", trusts=[trust_account(A, condition=MFA)])
    access = AccessGraph(org.snapshot())
    assert access.path("heidi", "BreakGlass").conditional
    with_mfa = access.path("heidi", "BreakGlass", context={"aws:MultiFactorAuthPresent": "true"})
    assert with_mfa.reachable and not with_mfa.conditional
    assert with_mfa.path[0].assumed[0]["held"] is True
    without = access.path("heidi", "BreakGlass", context={"aws:MultiFactorAuthPresent": "false"})
    assert not without.reachable and [a.held for a in without.stated.assumed] == [False]
    assert without.to_dict()["context"] == {"aws:MultiFactorAuthPresent": ["false"]}
    assert [r.arn for r in access.who_can("BreakGlass", context={"aws:MultiFactorAuthPresent": "false"})] == []
    assert [r.arn for r in access.reach("heidi", context={"aws:MultiFactorAuthPresent": "true"})] == [role_arn(B, "BreakGlass")]


def test_alternatives_reach_the_hop_and_its_json():
    org = Org()
    org.account(A).user("heidi", allow("sts:AssumeRole", "*"))
    org.account(B).role("BreakGlass", trusts=[trust_account(A, condition=MFA),
                                              trust_account(A, condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})])
    result = AccessGraph(org.snapshot()).path("heidi", "BreakGlass")
    hop = result.to_dict()["path"][0]
    keys = [[c["key"] for r in s for c in r["conditions"]] for s in [hop["conditions"], *hop["alternatives"]]]
    assert sorted(keys) == [["aws:MultiFactorAuthPresent"], ["aws:SourceIp"]]
    assert "only if one of:" in result.to_text()


def test_the_fix_for_a_session_trusts_that_session_alone_and_is_verified_for_it():
    access = AccessGraph(session_org().snapshot())
    bob = access.path(f"arn:aws:sts::{A}:assumed-role/SSOAdmin/bob@example.com", "Personal")
    (change,) = bob.fix
    assert change["statement"]["Principal"] == {"AWS": f"arn:aws:sts::{A}:assumed-role/SSOAdmin/bob@example.com"}
    assert change["statement"]["Sid"].isalnum()


def test_an_oidc_trust_with_no_audience_or_subject_condition_is_public():
    provider = f"arn:aws:iam::{B}:oidc-provider/token.actions.githubusercontent.com"
    org = Org()
    b = org.account(B)
    b.role("OpenCI", trusts=trust({"Federated": provider}, "sts:AssumeRoleWithWebIdentity"))
    b.role("PinnedCI", trusts=trust({"Federated": provider}, "sts:AssumeRoleWithWebIdentity", condition={
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"}}))
    facts = AccessGraph(org.snapshot()).trust_facts
    assert [(f["role"], f["principal"], f["kind"]) for f in facts] == [(role_arn(B, "OpenCI"), provider, "public")]
