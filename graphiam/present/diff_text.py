"""A snapshot diff as text for a terminal and as a short Markdown pull-request comment.

Every statement named is ``LAYER: POLICY statement SID`` with the account whose policy it is
(``(account 222222222222)``) when the policy's name does not already say it.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from ..queries.diff import NEW_ADMINISTRATOR, EdgeChange, FindingChange, GraphDiff, ReachChange
from .text import evidence_items, safe_lines


def chain_line(change: ReachChange) -> str:
    """``SOURCE -> ROLE -> TARGET``: the change's chain."""
    nodes = [change.source] + [hop.target for hop in change.path]
    return " -> ".join(nodes)


_chain = chain_line


def statements_text(entries: Iterable[Mapping], source: str) -> str:
    """The statements, ``; ``-joined, each with its account when its policy's name does not hold it."""
    entries = list(entries)
    out = []
    for entry, item in zip(entries, evidence_items(entries, source)):
        account = entry.get("account")
        out.append(f"{item} (account {account})" if account and account not in str(entry.get("policy") or "")
                   else item)
    return "; ".join(out)


def _because(change: ReachChange) -> list[str]:
    lines = []
    new = set(change.because)
    for hop in change.path:
        if (hop.source, hop.target) in new:
            granted = statements_text(hop.granted_by, hop.source) or "(no statement recorded)"
            lines.append(f"{hop.source} -> {hop.target}: {granted}")
    return lines


def _reason(change: ReachChange) -> str:
    return f" ({change.target} is a new administrator)" if change.reason == NEW_ADMINISTRATOR else ""


def _edge_lines(edge: EdgeChange) -> list[str]:
    what = f" ({', '.join(edge.what)})" if edge.what else ""
    lines = [f"  edge {edge.kind}: {edge.source} -> {edge.target} [{edge.key}]{what}"]
    if edge.kind == "changed":
        if edge.old_granted_by != edge.granted_by:
            lines.append(f"      was granted by: {statements_text(edge.old_granted_by, edge.source) or '-'}")
        lines.append(f"      granted by: {statements_text(edge.granted_by, edge.source) or '-'}")
        narrowed = [c for c in edge.conditions if c not in edge.old_conditions]
        for condition in narrowed:
            lines.append(f"      now needs: {condition.get('text')} ({statements_text([condition], edge.source)})")
    else:
        word = "was granted by" if edge.kind == "removed" else "granted by"
        lines.append(f"      {word}: {statements_text(edge.granted_by, edge.source) or '-'}")
    return lines


def _finding_line(change: FindingChange) -> str:
    """``GIAM001 [high] ROLE statement SID (account A): message``."""
    finding = change.finding
    where = finding.role or finding.subject or ""
    statement = f" statement {finding.statement_label}" if finding.statement_label else ""
    policy = f" of {finding.policy}" if finding.policy and finding.policy != finding.role else ""
    account = f" (account {finding.account})" if finding.account else ""
    return f"{finding.rule} [{finding.severity}] {where}{statement}{policy}{account}: {finding.message}"


def diff_text(diff: GraphDiff) -> str:
    """The diff for a terminal: the counts, the new paths with the edges that opened them, the removed ones,
    the findings added and resolved, then every changed edge with its statements."""
    summary = diff.to_dict()["summary"]
    lines = [f"edges: {summary['edges_added']} added, {summary['edges_removed']} removed, "
             f"{summary['edges_changed']} changed; reachability: {summary['reach_added']} pair(s) opened, "
             f"{summary['reach_removed']} closed; findings: {summary['findings_added']} added, "
             f"{summary['findings_resolved']} resolved"
             + (f" (sensitive: {', '.join(diff.sensitive)})" if diff.sensitive else "")]
    for change in diff.reach:
        lines.append(f"{'NEW PATH' if change.kind == 'added' else 'CLOSED'}: {_chain(change)}{_reason(change)}")
        for line in _because(change):
            lines.append(f"    {'new edge' if change.kind == 'added' else 'gone edge'} {line}")
    for change in diff.findings:
        lines.append(f"{'NEW FINDING' if change.kind == 'added' else 'RESOLVED'}: {_finding_line(change)}")
    for edge in diff.edges:
        lines.extend(_edge_lines(edge))
    return safe_lines(lines)


def _md(text: str) -> str:
    """Text safe inside Markdown table cells and inline code: no pipes, backticks or line breaks."""
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ").replace("\r", " ")


_MARKDOWN = "\\`*_[]<~|"  # what can start emphasis, a link, an image, HTML or a table cell mid-line


def _md_text(text: str) -> str:
    """Snapshot text outside a code span: Markdown's punctuation escaped, so a Sid or name cannot make a link,
    an image, emphasis or HTML of the comment."""
    text = text.replace("`", "'").replace("\n", " ").replace("\r", " ")
    return "".join("\\" + c if c in _MARKDOWN else c for c in text)


def _md_finding(change: FindingChange) -> str:
    finding = change.finding
    where = finding.role or finding.subject or ""
    statement = f" statement `{_md(finding.statement_label)}`" if finding.statement_label else ""
    account = f" (account {_md(finding.account)})" if finding.account else ""
    return f"- **{_md(finding.rule)}** [{finding.severity}] `{_md(where)}`{statement}{account}: {_md_text(finding.message)}"


def diff_markdown(diff: GraphDiff, limit: int = 10) -> str:
    """A pull-request comment: a one-line verdict, the new paths as chains with their granting statements,
    the findings added and resolved, each list capped at ``limit`` with "and N more", then the edge counts."""
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
        lines.append(f"- `{_md(_chain(change))}`{_md_text(_reason(change))}")
        for line in _because(change):
            lines.append(f"  - new: {_md_text(line)}")
    if len(opened) > limit:
        lines.append(f"- and {len(opened) - limit} more")
    closed = [c for c in diff.reach if c.kind == "removed"]
    if closed:
        lines += ["", f"{len(closed)} path(s) closed."]
    for title, changes in (("Findings added", diff.findings_added), ("Findings resolved", diff.findings_resolved)):
        if not changes:
            continue
        lines += ["", f"**{title}: {len(changes)}.**", ""]
        lines.extend(_md_finding(change) for change in changes[:limit])
        if len(changes) > limit:
            lines.append(f"- and {len(changes) - limit} more")
    lines += ["", f"Edges: {summary['edges_added']} added, {summary['edges_removed']} removed, "
                  f"{summary['edges_changed']} changed."]
    return "\n".join(lines) + "\n"
