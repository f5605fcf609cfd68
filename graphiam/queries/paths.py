"""Paths, reach and who-can over the access graph (no AWS semantics here: edges are decisions).

Every walk can look at the edges under a stated request (:class:`RequestView`):
the conditions on stated keys are decided by the engine
(:func:`graphiam.policy.request.apply_stated`), so a conditional edge becomes
allowed, denied, or stays conditional on what was not stated.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Callable, Iterable

import networkx as nx

from ..graph.schema import CAN_ASSUME, CAN_ESCALATE, SSO_USER, pass_key
from ..policy import Outcome
from ..policy.conditions import RequestContext
from ..policy.request import apply_stated

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
    alternatives: tuple[tuple[dict, ...], ...] = ()  # other sets of conditions, each enough instead
    conditional: bool = False  # the hop holds only if the request (or an outside account) allows it
    assumed: tuple[dict, ...] = ()  # conditions the stated request decided (``--context``)
    technique: dict | None = None  # an escalation hop's technique (graphiam.graph.escalation), else None
    # an Identity Center sign-in's assignments (graphiam.graph.identity_center: permission set, account,
    # provider, the user's and its groups' assignments), else None
    identity_center: dict | None = None

    def to_dict(self) -> dict:
        out = {"from": self.source, "to": self.target, "action": self.action, "granted_by": list(self.granted_by),
               "conditions": list(self.conditions), "alternatives": [list(a) for a in self.alternatives],
               "technique": self.technique}
        if self.service:
            out["service"] = self.service
        if self.identity_center is not None:
            out["identity_center"] = self.identity_center
        if self.assumed:
            out["assumed"] = list(self.assumed)
        return out


class RequestView:
    """The edges as a stated request sees them.

    ``context`` holds the values a person states (``--context``) for every hop;
    ``first`` is the source's own extra values for its first hop (the calling
    session's ``aws:userid`` when SOURCE is a session ARN). Without either,
    edges are seen as built.
    """

    def __init__(self, graph: nx.MultiDiGraph, context: RequestContext | None = None,
                 first: tuple[str, RequestContext] | None = None) -> None:
        self.graph = graph
        self.context = context
        self.first = first
        self._seen: dict[tuple[int, bool], dict | None] = {}

    @property
    def stated(self) -> bool:
        return self.context is not None or self.first is not None

    def edge(self, source: str, data: dict) -> dict | None:
        """The edge's data under the request, or ``None`` when the request is denied."""
        first = self.first is not None and source == self.first[0]
        context = self.first[1] if first else self.context  # type: ignore[index]
        if context is None or not data.get("conditions"):
            return data
        key = (id(data), first)
        if key in self._seen:
            return self._seen[key]
        sets = [data["conditions"], *data.get("alternatives", ())]
        stated = apply_stated(sets, context)
        if stated.outcome is Outcome.DENIED:
            seen = None
        else:
            outside = source not in self.graph or bool(self.graph.nodes[source].get("external"))
            left = stated.sets
            seen = {**data, "conditional": bool(left) or outside, "conditions": list(left[0]) if left else [],
                    "alternatives": [list(more) for more in left[1:]], "assumed": [a.to_dict() for a in stated.assumed]}
        self._seen[key] = seen
        return seen



def _view(graph: nx.MultiDiGraph, view: RequestView | None) -> RequestView:
    return view if view is not None else RequestView(graph)


@dataclass(frozen=True)
class OutsideCaller:
    """A principal of an account outside the snapshot, and the roles it may assume (decided by the engine)."""

    arn: str
    edges: dict[str, dict]  # role ARN -> the edge's attributes (graphiam.graph.schema.edge_attributes)


def _hop(graph: nx.MultiDiGraph, source: str, target: str, key: str, view: RequestView | None = None,
         outside: OutsideCaller | None = None) -> Hop:
    raw = outside.edges[target] if outside is not None and source == outside.arn else graph.edges[source, target, key]
    data = _view(graph, view).edge(source, raw) if source in graph else raw
    assert data is not None  # the walk kept only edges the request allows
    return Hop(source, target, data["action"], data.get("service"), tuple(data["granted_by"]),
               tuple(data["conditions"]), tuple(data.get("depends_on", ())),
               tuple(tuple(more) for more in data.get("alternatives", ())), bool(data.get("conditional")),
               tuple(data.get("assumed", ())), data.get("technique"), data.get("identity_center"))


