"""Scale benchmark: build time, memory and query latency on synthetic organizations.

    python benchmarks/scale.py                      # 10 50 100 250 500 1000 accounts, reference at 50
    python benchmarks/scale.py --reference-at       # the same without the (slow) reference builder
    python benchmarks/scale.py --sizes 10 50 --pairs 100 --repeat 1

Each size runs in its own fresh Python process (so peak RSS and "cold" are
real): it writes ``graphiam synth --accounts N --seed S`` into a temporary
folder, loads and builds the graph with no cache (``--repeat`` times, each
from the files with the previous graph freed; medians reported), then times
``path`` and the explanation with a verified fix over random (principal,
role) pairs. It also
times ``graphiam path`` as whole processes: the first one cold (it loads,
builds and writes the graph cache), then warm ones answered from the cache,
and reports the cache entry's size, and the peak RSS of one whole
``graphiam build --no-cache --engine local`` process
(``build_process_peak_rss_mb``; ``peak_rss_mb`` is this benchmark's own
process, which holds several graphs at once). Results print as a Markdown table with
the growth ratio between consecutive sizes; ``--json`` writes them too.
It also builds once without the escalation-technique edges
(``build_without_techniques_s``; ``escalation_s`` is the technique phase of
the normal build). Medians and the 99th percentile are used throughout: these
machines are noisy.

The reference builder runs at ``--reference-at`` sizes (default 50; it is
quadratic and takes about 30 minutes there on this 2-core machine);
``--reference-at`` with no size skips it. Its row says whether both builders gave identical edges.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure_one(accounts: int, seed: int, pairs: int, reference: bool, repeat: int = 3) -> dict:
    """Runs inside a fresh process (see main). Load and build ``repeat`` times, each from the files with the
    previous graph freed, and keep the medians."""
    sys.path.insert(0, str(ROOT))
    from graphiam.access import AccessGraph
    from graphiam.graph.engines import build_graph_in_processes
    from graphiam.graph.build import GraphBuilder, build_reference_graph
    from graphiam.queries.paths import find_path
    from graphiam.snapshot.read import load_snapshot
    from graphiam.synth import write_synthetic_org

    with tempfile.TemporaryDirectory() as folder:
        snapshot_dir = Path(folder) / "org"
        write_synthetic_org(snapshot_dir, accounts, seed)
        runs = []
        snapshot = access = None
        for _ in range(repeat):
            snapshot = access = None
            gc.collect()
            started = time.perf_counter()
            snapshot = load_snapshot([snapshot_dir])
            loaded = time.perf_counter()
            access = AccessGraph(snapshot)
            built = time.perf_counter()
            runs.append((loaded - started, built - loaded, built - started))
        load_s, build_s, cold_s = (statistics.median(r[i] for r in runs) for i in range(3))
        t0 = time.perf_counter()
        build_graph_in_processes(snapshot, os.cpu_count() or 2)
        build_processes_s = time.perf_counter() - t0
        gc.collect()
        t0 = time.perf_counter()
        GraphBuilder(snapshot, escalation=False).build()  # the same build without the technique edges
        build_plain_s = time.perf_counter() - t0
        rng = random.Random(seed)
        principals = [p.arn for p in snapshot.all_principals()]
        roles = [r.arn for r in snapshot.all_roles()]
        path_ms, explain_ms, reachable = [], [], 0
        for _ in range(pairs):
            source, target = rng.choice(principals), rng.choice(roles)
            t0 = time.perf_counter()
            found = find_path(access.graph, source, target)  # the graph query alone
            path_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            result = access.path(source, target)  # path + direct decision + verified fix when unreachable
            explain_ms.append((time.perf_counter() - t0) * 1000)
            reachable += result.reachable
        row = {
            "accounts": accounts,
            "principals": len(principals),
            "roles": len(roles),
            "edges": sum(1 for _, _, k in access.graph.edges(keys=True) if k != "member_of"),
            "pairs_evaluated": access.graph.graph["pairs_evaluated"],
            "load_s": round(load_s, 3),
            "build_s": round(build_s, 3),
            "cold_total_s": round(cold_s, 3),
            "build_s_runs": [round(r[1], 3) for r in runs],
            "build_processes_s": round(build_processes_s, 3),
            "build_without_techniques_s": round(build_plain_s, 3),
            "technique_edges": sum(1 for _, _, k in access.graph.edges(keys=True) if k == "can_escalate"),
            "escalation_s": round(access.graph.graph.get("timings", {}).get("escalation", 0.0), 3),
            "cold_total_processes_s": round(load_s + build_processes_s, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "path_ms_median": round(statistics.median(path_ms), 3),
            "path_ms_p99": round(percentile(path_ms, 0.99), 3),
            "explain_ms_median": round(statistics.median(explain_ms), 3),
            "explain_ms_p99": round(percentile(explain_ms, 0.99), 3),
            "reachable_pairs": reachable,
        }
        if reference:
            t0 = time.perf_counter()
            naive = build_reference_graph(snapshot)
            row["reference_build_s"] = round(time.perf_counter() - t0, 3)
            row["speedup_vs_reference"] = round(row["reference_build_s"] / max(row["build_s"], 1e-9), 1)
            row["reference_pairs_evaluated"] = naive.graph["pairs_evaluated"]
            row["reference_identical"] = _edges(naive) == _edges(access.graph)  # every attribute, evidence included
        row.update(cli_path_processes(snapshot_dir, principals[0], roles[-1]))
        row["build_process_peak_rss_mb"] = build_process_peak_rss_mb(snapshot_dir)
    return row


def _edges(graph) -> dict:
    return {(u, v, k): repr(sorted(d.items())) for u, v, k, d in graph.edges(keys=True, data=True)}


def build_process_peak_rss_mb(snapshot_dir: Path) -> float:
    """The peak RSS of one whole ``graphiam build --no-cache --engine local`` process (``peak_rss_mb`` is this
    benchmark's own process, which holds several graphs at once: the measured one, the processes build's and the
    build without techniques)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-m", "graphiam.cli", "build", "--no-cache", "--engine", "local",
                              "--data", str(snapshot_dir), "--quiet"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"graphiam build on {snapshot_dir} exited with {os.waitstatus_to_exitcode(status)}")
    return round(usage.ru_maxrss / 1024, 1)


