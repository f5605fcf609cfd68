"""Write snapshots in code: the one way the tests, the sample organization and ``graphiam synth`` write them.

The builder writes the JSON that AWS returns (one ``get-account-authorization-details``
document per account, and the organization file; see the README's "The snapshot") and
reads it back through the real reader, so a scenario is exactly what graphiam sees::

    from graphiam.snapshot.builder import Org, allow, trust_account

    org = Org()                                   # o-test000001, management account 111111111111
    dev = org.account("222222222222", name="dev")
    prod = org.account("333333333333", name="prod")
    # alice in dev may assume Deploy in prod: her policy allows it and Deploy trusts the dev account
    dev.user("alice", allow("sts:AssumeRole", "arn:aws:iam::333333333333:role/Deploy"))
    prod.role("Deploy", trusts=trust_account("222222222222"))
    org.full_access_everywhere()                  # FullAWSAccess on the root, every OU and every account
    snapshot = org.snapshot()                     # through graphiam.snapshot.read.snapshot_from_data
    org.write("some/folder")                      # <account id>.json files and organization.json

Statements and documents: :func:`statement`, :func:`allow`, :func:`deny`, :func:`trust`,
:func:`trust_arn`, :func:`trust_account`, :func:`trust_service`, :func:`policy`,
:func:`url_encoded`. Accounts (:class:`Account`): ``user``, ``group``, ``role`` and
``managed_policy`` add an entity and return its ARN. The organization (:class:`Org`):
``account``, ``ou``, ``scp``, ``rcp``, ``full_access_everywhere``, ``identity_center``;
``snapshot``, ``files``, ``write``, ``organization_json``.

IAM Identity Center (:class:`IdentityCenter`, from ``org.identity_center()``) writes the
identity-center file: ``user``, ``group``, ``permission_set``, ``assign`` (which also provisions
the permission set's ``AWSReservedSSO_<name>_<hex>`` role into the account, trusting the account's
``AWSSSO_<hex>_DO_NOT_DELETE`` SAML provider, as Identity Center does) and ``provision``::

    center = org.identity_center()
    alice = center.user("alice@example.com", display_name="Alice", emails=["alice@example.com"])
    admins = center.group("Admins", members=[alice])
    admin = center.permission_set("AdministratorAccess", managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
    center.assign("333333333333", admin, group=admins)   # alice may sign in to prod's AWSReservedSSO_AdministratorAccess_...

What a caller does not give is derived, so the same scenario writes the same bytes:
unique ids (UserId, RoleId, PolicyId, ...) are hashed from account, kind and name
(``unique_id=`` overrides); CreateDate is ``create_date=``, else what the account's
``create_dates(kind, name)`` hook returns, else left out; AttachmentCount and
PermissionsBoundaryUsageCount are counted when the file is written. Statement keys
are written in AWS's documented order (Sid, Effect, Principal, Action, Resource,
Condition) and values as given: a one-element list stays a list.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from .model import Snapshot
from .names import account_root
from .read import snapshot_from_data

__all__ = [
    "RCP", "SCP", "Account", "CreateDates", "IdentityCenter", "Org", "allow", "deny", "policy", "policy_arn",
    "role_arn", "statement", "trust", "trust_account", "trust_arn", "trust_service", "url_encoded", "user_arn",
]

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
POLICY_LANGUAGE_VERSION = "2012-10-17"

CreateDates = Callable[[str, str], "str | None"]
"""``(kind, name) -> CreateDate`` for an account's entities; kind is "user", "group", "role" or "policy"."""


# -- statements and documents ------------------------------------------------------------------

def statement(effect: str, action: Any = None, resource: Any = "*", *, not_action: Any = None,
              not_resource: Any = None, condition: dict | None = None, sid: str | None = None,
              principal: Any = None, not_principal: Any = None) -> dict:
    """One statement. ``resource=None`` leaves Resource out, as trust policies do."""
    out: dict[str, Any] = {"Sid": sid} if sid else {}
    out["Effect"] = effect
    if principal is not None:
        out["Principal"] = principal
    if not_principal is not None:
        out["NotPrincipal"] = not_principal
    if not_action is not None:
        out["NotAction"] = not_action
    else:
        out["Action"] = action
    if not_resource is not None:
        out["NotResource"] = not_resource
    elif resource is not None:
        out["Resource"] = resource
    if condition:
        out["Condition"] = condition
    return out


def allow(action: Any, resource: Any = "*", condition: dict | None = None, *, sid: str | None = None) -> dict:
    return statement("Allow", action, resource, condition=condition, sid=sid)


