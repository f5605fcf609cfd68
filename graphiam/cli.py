"""The command line: a thin layer over :mod:`graphiam.access`; its text comes from :mod:`graphiam.present.text`.

Exit codes (:class:`ExitCode`, documented in the README):
  0    OK: reachable / all checks hold / query answered / written
  1    NOT_REACHABLE: not reachable / a check failed
  2    BAD_INPUT: unreadable or malformed snapshot or check file, unknown or
       ambiguous name, a message that is not an AccessDenied text, bad
       arguments, no credentials
  3    SOME_ACCOUNTS_FAILED: collect: some accounts (or IAM Identity Center)
       could not be collected (the others were)
  70   INTERNAL_ERROR (sysexits' EX_SOFTWARE): a bug in graphiam. Any
       unexpected exception ends with one line on standard error,
       ``graphiam: internal error: <what> (run with --debug for the
       traceback)``; with the global ``--debug`` the traceback is printed
       instead. It is never 1, which CI would read as an answer.
  130  INTERRUPTED: Ctrl-C (KeyboardInterrupt), one line
       ``graphiam: interrupted`` (128 + SIGINT, as shells report it)
  141  PIPE_CLOSED: standard output was closed before the answer was written
       (``graphiam reach X | head``): nothing more is said (128 + SIGPIPE)

Terminal safety: everything the command line writes as text goes through
:func:`_out` / :func:`_line` / :func:`_error` / :func:`_warning`, which pass it
through :func:`graphiam.present.text.terminal_safe`: control characters,
escape sequences, lone surrogates and whatever the stream's encoding cannot
hold, from snapshot strings, check files or arguments, are shown escaped
(``\\x1b``), never sent raw. Errors and warnings are one line each (a newline
in them is escaped). ``--json`` output is ``json.dumps`` with ``ensure_ascii``:
ASCII only, so it passes through unchanged.
"""

from __future__ import annotations

import argparse
import enum
import json
import os
import sqlite3
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Sequence, TextIO

from .access import (AccessGraph, PathResult, first_path_answer, graph_in_processes, load_with_report,
                     parallel_build_pays)
from .gcpause import freeze_survivors
from .policy import ASSUME_ROLE, PASS_ROLE
from .progress import SILENT, Progress
from .present.checks import ERROR, EXPLAINED, FAIL, PASS, CheckOutcome, CheckSummary, junit_xml
from .present.checks import body as check_body
from .present.checks import heading as check_heading
from .present.text import indented, rows_text, terminal_safe
from .queries.denied import DeniedMessageError
from .queries.errors import QueryError, json_type
from .queries.paths import ReachRow
from .queries.resolve import UnknownPrincipalError
from .snapshot.read import SnapshotError
from .version import __version__


class ExitCode(enum.IntEnum):
    """graphiam's exit codes: the one list (see the module docstring and the README)."""

    OK = 0
    NOT_REACHABLE = 1
    BAD_INPUT = 2
    SOME_ACCOUNTS_FAILED = 3
    INTERNAL_ERROR = 70  # sysexits.h EX_SOFTWARE
    INTERRUPTED = 130  # 128 + SIGINT
    PIPE_CLOSED = 141  # 128 + SIGPIPE


# the names the rest of this module (and older callers) use
EXIT_OK = ExitCode.OK
EXIT_NOT_REACHABLE = ExitCode.NOT_REACHABLE
EXIT_BAD_INPUT = ExitCode.BAD_INPUT
EXIT_SOME_ACCOUNTS_FAILED = ExitCode.SOME_ACCOUNTS_FAILED
EXIT_INTERNAL_ERROR = ExitCode.INTERNAL_ERROR
EXIT_INTERRUPTED = ExitCode.INTERRUPTED
EXIT_PIPE_CLOSED = ExitCode.PIPE_CLOSED

# an internal error's one line says at most this much of the exception's message
_INTERNAL_MESSAGE_LIMIT = 300


# -- writing: every line of text graphiam prints passes here ---------------------------------------

def _encoding(stream: TextIO) -> str:
    return getattr(stream, "encoding", None) or "utf-8"


def _out(text: str) -> None:
    """Rendered text (maybe many lines, ours) on standard output, escaped for the terminal."""
    stream = sys.stdout
    _write_stdout(stream, terminal_safe(text, encoding=_encoding(stream)) + "\n")


def _line(text: str) -> None:
    """One line on standard output; a newline inside it is escaped."""
    stream = sys.stdout
    _write_stdout(stream, terminal_safe(text, one_line=True, encoding=_encoding(stream)) + "\n")


def _write_stdout(stream: TextIO, text: str) -> None:
    try:
        stream.write(text)
    except BrokenPipeError:
        raise _StdoutClosed() from None


def _stderr_line(text: str) -> None:
    stream = sys.stderr
    try:
        stream.write(terminal_safe(text, one_line=True, encoding=_encoding(stream)) + "\n")
    except BrokenPipeError:  # nobody reads standard error any more: nothing can be said
        pass


def _error(message: object) -> None:
    """``graphiam: error: <message>``: one line on standard error."""
    _stderr_line(f"graphiam: error: {message}")


def _warning(message: object) -> None:
    _stderr_line(f"graphiam: warning: {message}")


def _json(value: Any) -> None:
    """One JSON value on standard output (ASCII: ``ensure_ascii`` escapes everything else, lone surrogates too)."""
    _out(json.dumps(value, indent=2))


class CheckFileError(ValueError):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse with graphiam's one-line errors (exit code 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        _error(f"{self.prog}: {message} (see '{self.prog} --help')")
        sys.exit(EXIT_BAD_INPUT)


_DEBUG_HELP = "on an internal error (exit code 70), print the traceback instead of one line"

# the options every command understands before or after its name (``graphiam --json path ...`` or
# ``graphiam path ... --json``); the copy after the command has its own ``dest`` and is merged in
# :func:`_merge_globals`, so that ``--data`` given in both places adds up
_GLOBAL_FLAGS = {
    "--no-cache": "build the graph afresh instead of reusing the cached one (see README: cache)",
    "--json": "print one JSON object (no progress)",
    "--quiet": "no progress and no informational lines; check: only the failures and the summary",
    "--debug": _DEBUG_HELP,
}
_DATA_HELP = "snapshot file or folder (scanned recursively); repeatable"
# the commands that read a snapshot (--data is required for them)
_DATA_COMMANDS = ("path", "why", "reach", "who-can", "check", "map", "export", "build", "privesc", "findings")
_ACTIONS = {ASSUME_ROLE.lower(): ASSUME_ROLE, PASS_ROLE.lower(): PASS_ROLE}


def _action(text: str) -> str:
    """``--action``: IAM action names are case-insensitive (``iam:passrole`` is ``iam:PassRole``)."""
    canonical = _ACTIONS.get(text.strip().lower())
    if canonical is None:
        raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose {ASSUME_ROLE} or {PASS_ROLE})")
    return canonical


