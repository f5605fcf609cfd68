"""The public API: :class:`AccessGraph`, the facade over the layers below, and :func:`load`.

>>> import graphiam
>>> access = graphiam.load("data/sample-org")
>>> result = access.path("alice", "arn:aws:iam::333333333333:role/Deploy")
>>> result.reachable, [b["layer"] for b in result.to_dict()["blockers"]]

``PathResult.to_dict()`` is exactly what ``graphiam path --json`` prints.

The facade holds no logic of its own: it loads (:mod:`graphiam.snapshot`),
builds or reads the cached graph (:mod:`graphiam.graph`), asks
:mod:`graphiam.queries` and hands result values to :mod:`graphiam.present`,
which it imports only when a rendering is asked for. Nothing in the package
imports this module but :mod:`graphiam.cli`, :mod:`graphiam.review` (the
notebook's change review) and the package itself.
"""

from __future__ import annotations

import os
import time
from dataclasses import fields
from typing import TYPE_CHECKING, Iterable

import networkx as nx

from .graph.build import GraphBuilder
from .progress import SILENT, Progress
from .policy import ASSUME_ROLE, PolicyEngine
from .queries.answer import PathAnswer, answer_path, answer_why
from .queries.errors import QueryError
from .policy.request import stated_context
from .queries.answer import Context
from .queries.paths import ReachRow, RequestView, reach, who_can
from .queries.resolve import UnknownPrincipalError, resolve
from .snapshot.model import Snapshot
from .snapshot.names import parse_session_arn

if TYPE_CHECKING:
    from .graph.index import QueryIndex
    from .queries.diff import GraphDiff


class PathResult(PathAnswer):
    """The answer to ``path`` or ``why`` (:class:`~graphiam.queries.answer.PathAnswer`), with its renderings."""

    @classmethod
    def of(cls, answer: PathAnswer) -> "PathResult":
        return cls(**{f.name: getattr(answer, f.name) for f in fields(answer)})

    def to_text(self, brief: bool = False, omit_warnings: Iterable[str] = ()) -> str:
        """The answer for people; ``brief`` leaves out the granting statements and the fix, ``omit_warnings``
        the warnings said elsewhere (``check`` says the snapshot's once, at the end)."""
        from .present.text import path_text

        return path_text(self, brief, omit_warnings)

    def _repr_html_(self) -> str:
        """Jupyter's rendering: the same content as :meth:`to_text`, as escaped HTML."""
        from .present.html import path_result_html

        return path_result_html(self)