def deny(action: Any, resource: Any = "*", condition: dict | None = None, *, sid: str | None = None) -> dict:
    return statement("Deny", action, resource, condition=condition, sid=sid)


def trust(principal: Any, action: Any = "sts:AssumeRole", condition: dict | None = None, *, sid: str | None = None,
          effect: str = "Allow", not_principal: bool = False) -> dict:
    """A trust policy statement; ``not_principal=True`` writes ``principal`` as NotPrincipal."""
    if not_principal:
        return statement(effect, action, None, not_principal=principal, condition=condition, sid=sid)
    return statement(effect, action, None, principal=principal, condition=condition, sid=sid)


def trust_arn(*arns: str, **kw: Any) -> dict:
    """Trust naming exact principals (one ARN is written as a string, several as a list)."""
    return trust({"AWS": list(arns) if len(arns) > 1 else arns[0]}, **kw)


def trust_account(account_id: str, *, root_form: bool = True, **kw: Any) -> dict:
    """Trust naming a whole account: its root ARN, or the bare account id with ``root_form=False``."""
    return trust({"AWS": account_root(account_id) if root_form else account_id}, **kw)


def trust_service(service: str, **kw: Any) -> dict:
    return trust({"Service": service}, **kw)


def policy(*statements: dict) -> dict:
    """A policy document holding ``statements``."""
    return {"Version": POLICY_LANGUAGE_VERSION, "Statement": list(statements)}


def url_encoded(document: dict) -> str:
    """A document as the raw IAM API returns it: URL-encoded compact JSON."""
    return urllib.parse.quote(json.dumps(document, separators=(",", ":")))


def role_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:role{path}{name}"


def user_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:user{path}{name}"


def policy_arn(account_id: str, name: str, path: str = "/") -> str:
    """A managed policy's ARN; ``account_id="aws"`` gives an AWS managed policy's."""
    return f"arn:aws:iam::{account_id}:policy{path}{name}"


def _hashed(*parts: str) -> str:
    """Base32 of a hash of ``parts``: where every id the builder derives comes from."""
    return base64.b32encode(hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()).decode("ascii")


def _derived_id(prefix: str, owner: str, kind: str, name: str) -> str:
    """An IAM-style unique id: the 4-letter prefix and 17 characters of [A-Z2-7]."""
    return prefix + _hashed(prefix, owner, kind, name)[:17]


