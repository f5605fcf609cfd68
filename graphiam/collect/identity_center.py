"""Export IAM Identity Center: its instance, the identity store's users and groups, permission sets, assignments.

Run from the organization's management account or the Identity Center
delegated administrator, in the Identity Center instance's region (sso-admin
and identitystore are regional). The result is the snapshot's identity-center
file (``identity-center.json``; the reader's
:func:`graphiam.snapshot.read._read_identity_center` describes it): the boto3
answers, keys as boto3 returns them, all pages merged, ``ResponseMetadata``
dropped, lists sorted so that unchanged data writes the same bytes:

- ``Instances``: ``sso-admin list_instances``; each instance gains
- ``Users``, ``Groups``: ``identitystore list_users`` / ``list_groups``;
- ``GroupMemberships``: ``list_group_memberships`` of every group;
- ``PermissionSets``: per ``list_permission_sets`` entry, ``PermissionSet``
  (``describe_permission_set``), ``InlinePolicy``
  (``get_inline_policy_for_permission_set``; ``""`` when none),
  ``AttachedManagedPolicies`` (``list_managed_policies_in_permission_set``),
  ``CustomerManagedPolicyReferences``
  (``list_customer_managed_policy_references_in_permission_set``),
  ``PermissionsBoundary`` (``get_permissions_boundary_for_permission_set``,
  only when it has one) and ``AccountIds``: the accounts it is provisioned to,
  from ``list_accounts_for_provisioned_permission_set`` and, for each account
  of the organization, ``list_permission_sets_provisioned_to_account``;
- ``AccountAssignments``: ``list_account_assignments`` for each account and
  permission set provisioned there (an assignment provisions its permission
  set to its account, so these pairs hold every assignment);
- ``Errors`` (top level, only when a call failed): one entry per failed call,
  ``{"Operation", "ErrorCode", "Message"}`` plus what it was about
  (``InstanceArn``, ``GroupId``, ``PermissionSetArn``, ``AccountId``).

Only ``list_instances`` failing fails the whole export. Any later call that
fails (AccessDenied, throttling beyond the retries, an operation the endpoint
does not implement, a broken answer) is recorded in ``Errors`` and leaves its
key out of the file (or its entries, for a listing per group, account or
permission set); the export goes on, and the reader turns each entry into a
warning naming what is unknown. A permission set without a boundary (AWS
answers ``ResourceNotFoundException``) has no ``PermissionsBoundary`` key and
no error.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar

from botocore.exceptions import ClientError

IDENTITY_CENTER_NAME = "identity-center.json"
ERROR_TEXT_LIMIT = 300

T = TypeVar("T")


def _one_line(text: str, limit: int = ERROR_TEXT_LIMIT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def error_parts(error: BaseException) -> tuple[str, str]:
    """(error code, one-line message): an AWS error's code, or the exception's class for a transport or parse
    failure (``ConnectionClosedError``, ``ResponseParserError``, ...)."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return details.get("Code") or "ClientError", _one_line(details.get("Message") or str(error))
    return type(error).__name__, _one_line(str(error) or type(error).__name__)


