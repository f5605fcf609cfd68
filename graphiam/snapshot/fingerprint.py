"""Per-account content fingerprints: what an incremental rebuild compares to know which accounts changed.

An account's fingerprint is a digest of everything the decisions about its
principals (as callers) and its roles (as targets) read from the snapshot:

- the account itself: its users, groups, roles, managed policies and partition,
  field by field (policy documents by their canonical digest); not the name of
  the file it came from, which no decision reads (so the same account in
  another folder is unchanged);
- the documents of the policies its principals and groups reference that live
  outside it (an AWS managed policy, whichever file carries it, or a policy of
  another account), as :meth:`Snapshot.managed_policy` resolves them;
- its place in the organization: the organization's id, management account,
  policy type status and incomplete parts, which policy types any policy of it
  has (a type no policy has applies nowhere), the account's name and OU chain,
  and every SCP and RCP attached anywhere on that chain.

Two snapshots that give an account the same fingerprint hold the same inputs
for it. The fingerprint says nothing of *other* accounts: which edges an
account's change can reach (a trust that names it, or ``*``) is the rebuild's
business (:mod:`graphiam.graph.incremental`). It is deliberately coarse: a
reordered field or a renamed file counts as a change (a rebuild of too much is
slower, never wrong).

The identity-center file has one fingerprint of its own
(:func:`identity_center_fingerprint`): its assignments reach into many accounts.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import replace
from collections.abc import Mapping
from typing import Any

from .model import Account, Organization, PolicyDocument, Snapshot
from .names import account_of

__all__ = ["account_fingerprints", "identity_center_fingerprint"]

_FIELDS: dict[type, tuple[str, ...]] = {}
_ATOMS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    """``value`` as nested tuples of text and numbers, documents by their digest (what ``repr`` hashes)."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is tuple or kind is list:
        return tuple(item if type(item) in _ATOMS else _plain(item) for item in value)
    if kind is PolicyDocument:
        return ("doc", value.digest)
    names = _FIELDS.get(kind)
    if names is None and dataclasses.is_dataclass(value):
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return (kind.__name__, *[item if type(item) in _ATOMS else _plain(item)
                                 for item in map(value.__getattribute__, names)])
    if kind is dict or isinstance(value, Mapping):
        return tuple((key, item if type(item) in _ATOMS else _plain(item)) for key, item in value.items())
    if isinstance(value, (frozenset, set)):
        return ("set", tuple(sorted(repr(_plain(item)) for item in value)))
    raise TypeError(f"cannot fingerprint a {kind.__name__}")


def _digest(value: Any) -> str:
    return hashlib.blake2b(repr(value).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def account_fingerprints(snapshot: Snapshot) -> dict[str, str]:
    """Each account id of ``snapshot`` and its fingerprint (see the module docstring)."""
    outside: dict[str, Any] = {}  # referenced ARN -> its resolved document's digest (None: not in the snapshot)
    org = snapshot.organization
    org_part = _organization_part(org)
    return {account_id: _digest((_plain(replace(account, source="")), _referenced(snapshot, account, outside),
                                 org_part, _place(org, account_id)))
            for account_id, account in sorted(snapshot.accounts.items())}


def _referenced(snapshot: Snapshot, account: Account, outside: dict[str, Any]) -> tuple:
    """The documents of policies outside ``account`` that its principals and groups name."""
    arns: set[str] = set()
    for entity in (*account.users.values(), *account.roles.values(), *account.groups.values()):
        arns.update(entity.managed_policy_arns)
        boundary = getattr(entity, "permissions_boundary_arn", None)
        if boundary:
            arns.add(boundary)
    out = []
    for arn in sorted(arns):
        if account_of(arn) == account.account_id:
            continue  # the account's own policies are part of the account
        if arn not in outside:
            found = snapshot.managed_policy(arn)
            outside[arn] = None if found is None else (found.default_version, found.document.digest)
        out.append((arn, outside[arn]))
    return tuple(out)


def _organization_part(org: Organization | None) -> Any:
    """What of the organization applies to every account alike."""
    if org is None:
        return None
    # the file's name is in the engine's words only when a policy type is unknown and the file says nothing more
    unknown = not org.accounts_listed or any(org.policy_type_status(t) == "unknown"
                                             for t in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"))
    in_use = tuple(sorted({policy.type for policy in org.policies}))  # a type none uses applies nowhere
    return (org.org_id, org.management_account_id, org.root_ids, org.incomplete, _plain(org.policy_types_enabled),
            _plain(org.policy_types_known), org.accounts_listed, org.source if unknown else None, in_use)


def _place(org: Organization | None, account_id: str) -> Any:
    """The account's own place in the organization: its name, chain of parents and the policies on that chain."""
    if org is None:
        return None
    chain = org.path_of(account_id)
    on_chain = set(chain or ())
    policies = tuple((policy.policy_id, policy.name, policy.arn, policy.type, policy.document.digest,
                      tuple(target for target in policy.target_ids if target in on_chain))
                     for policy in org.policies if on_chain.intersection(policy.target_ids))
    names = tuple(org.names.get(node) for node in chain or (account_id,))
    return (chain, names, account_id in org.account_ids, policies)


def identity_center_fingerprint(snapshot: Snapshot) -> str | None:
    """A digest of the identity-center file's content, or ``None`` when the snapshot has none."""
    if snapshot.identity_center is None:
        return None
    return _digest(_plain(snapshot.identity_center))