def _global_options(parser: argparse.ArgumentParser, after_command: bool) -> None:
    """The global options, on the top-level parser (``after_command`` False) or on a command's."""
    prefix = "sub_" if after_command else ""
    default = argparse.SUPPRESS if after_command else None
    parser.add_argument("--data", action="append", dest=prefix + "data", default=default, metavar="PATH",
                        help=_DATA_HELP)
    for flag, help_text in _GLOBAL_FLAGS.items():
        dest = prefix + flag.lstrip("-").replace("-", "_")
        parser.add_argument(flag, action="store_true", dest=dest,
                            default=argparse.SUPPRESS if after_command else False, help=help_text)


def _merge_globals(args: argparse.Namespace) -> argparse.Namespace:
    """Global options given after the command count as given before it; ``--data`` from both places adds up."""
    data = list(args.data or []) + list(getattr(args, "sub_data", None) or [])
    args.data = data
    for flag in _GLOBAL_FLAGS:
        name = flag.lstrip("-").replace("-", "_")
        setattr(args, name, bool(getattr(args, name, False) or getattr(args, "sub_" + name, False)))
    for name in ["sub_data"] + ["sub_" + f.lstrip("-").replace("-", "_") for f in _GLOBAL_FLAGS]:
        if hasattr(args, name):
            delattr(args, name)
    return args


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="graphiam", description="Who can reach which AWS IAM role, and why not.",
                     epilog="Global options (--data, --no-cache, --json, --quiet, --debug) go before or after "
                            "the command. Exit codes: 0 OK/reachable, 1 not reachable/a check failed, 2 bad input "
                            "or a check that could not be evaluated, 3 some accounts failed (collect), 70 internal "
                            "error, 130 interrupted, 141 output closed.")
    parser.add_argument("--version", action="version", version=f"graphiam {__version__}")
    _global_options(parser, after_command=False)
    after = _Parser(add_help=False)
    _global_options(after, after_command=True)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, **kw: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[after], **kw)

    def context(p: argparse.ArgumentParser) -> None:
        p.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                       help="what the request carries, e.g. aws:MultiFactorAuthPresent=true (repeatable; "
                            "a key given twice has both values): conditions on it are decided, not listed")

    def action(p: argparse.ArgumentParser, help_text: str | None = None) -> None:
        p.add_argument("--action", default=ASSUME_ROLE, type=_action, metavar="{sts:AssumeRole,iam:PassRole}",
                       help=help_text or "the action asked about (case-insensitive; default sts:AssumeRole)")

    def escalation(p: argparse.ArgumentParser) -> None:
        p.add_argument("--escalation", action="store_true",
                       help="also follow privilege-escalation techniques (PassRole + a service, trust rewrites, "
                            "user takeovers): what SOURCE can end up with, by any route")

    p = command("path", help="can SOURCE reach TARGET? the chain, or why not and the fix")
    p.add_argument("source", help="a user or role (ARN, ACCOUNT:role/NAME, a unique name), an outside principal's "
                                  "ARN, or with --provider the subject a provider's tokens carry")
    p.add_argument("target")
    p.add_argument("--provider", metavar="PROVIDER",
                   help="SOURCE is a subject of this identity provider (token.actions.githubusercontent.com, "
                        "an EKS oidc.eks.* host, a SAML provider's name, or an ARN), e.g. "
                        "repo:org/app:ref:refs/heads/main")
    escalation(p)
    action(p)
    p.add_argument("--service", help="with --action iam:PassRole: the service principal, e.g. ec2.amazonaws.com")
    context(p)

    p = command("why", help="explain a pasted AccessDenied message")
    p.add_argument("message", nargs="?", help="the error text; '-', or none with a pipe or file on standard "
                                             "input, reads it from standard input")
    p.add_argument("--service", help="for an iam:PassRole message: the service the role was passed to")
    context(p)

    p = command("reach", help="roles SOURCE can reach, with hop counts")
    p.add_argument("source")
    escalation(p)
    context(p)

    p = command("who-can", help="principals that can reach TARGET")
    p.add_argument("target")
    escalation(p)
    context(p)

    command("privesc", help="every principal that is not an administrator but can become one, and how")

    p = command("findings", help="risky trusts (open, OIDC, confused deputy, dangling ...), also as SARIF for code scanning")
    p.add_argument("--severity", choices=["high", "medium", "low"], default="low",
                   help="only findings at least this severe (default: all)")
    p.add_argument("--sarif", metavar="FILE.sarif", help="also write SARIF 2.1.0 (GitHub code scanning)")

    p = command("check", help="assert paths that must (or must not) exist, and explain AccessDenied tickets")
    p.add_argument("checks", help="a JSON file: {\"checks\": [{name, source, target, action, service, expect} | {name, why}]}")
    p.add_argument("--junit", metavar="FILE.xml", help="also write the results as JUnit XML (one testcase per check)")

    p = command("map", help="write an access map: self-contained interactive HTML, or a static SVG/PNG picture")
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.add_argument("--format", choices=["html", "svg", "png"], default=None,
                   help="html (interactive, the default), or svg/png through Graphviz' dot; "
                        "default: from FILE's extension, else html")
    p.add_argument("--focus", metavar="ARN", help="only this node's neighbourhood (either direction)")
    p.add_argument("--depth", type=int, default=None, help="with --focus: how many hops around it (default 2)")
    p.add_argument("--account", action="append", default=[], metavar="ID", help="only these accounts (repeatable)")
    p.add_argument("--path", nargs=2, metavar=("SOURCE", "TARGET"), help="highlight the path, or explain why there is none")
    action(p, "with --path (case-insensitive; default sts:AssumeRole)")
    p.add_argument("--service", help="with --path and --action iam:PassRole")
    p.add_argument("--max-nodes", type=int, default=1500, help="refuse larger maps (default 1500)")
    escalation(p)

    p = command("export", help="write the access graph as GraphML, GEXF or JSON Lines (Gephi, Neo4j, jq)")
    p.add_argument("--format", required=True, choices=["graphml", "gexf", "jsonl"])
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write ('-': standard output, jsonl only)")

    p = command("build", help="build (and cache) the access graph; print counts and per-phase timings")
    p.add_argument("--engine", choices=["auto", "local", "processes", "dask"], default="auto",
                   help="auto (the default): processes on a POSIX machine with 2 or more cores, else local; "
                        "processes: partitions on this machine's cores (POSIX); "
                        "dask: on a Dask cluster (pip install 'graphiam[dask]')")
    p.add_argument("--scheduler", metavar="ADDRESS", help="with --engine dask: an existing cluster (default: a local one)")

    p = command("collect", help="export accounts (and with --org the organization) into a snapshot folder")
    p.add_argument("-o", "--output", required=True, metavar="SNAPSHOT_DIR")
    p.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    p.add_argument("--region", help="region for the STS/IAM/Organizations clients (default: the profile's, else us-east-1)")
    p.add_argument("--endpoint-url", help="send every API call here (moto, LocalStack, a VPC endpoint)")
    p.add_argument("--org", action="store_true", help="walk AWS Organizations from the management account or a delegated administrator")
    p.add_argument("--role-name", default="OrganizationAccountAccessRole", help="role assumed in each member account")
    p.add_argument("--account", action="append", default=[], metavar="ID", help="collect only these accounts (repeatable)")
    p.add_argument("--exclude-account", action="append", default=[], metavar="ID", help="skip these accounts (repeatable)")
    p.add_argument("--role-arn", action="append", default=[], metavar="ARN", help="also collect the account of this role, assuming it (repeatable)")
    p.add_argument("--workers", type=int, default=8, help="accounts read in parallel (default 8)")
    p.add_argument("--max-attempts", type=int, default=10, help="attempts per API call under adaptive retries (default 10)")
    p.add_argument("--connect-timeout", type=float, metavar="SECONDS", help="per API call (default: botocore's, 60)")
    p.add_argument("--read-timeout", type=float, metavar="SECONDS", help="per API call (default: botocore's, 60)")
    p.add_argument("--resume", action="store_true", help="skip accounts whose file is already in SNAPSHOT_DIR")
    p.add_argument("--no-identity-center", action="store_true",
                   help="with --org: do not export IAM Identity Center (identity-center.json)")
    p.add_argument("--identity-center-region", metavar="REGION",
                   help="the region of the Identity Center instance (default: --region's)")

    p = command("diff", help="what a change opens: edges and paths added or removed between two snapshots (CI gate)")
    p.add_argument("--old", action="append", required=True, metavar="PATH", help="the snapshot before (repeatable)")
    p.add_argument("--new", action="append", required=True, metavar="PATH", help="the snapshot after (repeatable)")
    p.add_argument("--sensitive", action="append", default=[], metavar="PATTERN",
                   help="only paths to targets matching this ARN glob count, or 'admin': the administrators of "
                        "either snapshot (repeatable; default: every role)")
    p.add_argument("--checks", metavar="CHECKS.json",
                   help="a check file (graphiam check's): its \"sensitive\" list and the targets of its "
                        "\"expect\": \"unreachable\" checks are sensitive targets too")
    p.add_argument("--markdown", metavar="FILE", help="also write a short Markdown pull-request comment")
    p.add_argument("--sarif", metavar="FILE.sarif",
                   help="also write SARIF 2.1.0: the new paths to sensitive targets (GIAMD001) and the findings added")

    p = command("snapshot", help="make a snapshot from another: apply-plan (as it will be once a Terraform plan is "
                                 "applied)")
    snapshot_commands = p.add_subparsers(dest="snapshot_command", required=True, parser_class=_Parser,
                                         metavar="{apply-plan}")
    after_no_data = _Parser(add_help=False)  # the global flags after the command, but --data: apply-plan's own is OLD
    for flag, help_text in _GLOBAL_FLAGS.items():
        after_no_data.add_argument(flag, action="store_true", dest="sub_" + flag.lstrip("-").replace("-", "_"),
                                   default=argparse.SUPPRESS, help=help_text)
    p = snapshot_commands.add_parser("apply-plan", parents=[after_no_data],
                                     help="the snapshot OLD as it will be once a Terraform plan is applied, for "
                                          "graphiam diff --old OLD --new NEW")
    p.add_argument("--data", dest="old", action="append", required=True, metavar="OLD",
                   help="the snapshot before the plan: a file or folder (repeatable); not the global --data")
    p.add_argument("--plan", required=True, metavar="PLAN.json",
                   help="the plan as JSON: terraform show -json plan.out > plan.json")
    p.add_argument("-o", "--output", required=True, metavar="NEW",
                   help="the new snapshot folder: must not exist, or be empty")
    p.add_argument("--account", metavar="ID",
                   help="the account of the changes no ARN in the plan places (needed when OLD holds several)")

    p = command("synth", help="write a synthetic organization snapshot (benchmarks, demos); same arguments, same bytes")
    p.add_argument("--accounts", type=int, required=True, metavar="N", help="how many accounts (about 30 users and 100 roles each)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="writes DIR/organization.json and DIR/accounts/ID.json")
    return parser


def _parse(argv: list[str]) -> argparse.Namespace:
    """The arguments, with the global options merged and the checks argparse cannot express made."""
    parser = _parser()
    args = _merge_globals(parser.parse_args(argv))
    prog = f"graphiam {args.command}"
    if args.command in _DATA_COMMANDS and not args.data:
        _usage_error(prog, "the following arguments are required: --data")
    if args.command not in _DATA_COMMANDS and (args.data or args.no_cache):
        _usage_error(prog, f"{'--data' if args.data else '--no-cache'} is not used by {args.command}")
    if args.command == "map" and args.depth is not None and args.focus is None:
        _usage_error(prog, "--depth needs --focus (it counts hops around the focused node)")
    return args


def _usage_error(prog: str, message: str) -> None:
    _error(f"{prog}: {message} (see '{prog} --help')")
    sys.exit(EXIT_BAD_INPUT)


def _print_result(result: PathResult, as_json: bool) -> None:
    if as_json:
        _json(result.to_dict())
    else:
        _out(result.to_text())


def _print_rows(rows: list[ReachRow], as_json: bool, subject: str, heading: str, facts: list[dict] | None = None,
                warnings: Sequence[str] = (), sign_in_facts: Sequence[dict] | None = None) -> None:
    if as_json:
        out: dict = {"subject": subject, "rows": [r.to_dict() for r in rows]}
        if facts is not None:
            out["trust_facts"] = facts
        if sign_in_facts is not None:
            out["identity_center_facts"] = list(sign_in_facts)
        out["warnings"] = list(warnings)
        _json(out)
        return
    text = rows_text(rows, heading, facts or (), _terminal_width())
    for fact in sign_in_facts or ():
        text += "\n" + _sign_in_fact_text(fact)
    _out(text)


_SIGN_IN_FACTS = {
    "role_not_provisioned": "is assigned in account {account}, but its role is not provisioned there: {who} cannot sign in",
    "trust_denies": "has role {role}, whose trust does not let the Identity Center provider in: {who} cannot sign in",
    "account_not_in_snapshot": "is assigned in account {account}, which the snapshot does not hold",
    "unknown_permission_set": "is assigned in account {account}, but the identity-center file does not describe it",
    "unknown_principal": "is assigned in account {account} to {who}, whom the identity store listing does not hold",
}


def _sign_in_fact_text(fact: dict) -> str:
    """One Identity Center fact as a who-can note line."""
    what = _SIGN_IN_FACTS.get(fact["kind"], fact["kind"]).format(
        account=fact.get("account"), role=fact.get("role"), who=", ".join(fact.get("principals") or ()) or "nobody")
    return f"  note: Identity Center permission set {fact.get('permission_set_name') or fact.get('permission_set')} {what}"


def _terminal_width() -> int | None:
    """The width tables fit in: the terminal's (or ``$COLUMNS``) when standard output is one, else none
    (a pipe or a file gets whole ARNs, as ``ls`` and ``git`` do)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        if not sys.stdout.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    import shutil

    return shutil.get_terminal_size().columns


def _context(args: argparse.Namespace) -> dict[str, list[str]] | None:
    """``--context KEY=VALUE`` (repeatable) as key -> values; ``None`` when none is given."""
    stated: dict[str, list[str]] = {}
    for item in getattr(args, "context", None) or ():
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise QueryError(f"--context {item}: give KEY=VALUE, e.g. aws:MultiFactorAuthPresent=true")
        stated.setdefault(key.strip(), []).append(value)
    return stated or None


# -- check files --------------------------------------------------------------------------------------

_CHECK_STRINGS = ("name", "source", "target", "why")  # must be strings when present
_CHECK_OPTIONAL_STRINGS = ("action", "service")  # a string, or null for the default
ADMIN_TARGET = "admin"  # a check's target meaning "any administrator" (with "escalation": true)


def _load_checks(path: str) -> list[dict]:
    """The entries of a check file, each checked for shape and types; :class:`CheckFileError` (one line,
    naming the file and the entry: ``checks[3].source must be a string``) otherwise."""
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise CheckFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        text = raw.decode("utf-8-sig")  # a byte order mark (Windows editors write one) is accepted
    except UnicodeDecodeError as error:
        raise CheckFileError(f"{path}: not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CheckFileError(f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}") from None
    except RecursionError:
        raise CheckFileError(f"{path}: invalid JSON: nested too deeply") from None
    except ValueError as error:  # e.g. an integer with more digits than Python converts
        raise CheckFileError(f"{path}: invalid JSON: {error}") from None
    if not isinstance(data, dict):
        raise CheckFileError(f"{path}: expected an object with a list \"checks\", not {json_type(data)}")
    checks = data.get("checks")
    if not isinstance(checks, list):
        raise CheckFileError(f"{path}: expected an object with a list \"checks\""
                             + (f"; its \"checks\" is {json_type(checks)}" if "checks" in data else ""))
    return checks  # each entry's shape is checked as it runs (:func:`_check_problem`): one bad entry stops nothing


def _check_problem(check: object) -> str | None:
    """What is wrong with one check entry (the text after ``checks[i]``), or ``None``."""
    if not isinstance(check, dict):
        return f" must be an object, not {json_type(check)}"
    if "findings" in check:
        if check["findings"] not in ("high", "medium", "low"):
            return ".findings must be the lowest severity counted: \"high\", \"medium\" or \"low\""
        limit = check.get("at_most", 0)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            return ".at_most must be a count (0 or more)"
        return None if "name" not in check or isinstance(check["name"], str) else ".name must be a string"
    if not ("why" in check or {"source", "target", "expect"} <= check.keys()):
        return " needs either \"why\", \"findings\" or \"source\", \"target\" and \"expect\""
    for key in _CHECK_STRINGS:
        if key in check and not isinstance(check[key], str):
            return f".{key} must be a string, not {json_type(check[key])}"
    for key in _CHECK_OPTIONAL_STRINGS:
        if check.get(key) is not None and not isinstance(check[key], str):
            return f".{key} must be a string or null, not {json_type(check[key])}"
    if "why" not in check and check["expect"] not in ("reachable", "unreachable"):
        return ".expect must be \"reachable\" or \"unreachable\""
    if "escalation" in check and not isinstance(check["escalation"], bool):
        return f".escalation must be true or false, not {json_type(check['escalation'])}"
    if check.get("target") == ADMIN_TARGET and not check.get("escalation"):
        return f".target \"{ADMIN_TARGET}\" (any administrator) needs \"escalation\": true"
    stated = check.get("context")
    if stated is not None and not (isinstance(stated, dict) and all(
            isinstance(v, str) or isinstance(v, list) and all(isinstance(x, str) for x in v) for v in stated.values())):
        return ".context must map keys to a string or a list of strings"
    return None




def _decide_check(access: AccessGraph, path: str, index: int, check: object) -> CheckOutcome:
    """One entry, decided; an entry that is malformed or cannot be answered is an ``error`` outcome naming it."""
    started = time.perf_counter()
    name = check.get("name") if isinstance(check, dict) and isinstance(check.get("name"), str) else ""
    kind = ("why" if isinstance(check, dict) and "why" in check else
            "findings" if isinstance(check, dict) and "findings" in check else "path")
    where = f"{path}: checks[{index}]"

    def error(what: str) -> CheckOutcome:
        return CheckOutcome(index, name, kind, ERROR, error=what, seconds=time.perf_counter() - started)

    problem = _check_problem(check)
    if problem is not None:
        return error(f"{where}{problem}")
    assert isinstance(check, dict)
    if "findings" in check:
        return _findings_check(access, index, name, check, started)
    try:
        if kind == "why":
            result = access.why(check["why"], check.get("service"), check.get("context"))
        elif check.get("escalation"):  # a target "admin" is any administrator (AccessGraph.path says so)
            result = access.path(check["source"], check["target"], escalation=True)
        else:
            action = check.get("action") or ASSUME_ROLE
            result = access.path(check["source"], check["target"], _ACTIONS.get(action.lower(), action),
                                 check.get("service"), check.get("context"))
    except (UnknownPrincipalError, QueryError, DeniedMessageError) as failure:
        return error(f"{where}: {failure}")
    seconds = time.perf_counter() - started
    if kind == "why":
        return CheckOutcome(index, name, kind, EXPLAINED, result=result, seconds=seconds)
    passed = result.reachable == (check["expect"] == "reachable")
    return CheckOutcome(index, name, kind, PASS if passed else FAIL, check["expect"], result, seconds=seconds)


def _findings_check(access: AccessGraph, index: int, name: str, check: dict, started: float) -> CheckOutcome:
    """A check "at most N findings at this severity or above" (``{"findings": "high", "at_most": 0}``)."""
    from .queries.findings import at_least, findings

    found = at_least(findings(access.snapshot, access.graph, access.engine, privesc_result=access.privesc()),
                     check["findings"])
    limit = check.get("at_most", 0)
    rules = sorted({f.rule for f in found})
    summary = f"{len(found)} finding(s) at {check['findings']} or above" + (f": {', '.join(rules)}" if rules else "")
    detail = "\n".join(f"{f.rule} [{f.severity}] {f.role or f.subject}: {f.message}\n    fix: {f.fix}" for f in found)
    return CheckOutcome(index, name, "findings", PASS if len(found) <= limit else FAIL, f"at most {limit}",
                        summary=summary, detail=detail or None, seconds=time.perf_counter() - started)


def _run_checks(access: AccessGraph, args: argparse.Namespace) -> int:
    """Decide every entry, then say them all: 0 all hold, 1 some failed, 2 some could not be evaluated.

    A passing check is one line; a failure has its whole explanation with the
    fix; a ticket its explanation; an entry graphiam could not evaluate one
    line naming it and what is wrong. ``--quiet`` says only failures and
    errors, and the closing line names every failing check. ``--junit FILE``
    also writes the results as JUnit XML.
    """
    summary = CheckSummary(tuple(_decide_check(access, args.checks, index, check)
                                 for index, check in enumerate(args.loaded_checks)))
    if args.junit:
        from .present.files import write_atomically
        try:
            write_atomically(args.junit, junit_xml(summary, args.checks, access.warnings))
        except OSError as error:
            raise QueryError(f"{args.junit}: {error.strerror or error}") from None
    if args.json:
        _json({"checks": [o.to_dict() for o in summary.outcomes], "failed": len(summary.named(FAIL)),
               "errors": len(summary.named(ERROR)), "warnings": list(access.warnings)})
    else:
        for outcome in summary.outcomes:
            if args.quiet and outcome.status not in (FAIL, ERROR):
                continue
            _line(check_heading(outcome))
            text = check_body(outcome, access.warnings)
            if text:
                _out(indented(text))
        _line(summary.line())
    unevaluated = summary.named(ERROR)
    if unevaluated:  # exit code 2 always ends with its error line (CI logs show standard error first)
        _error(f"{args.checks}: {len(unevaluated)} check(s) could not be evaluated: "
               + ", ".join(o.label for o in unevaluated))
    return {PASS: EXIT_OK, FAIL: EXIT_NOT_REACHABLE, ERROR: EXIT_BAD_INPUT}[summary.exit_status]


class _StdoutClosed(Exception):
    """Standard output was closed by its reader (a pipe into ``head``): nothing more can be said."""


def main(argv: Sequence[str] | None = None, hold: list | None = None, background_cache: bool = False) -> int:
    """Run one command; its exit code (:class:`ExitCode`). The loaded graph is appended to ``hold`` when one
    is given (see :func:`run`). ``background_cache``: a first ``path`` on a new snapshot may leave building the
    whole graph for the cache to a detached child process (:func:`_cache_later`); :func:`run` asks for it.

    The guard: an unexpected exception is exit code 70 with one line on standard error (with ``--debug``,
    the traceback), never a traceback with exit code 1; Ctrl-C is 130; a closed standard output is 141.
    Usage errors and ``--help`` are returned too (2 and 0), not raised as :class:`SystemExit`.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv  # until the arguments are parsed
    try:
        try:
            args = _parse(argv)
        except SystemExit as stop:  # --help, or a usage error already said in one line
            return stop.code if isinstance(stop.code, int) else EXIT_BAD_INPUT
        debug = bool(args.debug)
        args.background_cache = background_cache
        return _command(args, hold)
    except KeyboardInterrupt:
        _stderr_line("graphiam: interrupted")
        return EXIT_INTERRUPTED
    except _StdoutClosed:
        _detach_stdout()
        return EXIT_PIPE_CLOSED
    except Exception as error:  # the guard: a bug, said as one
        _internal_error(error, debug)
        return EXIT_INTERNAL_ERROR


def _internal_error(error: BaseException, debug: bool) -> None:
    """Exit code 70's words: the traceback with ``--debug``, else one line naming the exception and where."""
    if debug:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        stream = sys.stderr
        try:
            stream.write(terminal_safe(text, encoding=_encoding(stream)))
            stream.flush()
        except (OSError, ValueError):
            pass
        return
    what = type(error).__name__
    message = str(error)
    if message:
        if len(message) > _INTERNAL_MESSAGE_LIMIT:
            message = message[:_INTERNAL_MESSAGE_LIMIT] + "..."
        what += f": {message}"
    where = _where(error)
    if where:
        what += f", in {where}"
    _stderr_line(f"graphiam: internal error: {what} (run with --debug for the traceback)")


def _where(error: BaseException) -> str:
    """``graphiam/module.py line N``: the innermost frame of graphiam's own code the exception passed."""
    package = Path(__file__).resolve().parent
    found = ""
    for frame in traceback.extract_tb(error.__traceback__):
        try:
            relative = Path(frame.filename).resolve().relative_to(package)
        except (ValueError, OSError):
            continue
        found = f"{package.name}/{relative.as_posix()} line {frame.lineno}"
    return found


def _detach_stdout() -> None:
    """After the reader closed standard output: point it at /dev/null, so the final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (in-process callers): nothing to do
        pass


def _command(args: argparse.Namespace, hold: list | None) -> int:
    if args.command == "collect":
        return _collect(args)
    if args.command == "synth":
        from .synth import run_cli as _synth
        return _synth(args)
    if args.command == "snapshot":
        return _snapshot_apply_plan(args)
    if args.command == "diff":
        return _diff(args)
    built: AccessGraph | None = None  # the graph, once loaded: its cache entry is written even if the question fails
    report: dict = {}
    try:
        if args.command == "check":  # a bad check file is said before the snapshot is read
            args.loaded_checks = _load_checks(args.checks)
        if args.command == "why":
            args.message = _message(args.message)
        progress = _progress(args)
        hashing = time.perf_counter()
        files, states, recalled = _recall_key(args)
        answered = _answer_from_index(args, recalled) if recalled is not None else None
        buffers = key = None
        if answered is None:
            buffers, key = _read_and_hash(args, progress, files, states)
            answered = _answer_from_index(args, key) if key is not None and key != recalled else None
        hashed = time.perf_counter() - hashing
        if answered is not None:
            access, result = answered
            _print_result(result, args.json)
            _print_warnings(access, args)
            return EXIT_OK if result.reachable else EXIT_NOT_REACHABLE
        engine = getattr(args, "engine", "local")
        if engine == "dask":
            try:
                import dask.distributed  # noqa: F401
            except ImportError as error:
                raise QueryError(f"--engine dask needs dask.distributed ({error}); "
                                 "install it with: pip install 'graphiam[dask]'") from None
        snapshot = None
        if args.command == "path" and engine == "local" and not args.escalation and not args.provider:
            # a new snapshot: the answer from the part of the graph it reads, the whole graph after it
            from .snapshot.read import snapshot_files, snapshot_from_buffers, snapshot_from_files

            snapshot = (snapshot_from_buffers(buffers, progress=progress) if buffers is not None
                        else snapshot_from_files(snapshot_files(args.data), progress=progress))
            try:
                first = first_path_answer(snapshot, args.source, args.target, args.action, args.service,
                                          _context(args))
            except UnknownPrincipalError:  # said at once; the snapshot is still good, so its entry is written
                from .graph.cache import has_entry

                if key is not None and not has_entry(key):
                    _cache_later(snapshot, key, args, SILENT)
                raise
            if first is not None:
                access, result = first
                _print_result(result, args.json)
                _print_warnings(access, args)
                if key is not None:
                    _cache_later(snapshot, key, args, progress)
                return EXIT_OK if result.reachable else EXIT_NOT_REACHABLE
        # the cache entry is written after the answer (by a detached child as the command), but by build itself
        access, report = load_with_report(args.data, cache=not args.no_cache, engine=engine, key=key,
                                          scheduler=getattr(args, "scheduler", None), buffers=buffers,
                                          progress=progress, snapshot=snapshot,
                                          defer_store=args.command != "build")
        for warning in report["warnings"]:  # what the cache would not trust or had to discard
            _warning(warning)
        if hold is not None:
            hold.append(access)
        if key is not None:
            report["timings"] = {"hash": hashed, **report["timings"]}
        built = access
        code = _build_report(access, report, args) if args.command == "build" else _run(access, args)
    except (SnapshotError, UnknownPrincipalError, QueryError, DeniedMessageError, CheckFileError) as error:
        _error(error)
        if built is not None and report.get("store_key"):  # a question asked wrong: the graph is still good
            _cache_later(built.snapshot, report["store_key"], args, SILENT, built.graph)
        return EXIT_BAD_INPUT
    _print_warnings(access, args)  # after the answer, so an error stays the only line on stderr
    if report.get("store_key"):
        _cache_later(access.snapshot, report["store_key"], args, progress, access.graph)
    return code


def _message(given: str | None) -> str:
    """``why``'s message: the argument, or standard input for ``-`` or when none is given and stdin is not a
    terminal (``pbpaste | graphiam why``)."""
    if given is not None and given != "-":
        return given
    if given is None and sys.stdin is not None and sys.stdin.isatty():
        raise QueryError("why: give the AccessDenied message as an argument, or pipe it on standard input")
    text = sys.stdin.read() if sys.stdin is not None else ""
    if not text.strip():
        raise QueryError("why: standard input held no message")
    return text


def _print_warnings(access: AccessGraph, args: argparse.Namespace) -> None:
    """The snapshot's warnings on standard error, once: a human ``path``/``why`` answer already ends with them
    (and every ``--json`` result lists them under ``warnings``)."""
    if args.command in ("path", "why") and not args.json:
        return
    for warning in access.warnings:
        _warning(warning)


def _snapshot_apply_plan(args: argparse.Namespace) -> int:
    """``graphiam snapshot apply-plan``: write the snapshot OLD becomes once the plan is applied (0; 2 on bad input).

    One line says what was written (not with ``--quiet``; ``--json`` prints the report); each warning (a type not
    applied, a value known only after apply, a note) is one line on standard error.
    """
    from .snapshot.plan import apply_plan

    try:
        report = apply_plan(args.old, args.plan, args.output, account=args.account)
    except SnapshotError as error:
        _error(error)
        return EXIT_BAD_INPUT
    except OSError as error:
        _error(f"{args.output}: cannot be written ({error.strerror or error})")
        return EXIT_BAD_INPUT
    if args.json:
        _json(report.to_dict())
    elif not args.quiet:
        _line(report.summary())
    for warning in report.warnings:
        _warning(warning)
    return EXIT_OK


def _collect(args: argparse.Namespace) -> int:
    try:
        from .collect import CollectError, CollectOptions, collect
        from .collect.clients import ClientOptions
        from .collect.runner import default_progress_stream
    except ImportError as error:
        _error(f"collect needs boto3 ({error}); install it with: pip install 'graphiam[collect]'")
        return EXIT_BAD_INPUT
    for name in ("workers", "max_attempts"):
        if getattr(args, name) < 1:
            _error(f"--{name.replace('_', '-')} must be at least 1")
            return EXIT_BAD_INPUT
    for name in ("connect_timeout", "read_timeout"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            _error(f"--{name.replace('_', '-')} must be more than 0 seconds")
            return EXIT_BAD_INPUT
    options = CollectOptions(
        output=Path(args.output),
        clients=ClientOptions(args.profile, args.region, args.endpoint_url, args.max_attempts,
                              args.connect_timeout, args.read_timeout),
        org=args.org,
        role_name=args.role_name,
        accounts=tuple(args.account),
        exclude_accounts=tuple(args.exclude_account),
        role_arns=tuple(args.role_arn),
        workers=args.workers,
        resume=args.resume,
        identity_center=not args.no_identity_center,
        identity_center_region=args.identity_center_region,
    )
    try:
        report = collect(options, default_progress_stream(quiet=args.json or args.quiet))
    except CollectError as error:
        _error(error)
        return EXIT_BAD_INPUT
    except OSError as error:
        _error(f"{args.output}: {error.strerror or error}")
        return EXIT_BAD_INPUT
    if args.json:
        _json(report.manifest)
    else:
        done = [o for o in report.outcomes if o.status == "ok"]
        skipped = [o for o in report.outcomes if o.status == "skipped"]
        _line(f"collected {len(done)} account(s) into {args.output}"
              + (f", skipped {len(skipped)}" if skipped else "")
              + (f", {len(report.failed)} failed" if report.failed else ""))
        for outcome in report.failed:
            _line(f"  account {outcome.account_id}{f' ({outcome.name})' if outcome.name else ''} failed via "
                  f"{outcome.via}: {outcome.error_code}: {outcome.error}")
        center = getattr(report, "identity_center", None)
        if center:
            _line(f"  IAM Identity Center: {center.get('status')}"
                  + "".join(f"; {warning}" for warning in center.get("warnings") or ()))
    return EXIT_SOME_ACCOUNTS_FAILED if report.failed or report.identity_center_failed else EXIT_OK


def _progress(args: argparse.Namespace) -> Progress:
    """Bars on standard error when it is a terminal, unless ``--quiet`` or ``--json``; else silence.

    A bar appears once a phase has run ``$GRAPHIAM_PROGRESS_DELAY`` seconds (default 1).
    """
    if args.quiet or args.json:
        return SILENT
    try:
        if sys.stderr is None or not sys.stderr.isatty():
            return SILENT
    except (AttributeError, ValueError):
        return SILENT
    from .present.progress_bar import DEFAULT_DELAY, TerminalProgress

    try:
        delay = float(os.environ.get("GRAPHIAM_PROGRESS_DELAY", DEFAULT_DELAY))
    except ValueError:
        delay = DEFAULT_DELAY
    return TerminalProgress(sys.stderr, delay)


def _cache_later(snapshot: object, key: str, args: argparse.Namespace, progress: Progress,
                 graph: object = None) -> None:
    """Build the whole graph of ``snapshot`` (or take ``graph``, built already) and write its cache entry, after
    the answer was printed.

    As the ``graphiam`` command (:func:`run`) on a POSIX system, a detached child process does it, so the
    answer's process exits at once: its standard streams go to /dev/null, it has its own session (a Ctrl-C in
    the terminal does not reach it), and the entry is written atomically, so a killed child leaves nothing
    half-written. ``GRAPHIAM_CACHE_WRITE=wait``, in-process callers of :func:`main` and systems without
    ``fork`` do it here, before returning. A failure only means no entry: the next run builds again.
    """
    from .graph import cache as graph_cache

    def build_and_store(shown: Progress) -> None:
        whole = graph
        if whole is None and parallel_build_pays(snapshot):  # type: ignore[arg-type]
            whole = graph_in_processes(snapshot, shown)  # type: ignore[arg-type]
        access = AccessGraph(snapshot, whole, progress=shown)  # type: ignore[arg-type]
        with shown.task("writing the cache"):
            graph_cache.store(key, access.snapshot, access.graph, [])

    wait = os.environ.get("GRAPHIAM_CACHE_WRITE", "").strip().lower() == "wait"
    if not getattr(args, "background_cache", False) or wait or not hasattr(os, "fork"):
        build_and_store(progress)
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        pass
    try:
        child = os.fork()
    except OSError:
        build_and_store(progress)
        return
    if child:
        return
    try:  # the child: never returns into the caller's code
        os.setsid()
        quiet = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):
            os.dup2(quiet, stream)
        build_and_store(SILENT)
    except BaseException:
        pass
    finally:
        os._exit(0)


def _recall_key(args: argparse.Namespace) -> tuple[object, object, str | None]:
    """The snapshot's files, their states (``(None, None, None)`` with --no-cache), and the cache key remembered
    for those states when the question can be answered from a query index (``path``, ``why``; else ``None``).
    A warm question then reads no snapshot bytes (see :func:`graphiam.graph.cache.file_states`)."""
    if args.no_cache:
        return None, None, None
    from .graph import cache as graph_cache
    from .snapshot.read import snapshot_files

    files = snapshot_files(args.data)
    states = graph_cache.file_states(files)
    indexed = args.command in ("path", "why")
    return files, states, graph_cache.recalled_key(states) if indexed and states is not None else None


def _read_and_hash(args: argparse.Namespace, progress: Progress = SILENT, files: object = None,
                   states: object = None) -> tuple[object, str | None]:
    """The snapshot files' bytes, read once, and their cache key (``(None, None)`` with --no-cache); the key is
    remembered for the files' ``states`` (taken before they were read).

    The same bytes are parsed on a cache miss, so the key always names what was parsed.
    """
    if args.no_cache:
        return None, None
    from .graph import cache as graph_cache

    buffers, key = graph_cache.read_keyed(args.data if files is None else files, progress)
    if states is not None:
        graph_cache.remember_key(states, key)
    return buffers, key


def _answer_from_index(args: argparse.Namespace, key: str) -> tuple[AccessGraph, PathResult] | None:
    """A warm ``path`` or ``why``: answered from the cache's query index, without loading the whole graph."""
    if args.command not in ("path", "why") or getattr(args, "escalation", False) or getattr(args, "provider", None):
        return None  # an escalation question needs the whole graph and the engine
    from .access import partial_access
    from .graph import cache as graph_cache
    from .graph.index import QueryIndex
    from .queries.denied import parse_denied_message

    index_path = graph_cache.index_file(key)
    if not index_path.is_file():
        return None
    try:
        index = QueryIndex(index_path)
    except sqlite3.Error:
        return None  # unreadable: the normal load rebuilds it
    try:
        if args.command == "path":
            access, source, target = partial_access(index, args.source, args.target)
            return access, access.path(source, target, args.action, args.service, _context(args))
        parsed = parse_denied_message(args.message)
        if parsed.action.lower() not in (ASSUME_ROLE.lower(), PASS_ROLE.lower()):
            return None  # the whole graph says which actions graphiam explains
        access, _, _ = partial_access(index, parsed.caller, parsed.resource)
        return access, access.why(args.message, args.service, _context(args))
    except sqlite3.Error:
        return None
    except UnknownPrincipalError:
        return None  # a caller from outside the snapshot, or no such name: the whole graph answers (or says so)
    finally:
        index.close()


