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
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import islice, product
from typing import Callable, Literal, Mapping, Sequence

from ..snapshot.model import AttachedPolicy, Condition, PolicyDocument, Principal, Role, Snapshot, Statement, User
from ..snapshot.names import account_of, parse_session_arn
from .conditions import (
    RequestContext,
    describe_condition,
    evaluate_condition,
    evaluate_conditions,
)
from .context import ContextCache, external_context, federated_context, service_context
from .decision import LAYER_NAMES, Blocker, Decision, Evidence, Layer, Outcome, Requirement
from .matching import (account_principal, action_matches, any_pattern_regex, is_unique_id, resources_match_state,
                       wildcard_match)

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

# How a trust statement's Principal names the caller: its exact ARN, one of its sessions, "*" (or a
# NotPrincipal that leaves it in), or its whole account.
GrantKind = Literal["exact", "session", "wildcard", "account"]
_POLICY_TYPES = {"scp": "SERVICE_CONTROL_POLICY", "rcp": "RESOURCE_CONTROL_POLICY"}
_PATH_KINDS = {"scp": "scp path", "rcp": "rcp path"}  # memo scopes of a whole root -> account path
_ORG_SCOPES = frozenset({"scp", "rcp", *_PATH_KINDS.values()})  # the memo scopes of the organization's policies
# the order in which a denied request's explanation tries the trust grants: the one that needs least first
_TRUST_PREFERENCE: tuple[GrantKind, ...] = ("session", "exact", "wildcard", "account")
# Alternatives of a conditional decision are the product of each layer's conditional Allows: kept to this many
MAX_ALTERNATIVES = 16


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
    # what the deciders derive from the allows (their options, the trust's grant families), made once: the
    # engine remembers a result and hands it to many requests
    derived: dict = field(default_factory=dict, compare=False, repr=False)

    def near_miss_note(self) -> str:
        """A sentence on the first Allow that failed only on a condition, or ``""``."""
        if not self.near_misses:
            return ""
        policy, statement, condition = self.near_misses[0]
        return (f" Statement {statement.label} of {policy.ref} would allow it, but its condition "
                f"{describe_condition(condition)} does not hold for this request.")


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
    session: str | None = None  # a role's session name, when the request names it (a session ARN as SOURCE)

    @property
    def shown(self) -> str:
        """The caller as messages name it: its session's ARN when the session is known."""
        if self.session is not None and self.principal is not None:
            return f"arn:aws:sts::{self.account_id}:assumed-role/{self.principal.name}/{self.session}"
        return _short(self.arn)


def _session_condition(role: Principal, sessions: Sequence[str], operator: str = "StringEquals") -> Condition:
    """The calling session's name as a condition: ``aws:userid`` of a role session is ``ROLE_ID:SESSION_NAME``."""
    return Condition(operator, "aws:userid", tuple(f"{role.role_id}:{name}" for name in sessions))  # type: ignore[union-attr]


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
        # rule 15: a session ARN names the *calling* session of the role, not the session it asks for
        session = parse_session_arn(value)
        if session is not None and session.account_id == caller.account_id and session.role_name == caller.principal.name:
            if caller.session is not None:
                return ("session", ()) if caller.session == session.session_name else None
            return "session", (_session_condition(caller.principal, (session.session_name,)),)
    return None


def match_principal(statement: Statement, caller: Caller) -> list[tuple[GrantKind, tuple[Condition, ...]]]:
    """Every way the statement's Principal (or NotPrincipal) element names the caller; ``[]`` if it does not.

    A statement can name the caller twice (its ARN and its account): each is
    a separate grant, since they need different things of the caller's side.
    """
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
        if found is not None and found not in matches:
            matches.append(found)
    if statement.not_principal:
        if any(not extra for _, extra in matches):
            return []  # named outright: left out
        if matches:  # named only as some of its sessions: left out when the calling session is one of them
            names = tuple(v.split(":", 1)[1] for _, extra in matches for c in extra for v in c.values)
            return [("wildcard", (_session_condition(caller.principal, names, "StringNotEquals"),))]  # type: ignore[arg-type]
        return [("wildcard", ())]
    return matches


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
            grants: list[tuple[GrantKind | None, tuple[Condition, ...]]] = [(None, ())]
            if caller is not None:
                if statement.effect == "Deny" and statement.not_principal and caller_has_boundary:
                    grants = [("wildcard", ())]  # rule 10: Deny + NotPrincipal always denies principals with a boundary
                else:
                    grants = match_principal(statement, caller)  # type: ignore[assignment]
                    if not grants:
                        continue
            holds, pending = evaluate_conditions(statement.conditions, context)
            if not holds:
                if statement.effect == "Allow":
                    failed = next(c for c in statement.conditions if evaluate_condition(c, context) is False)
                    result.near_misses.append((policy, statement, failed))
                continue
            for grant, extra in grants:
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
    return (caller.kind, caller.account_id, caller.arn if named else None, caller.session if view.sessions else None,
            caller_has_boundary)


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


