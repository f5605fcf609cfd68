"""Does a policy document follow the IAM JSON policy grammar?

:func:`policy_problems` lists what is wrong with a document (nothing when it
is valid) as one sentence each; graphiam runs it on every fix before showing
it, so what it prints can be pasted into IAM. ``kind`` says which policy the
document is: ``"identity"`` (attached to a user, group or role) or
``"trust"`` (a role's trust policy).

The rules come from the IAM User Guide:

- "Grammar of the IAM JSON policy language"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html):
  a policy is ``{Version?, Id?, Statement}``; ``Statement`` is one statement
  or a list of them; a statement holds ``Sid?``, ``Effect``, ``Principal`` or
  ``NotPrincipal``, ``Action`` or ``NotAction``, ``Resource`` or
  ``NotResource``, ``Condition?``; ``Principal`` is ``"*"`` or a map of
  ``AWS``/``Federated``/``Service``/``CanonicalUser`` to a string or a list;
  an action is ``"*"`` or ``service:action`` (wildcards allowed); where a
  list is allowed a single string is too.
- "IAM JSON policy elements: Version" (``reference_policies_elements_version``):
  ``2012-10-17`` or ``2008-10-17``.
- "... Sid" (``reference_policies_elements_sid``): ASCII letters and digits
  only, unique within the policy.
- "... Principal" (``reference_policies_elements_principal``): no Principal
  in an identity-based policy; a role's trust policy must name one.
- "... Resource" (``reference_policies_elements_resource``): an identity
  policy statement needs Resource or NotResource; a trust policy has none (IAM
  answers "Has prohibited field Resource"); an ARN is
  ``arn:partition:service:region:account-id:resource``.
- "... Condition operators" (``reference_policies_elements_condition_operators``)
  and "Single-valued vs. multivalued context keys"
  (``reference_policies_condition-single-vs-multi-valued-context-keys``): the
  operator names, the ``...IfExists`` suffix (not on ``Null``) and the
  ``ForAnyValue:``/``ForAllValues:`` prefixes.
- The trust policy of a role may only name STS actions (IAM's error:
  "AssumeRole policy may only specify STS AssumeRole actions").

Where the documents leave room, the check accepts what IAM stores (a role's
trust may name an account id, or the unique id IAM leaves behind when a
trusted principal is deleted; condition values may be JSON numbers and
booleans; several statements may have an empty Sid), so a policy read from
a real snapshot is not flagged for what IAM accepted.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Literal, Mapping

from .conditions import parse_operator
from .services import service_principal_problem

PolicyKind = Literal["identity", "trust"]

VERSIONS = ("2012-10-17", "2008-10-17")
POLICY_KEYS = ("Version", "Id", "Statement")
STATEMENT_KEYS = ("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource",
                  "Condition")
EFFECTS = ("Allow", "Deny")
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")

# Per kind of policy: the element pairs a statement needs exactly one of, and the elements it may not have.
REQUIRED_ONE_OF: dict[str, tuple[tuple[str, str], ...]] = {
    "identity": (("Action", "NotAction"), ("Resource", "NotResource")),
    "trust": (("Action", "NotAction"), ("Principal", "NotPrincipal")),
}
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "identity": ("Principal", "NotPrincipal"),
    "trust": ("Resource", "NotResource"),
}
WHY_FORBIDDEN = {
    "identity": "an identity-based policy applies to the identity it is attached to and names no principal",
    "trust": "a trust policy applies to its role and names no resource",
}

# The positive condition operators (the names parse_operator gives back after it takes off
# "Not", "IfExists" and a "ForAnyValue:"/"ForAllValues:" prefix).
CONDITION_OPERATORS = frozenset({
    "StringEquals", "StringEqualsIgnoreCase", "StringLike",
    "NumericEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals",
    "DateEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
    "Bool", "BinaryEquals", "IpAddress", "ArnEquals", "ArnLike", "Null",
})
SET_QUALIFIERS = (None, "ForAnyValue", "ForAllValues")

SID = re.compile(r"^[A-Za-z0-9]*$")
ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9_*?-]+$")
ARN = re.compile(r"^arn:(?P<partition>[^:]+):(?P<service>[^:]+):(?P<region>[^:]*):(?P<account>[^:]*):(?P<resource>.+)$",
                 re.DOTALL)
ARN_FIELDS = {  # what each field of an ARN may hold once its policy variables are set aside
    "partition": re.compile(r"^[a-z0-9*?-]+$"),
    "service": re.compile(r"^[a-z0-9*?-]+$"),
    "region": re.compile(r"^[a-z0-9*?-]*$"),
    "account": re.compile(r"^(?:[0-9*?]*|aws)$"),
}
VARIABLE = re.compile(r"\$\{[^}]*\}")
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
UNIQUE_ID = re.compile(r"^A(?:IDA|ROA)[A-Z0-9]{12,}$")  # what IAM shows for a deleted user (AIDA) or role (AROA)
CANONICAL_USER = re.compile(r"^[0-9a-f]{64}$")


def policy_problems(document: Any, kind: PolicyKind) -> list[str]:
    """What makes ``document`` an invalid ``kind`` policy (``"identity"`` or ``"trust"``); ``[]`` when valid."""
    if kind not in REQUIRED_ONE_OF:
        raise ValueError(f"kind must be 'identity' or 'trust', not {kind!r}")
    if not isinstance(document, Mapping):
        return [f"a policy is a JSON object, not {_type(document)}"]
    problems = [f"unknown top-level element {key!r} (a policy holds {_listing(POLICY_KEYS)})"
                for key in document if key not in POLICY_KEYS]
    if "Version" in document and document["Version"] not in VERSIONS:
        problems.append(f"Version must be {_listing(VERSIONS, 'or')}, not {document['Version']!r}")
    if "Id" in document and not isinstance(document["Id"], str):
        problems.append(f"Id must be a string, not {_type(document['Id'])}")
    if "Statement" not in document:
        return problems + ["the policy has no Statement"]
    statements = document["Statement"]
    if isinstance(statements, Mapping):
        statements = [statements]
    elif not isinstance(statements, list):
        return problems + [f"Statement must be a statement or a list of statements, not {_type(statements)}"]
    elif not statements:
        return problems + ["Statement is an empty list"]
    seen: dict[str, int] = {}
    for number, statement in enumerate(statements, start=1):
        problems.extend(f"statement {number}: {problem}" for problem in statement_problems(statement, kind))
        sid = statement.get("Sid") if isinstance(statement, Mapping) else None
        if isinstance(sid, str) and sid:
            if sid in seen:
                problems.append(f"statement {number}: Sid {sid!r} is already the Sid of statement {seen[sid]}; "
                                "Sids must be unique within a policy")
            else:
                seen[sid] = number
    return problems


def statement_problems(statement: Any, kind: PolicyKind) -> list[str]:
    """What makes ``statement`` invalid in a ``kind`` policy; ``[]`` when valid (Sid uniqueness aside)."""
    if kind not in REQUIRED_ONE_OF:
        raise ValueError(f"kind must be 'identity' or 'trust', not {kind!r}")
    if not isinstance(statement, Mapping):
        return [f"a statement is a JSON object, not {_type(statement)}"]
    problems = [f"unknown element {key!r} (a statement holds {_listing(STATEMENT_KEYS)})"
                for key in statement if key not in STATEMENT_KEYS]
    if "Effect" not in statement:
        problems.append("Effect is missing (Allow or Deny)")
    elif statement["Effect"] not in EFFECTS:
        problems.append(f"Effect must be Allow or Deny, not {statement['Effect']!r}")
    for pair in REQUIRED_ONE_OF[kind]:
        present = [name for name in pair if name in statement]
        if not present:
            problems.append(f"{pair[0]} or {pair[1]} is missing")
        elif len(present) == 2:
            problems.append(f"a statement has {pair[0]} or {pair[1]}, not both")
    for name in FORBIDDEN[kind]:
        if name in statement:
            problems.append(f"{name} is not allowed here: {WHY_FORBIDDEN[kind]}")
    for name, check in ELEMENT_CHECKS.items():
        if name in statement:
            problems.extend(f"{name}: {problem}" for problem in check(statement[name], kind))
    return problems


# -- one element each ---------------------------------------------------------

def _sid_problems(value: Any, kind: PolicyKind) -> list[str]:
    if not isinstance(value, str):
        return [f"must be a string, not {_type(value)}"]
    if not SID.match(value):
        return [f"{value!r} may hold only ASCII letters and digits"]
    return []


def _action_problems(value: Any, kind: PolicyKind) -> list[str]:
    problems = []
    for action in _strings(value, problems):
        if action != "*" and not ACTION.match(action):
            problems.append(f"{action!r} is not \"*\" or a service:action pattern such as sts:AssumeRole")
        elif kind == "trust" and action != "*" and action.split(":", 1)[0].lower() != "sts":
            problems.append(f"{action!r}: a trust policy may only name STS actions (sts:AssumeRole, ...)")
    return problems


def _not_action_problems(value: Any, kind: PolicyKind) -> list[str]:
    return _action_problems(value, "identity")  # NotAction lists what is excluded: any action may be named


def _resource_problems(value: Any, kind: PolicyKind) -> list[str]:
    problems = []
    for resource in _strings(value, problems):
        if resource != "*":
            problem = arn_problem(resource)
            if problem:
                problems.append(problem)
    return problems


def _principal_problems(value: Any, kind: PolicyKind) -> list[str]:
    if value == "*":
        return []
    if not isinstance(value, Mapping):
        return [f"must be \"*\" or a map of {_listing(PRINCIPAL_TYPES)} to principals, not {_type(value)}"
                + (" (write {\"AWS\": ...} around an ARN or account id)" if isinstance(value, str) else "")]
    if not value:
        return ["is an empty map: name at least one principal"]
    problems = []
    for principal_type, entries in value.items():
        check = PRINCIPAL_CHECKS.get(principal_type)
        if check is None:
            problems.append(f"unknown principal type {principal_type!r} (one of {_listing(PRINCIPAL_TYPES)})")
            continue
        for entry in _strings(entries, problems, what=principal_type):
            problem = check(entry)
            if problem:
                problems.append(f"{principal_type}: {problem}")
    return problems


def _condition_problems(value: Any, kind: PolicyKind) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"must be a map of condition operators to {{key: values}} maps, not {_type(value)}"]
    problems = []
    for operator, entries in value.items():
        problem = condition_operator_problem(operator)
        if problem:
            problems.append(problem)
        if not isinstance(entries, Mapping) or not entries:
            problems.append(f"{operator}: must map one or more condition keys to values")
            continue
        for key, values in entries.items():
            if not isinstance(key, str) or not key:
                problems.append(f"{operator}: a condition key must be a non-empty string")
            items = values if isinstance(values, list) else [values]
            if any(isinstance(v, (dict, list)) or v is None for v in items):
                problems.append(f"{operator} {key}: values must be strings (or JSON numbers and booleans)")
    return problems


ELEMENT_CHECKS: dict[str, Callable[[Any, PolicyKind], list[str]]] = {
    "Sid": _sid_problems,
    "Action": _action_problems,
    "NotAction": _not_action_problems,
    "Resource": _resource_problems,
    "NotResource": _resource_problems,
    "Principal": _principal_problems,
    "NotPrincipal": _principal_problems,
    "Condition": _condition_problems,
}


# -- values -------------------------------------------------------------------

def arn_problem(text: str) -> str | None:
    """``None`` when ``text`` is a well-formed ARN pattern (``arn:partition:service:region:account:resource``)."""
    match = ARN.match(VARIABLE.sub("*", text))  # ${aws:username} and the like may stand in any field
    if match is None:
        return f"{text!r} is not \"*\" or an ARN (arn:partition:service:region:account-id:resource)"
    for field, pattern in ARN_FIELDS.items():
        if not pattern.match(match.group(field)):
            return f"{text!r}: {match.group(field)!r} is not a valid {field} in an ARN"
    return None


def condition_operator_problem(operator: Any) -> str | None:
    """``None`` when ``operator`` is a condition operator IAM knows (with its IfExists and set forms)."""
    if not isinstance(operator, str) or not operator:
        return "a condition operator must be a non-empty string"
    parsed = parse_operator(operator)
    if parsed.qualifier not in SET_QUALIFIERS:
        return f"unknown condition operator {operator!r}: the only prefixes are ForAnyValue: and ForAllValues:"
    if parsed.base not in CONDITION_OPERATORS:
        return f"unknown condition operator {operator!r}"
    if parsed.base == "Null" and parsed.if_exists:
        return f"condition operator {operator!r}: IfExists cannot be added to Null"
    return None


def _aws_principal_problem(text: str) -> str | None:
    if text == "*" or ACCOUNT_ID.match(text) or UNIQUE_ID.match(text):
        return None
    if text.startswith("arn:"):
        return arn_problem(text)
    return f"{text!r} is not \"*\", an account id or an ARN"


def _federated_principal_problem(text: str) -> str | None:
    if text.startswith("arn:"):
        return arn_problem(text)  # a SAML or OIDC provider
    if re.match(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$", text):
        return None  # a web identity provider: cognito-identity.amazonaws.com, accounts.google.com, ...
    return f"{text!r} is not an identity provider's ARN or host name"


def _canonical_user_problem(text: str) -> str | None:
    return None if CANONICAL_USER.match(text) else f"{text!r} is not a canonical user id (64 hexadecimal digits)"


PRINCIPAL_CHECKS: dict[str, Callable[[str], str | None]] = {
    "AWS": _aws_principal_problem,
    "Service": service_principal_problem,
    "Federated": _federated_principal_problem,
    "CanonicalUser": _canonical_user_problem,
}


# -- helpers ------------------------------------------------------------------

def _strings(value: Any, problems: list[str], what: str = "") -> list[str]:
    """The strings of a ``string | [string, ...]`` element; what is wrong with it goes to ``problems``."""
    prefix = f"{what}: " if what else ""
    if isinstance(value, str):
        items = [value]
    elif isinstance(value, list):
        if not value:
            problems.append(f"{prefix}is an empty list")
        items = value
    else:
        problems.append(f"{prefix}must be a string or a list of strings, not {_type(value)}")
        return []
    out = []
    for item in items:
        if isinstance(item, str) and item:
            out.append(item)
        else:
            problems.append(f"{prefix}{item!r} is not a non-empty string")
    return out


def _type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _listing(items: tuple, last: str = "and") -> str:
    names = [str(item) for item in items]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"
