"""A workload or person arriving through an identity provider as the SOURCE of a path question.

``graphiam path "repo:org/app:ref:refs/heads/main" ProdDeploy --provider
token.actions.githubusercontent.com`` asks whether that GitHub Actions
workflow can reach the role. The provider is the account's IAM identity
provider (an OIDC provider by its host, e.g. ``token.actions.githubusercontent.com``
or ``oidc.eks.eu-west-1.amazonaws.com/id/ABC``, a SAML provider by its name,
or either by its ARN); the subject is what its tokens carry as ``sub``
(``<host>:sub``; for SAML ``SAML:sub``). The question is answered as a path
from the provider's node under a stated request that carries exactly that
``sub``: conditions on it are decided by the engine's own condition
operators (StringLike's ``*`` and ``?``, case-sensitive), and everything the
subject does not pin down (``aud``, ``environment``, a SAML ``SAML:aud``)
stays a condition of the answer.
"""

from __future__ import annotations

import networkx as nx

from ..snapshot.names import account_of
from .errors import QueryError


def provider_source(graph: nx.MultiDiGraph, provider: str, target: str) -> tuple[str, str]:
    """The provider's node (in the target role's account when given by host or name) and the context key its
    subject fills (``<host>:sub`` or ``SAML:sub``); :class:`QueryError` naming the providers there are."""
    provider = provider.strip()
    providers = [n for n, d in graph.nodes(data=True) if d.get("kind") == "federated"]
    if provider in graph and graph.nodes[provider].get("kind") == "federated":
        found = provider
    else:
        account = account_of(target)
        matches = [n for n in providers if account_of(n) == account and _provider_name(n) == provider]
        if len(matches) != 1:
            known = sorted({_provider_name(n) for n in providers if account_of(n) == account})
            raise QueryError(f"--provider {provider}: no identity provider of that name trusted in account {account}"
                             + (f"; its providers: {', '.join(known)}" if known else "; it trusts none"))
        found = matches[0]
    if ":saml-provider/" in found:
        return found, "SAML:sub"
    return found, f"{_provider_name(found)}:sub"


def _provider_name(arn: str) -> str:
    """``token.actions.githubusercontent.com`` of an OIDC provider's ARN, the name of a SAML provider's."""
    for marker in (":oidc-provider/", ":saml-provider/"):
        if marker in arn:
            return arn.split(marker, 1)[1]
    return arn
