"""The typed model of a snapshot: frozen dataclasses, no AWS semantics.

Everything here is plain data read by :mod:`graphiam.snapshot`. The policy
engine (:mod:`graphiam.policy`) is the only place that gives it meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterator, Literal, Mapping

from .names import account_of

Effect = Literal["Allow", "Deny"]


@dataclass(frozen=True)
class Condition:
    """One ``operator: {key: [values]}`` entry of a Condition block."""

    operator: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    key: str  # as written, e.g. "aws:PrincipalTag/team"
    values: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"operator": self.operator, "key": self.key, "values": list(self.values)}


@dataclass(frozen=True)
class Statement:
    """One statement of a policy document.

    ``actions``/``resources``/``principals`` hold what the statement lists;
    the ``not_*`` flags say whether it was the ``Not...`` form of the element.
    ``resources`` is ``None`` when the statement has neither Resource nor
    NotResource (trust policies). ``principals`` pairs a principal type
    ("AWS", "Service", "Federated", "CanonicalUser") with its values; the bare
    ``"Principal": "*"`` is stored as ``(("AWS", ("*",)),)``, which IAM treats
    the same way.
    """

    effect: Effect
    actions: tuple[str, ...]
    not_action: bool = False
    resources: tuple[str, ...] | None = None
    not_resource: bool = False
    principals: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    not_principal: bool = False
    conditions: tuple[Condition, ...] = ()
    sid: str | None = None
    index: int = 0  # position in its document, to name statements without a Sid

    def named_principals(self) -> Iterator[tuple[str, str]]:
        """Each (principal type, value) the Principal or NotPrincipal element lists, in order."""
        for principal_type, values in self.principals or ():
            for value in values:
                yield principal_type, value

    @property
    def label(self) -> str:
        """The Sid, or ``#n`` (1-based) for a statement without one."""
        return self.sid if self.sid else f"#{self.index + 1}"


@dataclass(frozen=True)
class PolicyDocument:
    statements: tuple[Statement, ...]
    digest: str  # sha256 of the canonical JSON; equal documents share one parsed object
    raw: Mapping = field(default_factory=dict, compare=False, repr=False)
    # action -> the statements whose Action/NotAction covers it: filled by the policy engine, and
    # gone with the document (no process-wide table)
    by_action: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def __getstate__(self) -> dict:
        """Pickles (the graph cache, Dask) leave the per-action cache out."""
        return {"statements": self.statements, "digest": self.digest, "raw": self.raw}

    def __setstate__(self, state: dict) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "by_action", {})


PolicyKind = Literal["inline", "managed", "boundary", "trust", "scp", "rcp"]


@dataclass(frozen=True)
class AttachedPolicy:
    """A policy as it applies to one principal or target.

    ``arn`` is the managed policy ARN (``None`` for inline and trust
    policies). ``document`` is ``None`` when the snapshot references a managed
    policy it does not contain: decisions that need it say so.
    """

    name: str
    kind: PolicyKind
    document: PolicyDocument | None
    arn: str | None = None
    attached_to: str | None = None  # where it is attached (principal ARN, OU id, ...)

    @property
    def ref(self) -> str:
        """What a person calls this policy in a message: its ARN, or its name."""
        return self.arn or self.name


@dataclass(frozen=True)
class Tag:
    key: str
    value: str


@dataclass(frozen=True)
class ManagedPolicy:
    arn: str
    name: str
    document: PolicyDocument  # the default version only
    default_version: str


@dataclass(frozen=True)
class Group:
    arn: str
    name: str
    account_id: str
    group_id: str
    path: str
    inline_policies: tuple[AttachedPolicy, ...]
    managed_policy_arns: tuple[str, ...]


@dataclass(frozen=True)
class User:
    arn: str
    name: str
    account_id: str
    user_id: str
    path: str
    tags: tuple[Tag, ...]
    inline_policies: tuple[AttachedPolicy, ...]
    managed_policy_arns: tuple[str, ...]
    group_names: tuple[str, ...]
    permissions_boundary_arn: str | None

    kind: Literal["user"] = "user"


