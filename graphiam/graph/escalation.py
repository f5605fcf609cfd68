"""Escalation edges: which technique of the catalogue lets a principal become a role or take over a user.

Every technique (:mod:`graphiam.policy.techniques`) is decided the same way,
by the policy engine, as the real caller:

* each :class:`~graphiam.policy.techniques.Permission` is a
  :meth:`~graphiam.policy.PolicyEngine.decide_action` request (identity
  policies, boundary, SCPs) on the resource its template names; where the
  template leaves a part to the caller (a new function's name, the region),
  the engine is asked about concrete resources the caller's own Allow
  statements could name (:func:`graphiam.policy.matching.glob_witness`), and
  the permission holds when one of them is allowed;
* a pass technique's ``iam:PassRole`` is the ``can_pass`` edge the builder
  already decided (the passed role must trust the technique's service);
* a trust rewrite is ``iam:UpdateAssumeRolePolicy`` on the role, then the
  assume with the rewritten trust (:meth:`~graphiam.policy.PolicyEngine.decide_assume_rewritten`).

A technique holds when every permission (and one set of ``one_of``) is
allowed; it is conditional when any of them is. A caller and a target get one
``can_escalate`` edge however many techniques hold between them (there are
dozens of pass techniques per service): it carries ``technique``, the best one
(unconditional first, then in catalogue order) with each permission and the
statements that grant it (the JSON contract of ``path --escalation``), and
``techniques``, the ids of all that hold. The plain queries (``path``, ``reach``, ``who-can``)
walk only ``can_assume`` edges, so these change nothing unless asked for.

What is approximated (and said in the README): the permissions of one
technique are decided one by one, so two actions that must act on the same
new resource are each allowed on some resource of the shape, not shown to
share one; a boundary that narrows the resource differently from the
identity policy is checked on the identity policy's choice only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from ..policy import PASS_ROLE, Decision, Outcome, PolicyEngine
from ..policy.context import resource_values
from ..policy.evaluate import statements_for_action
from ..policy.matching import WITNESS_FILL, action_matches, glob_witness
from ..policy.techniques import (INSTANCE_PROFILE_PERMISSIONS, TECHNIQUES, Permission, Technique)
from ..snapshot.model import Principal, Role, Snapshot, User
from ..snapshot.names import partition_of
from .schema import CAN_ESCALATE, SharedDicts


@dataclass(frozen=True)
class Granted:
    """One permission of a technique, decided: the concrete resource asked about and the decision."""

    permission: Permission
    resource: str
    decision: Decision


class EscalationDecider:
    """Decides techniques for callers of one snapshot, remembering what does not depend on the target."""

    def __init__(self, snapshot: Snapshot, engine: PolicyEngine, shared: SharedDicts | None = None,
                 techniques: Sequence[Technique] = TECHNIQUES, across_targets: bool | None = None) -> None:
        """``across_targets``: reuse one decision for every role or user of the caller's account when the
        engine's resource class is the same (:meth:`PolicyEngine.resource_class`);
        by default as the engine memoizes, so the reference builder decides every pair afresh and the
        differential tests compare the two."""
        self.snapshot = snapshot
        self.engine = engine
        self.across_targets = engine.memoize if across_targets is None else across_targets
        self.shared = shared or SharedDicts()
        self.techniques = tuple(techniques)
        self.by_service: dict[str, list[Technique]] = {}
        for entry in self.techniques:
            if entry.kind == "pass_role" and entry.service:
                self.by_service.setdefault(entry.service, []).append(entry)
        self._names: dict[tuple[str, str], bool] = {}
        self._granted: dict[tuple, Granted] = {}
        self._rewrites: dict[tuple, Decision] = {}
        self._summaries: dict[str, dict] = {}  # technique id -> the summary every edge shares
        self._id_lists: dict[tuple[str, ...], list[str]] = {}
        self._can: dict[tuple[str, str], list[tuple[int, int, Technique]]] = {}  # (caller, service) -> _caller_ranks

    # -- one permission ---------------------------------------------------------------------------
    def names_action(self, caller: Principal, action: str) -> bool:
        """Whether any identity Allow of ``caller`` covers ``action`` (a cheap test before the engine)."""
        key = (caller.arn, action)
        found = self._names.get(key)
        if found is None:
            policies, _ = self.engine.identity_policies(caller)
            found = any(statement.effect == "Allow"  # each document's statements per action are computed once
                        for policy in policies if policy.document is not None
                        for statement in statements_for_action(policy.document, action))
            self._names[key] = found
        return found

    def _caller_ranks(self, caller: Principal, service: str) -> list[tuple[int, int, Technique]]:
        """The pass techniques of ``service`` that hold for ``caller`` apart from the pass itself and the
        instance profile, as (rank: 0 allowed, 1 conditional; catalogue index; technique). Their service
        actions and ``one_of`` do not name the role: decided once per caller and service."""
        key = (caller.arn, service)
        found = self._can.get(key)
        if found is None:
            found = []
            for index, technique in enumerate(self.by_service.get(service, ())):
                if not all(self.names_action(caller, p.action) for p in technique.permissions):
                    continue
                granted = [self.permission(caller, p) for p in technique.permissions]
                if technique.one_of:
                    granted.extend(self._best_alternative(caller, None, technique.one_of))
                if all(g.decision.allowed for g in granted):
                    found.append((_combined_rank(granted), index, technique))
            self._can[key] = found
        return found

    def _profile_rank(self, caller: Principal, role: Role) -> int | None:
        """How well ``caller`` can put ``role`` in an instance profile: 0 allowed, 1 conditional, None not."""
        profile = [self.permission(caller, p, role) for p in INSTANCE_PROFILE_PERMISSIONS]
        return _combined_rank(profile) if all(g.decision.allowed for g in profile) else None

    def _holding(self, caller: Principal, role: Role, service: str) -> list[tuple[int, int, Technique]]:
        """The pass techniques of ``service`` that hold for ``caller`` and ``role`` apart from the pass, as
        :meth:`_caller_ranks` gives them, with the role's instance profile (or the rights to make one)."""
        ranked = self._caller_ranks(caller, service)
        if role.instance_profiles or not any(entry.instance_profile for _, _, entry in ranked):
            return ranked
        profile = self._profile_rank(caller, role)
        return [(rank if not entry.instance_profile else max(rank, profile), index, entry)
                for rank, index, entry in ranked if profile is not None or not entry.instance_profile]

    def permission(self, caller: Principal, permission: Permission, target: Principal | None = None,
                   policy: str | None = None, group: str | None = None) -> Granted:
        """``permission`` for ``caller``, on the resource its template names for this target."""
        template = permission.resource
        names_target = "{role}" in template or "{user}" in template
        scope: object = None  # None: the decision is the same for every target of the caller's account
        if names_target and target is not None:
            scope = self._class(caller, permission.action, target.arn, ())
        key = (caller.arn, permission.action, template, scope, policy, group)
        found = self._granted.get(key)
        if found is None:
            resource = fill_template(template, caller, target, policy, group)
            found = self._decide(caller, permission, resource, target)
            self._granted[key] = found
        elif names_target and target is not None and found.resource != target.arn:
            found = Granted(permission, fill_template(template, caller, target, policy, group), found.decision)
        return found

    def _class(self, caller: Principal, action: str, resource: str, policy_types: tuple[str, ...]) -> object:
        """The memo key of a decision on ``resource``: its class (:meth:`PolicyEngine.resource_class`), or the
        resource itself when the engine says nothing may be shared (or the reference builder asks)."""
        if not self.across_targets:
            return resource
        found = self.engine.resource_class(caller, action, resource, policy_types)
        return resource if found is None else found

    def _decide(self, caller: Principal, permission: Permission, resource: str, target: Principal | None) -> Granted:
        keys = resource_values(self.snapshot, target) if target is not None and resource == target.arn else None
        if resource == "*" or ("*" not in resource and "?" not in resource):
            # a concrete resource, or an action with no resource-level permissions: only Resource "*" grants it
            return Granted(permission, resource, self.engine.decide_action(caller, permission.action, resource, keys))
        best: Granted | None = None
        for candidate in self._witnesses(caller, permission.action, resource):
            granted = Granted(permission, candidate, self.engine.decide_action(caller, permission.action, candidate))
            if best is None or _rank(granted.decision) < _rank(best.decision):
                best = granted
            if granted.decision.outcome is Outcome.ALLOWED:
                break
        assert best is not None
        return best

    def _witnesses(self, caller: Principal, action: str, template: str) -> list[str]:
        """Concrete resources of the template's shape to ask about: the plain one (every free part a chosen
        name), then one per identity Allow statement's Resource that could name such a resource."""
        found = [template.replace("*", WITNESS_FILL).replace("?", "x")]
        policies, _ = self.engine.identity_policies(caller)
        for policy in policies:
            if policy.document is None:
                continue
            for statement in policy.document.statements:
                if statement.effect != "Allow" or statement.not_resource or not statement.resources:
                    continue
                if action_matches(statement.actions, action) == statement.not_action:
                    continue
                for pattern in statement.resources:
                    if "${" in pattern:
                        continue  # a policy variable: the plain witness and the engine decide it
                    witness = _witness(pattern, template)
                    if witness is not None and witness not in found:
                        found.append(witness)
        return found

    # -- one technique ----------------------------------------------------------------------------
    def decide(self, technique: Technique, caller: Principal, target: Principal | None = None,
               pass_decision: Decision | None = None) -> "TechniqueUse":
        """``technique`` for ``caller`` against ``target`` (a role for pass and rewrite techniques, a user for
        takeovers); ``pass_decision`` is the ``can_pass`` edge's decision for a pass technique."""
        needed: list[Granted] = []
        if technique.kind == "pass_role":
            assert isinstance(target, Role) and pass_decision is not None
            needed.append(Granted(Permission(PASS_ROLE, "{role}"), target.arn, pass_decision))
        needed.extend(self.permission(caller, p, target) for p in technique.permissions)
        if technique.one_of:
            needed.extend(self._best_alternative(caller, target, technique.one_of))
        if technique.instance_profile:  # the role in an instance profile already, or the rights to put it in one
            assert isinstance(target, Role)
            if not target.instance_profiles:
                needed.extend(self.permission(caller, p, target) for p in INSTANCE_PROFILE_PERMISSIONS)
        if technique.kind == "rewrite_trust":
            assert isinstance(target, Role)
            if all(g.decision.allowed for g in needed):
                needed.append(Granted(Permission("sts:AssumeRole", "{role}"), target.arn, self._rewritten(caller, target)))
        return TechniqueUse(technique, caller.arn, target.arn if target is not None else caller.arn, tuple(needed),
                            combined_outcome(needed))

    def _rewritten(self, caller: Principal, role: Role) -> Decision:
        """The assume after a trust rewrite; once per caller when nothing that applies reads the role (the
        rewritten trust names only the caller, so the trust itself is the same for every role)."""
        key = (caller.arn, "rewritten", self._class(caller, "sts:AssumeRole", role.arn, ("RESOURCE_CONTROL_POLICY",)))
        found = self._rewrites.get(key)
        if found is None:
            found = self._rewrites[key] = self.engine.decide_assume_rewritten(caller, role)
        return found

    def _best_alternative(self, caller: Principal, target: Principal | None,
                          alternatives: Iterable[tuple[Permission, ...]]) -> list[Granted]:
        best: list[Granted] | None = None
        for option in alternatives:
            granted = [self.permission(caller, p, target) for p in option]
            if best is None or _combined_rank(granted) < _combined_rank(best):
                best = granted
            if _combined_rank(granted) == 0:
                break
        return best or []

    # -- the edges of one account -----------------------------------------------------------------
    def account_edges(self, account_id: str, principals: Sequence[Principal],
                      pass_edges: Iterable[tuple[str, str, str, dict, Decision]]) -> list[tuple[str, str, str, dict]]:
        """The technique edges into roles and users of ``account_id``: ``pass_edges`` are the account's
        ``can_pass`` edges (source, role, key, attributes, decision) as the builder decided them."""
        account = self.snapshot.accounts[account_id]
        by_arn = {p.arn: p for p in principals}
        out: dict[tuple[str, str], tuple[list[TechniqueUse], list[str]]] = {}
        for source, role_arn, _, data, decision in pass_edges:
            caller, role = by_arn.get(source), account.roles.get(role_arn)
            if caller is None or role is None:
                continue
            # every pass technique of this service shares the pass; decide in full only the best that holds
            holding = self._holding(caller, role, data.get("service") or "")
            if holding:
                _, _, best = min(holding, key=lambda item: item[:2])
                use = self.decide(best, caller, role, decision)
                self._add(out, use, [entry.id for _, _, entry in holding])
        rewrites = [t for t in self.techniques if t.kind == "rewrite_trust"]
        takeovers = [t for t in self.techniques if t.kind == "takeover"]
        roles = [role for role in account.roles.values() if not role.is_service_linked]
        users = list(account.users.values())
        for caller in principals:
            for entry in rewrites:
                if all(self.names_action(caller, p.action) for p in entry.permissions):
                    self._add_each(out, entry, caller, roles)
            for entry in takeovers:
                if all(self.names_action(caller, p.action) for p in entry.permissions):
                    self._add_each(out, entry, caller, users)
        edges = []
        # the attributes of uses made of the very same decisions (a caller's trust rewrites of a whole class of
        # roles) are built once: they hold no target-specific text (networkx copies the outer dict per edge;
        # the lists inside stay shared)
        same: dict[tuple, dict] = {}
        for (source, target), (uses, ids) in out.items():
            best = min(uses, key=lambda use: use.outcome is not Outcome.ALLOWED)  # the first unconditional one
            key = (source, best.technique.id, tuple(ids), tuple(id(g.decision) for g in best.granted))
            attributes = same.get(key)
            if attributes is None:
                attributes = best.attributes(self.shared, self._summaries)
                attributes["techniques"] = self._id_lists.setdefault(tuple(ids), ids)  # equal lists shared
                same[key] = attributes
            edges.append((source, target, CAN_ESCALATE, attributes))
        return edges

    def _add_each(self, out: dict, technique: Technique, caller: Principal, targets: Sequence[Principal]) -> None:
        """``technique`` (a trust rewrite or a takeover) from ``caller`` to each of ``targets`` but itself.

        Targets of one class (:meth:`_target_class`) get the same decisions, so the technique is decided
        once per class; what a use shows of its target (the resource asked about) is not on the edge."""
        decided: dict[tuple, TechniqueUse] = {}
        for target in targets:
            if target.arn == caller.arn:
                continue
            key = self._target_class(technique, caller, target)
            use = decided.get(key)
            if use is None:
                use = decided[key] = self.decide(technique, caller, target)
            self._add(out, use, target=target.arn)

    def _target_class(self, technique: Technique, caller: Principal, target: Principal) -> tuple:
        """What :meth:`decide` reads of ``target`` for a trust rewrite or a takeover: the memo keys
        :meth:`permission` and :meth:`_rewritten` use (:meth:`_class`: the target itself when nothing may be
        shared, or the reference builder asks)."""
        if technique.one_of or technique.instance_profile or technique.kind == "pass_role":
            return (target.arn,)  # decided per target: these read more than the permissions below
        key = [self._class(caller, p.action, target.arn, ()) for p in technique.permissions
               if "{role}" in p.resource or "{user}" in p.resource]
        if technique.kind == "rewrite_trust":
            key.append(self._class(caller, "sts:AssumeRole", target.arn, ("RESOURCE_CONTROL_POLICY",)))
        return tuple(key)

    def hop_technique(self, source: str, target: str, technique_id: str) -> dict | None:
        """The full technique of a ``can_escalate`` hop (each permission with its evidence), decided again for
        this pair: what a path answer shows for the hop."""
        caller, goal = self.snapshot.principal(source), self.snapshot.principal(target)
        entry = next((t for t in self.techniques if t.id == technique_id), None)
        if caller is None or goal is None or entry is None:
            return None
        passed = self.engine.decide_pass(caller, goal, entry.service) if entry.kind == "pass_role" else None
        if entry.kind == "pass_role" and not isinstance(goal, Role):
            return None
        return self.decide(entry, caller, goal, passed).technique_dict()

    def near_misses(self, caller: Principal, target: Principal) -> list["TechniqueUse"]:
        """Every technique that could reach ``target`` from ``caller`` in principle, decided in full (its
        missing permissions carry their blockers): why no technique hop exists."""
        out = []
        for entry in self.techniques:
            if entry.kind == "pass_role" and isinstance(target, Role) and entry.service:
                if caller.account_id != target.account_id:
                    continue
                out.append(self.decide(entry, caller, target, self.engine.decide_pass(caller, target, entry.service)))
            elif entry.kind == "rewrite_trust" and isinstance(target, Role) and not target.is_service_linked:
                if caller.account_id == target.account_id:
                    out.append(self.decide(entry, caller, target))
            elif entry.kind == "takeover" and isinstance(target, User) and caller.account_id == target.account_id:
                out.append(self.decide(entry, caller, target))
        return [use for use in out if use.outcome is Outcome.DENIED]

    def _add(self, found: dict, use: "TechniqueUse", holding: Sequence[str] | None = None,
             target: str | None = None) -> None:
        """Keep ``use`` for its pair when it holds; ``holding``: the ids of every technique that holds there
        (when only the best one was decided in full); ``target``: the pair's target when ``use`` was decided
        for another target of its class."""
        if use.outcome is not Outcome.DENIED:
            uses, ids = found.setdefault((use.source, target or use.target), ([], []))
            uses.append(use)
            ids.extend(i for i in (holding or [use.technique.id]) if i not in ids)


