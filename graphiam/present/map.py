"""Interactive access maps: one self-contained HTML file (vis-network through pyvis), no network needed.

The map is drawn from the access graph as it is; nothing is decided here.
pyvis holds the nodes, edges and options and ships vis-network, whose
JavaScript and CSS are inlined into our own template
(``templates/access_map.html``): pyvis' template links Bootstrap from a CDN
even with ``cdn_resources="in_line"``, which breaks offline use.

Safety: every string from a snapshot reaches the page only as JSON inside a
``<script type="application/json">`` block (with ``<``, ``>`` and ``&``
escaped) and is put on the page by the browser's ``textContent``, never as
HTML, so names, tags, policy text and condition values cannot run scripts.
The template's placeholders are filled in one pass (:func:`fill_template`), so
a value that holds a placeholder's text is never filled in again.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
import os
from typing import Any, Iterable

import networkx as nx

from ..graph.schema import CAN_ASSUME, CAN_PASS, MEMBER_OF
from ..queries.answer import PathAnswer
from ..queries.paths import reach, who_can
from ..queries.resolve import resolve
from ..snapshot.model import Snapshot

DEFAULT_MAX_NODES = 1500
NEIGHBOURS_WHEN_UNREACHABLE = 25

SHAPES = {"user": "dot", "group": "square", "role": "diamond", "service": "triangle", "federated": "star",
          "account": "hexagon", "external_principal": "hexagon", "anyone": "hexagon"}
KIND_LABELS = {"user": "user", "group": "group", "role": "role", "service": "AWS service", "federated": "identity provider",
               "account": "account outside the snapshot", "external_principal": "principal outside the snapshot",
               "anyone": "any AWS principal (world-assumable)"}
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac", "#2f4b7c", "#a05195", "#d45087", "#665191", "#ff7c43", "#003f5c")
NEUTRAL = "#8a8f98"
SHORT_KEYS = {
    "aws:multifactorauthpresent": "MFA",
    "aws:multifactorauthage": "MFA age",
    "sts:externalid": "ExternalId",
    "aws:sourceip": "SourceIp",
    "aws:sourcevpc": "SourceVpc",
    "aws:sourcevpce": "SourceVpce",
    "aws:currenttime": "time",
    "sts:rolesessionname": "session name",
    "sts:sourceidentity": "SourceIdentity",
    "iam:associatedresourcearn": "resource",
}


class MapTooLarge(ValueError):
    """The selected view has more nodes than the limit: the message says how to narrow it."""


@dataclass(frozen=True)
class MapOptions:
    """Which part of the graph a map shows (the path to highlight is given to :func:`render_map` as its answer)."""

    focus: str | None = None  # a node; with depth, its neighbourhood in either direction
    depth: int = 2
    accounts: tuple[str, ...] = ()
    max_nodes: int = DEFAULT_MAX_NODES
    title: str = "graphiam access map"


@dataclass(frozen=True)
class MapSummary:
    nodes: int
    edges: int
    path: PathAnswer | None


def condition_label(keys: Iterable[str]) -> str:
    """Short names for an edge's request-time condition keys: ``MFA``, ``ExternalId``, ..."""
    labels = []
    for key in keys:
        short = SHORT_KEYS.get(key.lower()) or key.split("/")[-1].split(":")[-1]
        if short not in labels:
            labels.append(short)
    return ", ".join(labels)


def _condition_keys(data: dict) -> list[str]:
    return [c["key"] for requirement in data.get("conditions", []) for c in requirement["conditions"]]


# -- which nodes ---------------------------------------------------------------------

def _with_outside_neighbours(graph: nx.MultiDiGraph, nodes: set[str]) -> set[str]:
    """Services, providers and outside accounts attached to the chosen nodes belong to the view."""
    extra = set()
    for node in nodes:
        for neighbour in (*graph.predecessors(node), *graph.successors(node)):
            if graph.nodes[neighbour].get("kind") in ("service", "federated", "account", "external_principal", "anyone",
                                                      "group"):
                extra.add(neighbour)
    return nodes | extra


def select_nodes(graph: nx.MultiDiGraph, options: MapOptions, result: PathAnswer | None) -> set[str]:
    nodes = {n for n, d in graph.nodes(data=True) if not (d.get("kind") == "account" and not d.get("external"))}
    if options.accounts:
        wanted = set(options.accounts)
        nodes = _with_outside_neighbours(graph, {n for n in nodes if graph.nodes[n].get("account") in wanted})
    if options.focus is not None:
        centre = resolve(graph, options.focus)
        around = nx.ego_graph(graph.to_undirected(as_view=True), centre, radius=options.depth)
        nodes = (nodes & set(around.nodes)) | {centre}
    if result is not None:
        nodes |= {result.source, result.target}
        nodes |= {hop.target for hop in result.path} | {hop.source for hop in result.path}
        if not result.reachable:  # the closest the source gets, and what does reach the target
            nodes |= {r.arn for r in reach(graph, result.source)[:NEIGHBOURS_WHEN_UNREACHABLE]}
            nodes |= {r.arn for r in who_can(graph, result.target)[:NEIGHBOURS_WHEN_UNREACHABLE]}
    return nodes