def cli_path_processes(snapshot_dir: Path, source: str, target: str) -> dict:
    """Whole ``graphiam path`` processes: the first (cold: it answers from the part of the graph the question
    reads, then leaves the whole build and the cache write to a detached child), the time until that child's
    cache entry is there, then warm ones answered from the cache (median of 3), and the size of the entry."""
    cache = snapshot_dir.parent / "cache"
    env = {**{k: v for k, v in os.environ.items() if k != "GRAPHIAM_CACHE_WRITE"}, "PYTHONPATH": str(ROOT),
           "GRAPHIAM_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "graphiam.cli", "path", source, target, "--data", str(snapshot_dir), "--json"]
    t0 = time.perf_counter()
    subprocess.run(command, env=env, capture_output=True)  # answers; its child fills the cache
    cold = time.perf_counter() - t0
    while not (list(cache.glob("*.sqlite")) and list(cache.glob("*.pickle"))):
        time.sleep(0.2)
    ready = time.perf_counter() - t0
    time.sleep(1.0)  # the child renames the index last, then exits
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True)
        runs.append(time.perf_counter() - t0)
    size = sum(f.stat().st_size for f in cache.iterdir() if f.suffix in (".pickle", ".sqlite"))
    return {"cold_path_process_s": round(cold, 3), "cache_ready_s": round(ready, 1),
            "warm_path_process_s": round(statistics.median(runs), 3),
            "cache_mb": round(size / 1e6, 1)}


def table(rows: list[dict]) -> str:
    columns = ["accounts", "principals", "roles", "edges", "technique_edges", "load_s", "build_s",
               "build_without_techniques_s", "escalation_s", "cold_total_s", "growth",
               "build_processes_s", "cold_total_processes_s",
               "peak_rss_mb", "build_process_peak_rss_mb", "path_ms_median", "path_ms_p99", "explain_ms_median", "explain_ms_p99",
               "cold_path_process_s", "cache_ready_s", "warm_path_process_s", "cache_mb"]
    if any("speedup_vs_reference" in r for r in rows):
        columns += ["reference_build_s", "speedup_vs_reference", "reference_identical"]
    previous = None
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        growth = ""
        if previous is not None:
            growth = f"{row['cold_total_s'] / max(previous['cold_total_s'], 1e-9):.2f}x for {row['accounts'] / previous['accounts']:.1f}x"
        row = {**row, "growth": growth}
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in columns) + " |")
        previous = row
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 250, 500, 1000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=200, help="random pairs for the query latencies")
    parser.add_argument("--reference-at", type=int, nargs="*", default=[50],
                        help="also time the naive reference builder at these sizes (small ones only)")
    parser.add_argument("--repeat", type=int, default=3, help="loads and builds per size; the medians are reported")
    parser.add_argument("--json", metavar="FILE", help="write the rows as JSON too")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size in this process
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure_one(args.one, args.seed, args.pairs, args.one in args.reference_at, args.repeat)))
        return 0
    rows = []
    for size in sorted(set(args.sizes) | set(args.reference_at or [])):
        command = [sys.executable, __file__, "--one", str(size), "--seed", str(args.seed), "--pairs", str(args.pairs),
                   "--repeat", str(args.repeat), "--reference-at", *map(str, args.reference_at or [])]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"measured {size} accounts", file=sys.stderr)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, seed {args.seed}, {args.pairs} pairs per size, "
          f"medians of {args.repeat} loads and builds per size")
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
