"""The part of the access graph one path question reads, decided without building the rest.

A ``path SOURCE TARGET`` answer (and its explanation when there is no path)
reads two things of the graph: every role SOURCE reaches by assuming roles,
with the ``can_assume`` edges out of each, and every edge into TARGET. The
cache's query index serves exactly that subgraph on a warm run
(:meth:`graphiam.graph.index.QueryIndex.subgraph`); :class:`PathGraph` decides
it on a new snapshot, so the first answer does not wait for the whole build:

* the nodes: every node of the whole graph (so that names resolve as they do
  against it), with the outside callers the trusts name and every trust fact,
  none of which needs the engine;
* the edges into TARGET: a :class:`~graphiam.graph.build.GraphBuilder` build of
  TARGET's account alone (roles, passes, sign-ins and escalation techniques),
  of which the edges into TARGET are kept;
* the edges out of each principal reached from SOURCE: the engine decides the
  principal against every role whose trust can let a principal of its account
  in (:class:`~graphiam.graph.candidates.RolesByCaller`, a superset of the
  builder's candidates: a pair outside it is one the engine denies, which the
  builder-versus-reference differential tests establish); Identity Center users'
  sign-ins come from the same :class:`~graphiam.graph.identity_center.SignIns` the
  builder uses.

Edges carry the attributes the full build gives them (the same engine calls
and :func:`~graphiam.graph.schema.edge_attributes`), nodes the full build's
attributes, and ``graph.graph`` its trust facts and warnings; a property test
compares the subgraph with the whole graph's on random organizations. A source
that is not a user, role or Identity Center user of the snapshot (a service, a
provider, an outside ARN) is not handled here: :meth:`PathGraph.subgraph`
returns ``None`` and the caller builds the whole graph.
"""

from __future__ import annotations

import networkx as nx

from ..gcpause import paused_gc
from ..policy import ASSUME_ROLE, Outcome, PolicyEngine
from ..snapshot.model import Snapshot
from ..snapshot.names import account_of
from .build import GraphBuilder
from .candidates import RolesByCaller
from .schema import CAN_ASSUME, SharedDicts, edge_attributes

__all__ = ["PathGraph"]


class PathGraph:
    """One path question's part of the access graph of ``snapshot``: make it, resolve the two ends against
    :attr:`nodes`, then ask :meth:`subgraph` (once)."""

    def __init__(self, snapshot: Snapshot, engine: PolicyEngine | None = None) -> None:
        self.snapshot = snapshot
        with paused_gc():
            self._builder = GraphBuilder(snapshot, engine)
            self._builder.add_nodes()
            self._facts = [fact.to_dict() for fact in self._builder.add_named_sources(snapshot.all_roles())]
        self.nodes: nx.MultiDiGraph = self._builder.graph  # every node of the whole graph (and memberships)
        self.engine = self._builder.engine

    def subgraph(self, source: str, target: str) -> nx.MultiDiGraph | None:
        """What a path question from ``source`` to ``target`` (node keys) reads of the whole graph; ``None``
        when this cannot decide it (see the module docstring)."""
        target_account = account_of(target)
        if target_account not in self.snapshot.accounts or self.snapshot.principal(target) is None:
            return None
        if source not in self.nodes or self.nodes.nodes[source].get("kind") not in ("user", "role", "sso_user"):
            return None
        with paused_gc():
            return self._subgraph(source, target, target_account)

    def _subgraph(self, source: str, target: str, target_account: str) -> nx.MultiDiGraph:
        whole = self._builder.build(target_accounts=[target_account])  # the edges into the target's account
        edges = list(self._reached(source))
        edges.extend((u, target, k, d) for u, _, k, d in whole.in_edges(target, keys=True, data=True))
        out = nx.MultiDiGraph()
        for u, v, k, d in edges:
            out.add_edge(u, v, key=k, **d)
        for node in sorted(set(out.nodes) | {source, target}):
            out.add_node(node, **whole.nodes[node])
        out.graph.update({key: value for key, value in whole.graph.items() if key != "timings"})
        out.graph["trust_facts"] = sorted(self._facts,
                                          key=lambda f: (f["role"], f["principal"], f["kind"], f["statement"]))
        return out

    def _reached(self, source: str):
        """The ``can_assume`` edges out of every node reached from ``source`` by them."""
        snapshot, engine, nodes = self.snapshot, self.engine, self.nodes.nodes
        shared = SharedDicts()
        callers = RolesByCaller(snapshot)
        sign_ins = None
        seen = {source}
        frontier = [source]
        while frontier:
            following = []
            for node in sorted(frontier):
                if nodes[node].get("kind") == "sso_user":
                    if sign_ins is None:
                        from .identity_center import SignIns

                        sign_ins = SignIns(snapshot, engine, shared).decide()[0]
                    found = [(u, v, k, d) for u, v, k, d in sign_ins if u == node]
                else:
                    principal = snapshot.principal(node)
                    if principal is None:
                        continue
                    found = []
                    for role in callers.roles(principal.account_id):
                        decision = engine.decide_assume(principal, role)
                        if decision.outcome is not Outcome.DENIED:
                            found.append((node, role.arn, CAN_ASSUME,
                                          edge_attributes(CAN_ASSUME, ASSUME_ROLE, decision, None, shared)))
                for edge in found:
                    yield edge
                    if edge[1] not in seen:
                        seen.add(edge[1])
                        following.append(edge[1])
            frontier = following
