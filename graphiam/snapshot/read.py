"""Read snapshot files into the typed model.

A snapshot is a set of JSON files: one per account in the shape of
``aws iam get-account-authorization-details`` and, optionally, one
organization file and one IAM Identity Center file (see the README and
:func:`_read_identity_center`). Every input problem is raised here as a
:class:`SnapshotError` whose message names the file and what is wrong.
Problems that leave an answer possible but less certain (a managed policy
referenced but not exported, a truncated export, an incomplete organization
file, a file of a folder that is not snapshot data) become warnings on the
snapshot.

Files are UTF-8 (with or without a byte order mark) or UTF-16/UTF-32 (with a
byte order mark, as Windows PowerShell's ``>`` writes, or without one: the
zero bytes of the first characters tell them apart).

An account file may merge several accounts (cloudsplaining and other merged
exports): it is split by the account id in each entity's ARN, and each
account is read as if it came in its own file.

Input limits (each a :class:`SnapshotError` naming the file, the same with
orjson and with the standard parser):

- JSON nested deeper than :data:`MAX_DEPTH` (100) arrays and objects, in a
  file or in a policy document (one given as JSON text or URL-encoded JSON
  counts from its own top); IAM data nests about a dozen levels;
- an integer of more digits than Python converts (``sys.get_int_max_str_digits()``,
  4,300 by default), in a file or in a policy document;
- text that is not valid Unicode (a lone surrogate such as ``"\\ud800"``,
  which JSON escapes allow but UTF-8 cannot hold) in any name, ARN, id,
  path, tag or policy document: the whole file is rejected, naming the
  field, rather than failing later in text output, the cache or an export;
  a snapshot file whose name is not valid UTF-8 is rejected the same way;
- only regular files are read. A FIFO, device or socket, or a kernel
  pseudo-file of ``/proc`` or ``/sys``, given by name is an error; one found
  in a folder is skipped with a warning. Nothing is opened in a way that
  can block.

Folders are scanned recursively for ``*.json`` files; links to folders are
not followed. A subfolder that cannot be read, a link to a folder and a
found file that is not a regular file are warnings on the snapshot, never
silent skips.

:func:`read_files` reads a snapshot's bytes once, and :func:`snapshot_from_buffers`
parses exactly those bytes (so a cache keyed by them describes what was read);
:func:`snapshot_from_files` and :func:`load_snapshot` go through the same path.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import json
import os
import re
import stat
import sys
import urllib.parse
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator, Sized

from ..gcpause import paused_gc
from ..progress import SILENT, Progress, Task
from .model import (
    Account,
    AccountAssignment,
    AttachedPolicy,
    Condition,
    CustomerManagedPolicyReference,
    Group,
    GroupMembership,
    IdentityCenter,
    IdentityCenterGroup,
    IdentityCenterUser,
    ManagedPolicy,
    OrgPolicy,
    Organization,
    PermissionSet,
    PermissionSetBoundary,
    PolicyDocument,
    Role,
    Snapshot,
    Statement,
    Tag,
    User,
)
from .names import account_of, is_aws_managed_policy, partition_of

try:
    import orjson
except ImportError:  # optional: pip install 'graphiam[fast]'
    orjson = None
_fast_loads = orjson.loads if orjson is not None else None


def _canonical_checked(data: Any, where: str) -> bytes:
    """Bytes that are equal exactly when two documents are (used to share one parsed document), once
    it is sure that the document holds no lone surrogate and no integer beyond Python's conversion
    limit (:func:`_check_document` words what it finds).

    orjson refuses both, so bytes it writes need no further look; the standard
    encoder escapes every character beyond ASCII, so a lone surrogate can only
    hide behind a ``\\udXXX`` escape, and a document that has one is walked.
    """
    if orjson is not None:
        try:
            return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # beyond 64 bits, a lone surrogate, more than 255 deep, not JSON data
            pass
    try:
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    except (RecursionError, ValueError, TypeError):  # too deep, an integer beyond the limit, not JSON data
        _check_document(data, where)  # says which
        raise SnapshotError(f"{where}: policy document is not JSON data") from None
    if _SURROGATE_ESCAPE.search(canonical):  # also a valid pair (U+10000 and up): then the walk finds nothing
        _check_document(data, where)
    return canonical


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


MAX_DEPTH = 100  # nested arrays and objects, in a file or a policy document (IAM data nests about a dozen)
ACCOUNT_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
MANIFEST_KIND = "graphiam-collection-manifest"  # collection.json, written by graphiam collect
ORG_POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
_ORG_POLICY_LABELS = {"SERVICE_CONTROL_POLICY": "SCP", "RESOURCE_CONTROL_POLICY": "RCP"}
_IN_FORCE = ("ENABLED", "PENDING_DISABLE")  # a policy type being disabled still applies until it is off


class SnapshotError(ValueError):
    """Bad input. ``str(error)`` is one line: ``<file>: <what is wrong>``."""


class SnapshotFiles(list):
    """The files a snapshot is made of (a list of paths), and which of them a folder expansion found.

    ``from_folder`` holds the files found by scanning a folder that were not
    also named themselves: such a file may be any JSON the folder happens to
    hold, so one that is not snapshot data is skipped with a warning instead
    of being an error. A plain list of paths counts as files named one by one.
    ``warnings`` says what the scan could not take (a subfolder that cannot be
    read, a link to a folder, a FIFO or device named ``*.json``): they become
    warnings on the snapshot read from these files.
    """

    def __init__(self, files: Iterable[Path] = (), from_folder: Iterable[Path] = (),
                 warnings: Iterable[str] = ()) -> None:
        super().__init__(files)
        self.from_folder: frozenset[Path] = frozenset(from_folder)
        self.warnings: tuple[str, ...] = tuple(warnings)


class SnapshotBuffers(list):
    """The bytes of a snapshot's files, read once: a list of ``(path, bytes)`` in the order of
    :func:`snapshot_files`, with the same ``from_folder`` and ``warnings`` (see :class:`SnapshotFiles`)."""

    def __init__(self, items: Iterable[tuple[Path, bytes]] = (), from_folder: Iterable[Path] = (),
                 warnings: Iterable[str] = ()) -> None:
        super().__init__(items)
        self.from_folder: frozenset[Path] = frozenset(from_folder)
        self.warnings: tuple[str, ...] = tuple(warnings)


class DocumentParser:
    """Parses policy documents once each: equal documents share one object.

    ``files_checked``: the documents given as objects come from files whose
    depth is already checked (:func:`snapshot_from_buffers`), so only those
    given as text are measured.
    """

    def __init__(self, files_checked: bool = False) -> None:
        self._by_digest: dict[str, PolicyDocument] = {}
        self._files_checked = files_checked

    def parse(self, raw: Any, where: str) -> PolicyDocument:
        data = _decode_document(raw, where)
        canonical = _canonical_checked(data, where)
        digest = hashlib.sha256(canonical).hexdigest()
        cached = self._by_digest.get(digest)
        if cached is None:
            if (isinstance(raw, str) or not self._files_checked) and _text_too_deep(canonical):
                raise SnapshotError(f"{where}: policy document is {_TOO_DEEP}")
            cached = PolicyDocument(statements=_parse_statements(data, where), digest=digest, raw=data)
            self._by_digest[digest] = cached
        return cached


def load_snapshot(paths: Iterable[str | os.PathLike[str]]) -> Snapshot:
    """Read every ``.json`` file under ``paths`` (files, or folders scanned recursively)."""
    return snapshot_from_files(snapshot_files(paths))


def snapshot_files(paths: Iterable[str | os.PathLike[str]]) -> SnapshotFiles:
    """The ``.json`` files a snapshot is made of, in a stable order (a list; see :class:`SnapshotFiles`)."""
    paths = list(paths)
    files = _expand(paths)
    if not files:
        raise SnapshotError(f"{', '.join(_shown(p) for p in paths)}: no .json file found")
    return files


def read_files(paths: Iterable[str | os.PathLike[str]], progress: Progress = SILENT,
               each: Callable[[Path, bytes], None] | None = None) -> SnapshotBuffers:
    """The bytes of every file :func:`snapshot_files` finds under ``paths``, each read once.

    Hash these to key a cache and give them to :func:`snapshot_from_buffers`:
    the snapshot is then made of exactly the bytes hashed, whatever changes on
    disk in between. ``each`` is called with every file's bytes as soon as
    they are read (a hash can then run alongside the reading). Reading errors
    are :class:`SnapshotError` as in :func:`snapshot_from_files`. ``paths``
    may be what :func:`snapshot_files` listed already (a :class:`SnapshotFiles`).
    """
    files = paths if isinstance(paths, SnapshotFiles) else snapshot_files(paths)

    def read(file: Path) -> tuple[Path, bytes]:
        data = _read_file(file)
        if each is not None:
            each(file, data)
        return file, data

    with progress.task("reading snapshot files", len(files), "files") as task:
        return SnapshotBuffers(_counted((read(file) for file in files), task), files.from_folder, files.warnings)


def _counted(items: Iterable[Any], task: Task) -> Iterator[Any]:
    """``items``, advancing ``task`` after each one."""
    for item in items:
        yield item
        task.advance()


def snapshot_from_files(files: Iterable[Path], from_folder: Collection[Path] | None = None,
                        progress: Progress = SILENT) -> Snapshot:
    """Read ``files``. Those in ``from_folder`` (by default ``files.from_folder`` of a
    :class:`SnapshotFiles`, else none) are skipped with a warning when they are not snapshot data.

    Each file is read once and parsed as :func:`snapshot_from_buffers` does, one at a time.
    """
    if from_folder is None:
        from_folder = getattr(files, "from_folder", frozenset())
    warnings = getattr(files, "warnings", ())
    total = len(files) if isinstance(files, Sized) else None
    return snapshot_from_buffers(((file, _read_file(file)) for file in files), from_folder=from_folder,
                                 warnings=warnings, progress=progress, total=total)


def snapshot_from_buffers(items: Iterable[tuple[Path, bytes]], from_folder: Collection[Path] | None = None,
                          warnings: Iterable[str] | None = None, progress: Progress = SILENT,
                          total: int | None = None) -> Snapshot:
    """Parse already-read files: ``(path, bytes)`` pairs, e.g. from :func:`read_files`.

    The bytes are decoded and parsed exactly as :func:`snapshot_from_files`
    reads a file (the same encodings, limits, errors and warnings); the path
    only names the source. ``from_folder`` and ``warnings`` default to those
    of a :class:`SnapshotBuffers` (else none): the files a folder expansion
    found, skipped with a warning when they are not snapshot data, and the
    expansion's own warnings.
    """
    if from_folder is None:
        from_folder = getattr(items, "from_folder", frozenset())
    if warnings is None:
        warnings = getattr(items, "warnings", ())
    skippable = frozenset(str(file) for file in from_folder)
    if total is None and isinstance(items, Sized):
        total = len(items)
    with paused_gc(), progress.task("reading accounts", total, "files") as task:
        return _snapshot(_counted(((str(file), _parse_json(file, raw)) for file, raw in items), task), skippable,
                         warnings, DocumentParser(files_checked=True))


def snapshot_from_data(items: Iterable[tuple[str, Any]], *, from_folder: Collection[str] = frozenset(),
                       warnings: Iterable[str] = ()) -> Snapshot:
    """Build a snapshot from already-parsed JSON, each with the name of its source.

    ``from_folder`` names the sources a folder expansion found: one that is
    neither an account, an organization nor a manifest file is skipped with a
    warning. Any other source of neither shape is an error. ``warnings`` come
    first on the snapshot (what reading the files found, see :class:`SnapshotFiles`).
    """
    return _snapshot(items, from_folder, warnings, DocumentParser())


def _snapshot(items: Iterable[tuple[str, Any]], from_folder: Collection[str], warnings: Iterable[str],
              parser: DocumentParser) -> Snapshot:
    accounts: dict[str, Account] = {}
    aws_managed: dict[str, ManagedPolicy] = {}
    organization: Organization | None = None
    identity_center: IdentityCenter | None = None
    sources = []
    manifests: list[tuple[str, dict]] = []
    file_warnings: list[str] = []
    for source, data in items:
        _check_source(source)
        sources.append(source)
        try:
            if isinstance(data, dict) and data.get("Kind") == MANIFEST_KIND:
                manifests.append((source, data))
            elif _is_account_file(data):
                file_warnings.extend(_truncation_warnings(data, source))
                read, shared, found = _read_account_file(data, source, parser)
                aws_managed.update(shared)
                file_warnings.extend(found)
                for account in read:
                    if account.account_id in accounts:
                        raise SnapshotError(
                            f"{source}: account {account.account_id} is also in {accounts[account.account_id].source}; "
                            "give each account once"
                        )
                    accounts[account.account_id] = account
            elif _is_organization_file(data):
                if organization is not None:
                    raise SnapshotError(f"{source}: a second organization file (the first is {organization.source})")
                organization = _read_organization(data, source, parser)
                file_warnings.extend(organization.incomplete)
            elif _is_identity_center_file(data):
                if identity_center is not None:
                    raise SnapshotError(f"{source}: a second Identity Center file (the first is "
                                        f"{identity_center.source})")
                identity_center, found = _read_identity_center(data, source, parser)
                file_warnings.extend(found)
            elif source in from_folder:
                file_warnings.append(f"{source} is not an account, organization or manifest file: skipped")
            else:
                raise SnapshotError(
                    f"{source}: neither an account file (keys {', '.join(ACCOUNT_KEYS)}), "
                    "an organization file (keys Organization, Accounts, ...) "
                    "nor an Identity Center file (key Instances)"
                )
        except RecursionError:  # a safety net: data built in code, deeper than any check above expects
            raise SnapshotError(f"{source}: {_TOO_DEEP}") from None
        except ValueError as error:  # a safety net: an integer Python will not turn into text
            if isinstance(error, SnapshotError) or not _is_int_limit(error):
                raise
            raise SnapshotError(f"{source}: {_int_too_long()}") from None
    if not accounts:
        raise SnapshotError(f"{', '.join(sources)}: no account file with IAM principals found")
    collection_warnings = []
    for source, manifest in manifests:
        collection_warnings.extend(_manifest_warnings(manifest, source))
        collection_warnings.extend(_unfinished_warnings(manifest, source, accounts, organization))
        collection_warnings.extend(_identity_center_manifest_warnings(manifest, source, identity_center))
        collection_warnings.extend(_plan_manifest_warnings(manifest, source))
    warnings = [*warnings, *collection_warnings, *file_warnings, *_missing_policy_warnings(accounts, aws_managed)]
    if organization is None:
        warnings.append("no organization file: SCPs and RCPs are not evaluated, so an allowed answer assumes they allow")
    elif organization.accounts_listed:  # without Accounts, its own warning says that no account is placed
        outside = sorted(a for a in accounts if organization.path_of(a) is None)
        for account_id in outside:
            warnings.append(f"{accounts[account_id].source}: account {account_id} is not in the organization file; "
                            "no SCP or RCP is applied to it")
    return Snapshot(accounts=accounts, organization=organization, warnings=tuple(warnings), aws_managed_policies=aws_managed,
                    identity_center=identity_center)


def _identity_center_manifest_warnings(manifest: dict, source: str,
                                       identity_center: IdentityCenter | None) -> list[str]:
    """What the manifest says of the Identity Center collection (``identity_center``: written by ``--org``
    runs): a failure, or a run that stopped before it; an answer about Identity Center users depends on it."""
    record = manifest.get("identity_center")
    if not isinstance(record, dict):
        return []
    status = record.get("status") if isinstance(record.get("status"), str) else None
    code = record.get("error_code") if isinstance(record.get("error_code"), str) else None
    if code is not None:
        _check_text(code, f"{source}: identity_center", "error_code")
    if status == "failed":
        return [f"{source}: IAM Identity Center could not be collected ({code}); its users' sign-ins to their "
                "permission sets' roles are missing, so paths from them are unknown"]
    if status not in _SETTLED and identity_center is None and not manifest.get("finished_at"):
        return [f"the collection in {source} did not finish: IAM Identity Center was not collected; its users' "
                "sign-ins to their permission sets' roles are missing, so paths from them are unknown"]
    return []


def _manifest_warnings(manifest: dict, source: str) -> list[str]:
    """A collection manifest is not data, but the accounts it failed to read limit every answer."""
    out = []
    for account_id, outcome in _manifest_outcomes(manifest, source):
        if outcome.get("status") == "failed":
            name = f" ({outcome['name']})" if outcome.get("name") else ""
            out.append(f"{source}: account {account_id}{name} could not be collected ({outcome.get('error_code')}); "
                       "its principals and roles are missing, so paths through it are unknown")
    return out


def _plan_manifest_warnings(manifest: dict, source: str) -> list[str]:
    """What a snapshot made from a Terraform plan (``graphiam snapshot apply-plan``, :mod:`graphiam.snapshot.plan`)
    does not know, one warning each: ``unknown_after_apply`` entries (``{"address", "attribute", "effect"}``: a
    value the plan knows only after apply, and what the snapshot holds instead) and ``not_applied`` entries
    (``{"address", "type", "action"}``: a change of a type apply-plan does not apply). Malformed entries are left
    out; their text is checked like any other."""
    out = []
    for key, fields in (("unknown_after_apply", ("address", "attribute", "effect")),
                        ("not_applied", ("address", "type", "action"))):
        entries = manifest.get(key)
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            if not isinstance(entry, dict) or not all(isinstance(entry.get(f), str) for f in fields):
                continue
            for field in fields:
                _check_text(entry[field], f"{source}: {key}[{index}]", field)
            if key == "unknown_after_apply":
                out.append(f"{source}: {entry['address']}: {entry['attribute']} is known only after the Terraform "
                           f"plan is applied; this snapshot {entry['effect']}, so answers that depend on it may "
                           "differ after the apply")
            else:
                out.append(f"{source}: {entry['address']} ({entry['action']}): graphiam does not apply "
                           f"{entry['type']} changes, so this snapshot does not hold it; answers that depend on it "
                           "may differ after the apply")
    return out


_SETTLED = ("ok", "failed", "skipped")  # a manifest's other statuses ("pending", ...): not (known to be) collected
_LISTED_AT_MOST = 20  # accounts named in one warning


def _manifest_outcomes(manifest: dict, source: str) -> list[tuple[str, dict]]:
    """The manifest's ``accounts`` (id -> outcome object), sorted. Malformed entries are left out, a
    ``name``, ``status`` or ``error_code`` that is not text is taken as absent, and text that would end up
    in a warning is checked like any other."""
    accounts = manifest.get("accounts")
    out = []
    for account_id, outcome in sorted(accounts.items() if isinstance(accounts, dict) else []):
        if not isinstance(outcome, dict):
            continue
        _check_text(account_id, f"{source}: accounts", "an account id")
        outcome = dict(outcome)
        for key in ("name", "status", "error_code"):
            if isinstance(outcome.get(key), str):
                _check_text(outcome[key], f"{source}: accounts {account_id}", key)
            else:
                outcome[key] = None
        out.append((account_id, outcome))
    return out


def _unfinished_warnings(manifest: dict, source: str, accounts: Collection[str],
                         organization: Organization | None) -> list[str]:
    """A manifest without ``finished_at``: the collection stopped before the end (killed, crashed,
    interrupted), so accounts it set out to read may have no file.

    Not collected: the organization file's accounts (those the run's
    ``--account``/``--exclude-account`` options kept) and the accounts the
    manifest lists with a status other than ok, failed or skipped
    (``pending``), that have no account in the snapshot. Failed accounts have
    their own warning; skipped ones were not to be read. With nothing missing
    and an organization file listing the accounts, nothing is said.
    """
    if manifest.get("finished_at"):
        return []
    outcomes = dict(_manifest_outcomes(manifest, source))
    names = {a: str(o["name"]) for a, o in outcomes.items() if isinstance(o.get("name"), str) and o["name"]}
    expected: list[str] = []
    org_listed = organization is not None and organization.accounts_listed
    if org_listed:
        options = manifest.get("options") if isinstance(manifest.get("options"), dict) else {}
        only = {a for a in options.get("accounts") or () if isinstance(a, str)} \
            if isinstance(options.get("accounts"), list) else set()
        excluded = {a for a in options.get("exclude_accounts") or () if isinstance(a, str)} \
            if isinstance(options.get("exclude_accounts"), list) else set()
        for account_id in organization.account_ids:
            if (not only or account_id in only) and account_id not in excluded:
                expected.append(account_id)
            name = organization.names.get(account_id)
            if name and name != account_id:
                names.setdefault(account_id, name)
    expected.extend(a for a, o in outcomes.items() if o.get("status") not in _SETTLED)
    settled = {a for a, o in outcomes.items() if o.get("status") in ("failed", "skipped")}
    missing = sorted({a for a in expected if a not in accounts and a not in settled})
    if not missing:
        if org_listed:
            return []
        return [f"the collection in {source} did not finish: which accounts it did not collect is unknown "
                "(it lists none as pending, and no organization file lists the accounts); "
                "answers about paths through them are unknown"]
    shown = ", ".join(f"{a} ({names[a]})" if a in names else a for a in missing[:_LISTED_AT_MOST])
    if len(missing) > _LISTED_AT_MOST:
        shown += f" and {len(missing) - _LISTED_AT_MOST} more"
    one = len(missing) == 1
    return [f"the collection in {source} did not finish: account{'' if one else 's'} {shown} "
            f"{'was' if one else 'were'} not collected; answers about paths through {'it' if one else 'them'} "
            "are unknown"]


def _truncation_warnings(data: dict, source: str) -> list[str]:
    """A first-page-only export (``--no-paginate``: IsTruncated and Marker; ``--max-items``: NextToken)."""
    if data.get("IsTruncated") is True:
        how = "IsTruncated is true"
    elif isinstance(data.get("NextToken"), str) and data["NextToken"]:
        how = "it has a NextToken"
    else:
        return []
    return [f"{source}: a truncated export ({how}): it holds only the first page of get-account-authorization-details, "
            "so the users, groups, roles and policies on later pages are missing and answers may depend on them"]


# -- files -----------------------------------------------------------------

def _expand(paths: Iterable[str | os.PathLike[str]]) -> SnapshotFiles:
    files: list[Path] = []
    named: set[Path] = set()
    found: set[Path] = set()
    warnings: list[str] = []
    for given in paths:
        path = Path(given)
        try:
            info = os.stat(path)
        except (FileNotFoundError, NotADirectoryError, ValueError):  # ValueError: a NUL in the path
            raise SnapshotError(f"{_shown(path)}: no such file or folder") from None
        except OSError as error:
            raise SnapshotError(f"{_shown(path)}: cannot be read ({_reason(error)})") from None
        if stat.S_ISDIR(info.st_mode):
            if info.st_dev in _pseudo_devices():
                raise SnapshotError(f"{_shown(path)}: a folder of kernel pseudo-files (/proc, /sys), not snapshot data")
            members = _scan_folder(path, warnings)
            files.extend(members)
            found.update(members)
        else:
            what = _not_regular(info)
            if what is not None:
                raise SnapshotError(f"{_shown(path)}: {what}: {_ONLY_REGULAR}")
            files.append(path)
            named.add(path)
    return SnapshotFiles(files, found - named, warnings)


_ONLY_REGULAR = "only regular files are read (save the JSON to a file and give that)"


def _scan_folder(folder: Path, warnings: list[str]) -> list[Path]:
    """The ``*.json`` regular files under ``folder``, sorted, as ``folder.rglob`` would find them (links to
    files are read, links to folders are not followed); what cannot be taken is added to ``warnings``."""
    members: list[Path] = []
    notes: list[tuple[Path, str]] = []
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = list(listing)
        except OSError as error:
            if current == folder:
                raise SnapshotError(f"{_shown(folder)}: cannot be read ({_reason(error)})") from None
            notes.append((current, f"{_shown(current)} cannot be read ({_reason(error)}): "
                                   "its files are not in the snapshot"))
            continue
        for entry in entries:
            path = current / entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if _on_pseudo_device(entry):  # / given: not /proc
                        notes.append((path, f"{_shown(path)} is a folder of kernel pseudo-files (/proc, /sys): skipped"))
                    else:
                        pending.append(path)  # one that cannot be read is said when it is listed
                    continue
                is_link = entry.is_symlink()
                if not is_link and not entry.name.endswith(".json"):
                    continue
                info = os.stat(path)  # through a link
            except FileNotFoundError:  # a broken link, or gone since the listing
                if entry.name.endswith(".json"):
                    notes.append((path, f"{_shown(path)} is a broken link: skipped"))
                continue
            except OSError as error:
                if not entry.name.endswith(".json"):
                    continue
                raise SnapshotError(f"{_shown(path)}: cannot be read ({_reason(error)})") from None
            if stat.S_ISDIR(info.st_mode):  # a link to a folder
                notes.append((path, f"{_shown(path)} is a link to a folder: not followed, so its files are not "
                                    "in the snapshot (give the folder itself to read them)"))
                continue
            if not entry.name.endswith(".json"):
                continue
            what = _not_regular(info)
            if what is not None:
                notes.append((path, f"{_shown(path)} is {what}: skipped (only regular files are read)"))
                continue
            members.append(path)
    warnings.extend(text for _, text in sorted(notes))
    return sorted(members)


def _on_pseudo_device(entry: os.DirEntry) -> bool:
    try:
        return entry.stat(follow_symlinks=False).st_dev in _pseudo_devices()
    except OSError:
        return False


@functools.cache
def _pseudo_devices() -> frozenset[int]:
    """The devices of /proc and /sys (where they exist): their files are not data, and some block."""
    devices = set()
    for root in ("/proc", "/sys"):
        try:
            devices.add(os.stat(root).st_dev)
        except OSError:
            pass
    return frozenset(devices)


def _not_regular(info: os.stat_result) -> str | None:
    """What a file is when it is not a regular file that can be read as data (``None`` when it is)."""
    mode = info.st_mode
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    if info.st_dev in _pseudo_devices():
        return "a kernel pseudo-file (/proc, /sys)"
    return None


# open without blocking: a FIFO put in a regular file's place since it was looked at must not hang the read
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def _read_file(file: Path) -> bytes:
    """The bytes of ``file``, which must be a regular file (see :func:`_not_regular`)."""
    try:
        what = _not_regular(os.stat(file))
        if what is None:
            descriptor = os.open(file, _OPEN_FLAGS)
            try:
                what = _not_regular(os.fstat(descriptor))
                handle = open(descriptor, "rb", closefd=True)
            except BaseException:
                os.close(descriptor)
                raise
            with handle:
                if what is None:
                    return handle.read()
    except (FileNotFoundError, NotADirectoryError, ValueError):
        raise SnapshotError(f"{_shown(file)}: no such file") from None
    except OSError as error:
        raise SnapshotError(f"{_shown(file)}: cannot be read ({_reason(error)})") from None
    raise SnapshotError(f"{_shown(file)}: {what}: {_ONLY_REGULAR}")


def _reason(error: OSError) -> str:
    return f"{error.__class__.__name__}: {error.strerror or error}"


def _shown(path: str | os.PathLike[str]) -> str:
    """``path`` as one line of text that can always be printed: undecodable bytes of a file name as
    ``\\udcXX`` and control characters (a line break, say) as ``\\xXX`` escapes."""
    text = os.fspath(path)
    return text.encode("utf-8", "backslashreplace").decode("utf-8").translate(_CONTROL_ESCAPES)


_CONTROL_ESCAPES = {code: f"\\x{code:02x}" for code in [*range(0x20), 0x7F]}


def _check_source(source: str) -> None:
    """A file name every message names: it must be one line of UTF-8 text."""
    if _shown(source) == source:
        return
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        raise SnapshotError(f"{_shown(source)}: the file name is not valid UTF-8; rename the file") from None
    raise SnapshotError(f"{_shown(source)}: the file name has a line break or another control character; "
                        "rename the file")


# (byte order mark, codec, name); UTF-32 first: its little-endian mark begins with UTF-16's
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def _encoding(raw: bytes) -> tuple[str, str]:
    """The codec and name of the file's encoding: its byte order mark, else the zero bytes of JSON's
    first (ASCII) characters (RFC 4627), else UTF-8."""
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            return codec, name
    if len(raw) >= 4:
        if not raw[0]:
            return ("utf-32-be", "UTF-32") if not raw[1] else ("utf-16-be", "UTF-16")
        if not raw[1]:
            return ("utf-32-le", "UTF-32") if not raw[2] and not raw[3] else ("utf-16-le", "UTF-16")
    elif len(raw) == 2:
        if not raw[0]:
            return "utf-16-be", "UTF-16"
        if not raw[1]:
            return "utf-16-le", "UTF-16"
    return "utf-8", "UTF-8"


def _parse_json(file: Path | str, raw: bytes) -> Any:
    """The JSON value of a file's bytes (see the module docstring for encodings and limits)."""
    codec, name = _encoding(raw)
    data = _NOTHING
    if codec == "utf-8" and _fast_loads is not None:  # orjson, when installed: the same data, several times faster
        try:
            data = _fast_loads(raw)
        except ValueError:
            pass  # fall through: the standard parser words the error
    if data is _NOTHING:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError as error:
            raise SnapshotError(f"{_shown(file)}: cannot be read as {name} text ({error.reason} at byte {error.start})") from None
        if codec != "utf-8" and _fast_loads is not None:
            try:
                data = _fast_loads(text)
            except ValueError:
                pass
    if data is _NOTHING:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise SnapshotError(f"{_shown(file)}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}") from None
        except RecursionError:
            raise SnapshotError(f"{_shown(file)}: {_TOO_DEEP}") from None
        except ValueError as error:
            if _is_int_limit(error):
                raise SnapshotError(f"{_shown(file)}: {_int_too_long()}") from None
            raise SnapshotError(f"{_shown(file)}: invalid JSON ({error})") from None
    if _text_too_deep(raw if codec in ("utf-8", "utf-8-sig") else text.encode("utf-8", "surrogatepass")):
        raise SnapshotError(f"{_shown(file)}: {_TOO_DEEP}")
    return data


