"""The public API: an access graph with its queries, explanations and fixes.

>>> import graphiam
>>> access = graphiam.load("data/sample-org")
>>> result = access.path("alice", "arn:aws:iam::333333333333:role/Deploy")
>>> result.reachable, [b["layer"] for b in result.to_dict()["blockers"]]

``PathResult.to_dict()`` is exactly what ``graphiam path --json`` prints.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from typing import Iterable

import networkx as nx

from .denied import DeniedMessage, parse_denied_message
from .explain import decide_direct, smallest_fix
from .graph import GraphBuilder
from .model import Role, Snapshot
from .names import UnknownPrincipalError, resolve
from .policy import ASSUME_ROLE, PASS_ROLE, Blocker, Decision, PolicyEngine
from .query import Hop, ReachRow, find_path, reach, who_can


class QueryError(ValueError):
    """A question graphiam cannot answer as asked (one line, for exit code 2)."""


@dataclass(frozen=True)
class PathResult:
    source: str
    target: str
    action: str
    service: str | None
    reachable: bool
    conditional: bool
    path: tuple[Hop, ...]
    blockers: tuple[Blocker, ...]
    fix: tuple[dict, ...]
    warnings: tuple[str, ...] = ()
    direct: Decision | None = field(default=None, compare=False, repr=False)
    reported: DeniedMessage | None = None  # set by ``why``: what the AccessDenied text claimed

    def to_dict(self) -> dict:
        out = {
            "source": self.source,
            "target": self.target,
            "action": self.action,
            "service": self.service,
            "reachable": self.reachable,
            "conditional": self.conditional,
            "path": [hop.to_dict() for hop in self.path],
            "blockers": [b.to_dict() for b in self.blockers],
            "fix": [dict(f) for f in self.fix],
            "warnings": list(self.warnings),
        }
        if self.reported is not None:
            out["reported"] = {
                "caller": self.reported.caller,
                "action": self.reported.action,
                "resource": self.reported.resource,
                "policy_type": self.reported.policy_type,
                "effect": self.reported.effect,
                "policy_arn": self.reported.policy_arn,
            }
        return out

    def to_text(self, brief: bool = False) -> str:
        """The answer for people; ``brief`` leaves out the granting statements and the fix."""
        return render_text(self, brief)

    def _repr_html_(self) -> str:
        """Jupyter's rendering: the same content as :meth:`to_text`, as escaped HTML."""
        from .render.html import path_result_html

        return path_result_html(self)


