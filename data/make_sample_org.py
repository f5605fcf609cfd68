#!/usr/bin/env python3
"""Write the sample AWS organization snapshot used by graphiam's demos and tests.

Run from anywhere:

    python3 data/make_sample_org.py [--output DIR]

It (re)writes, in DIR (by default the folder of this script):

* ``sample-org/organization.json``  - the organization: roots, OUs, accounts,
  SCPs and RCPs with their targets.
* ``sample-org/accounts/<id>-<name>.json`` - one file per account in the shape
  of ``aws iam get-account-authorization-details``.  In the identity account
  (222222222222) every policy document is URL-encoded JSON text, as the raw
  IAM API returns it; elsewhere documents are JSON objects.
* ``sample-org/identity-center.json`` - the IAM Identity Center instance: its
  users, groups, permission sets and account assignments.
* ``sample-checks.json`` - the reachability checks and AccessDenied tickets
  that ``SCENARIOS.md`` explains.

The files are written with ``graphiam.snapshot.builder``.  Everything is
deterministic (the builder derives ids from names, dates are fixed or derived
from names here), so rerunning produces byte-identical files; no network.

The scenarios (W1-W8 working, B1-B8 broken, E1-E3 privilege-escalation
routes, N1-N2 escalation near misses, P1-P4 Identity Center people and
GitHub pipelines) are described in SCENARIOS.md; the
comments tagged with the same ids below show where each one is built.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The script is run by path, so Python looks for imports next to it, not in the
# repository.  When graphiam is not installed (a fresh checkout), use the copy
# in the repository this script belongs to.
if importlib.util.find_spec("graphiam") is None:
    sys.path.insert(0, str(HERE.parent))

from graphiam.snapshot import builder  # noqa: E402
from graphiam.snapshot.builder import (  # noqa: E402
    RCP,
    SCP,
    Account,
    Org,
    policy,
    policy_arn,
    role_arn,
    trust,
    trust_account,
    trust_arn,
    trust_service,
    user_arn,
)
from graphiam.snapshot.names import account_root  # noqa: E402

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
# deterministic dates (unique ids are the builder's, derived from names)
# ---------------------------------------------------------------------------

def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()


def stamp(days_after_base: int) -> str:
    when = BASE_DATE + _dt.timedelta(days=days_after_base)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def days_later(date_text: str, days: int) -> str:
    when = _dt.datetime.strptime(date_text, "%Y-%m-%dT%H:%M:%SZ") + _dt.timedelta(days=days)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def created_after(joined_days: int, account_id: str) -> builder.CreateDates:
    """The account's CreateDate hook: each entity's date is fixed by its name, within ~20 months of joining."""
    def create_date(kind: str, name: str) -> str:
        return stamp(joined_days + 1 + int.from_bytes(_digest("date", account_id, kind, name)[:4], "big") % 600)
    return create_date


def aws_policy(name: str) -> str:
    """ARN of an AWS managed policy known to this script (see AWS_MANAGED)."""
    return policy_arn("aws", name, AWS_MANAGED[name]["path"])


# ---------------------------------------------------------------------------
# statements, written the way the console writes them (one value: no list)
# ---------------------------------------------------------------------------

def _one_or_many(values):
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    return values[0] if len(values) == 1 else values


def allow(actions, resources="*", condition: dict | None = None, sid: str | None = None) -> dict:
    return builder.allow(_one_or_many(actions), _one_or_many(resources), condition, sid=sid)


def deny(actions, resources="*", condition: dict | None = None, sid: str | None = None) -> dict:
    return builder.deny(_one_or_many(actions), _one_or_many(resources), condition, sid=sid)


def assume(*targets: str, sid: str | None = None) -> dict:
    """Identity statement: may call sts:AssumeRole on these role ARNs."""
    return allow("sts:AssumeRole", list(targets), sid=sid)


def trust_saml(provider_arn: str) -> dict:
    return trust(
        {"Federated": provider_arn},
        "sts:AssumeRoleWithSAML",
        {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
    )


def tags(**pairs: str) -> dict[str, str]:
    return {key.replace("_", "-"): value for key, value in pairs.items()}


# ---------------------------------------------------------------------------
# AWS managed policies (abbreviated but realistic documents)
# ---------------------------------------------------------------------------

AWS_MANAGED: dict[str, dict] = {
    "AdministratorAccess": {
        "path": "/",
        "created": "2015-02-06T18:39:46Z",
        "updated": "2015-02-06T18:39:46Z",
        "statements": [allow("*", "*")],
    },
    "ReadOnlyAccess": {
        "path": "/",
        "created": "2015-02-06T18:39:48Z",
        "updated": "2024-02-20T18:14:21Z",
        "statements": [
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
        ],
    },
    "SecurityAudit": {
        "path": "/",
        "created": "2015-02-06T18:41:01Z",
        "updated": "2024-01-12T17:54:10Z",
        "statements": [
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
        ],
    },
    "AWSLambdaBasicExecutionRole": {
        "path": "/service-role/",
        "created": "2015-04-09T15:03:43Z",
        "updated": "2015-04-09T15:03:43Z",
        "statements": [allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "*")],
    },
    "AutoScalingServiceRolePolicy": {
        "path": "/aws-service-role/",
        "created": "2018-01-08T23:10:55Z",
        "updated": "2023-06-01T20:32:18Z",
        "statements": [
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
        ],
    },
}


def list_aws_managed(acct: Account) -> None:
    """After the account's own policies, the AWS managed ones it uses, sorted by ARN (same entry everywhere)."""
    in_use = acct.policies_in_use()
    for arn in sorted(aws_policy(name) for name in AWS_MANAGED):
        if arn in in_use:
            name = arn.rsplit("/", 1)[-1]
            spec = AWS_MANAGED[name]
            acct.managed_policy(name, *spec["statements"], path=spec["path"], aws_managed=True,
                                create_date=spec["created"], version_dates=[spec["updated"]])


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

