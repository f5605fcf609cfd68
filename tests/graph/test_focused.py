"""graphiam.graph.focused: the subgraph one path question reads, decided alone, is the whole graph's."""

from __future__ import annotations

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import Org, allow, trust_account, trust_arn, user_arn
from graphiam.access import AccessGraph
from graphiam.graph.build import build_graph
from graphiam.graph.focused import PathGraph
from graphiam.graph.schema import CAN_ASSUME
from strategies import SERVICES, organizations

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def what_a_path_reads(graph: nx.MultiDiGraph, source: str, target: str) -> dict:
    """From the whole graph: the can_assume edges out of everything reached from ``source``, and the edges into
    ``target`` (what the cache's query index serves), with their nodes."""
    assume = nx.subgraph_view(graph, filter_edge=lambda u, v, k: k == CAN_ASSUME)
    reached = {source} | nx.descendants(assume, source)
    edges = {(u, v, k): repr(sorted(d.items())) for u, v, k, d in graph.out_edges(reached, keys=True, data=True)
             if k == CAN_ASSUME}
    edges.update({(u, v, k): repr(sorted(d.items())) for u, v, k, d in graph.in_edges(target, keys=True, data=True)})
    nodes = {n for edge in edges for n in edge[:2]} | {source, target}
    return {"edges": edges, "nodes": {n: repr(sorted(graph.nodes[n].items())) for n in nodes}}


def read_back(graph: nx.MultiDiGraph) -> dict:
    return {"edges": {(u, v, k): repr(sorted(d.items())) for u, v, k, d in graph.edges(keys=True, data=True)},
            "nodes": {n: repr(sorted(d.items())) for n, d in graph.nodes(data=True)}}


def path_graph(snapshot, source, target):
    return PathGraph(snapshot).subgraph(source, target)


def _facts(graph: nx.MultiDiGraph) -> list[str]:
    return sorted(repr(sorted(f.items())) for f in graph.graph["trust_facts"])


@SETTINGS
@given(organizations(), st.data())
def test_the_focused_graph_is_the_part_of_the_whole_graph_a_path_reads(org, data):
    snapshot = org.snapshot()
    whole = build_graph(snapshot)
    principals = [p.arn for p in snapshot.all_principals()]
    source = data.draw(st.sampled_from(principals))
    target = data.draw(st.sampled_from([r.arn for r in snapshot.all_roles()]))
    focused = path_graph(snapshot, source, target)
    assert focused is not None
    assert read_back(focused) == what_a_path_reads(whole, source, target)
    assert _facts(focused) == _facts(whole)


@SETTINGS
@given(organizations())
def test_the_focused_graphs_nodes_are_every_node_of_the_whole_graph_with_its_attributes(org):
    """What lets a name that does not resolve against the part be said at once (access.first_path_answer)."""
    snapshot = org.snapshot()
    whole = build_graph(snapshot)
    part = PathGraph(snapshot).nodes
    assert {n: repr(sorted(d.items())) for n, d in part.nodes(data=True)} == {
        n: repr(sorted(d.items())) for n, d in whole.nodes(data=True)}


@SETTINGS
@given(organizations(), st.data())
def test_a_path_answered_from_the_focused_graph_is_the_whole_graphs_answer(org, data):
    snapshot = org.snapshot()
    source = data.draw(st.sampled_from([p.arn for p in snapshot.all_principals()]))
    target = data.draw(st.sampled_from([r.arn for r in snapshot.all_roles()]))
    service = data.draw(st.sampled_from([None, *SERVICES]))
    action = "iam:PassRole" if service else "sts:AssumeRole"
    whole = AccessGraph(snapshot)
    focused = AccessGraph(snapshot, path_graph(snapshot, source, target))
    assert (focused.path(source, target, action, service).to_dict()
            == whole.path(source, target, action, service).to_dict())


def test_an_identity_center_user_is_followed_through_the_sign_in():
    org = Org(management="111111111111")
    org.account("111111111111")
    prod = org.account("333333333333")
    prod.role("Deploy", trusts=trust_account("333333333333"))
    center = org.identity_center()
    nina = center.user("nina@example.com")
    ops = center.permission_set("Ops", allow("sts:AssumeRole", "*"))
    center.assign("333333333333", ops, user=nina)
    snapshot = org.snapshot()
    whole = AccessGraph(snapshot)
    source, target = whole.resolve("nina@example.com"), whole.resolve("333333333333:role/Deploy")
    focused = path_graph(snapshot, source, target)
    assert read_back(focused) == what_a_path_reads(whole.graph, source, target)
    answer = AccessGraph(snapshot, focused).path(source, target)
    assert answer.reachable and answer.to_dict() == whole.path(source, target).to_dict()


def test_a_source_that_is_not_a_principal_is_left_to_the_whole_graph():
    org = Org()
    dev = org.account("222222222222")
    dev.user("alice", allow("sts:AssumeRole", "*"))
    dev.role("Web", trusts=[trust_arn(user_arn("222222222222", "alice")), {"Effect": "Allow", "Principal": {
        "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}])
    snapshot = org.snapshot()
    assert path_graph(snapshot, "ec2.amazonaws.com", "arn:aws:iam::222222222222:role/Web") is None
    assert path_graph(snapshot, "arn:aws:iam::222222222222:role/Web", "arn:aws:iam::222222222222:role/Nope") is None
