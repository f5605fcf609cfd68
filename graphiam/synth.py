"""Synthetic organizations in the snapshot format, for benchmarks and demos.

``graphiam synth --accounts N --seed S -o DIR`` (or :func:`write_synthetic_org`)
writes ``DIR/organization.json`` and ``DIR/accounts/<id>.json``: an
organization that looks like a real multi-account AWS estate and grows
linearly with N. Per account, about 30 users and 100 roles:

- users in groups (Admins, Developers, Operators, ReadOnly, ...) whose
  groups carry inline and customer managed policies; some users with direct
  policies, some with a permissions boundary; ``team`` and ``clearance`` tags;
- IAM Identity Center roles (``AWSReservedSSO_<PermissionSet>_<hex>`` under
  ``/aws-reserved/sso.amazonaws.com/``) trusting the account's SAML provider;
- per application: EC2 instance roles (``EC2-roles-for-<app>-*``), Lambda
  and ECS roles, a CI deploy role trusting the CI account's runner role by
  exact ARN and allowed to pass the EC2 roles to ec2.amazonaws.com only, an
  operator role (``/app/``), a read-only role and a data-access role;
- cross-account roles trusting a few other accounts' roots (some with
  ``sts:ExternalId``, some with ``aws:MultiFactorAuthPresent``), now and then
  a vendor role trusting an account outside the organization;
- org-wide roles trusting ``*`` narrowed by ``aws:PrincipalOrgID`` and an
  ``ArnLike aws:PrincipalArn`` on the security account's audit roles;
- a break-glass role (MFA and a ``clearance`` principal tag), service-linked
  roles, ``OrganizationAccountAccessRole``;
- chains: identity-account users -> ``hub/*`` roles -> ``platform/*`` roles in
  every account -> ``app/*`` operator roles (3 hops), which can pass roles.

The organization file has nested OUs (Security, Infrastructure,
Workloads/{Prod,NonProd}/<business unit>, Sandbox), FullAWSAccess and
RCPFullAWSAccess on every target (an allow-list replaces FullAWSAccess on
Sandbox), a deny SCP that keeps NonProd out of Prod roles, a guardrail SCP and
an RCP that keeps callers from outside the organization out of
``sts:AssumeRole`` (AWS services and listed vendors excepted).

Everything comes from ``random.Random`` seeded by (seed, account), with
fixed dates and sorted keys, so the same arguments write the same bytes.
AWS managed policies are the same (abbreviated) documents in every account
file, as AWS exports them. The files are written with
:mod:`graphiam.snapshot.builder`; ids and dates are drawn here and handed to
it. Statements keep this module's own helpers: their key order (Sid after
Resource) shows in the organization file's ``Content`` strings.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

from .snapshot.builder import RCP, SCP, Account, Org, policy_arn, role_arn

__all__ = ["SynthError", "SynthSummary", "synthetic_org_data", "write_synthetic_org", "run_cli"]

VERSION = "2012-10-17"
SAML_AUD = "https://signin.aws.amazon.com/saml"
GITHUB_OIDC = "token.actions.githubusercontent.com"
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_BASE_DATE = datetime(2020, 3, 2, 9, 0, 0, tzinfo=timezone.utc)
_DATES = tuple((_BASE_DATE + timedelta(days=d, hours=d % 9)).strftime("%Y-%m-%dT%H:%M:%SZ") for d in range(1600))

COMPANIES = ("acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne", "tyrell", "cyberdyne")
BUSINESS_UNITS = ("payments", "retail", "logistics", "data", "marketing", "media", "insurance", "health")
APPS = ("billing", "checkout", "catalog", "search", "ledger", "reports", "ingest", "notify", "auth", "media",
        "pricing", "orders", "inventory", "analytics", "etl", "gateway", "fraud", "risk", "profile", "shipping",
        "reviews", "loyalty", "chat", "maps", "feeds", "quotes", "claims", "payroll", "crm", "docs")
FUNCTIONS = ("ingest", "notify", "resize", "sync", "report", "cleanup", "export", "webhook", "rotate", "index")
FIRST_NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
               "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yara", "zoe", "omar",
               "priya", "chen", "fatima", "lars", "mei", "raj", "sofia", "tomas", "uma", "wei", "xavier", "leila",
               "kofi", "ana", "diego", "hana", "igor", "jun")
LAST_NAMES = ("smith", "jones", "garcia", "khan", "nguyen", "kim", "muller", "rossi", "silva", "tanaka", "okafor",
              "novak", "haddad", "larsen", "patel", "cohen", "dubois", "ivanova", "santos", "berg", "costa", "ali",
              "wong", "fischer", "moreau", "reyes", "sato", "lindqvist", "mensah", "kowalski")
TEAMS = ("payments", "platform", "data", "mobile", "web", "infra", "security", "finance", "growth", "search")
XACCT_PURPOSES = ("reporting", "data-share", "monitoring", "backup", "artifacts", "cost-explorer", "dns", "logs")
VENDORS = ("datadog", "wiz", "snyk", "cloudhealth", "lacework", "pagerduty")
REGIONS = ("us-east-1", "eu-west-1", "eu-central-1", "us-west-2", "ap-southeast-2")

# Primary group of a human user, with weights (Contractors get a permissions boundary).
_PRIMARY_GROUPS = (("Developers", 40), ("Operators", 14), ("DataEngineers", 10), ("ReadOnly", 10),
                   ("Contractors", 10), ("Auditors", 6), ("Billing", 4), ("Admins", 6))


class SynthError(ValueError):
    """Bad arguments for the generator. ``str(error)`` is one line."""


@dataclass(frozen=True)
class SynthSummary:
    output_dir: str
    accounts: int
    users: int
    roles: int
    groups: int
    managed_policies: int  # entries in the accounts' Policies lists (AWS managed ones counted per account)
    files: int
    bytes: int
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)

    def to_line(self) -> str:
        per = max(self.accounts, 1)
        return (f"wrote {self.files} files ({self.bytes / 1e6:.1f} MB) to {self.output_dir}: {self.accounts} accounts, "
                f"{self.users} users, {self.roles} roles, {self.groups} groups "
                f"(per account {self.users / per:.1f} users, {self.roles / per:.1f} roles) in {self.seconds:.2f} s")


# -- policy documents -------------------------------------------------------------

def _doc(*statements: dict) -> dict:
    return {"Version": VERSION, "Statement": list(statements)}


def _allow(action: Any, resource: Any = "*", condition: dict | None = None, sid: str | None = None) -> dict:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if sid:
        statement["Sid"] = sid
    if condition:
        statement["Condition"] = condition
    return statement


def _deny(action: Any, resource: Any = "*", condition: dict | None = None, sid: str | None = None) -> dict:
    statement = _allow(action, resource, condition, sid)
    statement["Effect"] = "Deny"
    return statement


def _trust(principal: Any, action: Any = "sts:AssumeRole", condition: dict | None = None, sid: str | None = None) -> dict:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if sid:
        statement["Sid"] = sid
    if condition:
        statement["Condition"] = condition
    return statement


_MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
_TRUST_EC2 = _trust({"Service": "ec2.amazonaws.com"})
_TRUST_LAMBDA = _trust({"Service": "lambda.amazonaws.com"})
_TRUST_ECS = _trust({"Service": "ecs-tasks.amazonaws.com"})


def _aws(name: str, path: str, created: str, updated: str, *statements: dict) -> tuple[str, dict]:
    rng = random.Random(f"aws-managed/{name}")
    return name, {
        "path": path,
        "arn": f"arn:aws:iam::aws:policy{path}{name}",
        "id": "ANPA" + "".join(rng.choices(_B32, k=17)),
        "created": created,
        "updated": updated,
        "statements": statements,
    }


# AWS managed policies: abbreviated but realistic, identical in every account file.
AWS_MANAGED: dict[str, dict] = dict((
    _aws("AdministratorAccess", "/", "2015-02-06T18:39:46Z", "2015-02-06T18:39:46Z", _allow("*", "*")),
    _aws("ReadOnlyAccess", "/", "2015-02-06T18:39:48Z", "2024-02-20T18:14:21Z", _allow([
        "cloudtrail:Describe*", "cloudtrail:Get*", "cloudtrail:List*", "cloudtrail:LookupEvents",
        "cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "dynamodb:Describe*", "dynamodb:List*",
        "ec2:Describe*", "ec2:Get*", "ecr:BatchGetImage", "ecr:Describe*", "ecr:List*", "ecs:Describe*",
        "ecs:List*", "iam:Generate*", "iam:Get*", "iam:List*", "iam:Simulate*", "lambda:Get*", "lambda:List*",
        "logs:Describe*", "logs:FilterLogEvents", "logs:Get*", "logs:StartQuery", "organizations:Describe*",
        "organizations:List*", "s3:Describe*", "s3:Get*", "s3:List*", "sns:Get*", "sns:List*", "sqs:Get*",
        "sqs:List*", "ssm:Describe*", "ssm:Get*", "ssm:List*", "sts:GetAccessKeyInfo", "sts:GetCallerIdentity",
    ], "*", sid="AbbreviatedReadOnly")),
    _aws("PowerUserAccess", "/", "2015-02-06T18:39:47Z", "2023-07-06T22:04:00Z",
         {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
         _allow(["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles",
                 "organizations:DescribeOrganization", "account:ListRegions", "account:GetAccountInformation"], "*")),
    _aws("SecurityAudit", "/", "2015-02-06T18:41:01Z", "2024-01-12T17:54:10Z", _allow([
        "access-analyzer:Get*", "access-analyzer:List*", "cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus",
        "config:Describe*", "config:Get*", "ec2:Describe*", "guardduty:Get*", "guardduty:List*",
        "iam:GenerateCredentialReport", "iam:Get*", "iam:List*", "iam:SimulatePrincipalPolicy", "kms:Describe*",
        "kms:Get*", "kms:List*", "organizations:Describe*", "organizations:List*", "s3:GetBucketPolicy",
        "s3:GetBucketAcl", "s3:ListAllMyBuckets",
    ], "*", sid="AbbreviatedSecurityAudit")),
    _aws("ViewOnlyAccess", "/job-function/", "2016-11-10T17:20:15Z", "2023-11-02T20:59:32Z", _allow([
        "cloudwatch:Describe*", "ec2:Describe*", "iam:List*", "lambda:List*", "logs:Describe*", "rds:Describe*",
        "s3:ListAllMyBuckets", "s3:ListBucket", "sns:List*", "sqs:List*",
    ], "*")),
    _aws("Billing", "/job-function/", "2016-11-10T17:33:18Z", "2023-12-11T19:04:25Z", _allow([
        "aws-portal:*", "billing:*", "budgets:*", "ce:*", "cur:*", "invoicing:*", "payments:*", "tax:*",
    ], "*")),
    _aws("NetworkAdministrator", "/job-function/", "2016-11-10T17:31:35Z", "2024-01-10T17:20:49Z", _allow([
        "ec2:*Vpc*", "ec2:*Subnet*", "ec2:*Route*", "ec2:*Gateway*", "ec2:Describe*", "route53:*",
        "directconnect:*", "elasticloadbalancing:Describe*", "network-firewall:*",
    ], "*")),
    _aws("AmazonSSMManagedInstanceCore", "/", "2019-03-15T17:22:12Z", "2023-05-16T20:46:08Z", _allow([
        "ssm:DescribeAssociation", "ssm:GetDocument", "ssm:ListAssociations", "ssm:UpdateInstanceInformation",
        "ssmmessages:*", "ec2messages:*",
    ], "*")),
    _aws("AWSLambdaBasicExecutionRole", "/service-role/", "2015-04-09T15:03:43Z", "2015-04-09T15:03:43Z",
         _allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "*")),
    _aws("AmazonECSTaskExecutionRolePolicy", "/service-role/", "2017-11-16T18:48:22Z", "2017-11-16T18:48:22Z",
         _allow(["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
                 "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"], "*")),
    _aws("AWSSupportServiceRolePolicy", "/aws-service-role/", "2018-04-19T18:04:44Z", "2024-03-05T17:21:56Z",
         _allow(["ec2:Describe*", "iam:Get*", "iam:List*", "logs:Describe*", "s3:GetBucket*", "support:*"], "*")),
    _aws("AWSTrustedAdvisorServiceRolePolicy", "/aws-service-role/", "2018-02-22T21:24:25Z", "2023-11-07T16:33:18Z",
         _allow(["autoscaling:Describe*", "ec2:Describe*", "iam:GenerateCredentialReport", "iam:Get*",
                 "iam:List*", "s3:GetBucket*", "s3:ListAllMyBuckets"], "*")),
    _aws("AutoScalingServiceRolePolicy", "/aws-service-role/", "2018-01-08T23:10:55Z", "2023-06-01T20:32:18Z",
         _allow(["ec2:CreateTags", "ec2:Describe*", "ec2:RunInstances", "ec2:TerminateInstances",
                 "elasticloadbalancing:Register*", "elasticloadbalancing:Deregister*", "cloudwatch:PutMetricAlarm"],
                "*", sid="EC2InstanceManagement"),
         _allow("iam:PassRole", "*", {"StringLike": {"iam:PassedToService": "ec2.amazonaws.com*"}},
                sid="EC2InstanceProfileManagement")),
    _aws("AmazonECSServiceRolePolicy", "/aws-service-role/", "2017-10-14T01:18:56Z", "2024-02-28T18:01:35Z",
         _allow(["ec2:AttachNetworkInterface", "ec2:CreateNetworkInterface", "ec2:Describe*",
                 "elasticloadbalancing:Describe*", "elasticloadbalancing:Register*", "logs:CreateLogStream",
                 "logs:PutLogEvents", "servicediscovery:*"], "*")),
))


def _aws_arn(name: str) -> str:
    return AWS_MANAGED[name]["arn"]


# IAM Identity Center permission sets: (AWS managed policies, inline policy or None).
_PERMISSION_SETS: dict[str, tuple[tuple[str, ...], dict | None]] = {
    "AdministratorAccess": (("AdministratorAccess",), None),
    "ReadOnlyAccess": (("ReadOnlyAccess",), None),
    "PowerUserAccess": (("PowerUserAccess",), None),
    "Billing": (("Billing",), None),
    "SecurityAudit": (("SecurityAudit", "ViewOnlyAccess"), None),
    "NetworkAdmin": (("NetworkAdministrator",), None),
    "Developer": (("ReadOnlyAccess",), _doc(
        _allow(["lambda:*", "dynamodb:*", "sqs:*", "sns:*", "logs:*", "cloudwatch:*", "xray:*"], "*",
               sid="ServerlessDevelopment"),
        _deny(["iam:CreateUser", "iam:CreateAccessKey", "iam:PutRolePolicy", "iam:AttachRolePolicy"], "*",
              sid="NoIamChanges"))),
    "DataScientist": (("ViewOnlyAccess",), _doc(
        _allow(["athena:*", "glue:Get*", "glue:List*", "sagemaker:*", "s3:GetObject", "s3:ListBucket"], "*",
               sid="Analytics"))),
    "SupportUser": (("ViewOnlyAccess",), _doc(_allow(["support:*", "health:Describe*"], "*"))),
}
_OPTIONAL_PERMISSION_SETS = tuple(p for p in _PERMISSION_SETS if p not in ("AdministratorAccess", "ReadOnlyAccess"))


# -- the organization's plan --------------------------------------------------------

def _token(rng: random.Random, n: int, alphabet: str = _ALNUM) -> str:
    return "".join(rng.choices(alphabet, k=n))


class _Plan:
    """Account ids, kinds, OUs and cross-account relations, decided before any account is written."""

    def __init__(self, n: int, seed: int) -> None:
        rng = random.Random(f"graphiam-synth/{seed}/organization")
        self.seed = seed
        self.n = n
        self.company = rng.choice(COMPANIES)
        self.org_id = "o-" + _token(rng, 10)
        self.root_id = "r-" + _token(rng, 4)
        self.ids = [str(i) for i in rng.sample(range(100_000_000_000, 1_000_000_000_000), n)]
        self.management = self.ids[0]
        self.identity = self.ids[min(1, n - 1)]
        self.security = self.ids[min(2, n - 1)]
        self.ci = self.ids[min(3, n - 1)]
        members = set(self.ids)
        self.vendors: dict[str, str] = {}
        for vendor in VENDORS:  # accounts outside the organization, by construction
            account = str(rng.randrange(100_000_000_000, 1_000_000_000_000))
            while account in members or account in self.vendors.values():
                account = str(rng.randrange(100_000_000_000, 1_000_000_000_000))
            self.vendors[vendor] = account
        self.sso_instance = f"{rng.getrandbits(64):016x}"

        # OUs
        self.ous: list[dict] = []
        root = self.root_id

        def ou(name: str, parent: str) -> str:
            ou_id = f"ou-{root[2:]}-{_token(rng, 8)}"
            self.ous.append({"Id": ou_id, "Name": name, "ParentId": parent})
            return ou_id

        self.ou_security = ou("Security", root)
        self.ou_infrastructure = ou("Infrastructure", root)
        self.ou_workloads = ou("Workloads", root)
        self.ou_prod = ou("Prod", self.ou_workloads)
        self.ou_nonprod = ou("NonProd", self.ou_workloads)
        self.ou_sandbox = ou("Sandbox", root)
        self.ou_suspended = ou("Suspended", root)
        units = sorted(rng.sample(BUSINESS_UNITS, max(2, min(len(BUSINESS_UNITS), 2 + n // 100))))
        self.bu_prod = {bu: ou(bu.capitalize(), self.ou_prod) for bu in units}
        self.bu_nonprod = {bu: ou(bu.capitalize(), self.ou_nonprod) for bu in units}

        # accounts: (kind, environment, business unit, parent OU, name)
        fixed = (
            ("management", "shared", None, root, "management"),
            ("identity", "shared", None, self.ou_security, "identity"),
            ("security", "shared", None, self.ou_security, "security-tooling"),
            ("ci", "shared", None, self.ou_infrastructure, "shared-services"),
            ("network", "shared", None, self.ou_infrastructure, "network"),
            ("log-archive", "shared", None, self.ou_security, "log-archive"),
        )
        self.accounts: list[dict] = []
        counters: dict[str, int] = {}
        for index, account_id in enumerate(self.ids):
            if index < len(fixed):
                kind, env, bu, parent, short = fixed[index]
            else:
                roll = rng.random()
                bu = rng.choice(units)
                if roll < 0.42:
                    kind, env, parent = "workload", "prod", self.bu_prod[bu]
                elif roll < 0.85:
                    kind, env, parent = "workload", "nonprod", self.bu_nonprod[bu]
                else:
                    kind, env, parent, bu = "sandbox", "sandbox", self.ou_sandbox, bu
                key = f"{bu}-{env}"
                counters[key] = counters.get(key, 0) + 1
                short = f"{key}-{counters[key]:03d}"
            name = f"{self.company}-{short}"
            self.accounts.append({"id": account_id, "index": index, "kind": kind, "env": env, "bu": bu,
                                  "parent": parent, "name": name,
                                  "joined": _DATES[min(index // 3 + rng.randrange(30), len(_DATES) - 1)],
                                  "method": "CREATED" if rng.random() < 0.85 or index == 0 else "INVITED"})

        # cross-account trusts: partners[A] = accounts whose roots A's xacct-* roles trust
        self.partners: dict[str, list[str]] = {}
        self.inbound: dict[str, list[str]] = {a: [] for a in self.ids}
        for account_id in self.ids:
            others = n - 1
            if others <= 0:
                self.partners[account_id] = []
                continue
            chosen: list[str] = []
            for _ in range(rng.randint(1, min(3, others))):
                pick = self.ids[rng.randrange(n)]
                if pick != account_id and pick not in chosen:
                    chosen.append(pick)
            self.partners[account_id] = chosen
            for partner in chosen:
                self.inbound[partner].append(account_id)

    # ARNs of the roles that chains run through
    def hub_role(self, name: str) -> str:
        return f"arn:aws:iam::{self.identity}:role/hub/{name}"

    def ci_runner(self) -> str:
        return f"arn:aws:iam::{self.ci}:role/ci/build-runner"

    def prod_org_path(self) -> str:
        return f"{self.org_id}/{self.root_id}/{self.ou_workloads}/{self.ou_prod}/*"


# -- one account ----------------------------------------------------------------------

class _Account:
    """Builds one account's get-account-authorization-details document with the snapshot builder."""

    def __init__(self, plan: _Plan, meta: dict) -> None:
        self.plan = plan
        self.meta = meta
        self.id = meta["id"]
        self.rng = random.Random(f"graphiam-synth/{plan.seed}/account/{self.id}")
        self.iam = Account(self.id)
        self.customer: list[tuple[str, str, tuple[dict, ...]]] = []  # (name, path, statements), listed last
        self.bucket = f"{plan.company}-{self.id}"

    # -- small helpers ---------------------------------------------------------
    def date(self) -> str:
        return _DATES[self.rng.randrange(len(_DATES))]

    def uid(self, prefix: str) -> str:
        return prefix + "".join(self.rng.choices(_B32, k=17))

    def role_arn(self, name: str, path: str = "/") -> str:
        return role_arn(self.id, name, path)

    def customer_policy(self, name: str, *statements: dict, path: str = "/") -> str:
        """A customer managed policy; it is dated and given its id after every principal (see build)."""
        self.customer.append((name, path, statements))
        return policy_arn(self.id, name, path)

    # Each entity draws its CreateDate, then its unique id (a role then its RoleLastUsed and, for an
    # instance role, its instance profile's id): the order of the draws is part of what a seed means.
    def group(self, name: str, inline: dict | None = None, managed: tuple[str, ...] = (), path: str = "/") -> None:
        created, group_id = self.date(), self.uid("AGPA")
        self.iam.group(name, managed=managed, path=path, inline={f"{name}Policy": inline} if inline else None,
                       create_date=created, unique_id=group_id)

    def user(self, name: str, groups: list[str], inline: dict | None = None, managed: tuple[str, ...] = (),
             boundary: str | None = None, tags: dict[str, str] | None = None, path: str = "/") -> None:
        created, user_id = self.date(), self.uid("AIDA")
        self.iam.user(name, groups=groups, managed=managed, boundary=boundary, tags=tags, path=path,
                      inline={f"{name.split('.')[0]}-access": inline} if inline else None,
                      create_date=created, unique_id=user_id)

    def role(self, name: str, trust: dict | list[dict], path: str = "/", inline: list[tuple[str, dict]] | None = None,
             managed: tuple[str, ...] = (), boundary: str | None = None, tags: dict[str, str] | None = None,
             description: str | None = None, max_session: int = 3600, instance_profile: bool = False) -> str:
        created, role_id = self.date(), self.uid("AROA")
        last_used = ({"LastUsedDate": self.date(), "Region": REGIONS[self.rng.randrange(len(REGIONS))]}
                     if self.rng.random() < 0.7 else {})
        profile_id = self.uid("AIPA") if instance_profile else None
        return self.iam.role(name, trusts=trust, path=path, inline=dict(inline or ()), managed=managed,
                             boundary=boundary, tags=tags, description=description, max_session=max_session,
                             last_used=last_used, instance_profile=instance_profile, instance_profile_id=profile_id,
                             create_date=created, unique_id=role_id)

    # -- filler statements (realistic, never about roles) -----------------------
    def s3_statement(self, app: str, write: bool = False) -> dict:
        actions = ["s3:GetObject", "s3:ListBucket"] + (["s3:PutObject", "s3:DeleteObject"] if write else [])
        bucket = f"arn:aws:s3:::{self.bucket}-{app}"
        return _allow(actions, [bucket, bucket + "/*"], sid=f"{app.capitalize()}Bucket")

    def logs_statement(self, app: str) -> dict:
        return _allow(["logs:CreateLogStream", "logs:PutLogEvents"],
                      f"arn:aws:logs:*:{self.id}:log-group:/{app}/*", sid="Logs")

    # -- build --------------------------------------------------------------------
    def build(self) -> dict:
        plan, rng = self.plan, self.rng
        acct = self.id
        apps = rng.sample(APPS, rng.randint(7, 8))

        # customer managed policies shared by several principals of the account
        developer_access = self.customer_policy(
            "DeveloperAccess",
            _allow(["lambda:*", "dynamodb:*", "sqs:*", "sns:*", "logs:*", "cloudwatch:*", "xray:*", "ec2:Describe*"],
                   "*", sid="Serverless"),
            _allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                   [f"arn:aws:s3:::{self.bucket}-*", f"arn:aws:s3:::{self.bucket}-*/*"], sid="AppBuckets"),
            _allow("sts:AssumeRole", f"arn:aws:iam::{acct}:role/*-readonly", sid="ReadOnlyRoles"),
        )
        developer_boundary = self.customer_policy(
            "DeveloperBoundary",
            _allow(["s3:*", "dynamodb:*", "lambda:*", "logs:*", "sqs:*", "sns:*", "cloudwatch:*", "xray:*",
                    "ec2:Describe*", "kms:Decrypt"], "*", sid="Workloads"),
            _allow("sts:AssumeRole", [f"arn:aws:iam::{acct}:role/*-readonly", f"arn:aws:iam::{acct}:role/*-data-access"],
                   sid="AssumeLimited"),
            _deny(["iam:*", "organizations:*", "account:*"], "*", sid="NoIdentityChanges"),
            path="/boundaries/",
        )
        user_boundary = self.customer_policy(
            "UserBoundary",
            {"Sid": "EverythingButIdentity", "Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
             "Resource": "*"},
            _allow(["iam:Get*", "iam:List*", "iam:ChangePassword", "iam:*MFADevice*"], "*", sid="SelfService"),
            _allow("iam:PassRole", f"arn:aws:iam::{acct}:role/EC2-roles-for-*",
                   {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}, sid="PassInstanceRoles"),
            _deny("sts:AssumeRole", f"arn:aws:iam::*:role/breakglass/*", sid="NoBreakGlass"),
            path="/boundaries/",
        )
        ci_base = self.customer_policy(
            "CIDeployBase",
            _allow(["cloudformation:*", "autoscaling:*", "elasticloadbalancing:*", "ec2:RunInstances",
                    "ec2:CreateTags", "ec2:Describe*", "ssm:GetParameter*", "ecr:*", "ecs:UpdateService",
                    "ecs:RegisterTaskDefinition", "lambda:UpdateFunctionCode"], "*", sid="Deploy"),
        )
        artifacts = {app: self.customer_policy(f"app-{app}-artifacts", self.s3_statement(app, write=True))
                     for app in apps}

        self._groups(developer_access)
        self._users(apps, user_boundary)
        self._base_roles(developer_access, developer_boundary)
        for position, app in enumerate(apps):
            self._app_roles(app, artifacts[app], ci_base, developer_boundary if position == 0 else None)
        self._special_roles()

        in_use = self.iam.policies_in_use()
        for name, entry in AWS_MANAGED.items():  # the AWS managed policies in use, then the account's own
            if entry["arn"] in in_use:
                self.iam.managed_policy(name, *entry["statements"], path=entry["path"], aws_managed=True,
                                        unique_id=entry["id"], create_date=entry["created"],
                                        version_dates=(entry["updated"],))
        for name, path, statements in self.customer:
            created, policy_id = self.date(), self.uid("ANPA")
            self.iam.managed_policy(name, *statements, path=path, create_date=created, unique_id=policy_id)
        self.iam.extra["SAMLProviderList"] = [{"Arn": self.saml_provider, "CreateDate": self.meta["joined"],
                                               "Tags": [], "ValidUntil": "2120-01-01T00:00:00Z"}]
        self.iam.extra["OpenIDConnectProviderList"] = [] if acct != plan.ci else [{
            "Arn": f"arn:aws:iam::{acct}:oidc-provider/{GITHUB_OIDC}", "ClientIDList": ["sts.amazonaws.com"],
            "CreateDate": self.meta["joined"], "Tags": [],
            "ThumbprintList": ["6938fd4d98bab03faadb97b34396831e3780aea1"], "Url": GITHUB_OIDC,
        }]
        return self.iam.to_json()

    def _groups(self, developer_access: str) -> None:
        plan, acct = self.plan, self.id
        admins = [_allow("sts:AssumeRole", f"arn:aws:iam::{acct}:role/breakglass/*", sid="BreakGlass")]
        if acct == plan.management:
            admins.append(_allow("sts:AssumeRole", "arn:aws:iam::*:role/OrganizationAccountAccessRole",
                                 sid="MemberAccounts"))
        self.group("Admins", _doc(*admins), ("arn:aws:iam::aws:policy/AdministratorAccess",))
        self.group("Developers", _doc(
            _allow("sts:AssumeRole", f"arn:aws:iam::{acct}:role/*-readonly", sid="AppReadOnly"),
            _allow(["codecommit:GitPull", "codecommit:GitPush", "codebuild:StartBuild"], "*", sid="Code"),
        ), (developer_access,))
        operators = [
            _allow("sts:AssumeRole", f"arn:aws:iam::{acct}:role/app/*", sid="Operate"),
            _allow(["ssm:StartSession", "ec2:RebootInstances", "ec2:StopInstances", "ec2:StartInstances"], "*",
                   sid="Instances"),
        ]
        if plan.inbound[acct]:
            operators.append(_allow("sts:AssumeRole", [f"arn:aws:iam::{a}:role/xacct-*" for a in plan.inbound[acct]],
                                    sid="PartnerAccounts"))
        self.group("Operators", _doc(*operators), (_aws_arn("ReadOnlyAccess"),))
        self.group("ReadOnly", None, (_aws_arn("ReadOnlyAccess"),))
        self.group("DataEngineers", _doc(
            _allow(["athena:*", "glue:*", "s3:GetObject", "s3:ListBucket"], "*", sid="Analytics"),
            _allow("sts:AssumeRole", f"arn:aws:iam::{acct}:role/*-data-access", sid="DataRoles"),
        ))
        auditors = [_allow(["cloudtrail:LookupEvents", "config:Get*"], "*", sid="Evidence")]
        if acct == plan.security:
            auditors.append(_allow("sts:AssumeRole", f"arn:aws:iam::{acct}:role/security/*", sid="SecurityRoles"))
        self.group("Auditors", _doc(*auditors), (_aws_arn("SecurityAudit"),))
        self.group("Billing", None, (_aws_arn("Billing"),))
        self.group("Contractors", _doc(
            _allow(["lambda:Get*", "lambda:List*", "logs:Get*", "logs:FilterLogEvents"], "*", sid="Debug"),
            _allow("sts:AssumeRole", f"arn:aws:iam::{acct}:role/*-readonly", sid="AppReadOnly"),
        ))
        if acct == plan.identity:
            self.group("HubPlatform", _doc(_allow("sts:AssumeRole", plan.hub_role("PlatformEngineer"), sid="Hub")),
                       path="/hub/")
            self.group("HubDevelopers", _doc(_allow("sts:AssumeRole", plan.hub_role("Developer"), sid="Hub")),
                       path="/hub/")

    def _users(self, apps: list[str], user_boundary: str) -> None:
        plan, rng, acct = self.plan, self.rng, self.id
        names: list[str] = []
        humans = rng.randint(24, 30)
        while len(names) < humans:
            name = f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}"
            if name not in names:
                names.append(name)
        group_names = [g for g, _ in _PRIMARY_GROUPS]
        weights = [w for _, w in _PRIMARY_GROUPS]
        for position, name in enumerate(names):
            primary = "Admins" if position == 0 else rng.choices(group_names, weights)[0]
            groups = [primary]
            if rng.random() < 0.3:
                extra = rng.choice(("ReadOnly", "DataEngineers", "Billing", "Developers"))
                if extra not in groups:
                    groups.append(extra)
            if acct == plan.identity:
                groups.append("HubPlatform" if primary in ("Admins", "Operators") or position == 1 else "HubDevelopers")
            tags = {"team": rng.choice(TEAMS)}
            if primary == "Admins" or rng.random() < 0.3:
                tags["clearance"] = "high" if primary == "Admins" and rng.random() < 0.8 else rng.choice(("standard", "low"))
            if rng.random() < 0.4:
                tags["cost-center"] = f"cc-{rng.randrange(1000, 9999)}"
            inline = None
            managed: tuple[str, ...] = ()
            roll = rng.random()
            if roll < 0.08:
                app = rng.choice(apps)
                inline = _doc(self.s3_statement(app, write=True),
                              _allow("sts:AssumeRole", self.role_arn(f"{app}-data-access"), sid="DataAccess"))
            elif roll < 0.14:
                inline = _doc(_allow(["ec2:Describe*", "cloudwatch:GetMetricData"], "*", sid="Dashboards"))
            elif roll < 0.18:
                managed = (_aws_arn("ViewOnlyAccess"),)
            boundary = user_boundary if primary == "Contractors" or rng.random() < 0.05 else None
            self.user(name, groups, inline, managed, boundary, tags)
        for app in rng.sample(apps, rng.randint(2, 4)):  # service users of old pipelines
            self.user(f"svc-{app}", [], _doc(
                self.s3_statement(app, write=True),
                _allow(["ec2:RunInstances", "ec2:CreateTags", "ec2:Describe*"], "*", sid="Launch"),
                _allow("iam:PassRole", f"arn:aws:iam::{acct}:role/EC2-roles-for-{app}-*",
                       {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}, sid="PassInstanceRole"),
            ), boundary=user_boundary, tags={"owner": rng.choice(TEAMS), "created-by": "terraform"}, path="/service/")

    def _base_roles(self, developer_access: str, developer_boundary: str) -> None:
        plan, rng, acct = self.plan, self.rng, self.id
        if acct != plan.management:
            self.role("OrganizationAccountAccessRole", _trust({"AWS": f"arn:aws:iam::{plan.management}:root"}),
                      managed=(_aws_arn("AdministratorAccess"),))

        # IAM Identity Center
        self.saml_provider = f"arn:aws:iam::{acct}:saml-provider/AWSSSO_{plan.sso_instance}_DO_NOT_DELETE"
        sso_trust = _trust({"Federated": self.saml_provider}, ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                           {"StringEquals": {"SAML:aud": SAML_AUD}})
        sets = ["AdministratorAccess", "ReadOnlyAccess"] + sorted(rng.sample(_OPTIONAL_PERMISSION_SETS, rng.randint(3, 6)))
        region = REGIONS[rng.randrange(len(REGIONS))]
        for permission_set in sets:
            managed, inline = _PERMISSION_SETS[permission_set]
            self.role(f"AWSReservedSSO_{permission_set}_{rng.getrandbits(64):016x}", sso_trust,
                      path=f"/aws-reserved/sso.amazonaws.com/{region}/" if rng.random() < 0.5
                      else "/aws-reserved/sso.amazonaws.com/",
                      inline=[("AwsSSOInlinePolicy", inline)] if inline else None,
                      managed=tuple(_aws_arn(m) for m in managed), max_session=43200,
                      description="Created by AWS SSO for the permission set " + permission_set)

        # chain hop 2: platform roles trusting the identity account's hub roles by exact ARN
        self.role("PlatformAdmin", _trust({"AWS": plan.hub_role("PlatformEngineer")}, sid="FromHub"),
                  path="/platform/", managed=(_aws_arn("ReadOnlyAccess"),),
                  inline=[("OperateApps", _doc(
                      _allow("sts:AssumeRole", f"arn:aws:iam::{acct}:role/app/*", sid="AppOperators"),
                      _allow(["ssm:*", "ec2:StartInstances", "ec2:StopInstances"], "*", sid="Operate")))],
                  tags={"managed-by": "platform"})
        self.role("DeveloperAccess", _trust({"AWS": plan.hub_role("Developer")}, sid="FromHub"),
                  path="/platform/", managed=(developer_access,), boundary=developer_boundary,
                  tags={"managed-by": "platform"})

        # org-wide roles: "*" narrowed to the organization and the security account's roles
        security_prefix = f"arn:aws:iam::{plan.security}:role/security/"
        self.role("OrgSecurityAudit", _trust("*", condition={
            "StringEquals": {"aws:PrincipalOrgID": plan.org_id},
            "ArnLike": {"aws:PrincipalArn": security_prefix + "audit-*"}}, sid="SecurityAccountAudit"),
            managed=(_aws_arn("SecurityAudit"), _aws_arn("ReadOnlyAccess")), tags={"managed-by": "security"})
        self.role("OrgIncidentResponse", _trust("*", condition={
            "StringEquals": {"aws:PrincipalOrgID": plan.org_id},
            "ArnLike": {"aws:PrincipalArn": security_prefix + "incident-*"},
            "Bool": {"aws:MultiFactorAuthPresent": "true"}}, sid="SecurityAccountResponders"),
            managed=(_aws_arn("AdministratorAccess"),), tags={"managed-by": "security"})

        # break glass: MFA and a clearance tag
        self.role("BreakGlassAdmin", _trust({"AWS": f"arn:aws:iam::{acct}:root"}, condition={
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
            "StringEquals": {"aws:PrincipalTag/clearance": "high"}}, sid="ClearedAdminsWithMFA"),
            path="/breakglass/", managed=(_aws_arn("AdministratorAccess"),), max_session=3600)

        # cross-account roles trusting partner accounts' roots
        partners = plan.partners[acct]
        if partners:
            # conditions cycle through ExternalId, MFA and none, starting with ExternalId in every other account
            start = self.meta["index"] % 2
            for position, purpose in enumerate(rng.sample(XACCT_PURPOSES, rng.randint(2, 4))):
                trusted = [f"arn:aws:iam::{p}:root" for p in partners if rng.random() < 0.7] or \
                          [f"arn:aws:iam::{partners[0]}:root"]
                variant = (start + position) % 3
                condition = ({"StringEquals": {"sts:ExternalId": f"{purpose}-{rng.getrandbits(48):012x}"}}
                             if variant == 0 else _MFA if variant == 1 else None)
                self.role(f"xacct-{purpose}", _trust({"AWS": trusted[0] if len(trusted) == 1 else trusted},
                                                     condition=condition, sid="Partners"),
                          managed=(_aws_arn("ReadOnlyAccess"),) if purpose != "backup" else (),
                          inline=[(f"{purpose}-access", _doc(_allow(["s3:GetObject", "s3:ListBucket"],
                                                                    [f"arn:aws:s3:::{self.bucket}-{purpose}",
                                                                     f"arn:aws:s3:::{self.bucket}-{purpose}/*"])))],
                          tags={"purpose": purpose})
        if rng.random() < 0.3:  # a vendor outside the organization, with an ExternalId
            vendor = rng.choice(VENDORS)
            self.role(f"vendor-{vendor}-integration",
                      _trust({"AWS": f"arn:aws:iam::{plan.vendors[vendor]}:root"},
                             condition={"StringEquals": {"sts:ExternalId": f"{rng.getrandbits(96):024x}"}}),
                      managed=(_aws_arn("SecurityAudit"),), tags={"vendor": vendor})

        # service-linked roles
        linked = [("support", "AWSServiceRoleForSupport", "AWSSupportServiceRolePolicy")]
        if rng.random() < 0.7:
            linked.append(("autoscaling", "AWSServiceRoleForAutoScaling", "AutoScalingServiceRolePolicy"))
        if rng.random() < 0.3:
            linked.append(("ecs", "AWSServiceRoleForECS", "AmazonECSServiceRolePolicy"))
        if rng.random() < 0.2:
            linked.append(("trustedadvisor", "AWSServiceRoleForTrustedAdvisor", "AWSTrustedAdvisorServiceRolePolicy"))
        for service, name, policy in linked:
            self.role(name, _trust({"Service": f"{service}.amazonaws.com"}),
                      path=f"/aws-service-role/{service}.amazonaws.com/", managed=(_aws_arn(policy),),
                      description=f"Service-linked role for {service}")

    def _app_roles(self, app: str, artifacts: str, ci_base: str, boundary: str | None) -> None:
        rng, acct = self.rng, self.id
        team = rng.choice(TEAMS)
        tags = {"app": app, "team": team, "env": self.meta["env"]}
        base = (self.s3_statement(app), self.logs_statement(app))
        for tier in ("web", "worker"):
            self.role(f"EC2-roles-for-{app}-{tier}", _TRUST_EC2, managed=(_aws_arn("AmazonSSMManagedInstanceCore"), artifacts),
                      inline=[("runtime", _doc(*base, _allow(["sqs:SendMessage", "sqs:ReceiveMessage"],
                                                              f"arn:aws:sqs:*:{acct}:{app}-*", sid="Queues")))],
                      tags=tags, instance_profile=True)
        for fn in rng.sample(FUNCTIONS, rng.randint(2, 4)):
            self.role(f"{app}-{fn}-lambda", _TRUST_LAMBDA, path="/service-role/",
                      managed=(_aws_arn("AWSLambdaBasicExecutionRole"),), boundary=boundary,
                      inline=[("function", _doc(base[0], _allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
                                                                f"arn:aws:dynamodb:*:{acct}:table/{app}-*", sid="Table")))],
                      tags=tags)
        task = self.role(f"{app}-ecs-task", _TRUST_ECS, inline=[("task", _doc(
            *base, _allow("sts:AssumeRole", self.role_arn(f"{app}-data-access"), sid="DataAccess")))], tags=tags)
        self.role(f"{app}-ecs-execution", _TRUST_ECS, managed=(_aws_arn("AmazonECSTaskExecutionRolePolicy"),), tags=tags)
        # CI deploy role: the CI account's runner role, by exact ARN; may pass only the app's instance roles to EC2
        self.role(f"ci-deploy-{app}", _trust({"AWS": self.plan.ci_runner()}, sid="CIRunner"),
                  managed=(ci_base, artifacts), tags=tags, inline=[("pass-roles", _doc(
                      _allow("iam:PassRole", f"arn:aws:iam::{acct}:role/EC2-roles-for-{app}-*",
                             {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}, sid="PassInstanceRoles"),
                      _allow("iam:PassRole", f"arn:aws:iam::{acct}:role/service-role/{app}-*",
                             {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}, sid="PassFunctionRoles"),
                  ))])
        # chain hop 3: operators, reached from platform/PlatformAdmin or the Operators group
        self.role(f"{app}-operator", [
            _trust({"AWS": self.role_arn("PlatformAdmin", "/platform/")}, sid="Platform"),
            _trust({"AWS": f"arn:aws:iam::{acct}:root"}, sid="Operators")],
            path="/app/", managed=(_aws_arn("ReadOnlyAccess"),), tags=tags, inline=[("operate", _doc(
                _allow(["ssm:StartSession", "ssm:SendCommand", "ec2:RebootInstances", "autoscaling:SetDesiredCapacity"],
                       "*", sid="Operate"),
                _allow("iam:PassRole", f"arn:aws:iam::{acct}:role/EC2-roles-for-{app}-*",
                       {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}, sid="Relaunch")))])
        self.role(f"{app}-readonly", _trust({"AWS": f"arn:aws:iam::{acct}:root"}),
                  managed=(_aws_arn("ReadOnlyAccess"),), tags=tags)
        data_trust = [_trust({"AWS": f"arn:aws:iam::{acct}:root"}, sid="Analysts"),
                      _trust({"AWS": task}, sid="Service")]
        if rng.random() < 0.25:
            data_trust[0]["Condition"] = _MFA
        self.role(f"{app}-data-access", data_trust, tags=tags, inline=[("data", _doc(
            self.s3_statement(app, write=True),
            _allow(["athena:StartQueryExecution", "athena:GetQueryResults", "glue:GetTable"], "*", sid="Query")))])

    def _special_roles(self) -> None:
        plan, acct = self.plan, self.id
        if acct == plan.identity:  # chain hop 1
            self.role("PlatformEngineer", _trust({"AWS": f"arn:aws:iam::{acct}:root"}, sid="HubUsers"),
                      path="/hub/", max_session=14400, inline=[("platform-accounts", _doc(
                          _allow("sts:AssumeRole", "arn:aws:iam::*:role/platform/PlatformAdmin", sid="EveryAccount")))])
            self.role("Developer", _trust({"AWS": f"arn:aws:iam::{acct}:root"}, sid="HubUsers"),
                      path="/hub/", max_session=14400, inline=[("developer-accounts", _doc(
                          _allow("sts:AssumeRole", "arn:aws:iam::*:role/platform/DeveloperAccess", sid="EveryAccount")))])
        if acct == plan.security:
            self.role("audit-scanner", [_trust({"Service": "lambda.amazonaws.com"}),
                                            _trust({"AWS": f"arn:aws:iam::{acct}:root"}, sid="Auditors")],
                      path="/security/", managed=(_aws_arn("SecurityAudit"),), inline=[("org-audit", _doc(
                          _allow("sts:AssumeRole", "arn:aws:iam::*:role/OrgSecurityAudit", sid="EveryAccount")))])
            self.role("incident-responder", _trust({"AWS": f"arn:aws:iam::{acct}:root"}, condition=_MFA),
                      path="/security/", managed=(_aws_arn("ReadOnlyAccess"),), inline=[("org-response", _doc(
                          _allow("sts:AssumeRole", "arn:aws:iam::*:role/OrgIncidentResponse", sid="EveryAccount")))])
        if acct == plan.ci:
            provider = f"arn:aws:iam::{acct}:oidc-provider/{GITHUB_OIDC}"
            self.role("build-runner", _trust({"Federated": provider}, "sts:AssumeRoleWithWebIdentity", {
                "StringEquals": {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com"},
                "StringLike": {f"{GITHUB_OIDC}:sub": f"repo:{plan.company}/*:ref:refs/heads/main"}}),
                path="/ci/", inline=[("deploy-everywhere", _doc(
                    _allow("sts:AssumeRole", "arn:aws:iam::*:role/ci-deploy-*", sid="DeployRoles"),
                    _allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{plan.company}-ci-cache/*", sid="Cache")))])


# -- the organization file ------------------------------------------------------------

def _organization(plan: _Plan) -> Org:
    """The organization: its OUs, its accounts (their organization entries only), SCPs and RCPs."""
    org = Org(plan.org_id, plan.management, plan.root_id, policy_types=(SCP, RCP))
    for ou in plan.ous:
        org.ou(ou["Id"], ou["Name"], ou["ParentId"])
    for a in plan.accounts:
        org.account(a["id"], a["name"], a["parent"], email=f"aws+{a['name']}@{plan.company}.example.com",
                    joined=a["joined"], joined_method=a["method"])
    policy_rng = random.Random(f"graphiam-synth/{plan.seed}/policies")

    def policy_id() -> str:  # drawn in the order the policies are added
        return "p-" + _token(policy_rng, 8)

    org.full_access_everywhere(skip=(plan.ou_sandbox,))  # on Sandbox an allow-list replaces it
    org.full_access_everywhere(scp=False, rcp=True)
    sandbox_allowed = ["ec2:*", "s3:*", "lambda:*", "dynamodb:*", "logs:*", "cloudwatch:*", "sqs:*", "sns:*",
                       "ecr:*", "ecs:*", "cloudformation:*", "iam:Get*", "iam:List*", "iam:PassRole",
                       "iam:CreateServiceLinkedRole", "sts:AssumeRole", "sts:GetCallerIdentity", "sts:TagSession"]
    org.scp("Guardrails",
            _deny(["organizations:LeaveOrganization", "account:CloseAccount"], "*", sid="StayInOrganization"),
            _deny(["iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:AttachRolePolicy"],
                  ["arn:aws:iam::*:role/OrgSecurityAudit", "arn:aws:iam::*:role/OrgIncidentResponse",
                   "arn:aws:iam::*:role/OrganizationAccountAccessRole"],
                  {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}},
                  sid="ProtectOrgRoles"),
            targets=[plan.root_id], description="Organization-wide guardrails", policy_id=policy_id())
    org.scp("DenyNonProdIntoProd",
            _deny("sts:AssumeRole", "*", {"ForAnyValue:StringLike": {"aws:ResourceOrgPaths": [plan.prod_org_path()]}},
                  sid="NoAssumeIntoProd"),
            targets=[plan.ou_nonprod], description="Non-production principals cannot assume roles in production accounts",
            policy_id=policy_id())
    org.scp("SandboxAllowList", _allow(sandbox_allowed, "*", sid="AllowListedServices"),
            targets=[plan.ou_sandbox], description="Sandbox accounts may use only these services", policy_id=policy_id())
    org.rcp("DenyAssumeRoleFromOutsideOrg", {
        "Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": plan.org_id,
                                                  "aws:PrincipalAccount": sorted(plan.vendors.values())},
                      "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}},
        targets=[plan.root_id], description="Only principals of the organization (and listed vendors) may assume roles",
        policy_id=policy_id())
    return org


# -- public API --------------------------------------------------------------------------

def _check_accounts(accounts: Any) -> int:
    if isinstance(accounts, bool) or not isinstance(accounts, int):
        raise SynthError(f"--accounts must be a whole number, got {accounts!r}")
    if accounts < 1:
        raise SynthError(f"--accounts must be at least 1, got {accounts}")
    return accounts


def synthetic_org_data(accounts: int, seed: int) -> Iterator[tuple[str, dict]]:
    """``(relative path, JSON data)`` of every file: ``organization.json`` first, then ``accounts/<id>.json``.

    Accounts are built one at a time, so a large organization is never held in memory whole.
    """
    return _files(_Plan(_check_accounts(accounts), int(seed)))


def _files(plan: _Plan) -> Iterator[tuple[str, dict]]:
    # the organization file needs no account's IAM; each account's IAM is built, yielded and dropped in turn
    yield "organization.json", _organization(plan).organization_json()
    for meta in plan.accounts:
        yield f"accounts/{meta['id']}.json", _Account(plan, meta).build()


def _encode(data: dict) -> bytes:
    return (json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n").encode("ascii")


def write_synthetic_org(output_dir: str | os.PathLike[str], accounts: int, seed: int) -> SynthSummary:
    """Write the organization for ``(accounts, seed)`` under ``output_dir`` and say what was written.

    The folder is created if needed. Files of an earlier run with the same
    account ids are overwritten; any other ``.json`` file in the folder is an
    error (loading the folder would mix it into the snapshot).
    """
    started = time.perf_counter()
    _check_accounts(accounts)
    out = Path(output_dir)
    if out.exists() and not out.is_dir():
        raise SynthError(f"{out}: exists and is not a folder")
    plan = _Plan(accounts, int(seed))
    wanted = {out / "organization.json"} | {out / "accounts" / f"{a}.json" for a in plan.ids}
    if out.is_dir():
        strays = sorted(p for p in out.rglob("*.json") if p not in wanted)
        if strays:
            raise SynthError(f"{out}: holds {len(strays)} other .json file(s), e.g. {strays[0]}, that would be "
                             "loaded with the synthetic organization; use an empty folder")
    try:
        (out / "accounts").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SynthError(f"{out}: cannot create the folder ({error.strerror or error})") from None
    users = roles = groups = policies = files = size = 0
    for relative, data in _files(plan):
        payload = _encode(data)
        target = out / relative
        try:
            with open(target, "wb") as handle:
                handle.write(payload)
        except OSError as error:
            raise SynthError(f"{target}: cannot be written ({error.strerror or error})") from None
        files += 1
        size += len(payload)
        if relative.startswith("accounts/"):
            users += len(data["UserDetailList"])
            roles += len(data["RoleDetailList"])
            groups += len(data["GroupDetailList"])
            policies += len(data["Policies"])
    return SynthSummary(output_dir=str(out), accounts=accounts, users=users, roles=roles, groups=groups,
                        managed_policies=policies, files=files, bytes=size,
                        seconds=round(time.perf_counter() - started, 3))


def run_cli(args: argparse.Namespace) -> int:
    """``graphiam synth``: write the organization, print one line (or ``--json``); 2 on bad arguments."""
    try:
        summary = write_synthetic_org(args.output, args.accounts, args.seed)
    except SynthError as error:
        print(f"graphiam: error: {error}", file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps(summary.to_dict(), sort_keys=True))
    else:
        print(summary.to_line())
    return 0