ACCOUNTS = [
    # (id, name, parent, email, joined method, joined days after BASE_DATE)
    (MANAGEMENT, "acme-management", ROOT_ID, "aws-root@acme.example.com", "CREATED", 0),
    (IDENTITY, "acme-identity", "ou-ab12-security", "aws+identity@acme.example.com", "CREATED", 14),
    (PROD, "acme-prod", "ou-ab12-prod0001", "aws+prod@acme.example.com", "INVITED", 21),
    (STAGING, "acme-staging", "ou-ab12-nonprod1", "aws+staging@acme.example.com", "CREATED", 35),
    (SECURITY, "acme-security", "ou-ab12-security", "aws+security@acme.example.com", "CREATED", 15),
    (SANDBOX, "acme-sandbox", "ou-ab12-sandbox1", "aws+sandbox@acme.example.com", "CREATED", 90),
]


def build_organization() -> Org:
    org = Org(ORG_ID, MANAGEMENT, ROOT_ID, policy_types=(SCP, RCP))
    for ou_id, name, parent in OUS:
        org.ou(ou_id, name, parent)
    for account_id, name, parent, email, joined_method, joined_days in ACCOUNTS:
        org.account(account_id, name, parent, email=email, joined=stamp(joined_days), joined_method=joined_method,
                    create_dates=created_after(joined_days, account_id),
                    url_encoded=account_id == IDENTITY)
    # FullAWSAccess everywhere except the Sandbox OU, where an allow-list replaces it.
    org.full_access_everywhere(skip=["ou-ab12-sandbox1"])
    org.full_access_everywhere(scp=False, rcp=True)
    org.scp(
        "DenyLeaveOrganization",
        deny("organizations:LeaveOrganization", "*", sid="DenyLeaveOrganization"),
        targets=["ou-ab12-workload"],
        description="Member accounts may not leave the organization",
    )
    # B3: non-production principals must never assume production roles.
    org.scp(
        "DenyNonProdToProd",
        deny("sts:AssumeRole", f"arn:aws:iam::{PROD}:role/*", sid="DenyNonProdToProd"),
        targets=["ou-ab12-nonprod1"],
        description="Non-production principals may not assume roles in acme-prod",
    )
    # B5: the sandbox allow-list has no sts:AssumeRole, so every sandbox
    # principal is implicitly denied it.
    org.scp(
        "SandboxAllowList",
        allow(
            ["ec2:*", "s3:*", "lambda:*", "logs:*", "cloudwatch:*", "iam:PassRole", "iam:Get*", "iam:List*"],
            "*",
            sid="SandboxServices",
        ),
        targets=["ou-ab12-sandbox1"],
        description="Sandbox accounts may only use the services listed here",
    )
    # N1: staging runs on ECS Fargate; nothing there may launch an EC2 instance (attached to the account).
    org.scp(
        "DenyEC2InstancesInStaging",
        deny(["ec2:RunInstances", "ec2:RequestSpotInstances"], "*", sid="NoEC2InstancesInStaging"),
        targets=[STAGING],
        description="acme-staging runs on ECS Fargate: no EC2 instances",
    )
    # B6: only principals tagged clearance=prod-admin may assume ProdAdmin.
    org.rcp(
        "ProdAdminNeedsClearance",
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
        },
        targets=["ou-ab12-prod0001"],
        description="ProdAdmin may only be assumed by principals with clearance=prod-admin",
    )
    return org


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
# E1-E3 / N1-N2: privilege-escalation routes and near misses
BUILD_BOT = user_arn(STAGING, "build-bot", "/service/")
CODEBUILD_ADMIN = role_arn(STAGING, "CodeBuildAdmin")
IAM_HELPER = user_arn(STAGING, "iam-helper", "/service/")
PACKER_CI = user_arn(STAGING, "packer-ci", "/service/")
PACKER_INSTANCE = role_arn(STAGING, "packer-build-instance")
ACCESS_PROVISIONER = user_arn(IDENTITY, "access-provisioner", "/service/")
PEGGY = user_arn(IDENTITY, "peggy", "/contractors/")
AUDIT_HUB = role_arn(SECURITY, "AuditHub")
SANDBOX_ADMIN = role_arn(SANDBOX, "SandboxAdmin")
# W7/B8: an IAM Identity Center role in the identity account, and a prod role that trusts one person's session of it
SSO_ADMIN_ROLE = "AWSReservedSSO_AdministratorAccess_4f1c2a9e7b3d5c60"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"
ON_CALL = role_arn(PROD, "OnCallResponder")
# W8: a partner intake role open to any AWS principal that knows the ExternalId
PARTNER_INTAKE = role_arn(STAGING, "PartnerIntake")
PARTNER = "888888888888"     # a partner's account, outside the organization and the snapshot


def sso_session(name: str) -> str:
    """The session ARN IAM Identity Center gives a person who signs in to the AdministratorAccess role."""
    return f"arn:aws:sts::{IDENTITY}:assumed-role/{SSO_ADMIN_ROLE}/{name}"


