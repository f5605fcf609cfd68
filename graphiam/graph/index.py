"""The cache's query index: answer ``path`` and ``why`` without loading the whole graph.

Next to each cached graph (a pickle, see :mod:`graphiam.graph.cache`) the cache
keeps an SQLite file with the graph's nodes and edges (indexed by source and
target) and each account of the snapshot. A warm ``graphiam path`` then reads
only what its question touches: the nodes reachable from SOURCE (breadth-first,
one query per hop), the edges into TARGET, and the two accounts the direct
request is decided on (plus the organization and the AWS managed policies).
The facade (:func:`graphiam.access.partial_access`) answers with the same
code on that small graph and partial snapshot, so the answer is the one the
full graph gives (the tests compare them).
"""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

import networkx as nx

from ..snapshot.model import ManagedPolicy, Snapshot
from ..snapshot.names import account_of, is_aws_managed_policy
from .schema import CAN_ASSUME

# Edges name their ends by node number (an ARN is stored once, in nodes). An assume or pass edge keeps
# its attributes in columns, its evidence and condition dicts by number (table parts: one statement's
# evidence recurs in thousands of edges, and is stored once); any other edge (membership) keeps its
# attributes pickled in "other". That keeps the index small and quick to write at a thousand accounts.
_SCHEMA = """
CREATE TABLE meta(k TEXT PRIMARY KEY, v BLOB);
CREATE TABLE nodes(n INTEGER PRIMARY KEY, id TEXT UNIQUE, kind TEXT, account TEXT, name TEXT, data BLOB);
CREATE TABLE edges(source INTEGER, target INTEGER, key TEXT, edge_type TEXT, action TEXT, service TEXT,
                   conditional INTEGER, granted_by TEXT, conditions TEXT, alternatives TEXT, depends_on TEXT,
                   other BLOB);
CREATE TABLE parts(id INTEGER PRIMARY KEY, data BLOB);
CREATE TABLE accounts(id TEXT PRIMARY KEY, data BLOB);
"""
# the attributes graph.edge_attributes gives an assume or pass edge, in its order
_COLUMNS = ("edge_type", "action", "service", "conditional", "granted_by", "conditions", "alternatives", "depends_on")
_EDGES = ("SELECT s.id, t.id, e.key, e.edge_type, e.action, e.service, e.conditional, e.granted_by, e.conditions, "
          "e.alternatives, e.depends_on, e.other, e.target FROM edges e "
          "JOIN nodes s ON s.n = e.source JOIN nodes t ON t.n = e.target ")
_INDEXES = """
CREATE INDEX edges_source ON edges(source);
CREATE INDEX edges_target ON edges(target);
"""
_CHUNK = 500


