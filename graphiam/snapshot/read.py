"""Read snapshot files into the typed model.

A snapshot is a set of JSON files: one per account in the shape of
``aws iam get-account-authorization-details`` and, optionally, one
organization file (see the README). Every input problem is raised here as a
:class:`SnapshotError` whose message names the file and what is wrong.
Problems that leave an answer possible but less certain (a managed policy
referenced but not exported) become warnings on the snapshot.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.parse
from pathlib import Path
from typing import Any, Iterable

from ..gcpause import paused_gc
from .model import (
    Account,
    AttachedPolicy,
    Condition,
    Group,
    ManagedPolicy,
    OrgPolicy,
    Organization,
    PolicyDocument,
    Role,
    Snapshot,
    Statement,
    Tag,
    User,
)
from .names import account_of

try:
    import orjson
except ImportError:  # optional: pip install 'graphiam[fast]'
    orjson = None
_fast_loads = orjson.loads if orjson is not None else None


def _canonical(data: Any) -> bytes:
    """Bytes that are equal exactly when two documents are (used to share one parsed document)."""
    if orjson is not None:
        try:
            return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # e.g. integers beyond 64 bits: the standard encoder copes
            pass
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

ACCOUNT_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
MANIFEST_KIND = "graphiam-collection-manifest"  # collection.json, written by graphiam collect
ORG_POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")


class SnapshotError(ValueError):
    """Bad input. ``str(error)`` is one line: ``<file>: <what is wrong>``."""


class DocumentParser:
    """Parses policy documents once each: equal documents share one object."""

    def __init__(self) -> None:
        self._by_digest: dict[str, PolicyDocument] = {}

    def parse(self, raw: Any, where: str) -> PolicyDocument:
        data = _decode_document(raw, where)
        digest = hashlib.sha256(_canonical(data)).hexdigest()
        cached = self._by_digest.get(digest)
        if cached is None:
            cached = PolicyDocument(statements=_parse_statements(data, where), digest=digest, raw=data)
            self._by_digest[digest] = cached
        return cached


def load_snapshot(paths: Iterable[str | os.PathLike[str]]) -> Snapshot:
    """Read every ``.json`` file under ``paths`` (files, or folders scanned recursively)."""
    return snapshot_from_files(snapshot_files(paths))


def snapshot_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The ``.json`` files a snapshot is made of, in a stable order."""
    paths = list(paths)
    files = _expand(paths)
    if not files:
        raise SnapshotError(f"{', '.join(str(p) for p in paths)}: no .json file found")
    return files


def snapshot_from_files(files: Iterable[Path]) -> Snapshot:
    with paused_gc():
        return snapshot_from_data((str(file), _read_json(file)) for file in files)


def snapshot_from_data(items: Iterable[tuple[str, Any]]) -> Snapshot:
    """Build a snapshot from already-parsed JSON, each with the name of its source."""
    parser = DocumentParser()
    accounts: dict[str, Account] = {}
    aws_managed: dict[str, ManagedPolicy] = {}
    organization: Organization | None = None
    sources = []
    collection_warnings: list[str] = []
    for source, data in items:
        sources.append(source)
        if isinstance(data, dict) and data.get("Kind") == MANIFEST_KIND:
            collection_warnings.extend(_manifest_warnings(data, source))
        elif _is_account_file(data):
            account, shared = _read_account(data, source, parser)
            aws_managed.update(shared)
            if account is None:
                continue
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
        else:
            raise SnapshotError(
                f"{source}: neither an account file (keys {', '.join(ACCOUNT_KEYS)}) "
                "nor an organization file (keys Organization, Accounts, ...)"
            )
    if not accounts:
        raise SnapshotError(f"{', '.join(sources)}: no account file with IAM principals found")
    warnings = collection_warnings + _missing_policy_warnings(accounts, aws_managed)
    if organization is None:
        warnings.append("no organization file: SCPs and RCPs are not evaluated, so an allowed answer assumes they allow")
    else:
        outside = sorted(a for a in accounts if organization.path_of(a) is None)
        for account_id in outside:
            warnings.append(f"{accounts[account_id].source}: account {account_id} is not in the organization file; "
                            "no SCP or RCP is applied to it")
    return Snapshot(accounts=accounts, organization=organization, warnings=tuple(warnings), aws_managed_policies=aws_managed)


def _manifest_warnings(manifest: dict, source: str) -> list[str]:
    """A collection manifest is not data, but the accounts it failed to read limit every answer."""
    out = []
    accounts = manifest.get("accounts")
    for account_id, outcome in sorted(accounts.items() if isinstance(accounts, dict) else []):
        if isinstance(outcome, dict) and outcome.get("status") == "failed":
            name = f" ({outcome['name']})" if outcome.get("name") else ""
            out.append(f"{source}: account {account_id}{name} could not be collected ({outcome.get('error_code')}); "
                       "its principals and roles are missing, so paths through it are unknown")
    return out


# -- files -----------------------------------------------------------------