_NOTHING = object()
_TOO_DEEP = f"JSON nested deeper than {MAX_DEPTH} levels (the most graphiam reads)"


def _int_too_long() -> str:
    return (f"a number of more than {sys.get_int_max_str_digits()} digits "
            "(the most Python converts to an integer; see sys.set_int_max_str_digits)")


def _is_int_limit(error: ValueError) -> bool:
    return "integer string conversion" in str(error)


def _text_too_deep(text: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether valid JSON text in UTF-8 nests arrays and objects more than ``limit`` deep (the top one
    is level 1), found on the text, several times faster than a walk of the parsed value.

    Escapes go first (a backslash and the byte after it), then everything but
    brackets and quotes; objects nest as arrays do, so braces become brackets.
    What is left of strings (their brackets) goes next: an empty pair of
    quotes is an empty string or the seam of two adjacent strings, and
    neither changes what is inside quotes. Each pass then removes exactly the
    innermost pairs (``bytes.replace`` does not rescan what it joins): the text
    is gone after as many passes as it is deep.
    """
    if b"\\" in text:
        text = _ESCAPE.sub(b"", text)
    text = text.translate(_BRACKETS, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in text:
        text = _STRING.sub(b"", text)
    for _ in range(limit):
        if not text:
            return False
        text = text.replace(b"[]", b"")
    return bool(text)


_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(byte for byte in range(256) if byte not in b'[]{}"')
_BIG_INT_BITS = 14_000  # below this, an integer has fewer than 4,300 digits: never beyond Python's limit


def _check_document(data: Any, where: str) -> None:
    """A policy document's limits (see the module docstring): depth, integers, Unicode text."""
    stack: list[tuple[Any, int, tuple]] = [(data, 1, ())]
    while stack:
        value, depth, at = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                raise SnapshotError(f"{where}: policy document is {_TOO_DEEP}")
            for key, item in value.items():
                if isinstance(key, str) and not key.isascii():
                    _check_text(key, f"{where}: policy document", f"a key of {_json_path(at) or 'the top object'}")
                stack.append((item, depth + 1, (at, key)))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                raise SnapshotError(f"{where}: policy document is {_TOO_DEEP}")
            stack.extend((item, depth + 1, (at, index)) for index, item in enumerate(value))
        elif isinstance(value, str):
            if not value.isascii():
                _check_text(value, f"{where}: policy document", _json_path(at) or "(top)")
        elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _BIG_INT_BITS:
            try:
                str(value)
            except ValueError:
                raise SnapshotError(f"{where}: policy document {_json_path(at)}: {_int_too_long()}") from None


def _json_path(at: tuple) -> str:
    """``Statement[0].Condition.StringEquals`` from the linked ``(parent, key)`` pairs of :func:`_check_document`."""
    keys = []
    while at:
        at, key = at
        keys.append(key)
    out = ""
    for key in reversed(keys):
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return _shown(out)


def _check_text(value: str, where: str, field: str) -> None:
    """Text that cannot be written as UTF-8 (a lone surrogate, which JSON's ``\\u`` escapes allow) is bad input:
    caught here rather than when text output, the cache index or an export writes it."""
    if value.isascii():
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise SnapshotError(f"{where}: {field} is not valid Unicode text (a lone surrogate "
                            f"\\u{ord(value[error.start]):04x} at character {error.start + 1}), "
                            "so it cannot be written as UTF-8") from None


def _is_account_file(data: Any) -> bool:
    """The shape of get-account-authorization-details (all filters, or only some).

    A file with only ``Policies`` must hold policy details (their
    ``PolicyVersionList``): ``aws iam list-policies`` and ``aws organizations
    list-policies`` outputs also have a ``Policies`` list, and are not account files.
    """
    if not isinstance(data, dict) or "Organization" in data:
        return False
    if any(key in data for key in ACCOUNT_KEYS[:3]):
        return True
    if "Policies" not in data:
        return False
    policies = data["Policies"]
    if not isinstance(policies, list) or not policies or not all(isinstance(p, dict) for p in policies):
        return True  # an empty list is harmless; anything malformed is reported by the account reader
    return any("PolicyVersionList" in p for p in policies)


def _is_organization_file(data: Any) -> bool:
    return isinstance(data, dict) and "Organization" in data


def _is_identity_center_file(data: Any) -> bool:
    """The identity-center file: ``Instances`` (sso-admin ``list_instances``), each with its identity store's
    users and groups and its permission sets and assignments (see :func:`_read_identity_center`).

    Other AWS answers have an ``Instances`` list too (``ec2 run-instances``, ``opsworks describe-instances``):
    the file is one only if its instances are Identity Center's (each entry that is an object names an
    ``InstanceArn`` or an ``IdentityStoreId``), or it has none.
    """
    if not isinstance(data, dict) or "Organization" in data or "Instances" not in data:
        return False
    instances = data["Instances"]
    if not isinstance(instances, list):
        return "Errors" in data  # malformed, but graphiam's own: the reader says what is wrong
    entries = [entry for entry in instances if isinstance(entry, dict)]
    return all("InstanceArn" in entry or "IdentityStoreId" in entry for entry in entries) and (
        bool(entries) or not instances)


# -- documents ---------------------------------------------------------------

def _decode_document(raw: Any, where: str) -> dict:
    """A policy document given as an object, as JSON text, or URL-encoded JSON (the raw IAM API)."""
    if isinstance(raw, str):
        text = raw.strip()
        if not text.startswith("{"):
            text = urllib.parse.unquote(text)
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            raise SnapshotError(f"{where}: policy document is not JSON ({error.msg})") from None
        except RecursionError:
            raise SnapshotError(f"{where}: policy document is {_TOO_DEEP}") from None
        except ValueError as error:
            if not _is_int_limit(error):
                raise SnapshotError(f"{where}: policy document is not JSON ({error})") from None
            raise SnapshotError(f"{where}: policy document has {_int_too_long()}") from None
    if not isinstance(raw, dict):
        raise SnapshotError(f"{where}: policy document must be a JSON object")
    return raw


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _as_strings(value: Any, where: str, element: str) -> tuple[str, ...]:
    out = []
    for item in _as_list(value):
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (str, int, float)):
            out.append(str(item))
        else:
            raise SnapshotError(f"{where}: {element} values must be strings, found {type(item).__name__}")
    return tuple(out)