# -- how they look ------------------------------------------------------------------------

def _account_colours(graph: nx.MultiDiGraph, nodes: set[str]) -> dict[str, str]:
    accounts = sorted({graph.nodes[n].get("account") for n in nodes if graph.nodes[n].get("account")})
    return {account: PALETTE[i % len(PALETTE)] for i, account in enumerate(accounts)}


def _policies_text(snapshot: Snapshot, arn: str) -> list[str]:
    principal = snapshot.principal(arn)
    if principal is None:
        return []
    lines = [f"inline policy: {p.name}" for p in principal.inline_policies]
    lines += [f"managed policy: {m}" for m in principal.managed_policy_arns]
    if principal.permissions_boundary_arn:
        lines.append(f"permissions boundary: {principal.permissions_boundary_arn}")
    if getattr(principal, "group_names", ()):
        lines.append("groups: " + ", ".join(principal.group_names))  # type: ignore[union-attr]
    return lines


def _node_tooltip(snapshot: Snapshot, node: str, data: dict, account_names: dict[str, str]) -> str:
    account = data.get("account")
    lines = [node, f"kind: {KIND_LABELS.get(data.get('kind', ''), data.get('kind', ''))}"]
    if account:
        name = account_names.get(account)
        lines.append(f"account: {account}" + (f" ({name})" if name and name != account else ""))
    lines += [f"tag {k} = {v}" for k, v in sorted(data.get("tags", {}).items())]
    lines += _policies_text(snapshot, node)
    return "\n".join(lines)


def _edge_tooltip(source: str, target: str, data: dict) -> str:
    lines = [f"{source}\n  -> {target}", f"{data.get('action')}" + (f" to {data['service']}" if data.get("service") else "")]
    for evidence in data.get("granted_by", []):
        sid = evidence.get("sid") or f"#{evidence.get('statement')}"
        lines.append(f"granted by {evidence['layer']}: {evidence['policy']} statement {sid}")
    for requirement in data.get("conditions", []):
        lines.append(f"only if {requirement['text']}")
    for item in data.get("depends_on", []):
        lines.append(f"depends on {item}")
    return "\n".join(lines)


