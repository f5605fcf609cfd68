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
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.parse
from pathlib import Path
from typing import Iterable, Sequence

from ..queries.findings import Finding, Rule
from .files import write_atomically

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/graphiam/"
FINGERPRINT = "graphiamFinding/v1"
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}
_ARN_LINE = re.compile(r'"Arn"\s*:\s*"(arn:[^"]+:role/[^"]*)"')
_SID_LINE = re.compile(r'"Sid"\s*:\s*"([^"]*)"')


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

    def __init__(self) -> None:
        self._files: dict[str, dict[str, tuple[int, dict[str, int]]]] = {}

    def line(self, source: str | None, role: str | None, sid: str | None) -> int:
        if not source or not role:
            return 1
        table = self._files.get(source)
        if table is None:
            table = self._files[source] = self._read(source)
        found = table.get(role)
        if found is None:
            return 1
        start, sids = found
        return sids.get(sid, start) if sid else start

    @staticmethod
    def _read(source: str) -> dict[str, tuple[int, dict[str, int]]]:
        table: dict[str, tuple[int, dict[str, int]]] = {}
        try:
            with open(source, encoding="utf-8", errors="replace") as handle:
                current: str | None = None
                for number, text in enumerate(handle, start=1):
                    arn = _ARN_LINE.search(text)
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
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": "graphiam", "version": tool_version, "semanticVersion": tool_version,
                                "informationUri": INFORMATION_URI, "rules": [_rule_entry(r) for r in rules]}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def sarif_text(log: dict) -> str:
    """The log as JSON text (ASCII, so any snapshot string survives exactly), ending in a newline."""
    return json.dumps(log, indent=2, ensure_ascii=True) + "\n"


def write_sarif(path: str | os.PathLike[str], findings: Iterable[Finding], rules: Sequence[Rule],
                tool_version: str, base: str | os.PathLike[str] | None = None) -> None:
    """Write :func:`sarif_log` to ``path`` whole or not at all."""
    write_atomically(path, sarif_text(sarif_log(findings, rules, tool_version, base)))