@dataclass(frozen=True)
class Role:
    arn: str
    name: str
    account_id: str
    role_id: str
    path: str
    tags: tuple[Tag, ...]
    trust_policy: PolicyDocument
    inline_policies: tuple[AttachedPolicy, ...]
    managed_policy_arns: tuple[str, ...]
    permissions_boundary_arn: str | None
    instance_profiles: tuple[str, ...] = ()  # the instance profiles it is in (ARNs): what EC2 can be given

    kind: Literal["role"] = "role"

    @property
    def is_service_linked(self) -> bool:
        """Service-linked roles live under ``/aws-service-role/``; SCPs and RCPs skip them."""
        return self.path.startswith("/aws-service-role/")


Principal = User | Role


@dataclass(frozen=True)
class Account:
    """One account's IAM entities.

    ``source`` is the file it was read from. A file that merges several
    accounts is split by the account id in each entity's ARN: every account
    read from it has that file as its ``source``, and the AWS managed
    policies such a file carries are kept once, in
    :attr:`Snapshot.aws_managed_policies`, rather than in each account's
    ``policies``. ``partition`` is the ARN partition of its entities
    (``aws``, ``aws-us-gov``, ``aws-cn``, ...).
    """

    account_id: str
    source: str  # the file it was read from
    users: Mapping[str, User]  # by ARN
    groups: Mapping[str, Group]  # by ARN
    roles: Mapping[str, Role]  # by ARN
    policies: Mapping[str, ManagedPolicy]  # by ARN, AWS managed ones included (but see above)
    partition: str = "aws"


