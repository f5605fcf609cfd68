"""graphiam's policy engine against @cloud-copilot/iam-simulate on many generated scenarios.

    npm ci --prefix tests/peer            # once: the pinned peer evaluator, run through node
    python benchmarks/peer_differential.py --count 20000 --seed 1 [--examples 1]

Prints the agreement rate, how many disagreements fall in each known class
(and in resolved classes: regressions), a shrunk minimal example of each class
that occurred, and the new disagreements grouped by how they look, with a
shrunk example of each group. The scenarios, both translations and the classes
are in tests/policy/peer_scenarios.py; tests/policy/test_peer_differential.py
runs a CI-sized batch of the same. Exit code 0 when every disagreement is in a
known class, 1 otherwise, 2 when the peer is not installed.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from policy import peer_scenarios as ps  # noqa: E402


def _shape(compared: ps.Compared) -> tuple:
    """How a new disagreement looks: who allows, the decision, graphiam's blockers or unmet requirement layers."""
    decision = compared.graphiam.decision
    return ("graphiam allows" if compared.graphiam.allowed else "graphiam denies",
            decision.outcome.value,
            ", ".join(sorted({f"{b.layer} {b.effect}" for b in decision.blockers})) or "-",
            ", ".join(sorted({f"{r.layer} {'must hold' if r.must_hold else 'must not hold'}" for r in compared.graphiam.unmet}))
            or "-")


def _examples(title: str, cases: list[ps.Compared], count: int) -> None:
    for compared in cases[:count]:
        shrunk = ps.shrink(compared)
        print(f"\n--- {title}: shrunk from scenario #{compared.scenario['id']}")
        print(ps.describe(shrunk))
        print("  as JSON: " + ps.minimal_json(shrunk))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="scenarios to generate (default 5000)")
    parser.add_argument("--seed", type=int, default=1, help="the generator's seed (default 1)")
    parser.add_argument("--examples", type=int, default=1, help="shrunk examples printed per class (default 1)")
    parser.add_argument("--batch", type=int, default=4000, help="scenarios per node process (default 4000)")
    args = parser.parse_args(argv)
    unavailable = ps.peer_unavailable()
    if unavailable:
        print(f"peer_differential: {unavailable}", file=sys.stderr)
        return 2

    started = time.perf_counter()
    batch = ps.run(args.seed, args.count, batch=args.batch)
    elapsed = time.perf_counter() - started
    results = batch.results
    kinds = collections.Counter(r.scenario["action"] for r in results)
    both = collections.Counter((r.graphiam.allowed, r.peer_allowed) for r in results if r.graphiam and r.error is None)
    print(f"peer: {ps.PEER_PACKAGE} {ps.installed_peer_version()}; seed {args.seed}; {args.count} scenarios "
          f"({kinds['assume']} AssumeRole, {kinds['pass']} PassRole) in {elapsed:.1f} s")
    print(f"agreement: {batch.agreement:.2%} ({sum(r.agree for r in results)} of {len(results)}); "
          f"both allow {both[(True, True)]}, both deny {both[(False, False)]}, "
          f"only graphiam allows {both[(True, False)]}, only the peer allows {both[(False, True)]}")
    print(f"disagreements: {batch.disagreements}; in known classes {sum(len(v) for v in batch.by_label.values())}, "
          f"regressions {len(batch.regressions)}, new {len(batch.new)}; scenarios a side could not evaluate: "
          f"{len(batch.errors)}")

    resolved = {k.name for k in ps.RESOLVED_CLASSES}
    print("\nper class (a disagreement with two causes counts in both):")
    for known in [*ps.KNOWN_CLASSES, *ps.RESOLVED_CLASSES]:
        state = "resolved: a regression if it occurs" if known.name in resolved else "known"
        print(f"  {len(batch.by_class[known.name]):6d}  {known.name}  [{known.verdict}; {state}]")
        print(f"          {known.reason}")
    combined = {label: cases for label, cases in batch.by_label.items() if " + " in label}
    for label, cases in sorted(combined.items()):
        print(f"  {len(cases):6d}  {label}  [two causes]")

    for known in [*ps.KNOWN_CLASSES, *ps.RESOLVED_CLASSES]:
        single = batch.by_label.get(known.name, [])
        if single:
            _examples(known.name, single, args.examples)

    groups: dict[tuple, list[ps.Compared]] = collections.defaultdict(list)
    for compared in batch.new:
        groups[_shape(compared)].append(compared)
    if groups:
        print(f"\nnew disagreements, by how they look ({len(batch.new)}):")
        for shape, cases in sorted(groups.items(), key=lambda item: -len(item[1])):
            print(f"  {len(cases):6d}  {' | '.join(shape)}")
        for shape, cases in sorted(groups.items(), key=lambda item: -len(item[1])):
            _examples("NEW: " + " | ".join(shape), cases, args.examples)
    for compared in batch.errors[:3]:
        print("\n--- a scenario a side could not evaluate")
        print(ps.describe(compared))
    return 0 if not (batch.new or batch.regressions or batch.errors) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `| head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
