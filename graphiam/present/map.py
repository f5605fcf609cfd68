"""Interactive access maps: one self-contained HTML file (vis-network through pyvis), no network needed.

The map is drawn from the access graph as it is; nothing is decided here.
:func:`map_view` chooses the nodes of a view and how each node and edge looks
(shape, account colour, label, tooltip, the path highlighted, the denied direct
request of a missing path drawn as a red dashed edge); the interactive page
(:func:`render_map`) and the static picture (:mod:`.static_map`) both draw
that one view. pyvis holds the nodes, edges and options and ships
vis-network, whose JavaScript and the part of its CSS a map uses are inlined
into our own template (``templates/access_map.html``): pyvis' template links
Bootstrap from a CDN even with ``cdn_resources="in_line"``, which breaks
offline use.

A diff view (:func:`diff_map_view`, :func:`render_diff_map`; ``graphiam.diff(old,
new).map()``) draws the new graph around a change between two snapshots: added
edges green and thick, the older hops of an opened path green, changed edges
blue, removed edges dashed grey from the old graph, the rest dimmed; a small
script of its own (:data:`DIFF_SCRIPT`) adds the legend's entries for them and
a panel with the opened and closed paths.

Colours: every account has one colour, :func:`account_colour`, a function of
its id alone, so it is the same in every map and notebook whatever else the
view holds.

Safety: every string from a snapshot reaches the page only as JSON inside a
``<script type="application/json">`` block (with ``<``, ``>`` and ``&``
escaped) and is put on the page by the browser's ``textContent``, never as
HTML, so names, tags, policy text and condition values cannot run scripts.
The template's placeholders are filled in one pass (:func:`fill_template`), so
a value that holds a placeholder's text is never filled in again.
"""

from __future__ import annotations

import colorsys
import hashlib
import html
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import networkx as nx

from ..graph.schema import CAN_ASSUME, CAN_ESCALATE, CAN_PASS, MEMBER_OF
from ..queries.answer import PathAnswer
from ..queries.diff import GraphDiff, ReachChange
from ..queries.paths import reach, who_can
from ..queries.resolve import UnknownPrincipalError, resolve
from ..snapshot.model import Snapshot
from ..snapshot.names import account_of
from .files import write_atomically
from .text import condition_label, terminal_safe

DEFAULT_MAX_NODES = 1500
NEIGHBOURS_WHEN_UNREACHABLE = 25
ACCOUNTS_LISTED = 12  # in the message of an unknown --account

SHAPES = {"user": "dot", "group": "square", "role": "diamond", "service": "triangle", "federated": "star",
          "account": "hexagon", "external_principal": "hexagon", "anyone": "hexagon"}
KIND_LABELS = {"user": "user", "group": "group", "role": "role", "service": "AWS service", "federated": "identity provider",
               "account": "account outside the snapshot", "external_principal": "principal outside the snapshot",
               "anyone": "any AWS principal (world-assumable)"}
# kept for callers that want a fixed palette; accounts are coloured by :func:`account_colour`
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
           "#bab0ac", "#2f4b7c", "#a05195", "#d45087", "#665191", "#ff7c43", "#003f5c")
NEUTRAL = "#8a8f98"  # nodes of no account: services, "any AWS principal"
PATH_RED = "#d62728"  # the path asked for, and the denied direct request of a missing one
CONDITIONAL_ORANGE = "#e69500"
PLAIN_GREY = "#555555"
MEMBER_GREY = "#b0b0b0"
TECHNIQUE_PURPLE = "#7b3fb5"  # an escalation technique's edge
TECHNIQUE = CAN_ESCALATE  # the edge type of an escalation technique's edge
DENIED = "denied"  # the key and edge type of the drawn, denied direct request
LABEL_WIDTH = 24  # a node label's lines longer than this are shortened in the middle (the tooltip has the ARN)
LABEL_WRAP = 18  # a node label longer than this is cut in two lines where its name breaks
LAYER_LABELS = {"identity": "identity", "permissions_boundary": "boundary", "scp": "SCP", "rcp": "RCP", "trust": "trust"}


class MapTooLarge(ValueError):
    """The selected view has more nodes than the limit: the message says how to narrow it."""


class MapSelectionError(ValueError):
    """The view names what the snapshot does not hold: an account not in it, or a focus that is no node.

    The message is one line and lists what there is (the command line turns it into exit code 2).
    """


@dataclass(frozen=True)
class MapOptions:
    """Which part of the graph a map shows (the path to highlight is given to :func:`render_map` as its answer)."""

    focus: str | None = None  # a node; with depth, its neighbourhood in either direction
    depth: int = 2
    accounts: tuple[str, ...] = ()
    max_nodes: int = DEFAULT_MAX_NODES
    title: str = "graphiam access map"
    # draw escalation-technique edges (purple, dotted, labelled with the technique id); a path answered with
    # escalation draws the technique hops on its path either way
    escalation: bool = False


@dataclass(frozen=True)
class MapSummary:
    nodes: int
    edges: int
    path: PathAnswer | None


# -- colours ---------------------------------------------------------------------------------

_COLOUR_SALT = b"graphiam account colour 29:"
_LIGHTNESS = (0.38, 0.48, 0.58)
_SATURATION = (0.55, 0.72)


