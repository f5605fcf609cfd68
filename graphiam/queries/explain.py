"""Why a direct request is denied, and the smallest verified fix.

The blockers are the engine's own :class:`~graphiam.policy.Blocker` values.
A fix is a list of least-privilege statements (exact ARNs, never ``*`` where
an ARN will do) added as a new inline policy on the caller or appended to the
role's trust policy. Each candidate fix is applied to the snapshot in memory
and decided again by the engine; only one that turns the request allowed is
returned. Where no such addition can help (an explicit deny, a boundary, an
SCP or an RCP stands in the way), the fix is empty and the blockers say what
to change.

Every document a fix produces (the new inline policy; the whole trust policy
with the statement appended) passes :func:`graphiam.policy.grammar.policy_problems`
before the fix is returned, so it can be pasted into IAM as printed. Sids are
CamelCase words of the names involved, ASCII letters and digits only, at most
100 characters, and unique within their policy:

- ``AllowAssumeDeploy``: an identity statement to assume role ``Deploy``;
- ``AllowPassEC2RolesForXYZWeb``: one to pass role ``EC2-roles-for-XYZ-web``;
- ``TrustAliceFromAcmeIdentity``: a trust statement for user ``alice`` of the
  account the organization names ``acme-identity`` (``TrustAliceFrom222222222222``
  when the organization does not name it);
- ``TrustEC2Service``: a trust statement for ``ec2.amazonaws.com``;
- ``TrustAliceFromDev2``: when the trust policy already holds ``TrustAliceFromDev``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from itertools import combinations
from typing import Mapping

from ..policy import ASSUME_ROLE, PASS_ROLE, Decision, PolicyEngine
from ..policy.grammar import policy_problems
from ..policy.services import SERVICE_PRINCIPAL_SUFFIXES
from ..snapshot.model import AttachedPolicy, Principal, Role, Snapshot
from ..snapshot.read import DocumentParser

FIX_POLICY_NAME = "graphiam-fix"
POLICY_VERSION = "2012-10-17"
SID_LIMIT = 100


def decide_direct(engine: PolicyEngine, source: Principal, role: Role, service: str | None,
                  session: str | None = None) -> Decision:
    """What AWS evaluates when ``source`` itself (as its session ``session``, when named) calls the action on ``role``."""
    if service is None:
        return engine.decide_assume(source, role, session=session)
    return engine.decide_pass(source, role, service)


# -- Sids ---------------------------------------------------------------------

# Letters NFKD does not take apart into an ASCII letter and marks.
_SPELLED_OUT = str.maketrans({"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
                              "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D",
                              "ı": "i"})


def name_words(text: str) -> list[str]:
    """The ASCII words of a name: ``"EC2-roles-for-XYZ-web"`` -> ``["EC2", "roles", "for", "XYZ", "web"]``.

    Accented letters lose their accents (``José`` -> ``Jose``); any other
    character (``-``, ``_``, ``.``, ``@``, ``+``, ``=``, ``,``, spaces, letters
    with no ASCII form) separates words.
    """
    ascii_text = unicodedata.normalize("NFKD", text.translate(_SPELLED_OUT)).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[A-Za-z0-9]+", ascii_text)


def camel_case(text: str) -> str:
    """``"ci-runner"`` -> ``"CiRunner"``, ``"EC2-roles-for-XYZ-web"`` -> ``"EC2RolesForXYZWeb"`` (inner capitals kept)."""
    return "".join(word[0].upper() + word[1:] for word in name_words(text))


def _service_words(service: str) -> str:
    """``"ec2.amazonaws.com"`` -> ``"EC2"``, ``"ecs-tasks.amazonaws.com"`` -> ``"EcsTasks"``.

    A short word of letters and digits is an acronym (``ec2``, ``s3``) and is
    written in capitals.
    """
    name = service.lower()
    for suffix in SERVICE_PRINCIPAL_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    words = name_words(name)
    return "".join(word.upper() if len(word) <= 3 and re.search(r"\d", word) else word[0].upper() + word[1:]
                   for word in words)


def _fit(prefix: str, middle: str, suffix: str = "") -> str:
    """``prefix + middle + suffix`` within :data:`SID_LIMIT` characters, shortening the middle first."""
    room = SID_LIMIT - len(prefix) - len(suffix)
    if room <= 0:
        return (prefix + middle + suffix)[:SID_LIMIT]
    return prefix + middle[:room] + suffix


def unique_sid(sid: str, taken: set[str] | frozenset[str]) -> str:
    """``sid``, or ``sid`` with the smallest number from 2 that no Sid in ``taken`` has (compared ignoring case)."""
    lowered = {t.lower() for t in taken}
    if sid.lower() not in lowered:
        return sid
    number = 2
    while True:
        candidate = sid[: SID_LIMIT - len(str(number))] + str(number)
        if candidate.lower() not in lowered:
            return candidate
        number += 1


def _principal_words(principal: Principal) -> str:
    """The principal's name in CamelCase; its unique id when the name has no ASCII word."""
    words = camel_case(principal.name)
    if words:
        return words
    unique_id = getattr(principal, "user_id", None) or getattr(principal, "role_id", None) or ""
    return camel_case(unique_id) or ("Role" if isinstance(principal, Role) else "User")


