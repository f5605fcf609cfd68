"""The one place that decides ``sts:AssumeRole`` and ``iam:PassRole`` the way AWS does.

Layers, each evaluated into a :class:`LayerResult`, then combined by
:meth:`PolicyEngine.decide_assume` / :meth:`PolicyEngine.decide_pass`:

==============  ===========================================================
identity        the caller's policies (a user's own and its groups', inline
                and managed; a role session's role policies)
boundary        the caller's permissions boundary, if it has one
scp             every level root -> OU -> account of the caller's account
rcp             every level of the role's account (STS actions only)
trust           the role's trust policy (a resource-based policy)
==============  ===========================================================

The numbered rules refer to ../shared/aws-semantics.md; the README lists
the readings graphiam takes where the AWS documentation is ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Literal, Sequence

from ..snapshot.model import AttachedPolicy, Condition, PolicyDocument, Principal, Role, Snapshot, Statement, User, account_of
from .conditions import (
    RequestContext,
    describe_condition,
    evaluate_condition,
    evaluate_conditions,
)
from .context import ContextCache, external_context, federated_context, service_context
from .decision import LAYER_NAMES, Blocker, Decision, Evidence, Layer, Outcome, Requirement
from .matching import account_principal, action_matches, any_pattern_regex, is_unique_id, resources_match_state

ASSUME_ROLE = "sts:AssumeRole"
PASS_ROLE = "iam:PassRole"
ASSUME_ROLE_WITH_SAML = "sts:AssumeRoleWithSAML"
ASSUME_ROLE_WITH_WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"

# The reading graphiam takes where the AWS docs disagree (rule 10): within one
# account, a trust statement that names an IAM *user* ARN grants access even if
# the user's permissions boundary does not allow sts:AssumeRole (the evaluation
# logic page); an explicit Deny in the boundary still wins. A grant to a *role*
# ARN is always limited by that role's boundary, because the role calls as its
# session.
USER_ARN_GRANT_IGNORES_BOUNDARY_IMPLICIT_DENY = True

GrantKind = Literal["exact", "wildcard", "account"]
_POLICY_TYPES = {"scp": "SERVICE_CONTROL_POLICY", "rcp": "RESOURCE_CONTROL_POLICY"}
_PATH_KINDS = {"scp": "scp path", "rcp": "rcp path"}  # memo scopes of a whole root -> account path
_TRUST_PREFERENCE: tuple[GrantKind, ...] = ("exact", "wildcard", "account")


@dataclass(frozen=True)
class StatementMatch:
    """A statement that applies to the request, possibly only under request-time conditions."""

    policy: AttachedPolicy
    statement: Statement
    pending: tuple[Condition, ...] = ()
    grant: GrantKind | None = None  # for trust statements: how the Principal named the caller
    # one Evidence per layer, made once: a remembered match grants many edges
    _evidence: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def evidence(self, layer: Layer) -> Evidence:
        found = self._evidence.get(layer)
        if found is None:
            found = Evidence(layer, self.policy.ref, self.statement.sid, self.statement.index + 1,
                             self.policy.attached_to)
            self._evidence[layer] = found
        return found

    def requirement(self, layer: Layer, must_hold: bool) -> Requirement:
        return Requirement(self.pending, must_hold, layer, self.policy.ref, self.statement.sid,
                           self.statement.index + 1)


@dataclass
class LayerResult:
    allows: list[StatementMatch] = field(default_factory=list)
    denies: list[StatementMatch] = field(default_factory=list)
    # Allow statements that named the request but whose (static) condition failed: why "almost"
    near_misses: list[tuple[AttachedPolicy, Statement, Condition]] = field(default_factory=list)

    def near_miss_note(self) -> str:
        """A sentence on the first Allow that failed only on a condition, or ``""``."""
        if not self.near_misses:
            return ""
        policy, statement, condition = self.near_misses[0]
        return (f" Statement {statement.label} of {policy.ref} would allow it, but its condition "
                f"{describe_condition(condition)} does not hold for this request.")

    def best_allow(self, prefer: Sequence[GrantKind] = ()) -> StatementMatch | None:
        """An unconditional Allow if there is one, else the one needing the fewest request-time keys."""
        if not self.allows:
            return None
        if len(self.allows) == 1:
            return self.allows[0]
        order = {kind: i for i, kind in enumerate(prefer)}
        return min(self.allows, key=lambda m: (order.get(m.grant, len(order)) if prefer else 0, len(m.pending)))


@lru_cache(maxsize=None)
def _is_sts(action: str) -> bool:
    return action.lower().startswith("sts:")


# -- principal matching (rule 15) ---------------------------------------------

@dataclass(frozen=True)
class Caller:
    """Who makes the request, as a trust policy's Principal element sees it."""

    kind: Literal["user", "role", "service", "federated", "external"]
    arn: str  # user/role ARN, service name, provider ARN, or external principal/account ARN
    account_id: str | None
    principal: Principal | None = None


