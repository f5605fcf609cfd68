"""Build the access graph: a networkx MultiDiGraph made only from the engine's decisions.

What the graph holds (node kinds, edge keys, edge attributes) is described in
:mod:`graphiam.graph.schema`.

Candidate pairs come from indexes, not from every principal x role pair:
a role's trust policy names who can be a candidate (an ARN, an account, or
``*``), and principals without any identity Allow for an action are skipped
wherever the engine would require one.
"""

from __future__ import annotations

import time
from typing import Iterable

import networkx as nx

from ..gcpause import paused_gc
from ..progress import SILENT, Progress
from ..policy import ASSUME_ROLE, PASS_ROLE, Decision, Outcome, PolicyEngine
from ..policy.conditions import describe_condition
from ..policy.exposure import open_to_any_principal, open_to_any_token
from ..policy.matching import account_principal, is_unique_id
from ..snapshot.model import Principal, Role, Snapshot
from ..snapshot.names import account_of, partition_of
from .candidates import AllowIndex, ArnPatternIndex, narrowed_by_conditions
from .schema import (ANY_PRINCIPAL, CAN_ASSUME, CAN_PASS, MEMBER_OF, SharedDicts, TrustFact, account_node,
                     edge_attributes, pass_key)


class GraphBuilder:
    def __init__(self, snapshot: Snapshot, engine: PolicyEngine | None = None,
                 indexes: dict[str, AllowIndex] | None = None, progress: Progress = SILENT,
                 escalation: bool = True) -> None:
        """``engine`` and ``indexes`` (see :meth:`indexes`) may come from another builder of the same snapshot;
        ``progress`` hears of every target account decided; ``escalation=False`` leaves out the technique
        edges (:mod:`graphiam.graph.escalation`)."""
        self.snapshot = snapshot
        self.progress = progress
        self.escalation = escalation
        self._pass_decided: dict[str, list] = {}  # account -> its can_pass edges with their decisions
        self.engine = engine or PolicyEngine(snapshot)
        self.graph = nx.MultiDiGraph()
        self.facts: list[TrustFact] = []
        self._indexes: dict[str, AllowIndex] = dict(indexes or {})
        self._arns: ArnPatternIndex | None = None
        self.pairs_evaluated = 0
        # assume/pass edges, added to the graph in one batch at the end of build() (networkx's
        # add_edges_from is about twice as fast as one add_edge call per edge)
        self._edges: list[tuple[str, str, str, dict]] = []
        self._services: dict[str, list[str]] = {}  # role ARN -> services allowed to assume it
        self._shared = SharedDicts()
        self.identity_center_facts: list = []  # IdentityCenterFact values (graph/identity_center.py)
        self._nodes_added = False

    # -- indexes -------------------------------------------------------------------
    def _by_account(self) -> dict[str, list[Principal]]:
        out: dict[str, list[Principal]] = {}
        for principal in self.snapshot.all_principals():
            out.setdefault(principal.account_id, []).append(principal)
        return out

    # -- build -----------------------------------------------------------------------
    def build(self, target_accounts: Iterable[str] | None = None) -> nx.MultiDiGraph:
        """The graph; with ``target_accounts``, only the edges into roles of those accounts (one partition).

        ``graph.graph["timings"]`` holds seconds per phase: nodes, indexes, edges.
        """
        with paused_gc():
            return self._build(target_accounts)

    def _build(self, target_accounts: Iterable[str] | None) -> nx.MultiDiGraph:
        timings: dict[str, float] = {}
        started = time.perf_counter()
        if not self._nodes_added:
            self.add_nodes()
        timings["nodes"] = time.perf_counter() - started
        started = time.perf_counter()
        by_account = self._by_account()
        self.indexes()
        timings["indexes"] = time.perf_counter() - started
        started = time.perf_counter()
        wanted = None if target_accounts is None else set(target_accounts)
        roles = [role for role in self.snapshot.all_roles() if wanted is None or role.account_id in wanted]
        targets = len({role.account_id for role in roles})
        with self.progress.task("deciding target accounts", targets, "accounts") as task:
            account = roles[0].account_id if roles else None
            for role in roles:
                if role.account_id != account:  # roles come account by account
                    task.advance()
                    account = role.account_id
                self._assume_edges(role, by_account)
                self._pass_edges(role, by_account.get(role.account_id, []))  # needs only this role's service edges
            if roles:
                task.advance()
        timings["edges"] = time.perf_counter() - started
        if self.snapshot.identity_center is not None:
            started = time.perf_counter()
            self._identity_center_edges(target_accounts is None, wanted)
            timings["identity_center"] = time.perf_counter() - started
        if self.escalation:
            started = time.perf_counter()
            self._technique_edges(wanted)
            timings["escalation"] = time.perf_counter() - started
        self.graph.add_edges_from(self._edges)
        self._edges = []
        self.graph.graph["trust_facts"] = [f.to_dict() for f in self.facts]
        if self.snapshot.identity_center is not None:
            from .identity_center import facts_dicts

            self.graph.graph["identity_center_facts"] = facts_dicts(self.identity_center_facts)
        self.graph.graph["warnings"] = list(self.snapshot.warnings)
        self.graph.graph["pairs_evaluated"] = self.pairs_evaluated
        self.graph.graph["timings"] = timings
        return self.graph

    def add_nodes(self) -> None:
        """Every node of the snapshot and the group memberships (once: a later :meth:`build` does not add them
        again)."""
        self._nodes_added = True
        org = self.snapshot.organization
        for account_id, account in sorted(self.snapshot.accounts.items()):
            name = org.names.get(account_id, account_id) if org else account_id
            self.graph.add_node(account_node(account_id, account.partition), kind="account", account=account_id, name=name,
                                external=False, tags={})
            for group in account.groups.values():
                self.graph.add_node(group.arn, kind="group", account=account_id, name=group.name, tags={})
            for principal in [*account.users.values(), *account.roles.values()]:
                attributes = {
                    "kind": principal.kind,
                    "account": account_id,
                    "name": principal.name,
                    "path": principal.path,
                    "tags": {t.key: t.value for t in principal.tags},
                }
                if isinstance(principal, Role):
                    attributes["service_linked"] = principal.is_service_linked
                self.graph.add_node(principal.arn, **attributes)
            for user in account.users.values():
                for group in self.snapshot.groups_of(user):
                    self.graph.add_edge(user.arn, group.arn, key=MEMBER_OF, edge_type=MEMBER_OF)
        if self.snapshot.identity_center is not None:
            from .identity_center import add_identity_center_nodes

            add_identity_center_nodes(self.graph, self.snapshot.identity_center)

    def _candidates(self, role: Role, by_account: dict[str, list[Principal]], with_principals: bool = True):
        """Who the trust policy could possibly let in: (principals, services, providers, external names).

        ``with_principals=False`` leaves the snapshot's principals out (no index is asked): what
        :meth:`add_named_sources` needs."""
        principals: dict[str, Principal] = {}
        services: set[str] = set()
        providers: set[str] = set()
        external: set[str] = set()
        assume_index = self._index(ASSUME_ROLE) if with_principals else None

        def add(arns: Iterable[str]) -> None:
            if not with_principals:
                return
            for arn in arns:
                principal = self.snapshot.principal(arn)
                if principal is not None:
                    principals[arn] = principal

        def add_account(account_id: str, same_account_free: bool) -> None:
            if assume_index is None:
                return
            if account_id == role.account_id and same_account_free:
                add(p.arn for p in by_account.get(account_id, []))  # a grant to everyone needs no identity Allow here
            else:
                add(assume_index.candidates(account_id, role))

        for statement in role.trust_policy.statements:
            if statement.effect != "Allow":
                continue
            if open_to_any_principal(statement):  # world-assumable: callers the snapshot cannot list
                external.add(ANY_PRINCIPAL)
                self._public(role, ANY_PRINCIPAL, statement)
            if statement.not_principal:
                for account_id in by_account:  # everyone not listed: treat as "*"
                    add_account(account_id, same_account_free=True)
                continue
            for principal_type, value in statement.named_principals():
                if principal_type == "Service":
                    services.add(value)
                elif principal_type == "Federated":
                    providers.add(value)
                    if open_to_any_token(statement, value):
                        self._public(role, value, statement)
                elif principal_type != "AWS":
                    continue
                elif value == "*":
                    if with_principals:
                        self._everyone(role, statement, by_account, add, add_account)
                elif is_unique_id(value):
                    self.facts.append(TrustFact(role.arn, value, "dangling", statement.sid, statement.index + 1))
                elif (account := account_principal(value)) is not None:
                    if account in self.snapshot.accounts:
                        add_account(account, same_account_free=False)
                    else:
                        partition = partition_of(value) or self.snapshot.accounts[role.account_id].partition
                        external.add(account_node(account, partition))
                        self.facts.append(TrustFact(role.arn, value, "external_account", statement.sid,
                                                    statement.index + 1))
                else:
                    self._named(role, value, statement, principals, external)
        if not with_principals:
            principals.clear()  # a named principal found in the snapshot
        return principals, services, providers, external

    def _public(self, role: Role, principal: str, statement) -> None:
        self.facts.append(TrustFact(role.arn, principal, "public", statement.sid, statement.index + 1,
                                    tuple(describe_condition(c) for c in statement.conditions)))

    def _everyone(self, role, statement, by_account, add, add_account) -> None:
        """``"*"``: its own bucket, narrowed by conditions on aws:PrincipalArn / aws:PrincipalAccount."""
        arns, accounts = narrowed_by_conditions(statement)
        if arns is not None:
            for pattern in arns:
                add(self._arn_index().matching(pattern))
            return
        for account_id in (accounts if accounts is not None else by_account):
            add_account(account_id, same_account_free=True)

    def indexes(self) -> dict[str, AllowIndex]:
        """The candidate indexes (built now if not yet): builders of partitions can share them."""
        with paused_gc():
            self._index(ASSUME_ROLE)
            self._index(PASS_ROLE)
        return dict(self._indexes)

    def _index(self, action: str) -> AllowIndex:
        index = self._indexes.get(action)
        if index is None:
            index = AllowIndex(self.engine, self.snapshot.all_principals(), action)
            self._indexes[action] = index
        return index

    def _arn_index(self) -> ArnPatternIndex:
        if self._arns is None:
            self._arns = ArnPatternIndex(self.snapshot.all_principals())
        return self._arns

    def _named(self, role, value, statement, principals, external) -> None:
        found = self.snapshot.principal(value)
        if found is None and ":assumed-role/" in value:
            account_id = account_of(value)
            name = value.split(":assumed-role/", 1)[1].split("/", 1)[0]
            account = self.snapshot.accounts.get(account_id or "")
            found = next((r for r in account.roles.values() if r.name == name), None) if account else None
        if found is not None:
            principals[found.arn] = found
            return
        account_id = account_of(value)
        if account_id and account_id not in self.snapshot.accounts:
            external.add(value)
            self.facts.append(TrustFact(role.arn, value, "external_account", statement.sid, statement.index + 1))
        else:
            self.facts.append(TrustFact(role.arn, value, "unknown_principal", statement.sid, statement.index + 1))

    def _assume_edges(self, role: Role, by_account: dict[str, list[Principal]]) -> None:
        principals, services, providers, external = self._candidates(role, by_account)
        self._source_nodes(services, providers, external)
        for arn in sorted(principals):
            self._edge(arn, role, CAN_ASSUME, ASSUME_ROLE, self.engine.decide_assume(principals[arn], role))
        for service in sorted(services):
            if self._edge(service, role, CAN_ASSUME, ASSUME_ROLE, self.engine.decide_service(service, role)):
                self._services.setdefault(role.arn, []).append(service)
        for provider in sorted(providers):
            decision = self.engine.decide_federated(provider, role)
            action = "sts:AssumeRoleWithSAML" if ":saml-provider/" in provider else "sts:AssumeRoleWithWebIdentity"
            self._edge(provider, role, CAN_ASSUME, action, decision)
        for name in sorted(external):
            self._edge(name, role, CAN_ASSUME, ASSUME_ROLE, self.engine.decide_external(name, role))

    def _source_nodes(self, services: Iterable[str], providers: Iterable[str], external: Iterable[str]) -> None:
        """The nodes of the callers from outside the snapshot's principals a trust names (whether or not an edge
        from them is allowed)."""
        for service in sorted(services):
            self._node(service, kind="service", account=None, name=service)
        for provider in sorted(providers):
            self._node(provider, kind="federated", account=account_of(provider), name=provider.rsplit("/", 1)[-1])
        for name in sorted(external):
            if name == ANY_PRINCIPAL:
                self._node(name, kind="anyone", account=None, name="any AWS principal", external=True)
                continue
            account_id = account_of(name) or ""
            kind = "account" if name.endswith(":root") else "external_principal"
            self._node(name, kind=kind, account=account_id, name=name.split(":", 5)[-1] if kind != "account" else account_id,
                       external=True)

    def add_named_sources(self, roles: Iterable[Role]) -> list[TrustFact]:
        """For roles whose edges are not decided here (an incremental rebuild keeps them): the outside callers'
        nodes their trusts name, and their trust facts, exactly as a build deciding them would add them."""
        before = len(self.facts)
        for role in roles:
            _, services, providers, external = self._candidates(role, {}, with_principals=False)
            self._source_nodes(services, providers, external)
        found = self.facts[before:]
        del self.facts[before:]
        return found

    def _pass_edges(self, role: Role, same_account: list[Principal]) -> None:
        services = self._services.get(role.arn)
        if not services:
            return
        passers = self._pass_candidates(role, same_account)
        decided = self._pass_decided.setdefault(role.account_id, [])
        for service in services:
            for principal in passers:
                decision = self.engine.decide_pass(principal, role, service)
                if self._edge(principal.arn, role, pass_key(service), PASS_ROLE, decision, service=service):
                    source, target, key, data = self._edges[-1]
                    decided.append((source, target, key, data, decision))

    def _identity_center_edges(self, whole: bool, wanted: set[str] | None) -> None:
        """Identity Center users' sign-ins to their permission sets' roles in the target accounts
        (:mod:`graphiam.graph.identity_center`); ``whole``: this build is the whole graph, so the facts that
        depend on no target account are made here too (a partitioned build's merge makes them once)."""
        from .identity_center import SignIns

        signins = SignIns(self.snapshot, self.engine, self._shared)
        edges, facts = signins.decide(wanted)
        self._edges.extend(edges)
        self.pairs_evaluated += signins.pairs_evaluated
        self.identity_center_facts.extend(facts)
        if whole:
            self.identity_center_facts.extend(signins.static_facts())

    def _technique_edges(self, wanted: set[str] | None) -> None:
        """The escalation techniques' edges into the roles and users of the target accounts."""
        from .escalation import EscalationDecider

        decider = EscalationDecider(self.snapshot, self.engine, self._shared)
        for account_id, account in sorted(self.snapshot.accounts.items()):
            if wanted is not None and account_id not in wanted:
                continue
            principals = [*(account.users[a] for a in sorted(account.users)), *(account.roles[a] for a in sorted(account.roles))]
            self._edges.extend(decider.account_edges(account_id, principals, self._pass_decided.get(account_id, ())))
        self._pass_decided = {}

    def _pass_candidates(self, role: Role, same_account: list[Principal]) -> list[Principal]:
        """Principals of the role's account with an iam:PassRole Allow that could name it (rule 17: same account)."""
        wanted = self._index(PASS_ROLE).candidates(role.account_id, role)
        return [p for p in same_account if p.arn in wanted]

    def _node(self, key: str, **attributes) -> None:
        if key not in self.graph:
            attributes.setdefault("tags", {})
            self.graph.add_node(key, **attributes)

    def _edge(self, source: str, role: Role, key: str, action: str, decision: Decision, service: str | None = None) -> bool:
        """Queue the edge if ``decision`` allows it; whether it did."""
        self.pairs_evaluated += 1
        if decision.outcome is Outcome.DENIED:
            return False
        edge_type = CAN_ASSUME if service is None else CAN_PASS
        self._edges.append((source, role.arn, key, edge_attributes(edge_type, action, decision, service, self._shared)))
        return True


