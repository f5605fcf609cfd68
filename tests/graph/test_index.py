"""A warm path/why answered from the cache's query index equals the answer of the whole graph; the index holds
JSON only (the snapshot model round-trips exactly), and a changed row is caught before it is used."""

from __future__ import annotations

import dataclasses
import base64
import json
import os
import random
import sqlite3
import zlib
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from graphiam.graph import cache as graph_cache
from graphiam.graph import index as graph_index
from graphiam.access import load_with_report
from graphiam import UnknownPrincipalError
from graphiam.access import partial_access
from graphiam.graph.index import QueryIndex
from graphiam.snapshot.model import Account, Organization, PolicyDocument
from graphiam.snapshot.read import snapshot_files, snapshot_from_files
from strategies import organizations

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
    for check in (c for c in CHECKS if "expect" in c and not c.get("escalation")):  # escalation: whole graph
        args = (check["source"], check["target"], check.get("action") or "sts:AssumeRole", check.get("service"))
        source = check["source"]  # an ARN, or an Identity Center user's name (always in the snapshot)
        if source.startswith("arn:aws:") and access.snapshot.accounts.get(source.split(":")[4]) is None:
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


# -- what the index stores: JSON only, every row authenticated ----------------------------------------------


def same(a, b, path="$") -> None:
    """``a`` and ``b`` are equal and of the same types all the way down (``raw`` and other compare=False fields
    included; ``by_action`` is a cache)."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} is not {type(b).__name__}"
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            if f.name != "by_action":
                same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


def documents_of(account: Account) -> list[PolicyDocument]:
    found = [r.trust_policy for r in account.roles.values()]
    found += [p.document for p in account.policies.values()]
    for holder in [*account.users.values(), *account.roles.values(), *account.groups.values()]:
        found += [p.document for p in holder.inline_policies]
    return found


def sharing(objects: list) -> list[int]:
    """For each object, the position of the first one that is the same object."""
    first: dict[int, int] = {}
    return [first.setdefault(id(o), i) for i, o in enumerate(objects)]


def assert_round_trips(snapshot) -> None:
    for account in snapshot.accounts.values():
        back = graph_index.model_from_json(graph_index.model_to_json(account, Account), Account)
        same(account, back)
        assert back == account
        # documents the account's objects share are shared again (as a pickle gives them back)
        assert sharing(documents_of(account)) == sharing(documents_of(back))
    org_hint = Organization | None
    same(snapshot.organization, graph_index.model_from_json(graph_index.model_to_json(snapshot.organization, org_hint),
                                                            org_hint))


def test_the_snapshot_model_round_trips_exactly_through_json():
    assert_round_trips(snapshot_from_files(snapshot_files([SAMPLE])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(organizations())
def test_random_snapshots_round_trip_exactly_through_json(org):
    assert_round_trips(org.snapshot())


def test_a_value_json_would_change_is_refused():
    account = next(iter(snapshot_from_files(snapshot_files([SAMPLE])).accounts.values()))
    user = next(iter(account.users.values()))
    for unfaithful in (dataclasses.replace(account, source=5),  # an int where a str is declared
                       dataclasses.replace(account, users={user.arn: dataclasses.replace(user, tags=list(user.tags))}),
                       dataclasses.replace(account, users={1: user})):
        with pytest.raises(graph_index.Unfaithful):
            graph_index.model_to_json(unfaithful, Account)
    with pytest.raises(graph_index.Unfaithful):
        graph_index._plain_text({"tags": ("a", "tuple")}, "a node")


def test_the_index_stores_no_pickle(cached):
    access, index = cached
    db = sqlite3.connect(f"file:{index.path}?mode=ro&immutable=1", uri=True)
    texts = {"meta": ["v"], "nodes": ["data"]}
    deflated = {"nodes": ["out", "inn"], "parts": ["data"], "accounts": ["data"]}  # JSON, deflated: no pickle
    (zdict_text,) = db.execute("SELECT v FROM meta WHERE k = 'zdict'").fetchone()
    zdict = base64.b64decode(json.loads(zdict_text))

    def inflate(blob: bytes) -> bytes:
        unpacker = zlib.decompressobj(zdict=zdict)
        return unpacker.decompress(blob) + unpacker.flush()

    for table in sorted(texts.keys() | deflated.keys()):
        for column in texts.get(table, []) + deflated.get(table, []):
            packed = column in deflated.get(table, [])
            types_ = {t for (t,) in db.execute(f"SELECT DISTINCT typeof({column}) FROM {table}")}
            assert types_ == ({"blob"} if packed else {"text"}), (table, column, types_)
            for (text,) in db.execute(f"SELECT {column} FROM {table}"):
                # node data beside its columns is marked "+" (graph_index._node_text): JSON after the mark
                json.loads(inflate(text) if packed else text.removeprefix(graph_index._BESIDE_COLUMNS))
        macs = [c for (_, c, *_) in db.execute(f"PRAGMA table_info({table})") if c.endswith("mac")]
        for column in macs:
            assert {(t, n) for t, n in db.execute(f"SELECT DISTINCT typeof({column}), length({column}) FROM {table}")} \
                == {("blob", 16)}
    db.close()


def tampered(path: Path, statement: str, *parameters) -> None:
    """Change the index in place as a corrupt disk or an editor would, keeping its size (and trailer) whole, so
    that only the rows' own HMACs can tell."""
    db = sqlite3.connect(path)
    db.execute(statement, parameters)
    db.commit()
    db.close()
    header = path.read_bytes()[:100]
    page_size, pages = int.from_bytes(header[16:18], "big"), int.from_bytes(header[28:32], "big")
    data = path.read_bytes()[: (65536 if page_size == 1 else page_size) * pages]
    path.write_bytes(data + b"\0" * 32 + graph_index._MAGIC)