# P1: what provisioning writes (the builder derives the names from the instance, permission set and account)
SSO_PROD_READ_ONLY = role_arn(PROD, "AWSReservedSSO_ReadOnlyAccess_9e1c342147a9abce", SSO_PATH)
SSO_STAGING_READ_ONLY = role_arn(STAGING, "AWSReservedSSO_ReadOnlyAccess_f1025e32876c3fd5", SSO_PATH)
SSO_SANDBOX_ADMIN = role_arn(SANDBOX, "AWSReservedSSO_AdministratorAccess_3f40f20dd999d9e8", SSO_PATH)
# P1-P4: IAM Identity Center (its instance id names the SAML provider SSO_ADMIN_ROLE already trusts) and GitHub
SSO_INSTANCE = "ssoins-4f1c2a9e7b3d5c60"
GITHUB_PROVIDER = f"arn:aws:iam::{STAGING}:oidc-provider/token.actions.githubusercontent.com"


def github_trust(subject: str | None = None, sid: str | None = None) -> dict:
    """A trust for GitHub Actions' OIDC provider in staging: the aud claim always, the sub claim when given."""
    condition: dict = {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}
    if subject is not None:
        condition["StringLike"] = {"token.actions.githubusercontent.com:sub": subject}
    return trust({"Federated": GITHUB_PROVIDER}, "sts:AssumeRoleWithWebIdentity", condition, sid=sid)

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
        trusts=[trust_account(MANAGEMENT)],
        managed=[ADMIN],
        last_used=used_recently(760),
    )


def security_audit_role(acct: Account, principal="*") -> str:
    """W5: SecurityAudit may be assumed by the security account's AuditHub only."""
    return acct.role(
        "SecurityAudit",
        trusts=[
            trust(
                principal,
                condition={
                    "StringEquals": {"aws:PrincipalOrgID": ORG_ID},
                    "ArnLike": {"aws:PrincipalArn": AUDIT_HUB},
                },
                sid="OnlyTheAuditHub",
            )
        ],
        managed=[SECURITY_AUDIT],
        tags=tags(owner="security"),
        last_used=used_recently(775),
    )


def build_management(acct: Account) -> None:
    # W6: the management account's admin; SCPs never apply to its principals.
    acct.user("org-admin", managed=[ADMIN], tags=tags(team="cloud-platform"))
    acct.user(
        "billing-reader",
        inline={"BillingRead": policy(allow(["aws-portal:View*", "ce:Get*", "ce:Describe*", "cur:Describe*"], "*"))},
        tags=tags(team="finance"),
    )
    acct.role(
        "BillingReadOnly",
        trusts=[trust_account(IDENTITY)],
        inline={"CostExplorerRead": policy(allow(["ce:Get*", "ce:List*", "budgets:View*", "aws-portal:View*"], "*"))},
        tags=tags(owner="finance"),
    )


