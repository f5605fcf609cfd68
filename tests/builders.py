"""Build snapshots that read like the scenario they set up.

The builders write the same JSON shapes AWS returns (get-account-authorization-details
and the organization file), and the tests load them through the real reader::

    org = Org()
    dev = org.account("222222222222")
    alice = dev.user("alice", allow("sts:AssumeRole", "arn:aws:iam::333333333333:role/Deploy"))
    prod = org.account("333333333333")
    prod.role("Deploy", trusts=trust_account("222222222222"))
    snapshot = org.snapshot()
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from graphiam.snapshot.model import Snapshot
from graphiam.snapshot.read import snapshot_from_data

_ids = itertools.count(1)


def _unique(prefix: str) -> str:
    return f"{prefix}{next(_ids):017d}"[:21].replace("0", "Q")


# -- statements -------------------------------------------------------------------

def statement(effect: str, action: Any = None, resource: Any = "*", *, not_action: Any = None,
              not_resource: Any = None, condition: dict | None = None, sid: str | None = None,
              principal: Any = None, not_principal: Any = None) -> dict:
    out: dict[str, Any] = {"Effect": effect}
    if sid:
        out["Sid"] = sid
    if not_action is not None:
        out["NotAction"] = not_action
    else:
        out["Action"] = action
    if principal is not None:
        out["Principal"] = principal
    if not_principal is not None:
        out["NotPrincipal"] = not_principal
    if principal is None and not_principal is None:
        if not_resource is not None:
            out["NotResource"] = not_resource
        elif resource is not None:
            out["Resource"] = resource
    if condition:
        out["Condition"] = condition
    return out


def allow(action: Any, resource: Any = "*", **kw: Any) -> dict:
    return statement("Allow", action, resource, **kw)


def deny(action: Any, resource: Any = "*", **kw: Any) -> dict:
    return statement("Deny", action, resource, **kw)


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def trust(principal: Any, action: Any = "sts:AssumeRole", effect: str = "Allow", condition: dict | None = None,
          sid: str | None = None, not_principal: bool = False) -> dict:
    if not_principal:
        return statement(effect, action, None, not_principal=principal, condition=condition, sid=sid)
    return statement(effect, action, None, principal=principal, condition=condition, sid=sid)


def trust_arn(*arns: str, **kw: Any) -> dict:
    return trust({"AWS": list(arns) if len(arns) > 1 else arns[0]}, **kw)


def trust_account(account_id: str, root_form: bool = True, **kw: Any) -> dict:
    return trust({"AWS": f"arn:aws:iam::{account_id}:root" if root_form else account_id}, **kw)


def trust_service(service: str, **kw: Any) -> dict:
    return trust({"Service": service}, **kw)


def role_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{name}"


def user_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:user/{name}"


# -- accounts -------------------------------------------------------------------------

def _policy_list(statements: tuple[dict, ...] | list[dict], name: str) -> list[dict]:
    return [{"PolicyName": name, "PolicyDocument": policy(*statements)}] if statements else []


class AccountBuilder:
    def __init__(self, org: "Org", account_id: str, name: str, parent: str | None) -> None:
        self.org = org
        self.account_id = account_id
        self.name = name
        self.parent = parent
        self.users: list[dict] = []
        self.groups: list[dict] = []
        self.roles: list[dict] = []
        self.policies: list[dict] = []

    def managed_policy(self, name: str, *statements: dict, versions: list[list[dict]] | None = None,
                       default: int | None = None, aws_managed: bool = False) -> str:
        """A managed policy; ``versions`` gives several, ``default`` (0-based) says which is the default."""
        arn = f"arn:aws:iam::aws:policy/{name}" if aws_managed else f"arn:aws:iam::{self.account_id}:policy/{name}"
        documents = versions if versions is not None else [list(statements)]
        default_index = len(documents) - 1 if default is None else default
        self.policies.append({
            "PolicyName": name,
            "PolicyId": _unique("ANPA"),
            "Arn": arn,
            "Path": "/",
            "DefaultVersionId": f"v{default_index + 1}",
            "AttachmentCount": 1,
            "IsAttachable": True,
            "PolicyVersionList": [
                {"Document": policy(*doc), "VersionId": f"v{i + 1}", "IsDefaultVersion": i == default_index}
                for i, doc in enumerate(documents)
            ],
        })
        return arn

    def group(self, name: str, *statements: dict, managed: tuple[str, ...] = ()) -> str:
        arn = f"arn:aws:iam::{self.account_id}:group/{name}"
        self.groups.append({
            "Path": "/", "GroupName": name, "GroupId": _unique("AGPA"), "Arn": arn,
            "GroupPolicyList": _policy_list(statements, f"{name}-inline"),
            "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in managed],
        })
        return arn

    def user(self, name: str, *statements: dict, groups: tuple[str, ...] = (), managed: tuple[str, ...] = (),
             boundary: str | None = None, tags: dict[str, str] | None = None, path: str = "/") -> str:
        arn = f"arn:aws:iam::{self.account_id}:user{path}{name}"
        entry: dict[str, Any] = {
            "Path": path, "UserName": name, "UserId": _unique("AIDA"), "Arn": arn,
            "UserPolicyList": _policy_list(statements, f"{name}-inline"),
            "GroupList": list(groups),
            "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in managed],
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        }
        if boundary:
            entry["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
        self.users.append(entry)
        return arn

    def role(self, name: str, *statements: dict, trusts: dict | list[dict], managed: tuple[str, ...] = (),
             boundary: str | None = None, tags: dict[str, str] | None = None, path: str = "/") -> str:
        arn = f"arn:aws:iam::{self.account_id}:role{path}{name}"
        trust_statements = trusts if isinstance(trusts, list) else [trusts]
        entry: dict[str, Any] = {
            "Path": path, "RoleName": name, "RoleId": _unique("AROA"), "Arn": arn,
            "AssumeRolePolicyDocument": policy(*trust_statements),
            "InstanceProfileList": [],
            "RolePolicyList": _policy_list(statements, f"{name}-inline"),
            "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in managed],
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        }
        if boundary:
            entry["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
        self.roles.append(entry)
        return arn

    def to_json(self) -> dict:
        return {"UserDetailList": self.users, "GroupDetailList": self.groups, "RoleDetailList": self.roles,
                "Policies": self.policies}


class Org:
    """An organization (or, without ``organization=True`` calls, loose accounts)."""

    def __init__(self, org_id: str = "o-test000001", management: str = "111111111111") -> None:
        self.org_id = org_id
        self.management = management
        self.root = "r-test"
        self.accounts: dict[str, AccountBuilder] = {}
        self.ous: list[dict] = []
        self.org_policies: list[dict] = []
        self.with_organization = False

    def account(self, account_id: str, name: str | None = None, parent: str | None = None) -> AccountBuilder:
        if account_id not in self.accounts:
            self.accounts[account_id] = AccountBuilder(self, account_id, name or f"acct-{account_id}", parent)
        return self.accounts[account_id]

    def ou(self, ou_id: str, name: str, parent: str | None = None) -> str:
        self.with_organization = True
        self.ous.append({"Id": ou_id, "Name": name, "ParentId": parent or self.root})
        return ou_id

    def _org_policy(self, kind: str, name: str, targets: tuple[str, ...], statements: tuple[dict, ...]) -> str:
        self.with_organization = True
        policy_id = f"p-{name.lower()[:20]}"
        self.org_policies.append({
            "PolicySummary": {"Id": policy_id, "Arn": f"arn:aws:organizations::{self.management}:policy/{self.org_id}/{kind.lower()}/{policy_id}",
                              "Name": name, "Type": kind, "AwsManaged": False},
            "Content": json.dumps(policy(*statements)),
            "Targets": [{"TargetId": t, "Type": "ROOT" if t.startswith("r-") else "ORGANIZATIONAL_UNIT" if t.startswith("ou-") else "ACCOUNT"} for t in targets],
        })
        return policy_id

    def scp(self, name: str, *statements: dict, targets: tuple[str, ...]) -> str:
        return self._org_policy("SERVICE_CONTROL_POLICY", name, targets, statements)

    def rcp(self, name: str, *statements: dict, targets: tuple[str, ...]) -> str:
        return self._org_policy("RESOURCE_CONTROL_POLICY", name, targets, statements)

    def full_access_everywhere(self, scp: bool = True, rcp: bool = False, skip: tuple[str, ...] = ()) -> None:
        """Attach FullAWSAccess (and RCPFullAWSAccess) to the root, every OU and every account, as AWS does."""
        targets = tuple(t for t in (self.root, *(o["Id"] for o in self.ous), *self.accounts) if t not in skip)
        if scp:
            self.scp("FullAWSAccess", allow("*", "*"), targets=targets)
        if rcp:
            self.rcp("RCPFullAWSAccess", statement("Allow", "*", "*", principal="*"), targets=targets)

    def organization_json(self) -> dict:
        return {
            "Organization": {"Id": self.org_id, "MasterAccountId": self.management, "FeatureSet": "ALL"},
            "Roots": [{"Id": self.root, "Name": "Root"}],
            "OrganizationalUnits": self.ous,
            "Accounts": [{"Id": a.account_id, "Name": a.name, "Status": "ACTIVE", "ParentId": a.parent or self.root}
                         for a in self.accounts.values()],
            "Policies": self.org_policies,
        }

    def files(self) -> list[tuple[str, dict]]:
        out = [(f"{a.account_id}.json", a.to_json()) for a in self.accounts.values()]
        if self.with_organization:
            out.append(("organization.json", self.organization_json()))
        return out

    def snapshot(self) -> Snapshot:
        return snapshot_from_data(self.files())

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in self.files():
            (folder / name).write_text(json.dumps(data, indent=2))
        return folder