def _parse_principal(value: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if value == "*":
        return (("AWS", ("*",)),)
    if not isinstance(value, dict):
        raise SnapshotError(f"{where}: Principal must be \"*\" or an object such as {{\"AWS\": ...}}")
    return tuple((str(kind), _as_strings(values, where, "Principal")) for kind, values in value.items())


def _parse_statements(data: dict, where: str) -> tuple[Statement, ...]:
    raw_statements = _as_list(data.get("Statement"))
    statements = []
    for index, raw in enumerate(raw_statements):
        here = f"{where} statement {index + 1}"
        if not isinstance(raw, dict):
            raise SnapshotError(f"{here}: a statement must be a JSON object")
        effect = raw.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise SnapshotError(f"{here}: Effect must be \"Allow\" or \"Deny\", found {effect!r}")
        not_action = "NotAction" in raw
        not_resource = "NotResource" in raw
        not_principal = "NotPrincipal" in raw
        resources = raw.get("NotResource" if not_resource else "Resource")
        principal = raw.get("NotPrincipal" if not_principal else "Principal")
        conditions = []
        block = raw.get("Condition", {})
        if not isinstance(block, dict):
            raise SnapshotError(f"{here}: Condition must be an object")
        for operator, entries in block.items():
            if not isinstance(entries, dict):
                raise SnapshotError(f"{here}: Condition operator {operator} must map keys to values")
            for key, values in entries.items():
                conditions.append(Condition(str(operator), str(key), _as_strings(values, here, "Condition")))
        sid = raw.get("Sid")
        statements.append(
            Statement(
                effect=effect,
                actions=_as_strings(raw.get("NotAction" if not_action else "Action"), here, "Action"),
                not_action=not_action,
                resources=None if resources is None else _as_strings(resources, here, "Resource"),
                not_resource=not_resource,
                principals=None if principal is None else _parse_principal(principal, here),
                not_principal=not_principal,
                conditions=tuple(conditions),
                sid=str(sid) if sid not in (None, "") else None,
                index=index,
            )
        )
    return tuple(statements)


# -- typed access to JSON entries ------------------------------------------------

def _objects(value: Any, where: str) -> list[dict]:
    """A list of JSON objects (a missing or null list is empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise SnapshotError(f"{where}: must be a list, found {type(value).__name__}")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise SnapshotError(f"{where}[{index}]: must be an object, found {type(item).__name__}")
    return value


def _field(entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise SnapshotError(f"{where}: missing {key}" if value is None or value == "" else f"{where}: {key} must be a string")
    if not value.isascii():
        _check_text(value, where, key)
    return value


def _optional(entry: dict, key: str, where: str, default: str = "") -> str:
    value = entry.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise SnapshotError(f"{where}: {key} must be a string, found {type(value).__name__}")
    if not value.isascii():
        _check_text(value, where, key)
    return value


def _strings(entry: dict, key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SnapshotError(f"{where}: {key} must be a list of strings")
    for index, item in enumerate(value):
        if not item.isascii():
            _check_text(item, where, f"{key}[{index}]")
    return tuple(value)


def _instance_profiles(entry: dict, where: str) -> tuple[str, ...]:
    """The ARNs (else names) of the instance profiles a role is in (``InstanceProfileList``); a profile
    without either is skipped: it cannot be named to EC2."""
    value = entry.get("InstanceProfileList")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SnapshotError(f"{where}: InstanceProfileList must be a list")
    found = []
    for index, profile in enumerate(value):
        if not isinstance(profile, dict):
            raise SnapshotError(f"{where}: InstanceProfileList[{index}] must be an object")
        name = profile.get("Arn") or profile.get("InstanceProfileName")
        if name is not None:
            found.append(_text(name, where, f"InstanceProfileList[{index}].Arn"))
    return tuple(found)


def _text(value: Any, where: str, key: str) -> str:
    """A scalar written as text (a name given as a number, say), checked like any other text."""
    try:
        text = value if isinstance(value, str) else str(value)
    except ValueError:  # an integer beyond Python's conversion limit
        raise SnapshotError(f"{where}: {key} is {_int_too_long()}") from None
    if not text.isascii():
        _check_text(text, where, key)
    return text


# -- account files -------------------------------------------------------------

def _tags(entry: dict, where: str) -> tuple[Tag, ...]:
    tags = _objects(entry.get("Tags"), f"{where} Tags")
    return tuple(Tag(_field(t, "Key", f"{where} Tags"), _optional(t, "Value", f"{where} Tags")) for t in tags)


def _inline(entries: Any, list_key: str, owner_arn: str, where: str, parser: DocumentParser) -> tuple[AttachedPolicy, ...]:
    out = []
    for index, entry in enumerate(_objects(entries, f"{where} {list_key}")):
        # moto omits PolicyName in some lists; fall back to a stable name
        name = _optional(entry, "PolicyName", f"{where} {list_key}[{index}]") or f"inline-policy-{index + 1}"
        document = parser.parse(entry.get("PolicyDocument"), f"{where} inline policy {name}")
        out.append(AttachedPolicy(name=name, kind="inline", document=document, attached_to=owner_arn))
    return tuple(out)


def _managed_arns(entry: dict, where: str) -> tuple[str, ...]:
    attached = _objects(entry.get("AttachedManagedPolicies"), f"{where} AttachedManagedPolicies")
    return tuple(_field(p, "PolicyArn", f"{where} AttachedManagedPolicies") for p in attached)


def _boundary(entry: dict, where: str) -> str | None:
    boundary = entry.get("PermissionsBoundary")
    if boundary is None:
        return None
    if not isinstance(boundary, dict):
        raise SnapshotError(f"{where}: PermissionsBoundary must be an object")
    return _optional(boundary, "PermissionsBoundaryArn", f"{where} PermissionsBoundary") or None


def _read_account_file(
    data: dict, source: str, parser: DocumentParser
) -> tuple[list[Account], dict[str, ManagedPolicy], list[str]]:
    """The accounts of an account file, the AWS managed policies it carries, and warnings.

    One account in the usual case; none for a file of AWS managed policies
    alone; several, sorted by id, for a file that merges accounts: each
    user, group, role and customer managed policy goes to the account in
    its ARN, as if each account came in its own file.
    """
    lists = {key: _objects(data.get(key), f"{source}: {key}") for key in ACCOUNT_KEYS}
    partitions: dict[str, set[str]] = {}  # account id -> the partitions of its ARNs

    def note_account(arn: str, where: str) -> str:
        account_id = account_of(arn)
        partition = partition_of(arn)
        if account_id is None or partition is None:
            raise SnapshotError(f"{where}: {arn!r} is not an IAM ARN")
        partitions.setdefault(account_id, set()).add(partition)
        return account_id

    groups: dict[str, Group] = {}
    for index, entry in enumerate(lists["GroupDetailList"]):
        where = f"{source}: GroupDetailList[{index}]"
        arn = _field(entry, "Arn", where)
        groups[arn] = Group(
            arn=arn,
            name=_field(entry, "GroupName", where),
            account_id=note_account(arn, where),
            group_id=_optional(entry, "GroupId", where),
            path=_optional(entry, "Path", where, "/"),
            inline_policies=_inline(entry.get("GroupPolicyList"), "GroupPolicyList", arn, where, parser),
            managed_policy_arns=_managed_arns(entry, where),
        )
    users: dict[str, User] = {}
    for index, entry in enumerate(lists["UserDetailList"]):
        where = f"{source}: UserDetailList[{index}]"
        arn = _field(entry, "Arn", where)
        users[arn] = User(
            arn=arn,
            name=_field(entry, "UserName", where),
            account_id=note_account(arn, where),
            user_id=_optional(entry, "UserId", where),
            path=_optional(entry, "Path", where, "/"),
            tags=_tags(entry, where),
            inline_policies=_inline(entry.get("UserPolicyList"), "UserPolicyList", arn, where, parser),
            managed_policy_arns=_managed_arns(entry, where),
            group_names=_strings(entry, "GroupList", where),
            permissions_boundary_arn=_boundary(entry, where),
        )
    roles: dict[str, Role] = {}
    for index, entry in enumerate(lists["RoleDetailList"]):
        where = f"{source}: RoleDetailList[{index}]"
        arn = _field(entry, "Arn", where)
        name = _field(entry, "RoleName", where)
        roles[arn] = Role(
            arn=arn,
            name=name,
            account_id=note_account(arn, where),
            role_id=_optional(entry, "RoleId", where),
            path=_optional(entry, "Path", where, "/"),
            tags=_tags(entry, where),
            trust_policy=parser.parse(entry.get("AssumeRolePolicyDocument") or {}, f"{where} trust policy of {name}"),
            inline_policies=_inline(entry.get("RolePolicyList"), "RolePolicyList", arn, where, parser),
            managed_policy_arns=_managed_arns(entry, where),
            permissions_boundary_arn=_boundary(entry, where),
            instance_profiles=_instance_profiles(entry, where),
        )
    policies: dict[str, ManagedPolicy] = {}
    for index, entry in enumerate(lists["Policies"]):
        where = f"{source}: Policies[{index}]"
        arn = _field(entry, "Arn", where)
        if not is_aws_managed_policy(arn):
            note_account(arn, where)
        default = _optional(entry, "DefaultVersionId", where)
        versions = _objects(entry.get("PolicyVersionList"), f"{where} PolicyVersionList")
        chosen = next((v for v in versions if v.get("IsDefaultVersion") is True), None)
        if chosen is None:
            chosen = next((v for v in versions if default and v.get("VersionId") == default), None)
        if chosen is None or chosen.get("Document") is None:
            continue  # reported as a missing policy wherever it is attached
        name = _optional(entry, "PolicyName", where) or arn.rsplit("/", 1)[-1]
        policies[arn] = ManagedPolicy(
            arn=arn,
            name=name,
            document=parser.parse(chosen["Document"], f"{where} ({name}) default version"),
            default_version=_text(chosen.get("VersionId") or default or "", f"{where} PolicyVersionList", "VersionId"),
        )
    for account_id, seen in sorted(partitions.items()):
        if len(seen) > 1:
            raise SnapshotError(f"{source}: account {account_id} has ARNs in several partitions "
                                f"({', '.join(sorted(seen))}); an account lives in one partition")
    aws_managed = {arn: policy for arn, policy in policies.items() if is_aws_managed_policy(arn)}
    if not partitions:
        return [], aws_managed, []  # e.g. --filter AWSManagedPolicy: policies only, shared by every account
    if len(partitions) == 1:
        ((account_id, (partition,)),) = partitions.items()
        account = Account(account_id=account_id, source=source, users=users, groups=groups, roles=roles,
                          policies=policies, partition=partition)
        return [account], aws_managed, []
    # a merged file: split by the account of each ARN; its AWS managed policies are kept once, in aws_managed
    accounts = [
        Account(
            account_id=account_id,
            source=source,
            users={arn: user for arn, user in users.items() if user.account_id == account_id},
            groups={arn: group for arn, group in groups.items() if group.account_id == account_id},
            roles={arn: role for arn, role in roles.items() if role.account_id == account_id},
            policies={arn: policy for arn, policy in policies.items() if account_of(arn) == account_id},
            partition=next(iter(partitions[account_id])),
        )
        for account_id in sorted(partitions)
    ]
    return accounts, aws_managed, _merged_file_warnings(accounts, source)


def _merged_file_warnings(accounts: list[Account], source: str) -> list[str]:
    """What does not add up once a merged file is split: IAM attaches only an account's own (or AWS
    managed) policies, and a user's groups are groups of its own account."""
    warnings = []
    group_accounts: dict[str, list[str]] = {}  # group name -> the accounts of the file that have one
    for account in accounts:
        for group in account.groups.values():
            group_accounts.setdefault(group.name, []).append(account.account_id)
    for account in accounts:
        own_groups = {group.name for group in account.groups.values()}
        entities = [*account.users.values(), *account.groups.values(), *account.roles.values()]
        for entity in sorted(entities, key=lambda e: e.arn):
            boundary = getattr(entity, "permissions_boundary_arn", None)
            for arn in [*entity.managed_policy_arns, *([boundary] if boundary else [])]:
                owner = account_of(arn)
                if owner is not None and owner != account.account_id:
                    warnings.append(
                        f"{source}: {entity.arn} references managed policy {arn} of account {owner}; IAM attaches "
                        "only an account's own and AWS managed policies, so this merged file may mix accounts up"
                    )
            for name in getattr(entity, "group_names", ()):
                elsewhere = sorted(set(group_accounts.get(name, ())))
                if name not in own_groups and elsewhere:  # missing everywhere: as silent as in a file of its own
                    warnings.append(
                        f"{source}: {entity.arn} is in group {name}, which its account {account.account_id} does not "
                        f"have in this merged file (account {', '.join(elsewhere)} has a group of that name); "
                        "groups are resolved within the user's own account"
                    )
    return warnings