class AccessGraph:
    """A loaded snapshot, its policy engine and its access graph."""

    def __init__(self, snapshot: Snapshot, graph: nx.MultiDiGraph | None = None, progress: Progress = SILENT) -> None:
        """Build the graph of ``snapshot`` (or take one already built from it, e.g. by the Dask engine);
        ``progress`` hears how the build goes (see :mod:`graphiam.progress`)."""
        self.snapshot = snapshot
        self.engine = PolicyEngine(snapshot)
        self.graph: nx.MultiDiGraph = (graph if graph is not None
                                       else GraphBuilder(snapshot, self.engine, progress=progress).build())
        self._privesc: tuple[list[str], list] | None = None

    def __repr__(self) -> str:
        """One line for a notebook or a debugger: what the graph holds and how many warnings it carries."""
        accounts = len(self.snapshot.accounts)
        users = sum(len(a.users) for a in self.snapshot.accounts.values())
        roles = sum(len(a.roles) for a in self.snapshot.accounts.values())
        edges = sum(1 for *_, key in self.graph.edges(keys=True) if key != "member_of")
        warnings = len(self.warnings)
        def count(n: int, word: str) -> str:
            return f"{n} {word}{'s' * (n != 1)}"

        return (f"<AccessGraph: {count(accounts, 'account')}, {count(users + roles, 'principal')} "
                f"({count(users, 'user')}, {count(roles, 'role')}), {count(edges, 'edge')}, "
                f"{count(warnings, 'warning')}>")

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
    def path(self, source: str, target: str, action: str = ASSUME_ROLE, service: str | None = None,
             context: Context | None = None, escalation: bool = False, provider: str | None = None) -> PathResult:
        """Can ``source`` reach ``target`` (assume it, or with ``action=iam:PassRole`` pass it to ``service``)?

        ``context`` states what the request carries, e.g. ``{"aws:MultiFactorAuthPresent": "true"}``:
        conditions on those keys are decided instead of listed. ``escalation=True`` asks whether ``source``
        can obtain ``target``'s permissions by any chain of assume and escalation-technique hops. With
        ``provider`` (``token.actions.githubusercontent.com``, a SAML provider's name, or an ARN), ``source``
        is the subject its tokens carry (``repo:org/app:ref:refs/heads/main``): see
        :mod:`graphiam.queries.federated`.
        """
        if provider is not None:
            from .queries.federated import provider_source

            if escalation:
                raise QueryError("--provider asks about a provider's subject: it takes no --escalation")
            subject = source
            source, key = provider_source(self.graph, provider, self.resolve(target))
            context = {**(context or {}), key: subject}
        if escalation:
            if action != ASSUME_ROLE or service or context:
                raise QueryError("escalation answers whether SOURCE can obtain TARGET's permissions: it takes no "
                                 "--action, --service or --context")
            from .queries.escalation import ADMIN, answer_escalation

            if target.strip() == ADMIN:  # any administrator: can SOURCE become one?
                return self.becomes_admin(source)
            return PathResult.of(answer_escalation(self.snapshot, self.graph, self.engine, source, target))
        return PathResult.of(answer_path(self.snapshot, self.graph, self.engine, source, target, action, service,
                                         context))

    def privesc(self) -> tuple[list[str], list]:
        """The administrators, and every other principal that can become one (:mod:`graphiam.queries.escalation`);
        decided once per AccessGraph."""
        if self._privesc is None:
            from .queries.escalation import privesc

            self._privesc = privesc(self.snapshot, self.graph, self.engine)
        return self._privesc

    def becomes_admin(self, source: str) -> PathResult:
        """Can ``source`` become an administrator (target ``admin``)? Its way, as :meth:`path` answers."""
        from .queries.escalation import answer_becomes_admin

        return PathResult.of(answer_becomes_admin(self.snapshot, self.graph, self.engine, source, self.privesc()))

    def privesc_frame(self):
        """:meth:`privesc` as a DataFrame: principal, hops, the techniques on the way, the first hop's target."""
        _, rows = self.privesc()
        return _frames().privesc_frame(rows)

    def why(self, message: str, service: str | None = None, context: Context | None = None) -> PathResult:
        """Explain a pasted AccessDenied text for sts:AssumeRole or iam:PassRole."""
        return PathResult.of(answer_why(self.snapshot, self.graph, self.engine, message, service, context))

    def reach(self, source: str, context: Context | None = None, escalation: bool = False) -> list[ReachRow]:
        """Roles ``source`` reaches (and can pass), under the stated request when ``context`` is given; with
        ``escalation``, through technique hops too (rows name their ``techniques``)."""
        return reach(self.graph, self.resolve(source), self._view(context), escalation)

    def who_can(self, target: str, context: Context | None = None, escalation: bool = False) -> list[ReachRow]:
        """Everything that reaches ``target``, under the stated request when ``context`` is given; with
        ``escalation``, through technique hops too."""
        target_arn = self.resolve(target)
        return [self._with_subject(row, target_arn) for row in
                who_can(self.graph, target_arn, self._view(context), escalation)]

    def _with_subject(self, row: ReachRow, target: str) -> ReachRow:
        """A provider's row with the subjects its trust lets in, in plain words (graphiam.policy.federation)."""
        if row.kind != "federated":
            return row
        from dataclasses import replace

        from .policy.federation import decision_subjects

        role = self.snapshot.role(row.via or target)
        if role is None:
            return row
        subjects = decision_subjects(row.arn, self.engine.decide_federated(row.arn, role))
        text = " or ".join(dict.fromkeys(s.text for s in subjects))
        return replace(row, subject=text or None)

    def _view(self, context: Context | None) -> RequestView | None:
        return RequestView(self.graph, stated_context(context)) if context else None

    def map(self, focus: str | None = None, depth: int = 2, accounts: Iterable[str] = (),
            path: tuple[str, str] | None = None, action: str = ASSUME_ROLE, service: str | None = None,
            max_nodes: int = 1500, escalation: bool = False):
        """An interactive access map (an ``InlineMap``); shows itself inline in Jupyter. Same options as ``graphiam map``."""
        from .present.map import InlineMap, MapOptions, render_map

        result = self.path(path[0], path[1], action, service, escalation=escalation) if path is not None else None
        options = MapOptions(focus, depth, tuple(accounts), max_nodes, escalation=escalation)
        page, summary = render_map(self.graph, self.snapshot, options, result)
        return InlineMap(page, summary.nodes, summary.edges)

    show = map

    # -- notebooks (pandas is optional: graphiam.present.frames is imported on first use) -------
    def principals_frame(self):
        """Users and roles as a pandas DataFrame (columns: ``graphiam.present.frames.PRINCIPAL_COLUMNS``)."""
        return _frames().principals_frame(self.snapshot)

    def roles_frame(self):
        """Roles with their trust and in-degree as a DataFrame (``graphiam.present.frames.ROLE_COLUMNS``)."""
        return _frames().roles_frame(self.snapshot, self.graph)

    def edges_frame(self):
        """Every can_assume / can_pass edge as a DataFrame (``graphiam.present.frames.EDGE_COLUMNS``)."""
        return _frames().edges_frame(self.graph)

    def reach_frame(self, source: str):
        """:meth:`reach` as a DataFrame (``graphiam.present.frames.REACH_COLUMNS``)."""
        return _frames().reach_rows_frame(self.reach(source))

    def who_can_frame(self, target: str):
        """:meth:`who_can` as a DataFrame (``graphiam.present.frames.REACH_COLUMNS``)."""
        return _frames().reach_rows_frame(self.who_can(target))

    def _repr_html_(self) -> str:
        """Jupyter's rendering: a short summary of the snapshot and the graph."""
        from .present.html import access_graph_html

        return access_graph_html(self.snapshot, self.graph)


