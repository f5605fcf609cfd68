"""A snapshot diff as text for a terminal and as a short Markdown pull-request comment."""

from __future__ import annotations

from ..queries.diff import GraphDiff, ReachChange
from .text import evidence_items, safe_lines


def _chain(change: ReachChange) -> str:
    nodes = [change.source] + [hop.target for hop in change.path]
    return " -> ".join(nodes)


def _because(change: ReachChange) -> list[str]:
    lines = []
    new = set(change.because)
    for hop in change.path:
        if (hop.source, hop.target) in new:
            granted = "; ".join(evidence_items(hop.granted_by, hop.source)) or "(no statement recorded)"
            lines.append(f"{hop.source} -> {hop.target}: {granted}")
    return lines


def diff_text(diff: GraphDiff) -> str:
    """The diff for a terminal: the counts, the new paths with the edges that opened them, the removed ones."""
    summary = diff.to_dict()["summary"]
    lines = [f"edges: {summary['edges_added']} added, {summary['edges_removed']} removed, "
             f"{summary['edges_changed']} changed; reachability: {summary['reach_added']} pair(s) opened, "
             f"{summary['reach_removed']} closed" + (f" (sensitive: {', '.join(diff.sensitive)})" if diff.sensitive else "")]
    for change in diff.reach:
        lines.append(f"{'NEW PATH' if change.kind == 'added' else 'CLOSED'}: {_chain(change)}")
        for line in _because(change):
            lines.append(f"    {'new edge' if change.kind == 'added' else 'gone edge'} {line}")
    for edge in diff.edges:
        what = f" ({', '.join(edge.what)})" if edge.what else ""
        lines.append(f"  edge {edge.kind}: {edge.source} -> {edge.target} [{edge.key}]{what}")
    return safe_lines(lines)


def _md(text: str) -> str:
    """Text safe inside Markdown table cells and inline code: no pipes, backticks or line breaks."""
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ").replace("\r", " ")


def diff_markdown(diff: GraphDiff, limit: int = 10) -> str:
    """A pull-request comment: a one-line verdict, the new paths as chains with their granting statements,
    capped with "and N more", then the edge counts."""
    opened = diff.opened
    summary = diff.to_dict()["summary"]
    scope = f" to a sensitive target ({', '.join(f'`{_md(s)}`' for s in diff.sensitive)})" if diff.sensitive else ""
    lines = ["## graphiam: what this change opens", ""]
    if opened:
        lines.append(f"**{len(opened)} new path(s){scope}.**")
    else:
        lines.append(f"No new path{scope}.")
    lines.append("")
    for change in opened[:limit]:
        lines.append(f"- `{_md(_chain(change))}`")
        for line in _because(change):
            lines.append(f"  - new: {_md(line)}")
    if len(opened) > limit:
        lines.append(f"- and {len(opened) - limit} more")
    closed = [c for c in diff.reach if c.kind == "removed"]
    if closed:
        lines += ["", f"{len(closed)} path(s) closed."]
    lines += ["", f"Edges: {summary['edges_added']} added, {summary['edges_removed']} removed, "
                  f"{summary['edges_changed']} changed."]
    return "\n".join(lines) + "\n"
