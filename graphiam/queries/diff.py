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
(``arn:aws:iam::*:role/ProdAdmin``); with none, every role counts. The word
``admin`` (:data:`graphiam.queries.escalation.ADMIN`) among them stands for
the administrators :func:`graphiam.queries.escalation.privesc` finds in the
old or the new snapshot (given as ``administrators``); a role that is an
administrator only in the new snapshot is newly reached by everyone who
reaches it there (``reason`` ``"new administrator"``), since before they
reached no administrator through it.

Every statement a change names (``granted_by``, ``conditions``, in edges and
in the hops of chains) carries the ``account`` whose policy it is: the role's
for its trust policy, the caller's for its identity policies and boundary,
the organization's management account for an SCP or RCP.

Findings (:mod:`graphiam.queries.findings`) of the two snapshots, when given,
are compared by identity, not by wording (:func:`finding_changes`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Collection, Iterable, Mapping, Sequence

import networkx as nx

from ..graph.schema import CAN_ASSUME
from ..policy.matching import wildcard_match
from ..snapshot.names import account_of
from .errors import QueryError, json_type
from .paths import Hop, find_path

if TYPE_CHECKING:
    from .findings import Finding

_COMPARED = ("conditional", "conditions", "alternatives", "granted_by", "depends_on")
_GLOB = re.compile(r"[*?]")
NEW_ADMINISTRATOR = "new administrator"  # a ReachChange's reason: the target became an administrator


def statement_account(entry: Mapping, source: str | None = None, target: str | None = None) -> str | None:
    """The account whose policy holds a statement of an edge's decision (a ``granted_by`` or ``conditions``
    entry): the role's (``target``) for its trust policy, the caller's (``source``, or the principal the policy
    is attached to) for identity policies and boundaries, the management account of an SCP or RCP (its ARN)."""
    layer = entry.get("layer")
    policy = str(entry.get("policy") or "")
    attached = str(entry.get("attached_to") or "")
    if layer == "trust":
        return account_of(policy) or account_of(target or "")
    if layer in ("identity", "permissions_boundary"):
        return account_of(attached) or account_of(source or "") or account_of(policy)
    return account_of(policy) or account_of(attached)


def _with_accounts(entries: Iterable[Mapping], source: str | None, target: str | None) -> tuple[dict, ...]:
    """Copies of ``entries``, each with its ``account`` (the graph's own dicts are never changed)."""
    return tuple({**entry, "account": entry.get("account") or statement_account(entry, source, target)}
                 for entry in entries)


def _accounts(*groups: Iterable[Mapping]) -> tuple[str, ...]:
    return tuple(sorted({e["account"] for group in groups for e in group if e.get("account")}))


@dataclass(frozen=True)
class EdgeChange:
    kind: str  # "added", "removed", "changed"
    source: str
    target: str
    key: str
    what: tuple[str, ...] = ()  # for "changed": which parts of the decision changed
    granted_by: tuple[dict, ...] = ()  # the new edge's statements (the old one's for a removed edge)
    old_granted_by: tuple[dict, ...] = ()  # for "changed": the old edge's statements
    conditions: tuple[dict, ...] = ()  # the new edge's conditions (the old one's for a removed edge)
    old_conditions: tuple[dict, ...] = ()  # for "changed": the old edge's conditions

    @property
    def accounts(self) -> tuple[str, ...]:
        """The accounts whose statements decide the edge, before or after."""
        return _accounts(self.granted_by, self.old_granted_by, self.conditions, self.old_conditions)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "source": self.source, "target": self.target, "key": self.key,
                "what": list(self.what), "granted_by": list(self.granted_by),
                "old_granted_by": list(self.old_granted_by), "conditions": list(self.conditions),
                "old_conditions": list(self.old_conditions), "accounts": list(self.accounts)}