def _missing_policy_warnings(accounts: dict[str, Account], aws_managed: dict[str, ManagedPolicy]) -> list[str]:
    known = {arn for account in accounts.values() for arn in account.policies} | set(aws_managed)
    warnings = []
    for account_id in sorted(accounts):
        account = accounts[account_id]
        entities = [*account.users.values(), *account.groups.values(), *account.roles.values()]
        for entity in sorted(entities, key=lambda e: e.arn):
            wanted = list(entity.managed_policy_arns)
            boundary = getattr(entity, "permissions_boundary_arn", None)
            if boundary:
                wanted.append(boundary)
            for arn in wanted:
                if arn not in known:
                    warnings.append(
                        f"{account.source}: {entity.arn} references managed policy {arn}, which is not in the "
                        "snapshot; decisions for it depend on that policy"
                    )
    return warnings


# -- organization file -----------------------------------------------------------

def _enabled_policy_types(data: dict, org: dict, source: str) -> frozenset[str] | None:
    """The policy types the file says are in force: ``Roots[].PolicyTypes`` (list_roots), else the deprecated
    ``Organization.AvailablePolicyTypes``; ``None`` when it says neither."""
    roots = data.get("Roots")
    lists: list[tuple[str, Any]] = []
    if isinstance(roots, list):
        lists = [(f"{source}: Roots[{index}] PolicyTypes", root["PolicyTypes"]) for index, root in enumerate(roots)
                 if isinstance(root, dict) and root.get("PolicyTypes") is not None]
    if not lists and org.get("AvailablePolicyTypes") is not None:
        lists = [(f"{source}: Organization AvailablePolicyTypes", org["AvailablePolicyTypes"])]
    if not lists:
        return None
    enabled = set()
    for where, entries in lists:
        for entry in _objects(entries, where):
            policy_type = _field(entry, "Type", where)
            if _optional(entry, "Status", where) in _IN_FORCE:
                enabled.add(policy_type)
    return frozenset(enabled)


