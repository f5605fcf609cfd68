"""Why a direct request is denied, and the smallest verified fix.

The blockers are the engine's own :class:`~graphiam.policy.Blocker` values.
A fix is a list of least-privilege statements (exact ARNs, never ``*`` where
an ARN will do) added as a new inline policy on the caller or appended to the
role's trust policy. Each candidate fix is applied to the snapshot in memory
and decided again by the engine; only one that turns the request allowed is
returned. Where no such addition can help (an explicit deny, a boundary, an
SCP or an RCP stands in the way), the fix is empty and the blockers say what
to change.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations

from ..snapshot.model import AttachedPolicy, Principal, Role, Snapshot
from ..policy import ASSUME_ROLE, PASS_ROLE, Decision, PolicyEngine
from ..snapshot.read import DocumentParser

FIX_POLICY_NAME = "graphiam-fix"


def decide_direct(engine: PolicyEngine, source: Principal, role: Role, service: str | None,
                  session: str | None = None) -> Decision:
    """What AWS evaluates when ``source`` itself (as its session ``session``, when named) calls the action on ``role``."""
    if service is None:
        return engine.decide_assume(source, role, session=session)
    return engine.decide_pass(source, role, service)


def _sid(prefix: str, role: Role) -> str:
    cleaned = "".join(c for c in role.name if c.isalnum())
    return f"{prefix}{cleaned}"[:100]


def identity_fix(source: Principal, role: Role, service: str | None) -> dict:
    if service is None:
        statement = {"Sid": _sid("AllowAssume", role), "Effect": "Allow", "Action": ASSUME_ROLE, "Resource": role.arn}
    else:
        statement = {
            "Sid": _sid("AllowPass", role),
            "Effect": "Allow",
            "Action": PASS_ROLE,
            "Resource": role.arn,
            "Condition": {"StringEquals": {"iam:PassedToService": service}},
        }
    return {"type": "add_identity_statement", "principal": source.arn, "policy_name": FIX_POLICY_NAME,
            "statement": statement}


def trust_fix(source: Principal, role: Role, service: str | None) -> dict:
    if service is None:
        principal = {"AWS": source.arn}
        sid = "Trust" + "".join(c for c in source.name if c.isalnum())
    else:
        principal = {"Service": service}
        sid = "TrustService" + "".join(c for c in service.split(".")[0] if c.isalnum())
    statement = {"Sid": sid[:100], "Effect": "Allow", "Principal": principal, "Action": ASSUME_ROLE}
    return {"type": "add_trust_statement", "role": role.arn, "statement": statement}


def apply_fix(snapshot: Snapshot, fix: list[dict]) -> Snapshot:
    """The snapshot with the fix's statements added (in memory only)."""
    parser = DocumentParser()
    for change in fix:
        if change["type"] == "add_identity_statement":
            principal = snapshot.principal(change["principal"])
            assert principal is not None
            document = parser.parse({"Version": "2012-10-17", "Statement": [change["statement"]]}, "fix")
            added = AttachedPolicy(change.get("policy_name", FIX_POLICY_NAME), "inline", document, None, principal.arn)
            snapshot = snapshot.with_principal(replace(principal, inline_policies=principal.inline_policies + (added,)))
        elif change["type"] == "add_trust_statement":
            role = snapshot.role(change["role"])
            assert role is not None
            raw = dict(role.trust_policy.raw)
            statements = raw.get("Statement", [])
            statements = list(statements) if isinstance(statements, list) else [statements]
            raw["Statement"] = statements + [change["statement"]]
            raw.setdefault("Version", "2012-10-17")
            snapshot = snapshot.with_principal(replace(role, trust_policy=parser.parse(raw, f"trust policy of {role.arn}")))
        else:
            raise ValueError(f"unknown fix type {change['type']!r}")
    return snapshot


def smallest_fix(snapshot: Snapshot, source: Principal, role: Role, service: str | None, decision: Decision) -> list[dict]:
    """The fewest added statements that make the direct request allowed, verified; ``[]`` if none can."""
    if decision.allowed:
        return []
    if any(b.effect == "explicit_deny" or b.layer in ("permissions_boundary", "scp", "rcp") for b in decision.blockers):
        return []  # an added Allow cannot lift these: the blockers say what to change
    blocked = {b.layer for b in decision.blockers}
    candidates = [identity_fix(source, role, service), trust_fix(source, role, service)]
    # the layers that block first, then the others; one statement before two
    candidates.sort(key=lambda c: 0 if ("identity" if c["type"] == "add_identity_statement" else "trust") in blocked else 1)
    for size in (1, 2):
        for fix in combinations(candidates, size):
            changed = apply_fix(snapshot, list(fix))
            engine = PolicyEngine(changed)
            new_source = changed.principal(source.arn)
            new_role = changed.role(role.arn)
            assert new_source is not None and new_role is not None
            if decide_direct(engine, new_source, new_role, service).allowed:
                return list(fix)
    return []

