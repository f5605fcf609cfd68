"""The access graph: nodes, edges with evidence, facts about trusts it cannot resolve."""

from __future__ import annotations

import networkx as nx

from builders import Org, allow, role_arn, trust, trust_account, trust_arn, trust_service, user_arn
from graphiam.graph.build import build_graph
from graphiam.graph.schema import CAN_ASSUME, MEMBER_OF, account_node, pass_key

DEV, PROD = "222222222222", "333333333333"


def small_org() -> Org:
    org = Org()
    dev = org.account(DEV)
    dev.group("Deployers", allow("sts:AssumeRole", role_arn(PROD, "Deploy")))
    dev.user("alice", groups=("Deployers",), tags={"team": "payments"})
    dev.user("heidi", allow("sts:AssumeRole", role_arn(PROD, "BreakGlass")))
    prod = org.account(PROD)
    prod.role("Deploy", allow("iam:PassRole", role_arn(PROD, "Web"),
                              condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}, sid="PassWeb"),
              trusts=trust_account(DEV, sid="FromDev"))
    prod.role("BreakGlass", trusts=trust_account(DEV, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    prod.role("Web", trusts=trust_service("ec2.amazonaws.com"))
    prod.role("Legacy", trusts=trust({"AWS": ["AROAQQQQQQQQQQQQQQQQQ", "arn:aws:iam::777777777777:root"]}))
    prod.role("GitHub", trusts=trust({"Federated": f"arn:aws:iam::{PROD}:oidc-provider/token.actions.githubusercontent.com"},
                                      action="sts:AssumeRoleWithWebIdentity",
                                      condition={"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}}))
    return org


def test_graph_is_a_multidigraph_keyed_by_arn_with_kinds():
    graph = build_graph(small_org().snapshot())
    assert isinstance(graph, nx.MultiDiGraph)
    alice = graph.nodes[user_arn(DEV, "alice")]
    assert (alice["kind"], alice["account"], alice["name"], alice["tags"]) == ("user", DEV, "alice", {"team": "payments"})
    assert graph.nodes[role_arn(PROD, "Deploy")]["kind"] == "role"
    assert graph.nodes[f"arn:aws:iam::{DEV}:group/Deployers"]["kind"] == "group"
    assert graph.nodes[account_node(DEV)]["kind"] == "account"
    assert graph.nodes["ec2.amazonaws.com"]["kind"] == "service"
    assert graph.nodes[f"arn:aws:iam::{PROD}:oidc-provider/token.actions.githubusercontent.com"]["kind"] == "federated"


def test_member_of_edges():
    graph = build_graph(small_org().snapshot())
    assert graph.has_edge(user_arn(DEV, "alice"), f"arn:aws:iam::{DEV}:group/Deployers", MEMBER_OF)


def test_assume_edge_carries_its_evidence():
    graph = build_graph(small_org().snapshot())
    edge = graph.edges[user_arn(DEV, "alice"), role_arn(PROD, "Deploy"), CAN_ASSUME]
    assert edge["action"] == "sts:AssumeRole" and edge["conditional"] is False
    by_layer = {e["layer"]: e for e in edge["granted_by"]}
    assert by_layer["identity"]["policy"] == "Deployers-inline"
    assert by_layer["identity"]["attached_to"] == f"arn:aws:iam::{DEV}:group/Deployers"
    assert (by_layer["trust"]["policy"], by_layer["trust"]["sid"]) == (role_arn(PROD, "Deploy"), "FromDev")


def test_conditional_edge_lists_its_request_time_conditions():
    graph = build_graph(small_org().snapshot())
    edge = graph.edges[user_arn(DEV, "heidi"), role_arn(PROD, "BreakGlass"), CAN_ASSUME]
    assert edge["conditional"] is True
    (condition,) = edge["conditions"]
    assert condition["conditions"] == [{"operator": "Bool", "key": "aws:MultiFactorAuthPresent", "values": ["true"]}]
    assert condition["must"] == "hold"


def test_no_edge_where_the_engine_denies():
    graph = build_graph(small_org().snapshot())
    assert not graph.has_edge(user_arn(DEV, "alice"), role_arn(PROD, "BreakGlass"))
    assert not graph.has_edge(user_arn(DEV, "heidi"), role_arn(PROD, "Deploy"))


def test_pass_edges_are_keyed_by_service_and_need_a_usable_role():
    graph = build_graph(small_org().snapshot())
    deploy, web = role_arn(PROD, "Deploy"), role_arn(PROD, "Web")
    edge = graph.edges[deploy, web, pass_key("ec2.amazonaws.com")]
    assert edge["edge_type"] == "can_pass" and edge["service"] == "ec2.amazonaws.com"
    assert [e["sid"] for e in edge["granted_by"] if e["layer"] == "identity"] == ["PassWeb"]
    assert not graph.has_edge(deploy, web, pass_key("lambda.amazonaws.com"))
    assert graph.has_edge("ec2.amazonaws.com", web, CAN_ASSUME)


def test_federated_edge_carries_the_claim_conditions():
    graph = build_graph(small_org().snapshot())
    provider = f"arn:aws:iam::{PROD}:oidc-provider/token.actions.githubusercontent.com"
    edge = graph.edges[provider, role_arn(PROD, "GitHub"), CAN_ASSUME]
    assert edge["action"] == "sts:AssumeRoleWithWebIdentity"
    assert edge["conditional"] is True
    assert edge["conditions"][0]["conditions"][0]["key"] == "token.actions.githubusercontent.com:sub"


def test_dangling_and_external_trusts_are_kept_as_facts():
    graph = build_graph(small_org().snapshot())
    legacy = role_arn(PROD, "Legacy")
    facts = {(f["role"], f["principal"], f["kind"]) for f in graph.graph["trust_facts"]}
    assert (legacy, "AROAQQQQQQQQQQQQQQQQQ", "dangling") in facts
    assert (legacy, "arn:aws:iam::777777777777:root", "external_account") in facts
    external = graph.nodes["arn:aws:iam::777777777777:root"]
    assert external["kind"] == "account" and external["external"] is True
    edge = graph.edges["arn:aws:iam::777777777777:root", legacy, CAN_ASSUME]
    assert edge["conditional"] is True  # depends on the external account's own policies
    assert any("777777777777" in d for d in edge["depends_on"])


def test_trust_naming_a_principal_missing_from_its_account_is_a_fact():
    org = Org()
    org.account(DEV).user("alice")
    org.account(PROD).role("Deploy", trusts=trust_arn(user_arn(DEV, "ghost")))
    graph = build_graph(org.snapshot())
    assert [(f["principal"], f["kind"]) for f in graph.graph["trust_facts"]] == [(user_arn(DEV, "ghost"), "unknown_principal")]


def test_pairs_evaluated_skip_principals_without_any_assume_allow():
    """The index: a cross-account account-trust only evaluates principals with some sts:AssumeRole allow."""
    org = Org()
    dev = org.account(DEV)
    for index in range(20):
        dev.user(f"reader{index}", allow("s3:GetObject"))
    dev.user("deployer", allow("sts:AssumeRole", "*"))
    org.account(PROD).role("Deploy", trusts=trust_account(DEV))
    graph = build_graph(org.snapshot())
    assert graph.graph["pairs_evaluated"] == 1
    assert graph.has_edge(user_arn(DEV, "deployer"), role_arn(PROD, "Deploy"))
