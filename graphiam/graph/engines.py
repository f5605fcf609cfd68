"""Build the access graph in parts: on a Dask cluster, or on this machine's cores.

The edge computation is partitioned by the target role's account: each task
builds, with the same :class:`~graphiam.graph.GraphBuilder` and the same policy
engine, the edges into the roles of a slice of accounts, and the driver merges
them. The result is the graph the local build gives (the tests compare them).

``scheduler=None`` starts a ``LocalCluster`` on 127.0.0.1 (worker processes
on this machine); an address (``tcp://host:8786``) uses an existing cluster,
whose workers need graphiam installed. Dask is optional: ``pip install 'graphiam[dask]'``.

:func:`build_graph_in_processes` runs the same partitions in forked processes
on one machine (``graphiam build --engine processes``; POSIX only).
"""

from __future__ import annotations

import time
from typing import Any

import networkx as nx

from ..gcpause import paused_gc
from ..progress import SILENT, Progress
from .build import GraphBuilder
from ..snapshot.model import Snapshot


def partition_edges(snapshot: Snapshot, accounts: list[str], prepared: GraphBuilder | None = None) -> dict[str, Any]:
    """One task: the nodes and edges the builder adds for roles in ``accounts`` (runs on a worker).

    ``prepared``: a builder of the same snapshot whose engine and indexes this task may reuse.
    """
    with paused_gc():  # the result is pickled back: millions of objects, no cycles
        if prepared is None:
            builder = GraphBuilder(snapshot)
        else:
            builder = GraphBuilder(snapshot, prepared.engine, prepared.indexes())
        graph = builder.build(target_accounts=accounts)
        return {
            "nodes": [(n, d) for n, d in graph.nodes(data=True) if d.get("kind") in ("service", "federated")
                      or d.get("external")],
            "edges": [(u, v, k, d) for u, v, k, d in graph.edges(keys=True, data=True) if k != "member_of"],
            "facts": graph.graph["trust_facts"],
            "identity_center_facts": graph.graph.get("identity_center_facts", []),
            "pairs": graph.graph["pairs_evaluated"],
        }


def _slices(accounts: list[str], parts: int) -> list[list[str]]:
    parts = max(1, min(parts, len(accounts)))
    return [accounts[i::parts] for i in range(parts)]


def build_graph_on_dask(snapshot: Snapshot, scheduler: str | None = None, partitions: int | None = None) -> nx.MultiDiGraph:
    from dask.distributed import Client, LocalCluster

    started = time.perf_counter()
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        accounts = sorted(snapshot.accounts)
        shared = client.scatter(snapshot, broadcast=True)
        futures = [client.submit(partition_edges, shared, part, pure=False)
                   for part in _slices(accounts, partitions or workers * 4)]
        with paused_gc():
            results = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    graph = merge_partitions(snapshot, results)
    graph.graph["timings"] = {"dask_total": time.perf_counter() - started}
    return graph


def merge_partitions(snapshot: Snapshot, results: list[dict[str, Any]], into: GraphBuilder | None = None
                     ) -> nx.MultiDiGraph:
    """One graph from the partitions' nodes and edges (what the local build gives); ``into``: a builder that
    has built one partition itself, whose graph receives the others."""
    with paused_gc():
        return _merge(snapshot, results, into)


def _merge(snapshot: Snapshot, results: list[dict[str, Any]], into: GraphBuilder | None) -> nx.MultiDiGraph:
    facts: list[dict] = []
    sign_in_facts: list[dict] = []
    pairs = 0
    if into is None:
        builder = GraphBuilder(snapshot)
        builder.add_nodes()  # the node set and membership edges come from the same builder, without any edge work
        graph = builder.graph
    else:
        builder, graph = into, into.graph
        facts.extend(graph.graph["trust_facts"])
        sign_in_facts.extend(graph.graph.get("identity_center_facts", ()))
        pairs = graph.graph["pairs_evaluated"]
    for result in results:
        for node, data in result["nodes"]:
            if node not in graph:
                graph.add_node(node, **data)
        graph.add_edges_from(result["edges"])
        facts.extend(result["facts"])
        sign_in_facts.extend(result.get("identity_center_facts", ()))
        pairs += result["pairs"]
    graph.graph["warnings"] = list(snapshot.warnings)
    graph.graph["trust_facts"] = sorted(facts, key=lambda f: (f["role"], f["principal"], f["kind"]))
    if snapshot.identity_center is not None:
        from .identity_center import SignIns, facts_dicts

        sign_in_facts.extend(facts_dicts(SignIns(snapshot, builder.engine).static_facts()))
        graph.graph["identity_center_facts"] = sorted(
            sign_in_facts, key=lambda f: (f["kind"], f["account"] or "", f["permission_set"] or "", f["role"] or ""))
    graph.graph["pairs_evaluated"] = pairs
    return graph


_SHARED: GraphBuilder | None = None  # a builder with its indexes built: forked worker processes inherit it


def _partition_in_child(accounts: list[str]) -> dict[str, Any]:
    assert _SHARED is not None
    return partition_edges(_SHARED.snapshot, accounts, _SHARED)


def build_graph_in_processes(snapshot: Snapshot, workers: int, progress: Progress = SILENT) -> nx.MultiDiGraph:
    """The same partitions on this machine's cores: forked processes inherit the snapshot, edges come back.

    This process decides one partition itself, into the graph it returns, while ``workers - 1`` forked ones
    decide the others: only their edges are pickled back and merged (on two cores, half the graph instead
    of all of it)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _SHARED
    started = time.perf_counter()
    accounts = sorted(snapshot.accounts)
    _SHARED = GraphBuilder(snapshot)
    _SHARED.indexes()  # built once, before the fork, instead of once per process
    indexed = time.perf_counter() - started
    try:
        context = multiprocessing.get_context("fork")
        own, *others = _slices(accounts, workers)
        with paused_gc(), ProcessPoolExecutor(max_workers=max(1, len(others)), mp_context=context) as pool:
            futures = [pool.submit(_partition_in_child, part) for part in others]  # forked before our own share
            # the progress shown is this process's own target accounts, then the other partitions coming back
            builder = GraphBuilder(snapshot, _SHARED.engine, _SHARED.indexes(), progress=progress)
            builder.build(target_accounts=own)
            results = []
            with progress.task("collecting the other partitions", len(futures), "partitions") as task:
                for future in futures:
                    results.append(future.result())
                    task.advance()
    finally:
        _SHARED = None
    own_timings = dict(builder.graph.graph.get("timings", {}))
    merging = time.perf_counter()
    graph = merge_partitions(snapshot, results, into=builder)
    # the phases of this process's own partition (the forked ones ran alongside), the shared indexes, the merge
    graph.graph["timings"] = {**own_timings, "indexes": indexed, "merge": time.perf_counter() - merging,
                              "processes_total": time.perf_counter() - started}
    return graph