def _plural(policy_type: str) -> str:
    return _ORG_POLICY_LABELS[policy_type] + "s"


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _read_organization(data: dict, source: str, parser: DocumentParser) -> Organization:
    org = data.get("Organization")
    if not isinstance(org, dict):
        raise SnapshotError(f"{source}: Organization must be the describe_organization object")
    org_id = _field(org, "Id", f"{source}: Organization")
    management = _field(org, "MasterAccountId", f"{source}: Organization")
    enabled = _enabled_policy_types(data, org, source)
    parents: dict[str, str] = {}
    names: dict[str, str] = {}
    root_ids = []
    for index, root in enumerate(_objects(data.get("Roots"), f"{source}: Roots")):
        root_id = _field(root, "Id", f"{source}: Roots[{index}]")
        root_ids.append(root_id)
        names[root_id] = _optional(root, "Name", f"{source}: Roots[{index}]", "Root")
    account_ids: list[str] = []
    for list_key in ("OrganizationalUnits", "Accounts"):
        for index, entry in enumerate(_objects(data.get(list_key), f"{source}: {list_key}")):
            where = f"{source}: {list_key}[{index}]"
            node_id = _field(entry, "Id", where)
            parents[node_id] = _field(entry, "ParentId", where)
            names[node_id] = _optional(entry, "Name", where, node_id)
            if list_key == "Accounts":
                account_ids.append(node_id)
    for node_id, parent in parents.items():
        if parent not in parents and parent not in root_ids:
            raise SnapshotError(f"{source}: {node_id} has parent {parent}, which is neither a root nor an OU in the file")
    policies = []
    untargeted: dict[str, list[str]] = {policy_type: [] for policy_type in ORG_POLICY_TYPES}
    for index, entry in enumerate(_objects(data.get("Policies"), f"{source}: Policies")):
        where = f"{source}: Policies[{index}]"
        summary = entry.get("PolicySummary")
        if not isinstance(summary, dict):
            raise SnapshotError(f"{where}: missing PolicySummary")
        policy_type = summary.get("Type")
        if policy_type not in ORG_POLICY_TYPES:
            continue  # tag and backup policies do not decide access
        name = _text(summary.get("Name") or summary.get("Id", f"policy-{index}"), f"{where} PolicySummary", "Name")
        if entry.get("Targets") is None:
            untargeted[policy_type].append(name)
        policies.append(
            OrgPolicy(
                policy_id=_field(summary, "Id", where),
                name=name,
                arn=_optional(summary, "Arn", where) or summary["Id"],
                type=policy_type,
                document=parser.parse(entry.get("Content"), f"{where} ({name})"),
                target_ids=tuple(_field(t, "TargetId", f"{where} Targets") for t in _objects(entry.get("Targets"), f"{where} Targets")),
            )
        )
    # what the file leaves out: recorded, never filled in
    incomplete: list[str] = []
    accounts_listed = data.get("Accounts") is not None
    if not accounts_listed:
        incomplete.append(f"{source} has no Accounts: which accounts are members, and under which OU, is unknown; "
                          "no SCP or RCP is applied to any account")
    in_force = [t for t in ORG_POLICY_TYPES if enabled is None or t in enabled]  # the others are off: known
    known = set(ORG_POLICY_TYPES) - set(in_force)
    if data.get("Policies") is None:
        if in_force:
            incomplete.append(f"{source} has no Policies: {_and([_plural(t) for t in in_force])} are unknown")
    else:
        for policy_type in in_force:
            label = _ORG_POLICY_LABELS[policy_type]
            if untargeted[policy_type]:
                missing = untargeted[policy_type]
                incomplete.append(f"{source}: {len(missing)} {label}{'s' if len(missing) > 1 else ''} without Targets "
                                  f"({', '.join(missing)}): where {label}s apply is unknown")
            else:
                known.add(policy_type)
    organization = Organization(
        org_id=org_id,
        management_account_id=management,
        source=source,
        root_ids=tuple(root_ids),
        parents=parents,
        names=names,
        policies=tuple(policies),
        incomplete=tuple(incomplete),
        policy_types_enabled=enabled,
        policy_types_known=frozenset(known),
        accounts_listed=accounts_listed,
        account_ids=tuple(account_ids),
    )
    for node_id in parents:
        path = organization.path_of(node_id)
        if path is None or path[0] not in root_ids:
            raise SnapshotError(f"{source}: the parent chain of {node_id} does not lead to a root (a cycle?)")
    return organization


