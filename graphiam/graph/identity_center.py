"""IAM Identity Center in the access graph: its users and groups, and their sign-ins to permission sets' roles.

**Nodes.** Every user and group of the snapshot's identity-center file
(:attr:`graphiam.snapshot.model.Snapshot.identity_center`) is a node, keyed
by a stable ARN-like id (the identity store has no ARN that names the store
and the user together; these ids never change when a user is renamed):

- ``arn:PARTITION:identitystore::IDENTITY_STORE_ID:user/USER_ID``: kind
  ``sso_user``, ``name`` = the user name (what the user signs in with),
  ``display_name``, ``emails``, ``user_id``, ``identity_store_id``;
- ``arn:PARTITION:identitystore::IDENTITY_STORE_ID:group/GROUP_ID``: kind
  ``sso_group``, ``name`` = the group's display name, ``description``,
  ``group_id``, ``identity_store_id``.

Their ``account`` is ``None`` (the identity store belongs to no account of
the snapshot; the store id stands where an ARN has its account, so
:func:`~graphiam.snapshot.names.account_of` of a node id is ``None`` too) and
``tags`` is empty. A user has a ``member_of`` edge to each of its groups.

**Sign-in edges.** An assignment of permission set ``NAME`` in account ``A``
to a user, or to a group the user is in, lets the user sign in to the role
``AWSReservedSSO_NAME_<hex>`` of ``A`` (:mod:`graphiam.policy.identity_center`).
The user gets a ``can_assume`` edge to that role with action
``sts:AssumeRoleWithSAML`` when the engine allows the role's trust for the
account's Identity Center SAML provider
(:func:`~graphiam.policy.identity_center.decide_sign_in`), decided for the
claims Identity Center's sign-in carries. The edge has the usual attributes
(:func:`~graphiam.graph.schema.edge_attributes`: the trust statement in
``granted_by``, conditions left), ``assumed`` (the claims decided, as a stated
request gives them) and ``identity_center``: the instance, account,
permission set (ARN and name), provider, and ``assignments``, each
``{"principal_type": "USER"|"GROUP", "principal_id", "principal": node id,
"name"}``: the user's own assignment and every group's that gives it.

**Facts.** An assignment that gives no edge is recorded in
``graph.graph["identity_center_facts"]`` (present when the snapshot has an
identity-center file; :class:`~graphiam.graph.schema.IdentityCenterFact`):
the permission set's role missing from the account (``role_not_provisioned``),
a trust that does not let the provider in (``trust_denies``), an account
without a file, a permission set or principal the file does not describe.
Facts that depend on the target accounts are made by the builder of those
accounts (so partitioned builds make each once); the others by
:meth:`SignIns.static_facts`.
"""

from __future__ import annotations

import re
from typing import Iterable

import networkx as nx

from ..policy import ASSUME_ROLE_WITH_SAML, Blocker, Decision, Outcome, PolicyEngine
from ..policy.identity_center import decide_sign_in, reserved_permission_set, sign_in_context
from ..policy.request import apply_stated
from ..snapshot.model import AccountAssignment, IdentityCenter, PermissionSet, Role, Snapshot
from .schema import (CAN_ASSUME, MEMBER_OF, SSO_GROUP, SSO_USER, IdentityCenterFact, SharedDicts, edge_attributes,
                     sso_group_node, sso_user_node)

_USER_NODE = re.compile(r"arn:aws(?:-[a-z]+)*:identitystore::([^:/]+):user/(.+)")

Edge = tuple[str, str, str, dict]


def user_node(center: IdentityCenter, user_id: str) -> str:
    return sso_user_node(center.identity_store_id, user_id, center.partition)


def group_node(center: IdentityCenter, group_id: str) -> str:
    return sso_group_node(center.identity_store_id, group_id, center.partition)


def add_identity_center_nodes(graph: nx.MultiDiGraph, center: IdentityCenter) -> None:
    """The users and groups of ``center`` as nodes, and each user's ``member_of`` edges to its groups."""
    for user_id in sorted(center.users):
        user = center.users[user_id]
        graph.add_node(user_node(center, user_id), kind=SSO_USER, account=None, name=user.user_name,
                       display_name=user.display_name, emails=list(user.emails), user_id=user_id,
                       identity_store_id=center.identity_store_id, tags={})
    for group_id in sorted(center.groups):
        group = center.groups[group_id]
        graph.add_node(group_node(center, group_id), kind=SSO_GROUP, account=None, name=group.display_name,
                       description=group.description, group_id=group_id, identity_store_id=center.identity_store_id,
                       tags={})
    for membership in center.memberships:
        if membership.user_id in center.users and membership.group_id in center.groups:
            graph.add_edge(user_node(center, membership.user_id), group_node(center, membership.group_id),
                           key=MEMBER_OF, edge_type=MEMBER_OF)