def _blob(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _value(blob: bytes):
    return pickle.loads(blob)


def write_index(path: Path, snapshot: Snapshot, graph: nx.MultiDiGraph) -> None:
    """Write the index of ``graph`` (built from ``snapshot``) atomically: a temporary file renamed into place."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(descriptor)
    try:
        with sqlite3.connect(temporary) as db:
            db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)
            aws_managed: dict[str, ManagedPolicy] = dict(snapshot.aws_managed_policies)
            for account in snapshot.accounts.values():
                aws_managed.update({a: p for a, p in account.policies.items() if is_aws_managed_policy(a)})
            meta = {"organization": snapshot.organization, "warnings": snapshot.warnings, "aws_managed": aws_managed,
                    "graph": dict(graph.graph)}
            db.executemany("INSERT INTO meta VALUES (?, ?)", [(k, _blob(v)) for k, v in meta.items()])
            numbers = {node: number for number, node in enumerate(graph.nodes)}
            db.executemany("INSERT INTO nodes VALUES (?, ?, ?, ?, ?, ?)",
                           ((numbers[n], n, d.get("kind"), d.get("account"), d.get("name"), _blob(d))
                            for n, d in graph.nodes(data=True)))
            # one statement's evidence dict recurs in many edges (a trust statement grants many callers): each
            # distinct dict is stored once in parts, and edges list them by number
            parts = _Parts()
            rows = []
            for u, v, k, d in graph.edges(keys=True, data=True):
                if len(d) == len(_COLUMNS) and all(c in d for c in _COLUMNS):
                    rows.append((numbers[u], numbers[v], k, d["edge_type"], d["action"], d["service"],
                                 d["conditional"], parts.numbers(d["granted_by"]), parts.numbers(d["conditions"]),
                                 ";".join(parts.numbers(more) for more in d["alternatives"]),
                                 json.dumps(d["depends_on"]) if d["depends_on"] else "", None))
                else:
                    rows.append((numbers[u], numbers[v], k, None, None, None, None, None, None, None, None, _blob(d)))
            db.executemany("INSERT INTO parts VALUES (?, ?)", ((i, b) for b, i in parts.by_blob.items()))
            db.executemany("INSERT INTO edges VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            db.executemany("INSERT INTO accounts VALUES (?, ?)",
                           ((a, _blob(account)) for a, account in snapshot.accounts.items()))
            db.executescript(_INDEXES)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class _Parts:
    """Numbers each distinct evidence or condition dict (by identity first: the builder shares them)."""

    def __init__(self) -> None:
        self.by_blob: dict[bytes, int] = {}
        self._by_id: dict[int, int] = {}

    def number(self, part: dict) -> int:
        found = self._by_id.get(id(part))
        if found is None:
            found = self.by_blob.setdefault(_blob(part), len(self.by_blob))
            self._by_id[id(part)] = found  # the graph holds every part while the index is written
        return found

    def numbers(self, listed: list[dict]) -> str:
        return " ".join([str(self.number(p)) for p in listed])


class IndexedNodes:
    """What :func:`graphiam.queries.resolve.resolve` needs of a graph (membership, nodes with data), read from the index."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __contains__(self, node: object) -> bool:
        return self.db.execute("SELECT 1 FROM nodes WHERE id = ?", (node,)).fetchone() is not None

    def nodes(self, data: bool = True) -> Iterator[tuple[str, dict]]:
        for node, kind, account, name in self.db.execute("SELECT id, kind, account, name FROM nodes"):
            yield node, {"kind": kind, "account": account, "name": name}


def _chunks(items: list) -> Iterable[list]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


class QueryIndex:
    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self._parts: dict[int, dict] = {}

    def close(self) -> None:
        self.db.close()

    def _meta(self, key: str):
        return _value(self.db.execute("SELECT v FROM meta WHERE k = ?", (key,)).fetchone()[0])

    def _attributes(self, row: tuple) -> dict:
        """An edge's attributes from its columns (``row`` from :data:`_EDGES`, after the two ends and the key)."""
        edge_type, action, service, conditional, granted_by, conditions, alternatives, depends_on, other = row
        if other is not None:
            return _value(other)
        return {
            "edge_type": edge_type,
            "action": action,
            "service": service,
            "conditional": bool(conditional),
            "granted_by": [self._part(int(n)) for n in granted_by.split()],
            "conditions": [self._part(int(n)) for n in conditions.split()],
            "alternatives": [[self._part(int(n)) for n in more.split()] for more in alternatives.split(";")]
            if alternatives else [],
            "depends_on": json.loads(depends_on) if depends_on else [],
        }

    def _part(self, number: int) -> dict:
        found = self._parts.get(number)
        if found is None:
            found = _value(self.db.execute("SELECT data FROM parts WHERE id = ?", (number,)).fetchone()[0])
            self._parts[number] = found
        return found

    def _number(self, node: str) -> int | None:
        row = self.db.execute("SELECT n FROM nodes WHERE id = ?", (node,)).fetchone()
        return row[0] if row else None

    def nodes(self) -> IndexedNodes:
        """Every node of the graph, for resolving names against the whole snapshot."""
        return IndexedNodes(self.db)

    def subgraph(self, source: str, target: str) -> nx.MultiDiGraph:
        """What a path question needs: everything ``source`` reaches by assuming roles, and the edges into ``target``."""
        graph = nx.MultiDiGraph()
        start = self._number(source)
        seen = {start}
        frontier = [start] if start is not None else []
        while frontier:
            following: list[int] = []
            for chunk in _chunks(frontier):
                marks = ",".join("?" * len(chunk))
                rows = self.db.execute(_EDGES + f"WHERE e.key = ? AND e.source IN ({marks})", (CAN_ASSUME, *chunk))
                for u, v, k, *columns, number in rows:
                    graph.add_edge(u, v, key=k, **self._attributes(columns))
                    if number not in seen:
                        seen.add(number)
                        following.append(number)
            frontier = following
        for u, v, k, *columns, _ in self.db.execute(_EDGES + "WHERE e.target = ?", (self._number(target),)):
            graph.add_edge(u, v, key=k, **self._attributes(columns))
        wanted = sorted(set(graph.nodes) | {source, target})
        for chunk in _chunks(wanted):
            marks = ",".join("?" * len(chunk))
            for node, data in self.db.execute(f"SELECT id, data FROM nodes WHERE id IN ({marks})", chunk):
                graph.add_node(node, **_value(data))
        graph.graph.update(self._meta("graph"))
        return graph

    def snapshot_for(self, *arns: str) -> Snapshot:
        """The accounts of ``arns`` (enough to decide their direct request), the organization, every AWS managed policy."""
        accounts = {}
        for account_id in {account_of(arn) for arn in arns} - {None}:
            row = self.db.execute("SELECT data FROM accounts WHERE id = ?", (account_id,)).fetchone()
            if row is not None:
                accounts[account_id] = _value(row[0])
        return Snapshot(accounts=accounts, organization=self._meta("organization"), warnings=self._meta("warnings"),
                        aws_managed_policies=self._meta("aws_managed"))
