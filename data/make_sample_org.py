#!/usr/bin/env python3
"""Write the sample AWS organization snapshot used by graphiam's demos and tests.

Run from anywhere:

    python3 data/make_sample_org.py

It (re)writes, next to this script:

* ``sample-org/organization.json``  - the organization: roots, OUs, accounts,
  SCPs and RCPs with their targets.
* ``sample-org/accounts/<id>-<name>.json`` - one file per account in the shape
  of ``aws iam get-account-authorization-details``.  In the identity account
  (222222222222) every policy document is URL-encoded JSON text, as the raw
  IAM API returns it; elsewhere documents are JSON objects.
* ``sample-checks.json`` - the reachability checks and AccessDenied tickets
  that ``SCENARIOS.md`` explains.

Everything is deterministic (ids are derived from names, dates are fixed or
derived from names), so rerunning produces byte-identical files.  Standard
library only, no network.

The scenarios (W1-W6 working, B1-B7 broken) are described in SCENARIOS.md;
the comments tagged with the same ids below show where each one is built.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "sample-org"
CHECKS_FILE = HERE / "sample-checks.json"

ORG_ID = "o-a1b2c3d4e5"
ROOT_ID = "r-ab12"
MANAGEMENT = "111111111111"
IDENTITY = "222222222222"
PROD = "333333333333"
STAGING = "444444444444"
SECURITY = "555555555555"
SANDBOX = "666666666666"
VENDOR = "999999999999"     # an audit vendor, outside the organization
UNKNOWN = "777777777777"    # some account nobody can explain, outside the snapshot

# A deleted role's unique id: what IAM leaves in a trust policy once the
# principal it named is gone.
DANGLING_ROLE_ID = "AROA" + "Z" * 17

BASE_DATE = _dt.datetime(2022, 1, 10, 10, 0, 0, tzinfo=_dt.timezone.utc)


# ---------------------------------------------------------------------------
# deterministic ids and dates
# ---------------------------------------------------------------------------

def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()


def unique_id(prefix: str, *parts: str) -> str:
    """An IAM-style unique id: 4-letter prefix + 17 chars of [A-Z2-7]."""
    return prefix + base64.b32encode(_digest(prefix, *parts)).decode("ascii")[:17]


def org_policy_id(name: str) -> str:
    return "p-" + base64.b32encode(_digest("org-policy", name)).decode("ascii")[:8].lower()


def stamp(days_after_base: int) -> str:
    when = BASE_DATE + _dt.timedelta(days=days_after_base)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def created(not_before_days: int, *parts: str) -> str:
    """A creation date fixed per entity, within ~20 months after ``not_before_days``."""
    return stamp(not_before_days + 1 + int.from_bytes(_digest("date", *parts)[:4], "big") % 600)


# ---------------------------------------------------------------------------
# ARNs
# ---------------------------------------------------------------------------

def account_root(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def user_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:user{path}{name}"


def role_arn(account_id: str, name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{account_id}:role{path}{name}"


def aws_policy(name: str) -> str:
    """ARN of an AWS managed policy known to this script (see AWS_MANAGED)."""
    path = AWS_MANAGED[name]["path"]
    return f"arn:aws:iam::aws:policy{path}{name}"


# ---------------------------------------------------------------------------
# policy document builders
# ---------------------------------------------------------------------------

def _one_or_many(values):
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    return values[0] if len(values) == 1 else values


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions, resources="*", condition: dict | None = None, sid: str | None = None) -> dict:
    statement = {"Sid": sid} if sid else {}
    statement.update(Effect="Allow", Action=_one_or_many(actions), Resource=_one_or_many(resources))
    if condition:
        statement["Condition"] = condition
    return statement


def deny(actions, resources="*", condition: dict | None = None, sid: str | None = None) -> dict:
    statement = allow(actions, resources, condition, sid)
    statement["Effect"] = "Deny"
    return statement


def assume(*targets: str, sid: str | None = None) -> dict:
    """Identity statement: may call sts:AssumeRole on these role ARNs."""
    return allow("sts:AssumeRole", list(targets), sid=sid)


def _trust(principal, action="sts:AssumeRole", condition=None, sid=None) -> dict:
    statement = {"Sid": sid} if sid else {}
    statement.update(Effect="Allow", Principal=principal, Action=_one_or_many(action))
    if condition:
        statement["Condition"] = condition
    return statement


def trust_account(account_id: str, condition=None, sid=None, action="sts:AssumeRole") -> dict:
    """Trust statement naming a whole account (its root): callers also need an identity allow."""
    return _trust({"AWS": account_root(account_id)}, action, condition, sid)


def trust_principal(*arns: str, condition=None, sid=None, action="sts:AssumeRole") -> dict:
    """Trust statement naming exact principals (user/role ARNs, or whatever text IAM kept)."""
    return _trust({"AWS": _one_or_many(list(arns))}, action, condition, sid)


def trust_service(service: str, sid=None) -> dict:
    return _trust({"Service": service}, "sts:AssumeRole", None, sid)


def trust_anyone(condition: dict, sid=None, principal="*") -> dict:
    """Trust statement with Principal "*" narrowed by conditions."""
    return _trust(principal, "sts:AssumeRole", condition, sid)


def trust_saml(provider_arn: str) -> dict:
    return _trust(
        {"Federated": provider_arn},
        "sts:AssumeRoleWithSAML",
        {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
    )


def trust_oidc(provider_arn: str, condition: dict) -> dict:
    return _trust({"Federated": provider_arn}, "sts:AssumeRoleWithWebIdentity", condition)


def tags(**pairs: str) -> list[dict]:
    return [{"Key": key.replace("_", "-"), "Value": value} for key, value in pairs.items()]


# ---------------------------------------------------------------------------
# AWS managed policies (abbreviated but realistic documents)
# ---------------------------------------------------------------------------

AWS_MANAGED: dict[str, dict] = {
    "AdministratorAccess": {
        "path": "/",
        "version": "v1",
        "created": "2015-02-06T18:39:46Z",
        "updated": "2015-02-06T18:39:46Z",
        "document": policy(allow("*", "*")),
    },
    "ReadOnlyAccess": {
        "path": "/",
        "version": "v1",
        "created": "2015-02-06T18:39:48Z",
        "updated": "2024-02-20T18:14:21Z",
        "document": policy(
            allow(
                [
                    "cloudtrail:Describe*", "cloudtrail:Get*", "cloudtrail:List*", "cloudtrail:LookupEvents",
                    "cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*",
                    "dynamodb:Describe*", "dynamodb:List*",
                    "ec2:Describe*", "ec2:Get*",
                    "ecr:BatchGetImage", "ecr:Describe*", "ecr:List*",
                    "iam:Generate*", "iam:Get*", "iam:List*", "iam:Simulate*",
                    "lambda:Get*", "lambda:List*",
                    "logs:Describe*", "logs:FilterLogEvents", "logs:Get*", "logs:StartQuery",
                    "organizations:Describe*", "organizations:List*",
                    "s3:Describe*", "s3:Get*", "s3:List*",
                    "sns:Get*", "sns:List*",
                    "sqs:Get*", "sqs:List*",
                    "ssm:Describe*", "ssm:Get*", "ssm:List*",
                    "sts:GetAccessKeyInfo", "sts:GetCallerIdentity", "sts:GetSessionToken",
                ],
                "*",
                sid="AbbreviatedReadOnly",
            )
        ),
    },
    "SecurityAudit": {
        "path": "/",
        "version": "v1",
        "created": "2015-02-06T18:41:01Z",
        "updated": "2024-01-12T17:54:10Z",
        "document": policy(
            allow(
                [
                    "access-analyzer:Get*", "access-analyzer:List*",
                    "cloudtrail:DescribeTrails", "cloudtrail:GetEventSelectors", "cloudtrail:GetTrailStatus",
                    "config:Describe*", "config:Get*",
                    "ec2:Describe*",
                    "guardduty:Get*", "guardduty:List*",
                    "iam:GenerateCredentialReport", "iam:GenerateServiceLastAccessedDetails",
                    "iam:Get*", "iam:List*", "iam:SimulateCustomPolicy", "iam:SimulatePrincipalPolicy",
                    "kms:Describe*", "kms:Get*", "kms:List*",
                    "organizations:Describe*", "organizations:List*",
                    "s3:GetAccountPublicAccessBlock", "s3:GetBucketAcl", "s3:GetBucketPolicy",
                    "s3:GetBucketPolicyStatus", "s3:GetEncryptionConfiguration", "s3:ListAllMyBuckets",
                ],
                "*",
                sid="AbbreviatedSecurityAudit",
            )
        ),
    },
    "AWSLambdaBasicExecutionRole": {
        "path": "/service-role/",
        "version": "v1",
        "created": "2015-04-09T15:03:43Z",
        "updated": "2015-04-09T15:03:43Z",
        "document": policy(allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "*")),
    },
    "AutoScalingServiceRolePolicy": {
        "path": "/aws-service-role/",
        "version": "v1",
        "created": "2018-01-08T23:10:55Z",
        "updated": "2023-06-01T20:32:18Z",
        "document": policy(
            allow(
                [
                    "ec2:AttachClassicLinkVpc", "ec2:CancelSpotInstanceRequests", "ec2:CreateFleet",
                    "ec2:CreateTags", "ec2:DeleteTags", "ec2:Describe*", "ec2:RunInstances",
                    "ec2:TerminateInstances",
                ],
                "*",
                sid="EC2InstanceManagement",
            ),
            allow(
                "iam:PassRole",
                "*",
                {"StringLike": {"iam:PassedToService": "ec2.amazonaws.com*"}},
                sid="EC2InstanceProfileManagement",
            ),
            allow(
                ["elasticloadbalancing:Register*", "elasticloadbalancing:Deregister*",
                 "elasticloadbalancing:Describe*", "cloudwatch:DeleteAlarms",
                 "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm", "sns:Publish"],
                "*",
                sid="ScalingDependencies",
            ),
        ),
    },
}


# ---------------------------------------------------------------------------
# one account's IAM, rendered as get-account-authorization-details
# ---------------------------------------------------------------------------

class Account:
    def __init__(self, account_id: str, name: str, parent_id: str, email: str, joined_method: str, joined_days: int):
        self.id = account_id
        self.name = name
        self.parent_id = parent_id
        self.email = email
        self.joined_method = joined_method
        self.joined_days = joined_days
        self.joined = stamp(joined_days)
        self.users: list[dict] = []
        self.groups: list[dict] = []
        self.roles: list[dict] = []
        self.customer_policies: list[dict] = []
        self.encode_documents = False

    @property
    def short_name(self) -> str:
        return self.name.removeprefix("acme-")

    def policy_arn(self, name: str, path: str = "/") -> str:
        return f"arn:aws:iam::{self.id}:policy{path}{name}"

    # -- builders ------------------------------------------------------------

    def user(self, name, *, path="/", groups=(), inline=None, managed=(), boundary=None, tag_list=None) -> str:
        arn = user_arn(self.id, name, path)
        entry = {
            "Path": path,
            "UserName": name,
            "UserId": unique_id("AIDA", self.id, "user", name),
            "Arn": arn,
            "CreateDate": created(self.joined_days, self.id, "user", name),
            "UserPolicyList": _inline_list(inline),
            "GroupList": list(groups),
            "AttachedManagedPolicies": [_attachment(p) for p in managed],
            "Tags": list(tag_list or []),
        }
        if boundary:
            entry["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
        self.users.append(entry)
        return arn

    def group(self, name, *, path="/", inline=None, managed=()) -> str:
        arn = f"arn:aws:iam::{self.id}:group{path}{name}"
        self.groups.append(
            {
                "Path": path,
                "GroupName": name,
                "GroupId": unique_id("AGPA", self.id, "group", name),
                "Arn": arn,
                "CreateDate": created(self.joined_days, self.id, "group", name),
                "GroupPolicyList": _inline_list(inline),
                "AttachedManagedPolicies": [_attachment(p) for p in managed],
            }
        )
        return arn

    def role(self, name, trust, *, path="/", inline=None, managed=(), boundary=None, tag_list=None,
             instance_profile=False, last_used=None) -> str:
        """A role; ``trust`` is the list of its trust policy statements."""
        arn = role_arn(self.id, name, path)
        when = created(self.joined_days, self.id, "role", name)
        profiles = []
        if instance_profile:
            profiles.append(
                {
                    "Path": "/",
                    "InstanceProfileName": name,
                    "InstanceProfileId": unique_id("AIPA", self.id, "instance-profile", name),
                    "Arn": f"arn:aws:iam::{self.id}:instance-profile/{name}",
                    "CreateDate": when,
                    "Roles": [],
                }
            )
        entry = {
            "Path": path,
            "RoleName": name,
            "RoleId": unique_id("AROA", self.id, "role", name),
            "Arn": arn,
            "CreateDate": when,
            "AssumeRolePolicyDocument": policy(*trust),
            "InstanceProfileList": profiles,
            "RolePolicyList": _inline_list(inline),
            "AttachedManagedPolicies": [_attachment(p) for p in managed],
            "Tags": list(tag_list or []),
            "RoleLastUsed": dict(last_used or {}),
        }
        if boundary:
            entry["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
        self.roles.append(entry)
        return arn

    def managed_policy(self, name, versions: list[dict], *, default: str = "v1", path="/", description=None) -> str:
        """A customer managed policy; ``versions`` maps in order to v1, v2, ..."""
        arn = self.policy_arn(name, path)
        first = created(self.joined_days, self.id, "policy", name)
        version_list = []
        for number, document in enumerate(versions, start=1):
            version_id = f"v{number}"
            version_list.append(
                {
                    "Document": document,
                    "VersionId": version_id,
                    "IsDefaultVersion": version_id == default,
                    "CreateDate": _later(first, 45 * (number - 1)),
                }
            )
        entry = {
            "PolicyName": name,
            "PolicyId": unique_id("ANPA", self.id, "policy", name),
            "Arn": arn,
            "Path": path,
            "DefaultVersionId": default,
            "IsAttachable": True,
            "CreateDate": first,
            "UpdateDate": version_list[-1]["CreateDate"],
            "PolicyVersionList": list(reversed(version_list)),  # newest first, like IAM
        }
        if description:
            entry["Description"] = description
        self.customer_policies.append(entry)
        return arn

    # -- rendering --------------------------------------------------------------

    def render(self) -> dict:
        principals = self.users + self.groups + self.roles
        attached: dict[str, int] = {}
        boundaries: dict[str, int] = {}
        for entity in principals:
            for item in entity["AttachedManagedPolicies"]:
                attached[item["PolicyArn"]] = attached.get(item["PolicyArn"], 0) + 1
            boundary = entity.get("PermissionsBoundary")
            if boundary:
                arn = boundary["PermissionsBoundaryArn"]
                boundaries[arn] = boundaries.get(arn, 0) + 1

        policies = []
        for entry in self.customer_policies:
            entry = dict(entry)
            entry["AttachmentCount"] = attached.get(entry["Arn"], 0)
            entry["PermissionsBoundaryUsageCount"] = boundaries.get(entry["Arn"], 0)
            policies.append(entry)
        used_aws = sorted({arn for arn in [*attached, *boundaries] if arn.startswith("arn:aws:iam::aws:")})
        for arn in used_aws:
            name = arn.rsplit("/", 1)[-1]
            spec = AWS_MANAGED[name]
            policies.append(
                {
                    "PolicyName": name,
                    "PolicyId": unique_id("ANPA", "aws", "policy", name),  # same in every account
                    "Arn": arn,
                    "Path": spec["path"],
                    "DefaultVersionId": spec["version"],
                    "AttachmentCount": attached.get(arn, 0),
                    "PermissionsBoundaryUsageCount": boundaries.get(arn, 0),
                    "IsAttachable": True,
                    "CreateDate": spec["created"],
                    "UpdateDate": spec["updated"],
                    "PolicyVersionList": [
                        {
                            "Document": spec["document"],
                            "VersionId": spec["version"],
                            "IsDefaultVersion": True,
                            "CreateDate": spec["updated"],
                        }
                    ],
                }
            )
        details = {
            "UserDetailList": self.users,
            "GroupDetailList": self.groups,
            "RoleDetailList": self.roles,
            "Policies": policies,
        }
        details = json.loads(json.dumps(details))  # deep copy before any encoding
        if self.encode_documents:
            _encode_all_documents(details)
        return details


def _attachment(policy_arn: str) -> dict:
    return {"PolicyName": policy_arn.rsplit("/", 1)[-1], "PolicyArn": policy_arn}


def _inline_list(inline: dict | None) -> list[dict]:
    return [{"PolicyName": name, "PolicyDocument": document} for name, document in (inline or {}).items()]


def _later(date_text: str, days: int) -> str:
    when = _dt.datetime.strptime(date_text, "%Y-%m-%dT%H:%M:%SZ") + _dt.timedelta(days=days)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def url_encoded(document: dict) -> str:
    """What the raw IAM API returns: URL-encoded compact JSON."""
    return urllib.parse.quote(json.dumps(document, separators=(",", ":")))


def _encode_all_documents(details: dict) -> None:
    for user in details["UserDetailList"]:
        for item in user["UserPolicyList"]:
            item["PolicyDocument"] = url_encoded(item["PolicyDocument"])
    for group in details["GroupDetailList"]:
        for item in group["GroupPolicyList"]:
            item["PolicyDocument"] = url_encoded(item["PolicyDocument"])
    for role in details["RoleDetailList"]:
        role["AssumeRolePolicyDocument"] = url_encoded(role["AssumeRolePolicyDocument"])
        for item in role["RolePolicyList"]:
            item["PolicyDocument"] = url_encoded(item["PolicyDocument"])
    for managed in details["Policies"]:
        for version in managed["PolicyVersionList"]:
            version["Document"] = url_encoded(version["Document"])


# ---------------------------------------------------------------------------
# the organization tree
# ---------------------------------------------------------------------------

OUS = [
    # (id, name, parent)
    ("ou-ab12-security", "Security", ROOT_ID),
    ("ou-ab12-workload", "Workloads", ROOT_ID),
    ("ou-ab12-prod0001", "Prod", "ou-ab12-workload"),
    ("ou-ab12-nonprod1", "NonProd", "ou-ab12-workload"),
    ("ou-ab12-sandbox1", "Sandbox", ROOT_ID),
]

ACCOUNTS = {
    MANAGEMENT: Account(MANAGEMENT, "acme-management", ROOT_ID, "aws-root@acme.example.com", "CREATED", 0),
    IDENTITY: Account(IDENTITY, "acme-identity", "ou-ab12-security", "aws+identity@acme.example.com", "CREATED", 14),
    PROD: Account(PROD, "acme-prod", "ou-ab12-prod0001", "aws+prod@acme.example.com", "INVITED", 21),
    STAGING: Account(STAGING, "acme-staging", "ou-ab12-nonprod1", "aws+staging@acme.example.com", "CREATED", 35),
    SECURITY: Account(SECURITY, "acme-security", "ou-ab12-security", "aws+security@acme.example.com", "CREATED", 15),
    SANDBOX: Account(SANDBOX, "acme-sandbox", "ou-ab12-sandbox1", "aws+sandbox@acme.example.com", "CREATED", 90),
}
ACCOUNTS[IDENTITY].encode_documents = True


def org_arn(kind: str, node_id: str) -> str:
    if kind == "ROOT":
        return f"arn:aws:organizations::{MANAGEMENT}:root/{ORG_ID}/{node_id}"
    if kind == "ORGANIZATIONAL_UNIT":
        return f"arn:aws:organizations::{MANAGEMENT}:ou/{ORG_ID}/{node_id}"
    return f"arn:aws:organizations::{MANAGEMENT}:account/{ORG_ID}/{node_id}"


def target(node_id: str) -> dict:
    if node_id == ROOT_ID:
        kind, name = "ROOT", "Root"
    elif node_id.startswith("ou-"):
        kind, name = "ORGANIZATIONAL_UNIT", next(n for i, n, _ in OUS if i == node_id)
    else:
        kind, name = "ACCOUNT", ACCOUNTS[node_id].name
    return {"TargetId": node_id, "Arn": org_arn(kind, node_id), "Name": name, "Type": kind}


def org_policy(name, kind, description, document, targets, aws_managed=False) -> dict:
    if aws_managed:
        policy_id = f"p-{name}"
        folder = "service_control_policy" if kind == "SERVICE_CONTROL_POLICY" else "resource_control_policy"
        arn = f"arn:aws:organizations::aws:policy/{folder}/{policy_id}"
    else:
        policy_id = org_policy_id(name)
        folder = "service_control_policy" if kind == "SERVICE_CONTROL_POLICY" else "resource_control_policy"
        arn = f"arn:aws:organizations::{MANAGEMENT}:policy/{ORG_ID}/{folder}/{policy_id}"
    return {
        "PolicySummary": {
            "Id": policy_id,
            "Arn": arn,
            "Name": name,
            "Description": description,
            "Type": kind,
            "AwsManaged": aws_managed,
        },
        "Content": json.dumps(document, indent=4),
        "Targets": [target(t) for t in targets],
    }


def build_organization() -> dict:
    every_node = [ROOT_ID] + [ou for ou, _, _ in OUS] + list(ACCOUNTS)
    scp = "SERVICE_CONTROL_POLICY"
    rcp = "RESOURCE_CONTROL_POLICY"
    policies = [
        # FullAWSAccess everywhere except the Sandbox OU, where an allow-list replaces it.
        org_policy(
            "FullAWSAccess", scp, "Allows access to every operation",
            policy(allow("*", "*")),
            [n for n in every_node if n != "ou-ab12-sandbox1"],
            aws_managed=True,
        ),
        org_policy(
            "RCPFullAWSAccess", rcp, "Allows access to every operation",
            policy({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
            every_node,
            aws_managed=True,
        ),
        org_policy(
            "DenyLeaveOrganization", scp, "Member accounts may not leave the organization",
            policy(deny("organizations:LeaveOrganization", "*", sid="DenyLeaveOrganization")),
            ["ou-ab12-workload"],
        ),
        # B3: non-production principals must never assume production roles.
        org_policy(
            "DenyNonProdToProd", scp, "Non-production principals may not assume roles in acme-prod",
            policy(deny("sts:AssumeRole", f"arn:aws:iam::{PROD}:role/*", sid="DenyNonProdToProd")),
            ["ou-ab12-nonprod1"],
        ),
        # B5: the sandbox allow-list has no sts:AssumeRole, so every sandbox
        # principal is implicitly denied it.
        org_policy(
            "SandboxAllowList", scp, "Sandbox accounts may only use the services listed here",
            policy(
                allow(
                    ["ec2:*", "s3:*", "lambda:*", "logs:*", "cloudwatch:*", "iam:PassRole", "iam:Get*", "iam:List*"],
                    "*",
                    sid="SandboxServices",
                )
            ),
            ["ou-ab12-sandbox1"],
        ),
        # B6: only principals tagged clearance=prod-admin may assume ProdAdmin.
        org_policy(
            "ProdAdminNeedsClearance", rcp, "ProdAdmin may only be assumed by principals with clearance=prod-admin",
            policy(
                {
                    "Sid": "ProdAdminNeedsClearance",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sts:AssumeRole",
                    "Resource": "arn:aws:iam::*:role/ProdAdmin",
                    "Condition": {
                        "StringNotEqualsIfExists": {"aws:PrincipalTag/clearance": "prod-admin"},
                        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                    },
                }
            ),
            ["ou-ab12-prod0001"],
        ),
    ]
    policy_types = [
        {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
        {"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"},
    ]
    management = ACCOUNTS[MANAGEMENT]
    return {
        "Organization": {
            "Id": ORG_ID,
            "Arn": f"arn:aws:organizations::{MANAGEMENT}:organization/{ORG_ID}",
            "FeatureSet": "ALL",
            "MasterAccountArn": org_arn("ACCOUNT", MANAGEMENT),
            "MasterAccountId": MANAGEMENT,
            "MasterAccountEmail": management.email,
            "AvailablePolicyTypes": policy_types,
        },
        "Roots": [
            {"Id": ROOT_ID, "Arn": org_arn("ROOT", ROOT_ID), "Name": "Root", "PolicyTypes": policy_types}
        ],
        "OrganizationalUnits": [
            {"Id": ou, "Arn": org_arn("ORGANIZATIONAL_UNIT", ou), "Name": name, "ParentId": parent}
            for ou, name, parent in OUS
        ],
        "Accounts": [
            {
                "Id": acct.id,
                "Arn": org_arn("ACCOUNT", acct.id),
                "Email": acct.email,
                "Name": acct.name,
                "Status": "ACTIVE",
                "JoinedMethod": acct.joined_method,
                "JoinedTimestamp": acct.joined,
                "ParentId": acct.parent_id,
            }
            for acct in ACCOUNTS.values()
        ],
        "Policies": policies,
    }


# ---------------------------------------------------------------------------
# the IAM content of each account
# ---------------------------------------------------------------------------

# ARNs the scenarios refer to across accounts, spelled out once.
HUB = role_arn(IDENTITY, "Hub")
DEPLOY = role_arn(PROD, "Deploy")
APP_CONFIG = role_arn(PROD, "AppConfig")
PROD_ADMIN = role_arn(PROD, "ProdAdmin")
BREAK_GLASS = role_arn(PROD, "BreakGlass")
PROD_READ_ONLY = role_arn(PROD, "ProdReadOnly")
DATA_ANALYST = role_arn(PROD, "DataAnalyst")
XYZ_WEB = role_arn(PROD, "EC2-roles-for-XYZ-web")
XYZ_WORKER = role_arn(PROD, "EC2-roles-for-XYZ-worker")
XYZ_BATCH = role_arn(PROD, "EC2-roles-for-XYZ-batch")
STAGING_DEPLOY = role_arn(STAGING, "StagingDeploy")
STAGING_CI = role_arn(STAGING, "StagingCI")
STAGING_READ_ONLY = role_arn(STAGING, "StagingReadOnly")
GITHUB_ACTIONS = role_arn(STAGING, "GitHubActions")
AUDIT_HUB = role_arn(SECURITY, "AuditHub")
SANDBOX_ADMIN = role_arn(SANDBOX, "SandboxAdmin")

ADMIN = aws_policy("AdministratorAccess")
READ_ONLY = aws_policy("ReadOnlyAccess")
SECURITY_AUDIT = aws_policy("SecurityAudit")
LAMBDA_BASIC = aws_policy("AWSLambdaBasicExecutionRole")

S3_READ = ["s3:GetObject", "s3:ListBucket"]


def used_recently(days_after_base: int, region: str = "eu-west-1") -> dict:
    return {"LastUsedDate": stamp(days_after_base), "Region": region}


def organization_access_role(acct: Account) -> str:
    """What AWS Organizations creates in every account it creates."""
    return acct.role(
        "OrganizationAccountAccessRole",
        [trust_account(MANAGEMENT)],
        managed=[ADMIN],
        last_used=used_recently(760),
    )


def security_audit_role(acct: Account, principal="*") -> str:
    """W5: SecurityAudit may be assumed by the security account's AuditHub only."""
    return acct.role(
        "SecurityAudit",
        [
            trust_anyone(
                {
                    "StringEquals": {"aws:PrincipalOrgID": ORG_ID},
                    "ArnLike": {"aws:PrincipalArn": AUDIT_HUB},
                },
                sid="OnlyTheAuditHub",
                principal=principal,
            )
        ],
        managed=[SECURITY_AUDIT],
        tag_list=tags(owner="security"),
        last_used=used_recently(775),
    )