def identity_sid(role: Role, service: str | None) -> str:
    """``AllowAssume<Role>`` or, for iam:PassRole, ``AllowPass<Role>``."""
    return _fit("AllowAssume" if service is None else "AllowPass", _principal_words(role))


def trust_sid(source: Principal, service: str | None, account_names: Mapping[str, str] | None = None,
              session: str | None = None) -> str:
    """``Trust<Caller>From<Account>`` (the account's name when known, else its id), ``Trust<Session>SessionOf<Role>
    From<Account>`` for one session of a role, or ``Trust<Service>Service``."""
    if service is not None:
        return _fit("Trust", _service_words(service) or "Aws", "Service")
    account = camel_case((account_names or {}).get(source.account_id, "")) or source.account_id
    who = _principal_words(source) if session is None else f"{camel_case(session) or 'One'}SessionOf{_principal_words(source)}"
    return _fit("Trust", who, "From" + account)


def _trust_statements(role: Role) -> list:
    statements = role.trust_policy.raw.get("Statement", [])
    return list(statements) if isinstance(statements, list) else [statements]


def _existing_sids(role: Role) -> set[str]:
    return {s["Sid"] for s in _trust_statements(role) if isinstance(s, Mapping) and isinstance(s.get("Sid"), str)}


def _fix_policy_name(source: Principal) -> str:
    """:data:`FIX_POLICY_NAME`, numbered when the caller already has an inline policy of that name."""
    taken = {policy.name.lower() for policy in source.inline_policies}
    name, number = FIX_POLICY_NAME, 2
    while name.lower() in taken:
        name, number = f"{FIX_POLICY_NAME}-{number}", number + 1
    return name


# -- the candidate changes -------------------------------------------------------

def identity_fix(source: Principal, role: Role, service: str | None) -> dict:
    """A new inline policy on ``source`` allowing exactly this request (for a pass, to ``service`` only)."""
    if service is None:
        statement = {"Sid": identity_sid(role, None), "Effect": "Allow", "Action": ASSUME_ROLE, "Resource": role.arn}
    else:
        statement = {
            "Sid": identity_sid(role, service),
            "Effect": "Allow",
            "Action": PASS_ROLE,
            "Resource": role.arn,
            "Condition": {"StringEquals": {"iam:PassedToService": service}},
        }
    return {"type": "add_identity_statement", "principal": source.arn, "policy_name": _fix_policy_name(source),
            "statement": statement}


def trust_fix(source: Principal, role: Role, service: str | None,
              account_names: Mapping[str, str] | None = None, session: str | None = None) -> dict:
    """A statement for ``role``'s trust policy trusting exactly ``source`` (or, for a pass, ``service``).

    ``account_names`` (the organization's id -> name map) names the caller's
    account in the Sid; the Sid is numbered when the trust policy already has it.
    With ``session`` (a role's session named in the request), the statement
    trusts that session alone: the least that lets it in.
    """
    if service is not None:
        principal = {"Service": service}
    elif session is not None and isinstance(source, Role):
        principal = {"AWS": f"arn:aws:sts::{source.account_id}:assumed-role/{source.name}/{session}"}
    else:
        principal = {"AWS": source.arn}
    sid = unique_sid(trust_sid(source, service, account_names, session if isinstance(source, Role) else None),
                     _existing_sids(role))
    statement = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": ASSUME_ROLE}
    return {"type": "add_trust_statement", "role": role.arn, "statement": statement}