# -- the Identity Center file ------------------------------------------------------------

_ACCOUNT_ID = re.compile(r"\d{12}")
_PRINCIPAL_TYPES = ("USER", "GROUP")
# what each collector call that failed leaves unknown (the file's Errors)
_UNKNOWN_AFTER = {
    "ListUsers": "its users are unknown, so assignments to them cannot be followed",
    "ListGroups": "its groups are unknown, so assignments to them cannot be followed",
    "ListGroupMemberships": "the group's members are unknown, so sign-ins through the group are missing",
    "ListPermissionSets": "its permission sets are unknown, so their assignments are missing",
    "DescribePermissionSet": "the permission set's name is unknown, so the roles it provisioned cannot be found",
    "GetInlinePolicyForPermissionSet": "the permission set's inline policy is unknown (access is decided on the "
                                       "roles it provisioned, which the account files hold)",
    "ListManagedPoliciesInPermissionSet": "the permission set's managed policies are unknown (access is decided on "
                                          "the roles it provisioned, which the account files hold)",
    "ListCustomerManagedPolicyReferencesInPermissionSet": "the permission set's customer managed policies are "
                                                          "unknown (access is decided on the roles it provisioned, "
                                                          "which the account files hold)",
    "GetPermissionsBoundaryForPermissionSet": "the permission set's permissions boundary is unknown (access is "
                                              "decided on the roles it provisioned, which the account files hold)",
    "ListAccountsForProvisionedPermissionSet": "where the permission set is provisioned is unknown, so its "
                                               "assignments there may be missing",
    "ListPermissionSetsProvisionedToAccount": "which permission sets the account has is unknown, so its "
                                              "assignments may be missing",
    "ListAccountAssignments": "those assignments are unknown, so sign-ins through them are missing",
}


