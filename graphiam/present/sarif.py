"""Findings as a SARIF 2.1.0 log, for GitHub code scanning and every other SARIF reader.

One run whose ``tool.driver`` is graphiam with its rules (id, name, short and
full description, help, default level, and GitHub's ``security-severity``),
and one result per finding: its rule, level, message (with the fix), a
physical location (the snapshot file the role was read from, relative to
``base`` when it lies under it, at the line of the role, or of its trust
statement's Sid when the file has one there) and logical locations (the
role's ARN and the statement), and a partial fingerprint that hashes rule,
role, policy, statement and subject, so a result keeps its identity from
one export to the next.

The shape follows the OASIS standard (https://docs.oasis-open.org/sarif/sarif/v2.1.0/)
and GitHub's reading of it ("SARIF support for code scanning",
https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning):
``ruleId``, ``message.text`` and ``physicalLocation.artifactLocation.uri``
on every result, ``region.startLine`` at least 1.

:func:`diff_sarif_log` is the log of ``graphiam diff --sarif``: one run whose
results are the paths a change opens to sensitive targets (rule
:data:`NEW_PATH_RULE`, ``GIAMD001``: the chain in the message, the first
statement that grants a new hop as the location, the other statements of the
new hops as related locations) and the findings the change adds (their own
rules), each with ``baselineState`` ``new``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from ..queries.diff import GraphDiff, ReachChange
from ..queries.findings import IAM, RULES, Finding, Rule
from ..snapshot.model import Snapshot
from .diff_text import chain_line, statements_text
from .files import write_atomically

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/graphiam/"
FINGERPRINT = "graphiamFinding/v1"
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}
_ARN_LINE = re.compile(r'"Arn"\s*:\s*"(arn:[^"]+:role/[^"]*)"')
_SID_LINE = re.compile(r'"Sid"\s*:\s*"([^"]*)"')
# what holds a policy in an account file: a principal (its inline policies and, for a role, its trust) or a
# managed policy (its versions)
_HOLDER_LINE = re.compile(r'"Arn"\s*:\s*"(arn:[^"]+:(?:role|user|group|policy)/[^"]*)"')
NEW_PATH_FINGERPRINT = "graphiamNewPath/v1"


def fingerprint(finding: Finding) -> str:
    """The stable identity of a finding: SHA-256 of its rule, role, policy, statement (Sid, else position)
    and subject."""
    return hashlib.sha256("\x1f".join(finding.key).encode("utf-8", "surrogatepass")).hexdigest()


def artifact_uri(source: str | None, base: str | os.PathLike[str] | None = None) -> str:
    """The URI of a snapshot file: a relative path (``/``-separated, percent-encoded) when it lies under
    ``base`` (the current folder by default), else an absolute ``file:`` URI; ``.`` when unknown.

    A relative ``source`` is relative to the current folder, as it was read."""
    if not source:
        return "."
    path = Path(source)
    absolute = (path if path.is_absolute() else Path.cwd() / path).resolve()
    root = (Path(base) if base is not None else Path.cwd()).resolve()
    try:
        relative = absolute.relative_to(root)
    except ValueError:
        return absolute.as_uri()
    return urllib.parse.quote(relative.as_posix(), safe="/", errors="surrogatepass")


class _Lines:
    """Where each role (and each of its statements with a Sid) starts in its snapshot file; files read once."""

    def __init__(self, holder: re.Pattern = _ARN_LINE) -> None:
        self._files: dict[str, dict[str, tuple[int, dict[str, int]]]] = {}
        self._holder = holder

    def line(self, source: str | None, role: str | None, sid: str | None) -> int:
        if not source or not role:
            return 1
        table = self._files.get(source)
        if table is None:
            table = self._files[source] = self._read(source, self._holder)
        found = table.get(role)
        if found is None:
            return 1
        start, sids = found
        return sids.get(sid, start) if sid else start

    @staticmethod
    def _read(source: str, holder: re.Pattern = _ARN_LINE) -> dict[str, tuple[int, dict[str, int]]]:
        table: dict[str, tuple[int, dict[str, int]]] = {}
        try:
            with open(source, encoding="utf-8", errors="replace") as handle:
                current: str | None = None
                for number, text in enumerate(handle, start=1):
                    arn = holder.search(text)
                    if arn:
                        current = arn.group(1)
                        table.setdefault(current, (number, {}))
                        continue
                    sid = _SID_LINE.search(text)
                    if sid and current is not None:
                        table[current][1].setdefault(sid.group(1), number)
        except OSError:
            return {}
        return table


def _rule_entry(rule: Rule) -> dict:
    help_text = f"{rule.description}\n\nFix: {rule.fix}\n\nSee {rule.help_uri}"
    help_markdown = f"{rule.description}\n\n**Fix:** {rule.fix}\n\nSee [the AWS documentation]({rule.help_uri})."
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "help": {"text": help_text, "markdown": help_markdown},
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": rule.level},
        "properties": {
            "security-severity": rule.security_severity,
            "problem.severity": _PROBLEM_SEVERITY[rule.level],
            "precision": "high",
            "severity": rule.severity,
            "tags": list(rule.tags),
        },
    }


def _logical_locations(finding: Finding) -> list[dict]:
    if finding.role is None:
        return [{"name": finding.subject or finding.rule, "fullyQualifiedName": finding.subject or finding.rule,
                 "kind": "principal"}]
    name = finding.role.rsplit("/", 1)[-1]
    out = [{"name": name, "fullyQualifiedName": finding.role, "kind": "resource"}]
    label = finding.statement_label
    if label is not None:
        policy = "trust policy" if finding.policy in (None, finding.role) else finding.policy
        out.append({"name": f"statement {label}", "fullyQualifiedName": f"{finding.role} {policy} statement {label}",
                    "kind": "member"})
    return out


def _result(finding: Finding, index: int, lines: _Lines, base) -> dict:
    """One finding as a SARIF result."""
    location = {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(finding.source, base)},
            "region": {"startLine": lines.line(finding.source, finding.role, finding.sid)},
        },
        "logicalLocations": _logical_locations(finding),
    }
    properties = {"severity": finding.severity, "fix": finding.fix}
    for name in ("role", "account", "policy", "sid", "statement", "subject"):
        value = getattr(finding, name)
        if value is not None:
            properties[name] = value
    return {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": finding.level,
        "message": {"text": f"{finding.message} Fix: {finding.fix}"},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: fingerprint(finding)},
        "properties": properties,
    }


def sarif_log(findings: Iterable[Finding], rules: Sequence[Rule], tool_version: str,
              base: str | os.PathLike[str] | None = None) -> dict:
    """The SARIF 2.1.0 log of ``findings`` (one run); ``rules`` become ``tool.driver.rules`` (every rule a
    finding names must be among them). ``base`` is the folder file URIs are relative to (the current one)."""
    index = {rule.id: number for number, rule in enumerate(rules)}
    lines = _Lines()
    results = []
    for finding in findings:
        if finding.rule not in index:
            raise ValueError(f"finding of rule {finding.rule}, which is not among the rules given")
        results.append(_result(finding, index[finding.rule], lines, base))
    return _log(rules, results, tool_version)


def _log(rules: Sequence[Rule], results: list[dict], tool_version: str, properties: dict | None = None) -> dict:
    """A SARIF 2.1.0 log of one graphiam run."""
    run: dict = {
        "tool": {"driver": {"name": "graphiam", "version": tool_version, "semanticVersion": tool_version,
                            "informationUri": INFORMATION_URI, "rules": [_rule_entry(r) for r in rules]}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if properties is not None:
        run["properties"] = properties
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def sarif_text(log: dict) -> str:
    """The log as JSON text (ASCII, so any snapshot string survives exactly), ending in a newline."""
    return json.dumps(log, indent=2, ensure_ascii=True) + "\n"


def write_sarif(path: str | os.PathLike[str], findings: Iterable[Finding], rules: Sequence[Rule],
                tool_version: str, base: str | os.PathLike[str] | None = None) -> None:
    """Write :func:`sarif_log` to ``path`` whole or not at all."""
    write_atomically(path, sarif_text(sarif_log(findings, rules, tool_version, base)))


# -- graphiam diff --sarif ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DiffRule(Rule):
    """A rule of ``graphiam diff`` (``GIAMD000``): not a finding of one snapshot, a change between two."""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"GIAMD\d{3}", self.id):
            raise ValueError(f"diff rule id {self.id!r} is not of the form GIAMD000")


NEW_PATH_RULE = DiffRule(
    "GIAMD001", "NewPathToSensitiveRole", "A change opens a path to a sensitive role",
    "The new snapshot lets a principal reach, by a chain of role assumptions, a sensitive role (one matching "
    "graphiam diff --sensitive, a check file's sensitive targets, or an administrator for 'admin') that it could "
    "not reach in the old snapshot. The message gives the chain and the statements that grant its new hops.",
    "Remove or narrow the statement that grants the new hop (the location), or confirm that the principal "
    "should reach the role.",
    "high", "error", IAM + "best-practices.html#grant-least-privilege", "diff_new_path",
    tags=("security", "iam", "change-review"))


def new_path_fingerprint(change: ReachChange) -> str:
    """The stable identity of an opened path: SHA-256 of the rule, its source and its target."""
    text = "\x1f".join((NEW_PATH_RULE.id, change.source, change.target))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _holder(entry: dict) -> str | None:
    """What holds a statement's policy in a snapshot file: the role (trust), a managed policy (its ARN), or
    the principal an inline policy is on."""
    policy = str(entry.get("policy") or "")
    if entry.get("layer") == "trust":
        return policy or entry.get("attached_to")
    if ":policy/" in policy:
        return policy
    return entry.get("attached_to") or policy or None


def _file_of(entry: dict, snapshot: Snapshot | None) -> str | None:
    if snapshot is None:
        return None
    if entry.get("layer") in ("scp", "rcp"):
        return snapshot.organization.source if snapshot.organization is not None else None
    account = snapshot.accounts.get(str(entry.get("account") or ""))
    return account.source if account is not None else None


def _statement_location(entry: dict, source: str, snapshot: Snapshot | None, lines: _Lines, base) -> dict:
    holder = _holder(entry)
    file = _file_of(entry, snapshot)
    sid = entry.get("sid")
    line = lines.line(file, holder, sid)
    if line == 1 and holder != entry.get("attached_to") and entry.get("attached_to"):
        line = lines.line(file, entry["attached_to"], sid)  # an AWS managed policy: at the principal it is on
    label = sid or f"#{entry.get('statement')}"
    logical = []
    if holder:
        logical.append({"name": holder.rsplit("/", 1)[-1], "fullyQualifiedName": holder, "kind": "resource"})
    what = "trust policy" if entry.get("layer") == "trust" else str(entry.get("policy"))
    logical.append({"name": f"statement {label}", "fullyQualifiedName": f"{holder or ''} {what} statement {label}"
                    .strip(), "kind": "member"})
    return {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(file, base)}, "region": {"startLine": line}},
            "logicalLocations": logical,
            "message": {"text": statements_text([entry], source)}}


def _target_location(change: ReachChange, snapshot: Snapshot | None, lines: _Lines, base) -> dict:
    account = snapshot.accounts.get(change.target.split(":")[4]) if snapshot is not None and \
        change.target.count(":") >= 5 else None
    file = account.source if account is not None else None
    return {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(file, base)},
                                 "region": {"startLine": lines.line(file, change.target, None)}},
            "logicalLocations": [{"name": change.target.rsplit("/", 1)[-1], "fullyQualifiedName": change.target,
                                  "kind": "resource"}]}


def _new_path_result(change: ReachChange, index: int, snapshot: Snapshot | None, lines: _Lines, base) -> dict:
    made = set(change.because)
    new_hops = [hop for hop in change.path if (hop.source, hop.target) in made]
    statements = [(dict(entry), hop.source) for hop in new_hops for entry in hop.granted_by]
    edges = "; ".join(f"{hop.source} -> {hop.target} granted by "
                      f"{statements_text(hop.granted_by, hop.source) or '(no statement recorded)'}"
                      for hop in new_hops)
    message = f"New path to sensitive role {change.target}: {chain_line(change)}."
    if change.reason:
        message += f" {change.target} is a {change.reason}: whoever reached it reaches an administrator now."
    if edges:
        message += f" New edge(s): {edges}."
    if statements:
        entry, source = statements[0]
        location = _statement_location(entry, source, snapshot, lines, base)
        location.pop("message")
        related = [{"id": number, **_statement_location(e, s, snapshot, lines, base)}
                   for number, (e, s) in enumerate(statements[1:], start=1)]
    else:
        location, related = _target_location(change, snapshot, lines, base), []
    properties: dict = {"severity": NEW_PATH_RULE.severity, "source": change.source, "target": change.target,
                        "chain": [change.source] + [hop.target for hop in change.path],
                        "new_edges": [list(pair) for pair in change.because], "accounts": list(change.accounts),
                        "fix": NEW_PATH_RULE.fix}
    if change.reason:
        properties["reason"] = change.reason
    result = {"ruleId": NEW_PATH_RULE.id, "ruleIndex": index, "level": NEW_PATH_RULE.level,
              "message": {"text": message}, "locations": [location],
              "partialFingerprints": {NEW_PATH_FINGERPRINT: new_path_fingerprint(change)},
              "baselineState": "new", "properties": properties}
    if related:
        result["relatedLocations"] = related
    return result


def diff_sarif_log(diff: GraphDiff, tool_version: str, snapshot: Snapshot | None = None,
                   base: str | os.PathLike[str] | None = None, rules: Sequence[Rule] = RULES) -> dict:
    """The SARIF 2.1.0 log of a snapshot diff (one run): a :data:`NEW_PATH_RULE` result per path opened to a
    sensitive target, and a result per finding added (``rules`` and :data:`NEW_PATH_RULE` are the run's
    rules). ``snapshot`` is the new snapshot, whose files the locations point into (``.`` without it);
    ``base`` as in :func:`sarif_log`."""
    every = (*rules, NEW_PATH_RULE)
    index = {rule.id: number for number, rule in enumerate(every)}
    holders, roles = _Lines(_HOLDER_LINE), _Lines()
    results = [_new_path_result(change, index[NEW_PATH_RULE.id], snapshot, holders, base) for change in diff.opened]
    for change in diff.findings_added:
        finding = change.finding
        if finding.rule not in index:
            raise ValueError(f"finding of rule {finding.rule}, which is not among the rules given")
        results.append({**_result(finding, index[finding.rule], roles, base), "baselineState": "new"})
    return _log(every, results, tool_version, {"sensitive": list(diff.sensitive), "summary": diff.to_dict()["summary"]})


def write_diff_sarif(path: str | os.PathLike[str], diff: GraphDiff, tool_version: str,
                     snapshot: Snapshot | None = None, base: str | os.PathLike[str] | None = None) -> None:
    """Write :func:`diff_sarif_log` to ``path`` whole or not at all."""
    write_atomically(path, sarif_text(diff_sarif_log(diff, tool_version, snapshot, base)))