# -- applying and checking ----------------------------------------------------------

def _identity_document(change: dict) -> dict:
    return {"Version": POLICY_VERSION, "Statement": [change["statement"]]}


def _trust_document(role: Role, change: dict) -> dict:
    """The whole trust policy of ``role`` with the change's statement appended."""
    document = dict(role.trust_policy.raw)
    document["Statement"] = _trust_statements(role) + [change["statement"]]
    document.setdefault("Version", POLICY_VERSION)
    return document


def fix_problems(snapshot: Snapshot, fix: list[dict], *, introduced_only: bool = False) -> list[str]:
    """What the IAM grammar finds wrong with the documents ``fix`` produces; ``[]`` when all are valid.

    The documents are the new inline policy and the whole trust policy with the
    statement appended. With ``introduced_only``, a problem the role's trust
    policy already has in the snapshot is left out: only what the fix adds counts.
    """
    problems: list[str] = []
    for change in fix:
        if change["type"] == "add_identity_statement":
            where = f"inline policy {change.get('policy_name', FIX_POLICY_NAME)} on {change['principal']}"
            found = policy_problems(_identity_document(change), "identity")
        elif change["type"] == "add_trust_statement":
            role = snapshot.role(change["role"])
            if role is None:
                problems.append(f"{change['role']}: not a role in the snapshot")
                continue
            where = f"trust policy of {role.arn}"
            found = policy_problems(_trust_document(role, change), "trust")
            if introduced_only:
                before = set(policy_problems(dict(role.trust_policy.raw), "trust"))
                found = [problem for problem in found if problem not in before]
        else:
            raise ValueError(f"unknown fix type {change['type']!r}")
        problems.extend(f"{where}: {problem}" for problem in found)
    return problems


def apply_fix(snapshot: Snapshot, fix: list[dict]) -> Snapshot:
    """The snapshot with the fix's statements added (in memory only)."""
    parser = DocumentParser()
    for change in fix:
        if change["type"] == "add_identity_statement":
            principal = snapshot.principal(change["principal"])
            assert principal is not None
            document = parser.parse(_identity_document(change), "fix")
            added = AttachedPolicy(change.get("policy_name", FIX_POLICY_NAME), "inline", document, None, principal.arn)
            snapshot = snapshot.with_principal(replace(principal, inline_policies=principal.inline_policies + (added,)))
        elif change["type"] == "add_trust_statement":
            role = snapshot.role(change["role"])
            assert role is not None
            raw = _trust_document(role, change)
            snapshot = snapshot.with_principal(replace(role, trust_policy=parser.parse(raw, f"trust policy of {role.arn}")))
        else:
            raise ValueError(f"unknown fix type {change['type']!r}")
    return snapshot


def smallest_fix(snapshot: Snapshot, source: Principal, role: Role, service: str | None, decision: Decision,
                 session: str | None = None) -> list[dict]:
    """The fewest added statements that make the direct request allowed, verified; ``[]`` if none can.

    A candidate that would make a policy fail the IAM grammar check is never
    returned (the generator makes valid ones). A trust policy that already fails
    it in the snapshot (IAM would not have stored it: a hand-written snapshot,
    say) does not stop a trust fix; the fix adds no problem of its own.
    """
    if decision.allowed:
        return []
    if any(b.effect == "explicit_deny" or b.layer in ("permissions_boundary", "scp", "rcp") for b in decision.blockers):
        return []  # an added Allow cannot lift these: the blockers say what to change
    blocked = {b.layer for b in decision.blockers}
    names = snapshot.organization.names if snapshot.organization is not None else None
    candidates = [identity_fix(source, role, service), trust_fix(source, role, service, names, session)]
    candidates = [c for c in candidates if not fix_problems(snapshot, [c], introduced_only=True)]
    # the layers that block first, then the others; one statement before two
    candidates.sort(key=lambda c: 0 if ("identity" if c["type"] == "add_identity_statement" else "trust") in blocked else 1)
    for size in (1, 2):
        for fix in combinations(candidates, size):
            changed = apply_fix(snapshot, list(fix))
            engine = PolicyEngine(changed)
            new_source = changed.principal(source.arn)
            new_role = changed.role(role.arn)
            assert new_source is not None and new_role is not None
            if decide_direct(engine, new_source, new_role, service, session).allowed:
                return list(fix)
    return []
