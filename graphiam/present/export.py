"""Export the access graph for tools that hold bigger graphs: GraphML, GEXF, JSON Lines.

``write_export(graph, path, format)`` writes one of :data:`FORMATS`;
``read_export(path, format)`` reads any of them back into the same
``nx.MultiDiGraph`` (same nodes, same ``(source, target, key)`` edges, same
attributes, same graph attributes).

**GraphML** (Gephi, Neo4j's ``apoc.import.graphml``, yEd, igraph) and **GEXF**
(Gephi) are written by networkx's own writers. Both hold scalar attributes
only, so before writing, each attribute *name* (per scope: graph, node, edge)
is given one representation for the whole file:

- a plain ``string``, ``boolean``, ``long`` (int) or ``double`` when every
  value it has is of that one type;
- a JSON string (same attribute name) when any value is a dict or a list
  (``tags``, ``granted_by``, ``conditions``, ``depends_on``, ``trust_facts``,
  ``warnings``), when its values mix types, or when a string could not survive
  XML unchanged (control characters, a carriage return);
- ``None`` never reaches the file as such: for a string attribute (``service``
  of an assume edge, ``account`` of a service node) it is written as the empty
  string, and such an attribute never holds a real empty string (otherwise it
  is JSON-encoded, where ``null`` and ``""`` differ). An attribute an element
  does not have stays absent.

Which attributes are JSON and which use the empty string for ``None`` is
recorded in the file (GraphML: the graph attribute ``graphiam_export``; GEXF:
the JSON in ``<meta><description>``, which also holds the graph attributes,
since GEXF has no graph-level attributes), so :func:`read_export` restores
every value exactly.

Node ids are the ARNs (services by their principal name). Every edge has the
unique id ``SOURCE|TARGET|KEY`` (tools such as Gephi drop edges whose id
repeats) and keeps its multigraph key as an attribute: ``key`` in GraphML,
``networkx_key`` in GEXF (networkx's name for it). GraphML nodes also carry
APOC's ``labels`` XML attribute (``:User``, ``:Role``, ...) and edges its
``label`` (``CAN_ASSUME``, ``CAN_PASS``, ``MEMBER_OF``), so
``apoc.import.graphml(file, {readLabels: true})`` gives typed nodes and
relationships; GEXF nodes are labelled with their ``name`` for Gephi.

**JSON Lines** (Neo4j's ``apoc.load.json``, jq, Spark, DuckDB): one object per
line, attribute values as native JSON (``None`` is ``null``)::

    {"type": "graph", "pairs_evaluated": 123, "trust_facts": [...], "warnings": []}
    {"type": "node", "id": "arn:aws:iam::111111111111:user/alice", "account": "111111111111", ...}
    {"type": "edge", "source": "...", "target": "...", "key": "can_assume", "action": "sts:AssumeRole", ...}

Nodes are sorted by id, edges by (source, target, key), attribute names
alphabetically after the fixed fields: the same graph always gives the same
bytes, in every format. Graph attributes that measure the run rather than
describe the snapshot (:data:`VOLATILE_GRAPH_ATTRIBUTES`: the build's
``timings``) are left out, so two exports of one snapshot can be diffed.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

import networkx as nx
from networkx.readwrite.gexf import GEXFWriter
from networkx.readwrite.graphml import GraphMLWriter

from ..queries.errors import QueryError
from .files import write_atomically

FORMATS = ("graphml", "gexf", "jsonl")
META = "graphiam_export"  # the graph attribute (GraphML) / description key (GEXF) describing the encoding
META_VERSION = 1
VOLATILE_GRAPH_ATTRIBUTES = frozenset({"timings"})  # seconds per build phase: differ on every run

# attribute names the formats (or networkx's readers and writers) use for themselves
RESERVED = {
    "graph": frozenset({"type", "id", "node_default", "edge_default", META}),
    "node": frozenset({"type", "id", "label", "pid", "start", "end", "viz", "parents", "spells", "slices"}),
    "edge": frozenset({"type", "id", "source", "target", "key", "networkx_key", "label", "weight", "start", "end",
                       "viz", "spells", "slices"}),
}

_SCALARS = (str, bool, int, float)
_LONG = range(-(2 ** 63), 2 ** 63)
# characters XML 1.0 cannot carry (or that a parser rewrites: \r) in text and attribute values
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class ExportError(QueryError):
    """The graph cannot be exported as asked, or a file is not a graphiam export (one line)."""


@dataclass(frozen=True)
class ExportSummary:
    format: str
    nodes: int
    edges: int


# -- writing -----------------------------------------------------------------------------------

def write_export(graph: nx.MultiDiGraph, output: str | os.PathLike | IO[str], format: str) -> ExportSummary:
    """Write ``graph`` to ``output`` (a path; for jsonl also an open text stream, or ``"-"`` for stdout).

    A path is written to a temporary file next to it, then renamed, so a failed
    export never leaves half a file behind.
    """
    _check_format(format)
    _check_names(graph)
    if output == "-" or hasattr(output, "write"):
        if format != "jsonl":
            raise ExportError(f"only --format jsonl can be written to standard output, not {format}")
        stream = sys.stdout if output == "-" else output
        for line in jsonl_lines(graph):
            stream.write(line + "\n")
        stream.flush()
        return ExportSummary(format, graph.number_of_nodes(), graph.number_of_edges())
    try:
        if format == "jsonl":
            write_atomically(output, lambda stream: stream.writelines(line + "\n" for line in jsonl_lines(graph)),
                             text=True)
        else:
            write_atomically(output, export_bytes(graph, format))
    except OSError as error:
        raise ExportError(f"{output}: {error.strerror or error}") from None
    return ExportSummary(format, graph.number_of_nodes(), graph.number_of_edges())


def export_bytes(graph: nx.MultiDiGraph, format: str) -> bytes:
    """The whole export as bytes (UTF-8)."""
    _check_format(format)
    _check_names(graph)
    if format == "jsonl":
        return "".join(line + "\n" for line in jsonl_lines(graph)).encode("utf-8")
    return _graphml_bytes(graph) if format == "graphml" else _gexf_bytes(graph)


def jsonl_lines(graph: nx.MultiDiGraph) -> Iterator[str]:
    """The JSON Lines export, one line (without its newline) at a time."""
    yield _json_line({"type": "graph"}, graph_attributes(graph))
    for node in _sorted_nodes(graph):
        yield _json_line({"type": "node", "id": node}, graph.nodes[node])
    for source, target, key, data in _sorted_edges(graph):
        yield _json_line({"type": "edge", "source": source, "target": target, "key": key}, data)


def _json_line(head: dict, attributes: dict) -> str:
    record = dict(head)
    for name in sorted(attributes, key=str):
        record[name] = _canonical(attributes[name])
    try:
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        for name, value in record.items():  # name the attribute (only on this error path)
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError):
                raise ExportError(f"{_where(head)}: attribute {name!r} cannot be written as JSON: {error}") from None
        raise ExportError(f"{_where(head)} cannot be written as JSON: {error}") from None


def _canonical(value: Any) -> Any:
    """``value`` with every dict's keys in sorted order (so the bytes do not depend on insertion order)."""
    if isinstance(value, dict):
        return {k: _canonical(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def _where(head: dict) -> str:
    if head["type"] == "node":
        return f"node {head['id']}"
    if head["type"] == "edge":
        return f"edge {head['source']} -> {head['target']} [{head['key']}]"
    return "the graph attributes"


class _Plan:
    """How each attribute name of one scope is written: natively, as JSON, or as a string with "" for None."""

    def __init__(self, scope: str, elements: Iterable[dict]) -> None:
        self.scope = scope
        types: dict[str, set[type]] = {}
        nulls: set[str] = set()
        empties: set[str] = set()
        json_names: set[str] = set()
        for data in elements:
            for name, value in data.items():
                seen = types.setdefault(name, set())
                if value is None:
                    nulls.add(name)
                    continue
                seen.add(type(value))
                if type(value) not in _SCALARS or (type(value) is int and value not in _LONG):
                    json_names.add(name)
                elif type(value) is float and not math.isfinite(value):
                    json_names.add(name)  # NaN never equals itself on the way back; JSON refuses it loudly
                elif type(value) is str:
                    if value == "":
                        empties.add(name)
                    elif _XML_UNSAFE.search(value):
                        json_names.add(name)
        self.json: set[str] = set()
        self.empty_is_null: set[str] = set()
        for name, seen in types.items():
            if name in json_names or len(seen) > 1:
                self.json.add(name)
            elif name in nulls:
                if seen <= {str} and name not in empties:
                    self.empty_is_null.add(name)
                else:
                    self.json.add(name)

    def encode(self, data: dict, where: str) -> dict:
        out = {}
        for name in sorted(data, key=str):
            value = data[name]
            if name in self.json:
                out[name] = _json_text(value, f"{where}: attribute {name!r}")
            elif value is None:
                out[name] = ""
            else:
                out[name] = value
        return out

    def describe(self) -> dict:
        return {"json": sorted(self.json), "empty_is_null": sorted(self.empty_is_null)}


def _json_text(value: Any, where: str) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ExportError(f"{where} cannot be written as JSON: {error}") from None
    if _XML_UNSAFE.search(text):  # lone surrogates, U+FFFE: JSON's \u escapes carry them through XML
        text = json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return text


def _plans(graph: nx.MultiDiGraph) -> dict[str, _Plan]:
    return {
        "graph": _Plan("graph", [graph_attributes(graph)]),
        "node": _Plan("node", (data for _, data in graph.nodes(data=True))),
        "edge": _Plan("edge", (data for _, _, data in graph.edges(data=True))),
    }


def _meta(plans: dict[str, _Plan]) -> dict:
    return {"version": META_VERSION, **{scope: plan.describe() for scope, plan in plans.items()}}


def graph_attributes(graph: nx.MultiDiGraph) -> dict:
    """The graph attributes an export carries: all but the volatile ones."""
    return {k: v for k, v in graph.graph.items() if k not in VOLATILE_GRAPH_ATTRIBUTES}


def _edge_id(source: str, target: str, key: Any) -> str:
    return f"{source}|{target}|{key}"


def _xml_graph(graph: nx.MultiDiGraph, plans: dict[str, _Plan], for_gexf: bool) -> nx.MultiDiGraph:
    """A copy of ``graph`` with scalar attributes only, nodes and edges in sorted order."""
    copy = nx.MultiDiGraph()
    for node in _sorted_nodes(graph):
        if not isinstance(node, str) or _XML_UNSAFE.search(node):
            raise ExportError(f"node id {node!r} cannot be written to XML: node ids must be plain strings")
        data = plans["node"].encode(graph.nodes[node], f"node {node}")
        if for_gexf:
            name = graph.nodes[node].get("name")
            data["label"] = name if isinstance(name, str) and name and not _XML_UNSAFE.search(name) else node
        copy.add_node(node, **data)
    for source, target, key, data in _sorted_edges(graph):
        if isinstance(key, str) and _XML_UNSAFE.search(key):
            raise ExportError(f"edge key {key!r} cannot be written to XML")
        encoded = plans["edge"].encode(data, f"edge {source} -> {target} [{key}]")
        edge_id = _edge_id(source, target, key)
        if for_gexf:  # networkx's GEXF writer takes the id from "id" and stores the key as "networkx_key"
            copy.add_edge(source, target, key=key, id=edge_id, **encoded)
        else:  # networkx's GraphML writer uses the multigraph key as the id
            copy.add_edges_from([(source, target, edge_id, {"key": key, **encoded})])
    return copy


def _graphml_bytes(graph: nx.MultiDiGraph) -> bytes:
    plans = _plans(graph)
    copy = _xml_graph(graph, plans, for_gexf=False)
    attributes = plans["graph"].encode(graph_attributes(graph), "the graph attributes")
    attributes[META] = json.dumps(_meta(plans), sort_keys=True, separators=(",", ":"))
    copy.graph.update(sorted(attributes.items()))
    writer = GraphMLWriter(encoding="utf-8", prettyprint=True)
    writer.add_graph_element(copy)
    # networkx writes str(True); GraphML's boolean is XML Schema's, whose words are "true" and "false"
    booleans = {key_id for (_, attr_type, _), key_id in writer.keys.items() if attr_type == "boolean"}
    for element in writer.xml.iter("data"):
        if element.get("key") in booleans and element.text:
            element.text = element.text.lower()
    # Neo4j APOC's importer reads node labels from `labels` and relationship types from `label`
    graph_element = writer.xml.find("graph")
    for element, node in zip(graph_element.iter("node"), copy.nodes):
        kind = graph.nodes[node].get("kind")
        if isinstance(kind, str) and kind:
            element.set("labels", ":" + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", kind)))
    for element, (source, target, key) in zip(graph_element.iter("edge"), _sorted_edge_keys(graph)):
        edge_type = graph.edges[source, target, key].get("edge_type")
        if isinstance(edge_type, str) and edge_type:
            element.set("label", re.sub(r"[^A-Za-z0-9]+", "_", edge_type).upper())
    return _dump(writer.dump)


def _gexf_bytes(graph: nx.MultiDiGraph) -> bytes:
    plans = _plans(graph)
    copy = _xml_graph(graph, plans, for_gexf=True)
    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    meta = writer.xml.find("meta")
    meta.attrib.pop("lastmodifieddate", None)  # a date would make two exports of one graph differ
    from ..version import __version__

    meta.find("creator").text = f"graphiam {__version__}"
    description = {"graph": _canonical(graph_attributes(graph)), META: _meta(plans)}
    ET.SubElement(meta, "description").text = _json_text(description, "the graph attributes")
    writer.add_graph(copy)
    return _dump(writer.write)


def _dump(write) -> bytes:
    buffer = io.BytesIO()
    write(buffer)
    data = buffer.getvalue()
    return data if data.endswith(b"\n") else data + b"\n"


def _sorted_nodes(graph: nx.MultiDiGraph) -> list:
    return sorted(graph.nodes, key=str)


def _sorted_edge_keys(graph: nx.MultiDiGraph) -> list[tuple]:
    return sorted(graph.edges(keys=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2])))


def _sorted_edges(graph: nx.MultiDiGraph) -> Iterator[tuple]:
    for source, target, key in _sorted_edge_keys(graph):
        yield source, target, key, graph.edges[source, target, key]


def _check_format(format: str) -> None:
    if format not in FORMATS:
        raise ExportError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")


def _check_names(graph: nx.MultiDiGraph) -> None:
    scopes = [("graph", [graph_attributes(graph)])]
    scopes.append(("node", [d for _, d in graph.nodes(data=True)]))
    scopes.append(("edge", [d for _, _, d in graph.edges(data=True)]))
    for scope, elements in scopes:
        names = set().union(*(d.keys() for d in elements)) if elements else set()
        if bad := sorted(str(n) for n in names if not isinstance(n, str) or n in RESERVED[scope]):
            raise ExportError(f"{scope} attribute(s) {', '.join(bad)} cannot be exported: the names are reserved "
                              "by the export formats (and attribute names must be strings)")


# -- reading -----------------------------------------------------------------------------------

def read_export(path: str | os.PathLike, format: str) -> nx.MultiDiGraph:
    """Read a file written by :func:`write_export` back into the graph that was exported."""
    _check_format(format)
    try:
        if format == "jsonl":
            return _read_jsonl(Path(path))
        if format == "graphml":
            return _read_graphml(Path(path))
        return _read_gexf(Path(path))
    except OSError as error:
        raise ExportError(f"{path}: {error.strerror or error}") from None
    except (ET.ParseError, nx.NetworkXError, KeyError, TypeError, ValueError) as error:
        if isinstance(error, ExportError):
            raise
        raise ExportError(f"{path}: not a readable {format} export: {error}") from None


def _read_jsonl(path: Path) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    with open(path, encoding="utf-8") as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ExportError(f"{path}: line {number}: invalid JSON: {error.msg}") from None
            kind = record.pop("type", None) if isinstance(record, dict) else None
            if kind == "graph":
                graph.graph.update(record)
            elif kind == "node" and "id" in record:
                graph.add_node(record.pop("id"), **record)
            elif kind == "edge" and {"source", "target", "key"} <= record.keys():
                source, target, key = record.pop("source"), record.pop("target"), record.pop("key")
                graph.add_edge(source, target, key=key, **record)
            else:
                raise ExportError(f"{path}: line {number}: expected a graph, node or edge object")
    return graph


class _Decoder:
    def __init__(self, meta: dict | None) -> None:
        meta = meta or {}
        self.json = {s: set(meta.get(s, {}).get("json", ())) for s in RESERVED}
        self.empty_is_null = {s: set(meta.get(s, {}).get("empty_is_null", ())) for s in RESERVED}

    def decode(self, scope: str, data: dict) -> dict:
        out = {}
        for name in sorted(data):
            value = data[name]
            if name in self.json[scope] and isinstance(value, str):
                value = json.loads(value)
            elif name in self.empty_is_null[scope] and value == "":
                value = None
            out[name] = value
        return out


def _read_graphml(path: Path) -> nx.MultiDiGraph:
    read = nx.read_graphml(path, node_type=str, edge_key_type=str, force_multigraph=True)
    attributes = {k: v for k, v in read.graph.items() if k not in ("node_default", "edge_default")}
    meta = attributes.pop(META, None)
    decoder = _Decoder(json.loads(meta) if isinstance(meta, str) else None)
    graph = nx.MultiDiGraph()
    graph.graph.update(decoder.decode("graph", attributes))
    for node, data in read.nodes(data=True):
        graph.add_node(node, **decoder.decode("node", data))
    for source, target, edge_id, data in read.edges(keys=True, data=True):
        data = dict(data)
        key = data.pop("key", edge_id)
        graph.add_edge(source, target, key=key, **decoder.decode("edge", data))
    return graph


def _read_gexf(path: Path) -> nx.MultiDiGraph:
    read = nx.read_gexf(path, version="1.2draft")
    description = ET.parse(path).getroot().find("{*}meta/{*}description")
    extra = json.loads(description.text) if description is not None and description.text else {}
    if not isinstance(extra, dict):
        extra = {}
    decoder = _Decoder(extra.get(META))
    graph = nx.MultiDiGraph()
    graph.graph.update(extra.get("graph", {}))
    for node, data in read.nodes(data=True):
        data = {k: v for k, v in data.items() if k != "label"}
        graph.add_node(node, **decoder.decode("node", data))
    if read.is_multigraph():
        edges = ((s, t, k, d) for s, t, k, d in read.edges(keys=True, data=True))
    else:  # networkx turns a file without parallel edges into a DiGraph and drops the key: the id has it
        edges = ((s, t, None, d) for s, t, d in read.edges(data=True))
    for source, target, key, data in edges:
        data = dict(data)
        edge_id = data.pop("id", None)
        if key is None or key == edge_id:
            prefix = f"{source}|{target}|"
            if not (isinstance(edge_id, str) and edge_id.startswith(prefix)):
                raise ExportError(f"{path}: edge {source} -> {target} has no graphiam edge id")
            key = edge_id[len(prefix):]
        graph.add_edge(source, target, key=key, **decoder.decode("edge", data))
    return graph