# condition keys that describe the resource of a request (or the role as resource): a statement reading one
# can decide differently for two resources
_RESOURCE_KEY_PREFIXES = ("aws:resource", "iam:resourcetag", "iam:associatedresourcearn", "iam:passedtoservice",
                          "s3:", "ec2:", "lambda:")


# the resource keys that describe the resource's account, not the resource (context.resource_values): every
# resource of one account has the same values
_ACCOUNT_RESOURCE_KEYS = frozenset({"aws:resourceaccount", "aws:resourceorgid", "aws:resourceorgpaths"})


def trust_naming(principal_arn: str) -> PolicyDocument:
    """A trust policy with one statement: Allow ``principal_arn`` to call sts:AssumeRole."""
    raw = {"Version": "2012-10-17", "Statement": [{"Sid": "GraphiamRewrittenTrust", "Effect": "Allow",
                                                    "Principal": {"AWS": principal_arn}, "Action": ASSUME_ROLE}]}
    statement = Statement("Allow", (ASSUME_ROLE,), principals=(("AWS", (principal_arn,)),),
                          sid="GraphiamRewrittenTrust")
    return PolicyDocument((statement,), "rewritten:" + principal_arn, raw)


class PolicyEngine:
    """Decisions for one snapshot. Cheap to build; build a new one for an edited snapshot."""

    def __init__(self, snapshot: Snapshot, memoize: bool = True, share_from: "PolicyEngine | None" = None) -> None:
        """``memoize=False`` evaluates every layer of every request from scratch (the reference builder's
        engine, which the differential tests compare the memoized one against).

        ``share_from``: an engine of a snapshot with the very same organization (the same object, as
        :meth:`Snapshot.with_principal` keeps it), whose organization-level results this one reuses: an SCP
        or RCP level's result depends only on the request values it reads, never on whose snapshot asks
        (the privilege-escalation check decides one edited snapshot per principal and technique)."""
        self.snapshot = snapshot
        self.memoize = memoize
        # (kind of scope: "identity", "boundary", "trust"; owner; action) -> memo
        self._memos: dict[tuple[str, str, str], _Memo] = {}
        # the same for the organization's scopes ("scp", "rcp", "scp path", "rcp path"), which engines of one
        # organization may share
        self._org_memos: dict[tuple[str, str, str], _Memo] = {}
        self._views: dict[tuple[tuple[str | None, ...], str], LayerView] = {}  # (documents' digests, action) -> view
        self._levels_cache: dict[tuple[str, str], list[tuple[str, list[AttachedPolicy]]] | None] = {}
        if (share_from is not None and share_from.memoize == memoize
                and share_from.snapshot.organization is snapshot.organization):
            self._org_memos, self._views = share_from._org_memos, share_from._views
            self._levels_cache = share_from._levels_cache
        org = snapshot.organization
        # the organization policy types in use; a type the file says is off is not, one it does not list is
        # in use but unknown: only its listed denies can be decided, and every answer it touches says so
        self._org_policy_types = {p.type for p in org.policies} if org is not None else set()
        self._org_unknown: dict[str, str] = {}
        if org is not None:
            for policy_type in _POLICY_TYPES.values():
                status = org.policy_type_status(policy_type)
                if status == "off":
                    self._org_policy_types.discard(policy_type)
                elif status == "unknown" or not org.accounts_listed:
                    self._org_unknown[policy_type] = ("; ".join(org.incomplete) if org.incomplete else
                                                      f"{org.source} is incomplete")
                    self._org_policy_types.add(policy_type)
        self._identity_cache: dict[str, tuple[tuple[AttachedPolicy, ...], tuple[str, ...]]] = {}
        self._service_cache: dict[tuple[str, str], Decision] = {}
        self._boundaries: dict[str, AttachedPolicy] = {}
        self._trust_policies: dict[str, AttachedPolicy] = {}
        self._rewritten: dict[str, PolicyDocument] = {}  # caller ARN -> a trust naming it (decide_assume_rewritten)
        self._rewritten_policies: dict[str, AttachedPolicy] = {}
        self._pattern_cache: dict[tuple, tuple[tuple[str, ...], bool] | None] = {}  # resource_class's patterns per (caller, action)
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

    def _caller(self, principal: Principal, session: str | None = None) -> Caller:
        if session is not None and isinstance(principal, Role):
            return Caller("role", principal.arn, principal.account_id, principal, session)
        found = self._callers.get(principal.arn)
        if found is None:
            kind = "user" if isinstance(principal, User) else "role"
            found = Caller(kind, principal.arn, principal.account_id, principal)
            self._callers[principal.arn] = found
        return found

    def _snapshot_trust(self, role: Role) -> PolicyDocument | None:
        account = self.snapshot.accounts.get(role.account_id)
        known = account.roles.get(role.arn) if account is not None else None
        return known.trust_policy if known is not None else None

    def trust_policy(self, role: Role) -> AttachedPolicy:
        if role.trust_policy is not self._snapshot_trust(role):  # a rewritten trust: never the snapshot's
            rewritten = self._rewritten_policies.get(role.trust_policy.digest)
            if rewritten is None:  # one per caller, shared by every role it is written into
                rewritten = AttachedPolicy("the rewritten trust policy", "trust", role.trust_policy, None, None)
                self._rewritten_policies[role.trust_policy.digest] = rewritten
            return rewritten
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
        memos = self._org_memos if kind in _ORG_SCOPES else self._memos
        memo = memos.get(key)
        if memo is None:
            # the view reads only the documents: equal ones (one parsed object each) share it across owners
            documents = (tuple(p.document.digest if p.document is not None else None for p in policies), action)
            view = self._views.get(documents)
            if view is None:
                view = self._views[documents] = layer_view(policies, action)
            memo = memos[key] = _Memo(view)
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
        memo = ((self._org_memos if kind in _ORG_SCOPES else self._memos).get((kind, owner, action))
                or self._memo(kind, owner, policies, action))
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
        unknown = self._org_unknown.get(policy_type)
        if unknown is not None:
            org = self.snapshot.organization
            if org is None or account_id != org.management_account_id:
                verdict.depends_on.append(f"the {layer.upper()}s that apply to account {account_id}, "
                                          f"which the organization file does not hold ({unknown})")
        if levels is None:
            return
        # A level's verdict depends only on the request values its statements read (never on who asks
        # otherwise), so it is remembered under those values: exact memoization, not an approximation.
        path = clean_key = None
        if self.memoize:  # the whole path root -> account, for the caller's (or role's) account
            kind = _PATH_KINDS[layer]
            path = self._org_memos.get((kind, account_id, action)) or self._memo(
                kind, account_id, [p for _, policies in levels for p in policies], action)
            clean_key = (path.view.resource_key(resource), context.signature(path.view.keys) if path.view.keys else ())
            if clean_key in path.results:  # every level allowed, unconditionally, for these values
                return
        before = (len(verdict.blockers), len(verdict.slots), len(verdict.depends_on))
        for level, policies in levels:
            result = self._layer(layer, level, policies, action, resource, context, per_resource=True)
            if result.denies:
                verdict.add_denies(layer, result, action, resource, where=self.level_name(level))
            if unknown is not None:
                continue  # policies are missing from the file: a level without an Allow proves nothing
            if layer == "rcp":
                # RCPFullAWSAccess is attached to every level and cannot be detached (reading 5): RCPs only
                # deny, and a level that shows no allowing RCP is a gap in the organization file
                if not result.allows:
                    verdict.depends_on.append(f"RCPFullAWSAccess on {self.level_name(level)}, which the organization "
                                              "file does not show there (AWS attaches it to every target and it "
                                              "cannot be detached, so it was taken as attached)")
                continue
            options = _options(layer, result, evidence=False)
            if options is None:
                verdict.block(Blocker(
                    layer,
                    "implicit_deny",
                    f"No {LAYER_NAMES[layer]} attached to {self.level_name(level)} allows {action}"
                    f" {subject()}; every level from the root down must allow it." + result.near_miss_note(),
                    attached_to=level,
                ))
            elif options[0].requirements:
                verdict.need(layer, options)
        if path is not None and (len(verdict.blockers), len(verdict.slots), len(verdict.depends_on)) == before:
            path.results[clean_key] = True

    def _identity_side(
        self, caller: Principal, action: str, resource: str, context: RequestContext, verdict: "_Verdict",
        boundary: AttachedPolicy | None,
    ) -> tuple[LayerResult, LayerResult | None]:
        """The caller's identity policies, boundary (``self.boundary(caller)``) and SCPs.

        Explicit denies and the SCP levels go into ``verdict``; the identity
        and boundary results are returned, since whether their Allows are
        needed depends on how the trust names the caller (rules 7-10).
        """
        policies, missing = self.identity_policies(caller)
        if missing:
            verdict.depends_on.extend(missing)
        identity = self._layer("identity", caller.arn, policies, action, resource, context)
        if identity.denies:
            verdict.add_denies("identity", identity, action, resource)
        bound = None
        if boundary is not None:
            if boundary.document is None and boundary.arn:
                verdict.depends_on.append(boundary.arn)
            bound = self._layer("boundary", caller.arn, (boundary,), action, resource, context)
            if bound.denies:
                verdict.add_denies("permissions_boundary", bound, action, resource)
        if "SERVICE_CONTROL_POLICY" in self._org_policy_types and not (isinstance(caller, Role) and caller.is_service_linked):
            self._org_layer("scp", caller.account_id, action, resource, context, verdict,
                            lambda: f"for {_short(caller.arn)}")
        return identity, bound

    def _identity_blocker(self, caller: Principal, action: str, resource: str, identity: LayerResult) -> Blocker:
        return Blocker(
            "identity",
            "implicit_deny",
            f"No identity-based policy of {_short(caller.arn)}"
            + (" or its groups" if isinstance(caller, User) and caller.group_names else "")
            + f" allows {action} on {resource}." + identity.near_miss_note(),
            attached_to=caller.arn,
        )

    def _boundary_blocker(self, caller: Principal, action: str, resource: str, boundary: AttachedPolicy,
                          bound: LayerResult) -> Blocker:
        return Blocker(
            "permissions_boundary",
            "implicit_deny",
            f"The permissions boundary {boundary.ref} of {_short(caller.arn)} does not allow "
            f"{action} on {resource}, so no identity Allow can count." + bound.near_miss_note(),
            policy=boundary.ref,
            attached_to=caller.arn,
        )

    def _rcp(self, role: Role, action: str, context: RequestContext, verdict: "_Verdict") -> None:
        if "RESOURCE_CONTROL_POLICY" not in self._org_policy_types or role.is_service_linked or not _is_sts(action):
            return  # none in use; rule 12: not for service-linked roles; RCPs gate STS, not IAM
        self._org_layer("rcp", role.account_id, action, role.arn, context, verdict, lambda: f"on {role.arn}")

    def _trust(self, role: Role, action: str, context: RequestContext, caller: Caller, verdict: "_Verdict",
               caller_has_boundary: bool = False) -> LayerResult:
        """The role's trust policy for ``caller``: its denies go into ``verdict``; its Allows are returned.

        A role whose trust is not the snapshot's (:meth:`decide_assume_rewritten`) is evaluated afresh,
        never through the memo of the snapshot's trust."""
        if role.trust_policy is not self._snapshot_trust(role):
            # a rewritten trust (one per caller, the same for every role): remembered under its own name
            trust = self._layer("trust", role.trust_policy.digest, (self.trust_policy(role),), action, None, context,
                                caller, caller_has_boundary)
        else:
            trust = self._layer("trust", role.arn, (self.trust_policy(role),), action, None, context, caller,
                                caller_has_boundary)
        if trust.denies:
            verdict.add_denies("trust", trust, action, role.arn)
        return trust

    def _trust_blocker(self, role: Role, action: str, caller: Caller, trust: LayerResult) -> Blocker:
        return Blocker(
            "trust",
            "implicit_deny",
            f"The trust policy of {role.arn} does not allow {caller.shown} to call {action}"
            f"{self._trusted_summary(role, action)}." + trust.near_miss_note(),
            policy=self.trust_policy(role).ref,
            attached_to=role.arn,
        )

    def _trust_only(self, role: Role, action: str, context: RequestContext, caller: Caller) -> "_Verdict":
        """A caller whose own side is not evaluated (a service, a provider's users, an outside account):
        the trust and the role's RCPs."""
        verdict = _Verdict()
        trust = self._trust(role, action, context, caller, verdict)
        options = _options("trust", trust)
        if options is None:
            verdict.block(self._trust_blocker(role, action, caller, trust))
        else:
            verdict.need("trust", options)
        self._rcp(role, action, context, verdict)
        return verdict

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
    def decide_assume(self, caller: Principal, role: Role, action: str = ASSUME_ROLE,
                      session: str | None = None) -> Decision:
        """An IAM user, or a role's session (rule 13), calling sts:AssumeRole on ``role``.

        ``session`` is the calling session's name when the request names it
        (a role's session ARN as SOURCE); otherwise a trust naming a session
        of the role is a condition on the calling session's name.
        """
        context = self._contexts.principal(caller, role, session=session)
        verdict = _Verdict()
        boundary = self.boundary(caller)
        who = self._caller(caller, session)
        trust = self._trust(role, action, context, who, verdict, caller_has_boundary=boundary is not None)
        identity, bound = self._identity_side(caller, action, role.arn, context, verdict, boundary)
        self._rcp(role, action, context, verdict)
        same_account = caller.account_id == role.account_id
        # rule 1: any one applicable Allow suffices, so each way the trust names the caller is an alternative
        # path, needing the caller's own Allows or not (rules 7-10)
        for (identity_needed, boundary_needed), trust_options in _families(trust, caller, same_account,
                                                                           boundary is not None):
            path = [("trust", trust_options)]
            if identity_needed:
                path.append(("identity", _options("identity", identity)))
            if boundary_needed:
                path.append(("permissions_boundary", _options("permissions_boundary", bound)))  # type: ignore[arg-type]
            if all(options is not None for _, options in path):
                verdict.paths.append(path)  # type: ignore[arg-type]
        if not verdict.paths:
            # explain the path that needs least: the trust grant first, then what that grant needs of the caller
            preferred = min(trust.allows, key=lambda m: _TRUST_PREFERENCE.index(m.grant or "wildcard"), default=None)
            if preferred is None:
                verdict.block(self._trust_blocker(role, action, who, trust))
                identity_needed = not same_account
                boundary_needed = identity_needed or isinstance(caller, Role) or not USER_ARN_GRANT_IGNORES_BOUNDARY_IMPLICIT_DENY
            else:
                identity_needed, boundary_needed = _needs(preferred, caller, same_account, boundary is not None)
            if identity_needed and not identity.allows:
                verdict.block(self._identity_blocker(caller, action, role.arn, identity))
            if boundary_needed and bound is not None and not bound.allows:
                verdict.block(self._boundary_blocker(caller, action, role.arn, boundary, bound))  # type: ignore[arg-type]
        return verdict.decision()

    def resource_class(self, caller: Principal, action: str, resource: str,
                       policy_types: Sequence[str] = ()) -> tuple | None:
        """What a decision of ``caller`` calling ``action`` on ``resource`` (of its own account) reads of the
        resource: which of the Resource patterns of the statements that cover the action, in its identity
        policies, its boundary, its SCPs (and the organization policy types given, e.g. RCPs), match it.
        Two resources of one class get the same decision, evidence included; ``None`` when some statement
        reads more of the resource (a NotResource, a condition or variable on the resource or the request),
        so nothing may be shared.

        Callers of the engine may then decide once per class (the escalation edges' memo); the answer is
        exact, never a guess.
        """
        found = self._resource_patterns(caller, action, tuple(policy_types))
        if found is None:
            return None
        patterns, reads_account = found
        if reads_account and account_of(resource) != caller.account_id:
            return None  # the resource's account keys are the caller's only for a resource of its account
        return tuple(wildcard_match(pattern, resource) for pattern in patterns)

    def _resource_patterns(self, caller: Principal, action: str, policy_types: tuple[str, ...]
                           ) -> tuple[tuple[str, ...], bool] | None:
        """The Resource patterns :meth:`resource_class` tests, and whether a condition reads the keys of the
        resource's account (the same for every resource of one account); ``None`` when a statement reads
        more of the resource."""
        key = (caller.arn, action, policy_types)
        if key in self._pattern_cache:
            return self._pattern_cache[key]
        policies, _ = self.identity_policies(caller)
        documents = [p.document for p in policies]
        boundary = self.boundary(caller)
        if boundary is not None:
            documents.append(boundary.document)
        for policy_type in ("SERVICE_CONTROL_POLICY", *policy_types):
            for _, level in self.org_levels(caller.account_id, policy_type) or ():
                documents.extend(p.document for p in level)
        patterns: list[str] | None = []
        reads_account = False
        for document in documents:
            if document is None or patterns is None:
                continue
            for statement in document.statements:
                if action_matches(statement.actions, action) == statement.not_action:
                    continue
                keys = [c.key.lower() for c in statement.conditions]
                if statement.not_resource or any("${" in r for r in statement.resources or ()) or any(
                        (k.startswith(_RESOURCE_KEY_PREFIXES) and k not in _ACCOUNT_RESOURCE_KEYS)
                        or any("${" in v for v in c.values) for k, c in zip(keys, statement.conditions)):
                    patterns = None
                    break
                reads_account = reads_account or any(k in _ACCOUNT_RESOURCE_KEYS for k in keys)
                patterns.extend(r for r in statement.resources or () if r != "*" and r not in patterns)
        found = None if patterns is None else (tuple(patterns), reads_account)
        self._pattern_cache[key] = found
        return found

    def decide_assume_rewritten(self, caller: Principal, role: Role) -> Decision:
        """``caller`` calling sts:AssumeRole on ``role`` once its trust policy is rewritten to allow exactly
        the caller's ARN (what ``iam:UpdateAssumeRolePolicy`` lets a caller do; pathfinding iam-012).

        Everything else is the snapshot's: the caller's identity policies,
        boundary and SCPs, the role's RCPs; the rules decide which of them
        the assume still needs (rules 7-10: a trust naming the caller's ARN
        in its own account needs no identity Allow).
        """
        document = self._rewritten.get(caller.arn)
        if document is None:
            document = self._rewritten[caller.arn] = trust_naming(caller.arn)
        return self.decide_assume(caller, replace(role, trust_policy=document))

    def decide_pass(self, caller: Principal, role: Role, service: str) -> Decision:
        """``caller`` passing ``role`` to ``service`` (rules 16, 17)."""
        context = self._contexts.principal(caller, role, passed_to_service=service)
        verdict = _Verdict()
        boundary = self.boundary(caller)
        identity, bound = self._identity_side(caller, PASS_ROLE, role.arn, context, verdict, boundary)
        path: list[tuple[str, list[_Option]]] = []
        if identity.allows:
            path.append(("identity", _options("identity", identity)))  # type: ignore[arg-type]
        else:
            verdict.block(self._identity_blocker(caller, PASS_ROLE, role.arn, identity))
        if bound is not None:
            if bound.allows:
                path.append(("permissions_boundary", _options("permissions_boundary", bound)))  # type: ignore[arg-type]
            else:
                verdict.block(self._boundary_blocker(caller, PASS_ROLE, role.arn, boundary, bound))  # type: ignore[arg-type]
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
        verdict.paths.append(path)
        verdict.merge(self.decide_service(service, role))  # the passed role must be usable by the service
        return verdict.decision()

    def decide_action(self, caller: Principal, action: str, resource: str,
                      resource_keys: Mapping[str, Sequence[str]] | None = None) -> Decision:
        """``caller`` calling ``action`` on ``resource`` of its own account, as the identity side decides it:
        identity policies, permissions boundary and SCPs (rules 1-6, 11).

        This is how escalation techniques ask for their service actions
        (``ec2:RunInstances``, ``iam:UpdateAssumeRolePolicy`` ...). No
        resource-based policy is read: the resources are new ones, or IAM
        entities, which have none; RCPs do not cover these services.
        ``resource_keys`` are the resource's own condition keys
        (``aws:ResourceTag/...``) when it exists; a new resource has none.
        """
        context = self._contexts.action(caller, resource_keys)
        verdict = _Verdict()
        boundary = self.boundary(caller)
        identity, bound = self._identity_side(caller, action, resource, context, verdict, boundary)
        path: list[tuple[str, list[_Option]]] = []
        if identity.allows:
            path.append(("identity", _options("identity", identity)))  # type: ignore[arg-type]
        else:
            verdict.block(self._identity_blocker(caller, action, resource, identity))
        if bound is not None:
            if bound.allows:
                path.append(("permissions_boundary", _options("permissions_boundary", bound)))  # type: ignore[arg-type]
            else:
                verdict.block(self._boundary_blocker(caller, action, resource, boundary, bound))  # type: ignore[arg-type]
        verdict.paths.append(path)
        return verdict.decision()

    def decide_service(self, service: str, role: Role) -> Decision:
        """A service principal assuming ``role`` (what makes a passed role usable)."""
        key = (service, role.arn)
        cached = self._service_cache.get(key)
        if cached is None:
            context = service_context(self.snapshot, service, role)
            cached = self._trust_only(role, ASSUME_ROLE, context, Caller("service", service, None)).decision()
            self._service_cache[key] = cached
        return cached

    def decide_federated(self, provider: str, role: Role) -> Decision:
        """A SAML or OIDC provider's users assuming ``role``; their claims are request-time conditions."""
        action = ASSUME_ROLE_WITH_SAML if ":saml-provider/" in provider else ASSUME_ROLE_WITH_WEB_IDENTITY
        context = federated_context(self.snapshot, role)
        return self._trust_only(role, action, context, Caller("federated", provider, account_of(provider))).decision()

    def decide_external(self, principal: str, role: Role) -> Decision:
        """A caller from an account outside the snapshot (``arn:aws:iam::A:root`` or a principal ARN in A).

        Only the trust policy and the role's RCPs can be decided; the caller's
        own identity policies, boundary and SCPs are unknown, so an allowed
        result is always conditional on them (``depends_on`` says so).
        """
        account = account_of(principal)
        context = external_context(self.snapshot, role, account)
        verdict = self._trust_only(role, ASSUME_ROLE, context, Caller("external", principal, account))
        verdict.depends_on.append(f"identity policies of account {account} (not in the snapshot)" if account else
                                  "the identity policies of the caller's own account (any AWS account)")
        decision = verdict.decision()
        if decision.outcome is Outcome.ALLOWED:
            decision = Decision(Outcome.CONDITIONAL, decision.granted_by, (), decision.requirements, decision.depends_on)
        return decision


