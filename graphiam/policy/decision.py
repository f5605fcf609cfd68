"""A decision is a value: the outcome plus the statements that decided it.

Every sentence graphiam prints about a request is rendered from these values
(see ``Blocker.message``), never re-derived from policy text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from ..snapshot.model import Condition
from .conditions import describe_condition

Layer = Literal["identity", "trust", "permissions_boundary", "scp", "rcp"]
LAYER_NAMES: dict[str, str] = {
    "identity": "identity-based policy",
    "trust": "trust policy",
    "permissions_boundary": "permissions boundary",
    "scp": "service control policy",
    "rcp": "resource control policy",
}


class Outcome(str, Enum):
    ALLOWED = "allowed"
    DENIED = "denied"
    CONDITIONAL = "conditional"  # allowed if the request carries the listed conditions


@dataclass(frozen=True)
class Evidence:
    """A statement that allowed the request, in one layer."""

    layer: Layer
    policy: str  # policy ARN, inline policy name, or the role ARN for its trust policy
    sid: str | None
    statement: int  # 1-based position in the policy, for statements without a Sid
    attached_to: str | None = None

    def to_dict(self) -> dict:
        return {"layer": self.layer, "policy": self.policy, "sid": self.sid, "statement": self.statement,
                "attached_to": self.attached_to}


@dataclass(frozen=True)
class Requirement:
    """Request-time conditions a conditional decision still needs.

    From an Allow (``must_hold=True``): all ``conditions`` must hold.
    From a Deny (``must_hold=False``): they must not all hold, or the deny applies.
    """

    conditions: tuple[Condition, ...]
    must_hold: bool
    layer: Layer
    policy: str
    sid: str | None
    statement: int

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.key for c in self.conditions))

    def describe(self) -> str:
        text = " and ".join(describe_condition(c) for c in self.conditions)
        where = f"{LAYER_NAMES[self.layer]} {self.policy} statement {self.sid or '#' + str(self.statement)}"
        if self.must_hold:
            return f"{text} ({where})"
        return f"not ({text}), else {where} denies"

    def to_dict(self) -> dict:
        return {
            "conditions": [c.to_dict() for c in self.conditions],
            "must": "hold" if self.must_hold else "not_hold",
            "layer": self.layer,
            "policy": self.policy,
            "sid": self.sid,
            "statement": self.statement,
            "text": self.describe(),
        }


@dataclass(frozen=True)
class Blocker:
    """One layer that stops the request."""

    layer: Layer
    effect: Literal["implicit_deny", "explicit_deny"]
    message: str
    policy: str | None = None
    sid: str | None = None
    attached_to: str | None = None
    statement: int | None = None  # 1-based position of the denying statement

    def to_dict(self) -> dict:
        return {
            "layer": self.layer,
            "effect": self.effect,
            "policy": self.policy,
            "sid": self.sid,
            "statement": self.statement,
            "attached_to": self.attached_to,
            "message": self.message,
        }


@dataclass(frozen=True)
class Decision:
    """The engine's answer for one request."""

    outcome: Outcome
    granted_by: tuple[Evidence, ...] = ()
    blockers: tuple[Blocker, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    depends_on: tuple[str, ...] = ()  # managed policies missing from the snapshot that could change it
    # other sets of requirements, each enough on its own (another conditional Allow): "one of"
    alternatives: tuple[tuple[Requirement, ...], ...] = ()

    @property
    def requirement_sets(self) -> tuple[tuple[Requirement, ...], ...]:
        """Every set of requirements that allows the request, ``requirements`` first; ``()`` when denied."""
        if self.outcome is Outcome.DENIED:
            return ()
        return (self.requirements, *self.alternatives)

    @property
    def allowed(self) -> bool:
        """True when the request can succeed (unconditionally or with its requirements met)."""
        return self.outcome is not Outcome.DENIED

    @property
    def conditional(self) -> bool:
        return self.outcome is Outcome.CONDITIONAL
