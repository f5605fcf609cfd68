"""What the command line prints: path answers, reach and who-can tables, as plain text.

Every function takes result values (:class:`~graphiam.queries.answer.PathAnswer`,
:class:`~graphiam.queries.paths.ReachRow`) and returns text; nothing here prints.

Terminal safety: snapshot strings (ARNs, names, Sids, policy names, condition
values, messages) may hold anything JSON can, escape sequences included.
:func:`terminal_safe` is the one place that makes text safe to show: every
character that is not printable (C0 and C1 controls, DEL, lone surrogates,
format characters such as the bidirectional overrides, line and paragraph
separators, unassigned code points) or that the output's encoding cannot hold
is shown escaped as Python writes it (``\x1b``, ``\u202e``, ``\udcff``).
The renderings here escape each line they build (a newline or tab inside a
value is escaped too, so a value cannot forge a line of the answer), and the
command line writes everything through it once more (keeping the newlines and
tabs of its own layout).
"""

from __future__ import annotations

import functools
import json
import re
from typing import Iterable, Mapping

from ..queries.answer import PathAnswer
from ..queries.paths import ReachRow

# what a trust fact's kind means, in a who-can table
_FACT_MEANINGS = {
    "dangling": "a deleted principal (dangling trust, matches nobody)",
    "external_account": "outside the snapshot",
    "unknown_principal": "a principal missing from its account's file",
    "public": "anyone: any AWS principal of any account (or any holder of the provider's tokens) may assume it",
}


