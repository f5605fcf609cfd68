"""One account with 500 users and 500 roles: the build time PMapper's checkers are compared on.

    python benchmarks/one_account.py [--users 500] [--roles 500] [--seed 1] [--runs 5]

Users get, at random: an Allow for sts:AssumeRole on one named role (30%), on
``role/app-*`` (10%), AdministratorAccess-like ``*`` (5%), or only s3 reads.
Roles trust the account (50%), one named user (30%) or ec2.amazonaws.com
(20%). Prints the median of several builds (no cache) and the edge count;
each build starts after a full collection, with the previous graph freed.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--roles", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = account_file(args.users, args.roles, args.seed)
    times, edges = [], 0
    for _ in range(args.runs):
        snapshot = snapshot_from_data([("account.json", data)])
        graph = None  # each build starts from the same heap: the last graph freed, no collection pending
        gc.collect()
        started = time.perf_counter()
        graph = GraphBuilder(snapshot).build()
        times.append(time.perf_counter() - started)
        edges = sum(1 for _, _, k in graph.edges(keys=True) if k != "member_of")
    print(f"{args.users} users, {args.roles} roles: build median {statistics.median(times):.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f}) over {args.runs} runs, {edges} edges")
    return 0


if __name__ == "__main__":
    sys.exit(main())
