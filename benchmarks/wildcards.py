"""Wildcard matching has a bounded worst case: time grows linearly with the text, whatever the pattern.

    python benchmarks/wildcards.py [--repeats 7] [--max-n 16384] [--no-old] [--old-budget 3]

IAM patterns (``*`` any run, ``?`` one character) used to be translated to
Python regexes (``*`` -> ``.*``), and ``re`` backtracks: a 39-character
Resource, ``arn:aws:iam::*:role/`` then nine ``a*`` then ``b``, took minutes
against a role named with 64 ``a``s. ``graphiam.policy.matching`` now uses
the greedy glob algorithm (see the comment at the top of its wildcard
section). For hostile shapes with k = 5..40 ``*``-separated segments and
texts of 64..16384 characters, this prints the median time of one match with
the current matcher and, per doubling of the text, the ratio of the times
(about 2 when the time is linear in the text; below 2 while the fixed cost
of a call still dominates). For the smallest sizes only, it also times
the OLD approach, re-implemented here (``old_regex_match``: the translation
graphiam used before), to show what the bound replaced. Timings only; the
tests assert answers, never times.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import timeit
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graphiam.policy.matching import any_pattern_regex, wildcard_match  # noqa: E402

ROLE_PREFIX = "arn:aws:iam::123456789012:role/"


def old_regex_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """THE OLD APPROACH, for comparison only: the pattern as one backtracking regex (what graphiam did)."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(body, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


# name -> (pattern for k segments, text for n characters, ignore_case); none of them matches
SHAPES: dict[str, tuple[Callable[[int], str], Callable[[int], str], bool]] = {
    # the report's shape: the tail "b" is missing (the old regex tries every split of the a's; the new
    # matcher sees the missing tail first)
    "resource role/(a*)^k b": (lambda k: "arn:aws:iam::*:role/" + "a*" * k + "b", lambda n: ROLE_PREFIX + "a" * n, False),
    # the new matcher's worst case: every middle found at once, the last one ("ab") searched through the text
    "resource role/(a*)^k ab*": (lambda k: "arn:aws:iam::*:role/" + "a*" * k + "ab*", lambda n: ROLE_PREFIX + "a" * n, False),
    # segments holding "?" (a small regex each, searched once), the last one through the whole text
    "resource *(a?*)^k a?c*": (lambda k: "*" + "a?*" * k + "a?c*", lambda n: ROLE_PREFIX + "a" * n, False),
    # an Action, case-insensitively (the text is lower-cased, then as above)
    "action sts:(A*)^k AB*": (lambda k: "sts:" + "A*" * k + "AB*", lambda n: "sts:" + "a" * n, True),
}


def median_seconds(call: Callable[[], object], repeats: int) -> float:
    """Median over ``repeats`` of the time of one call (each repeat loops enough calls to be measurable)."""
    number, _ = timeit.Timer(call).autorange()
    number = max(1, number // 5)
    return statistics.median(timeit.repeat(call, number=number, repeat=repeats)) / number


def old_seconds(pattern: str, text: str, ignore_case: bool) -> float:
    start = time.perf_counter()
    assert not old_regex_match(pattern, text, ignore_case)
    once = time.perf_counter() - start
    return once if once > 0.05 else median_seconds(lambda: old_regex_match(pattern, text, ignore_case), 3)


def old_table(make_pattern: Callable[[int], str], make_text: Callable[[int], str], ignore_case: bool,
              repeats: int, budget: float) -> None:
    """The old approach at the smallest sizes: k = 5, 6, 7 at n = 64, then k = 5 at n = 128; a size whose
    time, extrapolated from the smaller ones, exceeds ``budget`` seconds is skipped."""
    print("   OLD regex approach (old_regex_match, re-implemented in this file, for comparison), one match:")
    seconds: dict[tuple[int, int], float] = {}  # measured, or estimated for a skipped size
    for k, n in ((5, 64), (6, 64), (7, 64), (5, 128)):
        estimate = 0.0
        if (k - 1, n) in seconds:  # about 10x per extra "a*" at n = 64
            growth = seconds[k - 1, n] / seconds[k - 2, n] if (k - 2, n) in seconds else 10.0
            estimate = seconds[k - 1, n] * growth
        elif (k, n // 2) in seconds:  # about n^k
            estimate = seconds[k, n // 2] * 2 ** k
        new = median_seconds(lambda: wildcard_match(make_pattern(k), make_text(n), ignore_case), repeats)
        if estimate > budget:
            seconds[k, n] = estimate
            print(f"     k={k:<2} n={n:<5} old  skipped (about {fmt(estimate).strip()})   new {fmt(new)}")
            continue
        old = seconds[k, n] = old_seconds(make_pattern(k), make_text(n), ignore_case)
        print(f"     k={k:<2} n={n:<5} old {fmt(old)}   new {fmt(new)}   old/new {old / new:12,.0f}")


def fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:9.2f} s "
    if seconds >= 1e-3:
        return f"{seconds * 1e3:9.2f} ms"
    return f"{seconds * 1e6:9.2f} us"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="repeats per size (median)")
    parser.add_argument("--max-n", type=int, default=16384, help="longest text (doubling from 64)")
    parser.add_argument("--no-old", action="store_true", help="skip the old regex approach")
    parser.add_argument("--old-budget", type=float, default=3.0,
                        help="skip an old-approach size expected to take longer than this many seconds")
    args = parser.parse_args()
    ks = [5, 10, 20, 40]
    ns = [64]
    while ns[-1] * 2 <= args.max_n:
        ns.append(ns[-1] * 2)

    for name, (make_pattern, make_text, ignore_case) in SHAPES.items():
        print(f"\n== {name}{'  (case-insensitive)' if ignore_case else ''}: new matcher, median of {args.repeats}")
        print("      n | " + " | ".join(f"k={k:<2}{'':9}x2" for k in ks))
        previous: dict[int, float] = {}
        for n in ns:
            text = make_text(n)
            cells = []
            for k in ks:
                pattern = make_pattern(k)
                assert not wildcard_match(pattern, text, ignore_case)
                if not ignore_case:
                    assert any_pattern_regex([pattern]).fullmatch(text) is None
                seconds = median_seconds(lambda: wildcard_match(pattern, text, ignore_case), args.repeats)
                ratio = f"{seconds / previous[k]:4.1f}" if k in previous else "   -"
                previous[k] = seconds
                cells.append(f"{fmt(seconds)} {ratio}")
            print(f"{n:7} | " + " | ".join(cells))
        if not args.no_old:
            old_table(make_pattern, make_text, ignore_case, args.repeats, args.old_budget)


if __name__ == "__main__":
    main()