def load(*paths: str | os.PathLike[str], cache: bool = False, engine: str = "local",
         scheduler: str | None = None, base: AccessGraph | None = None) -> AccessGraph:
    """Load snapshot files or folders and build the access graph.

    ``cache=True`` reuses a graph built before from the same files by the same
    graphiam (see :mod:`graphiam.graph.cache`). ``engine="dask"`` builds the edges on a
    Dask cluster (``scheduler`` address, or a local cluster when ``None``). ``base``, the
    graph of an earlier version of the snapshot, makes the build decide only the accounts
    that changed (see :func:`load_with_report`).
    """
    if len(paths) == 1 and not isinstance(paths[0], (str, os.PathLike)):
        paths = tuple(paths[0])  # type: ignore[assignment]
    return load_with_report(paths, cache=cache, engine=engine, scheduler=scheduler, base=base)[0]


def load_with_report(paths, cache: bool = False, engine: str = "local", scheduler: str | None = None,
                     key: str | None = None, buffers=None, progress: Progress = SILENT,
                     base: AccessGraph | None = None, snapshot: Snapshot | None = None,
                     defer_store: bool = False) -> tuple[AccessGraph, dict]:
    """:func:`load`, plus what it did: whether the cache answered, seconds per phase, and ``warnings``: what
    the cache would not trust or had to discard (one line each; see :mod:`graphiam.graph.cache`).

    With the cache, every file is read once and the same bytes are hashed for
    the key and parsed on a miss, so a file changing meanwhile cannot store
    one snapshot's graph under another's key. ``buffers`` (from
    :func:`graphiam.snapshot.read.read_files`) and ``key`` are what the caller
    has already read and hashed. ``progress`` hears of each phase: files read
    and parsed, target accounts decided, the cache read or written.

    ``base``: the access graph of an earlier snapshot (a ``graphiam diff``'s old side). When the graph has to be
    built, only the target accounts whose inputs differ from ``base``'s are decided; the rest is copied from it
    (:mod:`graphiam.graph.incremental`; the same graph as a full build). ``report["rebuilt"]`` then says how many
    accounts changed and how many were decided again. ``snapshot``: these very files, parsed already.
    ``defer_store``: a graph built here is not written to the cache; ``report["store_key"]`` is the key the
    caller writes it under once it has answered.
    """
    from .snapshot.read import snapshot_files, snapshot_from_buffers, snapshot_from_files

    report: dict = {"cache": "off", "timings": {}, "warnings": []}
    started = time.perf_counter()
    if not cache:
        key = buffers = None
        files = snapshot_files(paths)
    else:
        from .graph import cache as graph_cache

        if buffers is None:
            buffers, key = graph_cache.read_keyed(paths, progress)
            report["timings"]["hash"] = time.perf_counter() - started
        elif key is None:
            key = graph_cache.snapshot_key_of(buffers)
            report["timings"]["hash"] = time.perf_counter() - started
        with progress.task("reading the cache"):
            cached = graph_cache.load_cached(key, report["warnings"])
        if cached is not None:
            report["cache"] = "hit"
            report["engine"] = None  # no build ran
            report["timings"]["total"] = time.perf_counter() - started
            return AccessGraph(*cached), report
        report["cache"] = "miss"
    step = time.perf_counter()
    if snapshot is None:  # else the caller has parsed these very files (``buffers``) already
        snapshot = (snapshot_from_buffers(buffers, progress=progress) if buffers is not None
                    else snapshot_from_files(files, progress=progress))
    report["timings"]["load"] = time.perf_counter() - step
    if engine == "auto":
        engine = "processes" if base is None and parallel_build_pays(snapshot) else "local"
    report["engine"] = engine
    if engine == "dask":
        from .graph.engines import build_graph_on_dask

        access = AccessGraph(snapshot, build_graph_on_dask(snapshot, scheduler))
    elif engine == "processes":
        access = AccessGraph(snapshot, graph_in_processes(snapshot, progress))
    elif engine == "local" and base is not None:
        from .graph.incremental import rebuild_graph

        graph, rebuilt = rebuild_graph(base.snapshot, base.graph, snapshot, progress)
        access = AccessGraph(snapshot, graph)
        report["rebuilt"] = {"changed": len(rebuilt.changed), "decided": len(rebuilt.decided),
                             "accounts": len(snapshot.accounts), "kept_edges": rebuilt.kept_edges}
        report["rebuilt_accounts"] = sorted(set(rebuilt.changed) | set(rebuilt.decided))  # where edges can differ
    elif engine == "local":
        access = AccessGraph(snapshot, progress=progress)
    else:
        raise QueryError(f"engine {engine}: choose auto, local, processes or dask")
    report["timings"].update({f"build_{k}": v for k, v in access.graph.graph.get("timings", {}).items()})
    if key is not None and defer_store:
        report["store_key"] = key
    elif key is not None:
        from .graph import cache as graph_cache

        step = time.perf_counter()
        with progress.task("writing the cache"):
            graph_cache.store(key, access.snapshot, access.graph, report["warnings"])
        report["timings"]["cache_write"] = time.perf_counter() - step
    report["timings"]["total"] = time.perf_counter() - started
    return access, report