def _match_aws_value(value: str, caller: Caller) -> tuple[GrantKind, tuple[Condition, ...]] | None:
    if value == "*":
        return "wildcard", ()
    if caller.kind in ("service", "federated") or is_unique_id(value):
        return None  # a unique id is a deleted principal: it matches nobody
    account = account_principal(value)
    if account is not None:
        return ("account", ()) if account == caller.account_id else None
    if value == caller.arn:
        return "exact", ()
    if caller.kind == "role" and caller.principal is not None:
        # a specific session: arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION
        prefix = f"arn:aws:sts::{caller.account_id}:assumed-role/{caller.principal.name}/"
        if value.startswith(prefix):
            session = value[len(prefix):]
            return "exact", (Condition("StringEquals", "sts:RoleSessionName", (session,)),)
    return None


def match_principal(statement: Statement, caller: Caller) -> tuple[GrantKind, tuple[Condition, ...]] | None:
    """How the statement's Principal element names the caller, or ``None`` if it does not."""
    matches: list[tuple[GrantKind, tuple[Condition, ...]]] = []
    for principal_type, value in statement.named_principals():
        if principal_type == "AWS":
            found = _match_aws_value(value, caller)
        elif principal_type == "Service" and caller.kind == "service":
            found = ("exact", ()) if value == caller.arn or value == "*" else None
        elif principal_type == "Federated" and caller.kind == "federated":
            found = ("exact", ()) if value == caller.arn else None
        else:
            found = None
        if found is not None:
            matches.append(found)
    if statement.not_principal:
        if matches:
            return None
        return "wildcard", ()
    if not matches:
        return None
    rank = {"exact": 0, "wildcard": 1, "account": 2}
    return min(matches, key=lambda m: (rank[m[0]], len(m[1])))


# -- layer evaluation ---------------------------------------------------------

def statements_for_action(document: PolicyDocument, action: str) -> tuple[Statement, ...]:
    """The statements whose Action (or NotAction) covers ``action``; computed once per distinct document."""
    found = document.by_action.get(action)
    if found is None:
        found = tuple(s for s in document.statements if action_matches(s.actions, action) != s.not_action)
        document.by_action[action] = found
    return found


