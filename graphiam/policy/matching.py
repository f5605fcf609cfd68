"""Matching of actions, resources and principals, and policy variables.

AWS rules (../shared/aws-semantics.md, rules 2, 3 and 15):
- actions match case-insensitively, with ``*`` (any run) and ``?`` (one character);
- resources match case-sensitively with the same wildcards, in any segment;
- a principal ARN in a Principal element is matched exactly (only a lone ``*``
  is a wildcard), and a unique id such as ``AROA...`` matches nobody;
- ``${key}`` in a Resource or condition value is replaced by the request's
  value for that key before matching; ``${*}``, ``${?}``, ``${$}`` are the
  literal characters, and ``${key, 'default'}`` gives a default.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Sequence

UNIQUE_ID_PREFIXES = ("AIDA", "AROA", "AGPA", "ANPA", "AIPA", "ASIA", "AKIA")


def _regex_piece(c: str) -> str:
    if c == "*":
        return ".*"
    if c == "?":
        return "."
    return re.escape(restore_literals(c))


@lru_cache(maxsize=65536)
def _wildcard_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(_regex_piece(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """``*`` matches any run of characters, ``?`` exactly one.

    Wildcard characters that came from a substituted variable value (see
    :func:`substitute_variables`) match only themselves.
    """
    if "*" not in pattern and "?" not in pattern:
        pattern = restore_literals(pattern)
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return _wildcard_regex(pattern, ignore_case).fullmatch(value) is not None


def any_pattern_regex(patterns: Sequence[str]) -> re.Pattern[str]:
    """One case-sensitive regex whose ``fullmatch`` holds exactly when :func:`wildcard_match` holds for
    some pattern (patterns without ``${variables}``): what a Resource list matches, in one call."""
    body = "|".join("(?:" + "".join(_regex_piece(c) for c in pattern) + ")" for pattern in patterns)
    return re.compile(body, re.DOTALL)


def action_matches(patterns: Sequence[str], action: str) -> bool:
    return any(wildcard_match(p, action, ignore_case=True) for p in patterns)


def arn_matches(pattern: str, arn: str) -> bool:
    """ARN matching as the Arn* condition operators do it: segment by segment.

    The first five colon-separated fields (arn, partition, service, region,
    account) are compared one by one, so a wildcard cannot spill over a colon
    there; the resource part (the rest) is matched as one string.
    """
    if pattern == "*":
        return True
    p_parts = pattern.split(":", 5)
    a_parts = arn.split(":", 5)
    if len(p_parts) != 6 or len(a_parts) != 6:
        return restore_literals(pattern) == arn  # not both ARNs: only an exact match can hold
    return all(wildcard_match(p, a) for p, a in zip(p_parts, a_parts))


# -- policy variables ---------------------------------------------------------

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_LITERALS = {"*": "*", "?": "?", "$": "$"}


class UnresolvedVariable(Exception):
    """A ``${key}`` whose key has no value: the element does not match."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def substitute_variables(text: str, lookup: Callable[[str], str | None]) -> str:
    """Replace ``${key}`` with ``lookup(key)``; raise :class:`UnresolvedVariable` if it has none.

    IAM substitutes the value literally, so a tag value ``a*`` is not a
    wildcard: substituted ``*`` and ``?`` come back as the private-use
    markers U+E000/U+E001, which :func:`wildcard_match` matches literally.
    """
    if "${" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        if inner in _LITERALS:
            return _escape(_LITERALS[inner])
        default = None
        if "," in inner:
            inner, _, rest = inner.partition(",")
            inner = inner.strip()
            default = rest.strip().strip("'\"")
        value = lookup(inner)
        if value is None:
            if default is None:
                raise UnresolvedVariable(inner)
            value = default
        return _escape(value)

    return _VARIABLE.sub(replace, text)


def _escape(value: str) -> str:
    return value.replace("*", "\ue000").replace("?", "\ue001")


def restore_literals(text: str) -> str:
    return text.replace("\ue000", "*").replace("\ue001", "?")


def resource_pattern_matches(pattern: str, arn: str, lookup: Callable[[str], str | None]) -> bool:
    """Match one Resource entry (with variables) against an ARN, case-sensitively."""
    try:
        resolved = substitute_variables(pattern, lookup)
    except UnresolvedVariable:
        return False
    return wildcard_match(resolved, arn)


def resources_match(patterns: Sequence[str], arn: str, lookup: Callable[[str], str | None]) -> bool:
    return any(resource_pattern_matches(p, arn, lookup) for p in patterns)


def resources_match_state(
    patterns: Sequence[str], arn: str, lookup: Callable[[str], str | None], is_static: Callable[[str], bool]
) -> tuple[bool | None, tuple[str, ...]]:
    """Like :func:`resources_match`, but a variable on a request-time key gives an unknown answer.

    Returns ``(True, ())`` if some pattern matches, ``(None, (pattern, ...))``
    if none does but some pattern depends on a request-time variable (the
    match is then a request-time condition), else ``(False, ())``.
    """
    unknown = []
    for pattern in patterns:
        if "${" not in pattern:  # the common case: no variable to resolve
            if pattern == "*" or wildcard_match(pattern, arn):
                return True, ()
            continue
        try:
            resolved = substitute_variables(pattern, lookup)
        except UnresolvedVariable as missing:
            if not is_static(missing.key):
                unknown.append(pattern)
            continue
        if wildcard_match(resolved, arn):
            return True, ()
    return (None, tuple(unknown)) if unknown else (False, ())


def is_unique_id(value: str) -> bool:
    """A principal stored as its unique id: what IAM shows once the principal is deleted."""
    return value[:4] in UNIQUE_ID_PREFIXES and len(value) >= 16 and value.isalnum() and value.isupper()


def account_principal(value: str) -> str | None:
    """The account id if ``value`` names a whole account (``123456789012`` or ``arn:aws:iam::123456789012:root``)."""
    if value.isascii() and value.isdigit() and len(value) == 12:
        return value
    match = re.fullmatch(r"arn:aws[a-z-]*:iam::(\d{12}):root", value)
    return match.group(1) if match else None


