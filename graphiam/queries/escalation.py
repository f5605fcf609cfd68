"""Who can become an administrator: by changing its own permissions, or by a chain of assume and technique hops.

An administrator is a principal whose effective permissions (identity
policies within its boundary and its SCPs) allow every action on every
resource: the engine allows it each of :data:`~graphiam.policy.techniques.ADMIN_PROBES`
on ``*`` (a Deny narrowed to some resources does not count; a Deny of a
whole service does).

A principal that is not one can become one

* by a technique on itself (kind ``self``: a policy on itself, a new version of
  a policy attached to it, a more privileged group, no boundary), decided by
  the engine, and then checked by the engine on the snapshot as it would be
  afterwards (its boundary and SCPs still apply: a boundary that caps it
  keeps it from becoming an administrator);
* or by a chain of ``can_assume`` and technique edges to an administrator
  (the shortest, found by one breadth-first walk back from all of them).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import networkx as nx

from ..graph.escalation import EscalationDecider, TechniqueUse, combined_outcome
from ..policy import ASSUME_ROLE, Outcome, PolicyEngine
from ..policy.decision import Blocker
from ..policy.techniques import ADMIN_PROBES, REQUIRES_EXISTING_RESOURCE, TECHNIQUES, Technique
from ..snapshot.model import AttachedPolicy, Principal, Snapshot, User
from ..snapshot.names import is_aws_managed_policy
from ..snapshot.read import DocumentParser
from .answer import PathAnswer, _depends_sentence
from .errors import QueryError
from .paths import Hop, RequestView, _anything, _assume_hops, _bfs, _unconditional, find_path
from .resolve import resolve

ESCALATED = {"Version": "2012-10-17", "Statement": [{"Sid": "GraphiamEscalated", "Effect": "Allow", "Action": "*",
                                                     "Resource": "*"}]}


def is_admin(engine: PolicyEngine, principal: Principal, decider: EscalationDecider | None = None) -> bool:
    """Whether the engine allows ``principal`` every probe action on every resource, unconditionally."""
    if decider is not None and not decider.names_action(principal, ADMIN_PROBES[0]):
        return False  # no Allow even names an action only a full wildcard covers
    return all(engine.decide_action(principal, action, "*").outcome is Outcome.ALLOWED for action in ADMIN_PROBES)


@dataclass(frozen=True)
class PrivescRow:
    """A principal that is not an administrator but can become one, and the shortest way."""

    principal: str
    hops: tuple[Hop, ...]
    technique: TechniqueUse | None = None  # set when the way is a technique on itself

    def to_dict(self) -> dict:
        via = [hop.to_dict() for hop in self.hops]
        if self.technique is not None:
            via = [{"from": self.principal, "to": self.principal, "action": self.technique.technique.id,
                    "granted_by": [e.to_dict() for g in self.technique.granted for e in g.decision.granted_by],
                    "conditions": [r.to_dict() for g in self.technique.granted for r in g.decision.requirements],
                    "alternatives": [], "technique": self.technique.technique_dict()}]
        return {"principal": self.principal, "admin": False, "becomes_admin_via": via, "hops": len(via)}


def privesc(snapshot: Snapshot, graph: nx.MultiDiGraph, engine: PolicyEngine) -> tuple[list[str], list[PrivescRow]]:
    """The administrators, and every other principal that can become one (sorted by ARN)."""
    decider = EscalationDecider(snapshot, engine)
    admins = [p.arn for p in snapshot.all_principals() if is_admin(engine, p, decider)]
    view = RequestView(graph)
    toward = {keep: _bfs(graph, [a for a in admins if a in graph], keep, reverse=True, view=view, escalation=True)
              for keep in (_unconditional, _anything)}
    rows: list[PrivescRow] = []
    admin_set = set(admins)
    for principal in snapshot.all_principals():
        if principal.arn in admin_set:
            continue
        own = self_escalation(snapshot, engine, decider, principal)
        chain = _chain(graph, toward, principal.arn, view)
        if own is not None and (chain is None or own.outcome is Outcome.ALLOWED or len(chain) > 1):
            rows.append(PrivescRow(principal.arn, (), own))
        elif chain is not None:
            rows.append(PrivescRow(principal.arn, with_permissions(snapshot, engine, chain, decider)))
    return admins, rows


def _chain(graph, toward, source: str, view: RequestView) -> list[Hop] | None:
    for keep in (_unconditional, _anything):
        seen = toward[keep]
        if source not in seen:
            continue
        nodes = [source]
        while seen[nodes[-1]][0] is not None:
            nodes.append(seen[nodes[-1]][0])  # type: ignore[arg-type]
        return _assume_hops(graph, nodes, view, None, keep)
    return None


def self_escalation(snapshot: Snapshot, engine: PolicyEngine, decider: EscalationDecider,
                    principal: Principal) -> TechniqueUse | None:
    """The first self technique that is allowed and makes ``principal`` an administrator (unconditional ones
    first), decided and then checked on the snapshot as it would be after it."""
    found: TechniqueUse | None = None
    for technique in TECHNIQUES:
        if technique.kind != "self" or technique.caller not in ("any", principal.kind):
            continue
        if technique.id in REQUIRES_EXISTING_RESOURCE:  # e.g. an older policy version: what it allows is not known
            continue
        if not all(decider.names_action(principal, p.action) for p in technique.permissions):
            continue
        for use, after in _uses(snapshot, engine, decider, technique, principal):
            if use.outcome is Outcome.DENIED or not _admin_after(snapshot, after, engine):
                continue
            if use.outcome is Outcome.ALLOWED:
                return use
            found = found or use
    return found


def _uses(snapshot: Snapshot, engine: PolicyEngine, decider: EscalationDecider, technique: Technique,
          principal: Principal):
    """Each way to apply a self technique (per policy or group it can act on), with the principal after it."""
    placeholders = {p.resource for p in technique.permissions}
    if "{policy}" in placeholders:
        for arn in _customer_policies(snapshot, principal):
            granted = tuple(decider.permission(principal, p, principal, policy=arn) for p in technique.permissions)
            yield TechniqueUse(technique, principal.arn, principal.arn, granted, combined_outcome(granted)), _escalated(principal)
        return
    if "{group}" in placeholders:
        if not isinstance(principal, User):
            return
        account = snapshot.accounts[principal.account_id]
        adding = technique.permissions[0].action.lower() == "iam:addusertogroup"
        for group in account.groups.values():
            if (group.name in principal.group_names) == adding:  # into another group, or on its own groups
                continue
            granted = tuple(decider.permission(principal, p, principal, group=group.arn) for p in technique.permissions)
            after = replace(principal, group_names=(*principal.group_names, group.name)) if adding else _escalated(principal)
            yield TechniqueUse(technique, principal.arn, principal.arn, granted, combined_outcome(granted)), after
        return
    granted = tuple(decider.permission(principal, p, principal) for p in technique.permissions)
    removes_boundary = any("boundary" in p.action.lower() for p in technique.permissions)
    after = replace(principal, permissions_boundary_arn=None) if removes_boundary else _escalated(principal)
    yield TechniqueUse(technique, principal.arn, principal.arn, granted, combined_outcome(granted)), after


def _customer_policies(snapshot: Snapshot, principal: Principal) -> list[str]:
    arns = list(principal.managed_policy_arns)
    if isinstance(principal, User):
        account = snapshot.accounts[principal.account_id]
        for group in account.groups.values():
            if group.name in principal.group_names:
                arns.extend(group.managed_policy_arns)
    return [arn for arn in dict.fromkeys(arns) if not is_aws_managed_policy(arn)]


@functools.lru_cache(maxsize=1)
def _escalated_document():
    return DocumentParser().parse(ESCALATED, "graphiam's escalated policy")


def _escalated(principal: Principal) -> Principal:
    """``principal`` with an inline policy that allows everything (what it would write for itself)."""
    policy = AttachedPolicy("graphiam-escalated", "inline", _escalated_document(), None, principal.arn)
    return replace(principal, inline_policies=(*principal.inline_policies, policy))


def _admin_after(snapshot: Snapshot, after: Principal, engine: PolicyEngine | None = None) -> bool:
    """Whether the engine finds ``after`` an administrator on the snapshot as it would be with it (an engine of
    its own, sharing ``engine``'s organization-level results)."""
    changed = snapshot.with_principal(after)
    return is_admin(PolicyEngine(changed, memoize=engine.memoize if engine else True, share_from=engine), after)


ADMIN = "admin"  # the target of "can SOURCE become an administrator?"


def answer_becomes_admin(snapshot: Snapshot, graph: nx.MultiDiGraph, engine: PolicyEngine, source: str,
                         found: tuple[list[str], list[PrivescRow]]) -> PathAnswer:
    """"Can ``source`` become an administrator?" as a path answer (target ``admin``), from :func:`privesc`'s
    result: reachable when it is one, or its row's way (a technique on itself is one hop to itself)."""
    arn = resolve(graph, source)
    admins, rows = found
    row = next((r for r in rows if r.principal == arn), None)
    hops: tuple[Hop, ...] = ()
    if row is not None and row.technique is not None:
        use = row.technique
        hops = (Hop(arn, arn, use.technique.id, None,
                    tuple(e.to_dict() for g in use.granted for e in g.decision.granted_by),
                    tuple(r.to_dict() for g in use.granted for r in g.decision.requirements),
                    conditional=use.outcome is Outcome.CONDITIONAL, technique=use.technique_dict()),)
    elif row is not None:
        hops = row.hops
    reachable = arn in admins or row is not None
    near: tuple[dict, ...] = ()
    blockers: tuple = ()
    principal = snapshot.principal(arn)
    if not reachable and principal is not None:
        entries, blockers = self_near_misses(snapshot, engine, principal)
        near = tuple(entries)
    return PathAnswer(source=arn, target=ADMIN, action="sts:AssumeRole", service=None,
                      reachable=reachable, conditional=any(h.conditional for h in hops),
                      path=hops, blockers=blockers, fix=(), warnings=tuple(snapshot.warnings), escalation=True,
                      near_misses=near)


def self_near_misses(snapshot: Snapshot, engine: PolicyEngine, principal: Principal,
                     limit: int = 3) -> tuple[list[dict], tuple[Blocker, ...]]:
    """Why ``principal`` cannot make itself an administrator: each self technique it could use, with what
    is missing: a permission the technique needs (and its blockers), or, when the technique holds, the
    probe action that would still be denied afterwards (its boundary or SCPs cap it) and its blockers; and
    the closest one's blockers."""
    decider = EscalationDecider(snapshot, engine)
    found: list[tuple[int, dict, tuple[Blocker, ...]]] = []
    for technique in TECHNIQUES:
        if technique.kind != "self" or technique.caller not in ("any", principal.kind):
            continue
        if technique.id in REQUIRES_EXISTING_RESOURCE:
            continue
        for use, after in _uses(snapshot, engine, decider, technique, principal):
            if use.outcome is Outcome.DENIED:
                missing = [{"action": g.permission.action, "resource": g.resource,
                            "blockers": [b.to_dict() for b in g.decision.blockers]} for g in use.missing]
                found.append((len(missing), {"technique": technique.id, "name": technique.name, "missing": missing},
                              tuple(b for g in use.missing for b in g.decision.blockers)))
                continue
            capped = PolicyEngine(snapshot.with_principal(after))
            for action in ADMIN_PROBES:
                decision = capped.decide_action(after, action, "*")
                if decision.outcome is not Outcome.ALLOWED:
                    missing = [{"action": action, "resource": "*", "after": technique.id,
                                "blockers": [b.to_dict() for b in decision.blockers]}]
                    found.append((0, {"technique": technique.id, "name": technique.name, "missing": missing},
                                  decision.blockers))
                    break
            break  # one way per technique is enough to explain it
    found.sort(key=lambda item: item[0])
    return [entry for _, entry, _ in found[:limit]], (found[0][2] if found else ())


def with_permissions(snapshot: Snapshot, engine: PolicyEngine, hops, decider: EscalationDecider | None = None) -> tuple:
    """``hops`` with each technique hop's full technique (every permission with the statements that grant it),
    decided again for its pair: the graph's edges carry only the technique's summary."""
    decider = decider or EscalationDecider(snapshot, engine)
    out = []
    for hop in hops:
        if hop.technique is not None and "permissions" not in hop.technique:
            full = decider.hop_technique(hop.source, hop.target, hop.technique["id"])
            if full is not None:
                hop = replace(hop, technique=full)
        out.append(hop)
    return tuple(out)


def answer_escalation(snapshot: Snapshot, graph: nx.MultiDiGraph, engine: PolicyEngine, source: str,
                      target: str) -> PathAnswer:
    """Can ``source`` obtain ``target``'s permissions (a role, or a user it can take over) by any chain of
    sts:AssumeRole hops and escalation-technique hops? Without one, the techniques that come closest say
    which permission is missing and which layer blocks it."""
    source_arn, target_arn = resolve(graph, source), resolve(graph, target)
    if snapshot.principal(target_arn) is None:
        raise QueryError(f"{target_arn}: the target must be a role or user in the snapshot")
    hops = find_path(graph, source_arn, target_arn, None, RequestView(graph), escalation=True)
    if hops is not None:
        hops = list(with_permissions(snapshot, engine, hops))
    caller, goal = snapshot.principal(source_arn), snapshot.principal(target_arn)
    near: list[dict] = []
    blockers: tuple = ()
    if hops is None and caller is not None and goal is not None:
        decider = EscalationDecider(snapshot, engine)
        tried = decider.near_misses(caller, goal)
        # the most promising first: fewest permissions missing, then most already held
        tried.sort(key=lambda use: (len(use.missing), -(len(use.granted) - len(use.missing)), use.technique.id))
        for use in tried[:3]:
            near.append({"technique": use.technique.id, "name": use.technique.name,
                         "missing": [{"action": g.permission.action, "resource": g.resource,
                                      "blockers": [b.to_dict() for b in g.decision.blockers]} for g in use.missing]})
        if tried:
            blockers = tuple(b for g in tried[0].missing for b in g.decision.blockers)
    warnings = [w for hop in hops or () for w in hop.depends_on]
    warnings = [_depends_sentence(w) for w in dict.fromkeys(warnings)]
    warnings.extend(w for w in snapshot.warnings if w not in warnings)
    return PathAnswer(source=source_arn, target=target_arn, action=ASSUME_ROLE, service=None,
                      reachable=hops is not None, conditional=any(h.conditional for h in hops or ()),
                      path=tuple(hops or ()), blockers=blockers, fix=(), warnings=tuple(dict.fromkeys(warnings)),
                      escalation=True, near_misses=tuple(near))