def build_identity(acct: Account) -> None:
    self_service = acct.managed_policy(
        "SelfServiceCredentials",
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
        description="Lets people manage their own password, access keys and MFA",
    )
    # B4: the boundary allows no sts action at all.
    developer_boundary = acct.managed_policy(
        "DeveloperBoundary",
        allow(["s3:*", "logs:*", "cloudwatch:*", "ec2:Describe*"], "*", sid="BoundaryCeiling"),
        path="/boundaries/",
        description="Permissions boundary for contractors",
    )
    # N2: delegated self-service: contractors may write their own inline policies, the boundary keeps
    # whatever they write to S3.
    self_service_boundary = acct.managed_policy(
        "SelfServiceS3Boundary",
        allow(["s3:*", "iam:PutUserPolicy"], "*", sid="SelfServiceCeiling"),
        path="/boundaries/",
        description="Permissions boundary for contractors who manage their own bucket access",
    )
    # B2: two versions; v2 (never made default) would let bob assume
    # StagingDeploy, the default v1 does not.  Only the default version counts.
    staging_artifacts = [
        "arn:aws:s3:::acme-staging-artifacts",
        "arn:aws:s3:::acme-staging-artifacts/*",
    ]
    first_date = acct.create_dates("policy", "StagingDeployAccess")
    staging_deploy_access = acct.managed_policy(
        "StagingDeployAccess",
        versions=[
            [allow(S3_READ, staging_artifacts, sid="ReadStagingArtifacts")],
            [
                allow(S3_READ, staging_artifacts, sid="ReadStagingArtifacts"),
                assume(STAGING_DEPLOY, sid="AssumeStagingDeploy"),
            ],
        ],
        default=0,
        version_dates=[first_date, days_later(first_date, 45)],
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
        tags=tags(team="payments", cost_center="cc-1042"),
    )
    # B2: bob is named in StagingDeploy's trust but nothing he has allows it.
    acct.user(
        "bob",
        groups=["Developers"],
        managed=[staging_deploy_access],
        tags=tags(team="payments", cost_center="cc-1042"),
    )
    # B4: carol's own policy allows StagingReadOnly, her boundary does not.
    acct.user(
        "carol",
        path="/contractors/",
        groups=["Developers"],
        inline={"AssumeStagingReadOnly": policy(assume(STAGING_READ_ONLY, sid="StagingReadOnly"))},
        boundary=developer_boundary,
        tags=tags(team="platform", employment="contractor"),
    )
    # B6: dave is an Admin without the clearance tag.
    acct.user("dave", groups=["Admins"], tags=tags(team="platform"))
    # W1: erin is an Admin with clearance.
    acct.user("erin", groups=["Admins"], tags=tags(team="platform", clearance="prod-admin"))
    acct.user("frank", groups=["Developers"], tags=tags(team="payments"))
    # W3: grace reaches AppConfig only through Hub -> Deploy.
    acct.user("grace", groups=["Developers"], tags=tags(team="platform"))
    # W2: heidi may use BreakGlass with MFA.
    acct.user("heidi", groups=["Operators"], tags=tags(team="platform", oncall="primary"))
    # W5: ivan audits through AuditHub.
    acct.user("ivan", groups=["Auditors"], tags=tags(team="security"))
    acct.user("judy", groups=["Auditors"], tags=tags(team="security"))
    acct.user("karl", groups=["Developers", "Operators"], tags=tags(team="payments", oncall="secondary"))
    acct.user("leo", groups=["Developers"], tags=tags(team="data"))
    acct.user("mia", groups=["Admins", "Auditors"], tags=tags(team="security", clearance="prod-admin"))
    acct.user(
        "nina",
        groups=["Developers"],
        inline={"AssumeDataAnalyst": policy(assume(DATA_ANALYST, sid="Analytics"))},
        tags=tags(team="data"),
    )
    acct.user(
        "oscar",
        path="/contractors/",
        groups=["Developers"],
        boundary=developer_boundary,
        tags=tags(team="data", employment="contractor"),
    )
    acct.user("ci-runner", path="/service/", groups=["CI"], tags=tags(team="platform", purpose="ci"))
    acct.user("release-bot", path="/service/", groups=["CI"], tags=tags(team="platform", purpose="release"))
    # E3: maintains the inline policies of the service users, and is one of them: it can write itself
    # an administrator's policy.
    acct.user(
        "access-provisioner",
        path="/service/",
        inline={
            "MaintainServiceUserPolicies": policy(
                allow(["iam:GetUserPolicy", "iam:ListUserPolicies", "iam:PutUserPolicy", "iam:DeleteUserPolicy"],
                      f"arn:aws:iam::{IDENTITY}:user/service/*", sid="ServiceUserInlinePolicies"),
            )
        },
        tags=tags(team="identity", purpose="provisioning"),
    )
    # N2: peggy may write an inline policy on herself, but her boundary caps it at S3.
    acct.user(
        "peggy",
        path="/contractors/",
        inline={
            "ManageOwnBucketAccess": policy(
                allow("iam:PutUserPolicy", f"arn:aws:iam::{IDENTITY}:user/contractors/${{aws:username}}",
                      sid="WriteOwnInlinePolicy"),
                allow(S3_READ, ["arn:aws:s3:::acme-data-exports", "arn:aws:s3:::acme-data-exports/*"],
                      sid="ReadExports"),
            )
        },
        boundary=self_service_boundary,
        tags=tags(team="data", employment="contractor"),
    )

    # Roles ------------------------------------------------------------------------
    organization_access_role(acct)
    # W3: the hub trusts the whole identity account; the Developers group
    # policy decides who actually gets in.
    acct.role(
        "Hub",
        trusts=[trust_account(IDENTITY, sid="IdentityAccountPeople")],
        inline={"HubOnward": policy(assume(DEPLOY, sid="OnToProdDeploy"))},
        tags=tags(owner="platform"),
        last_used=used_recently(779),
    )
    acct.role(
        "SSO-Admin",
        trusts=[trust_saml(f"arn:aws:iam::{IDENTITY}:saml-provider/Okta")],
        managed=[ADMIN],
        tags=tags(owner="identity"),
        last_used=used_recently(780),
    )
    acct.role(
        "SSO-ReadOnly",
        trusts=[trust_saml(f"arn:aws:iam::{IDENTITY}:saml-provider/Okta")],
        managed=[READ_ONLY],
        tags=tags(owner="identity"),
    )
    # W7/B8: what IAM Identity Center creates for its AdministratorAccess permission set
    acct.role(
        SSO_ADMIN_ROLE,
        path=SSO_PATH,
        trusts=[trust_saml(f"arn:aws:iam::{IDENTITY}:saml-provider/AWSSSO_4f1c2a9e7b3d5c60_DO_NOT_DELETE")],
        managed=[ADMIN],
        tags=tags(owner="identity"),
    )