def _unconditional(data: dict) -> bool:
    return not data.get("conditional")


def _walks(key: str, escalation: bool) -> bool:
    """Whether a walk follows an edge with this key: can_assume always, technique edges with ``escalation``."""
    return key == CAN_ASSUME or (escalation and key == CAN_ESCALATE)


def _bfs(graph: nx.MultiDiGraph, sources: Iterable[str], keep: EdgeFilter, reverse: bool = False,
         view: RequestView | None = None, outside: "OutsideCaller | None" = None,
         escalation: bool = False) -> dict[str, tuple[str | None, int]]:
    """Breadth-first over can_assume edges (and technique edges with ``escalation``): node -> (previous
    node, hops). Self-loops are skipped.

    ``outside`` is a caller that is not a node of the graph, with its own first edges.
    """
    view = _view(graph, view)
    seen: dict[str, tuple[str | None, int]] = {}
    queue: deque[str] = deque()
    for source in sources:
        seen[source] = (None, 0)
        queue.append(source)
    while queue:
        node = queue.popleft()
        hops = seen[node][1]
        if outside is not None and node == outside.arn:
            edges = [(node, role, CAN_ASSUME, data) for role, data in outside.edges.items()]
        else:
            edges = graph.in_edges(node, keys=True, data=True) if reverse else graph.out_edges(node, keys=True, data=True)
        for u, v, key, data in edges:
            nxt = u if reverse else v
            if not _walks(key, escalation) or nxt == node or nxt in seen:
                continue
            data = view.edge(u, data)
            if data is None or not keep(data):
                continue
            seen[nxt] = (node, hops + 1)
            queue.append(nxt)
    return seen


def _walk_back(seen: dict[str, tuple[str | None, int]], end: str) -> list[str]:
    nodes = [end]
    while seen[nodes[-1]][0] is not None:
        nodes.append(seen[nodes[-1]][0])  # type: ignore[arg-type]
    return list(reversed(nodes))


def _assume_hops(graph: nx.MultiDiGraph, nodes: list[str], view: RequestView | None,
                 outside: OutsideCaller | None = None, keep: EdgeFilter | None = None) -> list[Hop]:
    return [_hop(graph, a, b, _hop_key(graph, a, b, view, outside, keep), view, outside) for a, b in zip(nodes, nodes[1:])]


def _hop_key(graph, source: str, target: str, view: RequestView | None, outside: "OutsideCaller | None",
             keep: EdgeFilter | None) -> str:
    """The edge a walk took from ``source`` to ``target``: can_assume when it is there (and kept), else the
    first kept technique edge (an unconditional one first)."""
    if (outside is not None and source == outside.arn) or keep is None:
        return CAN_ASSUME
    seen = _view(graph, view)
    choices = []
    for key, data in graph.get_edge_data(source, target, default={}).items():
        if not _walks(key, True):
            continue
        data = seen.edge(source, data)
        if data is not None and keep(data):
            choices.append((key != CAN_ASSUME, bool(data.get("conditional")), key))
    return min(choices)[2] if choices else CAN_ASSUME


def find_path(graph: nx.MultiDiGraph, source: str, target: str, service: str | None = None,
              view: RequestView | None = None, outside: OutsideCaller | None = None,
              escalation: bool = False) -> list[Hop] | None:
    """The shortest chain from ``source`` to ``target``, or ``None``.

    Without ``service`` the chain is role assumptions ending in ``target``;
    with ``service`` it is role assumptions to some principal that can pass
    ``target`` to that service, plus that pass. A chain needing nothing from
    the request is preferred over a shorter conditional one. ``view`` sees the
    edges under a stated request; ``outside`` is a SOURCE from outside the snapshot.
    """
    view = _view(graph, view)
    for keep in (_unconditional, _anything):
        hops = _path_with(graph, source, target, service, keep, view, outside, escalation)
        if hops is not None:
            return hops
    return None


def _anything(data: dict) -> bool:
    return True