@lru_cache(maxsize=4096)
def account_colour(account_id: str) -> str:
    """The colour of ``account_id`` in every map: ``#rrggbb``, a function of the id alone.

    A SHA-256 of the id picks the hue (any of 65,536 around the circle), the
    lightness (three steps) and the saturation (two), so the colour does not
    depend on which other accounts a view holds or on their order. Two
    accounts can still get similar colours (no colour taken from the id alone
    can rule that out); the legend and every tooltip name the account. The
    constant prefix of the hash is the one of the first 64 candidates that
    keeps the bundled sample's eight accounts furthest apart in CIELAB.
    """
    digest = hashlib.sha256(_COLOUR_SALT + account_id.encode("utf-8", "surrogatepass")).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536
    lightness = _LIGHTNESS[digest[2] % len(_LIGHTNESS)]
    saturation = _SATURATION[digest[3] % len(_SATURATION)]
    red, green, blue = colorsys.hls_to_rgb(hue, lightness, saturation)
    return "#{:02x}{:02x}{:02x}".format(*(round(channel * 255) for channel in (red, green, blue)))


def node_colour(data: dict) -> str:
    """A node's fill: its account's colour, or :data:`NEUTRAL` for what belongs to no account."""
    account = data.get("account")
    return account_colour(account) if account else NEUTRAL


# -- labels ---------------------------------------------------------------------------------------

def denied_label(result: PathAnswer) -> str:
    """The label of a missing path's denied direct request: the layers that block it (``denied: trust``)."""
    layers: list[str] = []
    for blocker in result.blockers:
        name = LAYER_LABELS.get(str(blocker.layer), str(blocker.layer))
        if blocker.effect == "explicit_deny":
            name += " (explicit deny)"
        if name not in layers:
            layers.append(name)
    prefix = f"pass to {_service_short(result.service)} " if result.service else ""
    return prefix + ("denied: " + ", ".join(layers) if layers else "no path")


def _service_short(service: str | None) -> str:
    return str(service or "").split(".")[0]


