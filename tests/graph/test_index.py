"""A warm path/why answered from the cache's query index equals the answer of the whole graph."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from graphiam.graph import cache as graph_cache
from graphiam.access import load_with_report
from graphiam import UnknownPrincipalError
from graphiam.access import partial_access
from graphiam.graph.index import QueryIndex
from graphiam.snapshot.read import snapshot_files

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample-org"
CHECKS = json.loads((ROOT / "data" / "sample-checks.json").read_text())["checks"]


@pytest.fixture(scope="module")
def cached(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cache")
    previous = os.environ.get("GRAPHIAM_CACHE_DIR")
    os.environ["GRAPHIAM_CACHE_DIR"] = str(folder)
    try:
        access, report = load_with_report([SAMPLE], cache=True)
        assert report["cache"] == "miss"
        index = QueryIndex(graph_cache.index_file(graph_cache.snapshot_key(snapshot_files([SAMPLE]))))
        yield access, index
        index.close()
    finally:
        if previous is None:
            os.environ.pop("GRAPHIAM_CACHE_DIR", None)
        else:
            os.environ["GRAPHIAM_CACHE_DIR"] = previous


def answer_from_index(index, source, target, action="sts:AssumeRole", service=None):
    partial, source_arn, target_arn = partial_access(index, source, target)
    return partial.path(source_arn, target_arn, action, service).to_dict()


def test_every_sample_check_answers_the_same_from_the_index(cached):
    access, index = cached
    for check in (c for c in CHECKS if "expect" in c):
        args = (check["source"], check["target"], check.get("action") or "sts:AssumeRole", check.get("service"))
        if access.snapshot.accounts.get(check["source"].split(":")[4]) is None:
            # a caller from outside the snapshot: the index has no node for it, and the CLI asks the whole graph
            with pytest.raises(UnknownPrincipalError):
                answer_from_index(index, *args)
            continue
        assert answer_from_index(index, *args) == access.path(*args).to_dict(), check["name"]


def test_random_pairs_answer_the_same_from_the_index(cached):
    access, index = cached
    rng = random.Random(7)
    principals = [p.arn for p in access.snapshot.all_principals()]
    roles = [r.arn for r in access.snapshot.all_roles()]
    for _ in range(150):
        source, target = rng.choice(principals), rng.choice(roles)
        assert answer_from_index(index, source, target) == access.path(source, target).to_dict(), (source, target)


def test_the_index_gives_back_every_edge_with_its_attributes(cached):
    """Each edge into any node (groups' membership edges included) reads back exactly as the graph holds it."""
    access, index = cached
    for node in access.graph.nodes:
        partial = index.subgraph(node, node)
        expected = {(u, v, k): d for u, v, k, d in access.graph.in_edges(node, keys=True, data=True)}
        got = {(u, v, k): d for u, v, k, d in partial.in_edges(node, keys=True, data=True)}
        assert got == expected, node


def test_tickets_and_names_answer_the_same_from_the_index(cached):
    access, index = cached
    for check in (c for c in CHECKS if "why" in c):
        from graphiam.queries.denied import parse_denied_message

        parsed = parse_denied_message(check["why"])
        partial, _, _ = partial_access(index, parsed.caller, parsed.resource)
        assert partial.why(check["why"]).to_dict() == access.why(check["why"]).to_dict()
    # names are resolved against the whole snapshot, not the small graph
    assert answer_from_index(index, "alice", "arn:aws:iam::333333333333:role/Deploy") == \
        access.path("alice", "arn:aws:iam::333333333333:role/Deploy").to_dict()
    with pytest.raises(Exception, match="ambiguous"):
        partial_access(index, "alice", "OrganizationAccountAccessRole")


def test_warm_cli_path_reads_the_index_not_the_pickle(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GRAPHIAM_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "graphiam.cli", "path", "grace", "AppConfig", "--data", str(SAMPLE), "--json"]
    cold = subprocess.run(command, env=env, capture_output=True, text=True)
    for pickled in (tmp_path / "cache").glob("*.pickle"):
        pickled.unlink()  # only the index is left: a warm answer must come from it
    warm = subprocess.run(command, env=env, capture_output=True, text=True)
    fresh = subprocess.run(command + ["--no-cache"], env=env, capture_output=True, text=True)
    assert cold.returncode == warm.returncode == fresh.returncode == 0
    assert json.loads(warm.stdout) == json.loads(cold.stdout) == json.loads(fresh.stdout)
    assert not list((tmp_path / "cache").glob("*.pickle"))  # the warm run did not rebuild
