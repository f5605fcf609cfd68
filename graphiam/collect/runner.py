"""Collect many accounts in parallel, writing each file the moment it is complete.

Layout of a collected snapshot::

    SNAPSHOT_DIR/organization.json        (with --org)
    SNAPSHOT_DIR/accounts/ACCOUNT_ID.json one per account
    SNAPSHOT_DIR/collection.json          the manifest: when, by whom, options, per-account outcome

Every file is written atomically (a temporary file renamed into place), so an
interrupted run loses nothing it finished, and ``resume`` skips accounts whose
file is already there. One account failing (AccessDenied on the assume,
throttling beyond the retries, ...) never stops the others.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

from ..snapshot.read import MANIFEST_KIND
from .account import collect_account
from .clients import AccountSession, ClientOptions
from .organization import collect_organization

MANIFEST_NAME = "collection.json"
ORGANIZATION_NAME = "organization.json"


class CollectError(Exception):
    """The run cannot start (no credentials, bad arguments, organization not readable): one line, exit 2."""


@dataclass(frozen=True)
class CollectOptions:
    output: Path
    clients: ClientOptions = field(default_factory=ClientOptions)
    org: bool = False
    role_name: str = "OrganizationAccountAccessRole"
    accounts: tuple[str, ...] = ()
    exclude_accounts: tuple[str, ...] = ()
    role_arns: tuple[str, ...] = ()
    workers: int = 8
    resume: bool = False


@dataclass(frozen=True)
class Target:
    account_id: str
    name: str | None
    role_arn: str | None  # None: the caller's own account, collected with its credentials


@dataclass
class AccountOutcome:
    account_id: str
    name: str | None
    status: str  # "ok", "failed", "skipped"
    via: str  # the assumed role ARN, or "caller"
    file: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    error_code: str | None = None
    error: str | None = None
    seconds: float | None = None


@dataclass
class CollectionReport:
    manifest: dict[str, Any]
    outcomes: list[AccountOutcome]

    @property
    def failed(self) -> list[AccountOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


# -- files ------------------------------------------------------------------------

def _json_default(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True, default=_json_default)
            handle.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def account_file(output: Path, account_id: str) -> Path:
    return output / "accounts" / f"{account_id}.json"


def _error_parts(error: Exception) -> tuple[str, str]:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return details.get("Code", "ClientError"), f"{error.operation_name}: {details.get('Message', str(error))}"
    return type(error).__name__, str(error)


# -- progress ---------------------------------------------------------------------

class Progress:
    """One status line on a terminal (accounts done / total, current account); silent elsewhere."""

    def __init__(self, total: int, stream: IO[str] | None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream
        self.lock = threading.Lock()

    def _show(self, text: str) -> None:
        if self.stream is not None:
            self.stream.write(f"\r\x1b[2Kgraphiam collect: {self.done}/{self.total} accounts {text}")
            self.stream.flush()

    def start(self, target: Target) -> None:
        with self.lock:
            self._show(f"- reading {target.account_id}{f' ({target.name})' if target.name else ''}")

    def finish(self, outcome: AccountOutcome) -> None:
        with self.lock:
            self.done += 1
            self._show(f"- {outcome.account_id} {outcome.status}")

    def close(self) -> None:
        if self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()


# -- the run -------------------------------------------------------------------------

class Collector:
    def __init__(self, options: CollectOptions, progress_stream: IO[str] | None = None) -> None:
        self.options = options
        self.progress_stream = progress_stream
        self.manifest_lock = threading.Lock()

    def _caller(self) -> tuple[AccountSession, dict[str, str]]:
        try:
            base = AccountSession.from_profile(self.options.clients)
            identity = base.client("sts").get_caller_identity()
        except (NoCredentialsError, PartialCredentialsError):
            raise CollectError("no AWS credentials found: configure a profile (--profile), environment "
                               "variables or an instance role") from None
        except ClientError as error:
            code, message = _error_parts(error)
            raise CollectError(f"the credentials were refused ({code}: {message})") from None
        except BotoCoreError as error:
            raise CollectError(f"cannot reach AWS: {error}") from None
        return base, {"Arn": identity["Arn"], "Account": identity["Account"]}

    def plan(self, caller_account: str, org_accounts: list[dict] | None) -> tuple[list[Target], list[AccountOutcome]]:
        """Which accounts to read, and outcomes for those skipped before starting."""
        options = self.options
        skipped: list[AccountOutcome] = []
        names: dict[str, str | None] = {}
        if org_accounts is not None:
            wanted = []
            for account in org_accounts:
                names[account["Id"]] = account.get("Name")
                status = account.get("Status", "ACTIVE")
                if status != "ACTIVE":
                    skipped.append(AccountOutcome(account["Id"], account.get("Name"), "skipped", "none",
                                                  error=f"account status is {status}"))
                    continue
                wanted.append(account["Id"])
            if options.accounts:
                wanted = [a for a in wanted if a in options.accounts]
        else:
            wanted = list(options.accounts) if options.accounts or options.role_arns else [caller_account]
        targets: dict[str, Target] = {}
        for account_id in wanted:
            if account_id in options.exclude_accounts:
                continue
            role_arn = None if account_id == caller_account else f"arn:aws:iam::{account_id}:role/{options.role_name}"
            targets[account_id] = Target(account_id, names.get(account_id), role_arn)
        for role_arn in options.role_arns:
            parts = role_arn.split(":")
            if len(parts) < 6 or not parts[4].isdigit():
                raise CollectError(f"--role-arn {role_arn}: not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
            account_id = parts[4]
            if account_id not in options.exclude_accounts:
                targets[account_id] = Target(account_id, names.get(account_id), role_arn)
        return [targets[a] for a in sorted(targets)], skipped

    def _collect_one(self, target: Target) -> AccountOutcome:
        started = time.monotonic()
        via = target.role_arn or "caller"
        try:
            session = AccountSession.from_profile(self.options.clients)  # one session per thread and account
            if target.role_arn:
                session = session.assume(target.role_arn)
            data, counts = collect_account(session)
            path = account_file(self.options.output, target.account_id)
            write_json_atomic(path, data)
        except (ClientError, BotoCoreError) as error:
            code, message = _error_parts(error)
            return AccountOutcome(target.account_id, target.name, "failed", via, error_code=code, error=message,
                                  seconds=round(time.monotonic() - started, 3))
        return AccountOutcome(target.account_id, target.name, "ok", via, str(path.relative_to(self.options.output)),
                              counts, seconds=round(time.monotonic() - started, 3))

    def run(self) -> CollectionReport:
        options = self.options
        options.output.mkdir(parents=True, exist_ok=True)
        started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        base, caller = self._caller()
        manifest: dict[str, Any] = {
            "Kind": MANIFEST_KIND,
            "version": 1,
            "started_at": started_at,
            "finished_at": None,
            "caller": caller["Arn"],
            "caller_account": caller["Account"],
            "options": {
                "org": options.org, "role_name": options.role_name, "accounts": list(options.accounts),
                "exclude_accounts": list(options.exclude_accounts), "role_arns": list(options.role_arns),
                "workers": options.workers, "resume": options.resume, "profile": options.clients.profile,
                "region": options.clients.region, "endpoint_url": options.clients.endpoint_url,
                "max_attempts": options.clients.max_attempts,
            },
            "organization": None,
            "accounts": {},
        }
        org_accounts = None
        if options.org:
            try:
                organization, notes = collect_organization(base.client("organizations"))
            except ClientError as error:
                code, message = _error_parts(error)
                raise CollectError(f"cannot read the organization ({code}: {message}); --org needs the management "
                                   "account or a delegated administrator") from None
            write_json_atomic(options.output / ORGANIZATION_NAME, organization)
            manifest["organization"] = {"file": ORGANIZATION_NAME, "id": organization["Organization"]["Id"],
                                        "accounts": len(organization["Accounts"]), "notes": notes}
            org_accounts = organization["Accounts"]
        targets, outcomes = self.plan(caller["Account"], org_accounts)
        pending = []
        for target in targets:
            path = account_file(options.output, target.account_id)
            if options.resume and path.is_file():
                outcomes.append(AccountOutcome(target.account_id, target.name, "skipped", target.role_arn or "caller",
                                               str(path.relative_to(options.output)),
                                               error="already collected (--resume)"))
            else:
                pending.append(target)
        self._save(manifest, outcomes)
        progress = Progress(len(pending), self.progress_stream)
        with ThreadPoolExecutor(max_workers=max(1, options.workers)) as pool:
            futures = {}
            for target in pending:
                futures[pool.submit(self._started, progress, target)] = target
            for future in as_completed(futures):
                outcome = future.result()
                progress.finish(outcome)
                outcomes.append(outcome)
                self._save(manifest, outcomes)
        if pending:
            progress.close()
        manifest["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self._save(manifest, outcomes)
        return CollectionReport(manifest, sorted(outcomes, key=lambda o: o.account_id))

    def _started(self, progress: Progress, target: Target) -> AccountOutcome:
        progress.start(target)
        return self._collect_one(target)

    def _save(self, manifest: dict[str, Any], outcomes: list[AccountOutcome]) -> None:
        with self.manifest_lock:
            manifest["accounts"] = {o.account_id: {k: v for k, v in asdict(o).items() if k != "account_id"}
                                    for o in sorted(outcomes, key=lambda o: o.account_id)}
            write_json_atomic(self.options.output / MANIFEST_NAME, manifest)


def collect(options: CollectOptions, progress_stream: IO[str] | None = None) -> CollectionReport:
    """Run a collection; ``progress_stream`` (e.g. ``sys.stderr`` on a terminal) gets the status line."""
    return Collector(options, progress_stream).run()


def default_progress_stream(quiet: bool) -> IO[str] | None:
    return None if quiet or not sys.stderr.isatty() else sys.stderr
