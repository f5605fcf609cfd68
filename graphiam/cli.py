"""The command line: a thin layer over :mod:`graphiam.access`; its text comes from :mod:`graphiam.present.text`.

Exit codes (documented in the README):
  0  reachable / all checks hold / query answered
  1  not reachable / a check failed
  2  bad input: unreadable or malformed snapshot, unknown or ambiguous name,
     a message that is not an AccessDenied text, bad arguments, no credentials
  3  collect: some accounts could not be collected (the others were)
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Sequence

from .access import AccessGraph, PathResult, load_with_report
from .policy import ASSUME_ROLE, PASS_ROLE
from .present.text import indented, rows_text
from .queries.denied import DeniedMessageError
from .queries.errors import QueryError
from .queries.paths import ReachRow
from .queries.resolve import UnknownPrincipalError
from .snapshot.read import SnapshotError

EXIT_OK, EXIT_NOT_REACHABLE, EXIT_BAD_INPUT, EXIT_SOME_ACCOUNTS_FAILED = 0, 1, 2, 3


class CheckFileError(ValueError):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse with graphiam's one-line errors (exit code 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"graphiam: error: {self.prog}: {message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="graphiam", description="Who can reach which AWS IAM role, and why not.")
    sub = parser.add_subparsers(dest="command", required=True)

    def data(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", action="append", required=True, metavar="PATH",
                       help="snapshot file or folder (scanned recursively); repeatable")
        p.add_argument("--no-cache", action="store_true",
                       help="build the graph afresh instead of reusing the cached one (see README: cache)")

    def common(p: argparse.ArgumentParser) -> None:
        data(p)
        p.add_argument("--json", action="store_true", help="print one JSON object")

    def context(p: argparse.ArgumentParser) -> None:
        p.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                       help="what the request carries, e.g. aws:MultiFactorAuthPresent=true (repeatable; "
                            "a key given twice has both values): conditions on it are decided, not listed")

    p = sub.add_parser("path", help="can SOURCE reach TARGET? the chain, or why not and the fix")
    p.add_argument("source")
    p.add_argument("target")
    p.add_argument("--action", default=ASSUME_ROLE, choices=[ASSUME_ROLE, PASS_ROLE])
    p.add_argument("--service", help="with --action iam:PassRole: the service principal, e.g. ec2.amazonaws.com")
    context(p)
    common(p)

    p = sub.add_parser("why", help="explain a pasted AccessDenied message")
    p.add_argument("message", help="the error text ('-' reads it from standard input)")
    p.add_argument("--service", help="for an iam:PassRole message: the service the role was passed to")
    context(p)
    common(p)

    p = sub.add_parser("reach", help="roles SOURCE can reach, with hop counts")
    p.add_argument("source")
    context(p)
    common(p)

    p = sub.add_parser("who-can", help="principals that can reach TARGET")
    p.add_argument("target")
    context(p)
    common(p)

    p = sub.add_parser("check", help="assert paths that must (or must not) exist, and explain AccessDenied tickets")
    p.add_argument("checks", help="a JSON file: {\"checks\": [{name, source, target, action, service, expect} | {name, why}]}")
    common(p)

    p = sub.add_parser("map", help="write a self-contained interactive HTML access map")
    p.add_argument("-o", "--output", required=True, metavar="FILE.html")
    p.add_argument("--focus", metavar="ARN", help="only this node's neighbourhood (either direction)")
    p.add_argument("--depth", type=int, default=2, help="with --focus: how many hops around it (default 2)")
    p.add_argument("--account", action="append", default=[], metavar="ID", help="only these accounts (repeatable)")
    p.add_argument("--path", nargs=2, metavar=("SOURCE", "TARGET"), help="highlight the path, or explain why there is none")
    p.add_argument("--action", default=ASSUME_ROLE, choices=[ASSUME_ROLE, PASS_ROLE], help="with --path")
    p.add_argument("--service", help="with --path and --action iam:PassRole")
    p.add_argument("--max-nodes", type=int, default=1500, help="refuse larger maps (default 1500)")
    data(p)

    p = sub.add_parser("export", help="write the access graph as GraphML, GEXF or JSON Lines (Gephi, Neo4j, jq)")
    p.add_argument("--format", required=True, choices=["graphml", "gexf", "jsonl"])
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write ('-': standard output, jsonl only)")
    data(p)

    p = sub.add_parser("build", help="build (and cache) the access graph; print counts and per-phase timings")
    p.add_argument("--engine", choices=["local", "processes", "dask"], default="local",
                   help="processes: partitions on this machine's cores (POSIX); "
                        "dask: on a Dask cluster (pip install 'graphiam[dask]')")
    p.add_argument("--scheduler", metavar="ADDRESS", help="with --engine dask: an existing cluster (default: a local one)")
    common(p)

    p = sub.add_parser("collect", help="export accounts (and with --org the organization) into a snapshot folder")
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
    p.add_argument("--resume", action="store_true", help="skip accounts whose file is already in SNAPSHOT_DIR")
    p.add_argument("--json", action="store_true", help="print the manifest as JSON; no progress line")

    p = sub.add_parser("synth", help="write a synthetic organization snapshot (benchmarks, demos); same arguments, same bytes")
    p.add_argument("--accounts", type=int, required=True, metavar="N", help="how many accounts (about 30 users and 100 roles each)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="writes DIR/organization.json and DIR/accounts/ID.json")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    return parser


def _print_result(result: PathResult, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.to_text())


def _print_rows(rows: list[ReachRow], as_json: bool, subject: str, heading: str, facts: list[dict] | None = None,
                warnings: Sequence[str] = ()) -> None:
    if as_json:
        out: dict = {"subject": subject, "rows": [r.to_dict() for r in rows]}
        if facts is not None:
            out["trust_facts"] = facts
        out["warnings"] = list(warnings)
        print(json.dumps(out, indent=2))
        return
    print(rows_text(rows, heading, facts or ()))


def _context(args: argparse.Namespace) -> dict[str, list[str]] | None:
    """``--context KEY=VALUE`` (repeatable) as key -> values; ``None`` when none is given."""
    stated: dict[str, list[str]] = {}
    for item in getattr(args, "context", None) or ():
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise QueryError(f"--context {item}: give KEY=VALUE, e.g. aws:MultiFactorAuthPresent=true")
        stated.setdefault(key.strip(), []).append(value)
    return stated or None


def _load_checks(path: str) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise CheckFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    except json.JSONDecodeError as error:
        raise CheckFileError(f"{path}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}") from None
    checks = data.get("checks") if isinstance(data, dict) else None
    if not isinstance(checks, list):
        raise CheckFileError(f"{path}: expected an object with a list \"checks\"")
    for index, check in enumerate(checks):
        if not isinstance(check, dict) or not ("why" in check or {"source", "target", "expect"} <= check.keys()):
            raise CheckFileError(f"{path}: checks[{index}] needs either \"why\" or \"source\", \"target\" and \"expect\"")
        if "expect" in check and check["expect"] not in ("reachable", "unreachable"):
            raise CheckFileError(f"{path}: checks[{index}].expect must be \"reachable\" or \"unreachable\"")
        stated = check.get("context")
        if stated is not None and not (isinstance(stated, dict) and all(
                isinstance(v, str) or isinstance(v, list) and all(isinstance(x, str) for x in v) for v in stated.values())):
            raise CheckFileError(f"{path}: checks[{index}].context must map keys to a string or a list of strings")
    return checks


def _run_checks(access: AccessGraph, checks: list[dict], as_json: bool) -> int:
    outcomes = []
    for check in checks:
        name = check.get("name", "")
        if "why" in check:
            result = access.why(check["why"], check.get("service"), check.get("context"))
            outcomes.append({"name": name, "kind": "why", "passed": None, "result": result.to_dict()})
            if not as_json:
                print(f"== TICKET  {name}")
                print(indented(result.to_text(omit_warnings=access.warnings)))
            continue
        result = access.path(check["source"], check["target"], check.get("action") or ASSUME_ROLE, check.get("service"),
                             check.get("context"))
        passed = result.reachable == (check["expect"] == "reachable")
        outcomes.append({"name": name, "kind": "path", "expect": check["expect"], "passed": passed, "result": result.to_dict()})
        if not as_json:
            print(f"== {'PASS' if passed else 'FAIL'}  {name}  (expect {check['expect']})")
            # a failed check gets the whole story with the fix; a path that must stay closed gets no fix
            print(indented(result.to_text(brief=passed, omit_warnings=access.warnings)))
    failed = [o for o in outcomes if o["passed"] is False]
    if as_json:
        print(json.dumps({"checks": outcomes, "failed": len(failed)}, indent=2))
    else:
        asserted = sum(1 for o in outcomes if o["passed"] is not None)
        print(f"{asserted - len(failed)} of {asserted} path checks hold; {len(outcomes) - asserted} ticket(s) explained")
    return EXIT_NOT_REACHABLE if failed else EXIT_OK


def main(argv: Sequence[str] | None = None, hold: list | None = None) -> int:
    """Run one command; its exit code. The loaded graph is appended to ``hold`` when one is given (see :func:`run`)."""
    args = _parser().parse_args(argv)
    if args.command == "collect":
        return _collect(args)
    if args.command == "synth":
        from .synth import run_cli as _synth
        return _synth(args)
    try:
        hashing = time.perf_counter()
        key = _cache_key(args)
        hashed = time.perf_counter() - hashing
        answered = _answer_from_index(args, key) if key is not None else None
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
        access, report = load_with_report(args.data, cache=not args.no_cache, engine=engine, key=key,
                                          scheduler=getattr(args, "scheduler", None))
        if hold is not None:
            hold.append(access)
        if key is not None:
            report["timings"] = {"hash": hashed, **report["timings"]}
        code = _build_report(access, report, args) if args.command == "build" else _run(access, args)
    except (SnapshotError, UnknownPrincipalError, QueryError, DeniedMessageError, CheckFileError) as error:
        print(f"graphiam: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    _print_warnings(access, args)  # after the answer, so an error stays the only line on stderr
    return code


def _print_warnings(access: AccessGraph, args: argparse.Namespace) -> None:
    """The snapshot's warnings on standard error, once: a human ``path``/``why`` answer already ends with them
    (and every ``--json`` result lists them under ``warnings``)."""
    if args.command in ("path", "why") and not args.json:
        return
    for warning in access.warnings:
        print(f"graphiam: warning: {warning}", file=sys.stderr)


def _collect(args: argparse.Namespace) -> int:
    try:
        from .collect import CollectError, CollectOptions, collect
        from .collect.clients import ClientOptions
        from .collect.runner import default_progress_stream
    except ImportError as error:
        print(f"graphiam: error: collect needs boto3 ({error}); install it with: pip install 'graphiam[collect]'",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    for name in ("workers", "max_attempts"):
        if getattr(args, name) < 1:
            print(f"graphiam: error: --{name.replace('_', '-')} must be at least 1", file=sys.stderr)
            return EXIT_BAD_INPUT
    options = CollectOptions(
        output=Path(args.output),
        clients=ClientOptions(args.profile, args.region, args.endpoint_url, args.max_attempts),
        org=args.org,
        role_name=args.role_name,
        accounts=tuple(args.account),
        exclude_accounts=tuple(args.exclude_account),
        role_arns=tuple(args.role_arn),
        workers=args.workers,
        resume=args.resume,
    )
    try:
        report = collect(options, default_progress_stream(quiet=args.json))
    except CollectError as error:
        print(f"graphiam: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        print(f"graphiam: error: {args.output}: {error.strerror or error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps(report.manifest, indent=2))
    else:
        done = [o for o in report.outcomes if o.status == "ok"]
        skipped = [o for o in report.outcomes if o.status == "skipped"]
        print(f"collected {len(done)} account(s) into {args.output}"
              + (f", skipped {len(skipped)}" if skipped else "")
              + (f", {len(report.failed)} failed" if report.failed else ""))
        for outcome in report.failed:
            print(f"  account {outcome.account_id}{f' ({outcome.name})' if outcome.name else ''} failed via "
                  f"{outcome.via}: {outcome.error_code}: {outcome.error}")
    return EXIT_SOME_ACCOUNTS_FAILED if report.failed else EXIT_OK


def _cache_key(args: argparse.Namespace) -> str | None:
    """The snapshot's cache key, hashed once per run (``None`` with --no-cache)."""
    if args.no_cache:
        return None
    from .graph import cache as graph_cache
    from .snapshot.read import snapshot_files

    return graph_cache.snapshot_key(snapshot_files(args.data))