class AccessGraph:
    """A loaded snapshot, its policy engine and its access graph."""

    def __init__(self, snapshot: Snapshot, graph: nx.MultiDiGraph | None = None) -> None:
        """Build the graph of ``snapshot`` (or take one already built from it, e.g. by the Dask engine)."""
        self.snapshot = snapshot
        self.engine = PolicyEngine(snapshot)
        self.graph: nx.MultiDiGraph = graph if graph is not None else GraphBuilder(snapshot, self.engine).build()

    def __getstate__(self) -> dict:
        # the engine holds only memo tables: leave them out of pickles (the graph cache) and start afresh
        return {"snapshot": self.snapshot, "graph": self.graph}

    def __setstate__(self, state: dict) -> None:
        self.snapshot = state["snapshot"]
        self.graph = state["graph"]
        self.engine = PolicyEngine(self.snapshot)

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.snapshot.warnings

    @property
    def trust_facts(self) -> list[dict]:
        """Dangling trusts (deleted principals), trusts to accounts outside the snapshot, unknown principals."""
        return list(self.graph.graph["trust_facts"])

    def resolve(self, text: str) -> str:
        return resolve(self.graph, text)

    # -- queries ----------------------------------------------------------------------
    def path(self, source: str, target: str, action: str = ASSUME_ROLE, service: str | None = None) -> PathResult:
        """Can ``source`` reach ``target`` (assume it, or with ``action=iam:PassRole`` pass it to ``service``)?"""
        if action not in (ASSUME_ROLE, PASS_ROLE):
            raise QueryError(f"action {action}: graphiam answers sts:AssumeRole and iam:PassRole")
        if action == PASS_ROLE and not service:
            raise QueryError("iam:PassRole needs --service, the service principal that receives the role (e.g. ec2.amazonaws.com)")
        if action == ASSUME_ROLE and service:
            raise QueryError("--service goes with --action iam:PassRole")
        source_arn, target_arn = self.resolve(source), self.resolve(target)
        role = self.snapshot.role(target_arn)
        if role is None:
            raise QueryError(f"{target_arn}: the target must be a role in the snapshot")
        hops = find_path(self.graph, source_arn, target_arn, service)
        decision = self._direct(source_arn, role, service)
        principal = self.snapshot.principal(source_arn)
        reachable = hops is not None
        fix: list[dict] = []
        if not reachable and principal is not None:
            fix = smallest_fix(self.snapshot, principal, role, service, decision)
        warnings = list(decision.depends_on)
        for hop in hops or ():
            warnings.extend(hop.depends_on)
        warnings = [_depends_sentence(w) for w in dict.fromkeys(warnings)]
        warnings.extend(w for w in self.snapshot.warnings if w.startswith("no organization file"))
        return PathResult(
            source=source_arn,
            target=target_arn,
            action=action,
            service=service,
            reachable=reachable,
            conditional=any(h.conditional for h in hops or ()),
            path=tuple(hops or ()),
            blockers=decision.blockers,
            fix=tuple(fix),
            warnings=tuple(warnings),
            direct=decision,
        )

    def _direct(self, source_arn: str, role: Role, service: str | None) -> Decision:
        principal = self.snapshot.principal(source_arn)
        if principal is not None:
            return decide_direct(self.engine, principal, role, service)
        kind = self.graph.nodes[source_arn].get("kind")
        if service is not None:
            raise QueryError(f"{source_arn}: only an IAM user or role can pass a role")
        if kind == "service":
            return self.engine.decide_service(source_arn, role)
        if kind == "federated":
            return self.engine.decide_federated(source_arn, role)
        if kind in ("account", "external_principal"):
            return self.engine.decide_external(source_arn, role)
        raise QueryError(f"{source_arn}: a {kind} cannot assume a role; give a user, role or provider")

    def why(self, message: str, service: str | None = None) -> PathResult:
        """Explain a pasted AccessDenied text for sts:AssumeRole or iam:PassRole."""
        parsed = parse_denied_message(message)
        action = parsed.action
        if action.lower() == ASSUME_ROLE.lower():
            result = self.path(parsed.caller, parsed.resource)
        elif action.lower() == PASS_ROLE.lower():
            role_arn = self.resolve(parsed.resource)
            service = service or self._only_service(role_arn)
            result = self.path(parsed.caller, parsed.resource, PASS_ROLE, service)
        else:
            raise QueryError(f"the message is about {action}; graphiam explains sts:AssumeRole and iam:PassRole")
        return replace(result, reported=parsed)

    def _only_service(self, role_arn: str) -> str:
        services = sorted(u for u, _, k in self.graph.in_edges(role_arn, keys=True)
                          if k == "can_assume" and self.graph.nodes[u].get("kind") == "service")
        if len(services) == 1:
            return services[0]
        listed = ", ".join(services) if services else "none"
        raise QueryError(f"{role_arn}: the message does not say which service receives the role "
                         f"(its trust allows: {listed}); give --service")

    def map(self, focus: str | None = None, depth: int = 2, accounts: Iterable[str] = (),
            path: tuple[str, str] | None = None, action: str = ASSUME_ROLE, service: str | None = None,
            max_nodes: int = 1500) -> "InlineMap":
        """An interactive access map; shows itself inline in Jupyter. Same options as ``graphiam map``."""
        from .render.map import MapOptions, render_map

        page, summary = render_map(self, MapOptions(focus, depth, tuple(accounts), path, action, service, max_nodes))
        return InlineMap(page, summary.nodes, summary.edges)

    show = map

    def reach(self, source: str) -> list[ReachRow]:
        return reach(self.graph, self.resolve(source))

    def who_can(self, target: str) -> list[ReachRow]:
        return who_can(self.graph, self.resolve(target))

    # -- notebooks (pandas is optional: graphiam.frames is imported on first use) -------
    def principals_frame(self):
        """Users and roles as a pandas DataFrame (columns: ``graphiam.frames.PRINCIPAL_COLUMNS``)."""
        return _frames().principals_frame(self)

    def roles_frame(self):
        """Roles with their trust and in-degree as a DataFrame (``graphiam.frames.ROLE_COLUMNS``)."""
        return _frames().roles_frame(self)

    def edges_frame(self):
        """Every can_assume / can_pass edge as a DataFrame (``graphiam.frames.EDGE_COLUMNS``)."""
        return _frames().edges_frame(self)

    def reach_frame(self, source: str):
        """:meth:`reach` as a DataFrame (``graphiam.frames.REACH_COLUMNS``)."""
        return _frames().reach_frame(self, source)

    def who_can_frame(self, target: str):
        """:meth:`who_can` as a DataFrame (``graphiam.frames.REACH_COLUMNS``)."""
        return _frames().who_can_frame(self, target)

    def _repr_html_(self) -> str:
        """Jupyter's rendering: a short summary of the snapshot and the graph."""
        from .render.html import access_graph_html

        return access_graph_html(self)


