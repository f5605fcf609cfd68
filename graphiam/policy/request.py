"""What a stated request does to a conditional decision.

A conditional decision lists sets of requirements (each set enough on its
own; see :attr:`~graphiam.policy.Decision.requirement_sets`). When a person
states what the request carries (``--context aws:MultiFactorAuthPresent=true``),
each condition on a stated key is decided here, with the engine's own
condition operators, and the decision becomes allowed, denied, or stays
conditional on what was not stated. The graph keeps requirements as the
dicts of :meth:`~graphiam.policy.Requirement.to_dict`; this works on that form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from ..snapshot.model import Condition
from .conditions import RequestContext, describe_condition, evaluate_condition
from .decision import Outcome


@dataclass(frozen=True)
class Assumed:
    """A condition the stated request decided: whether it held, for the values stated."""

    condition: Condition
    held: bool

    def to_dict(self) -> dict:
        return {**self.condition.to_dict(), "held": self.held}

    def describe(self) -> str:
        return f"{describe_condition(self.condition)}: {'holds' if self.held else 'does not hold'} for the stated request"


@dataclass(frozen=True)
class StatedOutcome:
    """A decision's requirement sets under a stated request."""

    outcome: Outcome
    sets: tuple[tuple[dict, ...], ...]  # what is still needed, per alternative (empty when decided)
    assumed: tuple[Assumed, ...]


def stated_context(values: Mapping[str, Sequence[str] | str]) -> RequestContext:
    """A request context of exactly the stated keys (a single string is one value)."""
    return RequestContext.stated({k: [v] if isinstance(v, str) else list(v) for k, v in values.items()})


def apply_stated(sets: Sequence[Sequence[dict]], context: RequestContext) -> StatedOutcome:
    """Decide each requirement set (``conditions`` dicts of ``Requirement.to_dict``) under ``context``.

    An Allow's requirement (``must: hold``) fails when one of its conditions
    is false and is met when all hold; a Deny's (``must: not_hold``) is met
    when one is false and fails (the deny applies) when all hold. A set is met
    when all its requirements are, and fails when one fails. The decision is
    allowed when some set is met, denied when every set fails, and otherwise
    conditional on the undecided rest of the sets that have not failed.
    """
    remaining: list[tuple[dict, ...]] = []
    assumed: dict[Condition, Assumed] = {}
    met = False
    for requirements in sets:
        kept: list[dict] = []
        failed = False
        for requirement in requirements:
            must_hold = requirement["must"] == "hold"
            undecided = []
            verdicts = []
            for raw in requirement["conditions"]:
                condition = Condition(raw["operator"], raw["key"], tuple(raw["values"]))
                result = evaluate_condition(condition, context)
                if result is None:
                    undecided.append(raw)
                else:
                    assumed.setdefault(condition, Assumed(condition, result))
                    verdicts.append(result)
            if must_hold and False in verdicts or not must_hold and not undecided and all(verdicts):
                failed = True
                break
            if must_hold and not undecided or not must_hold and False in verdicts:
                continue  # met
            kept.append({**requirement, "conditions": undecided} if verdicts else requirement)
        if failed:
            continue
        if not kept:
            met = True
        remaining.append(tuple(kept))
    if met:
        return StatedOutcome(Outcome.ALLOWED, (), tuple(assumed.values()))
    if not remaining:
        return StatedOutcome(Outcome.DENIED, (), tuple(assumed.values()))
    return StatedOutcome(Outcome.CONDITIONAL, tuple(remaining), tuple(assumed.values()))
