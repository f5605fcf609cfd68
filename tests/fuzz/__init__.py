"""Fuzzing graphiam's command line with hostile snapshots and check files.

- :mod:`fuzz.mutations`: a *plan* (plain JSON data: which mutations, where, which command) and how to
  apply it to the bundled sample organization (``data/sample-org``) or to ``data/sample-checks.json``;
  :func:`fuzz.mutations.random_snapshot_plan` / :func:`~fuzz.mutations.random_check_plan` draw plans
  from a :class:`random.Random` (``benchmarks/fuzz.py``).
- :mod:`fuzz.strategies`: the same plans as hypothesis strategies (``tests/test_fuzz.py``), so that
  hypothesis shrinks a failing plan to a small one.
- :mod:`fuzz.harness`: runs ``graphiam.cli.main`` in-process on a plan and judges the outcome (exit
  codes, one-line errors, no traceback, nothing unsafe for a terminal, one JSON value with ``--json``).

A plan is data, so a crash can be saved (``benchmarks/fuzz.py`` writes it with the files it made) and
replayed: ``fuzz.harness.run_plan(plan)``.
"""
