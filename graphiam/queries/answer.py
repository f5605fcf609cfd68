"""The answer to a path question: the chain, or why the direct request is denied and the verified fix.

:func:`answer_path` and :func:`answer_why` are what ``graphiam path`` and
``graphiam why`` compute; :class:`PathAnswer` is the value they return (its
``to_dict()`` is the ``--json`` contract). Rendering it for people is
:mod:`graphiam.present`'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

import networkx as nx

from ..graph.schema import ANY_PRINCIPAL, CAN_ASSUME, edge_attributes
from ..policy import ASSUME_ROLE, PASS_ROLE, Blocker, Decision, Outcome, PolicyEngine
from ..policy.request import StatedOutcome, apply_stated, stated_context
from ..policy.services import service_principal_problem
from ..snapshot.model import Role, Snapshot
from ..snapshot.names import account_of, account_root, parse_session_arn, partition_of
from .denied import DeniedMessage, parse_denied_message
from .errors import QueryError
from .explain import decide_direct, smallest_fix
from .paths import Hop, OutsideCaller, RequestView, find_path
from .resolve import UnknownPrincipalError, resolve

# a principal ARN of any account: what an outside SOURCE may be
_PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:(?:iam::\d{12}:(?:root|user/.+|role/.+)|sts::\d{12}:assumed-role/.+/.+)")

Context = Mapping[str, Sequence[str] | str]


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
    session: str | None = None  # the calling session's name, when SOURCE was a role's session ARN
    context: tuple[tuple[str, tuple[str, ...]], ...] = ()  # the stated request (``--context``), key by key
    stated: StatedOutcome | None = field(default=None, compare=False, repr=False)  # the direct request under it
    # set by ``why``: whether the snapshot agrees with the pasted denial, and if not, one sentence on why not
    consistent: bool | None = None
    disagreement: str | None = None
    # set by ``path --escalation``: True, and when there is no route, the techniques that come closest
    escalation: bool = False
    near_misses: tuple[dict, ...] = ()

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
        if self.session is not None:
            out["session"] = self.session
        if self.escalation:
            out["escalation"] = True
            out["near_misses"] = [dict(m) for m in self.near_misses]
        if self.context:
            out["context"] = {key: list(values) for key, values in self.context}
            out["assumed"] = [a.to_dict() for a in self.stated.assumed] if self.stated else []
        if self.reported is not None:
            out["reported"] = {
                "caller": self.reported.caller,
                "action": self.reported.action,
                "resource": self.reported.resource,
                "policy_type": self.reported.policy_type,
                "effect": self.reported.effect,
                "policy_arn": self.reported.policy_arn,
                "service": self.reported.service,
                "operation": self.reported.operation,
                "consistent": self.consistent,
                "disagreement": self.disagreement,
            }
        return out


def answer_path(snapshot: Snapshot, graph: nx.MultiDiGraph, engine: PolicyEngine, source: str, target: str,
                action: str = ASSUME_ROLE, service: str | None = None, context: Context | None = None) -> PathAnswer:
    """Can ``source`` reach ``target`` (assume it, or with ``action=iam:PassRole`` pass it to ``service``)?

    ``context`` states what the request carries (``{"aws:MultiFactorAuthPresent": "true"}``): conditions on
    those keys are decided, on every hop and on the direct request. A SOURCE that is a role's session ARN
    names the calling session, so a trust that names a session of that role is decided for it.
    """
    if action not in (ASSUME_ROLE, PASS_ROLE):
        raise QueryError(f"action {action}: graphiam answers sts:AssumeRole and iam:PassRole")
    if action == PASS_ROLE and not service:
        raise QueryError("iam:PassRole needs --service, the service principal that receives the role (e.g. ec2.amazonaws.com)")
    if action == ASSUME_ROLE and service:
        raise QueryError("--service goes with --action iam:PassRole")
    problem = service_principal_problem(service) if service else None
    if problem is not None:
        raise QueryError(f"--service {problem}")
    target_arn = resolve(graph, target)
    role = snapshot.role(target_arn)
    if role is None:
        raise QueryError(f"{target_arn}: the target must be a role in the snapshot")
    try:
        source_arn = resolve(graph, source)
    except UnknownPrincipalError:
        outside = _outside_caller(snapshot, graph, engine, source.strip())
        if outside is None:
            raise
        return _answer_outside(snapshot, graph, engine, outside, role, action, service, context)
    principal = snapshot.principal(source_arn)
    parsed = parse_session_arn(source.strip())
    session = parsed.session_name if parsed is not None and isinstance(principal, Role) else None
    stated = stated_context(context) if context else None
    first = None
    if session is not None:  # the calling session's aws:userid is known for its own first hop
        values = {**(context or {}), "aws:userid": f"{principal.role_id}:{session}"}  # type: ignore[union-attr]
        first = (source_arn, stated_context(values))
    hops = find_path(graph, source_arn, target_arn, service, RequestView(graph, stated, first))
    decision = _direct(snapshot, graph, engine, source_arn, role, service, session)
    on_stated = None
    if stated is not None and decision.outcome is Outcome.CONDITIONAL:
        on_stated = apply_stated([[r.to_dict() for r in s] for s in decision.requirement_sets], stated)
    reachable = hops is not None
    fix: list[dict] = []
    if not reachable and principal is not None:
        fix = smallest_fix(snapshot, principal, role, service, decision, session)
    warnings = list(decision.depends_on)
    for hop in hops or ():
        warnings.extend(hop.depends_on)
    warnings = [_depends_sentence(w) for w in dict.fromkeys(warnings)]
    warnings.extend(w for w in snapshot.warnings if w not in warnings)  # every warning reaches the answer
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
        warnings=tuple(dict.fromkeys(warnings)),
        direct=decision,
        session=session,
        context=tuple((key, (value,) if isinstance(value, str) else tuple(value)) for key, value in (context or {}).items()),
        stated=on_stated,
    )


def answer_why(snapshot: Snapshot, graph: nx.MultiDiGraph, engine: PolicyEngine, message: str,
               service: str | None = None, context: Context | None = None) -> PathAnswer:
    """Explain a pasted AccessDenied text for sts:AssumeRole or iam:PassRole, and check it against the snapshot.

    The message is evidence: the service of a PassRole denial comes from the
    message (or its wrapper) before the role's trust; a denial the snapshot
    would allow is said first, with its likely causes; a denying policy the
    snapshot does not hold, or a policy type graphiam cannot see, is said, and
    no Allow is offered against an explicit deny.
    """
    parsed = parse_denied_message(message)
    action = parsed.action
    if action.lower() == ASSUME_ROLE.lower():
        result = answer_path(snapshot, graph, engine, parsed.caller, parsed.resource, context=context)
    elif action.lower() == PASS_ROLE.lower():
        role_arn = resolve(graph, parsed.resource)
        service = service or parsed.service or _only_service(graph, role_arn)
        result = answer_path(snapshot, graph, engine, parsed.caller, parsed.resource, PASS_ROLE, service, context)
    else:
        raise QueryError(f"the message is about {action}; graphiam explains sts:AssumeRole and iam:PassRole")
    return _checked(snapshot, replace(result, reported=parsed))


def _checked(snapshot: Snapshot, result: PathAnswer) -> PathAnswer:
    """``result`` with the pasted denial compared to the snapshot's decision of the same request."""
    reported = result.reported
    assert reported is not None and result.direct is not None
    warnings = list(result.warnings)
    fix = result.fix
    unseen = reported.policy_type is not None and not reported.policy_type_modelled
    held = _holds_policy(snapshot, reported.policy_arn) if reported.policy_arn else True
    if not held:
        warnings.insert(0, f"the message names the denying policy {reported.policy_arn}, which the snapshot does "
                           "not hold: the snapshot is older than that policy, so collect it again")
    if reported.effect == "explicit_deny" and (not held or unseen):
        fix = ()  # an added Allow can never open an explicit deny, and this one is not in the snapshot
    blamed = reported.policy_type
    disagreement = None
    if result.direct.outcome is Outcome.ALLOWED:
        if unseen:
            disagreement = (f"The snapshot allows this request; AWS denied it in a {blamed.replace('_', ' ')}, "
                            "which graphiam cannot see (it is not part of a snapshot).")
        else:
            disagreement = ("The snapshot allows this request, but AWS denied it: the snapshot may be older than the "
                            "policies, or the denial comes from something a snapshot does not hold (a session "
                            "policy, a VPC endpoint policy, a resource's own policy).")
    elif (result.direct.outcome is Outcome.DENIED and blamed and not unseen
          and blamed not in {b.layer for b in result.blockers}):
        disagreement = (f"AWS blamed the {blamed.replace('_', ' ')}, but in the snapshot "
                        f"{', '.join(sorted({b.layer for b in result.blockers}))} blocks the request: the snapshot "
                        "may be older than the policies.")
    return replace(result, warnings=tuple(warnings), fix=fix, consistent=disagreement is None,
                   disagreement=disagreement)