def build_prod(acct: Account) -> None:
    organization_access_role(acct)
    # W3 / W4 / B1 / B3 / B7.  Deploy's trust: the identity Hub, and an entry
    # meant for the identity account that names staging instead.
    acct.role(
        "Deploy",
        trusts=[
            trust_arn(HUB, sid="FromIdentityHub"),
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
                allow(S3_READ, ["arn:aws:s3:::acme-prod-artifacts", "arn:aws:s3:::acme-prod-artifacts/*"]),
            )
        ],
        tags=tags(owner="platform", tier="prod"),
        last_used=used_recently(779),
    )
    # W3: exact role ARN in the same account: no identity policy needed on Deploy.
    acct.role(
        "AppConfig",
        trusts=[trust_arn(DEPLOY, sid="OnlyDeploy")],
        inline={
            "AppConfigManage": policy(
                allow(["appconfig:*", "ssm:GetParameter", "ssm:GetParameters", "ssm:PutParameter"],
                      ["arn:aws:appconfig:*:333333333333:application/*",
                       "arn:aws:ssm:*:333333333333:parameter/xyz/*"]),
            )
        },
        tags=tags(owner="platform", app="xyz"),
        last_used=used_recently(778),
    )
    # W1 / B6
    acct.role(
        "ProdAdmin",
        trusts=[trust_account(IDENTITY)],
        managed=[ADMIN],
        tags=tags(owner="platform", tier="prod", sensitivity="high"),
        last_used=used_recently(771),
    )
    # W2
    acct.role(
        "BreakGlass",
        trusts=[trust_account(IDENTITY, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}, sid="MFAOnly")],
        managed=[ADMIN],
        tags=tags(owner="platform", tier="prod", sensitivity="high"),
    )
    acct.role(
        "ProdReadOnly",
        # the trust is written with the bare account id; IAM treats it as the account root
        trusts=[trust_account(IDENTITY, root_form=False)],
        managed=[READ_ONLY],
        tags=tags(owner="platform", tier="prod"),
        last_used=used_recently(780),
    )
    xyz_runtime = acct.managed_policy(
        "XYZAppRuntime",
        allow(S3_READ, ["arn:aws:s3:::acme-xyz-static", "arn:aws:s3:::acme-xyz-static/*"], sid="StaticAssets"),
                allow(["logs:CreateLogStream", "logs:PutLogEvents"],
                      f"arn:aws:logs:eu-west-1:{PROD}:log-group:/xyz/*", sid="AppLogs"),
    )
    # W4: web and worker can be instance roles; batch only trusts Lambda.
    acct.role("EC2-roles-for-XYZ-web", trusts=[trust_service("ec2.amazonaws.com")], managed=[xyz_runtime],
              instance_profile=True, tags=tags(app="xyz", tier="web"), last_used=used_recently(780))
    acct.role(
        "EC2-roles-for-XYZ-worker",
        trusts=[trust_service("ec2.amazonaws.com")],
        managed=[xyz_runtime],
        inline={"WorkerQueue": policy(allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                                            f"arn:aws:sqs:eu-west-1:{PROD}:xyz-jobs"))},
        instance_profile=True,
        tags=tags(app="xyz", tier="worker"),
        last_used=used_recently(780),
    )
    acct.role(
        "EC2-roles-for-XYZ-batch",
        trusts=[trust_service("lambda.amazonaws.com")],
        managed=[xyz_runtime],
        instance_profile=True,
        tags=tags(app="xyz", tier="batch"),
    )
    acct.role(
        "xyz-api-lambda-exec",
        trusts=[trust_service("lambda.amazonaws.com")],
        path="/service-role/",
        managed=[LAMBDA_BASIC],
        inline={"ReadOrders": policy(allow(["dynamodb:GetItem", "dynamodb:Query"],
                                           f"arn:aws:dynamodb:eu-west-1:{PROD}:table/xyz-orders"))},
        tags=tags(app="xyz"),
        last_used=used_recently(780),
    )
    acct.role(
        "AWSServiceRoleForAutoScaling",
        trusts=[trust_service("autoscaling.amazonaws.com")],
        path="/aws-service-role/autoscaling.amazonaws.com/",
        managed=[aws_policy("AutoScalingServiceRolePolicy")],
        last_used=used_recently(780),
    )
    # A role whose permissions boundary removes the iam:PassRole its own policy grants.
    boundary = acct.managed_policy(
        "ProdWorkloadBoundary",
        allow(["s3:*", "athena:*", "glue:Get*", "logs:*"], "*", sid="AnalyticsCeiling"),
        path="/boundaries/",
    )
    acct.role(
        "DataAnalyst",
        trusts=[trust_account(IDENTITY)],
        inline={
            "Analytics": policy(
                allow(["s3:*", "athena:*", "glue:*"], "*", sid="Analytics"),
                allow("iam:PassRole", f"arn:aws:iam::{PROD}:role/*", sid="TooBroadPassRole"),
            )
        },
        boundary=boundary,
        tags=tags(owner="data"),
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
        tags=tags(owner="platform", created_by="jenkins-2019"),
    )
    acct.user(
        "monitoring-bot",
        path="/service/",
        inline={"MetricsRead": policy(allow(["cloudwatch:Get*", "cloudwatch:List*", "cloudwatch:Describe*",
                                              "logs:Describe*", "logs:Get*"], "*"))},
        tags=tags(owner="sre"),
    )
    # W7/B8: only elad's Identity Center session may assume OnCallResponder. The Principal names the
    # calling session: bob signs in to the same permission set and is still refused by this trust.
    acct.role(
        "OnCallResponder",
        trusts=[trust_arn(sso_session("elad@acme.example.com"), sid="OnlyEladsSession")],
        managed=[READ_ONLY],
        inline={"IncidentTriage": policy(allow(["ec2:StopInstances", "ec2:CreateSnapshot"], "*", sid="Contain"))},
        tags=tags(owner="security"),
    )