def build_management(acct: Account) -> None:
    # W6: the management account's admin; SCPs never apply to its principals.
    acct.user("org-admin", managed=[ADMIN], tag_list=tags(team="cloud-platform"))
    acct.user(
        "billing-reader",
        inline={"BillingRead": policy(allow(["aws-portal:View*", "ce:Get*", "ce:Describe*", "cur:Describe*"], "*"))},
        tag_list=tags(team="finance"),
    )
    acct.role(
        "BillingReadOnly",
        [trust_account(IDENTITY)],
        inline={"CostExplorerRead": policy(allow(["ce:Get*", "ce:List*", "budgets:View*", "aws-portal:View*"], "*"))},
        tag_list=tags(owner="finance"),
    )


def build_identity(acct: Account) -> None:
    self_service = acct.managed_policy(
        "SelfServiceCredentials",
        [
            policy(
                allow(
                    ["iam:ChangePassword", "iam:GetUser", "iam:CreateAccessKey", "iam:DeleteAccessKey",
                     "iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:ListMFADevices",
                     "iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:ResyncMFADevice"],
                    [f"arn:aws:iam::{IDENTITY}:user/${{aws:username}}",
                     f"arn:aws:iam::{IDENTITY}:user/*/${{aws:username}}",
                     f"arn:aws:iam::{IDENTITY}:mfa/${{aws:username}}"],
                    sid="ManageOwnCredentials",
                ),
                allow(["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"], "*", sid="ReadAccountSettings"),
            )
        ],
        description="Lets people manage their own password, access keys and MFA",
    )
    # B4: the boundary allows no sts action at all.
    developer_boundary = acct.managed_policy(
        "DeveloperBoundary",
        [policy(allow(["s3:*", "logs:*", "cloudwatch:*", "ec2:Describe*"], "*", sid="BoundaryCeiling"))],
        path="/boundaries/",
        description="Permissions boundary for contractors",
    )
    # B2: two versions; v2 (never made default) would let bob assume
    # StagingDeploy, the default v1 does not.  Only the default version counts.
    staging_artifacts = [
        "arn:aws:s3:::acme-staging-artifacts",
        "arn:aws:s3:::acme-staging-artifacts/*",
    ]
    staging_deploy_access = acct.managed_policy(
        "StagingDeployAccess",
        [
            policy(allow(S3_READ, staging_artifacts, sid="ReadStagingArtifacts")),
            policy(
                allow(S3_READ, staging_artifacts, sid="ReadStagingArtifacts"),
                assume(STAGING_DEPLOY, sid="AssumeStagingDeploy"),
            ),
        ],
        default="v1",
        description="Staging release access (v2 drafted, never set as default)",
    )

    # Groups ------------------------------------------------------------------
    # W3: only Developers may assume the Hub.
    acct.group(
        "Developers",
        inline={
            "DevelopersAssumeRoles": policy(assume(HUB, SANDBOX_ADMIN, sid="HubAndSandbox")),
            "DevelopersReadDevData": policy(
                allow(S3_READ, ["arn:aws:s3:::acme-dev-*", "arn:aws:s3:::acme-dev-*/*"], sid="DevBuckets"),
                allow(["logs:Describe*", "logs:Get*", "logs:FilterLogEvents", "cloudwatch:Get*"], "*", sid="Logs"),
            ),
        },
        managed=[self_service],
    )
    # W2: Operators may try BreakGlass (its trust wants MFA) and ProdReadOnly.
    acct.group(
        "Operators",
        inline={"OperatorsAssumeRoles": policy(assume(BREAK_GLASS, PROD_READ_ONLY, sid="ProdOperations"))},
        managed=[READ_ONLY, self_service],
    )
    # W5: Auditors go through the security account's AuditHub.
    acct.group(
        "Auditors",
        inline={"AuditorsAssumeAuditHub": policy(assume(AUDIT_HUB, sid="AuditHub"))},
        managed=[SECURITY_AUDIT, self_service],
    )
    # W1 / B6: Admins may assume ProdAdmin; the Prod RCP additionally wants clearance=prod-admin.
    acct.group(
        "Admins",
        inline={"AdminsAssumeProdAdmin": policy(assume(PROD_ADMIN, sid="ProdAdmin"))},
        managed=[READ_ONLY, self_service],
    )
    acct.group(
        "CI",
        inline={
            "CIAssumeStagingCI": policy(
                assume(STAGING_CI, sid="StagingPipeline"),
                allow(["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "*", sid="Pull"),
            )
        },
    )

    # People -------------------------------------------------------------------
    # B1: alice may (by her own policy) assume prod Deploy, but Deploy's trust
    # names 444444444444 instead of 222222222222.  She is not a Developer, so
    # the Hub chain is closed to her too.
    acct.user(
        "alice",
        groups=["Operators"],
        inline={"AssumeProdDeploy": policy(assume(DEPLOY, sid="ReleaseToProd"))},
        tag_list=tags(team="payments", cost_center="cc-1042"),
    )
    # B2: bob is named in StagingDeploy's trust but nothing he has allows it.
    acct.user(
        "bob",
        groups=["Developers"],
        managed=[staging_deploy_access],
        tag_list=tags(team="payments", cost_center="cc-1042"),
    )
    # B4: carol's own policy allows StagingReadOnly, her boundary does not.
    acct.user(
        "carol",
        path="/contractors/",
        groups=["Developers"],
        inline={"AssumeStagingReadOnly": policy(assume(STAGING_READ_ONLY, sid="StagingReadOnly"))},
        boundary=developer_boundary,
        tag_list=tags(team="platform", employment="contractor"),
    )
    # B6: dave is an Admin without the clearance tag.
    acct.user("dave", groups=["Admins"], tag_list=tags(team="platform"))
    # W1: erin is an Admin with clearance.
    acct.user("erin", groups=["Admins"], tag_list=tags(team="platform", clearance="prod-admin"))
    acct.user("frank", groups=["Developers"], tag_list=tags(team="payments"))
    # W3: grace reaches AppConfig only through Hub -> Deploy.
    acct.user("grace", groups=["Developers"], tag_list=tags(team="platform"))
    # W2: heidi may use BreakGlass with MFA.
    acct.user("heidi", groups=["Operators"], tag_list=tags(team="platform", oncall="primary"))
    # W5: ivan audits through AuditHub.
    acct.user("ivan", groups=["Auditors"], tag_list=tags(team="security"))
    acct.user("judy", groups=["Auditors"], tag_list=tags(team="security"))
    acct.user("karl", groups=["Developers", "Operators"], tag_list=tags(team="payments", oncall="secondary"))
    acct.user("leo", groups=["Developers"], tag_list=tags(team="data"))
    acct.user("mia", groups=["Admins", "Auditors"], tag_list=tags(team="security", clearance="prod-admin"))
    acct.user(
        "nina",
        groups=["Developers"],
        inline={"AssumeDataAnalyst": policy(assume(DATA_ANALYST, sid="Analytics"))},
        tag_list=tags(team="data"),
    )
    acct.user(
        "oscar",
        path="/contractors/",
        groups=["Developers"],
        boundary=developer_boundary,
        tag_list=tags(team="data", employment="contractor"),
    )
    acct.user("ci-runner", path="/service/", groups=["CI"], tag_list=tags(team="platform", purpose="ci"))
    acct.user("release-bot", path="/service/", groups=["CI"], tag_list=tags(team="platform", purpose="release"))

    # Roles ------------------------------------------------------------------------
    organization_access_role(acct)
    # W3: the hub trusts the whole identity account; the Developers group
    # policy decides who actually gets in.
    acct.role(
        "Hub",
        [trust_account(IDENTITY, sid="IdentityAccountPeople")],
        inline={"HubOnward": policy(assume(DEPLOY, sid="OnToProdDeploy"))},
        tag_list=tags(owner="platform"),
        last_used=used_recently(779),
    )
    acct.role(
        "SSO-Admin",
        [trust_saml(f"arn:aws:iam::{IDENTITY}:saml-provider/Okta")],
        managed=[ADMIN],
        tag_list=tags(owner="identity"),
        last_used=used_recently(780),
    )
    acct.role(
        "SSO-ReadOnly",
        [trust_saml(f"arn:aws:iam::{IDENTITY}:saml-provider/Okta")],
        managed=[READ_ONLY],
        tag_list=tags(owner="identity"),
    )


def build_prod(acct: Account) -> None:
    organization_access_role(acct)
    # W3 / W4 / B1 / B3 / B7.  Deploy's trust: the identity Hub, and an entry
    # meant for the identity account that names staging instead.
    acct.role(
        "Deploy",
        [
            trust_principal(HUB, sid="FromIdentityHub"),
            trust_account(STAGING, sid="ReleaseEngineers"),
        ],
        inline={
            "DeployEC2Workloads": policy(
                allow(
                    ["ec2:RunInstances", "ec2:CreateTags", "ec2:Describe*", "ec2:AssociateIamInstanceProfile",
                     "ec2:ReplaceIamInstanceProfileAssociation", "iam:GetInstanceProfile",
                     "iam:ListInstanceProfiles"],
                    "*",
                    sid="LaunchXYZ",
                ),
                allow(
                    "iam:PassRole",
                    f"arn:aws:iam::{PROD}:role/EC2-roles-for-XYZ-*",
                    {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                    sid="PassXYZRolesToEC2Only",
                ),
            )
        },
        managed=[
            acct.managed_policy(
                "ProdDeployArtifacts",
                [policy(allow(S3_READ, ["arn:aws:s3:::acme-prod-artifacts", "arn:aws:s3:::acme-prod-artifacts/*"]))],
            )
        ],
        tag_list=tags(owner="platform", tier="prod"),
        last_used=used_recently(779),
    )
    # W3: exact role ARN in the same account: no identity policy needed on Deploy.
    acct.role(
        "AppConfig",
        [trust_principal(DEPLOY, sid="OnlyDeploy")],
        inline={
            "AppConfigManage": policy(
                allow(["appconfig:*", "ssm:GetParameter", "ssm:GetParameters", "ssm:PutParameter"],
                      ["arn:aws:appconfig:*:333333333333:application/*",
                       "arn:aws:ssm:*:333333333333:parameter/xyz/*"]),
            )
        },
        tag_list=tags(owner="platform", app="xyz"),
        last_used=used_recently(778),
    )
    # W1 / B6
    acct.role(
        "ProdAdmin",
        [trust_account(IDENTITY)],
        managed=[ADMIN],
        tag_list=tags(owner="platform", tier="prod", sensitivity="high"),
        last_used=used_recently(771),
    )
    # W2
    acct.role(
        "BreakGlass",
        [trust_account(IDENTITY, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}, sid="MFAOnly")],
        managed=[ADMIN],
        tag_list=tags(owner="platform", tier="prod", sensitivity="high"),
    )
    acct.role(
        "ProdReadOnly",
        # the trust is written with the bare account id; IAM treats it as the account root
        [_trust({"AWS": IDENTITY}, "sts:AssumeRole")],
        managed=[READ_ONLY],
        tag_list=tags(owner="platform", tier="prod"),
        last_used=used_recently(780),
    )
    xyz_runtime = acct.managed_policy(
        "XYZAppRuntime",
        [
            policy(
                allow(S3_READ, ["arn:aws:s3:::acme-xyz-static", "arn:aws:s3:::acme-xyz-static/*"], sid="StaticAssets"),
                allow(["logs:CreateLogStream", "logs:PutLogEvents"],
                      f"arn:aws:logs:eu-west-1:{PROD}:log-group:/xyz/*", sid="AppLogs"),
            )
        ],
    )
    # W4: web and worker can be instance roles; batch only trusts Lambda.
    acct.role("EC2-roles-for-XYZ-web", [trust_service("ec2.amazonaws.com")], managed=[xyz_runtime],
              instance_profile=True, tag_list=tags(app="xyz", tier="web"), last_used=used_recently(780))
    acct.role(
        "EC2-roles-for-XYZ-worker",
        [trust_service("ec2.amazonaws.com")],
        managed=[xyz_runtime],
        inline={"WorkerQueue": policy(allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                                            f"arn:aws:sqs:eu-west-1:{PROD}:xyz-jobs"))},
        instance_profile=True,
        tag_list=tags(app="xyz", tier="worker"),
        last_used=used_recently(780),
    )
    acct.role(
        "EC2-roles-for-XYZ-batch",
        [trust_service("lambda.amazonaws.com")],
        managed=[xyz_runtime],
        instance_profile=True,
        tag_list=tags(app="xyz", tier="batch"),
    )
    acct.role(
        "xyz-api-lambda-exec",
        [trust_service("lambda.amazonaws.com")],
        path="/service-role/",
        managed=[LAMBDA_BASIC],
        inline={"ReadOrders": policy(allow(["dynamodb:GetItem", "dynamodb:Query"],
                                           f"arn:aws:dynamodb:eu-west-1:{PROD}:table/xyz-orders"))},
        tag_list=tags(app="xyz"),
        last_used=used_recently(780),
    )
    acct.role(
        "AWSServiceRoleForAutoScaling",
        [trust_service("autoscaling.amazonaws.com")],
        path="/aws-service-role/autoscaling.amazonaws.com/",
        managed=[aws_policy("AutoScalingServiceRolePolicy")],
        last_used=used_recently(780),
    )
    # A role whose permissions boundary removes the iam:PassRole its own policy grants.
    boundary = acct.managed_policy(
        "ProdWorkloadBoundary",
        [policy(allow(["s3:*", "athena:*", "glue:Get*", "logs:*"], "*", sid="AnalyticsCeiling"))],
        path="/boundaries/",
    )
    acct.role(
        "DataAnalyst",
        [trust_account(IDENTITY)],
        inline={
            "Analytics": policy(
                allow(["s3:*", "athena:*", "glue:*"], "*", sid="Analytics"),
                allow("iam:PassRole", f"arn:aws:iam::{PROD}:role/*", sid="TooBroadPassRole"),
            )
        },
        boundary=boundary,
        tag_list=tags(owner="data"),
    )
    security_audit_role(acct)
    # local users
    acct.user(
        "legacy-ci",
        path="/service/",
        inline={
            "LegacyPipeline": policy(
                allow(["s3:PutObject", "s3:GetObject"], "arn:aws:s3:::acme-prod-artifacts/*", sid="Artifacts"),
                allow(["ec2:RunInstances", "ec2:Describe*", "ec2:CreateTags"], "*", sid="Launch"),
                allow("iam:PassRole", XYZ_WORKER, sid="PassWorker"),
            )
        },
        tag_list=tags(owner="platform", created_by="jenkins-2019"),
    )
    acct.user(
        "monitoring-bot",
        path="/service/",
        inline={"MetricsRead": policy(allow(["cloudwatch:Get*", "cloudwatch:List*", "cloudwatch:Describe*",
                                              "logs:Describe*", "logs:Get*"], "*"))},
        tag_list=tags(owner="sre"),
    )


def build_staging(acct: Account) -> None:
    organization_access_role(acct)
    deploy_permissions = acct.managed_policy(
        "StagingDeployPermissions",
        [
            policy(
                allow(["ecs:UpdateService", "ecs:Describe*", "ecs:RegisterTaskDefinition"], "*", sid="ECS"),
                allow(S3_READ, ["arn:aws:s3:::acme-staging-artifacts", "arn:aws:s3:::acme-staging-artifacts/*"]),
                allow("iam:PassRole", f"arn:aws:iam::{STAGING}:role/ecs-task-*",
                      {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}, sid="PassTaskRoles"),
            )
        ],
    )
    acct.role(
        "ecs-task-app",
        [trust_service("ecs-tasks.amazonaws.com")],
        inline={"AppRuntime": policy(allow(["sqs:SendMessage", "dynamodb:GetItem", "dynamodb:PutItem"], "*"))},
        tag_list=tags(app="app", tier="staging"),
        last_used=used_recently(780),
    )
    # B2: bob is named exactly (cross-account: he still needs an identity allow).
    acct.role(
        "StagingDeploy",
        [
            trust_principal(user_arn(IDENTITY, "bob"), sid="ReleaseCaptain"),
            trust_principal(GITHUB_ACTIONS, STAGING_CI, sid="Pipelines"),
        ],
        managed=[deploy_permissions],
        tag_list=tags(owner="payments", tier="staging"),
        last_used=used_recently(779),
    )
    # B3: StagingCI's own policy reaches for prod Deploy; the NonProd SCP says no.
    acct.role(
        "StagingCI",
        [trust_account(IDENTITY, sid="CIUsers")],
        inline={
            "StagingCIPipeline": policy(
                allow(["ecr:*"], f"arn:aws:ecr:eu-west-1:{STAGING}:repository/*", sid="PushImages"),
                assume(STAGING_DEPLOY, DEPLOY, sid="DeployStagingAndPromote"),
            )
        },
        tag_list=tags(owner="platform", tier="staging"),
        last_used=used_recently(780),
    )
    # B4 / B5: trusts the identity account and the sandbox account.
    acct.role(
        "StagingReadOnly",
        [trust_principal(account_root(IDENTITY), account_root(SANDBOX), sid="PeopleAndSandbox")],
        managed=[READ_ONLY],
        tag_list=tags(owner="platform", tier="staging"),
    )
    acct.role(
        "GitHubActions",
        [
            trust_oidc(
                f"arn:aws:iam::{STAGING}:oidc-provider/token.actions.githubusercontent.com",
                {
                    "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                    "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/main"},
                },
            )
        ],
        inline={"OnToStagingDeploy": policy(assume(STAGING_DEPLOY, sid="Deploy"))},
        tag_list=tags(owner="platform", repo="acme/app"),
        last_used=used_recently(780),
    )
    # Reportable: a deleted principal (now a bare unique id) and an unknown outside account.
    acct.role(
        "LegacyDeploy",
        [trust_principal(DANGLING_ROLE_ID, account_root(UNKNOWN), sid="OldPipeline")],
        inline={"LegacyDeployAll": policy(allow(["ecs:*", "s3:*", "cloudformation:*"], "*"))},
        tag_list=tags(owner="unknown"),
    )
    security_audit_role(acct, principal={"AWS": "*"})


def build_security(acct: Account) -> None:
    organization_access_role(acct)
    # W5: first hop of the audit chain.
    acct.role(
        "AuditHub",
        [trust_account(IDENTITY, sid="IdentityAccountAuditors")],
        inline={"AssumeSecurityAuditEverywhere": policy(assume("arn:aws:iam::*:role/SecurityAudit", sid="Fanout"))},
        managed=[SECURITY_AUDIT],
        tag_list=tags(owner="security"),
        last_used=used_recently(780),
    )
    security_audit_role(acct)
    # Reportable: an outside vendor, guarded by an external id.
    acct.role(
        "ExternalAuditor",
        [trust_account(VENDOR, condition={"StringEquals": {"sts:ExternalId": "acme-7f3a91"}}, sid="AuditVendor")],
        managed=[SECURITY_AUDIT],
        tag_list=tags(owner="security", vendor="audit-partner"),
        last_used=used_recently(700, "us-east-1"),
    )
    acct.role(
        "IncidentResponder",
        [trust_service("lambda.amazonaws.com")],
        path="/service-role/",
        managed=[LAMBDA_BASIC],
        inline={"Quarantine": policy(allow(["ec2:ModifyInstanceAttribute", "ec2:CreateSnapshot", "ec2:Describe*"], "*"))},
        tag_list=tags(owner="security"),
    )
    acct.user(
        "siem-forwarder",
        path="/service/",
        inline={"ReadTrailBucket": policy(allow(S3_READ, ["arn:aws:s3:::acme-org-trail", "arn:aws:s3:::acme-org-trail/*"]))},
        tag_list=tags(owner="security"),
    )


def build_sandbox(acct: Account) -> None:
    organization_access_role(acct)
    acct.role(
        "SandboxAdmin",
        [trust_account(IDENTITY, sid="Developers")],
        managed=[ADMIN],
        tag_list=tags(owner="platform", tier="sandbox"),
        last_used=used_recently(777),
    )
    acct.role(
        "SandboxDeveloper",
        [trust_account(SANDBOX)],
        inline={"Build": policy(allow(["ec2:*", "s3:*", "lambda:*", "logs:*"], "*"))},
        tag_list=tags(tier="sandbox"),
    )
    lambda_exec = acct.role(
        "sandbox-lambda-exec",
        [trust_service("lambda.amazonaws.com")],
        path="/service-role/",
        managed=[LAMBDA_BASIC],
        tag_list=tags(tier="sandbox"),
    )
    # B5: administrator by identity policy, but the SCP allow-list has no sts:AssumeRole.
    acct.user("sam", managed=[ADMIN], tag_list=tags(team="growth"))
    acct.user(
        "sandra",
        inline={"Experiments": policy(allow(["ec2:*", "s3:*", "cloudwatch:*"], "*"))},
        tag_list=tags(team="growth"),
    )
    acct.user(
        "sbx-automation",
        path="/service/",
        inline={
            "DeployFunctions": policy(
                allow(["lambda:*", "logs:*"], "*", sid="Functions"),
                allow("iam:PassRole", lambda_exec,
                      {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}, sid="PassExecRole"),
            )
        },
        tag_list=tags(purpose="automation"),
    )


# ---------------------------------------------------------------------------
# checks (see SCENARIOS.md)
# ---------------------------------------------------------------------------

def reach(name, source, target_arn, expect, action="sts:AssumeRole", service=None) -> dict:
    return {"name": name, "source": source, "target": target_arn, "action": action, "service": service, "expect": expect}


def build_checks() -> dict:
    alice = user_arn(IDENTITY, "alice")
    bob = user_arn(IDENTITY, "bob")
    carol = user_arn(IDENTITY, "carol", "/contractors/")
    dave = user_arn(IDENTITY, "dave")
    erin = user_arn(IDENTITY, "erin")
    grace = user_arn(IDENTITY, "grace")
    heidi = user_arn(IDENTITY, "heidi")
    ivan = user_arn(IDENTITY, "ivan")
    sam = user_arn(SANDBOX, "sam")
    org_admin = user_arn(MANAGEMENT, "org-admin")
    denied = "An error occurred (AccessDenied) when calling the AssumeRole operation: "
    return {
        "checks": [
            reach("W1 erin (Admins, clearance=prod-admin) can assume ProdAdmin", erin, PROD_ADMIN, "reachable"),
            reach("W2 heidi can assume BreakGlass (only with MFA)", heidi, BREAK_GLASS, "reachable"),
            reach("W3 grace reaches prod Deploy through Hub", grace, DEPLOY, "reachable"),
            reach("W3 grace reaches AppConfig through Hub -> Deploy", grace, APP_CONFIG, "reachable"),
            reach("W4 Deploy can pass the XYZ web role to EC2", DEPLOY, XYZ_WEB, "reachable",
                  "iam:PassRole", "ec2.amazonaws.com"),
            reach("W4 Deploy may pass XYZ batch to EC2 by policy, but batch only trusts Lambda: unusable",
                  DEPLOY, XYZ_BATCH, "unreachable", "iam:PassRole", "ec2.amazonaws.com"),
            reach("W5 ivan reaches prod SecurityAudit through AuditHub", ivan, role_arn(PROD, "SecurityAudit"),
                  "reachable"),
            reach("W6 org-admin can assume OrganizationAccountAccessRole in prod", org_admin,
                  role_arn(PROD, "OrganizationAccountAccessRole"), "reachable"),
            reach("B1 alice cannot assume prod Deploy (trust names the wrong account)", alice, DEPLOY, "unreachable"),
            reach("B2 bob cannot assume StagingDeploy (no identity allow; v2 of his policy is not default)",
                  bob, STAGING_DEPLOY, "unreachable"),
            reach("B3 StagingCI cannot assume prod Deploy (NonProd SCP)", STAGING_CI, DEPLOY, "unreachable"),
            reach("B4 carol cannot assume StagingReadOnly (permissions boundary)", carol, STAGING_READ_ONLY,
                  "unreachable"),
            reach("B5 sandbox user sam cannot assume StagingReadOnly (SCP allow-list)", sam, STAGING_READ_ONLY,
                  "unreachable"),
            reach("B6 dave cannot assume ProdAdmin (Prod RCP wants clearance=prod-admin)", dave, PROD_ADMIN,
                  "unreachable"),
            reach("B7 Deploy cannot pass the XYZ web role to Lambda", DEPLOY, XYZ_WEB, "unreachable",
                  "iam:PassRole", "lambda.amazonaws.com"),
            reach("B7 Deploy cannot pass XYZ batch to Lambda either (batch trusts Lambda; PassedToService says ec2)",
                  DEPLOY, XYZ_BATCH, "unreachable", "iam:PassRole", "lambda.amazonaws.com"),
            reach("sandbox must never reach prod", sam, PROD_ADMIN, "unreachable"),
            reach("sandbox admin role must never reach prod", SANDBOX_ADMIN, DEPLOY, "unreachable"),
            reach("DataAnalyst's boundary removes its iam:PassRole", DATA_ANALYST, XYZ_WEB, "unreachable",
                  "iam:PassRole", "ec2.amazonaws.com"),
            {
                "name": "ticket: alice cannot deploy",
                "why": denied + f"User: {alice} is not authorized to perform: sts:AssumeRole on resource: {DEPLOY}",
            },
            {
                "name": "ticket: bob cannot assume StagingDeploy",
                "why": denied + f"User: {bob} is not authorized to perform: sts:AssumeRole on resource: "
                f"{STAGING_DEPLOY} because no identity-based policy allows the sts:AssumeRole action",
            },
            {
                "name": "ticket: staging CI cannot promote to prod",
                "why": denied + f"User: arn:aws:sts::{STAGING}:assumed-role/StagingCI/ci-build-1842 is not authorized "
                f"to perform: sts:AssumeRole on resource: {DEPLOY} with an explicit deny in a service control policy",
            },
        ]
    }


# ---------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------

def dump(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def main() -> None:
    build_management(ACCOUNTS[MANAGEMENT])
    build_identity(ACCOUNTS[IDENTITY])
    build_prod(ACCOUNTS[PROD])
    build_staging(ACCOUNTS[STAGING])
    build_security(ACCOUNTS[SECURITY])
    build_sandbox(ACCOUNTS[SANDBOX])

    accounts_dir = OUT_DIR / "accounts"
    written = {OUT_DIR / "organization.json"}
    dump(OUT_DIR / "organization.json", build_organization())
    for acct in ACCOUNTS.values():
        path = accounts_dir / f"{acct.id}-{acct.short_name}.json"
        dump(path, acct.render())
        written.add(path)
    # this folder belongs to the generator: drop files a previous version wrote
    for stale in sorted(OUT_DIR.rglob("*.json")):
        if stale not in written:
            stale.unlink()
    dump(CHECKS_FILE, build_checks())

    users = sum(len(a.users) for a in ACCOUNTS.values())
    roles = sum(len(a.roles) for a in ACCOUNTS.values())
    print(f"wrote {len(written)} snapshot files to {OUT_DIR} ({users} users, {roles} roles) and {CHECKS_FILE.name}")


if __name__ == "__main__":
    main()