def parallel_build_pays(snapshot: Snapshot) -> bool:
    """Whether ``engine="auto"`` builds in processes: on a POSIX system (fork) with two cores or more, for a
    snapshot of two accounts or more (the partitions are target accounts). On two cores the processes
    build of a 200-account organization takes about 0.7 of the local one's time."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) >= 2 and len(snapshot.accounts) >= 2


def graph_in_processes(snapshot: Snapshot, progress: Progress = SILENT) -> nx.MultiDiGraph:
    """The whole graph built on this machine's cores (``engine="processes"``; at least two partitions)."""
    from .graph.engines import build_graph_in_processes

    return build_graph_in_processes(snapshot, max(2, os.cpu_count() or 2), progress)


def partial_access(index: "QueryIndex", source_text: str, target_text: str) -> tuple[AccessGraph, str, str]:
    """An AccessGraph holding just what a path (or why) question on these two ends needs, and the two ends.

    Names are resolved against the whole index (a name unique in the small
    graph may not be unique in the snapshot); ask the returned graph with the
    returned ends: ARNs, or the session ARN itself when SOURCE names a session
    (the session's name decides trusts that name sessions).
    """
    nodes = index.nodes()
    source, target = resolve(nodes, source_text), resolve(nodes, target_text)  # type: ignore[arg-type]
    partial = AccessGraph(index.snapshot_for(source, target), graph=index.subgraph(source, target))
    return partial, source_text.strip() if parse_session_arn(source_text.strip()) else source, target


