"""What a change opens: the difference between the access graphs of two snapshots.

Edges are compared exactly, attribute by attribute: an edge is *added* or
*removed*, or *changed* when its decision changed (it became conditional or
unconditional, its conditions changed, the statements that grant it moved).
Reachability is compared as (source, target) pairs by role assumption:
*added* when the new graph has a chain and the old one had none, *removed*
the other way round; each added pair comes with its new shortest chain and
the hops of it that are new edges (what made the difference).

Only targets whose reach can have changed are walked: the targets of changed
edges and every role reachable from them, in either graph. ``sensitive``
limits the reachability section to targets matching any of its ARN globs
(``arn:aws:iam::*:role/ProdAdmin``); with none, every role counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import networkx as nx

from ..graph.schema import CAN_ASSUME
from ..policy.matching import wildcard_match
from .paths import Hop, find_path

_COMPARED = ("conditional", "conditions", "alternatives", "granted_by", "depends_on")


@dataclass(frozen=True)
class EdgeChange:
    kind: str  # "added", "removed", "changed"
    source: str
    target: str
    key: str
    what: tuple[str, ...] = ()  # for "changed": which parts of the decision changed
    granted_by: tuple[dict, ...] = ()  # the new edge's statements (the old one's for a removed edge)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "source": self.source, "target": self.target, "key": self.key,
                "what": list(self.what), "granted_by": list(self.granted_by)}


@dataclass(frozen=True)
class ReachChange:
    kind: str  # "added" or "removed"
    source: str
    target: str
    path: tuple[Hop, ...]  # the new chain (added) or the old one (removed)
    because: tuple[tuple[str, str], ...]  # the hops of that chain that are new (added) or gone (removed) edges

    def to_dict(self) -> dict:
        return {"kind": self.kind, "source": self.source, "target": self.target,
                "path": [hop.to_dict() for hop in self.path], "because": [list(pair) for pair in self.because]}


@dataclass(frozen=True)
class GraphDiff:
    edges: tuple[EdgeChange, ...]
    reach: tuple[ReachChange, ...]
    sensitive: tuple[str, ...]

    @property
    def opened(self) -> tuple[ReachChange, ...]:
        """The pairs that are new: what a CI gate fails on."""
        return tuple(change for change in self.reach if change.kind == "added")

    def to_dict(self) -> dict:
        return {"sensitive": list(self.sensitive), "edges": [c.to_dict() for c in self.edges],
                "reach": [c.to_dict() for c in self.reach],
                "summary": {"edges_added": sum(c.kind == "added" for c in self.edges),
                            "edges_removed": sum(c.kind == "removed" for c in self.edges),
                            "edges_changed": sum(c.kind == "changed" for c in self.edges),
                            "reach_added": sum(c.kind == "added" for c in self.reach),
                            "reach_removed": sum(c.kind == "removed" for c in self.reach)}}


def _edges(graph: nx.MultiDiGraph) -> dict[tuple[str, str, str], dict]:
    return {(u, v, k): d for u, v, k, d in graph.edges(keys=True, data=True) if k != "member_of"}


def edge_changes(old: nx.MultiDiGraph, new: nx.MultiDiGraph) -> list[EdgeChange]:
    """Every edge added, removed or changed between the two graphs, sorted."""
    before, after = _edges(old), _edges(new)
    out = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        if was is None:
            out.append(EdgeChange("added", *key, granted_by=tuple(now.get("granted_by", ()))))  # type: ignore[union-attr]
        elif now is None:
            out.append(EdgeChange("removed", *key, granted_by=tuple(was.get("granted_by", ()))))
        else:
            what = tuple(_changed(was, now))
            if what:
                out.append(EdgeChange("changed", *key, what=what, granted_by=tuple(now.get("granted_by", ()))))
    return out


def _changed(was: dict, now: dict) -> Iterable[str]:
    if bool(was.get("conditional")) != bool(now.get("conditional")):
        yield "now unconditional (loosened)" if not now.get("conditional") else "now conditional (tightened)"
    elif was.get("conditions") != now.get("conditions") or was.get("alternatives") != now.get("alternatives"):
        yield "conditions changed"
    if was.get("granted_by") != now.get("granted_by"):
        yield "granted by other statements"
    if was.get("depends_on") != now.get("depends_on"):
        yield "depends on other missing policies"


def is_sensitive(target: str, patterns: Sequence[str]) -> bool:
    return not patterns or any(wildcard_match(pattern, target) for pattern in patterns)


def _affected_targets(old: nx.MultiDiGraph, new: nx.MultiDiGraph, changes: Sequence[EdgeChange]) -> set[str]:
    """Targets whose set of reaching principals can differ: targets of changed can_assume edges, and what
    they lead on to in either graph."""
    start = {c.target for c in changes if c.key == CAN_ASSUME}
    found = set(start)
    for graph in (old, new):
        assume = nx.subgraph_view(graph, filter_edge=lambda u, v, k: k == CAN_ASSUME)
        for node in start:
            if node in assume:
                found |= nx.descendants(assume, node)
    return found


def _reaching(graph: nx.MultiDiGraph, target: str) -> set[str]:
    if target not in graph:
        return set()
    assume = nx.subgraph_view(graph, filter_edge=lambda u, v, k: k == CAN_ASSUME)
    return nx.ancestors(assume, target)


def diff_graphs(old: nx.MultiDiGraph, new: nx.MultiDiGraph, sensitive: Sequence[str] = ()) -> GraphDiff:
    """The difference between ``old`` and ``new`` (see the module docstring)."""
    changes = edge_changes(old, new)
    reach: list[ReachChange] = []
    old_edges, new_edges = set(_edges(old)), set(_edges(new))
    for target in sorted(_affected_targets(old, new, changes)):
        if not is_sensitive(target, sensitive) or new.nodes.get(target, old.nodes.get(target, {})).get("kind") != "role":
            continue
        before, after = _reaching(old, target), _reaching(new, target)
        for source in sorted(after - before):
            hops = tuple(find_path(new, source, target) or ())
            because = tuple((h.source, h.target) for h in hops if (h.source, h.target, CAN_ASSUME) not in old_edges)
            reach.append(ReachChange("added", source, target, hops, because))
        for source in sorted(before - after):
            hops = tuple(find_path(old, source, target) or ())
            because = tuple((h.source, h.target) for h in hops if (h.source, h.target, CAN_ASSUME) not in new_edges)
            reach.append(ReachChange("removed", source, target, hops, because))
    return GraphDiff(tuple(changes), tuple(reach), tuple(sensitive))
