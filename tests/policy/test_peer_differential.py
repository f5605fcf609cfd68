"""graphiam's policy engine against an independent evaluator, @cloud-copilot/iam-simulate, on generated scenarios.

How the scenarios are made, how each side is asked and what the glue does
with a conditional decision: ``tests/policy/peer_scenarios.py``. The peer
runs through node from ``tests/peer`` (``npm ci --prefix tests/peer``); the
tests are skipped, saying why, when node or the pinned package is missing.

Every disagreement must fall in a class of ``peer_scenarios.KNOWN_CLASSES``
(a predicate with a one-line reason and who the AWS docs side with), and
every known class must still occur. When the engine is fixed, the second
test fails for that class: move it to ``RESOLVED_CLASSES``, where its
witness keeps guarding against a regression.

``GRAPHIAM_PEER_SCENARIOS=N`` runs N scenarios instead of the CI-sized
batch, ``GRAPHIAM_PEER_SEED=S`` another seed (the same seed and count give
the same scenarios); ``python benchmarks/peer_differential.py`` prints the
counts per class and a shrunk example of each.
"""

from __future__ import annotations

import os

import pytest

from . import peer_scenarios as ps

UNAVAILABLE = ps.peer_unavailable()
pytestmark = pytest.mark.skipif(UNAVAILABLE is not None, reason=f"peer evaluator unavailable: {UNAVAILABLE}")

CI_COUNT = 2000
COUNT = int(os.environ.get("GRAPHIAM_PEER_SCENARIOS", CI_COUNT))
SEED = int(os.environ.get("GRAPHIAM_PEER_SEED", 20260601))
SHOWN = 3  # new disagreements shrunk and printed when the test fails (each shrink is a few node calls)


@pytest.fixture(scope="module")
def batch() -> ps.Run:
    return ps.run(SEED, COUNT)


@pytest.fixture(scope="module")
def witnesses() -> dict[str, ps.Compared]:
    classes = [*ps.KNOWN_CLASSES, *ps.RESOLVED_CLASSES]
    return {k.name: c for k, c in zip(classes, ps.evaluate([k.witness for k in classes]))}


def _report(title: str, cases: list[ps.Compared], shrink: bool = True) -> str:
    parts = [f"{title}: {len(cases)} (seed {SEED}, {COUNT} scenarios); "
             f"{'the first ' + str(min(len(cases), SHOWN)) + ', shrunk' if shrink else 'the first'}:"]
    for compared in cases[:SHOWN]:
        shown = ps.shrink(compared) if shrink and compared.error is None else compared
        parts.append(ps.describe(shown))
        parts.append("  as JSON: " + ps.minimal_json(shown))
    return "\n\n".join(parts)


def test_every_scenario_is_evaluated_by_both_sides(batch):
    """A scenario one side cannot take (the peer rejects the input, graphiam raises) is a translation bug."""
    assert not batch.errors, _report("scenarios a side could not evaluate", batch.errors, shrink=False)


def test_every_disagreement_is_a_known_class(batch):
    """graphiam and the peer agree on every scenario outside the documented classes."""
    assert not batch.regressions, _report(
        "disagreements in a RESOLVED class (a regression: the engine had been fixed there)", batch.regressions)
    assert not batch.new, _report("disagreements in no known class (add a class to peer_scenarios.KNOWN_CLASSES "
                                  "only with a reason and the AWS docs' verdict, or fix the engine)", batch.new)


@pytest.mark.parametrize("known", ps.KNOWN_CLASSES, ids=lambda k: k.name)
def test_every_known_class_still_occurs(known, batch, witnesses):
    """A known class whose witness agrees now, and that no generated scenario falls in, is fixed: the list must say so."""
    witness = witnesses[known.name]
    occurrences = batch.by_class[known.name]
    if witness.agree:
        if occurrences:
            pytest.fail(f"the witness of known class {known.name!r} now agrees, but {len(occurrences)} scenarios still "
                        f"fall in the class: make one of them its witness.\n\n" + ps.describe(ps.shrink(occurrences[0])))
        pytest.fail(f"known class {known.name!r} no longer occurs: graphiam now agrees with the peer on its witness "
                    f"and on all {COUNT} scenarios. Move it from KNOWN_CLASSES to RESOLVED_CLASSES in "
                    f"tests/policy/peer_scenarios.py.\n\n" + ps.describe(witness))
    assert ps.classify(witness) == (known,), (
        f"the witness of {known.name!r} disagrees but is not classified as it: fix the predicate or the witness.\n\n"
        + ps.describe(witness))
    if COUNT >= CI_COUNT:
        assert occurrences, (f"known class {known.name!r} still disagrees on its witness but none of {COUNT} scenarios "
                             "falls in it: the generator no longer produces it, or its predicate no longer matches")


@pytest.mark.parametrize("resolved", ps.RESOLVED_CLASSES, ids=lambda k: k.name)
def test_resolved_classes_stay_resolved(resolved, witnesses):
    """The minimal case of each class the engine was fixed for agrees with the peer."""
    witness = witnesses[resolved.name]
    assert witness.agree, (f"regression: resolved class {resolved.name!r} disagrees again ({resolved.reason}).\n\n"
                           + ps.describe(witness))