@pytest.fixture
def fresh_index(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHIAM_CACHE_DIR", str(tmp_path / "cache"))
    access, _ = load_with_report([SAMPLE], cache=True)
    return access, graph_cache.index_file(graph_cache.snapshot_key(snapshot_files([SAMPLE])))


GRACE = "arn:aws:iam::222222222222:user/grace"


@pytest.mark.parametrize("change", [
    ("UPDATE nodes SET data = ? WHERE id = ?", '{"kind":"role"}', GRACE),  # a node's data
    ("UPDATE nodes SET out = '[]' WHERE id = ?", GRACE),  # a node's edges out, dropped
    ("UPDATE nodes SET name = 'mallory' WHERE id = ?", GRACE),  # a name: the scan's digest tells
    ("UPDATE nodes SET out = (SELECT out FROM nodes WHERE out != '[]' AND id != ? LIMIT 1), "
     "out_mac = (SELECT out_mac FROM nodes WHERE out != '[]' AND id != ? LIMIT 1) WHERE id = ?", GRACE, GRACE, GRACE),
    ("DELETE FROM nodes WHERE n = (SELECT min(n) FROM nodes WHERE kind = 'role' AND account = '222222222222')",),
    ("UPDATE parts SET data = '{}' WHERE id = 0",),
    ("UPDATE accounts SET data = (SELECT data FROM accounts WHERE id != '222222222222' LIMIT 1) "
     "WHERE id = '222222222222'",),
    ("DELETE FROM accounts WHERE id = '222222222222'",),
    ("UPDATE meta SET v = '[]' WHERE k = 'warnings'",),
])
def test_a_changed_row_is_caught_before_it_is_used(fresh_index, change, capsys):
    """Every question either raises EntryRejected or answers as the whole graph does; some question raises."""
    access, path = fresh_index
    tampered(path, *change)
    caught = 0
    try:
        index = QueryIndex(path)
    except graph_index.EntryRejected:
        caught += 1
    else:
        questions = [lambda: list(index.nodes().nodes())]
        questions += [lambda node=node: index.snapshot_for(node) for node in access.graph.nodes]
        for node in access.graph.nodes:
            def edges_into(node=node):
                got = {(u, v, k): d for u, v, k, d in index.subgraph(node, node).in_edges(node, keys=True, data=True)}
                assert got == {(u, v, k): d for u, v, k, d in access.graph.in_edges(node, keys=True, data=True)}
            questions.append(edges_into)
        for question in questions:
            try:
                question()
            except graph_index.EntryRejected:
                caught += 1
        index.close()
    assert caught
    from graphiam.cli import main

    fresh = main(["path", "grace", "AppConfig", "--data", str(SAMPLE), "--json", "--no-cache"]), capsys.readouterr()
    warm = main(["path", "grace", "AppConfig", "--data", str(SAMPLE), "--json"]), capsys.readouterr()
    assert warm[0] == fresh[0] and json.loads(warm[1].out) == json.loads(fresh[1].out)


def test_edge_attributes_are_numbered_by_their_values_and_checked_once_each():
    """Technique and sign-in edges: copies of one attributes dict (the very same values) share a part; a value
    JSON would change is refused."""
    parts = graph_index._Parts()
    granted = [{"policy": "p", "sid": None}]
    one = {"edge_type": "can_escalate", "granted_by": granted, "techniques": ["iam-012"]}
    copy = dict(one)  # what networkx stores per edge
    other = {"edge_type": "can_escalate", "granted_by": [{"policy": "q", "sid": None}], "techniques": ["iam-012"]}
    numbers = [graph_index._edge_value(d, parts, ("a", "b", "can_escalate")) for d in (one, copy, other)]
    assert numbers[0] == numbers[1] != numbers[2]
    with pytest.raises(graph_index.Unfaithful, match="edge a -> b"):
        graph_index._edge_value({"edge_type": "can_escalate", "techniques": ("a", "tuple")}, parts, ("a", "b", "k"))


def test_parts_read_back_from_blocks_and_nodes_with_their_data(tmp_path, monkeypatch):
    """Parts are deflated in blocks (here of 3, so that the sample's parts span many); node data stored beside
    its kind/account/name columns reads back whole; a block moved to another block's place is caught."""
    monkeypatch.setattr(graph_index, "_PART_BLOCK", 3)
    monkeypatch.setenv("GRAPHIAM_CACHE_DIR", str(tmp_path / "cache"))
    access, _ = load_with_report([SAMPLE], cache=True)
    path = graph_cache.index_file(graph_cache.snapshot_key(snapshot_files([SAMPLE])))
    index = QueryIndex(path)
    assert index.root["parts"] > 3 * 5
    for node in access.graph.nodes:
        partial = index.subgraph(node, node)
        assert {(u, v, k): d for u, v, k, d in partial.in_edges(node, keys=True, data=True)} == \
            {(u, v, k): d for u, v, k, d in access.graph.in_edges(node, keys=True, data=True)}, node
        assert {n: d for n, d in partial.nodes(data=True)} == {n: access.graph.nodes[n] for n in partial.nodes}
    index.close()
    tampered(path, "UPDATE parts SET data = (SELECT data FROM parts WHERE id = 1), "
                   "mac = (SELECT mac FROM parts WHERE id = 1) WHERE id = 0")
    index = QueryIndex(path)
    with pytest.raises(graph_index.EntryRejected, match="block of parts 0"):
        for node in access.graph.nodes:
            index.subgraph(node, node)
    index.close()


def test_node_data_is_stored_beside_its_columns_only_when_it_reads_back_the_same():
    for data in ({"kind": "role", "account": "1", "name": "R", "path": "/"},  # the usual shape: stored beside
                 {"account": "1", "kind": "role", "name": "R"},  # another key order
                 {"kind": "service", "account": None, "name": "ec2.amazonaws.com", "tags": {}},
                 {"kind": "role", "account": "1"},  # no name: the column's None is not a name
                 {"kind": "role", "account": "1", "name": 5}):  # not text: the column holds None
        columns = tuple(v if type(v) is str else None for v in (data.get("kind"), data.get("account"),
                                                                data.get("name")))
        text = graph_index._node_text(data, *columns, "node")
        assert text.startswith("+") == (list(data)[:3] == ["kind", "account", "name"]
                                        and tuple(data[k] for k in ("kind", "account", "name")) == columns)
        back = graph_index._node_data((0, "node", *columns, text, b""))
        assert back == data and list(back) == list(data)