@dataclass(frozen=True)
class ReachChange:
    kind: str  # "added" or "removed"
    source: str
    target: str
    path: tuple[Hop, ...]  # the new chain (added) or the old one (removed)
    because: tuple[tuple[str, str], ...]  # the hops of that chain that are new (added) or gone (removed) edges
    reason: str | None = None  # NEW_ADMINISTRATOR: no edge changed, the target became an administrator

    @property
    def accounts(self) -> tuple[str, ...]:
        """The accounts whose statements grant the hops that made the difference (``because``)."""
        made = set(self.because)
        return _accounts(*(hop.granted_by for hop in self.path if (hop.source, hop.target) in made))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "source": self.source, "target": self.target,
                "path": [hop.to_dict() for hop in self.path], "because": [list(pair) for pair in self.because],
                "reason": self.reason, "accounts": list(self.accounts)}


@dataclass(frozen=True)
class FindingChange:
    """A finding the new snapshot has and the old one had not (``added``), or the other way (``resolved``);
    ``finding`` is the new snapshot's (added) or the old one's (resolved), with its policy, statement and
    account."""

    kind: str  # "added" or "resolved"
    finding: "Finding"

    @property
    def rule(self) -> str:
        return self.finding.rule

    def to_dict(self) -> dict:
        return {"kind": self.kind, **self.finding.to_dict()}


@dataclass(frozen=True)
class GraphDiff:
    edges: tuple[EdgeChange, ...]
    reach: tuple[ReachChange, ...]
    sensitive: tuple[str, ...]
    findings: tuple[FindingChange, ...] = ()
    administrators: tuple[str, ...] = ()  # what "admin" in ``sensitive`` stood for (old or new snapshot)
    warnings: tuple[str, ...] = ()  # sensitive patterns that match nothing

    @property
    def opened(self) -> tuple[ReachChange, ...]:
        """The pairs that are new: what a CI gate fails on."""
        return tuple(change for change in self.reach if change.kind == "added")

    @property
    def findings_added(self) -> tuple[FindingChange, ...]:
        return tuple(change for change in self.findings if change.kind == "added")

    @property
    def findings_resolved(self) -> tuple[FindingChange, ...]:
        return tuple(change for change in self.findings if change.kind == "resolved")

    def to_dict(self) -> dict:
        return {"sensitive": list(self.sensitive), "administrators": list(self.administrators),
                "edges": [c.to_dict() for c in self.edges],
                "reach": [c.to_dict() for c in self.reach],
                "findings": [c.to_dict() for c in self.findings],
                "summary": {"edges_added": sum(c.kind == "added" for c in self.edges),
                            "edges_removed": sum(c.kind == "removed" for c in self.edges),
                            "edges_changed": sum(c.kind == "changed" for c in self.edges),
                            "reach_added": sum(c.kind == "added" for c in self.reach),
                            "reach_removed": sum(c.kind == "removed" for c in self.reach),
                            "findings_added": len(self.findings_added),
                            "findings_resolved": len(self.findings_resolved)},
                "warnings": list(self.warnings)}


def _edges(graph: nx.MultiDiGraph, accounts: Collection[str] | None = None) -> dict[tuple[str, str, str], dict]:
    """The graph's edges but memberships; with ``accounts``, only those into principals of these accounts."""
    if accounts is None:
        return {(u, v, k): d for u, v, k, d in graph.edges(keys=True, data=True) if k != "member_of"}
    into = [node for node, account in graph.nodes(data="account") if account in accounts]
    return {(u, v, k): d for u, v, k, d in graph.in_edges(into, keys=True, data=True) if k != "member_of"}


class _EdgeKeys:
    """``(u, v, key) in graph`` without a set of every edge."""

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self.graph = graph

    def __contains__(self, edge: tuple[str, str, str]) -> bool:
        return self.graph.has_edge(*edge)


