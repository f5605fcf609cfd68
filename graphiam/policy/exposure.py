"""Which trust statements let in callers the snapshot cannot list: any AWS principal, any token holder.

A trust Allow for ``"*"`` (``"AWS": "*"``, ``"Principal": "*"`` or an Allow
with ``NotPrincipal``) lets in every principal of every AWS account unless a
condition confines the caller to known ones: its organization, account, ARN or
user id. Conditions on anything else (an ExternalId, MFA, a source IP, the
caller's own tags, which any account can set on its principals) narrow the
*request*, not *who* can make it, so such a role is world-assumable under
those conditions. Likewise a web-identity (OIDC) trust with no condition on
the provider's ``aud`` or ``sub`` claims lets in anyone who holds a token of
that provider.
"""

from __future__ import annotations

from ..snapshot.model import Statement
from .conditions import parse_operator

# condition keys that pin the caller down to principals an organization controls (lower-cased)
CALLER_CONFINING_KEYS = frozenset({
    "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn", "aws:userid",
    "aws:username",
})


def _confines(statement: Statement, keys: frozenset[str] | None = None, suffixes: tuple[str, ...] = ()) -> bool:
    """Whether a positive condition (not negated, not ``...IfExists``: those hold for a caller without the key)
    on one of ``keys`` (or a key ending in one of ``suffixes``) must hold."""
    for condition in statement.conditions:
        operator = parse_operator(condition.operator)
        if operator.negated or operator.if_exists or operator.base == "Null" or operator.qualifier == "ForAllValues":
            continue
        key = condition.key.lower()
        if (keys is not None and key in keys) or (suffixes and key.endswith(suffixes)):
            return True
    return False


def open_to_any_principal(statement: Statement) -> bool:
    """An Allow naming ``"*"`` (or using ``NotPrincipal``) with no condition confining the caller."""
    if statement.effect != "Allow":
        return False
    star = statement.not_principal or any(kind == "AWS" and value == "*" for kind, value in statement.named_principals())
    return star and not _confines(statement, CALLER_CONFINING_KEYS)


def open_to_any_token(statement: Statement, provider: str) -> bool:
    """An Allow for a web-identity ``provider`` with no condition on its tokens' audience or subject."""
    if statement.effect != "Allow" or ":oidc-provider/" not in provider:
        return False
    if not any(kind == "Federated" and value == provider for kind, value in statement.named_principals()):
        return False
    return not _confines(statement, suffixes=(":aud", ":sub"))
