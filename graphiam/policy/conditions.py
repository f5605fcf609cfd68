"""Condition operators, and which keys a snapshot can decide.

A condition evaluates to ``True``, ``False`` or ``None``. ``None`` means it
depends on a key known only when the request is made (MFA, ExternalId,
source IP, time, request tags, SAML/OIDC claims, ...): the decision is then
*conditional* on it (rule 18). Keys the snapshot knows — the principal's
ARN, account, org, tags, type and name, the role's account and tags, and
``iam:PassedToService`` — are decided here and never deferred.

Rules (../shared/aws-semantics.md, rule 4):
- different keys (and operators) in one block must all hold; several
  values for one key mean any of them may match;
- ``...IfExists`` holds when the key is absent; ``Null: "false"`` requires
  the key; a negated operator (``StringNotEquals``...) holds when the key is
  absent, a positive one does not;
- ``ForAnyValue:`` holds if some request value matches (false on an empty
  set); ``ForAllValues:`` holds if every request value matches (true on an
  empty set).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping, Sequence

from ..snapshot.model import Condition
from .matching import UnresolvedVariable, arn_matches, restore_literals, substitute_variables, wildcard_match

# Keys the snapshot decides. Families end in "/" and cover every key under them.
STATIC_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principaltype",
        "aws:username",
        "aws:userid",
        "aws:principalisawsservice",
        "aws:principalservicename",
        "aws:resourceaccount",
        "aws:resourceorgid",
        "aws:resourceorgpaths",
        "iam:passedtoservice",
    }
)
STATIC_KEY_FAMILIES = ("aws:principaltag/", "aws:resourcetag/", "iam:resourcetag/")

# Keys documented as request-time in the README; any key not static is treated the same way.
REQUEST_TIME_KEYS = (
    "aws:MultiFactorAuthPresent",
    "aws:MultiFactorAuthAge",
    "sts:ExternalId",
    "sts:RoleSessionName",
    "sts:SourceIdentity",
    "aws:SourceIdentity",
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:CalledVia",
    "aws:ViaAWSService",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:RequestTag/*",
    "aws:TagKeys",
    "aws:SourceArn",
    "aws:SourceAccount",
    "iam:AssociatedResourceArn",
    "SAML:* and OIDC claim keys",
)


class RequestContext:
    """The values a snapshot knows for one request, keyed case-insensitively.

    ``deferred`` lists keys that are static in general but not for this
    request (``aws:userid`` of a role session carries the session name).
    """

    __slots__ = ("_values", "_more", "_deferred", "_stated")

    def __init__(self, values: Mapping[str, Sequence[str]], deferred: Sequence[str] = ()) -> None:
        self._values = {key.lower(): tuple(v) for key, v in values.items()}
        self._more: dict[str, tuple[str, ...]] = {}
        self._deferred = frozenset(key.lower() for key in deferred)
        self._stated: frozenset[str] | None = None

    @classmethod
    def stated(cls, values: Mapping[str, Sequence[str]]) -> "RequestContext":
        """The values a person states for a request (``--context``): exactly those keys are known, any key."""
        context = cls(values)
        context._stated = frozenset(context._values)
        return context

    @classmethod
    def from_lowered(cls, values: dict[str, tuple[str, ...]], deferred: frozenset[str],
                     more: dict[str, tuple[str, ...]] | None = None) -> "RequestContext":
        """Build from keys already lower-cased: the engine's cached halves of a request.

        ``values`` and ``more`` must not share a key (the principal's keys and
        the role's); both are only read, so cached halves are shared, not copied.
        """
        context = cls.__new__(cls)
        context._values = values
        context._more = more or {}
        context._deferred = deferred
        context._stated = None
        return context

    def _lookup(self, lowered: str) -> tuple[str, ...] | None:
        found = self._values.get(lowered)
        return self._more.get(lowered) if found is None else found

    def signature(self, lowered_keys: tuple[str, ...]) -> tuple:
        """What this request says about ``lowered_keys``: enough to tell two requests apart for them."""
        return tuple([(k, k in self._deferred, self._lookup(k)) for k in lowered_keys])

    def lowered_values(self) -> dict[str, tuple[str, ...]]:
        return {**self._more, **self._values}

    def deferred_keys(self) -> frozenset[str]:
        return self._deferred

    def is_static(self, key: str) -> bool:
        lowered = key.lower()
        if self._stated is not None:
            return lowered in self._stated
        if lowered in self._deferred:
            return False
        return lowered in STATIC_KEYS or lowered.startswith(STATIC_KEY_FAMILIES)

    def get(self, key: str) -> tuple[str, ...] | None:
        """The key's values, or ``None`` when the request does not carry it."""
        values = self._lookup(key.lower())
        return values if values else None

    def variable(self, key: str) -> str | None:
        """The value used for ``${key}``: only single-valued static keys resolve."""
        if not self.is_static(key):
            return None
        values = self.get(key)
        return values[0] if values and len(values) == 1 else None


@dataclass(frozen=True)
class ParsedOperator:
    qualifier: str | None  # "ForAnyValue" | "ForAllValues" | None
    base: str  # positive form, e.g. "StringLike"
    negated: bool
    if_exists: bool


_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NotIpAddress": "IpAddress",
}