def _path_with(graph, source, target, service, keep: EdgeFilter, view: RequestView,
               outside: OutsideCaller | None = None, escalation: bool = False) -> list[Hop] | None:
    if (source not in graph and (outside is None or outside.arn != source)) or target not in graph:
        return None

    def kept(u: str, data: dict) -> bool:
        seen_data = view.edge(u, data)
        return seen_data is not None and keep(seen_data)

    if service is None:
        if source == target:  # rule 14: only an explicit self-trust makes a role reach itself
            if graph.has_edge(source, target, CAN_ASSUME) and kept(source, graph.edges[source, target, CAN_ASSUME]):
                return [_hop(graph, source, target, CAN_ASSUME, view)]
            return None
        seen = _bfs(graph, [source], keep, view=view, outside=outside, escalation=escalation)
        if target not in seen:
            return None
        return _assume_hops(graph, _walk_back(seen, target), view, outside, keep if escalation else None)
    key = pass_key(service)
    passers = {u for u, _, k, data in graph.in_edges(target, keys=True, data=True) if k == key and kept(u, data)}
    if not passers:
        return None
    seen = _bfs(graph, [source], keep, view=view, outside=outside, escalation=escalation)
    reached = [p for p in passers if p in seen]
    if not reached:
        return None
    best = min(reached, key=lambda p: (seen[p][1], p))
    return (_assume_hops(graph, _walk_back(seen, best), view, outside, keep if escalation else None)
            + [_hop(graph, best, target, key, view)])


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
    # the hop next to this row on its path: for reach, the node it was reached from; for who-can, the node it
    # reaches the target through; None when the row is one hop from the subject
    via: str | None = None
    # for a conditional row: the request-time condition keys its path needs (aws:MultiFactorAuthPresent,
    # sts:ExternalId, ...), in path order, each once
    conditions: tuple[str, ...] = ()
    # with escalation: the ids of the techniques on the row's chain, in path order
    techniques: tuple[str, ...] = ()
    # an identity provider's row: who its trust lets in, in plain words ("any branch of org/repo")
    subject: str | None = None

    def to_dict(self) -> dict:
        return {"arn": self.arn, "kind": self.kind, "account": self.account, "hops": self.hops,
                "action": self.action, "service": self.service, "conditional": self.conditional,
                "via": self.via, "conditions": list(self.conditions), "techniques": list(self.techniques),
                "subject": self.subject}


def _condition_keys(data: dict) -> list[str]:
    """The condition keys an edge's decision still needs (every alternative's)."""
    keys = [c["key"] for requirement in data.get("conditions", ()) for c in requirement.get("conditions", ())]
    for more in data.get("alternatives", ()):
        keys.extend(c["key"] for requirement in more for c in requirement.get("conditions", ()))
    return keys


def _path_edges(graph, seen, node: str, reverse: bool, view: "RequestView") -> list[tuple[str, dict]]:
    """The (key, data) of each edge on ``seen``'s path to ``node``, in path order (from the walk's start)."""
    edges: list[tuple[str, dict]] = []
    current = node
    while seen[current][0] is not None:
        previous = seen[current][0]
        u, v = (current, previous) if reverse else (previous, current)
        key = _hop_key(graph, u, v, view, None, _anything)
        data = view.edge(u, graph.edges[u, v, key])
        if data is not None:
            edges.append((key, data))
        current = previous  # type: ignore[assignment]
    if not reverse:
        edges.reverse()
    return edges


def _path_conditions(graph, seen, node: str, reverse: bool, view: "RequestView", last: dict | None = None) -> tuple[str, ...]:
    """The condition keys of the conditional edges on ``seen``'s path to ``node`` (and of ``last``, an edge after it)."""
    keys: list[str] = []
    for _, data in _path_edges(graph, seen, node, reverse, view):
        if data.get("conditional"):
            keys.extend(_condition_keys(data))
    if last is not None and last.get("conditional"):
        keys.extend(_condition_keys(last))
    return tuple(dict.fromkeys(keys))


def _path_techniques(graph, seen, node: str, reverse: bool, view: "RequestView") -> tuple[str, ...]:
    return tuple(data["technique"]["id"] for key, data in _path_edges(graph, seen, node, reverse, view)
                 if key == CAN_ESCALATE)


