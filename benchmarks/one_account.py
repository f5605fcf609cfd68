"""One account with 500 users and 500 roles: the build time PMapper's checkers are compared on.

    python benchmarks/one_account.py [--users 500] [--roles 500] [--seed 1] [--runs 5] [--shape default|pmapper]

``--shape default`` (the default): users get, at random: an Allow for sts:AssumeRole on one named role (30%), on
``role/app-*`` (10%), AdministratorAccess-like ``*`` (5%), or only s3 reads.
Roles trust the account (50%), one named user (30%) or ec2.amazonaws.com
(20%).

``--shape pmapper``: the PassRole-heavy account of PMapper's kind that
``benchmarks/pmapper_compare.py`` seeds into moto for graphiam and PMapper 1.1.5
alike (see :func:`pmapper_account_file`): service roles (EC2 with instance
profiles, Lambda, CloudFormation, CodeBuild, SageMaker) passed by developers
and by deployer roles, jump users and account-trusted roles, a few
administrators, inline policies only.

Prints the median of several builds (no cache) and the edge count; each build
starts after a full collection, with the previous graph freed.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graphiam.graph.build import GraphBuilder  # noqa: E402
from graphiam.snapshot.read import snapshot_from_data  # noqa: E402

ACCOUNT = "222222222222"


def document(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def account_file(users: int, roles: int, seed: int) -> dict:
    rng = random.Random(seed)
    role_names = [f"app-role{i}" if i % 2 == 0 else f"role{i}" for i in range(roles)]
    user_list, role_list = [], []
    for i in range(users):
        draw = rng.random()
        if draw < 0.3:
            statement = {"Effect": "Allow", "Action": "sts:AssumeRole",
                         "Resource": f"arn:aws:iam::{ACCOUNT}:role/{rng.choice(role_names)}"}
        elif draw < 0.4:
            statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/app-*"}
        elif draw < 0.45:
            statement = {"Effect": "Allow", "Action": "*", "Resource": "*"}
        else:
            statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
        user_list.append({"UserName": f"user{i}", "UserId": f"AIDA{i:017d}", "Path": "/",
                          "Arn": f"arn:aws:iam::{ACCOUNT}:user/user{i}",
                          "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": document(statement)}]})
    for i, name in enumerate(role_names):
        draw = rng.random()
        if draw < 0.5:
            principal = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
        elif draw < 0.8:
            principal = {"AWS": f"arn:aws:iam::{ACCOUNT}:user/user{rng.randrange(users)}"}
        else:
            principal = {"Service": "ec2.amazonaws.com"}
        role_list.append({"RoleName": name, "RoleId": f"AROA{i:017d}", "Path": "/",
                          "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
                          "AssumeRolePolicyDocument": document({"Effect": "Allow", "Principal": principal,
                                                                "Action": "sts:AssumeRole"}),
                          "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": document(
                              {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})}]})
    return {"UserDetailList": user_list, "GroupDetailList": [], "RoleDetailList": role_list, "Policies": []}


# --- the PassRole-heavy shape of benchmarks/pmapper_compare.py ------------------------------------------

#: services whose roles are passed, with the actions that make the pass useful (one of PMapper's nine checkers
#: looks at each: ec2 also for SSM and Auto Scaling), and the share of service roles that trust each
PASS_SERVICES = {
    "ec2": (0.35, ["ec2:RunInstances", "ec2:DescribeInstances"]),
    "lambda": (0.20, ["lambda:CreateFunction", "lambda:InvokeFunction", "lambda:UpdateFunctionCode"]),
    "cloudformation": (0.15, ["cloudformation:CreateStack", "cloudformation:UpdateStack"]),
    "codebuild": (0.15, ["codebuild:CreateProject", "codebuild:StartBuild"]),
    "sagemaker": (0.15, ["sagemaker:CreateNotebookInstance", "sagemaker:CreateTrainingJob"]),
}

#: the permissions of an EC2 instance role managed by SSM (the shape of AmazonEC2RoleforSSM)
SSM_INSTANCE_ACTIONS = ["ssm:DescribeAssociation", "ssm:GetDocument", "ssm:ListAssociations",
                        "ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel",
                        "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel",
                        "ssmmessages:OpenDataChannel", "ec2messages:GetMessages", "ec2messages:SendReply",
                        "cloudwatch:PutMetricData", "logs:CreateLogStream", "logs:PutLogEvents",
                        "s3:GetObject", "s3:PutObject"]


def _pick(rng: random.Random, table: list[tuple[float, str]]) -> str:
    draw, total = rng.random(), 0.0
    for share, name in table:
        total += share
        if draw < total:
            return name
    return table[-1][1]


def pmapper_account_file(users: int, roles: int, seed: int, account: str = ACCOUNT) -> dict:
    """One account of PMapper's kind, PassRole-heavy, as ``get-account-authorization-details`` gives it.

    The kinds of principal are those of PMapper's own test graphs (an admin, jump users allowed
    ``sts:AssumeRole`` on ``*``, EC2 roles with an instance profile and SSM permissions, S3 roles trusting
    the account as ``:root`` or as the bare account id, a role trusting another account, names with a
    path), scaled up, plus many principals that can pass roles to services:

    roles: 60% service roles (``ec2-role-N`` 35% of them, 80% of those in an instance profile;
    ``lambda-role-N``, ``cloudformation-role-N``, ``codebuild-role-N``, ``sagemaker-role-N``), 25%
    ``app-role-N`` trusting the account, 10% ``user-role-N`` trusting one user, 5% ``partner-role-N``
    trusting 999999999999; 15% of the roles are deployers that may also pass the roles of one service
    (``role/SERVICE-role-*``) and use it, 2% are administrators.

    users: 2% administrators, 8% jump users (``sts:AssumeRole`` on ``*``), 10% allowed to assume one
    named role or ``role/app-role-*``, 45% developers allowed ``iam:PassRole`` (on one named service role
    40%, on ``role/SERVICE-role-*`` 40%, on ``*`` 20%; a fifth of them with ``iam:PassedToService``) and
    the actions of one or two services, 5% with IAM write access (``iam:CreateAccessKey`` on
    ``user/*`` or ``iam:UpdateAssumeRolePolicy`` on ``role/app-role-*``), 5% with ``ssm:SendCommand`` and
    ``ssm:StartSession``, the rest S3 readers; 10% of users and roles have the path ``/team/``.
    Inline policies only (moto drops customer managed policy names, see pmapper_compare.py).
    """
    rng = random.Random(seed)
    service_table = [(share, service) for service, (share, _) in PASS_SERVICES.items()]
    role_kinds = [_pick(rng, [(0.60, "service"), (0.25, "app"), (0.10, "user"), (0.05, "partner")])
                  for _ in range(roles)]
    role_services = [_pick(rng, service_table) if kind == "service" else "" for kind in role_kinds]
    role_names = [f"{service}-role-{i}" if kind == "service" else f"{kind}-role-{i}"
                  for i, (kind, service) in enumerate(zip(role_kinds, role_services))]
    role_paths = ["/team/" if rng.random() < 0.1 else "/" for _ in range(roles)]
    role_arns = [f"arn:aws:iam::{account}:role{path}{name}" for path, name in zip(role_paths, role_names)]
    service_role_arns = {service: [arn for arn, s in zip(role_arns, role_services) if s == service]
                         for service in PASS_SERVICES}
    user_paths = ["/team/" if rng.random() < 0.1 else "/" for _ in range(users)]
    user_arns = [f"arn:aws:iam::{account}:user{path}user{i}" for i, path in enumerate(user_paths)]

    def pass_statements(service: str, conditioned: bool) -> list[dict]:
        draw = rng.random()
        if draw < 0.4 and service_role_arns[service]:
            resource = rng.choice(service_role_arns[service])
        elif draw < 0.8:
            resource = f"arn:aws:iam::{account}:role/{service}-role-*"
        else:
            resource = "*"
        passing = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": resource}
        if conditioned:
            passing["Condition"] = {"StringEquals": {"iam:PassedToService": f"{service}.amazonaws.com"}}
        return [passing, {"Effect": "Allow", "Action": list(PASS_SERVICES[service][1]), "Resource": "*"}]

    user_list = []
    for i in range(users):
        kind = _pick(rng, [(0.02, "admin"), (0.08, "jump"), (0.10, "assume"), (0.45, "developer"),
                           (0.05, "iam"), (0.05, "ssm"), (0.25, "reader")])
        if kind == "admin":
            statements = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
        elif kind == "jump":
            statements = [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]
        elif kind == "assume":
            resource = (rng.choice(role_arns) if rng.random() < 0.7
                        else f"arn:aws:iam::{account}:role/app-role-*")
            statements = [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": resource}]
        elif kind == "developer":
            statements = []
            for service in rng.sample(list(PASS_SERVICES), 2 if rng.random() < 0.3 else 1):
                statements += pass_statements(service, rng.random() < 0.2)
        elif kind == "iam":
            statements = [{"Effect": "Allow", "Action": "iam:CreateAccessKey",
                           "Resource": f"arn:aws:iam::{account}:user/*"} if rng.random() < 0.5 else
                          {"Effect": "Allow", "Action": "iam:UpdateAssumeRolePolicy",
                           "Resource": f"arn:aws:iam::{account}:role/app-role-*"}]
        elif kind == "ssm":
            statements = [{"Effect": "Allow", "Action": ["ssm:SendCommand", "ssm:StartSession"], "Resource": "*"}]
        else:
            statements = [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]
        user_list.append({"UserName": f"user{i}", "UserId": f"AIDA{i:017d}", "Path": user_paths[i],
                          "Arn": user_arns[i], "GroupList": [], "AttachedManagedPolicies": [],
                          "UserPolicyList": [{"PolicyName": f"{kind}-policy", "PolicyDocument": document(*statements)}]})

    role_list = []
    for i, (kind, service, name, path, arn) in enumerate(zip(role_kinds, role_services, role_names,
                                                               role_paths, role_arns)):
        profiles = []
        if kind == "service":
            principal: dict = {"Service": f"{service}.amazonaws.com"}
            statements = ([{"Effect": "Allow", "Action": SSM_INSTANCE_ACTIONS, "Resource": "*"}] if service == "ec2"
                          else [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
            if service == "ec2" and rng.random() < 0.8:
                profiles = [{"InstanceProfileName": name, "Path": path, "InstanceProfileId": f"AIPA{i:017d}",
                             "Arn": f"arn:aws:iam::{account}:instance-profile{path}{name}", "Roles": []}]
        elif kind == "app":
            principal = {"AWS": f"arn:aws:iam::{account}:root" if rng.random() < 0.5 else account}
            statements = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
        elif kind == "user":
            principal = {"AWS": rng.choice(user_arns)}
            statements = [{"Effect": "Allow", "Action": ["s3:*", "dynamodb:*"], "Resource": "*"}]
        else:
            principal = {"AWS": "999999999999"}
            statements = [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]
        draw = rng.random()
        if draw < 0.02:
            statements = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
        elif draw < 0.17:  # a deployer: passes the roles of one service and uses it
            deployed = rng.choice(list(PASS_SERVICES))
            statements = statements + [
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{account}:role/{deployed}-role-*"},
                {"Effect": "Allow", "Action": list(PASS_SERVICES[deployed][1]), "Resource": "*"}]
        role_list.append({"RoleName": name, "RoleId": f"AROA{i:017d}", "Path": path, "Arn": arn,
                          "AssumeRolePolicyDocument": document({"Effect": "Allow", "Principal": principal,
                                                                "Action": "sts:AssumeRole"}),
                          "InstanceProfileList": profiles, "AttachedManagedPolicies": [],
                          "RolePolicyList": [{"PolicyName": f"{kind}-role-policy",
                                              "PolicyDocument": document(*statements)}]})
    return {"UserDetailList": user_list, "GroupDetailList": [], "RoleDetailList": role_list, "Policies": []}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--roles", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shape", choices=("default", "pmapper"), default="default",
                        help="default: the account described above; pmapper: the PassRole-heavy account "
                             "benchmarks/pmapper_compare.py seeds into moto (no moto here)")
    args = parser.parse_args()
    shape = pmapper_account_file if args.shape == "pmapper" else account_file
    data = shape(args.users, args.roles, args.seed)
    times, edges = [], 0
    for _ in range(args.runs):
        snapshot = snapshot_from_data([("account.json", data)])
        graph = None  # each build starts from the same heap: the last graph freed, no collection pending
        gc.collect()
        started = time.perf_counter()
        graph = GraphBuilder(snapshot).build()
        times.append(time.perf_counter() - started)
        edges = sum(1 for _, _, k in graph.edges(keys=True) if k != "member_of")
    print(f"{args.users} users, {args.roles} roles ({args.shape} shape): build median {statistics.median(times):.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f}) over {args.runs} runs, {edges} edges")
    return 0


if __name__ == "__main__":
    sys.exit(main())
