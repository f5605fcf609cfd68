"""Long fuzz runs of the command line: thousands of mutated snapshots and check files, no shrinking.

    python benchmarks/fuzz.py --cases 5000 --seed 1 [--out fuzz-crashes] [--checks 0.2]

Each case is a plan of tests/fuzz/mutations.py drawn from ``random.Random(f"{seed}:{case}")`` (so one
case is replayed with ``--seed S --only CASE``), run through ``graphiam.cli.main`` in-process with
a private cache folder, and judged by tests/fuzz/harness.py. It prints the count of each exit code,
the failures grouped by where they happen (``graphiam/module.py`` and the exception for an internal
error), and saves each failing case under ``--out`` (``case-N/``: plan.json, outcome.json,
traceback.txt and the files it ran on). The exit code is 1 when a case failed.

``tests/test_fuzz.py`` runs the same plans with hypothesis (which shrinks a failure to a small
plan) on every CI run; this script is for the long runs.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the fuzz package (before this script's own folder: "fuzz" is both)
sys.path.insert(1, str(REPO))

from fuzz import harness, mutations  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000, help="how many cases (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="case N is drawn from random.Random(f'{seed}:{N}')")
    parser.add_argument("--checks", type=float, default=0.2, help="share of cases that mutate the check file (default 0.2)")
    parser.add_argument("--out", type=Path, default=Path("fuzz-crashes"), help="where failing cases are saved")
    parser.add_argument("--only", type=int, action="append", default=[], metavar="CASE", help="run only this case (repeatable)")
    parser.add_argument("--save-limit", type=int, default=50, help="save at most this many failing cases")
    parser.add_argument("--slow", type=float, default=10.0, help="a case over this many seconds fails (default 10)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="stop a case after this many seconds (Python code only; default 60)")
    args = parser.parse_args(argv)

    cache = Path(tempfile.mkdtemp(prefix="graphiam-fuzz-cache-"))
    os.environ["GRAPHIAM_CACHE_DIR"] = str(cache)
    codes: collections.Counter = collections.Counter()
    groups: dict[str, list[int]] = collections.defaultdict(list)
    saved = 0
    started = time.perf_counter()
    cases = args.only or range(args.cases)
    try:
        for done, case in enumerate(cases, 1):
            rng = random.Random(f"{args.seed}:{case}")
            plan = mutations.random_check_plan(rng) if rng.random() < args.checks else mutations.random_snapshot_plan(rng)
            outcome = harness.run_plan(plan, timeout=args.timeout, slow=args.slow)
            codes[outcome.code] += 1
            if outcome.problems:
                if outcome.code == harness.INTERNAL_ERROR:
                    group = f"internal error in {outcome.where or '?'}: {outcome.exception}"
                else:
                    group = outcome.problems[0].split(":", 1)[0].split(" (", 1)[0]
                groups[group].append(case)
                if saved < args.save_limit:
                    harness.save_case(plan, outcome, args.out / f"case-{case}")
                    saved += 1
            if done % 200 == 0:
                shutil.rmtree(cache, ignore_errors=True)  # every mutated snapshot is a new cache entry
                cache.mkdir()
                print(f"  {done} cases, {time.perf_counter() - started:.0f} s, {sum(map(len, groups.values()))} failing",
                      file=sys.stderr)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    total = sum(codes.values())
    print(f"{total} cases (seed {args.seed}) in {time.perf_counter() - started:.1f} s")
    print("exit codes: " + ", ".join(f"{code}: {count}" for code, count in sorted(codes.items(), key=lambda i: str(i[0]))))
    if not groups:
        print("no failing case")
        return 0
    print(f"failing cases ({sum(map(len, groups.values()))}), saved under {args.out}/case-N:")
    for group, members in sorted(groups.items(), key=lambda item: -len(item[1])):
        print(f"  {len(members):5d}  {group}  (cases {', '.join(map(str, members[:8]))}{' ...' if len(members) > 8 else ''})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
