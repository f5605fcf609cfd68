"""IAM Identity Center's part of AWS semantics: the roles a permission set becomes, and how its users sign in.

Identity Center provisions permission set ``NAME`` into an account as the IAM
role ``AWSReservedSSO_NAME_<16 hex digits>`` under the path
``/aws-reserved/sso.amazonaws.com/`` (instances outside us-east-1 may add the
region: ``/aws-reserved/sso.amazonaws.com/eu-west-1/``), whose trust policy
lets the account's SAML provider ``AWSSSO_<hex>_DO_NOT_DELETE`` call
``sts:AssumeRoleWithSAML``. A user assigned the permission set in that account,
directly or through a group, signs in to the role through that provider.

The sign-in is decided by the engine like any other federated caller:
:meth:`~graphiam.policy.PolicyEngine.decide_federated` for the provider and the
role (the trust policy, the role's RCPs). Which providers count: the
``AWSSSO_..._DO_NOT_DELETE`` SAML providers of the role's own account that its
trust policy names (any statement: a Deny that names one is decided too). A
role whose trust names none cannot be signed in to through Identity Center.

**A reading graphiam takes**: Identity Center's own SAML assertion carries the
audience ``https://signin.aws.amazon.com/saml`` (the ``SAML:aud`` value the
trust it writes requires), so :data:`SIGN_IN_CLAIMS` states it for a sign-in:
a condition on ``SAML:aud`` is decided for that value, and every other SAML
claim stays a request-time condition of the sign-in.
"""

from __future__ import annotations

import re

from ..snapshot.model import Role
from .conditions import RequestContext
from .decision import Blocker, Decision, Outcome
from .evaluate import PolicyEngine

RESERVED_PATH = "/aws-reserved/sso.amazonaws.com/"
ROLE_PREFIX = "AWSReservedSSO_"
SIGN_IN_AUDIENCE = "https://signin.aws.amazon.com/saml"
SIGN_IN_CLAIMS: dict[str, tuple[str, ...]] = {"SAML:aud": (SIGN_IN_AUDIENCE,)}

_ROLE_NAME = re.compile(r"AWSReservedSSO_(.+)_([0-9a-f]{16})")
_PROVIDER = re.compile(r"arn:aws(?:-[a-z]+)*:iam::(\d{12}):saml-provider/AWSSSO_[0-9A-Za-z]+_DO_NOT_DELETE")
_RANK = {Outcome.ALLOWED: 0, Outcome.CONDITIONAL: 1, Outcome.DENIED: 2}


def reserved_permission_set(role: Role) -> str | None:
    """The permission set whose role ``role`` is (``AWSReservedSSO_NAME_<hex>`` under the reserved path), or ``None``."""
    if not role.path.startswith(RESERVED_PATH):
        return None
    match = _ROLE_NAME.fullmatch(role.name)
    return match.group(1) if match else None


def is_identity_center_provider(arn: str) -> bool:
    """Whether ``arn`` is an account's Identity Center SAML provider (``saml-provider/AWSSSO_<hex>_DO_NOT_DELETE``)."""
    return _PROVIDER.fullmatch(arn) is not None


def identity_center_providers(role: Role) -> tuple[str, ...]:
    """The Identity Center SAML providers of the role's own account that its trust policy names, sorted."""
    found = set()
    for statement in role.trust_policy.statements:
        for principal_type, value in statement.named_principals():
            match = _PROVIDER.fullmatch(value) if principal_type == "Federated" else None
            if match is not None and match.group(1) == role.account_id:
                found.add(value)
    return tuple(sorted(found))


def sign_in_context() -> RequestContext:
    """What Identity Center's sign-in states of the request: :data:`SIGN_IN_CLAIMS` (see the module's reading)."""
    return RequestContext.stated({key: list(values) for key, values in SIGN_IN_CLAIMS.items()})


def decide_sign_in(engine: PolicyEngine, role: Role) -> tuple[str | None, Decision]:
    """The provider an Identity Center user signs in to ``role`` through, and the engine's decision for it.

    With several providers named, the one whose decision is best (allowed, then conditional) is given; with
    none, ``(None, denied)``, the blocker naming the trust policy. The decision is the engine's own
    (:meth:`PolicyEngine.decide_federated`): apply :func:`sign_in_context` to its requirements to see it as
    Identity Center's sign-in does.
    """
    providers = identity_center_providers(role)
    if not providers:
        blocker = Blocker("trust", "implicit_deny",
                          f"The trust policy of {role.arn} names no IAM Identity Center SAML provider "
                          f"(saml-provider/AWSSSO_..._DO_NOT_DELETE) of account {role.account_id}, so no Identity "
                          "Center user can sign in to it.", policy=role.arn, attached_to=role.arn)
        return None, Decision(Outcome.DENIED, blockers=(blocker,))
    decided = [(provider, engine.decide_federated(provider, role)) for provider in providers]
    return min(decided, key=lambda pair: (_RANK[pair[1].outcome], pair[0]))