def edge_changes(old: nx.MultiDiGraph, new: nx.MultiDiGraph,
                 only_accounts: Collection[str] | None = None) -> list[EdgeChange]:
    """Every edge added, removed or changed between the two graphs, sorted; each statement with its account.
    ``only_accounts``: only edges into principals of these accounts can differ (the rest of ``new`` was copied
    from ``old``: :mod:`graphiam.graph.incremental`), so only they are compared."""
    before, after = _edges(old, only_accounts), _edges(new, only_accounts)
    out = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        source, target, _ = key

        def grants(data: dict) -> tuple[dict, ...]:
            return _with_accounts(data.get("granted_by", ()), source, target)

        def needs(data: dict) -> tuple[dict, ...]:
            return _with_accounts(data.get("conditions", ()), source, target)

        if was is None:
            out.append(EdgeChange("added", *key, granted_by=grants(now), conditions=needs(now)))  # type: ignore[arg-type]
        elif now is None:
            out.append(EdgeChange("removed", *key, granted_by=grants(was), conditions=needs(was)))
        else:
            what = tuple(_changed(was, now))
            if what:
                out.append(EdgeChange("changed", *key, what=what, granted_by=grants(now), old_granted_by=grants(was),
                                      conditions=needs(now), old_conditions=needs(was)))
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


def is_sensitive(target: str, patterns: Sequence[str], administrators: Collection[str] = ()) -> bool:
    """Whether ``target`` counts: it matches a pattern (every target does when there is none), or the patterns
    name ``admin`` and it is one of ``administrators``."""
    if not patterns:
        return True
    from .escalation import ADMIN

    return any(wildcard_match(pattern, target) for pattern in patterns if pattern != ADMIN) or (
        ADMIN in patterns and target in administrators)


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


def _chain(graph: nx.MultiDiGraph, source: str, target: str) -> tuple[Hop, ...]:
    """The shortest chain, each hop's statements with their accounts."""
    return tuple(replace(hop, granted_by=_with_accounts(hop.granted_by, hop.source, hop.target),
                         conditions=_with_accounts(hop.conditions, hop.source, hop.target))
                 for hop in find_path(graph, source, target) or ())


def _is_role(old: nx.MultiDiGraph, new: nx.MultiDiGraph, node: str) -> bool:
    return new.nodes.get(node, old.nodes.get(node, {})).get("kind") == "role"


def diff_graphs(old: nx.MultiDiGraph, new: nx.MultiDiGraph, sensitive: Sequence[str] = (), *,
                administrators: tuple[Iterable[str], Iterable[str]] | None = None,
                findings: tuple[Sequence["Finding"], Sequence["Finding"]] | None = None,
                only_accounts: Collection[str] | None = None) -> GraphDiff:
    """The difference between ``old`` and ``new`` (see the module docstring).

    ``only_accounts``: the target accounts whose edges can differ, when ``new`` was rebuilt from ``old`` (the
    accounts decided again and those removed; see :func:`edge_changes`); by default every edge is compared.

    ``administrators`` is the administrators of the old and of the new
    snapshot (``privesc(...)[0]`` of each); it is needed when ``sensitive``
    holds the word ``admin``. ``findings`` is the findings of the old and the
    new snapshot; without it the diff has none.
    """
    from .escalation import ADMIN

    sensitive = tuple(sensitive)
    if ADMIN in sensitive and administrators is None:
        raise QueryError(f"sensitive {ADMIN!r} stands for the administrators of both snapshots: give them "
                         "(administrators=(old_admins, new_admins))")
    old_admins, new_admins = (set(administrators[0]), set(administrators[1])) if administrators else (set(), set())
    admins = old_admins | new_admins if ADMIN in sensitive else set()
    changes = edge_changes(old, new, only_accounts)
    reach: list[ReachChange] = []
    old_edges, new_edges = _EdgeKeys(old), _EdgeKeys(new)
    became_admin = {t for t in new_admins - old_admins if t in old and t in new} if ADMIN in sensitive else set()
    for target in sorted(_affected_targets(old, new, changes) | became_admin):
        if not is_sensitive(target, sensitive, admins) or not _is_role(old, new, target):
            continue
        before, after = _reaching(old, target), _reaching(new, target)
        for source in sorted(after - before):
            hops = _chain(new, source, target)
            because = tuple((h.source, h.target) for h in hops if (h.source, h.target, CAN_ASSUME) not in old_edges)
            reach.append(ReachChange("added", source, target, hops, because))
        if target in became_admin:  # who reached it before reached no administrator through it
            for source in sorted(after & before):
                hops = _chain(new, source, target)
                because = tuple((h.source, h.target) for h in hops
                                if (h.source, h.target, CAN_ASSUME) not in old_edges)
                reach.append(ReachChange("added", source, target, hops, because, NEW_ADMINISTRATOR))
        for source in sorted(before - after):
            hops = _chain(old, source, target)
            because = tuple((h.source, h.target) for h in hops if (h.source, h.target, CAN_ASSUME) not in new_edges)
            reach.append(ReachChange("removed", source, target, hops, because))
    found = finding_changes(*findings) if findings is not None else ()
    shown_admins = tuple(sorted(old_admins | new_admins)) if ADMIN in sensitive else ()
    return GraphDiff(tuple(changes), tuple(reach), sensitive, found, shown_admins,
                     tuple(unmatched_patterns(sensitive, old, new, admins)))