def build_staging(acct: Account) -> None:
    organization_access_role(acct)
    deploy_permissions = acct.managed_policy(
        "StagingDeployPermissions",
        allow(["ecs:UpdateService", "ecs:Describe*", "ecs:RegisterTaskDefinition"], "*", sid="ECS"),
                allow(S3_READ, ["arn:aws:s3:::acme-staging-artifacts", "arn:aws:s3:::acme-staging-artifacts/*"]),
                allow("iam:PassRole", f"arn:aws:iam::{STAGING}:role/ecs-task-*",
                      {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}, sid="PassTaskRoles"),
    )
    acct.role(
        "ecs-task-app",
        trusts=[trust_service("ecs-tasks.amazonaws.com")],
        inline={"AppRuntime": policy(allow(["sqs:SendMessage", "dynamodb:GetItem", "dynamodb:PutItem"], "*"))},
        tags=tags(app="app", tier="staging"),
        last_used=used_recently(780),
    )
    # B2: bob is named exactly (cross-account: he still needs an identity allow).
    acct.role(
        "StagingDeploy",
        trusts=[
            trust_arn(user_arn(IDENTITY, "bob"), sid="ReleaseCaptain"),
            trust_arn(GITHUB_ACTIONS, STAGING_CI, sid="Pipelines"),
        ],
        managed=[deploy_permissions],
        tags=tags(owner="payments", tier="staging"),
        last_used=used_recently(779),
    )
    # B3: StagingCI's own policy reaches for prod Deploy; the NonProd SCP says no.
    acct.role(
        "StagingCI",
        trusts=[trust_account(IDENTITY, sid="CIUsers")],
        inline={
            "StagingCIPipeline": policy(
                allow(["ecr:*"], f"arn:aws:ecr:eu-west-1:{STAGING}:repository/*", sid="PushImages"),
                assume(STAGING_DEPLOY, DEPLOY, sid="DeployStagingAndPromote"),
            )
        },
        tags=tags(owner="platform", tier="staging"),
        last_used=used_recently(780),
    )
    # B4 / B5: trusts the identity account and the sandbox account.
    acct.role(
        "StagingReadOnly",
        trusts=[trust_arn(account_root(IDENTITY), account_root(SANDBOX), sid="PeopleAndSandbox")],
        managed=[READ_ONLY],
        tags=tags(owner="platform", tier="staging"),
    )
    # P2: the safe one, pinned to one repository's main branch.
    acct.role(
        "GitHubActions",
        trusts=[github_trust("repo:acme/app:ref:refs/heads/main")],
        inline={"OnToStagingDeploy": policy(assume(STAGING_DEPLOY, sid="Deploy"))},
        tags=tags(owner="platform", repo="acme/app"),
        last_used=used_recently(780),
    )
    # P3/P4: two more roles trusting the same GitHub provider, with looser sub conditions than GitHubActions
    # (findings GIAM003 and GIAM004). Their permissions only read one bucket, so no admin or escalation answer
    # depends on them.
    acct.role(
        "GitHubAnyRepo",
        trusts=[github_trust(sid="AnyRepository")],
        inline={"ReadBuildCache": policy(allow(S3_READ, ["arn:aws:s3:::acme-staging-build-cache",
                                                        "arn:aws:s3:::acme-staging-build-cache/*"]))},
        tags=tags(owner="platform"),
    )
    acct.role(
        "GitHubAnyBranch",
        trusts=[github_trust("repo:acme/infra:*", sid="AnyBranchOfInfra")],
        inline={"ReadPlans": policy(allow(S3_READ, ["arn:aws:s3:::acme-staging-terraform-plans",
                                                   "arn:aws:s3:::acme-staging-terraform-plans/*"]))},
        tags=tags(owner="platform", repo="acme/infra"),
    )
    # Reportable: a deleted principal (now a bare unique id) and an unknown outside account.
    acct.role(
        "LegacyDeploy",
        trusts=[trust_arn(DANGLING_ROLE_ID, account_root(UNKNOWN), sid="OldPipeline")],
        inline={"LegacyDeployAll": policy(allow(["ecs:*", "s3:*", "cloudformation:*"], "*"))},
        tags=tags(owner="unknown"),
    )
    security_audit_role(acct, principal={"AWS": "*"})
    # E1: build-bot may create CodeBuild projects and pass them the CodeBuild* roles; CodeBuildAdmin was
    # given AdministratorAccess, so a buildspec of build-bot's runs as an administrator of staging.
    acct.role(
        "CodeBuildAdmin",
        trusts=[trust_service("codebuild.amazonaws.com")],
        managed=[ADMIN],
        tags=tags(owner="platform", tier="staging"),
        last_used=used_recently(776),
    )
    acct.user(
        "build-bot",
        path="/service/",
        inline={
            "CodeBuildPipelines": policy(
                allow(["codebuild:CreateProject", "codebuild:UpdateProject", "codebuild:StartBuild",
                       "codebuild:BatchGetBuilds"],
                      f"arn:aws:codebuild:eu-west-1:{STAGING}:project/*", sid="ManageBuildProjects"),
                allow("iam:PassRole", f"arn:aws:iam::{STAGING}:role/CodeBuild*",
                      {"StringEquals": {"iam:PassedToService": "codebuild.amazonaws.com"}}, sid="PassBuildRoles"),
            )
        },
        tags=tags(owner="platform", purpose="ci"),
    )
    # E2: iam-helper onboards new pipelines onto StagingDeploy's trust: it may rewrite that trust to
    # name itself, and then assume StagingDeploy.
    acct.user(
        "iam-helper",
        path="/service/",
        inline={
            "OnboardPipelines": policy(
                allow(["iam:GetRole", "iam:UpdateAssumeRolePolicy"], STAGING_DEPLOY, sid="MaintainDeployTrust"),
            )
        },
        tags=tags(owner="platform", purpose="automation"),
    )
    # N1: packer-ci bakes AMIs with an EC2 role it may pass, but DenyEC2InstancesInStaging (an SCP on this
    # account) denies ec2:RunInstances: it cannot launch the instance.
    acct.role(
        "packer-build-instance",
        trusts=[trust_service("ec2.amazonaws.com")],
        inline={"BakeImage": policy(
            allow(S3_READ, ["arn:aws:s3:::acme-staging-artifacts", "arn:aws:s3:::acme-staging-artifacts/*"],
                  sid="ReadArtifacts"),
            allow(["ssm:GetParameter", "ssm:GetParameters"], f"arn:aws:ssm:eu-west-1:{STAGING}:parameter/packer/*",
                  sid="BuildSecrets"),
        )},
        instance_profile=True,
        tags=tags(owner="platform", purpose="ami-build"),
    )
    acct.user(
        "packer-ci",
        path="/service/",
        inline={
            "BakeAMIs": policy(
                allow(["ec2:RunInstances", "ec2:TerminateInstances", "ec2:CreateImage", "ec2:CreateTags",
                       "ec2:Describe*"], "*", sid="BakeImages"),
                allow("iam:PassRole", PACKER_INSTANCE,
                      {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}, sid="PassBuildInstanceRole"),
            )
        },
        tags=tags(owner="platform", purpose="ami-build"),
    )
    # W8: world-assumable. "*" with only an ExternalId: any AWS principal of any account that knows it may
    # assume the role (the ExternalId is a shared secret, not an identity).
    acct.role(
        "PartnerIntake",
        trusts=[trust("*", condition={"StringEquals": {"sts:ExternalId": "acme-partner-7f3k"}}, sid="AnyPartner")],
        inline={"IntakeBucketWrite": policy(allow("s3:PutObject", "arn:aws:s3:::acme-staging-intake/*"))},
        tags=tags(owner="partnerships"),
    )


