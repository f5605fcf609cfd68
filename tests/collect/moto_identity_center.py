"""IAM Identity Center inside moto's server, on top of moto_org.build_org, over HTTP only.

:func:`build_identity_center` uses the instance moto creates for the
management account (moto has no ``create_instance``) and adds::

    users   alice@example.com (Alice Liddell, in Admins), bob (in Readers), carol@example.com
    groups  Admins, Readers
    permission sets
      AdministratorAccess  AWS managed AdministratorAccess + an inline policy
      ReadOnly             AWS managed ReadOnlyAccess + customer managed AuditExtras
      Broken               nothing
    assignments
      AdministratorAccess  prod     GROUP Admins   -> alice signs in to prod's AWSReservedSSO_AdministratorAccess_...
      ReadOnly             nonprod  USER bob       -> bob signs in to nonprod's AWSReservedSSO_ReadOnly_...
      ReadOnly             sandbox  GROUP Readers  -> no role in sandbox: "role_not_provisioned"
      Broken               prod     USER carol@... -> the role's trust wants another SAML audience: "trust_denies"

moto creates neither the ``AWSReservedSSO_*`` roles nor the accounts'
``AWSSSO_<hex>_DO_NOT_DELETE`` SAML providers (AWS does, when it provisions a
permission set), so this module creates them itself with IAM calls in each
member account: the provider, and the role under ``/aws-reserved/sso.amazonaws.com/``
trusting it for ``sts:AssumeRoleWithSAML`` with the policies the permission
set names. ``provision_permission_set`` is called for every assignment, as AWS
does on its own (moto's ``create_account_assignment`` provisions nothing; see
MOTO_NOTES.md for what moto's provisioning records).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .moto_org import OrgFacts, saml_metadata

SSO_PATH = "/aws-reserved/sso.amazonaws.com/"
PROVIDER_NAME = "AWSSSO_0123456789abcdef_DO_NOT_DELETE"  # stands in for the provider AWS creates
AUDIENCE = "https://signin.aws.amazon.com/saml"
ROLE_SUFFIX = {"AdministratorAccess": "1a2b3c4d5e6f7a8b", "ReadOnly": "9c8d7e6f5a4b3c2d", "Broken": "00ff00ff00ff00ff"}
INLINE = {"Version": "2012-10-17", "Statement": [{"Sid": "Logs", "Effect": "Allow", "Action": "logs:*",
                                                  "Resource": "*"}]}


@dataclass(frozen=True)
class IdentityCenterFacts:
    instance_arn: str
    identity_store_id: str
    users: dict[str, str]  # user name -> user id
    groups: dict[str, str]  # display name -> group id
    permission_sets: dict[str, str]  # name -> ARN
    roles: dict[tuple[str, str], str]  # (permission set, account name) -> the role ARN created
    provider_arns: dict[str, str]  # account name -> the SAML provider created

    def role(self, permission_set: str, account: str) -> str:
        return self.roles[(permission_set, account)]


def sso_trust(provider_arn: str, audience: str = AUDIENCE) -> str:
    """The trust policy Identity Center writes into a permission set's role."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn},
        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        "Condition": {"StringEquals": {"SAML:aud": audience}}}]})


def _role_name(permission_set: str) -> str:
    return f"AWSReservedSSO_{permission_set}_{ROLE_SUFFIX[permission_set]}"