def unmatched_patterns(patterns: Sequence[str], old: nx.MultiDiGraph, new: nx.MultiDiGraph,
                       administrators: Iterable[str] = ()) -> list[str]:
    """One warning per sensitive pattern that matches no role of either snapshot (a typo would otherwise
    switch the gate off without a word)."""
    from .escalation import ADMIN

    roles: list[str] | None = None
    warnings = []
    for pattern in dict.fromkeys(patterns):
        if pattern == ADMIN:
            if not any(_is_role(old, new, a) for a in administrators):
                warnings.append(f"sensitive {ADMIN!r}: neither snapshot has a role that is an administrator")
            continue
        if not _GLOB.search(pattern):  # an exact ARN (a check's target): no need to walk every role
            if _is_role(old, new, pattern):
                continue
            warnings.append(f"sensitive pattern {pattern} matches no role in either snapshot")
            continue
        if roles is None:
            roles = list(dict.fromkeys(n for graph in (new, old) for n, d in graph.nodes(data=True)
                                       if d.get("kind") == "role"))
        if not any(wildcard_match(pattern, role) for role in roles):
            warnings.append(f"sensitive pattern {pattern} matches no role in either snapshot")
    return warnings


# -- findings -------------------------------------------------------------------------------------------

def _loose_key(finding: "Finding") -> tuple[str, str, str, str]:
    return (finding.rule, finding.role or "", finding.policy or "", finding.subject or "")


def finding_changes(old: Sequence["Finding"], new: Sequence["Finding"]) -> tuple[FindingChange, ...]:
    """The findings added and resolved between two snapshots.

    A finding is the same across snapshots when its identity
    (:attr:`~graphiam.queries.findings.Finding.key`: rule, role, policy,
    statement (its Sid, else its position) and subject) is the same; the
    message's wording does not count, nor the file it was read from. A
    statement without a Sid is known only by its position, which moves when a
    statement is added before it: findings of Sid-less statements left over
    on both sides are then paired by rule, role, policy and subject, so a
    statement that only moved is neither added nor resolved. Added findings
    come first, each kind in the findings' order (most severe first).
    """
    def grouped(found: Sequence["Finding"], key) -> dict[tuple, list["Finding"]]:
        out: dict[tuple, list] = defaultdict(list)
        for finding in found:
            out[key(finding)].append(finding)
        return out

    def unmatched(mine: Sequence["Finding"], theirs: Sequence["Finding"]) -> list["Finding"]:
        other = grouped(theirs, lambda f: f.key)
        left = []
        for finding in mine:
            if other.get(finding.key):
                other[finding.key].pop()
            else:
                left.append(finding)
        return left

    added, resolved = unmatched(new, old), unmatched(old, new)
    loose_added = grouped([f for f in added if f.sid is None], _loose_key)
    loose_resolved = grouped([f for f in resolved if f.sid is None], _loose_key)
    moved: set[int] = set()
    for key, ours in loose_added.items():
        theirs = loose_resolved.get(key, [])
        for finding, other in zip(ours, theirs):
            moved.update((id(finding), id(other)))
    return (tuple(FindingChange("added", f) for f in added if id(f) not in moved)
            + tuple(FindingChange("resolved", f) for f in resolved if id(f) not in moved))


