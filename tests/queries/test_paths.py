"""Paths, reach and who-can, through the public API (graphiam.load / AccessGraph)."""

from __future__ import annotations

import pytest

from builders import Org, allow, role_arn, trust_account, trust_arn, trust_service, user_arn
from graphiam import QueryError, UnknownPrincipalError
from graphiam.access import AccessGraph

A, B, C = "222222222222", "333333333333", "444444444444"


def chain_org() -> Org:
    """alice -> A:Hub -> B:Deploy -> B:AppConfig, plus a conditional shortcut alice -> B:AppConfig (MFA)."""
    org = Org()
    org.account(A).user("alice", allow("sts:AssumeRole", role_arn(A, "Hub")))
    org.account(A).role("Hub", allow("sts:AssumeRole", role_arn(B, "Deploy")), trusts=trust_account(A))
    org.account(B).role("Deploy", allow("iam:PassRole", role_arn(B, "Web")), trusts=trust_arn(role_arn(A, "Hub")))
    org.account(B).role("AppConfig", trusts=trust_arn(role_arn(B, "Deploy")))
    org.account(B).role("Web", trusts=trust_service("ec2.amazonaws.com"))
    return org


def test_path_follows_a_three_hop_chain():
    access = AccessGraph(chain_org().snapshot())
    result = access.path("alice", role_arn(B, "AppConfig"))
    assert result.reachable and not result.conditional
    assert [(h.source, h.target) for h in result.path] == [
        (user_arn(A, "alice"), role_arn(A, "Hub")),
        (role_arn(A, "Hub"), role_arn(B, "Deploy")),
        (role_arn(B, "Deploy"), role_arn(B, "AppConfig")),
    ]
    # the direct request is still explained: alice herself cannot call it
    assert {b["layer"] for b in result.to_dict()["blockers"]} == {"trust", "identity"}
    assert result.fix == ()


def test_path_prefers_an_unconditional_chain_over_a_shorter_conditional_one():
    org = chain_org()
    org.account(A).users[0]["UserPolicyList"][0]["PolicyDocument"]["Statement"].append(
        allow("sts:AssumeRole", role_arn(B, "AppConfig")))
    org.account(B).roles[1]["AssumeRolePolicyDocument"]["Statement"].append(
        trust_account(A, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    access = AccessGraph(org.snapshot())
    result = access.path("alice", role_arn(B, "AppConfig"))
    assert len(result.path) == 3 and not result.conditional


def test_conditional_path_is_reported_as_such():
    org = Org()
    org.account(A).user("heidi", allow("sts:AssumeRole", "*"))
    org.account(B).role("BreakGlass", trusts=trust_account(A, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    result = AccessGraph(org.snapshot()).path("heidi", "BreakGlass")
    assert result.reachable and result.conditional
    assert result.to_dict()["path"][0]["conditions"][0]["conditions"][0]["key"] == "aws:MultiFactorAuthPresent"


def test_pass_role_path_ends_with_the_pass_hop():
    access = AccessGraph(chain_org().snapshot())
    result = access.path("alice", role_arn(B, "Web"), "iam:PassRole", "ec2.amazonaws.com")
    assert result.reachable
    assert [h.action for h in result.path] == ["sts:AssumeRole", "sts:AssumeRole", "iam:PassRole"]
    assert result.path[-1].service == "ec2.amazonaws.com"
    assert not access.path("alice", role_arn(B, "Web"), "iam:PassRole", "lambda.amazonaws.com").reachable


def test_session_arn_means_the_role():
    access = AccessGraph(chain_org().snapshot())
    result = access.path(f"arn:aws:sts::{B}:assumed-role/Deploy/build-42", "AppConfig")
    assert result.source == role_arn(B, "Deploy") and result.reachable


def test_a_role_reaches_itself_only_through_its_own_trust():
    access = AccessGraph(chain_org().snapshot())
    assert not access.path(role_arn(A, "Hub"), role_arn(A, "Hub")).reachable


def test_reach_lists_roles_with_hop_counts_and_passes():
    rows = {(r.arn, r.action, r.service): r for r in AccessGraph(chain_org().snapshot()).reach("alice")}
    assert rows[(role_arn(A, "Hub"), "sts:AssumeRole", None)].hops == 1
    assert rows[(role_arn(B, "Deploy"), "sts:AssumeRole", None)].hops == 2
    assert rows[(role_arn(B, "AppConfig"), "sts:AssumeRole", None)].hops == 3
    assert rows[(role_arn(B, "Web"), "iam:PassRole", "ec2.amazonaws.com")].hops == 3
    assert user_arn(A, "alice") not in {arn for arn, _, _ in rows}


def test_who_can_lists_every_principal_that_reaches_a_role():
    rows = AccessGraph(chain_org().snapshot()).who_can(role_arn(B, "AppConfig"))
    assert [(r.arn, r.hops) for r in rows] == [
        (role_arn(B, "Deploy"), 1), (role_arn(A, "Hub"), 2), (user_arn(A, "alice"), 3)]
    web_rows = AccessGraph(chain_org().snapshot()).who_can(role_arn(B, "Web"))
    assert {(r.arn, r.action) for r in web_rows} >= {("ec2.amazonaws.com", "sts:AssumeRole"), (role_arn(B, "Deploy"), "iam:PassRole")}


def test_names_must_be_unique():
    org = Org()
    org.account(A).user("sam")
    org.account(B).user("sam")
    org.account(B).role("Deploy", trusts=trust_account(A))
    access = AccessGraph(org.snapshot())
    with pytest.raises(UnknownPrincipalError, match="ambiguous"):
        access.path("sam", "Deploy")
    with pytest.raises(UnknownPrincipalError, match="no user or role"):
        access.path("nobody", "Deploy")
    assert access.path(f"{A}:user/sam", "Deploy").source == user_arn(A, "sam")


def test_target_must_be_a_role_and_pass_needs_a_service():
    access = AccessGraph(chain_org().snapshot())
    with pytest.raises(QueryError, match="must be a role"):
        access.path("Hub", "alice")
    with pytest.raises(QueryError, match="--service"):
        access.path("alice", "Web", "iam:PassRole")


def test_to_dict_matches_the_cli_contract_keys():
    result = AccessGraph(chain_org().snapshot()).path("alice", "Deploy").to_dict()
    assert set(result) >= {"source", "target", "action", "service", "reachable", "conditional", "path", "blockers", "fix"}
    hop = result["path"][0]
    assert set(hop) >= {"from", "to", "action", "granted_by", "conditions"}
