"""Differential testing of graphiam's policy engine against an independent evaluator.

The peer is the open-source npm package ``@cloud-copilot/iam-simulate``
(pinned in ``tests/peer/package.json``, installed with ``npm ci --prefix
tests/peer``), run through node: ``tests/peer/simulate.mjs`` reads a batch of
the package's own ``Simulation`` inputs on stdin and prints one result per
simulation, so a whole batch costs one node process.

What is here, in the order the pieces run:

1. **Scenarios** (:func:`generate`). A scenario is a plain JSON value (so it
   can be printed, shrunk and sent to node): one request, ``assume`` (an IAM
   user, or a role's session, calling ``sts:AssumeRole``) or ``pass`` (the
   same callers passing a role to a service with ``iam:PassRole``), with the
   caller's identity policies (inline, managed, and groups for users), an
   optional permissions boundary, the organization (OU path, SCPs and RCPs per
   level), the target role's trust policy and tags, and the concrete values
   the request carries (``request``: ``aws:MultiFactorAuthPresent``,
   ``sts:ExternalId``, ``aws:SourceIp``, ``sts:RoleSessionName``) plus the
   name of the calling session (``caller.session``). A seeded
   :class:`random.Random` drives it, not hypothesis, so a batch goes to node at
   once.

2. **graphiam's answer** (:func:`graphiam_answer`). The scenario is written
   with the test builders (``tests/builders.py``) and read by the real reader;
   ``PolicyEngine.decide_assume`` / ``decide_pass`` decide it.

   *The request-context glue* (to be replaced by an engine API that takes the
   request's values): graphiam decides from the snapshot alone, so a decision
   on request-time keys is ``CONDITIONAL`` with requirements. To get a final
   allow/deny for the scenario's concrete request, every requirement set the
   decision offers (``decision.requirement_sets`` where the engine has it:
   any one set suffices; else the single ``decision.requirements``) is
   evaluated with :func:`graphiam.policy.conditions.evaluate_conditions` in a
   :class:`ConcreteContext`: the snapshot's keys for the request
   (``graphiam.policy.context.principal_context``), the request's values, and
   ``aws:userid`` (``ROLE_ID:SESSION``) of a calling session; every key counts
   as known, and a key the request lacks is absent. A ``must_hold``
   requirement (from an Allow) needs all its conditions to hold; a
   ``must_not_hold`` one (from a conditional Deny) needs them not all to hold.
   The decision's ``Requirement.layer`` says which request a requirement
   belongs to: for ``pass``, ``trust`` and ``rcp`` requirements are the
   service's AssumeRole of the passed role (no request-time values), the
   other layers the caller's PassRole request. The glue never passes the
   calling session to the engine: a trust that names a session is then a
   requirement, and the glue checks it against that session.

3. **The peer's answer** (:func:`peer_simulations`). The same scenario is
   translated independently into the package's input: the caller's principal
   (a user ARN, or the session ARN ``arn:aws:sts::A:assumed-role/R/S``), its
   identity policies, boundary, the SCPs of each level root -> OU -> account
   of the caller's account, the RCPs of each level of the role's account, the
   trust policy as the resource policy, and every context key the request
   carries, snapshot keys included (the package derives none itself), in
   ``Strict`` mode. ``pass`` is two requests, as AWS makes them: the caller's
   ``iam:PassRole`` on the role (identity side, ``iam:PassedToService`` set,
   no resource policy), then the service principal's ``sts:AssumeRole`` of the
   role (trust policy and the role account's RCPs), which is what graphiam's
   ``decide_pass`` checks with ``decide_service``. Allowed only if both are.

   The package takes deny-only RCPs and adds RCPFullAWSAccess to every
   level it is given, so only an RCP's Deny statements are passed.

   Things the peer does not model, which the generator therefore avoids
   (the translator, not the peer, would be deciding them): the management
   account (exempt from SCPs and RCPs), service-linked roles (likewise),
   unique-id (deleted) principals, and role paths (the peer matches a session
   to a role by the last segment of the role ARN's path). A policy type is
   enabled in the organization file exactly when the scenario has a policy of
   that type, attached or not, and the peer is then given every level; an
   organization with a type enabled and no policy of it is not generated.
   Trust policies hold ``NotPrincipal`` only in Deny statements (IAM no
   longer accepts the Allow form).

4. **Comparison and classes** (:func:`evaluate`, :func:`classify`). Each
   disagreement must fall in a :class:`KnownClass` of :data:`KNOWN_CLASSES`:
   a named predicate with a one-line reason, a verdict (which side the AWS
   documentation supports) and a witness (a minimal scenario of the class).
   Predicates read the scenario and graphiam's decision, and some ask
   graphiam a counterfactual (the same scenario with a boundary that allows
   everything, or with ``"*"`` narrowed to the caller by ``aws:PrincipalArn``:
   does graphiam then agree?). A denial whose blockers have different known
   causes falls in each of their classes. Classes graphiam no longer has are
   kept in :data:`RESOLVED_CLASSES`: a disagreement there is a regression.

5. **Shrinking** (:func:`shrink`): a disagreement is reduced greedily
   (policies, statements, attachments, OU levels, conditions, principals,
   actions, resources, tags, request values) while it disagrees the same way
   and in the same classes, with one node call per round for all candidate
   reductions, and printed by :func:`describe` (:func:`minimal_json` gives
   it as one line; :func:`scenario_from_json` reads that back).
"""

from __future__ import annotations

import copy
import fnmatch
import json
import random
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from builders import Org, allow, deny, statement, trust, trust_service
from graphiam.policy import Outcome, PolicyEngine
from graphiam.policy.conditions import RequestContext, evaluate_conditions
from graphiam.policy.context import principal_context, service_context
from graphiam.snapshot.read import snapshot_from_data

PEER_DIR = Path(__file__).resolve().parent.parent / "peer"
PEER_SCRIPT = PEER_DIR / "simulate.mjs"
PEER_PACKAGE = "@cloud-copilot/iam-simulate"

MANAGEMENT = "111111111111"
HOME = "222222222222"  # the caller's account
OTHER = "333333333333"  # the role's account in cross-account scenarios
ORG_ID = "o-test000001"
OTHER_ORG_ID = "o-other00002"
ROOT = "r-test"
OUS = {"ou-test-aaaaaaaa": ROOT, "ou-test-bbbbbbbb": "ou-test-aaaaaaaa", "ou-test-cccccccc": ROOT}
USER_NAME = "alice"
CALLER_ROLE = "Hub"
TARGET_ROLES = ("Deploy", "ops-app", "Admin")
SESSIONS = ("sess-a", "sess-b")
REQUESTED_SESSION_NAMES = ("sess-a", "deploy-1", "other")
SERVICES = ("ec2.amazonaws.com", "lambda.amazonaws.com")
EXTERNAL_ID = "ext-123"
INSIDE_IP, OUTSIDE_IP = "10.1.2.3", "203.0.113.9"
ROLE_IDS = {CALLER_ROLE: "AROAQHUBQQQQQQQQQQQQ1", **{n: f"AROAQTARGET{i}QQQQQQQQQ"[:21] for i, n in enumerate(TARGET_ROLES)}}
USER_ID = "AIDAQALICEQQQQQQQQQQ1"


# =====================================================================================
# 1. Scenarios
# =====================================================================================

