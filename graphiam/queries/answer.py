"""The answer to a path question: the chain, or why the direct request is denied and the verified fix.

:func:`answer_path` and :func:`answer_why` are what ``graphiam path`` and
``graphiam why`` compute; :class:`PathAnswer` is the value they return (its
``to_dict()`` is the ``--json`` contract). Rendering it for people is
:mod:`graphiam.present`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import networkx as nx

from ..graph.schema import CAN_ASSUME
from ..policy import ASSUME_ROLE, PASS_ROLE, Blocker, Decision, PolicyEngine
from ..snapshot.model import Role, Snapshot
from .denied import DeniedMessage, parse_denied_message
from .errors import QueryError
from .explain import decide_direct, smallest_fix
from .paths import Hop, find_path
from .resolve import resolve


@dataclass(frozen=True)
class PathAnswer:
    """Can ``source`` reach ``target``: the chain (``path``), the direct request's blockers, the fix."""

    source: str
    target: str
    action: str
    service: str | None
    reachable: bool
    conditional: bool
    path: tuple[Hop, ...]
    blockers: tuple[Blocker, ...]
    fix: tuple[dict, ...]
    warnings: tuple[str, ...] = ()
    direct: Decision | None = field(default=None, compare=False, repr=False)
    reported: DeniedMessage | None = None  # set by ``why``: what the AccessDenied text claimed

    def to_dict(self) -> dict:
        out = {
            "source": self.source,
            "target": self.target,
            "action": self.action,
            "service": self.service,
            "reachable": self.reachable,
            "conditional": self.conditional,
            "path": [hop.to_dict() for hop in self.path],
            "blockers": [b.to_dict() for b in self.blockers],
            "fix": [dict(f) for f in self.fix],
            "warnings": list(self.warnings),
        }
        if self.reported is not None:
            out["reported"] = {
                "caller": self.reported.caller,
                "action": self.reported.action,
                "resource": self.reported.resource,
                "policy_type": self.reported.policy_type,
                "effect": self.reported.effect,
                "policy_arn": self.reported.policy_arn,
            }
        return out


def answer_path(snapshot: Snapshot, graph: nx.MultiDiGraph, engine: PolicyEngine, source: str, target: str,
                action: str = ASSUME_ROLE, service: str | None = None) -> PathAnswer:
    """Can ``source`` reach ``target`` (assume it, or with ``action=iam:PassRole`` pass it to ``service``)?"""
    if action not in (ASSUME_ROLE, PASS_ROLE):
        raise QueryError(f"action {action}: graphiam answers sts:AssumeRole and iam:PassRole")
    if action == PASS_ROLE and not service:
        raise QueryError("iam:PassRole needs --service, the service principal that receives the role (e.g. ec2.amazonaws.com)")
    if action == ASSUME_ROLE and service:
        raise QueryError("--service goes with --action iam:PassRole")
    source_arn, target_arn = resolve(graph, source), resolve(graph, target)
    role = snapshot.role(target_arn)
    if role is None:
        raise QueryError(f"{target_arn}: the target must be a role in the snapshot")
    hops = find_path(graph, source_arn, target_arn, service)
    decision = _direct(snapshot, graph, engine, source_arn, role, service)
    principal = snapshot.principal(source_arn)
    reachable = hops is not None
    fix: list[dict] = []
    if not reachable and principal is not None:
        fix = smallest_fix(snapshot, principal, role, service, decision)
    warnings = list(decision.depends_on)
    for hop in hops or ():
        warnings.extend(hop.depends_on)
    warnings = [_depends_sentence(w) for w in dict.fromkeys(warnings)]
    warnings.extend(w for w in snapshot.warnings if w.startswith("no organization file"))
    return PathAnswer(
        source=source_arn,
        target=target_arn,
        action=action,
        service=service,
        reachable=reachable,
        conditional=any(h.conditional for h in hops or ()),
        path=tuple(hops or ()),
        blockers=decision.blockers,
        fix=tuple(fix),
        warnings=tuple(warnings),
        direct=decision,
    )


def answer_why(snapshot: Snapshot, graph: nx.MultiDiGraph, engine: PolicyEngine, message: str,
               service: str | None = None) -> PathAnswer:
    """Explain a pasted AccessDenied text for sts:AssumeRole or iam:PassRole."""
    parsed = parse_denied_message(message)
    action = parsed.action
    if action.lower() == ASSUME_ROLE.lower():
        result = answer_path(snapshot, graph, engine, parsed.caller, parsed.resource)
    elif action.lower() == PASS_ROLE.lower():
        role_arn = resolve(graph, parsed.resource)
        service = service or _only_service(graph, role_arn)
        result = answer_path(snapshot, graph, engine, parsed.caller, parsed.resource, PASS_ROLE, service)
    else:
        raise QueryError(f"the message is about {action}; graphiam explains sts:AssumeRole and iam:PassRole")
    return replace(result, reported=parsed)


def _direct(snapshot: Snapshot, graph: nx.MultiDiGraph, engine: PolicyEngine, source_arn: str, role: Role,
            service: str | None) -> Decision:
    """The engine's decision on the direct request: ``source_arn`` itself calling the action on ``role``."""
    principal = snapshot.principal(source_arn)
    if principal is not None:
        return decide_direct(engine, principal, role, service)
    kind = graph.nodes[source_arn].get("kind")
    if service is not None:
        raise QueryError(f"{source_arn}: only an IAM user or role can pass a role")
    if kind == "service":
        return engine.decide_service(source_arn, role)
    if kind == "federated":
        return engine.decide_federated(source_arn, role)
    if kind in ("account", "external_principal"):
        return engine.decide_external(source_arn, role)
    raise QueryError(f"{source_arn}: a {kind} cannot assume a role; give a user, role or provider")


def _only_service(graph: nx.MultiDiGraph, role_arn: str) -> str:
    services = sorted(u for u, _, k in graph.in_edges(role_arn, keys=True)
                      if k == CAN_ASSUME and graph.nodes[u].get("kind") == "service")
    if len(services) == 1:
        return services[0]
    listed = ", ".join(services) if services else "none"
    raise QueryError(f"{role_arn}: the message does not say which service receives the role "
                     f"(its trust allows: {listed}); give --service")


def _depends_sentence(item: str) -> str:
    if item.startswith("arn:"):
        return f"the answer depends on managed policy {item}, which is not in the snapshot"
    return f"the answer depends on {item}"
