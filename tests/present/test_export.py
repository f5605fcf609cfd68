"""graphiam export: GraphML, GEXF and JSON Lines that read back into the very graph that was written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

import graphiam
from builders import Org, allow, role_arn, trust, trust_account, trust_arn, trust_service, user_arn
from graphiam.present.export import FORMATS, ExportError, export_bytes, graph_attributes, read_export, write_export
from graphiam.graph.build import build_graph

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "data" / "sample-org"
DEV, PROD = "222222222222", "333333333333"
PLAIN_GRAPHML_TYPES = {"string", "boolean", "int", "long", "double"}


@pytest.fixture(scope="module")
def sample_graph() -> nx.MultiDiGraph:
    return graphiam.load(str(SAMPLE)).graph


def builder_org() -> Org:
    """Every attribute shape the graph has: tags, paths, conditions, pass edges, parallel edges, facts."""
    org = Org()
    dev = org.account(DEV)
    dev.group("Deployers", allow("sts:AssumeRole", role_arn(PROD, "Deploy")))
    dev.user("alice", groups=("Deployers",), tags={"team": "payments", "note": "<b>&\"quoted\"</b> café"},
             path="/people/")
    dev.user("mfa-only", allow("sts:AssumeRole", role_arn(PROD, "BreakGlass")))
    prod = org.account(PROD)
    prod.role("Deploy", allow("iam:PassRole", role_arn(PROD, "Worker")), trusts=trust_account(DEV, sid="FromDev"))
    prod.role("BreakGlass", trusts=trust_account(DEV, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    # trusted by two services: Deploy -> Worker gets two parallel can_pass edges
    prod.role("Worker", trusts=[trust_service("ec2.amazonaws.com"), trust_service("lambda.amazonaws.com")],
              tags={"tier": "app"})
    prod.role("Legacy", trusts=trust({"AWS": ["AROAQQQQQQQQQQQQQQQQQ", "arn:aws:iam::777777777777:root"]}))
    prod.role("GitHub", trusts=trust({"Federated": f"arn:aws:iam::{PROD}:oidc-provider/token.actions.githubusercontent.com"},
                                      action="sts:AssumeRoleWithWebIdentity",
                                      condition={"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}}))
    return org


@pytest.fixture(scope="module")
def builder_graph() -> nx.MultiDiGraph:
    graph = build_graph(builder_org().snapshot())
    pairs = [(u, v) for u, v in graph.edges()]
    assert len(pairs) > len(set(pairs)), "the builder snapshot is meant to have parallel edges"
    assert graph.graph["trust_facts"], "and trust facts"
    return graph


@pytest.fixture(scope="module")
def simple_graph() -> nx.MultiDiGraph:
    """No parallel edges: networkx reads such a GEXF file as a DiGraph, dropping its keys."""
    org = Org()
    org.account(DEV).user("bob", allow("sts:AssumeRole", role_arn(PROD, "Reader")))
    org.account(PROD).role("Reader", trusts=trust_arn(user_arn(DEV, "bob")))
    graph = build_graph(org.snapshot())
    pairs = [(u, v) for u, v in graph.edges()]
    assert pairs and len(pairs) == len(set(pairs))
    return graph


def awkward_graph() -> nx.MultiDiGraph:
    """Values that a naive XML export would bend: None next to booleans, real empty strings, mixed types..."""
    graph = nx.MultiDiGraph(note=None, count=2 ** 70, ratio=0.25, labels=["a", "b"])
    graph.add_node("n:1", flag=True, maybe=None, text="", looks_like_json="[1, 2]", mixed=1,
                   unicode="żółw ✓", control="a\x01b", newline="line\r\nbreak\ttab", nested={"a": [1, {"b": None}]})
    graph.add_node("n:2", flag=None, maybe="x", text="y", looks_like_json="{}", mixed="one", big=-(2 ** 63),
                   ratio=1.5)
    graph.add_node("n|3")  # no attributes at all
    graph.add_edge("n:1", "n:2", key="k|with|bars", weight_like=3, service=None)
    graph.add_edge("n:1", "n:2", key="other", service="ec2.amazonaws.com", depends_on=[])
    graph.add_edge("n:2", "n|3", key="plain")
    return graph


def assert_same_graph(read: nx.MultiDiGraph, original: nx.MultiDiGraph) -> None:
    assert isinstance(read, nx.MultiDiGraph)
    assert set(read.nodes) == set(original.nodes)
    assert set(read.edges(keys=True)) == set(original.edges(keys=True))
    for node, data in original.nodes(data=True):
        assert read.nodes[node] == data, node
        assert {k: type(v) for k, v in read.nodes[node].items()} == {k: type(v) for k, v in data.items()}, node
    for source, target, key, data in original.edges(keys=True, data=True):
        assert read.edges[source, target, key] == data, (source, target, key)
        assert {k: type(v) for k, v in read.edges[source, target, key].items()} == {k: type(v) for k, v in data.items()}
    assert read.graph == graph_attributes(original)  # all but the run's timings


# -- round trips -------------------------------------------------------------------------------

@pytest.mark.parametrize("format", FORMATS)
def test_sample_org_round_trips(sample_graph, tmp_path, format):
    path = tmp_path / f"sample.{format}"
    summary = write_export(sample_graph, path, format)
    assert (summary.nodes, summary.edges) == (sample_graph.number_of_nodes(), sample_graph.number_of_edges())
    read = read_export(path, format)
    assert_same_graph(read, sample_graph)
    assert read.graph["trust_facts"] == sample_graph.graph["trust_facts"]


@pytest.mark.parametrize("format", FORMATS)
def test_builder_snapshot_round_trips(builder_graph, tmp_path, format):
    path = tmp_path / f"builder.{format}"
    write_export(builder_graph, path, format)
    assert_same_graph(read_export(path, format), builder_graph)


@pytest.mark.parametrize("format", FORMATS)
def test_graph_without_parallel_edges_keeps_its_keys(simple_graph, tmp_path, format):
    path = tmp_path / f"simple.{format}"
    write_export(simple_graph, path, format)
    assert_same_graph(read_export(path, format), simple_graph)


@pytest.mark.parametrize("format", FORMATS)
def test_awkward_values_round_trip(tmp_path, format):
    graph = awkward_graph()
    path = tmp_path / f"awkward.{format}"
    write_export(graph, path, format)
    assert_same_graph(read_export(path, format), graph)


def test_a_read_back_graph_answers_the_same_queries(sample_graph, tmp_path):
    from graphiam.queries.paths import reach

    path = tmp_path / "sample.graphml"
    write_export(sample_graph, path, "graphml")
    read = read_export(path, "graphml")
    grace = "arn:aws:iam::222222222222:user/grace"
    assert [r.to_dict() for r in reach(read, grace)] == [r.to_dict() for r in reach(sample_graph, grace)]


# -- what the files look like to other tools ---------------------------------------------------------

def test_graphml_has_plain_types_arn_ids_and_neo4j_labels(sample_graph, tmp_path):
    path = tmp_path / "sample.graphml"
    write_export(sample_graph, path, "graphml")
    root = ET.parse(path).getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    keys = {k.get("id"): k for k in root.findall("g:key", ns)}
    assert {k.get("attr.type") for k in keys.values()} <= PLAIN_GRAPHML_TYPES
    names = {(k.get("for"), k.get("attr.name")): k.get("attr.type") for k in keys.values()}
    assert len(names) == len(keys), "one key per attribute name and scope"
    assert names[("node", "tags")] == "string" and names[("edge", "granted_by")] == "string"
    assert names[("edge", "conditional")] == "boolean" and names[("graph", "pairs_evaluated")] == "long"
    assert names[("edge", "key")] == "string"

    (graph_element,) = root.findall("g:graph", ns)
    assert graph_element.get("edgedefault") == "directed"
    nodes = graph_element.findall("g:node", ns)
    assert [n.get("id") for n in nodes] == sorted(sample_graph.nodes)
    by_id = {n.get("id"): n for n in nodes}
    assert by_id["arn:aws:iam::222222222222:user/alice"].get("labels") == ":User"
    assert by_id["ec2.amazonaws.com"].get("labels") == ":Service"

    edges = graph_element.findall("g:edge", ns)
    assert len(edges) == sample_graph.number_of_edges()
    ids = [e.get("id") for e in edges]
    assert len(set(ids)) == len(ids), "edge ids are unique"
    for edge in edges:
        key = next(d.text for d in edge.findall("g:data", ns) if keys[d.get("key")].get("attr.name") == "key")
        assert edge.get("id") == f"{edge.get('source')}|{edge.get('target')}|{key}"
        assert sample_graph.has_edge(edge.get("source"), edge.get("target"), key)
        assert edge.get("label") == sample_graph.edges[edge.get("source"), edge.get("target"), key]["edge_type"].upper()
    booleans = {i for i, k in keys.items() if k.get("attr.type") == "boolean"}
    values = {d.text for d in root.iter("{http://graphml.graphdrawing.org/xmlns}data") if d.get("key") in booleans}
    assert values == {"true", "false"}
    for data in root.iter("{http://graphml.graphdrawing.org/xmlns}data"):
        if keys[data.get("key")].get("attr.name") in {"tags", "granted_by", "conditions", "depends_on"}:
            json.loads(data.text)  # dicts and lists are JSON strings


def test_gexf_edges_have_unique_ids_and_keep_their_key(sample_graph, tmp_path):
    path = tmp_path / "sample.gexf"
    write_export(sample_graph, path, "gexf")
    root = ET.parse(path).getroot()
    ns = {"x": "http://www.gexf.net/1.2draft"}
    assert root.find("x:meta", ns).get("lastmodifieddate") is None
    attributes = {a.get("id"): a for a in root.iter("{http://www.gexf.net/1.2draft}attribute")}
    assert {a.get("type") for a in attributes.values()} <= {"string", "boolean", "long", "double"}
    key_attribute = next(i for i, a in attributes.items() if a.get("title") == "networkx_key")
    edges = list(root.iter("{http://www.gexf.net/1.2draft}edge"))
    assert len({e.get("id") for e in edges}) == len(edges) == sample_graph.number_of_edges()
    for edge in edges:
        key = next(v.get("value") for v in edge.iter("{http://www.gexf.net/1.2draft}attvalue")
                   if v.get("for") == key_attribute)
        assert edge.get("id") == f"{edge.get('source')}|{edge.get('target')}|{key}"
    labels = {n.get("id"): n.get("label") for n in root.iter("{http://www.gexf.net/1.2draft}node")}
    assert labels["arn:aws:iam::222222222222:user/alice"] == "alice"


def test_jsonl_is_graph_then_sorted_nodes_then_sorted_edges(sample_graph, tmp_path):
    path = tmp_path / "sample.jsonl"
    write_export(sample_graph, path, "jsonl")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert records[0]["type"] == "graph" and records[0]["trust_facts"] == sample_graph.graph["trust_facts"]
    nodes = [r for r in records if r["type"] == "node"]
    edges = [r for r in records if r["type"] == "edge"]
    assert records == [records[0], *nodes, *edges]
    assert [n["id"] for n in nodes] == sorted(sample_graph.nodes)
    assert [(e["source"], e["target"], e["key"]) for e in edges] == sorted(sample_graph.edges(keys=True))
    assign = next(e for e in edges if e["key"] == "can_assume")
    assert assign["service"] is None and isinstance(assign["granted_by"], list)


@pytest.mark.parametrize("format", FORMATS)
def test_output_is_deterministic(sample_graph, tmp_path, format):
    first, second = tmp_path / f"1.{format}", tmp_path / f"2.{format}"
    write_export(sample_graph, first, format)
    write_export(graphiam.load(str(SAMPLE)).graph, second, format)
    assert first.read_bytes() == second.read_bytes()
    # insertion order (of nodes, edges, attributes and nested keys) does not matter either
    shuffled = nx.MultiDiGraph()
    shuffled.graph.update(reversed(list(sample_graph.graph.items())))
    for node, data in reversed(list(sample_graph.nodes(data=True))):
        shuffled.add_node(node, **_reversed(data))
    for source, target, key, data in reversed(list(sample_graph.edges(keys=True, data=True))):
        shuffled.add_edge(source, target, key=key, **_reversed(data))
    assert export_bytes(shuffled, format) == first.read_bytes()


@pytest.mark.parametrize("format", FORMATS)
def test_build_timings_are_left_out(simple_graph, format):
    outputs = set()
    for seconds in (0.5, 1.5):
        graph = simple_graph.copy()
        graph.graph["timings"] = {"edges": seconds}
        outputs.add(export_bytes(graph, format))
    (output,) = outputs
    assert b"timings" not in output and b"trust_facts" in output and b"pairs_evaluated" in output


def _reversed(value):
    if isinstance(value, dict):
        return {k: _reversed(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed(v) for v in value]
    return value


# -- refusals ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("format", FORMATS)
def test_reserved_attribute_names_are_refused(tmp_path, format):
    graph = nx.MultiDiGraph()
    graph.add_node("a", label="shadowed")
    with pytest.raises(ExportError, match="label"):
        write_export(graph, tmp_path / "x", format)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("format", FORMATS)
def test_a_value_json_cannot_hold_is_refused_without_leaving_a_file(tmp_path, format):
    graph = nx.MultiDiGraph()
    graph.add_node("a", owners={"x", "y"})
    with pytest.raises(ExportError, match="owners"):
        write_export(graph, tmp_path / "x", format)
    assert not list(tmp_path.iterdir())


def test_xml_formats_cannot_go_to_standard_output(sample_graph):
    with pytest.raises(ExportError, match="jsonl"):
        write_export(sample_graph, "-", "graphml")


@pytest.mark.parametrize("format", FORMATS)
def test_reading_a_file_that_is_not_an_export_fails_in_one_line(tmp_path, format):
    path = tmp_path / "bad"
    path.write_text("this is not a graph\n")
    with pytest.raises(ExportError) as raised:
        read_export(path, format)
    assert "\n" not in str(raised.value)


# -- the command line ----------------------------------------------------------------------------------

def run(*args: str | Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run([sys.executable, "-m", "graphiam.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def assert_bad_input(done: subprocess.CompletedProcess, *named: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphiam: error: "), done.stderr
    for part in named:
        assert part in lines[0], lines[0]


@pytest.mark.parametrize("format", FORMATS)
def test_cli_writes_the_file(sample_graph, tmp_path, format):
    path = tmp_path / f"out.{format}"
    done = run("export", "--format", format, "-o", path, "--data", SAMPLE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (f"wrote {path}: {format}, {sample_graph.number_of_nodes()} nodes, "
                                   f"{sample_graph.number_of_edges()} edges")
    assert path.read_bytes() == export_bytes(sample_graph, format)
    assert_same_graph(read_export(path, format), sample_graph)


def test_cli_jsonl_to_standard_output(sample_graph):
    done = run("export", "--format", "jsonl", "-o", "-", "--data", SAMPLE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.encode("utf-8") == export_bytes(sample_graph, "jsonl")


def test_cli_bad_input_exits_2_with_one_line(tmp_path):
    assert_bad_input(run("export", "--format", "jsonl", "-o", tmp_path / "x.jsonl", "--data", tmp_path / "missing"),
                     "missing")
    assert_bad_input(run("export", "--format", "graphml", "-o", "-", "--data", SAMPLE), "jsonl")
    assert_bad_input(run("export", "--format", "dot", "-o", tmp_path / "x.dot", "--data", SAMPLE), "dot")
    assert_bad_input(run("export", "--format", "gexf", "--data", SAMPLE), "--output")
    assert_bad_input(run("export", "--format", "gexf", "-o", tmp_path / "no" / "such" / "dir.gexf", "--data", SAMPLE),
                     "dir.gexf")
    assert not (tmp_path / "x.jsonl").exists() and not (tmp_path / "x.dot").exists()