@dataclass(frozen=True)
class InlineMap:
    """A rendered access map: ``.html`` is the whole page; Jupyter shows it in a sandboxed iframe."""

    html: str
    nodes: int
    edges: int

    def save(self, path: str | os.PathLike[str]) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(self.html)

    def _repr_html_(self) -> str:
        import html as html_module

        return (f'<iframe srcdoc="{html_module.escape(self.html, quote=True)}" sandbox="allow-scripts" '
                f'style="width:100%;height:640px;border:1px solid #ddd" title="graphiam access map"></iframe>')


def load(*paths: str | os.PathLike[str], cache: bool = False, engine: str = "local",
         scheduler: str | None = None) -> AccessGraph:
    """Load snapshot files or folders and build the access graph.

    ``cache=True`` reuses a graph built before from the same files by the same
    graphiam (see :mod:`graphiam.cache`). ``engine="dask"`` builds the edges on a
    Dask cluster (``scheduler`` address, or a local cluster when ``None``).
    """
    if len(paths) == 1 and not isinstance(paths[0], (str, os.PathLike)):
        paths = tuple(paths[0])  # type: ignore[assignment]
    return load_with_report(paths, cache=cache, engine=engine, scheduler=scheduler)[0]


def load_with_report(paths, cache: bool = False, engine: str = "local",
                     scheduler: str | None = None, key: str | None = None) -> tuple[AccessGraph, dict]:
    """:func:`load`, plus what it did: whether the cache answered, and seconds per phase.

    ``key`` is the cache key of ``paths`` when the caller has already computed it.
    """
    import time

    from .snapshot import snapshot_files, snapshot_from_files

    report: dict = {"cache": "off", "timings": {}}
    started = time.perf_counter()
    files = snapshot_files(paths)
    if not cache:
        key = None
    else:
        from . import cache as graph_cache

        if key is None:
            key = graph_cache.snapshot_key(files)
            report["timings"]["hash"] = time.perf_counter() - started
        cached = graph_cache.load_cached(key)
        if cached is not None:
            report["cache"] = "hit"
            report["timings"]["total"] = time.perf_counter() - started
            return cached, report
        report["cache"] = "miss"
    step = time.perf_counter()
    snapshot = snapshot_from_files(files)
    report["timings"]["load"] = time.perf_counter() - step
    if engine == "dask":
        from .dask_engine import build_graph_on_dask

        graph = build_graph_on_dask(snapshot, scheduler)
        access = AccessGraph(snapshot, graph)
    elif engine == "processes":
        from .dask_engine import build_graph_in_processes

        access = AccessGraph(snapshot, build_graph_in_processes(snapshot, max(2, os.cpu_count() or 2)))
    elif engine == "local":
        access = AccessGraph(snapshot)
    else:
        raise QueryError(f"engine {engine}: choose local, processes or dask")
    report["timings"].update({f"build_{k}": v for k, v in access.graph.graph.get("timings", {}).items()})
    if key is not None:
        from . import cache as graph_cache

        step = time.perf_counter()
        graph_cache.store(key, access)
        report["timings"]["cache_write"] = time.perf_counter() - step
    report["timings"]["total"] = time.perf_counter() - started
    return access, report


