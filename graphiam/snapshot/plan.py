"""The snapshot as it will be once a Terraform plan is applied: ``graphiam snapshot apply-plan``.

:func:`apply_plan` reads a snapshot (the files :func:`graphiam.snapshot.read.load_snapshot`
reads) and a plan in the JSON of ``terraform show -json PLANFILE``, and writes a new snapshot
folder: every file the plan does not change is copied byte for byte, each account file it
changes is rewritten in the same ``get-account-authorization-details`` shape (its indentation
kept), and a manifest, ``apply-plan.json``, records what the new snapshot cannot know. ``graphiam
diff --old OLD --new NEW`` then says what the pull request opens before anything is applied.

It works on the JSON of the files, not on the typed model: entries it does not touch keep every
key they have (RoleLastUsed, CreateDate, instance profiles, keys graphiam does not read).

Supported resources (``resource_changes[]`` of mode ``managed``):

- ``aws_iam_role``: name, path, ``assume_role_policy`` (the trust policy), ``permissions_boundary``,
  ``tags`` (``tags_all`` when the plan knows it), description, ``max_session_duration``, the
  ``inline_policy`` blocks and ``managed_policy_arns`` (when the configuration sets them);
- ``aws_iam_user`` and ``aws_iam_group``: name, path, and for a user ``permissions_boundary`` and tags
  (a rename is an update, as IAM allows; a group's members follow it);
- ``aws_iam_policy``: name, path and ``policy``. A new policy is ``arn:PARTITION:iam::ACCOUNT:policy{path}{name}``
  with its one version ``v1``; a changed document becomes the new default version (its version id is
  left out: IAM numbers it at apply);
- inline policies: ``aws_iam_role_policy``, ``aws_iam_user_policy``, ``aws_iam_group_policy``;
- attachments: ``aws_iam_role_policy_attachment``, ``aws_iam_user_policy_attachment``,
  ``aws_iam_group_policy_attachment`` and ``aws_iam_policy_attachment`` (its users, roles, groups);
- memberships: ``aws_iam_group_membership`` (group, users) and ``aws_iam_user_group_membership`` (user, groups).

How a change is applied. Actions are those of the plan: ``create``, ``update``, ``delete``, both
``delete`` and ``create`` (a replacement), ``no-op``, ``read`` and ``forget`` (the object stays in AWS:
nothing changes). Only what the plan changes is changed: an update sets the attributes whose planned
value differs from the one before, so ``graphiam diff`` shows the plan and not the drift between the
snapshot and the Terraform state. Inline policies, attachments and memberships are removed (the ones
before that are not planned after) before any is added. A replacement that keeps the ARN keeps the
entity's inline policies, attachments and instance profiles (other resources manage them), and its
unique id, create date and last use are dropped (IAM gives new ones). A deleted managed policy is
not detached from what still attaches it: the reader then says that a referenced policy is missing
(the apply itself would fail, DeleteConflict). A role, user or group the plan creates but the
snapshot already holds keeps its entry and takes the plan's values, with a warning; one the plan
updates but the snapshot lacks is added as planned, with a warning.

The account of a resource: the account of an ARN the plan gives for it (its ``arn``, a role or user
given as an ARN, or the customer managed policy it attaches: IAM attaches only an account's own
policies), else ``account``, else the snapshot's only account. ARNs of new entities are computed from
the account, path and name (and the account's partition): IAM makes them that way. A change in an
account the snapshot does not hold is an error.

Values known only after apply (``after_unknown``) are never guessed. Each one the new snapshot needs
is an :class:`Unknown` saying what the snapshot holds instead: an update keeps the current value (the
current trust policy, boundary, tags, document); a new role whose trust is unknown gets an empty trust
policy (no one can assume it); a new role or user whose boundary is unknown has none; an inline
policy, attachment or membership whose policy, ARN, name or member is unknown is left out, and so is
a new policy whose document is unknown (what attaches it then references a missing policy) and an
entity whose name is unknown (``name_prefix``). A role's ``inline_policy`` or ``managed_policy_arns``
that is wholly unknown on a new role counts only when the configuration sets it (else the provider
computes it). The manifest lists them under ``unknown_after_apply`` and the reader warns once for
each, so every answer on the new snapshot (``path``, ``diff``) says it.

Not applied: the changes of other resource types that touch what graphiam reads (``aws_iam_*``,
``aws_organizations_policy*``, ``aws_ssoadmin_*``, ``aws_identitystore_*``; instance profiles, identity
providers, SCPs, permission sets ...): one warning per type naming them, and in the manifest under
``not_applied`` (a warning each on the new snapshot). Other types are ignored, as are data sources
and deposed objects (the leftovers of a failed ``create_before_destroy``).

Bad input is a :class:`PlanError` (a :class:`~graphiam.snapshot.read.SnapshotError`): one line naming
the file and the problem: a plan that is not JSON (the binary plan file itself), not a plan (a state,
any other JSON), without ``resource_changes``, an errored plan; a role, user or group a change needs
that is in neither the snapshot nor the plan; a change whose account is not said; an output folder
that is the snapshot's own, inside it, not a folder, or not empty.

The output is written whole or not at all: a temporary folder beside it, renamed into place once
every file is written and the new snapshot reads back.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from .names import account_of, is_aws_managed_policy, partition_of
from .read import (MANIFEST_KIND, SnapshotBuffers, SnapshotError, _is_account_file, _parse_json, _read_file, _shown,
                   read_files, snapshot_from_buffers)

__all__ = ["MANIFEST_NAME", "SUPPORTED_TYPES", "NotApplied", "PlanError", "PlanReport", "Unknown", "apply_plan"]

MANIFEST_NAME = "apply-plan.json"  # the new snapshot's manifest (apply-plan-2.json ... when the snapshot has one)
SUPPORTED_TYPES = (
    "aws_iam_role", "aws_iam_user", "aws_iam_group", "aws_iam_policy",
    "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy",
    "aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment",
    "aws_iam_policy_attachment", "aws_iam_group_membership", "aws_iam_user_group_membership",
)
# resource types that change what graphiam reads: a change of one not supported is a warning, never ignored
_READ_BY_GRAPHIAM = ("aws_iam_", "aws_organizations_policy", "aws_ssoadmin_", "aws_identitystore_")
_EMPTY_POLICY = {"Version": "2012-10-17", "Statement": []}
_LISTS = {"role": "RoleDetailList", "user": "UserDetailList", "group": "GroupDetailList"}
_NAMES = {"role": "RoleName", "user": "UserName", "group": "GroupName"}
_IDS = {"role": "RoleId", "user": "UserId", "group": "GroupId"}
_INLINE = {"role": "RolePolicyList", "user": "UserPolicyList", "group": "GroupPolicyList"}
_ENTITY_TYPES = {"aws_iam_role": "role", "aws_iam_user": "user", "aws_iam_group": "group"}
_SHOWN_ACCOUNTS = 6  # accounts named in one message


class PlanError(SnapshotError):
    """Bad input to :func:`apply_plan`. ``str(error)`` is one line: ``<file>: <what is wrong>``."""


@dataclass(frozen=True)
class Unknown:
    """A value the plan knows only after apply, and what the new snapshot holds instead.

    ``effect`` completes "the new snapshot ...": ``keeps the current trust policy of arn:...``.
    """

    address: str
    attribute: str
    effect: str
    arn: str | None = None

    def line(self) -> str:
        return f"{self.address}: {self.attribute} is known only after apply; the new snapshot {self.effect}"

    def to_dict(self) -> dict:
        return {"address": self.address, "attribute": self.attribute, "effect": self.effect, "arn": self.arn}


@dataclass(frozen=True)
class NotApplied:
    """A change of a resource type that touches what graphiam reads, which apply-plan does not apply."""

    address: str
    type: str
    action: str

    def to_dict(self) -> dict:
        return {"address": self.address, "type": self.type, "action": self.action}


@dataclass(frozen=True)
class PlanReport:
    """What :func:`apply_plan` wrote.

    ``applied``: ``(address, action)`` of each change applied; ``warnings``: every line to show, in order
    (the types not applied, one line each; the unknowns; notes; what the new snapshot's reader says that
    it did not say of the old one). File names are relative to ``output``.
    """

    output: Path
    plan: str
    applied: tuple[tuple[str, str], ...]
    unknown: tuple[Unknown, ...]
    not_applied: tuple[NotApplied, ...]
    warnings: tuple[str, ...]
    changed_files: tuple[str, ...]
    copied_files: tuple[str, ...]
    manifest: str

    def summary(self) -> str:
        """One line: what was written."""
        unknown = f"; {len(self.unknown)} value(s) known only after apply" if self.unknown else ""
        skipped = f"; {len(self.not_applied)} change(s) not applied" if self.not_applied else ""
        return (f"wrote {_shown(self.output)}: {len(self.applied)} change(s) from {self.plan} applied to "
                f"{len(self.changed_files)} account file(s), {len(self.copied_files)} file(s) copied{unknown}{skipped}")

    def to_dict(self) -> dict:
        return {"output": str(self.output), "plan": self.plan,
                "applied": [{"address": a, "action": action} for a, action in self.applied],
                "unknown_after_apply": [u.to_dict() for u in self.unknown],
                "not_applied": [n.to_dict() for n in self.not_applied],
                "changed_files": list(self.changed_files), "copied_files": list(self.copied_files),
                "manifest": self.manifest, "warnings": list(self.warnings)}


def apply_plan(snapshot_paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
               plan_path: str | os.PathLike[str], output: str | os.PathLike[str],
               account: str | None = None) -> PlanReport:
    """Write to ``output`` the snapshot ``snapshot_paths`` becomes once the plan ``plan_path`` is applied.

    ``snapshot_paths``: files or folders, as :func:`~graphiam.snapshot.read.load_snapshot` takes them
    (a folder's files keep their place under it in ``output``, a file named alone goes to its top).
    ``account``: the account of the changes the plan does not place (see the module docstring).
    ``output`` must not exist, or be an empty folder. Raises :class:`PlanError` (or the reader's
    :class:`SnapshotError` for a bad snapshot) on bad input, ``OSError`` when writing fails.
    """
    if isinstance(snapshot_paths, (str, os.PathLike)):
        snapshot_paths = [snapshot_paths]
    paths = [Path(p) for p in snapshot_paths]
    out = Path(output)
    plan_file = Path(plan_path)
    plan_name = _shown(plan_file)
    _check_output(out, paths)
    plan = _read_plan(plan_file, plan_name)
    changes = _changes(plan, plan_name)
    buffers = read_files(paths)
    old = snapshot_from_buffers(buffers)  # a bad snapshot is said here, as every command says it
    files = _files(buffers, paths, out)
    accounts = _accounts(files)
    if account is not None and account not in accounts:
        raise PlanError(f"--account {account}: the snapshot holds no such account (it holds "
                        f"{_listed(accounts)})")
    default = account if account is not None else next(iter(accounts)) if len(accounts) == 1 else None
    applier = _Applier(plan_name, plan, accounts, default, changes)
    applier.run()
    manifest_name = _manifest_name({f.relative for f in files})
    manifest = _manifest(plan, plan_name, paths, applier)
    contents = [(f.relative, f.dump(plan_name) if f.changed else f.raw) for f in files]
    contents.append((manifest_name, (json.dumps(manifest, indent=2) + "\n").encode("ascii")))
    added = _new_warnings(old.warnings, files, contents, out, manifest_name, plan_name)
    _write_folder(out, contents)
    warnings = [*_not_applied_lines(plan_name, applier.not_applied), *(f"{plan_name}: {u.line()}" for u in applier.unknown),
                *applier.notes, *added]
    return PlanReport(output=out, plan=plan_name, applied=tuple(applier.applied), unknown=tuple(applier.unknown),
                      not_applied=tuple(applier.not_applied), warnings=tuple(warnings),
                      changed_files=tuple(f.relative for f in files if f.changed),
                      copied_files=tuple(f.relative for f in files if not f.changed), manifest=manifest_name)


# -- the plan ----------------------------------------------------------------------------------------

_BINARY_PLAN = b"PK\x03\x04"  # terraform plan -out writes a zip archive


def _read_plan(file: Path, name: str) -> dict:
    raw = _read_file(file)  # a missing file, a folder, a FIFO: the reader's one-line errors
    show = f"terraform show -json {name} > plan.json"
    if raw.startswith(_BINARY_PLAN):
        raise PlanError(f"{name}: a binary plan file, not its JSON: give the output of {show}")
    data = _parse_json(file, raw)  # invalid JSON, UTF-16 from PowerShell, too deep: as the reader says it
    if not isinstance(data, dict) or not isinstance(data.get("format_version"), str):
        raise PlanError(f"{name}: not a Terraform plan (no format_version): give the output of "
                        "terraform show -json PLANFILE")
    major = data["format_version"].split(".", 1)[0]
    if major not in ("0", "1"):
        raise PlanError(f"{name}: plan format_version {data['format_version']} is not supported (1.x is)")
    if "resource_changes" not in data:
        if "values" in data and "planned_values" not in data:
            raise PlanError(f"{name}: a Terraform state, not a plan (no resource_changes): run terraform plan "
                            "-out plan.out and give the output of terraform show -json plan.out")
        raise PlanError(f"{name}: no resource_changes: not the output of terraform show -json PLANFILE")
    if not isinstance(data["resource_changes"], list):
        raise PlanError(f"{name}: resource_changes must be a list")
    if data.get("errored") is True:
        raise PlanError(f"{name}: Terraform could not finish this plan (errored is true): fix its errors first")
    return data


@dataclass(frozen=True)
class _Change:
    """One entry of ``resource_changes``."""

    address: str
    type: str
    name: str
    module_address: str | None
    actions: frozenset[str]
    before: dict | None
    after: dict | None
    unknown: Any  # after_unknown: True where a value is known only after apply

    @property
    def creates(self) -> bool:
        return "create" in self.actions

    @property
    def deletes(self) -> bool:
        return "delete" in self.actions

    @property
    def updates(self) -> bool:
        return "update" in self.actions

    @property
    def changes(self) -> bool:
        return self.creates or self.deletes or self.updates

    @property
    def action(self) -> str:
        if self.creates and self.deletes:
            return "replace"
        return "/".join(sorted(self.actions))


def _changes(plan: dict, name: str) -> list[_Change]:
    """The managed resources' changes (data sources and deposed objects left out)."""
    out = []
    for index, entry in enumerate(plan["resource_changes"]):
        where = f"{name}: resource_changes[{index}]"
        if not isinstance(entry, dict):
            raise PlanError(f"{where}: must be an object")
        if entry.get("mode", "managed") != "managed" or entry.get("deposed"):
            continue
        kind, address, change = entry.get("type"), entry.get("address"), entry.get("change")
        if not isinstance(kind, str) or not isinstance(address, str):
            raise PlanError(f"{where}: needs a type and an address")
        if not isinstance(change, dict) or not isinstance(change.get("actions"), list) or not all(
                isinstance(a, str) for a in change["actions"]):
            raise PlanError(f"{where} ({address}): change.actions must be a list of actions")
        before, after = change.get("before"), change.get("after")
        for side, value in (("before", before), ("after", after)):
            if value is not None and not isinstance(value, dict):
                raise PlanError(f"{where} ({address}): change.{side} must be an object or null")
        module = entry.get("module_address")
        out.append(_Change(address=address, type=kind, name=str(entry.get("name", "")),
                           module_address=module if isinstance(module, str) else None,
                           actions=frozenset(change["actions"]), before=before, after=after,
                           unknown=change.get("after_unknown")))
    return out


def _is_unknown(tree: Any, *path: str | int) -> bool:
    """Whether ``after_unknown`` says the value at ``path`` (or a level above it) is known only after apply."""
    node = tree
    for key in path:
        if node is True:
            return True
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return False
    return node is True


_MODULE_STEP = re.compile(r'module\.([^.\[]+)(?:\[[^\]]*\])?')


def _configured(plan: dict, change: _Change, attribute: str) -> bool | None:
    """Whether the configuration sets ``attribute`` on the change's resource (``None``: cannot tell)."""
    module = plan.get("configuration", {}).get("root_module") if isinstance(plan.get("configuration"), dict) else None
    for step in _MODULE_STEP.findall(change.module_address or ""):
        calls = module.get("module_calls") if isinstance(module, dict) else None
        call = calls.get(step) if isinstance(calls, dict) else None
        module = call.get("module") if isinstance(call, dict) else None
    if not isinstance(module, dict) or not isinstance(module.get("resources"), list):
        return None
    for resource in module["resources"]:
        if (isinstance(resource, dict) and resource.get("mode", "managed") == "managed"
                and resource.get("type") == change.type and resource.get("name") == change.name):
            expressions = resource.get("expressions")
            return isinstance(expressions, dict) and attribute in expressions
    return None


# -- the snapshot's files ----------------------------------------------------------------------------

class _File:
    """One file of the snapshot: its bytes, its place in the output and, for an account file, its JSON."""

    def __init__(self, path: Path, raw: bytes, relative: str) -> None:
        self.path = path
        self.raw = raw
        self.relative = relative
        self.data: Any = None
        self.changed = False
        self.aws_policies: dict[str, dict] = {}  # the AWS managed policies it lists, by ARN

    def dump(self, plan_name: str) -> bytes:
        """The changed JSON, indented as the file was (compact stays compact), ASCII when the file was."""
        indent = _indentation(self.raw)
        text = json.dumps(self.data, indent=indent, ensure_ascii=self.raw.isascii()) + "\n"
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            raise PlanError(f"{plan_name}: holds text that is not valid Unicode (a lone surrogate), which "
                            f"{self.relative} cannot hold") from None


_INDENT = re.compile(rb"[\[{]\r?\n([ \t]+)\S")


def _indentation(raw: bytes) -> int | str | None:
    found = _INDENT.search(raw[:4096])
    if found:
        unit = found.group(1)
        return "\t" if unit.startswith(b"\t") else len(unit)
    return None if raw.strip().count(b"\n") == 0 else 2


def _files(buffers: SnapshotBuffers, paths: Sequence[Path], out: Path) -> list[_File]:
    """The snapshot's files with their place in the output: under a folder given, as there; a file given alone,
    at the top."""
    folders = [p for p in paths if p.is_dir()]
    placed: dict[str, Path] = {}
    files = []
    for path, raw in buffers:
        relative = None
        for folder in folders:
            try:
                relative = path.relative_to(folder).as_posix()
                break
            except ValueError:
                continue
        if relative is None:
            relative = path.name
        if relative in placed:
            raise PlanError(f"{_shown(path)} and {_shown(placed[relative])} would both be {_shown(out / relative)}: "
                            "give the snapshot as one folder")
        placed[relative] = path
        file = _File(path, raw, relative)
        data = _parse_json(path, raw)
        if _is_account_file(data):
            file.data = data
        files.append(file)
    return files


class _Account:
    """One account of the snapshot: the file that holds it and its entities' JSON entries, by lower-case name
    (IAM names are unique whatever their case) and, for its managed policies, by ARN."""

    def __init__(self, account_id: str, file: _File, partition: str) -> None:
        self.account_id = account_id
        self.file = file
        self.partition = partition
        self.named: dict[str, dict[str, dict]] = {kind: {} for kind in _LISTS}
        self.policies: dict[str, dict] = {}

    def arn(self, kind: str, name: str, path: str = "/") -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:{kind}{path}{name}"

    def find(self, kind: str, name: str) -> dict | None:
        return self.named[kind].get(name.lower())

    def add(self, kind: str, entry: dict) -> None:
        listed = self.file.data.get(_LISTS[kind])
        if not isinstance(listed, list):
            listed = self.file.data[_LISTS[kind]] = []
        listed.append(entry)
        self.named[kind][entry[_NAMES[kind]].lower()] = entry
        self.file.changed = True

    def remove(self, kind: str, entry: dict) -> None:
        key = _LISTS[kind] if kind in _LISTS else "Policies"
        self.file.data[key] = [e for e in self.file.data.get(key) or () if e is not entry]
        if kind in _LISTS:
            self.named[kind].pop(entry[_NAMES[kind]].lower(), None)
        else:
            self.policies.pop(entry.get("Arn"), None)
        self.file.changed = True

    def add_policy(self, entry: dict) -> None:
        listed = self.file.data.get("Policies")
        if not isinstance(listed, list):
            listed = self.file.data["Policies"] = []
        listed.append(entry)
        self.policies[entry["Arn"]] = entry
        self.file.changed = True

    def policy_entry(self, arn: str) -> dict | None:
        """The entry of a managed policy in this account's file (its own, or an AWS managed one it lists)."""
        return self.policies.get(arn) or self.file.aws_policies.get(arn)


def _accounts(files: list[_File]) -> dict[str, _Account]:
    """Each account of the account files (a merged file holds several), by id."""
    accounts: dict[str, _Account] = {}
    for file in files:
        if file.data is None:
            continue
        for kind, key in (*_LISTS.items(), ("policy", "Policies")):
            entries = file.data.get(key)
            for entry in entries if isinstance(entries, list) else ():
                arn = entry.get("Arn") if isinstance(entry, dict) else None
                if not isinstance(arn, str):
                    continue
                if kind == "policy" and is_aws_managed_policy(arn):
                    file.aws_policies[arn] = entry
                    continue
                account_id = account_of(arn)
                if account_id is None:
                    continue
                account = accounts.get(account_id)
                if account is None:
                    account = accounts[account_id] = _Account(account_id, file, partition_of(arn) or "aws")
                if kind == "policy":
                    account.policies[arn] = entry
                else:
                    account.named[kind][str(entry.get(_NAMES[kind], "")).lower()] = entry
    return dict(sorted(accounts.items()))


def _listed(accounts: Iterable[str]) -> str:
    ids = sorted(accounts)
    shown = ", ".join(ids[:_SHOWN_ACCOUNTS])
    return shown + (f" and {len(ids) - _SHOWN_ACCOUNTS} more" if len(ids) > _SHOWN_ACCOUNTS else "")


# -- applying the changes ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Identity:
    """Where an entity is: its account, name and path."""

    account: _Account
    name: str
    path: str

    def arn(self, kind: str) -> str:
        return self.account.arn(kind, self.name, self.path)

    def same(self, other: "_Identity | None") -> bool:
        return (other is not None and other.account is self.account and other.name.lower() == self.name.lower()
                and other.path == self.path)


@dataclass(frozen=True)
class _Binding:
    """An inline policy (``key``: its name; ``document``), an attachment (``key``: the policy ARN) or a
    membership (``key``: the group's name) of the entity ``entity_kind`` ``entity`` in ``account``."""

    kind: str
    account: str
    entity_kind: str
    entity: str
    key: str
    address: str
    document: Any = None

    @property
    def identity(self) -> tuple:
        key = self.key.lower() if self.kind == "member" else self.key
        return self.kind, self.account, self.entity_kind, self.entity.lower(), key

    @property
    def content(self) -> tuple:
        return self.identity, json.dumps(self.document, sort_keys=True)


_UNKNOWN, _SAME, _SET = "unknown", "same", "set"


class _Applier:
    """Applies the changes to the account files' JSON, in three steps: the entities (roles, users, groups,
    managed policies); the inline policies, attachments and memberships planned before and not after,
    removed; those planned after, added."""

    def __init__(self, plan_name: str, plan: dict, accounts: dict[str, _Account], default: str | None,
                 changes: list[_Change]) -> None:
        self.plan_name = plan_name
        self.plan = plan
        self.accounts = accounts
        self.default = default
        self.changes = changes
        self.removals: list[_Binding] = []
        self.additions: list[_Binding] = []
        self.unknown: list[Unknown] = []
        self.not_applied: list[NotApplied] = []
        self.notes: list[str] = []
        self.applied: list[tuple[str, str]] = []
        # the entities the plan has, changed or not (to word what a change needs and does not find)
        self.in_plan = {(_ENTITY_TYPES[c.type], str((c.after or c.before or {}).get("name", "")).lower())
                        for c in changes if c.type in _ENTITY_TYPES}

    def run(self) -> None:
        handlers = {
            "aws_iam_role": lambda c: self._entity(c, "role"),
            "aws_iam_user": lambda c: self._entity(c, "user"),
            "aws_iam_group": lambda c: self._entity(c, "group"),
            "aws_iam_policy": self._policy,
            "aws_iam_role_policy": lambda c: self._inline_resource(c, "role"),
            "aws_iam_user_policy": lambda c: self._inline_resource(c, "user"),
            "aws_iam_group_policy": lambda c: self._inline_resource(c, "group"),
            "aws_iam_role_policy_attachment": lambda c: self._attachment(c, "role"),
            "aws_iam_user_policy_attachment": lambda c: self._attachment(c, "user"),
            "aws_iam_group_policy_attachment": lambda c: self._attachment(c, "group"),
            "aws_iam_policy_attachment": self._policy_attachment,
            "aws_iam_group_membership": self._group_membership,
            "aws_iam_user_group_membership": self._user_group_membership,
        }
        for change in self.changes:
            if not change.changes:
                continue  # no-op, read, forget: the object is as it was
            handler = handlers.get(change.type)
            if handler is None:
                if change.type.startswith(_READ_BY_GRAPHIAM):
                    self.not_applied.append(NotApplied(change.address, change.type, change.action))
                continue
            handler(change)
            self.applied.append((change.address, change.action))
        for binding in self.removals:
            self._unbind(binding)
        for binding in self.additions:
            self._bind(binding)

    # -- small helpers --------------------------------------------------------------------------------
    def _fail(self, change: _Change, what: str) -> PlanError:
        return PlanError(f"{self.plan_name}: {change.address}: {what}")

    def _report(self, change: _Change, attribute: str, effect: str, arn: str | None = None) -> None:
        self.unknown.append(Unknown(change.address, attribute, effect, arn))

    def _account(self, change: _Change, arns: Iterable[Any]) -> _Account:
        """The account of an ARN among ``arns`` (see the module docstring), else the default one."""
        found = {account_of(a) for a in arns if isinstance(a, str) and a.startswith("arn:")} - {None}
        if len(found) > 1:
            raise self._fail(change, f"names ARNs of several accounts ({_listed(found)})")  # type: ignore[arg-type]
        if found:
            account_id = found.pop()
        elif self.default is not None:
            account_id = self.default
        else:
            raise self._fail(change, f"the plan does not say which account it is in (no ARN names it) and the "
                                     f"snapshot holds {len(self.accounts)} accounts ({_listed(self.accounts)}); "
                                     "give --account ACCOUNT_ID")
        account = self.accounts.get(account_id)  # type: ignore[arg-type]
        if account is None:
            raise self._fail(change, f"account {account_id} is not in the snapshot (it holds "
                                     f"{_listed(self.accounts)}); apply-plan changes only the accounts it holds")
        return account

    def _document(self, change: _Change, attribute: str, value: Any) -> dict | None:
        """A policy document the plan gives as JSON text (``None`` for an empty one)."""
        if isinstance(value, dict):
            return value
        if not isinstance(value, str):
            raise self._fail(change, f"{attribute} must be a JSON policy document")
        if not value.strip():
            return None
        try:
            document = json.loads(value)
        except (ValueError, RecursionError) as error:
            raise self._fail(change, f"{attribute} is not a JSON policy document ({error})") from None
        if not isinstance(document, dict):
            raise self._fail(change, f"{attribute} must be a JSON object")
        return document

    def _same_value(self, change: _Change, attribute: str, before: Any, after: Any, document: bool) -> bool:
        if not document:
            return before == after
        try:
            return self._document(change, attribute, before) == self._document(change, attribute, after)
        except PlanError:
            return before == after

    def _setting(self, change: _Change, attribute: str, full: bool, document: bool = False) -> tuple[str, Any]:
        """``(_UNKNOWN, None)``, ``(_SAME, None)`` (not planned, or as before when ``full`` is false) or
        ``(_SET, value)``."""
        if _is_unknown(change.unknown, attribute):
            return _UNKNOWN, None
        after = change.after or {}
        if attribute not in after:
            return _SAME, None
        value = after[attribute]
        if not full and change.before is not None and self._same_value(
                change, attribute, change.before.get(attribute), value, document):
            return _SAME, None
        return _SET, value

    def _count(self, account: _Account, arn: str, key: str, step: int) -> None:
        """Keep a managed policy's AttachmentCount (or PermissionsBoundaryUsageCount) in step, where listed."""
        entry = account.policy_entry(arn)
        if entry is not None and isinstance(entry.get(key), int) and not isinstance(entry.get(key), bool):
            entry[key] = max(0, entry[key] + step)

    # -- roles, users, groups -------------------------------------------------------------------------
    def _old_identity(self, change: _Change) -> _Identity | None:
        before = change.before
        if not before or not isinstance(before.get("name"), str):
            return None
        account = self._account(change, [before.get("arn")])
        return _Identity(account, before["name"], before.get("path") or "/")

    def _new_identity(self, change: _Change, kind: str, old: _Identity | None) -> _Identity | None:
        after = change.after or {}
        for attribute in ("name", "path"):
            if _is_unknown(change.unknown, attribute):
                if old is None:
                    self._report(change, attribute, f"leaves the new {kind} out (its {attribute} is chosen at apply)")
                else:
                    self._report(change, attribute, f"keeps {old.arn(kind)} as it is named now", old.arn(kind))
                return None
        if not isinstance(after.get("name"), str) or not after["name"]:
            raise self._fail(change, f"the planned {kind} has no name")
        arn = after.get("arn") if not _is_unknown(change.unknown, "arn") else None
        account = self._account(change, [arn]) if arn or old is None else old.account
        return _Identity(account, after["name"], after.get("path") or "/")

    def _entity(self, change: _Change, kind: str) -> None:
        old = self._old_identity(change) if change.deletes or change.updates else None
        new = self._new_identity(change, kind, old) if change.creates or change.updates else None
        if change.updates:  # in place (a user's or group's rename included)
            entry = old.account.find(kind, old.name) if old is not None else None
            if entry is None:
                if new is None:
                    return
                self.notes.append(f"{self.plan_name}: {change.address}: {new.arn(kind)} is not in the snapshot, "
                                  "though Terraform manages it (is the snapshot older than the state?): added as planned")
                entry = self._create(kind, new)
                self._fields(change, kind, entry, new, full=True, fresh=True)
            else:
                if new is not None and not new.same(old):
                    self._rename(kind, old, entry, new)  # type: ignore[arg-type]
                self._fields(change, kind, entry, new or old, full=False, fresh=False)  # type: ignore[arg-type]
            self._role_lists(change, kind, new or old)
            return
        if change.deletes and old is not None:
            entry = old.account.find(kind, old.name)
            if change.creates and entry is not None and old.same(new):  # replaced, same ARN
                for key in (_IDS[kind], "CreateDate", "RoleLastUsed"):
                    entry.pop(key, None)
                old.account.file.changed = True
                self._fields(change, kind, entry, old, full=True, fresh=False)
                self._role_lists(change, kind, old)
                return
            if entry is not None:
                self._delete(kind, old.account, entry)
        if change.creates and new is not None:
            entry = new.account.find(kind, new.name)
            if entry is not None:
                self.notes.append(f"{self.plan_name}: {change.address}: {entry.get('Arn')} is already in the "
                                  "snapshot, yet the plan creates it (the apply fails unless it is imported): its "
                                  "entry is kept and takes the planned values")
                if entry.get("Arn") != new.arn(kind):
                    self._rename(kind, _Identity(new.account, entry[_NAMES[kind]], entry.get("Path") or "/"), entry,
                                 new)
                self._fields(change, kind, entry, new, full=True, fresh=False)
            else:
                entry = self._create(kind, new)
                self._fields(change, kind, entry, new, full=True, fresh=True)
            self._role_lists(change, kind, new)
        elif change.deletes and old is not None:
            self._role_lists(change, kind, old)  # nothing left to remove, but the before side is read alike

    def _create(self, kind: str, where: _Identity) -> dict:
        entry: dict[str, Any] = {"Path": where.path, _NAMES[kind]: where.name, "Arn": where.arn(kind)}
        if kind == "role":
            entry.update(AssumeRolePolicyDocument=dict(_EMPTY_POLICY), InstanceProfileList=[], RolePolicyList=[],
                         AttachedManagedPolicies=[], Tags=[], RoleLastUsed={})
        elif kind == "user":
            entry.update(UserPolicyList=[], GroupList=[], AttachedManagedPolicies=[], Tags=[])
        else:
            entry.update(GroupPolicyList=[], AttachedManagedPolicies=[])
        where.account.add(kind, entry)
        return entry

    def _rename(self, kind: str, old: _Identity, entry: dict, new: _Identity) -> None:
        """A user or group renamed (or moved to another path) in place; a group's members follow it."""
        old.account.named[kind].pop(old.name.lower(), None)
        entry.update({"Path": new.path, _NAMES[kind]: new.name, "Arn": new.arn(kind)})
        old.account.named[kind][new.name.lower()] = entry
        old.account.file.changed = True
        if kind == "group":
            for user in old.account.named["user"].values():
                groups = user.get("GroupList")
                if isinstance(groups, list):
                    user["GroupList"] = [new.name if str(g).lower() == old.name.lower() else g for g in groups]

    def _delete(self, kind: str, account: _Account, entry: dict) -> None:
        for attached in entry.get("AttachedManagedPolicies") or ():
            if isinstance(attached, dict) and isinstance(attached.get("PolicyArn"), str):
                self._count(account, attached["PolicyArn"], "AttachmentCount", -1)
        boundary = (entry.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if isinstance(boundary, str):
            self._count(account, boundary, "PermissionsBoundaryUsageCount", -1)
        account.remove(kind, entry)
        if kind == "group":
            name = str(entry.get("GroupName", "")).lower()
            for user in account.named["user"].values():
                if isinstance(user.get("GroupList"), list):
                    user["GroupList"] = [g for g in user["GroupList"] if str(g).lower() != name]

    def _fields(self, change: _Change, kind: str, entry: dict, where: _Identity, full: bool, fresh: bool) -> None:
        """The attributes of a role or user: set when planned (``full``: all of them, else those that change)."""
        arn = where.arn(kind)
        entry_changed = where.account.file
        if kind == "role":
            state, value = self._setting(change, "assume_role_policy", full, document=True)
            if state == _SET:
                entry["AssumeRolePolicyDocument"] = self._document(change, "assume_role_policy", value) or dict(
                    _EMPTY_POLICY)
            elif state == _UNKNOWN:
                self._report(change, "assume_role_policy",
                             f"gives the new role {arn} an empty trust policy (no one can assume it)" if fresh
                             else f"keeps the current trust policy of {arn}", arn)
            for attribute, key in (("description", "Description"), ("max_session_duration", "MaxSessionDuration")):
                state, value = self._setting(change, attribute, full)
                if state == _SET:
                    if value in (None, ""):
                        entry.pop(key, None)
                    else:
                        entry[key] = value
        if kind in ("role", "user"):
            self._boundary(change, kind, entry, where, full, fresh)
            self._tags(change, kind, entry, arn, full, fresh)
        entry_changed.changed = True

    def _boundary(self, change: _Change, kind: str, entry: dict, where: _Identity, full: bool, fresh: bool) -> None:
        arn = where.arn(kind)
        state, value = self._setting(change, "permissions_boundary", full)
        if state == _UNKNOWN:
            self._report(change, "permissions_boundary",
                         f"leaves the new {kind} {arn} without a permissions boundary (it may be allowed more than "
                         "it will be)" if fresh else f"keeps the current permissions boundary of {arn}", arn)
            return
        if state != _SET:
            return
        if value is not None and not isinstance(value, str):
            raise self._fail(change, "permissions_boundary must be a policy ARN")
        current = (entry.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if current == (value or None):
            return
        if isinstance(current, str):
            self._count(where.account, current, "PermissionsBoundaryUsageCount", -1)
        if value:
            entry["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": value}
            self._count(where.account, value, "PermissionsBoundaryUsageCount", 1)
        else:
            entry.pop("PermissionsBoundary", None)

    def _tags(self, change: _Change, kind: str, entry: dict, arn: str, full: bool, fresh: bool) -> None:
        after = change.after or {}
        attribute = "tags_all" if "tags_all" in after and not _is_unknown(change.unknown, "tags_all") else "tags"
        state, value = self._setting(change, attribute, full)
        if state == _UNKNOWN:
            self._report(change, "tags", f"leaves the new {kind} {arn} untagged" if fresh
                         else f"keeps the current tags of {arn}", arn)
        elif state == _SET:
            if value is not None and not isinstance(value, dict):
                raise self._fail(change, f"{attribute} must be a map of tags")
            entry["Tags"] = [{"Key": str(k), "Value": "" if v is None else str(v)} for k, v in (value or {}).items()]

    def _role_lists(self, change: _Change, kind: str, where: _Identity | None) -> None:
        """A role's ``inline_policy`` blocks and ``managed_policy_arns``, when the plan changes them."""
        if kind != "role" or where is None:
            return
        arn = where.arn("role")
        for attribute in ("inline_policy", "managed_policy_arns"):
            if _is_unknown(change.unknown, attribute):  # wholly unknown: kept as it is, reported if configured
                if change.creates and not change.updates and _configured(self.plan, change, attribute) is False:
                    continue  # not set: the provider computes it
                what = "inline policies" if attribute == "inline_policy" else "attached managed policies"
                self._report(change, attribute, f"keeps the current {what} of {arn}" if change.before
                             else f"gives the new role {arn} none of its planned {what}", arn)
                continue
            before = self._role_bindings(change, change.before, attribute, where) if change.before else []
            after, protected = ([], set())
            if change.after and attribute in change.after:
                after, protected = self._role_after(change, attribute, where)
            elif change.after is not None:
                before = []  # not in the planned values (an older provider): left as it is
            self._delta(before, after, protected)

    def _role_bindings(self, change: _Change, state: dict, attribute: str, where: _Identity) -> list[_Binding]:
        out = []
        for index, item in enumerate(state.get(attribute) or ()):
            if attribute == "managed_policy_arns":
                if isinstance(item, str):
                    out.append(_Binding("managed", where.account.account_id, "role", where.name, item, change.address))
            elif isinstance(item, dict) and item.get("name"):
                document = self._document(change, f"inline_policy[{index}].policy", item.get("policy", ""))
                out.append(_Binding("inline", where.account.account_id, "role", where.name, str(item["name"]),
                                    change.address, document))
        return out

    def _role_after(self, change: _Change, attribute: str, where: _Identity) -> tuple[list[_Binding], set]:
        arn = where.arn("role")
        out: list[_Binding] = []
        protected: set = set()
        for index, item in enumerate(change.after.get(attribute) or ()):  # type: ignore[union-attr]
            if _is_unknown(change.unknown, attribute, index):
                self._report(change, f"{attribute}[{index}]", f"leaves that element out for {arn}", arn)
                continue
            if attribute == "managed_policy_arns":
                if isinstance(item, str):
                    out.append(_Binding("managed", where.account.account_id, "role", where.name, item, change.address))
                continue
            if not isinstance(item, dict) or not item.get("name"):
                if isinstance(item, dict) and _is_unknown(change.unknown, attribute, index, "name"):
                    self._report(change, f"inline_policy[{index}].name", f"leaves that inline policy of {arn} out", arn)
                continue  # the provider writes an empty block for "no inline policies"
            name = str(item["name"])
            if _is_unknown(change.unknown, attribute, index, "policy"):
                binding = _Binding("inline", where.account.account_id, "role", where.name, name, change.address)
                protected.add(binding.identity)
                self._report(change, f"inline_policy[{index}].policy",
                             f"keeps the current document of inline policy {name} of {arn}, if it has one", arn)
                continue
            document = self._document(change, f"inline_policy[{index}].policy", item.get("policy", ""))
            out.append(_Binding("inline", where.account.account_id, "role", where.name, name, change.address,
                                document or dict(_EMPTY_POLICY)))
        return out, protected

    # -- managed policies -------------------------------------------------------------------------------
    def _policy(self, change: _Change) -> None:
        old_arn = None
        old_account = None
        if (change.deletes or change.updates) and change.before:
            before = change.before
            old_account = self._account(change, [before.get("arn")])
            old_arn = before.get("arn") if isinstance(before.get("arn"), str) else (
                old_account.arn("policy", str(before.get("name")), before.get("path") or "/"))
        new = self._new_identity(change, "policy", None if old_account is None else _Identity(
            old_account, str((change.before or {}).get("name", "")), (change.before or {}).get("path") or "/")) \
            if change.creates or change.updates else None
        new_arn = new.arn("policy") if new is not None else None
        state, value = self._setting(change, "policy", full=not change.updates, document=True)
        entry = old_account.policies.get(old_arn) if old_account is not None and old_arn else None
        if change.updates or (change.creates and change.deletes and entry is not None and new_arn == old_arn):
            if entry is None:
                if new is not None:
                    self.notes.append(f"{self.plan_name}: {change.address}: {new_arn} is not in the snapshot, though "
                                      "Terraform manages it (is the snapshot older than the state?): added as planned")
                    self._new_policy(change, new, state, value)
                return
            self._new_version(change, entry, state, value, old_arn, fresh=change.creates)  # type: ignore[arg-type]
            self._description(change, entry)
            return
        if change.deletes and entry is not None:
            old_account.remove("policy", entry)  # type: ignore[union-attr]
        if change.creates and new is not None:
            existing = new.account.policies.get(new_arn)  # type: ignore[arg-type]
            if existing is not None:
                self.notes.append(f"{self.plan_name}: {change.address}: {new_arn} is already in the snapshot, yet "
                                  "the plan creates it (the apply fails unless it is imported): its entry takes the "
                                  "planned document")
                self._new_version(change, existing, state, value, new_arn, fresh=False)  # type: ignore[arg-type]
            else:
                self._new_policy(change, new, state, value)

    def _new_policy(self, change: _Change, where: _Identity, state: str, value: Any) -> None:
        arn = where.arn("policy")
        if state == _UNKNOWN:
            self._report(change, "policy", f"leaves the new policy {arn} out (what attaches it references a policy "
                                           "the snapshot does not hold)", arn)
            return
        document = self._document(change, "policy", value) if state == _SET else None
        entry: dict[str, Any] = {"PolicyName": where.name, "Arn": arn, "Path": where.path, "DefaultVersionId": "v1",
                                 "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 0, "IsAttachable": True}
        self._description(change, entry)
        entry["PolicyVersionList"] = [{"Document": document or dict(_EMPTY_POLICY), "VersionId": "v1",
                                       "IsDefaultVersion": True}]
        where.account.add_policy(entry)

    def _new_version(self, change: _Change, entry: dict, state: str, value: Any, arn: str, fresh: bool) -> None:
        """The planned document as the policy's new default version (its id is IAM's to give at apply)."""
        if state == _UNKNOWN:
            self._report(change, "policy", f"keeps the current default version of {arn}", arn)
            return
        if state != _SET:
            return
        document = self._document(change, "policy", value) or dict(_EMPTY_POLICY)
        versions = [dict(v, IsDefaultVersion=False) for v in entry.get("PolicyVersionList") or () if isinstance(v, dict)]
        entry["PolicyVersionList"] = [{"Document": document, "IsDefaultVersion": True}, *versions]
        for key in ("DefaultVersionId", "UpdateDate", *(("PolicyId", "CreateDate") if fresh else ())):
            entry.pop(key, None)
        account = self.accounts.get(account_of(arn) or "")
        if account is not None:
            account.file.changed = True

    def _description(self, change: _Change, entry: dict) -> None:
        state, value = self._setting(change, "description", full=change.creates)
        if state == _SET:
            if value:
                entry["Description"] = value
            else:
                entry.pop("Description", None)

    # -- inline policies, attachments, memberships -----------------------------------------------------------
    def _delta(self, before: list[_Binding], after: list[_Binding], protected: set) -> None:
        """Remove what was planned before and is not after (nor kept as unknown); add what after plans anew."""
        kept = {b.identity for b in after} | protected
        had = {b.content for b in before}
        self.removals.extend(b for b in before if b.identity not in kept)
        self.additions.extend(b for b in after if b.content not in had)

    def _sides(self, change: _Change) -> tuple[dict | None, dict | None]:
        """The states whose bindings count: before when it is removed or updated, after when created or updated."""
        before = change.before if (change.deletes or change.updates) else None
        after = change.after if (change.creates or change.updates) else None
        return before, after

    def _name_of(self, value: Any) -> str:
        """An entity named by name, or by ARN (its last path segment)."""
        text = str(value)
        return text.rsplit("/", 1)[-1] if text.startswith("arn:") else text

    def _known(self, change: _Change, attribute: str, effect: str, arn: str | None = None) -> bool:
        """Whether the planned ``attribute`` is known; when not, it is reported."""
        if _is_unknown(change.unknown, attribute):
            self._report(change, attribute, effect, arn)
            return False
        return True

    def _inline_resource(self, change: _Change, kind: str) -> None:
        before_state, after_state = self._sides(change)
        before, after, protected = [], [], set()
        if before_state is not None:
            account = self._account(change, [before_state.get(kind)])
            document = self._document(change, "policy", before_state.get("policy", ""))
            before.append(_Binding("inline", account.account_id, kind, self._name_of(before_state.get(kind)),
                                   str(before_state.get("name")), change.address, document))
        if after_state is not None:
            gone = "leaves the inline policy out"
            if self._known(change, kind, gone) and self._known(change, "name", gone):
                account = self._account(change, [after_state.get(kind)])
                entity, name = self._name_of(after_state.get(kind)), str(after_state.get("name"))
                binding = _Binding("inline", account.account_id, kind, entity, name, change.address)
                if _is_unknown(change.unknown, "policy"):
                    if any(b.identity == binding.identity for b in before):
                        protected.add(binding.identity)
                        self._report(change, "policy", f"keeps the current document of inline policy {name} of "
                                                       f"{kind} {entity}")
                    else:
                        self._report(change, "policy", f"leaves the new inline policy {name} of {kind} {entity} out")
                else:
                    document = self._document(change, "policy", after_state.get("policy", ""))
                    after.append(_Binding("inline", account.account_id, kind, entity, name, change.address,
                                          document or dict(_EMPTY_POLICY)))
        self._delta(before, after, protected)

    def _attachment(self, change: _Change, kind: str) -> None:
        before_state, after_state = self._sides(change)
        before, after = [], []
        if before_state is not None:
            before.extend(self._attachments(change, before_state, kind, [before_state.get(kind)]))
        if after_state is not None:
            gone = "leaves the attachment out"
            if self._known(change, kind, gone) and self._known(change, "policy_arn", gone):
                after.extend(self._attachments(change, after_state, kind, [after_state.get(kind)]))
        self._delta(before, after, set())

    def _attachments(self, change: _Change, state: dict, kind: str, entities: Sequence[Any]) -> list[_Binding]:
        policy_arn = state.get("policy_arn")
        if not isinstance(policy_arn, str) or not policy_arn:
            raise self._fail(change, "policy_arn must be a policy ARN")
        entities = [e for e in entities if isinstance(e, str) and e]
        if not entities:
            return []
        account = self._account(change, [policy_arn, *entities])
        return [_Binding("managed", account.account_id, kind, self._name_of(e), policy_arn, change.address)
                for e in entities]

    def _policy_attachment(self, change: _Change) -> None:
        before_state, after_state = self._sides(change)
        before, after = [], []
        for state, side in ((before_state, before), (after_state, after)):
            if state is None:
                continue
            if state is after_state and not self._known(change, "policy_arn", "leaves the attachments out"):
                continue
            for attribute, kind in (("users", "user"), ("roles", "role"), ("groups", "group")):
                if state is after_state and not self._known(change, attribute, f"leaves the policy's {attribute} "
                                                                               "out"):
                    continue
                names = self._listed_names(change, state, attribute, state is after_state, "attachment")
                side.extend(self._attachments(change, state, kind, names))
        self._delta(before, after, set())

    def _listed_names(self, change: _Change, state: dict, attribute: str, planned: bool, what: str) -> list[str]:
        """The names ``state[attribute]`` lists; on the planned side (``planned``), an entry known only after
        apply is reported (that ``what`` is left out) instead."""
        names = []
        for index, name in enumerate(state.get(attribute) or ()):
            if planned and _is_unknown(change.unknown, attribute, index):
                self._report(change, f"{attribute}[{index}]", f"leaves that {what} out")
            elif isinstance(name, str):
                names.append(name)
        return names

    def _memberships(self, change: _Change, single: str, many: str, pair: Any) -> None:
        """``single`` (one name) and ``many`` (a list of names): ``pair(single_name, one_of_many)`` gives
        ``(user, group)``."""
        before_state, after_state = self._sides(change)
        before, after = [], []
        for state, side in ((before_state, before), (after_state, after)):
            if state is None:
                continue
            gone = "leaves these memberships out"
            if state is after_state and not (self._known(change, single, gone) and self._known(change, many, gone)):
                continue
            names = self._listed_names(change, state, many, state is after_state, "membership")
            if not names:
                continue
            account = self._account(change, [state.get(single), *names])
            for name in names:
                user, group = pair(self._name_of(state.get(single)), self._name_of(name))
                side.append(_Binding("member", account.account_id, "user", user, group, change.address))
        self._delta(before, after, set())

    def _group_membership(self, change: _Change) -> None:
        self._memberships(change, "group", "users", lambda group, user: (user, group))

    def _user_group_membership(self, change: _Change) -> None:
        self._memberships(change, "user", "groups", lambda user, group: (user, group))

    def _missing(self, binding: _Binding, kind: str, name: str) -> PlanError:
        account = binding.account
        if (kind, name.lower()) in self.in_plan:
            return PlanError(f"{self.plan_name}: {binding.address}: {kind} {name} (account {account}) is not in the "
                             "snapshot, and the plan has it but does not change it (is the snapshot older than the "
                             "Terraform state, or of another account? see --account)")
        return PlanError(f"{self.plan_name}: {binding.address}: {kind} {name} (account {account}) is in neither the "
                         "snapshot nor the plan")

    def _bind(self, binding: _Binding) -> None:
        account = self.accounts[binding.account]
        entity = account.find(binding.entity_kind, binding.entity)
        if entity is None:
            raise self._missing(binding, binding.entity_kind, binding.entity)
        if binding.kind == "inline":
            listed = entity.setdefault(_INLINE[binding.entity_kind], [])
            for item in listed:
                if isinstance(item, dict) and item.get("PolicyName") == binding.key:
                    item["PolicyDocument"] = binding.document
                    break
            else:
                listed.append({"PolicyName": binding.key, "PolicyDocument": binding.document})
        elif binding.kind == "managed":
            listed = entity.setdefault("AttachedManagedPolicies", [])
            if not any(isinstance(i, dict) and i.get("PolicyArn") == binding.key for i in listed):
                listed.append({"PolicyName": binding.key.rsplit("/", 1)[-1], "PolicyArn": binding.key})
                self._count(account, binding.key, "AttachmentCount", 1)
        else:
            group = account.find("group", binding.key)
            if group is None:
                raise self._missing(binding, "group", binding.key)
            listed = entity.setdefault("GroupList", [])
            if not any(str(g).lower() == binding.key.lower() for g in listed):
                listed.append(group["GroupName"])
        account.file.changed = True

    def _unbind(self, binding: _Binding) -> None:
        account = self.accounts[binding.account]
        entity = account.find(binding.entity_kind, binding.entity)
        if entity is None:
            return  # gone with its entity, or never in the snapshot: nothing to remove
        if binding.kind == "inline":
            key = _INLINE[binding.entity_kind]
            listed = entity.get(key) or []
            entity[key] = [i for i in listed if not (isinstance(i, dict) and i.get("PolicyName") == binding.key)]
        elif binding.kind == "managed":
            listed = entity.get("AttachedManagedPolicies") or []
            kept = [i for i in listed if not (isinstance(i, dict) and i.get("PolicyArn") == binding.key)]
            if len(kept) != len(listed):
                self._count(account, binding.key, "AttachmentCount", -1)
            entity["AttachedManagedPolicies"] = kept
        else:
            entity["GroupList"] = [g for g in entity.get("GroupList") or () if str(g).lower() != binding.key.lower()]
        account.file.changed = True


# -- the manifest and the output ----------------------------------------------------------------------------

def _manifest_name(taken: set[str]) -> str:
    name, number = MANIFEST_NAME, 1
    while name in taken:
        number += 1
        name = f"apply-plan-{number}.json"
    return name


def _manifest(plan: dict, plan_name: str, paths: Sequence[Path], applier: _Applier) -> dict:
    """The new snapshot's manifest: a collection manifest (the reader's ``Kind``) saying where it comes from
    and, under ``unknown_after_apply`` and ``not_applied``, what it cannot know (a reader warning each)."""
    timestamp = plan.get("timestamp")
    finished = timestamp if isinstance(timestamp, str) and timestamp else datetime.now(timezone.utc).isoformat(
        timespec="seconds")
    return {
        "Kind": MANIFEST_KIND,
        "version": 1,
        "made_by": "graphiam snapshot apply-plan",
        "finished_at": finished,
        "terraform_plan": {"file": plan_name, "format_version": plan.get("format_version"),
                           "terraform_version": plan.get("terraform_version"), "timestamp": timestamp,
                           "snapshot": [_shown(p) for p in paths],
                           "applied": [{"address": a, "action": action} for a, action in applier.applied]},
        "unknown_after_apply": [u.to_dict() for u in applier.unknown],
        "not_applied": [n.to_dict() for n in applier.not_applied],
    }


def _not_applied_lines(plan_name: str, skipped: Sequence[NotApplied]) -> list[str]:
    """One line per resource type, naming its changes."""
    by_type: dict[str, list[NotApplied]] = {}
    for item in skipped:
        by_type.setdefault(item.type, []).append(item)
    return [f"{plan_name}: {kind} is not supported by apply-plan: the new snapshot does not hold "
            f"{'this change' if len(items) == 1 else f'these {len(items)} changes'} "
            f"({', '.join(f'{i.address} ({i.action})' for i in items)})"
            for kind, items in sorted(by_type.items())]


def _new_warnings(old: Sequence[str], files: Sequence[_File], contents: Sequence[tuple[str, bytes]], out: Path,
                  manifest_name: str, plan_name: str) -> list[str]:
    """Read the new snapshot back (as graphiam will read the folder); what it warns of that the old one did not
    (its files renamed), but for the manifest's own warnings, which the report says already."""
    try:
        new = snapshot_from_buffers(SnapshotBuffers([(out / name, data) for name, data in contents],
                                                    from_folder=[out / name for name, _ in contents]))
    except SnapshotError as error:
        raise PlanError(f"{plan_name}: applying it makes a snapshot graphiam cannot read: {error}") from None
    renamed = []
    for warning in old:
        for file in files:
            warning = warning.replace(str(file.path), str(out / file.relative))
        renamed.append(warning)
    manifest = str(out / manifest_name)
    return [w for w in new.warnings if w not in renamed and not w.startswith(manifest)]


def _check_output(out: Path, paths: Sequence[Path]) -> None:
    target = out.resolve()
    for given in paths:
        source = given.resolve()
        if target == source or (given.is_dir() and source in target.parents):
            raise PlanError(f"{_shown(out)}: the output is the snapshot {_shown(given)} or inside it; write the new "
                            "snapshot to a folder of its own")
    if out.is_symlink() or out.exists():
        if not out.is_dir() or out.is_symlink():
            raise PlanError(f"{_shown(out)}: exists and is not a folder")
        if any(out.iterdir()):
            raise PlanError(f"{_shown(out)}: exists and is not empty; apply-plan writes a new snapshot folder "
                            "(give a new or an empty one)")


def _write_folder(out: Path, contents: Sequence[tuple[str, bytes]]) -> None:
    """Every file into a new folder beside ``out``, then one rename: ``out`` is whole or absent."""
    parent = out.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    for _ in range(16):
        temporary = parent / f".{out.name[:200]}.{secrets.token_hex(6)}.tmp"
        try:
            temporary.mkdir()
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 16 random collisions
        raise FileExistsError(f"{parent}: could not create a temporary folder")
    try:
        for name, data in contents:
            path = temporary / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "xb") as handle:
                handle.write(data)
        try:
            os.rename(temporary, out)  # POSIX replaces an empty folder
        except OSError:
            if out.is_dir() and not out.is_symlink() and not any(out.iterdir()):
                out.rmdir()
                os.rename(temporary, out)
            else:
                raise
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