def build_security(acct: Account) -> None:
    organization_access_role(acct)
    # W5: first hop of the audit chain.
    acct.role(
        "AuditHub",
        trusts=[trust_account(IDENTITY, sid="IdentityAccountAuditors")],
        inline={"AssumeSecurityAuditEverywhere": policy(assume("arn:aws:iam::*:role/SecurityAudit", sid="Fanout"))},
        managed=[SECURITY_AUDIT],
        tags=tags(owner="security"),
        last_used=used_recently(780),
    )
    security_audit_role(acct)
    # Reportable: an outside vendor, guarded by an external id.
    acct.role(
        "ExternalAuditor",
        trusts=[trust_account(VENDOR, condition={"StringEquals": {"sts:ExternalId": "acme-7f3a91"}}, sid="AuditVendor")],
        managed=[SECURITY_AUDIT],
        tags=tags(owner="security", vendor="audit-partner"),
        last_used=used_recently(700, "us-east-1"),
    )
    acct.role(
        "IncidentResponder",
        trusts=[trust_service("lambda.amazonaws.com")],
        path="/service-role/",
        managed=[LAMBDA_BASIC],
        inline={"Quarantine": policy(allow(["ec2:ModifyInstanceAttribute", "ec2:CreateSnapshot", "ec2:Describe*"], "*"))},
        tags=tags(owner="security"),
    )
    acct.user(
        "siem-forwarder",
        path="/service/",
        inline={"ReadTrailBucket": policy(allow(S3_READ, ["arn:aws:s3:::acme-org-trail", "arn:aws:s3:::acme-org-trail/*"]))},
        tags=tags(owner="security"),
    )


def build_sandbox(acct: Account) -> None:
    organization_access_role(acct)
    acct.role(
        "SandboxAdmin",
        trusts=[trust_account(IDENTITY, sid="Developers")],
        managed=[ADMIN],
        tags=tags(owner="platform", tier="sandbox"),
        last_used=used_recently(777),
    )
    acct.role(
        "SandboxDeveloper",
        trusts=[trust_account(SANDBOX)],
        inline={"Build": policy(allow(["ec2:*", "s3:*", "lambda:*", "logs:*"], "*"))},
        tags=tags(tier="sandbox"),
    )
    lambda_exec = acct.role(
        "sandbox-lambda-exec",
        trusts=[trust_service("lambda.amazonaws.com")],
        path="/service-role/",
        managed=[LAMBDA_BASIC],
        tags=tags(tier="sandbox"),
    )
    # B5: administrator by identity policy, but the SCP allow-list has no sts:AssumeRole.
    acct.user("sam", managed=[ADMIN], tags=tags(team="growth"))
    acct.user(
        "sandra",
        inline={"Experiments": policy(allow(["ec2:*", "s3:*", "cloudwatch:*"], "*"))},
        tags=tags(team="growth"),
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
        tags=tags(purpose="automation"),
    )


def build_identity_center(org: Org) -> builder.IdentityCenter:
    """P1: the organization's IAM Identity Center. Its users are named by email, so they never collide with the
    IAM users of the same people. Provisioning reuses SSO_ADMIN_ROLE in the identity account (the role W7/B8
    already use) and writes the other permission set roles into their accounts."""
    center = org.identity_center(instance_id=SSO_INSTANCE)
    for person in ("elad", "bob", "nina", "omar"):
        email = f"{person}@acme.example.com"
        center.user(email, display_name=person.capitalize(), emails=[email])
    center.group("PlatformAdmins", members=["elad@acme.example.com"], description="Platform administrators")
    center.group("SecurityAuditors", members=["nina@acme.example.com", "bob@acme.example.com"],
                 description="Read-only access for security reviews")
    center.permission_set("AdministratorAccess", managed=[ADMIN], description="Full access")
    center.permission_set("ReadOnlyAccess",
                          deny("secretsmanager:GetSecretValue", "*", sid="NoSecretValues"),
                          managed=[READ_ONLY], description="Read-only access, secret values excluded")
    center.assign(IDENTITY, "AdministratorAccess", group="PlatformAdmins")
    center.assign(SANDBOX, "AdministratorAccess", user="omar@acme.example.com")
    center.assign(PROD, "ReadOnlyAccess", group="SecurityAuditors")
    center.assign(STAGING, "ReadOnlyAccess", group="SecurityAuditors")
    # P1: assigned, never provisioned: the security account holds no ReadOnlyAccess role (role_not_provisioned)
    center.assign(SECURITY, "ReadOnlyAccess", user="bob@acme.example.com", provision=False)
    assert {center.role_arn("ReadOnlyAccess", PROD), center.role_arn("ReadOnlyAccess", STAGING),
            center.role_arn("AdministratorAccess", SANDBOX)} == {SSO_PROD_READ_ONLY, SSO_STAGING_READ_ONLY,
                                                                 SSO_SANDBOX_ADMIN}
    return center


# ---------------------------------------------------------------------------
# checks (see SCENARIOS.md)
# ---------------------------------------------------------------------------