def build_identity_center(facts: OrgFacts) -> IdentityCenterFacts:
    sso = facts.client("sso-admin")
    store_client = facts.client("identitystore")
    instance = sso.list_instances()["Instances"][0]
    arn, store = instance["InstanceArn"], instance["IdentityStoreId"]

    users = {
        "alice@example.com": store_client.create_user(
            IdentityStoreId=store, UserName="alice@example.com", DisplayName="Alice Liddell",
            Name={"GivenName": "Alice", "FamilyName": "Liddell"},
            Emails=[{"Value": "alice@example.com", "Type": "work", "Primary": True}])["UserId"],
        "bob": store_client.create_user(
            IdentityStoreId=store, UserName="bob", DisplayName="Bob", Name={"GivenName": "Bob", "FamilyName": "B"},
            Emails=[{"Value": "bob@example.com", "Type": "work", "Primary": True}])["UserId"],
        "carol@example.com": store_client.create_user(  # moto_org has an IAM user carol: a user name apart
            IdentityStoreId=store, UserName="carol@example.com", DisplayName="Carol", Name={"GivenName": "Carol", "FamilyName": "C"},
            Emails=[{"Value": "carol@example.com", "Type": "work", "Primary": True}])["UserId"],
    }
    groups = {name: store_client.create_group(IdentityStoreId=store, DisplayName=name)["GroupId"]
              for name in ("Admins", "Readers")}
    for group, user in (("Admins", "alice@example.com"), ("Readers", "bob")):
        store_client.create_group_membership(IdentityStoreId=store, GroupId=groups[group],
                                             MemberId={"UserId": users[user]})

    def permission_set(name: str) -> str:
        return sso.create_permission_set(InstanceArn=arn, Name=name, SessionDuration="PT8H",
                                         Description=f"{name} for the moto test")["PermissionSet"]["PermissionSetArn"]

    sets = {name: permission_set(name) for name in ("AdministratorAccess", "ReadOnly", "Broken")}
    sso.attach_managed_policy_to_permission_set(InstanceArn=arn, PermissionSetArn=sets["AdministratorAccess"],
                                                ManagedPolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    sso.put_inline_policy_to_permission_set(InstanceArn=arn, PermissionSetArn=sets["AdministratorAccess"],
                                            InlinePolicy=json.dumps(INLINE))
    sso.attach_managed_policy_to_permission_set(InstanceArn=arn, PermissionSetArn=sets["ReadOnly"],
                                                ManagedPolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    sso.attach_customer_managed_policy_reference_to_permission_set(
        InstanceArn=arn, PermissionSetArn=sets["ReadOnly"],
        CustomerManagedPolicyReference={"Name": "AuditExtras", "Path": "/"})

    assignments = (("AdministratorAccess", "prod", "GROUP", groups["Admins"]),
                   ("ReadOnly", "nonprod", "USER", users["bob"]),
                   ("ReadOnly", "sandbox", "GROUP", groups["Readers"]),
                   ("Broken", "prod", "USER", users["carol@example.com"]))
    for name, account, principal_type, principal_id in assignments:
        sso.create_account_assignment(InstanceArn=arn, TargetId=facts.account_ids[account], TargetType="AWS_ACCOUNT",
                                      PermissionSetArn=sets[name], PrincipalType=principal_type,
                                      PrincipalId=principal_id)
        sso.provision_permission_set(InstanceArn=arn, PermissionSetArn=sets[name], TargetType="AWS_ACCOUNT",
                                     TargetId=facts.account_ids[account])

    # What AWS would have created while provisioning (moto does not): providers and roles, not in sandbox.
    providers: dict[str, str] = {}
    roles: dict[tuple[str, str], str] = {}
    iams: dict[str, Any] = {name: facts.member_client(name, "iam") for name in ("prod", "nonprod")}
    for account, iam in iams.items():
        providers[account] = iam.create_saml_provider(Name=PROVIDER_NAME,
                                                      SAMLMetadataDocument=saml_metadata())["SAMLProviderArn"]
    nonprod_iam = iams["nonprod"]
    nonprod_iam.create_policy(PolicyName="AuditExtras", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudtrail:LookupEvents",
                                                 "Resource": "*"}]}))
    for name, account, audience in (("AdministratorAccess", "prod", AUDIENCE), ("ReadOnly", "nonprod", AUDIENCE),
                                    ("Broken", "prod", "https://example.com/not-identity-center")):
        iam = iams[account]
        role = iam.create_role(RoleName=_role_name(name), Path=SSO_PATH,
                               AssumeRolePolicyDocument=sso_trust(providers[account], audience),
                               Description=f"Created by AWS SSO for the permission set {name}")["Role"]
        if name == "AdministratorAccess":
            iam.put_role_policy(RoleName=role["RoleName"], PolicyName="AwsSSOInlinePolicy",
                                PolicyDocument=json.dumps(INLINE))
        elif name == "ReadOnly":
            iam.attach_role_policy(RoleName=role["RoleName"],
                                   PolicyArn=f"arn:aws:iam::{facts.account_ids[account]}:policy/AuditExtras")
        roles[(name, account)] = role["Arn"]

    return IdentityCenterFacts(instance_arn=arn, identity_store_id=store, users=users, groups=groups,
                               permission_sets=sets, roles=roles, provider_arns=providers)