def _holds_policy(snapshot: Snapshot, reference: str) -> bool:
    """Whether the snapshot holds the policy a message names (an IAM policy ARN, an SCP/RCP ARN or ``p-`` id)."""
    if ":iam::" in reference:
        return snapshot.managed_policy(reference) is not None
    org = snapshot.organization
    if org is None:
        return False
    return any(reference in (p.arn, p.policy_id) for p in org.policies)


def _direct(snapshot: Snapshot, graph: nx.MultiDiGraph, engine: PolicyEngine, source_arn: str, role: Role,
            service: str | None, session: str | None = None) -> Decision:
    """The engine's decision on the direct request: ``source_arn`` itself calling the action on ``role``."""
    principal = snapshot.principal(source_arn)
    if principal is not None:
        return decide_direct(engine, principal, role, service, session)
    kind = graph.nodes[source_arn].get("kind")
    if service is not None:
        raise QueryError(f"{source_arn}: only an IAM user or role can pass a role")
    if kind == "sso_user":  # an IAM Identity Center user signing in to a permission set's role
        from ..graph.identity_center import decide_user_sign_in

        return decide_user_sign_in(snapshot, engine, source_arn, role)
    if kind == "service":
        return engine.decide_service(source_arn, role)
    if kind == "federated":
        return engine.decide_federated(source_arn, role)
    if kind in ("account", "external_principal"):
        return engine.decide_external(source_arn, role)
    raise QueryError(f"{source_arn}: a {kind} cannot assume a role; give a user, role or provider")