class SignIns:
    """The sign-in edges and facts of a snapshot's Identity Center, decided by ``engine``."""

    def __init__(self, snapshot: Snapshot, engine: PolicyEngine, shared: SharedDicts | None = None) -> None:
        assert snapshot.identity_center is not None
        self.snapshot = snapshot
        self.center: IdentityCenter = snapshot.identity_center
        self.engine = engine
        self.shared = shared or SharedDicts()
        self.pairs_evaluated = 0
        self._context = sign_in_context()
        self._targets: dict[tuple[str, str], list[AccountAssignment]] = {}
        for assignment in self.center.assignments:
            self._targets.setdefault((assignment.account_id, assignment.permission_set_arn), []).append(assignment)
        self._members: dict[str, list[str]] = {}  # group id -> its users' ids, sorted
        for membership in self.center.memberships:
            self._members.setdefault(membership.group_id, []).append(membership.user_id)
        for users in self._members.values():
            users.sort()

    # -- who and what an assignment names -----------------------------------------------------
    def _principal(self, assignment: AccountAssignment) -> tuple[str, str | None]:
        """The node of the assigned user or group (``USER:<id>`` when the file does not list it), and its name."""
        center = self.center
        if assignment.principal_type == "USER":
            user = center.users.get(assignment.principal_id)
            if user is not None:
                return user_node(center, user.user_id), user.user_name
        else:
            group = center.groups.get(assignment.principal_id)
            if group is not None:
                return group_node(center, group.group_id), group.display_name
        return f"{assignment.principal_type}:{assignment.principal_id}", None

    def _known(self, assignment: AccountAssignment) -> bool:
        listed = self.center.users if assignment.principal_type == "USER" else self.center.groups
        return assignment.principal_id in listed

    def _permission_set(self, arn: str) -> PermissionSet | None:
        found = self.center.permission_sets.get(arn)
        return found if found is not None and found.name else None

    def roles_of(self, account_id: str, permission_set_name: str) -> list[Role]:
        """The roles of ``account_id`` that Identity Center provisioned for the permission set, sorted by ARN."""
        account = self.snapshot.accounts.get(account_id)
        if account is None:
            return []
        return [account.roles[arn] for arn in sorted(account.roles)
                if reserved_permission_set(account.roles[arn]) == permission_set_name]

    def _signers(self, assigned: Iterable[AccountAssignment]) -> dict[str, list[dict]]:
        """user id -> the assignments that let it sign in (its own, and each of its groups')."""
        out: dict[str, list[dict]] = {}
        for assignment in assigned:
            if not self._known(assignment):
                continue
            node, name = self._principal(assignment)
            evidence = {"principal_type": assignment.principal_type, "principal_id": assignment.principal_id,
                        "principal": node, "name": name}
            users = ((assignment.principal_id,) if assignment.principal_type == "USER"
                     else self._members.get(assignment.principal_id, ()))
            for user_id in users:
                if user_id in self.center.users:
                    out.setdefault(user_id, []).append(evidence)
        return out

    # -- facts that need no decision --------------------------------------------------------------
    def static_facts(self) -> list[IdentityCenterFact]:
        """Assignments whose permission set, account or principal the snapshot does not hold."""
        facts = []
        for (account_id, arn), assigned in sorted(self._targets.items()):
            described = self.center.permission_sets.get(arn)
            name = described.name if described is not None and described.name else None
            principals = tuple(sorted({self._principal(a)[0] for a in assigned}))
            if name is None:
                facts.append(IdentityCenterFact("unknown_permission_set", account_id, arn, None, principals))
            elif account_id not in self.snapshot.accounts:
                facts.append(IdentityCenterFact("account_not_in_snapshot", account_id, arn, name, principals))
            unknown = tuple(sorted({self._principal(a)[0] for a in assigned if not self._known(a)}))
            if unknown:
                facts.append(IdentityCenterFact("unknown_principal", account_id, arn, name, unknown))
        return facts

    # -- edges ---------------------------------------------------------------------------------------
    def _sign_in(self, role: Role) -> tuple[str | None, dict | None, tuple[str, ...]]:
        """The provider, the edge's shared attributes (``None``: no sign-in) and, when none, why not."""
        provider, decision = decide_sign_in(self.engine, role)
        self.pairs_evaluated += 1
        if decision.outcome is Outcome.DENIED:
            return provider, None, tuple(b.message for b in decision.blockers)
        attributes = edge_attributes(CAN_ASSUME, ASSUME_ROLE_WITH_SAML, decision, None, self.shared)
        assumed: list[dict] = []
        if decision.outcome is Outcome.CONDITIONAL:
            stated = apply_stated([attributes["conditions"], *attributes["alternatives"]], self._context)
            if stated.outcome is Outcome.DENIED:
                failed = [a.describe() for a in stated.assumed if not a.held]
                return provider, None, (f"The trust policy of {role.arn} lets {provider} in only on conditions "
                                        "Identity Center's sign-in does not meet: " + "; ".join(failed),)
            left = stated.sets
            attributes = {**attributes, "conditional": bool(left), "conditions": list(left[0]) if left else [],
                          "alternatives": [list(more) for more in left[1:]]}
            assumed = [a.to_dict() for a in stated.assumed]
        attributes["assumed"] = assumed
        return provider, attributes, ()

    def decide(self, accounts: Iterable[str] | None = None) -> tuple[list[Edge], list[IdentityCenterFact]]:
        """The sign-in edges into the roles of ``accounts`` (all when ``None``), and the facts that need a decision."""
        wanted = None if accounts is None else set(accounts)
        edges: list[Edge] = []
        facts: list[IdentityCenterFact] = []
        for (account_id, arn), assigned in sorted(self._targets.items()):
            if wanted is not None and account_id not in wanted:
                continue
            permission_set = self._permission_set(arn)
            if permission_set is None or account_id not in self.snapshot.accounts:
                continue  # static facts
            roles = self.roles_of(account_id, permission_set.name)
            signers = self._signers(assigned)
            if not roles:
                principals = tuple(sorted({self._principal(a)[0] for a in assigned}))
                facts.append(IdentityCenterFact("role_not_provisioned", account_id, arn, permission_set.name,
                                                principals))
                continue
            for role in roles:
                provider, attributes, reasons = self._sign_in(role)
                if attributes is None:
                    principals = tuple(sorted({self._principal(a)[0] for a in assigned}))
                    facts.append(IdentityCenterFact("trust_denies", account_id, arn, permission_set.name, principals,
                                                    role.arn, reasons))
                    continue
                for user_id in sorted(signers):
                    evidence = {"instance": self.center.instance_arn, "account": account_id, "permission_set": arn,
                                "permission_set_name": permission_set.name, "provider": provider,
                                "assignments": signers[user_id]}
                    edges.append((user_node(self.center, user_id), role.arn, CAN_ASSUME,
                                  {**attributes, "identity_center": evidence}))
        return edges, facts


