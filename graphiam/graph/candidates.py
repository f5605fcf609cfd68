"""Indexes that say which (principal, role) pairs are worth asking the engine about.

They never decide anything: they only rule out pairs the engine would
certainly deny, so the graph never loops over every principal x role pair.
Each filter is exact as a filter (it may keep a pair the engine denies, never
drop one it allows); the differential test against the reference builder,
which asks the engine about every pair, holds the indexes to that.

- :class:`AllowIndex`: per account, the Resource patterns of the identity
  Allow statements for one action (sts:AssumeRole, iam:PassRole), bucketed by
  the account field of the pattern, so a role ARN is matched only against the
  patterns that could name it.
- :func:`narrowed_by_conditions`: a trust statement naming ``"*"`` is its own
  bucket; a positive condition on ``aws:PrincipalArn`` or
  ``aws:PrincipalAccount`` in the same statement narrows it to the principals
  the condition can match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ..snapshot.model import PolicyDocument, Principal, Role, Snapshot, Statement
from ..snapshot.names import account_of
from ..policy import PolicyEngine
from ..policy.conditions import parse_operator
from ..policy.evaluate import statements_for_action
from ..policy.matching import account_principal, wildcard_match, wildcard_matcher

_NARROWING_OPERATORS = {"StringEquals", "StringLike", "ArnEquals", "ArnLike"}


def _pattern_account(pattern: str) -> str | None:
    """The literal account field of a Resource pattern, or ``None`` when any account could match."""
    parts = pattern.split(":", 5)
    if len(parts) != 6 or "*" in parts[4] or "?" in parts[4] or "${" in parts[4]:
        return None
    return parts[4]


@dataclass
class _AccountAllows:
    always: set[str] = field(default_factory=set)  # NotResource, variables, missing policies: always ask
    exact: dict[str, set[str]] = field(default_factory=dict)  # role ARN -> principals
    by_role_account: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # account -> pattern -> principals
    any_account: dict[str, set[str]] = field(default_factory=dict)  # pattern -> principals

    def add(self, principal: str, patterns: Iterable[str] | None) -> None:
        if patterns is None:
            self.always.add(principal)
            return
        for pattern in patterns:
            if "${" in pattern:
                self.always.add(principal)
            elif "*" not in pattern and "?" not in pattern:
                self.exact.setdefault(pattern, set()).add(principal)
            else:
                account = _pattern_account(pattern)
                bucket = self.any_account if account is None else self.by_role_account.setdefault(account, {})
                bucket.setdefault(pattern, set()).add(principal)

    def matching(self, role: Role) -> set[str]:
        found = set(self.always)
        found |= self.exact.get(role.arn, set())
        for bucket in (self.by_role_account.get(role.account_id, {}), self.any_account):
            for pattern, principals in bucket.items():
                if wildcard_match(pattern, role.arn):
                    found |= principals
        return found


class AllowIndex:
    """Principals, by account, whose identity policies have an Allow for ``action`` that could name a role."""

    def __init__(self, engine: PolicyEngine, principals: Iterable[Principal], action: str) -> None:
        self.action = action
        self.accounts: dict[str, _AccountAllows] = {}
        for principal in principals:
            policies, missing = engine.identity_policies(principal)
            allows = self.accounts.setdefault(principal.account_id, _AccountAllows())
            if missing:
                allows.add(principal.arn, None)  # an unseen policy might allow anything
                continue
            for policy in policies:
                for statement in statements_for_action(policy.document, action) if policy.document else ():
                    if statement.effect != "Allow":
                        continue
                    if statement.resources is None or statement.not_resource:
                        allows.add(principal.arn, None)
                    else:
                        allows.add(principal.arn, statement.resources)

    def candidates(self, account_id: str, role: Role) -> set[str]:
        """ARNs of principals in ``account_id`` with an Allow whose Resource could match ``role``."""
        allows = self.accounts.get(account_id)
        return allows.matching(role) if allows else set()


def narrowed_by_conditions(statement: Statement) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """ARN patterns and account ids a ``"*"`` trust statement's conditions limit the caller to.

    Only positive, non-``IfExists`` operators on single-valued keys narrow: the
    condition can then hold only for a caller whose ARN (account) equals or is
    like one of the values. ``None`` means no narrowing by that key.
    """
    arns: tuple[str, ...] | None = None
    accounts: tuple[str, ...] | None = None
    for condition in statement.conditions:
        operator = parse_operator(condition.operator)
        if operator.qualifier or operator.if_exists or operator.negated or operator.base not in _NARROWING_OPERATORS:
            continue
        if any("${" in value for value in condition.values):
            continue
        key = condition.key.lower()
        # several narrowing conditions must all hold: any one of them alone is a superset, keep the first
        if key == "aws:principalarn" and arns is None:
            arns = condition.values
        elif key == "aws:principalaccount" and operator.base in ("StringEquals", "StringLike") and accounts is None:
            accounts = condition.values
    return arns, accounts


class ArnPatternIndex:
    """All principals, with a cache of which match each ARN pattern (a pattern recurs in many roles)."""

    def __init__(self, principals: Iterable[Principal]) -> None:
        self.principals = {p.arn: p for p in principals}
        self._matches: dict[str, tuple[str, ...]] = {}

    def matching(self, pattern: str) -> tuple[str, ...]:
        """Principals whose ARN equals or is like ``pattern`` (whole-string wildcards: a superset of ArnLike)."""
        if "*" not in pattern and "?" not in pattern:
            return (pattern,) if pattern in self.principals else ()
        cached = self._matches.get(pattern)
        if cached is None:
            match = wildcard_matcher(pattern)  # compiled once, for every principal
            cached = tuple(arn for arn in self.principals if match(arn))
            self._matches[pattern] = cached
        return cached


class TrustReach:
    """Which accounts' principals a trust policy can let in, per document: a superset, read from its Allow
    statements the way the builder's candidate search reads them.

    ``None`` means any account (``NotPrincipal``, or ``"*"`` that no condition narrows); otherwise the ids (or
    account patterns, from ``aws:PrincipalArn`` patterns) of the accounts its principals, account principals,
    session ARNs and narrowing conditions name. A principal of another account can never be let in.
    """

    def __init__(self) -> None:
        self._seen: dict[str, frozenset[str] | None] = {}

    def accounts(self, document: PolicyDocument) -> frozenset[str] | None:
        if document.digest not in self._seen:
            self._seen[document.digest] = self._read(document)
        return self._seen[document.digest]

    def admits_any(self, document: PolicyDocument, accounts: set[str] | frozenset[str]) -> bool:
        """Whether a principal of any of ``accounts`` may be let in."""
        named = self.accounts(document)
        if named is None:
            return True
        for account in named:
            if "*" in account or "?" in account:
                if any(wildcard_match(account, candidate) for candidate in accounts):
                    return True
            elif account in accounts:
                return True
        return False

    @staticmethod
    def _read(document: PolicyDocument) -> frozenset[str] | None:
        named: set[str] = set()
        for statement in document.statements:
            if statement.effect != "Allow":
                continue
            if statement.not_principal:
                return None
            for principal_type, value in statement.named_principals():
                if principal_type not in ("AWS", "Federated"):
                    continue
                if value == "*":
                    arns, accounts = narrowed_by_conditions(statement)
                    if arns is not None:
                        named.update(_caller_account(pattern) for pattern in arns)
                    elif accounts is not None:
                        named.update(accounts)
                    else:
                        return None
                    continue
                account = account_principal(value) or account_of(value)
                if account:
                    named.add(account)
        return frozenset(named)


def _caller_account(pattern: str) -> str:
    """The account field of an ARN pattern, ``*`` when a wildcard before it could stand for anything up to it
    (or the pattern is no ARN)."""
    parts = pattern.split(":", 5)
    if len(parts) < 6 or any("*" in part or "?" in part for part in parts[:4]):
        return "*"
    return parts[4]


class RolesByCaller:
    """The roles of a snapshot whose trust can let in a principal of a given account (a superset)."""

    def __init__(self, snapshot: Snapshot) -> None:
        reach = TrustReach()
        self._any: list[Role] = []
        self._patterns: list[tuple[str, Role]] = []
        self._by_account: dict[str, list[Role]] = {}
        for role in snapshot.all_roles():
            named = reach.accounts(role.trust_policy)
            if named is None:
                self._any.append(role)
                continue
            for account in sorted(named):
                if "*" in account or "?" in account:
                    self._patterns.append((account, role))
                else:
                    self._by_account.setdefault(account, []).append(role)

    def roles(self, account_id: str) -> list[Role]:
        """Each role at most once, in the snapshot's order of roles."""
        found = {role.arn: role for role in (*self._any, *self._by_account.get(account_id, ()))}
        found.update((role.arn, role) for pattern, role in self._patterns if wildcard_match(pattern, account_id))
        return [found[arn] for arn in sorted(found)]