class Calls:
    """Runs the export's calls; a call that fails is recorded in :attr:`errors` and its default used instead."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def run(self, operation: str, call: Callable[[], T], **about: str) -> T | None:
        try:
            return call()
        except Exception as error:  # AWS errors, transport and parse failures alike: recorded, the export goes on
            code, message = error_parts(error)
            self.errors.append({"Operation": operation, "ErrorCode": code, "Message": message, **about})
            return None

    def warnings(self) -> list[str]:
        """One line per failed call, for the manifest."""
        out = []
        for entry in self.errors:
            about = ", ".join(f"{k} {v}" for k, v in entry.items() if k not in ("Operation", "ErrorCode", "Message")
                              and k != "InstanceArn")
            out.append(_one_line(f"{entry['Operation']}{f' ({about})' if about else ''}: {entry['ErrorCode']}: "
                                 f"{entry['Message']}"))
        return out


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list:
    out: list = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        out.extend(page.get(key, []))
    return out


def _boundary(sso_admin: Any, instance: str, permission_set: str) -> dict | None:
    try:
        answer = sso_admin.get_permissions_boundary_for_permission_set(InstanceArn=instance,
                                                                      PermissionSetArn=permission_set)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None  # no boundary
        raise
    return answer.get("PermissionsBoundary") or None


def _member(entry: dict) -> str:
    return (entry.get("MemberId") or {}).get("UserId", "")


def collect_instance(sso_admin: Any, identitystore: Any, instance: dict, accounts: Sequence[str],
                     calls: Calls) -> dict[str, Any]:
    """One instance's entry of the file (see the module docstring)."""
    arn, store = instance["InstanceArn"], instance["IdentityStoreId"]
    entry: dict[str, Any] = {k: v for k, v in instance.items() if k != "ResponseMetadata"}
    users = calls.run("ListUsers", lambda: _pages(identitystore, "list_users", "Users", IdentityStoreId=store),
                      InstanceArn=arn)
    if users is not None:
        entry["Users"] = sorted(users, key=lambda u: u.get("UserId", ""))
    groups = calls.run("ListGroups", lambda: _pages(identitystore, "list_groups", "Groups", IdentityStoreId=store),
                       InstanceArn=arn)
    if groups is not None:
        entry["Groups"] = sorted(groups, key=lambda g: g.get("GroupId", ""))
        memberships: list[dict] = []
        for group in entry["Groups"]:
            group_id = group["GroupId"]
            found = calls.run("ListGroupMemberships",
                              lambda: _pages(identitystore, "list_group_memberships", "GroupMemberships",
                                             IdentityStoreId=store, GroupId=group_id),
                              InstanceArn=arn, GroupId=group_id)
            memberships.extend(found or ())
        entry["GroupMemberships"] = sorted(memberships, key=lambda m: (m.get("GroupId", ""), _member(m)))
    listed = calls.run("ListPermissionSets",
                       lambda: _pages(sso_admin, "list_permission_sets", "PermissionSets", InstanceArn=arn),
                       InstanceArn=arn)
    if listed is None:
        return entry
    permission_sets = sorted(set(listed))
    provisioned: dict[str, set[str]] = {ps: set() for ps in permission_sets}
    details: dict[str, dict[str, Any]] = {}
    for ps in permission_sets:
        about = {"InstanceArn": arn, "PermissionSetArn": ps}
        described = calls.run("DescribePermissionSet", lambda: sso_admin.describe_permission_set(
            InstanceArn=arn, PermissionSetArn=ps)["PermissionSet"], **about)
        item: dict[str, Any] = {"PermissionSet": described if described is not None else {"PermissionSetArn": ps}}
        inline = calls.run("GetInlinePolicyForPermissionSet", lambda: sso_admin.get_inline_policy_for_permission_set(
            InstanceArn=arn, PermissionSetArn=ps).get("InlinePolicy", ""), **about)
        if inline is not None:
            item["InlinePolicy"] = inline
        managed = calls.run("ListManagedPoliciesInPermissionSet", lambda: _pages(
            sso_admin, "list_managed_policies_in_permission_set", "AttachedManagedPolicies", InstanceArn=arn,
            PermissionSetArn=ps), **about)
        if managed is not None:
            item["AttachedManagedPolicies"] = sorted(managed, key=lambda p: p.get("Arn", ""))
        customer = calls.run("ListCustomerManagedPolicyReferencesInPermissionSet", lambda: _pages(
            sso_admin, "list_customer_managed_policy_references_in_permission_set", "CustomerManagedPolicyReferences",
            InstanceArn=arn, PermissionSetArn=ps), **about)
        if customer is not None:
            item["CustomerManagedPolicyReferences"] = sorted(customer, key=lambda r: (r.get("Path", "/"),
                                                                                       r.get("Name", "")))
        boundary = calls.run("GetPermissionsBoundaryForPermissionSet", lambda: _boundary(sso_admin, arn, ps), **about)
        if boundary is not None:  # None: it has none, or the call failed (then Errors says so)
            item["PermissionsBoundary"] = boundary
        where = calls.run("ListAccountsForProvisionedPermissionSet", lambda: _pages(
            sso_admin, "list_accounts_for_provisioned_permission_set", "AccountIds", InstanceArn=arn,
            PermissionSetArn=ps), **about)
        provisioned[ps].update(where or ())
        details[ps] = item
    for account_id in accounts:
        there = calls.run("ListPermissionSetsProvisionedToAccount", lambda: _pages(
            sso_admin, "list_permission_sets_provisioned_to_account", "PermissionSets", InstanceArn=arn,
            AccountId=account_id), InstanceArn=arn, AccountId=account_id)
        for ps in there or ():
            if ps in provisioned:
                provisioned[ps].add(account_id)
    assignments: list[dict] = []
    for ps in permission_sets:
        for account_id in sorted(provisioned[ps]):
            found = calls.run("ListAccountAssignments", lambda: _pages(
                sso_admin, "list_account_assignments", "AccountAssignments", InstanceArn=arn, AccountId=account_id,
                PermissionSetArn=ps), InstanceArn=arn, AccountId=account_id, PermissionSetArn=ps)
            assignments.extend(found or ())
    entry["PermissionSets"] = [{**details[ps], "AccountIds": sorted(provisioned[ps])} for ps in permission_sets]
    unique = {(a["AccountId"], a["PermissionSetArn"], a["PrincipalType"], a["PrincipalId"]): a for a in assignments}
    entry["AccountAssignments"] = [unique[key] for key in sorted(unique)]
    return entry


def collect_identity_center(sso_admin: Any, identitystore: Any, accounts: Sequence[str] = ()
                            ) -> tuple[dict[str, Any], dict[str, int], list[str]]:
    """The identity-center file's content, its counts, and one warning per call that failed.

    ``accounts``: the organization's accounts, each asked which permission sets are provisioned to it. Raises
    whatever ``list_instances`` raises (nothing else can be read without an instance).
    """
    calls = Calls()
    instances = sorted(_pages(sso_admin, "list_instances", "Instances"), key=lambda i: i.get("InstanceArn", ""))
    entries = [collect_instance(sso_admin, identitystore, instance, accounts, calls) for instance in instances]
    data: dict[str, Any] = {"Instances": entries}
    if calls.errors:
        data["Errors"] = calls.errors
    counts = {
        "instances": len(entries),
        "users": sum(len(e.get("Users", ())) for e in entries),
        "groups": sum(len(e.get("Groups", ())) for e in entries),
        "group_memberships": sum(len(e.get("GroupMemberships", ())) for e in entries),
        "permission_sets": sum(len(e.get("PermissionSets", ())) for e in entries),
        "account_assignments": sum(len(e.get("AccountAssignments", ())) for e in entries),
        "errors": len(calls.errors),
    }
    return data, counts, calls.warnings()
