"""Reviewing a change in a notebook: ``graphiam.diff(old, new)`` and :class:`SnapshotDiff`.

>>> import graphiam
>>> change = graphiam.diff("snapshots/before", "snapshots/after", sensitive=["arn:aws:iam::*:role/ProdAdmin"])
>>> change                      # SnapshotDiff: 1 edge added, 0 removed, 2 paths opened to sensitive targets
>>> change.reach_frame()        # one row per path opened or closed, with its chain and what granted it
>>> change.map()                # the new graph around the change: added edges green, removed ones grey dashed

This is the notebook face of ``graphiam diff`` (the same
:func:`graphiam.queries.diff.diff_graphs`); it sits beside
:mod:`graphiam.access` and holds no logic of its own: the frames, the map and
the one-line counts come from :mod:`graphiam.present`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from html import escape
from typing import Iterable, Sequence, Union

from .access import AccessGraph, _frames, compare, load
from .queries.diff import GraphDiff, ReachChange

SnapshotSource = Union[AccessGraph, str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]]]
"""What :func:`diff` compares: a loaded :class:`AccessGraph`, or the files and folders to load one from."""

OPENED_SHOWN = 20  # rows of the opened-paths table in ``_repr_html_``; the rest are counted


@dataclass(frozen=True, eq=False)
class SnapshotDiff:
    """What a change opens: the two access graphs and their :class:`~graphiam.queries.diff.GraphDiff`.

    ``edges``, ``reach``, ``sensitive``, ``opened`` and ``to_dict()`` are the
    GraphDiff's (``to_dict()`` is ``graphiam diff --json``); the frames, the
    map and the notebook HTML are renderings of it.
    """

    old: AccessGraph = field(repr=False)
    new: AccessGraph = field(repr=False)
    graph_diff: GraphDiff = field(repr=False)

    # -- the diff's values ---------------------------------------------------------------
    @property
    def edges(self):
        return self.graph_diff.edges

    @property
    def reach(self) -> tuple[ReachChange, ...]:
        return self.graph_diff.reach

    @property
    def sensitive(self) -> tuple[str, ...]:
        return self.graph_diff.sensitive

    @property
    def opened(self) -> tuple[ReachChange, ...]:
        """The (source, target) pairs the new snapshot opens (to a sensitive target when patterns were given)."""
        return self.graph_diff.opened

    @property
    def closed(self) -> tuple[ReachChange, ...]:
        return tuple(change for change in self.graph_diff.reach if change.kind == "removed")

    def to_dict(self) -> dict:
        """What ``graphiam diff --json`` prints."""
        return self.graph_diff.to_dict()

    # -- renderings -----------------------------------------------------------------------
    def edges_frame(self):
        """One row per edge added, removed or changed (``graphiam.present.frames.DIFF_EDGE_COLUMNS``)."""
        return _frames().diff_edges_frame(self.graph_diff, self.old.graph, self.new.graph)

    def reach_frame(self):
        """One row per path opened or closed, with its chain (``graphiam.present.frames.DIFF_REACH_COLUMNS``)."""
        return _frames().diff_reach_frame(self.graph_diff)

    def map(self, depth: int = 1, accounts: Iterable[str] = (), max_nodes: int = 1500, escalation: bool = False,
            title: str = "graphiam: what the change opens"):
        """The new graph around the change as an interactive map (an ``InlineMap``, as ``AccessGraph.map``).

        It holds the paths opened and closed and the ends of every changed
        edge, with ``depth`` edges of neighbourhood (``accounts`` narrows the
        neighbourhood). Added edges are green and thick, the older hops of an
        opened path green, changed ones blue, removed ones grey and dashed
        (taken from the old graph); the rest is dimmed.
        """
        from .present.map import InlineMap, MapOptions, render_diff_map

        options = MapOptions(depth=depth, accounts=tuple(accounts), max_nodes=max_nodes, title=title,
                             escalation=escalation)
        page, summary = render_diff_map(self.old.graph, self.new.graph, self.new.snapshot, self.graph_diff, options)
        return InlineMap(page, summary.nodes, summary.edges)

    show = map

    def summary(self) -> str:
        """The counts in one line: ``3 edges added, 1 removed, 2 paths opened to sensitive targets``."""
        from .present.map import diff_counts_text

        return diff_counts_text(self.graph_diff)

    def __repr__(self) -> str:
        return f"SnapshotDiff: {self.summary()}"

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # IPython's text/plain
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        """Jupyter's rendering: the counts, and a table of the opened paths with the new edges that open them."""
        return _diff_html(self)