def role_arn(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def caller_arn(scenario: dict) -> str:
    """The caller as IAM names it in policies: the user's or the role's ARN."""
    caller = scenario["caller"]
    kind = "user" if caller["kind"] == "user" else "role"
    return f"arn:aws:iam::{caller['account']}:{kind}/{caller['name']}"


def session_arn(scenario: dict) -> str:
    caller = scenario["caller"]
    return f"arn:aws:sts::{caller['account']}:assumed-role/{caller['name']}/{caller['session']}"


def request_principal(scenario: dict) -> str:
    """Who makes the request: the user, or the role's session."""
    return caller_arn(scenario) if scenario["caller"]["kind"] == "user" else session_arn(scenario)


def target_arn(scenario: dict) -> str:
    return role_arn(scenario["role"]["account"], scenario["role"]["name"])


def is_self(scenario: dict) -> bool:
    """The caller role assuming (or passing) itself."""
    caller, role = scenario["caller"], scenario["role"]
    return caller["kind"] == "role" and caller["account"] == role["account"] and caller["name"] == role["name"]


def level_path(scenario: dict, account: str) -> list[str] | None:
    """Root -> OUs -> account for an account in the organization, else ``None``."""
    org = scenario.get("org")
    if not org or account not in org["parents"]:
        return None
    path = [account]
    parent = org["parents"][account]
    while parent != ROOT:
        path.append(parent)
        parent = org["ous"][parent]
    path.append(ROOT)
    return path[::-1]


def _rcp_statement(effect: str, action: Any, condition: dict | None = None) -> dict:
    """An RCP statement (written out: every RCP statement names ``"Principal": "*"`` and a Resource)."""
    out = {"Effect": effect, "Principal": "*", "Action": action, "Resource": "*"}
    if condition:
        out["Condition"] = condition
    return out


class _Gen:
    """One scenario's random choices; ``self.s`` is the scenario being built."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.s: dict = {}

    # -- small helpers ----------------------------------------------------------------
    def p(self, probability: float) -> bool:
        return self.rng.random() < probability

    def pick(self, options: Sequence[Any], weights: Sequence[float] | None = None) -> Any:
        return self.rng.choices(list(options), weights=weights, k=1)[0]

    @property
    def assume(self) -> bool:
        return self.s["action"] == "assume"

    @property
    def action(self) -> str:
        return "sts:AssumeRole" if self.assume else "iam:PassRole"

    # -- conditions ---------------------------------------------------------------------
    def condition(self, place: str, effect: str) -> dict:
        """A Condition block of one or two keys for a statement in ``place``
        (identity, boundary, trust, scp, rcp, service-trust)."""
        caller = self.s["caller"]
        keys = ["aws:PrincipalTag/team", "aws:ResourceTag/env", "aws:PrincipalArn", "aws:PrincipalAccount",
                "aws:PrincipalOrgID", "aws:MultiFactorAuthPresent", "aws:SourceIp", "tag-match", "tag-mismatch",
                "aws:PrincipalType"]
        if self.assume:
            keys += ["sts:ExternalId", "sts:RoleSessionName"]
        else:
            keys += ["iam:PassedToService", "iam:PassedToService"]
        if place == "service-trust":
            keys = ["aws:ResourceTag/env", "aws:PrincipalServiceName"]
        block: dict[str, dict[str, Any]] = {}
        for key in self.rng.sample(keys, 2 if self.p(0.25) else 1):
            operator, name, values = self._condition_entry(key, effect, caller)
            block.setdefault(operator, {})[name] = values
        return block

    def _condition_entry(self, key: str, effect: str, caller: dict) -> tuple[str, str, Any]:
        allowing = effect == "Allow"
        home = caller["account"]
        if key == "aws:PrincipalTag/team":
            op = self.pick(["StringEquals", "StringEqualsIfExists", "StringNotEquals", "StringLike", "Null"],
                           [4, 1, 2, 1, 1] if allowing else [1, 1, 4, 1, 1])
            return op, key, ("false" if self.p(0.6) else "true") if op == "Null" else self.pick(["ops", "dev", "o*"])
        if key == "aws:ResourceTag/env":
            op = self.pick(["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase"])
            return op, key, self.pick(["prod", "dev", "PROD"])
        if key == "tag-match":
            return "StringEquals", "aws:ResourceTag/team", "${aws:PrincipalTag/team}"
        if key == "tag-mismatch":
            return self.pick(["StringNotEquals", "StringNotEqualsIfExists"]), "aws:ResourceTag/team", "${aws:PrincipalTag/team}"
        if key == "aws:PrincipalArn":
            op = self.pick(["ArnLike", "ArnEquals", "StringLike", "StringEquals", "ArnNotLike", "StringNotEquals"],
                           [4, 2, 2, 2, 1, 1] if allowing else [1, 1, 1, 1, 4, 3])
            value = self.pick([
                f"arn:aws:iam::{home}:role/*", f"arn:aws:iam::{home}:user/*", caller_arn(self.s),
                f"arn:aws:iam::*:role/{CALLER_ROLE}", f"arn:aws:iam::{OTHER}:role/*", f"arn:aws:iam::{home}:*",
            ])
            if op in ("StringEquals", "ArnEquals", "StringNotEquals") and "*" in value:
                value = caller_arn(self.s) if self.p(0.7) else f"arn:aws:iam::{home}:user/bob"
            return op, key, value
        if key == "aws:PrincipalAccount":
            op = self.pick(["StringEquals", "StringNotEquals"], [3, 1] if allowing else [1, 3])
            return op, key, self.pick([[home], [OTHER], [HOME, OTHER]])
        if key == "aws:PrincipalOrgID":
            op = self.pick(["StringEquals", "StringNotEquals", "StringNotEqualsIfExists"],
                           [4, 1, 1] if allowing else [1, 2, 3])
            return op, key, self.pick([ORG_ID, ORG_ID, OTHER_ORG_ID])
        if key == "aws:MultiFactorAuthPresent":
            if allowing:
                return self.pick(["Bool", "BoolIfExists"], [3, 1]), key, "true"
            return self.pick(["BoolIfExists", "Bool"], [3, 1]), key, "false"
        if key == "aws:SourceIp":
            op = self.pick(["IpAddress", "NotIpAddress"], [3, 1] if allowing else [1, 3])
            return op, key, self.pick(["10.0.0.0/8", ["10.0.0.0/8", "192.168.0.0/16"], "203.0.113.0/24"])
        if key == "sts:ExternalId":
            if not allowing and self.p(0.5):
                return "Null", key, "true"
            return self.pick(["StringEquals", "StringNotEquals"], [4, 1] if allowing else [1, 4]), key, EXTERNAL_ID
        if key == "sts:RoleSessionName":
            op = self.pick(["StringEquals", "StringLike", "StringNotLike"], [2, 2, 1] if allowing else [1, 1, 3])
            return op, key, self.pick(["sess-a", "deploy-*", "${aws:username}"] if op != "StringEquals"
                                      else ["sess-a", "deploy-1", "${aws:username}"])
        if key == "iam:PassedToService":
            op = self.pick(["StringEquals", "StringLike", "StringNotEquals"], [4, 1, 1] if allowing else [1, 1, 4])
            return op, key, self.pick([SERVICES[0], SERVICES[1], "ec2.*", list(SERVICES)])
        if key == "aws:PrincipalType":
            return self.pick(["StringEquals", "StringNotEquals"], [3, 1] if allowing else [1, 3]), key, \
                self.pick(["User", "AssumedRole"])
        if key == "aws:PrincipalServiceName":
            return "StringEquals", key, self.pick(SERVICES)
        raise AssertionError(key)

    # -- identity-side statements ------------------------------------------------------------
    def resource(self) -> Any:
        role = self.s["role"]
        return self.pick([
            "*", target_arn(self.s), f"arn:aws:iam::{role['account']}:role/*",
            f"arn:aws:iam::*:role/{role['name'][:3]}*", role_arn(self.pick([HOME, OTHER]), "Other"),
            "arn:aws:iam::*:role/${aws:PrincipalTag/team}-*", [target_arn(self.s), role_arn(OTHER, "Other")],
            f"arn:aws:iam::{role['account']}:role/?????*",
        ], [4, 4, 2, 1, 2, 1, 1, 1])

    def identity_statement(self, place: str = "identity") -> dict:
        assume = self.assume
        service = "sts" if assume else "iam"
        if self.p(0.1):  # unrelated to the request
            return allow(self.pick(["s3:GetObject", "ec2:Describe*"]), "*")
        effect = "Deny" if self.p(0.1 if place == "identity" else 0.15) else "Allow"
        kw: dict[str, Any] = {}
        if self.p(0.12):
            kw["not_action"] = self.pick([["iam:*"] if assume else ["sts:*"], ["s3:*"], [self.action],
                                          [f"{service}:Get*", "s3:*"]])
            action = None
        else:
            action = self.pick([self.action, f"{service}:{'Assume' if assume else 'Pass'}*", f"{service}:*", "*",
                                [self.action, "s3:GetObject"], f"{service}:{'assumerole' if assume else 'passrole'}"],
                               [6, 2, 2, 2, 1, 1])
        if self.p(0.1):
            kw["not_resource"] = self.pick([[role_arn(OTHER, "Other")], [target_arn(self.s)],
                                            [f"arn:aws:iam::{self.s['role']['account']}:role/A*"]])
            resource = None
        else:
            resource = self.resource() if effect == "Allow" or self.p(0.6) else "*"
        if self.p(0.3 if effect == "Allow" else 0.7):
            kw["condition"] = self.condition(place, effect)
        return statement(effect, action, resource, **kw)

    def request_time_condition(self, exclude: str | None = None) -> dict:
        """One Allow condition on a request-time key (other than ``exclude``)."""
        keys = ["aws:MultiFactorAuthPresent", "aws:SourceIp"] + (["sts:ExternalId", "sts:RoleSessionName"] if self.assume else [])
        key = self.pick([k for k in keys if k != exclude])
        operator, name, values = self._condition_entry(key, "Allow", self.s["caller"])
        return {operator: {name: values}}

    def alternatives(self, make: Callable[[dict], dict]) -> list[dict]:
        """Two Allows that differ only in their request-time conditions: either one is enough."""
        first = self.request_time_condition()
        second = self.request_time_condition(exclude=next(iter(next(iter(first.values())))))
        return [make(first), make(second)]

    def statements(self, low: int, high: int, place: str = "identity") -> list[dict]:
        return [self.identity_statement(place) for _ in range(self.rng.randint(low, high))]

    def boundary(self) -> list[dict]:
        kind = self.pick(["admin", "s3-only", "action", "random"], [3, 3, 3, 3])
        if kind == "admin":
            out = [allow("*", "*")]
        elif kind == "s3-only":
            out = [allow(["s3:*", "ec2:*"], "*")]
        elif kind == "action":
            out = [allow(self.action, self.pick(["*", target_arn(self.s), role_arn(OTHER, "*")]))]
        else:
            out = self.statements(1, 2, "boundary")
        if self.p(0.25):
            out.append(self.identity_statement("boundary"))
        return out

    # -- trust statements ------------------------------------------------------------------
    def trust_principal(self) -> tuple[str, Any]:
        """A Principal value and what it is (for the generator's own weighting)."""
        s = self.s
        caller = s["caller"]
        home = caller["account"]
        session_name = self.pick([caller.get("session") or "sess-a", "sess-b"])
        options = {
            "exact": {"AWS": caller_arn(s)},
            "root": {"AWS": f"arn:aws:iam::{home}:root"},
            "bare": {"AWS": home},
            "star": "*",
            "aws-star": {"AWS": "*"},
            "session": {"AWS": f"arn:aws:sts::{home}:assumed-role/{CALLER_ROLE}/{session_name}"},
            "other": {"AWS": self.pick([f"arn:aws:iam::{home}:user/bob", f"arn:aws:iam::{OTHER}:root",
                                        f"arn:aws:iam::{home}:role/Other"])},
            "list": {"AWS": [caller_arn(s), f"arn:aws:iam::{OTHER}:root"]},
            "mixed": {"AWS": f"arn:aws:iam::{home}:root", "Service": self.pick(SERVICES)},
            "service": {"Service": self.pick(SERVICES)},
        }
        weights = {"exact": 6, "root": 4, "bare": 2, "star": 2, "aws-star": 1,
                   "session": 4 if caller["kind"] == "role" else 0.5, "other": 1.5, "list": 1, "mixed": 0.5,
                   "service": 0.5}
        kind = self.pick(list(options), [weights[k] for k in options])
        return kind, options[kind]

    def trust_statement(self) -> dict:
        kind, principal = self.trust_principal()
        action = self.pick(["sts:AssumeRole", ["sts:AssumeRole", "sts:TagSession"], "sts:Assume*", "sts:*"],
                           [6, 2, 1, 1])
        if self.p(0.14):  # a Deny
            condition = self.condition("trust", "Deny") if kind in ("star", "aws-star") or self.p(0.5) else None
            if self.p(0.4):  # NotPrincipal: denies everyone it does not list (and anyone with a boundary)
                excluded = self.pick([{"AWS": caller_arn(self.s)}, {"AWS": [caller_arn(self.s), f"arn:aws:iam::{HOME}:root"]},
                                      {"AWS": f"arn:aws:iam::{self.s['caller']['account']}:root"},
                                      {"AWS": f"arn:aws:iam::{OTHER}:root"},
                                      {"AWS": f"arn:aws:sts::{HOME}:assumed-role/{CALLER_ROLE}/sess-a"}])
                return trust(excluded, action=action, effect="Deny", condition=condition, not_principal=True)
            return trust(principal, action=action, effect="Deny", condition=condition)
        wants_condition = kind in ("star", "aws-star") and self.p(0.7) or self.p(0.4)
        return trust(principal, action=action, condition=self.condition("trust", "Allow") if wants_condition else None)

    def trust_policy(self) -> list[dict]:
        if not self.assume:
            service = self.s["service"]
            out = [trust_service(self.pick([service, service, service, SERVICES[0] if service != SERVICES[0] else SERVICES[1]]),
                                 condition=self.condition("service-trust", "Allow") if self.p(0.15) else None)]
            if self.p(0.15):
                out[0]["Principal"]["Service"] = list(SERVICES)
            if self.p(0.25):
                out.append(self.trust_statement())
            if self.p(0.1):
                out.append(trust({"Service": service}, effect="Deny",
                                 condition=self.condition("service-trust", "Deny")))
            return out
        out = [self.trust_statement() for _ in range(self.pick([1, 2, 3], [4, 4, 2]))]
        if self.p(0.1):
            _, principal = self.trust_principal()
            out += self.alternatives(lambda c: trust(principal, condition=c))
        return out

    # -- organization -------------------------------------------------------------------
    def organization(self) -> None:
        s = self.s
        if not self.p(0.85):
            s["org"] = None
            s["scps"], s["rcps"] = [], []
            return
        places = [ROOT, *OUS]
        parents = {MANAGEMENT: ROOT}
        for account in sorted({s["caller"]["account"], s["role"]["account"]}):
            if self.p(0.06):
                continue  # an account outside the organization (its file is in the snapshot)
            parents[account] = self.pick(places, [2, 2, 3, 2])
        s["org"] = {"ous": dict(OUS), "parents": parents}
        targets = [ROOT, *OUS, *parents]
        s["scps"], s["rcps"] = [], []
        if self.p(0.75):
            full = [t for t in targets]
            caller_path = level_path(s, s["caller"]["account"]) or []
            if caller_path and self.p(0.15):  # a level with no Allow
                full.remove(self.pick(caller_path))
            s["scps"].append({"name": "FullAWSAccess", "targets": full, "statements": [allow("*", "*")]})
            for i in range(self.pick([0, 1, 2], [4, 4, 2])):
                s["scps"].append(self.scp(i, caller_path))
        if self.p(0.55):
            full = [t for t in targets]
            role_path = level_path(s, s["role"]["account"]) or []
            if role_path and self.p(0.12):  # a level without RCPFullAWSAccess: not possible in AWS
                full.remove(self.pick(role_path))
            s["rcps"].append({"name": "RCPFullAWSAccess", "targets": full, "statements": [_rcp_statement("Allow", "*")]})
            for i in range(self.pick([0, 1, 2], [3, 5, 2])):
                s["rcps"].append(self.rcp(i, role_path))

    def scp(self, index: int, caller_path: list[str]) -> dict:
        level = self.pick(caller_path) if caller_path and self.p(0.85) else self.pick([ROOT, *OUS])
        if self.p(0.3):  # an allow-list at a level; FullAWSAccess usually detached there
            statements = [allow(self.pick([["sts:*", "s3:*"], ["iam:*", "s3:*"], ["sts:AssumeRole", "iam:PassRole"],
                                           "s3:*", ["sts:*", "iam:*"]]), "*")]
            full = self.s["scps"][0]
            if level in full["targets"] and self.p(0.7):
                full["targets"].remove(level)
        else:
            statements = [self.identity_statement("scp")]
            statements[0]["Effect"] = "Deny"
            if "Condition" not in statements[0] and self.p(0.6):
                statements[0]["Condition"] = self.condition("scp", "Deny")
        return {"name": f"scp-{index}", "targets": [level], "statements": statements}

    def rcp(self, index: int, role_path: list[str]) -> dict:
        level = self.pick(role_path) if role_path and self.p(0.85) else self.pick([ROOT, *OUS])
        kind = self.pick(["org-guard", "random", "account-guard"], [3, 4, 1])
        action = self.pick(["sts:AssumeRole", "sts:*", ["sts:AssumeRole", "sts:TagSession"], "sts:Assume*"])
        if kind == "org-guard":
            condition = {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID},
                         "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}
        elif kind == "account-guard":
            condition = {"StringNotEquals": {"aws:PrincipalAccount": [HOME, OTHER]},
                         "Bool": {"aws:PrincipalIsAWSService": "false"}}
        else:
            condition = self.condition("rcp", "Deny")
        return {"name": f"rcp-{index}", "targets": [level], "statements": [_rcp_statement("Deny", action, condition)]}

    # -- the whole scenario ---------------------------------------------------------------------
    def scenario(self, index: int) -> dict:
        s = self.s = {"id": index, "action": "assume" if self.p(0.75) else "pass"}
        kind = "user" if self.p(0.45) else "role"
        caller: dict[str, Any] = {"kind": kind, "account": HOME, "name": USER_NAME if kind == "user" else CALLER_ROLE,
                                  "tags": {}, "inline": [], "managed": [], "groups": [], "boundary": None}
        if kind == "role":
            caller["session"] = self.pick(SESSIONS)
        s["caller"] = caller
        if s["action"] == "pass":
            s["service"] = self.pick(SERVICES)
            role_account = HOME if self.p(0.93) else OTHER
        else:
            role_account = HOME if self.p(0.5) else OTHER
        s["role"] = {"account": role_account, "name": self.pick(TARGET_ROLES), "tags": {}, "trust": []}
        if kind == "role" and role_account == HOME and self.p(0.04):
            s["role"]["name"] = CALLER_ROLE  # the role assuming (or passing) itself
        if self.p(0.6):
            caller["tags"]["team"] = self.pick(["ops", "dev"])
        if self.p(0.5):
            s["role"]["tags"]["env"] = self.pick(["prod", "dev"])
        if self.p(0.3):
            s["role"]["tags"]["team"] = self.pick(["ops", "dev"])
        if is_self(s):
            s["role"]["tags"] = caller["tags"]
        for _ in range(self.pick([0, 1, 2], [1, 5, 2])):
            caller["inline"].append(self.statements(1, 3))
        if self.p(0.3):
            caller["managed"].append(self.statements(1, 2))
        if self.p(0.12):
            caller["inline"].append(self.alternatives(lambda c: allow(self.action, self.resource(), condition=c)))
        if kind == "user":
            for _ in range(self.pick([0, 1, 2], [3, 3, 1])):
                group: dict[str, list] = {"inline": [], "managed": []}
                group["inline" if self.p(0.6) else "managed"].append(self.statements(1, 2))
                caller["groups"].append(group)
        if self.p(0.4):
            caller["boundary"] = self.boundary()
        s["role"]["trust"] = self.trust_policy()
        self.organization()
        request: dict[str, str] = {}
        mfa = self.pick(["true", "false", None], [4, 2, 4])
        if mfa:
            request["aws:MultiFactorAuthPresent"] = mfa
        external = self.pick([EXTERNAL_ID, "wrong", None], [4, 1, 5]) if self.assume else None
        if external:
            request["sts:ExternalId"] = external
        request["aws:SourceIp"] = self.pick([INSIDE_IP, OUTSIDE_IP])
        if self.assume:
            request["sts:RoleSessionName"] = self.pick(REQUESTED_SESSION_NAMES)
        s["request"] = request
        return s


def generate(seed: int, count: int) -> list[dict]:
    """``count`` scenarios, the same ones for the same seed."""
    rng = random.Random(seed)
    return [_Gen(rng).scenario(i) for i in range(count)]


# =====================================================================================
# 2. graphiam's answer
# =====================================================================================

def _add_policies(account, owner: str, inline: list[list[dict]], managed: list[list[dict]]) -> tuple[list[dict], tuple[str, ...]]:
    statements = [s for policy in inline for s in policy]
    arns = tuple(account.managed_policy(f"{owner}-managed-{i}", *policy) for i, policy in enumerate(managed) if policy)
    return statements, arns


def snapshot_files(scenario: dict) -> list[tuple[str, dict]]:
    """The scenario as the snapshot files graphiam reads, written with tests/builders.py."""
    s = scenario
    org = Org(org_id=ORG_ID, management=MANAGEMENT)
    organization = s.get("org")
    if organization:
        org.with_organization = True
        for ou, parent in organization["ous"].items():
            org.ou(ou, ou, parent)
    accounts = {MANAGEMENT, s["caller"]["account"], s["role"]["account"]} if organization else \
        {s["caller"]["account"], s["role"]["account"]}
    for account_id in sorted(accounts):
        parent = organization["parents"].get(account_id) if organization else None
        org.account(account_id, parent=parent)
    caller = s["caller"]
    home = org.account(caller["account"])
    statements, managed = _add_policies(home, caller["name"], caller["inline"], caller["managed"])
    boundary = home.managed_policy("Boundary", *caller["boundary"]) if caller["boundary"] is not None else None
    tags = caller["tags"] or None
    if caller["kind"] == "user":
        groups = []
        for i, group in enumerate(caller["groups"]):
            group_statements, group_managed = _add_policies(home, f"group{i}", group["inline"], group["managed"])
            groups.append(home.group(f"group{i}", *group_statements, managed=group_managed))
        home.user(caller["name"], *statements, groups=tuple(g.rsplit("/", 1)[-1] for g in groups), managed=managed,
                  boundary=boundary, tags=tags)
    elif not is_self(s):
        home.role(caller["name"], *statements, trusts=trust_service("ec2.amazonaws.com"), managed=managed,
                  boundary=boundary, tags=tags)
    role = s["role"]
    target = org.account(role["account"])
    if is_self(s):
        target.role(role["name"], *statements, trusts=role["trust"], managed=managed, boundary=boundary, tags=tags)
    else:
        target.role(role["name"], trusts=role["trust"], tags=role["tags"] or None)
    for kind, policies in (("scp", s["scps"]), ("rcp", s["rcps"])):
        for policy in policies:
            if policy["statements"]:
                getattr(org, kind)(policy["name"], *policy["statements"], targets=tuple(policy["targets"]))
    files = org.files()
    for name, data in files:  # deterministic ids, the accounts outside the organization, the policy types in force
        if name == "organization.json":
            data["Accounts"] = [a for a in data["Accounts"] if a["Id"] in organization["parents"]]
            types = [{"Type": t, "Status": "ENABLED"} for kind, t in (("scp", "SERVICE_CONTROL_POLICY"),
                                                                     ("rcp", "RESOURCE_CONTROL_POLICY"))
                     if policy_type_in_force(s, kind)]
            data["Organization"]["AvailablePolicyTypes"] = types
            for root in data["Roots"]:
                root["PolicyTypes"] = types
            continue
        for entry in data["RoleDetailList"]:
            entry["RoleId"] = ROLE_IDS.get(entry["RoleName"], entry["RoleId"])
        for entry in data["UserDetailList"]:
            entry["UserId"] = USER_ID
    return files


class ConcreteContext(RequestContext):
    """A request whose every value is known: no key is request-time any more (the glue, see the module doc)."""

    __slots__ = ()

    def is_static(self, key: str) -> bool:
        return True


def _requirement_sets(decision) -> tuple:
    sets = getattr(decision, "requirement_sets", None)
    return tuple(sets) if sets is not None else (decision.requirements,)


def _requirement_holds(requirement, context: RequestContext) -> bool:
    for condition in requirement.conditions:
        if condition.key == "resource":
            raise AssertionError(f"a request-time Resource variable is not generated: {condition}")
    holds, pending = evaluate_conditions(requirement.conditions, context)
    assert not pending
    return holds if requirement.must_hold else not holds


@dataclass
class GraphiamAnswer:
    allowed: bool
    decision: Any  # graphiam.policy.Decision
    unmet: tuple = ()  # requirements that failed, of the first requirement set


def graphiam_answer(scenario: dict) -> GraphiamAnswer:
    snapshot = snapshot_from_data(snapshot_files(scenario))
    engine = PolicyEngine(snapshot)
    caller = snapshot.principal(caller_arn(scenario))
    role = snapshot.role(target_arn(scenario))
    assert caller is not None and role is not None
    request = {k: [v] for k, v in scenario["request"].items()}
    if scenario["caller"]["kind"] == "role":
        request["aws:userid"] = [f"{ROLE_IDS[caller.name]}:{scenario['caller']['session']}"]
    if scenario["action"] == "assume":
        decision = engine.decide_assume(caller, role)
        static = principal_context(snapshot, caller, role).lowered_values()
        contexts = {"*": ConcreteContext({**static, **request})}
    else:
        service = scenario["service"]
        decision = engine.decide_pass(caller, role, service)
        static = principal_context(snapshot, caller, role, passed_to_service=service).lowered_values()
        request.pop("sts:RoleSessionName", None)
        request.pop("sts:ExternalId", None)
        contexts = {"*": ConcreteContext({**static, **request}),
                    "trust": ConcreteContext(service_context(snapshot, service, role).lowered_values())}
        contexts["rcp"] = contexts["trust"]
    if decision.outcome is Outcome.ALLOWED:
        return GraphiamAnswer(True, decision)
    if decision.outcome is Outcome.DENIED:
        return GraphiamAnswer(False, decision)
    first_unmet: tuple = ()
    for i, requirements in enumerate(_requirement_sets(decision)):
        unmet = tuple(r for r in requirements if not _requirement_holds(r, contexts.get(r.layer, contexts["*"])))
        if not unmet:
            return GraphiamAnswer(True, decision)
        if i == 0:
            first_unmet = unmet
    return GraphiamAnswer(False, decision, first_unmet)


# =====================================================================================
# 3. The peer's answer
# =====================================================================================

def _doc(statements: list[dict]) -> dict:
    return {"Version": "2012-10-17", "Statement": statements}


def policy_type_in_force(scenario: dict, kind: str) -> bool:
    """SCPs (``kind="scp"``) or RCPs are enabled in the scenario's organization: it has one of them
    (attached or not). The organization file says so; the peer is then given every level."""
    return bool(scenario.get("org")) and any(p["statements"] for p in scenario[kind + "s"])


def _org_levels(scenario: dict, account: str, kind: str) -> list[dict]:
    """The package's per-level list (root first) of the SCPs or RCPs attached along ``account``'s path."""
    path = level_path(scenario, account)
    policies = scenario["scps" if kind == "scp" else "rcps"]
    if path is None or not policy_type_in_force(scenario, kind):
        return []
    levels = []
    for level in path:
        attached = []
        for p in policies:
            statements = p["statements"]
            if kind == "rcp":  # the package takes deny-only RCPs and adds RCPFullAWSAccess to every level itself
                statements = [st for st in statements if st["Effect"] == "Deny"]
            if level in p["targets"] and statements:
                attached.append({"name": p["name"], "policy": _doc(statements)})
        levels.append({"orgIdentifier": level, "policies": attached})
    return levels


def peer_context(scenario: dict) -> dict[str, Any]:
    """Every key the caller's request carries, snapshot keys included (the package derives none)."""
    s = scenario
    caller, role = s["caller"], s["role"]
    in_org = level_path(s, caller["account"]) is not None
    context: dict[str, Any] = {
        "aws:PrincipalArn": caller_arn(s),
        "aws:PrincipalAccount": caller["account"],
        "aws:PrincipalType": "User" if caller["kind"] == "user" else "AssumedRole",
        "aws:PrincipalIsAWSService": "false",
        "aws:ResourceAccount": role["account"],
    }
    if caller["kind"] == "user":
        context["aws:username"] = caller["name"]
        context["aws:userid"] = USER_ID
    else:
        context["aws:userid"] = f"{ROLE_IDS[caller['name']]}:{caller['session']}"
    if in_org:
        context["aws:PrincipalOrgID"] = ORG_ID
    if level_path(s, role["account"]) is not None:
        context["aws:ResourceOrgID"] = ORG_ID
    for key, value in caller["tags"].items():
        context[f"aws:PrincipalTag/{key}"] = value
    for key, value in (caller["tags"] if is_self(s) else role["tags"]).items():
        context[f"aws:ResourceTag/{key}"] = value
        context[f"iam:ResourceTag/{key}"] = value
    context.update(s["request"])
    if s["action"] == "pass":
        context["iam:PassedToService"] = s["service"]
        context.pop("sts:RoleSessionName", None)
        context.pop("sts:ExternalId", None)
    return context


def _identity_policies(scenario: dict) -> list[dict]:
    caller = scenario["caller"]
    named = [(f"inline-{i}", p) for i, p in enumerate(caller["inline"])]
    named += [(f"managed-{i}", p) for i, p in enumerate(caller["managed"])]
    for g, group in enumerate(caller["groups"]):
        named += [(f"group{g}-inline-{i}", p) for i, p in enumerate(group["inline"])]
        named += [(f"group{g}-managed-{i}", p) for i, p in enumerate(group["managed"])]
    return [{"name": name, "policy": _doc(p)} for name, p in named if p]


def peer_simulations(scenario: dict) -> list[dict]:
    """The package's ``Simulation`` inputs for the scenario: one for ``assume``, two for ``pass``."""
    s = scenario
    caller, role = s["caller"], s["role"]
    resource = {"resource": target_arn(s), "accountId": role["account"]}
    common: dict[str, Any] = {
        "identityPolicies": _identity_policies(s),
        "serviceControlPolicies": _org_levels(s, caller["account"], "scp"),
    }
    if caller["boundary"] is not None:
        common["permissionBoundaryPolicies"] = [{"name": "Boundary", "policy": _doc(caller["boundary"])}]
    rcps = _org_levels(s, role["account"], "rcp")
    if s["action"] == "assume":
        return [{
            "request": {"principal": request_principal(s), "action": "sts:AssumeRole", "resource": resource,
                        "contextVariables": peer_context(s)},
            **common,
            "resourceControlPolicies": rcps,
            "resourcePolicy": _doc(role["trust"]),
        }]
    passing = {
        "request": {"principal": request_principal(s), "action": "iam:PassRole", "resource": resource,
                    "contextVariables": peer_context(s)},
        **common,
        "resourceControlPolicies": rcps,
    }
    service_context_values: dict[str, Any] = {"aws:PrincipalIsAWSService": "true",
                                              "aws:PrincipalServiceName": s["service"],
                                              "aws:ResourceAccount": role["account"]}
    if level_path(s, role["account"]) is not None:
        service_context_values["aws:ResourceOrgID"] = ORG_ID
    for key, value in (caller["tags"] if is_self(s) else role["tags"]).items():
        service_context_values[f"aws:ResourceTag/{key}"] = value
        service_context_values[f"iam:ResourceTag/{key}"] = value
    using = {
        "request": {"principal": s["service"], "action": "sts:AssumeRole", "resource": resource,
                    "contextVariables": service_context_values},
        "identityPolicies": [],
        "serviceControlPolicies": [],
        "resourceControlPolicies": rcps,
        "resourcePolicy": _doc(role["trust"]),
    }
    return [passing, using]


def installed_peer_version() -> str | None:
    package = PEER_DIR / "node_modules" / PEER_PACKAGE / "package.json"
    try:
        return json.loads(package.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def pinned_peer_version() -> str:
    return json.loads((PEER_DIR / "package.json").read_text())["dependencies"][PEER_PACKAGE]


def peer_unavailable() -> str | None:
    """Why the peer cannot run here, or ``None`` when it can."""
    if shutil.which("node") is None:
        return "node is not installed (the differential test runs @cloud-copilot/iam-simulate through node)"
    installed = installed_peer_version()
    if installed is None:
        return f"{PEER_PACKAGE} is not installed: run `npm ci --prefix tests/peer`"
    if installed != pinned_peer_version():
        return (f"{PEER_PACKAGE} {installed} is installed but tests/peer pins {pinned_peer_version()}: "
                "run `npm ci --prefix tests/peer`")
    return None


def run_peer(simulations: list[dict], timeout: float = 600) -> list[dict]:
    """One node process for the whole batch; results in the same order."""
    if not simulations:
        return []
    done = subprocess.run(["node", str(PEER_SCRIPT)], input=json.dumps({"simulations": simulations, "mode": "Strict"}),
                          capture_output=True, text=True, cwd=PEER_DIR, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the peer failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")
    results = json.loads(done.stdout)["results"]
    assert len(results) == len(simulations)
    return results


# =====================================================================================
# 4. Comparison and the known classes of disagreement
# =====================================================================================

@dataclass
class Compared:
    """One scenario, both answers."""

    scenario: dict
    graphiam: GraphiamAnswer | None
    peer: list[dict]  # the package's results (one per simulation)
    error: str | None = None  # a scenario one side could not evaluate: always a failure

    @property
    def peer_allowed(self) -> bool:
        return all(r["result"] == "Allowed" for r in self.peer)

    @property
    def agree(self) -> bool:
        return self.error is None and self.graphiam is not None and self.graphiam.allowed == self.peer_allowed

    @property
    def signature(self) -> tuple:
        """What a shrink must keep: who says allow, and the peer's results."""
        return (self.error is not None, self.graphiam.allowed if self.graphiam else None, self.peer_allowed)


def evaluate(scenarios: Sequence[dict]) -> list[Compared]:
    """Both answers for every scenario, with one node process for the whole batch."""
    simulations: list[dict] = []
    spans = []
    answers = []
    for scenario in scenarios:
        sims = peer_simulations(scenario)
        spans.append((len(simulations), len(sims)))
        simulations.extend(sims)
        try:
            answers.append((graphiam_answer(scenario), None))
        except Exception as error:  # noqa: BLE001 - reported as a failing scenario, with its shrunk form
            answers.append((None, f"graphiam raised {type(error).__name__}: {error}"))
    results = run_peer(simulations)
    out = []
    for scenario, (start, n), (answer, error) in zip(scenarios, spans, answers):
        peer = results[start:start + n]
        peer_errors = [r["error"] for r in peer if r["error"]]
        if peer_errors and error is None:
            error = f"the peer rejected the input: {json.dumps(peer_errors)[:600]}"
        out.append(Compared(scenario, answer, peer, error))
    return out


# -- helpers the class predicates use ------------------------------------------------------

def _principal_values(stmt: dict, element: str = "Principal") -> list[tuple[str, str]]:
    value = stmt.get(element)
    if value is None:
        return []
    if value == "*":
        return [("AWS", "*")]
    out = []
    for kind, names in value.items():
        for name in [names] if isinstance(names, str) else names:
            out.append((kind, name))
    return out


def _names_caller_session(scenario: dict, value: str) -> bool:
    caller = scenario["caller"]
    return caller["kind"] == "role" and value.startswith(
        f"arn:aws:sts::{caller['account']}:assumed-role/{caller['name']}/")


def _covers(stmt: dict, action: str) -> bool:
    """Whether the statement's Action (or NotAction) covers ``action``."""
    actions = stmt.get("Action", stmt.get("NotAction"))
    actions = [actions] if isinstance(actions, str) else actions
    hit = any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions)
    return hit != ("NotAction" in stmt)


def _covers_assume(stmt: dict) -> bool:
    return _covers(stmt, "sts:AssumeRole")


def _trust_allows(scenario: dict) -> list[dict]:
    return [t for t in scenario["role"]["trust"] if t["Effect"] == "Allow" and _covers_assume(t)]


def _grant_kinds(scenario: dict, stmt: dict) -> set[str]:
    """How an Allow trust statement's Principal names the caller: exact, session, wildcard, account."""
    caller = scenario["caller"]
    kinds = set()
    if "NotPrincipal" in stmt:
        return {"notprincipal"}
    for kind, value in _principal_values(stmt):
        if kind != "AWS":
            continue
        if value == "*":
            kinds.add("wildcard")
        elif value in (caller["account"], f"arn:aws:iam::{caller['account']}:root"):
            kinds.add("account")
        elif value == caller_arn(scenario):
            kinds.add("exact")
        elif _names_caller_session(scenario, value):
            kinds.add("session" if value == session_arn(scenario) else "other-session")
    return kinds


_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _statements_with_context(scenario: dict) -> Iterable[tuple[dict, str, set[str]]]:
    """Every statement of the peer's requests, with its request's action and (lower-cased) context keys."""
    for simulation in peer_simulations(scenario):
        present = {k.lower() for k in simulation["request"]["contextVariables"]}
        documents = [p["policy"] for p in simulation["identityPolicies"] + simulation.get("permissionBoundaryPolicies", [])]
        documents += [p["policy"] for kind in ("serviceControlPolicies", "resourceControlPolicies")
                      for level in simulation[kind] for p in level["policies"]]
        if simulation.get("resourcePolicy"):
            documents.append(simulation["resourcePolicy"])
        for document in documents:
            for stmt in document["Statement"]:
                yield stmt, simulation["request"]["action"], present


def _unresolvable_in_negated_condition(scenario: dict, effect: str) -> bool:
    """Some ``effect`` statement for its request's action has a negated condition operator (``StringNot...``,
    ``ArnNot...``) whose value names a policy variable that request has no value for (``${aws:username}`` of
    a role session, a tag the caller lacks)."""
    for stmt, action, present in _statements_with_context(scenario):
        if stmt["Effect"] != effect or not _covers(stmt, action):
            continue
        for operator, entries in (stmt.get("Condition") or {}).items():
            if "Not" not in operator:
                continue
            for values in entries.values():
                for value in [values] if isinstance(values, str) else values:
                    if any(name.split(",")[0].strip().lower() not in present for name in _VARIABLE.findall(value)):
                        return True
    return False


def _peer_allows_graphiam_denies(c: Compared) -> bool:
    return c.peer_allowed and not c.graphiam.allowed


def _narrowed_by_principal_arn(stmt: dict) -> bool:
    return any(key.lower() == "aws:principalarn" for entries in (stmt.get("Condition") or {}).values() for key in entries)


def _same_account_role_with_boundary(scenario: dict) -> bool:
    caller = scenario["caller"]
    return scenario["action"] == "assume" and caller["kind"] == "role" and caller["boundary"] is not None \
        and caller["account"] == scenario["role"]["account"]


def _all_requirements(c: Compared) -> list:
    decision = c.graphiam.decision
    sets = _requirement_sets(decision) if decision.outcome is Outcome.CONDITIONAL else ()
    return [r for group in sets for r in group] + list(c.graphiam.unmet)


def _layer_statements(scenario: dict, layer: str) -> list[dict]:
    caller = scenario["caller"]
    if layer == "identity":
        policies = caller["inline"] + caller["managed"] + [p for g in caller["groups"] for p in g["inline"] + g["managed"]]
        return [st for p in policies for st in p]
    if layer == "permissions_boundary":
        return list(caller["boundary"] or [])
    if layer == "trust":
        return list(scenario["role"]["trust"])
    return [st for p in scenario[layer + "s"] for st in p["statements"]]


# -- the predicates ------------------------------------------------------------------------------

def _blocker_rcp_level(c: Compared, blocker) -> bool:
    """An RCP level blocker on a level where no allowing RCP is attached (RCPs in force)."""
    s = c.scenario
    return blocker.layer == "rcp" and blocker.effect == "implicit_deny" and policy_type_in_force(s, "rcp") \
        and not any(blocker.attached_to in p["targets"] and any(st["Effect"] == "Allow" for st in p["statements"])
                    for p in s["rcps"])


def _class_unresolved_variable(c: Compared) -> bool:
    """A Deny that graphiam applies and the peer does not, or an Allow that graphiam counts and the peer does not."""
    return _unresolvable_in_negated_condition(c.scenario, "Deny" if c.peer_allowed else "Allow")


def _class_session_principal(c: Compared) -> bool:
    """The trust names a session of the caller's role, and graphiam's answer hangs on reading it as
    ``sts:RoleSessionName``: a trust requirement on that key with those session names, or a NotPrincipal list
    that names one of the role's sessions (excluded whatever the calling session is)."""
    s = c.scenario
    named = {value.rsplit("/", 1)[1]: t for t in s["role"]["trust"] for element in ("Principal", "NotPrincipal")
             for _, value in _principal_values(t, element) if _names_caller_session(s, value)}
    if not named:
        return False
    if any("NotPrincipal" in t for t in named.values()):
        return True
    return any(r.layer == "trust" and any(cond.key.lower() == "sts:rolesessionname" and cond.operator == "StringEquals"
                                          and set(cond.values) <= set(named) for cond in r.conditions)
               for r in _all_requirements(c))


def _boundary_blocker_with_grant(c: Compared, blocker, grant: Callable[[dict], bool]) -> bool:
    s = c.scenario
    return blocker.layer == "permissions_boundary" and blocker.effect == "implicit_deny" \
        and _same_account_role_with_boundary(s) and any(grant(t) for t in _trust_allows(s))


def _blocker_session_or_narrowed_star(c: Compared, blocker) -> bool:
    return _boundary_blocker_with_grant(c, blocker, lambda t: _session_or_narrowed_star(c.scenario, t))


def _blocker_bare_star(c: Compared, blocker) -> bool:
    return _boundary_blocker_with_grant(c, blocker, lambda t: _bare_star(c.scenario, t))


def _graphiam_allows_with(c: Compared, edit: Callable[[dict], Any]) -> bool:
    """Counterfactual: whether graphiam allows the scenario changed by ``edit`` (no node call)."""
    changed = copy.deepcopy(c.scenario)
    edit(changed)
    return graphiam_answer(changed).allowed


def _without_boundary_limit(s: dict) -> None:
    s["caller"]["boundary"] = [allow("*", "*")]


def _class_boundary_with_grant(c: Compared, grant: Callable[[dict, dict], bool]) -> bool:
    """A same-account role session with a boundary, a trust Allow of the given form, and graphiam's denial goes
    away once the boundary allows everything (the boundary is the cause, whatever graphiam reported)."""
    s = c.scenario
    return _peer_allows_graphiam_denies(c) and _same_account_role_with_boundary(s) \
        and any(grant(s, t) for t in _trust_allows(s)) and _graphiam_allows_with(c, _without_boundary_limit)


def _narrow_bare_stars(s: dict) -> None:
    """Rewrite every trust Allow by a bare ``*`` into the documented form, narrowed with ``aws:PrincipalArn`` to
    the caller (the same grant for this caller, in the peer's model and in AWS's)."""
    for t in _trust_allows(s):
        if _bare_star(s, t):
            t.setdefault("Condition", {}).setdefault("ArnEquals", {})["aws:PrincipalArn"] = caller_arn(s)


def _class_bare_star(c: Compared) -> bool:
    """The bare ``*`` grant is the cause: narrowing it to the documented form makes graphiam allow, or there is
    no other grant the boundary could be skipped for and a boundary allowing everything makes graphiam allow."""
    s = c.scenario
    if not (_peer_allows_graphiam_denies(c) and _same_account_role_with_boundary(s)
            and any(_bare_star(s, t) for t in _trust_allows(s))):
        return False
    if _graphiam_allows_with(c, _narrow_bare_stars):
        return True
    return not any(_session_or_narrowed_star(s, t) for t in _trust_allows(s)) \
        and _graphiam_allows_with(c, _without_boundary_limit)


def _session_or_narrowed_star(s: dict, t: dict) -> bool:
    return "session" in _grant_kinds(s, t) or ("wildcard" in _grant_kinds(s, t) and _narrowed_by_principal_arn(t))


def _bare_star(s: dict, t: dict) -> bool:
    return "wildcard" in _grant_kinds(s, t) and not _narrowed_by_principal_arn(t)


def _class_first_trust_allow(c: Compared) -> bool:
    """Two or more trust Allows name the caller in different forms, one of them conditional, and graphiam's
    denial rests on the trust (an unmet trust requirement, or a blocker from the form it preferred)."""
    s = c.scenario
    if not _peer_allows_graphiam_denies(c) or s["action"] != "assume":
        return False
    naming = [(t, _grant_kinds(s, t) - {"other-session"}) for t in _trust_allows(s)]
    naming = [(t, kinds) for t, kinds in naming if kinds]
    kinds = set().union(*(k for _, k in naming)) if naming else set()
    return len(naming) >= 2 and len(kinds) >= 2 and any("Condition" in t for t, _ in naming) \
        and ("trust" in {r.layer for r in c.graphiam.unmet} or bool(c.graphiam.decision.blockers))


def _class_one_conditional_allow(c: Compared) -> bool:
    """graphiam's reported requirement set is not met, and its layer has two or more conditional Allows."""
    if not _peer_allows_graphiam_denies(c) or c.graphiam.decision.outcome is not Outcome.CONDITIONAL:
        return False
    return any(r.must_hold and len([st for st in _layer_statements(c.scenario, r.layer)
                                    if st["Effect"] == "Allow" and st.get("Condition")]) >= 2
               for r in c.graphiam.unmet)


def scenario_of(*, trust: list[dict], caller: str = "role", session: str = "sess-a", role_account: str = HOME,
                role_name: str = "Deploy", inline: Sequence[list[dict]] = (), boundary: list[dict] | None = None,
                request: dict | None = None, org: dict | None = None, scps: Sequence[dict] = (),
                rcps: Sequence[dict] = (), action: str = "assume", service: str | None = None) -> dict:
    """A hand-written scenario (a class's witness), in the generator's shape."""
    who: dict[str, Any] = {"kind": caller, "account": HOME, "name": USER_NAME if caller == "user" else CALLER_ROLE,
                           "tags": {}, "inline": [list(p) for p in inline], "managed": [], "groups": [],
                           "boundary": boundary}
    if caller == "role":
        who["session"] = session
    out = {"action": action, "caller": who,
           "role": {"account": role_account, "name": role_name, "tags": {}, "trust": trust},
           "org": org, "scps": list(scps), "rcps": list(rcps), "request": dict(request or {})}
    if action == "pass":
        out["service"] = service or SERVICES[0]
    return out


@dataclass(frozen=True)
class KnownClass:
    """A documented kind of disagreement.

    ``applies`` is a predicate over the whole compared result; ``blocker`` (for causes that show as one of
    graphiam's blockers) says whether it explains one blocker of a denial the peer allows. A denial whose
    blockers are each explained by some class's ``blocker`` falls in all of those classes (two causes at once).
    ``witness`` is a minimal scenario of the class: it disagrees, in this class, as long as the class is known;
    once the engine is fixed it agrees, and the test says to move the class to :data:`RESOLVED_CLASSES`.
    """

    name: str
    verdict: str  # who the AWS documentation supports: "graphiam bug" | "graphiam reading" | "peer bug" | "unsettled"
    reason: str  # one line
    witness: dict
    applies: Callable[[Compared], bool] | None = None
    blocker: Callable[[Compared, Any], bool] | None = None

    def matches(self, c: Compared) -> bool:
        if self.applies is not None and self.applies(c):
            return True
        blockers = c.graphiam.decision.blockers
        return self.blocker is not None and _peer_allows_graphiam_denies(c) and bool(blockers) \
            and all(self.blocker(c, b) for b in blockers)


_ROLE_BOUNDARY_WITHOUT_STS = [allow("ec2:*", "*")]

# Disagreements graphiam has today. Each must still occur (its witness still disagrees); delete one (move it to
# RESOLVED_CLASSES) when the engine is fixed.
KNOWN_CLASSES: list[KnownClass] = [
    KnownClass(
        "bare-star-trust-ignores-boundary", "unsettled",
        "within one account, a trust Allow by Principal * not narrowed by aws:PrincipalArn, for a role session whose "
        "boundary does not allow sts:AssumeRole: the peer takes * as a direct grant to the session (no boundary), "
        "graphiam limits it by the boundary; the AWS docs speak only of session ARNs and of * with aws:PrincipalArn",
        witness=scenario_of(boundary=_ROLE_BOUNDARY_WITHOUT_STS, trust=[trust("*")]),
        applies=_class_bare_star,
        blocker=_blocker_bare_star,
    ),
]

# Disagreements graphiam had and no longer has (the AWS docs side with the peer). A disagreement in one of them is a
# regression; each witness must agree.
RESOLVED_CLASSES: list[KnownClass] = [
    KnownClass(
        "unresolved-variable-in-negated-condition", "graphiam bug",
        "a policy variable the request has no value for (${aws:username} of a role session, a tag the caller lacks) "
        "makes the statement invalid (IAM policy-variables page: any attempt to match it fails); graphiam lets a "
        "negated operator (StringNotEquals, StringNotLike) hold, so the Deny applies or the Allow grants",
        witness=scenario_of(
            inline=[[allow("sts:AssumeRole", "*"),
                     deny("sts:AssumeRole", "*", condition={"StringNotLike": {"sts:RoleSessionName": "${aws:username}"}})]],
            trust=[trust({"AWS": f"arn:aws:iam::{HOME}:root"})], request={"sts:RoleSessionName": "deploy-1"}),
        applies=_class_unresolved_variable,
    ),
    KnownClass(
        "rcp-level-without-allow", "graphiam bug",
        "AWS attaches RCPFullAWSAccess to every level and it cannot be detached, so a level showing no allowing RCP "
        "is an incomplete snapshot, not an implicit deny (aws-semantics rule 12); graphiam denied, the peer adds it",
        witness=scenario_of(caller="user", trust=[trust({"AWS": f"arn:aws:iam::{HOME}:user/{USER_NAME}"})],
                            org={"ous": dict(OUS), "parents": {MANAGEMENT: ROOT, HOME: ROOT}},
                            rcps=[{"name": "RCPFullAWSAccess", "targets": [ROOT],
                                   "statements": [_rcp_statement("Allow", "*")]}]),
        blocker=_blocker_rcp_level,
    ),
    KnownClass(
        "session-principal-as-condition", "graphiam bug",
        "a trust naming arn:aws:sts::A:assumed-role/R/S names the calling session S (rule 15); graphiam turned it "
        "into a condition on sts:RoleSessionName, the name of the session being requested",
        witness=scenario_of(trust=[trust({"AWS": f"arn:aws:sts::{HOME}:assumed-role/{CALLER_ROLE}/sess-a"})],
                            request={"sts:RoleSessionName": "deploy-1"}),
        applies=_class_session_principal,
    ),
    KnownClass(
        "session-or-narrowed-star-ignores-boundary", "graphiam bug",
        "within one account, a trust grant to the calling session's ARN, or by Principal * narrowed with "
        "aws:PrincipalArn, is not limited by an implicit deny in the caller's boundary (rule 10); graphiam denied",
        witness=scenario_of(boundary=_ROLE_BOUNDARY_WITHOUT_STS, trust=[trust(
            "*", condition={"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{HOME}:role/{CALLER_ROLE}"}})]),
        applies=lambda c: _class_boundary_with_grant(c, _session_or_narrowed_star),
        blocker=_blocker_session_or_narrowed_star,
    ),
    KnownClass(
        "first-trust-allow-by-principal-kind", "graphiam bug",
        "any one applicable Allow suffices (rule 1): when the trust allows the caller conditionally by one Principal "
        "form and unconditionally by another (its account, *), graphiam kept only the one its form prefers",
        witness=scenario_of(caller="user", role_account=OTHER, inline=[[allow("sts:AssumeRole", "*")]], trust=[
            trust("*", condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), trust({"AWS": HOME})],
            request={"aws:SourceIp": OUTSIDE_IP}),
        applies=_class_first_trust_allow,
    ),
    KnownClass(
        "only-one-conditional-allow-reported", "graphiam bug",
        "several conditional Allows in a layer are alternatives (rule 1); the decision reported only the one with the "
        "fewest keys (reading 3), so a request meeting another one's conditions was judged denied",
        witness=scenario_of(caller="user", trust=[
            trust("*", condition={"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}),
            trust("*", condition={"StringEquals": {"sts:RoleSessionName": "sess-a"}})],
            request={"sts:RoleSessionName": "sess-a"}),
        applies=_class_one_conditional_allow,
    ),
]


def classify(compared: Compared, classes: Sequence[KnownClass] | None = None) -> tuple[KnownClass, ...]:
    """The classes a disagreement falls in (one, or one per cause), or ``()``: a new disagreement.

    ``classes`` defaults to the known ones, then the resolved ones (a match there is a regression).
    """
    if compared.agree or compared.error is not None:
        return ()
    classes = list(KNOWN_CLASSES) + list(RESOLVED_CLASSES) if classes is None else list(classes)
    for known in classes:
        if known.matches(compared):
            return (known,)
    blockers = compared.graphiam.decision.blockers
    if not (_peer_allows_graphiam_denies(compared) and blockers):
        return ()
    causes: list[KnownClass] = []
    for blocker in blockers:
        known = next((k for k in classes if k.blocker is not None and k.blocker(compared, blocker)), None)
        if known is None:
            return ()
        if known not in causes:
            causes.append(known)
    return tuple(causes)


def class_label(classes: Sequence[KnownClass]) -> str:
    return " + ".join(k.name for k in classes) if classes else "NEW"


# =====================================================================================
# 5. Shrinking and printing
# =====================================================================================

def _statement_lists(s: dict) -> Iterable[tuple[list, bool]]:
    """Every list of statements in the scenario, and whether it may become empty."""
    caller = s["caller"]
    for policy in caller["inline"] + caller["managed"]:
        yield policy, True
    for group in caller["groups"]:
        for policy in group["inline"] + group["managed"]:
            yield policy, True
    if caller["boundary"] is not None:
        yield caller["boundary"], False
    yield s["role"]["trust"], False
    for policy in s["scps"] + s["rcps"]:
        yield policy["statements"], True


def _candidates(s: dict) -> Iterable[dict]:
    """Scenarios one step smaller than ``s`` (each a deep copy with one reduction)."""
    def variant(edit: Callable[[dict], Any]) -> dict | None:
        out = copy.deepcopy(s)
        return out if edit(out) is not False else None

    caller = s["caller"]
    # whole parts first: they remove the most
    for key in ("inline", "managed", "groups"):
        for i in range(len(caller[key])):
            yield variant(lambda o, k=key, i=i: o["caller"][k].pop(i))
    if caller["boundary"] is not None:
        yield variant(lambda o: o["caller"].__setitem__("boundary", None))
    for kind in ("scps", "rcps"):
        for i in range(len(s[kind])):
            yield variant(lambda o, k=kind, i=i: o[k].pop(i))
    if s.get("org"):
        if not s["scps"] and not s["rcps"]:
            yield variant(lambda o: o.__setitem__("org", None))
        used = {t for policy in s["scps"] + s["rcps"] for t in policy["targets"]}
        for account in s["org"]["parents"]:
            used.update(level_path(s, account) or ())
        for ou in s["org"]["ous"]:
            if ou not in used:
                yield variant(lambda o, ou=ou: o["org"]["ous"].pop(ou))
        for account, parent in s["org"]["parents"].items():
            if parent != ROOT:
                yield variant(lambda o, a=account, p=parent: o["org"]["parents"].__setitem__(a, o["org"]["ous"][p]))
    # statements
    lists = list(_statement_lists(s))
    for li, (stmts, may_empty) in enumerate(lists):
        if len(stmts) > 1 or may_empty:
            for i in range(len(stmts)):
                def drop(o, li=li, i=i):
                    list(_statement_lists(o))[li][0].pop(i)
                yield variant(drop)
    # policy attachments
    for kind in ("scps", "rcps"):
        for i, policy in enumerate(s[kind]):
            for t in range(len(policy["targets"])):
                yield variant(lambda o, k=kind, i=i, t=t: o[k][i]["targets"].pop(t))
    # inside statements
    for li, (stmts, _) in enumerate(lists):
        for i, stmt in enumerate(stmts):
            for edit in _statement_edits(stmt):
                def apply(o, li=li, i=i, edit=edit):
                    target = list(_statement_lists(o))[li][0]
                    target[i] = edit(copy.deepcopy(target[i]))
                    return None if target[i] is not None else False
                yield variant(apply)
    # tags and request values
    for where in ("caller", "role"):
        for tag in s[where]["tags"]:
            yield variant(lambda o, w=where, t=tag: o[w]["tags"].pop(t))
    for key in s["request"]:
        yield variant(lambda o, k=key: o["request"].pop(k))


def _statement_edits(stmt: dict) -> Iterable[Callable[[dict], dict | None]]:
    """Simplifications of one statement."""
    condition = stmt.get("Condition") or {}
    if condition:
        yield lambda st: {k: v for k, v in st.items() if k != "Condition"}
    for op, entries in condition.items():
        if len(condition) > 1:
            yield lambda st, op=op: {**st, "Condition": {o: e for o, e in st["Condition"].items() if o != op}}
        for key, values in entries.items():
            if len(entries) > 1:
                yield lambda st, op=op, key=key: {**st, "Condition": {**st["Condition"], op: {
                    k: v for k, v in st["Condition"][op].items() if k != key}}}
            if isinstance(values, list) and len(values) > 1:
                for j in range(len(values)):
                    yield lambda st, op=op, key=key, j=j: {**st, "Condition": {**st["Condition"], op: {
                        **st["Condition"][op], key: [v for n, v in enumerate(st["Condition"][op][key]) if n != j]}}}
    for element in ("Action", "NotAction", "Resource", "NotResource"):
        value = stmt.get(element)
        if isinstance(value, list) and len(value) > 1:
            for j in range(len(value)):
                yield lambda st, e=element, j=j: {**st, e: [v for n, v in enumerate(st[e]) if n != j]}
    if isinstance(stmt.get("Action"), list) or stmt.get("Action") not in (None, "sts:AssumeRole", "iam:PassRole", "*"):
        actions = stmt["Action"] if isinstance(stmt["Action"], list) else [stmt["Action"]]
        plain = "sts:AssumeRole" if any(a.lower().startswith("sts") for a in actions) else \
            "iam:PassRole" if any(a.lower().startswith("iam") for a in actions) else None
        if plain:
            yield lambda st, plain=plain: {**st, "Action": plain}
    if stmt.get("Resource") not in (None, "*"):
        yield lambda st: {**st, "Resource": "*"}
    for element in ("Principal", "NotPrincipal"):
        value = stmt.get(element)
        if isinstance(value, dict):
            for kind, names in value.items():
                if isinstance(names, list) and len(names) > 1:
                    for j in range(len(names)):
                        yield lambda st, e=element, kind=kind, j=j: {**st, e: {**st[e], kind: [
                            v for n, v in enumerate(st[e][kind]) if n != j]}}
            if len(value) > 1:
                for kind in value:
                    yield lambda st, e=element, kind=kind: {**st, e: {k: v for k, v in st[e].items() if k != kind}}
    for negated, plain in (("NotAction", "Action"), ("NotResource", "Resource")):
        if negated in stmt:
            def positive(st, negated=negated, plain=plain):
                out = {k: v for k, v in st.items() if k != negated}
                covers_sts = _covers(st, "sts:AssumeRole") if negated == "NotAction" else True
                out[plain] = ("sts:AssumeRole" if covers_sts else "iam:PassRole") if plain == "Action" else "*"
                return out
            yield positive


def shrink(compared: Compared, keep: Callable[[Compared], bool] | None = None, max_rounds: int = 60) -> Compared:
    """A smaller scenario that still disagrees the same way (and, by default, in the same class).

    Greedy: each round evaluates every one-step reduction in one batch (one
    node call) and moves to the first that keeps the disagreement.
    """
    target_class = classify(compared)
    signature = compared.signature

    def default_keep(c: Compared) -> bool:
        return c.signature == signature and not c.agree and classify(c) == target_class

    keep = keep or default_keep
    current = compared
    for _ in range(max_rounds):
        candidates = [c for c in _candidates(current.scenario) if c is not None]
        if not candidates:
            break
        found = next((c for c in evaluate(candidates) if keep(c)), None)
        if found is None:
            break
        current = found
    return current


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def scenario_text(s: dict) -> list[str]:
    lines = []
    caller, role = s["caller"], s["role"]
    who = request_principal(s)
    action = "sts:AssumeRole" if s["action"] == "assume" else f"iam:PassRole to {s['service']}"
    lines.append(f"request: {who} -> {action} on {target_arn(s)}")
    lines.append(f"request values: {_compact(s['request'])}")
    if caller["tags"]:
        lines.append(f"caller tags: {_compact(caller['tags'])}")
    if role["tags"] and not is_self(s):
        lines.append(f"role tags: {_compact(role['tags'])}")
    for key in ("inline", "managed"):
        for i, policy in enumerate(caller[key]):
            lines.append(f"caller {key} policy {i}: {_compact(policy)}")
    for g, group in enumerate(caller["groups"]):
        for key in ("inline", "managed"):
            for i, policy in enumerate(group[key]):
                lines.append(f"group{g} {key} policy {i}: {_compact(policy)}")
    if caller["boundary"] is not None:
        lines.append(f"permissions boundary: {_compact(caller['boundary'])}")
    lines.append(f"trust policy of {target_arn(s)}: {_compact(role['trust'])}")
    if s.get("org"):
        for account in dict.fromkeys((caller["account"], role["account"])):
            path = level_path(s, account)
            lines.append(f"organization path of {account}: {' -> '.join(path) if path else 'outside the organization'}")
        for kind in ("scps", "rcps"):
            for policy in s[kind]:
                lines.append(f"{kind[:-1].upper()} {policy['name']} on {','.join(policy['targets']) or '(nothing)'}: "
                             f"{_compact(policy['statements'])}")
    else:
        lines.append("no organization file")
    return lines


def describe(compared: Compared) -> str:
    """The case, both answers, and graphiam's blockers or requirements, for a person."""
    lines = [f"scenario #{compared.scenario.get('id')}", *("  " + line for line in scenario_text(compared.scenario))]
    if compared.error:
        lines.append(f"  ERROR: {compared.error}")
    answer = compared.graphiam
    if answer is not None:
        decision = answer.decision
        lines.append(f"  graphiam: {'ALLOW' if answer.allowed else 'DENY'} (decision {decision.outcome.value})")
        for blocker in decision.blockers:
            lines.append(f"    blocker [{blocker.layer}, {blocker.effect}] {blocker.message}")
        for n, requirements in enumerate(_requirement_sets(decision) if decision.outcome is Outcome.CONDITIONAL else ()):
            for requirement in requirements:
                lines.append(f"    requirement{' (alternative %d)' % n if n else ''}: {requirement.describe()}")
        for requirement in answer.unmet:
            lines.append(f"    not met by the request: {requirement.describe()}")
    peer = " + ".join(f"{r['result']}{' blockedBy=' + ','.join(r['blockedBy']) if r['blockedBy'] else ''}"
                      for r in compared.peer)
    lines.append(f"  peer ({PEER_PACKAGE}): {'ALLOW' if compared.peer_allowed else 'DENY'} ({peer})")
    known = classify(compared)
    if not compared.agree and compared.error is None:
        resolved = {k.name for k in RESOLVED_CLASSES}
        lines.append("  class: " + (" + ".join(f"{k.name} ({k.verdict}{'; RESOLVED, so a regression' if k.name in resolved else ''})"
                                               for k in known) if known else "NEW (no known class)"))
    return "\n".join(lines)


def minimal_json(compared: Compared) -> str:
    """The scenario as one compact JSON line, without its empty parts (:func:`scenario_from_json` reads it)."""
    s = {k: v for k, v in compared.scenario.items() if k != "id" and v not in ([], {}, None)}
    for part in ("caller", "role"):
        s[part] = {k: v for k, v in s[part].items() if v not in ([], {}, None)}
    return _compact(s)


def scenario_from_json(text: str) -> dict:
    """A scenario printed by :func:`minimal_json`, with its empty parts back."""
    s = json.loads(text)
    s.setdefault("org", None)
    for key in ("scps", "rcps"):
        s.setdefault(key, [])
    s.setdefault("request", {})
    for key, empty in (("tags", {}), ("inline", []), ("managed", []), ("groups", []), ("boundary", None)):
        s["caller"].setdefault(key, empty)
    s["role"].setdefault("tags", {})
    return s


@dataclass
class Run:
    """A batch compared and sorted: disagreements by known class (a two-cause one under both), the regressions
    (in a resolved class), the new ones, and the scenarios a side could not evaluate."""

    results: list[Compared]
    by_class: dict[str, list[Compared]] = field(default_factory=dict)
    by_label: dict[str, list[Compared]] = field(default_factory=dict)
    regressions: list[Compared] = field(default_factory=list)
    new: list[Compared] = field(default_factory=list)
    errors: list[Compared] = field(default_factory=list)

    @property
    def agreement(self) -> float:
        return sum(r.agree for r in self.results) / len(self.results) if self.results else 1.0

    @property
    def disagreements(self) -> int:
        return sum(not r.agree and r.error is None for r in self.results)


def sort_results(results: list[Compared]) -> Run:
    out = Run(results, {k.name: [] for k in [*KNOWN_CLASSES, *RESOLVED_CLASSES]})
    resolved = {k.name for k in RESOLVED_CLASSES}
    for compared in results:
        if compared.error is not None:
            out.errors.append(compared)
        elif not compared.agree:
            known = classify(compared)
            if not known:
                out.new.append(compared)
                continue
            out.by_label.setdefault(class_label(known), []).append(compared)
            for k in known:
                out.by_class[k.name].append(compared)
            if any(k.name in resolved for k in known):
                out.regressions.append(compared)
    return out


def run(seed: int, count: int, batch: int = 4000) -> Run:
    """``count`` scenarios of ``seed``, compared (node once per ``batch``) and sorted into classes."""
    scenarios = generate(seed, count)
    results: list[Compared] = []
    for start in range(0, len(scenarios), batch):
        results.extend(evaluate(scenarios[start:start + batch]))
    return sort_results(results)
