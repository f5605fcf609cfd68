"""Collect many accounts in parallel, writing each file the moment it is complete.

Layout of a collected snapshot::

    SNAPSHOT_DIR/organization.json        (with --org)
    SNAPSHOT_DIR/identity-center.json     (with --org, unless identity_center=False) IAM Identity Center
    SNAPSHOT_DIR/accounts/ACCOUNT_ID.json one per account
    SNAPSHOT_DIR/collection.json          the manifest: when, by whom, options, per-account outcome

IAM Identity Center (:mod:`graphiam.collect.identity_center`) is read with the
caller's own credentials (the management account or the Identity Center
delegated administrator) in ``identity_center_region`` (default: the clients'
region), alongside the accounts, as one more task of the pool. Only its
``list_instances`` failing fails it (``identity_center.status`` ``failed``,
never the run); any later call that fails is recorded in the file's
``Errors`` and in ``identity_center.warnings``. ``resume`` skips it when its
file is there.

Every file is written atomically (a temporary file renamed into place), so an
interrupted run loses nothing it finished, and ``resume`` skips accounts whose
file is already there. One account failing never stops the others: an
AccessDenied on the assume, throttling or 5xx beyond the retries, a dropped
connection, a timeout, or a malformed answer (botocore's ResponseParserError,
a body cut short, garbage instead of XML/JSON) marks that account ``failed``
and the run goes on (the CLI exits 3). The same errors while reading the
caller's identity or the organization (``--org``) stop the run before any
account is read: :class:`CollectError`, one line, exit 2.

The manifest, ``collection.json``, is written three times over a run's life:

1. as soon as the account list is known (after the organization walk, before
   ``organization.json`` and before any account file): every planned account
   is there, most as ``pending``;
2. while accounts complete, at most every :attr:`Collector.save_every`
   seconds (and whenever one completes after a quiet spell), each time
   atomically, so it always parses;
3. once the run completes normally: ``finished_at`` appears.

A run that is killed, crashes or is interrupted (Ctrl-C) therefore leaves a
manifest **without** ``finished_at`` whose ``pending`` accounts were not (or
not known to be) collected; their files may be missing. ``--resume`` completes
such a run: it skips every account whose file exists, collects the rest
(failed and pending ones included) and writes ``finished_at``.

Manifest fields:

``Kind``
    ``"graphiam-collection-manifest"`` (how the snapshot reader knows the file).
``version``
    1.
``started_at``
    ISO 8601 UTC time this run started (present from the first write).
``updated_at``
    when the manifest was last written (a killed run stopped after it).
``finished_at``
    when the run completed normally; **absent** while it runs and after a
    kill or crash (never ``null``). A run whose accounts partly failed still
    finishes: check ``summary`` and ``accounts``.
``resumed_from``
    only with ``--resume`` over an earlier manifest: the ``started_at`` of the
    earlier run(s) this one completes, oldest first.
``caller``, ``caller_account``
    the ARN and account of the credentials used.
``options``
    the run's options (``org``, ``role_name``, ``accounts``,
    ``exclude_accounts``, ``role_arns``, ``workers``, ``resume``, ``profile``,
    ``region``, ``endpoint_url``, ``max_attempts``, ``connect_timeout``,
    ``read_timeout``).
``organization``
    ``null`` without ``--org``; else ``{"file", "id", "accounts", "notes"}``.
``identity_center``
    ``null`` unless Identity Center is collected; else ``{"file", "region",
    "status", "counts", "warnings", "error_code", "error"}``: ``status`` is
    ``pending``, ``ok`` (file written; ``warnings``: one line per call that
    failed, also in the file's ``Errors``), ``failed`` (``list_instances``
    failed: ``error_code`` and ``error`` as for an account; no file) or
    ``skipped`` (its file already there with ``--resume``).
``summary``
    how many accounts have each status: ``{"ok", "failed", "skipped", "pending"}``.
``accounts``
    account id -> ``{"status", "name", "via", "file", "counts", "error_code",
    "error", "seconds"}``. ``status`` is ``ok`` (file written), ``failed``
    (``error_code``: the AWS error code, e.g. ``AccessDenied``, or for a
    transport or parse failure the exception's class, e.g.
    ``ResponseParserError``, ``ConnectionClosedError``, ``ReadTimeoutError``;
    ``error``: one line naming the API operation), ``skipped`` (not read:
    account not ACTIVE, or its file already there with ``--resume``; ``error``
    says which) or ``pending`` (planned, not finished by this run). ``via`` is
    the assumed role's ARN, ``caller`` or ``none``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

from ..snapshot.read import MANIFEST_KIND
from .account import collect_account
from .clients import AccountSession, ClientOptions
from .identity_center import IDENTITY_CENTER_NAME, collect_identity_center
from .organization import collect_organization

MANIFEST_NAME = "collection.json"
ORGANIZATION_NAME = "organization.json"
STATUSES = ("ok", "failed", "skipped", "pending")
THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"})
ERROR_TEXT_LIMIT = 300  # characters of an error message kept in the manifest and in CollectError


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
    identity_center: bool = True  # with org: also IAM Identity Center (identity-center.json)
    identity_center_region: str | None = None  # the Identity Center instance's region; None: the clients' region


@dataclass(frozen=True)
class Target:
    account_id: str
    name: str | None
    role_arn: str | None  # None: the caller's own account, collected with its credentials


@dataclass
class AccountOutcome:
    account_id: str
    name: str | None
    status: str  # "ok", "failed", "skipped", "pending"
    via: str  # the assumed role ARN, "caller", or "none"
    file: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    error_code: str | None = None
    error: str | None = None
    seconds: float | None = None


@dataclass
class CollectionReport:
    manifest: dict[str, Any]
    outcomes: list[AccountOutcome]
    identity_center: dict[str, Any] | None = None  # the manifest's identity_center record

    @property
    def identity_center_failed(self) -> bool:
        return bool(self.identity_center) and self.identity_center.get("status") == "failed"

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


def remove_stale_temporaries(output: Path) -> None:
    """Temporary files a killed run left behind (``.NAME.json.XXXX.tmp``, never renamed into place)."""
    for folder in (output, output / "accounts"):
        if folder.is_dir():
            for stale in folder.glob(".*.json.*.tmp"):
                stale.unlink(missing_ok=True)


def account_file(output: Path, account_id: str) -> Path:
    return output / "accounts" / f"{account_id}.json"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _one_line(text: str, limit: int = ERROR_TEXT_LIMIT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _error_parts(error: BaseException, operation: str | None = None) -> tuple[str, str]:
    """(error code, one-line message naming the operation) for the manifest and CollectError.

    An AWS error answer gives its code (AccessDenied, Throttling, ...); anything
    else -- a dropped connection, a timeout, an answer that does not parse --
    gives the exception's class (ConnectionClosedError, ReadTimeoutError,
    ResponseParserError, ...).
    """
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return (details.get("Code") or "ClientError",
                _one_line(f"{error.operation_name}: {details.get('Message') or error}"))
    text = str(error) or type(error).__name__
    return type(error).__name__, _one_line(f"{operation}: {text}" if operation else text)


def _role_arn_account(role_arn: str) -> str:
    parts = role_arn.split(":")
    if len(parts) < 6 or not parts[4].isdigit():
        raise CollectError(f"--role-arn {role_arn}: not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
    return parts[4]


def _manifest_entry(outcome: AccountOutcome) -> dict[str, Any]:
    return {k: v for k, v in asdict(outcome).items() if k != "account_id"}


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
    save_every = 2.0  # seconds: the manifest is rewritten at most this often while accounts complete

    def __init__(self, options: CollectOptions, progress_stream: IO[str] | None = None) -> None:
        self.options = options
        self.progress_stream = progress_stream
        self.manifest_lock = threading.Lock()
        self.manifest: dict[str, Any] = {}
        self.outcomes: dict[str, AccountOutcome] = {}
        self._last_save = 0.0
        self._dirty = False
        self.identity_center: dict[str, Any] | None = None  # the manifest's identity_center record
        self._org_accounts: list[str] = []  # asked which permission sets are provisioned to them

    def _caller(self) -> tuple[AccountSession, dict[str, str]]:
        base = None
        try:
            base = AccountSession.from_profile(self.options.clients)
            identity = base.client("sts").get_caller_identity()
            return base, {"Arn": identity["Arn"], "Account": identity["Account"]}
        except (NoCredentialsError, PartialCredentialsError):
            raise CollectError("no AWS credentials found: configure a profile (--profile), environment "
                               "variables or an instance role") from None
        except ClientError as error:
            code, message = _error_parts(error)
            raise CollectError(f"the credentials were refused ({code}: {message})") from None
        except BotoCoreError as error:
            raise CollectError(f"cannot reach AWS: {_one_line(str(error))}") from None
        except Exception as error:  # a malformed answer: ResponseParserError, a body cut short, ...
            code, message = _error_parts(error, base.calls.last if base else None)
            raise CollectError(f"cannot reach AWS: a broken answer ({code}: {message})") from None

    def _organization(self, base: AccountSession) -> tuple[dict[str, Any], list[str]]:
        try:
            return collect_organization(base.client("organizations"))
        except ClientError as error:
            code, message = _error_parts(error)
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400
            if status >= 500 or status == 429 or code in THROTTLING_CODES:  # not a matter of permissions
                raise CollectError(f"cannot read the organization ({code}: {message})") from None
            raise CollectError(f"cannot read the organization ({code}: {message}); --org needs the management "
                               "account or a delegated administrator") from None
        except Exception as error:  # transport or parse failure: no usable organization, so no run
            code, message = _error_parts(error, base.calls.last)
            raise CollectError(f"cannot read the organization ({code}: {message})") from None

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
            account_id = _role_arn_account(role_arn)
            if account_id not in options.exclude_accounts:
                targets[account_id] = Target(account_id, names.get(account_id), role_arn)
        return [targets[a] for a in sorted(targets)], skipped

    def _collect_one(self, target: Target) -> AccountOutcome:
        started = time.monotonic()
        via = target.role_arn or "caller"
        session = None
        try:
            session = AccountSession.from_profile(self.options.clients)  # one session per thread and account
            if target.role_arn:
                session = session.assume(target.role_arn)
            data, counts = collect_account(session)
        except Exception as error:  # AWS errors, transport and parse failures alike: this account failed
            code, message = _error_parts(error, session.calls.last if session else None)
            return AccountOutcome(target.account_id, target.name, "failed", via, error_code=code, error=message,
                                  seconds=round(time.monotonic() - started, 3))
        path = account_file(self.options.output, target.account_id)
        write_json_atomic(path, data)  # a local write error (disk full, permissions) stops the run
        return AccountOutcome(target.account_id, target.name, "ok", via, str(path.relative_to(self.options.output)),
                              counts, seconds=round(time.monotonic() - started, 3))

    def _previous_manifest(self) -> dict[str, Any] | None:
        try:
            data = json.loads((self.options.output / MANIFEST_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("Kind") == MANIFEST_KIND else None

    def _resumed(self, target: Target, previous: dict[str, Any] | None) -> AccountOutcome:
        path = account_file(self.options.output, target.account_id)
        earlier = ((previous or {}).get("accounts") or {}).get(target.account_id) or {}
        counts = earlier.get("counts") if earlier.get("status") in ("ok", "skipped") else None
        return AccountOutcome(target.account_id, target.name, "skipped", target.role_arn or "caller",
                              str(path.relative_to(self.options.output)),
                              counts if isinstance(counts, dict) else {}, error="already collected (--resume)")

    def run(self) -> CollectionReport:
        options = self.options
        options.output.mkdir(parents=True, exist_ok=True)
        started_at = _now()
        for role_arn in options.role_arns:  # bad arguments before any call to AWS
            _role_arn_account(role_arn)
        base, caller = self._caller()
        remove_stale_temporaries(options.output)
        previous = self._previous_manifest() if options.resume else None
        manifest: dict[str, Any] = {
            "Kind": MANIFEST_KIND,
            "version": 1,
            "started_at": started_at,
            "caller": caller["Arn"],
            "caller_account": caller["Account"],
            "options": {
                "org": options.org, "role_name": options.role_name, "accounts": list(options.accounts),
                "exclude_accounts": list(options.exclude_accounts), "role_arns": list(options.role_arns),
                "workers": options.workers, "resume": options.resume, "profile": options.clients.profile,
                "region": options.clients.region, "endpoint_url": options.clients.endpoint_url,
                "max_attempts": options.clients.max_attempts, "connect_timeout": options.clients.connect_timeout,
                "read_timeout": options.clients.read_timeout,
            },
            "organization": None,
            "accounts": {},
        }
        if previous is not None and isinstance(previous.get("started_at"), str):
            earlier = [s for s in previous.get("resumed_from") or [] if isinstance(s, str)]
            manifest["resumed_from"] = [*earlier, previous["started_at"]]
        self.manifest = manifest
        organization = None
        org_accounts = None
        if options.org:
            organization, notes = self._organization(base)
            manifest["organization"] = {"file": ORGANIZATION_NAME, "id": organization["Organization"]["Id"],
                                        "accounts": len(organization["Accounts"]), "notes": notes}
            org_accounts = organization["Accounts"]
        targets, skipped = self.plan(caller["Account"], org_accounts)
        for outcome in skipped:
            self.outcomes[outcome.account_id] = outcome
        identity_center = options.org and options.identity_center
        if identity_center:
            self._org_accounts = sorted(a["Id"] for a in org_accounts or () if a.get("Status", "ACTIVE") == "ACTIVE")
            self.identity_center = self._identity_center_record(previous)
            identity_center = self.identity_center["status"] == "pending"
        manifest["identity_center"] = self.identity_center
        todo = []
        for target in targets:
            if options.resume and account_file(options.output, target.account_id).is_file():
                self.outcomes[target.account_id] = self._resumed(target, previous)
            else:
                todo.append(target)
                self.outcomes[target.account_id] = AccountOutcome(target.account_id, target.name, "pending",
                                                                  target.role_arn or "caller")
        self._save(force=True)  # the first manifest: the run has started, here is every planned account
        if organization is not None:
            write_json_atomic(options.output / ORGANIZATION_NAME, organization)
        self._collect_all(todo, identity_center)
        manifest["finished_at"] = _now()
        self._save(force=True)
        return CollectionReport(manifest, sorted(self.outcomes.values(), key=lambda o: o.account_id),
                                self.identity_center)

    # -- IAM Identity Center -------------------------------------------------------------------
    def _identity_center_record(self, previous: dict[str, Any] | None) -> dict[str, Any]:
        # None: the clients' region, as the session resolves it (named once the task has its session)
        region = self.options.identity_center_region or self.options.clients.region
        record: dict[str, Any] = {"file": IDENTITY_CENTER_NAME, "region": region, "status": "pending", "counts": {},
                                  "warnings": [], "error_code": None, "error": None}
        if self.options.resume and (self.options.output / IDENTITY_CENTER_NAME).is_file():
            earlier = (previous or {}).get("identity_center") or {}
            counts = earlier.get("counts") if isinstance(earlier, dict) else None
            record.update(status="skipped", counts=counts if isinstance(counts, dict) else {},
                          error="already collected (--resume)")
        return record

    def _collect_identity_center(self) -> dict[str, Any]:
        """The Identity Center task: reads it, writes its file, and returns the manifest record's new fields."""
        record = self.identity_center
        assert record is not None
        session = None
        try:
            session = AccountSession.from_profile(self.options.clients)
            region = record["region"] or session.session.region_name
            with self.manifest_lock:
                record["region"] = region
            data, counts, warnings = collect_identity_center(session.client("sso-admin", region),
                                                             session.client("identitystore", region),
                                                             self._org_accounts)
        except Exception as error:  # list_instances failed (or no client): Identity Center is unknown, not the run
            code, message = _error_parts(error, session.calls.last if session else None)
            return {"status": "failed", "error_code": code, "error": message}
        write_json_atomic(self.options.output / IDENTITY_CENTER_NAME, data)  # a local write error stops the run
        if not data["Instances"]:
            warnings = [f"no IAM Identity Center instance in region {record['region']} (is it in another region?)",
                        *warnings]
        return {"status": "ok", "counts": counts, "warnings": warnings}

    def _collect_all(self, todo: list[Target], identity_center: bool = False) -> None:
        if not todo and not identity_center:
            return
        progress = Progress(len(todo), self.progress_stream)
        pool = ThreadPoolExecutor(max_workers=max(1, self.options.workers), thread_name_prefix="graphiam-collect")
        finished_normally = False
        try:
            running: set[Future] = set()
            center = pool.submit(self._collect_identity_center) if identity_center else None
            if center is not None:
                running.add(center)
            running.update(pool.submit(self._started, progress, target) for target in todo)
            while running:
                done, running = wait(running, timeout=self.save_every, return_when=FIRST_COMPLETED)
                broken = None
                for future in done:
                    if future.exception() is not None:  # a local write error, an interrupt: after the others
                        broken = broken or future
                        continue
                    if future is center:
                        with self.manifest_lock:
                            self.identity_center.update(future.result())  # type: ignore[union-attr]
                        self._dirty = True
                        continue
                    outcome = future.result()
                    progress.finish(outcome)
                    self.outcomes[outcome.account_id] = outcome
                    self._dirty = True
                if broken is not None:
                    broken.result()  # raises
                self._save()
            finished_normally = True
        finally:
            # Interrupted (Ctrl-C, a local write error): queued accounts are not started, the manifest
            # keeps them pending and has no finished_at. Accounts already being read finish on their own.
            pool.shutdown(wait=finished_normally, cancel_futures=True)
            if not finished_normally:
                self._save(force=True)
            progress.close()

    def _started(self, progress: Progress, target: Target) -> AccountOutcome:
        progress.start(target)
        return self._collect_one(target)

    def _save(self, force: bool = False) -> None:
        """Write the manifest atomically: always when ``force``, else if changed and not written for a while."""
        with self.manifest_lock:
            if not force and (not self._dirty or time.monotonic() - self._last_save < self.save_every):
                return
            outcomes = sorted(self.outcomes.values(), key=lambda o: o.account_id)
            self.manifest["updated_at"] = _now()
            self.manifest["summary"] = {status: sum(o.status == status for o in outcomes) for status in STATUSES}
            self.manifest["accounts"] = {o.account_id: _manifest_entry(o) for o in outcomes}
            write_json_atomic(self.options.output / MANIFEST_NAME, self.manifest)
            self._last_save = time.monotonic()
            self._dirty = False


def collect(options: CollectOptions, progress_stream: IO[str] | None = None) -> CollectionReport:
    """Run a collection; ``progress_stream`` (e.g. ``sys.stderr`` on a terminal) gets the status line."""
    return Collector(options, progress_stream).run()


def default_progress_stream(quiet: bool) -> IO[str] | None:
    return None if quiet or not sys.stderr.isatty() else sys.stderr
