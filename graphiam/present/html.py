"""HTML for Jupyter: what ``PathResult._repr_html_`` and ``AccessGraph._repr_html_`` show.

The HTML carries the same content as :func:`graphiam.present.text.path_text`.
Every string that can come from a snapshot or from a question (ARNs, names,
policy names, Sids, condition values, messages, the fix JSON, warnings) goes
through :func:`html.escape` before it lands in the markup; only the fixed
markup and the styles written here are not escaped. Styles are inline
attributes, so nothing leaks into the notebook's page.
"""

from __future__ import annotations

import json
from html import escape

import networkx as nx

from ..graph.schema import CAN_ASSUME, CAN_PASS
from ..queries.answer import PathAnswer
from ..snapshot.model import Snapshot
from .text import evidence_items

GREEN, RED, AMBER, GREY = "#1a7f37", "#cf222e", "#9a6700", "#57606a"
_BADGE_STYLE = ("display:inline-block;padding:0 0.5em;margin-right:0.4em;border-radius:0.7em;"
                "font-size:85%;font-weight:600;color:#fff;background:{color}")
_PRE_STYLE = "margin:0.2em 0 0.6em 0;padding:0.5em;border:1px solid #d0d7de;border-radius:4px;overflow-x:auto"
_WARNING_STYLE = f"color:{AMBER}"


def _e(value: object) -> str:
    """Text for HTML: escaped, quotes included (it may land in an attribute)."""
    return escape(str(value), quote=True)


def _badge(text: str, color: str) -> str:
    return f'<span class="graphiam-badge" style="{_BADGE_STYLE.format(color=color)}">{_e(text)}</span>'


def _code(value: object) -> str:
    return f"<code>{_e(value)}</code>"


def _what(action: str, service: str | None) -> str:
    return _e(action) + (f" to {_e(service)}" if service else "")


def path_result_html(result: PathAnswer) -> str:
    """A path result as HTML: header and badges, hops, blockers, fix, warnings."""
    parts: list[str] = ['<div class="graphiam-path">']
    if result.reachable:
        badges = _badge("REACHABLE", GREEN) + (_badge("conditional", AMBER) if result.conditional else "")
        count = f" in {len(result.path)} hop(s)"
    else:
        badges, count = _badge("NOT REACHABLE", RED), ""
    parts.append(f'<div class="graphiam-header">{badges}{_code(result.source)} &rarr; {_code(result.target)} '
                 f"[{_what(result.action, result.service)}]{count}</div>")

    if result.reachable:
        parts.append('<ol class="graphiam-hops">')
        for hop in result.path:
            details = [f"<li>granted by {_e(text)}</li>" for text in evidence_items(hop.granted_by, hop.source)]
            if hop.alternatives:  # each set is enough on its own
                sets = [hop.conditions, *hop.alternatives]
                details.append(f"<li>{_badge('only if one of', AMBER)}<ol>"
                               + "".join(f"<li>{_e(' and '.join(r['text'] for r in requirements))}</li>"
                                         for requirements in sets) + "</ol></li>")
            else:
                details += [f"<li>{_badge('only if', AMBER)}{_e(condition['text'])}</li>" for condition in hop.conditions]
            parts.append(f"<li>{_code(hop.source)} &rarr; {_code(hop.target)} ({_what(hop.action, hop.service)})"
                         + (f"<ul>{''.join(details)}</ul>" if details else "") + "</li>")
        parts.append("</ol>")

    if result.blockers:
        title = "The direct request is denied:" if result.reachable else "Why the direct request is denied:"
        parts.append(f"<p>{title}</p>")
        parts.append('<ul class="graphiam-blockers">')
        for blocker in result.blockers:
            color = RED if blocker.effect == "explicit_deny" else GREY
            parts.append(f"<li>{_badge(blocker.layer, color)}{_badge(blocker.effect.replace('_', ' '), color)}"
                         f"{_e(blocker.message)}</li>")
        parts.append("</ul>")

    reported = result.reported
    if reported is not None and reported.policy_type:
        parts.append(f"<p>The error text blamed: {_e(reported.policy_type)} ({_e(reported.effect or 'unspecified')}); "
                     "AWS names only one policy type even when several block.</p>")

    if result.fix:
        parts.append("<p>Smallest fix (verified by re-evaluating the request with it):</p>")
        for change in result.fix:
            if change["type"] == "add_identity_statement":
                where = (f"Add this statement to a new inline policy {_code(change['policy_name'])} "
                         f"on {_code(change['principal'])}:")
            else:
                where = f"Append this statement to the trust policy of {_code(change['role'])}:"
            parts.append(f'<div class="graphiam-fix">{where}'
                         f'<pre style="{_PRE_STYLE}">{_e(json.dumps(change["statement"], indent=2))}</pre></div>')
    elif not result.reachable and result.blockers:
        parts.append("<p>No added Allow can open this: change the denying policy, boundary, SCP or RCP named above.</p>")

    if result.warnings:
        parts.append('<ul class="graphiam-warnings">')
        parts.extend(f'<li style="{_WARNING_STYLE}">warning: {_e(w)}</li>' for w in result.warnings)
        parts.append("</ul>")
    parts.append("</div>")
    return "\n".join(parts)


def access_graph_html(snapshot: Snapshot, graph: nx.MultiDiGraph) -> str:
    """A short summary of a loaded snapshot and its graph: accounts, principals, roles, edges, warnings."""
    users = sum(len(a.users) for a in snapshot.accounts.values())
    roles = sum(len(a.roles) for a in snapshot.accounts.values())
    groups = sum(len(a.groups) for a in snapshot.accounts.values())
    outside = sum(1 for _, data in graph.nodes(data=True) if data.get("external"))
    assume = passes = conditional = cross = 0
    for source, target, data in graph.edges(data=True):
        edge_type = data.get("edge_type")
        if edge_type not in (CAN_ASSUME, CAN_PASS):
            continue
        assume += edge_type == CAN_ASSUME
        passes += edge_type == CAN_PASS
        conditional += bool(data.get("conditional"))
        source_account = graph.nodes[source].get("account")
        cross += bool(source_account) and source_account != graph.nodes[target].get("account")

    org = snapshot.organization
    accounts = f"{len(snapshot.accounts)}"
    accounts += f" in organization {_code(org.org_id)}" if org else " (no organization file: SCPs and RCPs not evaluated)"
    if outside:
        accounts += f"; {outside} outside account(s) or principal(s) named by trusts"
    rows = [
        ("accounts", accounts),
        ("principals", f"{users + roles} ({users} users, {roles} roles; {groups} groups)"),
        ("roles", f"{roles}"),
        ("edges", f"{assume + passes} ({assume} can_assume, {passes} can_pass; "
                  f"{conditional} conditional, {cross} cross-account)"),
        ("warnings", f"{len(snapshot.warnings)}"),
    ]
    parts = ['<div class="graphiam-access">', "<strong>graphiam access graph</strong>", "<table>"]
    parts.extend(f'<tr><th style="text-align:left">{label}</th><td style="text-align:left">{value}</td></tr>'
                 for label, value in rows)
    parts.append("</table>")
    if snapshot.warnings:
        parts.append("<details><summary>warnings</summary><ul>")
        parts.extend(f'<li style="{_WARNING_STYLE}">{_e(w)}</li>' for w in snapshot.warnings)
        parts.append("</ul></details>")
    parts.append("</div>")
    return "\n".join(parts)


__all__ = ["access_graph_html", "path_result_html"]