def _short(text: str, width: int = LABEL_WIDTH) -> str:
    if len(text) <= width:
        return text
    keep = width - 1
    return text[: keep // 2] + "\u2026" + text[len(text) - (keep - keep // 2):]


_BREAKS = re.compile(r"(?<=[-_./:@+=,])|(?<=[a-z0-9])(?=[A-Z])")


def node_label(name: str) -> str:
    """A node's label: its name, in two lines where the name breaks (``OrganizationAccount`` /
    ``AccessRole``) when it is long, each line at most :data:`LABEL_WIDTH` characters."""
    name = " ".join(name.split()) or "?"  # a label shows no control characters or runs of blanks
    if len(name) <= LABEL_WRAP:
        return name
    cuts = [m.start() for m in _BREAKS.finditer(name) if 0 < m.start() < len(name)]
    if not cuts:
        return _short(name)
    cut = min(cuts, key=lambda at: abs(at - len(name) / 2))
    return _short(name[:cut]) + "\n" + _short(name[cut:])


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


def known_accounts(graph: nx.MultiDiGraph, snapshot: Snapshot | None = None) -> list[str]:
    """The accounts a view can be narrowed to: the snapshot's, and those of the graph's nodes (outside accounts)."""
    accounts = set(snapshot.accounts) if snapshot is not None else set()
    accounts |= {d["account"] for _, d in graph.nodes(data=True) if d.get("account")}
    return sorted(accounts)


def _account_names(snapshot: Snapshot | None) -> dict[str, str]:
    org = snapshot.organization if snapshot is not None else None
    return dict(org.names) if org else {}


def _check_accounts(graph: nx.MultiDiGraph, snapshot: Snapshot | None, wanted: Iterable[str]) -> None:
    known = known_accounts(graph, snapshot)
    missing = [a for a in dict.fromkeys(wanted) if a not in set(known)]
    if not missing:
        return
    names = _account_names(snapshot)
    listed = [a + (f" ({names[a]})" if names.get(a) and names[a] != a else "") for a in known[:ACCOUNTS_LISTED]]
    if len(known) > ACCOUNTS_LISTED:
        listed.append(f"and {len(known) - ACCOUNTS_LISTED} more")
    what = "account" if len(missing) == 1 else "accounts"
    message = (f"no {what} {', '.join(missing)} in the snapshot; accounts: "
               + (", ".join(listed) if listed else "none"))
    raise MapSelectionError(terminal_safe(message, one_line=True))


def _focus_node(graph: nx.MultiDiGraph, focus: str) -> str:
    try:
        return resolve(graph, focus)
    except UnknownPrincipalError as error:
        raise MapSelectionError(terminal_safe(f"focus {error}", one_line=True)) from None


@dataclass(frozen=True)
class _Around:
    """For a missing path: the roles the source reaches and what reaches the target (closest first)."""

    reached: tuple[str, ...] = ()
    reaching: tuple[str, ...] = ()


def _around(graph: nx.MultiDiGraph, result: PathAnswer | None) -> _Around:
    if result is None or result.reachable:
        return _Around()
    reached = tuple(r.arn for r in reach(graph, result.source)) if result.source in graph else ()
    reaching = tuple(r.arn for r in who_can(graph, result.target)) if result.target in graph else ()
    return _Around(reached, reaching)


def select_nodes(graph: nx.MultiDiGraph, options: MapOptions, result: PathAnswer | None,
                 snapshot: Snapshot | None = None) -> set[str]:
    """The nodes of the view; raises :class:`MapSelectionError` for an unknown account or focus."""
    return _select(graph, options, result, snapshot, _around(graph, result))


def _select(graph: nx.MultiDiGraph, options: MapOptions, result: PathAnswer | None, snapshot: Snapshot | None,
            around: _Around) -> set[str]:
    if options.accounts:
        _check_accounts(graph, snapshot, options.accounts)
    centre = _focus_node(graph, options.focus) if options.focus is not None else None
    nodes = {n for n, d in graph.nodes(data=True) if not (d.get("kind") == "account" and not d.get("external"))}
    if options.accounts:
        wanted = set(options.accounts)
        nodes = _with_outside_neighbours(graph, {n for n in nodes if graph.nodes[n].get("account") in wanted})
    if centre is not None:
        around_centre = nx.ego_graph(graph.to_undirected(as_view=True), centre, radius=options.depth)
        nodes = (nodes & set(around_centre.nodes)) | {centre}
    if result is not None:
        nodes |= {result.source, result.target}
        nodes |= {hop.target for hop in result.path} | {hop.source for hop in result.path}
        # the closest the source gets, and what does reach the target
        nodes |= set(around.reached[:NEIGHBOURS_WHEN_UNREACHABLE]) | set(around.reaching[:NEIGHBOURS_WHEN_UNREACHABLE])
    return nodes


# -- the view: every node and edge as it is drawn ------------------------------------------------------

@dataclass(frozen=True)
class ViewNode:
    id: str
    label: str
    kind: str
    account: str
    colour: str
    tooltip: str
    highlighted: bool  # on the path asked for, or an end of it
    dimmed: bool  # outside what a path view is about
    centre: bool = False  # the node a --focus view is drawn around
    name: str = ""  # the whole name (the label may be shortened)
    change: str = ""  # in a diff view: "added" (only in the new snapshot), "removed" (only in the old one), or ""


@dataclass(frozen=True)
class ViewEdge:
    id: str
    source: str
    target: str
    key: str
    edge_type: str  # can_assume, can_pass, member_of, or "denied": a missing path's direct request
    label: str
    tooltip: str
    colour: str
    dashed: bool
    width: float
    highlighted: bool
    dimmed: bool
    conditional: bool
    parallel: int = 0  # its place among the edges between the same two nodes (0: the only one or the first)
    siblings: int = 1  # how many edges join the same two nodes, either way
    # in a diff view (:func:`diff_map_view`): "added", "removed", "changed", "opened" (an edge that was there
    # before, on a path the change opens), or "" (unchanged, or not a diff view)
    change: str = ""


@dataclass(frozen=True)
class MapView:
    """What a map draws: its nodes and edges in a fixed order, the accounts' legend, the answer (if any)."""

    nodes: tuple[ViewNode, ...]
    edges: tuple[ViewEdge, ...]
    accounts: tuple[tuple[str, str, str], ...]  # (account id, name or "", colour), sorted by id
    kinds: tuple[str, ...]
    result: PathAnswer | None = None
    warnings: tuple[str, ...] = field(default=())
    # a diff view's own part of the page: the change kinds its legend explains, and the panel's summary
    changes: tuple[str, ...] = ()
    diff: dict | None = None

    @property
    def denied_edge(self) -> ViewEdge | None:
        return next((e for e in self.edges if e.edge_type == DENIED), None)


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


def _tooltip(lines: Iterable[str]) -> str:
    """A tooltip's lines, one per line: a newline inside a value (a tag, a Sid) is shown as ``\\n``, as the
    command line shows it, so a value cannot forge a line of the tooltip."""
    return "\n".join(terminal_safe(line, one_line=True) for line in lines)


def _node_tooltip(snapshot: Snapshot, node: str, data: dict, account_names: dict[str, str]) -> str:
    account = data.get("account")
    lines = [node, f"kind: {KIND_LABELS.get(data.get('kind', ''), data.get('kind', ''))}"]
    if account:
        name = account_names.get(account)
        lines.append(f"account: {account}" + (f" ({name})" if name and name != account else ""))
    lines += [f"tag {k} = {v}" for k, v in sorted(data.get("tags", {}).items())]
    lines += _policies_text(snapshot, node)
    return _tooltip(lines)


def _edge_tooltip(source: str, target: str, data: dict, subject: str | None = None) -> str:
    lines = [source, f"  -> {target}", f"{data.get('action')}" + (f" to {data['service']}" if data.get("service") else "")]
    if subject:
        lines.append(f"lets in: {subject}")
    for evidence in data.get("granted_by", []):
        sid = evidence.get("sid") or f"#{evidence.get('statement')}"
        lines.append(f"granted by {evidence['layer']}: {evidence['policy']} statement {sid}")
    for requirement in data.get("conditions", []):
        lines.append(f"only if {requirement['text']}")
    for item in data.get("depends_on", []):
        lines.append(f"depends on {item}")
    return _tooltip(lines)


def _denied_tooltip(result: PathAnswer) -> str:
    what = result.action + (f" to {result.service}" if result.service else "")
    lines = [result.source, f"  -> {result.target}", f"{what}: NOT REACHABLE; the direct request is denied"]
    for blocker in result.blockers:
        lines.append(f"[{blocker.layer}, {blocker.effect.replace('_', ' ')}] {blocker.message}")
    return _tooltip(lines)


def _outside_node(arn: str) -> dict:
    """A path's SOURCE that is not a node: a principal of an account outside the snapshot."""
    return {"kind": "external_principal", "account": account_of(arn) or "", "name": arn.rsplit("/", 1)[-1] or arn}


class _ProviderSubjects:
    """Who an identity provider's edge lets in, in words ("acme/app on refs/heads/main"), asked of the engine
    once per edge drawn (graphiam.policy.federation)."""

    def __init__(self, graph: nx.MultiDiGraph, snapshot: Snapshot) -> None:
        self.graph = graph
        self.snapshot = snapshot
        self._engine = None

    def get(self, source: str, target: str) -> str | None:
        if self.graph.nodes.get(source, {}).get("kind") != "federated":
            return None
        role = self.snapshot.role(target)
        if role is None:
            return None
        from ..policy import PolicyEngine
        from ..policy.federation import decision_subjects

        if self._engine is None:
            self._engine = PolicyEngine(self.snapshot)
        subjects = decision_subjects(source, self._engine.decide_federated(source, role))
        return " or ".join(dict.fromkeys(s.text for s in subjects)) or None


def _hop_key(hop) -> str:
    """The graph edge a path hop walked: a technique's, a pass, or an assume."""
    if hop.technique is not None:
        return CAN_ESCALATE
    return f"{CAN_PASS}:{hop.service}" if hop.action == "iam:PassRole" else CAN_ASSUME


def map_view(graph: nx.MultiDiGraph, snapshot: Snapshot, options: MapOptions = MapOptions(),
             result: PathAnswer | None = None) -> MapView:
    """The view ``options`` select, as it is drawn; raises :class:`MapTooLarge` or :class:`MapSelectionError`.

    With a reachable ``result`` its path is highlighted and everything else
    dimmed. With an unreachable one, the denied direct request is an extra
    edge (``edge_type == "denied"``, red, dashed, labelled with the blocking
    layers), and the source, the target, the roles the source reaches and what
    reaches the target stay in full colour, so the gap shows.
    """
    around = _around(graph, result)
    nodes = _select(graph, options, result, snapshot, around)
    _check_size(nodes, options)
    return _draw(graph, snapshot, nodes, options, result, around)


def _check_size(nodes: set[str], options: MapOptions) -> None:
    if len(nodes) > options.max_nodes:
        raise MapTooLarge(
            f"the map would have {len(nodes)} nodes, over the limit of {options.max_nodes}: narrow it with "
            "--focus ARN --depth N or --account ID (repeatable), or raise --max-nodes"
        )


def _draw(graph: nx.MultiDiGraph, snapshot: Snapshot, nodes: set[str], options: MapOptions,
          result: PathAnswer | None, around: _Around) -> MapView:
    """Every chosen node and every edge between them, as drawn (see :func:`map_view`)."""
    account_names = _account_names(snapshot)
    centre = _focus_node(graph, options.focus) if options.focus is not None else None
    on_path_nodes = {result.source, result.target} if result is not None else set()
    on_path_edges: set[tuple[str, str, str]] = set()
    if result is not None:
        for hop in result.path:
            on_path_nodes |= {hop.source, hop.target}
            on_path_edges.add((hop.source, hop.target, _hop_key(hop)))
    if result is None:
        bright = set(nodes)
    elif result.reachable:
        bright = on_path_nodes
    else:
        bright = on_path_nodes | set(around.reached) | set(around.reaching)

    view_nodes = []
    for node in sorted(nodes):
        data = graph.nodes[node] if node in graph else _outside_node(node)
        kind = data.get("kind", "")
        view_nodes.append(ViewNode(
            id=node,
            label=node_label(str(data.get("name") or node)),
            name=str(data.get("name") or node),
            kind=kind,
            account=data.get("account") or "",
            colour=node_colour(data),
            tooltip=_node_tooltip(snapshot, node, data, account_names),
            highlighted=node in on_path_nodes,
            dimmed=node not in bright,
            centre=node == centre,
        ))

    subjects = _ProviderSubjects(graph, snapshot)
    raw_edges = []
    for source, target, key, data in sorted(graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        if source not in nodes or target not in nodes or source == target and key == MEMBER_OF:
            continue
        edge_type = data.get("edge_type") or key.split(":")[0]
        highlighted = (source, target, key) in on_path_edges
        if edge_type == TECHNIQUE and not (options.escalation or highlighted):
            continue
        labels = []
        if edge_type == "can_pass":
            labels.append(f"pass to {_service_short(data.get('service'))}")
        if edge_type == TECHNIQUE:
            more = len(data.get("techniques", ())) - 1
            labels.append(str(data["technique"]["id"]) + (f" +{more}" if more > 0 else ""))
        subject = subjects.get(source, target) if edge_type == CAN_ASSUME else None
        if subject:  # a provider's edge: who its trust lets in, in words
            labels.append(subject)
        elif data.get("conditional"):
            labels.append(condition_label(_condition_keys(data)) or "conditional")
        if edge_type == MEMBER_OF:
            colour = MEMBER_GREY
        elif edge_type == TECHNIQUE and not highlighted:
            colour = TECHNIQUE_PURPLE
        elif highlighted:
            colour = PATH_RED
        elif data.get("conditional"):
            colour = CONDITIONAL_ORANGE
        else:
            colour = PLAIN_GREY
        if result is None:
            dimmed = False
        elif result.reachable:
            dimmed = not highlighted
        else:
            dimmed = source not in bright or target not in bright
        raw_edges.append(dict(
            id=f"{source}|{target}|{key}", source=source, target=target, key=key, edge_type=edge_type,
            label=" / ".join(labels),
            tooltip=(_edge_tooltip(source, target, data, subject) if edge_type != MEMBER_OF
                     else _tooltip([source, f"  member of {target}"])),
            colour=colour, dashed=edge_type in ("can_pass", MEMBER_OF, TECHNIQUE),
            width=4.0 if highlighted else (0.5 if edge_type == MEMBER_OF else 1.5),
            highlighted=highlighted, dimmed=dimmed, conditional=bool(data.get("conditional")),
        ))
    drawn = {(e["source"], e["target"], e["key"]) for e in raw_edges}
    for hop in result.path if result is not None else ():
        key = _hop_key(hop)
        if (hop.source, hop.target, key) in drawn or hop.source not in nodes or hop.target not in nodes:
            continue  # drawn above; what is not a graph edge is the first hop of a caller outside the snapshot
        raw_edges.append(dict(
            id=f"{hop.source}|{hop.target}|{key}", source=hop.source, target=hop.target, key=key,
            edge_type=key.split(":")[0],
            label=hop.technique["id"] if hop.technique else condition_label(c["key"] for r in hop.conditions
                                                                            for c in r["conditions"]),
            tooltip=_edge_tooltip(hop.source, hop.target, {"action": hop.action, "service": hop.service,
                                                           "granted_by": hop.granted_by, "conditions": hop.conditions,
                                                           "depends_on": hop.depends_on}),
            colour=PATH_RED, dashed=hop.action == "iam:PassRole", width=4.0, highlighted=True, dimmed=False,
            conditional=hop.conditional,
        ))
    if result is not None and not result.reachable and result.source in nodes and result.target in nodes:
        raw_edges.append(dict(
            id=f"{result.source}|{result.target}|{DENIED}", source=result.source, target=result.target, key=DENIED,
            edge_type=DENIED, label=denied_label(result), tooltip=_denied_tooltip(result), colour=PATH_RED,
            dashed=True, width=3.0, highlighted=False, dimmed=False, conditional=False,
        ))
    # edges joining the same two nodes (either way) are drawn apart: each gets its place among them
    between: dict[frozenset, list[dict]] = defaultdict(list)
    for edge in raw_edges:
        between[frozenset((edge["source"], edge["target"]))].append(edge)
    view_edges = []
    for edge in raw_edges:
        group = between[frozenset((edge["source"], edge["target"]))]
        same_way = [e for e in group if e["source"] == edge["source"]]
        view_edges.append(ViewEdge(**edge, parallel=same_way.index(edge), siblings=len(group)))

    accounts = sorted({n.account for n in view_nodes if n.account})
    return MapView(
        nodes=tuple(view_nodes),
        edges=tuple(view_edges),
        accounts=tuple((a, account_names.get(a, ""), account_colour(a)) for a in accounts),
        kinds=tuple(sorted({n.kind for n in view_nodes})),
        result=result,
        warnings=tuple(snapshot.warnings),
    )


# -- the interactive page ------------------------------------------------------------------------

EDGE_FONT = {"size": 16, "face": "system-ui, sans-serif", "color": "#2b2b2b", "strokeWidth": 5, "strokeColor": "#ffffff",
             "align": "horizontal"}
DIMMED_EDGE_FONT = {**EDGE_FONT, "color": "#b5b5b5"}
DENIED_EDGE_FONT = {**EDGE_FONT, "size": 18, "color": PATH_RED, "bold": {"color": PATH_RED}}


def _smooth(edge: ViewEdge) -> dict | None:
    """Edges sharing their two nodes curve apart (opposite ways are told apart by the direction)."""
    if edge.siblings < 2:
        return None
    return {"enabled": True, "type": "curvedCW", "roundness": 0.18 + 0.22 * edge.parallel}


def build_network(view: MapView):
    """A pyvis Network of the view's nodes and edges."""
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="in_line", height="100%", width="100%")
    for node in view.nodes:
        faded = node.dimmed
        net.add_node(
            node.id,
            label=node.label,
            title=node.tooltip,
            shape=SHAPES.get(node.kind, "dot"),
            color={"background": node.colour, "border": "#222222" if node.highlighted or node.centre else node.colour},
            opacity=0.25 if faded else 1.0,
            borderWidth=4 if node.highlighted or node.centre else 1,
            size=24 if node.highlighted or node.centre else 16,
            font={"size": 20 if node.highlighted else 17, "color": "#999999" if faded else "#111111",
                  "strokeWidth": 4, "strokeColor": "#ffffff"},
            kind=node.kind,
            name=node.name,
            account=node.account,
            onPath=node.highlighted,
            dimmed=node.dimmed,
            **({"change": node.change} if node.change else {}),
        )
    for edge in view.edges:
        options: dict[str, Any] = {}
        smooth = _smooth(edge)
        if smooth is not None:
            options["smooth"] = smooth
        if edge.edge_type == DENIED:
            options["length"] = 300  # the gap asked about, with room for its label
        elif edge.label:
            options["length"] = 230  # room for the label between the two nodes
        if edge.edge_type == DENIED:
            font = DENIED_EDGE_FONT
        else:
            font = DIMMED_EDGE_FONT if edge.dimmed else EDGE_FONT
        net.add_edge(
            edge.source,
            edge.target,
            id=edge.id,
            title=edge.tooltip,
            label=edge.label,
            dashes=[10, 7] if edge.edge_type == DENIED else [2, 5] if edge.edge_type == TECHNIQUE else edge.dashed,
            width=edge.width,
            color={"color": edge.colour, "opacity": 0.2 if edge.dimmed else 1.0},
            arrows="to",
            edgeType=edge.edge_type,
            conditional=edge.conditional,
            onPath=edge.highlighted,
            denied=edge.edge_type == DENIED,
            font=font,
            **({"change": edge.change} if edge.change else {}),
            **options,
        )
    return net


_OPTIONS = {
    # ForceAtlas2 spreads the hubs of an organization (a world-assumable role, the identity account's
    # users) over the canvas instead of packing them in its middle; the layout settles, then physics stops
    "physics": {"solver": "forceAtlas2Based",
                "forceAtlas2Based": {"gravitationalConstant": -120, "springLength": 120, "springConstant": 0.06,
                                     "centralGravity": 0.02, "damping": 0.5, "avoidOverlap": 0.6},
                "stabilization": {"enabled": True, "iterations": 600, "updateInterval": 25}},
    "layout": {"randomSeed": 12, "improvedLayout": True},  # the same snapshot gives the same picture
    "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False},
    "nodes": {"scaling": {"label": {"drawThreshold": 5}}},
    "edges": {"smooth": {"type": "continuous"}, "selectionWidth": 2, "scaling": {"label": {"drawThreshold": 6}}},
}


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' can close it or start markup."""
    text = json.dumps(value, sort_keys=True)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _vis_file(name: str) -> str:
    import pyvis

    base = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
    return (base / name).read_text(encoding="utf-8")


def _asset(name: str) -> str:
    """vis-network's file ``name`` (shipped by pyvis) as a map inlines it: its CSS cut to :func:`vis_css`."""
    return vis_css() if name == "vis-network.css" else _vis_file(name)


# vis-network's stylesheet is mostly the images of controls a map turns off (the navigation and
# manipulation buttons, the configurator, the colour picker): 200 of its 220 KB, in every map and
# in every notebook cell that shows one. Only the rules a map can use are inlined.
_UNUSED_CSS = re.compile(r"vis-(?:navigation|manipulation|button|edit-mode|close|configuration|config-|color-picker|"
                         r"new-color|initial-color|label|separator|arrow|range|opacity|overlay|active)")
_CSS_RULE = re.compile(r"[^{}]+\{[^{}]*\}")


@lru_cache(maxsize=1)
def vis_css() -> str:
    """The rules of vis-network's CSS an access map needs (the tooltip, the network's own box)."""
    kept = [rule for rule in _CSS_RULE.findall(_vis_file("vis-network.css")) if not _UNUSED_CSS.search(rule.split("{")[0])]
    return "".join(kept)


def page_data(view: MapView) -> dict:
    """The JSON the page's script reads: vis-network's nodes, edges and options, the legend, the answer."""
    net = build_network(view)
    vis_nodes, vis_edges, *_ = net.get_network_data()
    data = {
        "nodes": vis_nodes,
        "edges": vis_edges,
        "options": _OPTIONS,
        "legend": {
            "kinds": [{"kind": k, "label": KIND_LABELS.get(k, k), "shape": SHAPES.get(k, "dot")} for k in view.kinds],
            "accounts": [{"account": a, "name": name, "colour": colour} for a, name, colour in view.accounts],
            "denied": view.denied_edge is not None,
            "technique": any(e.edge_type == TECHNIQUE for e in view.edges),
        },
        "result": view.result.to_dict() if view.result is not None else None,
        "warnings": list(view.warnings),
    }
    if view.diff is not None:  # a diff view (the keys are absent from every other map)
        data["legend"]["changes"] = [{"kind": kind, "label": CHANGE_LABELS[kind], "style": CHANGE_STYLES[kind]}
                                     for kind in view.changes]
        data["diff"] = view.diff
    return data


def render_map(graph: nx.MultiDiGraph, snapshot: Snapshot, options: MapOptions = MapOptions(),
               result: PathAnswer | None = None) -> tuple[str, MapSummary]:
    """The HTML page and what it holds.

    Raises :class:`MapTooLarge` over the node limit and :class:`MapSelectionError` for an account or
    focus the snapshot does not hold. ``result`` is a path answer to highlight (or, when not reachable,
    to draw as a denied edge and explain in the side panel).
    """
    view = map_view(graph, snapshot, options, result)
    data = page_data(view)
    return _page(data, options.title), MapSummary(len(data["nodes"]), len(data["edges"]), result)


def _page(data: dict, title: str, script: str = "") -> str:
    """The page of ``data``: our template filled in; ``script`` (our own code, never snapshot text) is added
    after the template's script, which has drawn the map and the legend by then."""
    template = resources.files("graphiam.present").joinpath("templates/access_map.html").read_text(encoding="utf-8")
    if script:
        if template.count("</body>") != 1:
            raise RuntimeError("the map template must end its body once")
        template = template.replace("</body>", script + "\n</body>")
    return fill_template(template, {
        "/*VIS_CSS*/": _asset("vis-network.css"),
        "/*VIS_JS*/": _asset("vis-network.min.js"),
        "{{TITLE}}": html.escape(_writable(title)),
        "{{DATA_JSON}}": _script_json(data),
    })


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
    """:func:`render_map`, written to ``output`` whole or not at all (:func:`.files.write_atomically`)."""
    page, summary = render_map(graph, snapshot, options, result)
    write_atomically(output, page, errors="backslashreplace")
    return summary


# -- a change between two snapshots: the diff view -------------------------------------------------------------

ADDED_GREEN = "#2ca02c"  # an edge the change added (thick), and the older hops of a path it opens (thinner)
REMOVED_GREY = "#9a9a9a"  # an edge the change removed, drawn dashed from the old snapshot
CHANGED_BLUE = "#1f77b4"  # an edge whose decision changed (conditions, granting statements)
CHANGE_KINDS = ("added", "opened", "removed", "changed")
CHANGE_LABELS = {
    "added": "added by the change",
    "opened": "was there before, on a path the change opens",
    "removed": "removed by the change (drawn from the old snapshot)",
    "changed": "changed: its conditions or granting statements (see its tooltip)",
}
# how the legend draws each kind's line (CSS of a 26px line; the page's own markup, never snapshot text)
CHANGE_STYLES = {
    "added": f"border-top: 5px solid {ADDED_GREEN}",
    "opened": f"border-top: 3px solid {ADDED_GREEN}",
    "removed": f"border-top: 3px dashed {REMOVED_GREY}",
    "changed": f"border-top: 3px solid {CHANGED_BLUE}",
}
_CHANGE_WIDTHS = {"added": 5.0, "opened": 3.0, "removed": 2.5, "changed": 3.5}
_CHANGE_COLOURS = {"added": ADDED_GREEN, "opened": ADDED_GREEN, "removed": REMOVED_GREY, "changed": CHANGED_BLUE}
_CHANGE_TIPS = {"added": "ADDED by the change", "opened": "on a path the change opens (the edge was there before)",
                "removed": "REMOVED by the change (as the old snapshot had it)", "changed": "CHANGED"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def diff_counts_text(diff: GraphDiff) -> str:
    """The change in one line: ``3 edges added, 1 removed, 2 paths opened to sensitive targets`` (a changed
    edge and a closed path are counted when there are any)."""
    summary = diff.to_dict()["summary"]
    parts = [f"{_plural(summary['edges_added'], 'edge')} added", f"{summary['edges_removed']} removed"]
    if summary["edges_changed"]:
        parts.append(f"{summary['edges_changed']} changed")
    parts.append(f"{_plural(summary['reach_added'], 'path')} opened" + (" to sensitive targets" if diff.sensitive else ""))
    if summary["reach_removed"]:
        parts.append(f"{summary['reach_removed']} closed")
    return ", ".join(parts)


def _chain_nodes(change: ReachChange) -> list[str]:
    return [change.source] + [hop.target for hop in change.path]


def _neighbourhood(graph: nx.MultiDiGraph, seeds: Iterable[str], depth: int, escalation: bool) -> set[str]:
    """``seeds`` and every node within ``depth`` edges of one (either direction; technique edges only with
    ``escalation``)."""
    seen = {seed for seed in seeds if seed in graph}
    frontier = list(seen)
    for _ in range(max(0, depth)):
        following = []
        for node in frontier:
            for adjacent in (graph.succ[node], graph.pred[node]):
                for neighbour, keys in adjacent.items():
                    if neighbour not in seen and (escalation or any(key != CAN_ESCALATE for key in keys)):
                        seen.add(neighbour)
                        following.append(neighbour)
        frontier = following
    return seen


def diff_map_view(old_graph: nx.MultiDiGraph, new_graph: nx.MultiDiGraph, snapshot: Snapshot, diff: GraphDiff,
                  options: MapOptions = MapOptions(depth=1)) -> MapView:
    """The part of the NEW graph a change touches, as drawn; ``snapshot`` is the new snapshot.

    The view holds the nodes of the paths the change opens or closes and the
    ends of every edge it adds, removes or changes, with their neighbourhood
    (``options.depth`` edges, either way; ``options.accounts`` and
    ``options.focus`` narrow the neighbourhood, never the change itself).
    Added edges are green and thick, the older hops of an opened path green
    and thinner, edges whose decision changed blue; removed edges are taken
    from ``old_graph`` and drawn grey and dashed (a node only the old graph
    has is drawn faded). The rest is context, dimmed. Technique edges the
    change touches are drawn; the others only with ``options.escalation``.
    Raises :class:`MapTooLarge` over ``options.max_nodes``.
    """
    kind_of: dict[tuple[str, str, str], str] = {}
    for change in diff.edges:
        kind_of[(change.source, change.target, change.key)] = change.kind
    for change in diff.opened:
        for hop in change.path:
            kind_of.setdefault((hop.source, hop.target, _hop_key(hop)), "opened")
    what = {(c.source, c.target, c.key): c.what for c in diff.edges}
    seeds = {end for source, target, _ in kind_of for end in (source, target)}
    seeds |= {node for change in diff.reach for node in _chain_nodes(change)}

    context = _neighbourhood(new_graph, seeds, options.depth, options.escalation)
    if options.accounts or options.focus is not None:
        context &= _select(new_graph, options, None, snapshot, _Around())
    else:  # as every map: the snapshot's own accounts are no nodes of their own
        context = {n for n in context
                   if not (new_graph.nodes[n].get("kind") == "account" and not new_graph.nodes[n].get("external"))}
    nodes = context | seeds
    if len(nodes) > options.max_nodes:
        raise MapTooLarge(f"the diff map would have {len(nodes)} nodes, over the limit of {options.max_nodes}: "
                          "narrow it with depth=0 or accounts=[...], or raise max_nodes")

    # the drawn graph: the new graph's nodes and edges among them, and the removed edges (and nodes) of the old
    drawn = nx.MultiDiGraph()
    for node in sorted(nodes):
        data = new_graph.nodes[node] if node in new_graph else old_graph.nodes.get(node) or _outside_node(node)
        drawn.add_node(node, **data)
    for source, target, key, data in new_graph.edges(sorted(nodes), keys=True, data=True):
        if target in nodes and (key != CAN_ESCALATE or options.escalation or (source, target, key) in kind_of):
            drawn.add_edge(source, target, key=key, **data)
    for change in diff.edges:
        if change.kind == "removed" and old_graph.has_edge(change.source, change.target, change.key):
            drawn.add_edge(change.source, change.target, key=change.key,
                           **old_graph.edges[change.source, change.target, change.key])
    view = _draw(drawn, snapshot, nodes, replace(options, escalation=True), None, _Around())

    notes = {"added": "added: only in the new snapshot", "removed": "removed: only in the old snapshot"}
    view_nodes = []
    for node in view.nodes:
        change = "added" if node.id not in old_graph else "removed" if node.id not in new_graph else ""
        view_nodes.append(replace(
            node, highlighted=node.id in seeds and change != "removed", dimmed=node.id not in seeds or change == "removed",
            change=change, tooltip=node.tooltip + ("\n" + notes[change] if change else "")))
    view_edges = []
    for edge in view.edges:
        change = kind_of.get((edge.source, edge.target, edge.key), "")
        if edge.edge_type == MEMBER_OF or not change:
            view_edges.append(replace(edge, dimmed=edge.edge_type != MEMBER_OF or edge.source not in seeds))
            continue
        first = _CHANGE_TIPS[change]
        if change == "changed" and what.get((edge.source, edge.target, edge.key)):
            first += ": " + ", ".join(what[edge.source, edge.target, edge.key])
        if change == "opened":
            label = edge.label
        elif change == "removed":  # the new snapshot cannot say who the old edge let in: its tooltip can
            label = change
        else:
            label = change + (" / " + edge.label if edge.label else "")
        view_edges.append(replace(
            edge, change=change, colour=_CHANGE_COLOURS[change], width=_CHANGE_WIDTHS[change],
            dashed=edge.dashed or change == "removed", highlighted=True, dimmed=False, label=label,
            tooltip=_tooltip([first]) + "\n" + edge.tooltip))
    present = {e.change for e in view_edges if e.change}
    changes = tuple(kind for kind in CHANGE_KINDS if kind in present or kind in ("added", "removed"))
    return replace(view, nodes=tuple(view_nodes), edges=tuple(view_edges), changes=changes, diff={
        "summary": diff_counts_text(diff),
        "sensitive": list(diff.sensitive),
        "opened": [_chain_nodes(c) for c in diff.opened],
        "closed": [_chain_nodes(c) for c in diff.reach if c.kind == "removed"],
    })


# the diff view's part of the page, run after the template's script: the legend's entries for the changes
# (instead of "the path asked for") and a panel with the summary and the opened and closed paths. Every
# text from the data is put on the page with textContent.
DIFF_SCRIPT = """<script>
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("graphiam-data").textContent);
  if (!data.diff) { return; }
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }
  var legend = document.getElementById("graphiam-legend");
  var heading = Array.prototype.filter.call(legend.querySelectorAll("h2"),
                                            function (h) { return h.textContent === "Edges"; })[0];
  var lines = heading ? heading.nextElementSibling : null;
  if (lines) {
    var asked = lines.querySelector(".line.path");
    if (asked) { lines.removeChild(asked.parentNode); }
    data.legend.changes.forEach(function (change) {
      var item = el("li", null, "graphiam-change-" + change.kind);
      var line = el("span", "", "line");
      line.style.cssText = change.style;
      item.appendChild(line);
      item.appendChild(document.createTextNode(change.label));
      lines.appendChild(item);
    });
  }
  var panel = document.getElementById("graphiam-explanation");
  panel.hidden = false;
  panel.appendChild(el("h2", "What the change opens"));
  panel.appendChild(el("p", data.diff.summary));
  function chains(title, list, className) {
    if (!list.length) { return; }
    panel.appendChild(el("h2", title));
    list.forEach(function (chain) { panel.appendChild(el("div", chain.join(" \\u2192 "), className)); });
  }
  chains("Opened paths", data.diff.opened, "hop");
  chains("Closed paths", data.diff.closed, "blocker");
  document.body.setAttribute("data-diff", "true");
})();
</script>"""


def render_diff_map(old_graph: nx.MultiDiGraph, new_graph: nx.MultiDiGraph, snapshot: Snapshot, diff: GraphDiff,
                    options: MapOptions = MapOptions(depth=1, title="graphiam: what the change opens")
                    ) -> tuple[str, MapSummary]:
    """The HTML page of :func:`diff_map_view` (self-contained, as every map) and what it holds."""
    data = page_data(diff_map_view(old_graph, new_graph, snapshot, diff, options))
    return _page(data, options.title, DIFF_SCRIPT), MapSummary(len(data["nodes"]), len(data["edges"]), None)


def _srcdoc(page: str) -> str:
    """``page`` as the value of a double-quoted ``srcdoc`` attribute: ``&``, ``"``, ``<`` and ``>`` escaped."""
    return page.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class InlineMap:
    """A rendered access map: ``.html`` is the whole page; Jupyter shows it in a sandboxed iframe.

    Its ``repr`` is one short line (a notebook stores the plain-text form of
    an output next to its HTML; the page itself is stored once, in the iframe).
    """

    html: str = field(repr=False)
    nodes: int
    edges: int

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the page to ``path`` whole or not at all."""
        write_atomically(path, self.html, errors="backslashreplace")

    def __repr__(self) -> str:
        size = len(self.html.encode("utf-8", "backslashreplace"))
        return (f"<InlineMap: {self.nodes} nodes, {self.edges} edges, {_size_text(size)}; "
                "display it, or .save('map.html')>")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's text/plain
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{_srcdoc(self.html)}" sandbox="allow-scripts" '
                f'style="width:100%;height:640px;border:1px solid #ddd" title="graphiam access map"></iframe>')


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"