def _build_report(access: AccessGraph, report: dict, args: argparse.Namespace) -> int:
    graph = access.graph
    edges = [k for _, _, k in graph.edges(keys=True)]
    counts = {
        "accounts": len(access.snapshot.accounts),
        "principals": len(access.snapshot.all_principals()),
        "users": sum(len(a.users) for a in access.snapshot.accounts.values()),
        "roles": sum(len(a.roles) for a in access.snapshot.accounts.values()),
        "nodes": graph.number_of_nodes(),
        "candidate_pairs_evaluated": graph.graph.get("pairs_evaluated", 0),
        "edges": sum(1 for k in edges if k != "member_of"),
        "assume_edges": sum(1 for k in edges if k == "can_assume"),
        "pass_edges": sum(1 for k in edges if k.startswith("can_pass")),
        "technique_edges": sum(1 for k in edges if k == "can_escalate"),
        "conditional_edges": sum(1 for *_, d in graph.edges(data=True) if d.get("conditional")),
        "warnings": len(access.warnings),
    }
    out = {"counts": counts, "engine": report.get("engine", getattr(args, "engine", "local")), "cache": report["cache"],
           "timings_seconds": {k: round(v, 4) for k, v in report["timings"].items()}}
    if args.json:
        _json(out)
    else:
        _line(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))
        _line(f"cache: {report['cache']}; engine: {out['engine'] or 'none (no build ran)'}; seconds: "
              + ", ".join(f"{k} {v:.3f}" for k, v in report["timings"].items()))
    return EXIT_OK