def reach(name, source, target_arn, expect, action="sts:AssumeRole", service=None) -> dict:
    return {"name": name, "source": source, "target": target_arn, "action": action, "service": service, "expect": expect}


def escalates(name, source, target, expect) -> dict:
    """A check through escalation-technique hops as well as assume hops; ``target`` "admin": any administrator."""
    return {"name": name, "source": source, "target": target, "escalation": True, "expect": expect}


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
            reach("W7 elad's Identity Center session can assume OnCallResponder", sso_session("elad@acme.example.com"),
                  ON_CALL, "reachable"),
            reach("B8 bob's session of the same permission set cannot (the trust names elad's session)",
                  sso_session("bob@acme.example.com"), ON_CALL, "unreachable"),
            reach("W8 any AWS principal that knows the ExternalId can assume PartnerIntake (world-assumable)",
                  f"arn:aws:iam::{PARTNER}:role/uploader", PARTNER_INTAKE, "reachable"),
            reach("P1 nina (Identity Center, SecurityAuditors) signs in to the prod read-only role", "nina@acme.example.com",
                  SSO_PROD_READ_ONLY, "reachable"),
            reach("P1 bob (Identity Center, SecurityAuditors) signs in to the staging read-only role",
                  "bob@acme.example.com", SSO_STAGING_READ_ONLY, "reachable"),
            reach("P1 elad (Identity Center, PlatformAdmins) signs in to the identity account's AdministratorAccess role",
                  "elad@acme.example.com", role_arn(IDENTITY, SSO_ADMIN_ROLE, SSO_PATH), "reachable"),
            reach("P1 omar (Identity Center, sandbox only) cannot reach the prod read-only role", "omar@acme.example.com",
                  SSO_PROD_READ_ONLY, "unreachable"),
            reach("P1 omar's sandbox administrator role cannot reach prod Deploy (SCP allow-list)",
                  SSO_SANDBOX_ADMIN, DEPLOY, "unreachable"),
            escalates("E1 build-bot runs a CodeBuild project as CodeBuildAdmin (PassRole + CreateProject + "
                      "StartBuild)", BUILD_BOT, CODEBUILD_ADMIN, "reachable"),
            reach("E1 build-bot cannot assume CodeBuildAdmin (without escalation: it trusts only CodeBuild)",
                  BUILD_BOT, CODEBUILD_ADMIN, "unreachable"),
            escalates("E2 iam-helper rewrites StagingDeploy's trust to name itself, then assumes it",
                      IAM_HELPER, STAGING_DEPLOY, "reachable"),
            escalates("E3 access-provisioner can make itself an administrator (iam:PutUserPolicy on the service "
                      "users, itself included)", ACCESS_PROVISIONER, "admin", "reachable"),
            escalates("N1 packer-ci cannot launch an instance as packer-build-instance (SCP denies "
                      "ec2:RunInstances in staging)", PACKER_CI, PACKER_INSTANCE, "unreachable"),
            reach("N1 packer-ci may pass packer-build-instance to EC2 (the pass alone is allowed)",
                  PACKER_CI, PACKER_INSTANCE, "reachable", "iam:PassRole", "ec2.amazonaws.com"),
            escalates("N2 peggy cannot become an administrator (her boundary caps the policy she may write on "
                      "herself)", PEGGY, "admin", "unreachable"),
            # the findings summary: the risky trusts the sample holds on purpose (SCENARIOS.md), and no new one
            {"name": "F1 findings: the two known high-severity trusts (PartnerIntake, GitHubAnyRepo), no more",
             "findings": "high", "at_most": 2},
            {"name": "F2 findings: seven in all (SCENARIOS.md lists them), no more", "findings": "low", "at_most": 7},
            {
                "name": "ticket: bob's Identity Center session cannot assume OnCallResponder",
                "why": denied + f"User: {sso_session('bob@acme.example.com')} is not authorized to perform: "
                f"sts:AssumeRole on resource: {ON_CALL}",
            },
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

def build_sample() -> Org:
    org = build_organization()
    build_management(org.accounts[MANAGEMENT])
    build_identity(org.accounts[IDENTITY])
    build_prod(org.accounts[PROD])
    build_staging(org.accounts[STAGING])
    build_security(org.accounts[SECURITY])
    build_sandbox(org.accounts[SANDBOX])
    build_identity_center(org)
    for acct in org.accounts.values():
        list_aws_managed(acct)
    return org


def dump(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the sample organization snapshot and its checks.")
    parser.add_argument("--output", type=Path, default=HERE,
                        help="folder to write sample-org/ and sample-checks.json into (default: next to this script)")
    output = parser.parse_args(argv).output
    out_dir = output / "sample-org"
    checks_file = output / "sample-checks.json"
    org = build_sample()

    written = {out_dir / "organization.json"}
    dump(out_dir / "organization.json", org.organization_json())
    for acct in org.accounts.values():
        path = out_dir / "accounts" / f"{acct.account_id}-{acct.name.removeprefix('acme-')}.json"
        dump(path, acct.to_json())
        written.add(path)
    if org.center is not None:
        dump(out_dir / "identity-center.json", org.center.to_json())
        written.add(out_dir / "identity-center.json")
    # this folder belongs to the generator: drop files a previous version wrote
    for stale in sorted(out_dir.rglob("*.json")):
        if stale not in written:
            stale.unlink()
    dump(checks_file, build_checks())

    users = sum(len(a.users) for a in org.accounts.values())
    roles = sum(len(a.roles) for a in org.accounts.values())
    print(f"wrote {len(written)} snapshot files to {out_dir} ({users} users, {roles} roles) and {checks_file.name}")


if __name__ == "__main__":
    main()
