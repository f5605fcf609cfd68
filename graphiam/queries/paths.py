"""Paths, reach and who-can over the access graph (no AWS semantics here: edges are decisions)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable

import networkx as nx

from ..graph.schema import CAN_ASSUME, pass_key

EdgeFilter = Callable[[dict], bool]


@dataclass(frozen=True)
class Hop:
    source: str
    target: str
    action: str
    service: str | None
    granted_by: tuple[dict, ...]
    conditions: tuple[dict, ...]
    depends_on: tuple[str, ...] = ()

    @property
    def conditional(self) -> bool:
        return bool(self.conditions)

    def to_dict(self) -> dict:
        out = {"from": self.source, "to": self.target, "action": self.action, "granted_by": list(self.granted_by),
               "conditions": list(self.conditions)}
        if self.service:
            out["service"] = self.service
        return out


def _hop(graph: nx.MultiDiGraph, source: str, target: str, key: str) -> Hop:
    data = graph.edges[source, target, key]
    return Hop(source, target, data["action"], data.get("service"), tuple(data["granted_by"]),
               tuple(data["conditions"]), tuple(data.get("depends_on", ())))


def _unconditional(data: dict) -> bool:
    return not data.get("conditional")


def _bfs(graph: nx.MultiDiGraph, sources: Iterable[str], keep: EdgeFilter, reverse: bool = False) -> dict[str, tuple[str | None, int]]:
    """Breadth-first over can_assume edges: node -> (previous node, hops). Self-loops are skipped."""
    seen: dict[str, tuple[str | None, int]] = {}
    queue: deque[str] = deque()
    for source in sources:
        seen[source] = (None, 0)
        queue.append(source)
    while queue:
        node = queue.popleft()
        hops = seen[node][1]
        edges = graph.in_edges(node, keys=True, data=True) if reverse else graph.out_edges(node, keys=True, data=True)
        for u, v, key, data in edges:
            nxt = u if reverse else v
            if key != CAN_ASSUME or nxt == node or nxt in seen or not keep(data):
                continue
            seen[nxt] = (node, hops + 1)
            queue.append(nxt)
    return seen


def _walk_back(seen: dict[str, tuple[str | None, int]], end: str) -> list[str]:
    nodes = [end]
    while seen[nodes[-1]][0] is not None:
        nodes.append(seen[nodes[-1]][0])  # type: ignore[arg-type]
    return list(reversed(nodes))


def _assume_hops(graph: nx.MultiDiGraph, nodes: list[str]) -> list[Hop]:
    return [_hop(graph, a, b, CAN_ASSUME) for a, b in zip(nodes, nodes[1:])]


def find_path(graph: nx.MultiDiGraph, source: str, target: str, service: str | None = None) -> list[Hop] | None:
    """The shortest chain from ``source`` to ``target``, or ``None``.

    Without ``service`` the chain is role assumptions ending in ``target``;
    with ``service`` it is role assumptions to some principal that can pass
    ``target`` to that service, plus that pass. A chain needing nothing from
    the request is preferred over a shorter conditional one.
    """
    for keep in (_unconditional, lambda data: True):
        hops = _path_with(graph, source, target, service, keep)
        if hops is not None:
            return hops
    return None


def _path_with(graph, source, target, service, keep: EdgeFilter) -> list[Hop] | None:
    if source not in graph or target not in graph:
        return None
    if service is None:
        if source == target:  # rule 14: only an explicit self-trust makes a role reach itself
            if graph.has_edge(source, target, CAN_ASSUME) and keep(graph.edges[source, target, CAN_ASSUME]):
                return [_hop(graph, source, target, CAN_ASSUME)]
            return None
        seen = _bfs(graph, [source], keep)
        return _assume_hops(graph, _walk_back(seen, target)) if target in seen else None
    key = pass_key(service)
    passers = {u for u, _, k, data in graph.in_edges(target, keys=True, data=True) if k == key and keep(data)}
    if not passers:
        return None
    seen = _bfs(graph, [source], keep)
    reached = [p for p in passers if p in seen]
    if not reached:
        return None
    best = min(reached, key=lambda p: (seen[p][1], p))
    return _assume_hops(graph, _walk_back(seen, best)) + [_hop(graph, best, target, key)]


@dataclass(frozen=True)
class ReachRow:
    """One principal or role reached (``reach``) or reaching (``who_can``)."""

    arn: str
    kind: str
    account: str | None
    hops: int
    action: str
    service: str | None
    conditional: bool  # reachable only through hops that need request-time conditions

    def to_dict(self) -> dict:
        return {"arn": self.arn, "kind": self.kind, "account": self.account, "hops": self.hops,
                "action": self.action, "service": self.service, "conditional": self.conditional}


def _rows(graph, seen_all, seen_firm, skip: str, action: str) -> list[ReachRow]:
    rows = []
    for node, (_, hops) in seen_all.items():
        if node == skip:
            continue
        data = graph.nodes[node]
        rows.append(ReachRow(node, data.get("kind", ""), data.get("account"), hops, action, None, node not in seen_firm))
    return rows


def reach(graph: nx.MultiDiGraph, source: str) -> list[ReachRow]:
    """Roles ``source`` can reach by role assumption, and roles it (or a role it reaches) can pass."""
    seen_all = _bfs(graph, [source], lambda d: True)
    seen_firm = _bfs(graph, [source], _unconditional)
    rows = _rows(graph, seen_all, seen_firm, source, "sts:AssumeRole")
    passes: dict[tuple[str, str], ReachRow] = {}
    for node, (_, hops) in seen_all.items():
        for _, role, key, data in graph.out_edges(node, keys=True, data=True):
            if data.get("edge_type") != "can_pass":
                continue
            conditional = node not in seen_firm or bool(data.get("conditional"))
            row = ReachRow(role, "role", graph.nodes[role].get("account"), hops + 1, "iam:PassRole",
                           data.get("service"), conditional)
            current = passes.get((role, data["service"]))
            if current is None or (row.hops, row.conditional) < (current.hops, current.conditional):
                passes[(role, data["service"])] = row
    rows.extend(passes.values())
    return sorted(rows, key=lambda r: (r.hops, r.action, r.arn, r.service or ""))


def who_can(graph: nx.MultiDiGraph, target: str) -> list[ReachRow]:
    """Everything that reaches ``target`` by role assumption, and who can pass it to a service."""
    seen_all = _bfs(graph, [target], lambda d: True, reverse=True)
    seen_firm = _bfs(graph, [target], _unconditional, reverse=True)
    rows = _rows(graph, seen_all, seen_firm, target, "sts:AssumeRole")
    for source, _, key, data in graph.in_edges(target, keys=True, data=True):
        if data.get("edge_type") == "can_pass":
            node = graph.nodes[source]
            rows.append(ReachRow(source, node.get("kind", ""), node.get("account"), 1, "iam:PassRole",
                                 data.get("service"), bool(data.get("conditional"))))
    return sorted(rows, key=lambda r: (r.hops, r.action, r.arn, r.service or ""))