def _via(seen, node: str) -> str | None:
    """The node next to ``node`` on its path, or None when ``node`` is one hop from where the walk began."""
    previous = seen[node][0]
    return previous if previous is not None and seen[previous][0] is not None else None


def _rows(graph, seen_all, seen_firm, skip: str, action: str, reverse: bool, view: "RequestView",
          escalation: bool = False) -> list[ReachRow]:
    rows = []
    for node, (_, hops) in seen_all.items():
        if node == skip:
            continue
        data = graph.nodes[node]
        conditional = node not in seen_firm
        conditions = _path_conditions(graph, seen_all, node, reverse, view) if conditional else ()
        techniques = _path_techniques(graph, seen_all, node, reverse, view) if escalation else ()
        rows.append(ReachRow(node, data.get("kind", ""), data.get("account"), hops, action, None, conditional,
                             _via(seen_all, node), conditions, techniques))
    return rows


def reach(graph: nx.MultiDiGraph, source: str, view: RequestView | None = None,
          escalation: bool = False) -> list[ReachRow]:
    """Roles ``source`` can reach by role assumption (and with ``escalation`` by technique hops: roles
    and users), and roles it (or a principal it reaches) can pass."""
    view = _view(graph, view)
    seen_all = _bfs(graph, [source], _anything, view=view, escalation=escalation)
    seen_firm = _bfs(graph, [source], _unconditional, view=view, escalation=escalation)
    rows = _rows(graph, seen_all, seen_firm, source, "sts:AssumeRole", False, view, escalation)
    passes: dict[tuple[str, str], ReachRow] = {}
    for node, (_, hops) in seen_all.items():
        for _, role, key, data in graph.out_edges(node, keys=True, data=True):
            if data.get("edge_type") != "can_pass":
                continue
            data = view.edge(node, data)
            if data is None:
                continue
            conditional = node not in seen_firm or bool(data.get("conditional"))
            conditions = _path_conditions(graph, seen_all, node, False, view, data) if conditional else ()
            row = ReachRow(role, "role", graph.nodes[role].get("account"), hops + 1, "iam:PassRole",
                           data.get("service"), conditional, node if node != source else None, conditions)
            current = passes.get((role, data["service"]))
            if current is None or (row.hops, row.conditional) < (current.hops, current.conditional):
                passes[(role, data["service"])] = row
    rows.extend(passes.values())
    return sorted(rows, key=lambda r: (r.hops, r.action, r.arn, r.service or ""))


# callers whose first hop is a federated sign-in: a provider's users, and Identity Center users (their action is
# the edge's, AssumeRoleWithSAML or AssumeRoleWithWebIdentity)
_FEDERATED_KINDS = ("federated", SSO_USER)


def who_can(graph: nx.MultiDiGraph, target: str, view: RequestView | None = None,
            escalation: bool = False) -> list[ReachRow]:
    """Everything that reaches ``target`` by role assumption (and with ``escalation`` by technique hops),
    and who can pass it to a service."""
    view = _view(graph, view)
    seen_all = _bfs(graph, [target], _anything, reverse=True, view=view, escalation=escalation)
    seen_firm = _bfs(graph, [target], _unconditional, reverse=True, view=view, escalation=escalation)
    rows = [row if row.kind not in _FEDERATED_KINDS else replace(  # AssumeRoleWithSAML/WebIdentity callers
        row, action=graph.edges[row.arn, seen_all[row.arn][0], CAN_ASSUME]["action"])
        for row in _rows(graph, seen_all, seen_firm, target, "sts:AssumeRole", True, view, escalation)]
    for source, _, key, data in graph.in_edges(target, keys=True, data=True):
        data = view.edge(source, data)
        if data is not None and data.get("edge_type") == "can_pass":
            node = graph.nodes[source]
            conditional = bool(data.get("conditional"))
            rows.append(ReachRow(source, node.get("kind", ""), node.get("account"), 1, "iam:PassRole",
                                 data.get("service"), conditional, None,
                                 tuple(dict.fromkeys(_condition_keys(data))) if conditional else ()))
    return sorted(rows, key=lambda r: (r.hops, r.action, r.arn, r.service or ""))