# anything but printable ASCII, newline and tab: only such text needs a closer look
_NOT_PLAIN = re.compile(r"[^\n\t\x20-\x7e]")
_NOT_PLAIN_ONE_LINE = re.compile(r"[^\x20-\x7e]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


@functools.lru_cache(maxsize=4096)
def _shown(char: str, encoding: str) -> str:
    """``char`` itself when a terminal may show it as is, else its escape."""
    if not char.isprintable():
        return _escaped(char)
    try:
        char.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return _escaped(char)
    return char


def terminal_safe(text: str, one_line: bool = False, encoding: str | None = None) -> str:
    """``text`` with every character a terminal must not receive raw shown escaped (see the module docstring).

    Newlines and tabs are kept, unless ``one_line`` (a value, an error or a
    warning line: then they are escaped too). ``encoding`` is the output's
    (default UTF-8): what it cannot encode is escaped as well, so writing the
    result never fails.
    """
    if not isinstance(text, str):
        text = str(text)
    pattern = _NOT_PLAIN_ONE_LINE if one_line else _NOT_PLAIN
    if pattern.search(text) is None:
        return text
    encoding = (encoding or "utf-8").lower()
    if one_line:
        return pattern.sub(lambda m: _escaped(m.group()) if m.group() in _NAMED else _shown(m.group(), encoding), text)
    return pattern.sub(lambda m: _shown(m.group(), encoding), text)


def safe_lines(lines: Iterable[str]) -> str:
    """Lines built by a rendering, each escaped as one line (see :func:`terminal_safe`), joined by newlines."""
    return "\n".join(terminal_safe(line, one_line=True) for line in lines)


def evidence_items(granted_by: Iterable[Mapping], source: str) -> list[str]:
    """The statements that grant an edge, one ``LAYER: POLICY[ on WHERE] statement SID`` each.

    ``SID`` is ``#n`` (the 1-based position) for a statement without a Sid;
    ``on WHERE`` names the group or other principal an identity policy is
    attached to when it is not the edge's source itself.
    """
    out = []
    for evidence in granted_by:
        label = evidence.get("sid") or f"#{evidence.get('statement')}"
        where = evidence.get("attached_to")
        on = ""
        if evidence.get("layer") == "identity" and where and where != source:
            on = f" on {where.split(':', 5)[-1]}"
        out.append(f"{evidence.get('layer')}: {evidence.get('policy')}{on} statement {label}")
    return out


def path_text(result: PathAnswer, brief: bool = False, omit_warnings: Iterable[str] = ()) -> str:
    """The answer for people; ``brief`` leaves out the granting statements and the fix, ``omit_warnings``
    warnings said elsewhere."""
    what = f"{result.action}" + (f" to {result.service}" if result.service else "")
    if result.escalation:
        what = "any route: assume and escalation-technique hops"
    lines = []
    if result.disagreement:  # said first and loudly: the pasted denial and the snapshot disagree
        lines.append(f"THE SNAPSHOT DISAGREES WITH THE MESSAGE: {result.disagreement}")
    if result.session is not None:
        what += f", as its session {result.session}"
    if result.reachable:
        state = "REACHABLE" + (" (conditional)" if result.conditional else "")
        lines.append(f"{state}: {result.source} -> {result.target} [{what}] in {len(result.path)} hop(s)")
        for number, hop in enumerate(result.path, 1):
            if hop.technique is not None:
                technique = hop.technique
                cited = f", pathfinding {technique['pathfinding']}" if technique.get("pathfinding") else ""
                lines.append(f"  {number}. {hop.source} -> {hop.target} (technique {technique['id']}{cited}: "
                             f"{technique['name']})")
                for permission in technique["permissions"]:
                    lines.append(f"       needs {permission['action']} on {permission['resource']}")
                    for text in [] if brief else evidence_items(permission["granted_by"], hop.source):
                        lines.append(f"         granted by {text}")
                lines.extend(_conditions_lines(hop.conditions, hop.alternatives))
                continue
            lines.append(f"  {number}. {hop.source} -> {hop.target} ({hop.action}{' to ' + hop.service if hop.service else ''})")
            for text in [] if brief else evidence_items(hop.granted_by, hop.source):
                lines.append(f"       granted by {text}")
            lines.extend(_conditions_lines(hop.conditions, hop.alternatives))
            for assumed in hop.assumed:
                lines.append(f"       stated: {_assumed_text(assumed)}")
    else:
        lines.append(f"NOT REACHABLE: {result.source} -> {result.target} [{what}]")
        if result.stated is not None:
            for assumed in result.stated.assumed:
                lines.append(f"  stated: {_assumed_text(assumed.to_dict())}")
    if result.escalation and not result.reachable:
        if result.near_misses:
            lines.append("No chain of assume and technique hops; the techniques that come closest:")
            for miss in result.near_misses:
                lines.append(f"  - {miss['technique']} ({miss['name']}):")
                for missing in miss["missing"]:
                    if missing.get("after"):  # the technique holds, but the principal is still capped after it
                        lines.append(f"      it holds, but afterwards {missing['action']} on {missing['resource']} "
                                     "is still denied:")
                    else:
                        lines.append(f"      {missing['action']} on {missing['resource']}")
                    for blocker in missing["blockers"]:
                        lines.append(f"        [{blocker['layer']}, {blocker['effect'].replace('_', ' ')}] {blocker['message']}")
        else:
            lines.append("No chain of assume and technique hops, and no technique of the catalogue applies to "
                         "these two (a pass or trust rewrite needs a role of the caller's own account).")
    elif result.blockers:
        lines.append("The direct request is denied:" if result.reachable else "Why the direct request is denied:")
        for blocker in result.blockers:
            lines.append(f"  - [{blocker.layer}, {blocker.effect.replace('_', ' ')}] {blocker.message}")
    if result.reported is not None and result.reported.policy_type:
        lines.append(f"The error text blamed: {result.reported.policy_type} ({result.reported.effect or 'unspecified'}); "
                     "AWS names only one policy type even when several block.")
        if result.reported.policy_type_modelled is False:
            lines.append(f"graphiam cannot see a {result.reported.policy_type.replace('_', ' ')}: a snapshot does not "
                         "hold it, so the fix is to change that policy where the request is made.")
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
    omitted = set(omit_warnings)
    for warning in result.warnings:
        if warning not in omitted:
            lines.append(f"warning: {warning}")
    return safe_lines(lines)


def _conditions_lines(conditions: Iterable[Mapping], alternatives: Iterable[Iterable[Mapping]]) -> list[str]:
    """A hop's requirements: ``only if`` each, or, with alternatives, ``only if one of`` the sets."""
    sets = [list(conditions), *(list(more) for more in alternatives)]
    if len(sets) == 1:
        return [f"       only if {requirement['text']}" for requirement in sets[0]]
    lines = ["       only if one of:"]
    for number, requirements in enumerate(sets, 1):
        lines.append(f"         ({number}) " + " and ".join(r["text"] for r in requirements))
    return lines


def _assumed_text(assumed: Mapping) -> str:
    values = ", ".join(assumed["values"])
    return f"{assumed['key']} {assumed['operator']} {values}: {'holds' if assumed['held'] else 'does not hold'}"


# short names of the request-time condition keys people meet most (maps, tables)
SHORT_KEYS = {
    "aws:multifactorauthpresent": "MFA",
    "aws:multifactorauthage": "MFA age",
    "sts:externalid": "ExternalId",
    "aws:sourceip": "SourceIp",
    "aws:sourcevpc": "SourceVpc",
    "aws:sourcevpce": "SourceVpce",
    "aws:currenttime": "time",
    "sts:rolesessionname": "session name",
    "sts:sourceidentity": "SourceIdentity",
    "iam:associatedresourcearn": "resource",
}


def condition_label(keys: Iterable[str]) -> str:
    """Short names for request-time condition keys, each once: ``MFA, ExternalId``; other keys by their last
    part (``aws:PrincipalTag/team`` is ``team``)."""
    labels: list[str] = []
    for key in keys:
        short = SHORT_KEYS.get(key.lower()) or key.split("/")[-1].split(":")[-1]
        if short not in labels:
            labels.append(short)
    return ", ".join(labels)


ELLIPSIS = "..."
_MIN_ARN_WIDTH = 28  # narrower than this, an ARN says too little to be worth shortening further
_MIN_VIA_WIDTH = 20
_MIN_NOTES_WIDTH = 20  # notes are cut at the end only down to this; narrower, they run past the edge


def shorten_middle(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters: its start and its end around ``...`` (an ARN's account and
    its name both stay visible)."""
    if len(text) <= width:
        return text
    if width <= len(ELLIPSIS):
        return text[:width]
    keep = width - len(ELLIPSIS)
    head = keep * 2 // 5  # the end (a role's name) says more than the start (arn:aws:iam::)
    return text[:head] + ELLIPSIS + text[len(text) - (keep - head):]


def _row_notes(row: ReachRow) -> str:
    notes = []
    if row.service:
        notes.append(f"to {row.service}")
    if row.conditional:
        notes.append(f"conditional: {condition_label(row.conditions)}" if row.conditions else "conditional")
    if row.kind not in ("user", "role"):
        notes.append(row.kind)
    if row.techniques:
        notes.append("by " + " then ".join(row.techniques))
    if row.subject:
        notes.append(f"subject: {row.subject}")
    return ", ".join(notes)


def rows_text(rows: list[ReachRow], heading: str, facts: Iterable[Mapping] = (), width: int | None = None) -> str:
    """A ``reach`` or ``who-can`` table under ``heading``, then the trust facts of the subject.

    Columns: hops, action, arn, via (the hop next to the row on its path, ``-``
    when it is one hop away) and notes (the service a role is passed to,
    ``conditional: MFA, ExternalId``, the kind of a non-IAM source). With
    ``width`` (the terminal's), the via and then the arn column are shortened
    in the middle until the table fits, never below a useful width (20 and 28
    characters), then the notes are cut at their end (not below 20; narrower
    than that, they run past the edge). The JSON rows always hold everything.
    """
    lines = [heading]
    if not rows:
        lines.append("  (none)")
    else:
        arns = {r.arn: terminal_safe(r.arn, one_line=True) for r in rows}  # the width of what is printed
        vias = {r.arn: terminal_safe(r.via, one_line=True) if r.via else "-" for r in rows}
        notes = [_row_notes(r) for r in rows]
        actions = [terminal_safe(r.action, one_line=True) for r in rows]
        acts = max(6, *(len(a) for a in actions))
        arn_width = max(3, *(len(a) for a in arns.values()))
        via_width = max(3, *(len(v) for v in vias.values()))
        note_width = max(len("notes"), *(len(n) for n in notes))
        if width is not None:
            fixed = 2 + 4 + 2 + acts + 1 + 2 + 2  # indent, hops, gaps, action, the gaps around arn and via
            spare = width - fixed - note_width  # below the minimum widths, the last column runs over
            while arn_width + via_width > spare and (arn_width > _MIN_ARN_WIDTH or via_width > _MIN_VIA_WIDTH):
                if via_width > _MIN_VIA_WIDTH:  # via gives way first: the row's own ARN matters more
                    via_width -= 1
                else:
                    arn_width -= 1
        lines.append(f"  {'hops':>4}  {'action':<{acts}} {'arn':<{arn_width}}  {'via':<{via_width}}  notes")
        room = None if width is None else width - (2 + 4 + 2 + acts + 1 + arn_width + 2 + via_width + 2)
        for row, action, note in zip(rows, actions, notes):
            arn = shorten_middle(arns[row.arn], arn_width)
            via = shorten_middle(vias[row.arn], via_width)
            if room is not None and len(note) > room >= _MIN_NOTES_WIDTH:  # the notes' end gives way last
                note = note[:room - len(ELLIPSIS)] + ELLIPSIS
            lines.append(f"  {row.hops:>4}  {action:<{acts}} {arn:<{arn_width}}  {via:<{via_width}}  {note}".rstrip())
    for fact in facts:
        what = _FACT_MEANINGS.get(fact["kind"], fact["kind"])
        only_if = fact.get("conditions") or ()
        lines.append(f"  note: its trust policy names {fact['principal']}: {what}"
                     + (f", only if {' and '.join(only_if)}" if only_if else ""))
    return safe_lines(lines)


def indented(text: str, prefix: str = "   ") -> str:
    """``text`` with every line indented (check results under their heading)."""
    return "\n".join(prefix + line for line in text.splitlines())