def _families(trust: LayerResult, caller: Principal, same_account: bool, has_boundary: bool
              ) -> list[tuple[tuple[bool, bool], list[_Option]]]:
    """The trust's Allows grouped by what they still need of the caller's side (:func:`_needs`), as options."""
    key = ("families", isinstance(caller, User), same_account, has_boundary)
    found = trust.derived.get(key)
    if found is None:
        grouped: dict[tuple[bool, bool], list[StatementMatch]] = {}
        for allow in trust.allows:
            grouped.setdefault(_needs(allow, caller, same_account, has_boundary), []).append(allow)
        found = trust.derived[key] = [(needs, _options_of("trust", allows, True)) for needs, allows in grouped.items()]
    return found


def _needs(allow: StatementMatch, caller: Principal, same_account: bool, has_boundary: bool) -> tuple[bool, bool]:
    """What a trust grant still needs of the caller's own side: (an identity Allow, a boundary Allow).

    Rules 7-10: across accounts, or when the trust names only the account,
    both sides must allow. Within one account a grant that names the caller
    needs no identity Allow; the boundary still limits a grant to a role's ARN
    (the role calls as its session), but not a grant to a session itself, nor
    ``"Principal": "*"`` narrowed by ``aws:PrincipalArn``, nor (reading 1) a
    grant to a user's ARN.
    """
    if not same_account or allow.grant == "account":
        return True, has_boundary
    if allow.grant == "session" or (allow.grant == "wildcard" and _narrowed_by_principal_arn(allow.statement)):
        return False, False
    if isinstance(caller, User):
        return False, has_boundary and not USER_ARN_GRANT_IGNORES_BOUNDARY_IMPLICIT_DENY
    return False, has_boundary