def _run(access: AccessGraph, args: argparse.Namespace) -> int:
    if args.command == "path":
        result = access.path(args.source, args.target, args.action, args.service, _context(args), args.escalation,
                             args.provider)
        _print_result(result, args.json)
        return EXIT_OK if result.reachable else EXIT_NOT_REACHABLE
    if args.command == "privesc":
        return _privesc(access, args)
    if args.command == "findings":
        return _findings(access, args)
    if args.command == "why":
        result = access.why(args.message, args.service, _context(args))
        _print_result(result, args.json)
        return EXIT_OK if result.reachable else EXIT_NOT_REACHABLE
    if args.command == "reach":
        subject = access.resolve(args.source)
        _print_rows(access.reach(subject, _context(args), args.escalation), args.json, subject,
                    f"Roles reachable from {subject}" + (" (with escalation techniques):" if args.escalation else ":"),
                    warnings=access.warnings)
        return EXIT_OK
    if args.command == "who-can":
        from .queries.identity_center import identity_center_facts

        subject = access.resolve(args.target)
        facts = [f for f in access.trust_facts if f["role"] == subject]
        sign_in_facts = identity_center_facts(access.graph, subject)
        _print_rows(access.who_can(subject, _context(args), args.escalation), args.json, subject,
                    f"Who can reach {subject}" + (" (with escalation techniques):" if args.escalation else ":"), facts,
                    access.warnings, sign_in_facts)
        return EXIT_OK
    if args.command == "export":
        from .present.export import write_export  # its ExportError is a QueryError: one line, exit code 2
        try:
            summary = write_export(access.graph, args.output, args.format)
        except BrokenPipeError:
            if args.output == "-":  # `export -o - | head`: the reader has what it wanted
                raise _StdoutClosed() from None
            raise
        if args.output != "-" and not args.quiet:
            _line(f"wrote {args.output}: {args.format}, {summary.nodes} nodes, {summary.edges} edges")
        return EXIT_OK
    if args.command == "map":
        return _map(access, args)
    return _run_checks(access, args)