def _read_identity_center(data: dict, source: str, parser: DocumentParser) -> tuple[IdentityCenter | None, list[str]]:
    """The identity-center file: the IAM Identity Center instance, and warnings.

    The file (``graphiam collect --org`` writes ``identity-center.json``) holds
    the boto3 answers, keys as boto3 returns them::

        {"Instances": [{                           # sso-admin list_instances
            "InstanceArn": "arn:aws:sso:::instance/ssoins-...", "IdentityStoreId": "d-...", "OwnerAccountId": ...,
            "Users": [...],                        # identitystore list_users (UserId, UserName, DisplayName, Emails)
            "Groups": [...],                       # identitystore list_groups (GroupId, DisplayName)
            "GroupMemberships": [...],             # list_group_memberships of every group (GroupId, MemberId.UserId)
            "PermissionSets": [{
                "PermissionSet": {...},            # describe_permission_set (PermissionSetArn, Name, ...)
                "InlinePolicy": "...",             # get_inline_policy_for_permission_set ("" when none)
                "AttachedManagedPolicies": [...],  # list_managed_policies_in_permission_set (Arn, Name)
                "CustomerManagedPolicyReferences": [...],  # (Name, Path)
                "PermissionsBoundary": {...},      # get_permissions_boundary_for_permission_set, when it has one
                "AccountIds": [...]}],             # the accounts it is provisioned to
            "AccountAssignments": [...]}],         # list_account_assignments (AccountId, PermissionSetArn,
                                                   # PrincipalType USER|GROUP, PrincipalId)
         "Errors": [{"Operation", "ErrorCode", "Message", ...}]}  # the collector's calls that failed

    One instance is read: the one with permission sets or assignments (an
    organization has one such instance; account instances hold neither).
    Each failed call in ``Errors`` is a warning naming what it leaves unknown.
    """
    instances = _objects(data.get("Instances"), f"{source}: Instances")
    incomplete = [_collection_error(entry, f"{source}: Errors[{index}]", source)
                  for index, entry in enumerate(_objects(data.get("Errors"), f"{source}: Errors"))]
    read = [_read_instance(entry, f"{source}: Instances[{index}]", source, parser)
            for index, entry in enumerate(instances)]
    if not read:
        return None, [f"{source} lists no IAM Identity Center instance: no Identity Center user is in the snapshot",
                      *incomplete]
    warnings = list(incomplete)
    used = [center for center in read if center.permission_sets or center.assignments]
    if len(used) > 1:
        raise SnapshotError(f"{source}: {len(used)} Identity Center instances with permission sets "
                            f"({', '.join(c.instance_arn for c in used)}); an organization has one, give its file alone")
    chosen = used[0] if used else read[0]
    for center in read:
        if center is not chosen:
            warnings.append(f"{source}: Identity Center instance {center.instance_arn} has no permission sets or "
                            "account assignments: skipped")
    return replace(chosen, incomplete=tuple(incomplete)), warnings