_PANDAS_MODULES = ("pandas", "numpy")


def _frames():
    """graphiam.frames, or an ImportError that says which extra brings pandas."""
    try:
        from . import frames
    except ImportError as error:
        if (error.name or "").split(".")[0] not in _PANDAS_MODULES:
            raise
        raise ImportError(f"graphiam's pandas tables need pandas>=3 ({error}); "
                          "install them with: pip install 'graphiam[notebook]'") from error
    return frames


def _depends_sentence(item: str) -> str:
    if item.startswith("arn:"):
        return f"the answer depends on managed policy {item}, which is not in the snapshot"
    return f"the answer depends on {item}"


# -- human output ------------------------------------------------------------------------

def _evidence_text(granted_by: Iterable[dict], source: str) -> list[str]:
    out = []
    for e in granted_by:
        sid = e.get("sid") or f"#{e.get('statement')}"
        where = e.get("attached_to")
        on = f" on {where.split(':', 5)[-1]}" if e["layer"] == "identity" and where and where != source else ""
        out.append(f"{e['layer']}: {e['policy']}{on} statement {sid}")
    return out


def render_text(result: PathResult, brief: bool = False) -> str:
    what = f"{result.action}" + (f" to {result.service}" if result.service else "")
    lines = []
    if result.reachable:
        state = "REACHABLE" + (" (conditional)" if result.conditional else "")
        lines.append(f"{state}: {result.source} -> {result.target} [{what}] in {len(result.path)} hop(s)")
        for number, hop in enumerate(result.path, 1):
            lines.append(f"  {number}. {hop.source} -> {hop.target} ({hop.action}{' to ' + hop.service if hop.service else ''})")
            for text in [] if brief else _evidence_text(hop.granted_by, hop.source):
                lines.append(f"       granted by {text}")
            for condition in hop.conditions:
                lines.append(f"       only if {condition['text']}")
    else:
        lines.append(f"NOT REACHABLE: {result.source} -> {result.target} [{what}]")
    if result.blockers:
        lines.append("The direct request is denied:" if result.reachable else "Why the direct request is denied:")
        for blocker in result.blockers:
            lines.append(f"  - [{blocker.layer}, {blocker.effect.replace('_', ' ')}] {blocker.message}")
    if result.reported is not None and result.reported.policy_type:
        lines.append(f"The error text blamed: {result.reported.policy_type} ({result.reported.effect or 'unspecified'}); "
                     "AWS names only one policy type even when several block.")
    if result.fix and not brief:
        lines.append("Smallest fix (verified by re-evaluating the request with it):")
        for change in result.fix:
            if change["type"] == "add_identity_statement":
                lines.append(f"  Add this statement to a new inline policy '{change['policy_name']}' on {change['principal']}:")
            else:
                lines.append(f"  Append this statement to the trust policy of {change['role']}:")
            lines.extend("    " + line for line in json.dumps(change["statement"], indent=2).splitlines())
    elif not result.reachable and result.blockers and not brief:
        lines.append("No added Allow can open this: change the denying policy, boundary, SCP or RCP named above.")
    for warning in result.warnings:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)


__all__ = ["AccessGraph", "PathResult", "QueryError", "UnknownPrincipalError", "load"]