def build_graph(snapshot: Snapshot, engine: PolicyEngine | None = None, progress: Progress = SILENT) -> nx.MultiDiGraph:
    """The access graph of ``snapshot``."""
    return GraphBuilder(snapshot, engine, progress=progress).build()


class ReferenceGraphBuilder(GraphBuilder):
    """Evaluates every principal x role pair, with no index: the yardstick for :class:`GraphBuilder`.

    Small inputs only. Its engine memoizes nothing (``PolicyEngine(memoize=False)``),
    so every layer of every pair is evaluated from scratch. The differential
    tests assert both builders give the same edges, so neither an index nor a
    memo can drop (or invent) an edge.
    """

    def __init__(self, snapshot: Snapshot, engine: PolicyEngine | None = None) -> None:
        super().__init__(snapshot, engine or PolicyEngine(snapshot, memoize=False))

    def _candidates(self, role: Role, by_account: dict[str, list[Principal]]):
        _, services, providers, external = super()._candidates(role, by_account)
        everyone = {p.arn: p for principals in by_account.values() for p in principals}
        return everyone, services, providers, external

    def _pass_candidates(self, role: Role, same_account: list[Principal]) -> list[Principal]:
        return [p for principals in self._by_account().values() for p in principals]


def build_reference_graph(snapshot: Snapshot) -> nx.MultiDiGraph:
    return ReferenceGraphBuilder(snapshot).build()
