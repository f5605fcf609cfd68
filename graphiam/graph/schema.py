"""What the access graph holds: its node keys, edge keys and edge attributes.

Nodes are keyed by ARN (services by their principal name, e.g.
``ec2.amazonaws.com``; accounts by ``arn:aws:iam::ACCOUNT:root``) and carry
``kind`` (user, group, role, service, federated, account, sso_user,
sso_group), ``account``, ``name``, ``tags`` and, for accounts outside the
snapshot, ``external=True``. IAM Identity Center users and groups are keyed
by :func:`sso_user_node` / :func:`sso_group_node` (see
:mod:`graphiam.graph.identity_center`); their ``account`` is ``None``.

Edges (``key`` in brackets):

- ``member_of`` [member_of]: user -> group, sso_user -> sso_group;
- ``can_assume`` [can_assume]: principal -> role (``action`` is sts:AssumeRole,
  or AssumeRoleWithSAML / AssumeRoleWithWebIdentity from a federated provider,
  or AssumeRoleWithSAML from an sso_user signing in to a permission set's role;
  such an edge also carries ``identity_center``, the assignments, and
  ``assumed``, the sign-in claims it was decided for);
- ``can_pass`` [can_pass:SERVICE]: principal -> role it may pass to SERVICE.

Every assume/pass edge carries the attributes :func:`edge_attributes` gives:
``granted_by`` (the allowing statements), ``conditions`` (request-time
requirements; ``conditional`` is true when there are any), ``alternatives``
(other sets of requirements, each enough instead of ``conditions``: another
conditional Allow) and ``depends_on`` (missing data the decision depends on).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..policy import Decision, Evidence, Outcome, Requirement
from ..snapshot.names import account_root

CAN_ASSUME = "can_assume"
CAN_PASS = "can_pass"
MEMBER_OF = "member_of"
CAN_ESCALATE = "can_escalate"  # principal -> role or user it can become by escalation techniques (graph/escalation.py)
SSO_USER = "sso_user"  # node kinds of IAM Identity Center's users and groups (graph/identity_center.py)
SSO_GROUP = "sso_group"


# the node of "any AWS principal": every caller of every account, let in by a trust open to "*" (kind "anyone")
ANY_PRINCIPAL = "*"


def account_node(account_id: str, partition: str = "aws") -> str:
    """The node of a whole account (``arn:PARTITION:iam::ACCOUNT:root``)."""
    return account_root(account_id, partition)


def pass_key(service: str) -> str:
    return f"{CAN_PASS}:{service}"


def sso_user_node(identity_store_id: str, user_id: str, partition: str = "aws") -> str:
    """The node of an Identity Center user: ``arn:PARTITION:identitystore::IDENTITY_STORE_ID:user/USER_ID``.

    ARN-like and stable (the store id and the user id never change; the user name and emails may). The store id
    stands where an ARN has its account, so :func:`graphiam.snapshot.names.account_of` gives ``None``.
    """
    return f"arn:{partition}:identitystore::{identity_store_id}:user/{user_id}"


def sso_group_node(identity_store_id: str, group_id: str, partition: str = "aws") -> str:
    """The node of an Identity Center group: ``arn:PARTITION:identitystore::IDENTITY_STORE_ID:group/GROUP_ID``."""
    return f"arn:{partition}:identitystore::{identity_store_id}:group/{group_id}"


@dataclass(frozen=True)
class IdentityCenterFact:
    """An Identity Center assignment the graph cannot turn into a sign-in edge (``graph.graph["identity_center_facts"]``).

    ``kind``:

    - ``role_not_provisioned``: the account is in the snapshot, but holds no ``AWSReservedSSO_<name>_...`` role of
      the permission set (not provisioned, or deleted): its assignees cannot sign in there;
    - ``trust_denies``: the role is there, but its trust policy does not let the account's Identity Center SAML
      provider in for the sign-in (``role``; ``reasons`` are the engine's blockers);
    - ``account_not_in_snapshot``: the assignment's account has no account file: what its role allows is unknown;
    - ``unknown_permission_set``: the assignment names a permission set the file does not describe (or whose name
      it does not know), so its role cannot be found;
    - ``unknown_principal``: the assignment names a user or group the identity store listing does not hold.

    ``principals`` are the assigned users and groups: their nodes, or ``USER:<id>`` / ``GROUP:<id>`` for ones
    the file does not list. One fact per kind, account, permission set and role.
    """

    kind: str
    account: str | None
    permission_set: str | None  # its ARN
    permission_set_name: str | None
    principals: tuple[str, ...] = ()
    role: str | None = None
    reasons: tuple[str, ...] = ()

    def sort_key(self) -> tuple:
        return (self.kind, self.account or "", self.permission_set or "", self.role or "")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "account": self.account, "permission_set": self.permission_set,
                "permission_set_name": self.permission_set_name, "principals": list(self.principals),
                "role": self.role, "reasons": list(self.reasons)}


@dataclass(frozen=True)
class TrustFact:
    """A trust entry the graph cannot turn into an edge to a known principal."""

    role: str
    principal: str
    # "dangling" (a deleted principal's unique id), "external_account", "unknown_principal", "public" (any AWS
    # principal, or any holder of a web-identity provider's tokens)
    kind: str
    sid: str | None
    statement: int
    conditions: tuple[str, ...] = ()  # for "public": the statement's conditions, which still apply

    def to_dict(self) -> dict:
        return {"role": self.role, "principal": self.principal, "kind": self.kind, "sid": self.sid,
                "statement": self.statement, "conditions": list(self.conditions)}


class SharedDicts:
    """``to_dict()`` of each evidence or requirement, made once and shared by every edge it grants.

    One trust statement grants many edges: sharing its dict keeps the graph
    and its cache small. Read the dicts, never mutate them. Lookups go by
    object identity first (the engine hands out the same Evidence object for
    a remembered match), then by value; the table holds what it has seen, so
    an id is never reused while it is in the table.
    """

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[object, dict]] = {}
        self._by_value: dict[Evidence | Requirement, dict] = {}

    def __call__(self, value: Evidence | Requirement) -> dict:
        entry = self._by_id.get(id(value))
        if entry is not None and entry[0] is value:
            return entry[1]
        found = self._by_value.get(value)
        if found is None:
            found = self._by_value[value] = value.to_dict()
        self._by_id[id(value)] = (value, found)
        return found


def edge_attributes(edge_type: str, action: str, decision: Decision, service: str | None = None,
                    shared: SharedDicts | None = None) -> dict:
    """An edge's attributes; with ``shared``, evidence and condition dicts shared across edges."""
    as_dict = shared or (lambda value: value.to_dict())
    return {
        "edge_type": edge_type,
        "action": action,
        "service": service,
        "conditional": decision.outcome is Outcome.CONDITIONAL,
        "granted_by": [as_dict(e) for e in decision.granted_by],
        "conditions": [as_dict(r) for r in decision.requirements] if decision.requirements else [],
        "alternatives": [[as_dict(r) for r in more] for more in decision.alternatives] if decision.alternatives else [],
        "depends_on": list(decision.depends_on),
    }