def _outside_caller(snapshot: Snapshot, graph: nx.MultiDiGraph, engine: PolicyEngine, text: str) -> OutsideCaller | None:
    """A well-formed principal ARN of an account outside the snapshot, with the roles it may assume.

    Its candidates are the roles that trust any AWS principal, its account, or
    it by name; each is decided by the engine for this caller (its own
    identity policies are unknown, so every edge is conditional on them).
    """
    account = account_of(text)
    if not _PRINCIPAL_ARN.fullmatch(text) or account is None or account in snapshot.accounts:
        return None
    edges = {}
    for name in (ANY_PRINCIPAL, account_root(account, partition_of(text) or "aws"), text):
        if name not in graph:
            continue
        for _, role_arn, key in graph.out_edges(name, keys=True):
            role = snapshot.role(role_arn)
            if key != CAN_ASSUME or role is None or role_arn in edges:
                continue
            decision = engine.decide_external(text, role)
            if decision.allowed:
                edges[role_arn] = edge_attributes(CAN_ASSUME, ASSUME_ROLE, decision)
    return OutsideCaller(text, edges)


def _answer_outside(snapshot: Snapshot, graph: nx.MultiDiGraph, engine: PolicyEngine, outside: OutsideCaller,
                    role: Role, action: str, service: str | None, context: Context | None) -> PathAnswer:
    """The answer for a SOURCE outside the snapshot: decided as an external caller (rule 9, reading 6)."""
    if service is not None:
        raise QueryError(f"{outside.arn}: only an IAM user or role of the snapshot can pass a role")
    stated = stated_context(context) if context else None
    hops = find_path(graph, outside.arn, role.arn, None, RequestView(graph, stated), outside)
    decision = engine.decide_external(outside.arn, role)
    warnings = [_depends_sentence(w) for w in dict.fromkeys([*decision.depends_on,
                                                              *(w for hop in hops or () for w in hop.depends_on)])]
    warnings.extend(w for w in snapshot.warnings if w not in warnings)
    return PathAnswer(
        source=outside.arn, target=role.arn, action=action, service=None, reachable=hops is not None,
        conditional=True if hops else False, path=tuple(hops or ()), blockers=decision.blockers, fix=(),
        warnings=tuple(warnings), direct=decision,
        context=tuple((key, (value,) if isinstance(value, str) else tuple(value)) for key, value in (context or {}).items()),
    )


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