@dataclass(frozen=True)
class TechniqueUse:
    """A technique decided for one caller and target: each permission with its decision."""

    technique: Technique
    source: str
    target: str
    granted: tuple[Granted, ...]
    outcome: Outcome  # denied when any permission is, conditional when any is, else allowed

    @property
    def missing(self) -> tuple[Granted, ...]:
        """The permissions that are denied (with their blockers): why the technique fails."""
        return tuple(g for g in self.granted if not g.decision.allowed)

    def technique_dict(self, shared: SharedDicts | None = None) -> dict:
        as_dict = shared or (lambda value: value.to_dict())
        entry = self.technique
        return {
            "id": entry.id, "pathfinding": entry.pathfinding, "name": entry.name, "kind": entry.kind,
            "service": entry.service,
            "permissions": [{"action": g.permission.action, "resource": g.resource,
                             "allowed": g.decision.allowed,
                             "granted_by": [as_dict(e) for e in g.decision.granted_by],
                             "conditions": [as_dict(r) for r in g.decision.requirements]} for g in self.granted],
        }

    def attributes(self, shared: SharedDicts | None = None, summaries: dict | None = None) -> dict:
        """The edge's attributes: like an assume edge's, plus ``technique``: the technique's summary (id,
        pathfinding id, name, kind, service; one dict per technique, shared by every edge). Its permissions,
        each with its own evidence, are :meth:`technique_dict`, which the path queries ask for the hops
        they show (the graph of a large organization holds hundreds of thousands of these edges)."""
        as_dict = shared or (lambda value: value.to_dict())
        depends: list[str] = []
        for g in self.granted:
            depends.extend(d for d in g.decision.depends_on if d not in depends)
        summary = summaries.get(self.technique.id) if summaries is not None else None
        if summary is None:
            summary = technique_summary(self.technique)
            if summaries is not None:
                summaries[self.technique.id] = summary
        return {
            "edge_type": CAN_ESCALATE,
            "action": self.technique.id,
            "service": self.technique.service,
            "conditional": self.outcome is Outcome.CONDITIONAL,
            "granted_by": [as_dict(e) for g in self.granted for e in g.decision.granted_by],
            "conditions": [as_dict(r) for g in self.granted for r in g.decision.requirements],
            "alternatives": [],
            "depends_on": depends,
            "technique": summary,
        }