def evaluate_layer(
    policies: Sequence[AttachedPolicy],
    action: str,
    resource: str | None,
    context: RequestContext,
    caller: Caller | None = None,
    caller_has_boundary: bool = False,
) -> LayerResult:
    """Every statement of ``policies`` that applies to the request.

    ``resource`` is ``None`` for trust policies (they have no Resource);
    ``caller`` is given for resource-based policies, whose Principal element
    must name it.
    """
    result = LayerResult()
    for policy in policies:
        if policy.document is None:
            continue
        for statement in statements_for_action(policy.document, action):
            resource_pending: tuple[Condition, ...] = ()
            if resource is not None and statement.resources is not None:
                matched, unknown = resources_match_state(statement.resources, resource, context.variable, context.is_static)
                if matched is None:
                    # the Resource names a request-time variable: whether it matches is itself request-time
                    resource_pending = (Condition("NotResource" if statement.not_resource else "Resource",
                                                  "resource", (resource, *unknown)),)
                elif matched == statement.not_resource:
                    continue
            grant: GrantKind | None = None
            extra: tuple[Condition, ...] = ()
            if caller is not None:
                if statement.effect == "Deny" and statement.not_principal and caller_has_boundary:
                    grant = "wildcard"  # rule 10: Deny + NotPrincipal always denies principals with a boundary
                else:
                    matched = match_principal(statement, caller)
                    if matched is None:
                        continue
                    grant, extra = matched
            holds, pending = evaluate_conditions(statement.conditions, context)
            if not holds:
                if statement.effect == "Allow":
                    failed = next(c for c in statement.conditions if evaluate_condition(c, context) is False)
                    result.near_misses.append((policy, statement, failed))
                continue
            match = StatementMatch(policy, statement, extra + resource_pending + pending, grant)
            (result.allows if statement.effect == "Allow" else result.denies).append(match)
    return result


_VARIABLE_NAME = re.compile(r"\$\{([^}]*)\}")


def keys_read(statement: Statement) -> set[str]:
    """The (lower-cased) request keys a statement's outcome can depend on, for a fixed action and resource."""
    keys = {condition.key.lower() for condition in statement.conditions}
    texts = [v for condition in statement.conditions for v in condition.values] + list(statement.resources or ())
    for text in texts:
        for name in _VARIABLE_NAME.findall(text):
            keys.add(name.split(",", 1)[0].strip().lower())
    return keys


@dataclass(frozen=True)
class LayerView:
    """What a layer's policies can depend on for one action: the facts that make memoizing it exact.

    ``evaluate_layer`` reads the resource only through Resource elements, the
    request only through the keys in ``keys``, and (for resource-based
    policies) the caller only through :func:`match_principal`. So two requests
    that agree on those give the same :class:`LayerResult`.
    """

    empty: bool  # no statement covers the action: the layer neither allows nor denies
    resource_dependent: bool  # some statement's Resource is not "*": the resource ARN matters
    keys: tuple[str, ...]  # lower-cased request keys the statements read
    names: frozenset[str] = frozenset()  # every principal value the statements list
    sessions: bool = False  # some value names a role session (assumed-role/...)
    # the Resource lists that are not "*" (each as one regex), when none holds a ${variable}: which of
    # them match the resource is then all the layer can tell of it
    resource_lists: tuple[re.Pattern[str], ...] | None = None

    def resource_key(self, resource: str | None) -> object:
        """What the layer's outcome can depend on of ``resource`` (``None`` when nothing)."""
        if not self.resource_dependent or resource is None:
            return None
        if self.resource_lists is None:
            return resource
        return tuple([pattern.fullmatch(resource) is not None for pattern in self.resource_lists])


def layer_view(policies: Sequence[AttachedPolicy], action: str) -> LayerView:
    statements = [s for p in policies if p.document is not None for s in statements_for_action(p.document, action)]
    keys: set[str] = set()
    names: set[str] = set()
    lists = [s.resources for s in statements if s.resources is not None and "*" not in s.resources]
    for statement in statements:
        keys |= keys_read(statement)
        names.update(value for _, value in statement.named_principals())
    static = not any("${" in pattern for patterns in lists for pattern in patterns)
    return LayerView(not statements, bool(lists), tuple(sorted(keys)), frozenset(names),
                     any(":assumed-role/" in name for name in names),
                     tuple(any_pattern_regex(patterns) for patterns in lists) if static else None)


def caller_key(view: LayerView, caller: Caller, caller_has_boundary: bool) -> tuple:
    """What :func:`match_principal` (and rule 10's NotPrincipal) can see of ``caller`` for the view's statements."""
    named = caller.arn in view.names or view.sessions
    return caller.kind, caller.account_id, caller.arn if named else None, caller_has_boundary


_EMPTY = LayerResult()  # shared by every layer with no statement for the action: never mutate it