def first_path_answer(snapshot: Snapshot, source_text: str, target_text: str, action: str = ASSUME_ROLE,
                      service: str | None = None, context: Context | None = None) -> tuple[AccessGraph, PathResult] | None:
    """A path question on a snapshot whose graph is not built: answered from the part of the graph it reads
    (:class:`graphiam.graph.focused.PathGraph`), the same answer the whole graph gives, without building it.
    ``None`` when the question needs the whole graph (a source outside the snapshot's principals and Identity
    Center users: the whole graph then answers). A name that does not resolve raises
    :class:`UnknownPrincipalError` at once, the whole graph's very error: the part has every node of the whole
    graph, with its attributes (a property test holds it), so names resolve against it as against the whole."""
    from .graph.focused import PathGraph

    part = PathGraph(snapshot)
    source, target = resolve(part.nodes, source_text), resolve(part.nodes, target_text)
    graph = part.subgraph(source, target)
    if graph is None:
        return None
    access = AccessGraph(snapshot, graph=graph)
    asked = source_text.strip() if parse_session_arn(source_text.strip()) else source
    return access, access.path(asked, target, action, service, context)


def compare(old: AccessGraph, new: AccessGraph, sensitive: Iterable[str] = (),
            only_accounts: Iterable[str] | None = None) -> "GraphDiff":
    """What changes from ``old`` to ``new`` (:func:`graphiam.queries.diff.diff_graphs`), with the findings of
    both snapshots and, when ``sensitive`` holds ``admin``, the administrators of both: what ``graphiam diff``
    and :func:`graphiam.diff` show. ``only_accounts``: when ``new`` was rebuilt from ``old``, the accounts whose
    edges can differ (``load_with_report``'s ``report["rebuilt_accounts"]``)."""
    from .queries.diff import diff_graphs
    from .queries.escalation import ADMIN
    from .queries.findings import findings

    patterns = tuple(sensitive)
    administrators = (old.privesc()[0], new.privesc()[0]) if ADMIN in patterns else None
    found = (findings(old.snapshot, old.graph, old.engine, privesc_result=old.privesc()),
             findings(new.snapshot, new.graph, new.engine, privesc_result=new.privesc()))
    return diff_graphs(old.graph, new.graph, patterns, administrators=administrators, findings=found,
                       only_accounts=None if only_accounts is None else set(only_accounts))


_PANDAS_MODULES = ("pandas", "numpy")


def _frames():
    """graphiam.present.frames, or an ImportError that says which extra brings pandas."""
    try:
        from .present import frames
    except ImportError as error:
        if (error.name or "").split(".")[0] not in _PANDAS_MODULES:
            raise
        raise ImportError(f"graphiam's pandas tables need pandas>=3 ({error}); "
                          "install them with: pip install 'graphiam[notebook]'") from error
    return frames


__all__ = ["AccessGraph", "PathResult", "QueryError", "UnknownPrincipalError", "compare", "first_path_answer", "load",
           "load_with_report", "partial_access"]