def facts_dicts(facts: Iterable[IdentityCenterFact]) -> list[dict]:
    """``facts`` in their stable order, as the graph holds them."""
    return [fact.to_dict() for fact in sorted(facts, key=IdentityCenterFact.sort_key)]


# -- the direct request, for a path question from an Identity Center user -----------------------------------

def user_of_node(snapshot: Snapshot, node: str) -> str | None:
    """The user id an ``sso_user`` node names in ``snapshot``'s Identity Center, or ``None``."""
    center = snapshot.identity_center
    match = _USER_NODE.fullmatch(node)
    if center is None or match is None or match.group(1) != center.identity_store_id:
        return None
    return match.group(2) if match.group(2) in center.users else None


def decide_user_sign_in(snapshot: Snapshot, engine: PolicyEngine, node: str, role: Role) -> Decision:
    """The direct request of an Identity Center user (its node) signing in to ``role``: denied unless an
    assignment gives the user (or one of its groups) the role's permission set in the role's account, else the
    engine's decision on the role's trust for the account's Identity Center provider
    (:func:`~graphiam.policy.identity_center.decide_sign_in`; conditional on the SAML claims it requires)."""
    user_id = user_of_node(snapshot, node)
    if user_id is None:
        raise ValueError(f"{node}: not an Identity Center user of the snapshot")
    center = snapshot.identity_center
    assert center is not None
    user = center.users[user_id]
    permission_set_name = reserved_permission_set(role)
    if permission_set_name is None:
        return _denied(f"{role.arn} is not a role IAM Identity Center provisioned (AWSReservedSSO_<permission set>_... "
                       f"under /aws-reserved/sso.amazonaws.com/): {user.user_name} signs in only to the roles of the "
                       "permission sets assigned to it.", role)
    signins = SignIns(snapshot, engine)
    for (account_id, arn), assigned in sorted(signins._targets.items()):
        permission_set = signins._permission_set(arn)
        if account_id != role.account_id or permission_set is None or permission_set.name != permission_set_name:
            continue
        if user_id in signins._signers(assigned):
            return decide_sign_in(engine, role)[1]
    return _denied(f"No IAM Identity Center assignment gives {user.user_name} the permission set {permission_set_name} "
                   f"in account {role.account_id}, directly or through a group.", role)


def _denied(message: str, role: Role) -> Decision:
    return Decision(Outcome.DENIED, blockers=(Blocker("identity", "implicit_deny", message, attached_to=role.arn),))