# -- sensitive targets named by a check file ----------------------------------------------------------------



def sensitive_of_check_file(document: Mapping, where: str) -> tuple[tuple[str, ...], tuple[tuple[int, str], ...]]:
    """What a check file (``graphiam check``'s) names as sensitive: its top-level ``"sensitive"`` list
    (ARN globs, or ``admin``), and the targets of its ``"expect": "unreachable"`` role-assumption checks
    (an escalation check's ``"admin"`` target is ``admin``). Returns the patterns, and the targets given by
    name (``(index, text)``, to resolve against the snapshots: :func:`resolve_check_targets`); a target given
    as an ARN is a pattern as it is. PassRole checks name no role to assume: they are left out.

    Raises :class:`~graphiam.queries.errors.QueryError` (one line, naming ``where`` and the entry) when the
    list or an entry it reads is malformed.
    """
    from .escalation import ADMIN

    patterns: list[str] = []
    listed = document.get("sensitive", [])
    if not isinstance(listed, list) or not all(isinstance(p, str) and p.strip() for p in listed):
        raise QueryError(f"{where}: \"sensitive\" must be a list of ARN patterns (strings) or \"{ADMIN}\", not "
                         + (json_type(listed) if not isinstance(listed, list) else "a list holding "
                            + next(json_type(p) if not isinstance(p, str) else "an empty string"
                                   for p in listed if not (isinstance(p, str) and p.strip()))))
    patterns.extend(p.strip() for p in listed)
    names: list[tuple[int, str]] = []
    for index, check in enumerate(document.get("checks") or ()):
        if not isinstance(check, dict) or check.get("expect") != "unreachable" or "why" in check \
                or "findings" in check:
            continue
        action = check.get("action")
        if action is not None and not isinstance(action, str):
            raise QueryError(f"{where}: checks[{index}].action must be a string or null, not {json_type(action)}")
        if action is not None and action.strip().lower() != "sts:assumerole":
            continue  # a PassRole check: the diff's paths are role assumptions
        target = check.get("target")
        if not isinstance(target, str) or not target.strip():
            raise QueryError(f"{where}: checks[{index}].target must be a string, not "
                             + (json_type(target) if not isinstance(target, str) else "an empty string"))
        target = target.strip()
        if target == ADMIN or target.startswith("arn:"):
            patterns.append(target)
        else:
            names.append((index, target))
    return tuple(dict.fromkeys(patterns)), tuple(names)


def resolve_check_targets(names: Sequence[tuple[int, str]], old: nx.MultiDiGraph, new: nx.MultiDiGraph,
                          where: str) -> tuple[str, ...]:
    """The ARNs of check targets given by name (``ProdAdmin``, ``333333333333:role/Deploy``), resolved in the
    new snapshot, else the old one; :class:`~graphiam.queries.errors.QueryError` naming the entry when
    neither has it."""
    from .resolve import UnknownPrincipalError, resolve

    out = []
    for index, text in names:
        try:
            out.append(resolve(new, text))
        except UnknownPrincipalError as error:
            try:
                out.append(resolve(old, text))
            except UnknownPrincipalError:
                raise QueryError(f"{where}: checks[{index}].target: {error}") from None
    return tuple(dict.fromkeys(out))