def _narrowed_by_principal_arn(statement: Statement) -> bool:
    return any(condition.key.lower() == "aws:principalarn" for condition in statement.conditions)


@dataclass(frozen=True)
class _Option:
    """One way a layer that must allow does allow: the requirements it leaves, and its evidence."""

    requirements: tuple[Requirement, ...]
    evidence: tuple[Evidence, ...]


def _options(layer: Layer, result: LayerResult | None, evidence: bool = True) -> list[_Option] | None:
    """The ways ``result``'s Allows satisfy the layer (see :func:`_options_of`); ``None`` when it has none."""
    if result is None or not result.allows:
        return None
    key = (layer, evidence)
    found = result.derived.get(key)
    if found is None:
        found = result.derived[key] = _options_of(layer, result.allows, evidence)
    return found


def _options_of(layer: Layer, allows: list[StatementMatch], evidence: bool) -> list[_Option]:
    """An unconditional Allow alone when there is one (any one Allow suffices), else each conditional one,
    fewest request-time conditions first."""
    unconditional = next((m for m in allows if not m.pending), None)
    chosen = [unconditional] if unconditional is not None else sorted(allows, key=lambda m: len(m.pending))
    return [_Option((m.requirement(layer, True),) if m.pending else (), (m.evidence(layer),) if evidence else ())
            for m in chosen]


