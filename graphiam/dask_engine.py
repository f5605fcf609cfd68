"""Build the access graph on a Dask cluster, for organizations beyond one machine.

The edge computation is partitioned by the target role's account: each task
builds, with the same :class:`~graphiam.graph.GraphBuilder` and the same policy
engine, the edges into the roles of a slice of accounts, and the driver merges
them. The result is the graph the local build gives (the tests compare them).

``scheduler=None`` starts a ``LocalCluster`` on 127.0.0.1 (worker processes
on this machine); an address (``tcp://host:8786``) uses an existing cluster,
whose workers need graphiam installed. Dask is optional: ``pip install 'graphiam[dask]'``.
"""

from __future__ import annotations

import time
from typing import Any

import networkx as nx

from .graph import GraphBuilder
from .model import Snapshot


def partition_edges(snapshot: Snapshot, accounts: list[str]) -> dict[str, Any]:
    """One task: the nodes and edges the builder adds for roles in ``accounts`` (runs on a worker)."""
    builder = GraphBuilder(snapshot)
    graph = builder.build(target_accounts=accounts)
    return {
        "nodes": [(n, d) for n, d in graph.nodes(data=True) if d.get("kind") in ("service", "federated")
                  or d.get("external")],
        "edges": [(u, v, k, d) for u, v, k, d in graph.edges(keys=True, data=True) if k != "member_of"],
        "facts": graph.graph["trust_facts"],
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
        results = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    # the node set (and membership edges) comes from the same builder, without any edge work
    graph = GraphBuilder(snapshot).build(target_accounts=())
    facts: list[dict] = []
    pairs = 0
    for result in results:
        for node, data in result["nodes"]:
            if node not in graph:
                graph.add_node(node, **data)
        for source, target, key, data in result["edges"]:
            graph.add_edge(source, target, key=key, **data)
        facts.extend(result["facts"])
        pairs += result["pairs"]
    graph.graph["trust_facts"] = sorted(facts, key=lambda f: (f["role"], f["principal"], f["kind"]))
    graph.graph["pairs_evaluated"] = pairs
    graph.graph["timings"] = {"dask_total": time.perf_counter() - started}
    return graph