def _attachments(arns: Iterable[str]) -> list[dict]:
    return [{"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn} for arn in arns]


def _tag_list(tags: Mapping[str, str] | None) -> list[dict]:
    return [{"Key": key, "Value": value} for key, value in (tags or {}).items()]


def _inline_list(name: str, statements: Sequence[dict], inline: Mapping[str, dict] | None) -> list[dict]:
    """``statements`` as one policy named ``<name>-inline``, then the named documents of ``inline``."""
    documents = {f"{name}-inline": policy(*statements)} if statements else {}
    documents.update(inline or {})
    return [{"PolicyName": policy_name, "PolicyDocument": document} for policy_name, document in documents.items()]


def _set_boundary(entry: dict, boundary: str | None) -> None:
    if boundary:
        entry["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}


# -- accounts --------------------------------------------------------------------------------------

class Account:
    """One account's get-account-authorization-details document, written entity by entity.

    ``users``, ``groups``, ``roles`` and ``policies`` hold the JSON entries as written (a test
    may edit them before :meth:`to_json`); ``extra`` holds further top-level keys of the file
    (``SAMLProviderList``, ``OpenIDConnectProviderList``). ``name``, ``parent``, ``email``,
    ``joined`` and ``joined_method`` are the account's entry in the organization file.
    ``url_encoded=True`` writes every policy document URL-encoded, as the raw IAM API does.
    """

    def __init__(self, account_id: str, name: str | None = None, parent: str | None = None, *,
                 email: str | None = None, joined: str | None = None, joined_method: str | None = None,
                 create_dates: CreateDates | None = None, url_encoded: bool = False) -> None:
        self.account_id = account_id
        self.name = name or f"acct-{account_id}"
        self.parent = parent
        self.email = email
        self.joined = joined
        self.joined_method = joined_method
        self.create_dates = create_dates
        self.url_encoded = url_encoded
        self.users: list[dict] = []
        self.groups: list[dict] = []
        self.roles: list[dict] = []
        self.policies: list[dict] = []
        self.extra: dict[str, Any] = {}

    def _date(self, kind: str, name: str, given: str | None) -> str | None:
        if given is None and self.create_dates is not None:
            return self.create_dates(kind, name)
        return given

    def _entity(self, kind: str, prefix: str, name: str, path: str, unique_id: str | None,
                create_date: str | None) -> dict:
        entry = {"Path": path, f"{kind.capitalize()}Name": name,
                 f"{kind.capitalize()}Id": unique_id or _derived_id(prefix, self.account_id, kind, name),
                 "Arn": f"arn:aws:iam::{self.account_id}:{kind}{path}{name}"}
        date = self._date(kind, name, create_date)
        if date:
            entry["CreateDate"] = date
        return entry

    def user(self, name: str, *statements: dict, groups: Sequence[str] = (), managed: Sequence[str] = (),
             boundary: str | None = None, tags: Mapping[str, str] | None = None, path: str = "/",
             inline: Mapping[str, dict] | None = None, unique_id: str | None = None,
             create_date: str | None = None) -> str:
        """A user; ``statements`` become its inline policy ``<name>-inline``, ``inline`` adds named documents."""
        entry = self._entity("user", "AIDA", name, path, unique_id, create_date)
        entry.update(UserPolicyList=_inline_list(name, statements, inline), GroupList=list(groups),
                     AttachedManagedPolicies=_attachments(managed), Tags=_tag_list(tags))
        _set_boundary(entry, boundary)
        self.users.append(entry)
        return entry["Arn"]

    def group(self, name: str, *statements: dict, managed: Sequence[str] = (), path: str = "/",
              inline: Mapping[str, dict] | None = None, unique_id: str | None = None,
              create_date: str | None = None) -> str:
        entry = self._entity("group", "AGPA", name, path, unique_id, create_date)
        entry.update(GroupPolicyList=_inline_list(name, statements, inline), AttachedManagedPolicies=_attachments(managed))
        self.groups.append(entry)
        return entry["Arn"]

    def role(self, name: str, *statements: dict, trusts: dict | Sequence[dict], managed: Sequence[str] = (),
             boundary: str | None = None, tags: Mapping[str, str] | None = None, path: str = "/",
             inline: Mapping[str, dict] | None = None, last_used: Mapping[str, str] | None = None,
             max_session: int | None = None, description: str | None = None, instance_profile: bool = False,
             instance_profile_id: str | None = None, unique_id: str | None = None,
             create_date: str | None = None) -> str:
        """A role whose trust policy holds ``trusts`` (one statement or several).

        ``last_used`` is RoleLastUsed (``{}`` when not given, as IAM writes it for an unused role);
        ``instance_profile=True`` gives it an instance profile of the same name, dated like the role.
        """
        entry = self._entity("role", "AROA", name, path, unique_id, create_date)
        profiles = []
        if instance_profile:
            profile = {"Path": "/", "InstanceProfileName": name, "Roles": [],
                       "InstanceProfileId": instance_profile_id or _derived_id("AIPA", self.account_id,
                                                                               "instance-profile", name),
                       "Arn": f"arn:aws:iam::{self.account_id}:instance-profile/{name}"}
            if "CreateDate" in entry:
                profile["CreateDate"] = entry["CreateDate"]
            profiles.append(profile)
        entry.update(AssumeRolePolicyDocument=policy(*([trusts] if isinstance(trusts, Mapping) else trusts)),
                     InstanceProfileList=profiles, RolePolicyList=_inline_list(name, statements, inline),
                     AttachedManagedPolicies=_attachments(managed), Tags=_tag_list(tags),
                     RoleLastUsed=dict(last_used or {}))
        if max_session is not None:
            entry["MaxSessionDuration"] = max_session
        if description:
            entry["Description"] = description
        _set_boundary(entry, boundary)
        self.roles.append(entry)
        return entry["Arn"]

    def managed_policy(self, name: str, *statements: dict, versions: Sequence[Sequence[dict]] | None = None,
                       default: int | None = None, path: str = "/", description: str | None = None,
                       aws_managed: bool = False, unique_id: str | None = None, create_date: str | None = None,
                       version_dates: Sequence[str] | None = None) -> str:
        """A managed policy listed in this file; returns its ARN.

        ``versions`` (statement lists, oldest first) replaces ``statements`` for a policy with
        several; ``default`` (0-based) picks the default version, the newest when not given.
        Versions are dated ``version_dates`` (oldest first), else all like the policy, and
        UpdateDate is the newest version's date; PolicyVersionList is newest first, as IAM
        lists it. ``aws_managed=True`` gives the ``arn:aws:iam::aws:policy`` ARN (the reader
        finds AWS managed policies in any account file) and skips the ``create_dates`` hook.
        """
        owner = "aws" if aws_managed else self.account_id
        documents = [list(v) for v in versions] if versions is not None else [list(statements)]
        chosen = len(documents) - 1 if default is None else default
        created = create_date if aws_managed else self._date("policy", name, create_date)
        dates = list(version_dates) if version_dates is not None else [created] * len(documents)
        version_list = []
        for index, document in enumerate(documents):
            version = {"Document": policy(*document), "VersionId": f"v{index + 1}", "IsDefaultVersion": index == chosen}
            if dates[index]:
                version["CreateDate"] = dates[index]
            version_list.append(version)
        entry = {"PolicyName": name, "PolicyId": unique_id or _derived_id("ANPA", owner, "policy", name),
                 "Arn": policy_arn(owner, name, path), "Path": path, "DefaultVersionId": f"v{chosen + 1}",
                 "IsAttachable": True, "PolicyVersionList": version_list[::-1]}
        if created:
            entry["CreateDate"] = created
        if dates[-1]:
            entry["UpdateDate"] = dates[-1]
        if description:
            entry["Description"] = description
        self.policies.append(entry)
        return entry["Arn"]

    def _usage(self) -> tuple[Counter, Counter]:
        """How many entities attach each managed policy, and how many have it as their boundary."""
        entities = (*self.users, *self.groups, *self.roles)
        attached = Counter(item["PolicyArn"] for entity in entities for item in entity.get("AttachedManagedPolicies", ()))
        boundaries = Counter(entity["PermissionsBoundary"]["PermissionsBoundaryArn"] for entity in entities
                             if "PermissionsBoundary" in entity)
        return attached, boundaries

    def policies_in_use(self) -> set[str]:
        """ARNs of the managed policies this account's users, groups and roles attach or have as boundary."""
        attached, boundaries = self._usage()
        return set(attached) | set(boundaries)

    def to_json(self) -> dict:
        """The account file (a fresh top level over the entity entries, with usage counts filled in)."""
        attached, boundaries = self._usage()
        policies = [{**entry, "AttachmentCount": attached[entry["Arn"]],
                     "PermissionsBoundaryUsageCount": boundaries[entry["Arn"]]} for entry in self.policies]
        data = {"UserDetailList": self.users, "GroupDetailList": self.groups, "RoleDetailList": self.roles,
                "Policies": policies, **self.extra}
        if self.url_encoded:
            data = json.loads(json.dumps(data))  # a deep copy: the entries keep their documents as objects
            for entities, inline in (("UserDetailList", "UserPolicyList"), ("GroupDetailList", "GroupPolicyList"),
                                     ("RoleDetailList", "RolePolicyList")):
                for entity in data[entities]:
                    for item in entity[inline]:
                        item["PolicyDocument"] = url_encoded(item["PolicyDocument"])
            for role in data["RoleDetailList"]:
                role["AssumeRolePolicyDocument"] = url_encoded(role["AssumeRolePolicyDocument"])
            for entry in data["Policies"]:
                for version in entry["PolicyVersionList"]:
                    version["Document"] = url_encoded(version["Document"])
        return data


# -- IAM Identity Center ---------------------------------------------------------------------------

SSO_ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"
SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"


def _hex(*parts: str) -> str:
    """Hex digits of a hash of ``parts``: the Identity Center ids the builder derives."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _store_uuid(*parts: str) -> str:
    """An identity-store id (``<10 hex>-<uuid>``, the form AWS gives users, groups and memberships)."""
    h = _hex(*parts)
    return f"{h[:10]}-{h[10:18]}-{h[18:22]}-{h[22:26]}-{h[26:30]}-{h[30:42]}"


def sso_trust(provider_arn: str) -> dict:
    """The trust statement Identity Center writes into a permission set's role: the account's SAML provider may
    call AssumeRoleWithSAML (and TagSession) for the AWS sign-in audience."""
    return trust({"Federated": provider_arn}, ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                 {"StringEquals": {"SAML:aud": SAML_AUDIENCE}})


class IdentityCenter:
    """An IAM Identity Center instance, written as the identity-center file (the boto3 answers of sso-admin and
    identitystore; see :func:`graphiam.snapshot.read._read_identity_center`).

    ``users``, ``groups``, ``memberships``, ``permission_sets``, ``assignments`` and ``errors`` hold the entries as
    written (a test may edit them). Ids are derived from the organization and the names, so the same scenario
    writes the same bytes: instance ``arn:aws:sso:::instance/ssoins-<16 hex>``, identity store ``d-<10 hex>``,
    user, group and membership ids ``<10 hex>-<uuid>``, permission set ARNs ``.../ps-<16 hex>``, and each
    provisioned role ``AWSReservedSSO_<name>_<16 hex>``.
    """

    def __init__(self, org: "Org", *, instance_id: str | None = None, identity_store_id: str | None = None,
                 owner: str | None = None, name: str | None = None) -> None:
        self.org = org
        self.instance_id = instance_id or "ssoins-" + _hex("instance", org.org_id)[:16]
        self.instance_arn = f"arn:aws:sso:::instance/{self.instance_id}"
        self.identity_store_id = identity_store_id or "d-" + _hex("identity-store", org.org_id)[:10]
        self.owner = owner or org.management
        self.name = name
        self.provider_name = f"AWSSSO_{self.instance_id.removeprefix('ssoins-')}_DO_NOT_DELETE"
        self.users: list[dict] = []
        self.groups: list[dict] = []
        self.memberships: list[dict] = []
        self.permission_sets: list[dict] = []
        self.assignments: list[dict] = []
        self.errors: list[dict] = []

    # -- the identity store ---------------------------------------------------------------------------
    def user(self, user_name: str, *, display_name: str | None = None, emails: Sequence[str] = (),
             user_id: str | None = None) -> str:
        """A user (the first email is the primary one); returns its user id."""
        entry: dict[str, Any] = {"UserName": user_name,
                                 "UserId": user_id or _store_uuid(self.identity_store_id, "user", user_name),
                                 "IdentityStoreId": self.identity_store_id}
        if display_name:
            entry["DisplayName"] = display_name
        if emails:
            entry["Emails"] = [{"Value": email, "Type": "work", "Primary": index == 0}
                               for index, email in enumerate(emails)]
        self.users.append(entry)
        return entry["UserId"]

    def _user_id(self, user: str) -> str:
        """A user id, or the id of the user of that name."""
        for entry in self.users:
            if user in (entry["UserId"], entry["UserName"]):
                return entry["UserId"]
        return user

    def _group_id(self, group: str) -> str:
        for entry in self.groups:
            if group in (entry["GroupId"], entry.get("DisplayName")):
                return entry["GroupId"]
        return group

    def group(self, display_name: str, *, members: Sequence[str] = (), description: str | None = None,
              group_id: str | None = None) -> str:
        """A group with ``members`` (user ids or user names); returns its group id."""
        entry: dict[str, Any] = {"GroupId": group_id or _store_uuid(self.identity_store_id, "group", display_name),
                                 "DisplayName": display_name, "IdentityStoreId": self.identity_store_id}
        if description:
            entry["Description"] = description
        self.groups.append(entry)
        for member in members:
            self.add_member(entry["GroupId"], member)
        return entry["GroupId"]

    def add_member(self, group: str, user: str) -> None:
        group_id, user_id = self._group_id(group), self._user_id(user)
        self.memberships.append({"IdentityStoreId": self.identity_store_id,
                                 "MembershipId": _store_uuid(self.identity_store_id, "membership", group_id, user_id),
                                 "GroupId": group_id, "MemberId": {"UserId": user_id}})

    # -- permission sets -------------------------------------------------------------------------------
    def permission_set(self, name: str, *statements: dict, managed: Sequence[str] = (),
                       customer_managed: Sequence[str | tuple[str, str]] = (), boundary: str | tuple[str, str] | None = None,
                       inline: dict | None = None, description: str | None = None,
                       session_duration: str = "PT1H", arn: str | None = None) -> str:
        """A permission set; returns its ARN. ``statements`` (or a whole ``inline`` document) are its inline policy;
        ``managed`` AWS managed policy ARNs; ``customer_managed`` names (or ``(path, name)``) of customer managed
        policies; ``boundary`` an AWS managed policy ARN, or a customer managed policy's name (or ``(path, name)``)."""
        document = inline if inline is not None else (policy(*statements) if statements else None)
        described: dict[str, Any] = {"Name": name, "SessionDuration": session_duration,
                                     "PermissionSetArn": arn or f"arn:aws:sso:::permissionSet/{self.instance_id}/ps-"
                                                                + _hex(self.instance_id, "permission-set", name)[:16]}
        if description:
            described["Description"] = description
        entry: dict[str, Any] = {
            "PermissionSet": described,
            "InlinePolicy": json.dumps(document) if document is not None else "",
            "AttachedManagedPolicies": [{"Name": a.rsplit("/", 1)[-1], "Arn": a} for a in managed],
            "CustomerManagedPolicyReferences": [_reference(r) for r in customer_managed],
            "AccountIds": [],
        }
        if boundary is not None:
            entry["PermissionsBoundary"] = ({"ManagedPolicyArn": boundary} if isinstance(boundary, str)
                                            and boundary.startswith("arn:")
                                            else {"CustomerManagedPolicyReference": _reference(boundary)})
        self.permission_sets.append(entry)
        return described["PermissionSetArn"]

    def _permission_set(self, permission_set: str) -> dict:
        for entry in self.permission_sets:
            if permission_set in (entry["PermissionSet"]["PermissionSetArn"], entry["PermissionSet"]["Name"]):
                return entry
        raise KeyError(f"no permission set {permission_set}")

    def provider_arn(self, account_id: str) -> str:
        """The account's Identity Center SAML provider."""
        return f"arn:aws:iam::{account_id}:saml-provider/{self.provider_name}"

    def role_name(self, permission_set: str, account_id: str) -> str:
        """The role Identity Center provisions for the permission set (its ARN or name) in the account."""
        name = self._permission_set(permission_set)["PermissionSet"]["Name"]
        return f"AWSReservedSSO_{name}_{_hex(self.instance_id, 'role', name, account_id)[:16]}"

    def role_arn(self, permission_set: str, account_id: str) -> str:
        return role_arn(account_id, self.role_name(permission_set, account_id), SSO_ROLE_PATH)

    def provision(self, permission_set: str, account_id: str, *, role: bool = True,
                  trusts: dict | Sequence[dict] | None = None) -> str | None:
        """Provision the permission set (its ARN or name) to the account: list the account in its ``AccountIds``
        and, with ``role`` (the default), write its role into the account, with the permission set's policies
        and a trust for the account's Identity Center SAML provider (``trusts`` replaces that trust). Returns the
        role's ARN (``None`` without ``role``: provisioned as far as Identity Center knows, the role missing).

        An account already holding the permission set's role (``AWSReservedSSO_<name>_<16 hex>`` under
        ``/aws-reserved/sso.amazonaws.com/``, written by an earlier call or by ``Account.role``) keeps it: Identity
        Center keeps one role per permission set and account."""
        entry = self._permission_set(permission_set)
        if account_id not in entry["AccountIds"]:
            entry["AccountIds"].append(account_id)
        if not role:
            return None
        acct = self.org.account(account_id)
        arn = self.role_arn(permission_set, account_id)
        name = entry["PermissionSet"]["Name"]
        for existing in acct.roles:
            if existing["Path"].startswith(SSO_ROLE_PATH) and re.fullmatch(
                    rf"AWSReservedSSO_{re.escape(name)}_[0-9a-f]{{16}}", existing["RoleName"]):
                return existing["Arn"]
        provider = self.provider_arn(account_id)
        providers = acct.extra.setdefault("SAMLProviderList", [])
        if not any(p.get("Arn") == provider for p in providers):
            providers.append({"Arn": provider})
        inline = json.loads(entry["InlinePolicy"]) if entry["InlinePolicy"] else None

        def in_account(reference: dict) -> str:
            return policy_arn(account_id, reference["Name"], reference.get("Path", "/"))

        managed = [p["Arn"] for p in entry["AttachedManagedPolicies"]]
        managed.extend(in_account(r) for r in entry["CustomerManagedPolicyReferences"])
        boundary = entry.get("PermissionsBoundary")
        acct.role(self.role_name(permission_set, account_id), trusts=sso_trust(provider) if trusts is None else trusts,
                  managed=managed, path=SSO_ROLE_PATH, inline={"AwsSSOInlinePolicy": inline} if inline else None,
                  boundary=None if boundary is None else (boundary.get("ManagedPolicyArn")
                                                          or in_account(boundary["CustomerManagedPolicyReference"])),
                  description=f"Created by AWS SSO for the permission set {name}")
        return arn

    def assign(self, account_id: str, permission_set: str, *, user: str | None = None, group: str | None = None,
               provision: bool = True) -> None:
        """Give a user or a group (id or name) the permission set (ARN or name) in the account; ``provision``
        (the default) also provisions it there, as Identity Center does when an assignment is made."""
        if (user is None) == (group is None):
            raise ValueError("assign one user or one group")
        entry = self._permission_set(permission_set)
        self.assignments.append({"AccountId": account_id,
                                 "PermissionSetArn": entry["PermissionSet"]["PermissionSetArn"],
                                 "PrincipalType": "USER" if user is not None else "GROUP",
                                 "PrincipalId": self._user_id(user) if user is not None else self._group_id(group)})
        if provision:
            self.provision(permission_set, account_id)

    def to_json(self) -> dict:
        """The identity-center file."""
        instance: dict[str, Any] = {"InstanceArn": self.instance_arn, "IdentityStoreId": self.identity_store_id,
                                    "OwnerAccountId": self.owner, "Status": "ACTIVE"}
        if self.name:
            instance["Name"] = self.name
        instance.update(Users=self.users, Groups=self.groups, GroupMemberships=self.memberships,
                        PermissionSets=[{**entry, "AccountIds": sorted(entry["AccountIds"])}
                                        for entry in self.permission_sets],
                        AccountAssignments=self.assignments)
        data: dict[str, Any] = {"Instances": [instance]}
        if self.errors:
            data["Errors"] = self.errors
        return data


def _reference(given: str | tuple[str, str]) -> dict:
    """A customer managed policy reference: a name, or ``(path, name)``."""
    path, name = given if isinstance(given, tuple) else ("/", given)
    return {"Name": name, "Path": path}


# -- the organization ------------------------------------------------------------------------------

class Org:
    """An organization and its accounts. Without ``ou``/``scp``/``rcp`` calls, loose accounts:
    :meth:`files` then has no organization file (``with_organization`` says which).

    ``ous`` and ``org_policies`` hold the organization file's entries as written (a test may
    edit them); the ``Accounts`` entries are written from :attr:`accounts` when the file is.
    """

    def __init__(self, org_id: str = "o-test000001", management: str = "111111111111", root: str = "r-test", *,
                 policy_types: Sequence[str] | None = None) -> None:
        self.org_id = org_id
        self.management = management
        self.root = root
        # the policy types enabled on the root (its PolicyTypes, the Organization's AvailablePolicyTypes);
        # None writes neither: the file does not say
        self.policy_types = None if policy_types is None else tuple(policy_types)
        self.accounts: dict[str, Account] = {}
        self.ous: list[dict] = []
        self.org_policies: list[dict] = []
        self.with_organization = False
        self.center: IdentityCenter | None = None  # the identity-center file, once identity_center() is called

    def account(self, account_id: str, name: str | None = None, parent: str | None = None, *,
                email: str | None = None, joined: str | None = None, joined_method: str | None = None,
                create_dates: CreateDates | None = None, url_encoded: bool = False) -> Account:
        """The account ``account_id``, added on first use (later calls return it as it is)."""
        if account_id not in self.accounts:
            self.accounts[account_id] = Account(account_id, name, parent, email=email, joined=joined,
                                                joined_method=joined_method, create_dates=create_dates,
                                                url_encoded=url_encoded)
        return self.accounts[account_id]

    def identity_center(self, **options: Any) -> IdentityCenter:
        """The organization's IAM Identity Center (made on first use, with ``options`` for
        :class:`IdentityCenter`); once made, :meth:`files` writes ``identity-center.json``."""
        if self.center is None:
            self.center = IdentityCenter(self, **options)
        return self.center

    def _arn(self, kind: str, node_id: str) -> str:
        return f"arn:aws:organizations::{self.management}:{kind}/{self.org_id}/{node_id}"

    def ou(self, ou_id: str, name: str, parent: str | None = None) -> str:
        """An organizational unit under ``parent`` (the root when not given); returns its id."""
        self.with_organization = True
        self.ous.append({"Id": ou_id, "Arn": self._arn("ou", ou_id), "Name": name, "ParentId": parent or self.root})
        return ou_id

    def scp(self, name: str, *statements: dict, targets: Sequence[str], description: str | None = None,
            policy_id: str | None = None, aws_managed: bool = False) -> str:
        """A service control policy attached to ``targets`` (roots, OUs, accounts); returns its id,
        derived from the name when not given (``p-<name>`` for AWS managed ones)."""
        return self._control_policy(SCP, name, statements, targets, description, policy_id, aws_managed)

    def rcp(self, name: str, *statements: dict, targets: Sequence[str], description: str | None = None,
            policy_id: str | None = None, aws_managed: bool = False) -> str:
        """A resource control policy attached to ``targets``; returns its id."""
        return self._control_policy(RCP, name, statements, targets, description, policy_id, aws_managed)

    def _target(self, target_id: str) -> dict:
        """A policy target, named as the organization stands now (an unknown account by its id)."""
        ou_names = {ou["Id"]: ou["Name"] for ou in self.ous}
        if target_id == self.root or target_id.startswith("r-"):
            kind, arn, name = "ROOT", self._arn("root", target_id), "Root"
        elif target_id in ou_names or target_id.startswith("ou-"):
            kind, arn, name = "ORGANIZATIONAL_UNIT", self._arn("ou", target_id), ou_names.get(target_id, target_id)
        else:
            account = self.accounts.get(target_id)
            kind, arn, name = "ACCOUNT", self._arn("account", target_id), account.name if account else target_id
        return {"TargetId": target_id, "Arn": arn, "Name": name, "Type": kind}

    def _control_policy(self, kind: str, name: str, statements: tuple[dict, ...], targets: Sequence[str],
                        description: str | None, policy_id: str | None, aws_managed: bool) -> str:
        self.with_organization = True
        if policy_id is None:
            policy_id = f"p-{name}" if aws_managed else "p-" + _hashed("org-policy", name)[:8].lower()
        folder = kind.lower()
        arn = (f"arn:aws:organizations::aws:policy/{folder}/{policy_id}" if aws_managed
               else f"arn:aws:organizations::{self.management}:policy/{self.org_id}/{folder}/{policy_id}")
        summary = {"Id": policy_id, "Arn": arn, "Name": name, "Type": kind, "AwsManaged": aws_managed}
        if description:
            summary["Description"] = description
        self.org_policies.append({"PolicySummary": summary, "Content": json.dumps(policy(*statements), indent=4),
                                  "Targets": [self._target(t) for t in targets]})
        return policy_id

    def full_access_everywhere(self, scp: bool = True, rcp: bool = False, skip: Sequence[str] = ()) -> None:
        """Attach FullAWSAccess (and RCPFullAWSAccess) to the root, every OU and every account added so far
        (but ``skip``), as AWS does."""
        targets = [t for t in (self.root, *(ou["Id"] for ou in self.ous), *self.accounts) if t not in skip]
        if scp:
            self.scp("FullAWSAccess", allow("*", "*"), targets=targets,
                     description="Allows access to every operation", aws_managed=True)
        if rcp:
            self.rcp("RCPFullAWSAccess", statement("Allow", "*", "*", principal="*"), targets=targets,
                     description="Allows access to every operation", aws_managed=True)

    def organization_json(self) -> dict:
        """The organization file: describe_organization, roots, OUs, accounts, SCPs and RCPs with targets."""
        organization = {"Id": self.org_id, "Arn": f"arn:aws:organizations::{self.management}:organization/{self.org_id}",
                        "FeatureSet": "ALL", "MasterAccountId": self.management,
                        "MasterAccountArn": self._arn("account", self.management)}
        root = {"Id": self.root, "Arn": self._arn("root", self.root), "Name": "Root"}
        if self.policy_types is not None:
            organization["AvailablePolicyTypes"] = root["PolicyTypes"] = [
                {"Type": kind, "Status": "ENABLED"} for kind in self.policy_types]
        management = self.accounts.get(self.management)
        if management is not None and management.email:
            organization["MasterAccountEmail"] = management.email
        accounts = []
        for account in self.accounts.values():
            entry = {"Id": account.account_id, "Arn": self._arn("account", account.account_id), "Name": account.name,
                     "Status": "ACTIVE", "ParentId": account.parent or self.root}
            for key, value in (("Email", account.email), ("JoinedMethod", account.joined_method),
                               ("JoinedTimestamp", account.joined)):
                if value:
                    entry[key] = value
            accounts.append(entry)
        return {
            "Organization": organization,
            "Roots": [root],
            "OrganizationalUnits": self.ous,
            "Accounts": accounts,
            "Policies": self.org_policies,
        }

    def files(self) -> list[tuple[str, dict]]:
        """``(file name, JSON data)``: ``<account id>.json`` per account, then ``organization.json`` and
        ``identity-center.json`` if any."""
        out = [(f"{account.account_id}.json", account.to_json()) for account in self.accounts.values()]
        if self.with_organization:
            out.append(("organization.json", self.organization_json()))
        if self.center is not None:
            out.append(("identity-center.json", self.center.to_json()))
        return out

    def snapshot(self) -> Snapshot:
        """The snapshot graphiam reads from these files."""
        return snapshot_from_data(self.files())

    def write(self, folder: str | os.PathLike[str]) -> Path:
        """Write :meth:`files` into ``folder`` (created if needed); returns the folder."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        for name, data in self.files():
            (out / name).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return out