def _collection_error(entry: dict, where: str, source: str) -> str:
    operation = _field(entry, "Operation", where)
    code = _optional(entry, "ErrorCode", where) or "an error"
    targets = []
    for key, label in (("GroupId", "group"), ("PermissionSetArn", "permission set"), ("AccountId", "account")):
        value = _optional(entry, key, where)
        if value:
            targets.append(f"{label} {value}")
    on = f" for {' in '.join(targets)}" if targets else ""
    unknown = _UNKNOWN_AFTER.get(operation, "what it reads is unknown")
    return f"{source}: the collector's {operation}{on} failed ({code}): {unknown}"


def _account_id(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str) or not _ACCOUNT_ID.fullmatch(value):
        raise SnapshotError(f"{where}: {key} must be a 12-digit account id, found {value!r:.60}")
    return value


def _read_instance(entry: dict, where: str, source: str, parser: DocumentParser) -> IdentityCenter:
    instance_arn = _field(entry, "InstanceArn", where)
    if ":sso:::instance/" not in instance_arn or not instance_arn.startswith("arn:"):
        raise SnapshotError(f"{where}: InstanceArn {instance_arn!r} is not an Identity Center instance ARN "
                            "(arn:aws:sso:::instance/ssoins-...)")
    owner = entry.get("OwnerAccountId")
    users: dict[str, IdentityCenterUser] = {}
    for index, raw in enumerate(_objects(entry.get("Users"), f"{where} Users")):
        here = f"{where} Users[{index}]"
        user_id = _field(raw, "UserId", here)
        if user_id in users:
            raise SnapshotError(f"{here}: UserId {user_id} is listed twice")
        users[user_id] = IdentityCenterUser(user_id=user_id, user_name=_field(raw, "UserName", here),
                                            display_name=_optional(raw, "DisplayName", here) or None,
                                            emails=_emails(raw, here))
    groups: dict[str, IdentityCenterGroup] = {}
    for index, raw in enumerate(_objects(entry.get("Groups"), f"{where} Groups")):
        here = f"{where} Groups[{index}]"
        group_id = _field(raw, "GroupId", here)
        if group_id in groups:
            raise SnapshotError(f"{here}: GroupId {group_id} is listed twice")
        groups[group_id] = IdentityCenterGroup(group_id=group_id,
                                               display_name=_optional(raw, "DisplayName", here) or group_id,
                                               description=_optional(raw, "Description", here) or None)
    memberships: dict[tuple[str, str], GroupMembership] = {}
    for index, raw in enumerate(_objects(entry.get("GroupMemberships"), f"{where} GroupMemberships")):
        here = f"{where} GroupMemberships[{index}]"
        member = raw.get("MemberId")
        if not isinstance(member, dict):
            raise SnapshotError(f"{here}: MemberId must be an object such as {{\"UserId\": \"...\"}}")
        membership = GroupMembership(group_id=_field(raw, "GroupId", here), user_id=_field(member, "UserId",
                                                                                             f"{here} MemberId"),
                                     membership_id=_optional(raw, "MembershipId", here) or None)
        memberships.setdefault((membership.group_id, membership.user_id), membership)
    permission_sets: dict[str, PermissionSet] = {}
    for index, raw in enumerate(_objects(entry.get("PermissionSets"), f"{where} PermissionSets")):
        here = f"{where} PermissionSets[{index}]"
        found = _permission_set(raw, here, parser)
        if found.arn in permission_sets:
            raise SnapshotError(f"{here}: PermissionSetArn {found.arn} is listed twice")
        permission_sets[found.arn] = found
    assignments: dict[tuple, AccountAssignment] = {}
    for index, raw in enumerate(_objects(entry.get("AccountAssignments"), f"{where} AccountAssignments")):
        here = f"{where} AccountAssignments[{index}]"
        principal_type = raw.get("PrincipalType")
        if principal_type not in _PRINCIPAL_TYPES:
            raise SnapshotError(f"{here}: PrincipalType must be \"USER\" or \"GROUP\", found {principal_type!r:.60}")
        assignment = AccountAssignment(account_id=_account_id(raw.get("AccountId"), here, "AccountId"),
                                       permission_set_arn=_field(raw, "PermissionSetArn", here),
                                       principal_type=principal_type, principal_id=_field(raw, "PrincipalId", here))
        assignments.setdefault((assignment.account_id, assignment.permission_set_arn, assignment.principal_type,
                                assignment.principal_id), assignment)
    return IdentityCenter(
        instance_arn=instance_arn,
        identity_store_id=_field(entry, "IdentityStoreId", where),
        source=source,
        users=users,
        groups=groups,
        memberships=tuple(memberships[k] for k in sorted(memberships)),
        permission_sets=permission_sets,
        assignments=tuple(assignments[k] for k in sorted(assignments)),
        owner_account_id=None if owner is None else _account_id(owner, where, "OwnerAccountId"),
        name=_optional(entry, "Name", where) or None,
    )


def _emails(raw: dict, where: str) -> tuple[str, ...]:
    """``Emails[].Value``, the primary address first."""
    found = []
    for index, email in enumerate(_objects(raw.get("Emails"), f"{where} Emails")):
        value = _field(email, "Value", f"{where} Emails[{index}]")
        found.append((email.get("Primary") is not True, index, value))
    return tuple(value for _, _, value in sorted(found))


def _permission_set(raw: dict, where: str, parser: DocumentParser) -> PermissionSet:
    described = raw.get("PermissionSet")
    if not isinstance(described, dict):
        raise SnapshotError(f"{where}: PermissionSet must be the describe_permission_set object")
    arn = _field(described, "PermissionSetArn", f"{where} PermissionSet")
    if not arn.startswith("arn:") or ":sso:::" not in arn:  # moto writes arn:aws:sso:::instance/ssoins-.../ps-...
        raise SnapshotError(f"{where} PermissionSet: PermissionSetArn {arn!r} is not a permission set ARN "
                            "(arn:aws:sso:::permissionSet/ssoins-.../ps-...)")
    name = _optional(described, "Name", f"{where} PermissionSet")
    inline = raw.get("InlinePolicy")
    document = None
    if inline not in (None, ""):
        document = parser.parse(inline, f"{where} ({name or arn}) InlinePolicy")
    managed = tuple(_field(p, "Arn", f"{where} AttachedManagedPolicies[{i}]")
                    for i, p in enumerate(_objects(raw.get("AttachedManagedPolicies"),
                                                   f"{where} AttachedManagedPolicies")))
    references = tuple(_reference(p, f"{where} CustomerManagedPolicyReferences[{i}]")
                       for i, p in enumerate(_objects(raw.get("CustomerManagedPolicyReferences"),
                                                      f"{where} CustomerManagedPolicyReferences")))
    boundary = None
    given = raw.get("PermissionsBoundary")
    if given is not None:
        here = f"{where} PermissionsBoundary"
        if not isinstance(given, dict):
            raise SnapshotError(f"{here}: must be an object")
        reference = given.get("CustomerManagedPolicyReference")
        if reference is not None and not isinstance(reference, dict):
            raise SnapshotError(f"{here}: CustomerManagedPolicyReference must be an object with Name and Path")
        boundary = PermissionSetBoundary(
            managed_policy_arn=_optional(given, "ManagedPolicyArn", here) or None,
            customer_managed_policy=None if reference is None else _reference(reference,
                                                                             f"{here} CustomerManagedPolicyReference"))
        if boundary.managed_policy_arn is None and boundary.customer_managed_policy is None:
            raise SnapshotError(f"{here}: has neither ManagedPolicyArn nor CustomerManagedPolicyReference")
    accounts = raw.get("AccountIds")
    if accounts is not None and not isinstance(accounts, list):
        raise SnapshotError(f"{where}: AccountIds must be a list of account ids")
    return PermissionSet(
        arn=arn,
        name=name,
        description=_optional(described, "Description", f"{where} PermissionSet") or None,
        session_duration=_optional(described, "SessionDuration", f"{where} PermissionSet") or None,
        inline_policy=document,
        managed_policy_arns=managed,
        customer_managed_policies=references,
        permissions_boundary=boundary,
        provisioned_accounts=tuple(sorted({_account_id(a, where, f"AccountIds[{i}]")
                                           for i, a in enumerate(accounts or ())})),
    )


def _reference(raw: dict, where: str) -> CustomerManagedPolicyReference:
    path = _optional(raw, "Path", where, "/") or "/"
    if not (path.startswith("/") and path.endswith("/")):
        raise SnapshotError(f"{where}: Path must begin and end with /, found {path!r:.60}")
    return CustomerManagedPolicyReference(name=_field(raw, "Name", where), path=path)