def _diff(args: argparse.Namespace) -> int:
    """``graphiam diff``: 0 when nothing new reaches a sensitive target, 1 when something does, 2 on bad input."""
    from .access import compare
    from .queries.diff import resolve_check_targets, sensitive_of_check_file

    sensitive, named = tuple(p.strip() for p in args.sensitive), ()
    try:
        if args.checks:  # a bad check file is said before the snapshots are read
            _load_checks(args.checks)
            try:  # read again for its "sensitive" list (_load_checks gives the checks)
                document = json.loads(Path(args.checks).read_bytes().decode("utf-8-sig"))
            except (OSError, ValueError) as error:  # the file changed between the two reads
                raise CheckFileError(f"{args.checks}: {error}") from None
            listed, named = sensitive_of_check_file(document, args.checks)
            sensitive += listed
        old, _ = load_with_report(args.old, cache=True)
        new, report = load_with_report(args.new, cache=True, base=old, defer_store=True)
        if named:  # check targets given by name: resolved in the new snapshot, else the old one
            sensitive += resolve_check_targets(named, old.graph, new.graph, args.checks)
    except (SnapshotError, QueryError, CheckFileError) as error:
        _error(error)
        return EXIT_BAD_INPUT
    sensitive = tuple(dict.fromkeys(sensitive))
    result = compare(old, new, sensitive, report.get("rebuilt_accounts"))
    for warning in result.warnings:
        _warning(warning)
    from .present.files import write_atomically

    for path, form in ((args.markdown, "markdown"), (args.sarif, "sarif")):
        if not path:
            continue
        try:
            if form == "markdown":
                from .present.diff_text import diff_markdown

                write_atomically(path, diff_markdown(result))
            else:
                from .present.sarif import write_diff_sarif

                write_diff_sarif(path, result, __version__, new.snapshot)
        except OSError as error:
            _error(f"{path}: {error.strerror or error}")
            return EXIT_BAD_INPUT
    rebuilt = report.get("rebuilt")  # the new graph came from the old one: how much was decided again
    if args.json:
        _json({**result.to_dict(), **({"rebuilt": rebuilt} if rebuilt else {})})
    else:
        from .present.diff_text import diff_text

        _out(diff_text(result))
        if rebuilt and not args.quiet:
            _stderr_line(f"graphiam: the new graph decided {rebuilt['decided']} of {rebuilt['accounts']} target "
                         f"accounts again ({rebuilt['changed']} changed); the rest came from the old graph")
    if report.get("store_key"):  # the new graph, for the next diff or question: after the answer
        _cache_later(new.snapshot, report["store_key"], args, SILENT, new.graph)
    return EXIT_NOT_REACHABLE if result.opened else EXIT_OK