def _expand(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise SnapshotError(f"{path}: no such file or folder")
    return files


def _read_json(file: Path) -> Any:
    try:
        raw = file.read_bytes()
        if _fast_loads is not None:  # orjson, when installed: the same data, several times faster
            try:
                return _fast_loads(raw)
            except ValueError:
                pass  # fall through: the standard parser words the error
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SnapshotError(f"{file}: cannot be read ({error.__class__.__name__}: {error})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SnapshotError(f"{file}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}") from None


def _is_account_file(data: Any) -> bool:
    return isinstance(data, dict) and any(key in data for key in ACCOUNT_KEYS) and "Organization" not in data


def _is_organization_file(data: Any) -> bool:
    return isinstance(data, dict) and "Organization" in data


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
        raise SnapshotError(f"{where}: missing {key}" if value in (None, "") else f"{where}: {key} must be a string")
    return value


def _optional(entry: dict, key: str, where: str, default: str = "") -> str:
    value = entry.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise SnapshotError(f"{where}: {key} must be a string, found {type(value).__name__}")
    return value


def _strings(entry: dict, key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SnapshotError(f"{where}: {key} must be a list of strings")
    return tuple(value)


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


def _read_account(data: dict, source: str, parser: DocumentParser) -> tuple[Account | None, dict[str, ManagedPolicy]]:
    """The account, or ``None`` for a file without account ARNs, and the AWS managed policies it carries."""
    lists = {key: _objects(data.get(key), f"{source}: {key}") for key in ACCOUNT_KEYS}
    account_ids: set[str] = set()

    def note_account(arn: str, where: str) -> str:
        account_id = account_of(arn)
        if account_id is None:
            raise SnapshotError(f"{where}: {arn!r} is not an IAM ARN")
        account_ids.add(account_id)
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
        )
    policies: dict[str, ManagedPolicy] = {}
    for index, entry in enumerate(lists["Policies"]):
        where = f"{source}: Policies[{index}]"
        arn = _field(entry, "Arn", where)
        if not arn.startswith("arn:aws:iam::aws:"):
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
            default_version=str(chosen.get("VersionId") or default or ""),
        )
    if len(account_ids) > 1:
        raise SnapshotError(f"{source}: holds ARNs of several accounts ({', '.join(sorted(account_ids))}); one file per account")
    aws_managed = {arn: policy for arn, policy in policies.items() if arn.startswith("arn:aws:iam::aws:")}
    if not account_ids:
        return None, aws_managed  # e.g. --filter AWSManagedPolicy: policies only, shared by every account
    (account_id,) = account_ids
    account = Account(account_id=account_id, source=source, users=users, groups=groups, roles=roles, policies=policies)
    return account, aws_managed


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

def _read_organization(data: dict, source: str, parser: DocumentParser) -> Organization:
    org = data.get("Organization")
    if not isinstance(org, dict):
        raise SnapshotError(f"{source}: Organization must be the describe_organization object")
    org_id = _field(org, "Id", f"{source}: Organization")
    management = _field(org, "MasterAccountId", f"{source}: Organization")
    parents: dict[str, str] = {}
    names: dict[str, str] = {}
    root_ids = []
    for index, root in enumerate(_objects(data.get("Roots"), f"{source}: Roots")):
        root_id = _field(root, "Id", f"{source}: Roots[{index}]")
        root_ids.append(root_id)
        names[root_id] = _optional(root, "Name", f"{source}: Roots[{index}]", "Root")
    for list_key in ("OrganizationalUnits", "Accounts"):
        for index, entry in enumerate(_objects(data.get(list_key), f"{source}: {list_key}")):
            where = f"{source}: {list_key}[{index}]"
            node_id = _field(entry, "Id", where)
            parents[node_id] = _field(entry, "ParentId", where)
            names[node_id] = _optional(entry, "Name", where, node_id)
    for node_id, parent in parents.items():
        if parent not in parents and parent not in root_ids:
            raise SnapshotError(f"{source}: {node_id} has parent {parent}, which is neither a root nor an OU in the file")
    policies = []
    for index, entry in enumerate(_objects(data.get("Policies"), f"{source}: Policies")):
        where = f"{source}: Policies[{index}]"
        summary = entry.get("PolicySummary")
        if not isinstance(summary, dict):
            raise SnapshotError(f"{where}: missing PolicySummary")
        policy_type = summary.get("Type")
        if policy_type not in ORG_POLICY_TYPES:
            continue  # tag and backup policies do not decide access
        name = summary.get("Name") or summary.get("Id", f"policy-{index}")
        policies.append(
            OrgPolicy(
                policy_id=_field(summary, "Id", where),
                name=str(name),
                arn=_optional(summary, "Arn", where) or summary["Id"],
                type=policy_type,
                document=parser.parse(entry.get("Content"), f"{where} ({name})"),
                target_ids=tuple(_field(t, "TargetId", f"{where} Targets") for t in _objects(entry.get("Targets"), f"{where} Targets")),
            )
        )
    organization = Organization(
        org_id=org_id,
        management_account_id=management,
        source=source,
        root_ids=tuple(root_ids),
        parents=parents,
        names=names,
        policies=tuple(policies),
    )
    for node_id in parents:
        path = organization.path_of(node_id)
        if path is None or path[0] not in root_ids:
            raise SnapshotError(f"{source}: the parent chain of {node_id} does not lead to a root (a cycle?)")
    return organization