def build_network(graph: nx.MultiDiGraph, snapshot: Snapshot, nodes: set[str], result: PathAnswer | None):
    """A pyvis Network of ``nodes`` and the edges between them, the path (if any) highlighted."""
    from pyvis.network import Network

    org = snapshot.organization
    account_names = dict(org.names) if org else {}
    colours = _account_colours(graph, nodes)
    on_path_nodes = {result.source, result.target} if result is not None else set()
    on_path_edges: set[tuple[str, str, str]] = set()
    if result is not None:
        for hop in result.path:
            on_path_nodes |= {hop.source, hop.target}
            key = f"{CAN_PASS}:{hop.service}" if hop.action == "iam:PassRole" else CAN_ASSUME
            on_path_edges.add((hop.source, hop.target, key))
    dim = result is not None
    net = Network(directed=True, cdn_resources="in_line", height="100%", width="100%")
    for node in sorted(nodes):
        data = graph.nodes[node]
        kind = data.get("kind", "")
        colour = colours.get(data.get("account"), NEUTRAL)
        highlighted = node in on_path_nodes
        net.add_node(
            node,
            label=data.get("name") or node,
            title=_node_tooltip(snapshot, node, data, account_names),
            shape=SHAPES.get(kind, "dot"),
            color={"background": colour, "border": "#222222" if highlighted else colour},
            opacity=0.25 if dim and not highlighted else 1.0,
            borderWidth=4 if highlighted else 1,
            size=24 if highlighted else 16,
            font={"size": 16 if highlighted else 14, "color": "#111111" if highlighted or not dim else "#999999"},
            kind=kind,
            account=data.get("account") or "",
            onPath=highlighted,
        )
    for source, target, key, data in sorted(graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        if source not in nodes or target not in nodes or source == target and key == MEMBER_OF:
            continue
        edge_type = data.get("edge_type")
        highlighted = (source, target, key) in on_path_edges
        labels = []
        if edge_type == "can_pass":
            labels.append(f"pass to {str(data.get('service', '')).split('.')[0]}")
        if data.get("conditional"):
            labels.append(condition_label(_condition_keys(data)) or "conditional")
        if edge_type == MEMBER_OF:
            colour = "#b0b0b0"
        elif highlighted:
            colour = "#d62728"
        elif data.get("conditional"):
            colour = "#e69500"
        else:
            colour = "#555555"
        net.add_edge(
            source,
            target,
            id=f"{source}|{target}|{key}",
            title=_edge_tooltip(source, target, data) if edge_type != MEMBER_OF else f"{source}\n  member of {target}",
            label=" / ".join(labels),
            dashes=edge_type == "can_pass" or edge_type == MEMBER_OF,
            width=4 if highlighted else (0.5 if edge_type == MEMBER_OF else 1.5),
            color={"color": colour, "opacity": 0.2 if dim and not highlighted else 1.0},
            arrows="to",
            edgeType=edge_type,
            conditional=bool(data.get("conditional")),
            onPath=highlighted,
            font={"size": 10, "align": "middle"},
        )
    return net, colours, account_names


# -- the page ------------------------------------------------------------------------------

_OPTIONS = {
    "physics": {"solver": "barnesHut", "barnesHut": {"gravitationalConstant": -9000, "springLength": 150, "centralGravity": 0.9,
                                                     "avoidOverlap": 0.3},
                "stabilization": {"enabled": True, "iterations": 300, "updateInterval": 25}},
    "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False},
    "nodes": {"scaling": {"label": {"drawThreshold": 3}}},
    "edges": {"smooth": {"type": "dynamic"}},
}


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' can close it or start markup."""
    text = json.dumps(value, sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _asset(name: str) -> str:
    import pyvis

    base = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    return (base / name).read_text(encoding="utf-8")


def render_map(graph: nx.MultiDiGraph, snapshot: Snapshot, options: MapOptions = MapOptions(),
               result: PathAnswer | None = None) -> tuple[str, MapSummary]:
    """The HTML page and what it holds; raises :class:`MapTooLarge` over the node limit.

    ``result`` is a path answer to highlight (or, when not reachable, to explain in the side panel).
    """
    nodes = select_nodes(graph, options, result)
    if len(nodes) > options.max_nodes:
        raise MapTooLarge(
            f"the map would have {len(nodes)} nodes, over the limit of {options.max_nodes}: narrow it with "
            "--focus ARN --depth N or --account ID (repeatable), or raise --max-nodes"
        )
    net, colours, account_names = build_network(graph, snapshot, nodes, result)
    vis_nodes, vis_edges, *_ = net.get_network_data()
    kinds = sorted({n["kind"] for n in vis_nodes})
    data = {
        "nodes": vis_nodes,
        "edges": vis_edges,
        "options": _OPTIONS,
        "legend": {
            "kinds": [{"kind": k, "label": KIND_LABELS.get(k, k), "shape": SHAPES.get(k, "dot")} for k in kinds],
            "accounts": [{"account": a, "name": account_names.get(a, ""), "colour": c} for a, c in colours.items()],
        },
        "result": result.to_dict() if result is not None else None,
        "warnings": list(snapshot.warnings),
    }
    template = resources.files("graphiam.present").joinpath("templates/access_map.html").read_text(encoding="utf-8")
    page = fill_template(template, {
        "/*VIS_CSS*/": _asset("vis-network.css"),
        "/*VIS_JS*/": _asset("vis-network.min.js"),
        "{{TITLE}}": html.escape(_writable(options.title)),
        "{{DATA_JSON}}": _script_json(data),
    })
    return page, MapSummary(len(vis_nodes), len(vis_edges), result)


PLACEHOLDERS = ("{{DATA_JSON}}", "{{TITLE}}", "/*VIS_JS*/", "/*VIS_CSS*/")
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS))


def fill_template(template: str, values: dict[str, str]) -> str:
    """``template`` with each placeholder replaced by its value, in one pass over the template.

    A value is never searched for placeholders: a title, a tag or a ``--data``
    path that reads ``{{DATA_JSON}}`` or ``/*VIS_JS*/`` stays that text.
    """
    return _PLACEHOLDER.sub(lambda match: values[match.group()], template)


def _writable(text: str) -> str:
    """``text`` as UTF-8 can hold it: a lone surrogate (an undecodable byte of a path) shown escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def write_map(graph: nx.MultiDiGraph, snapshot: Snapshot, output: str | Path, options: MapOptions = MapOptions(),
              result: PathAnswer | None = None) -> MapSummary:
    """:func:`render_map`, written to ``output``."""
    page, summary = render_map(graph, snapshot, options, result)
    Path(output).write_text(page, encoding="utf-8", errors="backslashreplace")
    return summary


@dataclass(frozen=True)
class InlineMap:
    """A rendered access map: ``.html`` is the whole page; Jupyter shows it in a sandboxed iframe."""

    html: str
    nodes: int
    edges: int

    def save(self, path: str | os.PathLike[str]) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(self.html)

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
                f'style="width:100%;height:640px;border:1px solid #ddd" title="graphiam access map"></iframe>')