def _findings(access: AccessGraph, args: argparse.Namespace) -> int:
    """``graphiam findings``: 0 when there is none (at ``--severity`` or above), 1 when there are, 2 bad input."""
    from .queries.findings import RULES, at_least, findings

    found = at_least(findings(access.snapshot, access.graph, access.engine, privesc_result=access.privesc()),
                     args.severity)
    if args.sarif:
        from .present.sarif import write_sarif

        try:
            write_sarif(args.sarif, found, RULES, __version__)
        except OSError as error:
            raise QueryError(f"{args.sarif}: {error.strerror or error}") from None
    if args.json:
        _json({"findings": [f.to_dict() for f in found], "warnings": list(access.warnings)})
    elif not args.quiet or found:
        counts = {s: sum(1 for f in found if f.severity == s) for s in ("high", "medium", "low")}
        _line(f"{len(found)} finding(s): " + ", ".join(f"{n} {s}" for s, n in counts.items()))
        for finding in found:
            where = finding.role or finding.subject or ""
            statement = f" statement {finding.statement_label}" if finding.statement_label else ""
            _line(f"  {finding.rule} [{finding.severity}] {where}{statement}: {finding.message}")
            _line(f"      fix: {finding.fix}")
    return EXIT_NOT_REACHABLE if found else EXIT_OK