class _Memo:
    """One scope's policies for one action: their view, and the results remembered under it."""

    __slots__ = ("view", "results")

    def __init__(self, view: LayerView) -> None:
        self.view = view
        self.results: dict[tuple, object] = {}


# -- the engine ------------------------------------------------------------------

def _short(arn: str) -> str:
    """``user/alice`` for messages, with the account when it helps: ``222222222222:user/alice``."""
    account = account_of(arn)
    resource = arn.split(":", 5)[-1] if arn.startswith("arn:") else arn
    return f"{account}:{resource}" if account else resource


class PolicyEngine:
    """Decisions for one snapshot. Cheap to build; build a new one for an edited snapshot."""

    def __init__(self, snapshot: Snapshot, memoize: bool = True) -> None:
        """``memoize=False`` evaluates every layer of every request from scratch (the reference builder's
        engine, which the differential tests compare the memoized one against)."""
        self.snapshot = snapshot
        self.memoize = memoize
        # (kind of scope: "identity", "boundary", "trust", "scp", "scp path", ...; owner; action) -> memo
        self._memos: dict[tuple[str, str, str], _Memo] = {}
        org = snapshot.organization
        self._org_policy_types = {p.type for p in org.policies} if org is not None else set()
        self._identity_cache: dict[str, tuple[tuple[AttachedPolicy, ...], tuple[str, ...]]] = {}
        self._service_cache: dict[tuple[str, str], Decision] = {}
        self._levels_cache: dict[tuple[str, str], list[tuple[str, list[AttachedPolicy]]] | None] = {}
        self._boundaries: dict[str, AttachedPolicy] = {}
        self._trust_policies: dict[str, AttachedPolicy] = {}
        self._callers: dict[str, Caller] = {}
        self._contexts = ContextCache(snapshot)

    # -- what applies to whom ----------------------------------------------------
    def _managed(self, arn: str, owner: str, kind: str = "managed") -> AttachedPolicy:
        policy = self.snapshot.managed_policy(arn)
        name = policy.name if policy else arn.rsplit("/", 1)[-1]
        return AttachedPolicy(name, kind, policy.document if policy else None, arn, owner)  # type: ignore[arg-type]

    def identity_policies(self, principal: Principal) -> tuple[tuple[AttachedPolicy, ...], tuple[str, ...]]:
        """Rule 5: a user's own policies and its groups' (inline and managed); a role's own.

        Returns the policies and the ARNs of attached managed policies missing from the snapshot.
        """
        cached = self._identity_cache.get(principal.arn)
        if cached is not None:
            return cached
        policies = list(principal.inline_policies)
        policies.extend(self._managed(arn, principal.arn) for arn in principal.managed_policy_arns)
        if isinstance(principal, User):
            for group in self.snapshot.groups_of(principal):
                policies.extend(group.inline_policies)
                policies.extend(self._managed(arn, group.arn) for arn in group.managed_policy_arns)
        missing = tuple(p.arn for p in policies if p.document is None and p.arn)
        cached = (tuple(policies), missing)
        self._identity_cache[principal.arn] = cached
        return cached

    def boundary(self, principal: Principal) -> AttachedPolicy | None:
        if not principal.permissions_boundary_arn:
            return None
        found = self._boundaries.get(principal.arn)
        if found is None:
            found = self._managed(principal.permissions_boundary_arn, principal.arn, "boundary")
            self._boundaries[principal.arn] = found
        return found

    def _caller(self, principal: Principal) -> Caller:
        found = self._callers.get(principal.arn)
        if found is None:
            kind = "user" if isinstance(principal, User) else "role"
            found = Caller(kind, principal.arn, principal.account_id, principal)
            self._callers[principal.arn] = found
        return found

    def trust_policy(self, role: Role) -> AttachedPolicy:
        found = self._trust_policies.get(role.arn)
        if found is None:
            found = AttachedPolicy(role.arn, "trust", role.trust_policy, None, role.arn)
            self._trust_policies[role.arn] = found
        return found

    def org_levels(self, account_id: str, policy_type: str) -> list[tuple[str, list[AttachedPolicy]]] | None:
        """SCPs or RCPs per level, root first; ``None`` when that policy type does not apply here.

        Rules 11 and 12: none for the management account, none outside the
        organization, none when the organization uses no policy of the type.
        """
        key = (account_id, policy_type)
        if key not in self._levels_cache:
            self._levels_cache[key] = self._org_levels(account_id, policy_type)
        return self._levels_cache[key]

    def _org_levels(self, account_id: str, policy_type: str) -> list[tuple[str, list[AttachedPolicy]]] | None:
        org = self.snapshot.organization
        if org is None or account_id == org.management_account_id:
            return None
        path = org.path_of(account_id)
        typed = [p for p in org.policies if p.type == policy_type]
        if path is None or not typed:
            return None
        kind = "scp" if policy_type == "SERVICE_CONTROL_POLICY" else "rcp"
        levels = []
        for level in path:
            attached = [
                AttachedPolicy(p.name, kind, p.document, p.arn, level)  # type: ignore[arg-type]
                for p in typed
                if level in p.target_ids
            ]
            levels.append((level, attached))
        return levels

    def _memo(self, kind: str, owner: str, policies: Sequence[AttachedPolicy], action: str) -> _Memo:
        """The memo of ``policies`` (what ``kind`` of policies ``owner`` has) for ``action``.

        The same policies attached to someone else are another scope: the
        evidence a result carries names what they are attached to.
        """
        key = (kind, owner, action)
        memo = self._memos.get(key)
        if memo is None:
            memo = self._memos[key] = _Memo(layer_view(policies, action))
        return memo

    def _layer(
        self,
        kind: str,
        owner: str,
        policies: Sequence[AttachedPolicy],
        action: str,
        resource: str | None,
        context: RequestContext,
        caller: Caller | None = None,
        caller_has_boundary: bool = False,
        per_resource: bool = False,
    ) -> LayerResult:
        """:func:`evaluate_layer`, remembered under exactly what its :class:`LayerView` says it reads.

        A layer whose Resource elements name specific ARNs is remembered
        under which of them match the resource; if they hold ``${variables}``,
        only per resource and only with ``per_resource`` (organization levels,
        which every role of an account shares), else it is evaluated afresh.
        """
        if not self.memoize:
            return evaluate_layer(policies, action, resource, context, caller, caller_has_boundary)
        memo = self._memos.get((kind, owner, action)) or self._memo(kind, owner, policies, action)
        view = memo.view
        if view.empty:
            return _EMPTY
        resource_key = None
        if view.resource_dependent:
            if view.resource_lists is None and not per_resource:
                return evaluate_layer(policies, action, resource, context, caller, caller_has_boundary)
            resource_key = view.resource_key(resource)
        key = (resource_key, caller_key(view, caller, caller_has_boundary) if caller is not None else None,
               context.signature(view.keys) if view.keys else ())
        result = memo.results.get(key)
        if result is None:
            result = evaluate_layer(policies, action, resource, context, caller, caller_has_boundary)
            memo.results[key] = result
        return result  # type: ignore[return-value]

    def level_name(self, level: str) -> str:
        org = self.snapshot.organization
        name = org.names.get(level) if org else None
        if level.startswith("ou-"):
            return f"OU {name} ({level})" if name else f"OU {level}"
        if level.startswith("r-"):
            return f"the root ({level})"
        return f"account {name} ({level})" if name and name != level else f"account {level}"

    # -- shared pieces --------------------------------------------------------------
    def _org_layer(
        self,
        layer: Layer,
        account_id: str,
        action: str,
        resource: str,
        context: RequestContext,
        verdict: "_Verdict",
        subject: Callable[[], str],
    ) -> None:
        """The SCPs (``layer="scp"``) or RCPs of ``account_id``: every level root -> account must allow."""
        policy_type = _POLICY_TYPES[layer]
        if policy_type not in self._org_policy_types:
            return  # no organization, or it uses no policy of this type (rule 11, 12)
        levels = self.org_levels(account_id, policy_type)
        if levels is None:
            return
        # A level's verdict depends only on the request values its statements read (never on who asks
        # otherwise), so it is remembered under those values: exact memoization, not an approximation.
        path = clean_key = None
        if self.memoize:  # the whole path root -> account, for the caller's (or role's) account
            kind = _PATH_KINDS[layer]
            path = self._memos.get((kind, account_id, action)) or self._memo(
                kind, account_id, [p for _, policies in levels for p in policies], action)
            clean_key = (path.view.resource_key(resource), context.signature(path.view.keys) if path.view.keys else ())
            if clean_key in path.results:  # every level allowed, unconditionally, for these values
                return
        before = (len(verdict.blockers), len(verdict.requirements))
        for level, policies in levels:
            result = self._layer(layer, level, policies, action, resource, context, per_resource=True)
            if result.denies:
                verdict.add_denies(layer, result, action, resource, where=self.level_name(level))
            if not verdict.allowed_by(layer, result.best_allow(), evidence=False):
                verdict.block(Blocker(
                    layer,
                    "implicit_deny",
                    f"No {LAYER_NAMES[layer]} attached to {self.level_name(level)} allows {action}"
                    f" {subject()}; every level from the root down must allow it." + result.near_miss_note(),
                    attached_to=level,
                ))
        if path is not None and (len(verdict.blockers), len(verdict.requirements)) == before:
            path.results[clean_key] = True

    def _identity_side(
        self, caller: Principal, action: str, resource: str, context: RequestContext, verdict: "_Verdict",
        identity_needed: bool, boundary_needed: bool, boundary: AttachedPolicy | None,
    ) -> None:
        """Identity policies, boundary (``self.boundary(caller)``) and SCPs of the caller. Explicit denies
        count whether needed or not."""
        policies, missing = self.identity_policies(caller)
        if missing:
            verdict.depends_on.extend(missing)
        identity = self._layer("identity", caller.arn, policies, action, resource, context)
        if identity.denies:
            verdict.add_denies("identity", identity, action, resource)
        if identity_needed:
            if not verdict.allowed_by("identity", identity.best_allow()):
                verdict.block(Blocker(
                    "identity",
                    "implicit_deny",
                    f"No identity-based policy of {_short(caller.arn)}"
                    + (" or its groups" if isinstance(caller, User) and caller.group_names else "")
                    + f" allows {action} on {resource}." + identity.near_miss_note(),
                    attached_to=caller.arn,
                ))
        if boundary is not None:
            if boundary.document is None and boundary.arn:
                verdict.depends_on.append(boundary.arn)
            bound = self._layer("boundary", caller.arn, (boundary,), action, resource, context)
            if bound.denies:
                verdict.add_denies("permissions_boundary", bound, action, resource)
            if boundary_needed:
                if not verdict.allowed_by("permissions_boundary", bound.best_allow()):
                    verdict.block(Blocker(
                        "permissions_boundary",
                        "implicit_deny",
                        f"The permissions boundary {boundary.ref} of {_short(caller.arn)} does not allow "
                        f"{action} on {resource}, so no identity Allow can count." + bound.near_miss_note(),
                        policy=boundary.ref,
                        attached_to=caller.arn,
                    ))
        if "SERVICE_CONTROL_POLICY" in self._org_policy_types and not (isinstance(caller, Role) and caller.is_service_linked):
            self._org_layer("scp", caller.account_id, action, resource, context, verdict,
                            lambda: f"for {_short(caller.arn)}")

    def _rcp(self, role: Role, action: str, context: RequestContext, verdict: "_Verdict") -> None:
        if "RESOURCE_CONTROL_POLICY" not in self._org_policy_types or role.is_service_linked or not _is_sts(action):
            return  # none in use; rule 12: not for service-linked roles; RCPs gate STS, not IAM
        self._org_layer("rcp", role.account_id, action, role.arn, context, verdict, lambda: f"on {role.arn}")

    def _trust(self, role: Role, action: str, context: RequestContext, caller: Caller, verdict: "_Verdict",
               caller_has_boundary: bool = False) -> StatementMatch | None:
        trust_policy = self.trust_policy(role)
        trust = self._layer("trust", role.arn, (trust_policy,), action, None, context, caller, caller_has_boundary)
        if trust.denies:
            verdict.add_denies("trust", trust, action, role.arn)
        allow = trust.best_allow(prefer=_TRUST_PREFERENCE)
        if not verdict.allowed_by("trust", allow):
            verdict.block(Blocker(
                "trust",
                "implicit_deny",
                f"The trust policy of {role.arn} does not allow {_short(caller.arn)} to call {action}"
                f"{self._trusted_summary(role, action)}." + trust.near_miss_note(),
                policy=trust_policy.ref,
                attached_to=role.arn,
            ))
        return allow

    @staticmethod
    def _trusted_summary(role: Role, action: str) -> str:
        named = []
        for statement in role.trust_policy.statements:
            if statement.effect != "Allow" or statement.not_principal:
                continue
            if action_matches(statement.actions, action) == statement.not_action:
                continue
            named.extend(value for _, value in statement.named_principals())
        if not named:
            return f" (no statement allows {action})"
        return "; it trusts " + ", ".join(sorted(set(named)))

    # -- decisions ----------------------------------------------------------------
    def decide_assume(self, caller: Principal, role: Role, action: str = ASSUME_ROLE) -> Decision:
        """An IAM user, or a role's session (rule 13), calling sts:AssumeRole on ``role``."""
        context = self._contexts.principal(caller, role)
        verdict = _Verdict()
        boundary = self.boundary(caller)
        trust = self._trust(role, action, context, self._caller(caller), verdict,
                            caller_has_boundary=boundary is not None)
        same_account = caller.account_id == role.account_id
        if trust is None:
            # without any trust grant, say what else stands in the way of the fix that names the caller exactly
            identity_needed = not same_account
        else:
            identity_needed = not same_account or trust.grant == "account"  # rules 7, 8, 9
        if identity_needed:
            boundary_needed = True
        elif isinstance(caller, User):
            boundary_needed = not USER_ARN_GRANT_IGNORES_BOUNDARY_IMPLICIT_DENY
        else:
            boundary_needed = True  # a role calls as its session: its boundary limits a grant to the role ARN
        self._identity_side(caller, action, role.arn, context, verdict, identity_needed, boundary_needed, boundary)
        self._rcp(role, action, context, verdict)
        return verdict.decision()

    def decide_pass(self, caller: Principal, role: Role, service: str) -> Decision:
        """``caller`` passing ``role`` to ``service`` (rules 16, 17)."""
        context = self._contexts.principal(caller, role, passed_to_service=service)
        verdict = _Verdict()
        self._identity_side(caller, PASS_ROLE, role.arn, context, verdict, identity_needed=True, boundary_needed=True,
                            boundary=self.boundary(caller))
        if caller.account_id != role.account_id:
            verdict.block(
                Blocker(
                    "identity",
                    "implicit_deny",
                    f"{role.arn} is in account {role.account_id}, and a role can only be passed to a service "
                    f"in its own account, not by {_short(caller.arn)} from account {caller.account_id}.",
                    attached_to=caller.arn,
                )
            )
        usable = self.decide_service(service, role)
        verdict.merge(usable)
        return verdict.decision()

    def decide_service(self, service: str, role: Role) -> Decision:
        """A service principal assuming ``role`` (what makes a passed role usable)."""
        key = (service, role.arn)
        cached = self._service_cache.get(key)
        if cached is None:
            cached = self._decide_service(service, role)
            self._service_cache[key] = cached
        return cached

    def _decide_service(self, service: str, role: Role) -> Decision:
        context = service_context(self.snapshot, service, role)
        verdict = _Verdict()
        self._trust(role, ASSUME_ROLE, context, Caller("service", service, None), verdict)
        self._rcp(role, ASSUME_ROLE, context, verdict)
        return verdict.decision()

    def decide_federated(self, provider: str, role: Role) -> Decision:
        """A SAML or OIDC provider's users assuming ``role``; their claims are request-time conditions."""
        action = ASSUME_ROLE_WITH_SAML if ":saml-provider/" in provider else ASSUME_ROLE_WITH_WEB_IDENTITY
        context = federated_context(self.snapshot, role)
        verdict = _Verdict()
        self._trust(role, action, context, Caller("federated", provider, account_of(provider)), verdict)
        self._rcp(role, action, context, verdict)
        return verdict.decision()

    def decide_external(self, principal: str, role: Role) -> Decision:
        """A caller from an account outside the snapshot (``arn:aws:iam::A:root`` or a principal ARN in A).

        Only the trust policy and the role's RCPs can be decided; the caller's
        own identity policies, boundary and SCPs are unknown, so an allowed
        result is always conditional on them (``depends_on`` says so).
        """
        account = account_of(principal)
        context = external_context(self.snapshot, role, account)
        verdict = _Verdict()
        self._trust(role, ASSUME_ROLE, context, Caller("external", principal, account), verdict)
        self._rcp(role, ASSUME_ROLE, context, verdict)
        verdict.depends_on.append(f"identity policies of account {account} (not in the snapshot)")
        decision = verdict.decision()
        if decision.outcome is Outcome.ALLOWED:
            decision = Decision(Outcome.CONDITIONAL, decision.granted_by, (), decision.requirements, decision.depends_on)
        return decision