def _answer_from_index(args: argparse.Namespace, key: str) -> tuple[AccessGraph, PathResult] | None:
    """A warm ``path`` or ``why``: answered from the cache's query index, without loading the whole graph."""
    if args.command not in ("path", "why"):
        return None
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
        if args.message == "-":
            args.message = sys.stdin.read()
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
        "conditional_edges": sum(1 for *_, d in graph.edges(data=True) if d.get("conditional")),
        "warnings": len(access.warnings),
    }
    out = {"counts": counts, "engine": getattr(args, "engine", "local"), "cache": report["cache"],
           "timings_seconds": {k: round(v, 4) for k, v in report["timings"].items()}}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))
        print(f"cache: {report['cache']}; engine: {out['engine']}; seconds: "
              + ", ".join(f"{k} {v:.3f}" for k, v in report["timings"].items()))
    return EXIT_OK


def _run(access: AccessGraph, args: argparse.Namespace) -> int:
    if args.command == "path":
        result = access.path(args.source, args.target, args.action, args.service, _context(args))
        _print_result(result, args.json)
        return EXIT_OK if result.reachable else EXIT_NOT_REACHABLE
    if args.command == "why":
        message = sys.stdin.read() if args.message == "-" else args.message
        result = access.why(message, args.service, _context(args))
        _print_result(result, args.json)
        return EXIT_OK if result.reachable else EXIT_NOT_REACHABLE
    if args.command == "reach":
        subject = access.resolve(args.source)
        _print_rows(access.reach(subject, _context(args)), args.json, subject, f"Roles reachable from {subject}:",
                    warnings=access.warnings)
        return EXIT_OK
    if args.command == "who-can":
        subject = access.resolve(args.target)
        facts = [f for f in access.trust_facts if f["role"] == subject]
        _print_rows(access.who_can(subject, _context(args)), args.json, subject, f"Who can reach {subject}:", facts,
                    access.warnings)
        return EXIT_OK
    if args.command == "export":
        from .present.export import write_export  # its ExportError is a QueryError: one line, exit code 2
        summary = write_export(access.graph, args.output, args.format)
        if args.output != "-":
            print(f"wrote {args.output}: {args.format}, {summary.nodes} nodes, {summary.edges} edges")
        return EXIT_OK
    if args.command == "map":
        return _map(access, args)
    return _run_checks(access, _load_checks(args.checks), args.json)


def _map(access: AccessGraph, args: argparse.Namespace) -> int:
    try:
        from .present.map import MapOptions, MapTooLarge, write_map
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise QueryError(f"map needs pyvis ({error}); install it with: pip install 'graphiam[map]'") from None
    if args.depth < 0 or args.max_nodes < 1:
        raise QueryError("--depth must be 0 or more and --max-nodes at least 1")
    options = MapOptions(focus=args.focus, depth=args.depth, accounts=tuple(args.account), max_nodes=args.max_nodes,
                         title=f"graphiam access map: {', '.join(args.data)}")
    result = access.path(args.path[0], args.path[1], args.action, args.service) if args.path else None
    try:
        summary = write_map(access.graph, access.snapshot, args.output, options, result)
    except MapTooLarge as error:
        raise QueryError(str(error)) from None
    except OSError as error:
        raise QueryError(f"{args.output}: {error.strerror or error}") from None
    line = f"wrote {args.output}: {summary.nodes} nodes, {summary.edges} edges"
    if summary.path is not None:
        line += "; the path is " + ("highlighted" if summary.path.reachable else "not there: the side panel explains why")
    print(line)
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
    code = main(hold=hold)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: nothing more can be said
        pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
