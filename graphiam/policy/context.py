"""The request context a snapshot knows: condition-key values for one request."""

from __future__ import annotations

from typing import Mapping, Sequence

from ..snapshot.model import Organization, Principal, Role, Snapshot, User
from .conditions import RequestContext


def _org_values(organization: Organization | None, account_id: str, prefix: str) -> dict[str, list[str]]:
    if organization is None or organization.path_of(account_id) is None:
        return {}
    return {
        f"aws:{prefix}OrgID": [organization.org_id],
        f"aws:{prefix}OrgPaths": [organization.org_path_string(account_id) or ""],
    }


def resource_values(snapshot: Snapshot, role: Principal) -> dict[str, list[str]]:
    """The condition keys of a role (or a user) as the resource of a request: its account, org and tags."""
    values: dict[str, list[str]] = {"aws:ResourceAccount": [role.account_id]}
    values.update(_org_values(snapshot.organization, role.account_id, "Resource"))
    for tag in role.tags:
        values[f"aws:ResourceTag/{tag.key}"] = [tag.value]
        values[f"iam:ResourceTag/{tag.key}"] = [tag.value]
    return values


class ContextCache:
    """Principal-side and role-side keys computed once each, and shared (not merged) by each request."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._principals: dict[str | tuple[str, str], tuple[dict[str, tuple[str, ...]], frozenset[str]]] = {}
        self._roles: dict[str | tuple[str, str], dict[str, tuple[str, ...]]] = {}  # role ARN, or (ARN, service)

    def principal(self, caller: Principal, role: Role, passed_to_service: str | None = None,
                  session: str | None = None) -> RequestContext:
        """``caller`` (as its session named ``session``, when known) calling an action on ``role``."""
        side = self._principals.get(caller.arn if session is None else (caller.arn, session))
        if side is None:
            built = principal_context(self.snapshot, caller, None, session=session)
            side = (built.lowered_values(), built.deferred_keys())
            self._principals[caller.arn if session is None else (caller.arn, session)] = side
        resource = self._roles.get(role.arn if passed_to_service is None else (role.arn, passed_to_service))
        if resource is None:
            resource = RequestContext(resource_values(self.snapshot, role)).lowered_values()
            if passed_to_service is not None:
                resource["iam:passedtoservice"] = (passed_to_service,)
            self._roles[role.arn if passed_to_service is None else (role.arn, passed_to_service)] = resource
        return RequestContext.from_lowered(side[0], side[1], resource)


    def action(self, caller: Principal, resource_keys: Mapping[str, Sequence[str]] | None = None) -> RequestContext:
        """``caller`` calling an action on a resource with these condition keys (none: a new resource)."""
        side = self._principals.get(caller.arn)
        if side is None:
            built = principal_context(self.snapshot, caller, None)
            side = (built.lowered_values(), built.deferred_keys())
            self._principals[caller.arn] = side
        more = RequestContext(resource_keys).lowered_values() if resource_keys else {}
        return RequestContext.from_lowered(side[0], side[1], more)


def principal_context(snapshot: Snapshot, caller: Principal, role: Role | None,
                      passed_to_service: str | None = None, session: str | None = None) -> RequestContext:
    """Keys for an IAM user, or a role acting as its session (rule 13: the session *is* the role).

    A role session's ``aws:userid`` (``ROLE_ID:SESSION_NAME``) is known only when ``session`` is given.
    """
    values: dict[str, list[str]] = {
        "aws:PrincipalArn": [caller.arn],
        "aws:PrincipalAccount": [caller.account_id],
        "aws:PrincipalIsAWSService": ["false"],
        "aws:PrincipalType": ["User" if isinstance(caller, User) else "AssumedRole"],
    }
    values.update(_org_values(snapshot.organization, caller.account_id, "Principal"))
    for tag in caller.tags:
        values[f"aws:PrincipalTag/{tag.key}"] = [tag.value]
    deferred: list[str] = []
    if isinstance(caller, User):
        values["aws:username"] = [caller.name]
        if caller.user_id:
            values["aws:userid"] = [caller.user_id]
    elif session is not None:
        values["aws:userid"] = [f"{caller.role_id}:{session}"]
    else:
        deferred.append("aws:userid")  # ROLEID:session-name: the session name is request-time
    if role is not None:
        values.update(resource_values(snapshot, role))
    if passed_to_service is not None:
        values["iam:PassedToService"] = [passed_to_service]
    return RequestContext(values, deferred)


def service_context(snapshot: Snapshot, service: str, role: Role) -> RequestContext:
    values = {"aws:PrincipalIsAWSService": ["true"], "aws:PrincipalServiceName": [service]}
    values.update(resource_values(snapshot, role))
    return RequestContext(values)


def external_context(snapshot: Snapshot, role: Role, account_id: str | None) -> RequestContext:
    """A caller outside the snapshot: only its account (when known) and the resource are known."""
    values: dict[str, list[str]] = {"aws:PrincipalIsAWSService": ["false"]}
    if account_id:
        values["aws:PrincipalAccount"] = [account_id]
    values.update(resource_values(snapshot, role))
    # everything about the unknown principal (ARN, tags, org) is unknown: defer it
    return RequestContext(values, deferred=("aws:PrincipalArn", "aws:PrincipalType", "aws:username", "aws:userid",
                                            "aws:PrincipalOrgID", "aws:PrincipalOrgPaths"))


def federated_context(snapshot: Snapshot, role: Role) -> RequestContext:
    values = {"aws:PrincipalIsAWSService": ["false"]}
    values.update(resource_values(snapshot, role))
    return RequestContext(values)