_LAYER_ORDER = {"trust": 0, "identity": 1, "permissions_boundary": 2, "scp": 3, "rcp": 4, "service": 5}
_MAX_COMBINATIONS = 1024  # of the per-layer alternatives, before the smallest MAX_ALTERNATIVES are kept


class _Verdict:
    """Accumulates one request's evaluation; :meth:`decision` freezes it.

    ``slots`` are what every way of allowing the request needs (the SCP and
    RCP levels, the requirements of conditional denies); ``paths`` are the
    alternative ways the caller's side and the trust can allow (each a list
    of layers with their options). A decision is allowed when some path,
    with every slot, can be met.
    """

    __slots__ = ("blockers", "depends_on", "slots", "paths")

    def __init__(self) -> None:
        self.blockers: list[Blocker] = []
        self.depends_on: list[str] = []
        self.slots: list[tuple[str, list[_Option]]] = []
        self.paths: list[list[tuple[str, list[_Option]]]] = []

    def need(self, layer: str, options: list[_Option]) -> None:
        self.slots.append((layer, options))

    def block(self, blocker: Blocker) -> None:
        self.blockers.append(blocker)

    def add_denies(self, layer: Layer, result: LayerResult, action: str, resource: str, where: str = "") -> None:
        """Rule 1: an explicit Deny anywhere wins; one under request-time conditions becomes a requirement."""
        for deny in result.denies:
            if deny.pending:
                self.need(layer, [_Option((deny.requirement(layer, False),), ())])
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
        """``other`` must also allow (a passed role's use by its service): its blockers, or its sets as options."""
        self.blockers.extend(other.blockers)
        self.depends_on.extend(other.depends_on)
        if other.outcome is not Outcome.DENIED:
            self.need("service", [_Option(other.requirements, other.granted_by)]
                      + [_Option(more, ()) for more in other.alternatives])

    def decision(self) -> Decision:
        depends = tuple(dict.fromkeys(self.depends_on)) if self.depends_on else ()
        if self.blockers:
            return Decision(Outcome.DENIED, (), tuple(self.blockers), (), depends)
        if len(self.paths) <= 1:  # the common case, quickly: one way, every layer unconditional
            path = self.paths[0] if self.paths else []
            if all(len(options) == 1 and not options[0].requirements for _, options in (*path, *self.slots)):
                evidence = tuple(e for _, options in (*path, *self.slots) for e in options[0].evidence)
                return Decision(Outcome.ALLOWED, evidence, (), (), depends)
        sets = _requirement_sets(self.paths or [[]], self.slots)
        requirements, evidence = sets[0]
        if not requirements:
            return Decision(Outcome.ALLOWED, evidence, (), (), depends)
        return Decision(Outcome.CONDITIONAL, evidence, (), requirements, depends,
                        tuple(more for more, _ in sets[1:MAX_ALTERNATIVES]))


def _requirement_sets(paths: list[list[tuple[str, list[_Option]]]], slots: list[tuple[str, list[_Option]]]
                      ) -> list[tuple[tuple[Requirement, ...], tuple[Evidence, ...]]]:
    """Every minimal set of requirements that allows the request, fewest conditions first, with its evidence."""
    found: dict[frozenset[Requirement], tuple[tuple[Requirement, ...], tuple[Evidence, ...]]] = {}
    for path in paths:
        ordered = sorted(path + slots, key=lambda slot: _LAYER_ORDER[slot[0]])
        choices = [options for _, options in ordered]
        combos = [tuple(o[0] for o in choices)] if all(len(o) == 1 for o in choices) else \
            islice(product(*choices), _MAX_COMBINATIONS)
        for combo in combos:
            requirements = tuple(dict.fromkeys(r for option in combo for r in option.requirements))
            key = frozenset(requirements)
            if key not in found:
                found[key] = (requirements, tuple(e for option in combo for e in option.evidence))
    # a set that holds another one adds nothing: a request meeting it meets the smaller one too
    minimal = [entry for key, entry in found.items() if not any(other < key for other in found)]
    return sorted(minimal, key=lambda entry: sum(len(r.conditions) for r in entry[0]))