def _chain(change: ReachChange) -> str:
    return " -> ".join([change.source] + [hop.target for hop in change.path])  # as frames.chain_text


def _html_table(changes: Sequence[ReachChange]) -> str:
    from .present.text import evidence_items

    rows = []
    for change in changes[:OPENED_SHOWN]:
        new = set(change.because)
        granted = [item for hop in change.path if (hop.source, hop.target) in new
                   for item in evidence_items(hop.granted_by, hop.source)]
        because = "<br>".join(f"<code>{escape(s)}</code> &rarr; <code>{escape(t)}</code>" for s, t in change.because)
        rows.append(f"<tr><td><code>{escape(change.source)}</code></td><td><code>{escape(change.target)}</code></td>"
                    f"<td>{len(change.path)}</td><td><code>{escape(_chain(change))}</code></td>"
                    f"<td>{because}</td><td>{'<br>'.join(escape(g) for g in granted)}</td></tr>")
    more = len(changes) - OPENED_SHOWN
    tail = f"<p>and {more} more (see <code>.reach_frame()</code>)</p>" if more > 0 else ""
    return ('<table class="graphiam-opened"><thead><tr><th>source</th><th>target</th><th>hops</th><th>chain</th>'
            "<th>new edges</th><th>granted by</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>" + tail)


def _diff_html(diff: SnapshotDiff) -> str:
    """The short summary Jupyter shows; every snapshot string escaped."""
    scope = (" (sensitive: " + ", ".join(f"<code>{escape(s)}</code>" for s in diff.sensitive) + ")"
             if diff.sensitive else "")
    parts = ['<div class="graphiam-diff">', f"<p><strong>SnapshotDiff</strong>: {escape(diff.summary())}{scope}</p>"]
    if diff.opened:
        parts.append(f"<p>Opened paths ({len(diff.opened)}):</p>")
        parts.append(_html_table(diff.opened))
    else:
        parts.append("<p>No new path.</p>")
    if diff.closed:
        parts.append(f"<p>{len(diff.closed)} path(s) closed (see <code>.reach_frame()</code>).</p>")
    parts.append("</div>")
    return "\n".join(parts)


def _access(value: SnapshotSource, cache: bool, which: str, base: AccessGraph | None = None) -> AccessGraph:
    """``value`` loaded (``base``: the old side, whose graph a new side's build reuses for unchanged accounts)."""
    if isinstance(value, AccessGraph):
        return value
    if isinstance(value, (str, os.PathLike)):
        return load(value, cache=cache, base=base)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (str, os.PathLike)) for v in value):
        return load(list(value), cache=cache, base=base)
    raise TypeError(f"graphiam.diff: {which} must be an AccessGraph, a path, or a list of paths; "
                    f"got {type(value).__name__}")


def diff(old: SnapshotSource, new: SnapshotSource, sensitive: str | Iterable[str] = (), cache: bool = False) -> SnapshotDiff:
    """What changes from ``old`` to ``new``: edges added, removed and changed, and the paths opened and closed.

    ``old`` and ``new`` are :class:`AccessGraph` objects or what
    :func:`graphiam.load` takes (a file or folder, or a list of them;
    ``cache`` as there). ``sensitive`` (ARN globs such as
    ``arn:aws:iam::*:role/ProdAdmin``) limits the paths to those targets, as
    ``graphiam diff --sensitive`` does (the word ``admin`` stands for every
    administrator of either snapshot); with none, every role counts.
    """
    patterns = (sensitive,) if isinstance(sensitive, str) else tuple(sensitive)
    before = _access(old, cache, "old")
    after = _access(new, cache, "new", base=before)
    return SnapshotDiff(before, after, compare(before, after, patterns))  # as `graphiam diff` compares them


__all__ = ["SnapshotDiff", "diff"]
