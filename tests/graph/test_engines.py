"""The Dask engine builds exactly the graph the local build gives (LocalCluster on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

pytest.importorskip("dask.distributed", reason="the dask extra is not installed (pip install 'graphiam[dask]')")

from graphiam.graph.engines import build_graph_in_processes, build_graph_on_dask, partition_edges
from graphiam.graph.build import build_graph
from graphiam.snapshot.read import load_snapshot
from strategies import organizations

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-org"


def everything(graph) -> tuple[set, set, list]:
    nodes = {(n, repr(sorted(d.items()))) for n, d in graph.nodes(data=True)}
    edges = {(u, v, k, repr(sorted(d.items()))) for u, v, k, d in graph.edges(keys=True, data=True)}
    facts = sorted(repr(sorted(f.items())) for f in graph.graph["trust_facts"])
    return nodes, edges, facts


def test_partitions_cover_every_edge_once():
    snapshot = load_snapshot([SAMPLE])
    whole = build_graph(snapshot)
    parts = [partition_edges(snapshot, [a]) for a in sorted(snapshot.accounts)]
    found = [(u, v, k) for part in parts for u, v, k, _ in part["edges"]]
    assert len(found) == len(set(found))
    assert set(found) == {(u, v, k) for u, v, k in whole.edges(keys=True) if k != "member_of"}


def assert_same_build(snapshot) -> None:
    local = build_graph(snapshot)
    distributed = build_graph_on_dask(snapshot, partitions=3)
    assert everything(distributed) == everything(local)
    assert distributed.graph["pairs_evaluated"] == local.graph["pairs_evaluated"]


def test_dask_local_cluster_builds_the_identical_graph_of_the_sample():
    assert_same_build(load_snapshot([SAMPLE]))


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(organizations())
def test_dask_local_cluster_builds_the_identical_graph_of_random_orgs(org):
    assert_same_build(org.snapshot())


def test_forked_processes_build_the_identical_graph():
    snapshot = load_snapshot([SAMPLE])
    assert everything(build_graph_in_processes(snapshot, 2)) == everything(build_graph(snapshot))


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(organizations())
def test_this_process_and_forked_ones_build_the_identical_graph_of_random_orgs(org):
    """This process decides one partition into the graph it returns, forked ones the rest."""
    snapshot = org.snapshot()
    local = build_graph(snapshot)
    for workers in (1, 3):
        built = build_graph_in_processes(snapshot, workers)
        assert everything(built) == everything(local)
        assert built.graph["pairs_evaluated"] == local.graph["pairs_evaluated"]


def test_the_cli_builds_on_an_existing_cluster_named_by_its_address():
    """``graphiam build --engine dask --scheduler ADDRESS``: a separate process joins a running cluster."""
    import json
    import os
    import subprocess
    import sys

    from dask.distributed import LocalCluster

    root = SAMPLE.parent.parent
    command = [sys.executable, "-m", "graphiam.cli", "build", "--data", str(SAMPLE), "--json", "--no-cache"]
    env = {**os.environ, "PYTHONPATH": str(root)}
    local = json.loads(subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout)
    with LocalCluster(host="127.0.0.1", n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        before = cluster.scheduler.transition_counter
        done = subprocess.run([*command, "--engine", "dask", "--scheduler", cluster.scheduler_address],
                              capture_output=True, text=True, env=env)
        assert cluster.scheduler.transition_counter > before  # the partitions ran on this cluster
    assert done.returncode == 0, done.stderr
    remote = json.loads(done.stdout)
    assert remote["engine"] == "dask"
    assert remote["counts"] == local["counts"]