def technique_summary(technique: Technique) -> dict:
    """What an edge says of its technique: ids, name, kind and service (the permissions are per use)."""
    return {"id": technique.id, "pathfinding": technique.pathfinding, "name": technique.name, "kind": technique.kind,
            "service": technique.service}


def fill_template(template: str, caller: Principal, target: Principal | None = None, policy: str | None = None,
                  group: str | None = None) -> str:
    """A resource template with its placeholders filled for this caller and target (``*`` parts stay)."""
    values = {
        "{partition}": partition_of(caller.arn) or "aws",
        "{account}": caller.account_id,
        "{principal}": caller.arn,
        "{role}": target.arn if isinstance(target, Role) else "{role}",
        "{user}": target.arn if isinstance(target, User) else "{user}",
        "{policy}": policy or "{policy}",
        "{group}": group or "{group}",
    }
    out = template
    for placeholder, value in values.items():
        if placeholder in out:
            out = out.replace(placeholder, value)
    return out


def combined_outcome(granted: Sequence[Granted]) -> Outcome:
    outcomes = {g.decision.outcome for g in granted}
    if Outcome.DENIED in outcomes:
        return Outcome.DENIED
    return Outcome.CONDITIONAL if Outcome.CONDITIONAL in outcomes else Outcome.ALLOWED


def _rank(decision: Decision) -> int:
    return {Outcome.ALLOWED: 0, Outcome.CONDITIONAL: 1, Outcome.DENIED: 2}[decision.outcome]


def _combined_rank(granted: Sequence[Granted]) -> int:
    return max((_rank(g.decision) for g in granted), default=0)


@lru_cache(maxsize=65536)
def _witness(pattern: str, template: str) -> str | None:
    """:func:`glob_witness`, remembered: the same managed policy's patterns meet the same templates again."""
    return glob_witness(pattern, template)
