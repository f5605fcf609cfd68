"""Parse pasted AWS "not authorized" errors for role assumption and role passing.

The core sentence this module understands (AWS prints it for ``sts:AssumeRole``,
``sts:AssumeRoleWithSAML``, ``sts:AssumeRoleWithWebIdentity`` and
``iam:PassRole``; any ``service:Action`` is accepted) is::

    User: <caller ARN> is not authorized to perform: <action> on resource: <resource ARN>[<tail>]

where the optional ``<tail>`` is one of::

     because no <policy type> allows the <action> action
     with an explicit deny in a[n] <policy type>[: <policy ARN>]

and ``<policy type>`` is read as:

    identity-based policy   -> "identity"
    permissions boundary    -> "permissions_boundary"
    service control policy  -> "scp"
    resource control policy -> "rcp"
    resource-based policy   -> "trust"   (for these actions: the role trust policy)
    session policy          -> "session"
    anything else           -> None      (the effect is still reported)

The sentence may sit anywhere in the pasted text, so these wrappers are fine:
surrounding quotes, ``botocore.exceptions.ClientError: ``, ``An error occurred
(AccessDenied[Exception]|UnauthorizedOperation) when calling the X operation: ``,
leading prose such as ``You are not authorized to perform this operation.``, a
trailing ``Encoded authorization failure message: ...`` and a trailing period.
Whitespace (including line breaks) between words may be of any length.

Decisions worth knowing:

* ARNs are matched with the IAM name characters ``[A-Za-z0-9+=,.@_-]`` plus
  ``/`` and ``:``, so quotes, brackets and backslashes around them are ignored
  (IAM paths using other printable characters are therefore not supported).
* One ``.`` ending the last ARN of the sentence (the resource when there is no
  tail, or the appended policy ARN) is taken as the full stop, so a role named
  ``Deploy.`` must be written ``.../Deploy..`` when the sentence ends there.
* ``Not authorized to perform sts:AssumeRoleWithWebIdentity`` (no ARNs) and
  other unreadable texts raise :class:`DeniedMessageError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DeniedMessage", "DeniedMessageError", "parse_denied_message"]

_ARN = r"arn:[A-Za-z0-9+=,.@_/:-]+"
_ACTION = r"[A-Za-z0-9-]+:[A-Za-z0-9*]+"

# Patterns run on text whose whitespace runs were collapsed to one space.
_CORE = re.compile(
    rf"\bUser: ?(?P<caller>{_ARN}) is not authorized to perform: ?"
    rf"(?P<action>{_ACTION}) on resource: ?(?P<resource>{_ARN})",
    re.IGNORECASE,
)
_IMPLICIT = re.compile(
    r" ?because no (?P<words>[A-Za-z][A-Za-z -]*?) allows?\b", re.IGNORECASE
)
_EXPLICIT = re.compile(
    r" ?with an explicit deny"
    r"(?: in an? (?P<words>[A-Za-z]+(?:[ -][A-Za-z]+)*))?"
    rf"(?: ?: ?(?P<policy>{_ARN}))?",
    re.IGNORECASE,
)
_ENCODED = re.compile(r"encoded authorization failure message", re.IGNORECASE)

# Keys are lower case with hyphens turned into spaces; matched as prefixes.
_POLICY_TYPES: dict[str, str] = {
    "identity based policy": "identity",
    "permissions boundary": "permissions_boundary",
    "permission boundary": "permissions_boundary",
    "service control policy": "scp",
    "resource control policy": "rcp",
    "resource based policy": "trust",
    "trust policy": "trust",
    "session policy": "session",
}

_NOT_DENIED = (
    "not an AccessDenied message: expected "
    "'User: <ARN> is not authorized to perform: <action> on resource: <ARN>'"
)


class DeniedMessageError(ValueError):
    """The text could not be read as an AccessDenied message."""


@dataclass(frozen=True)
class DeniedMessage:
    """The parts of one AccessDenied message."""

    caller: str
    action: str
    resource: str
    policy_type: str | None
    effect: str | None
    policy_arn: str | None


def _policy_type(words: str | None) -> str | None:
    if not words:
        return None
    phrase = words.lower().replace("-", " ")
    for key, value in _POLICY_TYPES.items():
        if phrase == key or phrase.startswith(key + " "):
            return value
    return None


def _drop_full_stop(arn: str) -> str:
    return arn[:-1] if arn.endswith(".") else arn


def _explain_failure(text: str) -> str:
    if not re.search(r"not authorized to perform", text, re.IGNORECASE):
        return _NOT_DENIED
    if not re.search(rf"\bUser: ?{_ARN}", text, re.IGNORECASE):
        return "the AccessDenied message names no caller ARN (no 'User: <ARN>' part)"
    if not re.search(rf"on resource: ?{_ARN}", text, re.IGNORECASE):
        return (
            "the AccessDenied message names no resource ARN "
            "(no 'on resource: <ARN>' part)"
        )
    return _NOT_DENIED


def parse_denied_message(text: str) -> DeniedMessage:
    """Read caller, action, resource and the blamed policy layer from ``text``.

    Raises :class:`DeniedMessageError` when the text is not such a message.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    flat = " ".join(text.split())
    encoded = _ENCODED.search(flat)
    if encoded:
        flat = flat[: encoded.start()].rstrip()

    core = _CORE.search(flat)
    if core is None:
        raise DeniedMessageError(_explain_failure(flat))

    rest = flat[core.end():]
    resource = core["resource"]
    policy_type: str | None = None
    effect: str | None = None
    policy_arn: str | None = None

    if tail := _IMPLICIT.match(rest):
        effect = "implicit_deny"
        policy_type = _policy_type(tail["words"])
    elif tail := _EXPLICIT.match(rest):
        effect = "explicit_deny"
        policy_type = _policy_type(tail["words"])
        if tail["policy"]:
            policy_arn = _drop_full_stop(tail["policy"])
    else:
        resource = _drop_full_stop(resource)

    return DeniedMessage(
        caller=core["caller"],
        action=core["action"],
        resource=resource,
        policy_type=policy_type,
        effect=effect,
        policy_arn=policy_arn,
    )