def parse_operator(operator: str) -> ParsedOperator:
    qualifier = None
    name = operator
    if ":" in name:
        prefix, _, name = name.partition(":")
        qualifier = {"foranyvalue": "ForAnyValue", "forallvalues": "ForAllValues"}.get(prefix.lower(), prefix)
    if_exists = name.endswith("IfExists")
    if if_exists:
        name = name[: -len("IfExists")]
    negated = name in _NEGATED
    return ParsedOperator(qualifier, _NEGATED.get(name, name), negated, if_exists)


def _parse_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _parse_date(text: str) -> datetime | None:
    """W3C ISO 8601 (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, date-times) or epoch seconds.

    A bare four-digit value is read as a year (the W3C form), any other run
    of digits as epoch seconds.
    """
    text = text.strip()
    try:
        if len(text) == 4 and text.isdigit():
            return datetime(int(text), 1, 1, tzinfo=timezone.utc)
        if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
            return datetime(int(text[:4]), int(text[5:]), 1, tzinfo=timezone.utc)
        if text.replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(text), tz=timezone.utc)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        return None


def _compare_numbers(op: str, policy: float | None, actual: float | None) -> bool:
    if policy is None or actual is None:
        return False
    return {
        "Equals": actual == policy,
        "LessThan": actual < policy,
        "LessThanEquals": actual <= policy,
        "GreaterThan": actual > policy,
        "GreaterThanEquals": actual >= policy,
    }.get(op, False)


def _ip_in(policy: str, actual: str) -> bool:
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(policy, strict=False)
    except ValueError:
        return False


def _positive_match(base: str, policy_value: str, actual: str) -> bool:
    """One policy value against one request value, for the positive form of an operator."""
    if base == "StringEquals":
        return restore_literals(policy_value) == actual
    if base == "StringEqualsIgnoreCase":
        return restore_literals(policy_value).lower() == actual.lower()
    if base == "StringLike":
        return wildcard_match(policy_value, actual)
    if base in ("ArnEquals", "ArnLike"):  # IAM treats both alike: wildcards per ARN field
        return arn_matches(policy_value, actual)
    if base == "Bool":
        return policy_value.lower() == actual.lower()
    if base == "BinaryEquals":
        return policy_value == actual
    if base.startswith("Numeric"):
        return _compare_numbers(base[len("Numeric"):], _parse_number(policy_value), _parse_number(actual))
    if base.startswith("Date"):
        p, a = _parse_date(policy_value), _parse_date(actual)
        if p is None or a is None:
            return False
        return _compare_numbers(base[len("Date"):], p.timestamp(), a.timestamp())
    if base == "IpAddress":
        return _ip_in(policy_value, actual)
    return False  # an operator IAM does not know matches nothing


def evaluate_condition(condition: Condition, context: RequestContext) -> bool | None:
    """``True``/``False``, or ``None`` when the answer depends on a request-time key."""
    op = parse_operator(condition.operator)
    if not context.is_static(condition.key):
        return None
    unresolved = False
    try:
        policy_values = [substitute_variables(v, context.variable) for v in condition.values]
    except UnresolvedVariable as missing:
        if not context.is_static(missing.key):
            return None
        policy_values = []
        unresolved = True
    actual = context.get(condition.key)

    if op.base == "Null":
        present = actual is not None
        return any((v.lower() == "true") != present for v in condition.values)

    if actual is None:
        if op.if_exists:
            return True
        if op.qualifier == "ForAllValues":
            return True
        if op.qualifier == "ForAnyValue":
            return False
        return op.negated
    if unresolved:
        # a static variable with no value (``${aws:username}`` of a role session, a tag the caller lacks): the
        # comparison cannot hold, negated operators included (IAM User Guide, policy variables: a variable
        # whose key is not in the request makes the condition false). The key's own absence is decided first.
        return False

    def matches(value: str) -> bool:
        return any(_positive_match(op.base, p, value) for p in policy_values)

    if op.qualifier == "ForAllValues":
        return all((not matches(v)) if op.negated else matches(v) for v in actual)
    if op.qualifier == "ForAnyValue":
        return any((not matches(v)) if op.negated else matches(v) for v in actual)
    if op.negated:
        return not any(matches(v) for v in actual)
    return any(matches(v) for v in actual)


def evaluate_conditions(
    conditions: Sequence[Condition], context: RequestContext
) -> tuple[bool, tuple[Condition, ...]]:
    """All conditions of a statement: ``(False, ())`` if one fails, else ``(True, pending)``.

    ``pending`` lists the conditions on request-time keys that must still
    hold; it is empty when the statement applies unconditionally.
    """
    pending = []
    for condition in conditions:
        result = evaluate_condition(condition, context)
        if result is False:
            return False, ()
        if result is None:
            pending.append(condition)
    return True, tuple(pending)


def describe_condition(condition: Condition) -> str:
    """A short phrase for a person: ``aws:MultiFactorAuthPresent Bool true``."""
    values = ", ".join(condition.values)
    return f"{condition.key} {condition.operator} {values}"