class _Verdict:
    """Accumulates one request's evaluation; :meth:`decision` freezes it."""

    __slots__ = ("granted_by", "blockers", "requirements", "depends_on")

    def __init__(self) -> None:
        self.granted_by: list[Evidence] = []
        self.blockers: list[Blocker] = []
        self.requirements: list[Requirement] = []
        self.depends_on: list[str] = []

    def allowed_by(self, layer: Layer, allow: StatementMatch | None, evidence: bool = True) -> bool:
        """A layer that must allow: record its Allow (and what it still needs); ``False`` if there is none,
        and the caller then records the blocker."""
        if allow is None:
            return False
        if evidence:
            self.granted_by.append(allow.evidence(layer))
        if allow.pending:
            self.requirements.append(allow.requirement(layer, True))
        return True

    def block(self, blocker: Blocker) -> None:
        self.blockers.append(blocker)

    def add_denies(self, layer: Layer, result: LayerResult, action: str, resource: str, where: str = "") -> None:
        """Rule 1: an explicit Deny anywhere wins; one under request-time conditions becomes a requirement."""
        for deny in result.denies:
            if deny.pending:
                self.requirements.append(deny.requirement(layer, False))
                continue
            attached = f" attached to {where}" if where else ""
            self.block(
                Blocker(
                    layer,
                    "explicit_deny",
                    f"Statement {deny.statement.label} of {LAYER_NAMES[layer]} {deny.policy.ref}{attached} explicitly "
                    f"denies {action} on {resource}.",
                    policy=deny.policy.ref,
                    sid=deny.statement.sid,
                    attached_to=deny.policy.attached_to,
                    statement=deny.statement.index + 1,
                )
            )

    def merge(self, other: Decision) -> None:
        self.blockers.extend(other.blockers)
        self.requirements.extend(other.requirements)
        self.granted_by.extend(other.granted_by)
        self.depends_on.extend(other.depends_on)

    def decision(self) -> Decision:
        depends = tuple(dict.fromkeys(self.depends_on)) if self.depends_on else ()
        if self.blockers:
            return Decision(Outcome.DENIED, (), tuple(self.blockers), (), depends)
        if not self.requirements:
            return Decision(Outcome.ALLOWED, tuple(self.granted_by), (), (), depends)
        return Decision(Outcome.CONDITIONAL, tuple(self.granted_by), (), tuple(dict.fromkeys(self.requirements)), depends)
