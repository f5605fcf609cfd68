"""Rebuild the access graph of a changed snapshot from the graph of an earlier one.

Every edge of the graph goes *into* a principal of one account (its target
account): role assumptions, passes, sign-ins and escalation techniques. The
edges into an account's principals are decided from that account's inputs and
those of the callers its trusts can let in, and from nothing else. So a rebuild
decides again only the target accounts whose edges can differ, and copies the
rest from the old graph:

* an account **changed** when its fingerprint differs
  (:func:`graphiam.snapshot.fingerprint.account_fingerprints`: its own
  entities and policies, the outside policies they reference, its place in
  the organization and the SCPs and RCPs on it), or it was added or removed;
* a target account is **decided again** when it changed, or when one of its
  roles trusts a principal a changed account can hold: a trust naming the
  account or a principal ARN in it, ``"*"`` (unless the statement's
  conditions narrow it, as the builder's candidate search does, to other
  accounts or ARNs), or ``NotPrincipal``; and every account Identity Center
  assigns to, in either snapshot, when the identity-center file changed.

Everything else of the new graph (nodes, membership edges, the outside
callers that unchanged trusts name, trust facts, warnings) is made from the new
snapshot by the same :class:`~graphiam.graph.build.GraphBuilder` a full build
uses. The result equals a full build's graph, node for node and edge for edge
with every attribute (a property test edits random organizations and compares
them); only ``pairs_evaluated`` and ``timings`` say what this build did, and
edges may come in another order (as from the processes engine).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import networkx as nx

from ..gcpause import paused_gc
from ..progress import SILENT, Progress
from ..snapshot.fingerprint import account_fingerprints, identity_center_fingerprint
from ..snapshot.model import Snapshot
from .build import GraphBuilder
from .candidates import TrustReach
from .schema import MEMBER_OF

__all__ = ["Rebuilt", "changed_accounts", "rebuild_graph", "targets_to_decide"]

_SIGN_IN_FACTS = ("role_not_provisioned", "trust_denies")  # the identity-center facts a target account's build makes
_OUTSIDE_KINDS = ("service", "federated", "anyone", "account", "external_principal")


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild did: the accounts that changed, the target accounts decided again (``whole``: all of
    them, because an old edge came from a caller the new snapshot does not hold), the edges copied."""

    changed: tuple[str, ...]
    decided: tuple[str, ...]
    kept_edges: int
    seconds: float
    whole: bool = False


def changed_accounts(old: Snapshot, new: Snapshot) -> set[str]:
    """Accounts added, removed, or whose fingerprint differs."""
    before, after = account_fingerprints(old), account_fingerprints(new)
    return {account for account in before.keys() | after.keys() if before.get(account) != after.get(account)}


def targets_to_decide(old: Snapshot, new: Snapshot, changed: set[str] | None = None) -> set[str]:
    """The target accounts of ``new`` whose edges must be decided again (see the module docstring)."""
    if changed is None:
        changed = changed_accounts(old, new)
    decide = {account for account in changed if account in new.accounts}
    if changed:
        reach = TrustReach()
        for account_id, account in new.accounts.items():
            if account_id in decide:
                continue
            if any(reach.admits_any(role.trust_policy, changed) for role in account.roles.values()):
                decide.add(account_id)
    if identity_center_fingerprint(old) != identity_center_fingerprint(new):
        for snapshot in (old, new):
            if snapshot.identity_center is not None:
                decide.update(a.account_id for a in snapshot.identity_center.assignments
                              if a.account_id in new.accounts)
    return decide


def rebuild_graph(old: Snapshot, old_graph: nx.MultiDiGraph, new: Snapshot,
                  progress: Progress = SILENT) -> tuple[nx.MultiDiGraph, Rebuilt]:
    """The access graph of ``new``, deciding only the target accounts whose edges can differ from ``old_graph``'s
    (the graph of ``old``, built by this graphiam)."""
    started = time.perf_counter()
    with paused_gc():
        changed = changed_accounts(old, new)
        decide = targets_to_decide(old, new, changed)
        graph, kept = _rebuild(old_graph, new, decide, progress)
        whole = graph is None
        if graph is None:  # an old edge from a caller the new graph does not hold: decide everything
            decide = set(new.accounts)
            graph, kept = _rebuild(old_graph, new, decide, progress)
    assert graph is not None
    return graph, Rebuilt(tuple(sorted(changed)), tuple(sorted(decide)), kept, time.perf_counter() - started, whole)


def _rebuild(old_graph: nx.MultiDiGraph, new: Snapshot, decide: set[str],
             progress: Progress) -> tuple[nx.MultiDiGraph | None, int]:
    builder = GraphBuilder(new, progress=progress)
    graph = builder.build(target_accounts=sorted(decide))
    facts = list(graph.graph["trust_facts"])
    kept_roles = [role for role in new.all_roles() if role.account_id not in decide]
    facts.extend(fact.to_dict() for fact in builder.add_named_sources(kept_roles))
    kept = []
    nodes = old_graph.nodes
    for source, target, key, data in old_graph.edges(keys=True, data=True):
        account = nodes[target].get("account")
        if key == MEMBER_OF or account in decide or account not in new.accounts:  # decided again, or gone
            continue
        if source not in graph or target not in graph:
            return None, 0
        kept.append((source, target, key, data))
    graph.add_edges_from(kept)
    graph.graph["trust_facts"] = sorted(facts, key=lambda f: (f["role"], f["principal"], f["kind"], f["statement"]))
    if new.identity_center is not None:
        from .identity_center import SignIns, facts_dicts

        sign_in = list(graph.graph.get("identity_center_facts", ()))
        sign_in.extend(fact for fact in old_graph.graph.get("identity_center_facts", ())
                       if fact["kind"] in _SIGN_IN_FACTS and fact["account"] not in decide)
        sign_in.extend(facts_dicts(SignIns(new, builder.engine).static_facts()))
        graph.graph["identity_center_facts"] = sorted(
            sign_in, key=lambda f: (f["kind"], f["account"] or "", f["permission_set"] or "", f["role"] or ""))
    return graph, len(kept)
