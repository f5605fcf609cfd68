"""The results of ``graphiam check``: one outcome per entry, as text, JSON and JUnit XML.

An entry ends in one of four statuses:

* ``pass``: a path check whose answer is what it expects;
* ``fail``: a path check whose answer is not (exit code 1);
* ``error``: an entry graphiam could not evaluate: a malformed entry, an
  unknown name, a message that is not an AccessDenied text (exit code 2);
* ``explained``: a ticket (``{"why": ...}``), explained; it asserts nothing.

JUnit XML follows the shape CI systems read (Jenkins' ``junit-10.xsd``,
GitLab, GitHub test reporters): ``<testsuites>`` holding one ``<testsuite>``
with ``name``, ``tests``, ``failures``, ``errors``, ``skipped`` and ``time``,
and one ``<testcase name classname time>`` per entry; a failed check carries
``<failure message type>`` with the whole explanation (blockers and fix) as
its text, an entry that could not be evaluated ``<error message type>``, and
a ticket its explanation as ``<system-out>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from ..queries.answer import PathAnswer
from .text import path_text

PASS, FAIL, ERROR, EXPLAINED = "pass", "fail", "error", "explained"


@dataclass(frozen=True)
class CheckOutcome:
    """One entry of a check file, decided (``result``) or not (``error``)."""

    index: int
    name: str
    kind: str  # "path" or "why"
    status: str  # PASS, FAIL, ERROR or EXPLAINED
    expect: str | None = None
    result: PathAnswer | None = None
    error: str | None = None
    seconds: float = 0.0
    summary: str | None = None  # a findings check: the one-line count (and ids) said in its heading
    detail: str | None = None  # a findings check: the findings, said under a failing heading

    @property
    def label(self) -> str:
        """The entry's name, or ``checks[i]`` when it has none."""
        return self.name or f"checks[{self.index}]"

    def to_dict(self) -> dict:
        out: dict = {"name": self.name, "kind": self.kind, "status": self.status,
                     "passed": {PASS: True, FAIL: False}.get(self.status)}
        if self.expect is not None:
            out["expect"] = self.expect
        if self.error is not None:
            out["error"] = self.error
        if self.result is not None:
            out["result"] = self.result.to_dict()
        if self.summary is not None:
            out["summary"] = self.summary
        return out


@dataclass(frozen=True)
class CheckSummary:
    outcomes: tuple[CheckOutcome, ...]

    def named(self, status: str) -> list[CheckOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def exit_status(self) -> str:
        """``error`` when any entry could not be evaluated, else ``fail`` when any failed, else ``pass``."""
        if self.named(ERROR):
            return ERROR
        return FAIL if self.named(FAIL) else PASS

    def line(self) -> str:
        """The closing line: counts, then every failing and unevaluated check by name."""
        passed, failed, errors = (len(self.named(s)) for s in (PASS, FAIL, ERROR))
        text = f"{passed} of {passed + failed} checks hold; {len(self.named(EXPLAINED))} ticket(s) explained"
        if errors:
            text += f"; {errors} could not be evaluated"
        if failed:
            text += "; failed: " + ", ".join(o.label for o in self.named(FAIL))
        if errors:
            text += "; not evaluated: " + ", ".join(o.label for o in self.named(ERROR))
        return text


def heading(outcome: CheckOutcome) -> str:
    """The outcome's first line: ``== PASS  name  (expect reachable)``, ``== ERROR  name: what is wrong`` ..."""
    if outcome.status == ERROR:
        return f"== ERROR  {outcome.label}: {outcome.error}"
    if outcome.status == EXPLAINED:
        return f"== TICKET  {outcome.label}"
    if outcome.summary is not None:
        return f"== {outcome.status.upper()}  {outcome.label}  ({outcome.summary}; expect {outcome.expect})"
    return f"== {outcome.status.upper()}  {outcome.label}  (expect {outcome.expect})"


def body(outcome: CheckOutcome, omit_warnings: Iterable[str] = ()) -> str | None:
    """What is said under the heading: nothing for a pass or an error, the whole story (with the fix) for a
    failure (a findings check: its findings), the explanation for a ticket."""
    if outcome.status in (PASS, ERROR):
        return None
    if outcome.detail is not None:
        return outcome.detail
    if outcome.result is None:
        return None
    return path_text(outcome.result, False, omit_warnings)


def junit_xml(summary: CheckSummary, suite: str, omit_warnings: Sequence[str] = ()) -> bytes:
    """The outcomes as a JUnit XML document (UTF-8, with its declaration)."""
    import xml.etree.ElementTree as ET  # only check --junit needs it

    outcomes = summary.outcomes
    total_time = sum(o.seconds for o in outcomes)
    root = ET.Element("testsuites", {
        "name": "graphiam check", "tests": str(len(outcomes)), "failures": str(len(summary.named(FAIL))),
        "errors": str(len(summary.named(ERROR))), "time": f"{total_time:.3f}"})
    element = ET.SubElement(root, "testsuite", {
        "name": _xml_text(suite), "tests": str(len(outcomes)), "failures": str(len(summary.named(FAIL))),
        "errors": str(len(summary.named(ERROR))), "skipped": "0", "time": f"{total_time:.3f}"})
    for outcome in outcomes:
        case = ET.SubElement(element, "testcase", {
            "name": _xml_text(outcome.label), "classname": _xml_text(f"graphiam.check.{outcome.kind}"),
            "time": f"{outcome.seconds:.3f}"})
        text = body(outcome, omit_warnings)
        if outcome.status == FAIL:
            if outcome.result is None:
                message = f"{outcome.summary}, but expected {outcome.expect}"
            else:
                message = ("reachable, but expected unreachable" if outcome.result.reachable
                           else "not reachable, but expected reachable")
            failure = ET.SubElement(case, "failure", {"message": message, "type": "graphiam.CheckFailed"})
            failure.text = _xml_text(text or "")
        elif outcome.status == ERROR:
            error = ET.SubElement(case, "error", {"message": _xml_text(outcome.error or ""),
                                                  "type": "graphiam.NotEvaluated"})
            error.text = _xml_text(outcome.error or "")
        elif text:
            ET.SubElement(case, "system-out").text = _xml_text(text)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _xml_text(value: str) -> str:
    """``value`` as XML 1.0 can hold it: characters it forbids (control characters, lone surrogates) escaped."""
    out = []
    for char in value:
        code = ord(char)
        if code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF:
            out.append(char)
        else:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return "".join(out)