@dataclass(frozen=True)
class OrgPolicy:
    policy_id: str
    name: str
    arn: str
    type: Literal["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]
    document: PolicyDocument
    target_ids: tuple[str, ...]


@dataclass(frozen=True)
class Organization:
    """The organization file: the OU tree and its SCPs and RCPs.

    What the file leaves out is recorded, never filled in (no account or
    policy is invented):

    ``incomplete``
        One human phrase per missing part, naming the file, e.g.
        ``"organization.json has no Policies: SCPs and RCPs are unknown"``
        (the same phrases are warnings on the snapshot). Empty when the
        file is complete.
    ``policy_types_enabled``
        The organization policy types (``SERVICE_CONTROL_POLICY``,
        ``RESOURCE_CONTROL_POLICY``, also ``TAG_POLICY``, ... as written)
        the file says are enabled: from ``Roots[].PolicyTypes`` (list_roots),
        or, when no root carries ``PolicyTypes``, from the deprecated
        ``Organization.AvailablePolicyTypes`` (describe_organization). A
        type counts when its ``Status`` is ``ENABLED`` or
        ``PENDING_DISABLE`` (still in force while it is being disabled).
        ``None`` when the file does not say.
    ``policy_types_known``
        The access-deciding types (``SERVICE_CONTROL_POLICY``,
        ``RESOURCE_CONTROL_POLICY``) for which ``policies`` is the whole
        truth: every policy of the type with its targets, or the file says
        the type is not enabled (then none of its policies apply). For such
        a type, "no policy of the type in ``policies``" means the
        organization uses none. A type missing from this set is unknown:
        the file has no ``Policies``, or a policy of the type has no
        ``Targets`` (``"Targets": []`` is known: attached nowhere);
        ``incomplete`` says which. The reader infers nothing more: a type
        the file says is enabled, with ``Policies`` listing none of it, is
        known (AWS would have attached ``FullAWSAccess`` or
        ``RCPFullAWSAccess``, so such a file contradicts itself; the engine
        may treat that as it sees fit).
    ``accounts_listed``
        ``False`` when the file has no ``Accounts`` (describe_organization
        alone, say): then no account has a known place in the tree, so
        ``path_of`` is ``None`` for every account because the file does not
        say, not because the accounts are outside the organization.
    ``account_ids``
        The ids of the file's ``Accounts``, in file order (the members the
        file lists; ``parents`` also holds the OUs). Empty without ``Accounts``.

    :meth:`policy_type_status` reads the three together.
    """

    org_id: str
    management_account_id: str
    source: str
    root_ids: tuple[str, ...]
    parents: Mapping[str, str]  # account id or OU id -> parent id
    names: Mapping[str, str]  # OU/account/root id -> name
    policies: tuple[OrgPolicy, ...]
    incomplete: tuple[str, ...] = ()
    policy_types_enabled: frozenset[str] | None = None
    policy_types_known: frozenset[str] = frozenset({"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"})
    accounts_listed: bool = True
    account_ids: tuple[str, ...] = ()

    def policy_type_status(self, policy_type: str) -> Literal["off", "listed", "unknown"]:
        """What the file says of ``policy_type`` (``SERVICE_CONTROL_POLICY`` or ``RESOURCE_CONTROL_POLICY``).

        - ``"off"``: the file says the type is not enabled, so none of its
          policies apply ("no SCPs because none are enabled"), whatever
          ``policies`` holds of it;
        - ``"listed"``: ``policies`` holds every policy of the type with its
          targets (none of the type listed: the organization uses none);
        - ``"unknown"``: the file does not list them (see ``incomplete``).
        """
        if policy_type not in self.policy_types_known:
            return "unknown"
        if self.policy_types_enabled is not None and policy_type not in self.policy_types_enabled:
            return "off"
        return "listed"

    def path_of(self, account_id: str) -> tuple[str, ...] | None:
        """Ids from the root down to the account itself, or ``None`` if not a member."""
        if account_id not in self.parents:
            return None
        chain = [account_id]
        node = account_id
        seen = {account_id}
        while node in self.parents:
            node = self.parents[node]
            if node in seen:  # a cycle would be a broken file; the reader rejects it
                break
            seen.add(node)
            chain.append(node)
        return tuple(reversed(chain))

    def org_path_string(self, account_id: str) -> str | None:
        """The ``aws:PrincipalOrgPaths`` value: ``o-id/r-id/ou-a/ou-b/`` (the account's parent chain)."""
        path = self.path_of(account_id)
        if path is None:
            return None
        return "/".join((self.org_id,) + path[:-1]) + "/"


# -- IAM Identity Center ------------------------------------------------------------

PrincipalType = Literal["USER", "GROUP"]


@dataclass(frozen=True)
class IdentityCenterUser:
    """A user of the Identity Center identity store (identitystore ``list_users``)."""

    user_id: str
    user_name: str  # what the user signs in with; the session name of the roles they sign in to
    display_name: str | None
    emails: tuple[str, ...]  # ``Emails[].Value``, the primary one first


@dataclass(frozen=True)
class IdentityCenterGroup:
    """A group of the identity store (identitystore ``list_groups``)."""

    group_id: str
    display_name: str  # the group id when the store gives no name
    description: str | None = None


@dataclass(frozen=True)
class GroupMembership:
    """A user in a group (identitystore ``list_group_memberships``); groups hold users only."""

    group_id: str
    user_id: str
    membership_id: str | None = None


@dataclass(frozen=True)
class CustomerManagedPolicyReference:
    """A customer managed policy a permission set names by ``Path`` + ``Name``: the policy of that name in each
    account the permission set is provisioned to."""

    name: str
    path: str = "/"

    def arn_in(self, account_id: str, partition: str = "aws") -> str:
        return f"arn:{partition}:iam::{account_id}:policy{self.path}{self.name}"


@dataclass(frozen=True)
class PermissionSetBoundary:
    """A permission set's permissions boundary: an AWS managed policy's ARN, or a customer managed reference."""

    managed_policy_arn: str | None = None
    customer_managed_policy: CustomerManagedPolicyReference | None = None


@dataclass(frozen=True)
class PermissionSet:
    """A permission set: what Identity Center provisions as the role ``AWSReservedSSO_<name>_<hex>`` (under
    ``/aws-reserved/sso.amazonaws.com/``) in each account it is assigned in.

    ``inline_policy`` is ``None`` when it has none; ``provisioned_accounts`` are the accounts it is provisioned
    to (``list_accounts_for_provisioned_permission_set``). The access itself is decided on the provisioned
    roles, as IAM sees them in the account files: these fields say what Identity Center meant them to hold.
    """

    arn: str
    name: str
    description: str | None
    session_duration: str | None  # ISO 8601, e.g. "PT8H"
    inline_policy: PolicyDocument | None
    managed_policy_arns: tuple[str, ...]
    customer_managed_policies: tuple[CustomerManagedPolicyReference, ...]
    permissions_boundary: PermissionSetBoundary | None
    provisioned_accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountAssignment:
    """A user or group given a permission set in an account (sso-admin ``list_account_assignments``)."""

    account_id: str
    permission_set_arn: str
    principal_type: PrincipalType
    principal_id: str


@dataclass(frozen=True)
class IdentityCenter:
    """The identity-center file: one IAM Identity Center instance, its identity store and its assignments.

    ``users`` and ``groups`` are keyed by their ids, ``permission_sets`` by ARN. ``incomplete`` holds one
    phrase per part the collector could not read (a failed call, named in the file's ``Errors``); the same
    phrases are warnings on the snapshot.
    """

    instance_arn: str
    identity_store_id: str
    source: str
    users: Mapping[str, IdentityCenterUser]
    groups: Mapping[str, IdentityCenterGroup]
    memberships: tuple[GroupMembership, ...]
    permission_sets: Mapping[str, PermissionSet]
    assignments: tuple[AccountAssignment, ...]
    owner_account_id: str | None = None
    name: str | None = None
    incomplete: tuple[str, ...] = ()

    @property
    def partition(self) -> str:
        """The partition of the instance ARN (``aws`` unless it says otherwise)."""
        parts = self.instance_arn.split(":", 2)
        return parts[1] if len(parts) > 2 and parts[1] else "aws"

    def groups_of(self, user_id: str) -> tuple[str, ...]:
        """The ids of the groups ``user_id`` is a member of, sorted."""
        return tuple(sorted({m.group_id for m in self.memberships if m.user_id == user_id}))

    def members_of(self, group_id: str) -> tuple[str, ...]:
        """The ids of the users in group ``group_id``, sorted."""
        return tuple(sorted({m.user_id for m in self.memberships if m.group_id == group_id}))


@dataclass(frozen=True)
class Snapshot:
    accounts: Mapping[str, Account]
    organization: Organization | None = None
    warnings: tuple[str, ...] = ()
    aws_managed_policies: Mapping[str, ManagedPolicy] = field(default_factory=dict)  # from files with no account
    identity_center: IdentityCenter | None = None  # the identity-center file, when the snapshot has one

    # -- lookups -----------------------------------------------------------
    def principal(self, arn: str) -> Principal | None:
        account = self.accounts.get(account_of(arn) or "")
        if account is None:
            return None
        return account.users.get(arn) or account.roles.get(arn)

    def role(self, arn: str) -> Role | None:
        account = self.accounts.get(account_of(arn) or "")
        return account.roles.get(arn) if account else None

    def managed_policy(self, arn: str) -> ManagedPolicy | None:
        owner = account_of(arn)
        if owner and owner in self.accounts:
            return self.accounts[owner].policies.get(arn)
        if arn in self.aws_managed_policies:
            return self.aws_managed_policies[arn]
        for account in self.accounts.values():  # AWS managed: any account file may carry it
            found = account.policies.get(arn)
            if found is not None:
                return found
        return None

    def groups_of(self, user: User) -> tuple[Group, ...]:
        account = self.accounts[user.account_id]
        by_name = {group.name: group for group in account.groups.values()}
        return tuple(by_name[name] for name in user.group_names if name in by_name)

    def all_principals(self) -> list[Principal]:
        out: list[Principal] = []
        for account_id in sorted(self.accounts):
            account = self.accounts[account_id]
            out.extend(account.users[arn] for arn in sorted(account.users))
            out.extend(account.roles[arn] for arn in sorted(account.roles))
        return out

    def all_roles(self) -> list[Role]:
        return [p for p in self.all_principals() if isinstance(p, Role)]

    # -- in-memory edits (used to verify fixes) ----------------------------
    def with_principal(self, updated: Principal) -> "Snapshot":
        account = self.accounts[updated.account_id]
        if isinstance(updated, User):
            account = replace(account, users={**account.users, updated.arn: updated})
        else:
            account = replace(account, roles={**account.roles, updated.arn: updated})
        return replace(self, accounts={**self.accounts, account.account_id: account})