def _privesc(access: AccessGraph, args: argparse.Namespace) -> int:
    """``graphiam privesc``: the administrators, and who else can become one (0: answered)."""
    admins, rows = access.privesc()
    if args.json:
        _json({"admins": admins, "rows": [row.to_dict() for row in rows], "warnings": list(access.warnings)})
        return EXIT_OK
    _line(f"{len(admins)} administrator(s); {len(rows)} other principal(s) can become one:")
    for row in rows:
        hops = row.to_dict()["becomes_admin_via"]
        steps = [(f"[{hop['technique']['id']}] " if hop.get("technique") else "") + hop["to"]
                 for hop in hops if hop["to"] != row.principal]
        chain = " -> ".join([row.principal] + (steps or [f"[{hops[0]['technique']['id']}] itself"]))
        _line(f"  {len(hops)} hop(s): {chain}")
    return EXIT_OK


def _map_format(args: argparse.Namespace) -> str:
    """``--format``, else the output's extension (``.svg``, ``.png``), else html."""
    if args.format:
        return args.format
    suffix = Path(args.output).suffix.lower().lstrip(".")
    return suffix if suffix in ("svg", "png") else "html"


def _map(access: AccessGraph, args: argparse.Namespace) -> int:
    from .present.map import MapOptions, MapSelectionError, MapTooLarge, write_map

    if (args.depth is not None and args.depth < 0) or args.max_nodes < 1:
        raise QueryError("--depth must be 0 or more and --max-nodes at least 1")
    focus = None if args.focus is None else args.focus if args.focus in access.graph else access.resolve(args.focus)
    options = MapOptions(focus=focus, depth=2 if args.depth is None else args.depth, accounts=tuple(args.account),
                         max_nodes=args.max_nodes, title=f"graphiam access map: {', '.join(args.data)}",
                         escalation=args.escalation)
    result = (access.path(args.path[0], args.path[1], args.action, args.service, escalation=args.escalation)
              if args.path else None)
    form = _map_format(args)
    try:
        if form == "html":
            summary = write_map(access.graph, access.snapshot, args.output, options, result)
        else:
            from .present.static_map import StaticMapError, write_static_map
            try:
                summary = write_static_map(access.graph, access.snapshot, args.output, options, result, form)
            except StaticMapError as error:
                raise QueryError(str(error)) from None
    except (MapTooLarge, MapSelectionError) as error:
        raise QueryError(str(error)) from None
    except OSError as error:
        raise QueryError(f"{args.output}: {error.strerror or error}") from None
    line = f"wrote {args.output}: {form}, {summary.nodes} nodes, {summary.edges} edges"
    if summary.path is not None:
        line += "; the path is " + ("highlighted" if summary.path.reachable else
                                    "not there: the side panel explains why" if form == "html" else
                                    "not there: the red dashed edge names the blocking layers")
    if not args.quiet:
        _line(line)
    return EXIT_OK


def run() -> None:
    """The ``graphiam`` command: :func:`main`, then a fast exit.

    A command on a large organization holds millions of objects; tearing
    them down one by one at exit takes seconds (about 6 s at 1,000 accounts)
    and serves nothing. So the graph is held past ``main`` and, once the
    output is flushed, the process ends with ``os._exit``. Everything graphiam
    writes is complete by then: files are renamed into place, SQLite databases
    and thread and process pools are closed before ``main`` returns.
    """
    hold: list = []
    freeze_survivors()  # this process's graphs live until it exits (graphiam.gcpause)
    try:
        code = main(hold=hold, background_cache=True)
    except KeyboardInterrupt:  # a second Ctrl-C while the first was being said
        code = EXIT_INTERRUPTED
    except BaseException:  # the guard failed while reporting (out of memory ...): still never 1
        code = EXIT_INTERNAL_ERROR
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: nothing more can be said
        pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
