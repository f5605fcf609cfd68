"""Export one account: get_account_authorization_details plus its SAML and OIDC providers.

The result is the snapshot's account-file shape (see the README): the four
lists of ``get-account-authorization-details`` exactly as the API returns them
(all pages merged, every filter, so attached AWS managed policies come with
their documents), plus ``SAMLProviderList`` and ``OpenIDConnectProviderList``
with each provider's details. Lists are sorted by ARN so that collecting
unchanged data twice writes the same bytes.
"""

from __future__ import annotations

from typing import Any

from .clients import AccountSession

DETAIL_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def authorization_details(iam: Any) -> dict[str, list]:
    merged: dict[str, list] = {key: [] for key in DETAIL_LISTS}
    paginator = iam.get_paginator("get_account_authorization_details")
    for page in paginator.paginate(Filter=["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]):
        for key in DETAIL_LISTS:
            merged[key].extend(page.get(key, []))
    for key in DETAIL_LISTS:
        merged[key].sort(key=lambda entry: entry.get("Arn", ""))
    return merged


def identity_providers(iam: Any) -> dict[str, list]:
    saml = []
    for entry in iam.list_saml_providers().get("SAMLProviderList", []):
        details = iam.get_saml_provider(SAMLProviderArn=entry["Arn"])
        details.pop("ResponseMetadata", None)
        details.pop("SAMLMetadataDocument", None)  # large, and not needed to decide access
        saml.append({"Arn": entry["Arn"], **details})
    oidc = []
    for entry in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
        details = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=entry["Arn"])
        details.pop("ResponseMetadata", None)
        oidc.append({"Arn": entry["Arn"], **details})
    return {
        "SAMLProviderList": sorted(saml, key=lambda p: p["Arn"]),
        "OpenIDConnectProviderList": sorted(oidc, key=lambda p: p["Arn"]),
    }


def collect_account(session: AccountSession) -> tuple[dict[str, Any], dict[str, int]]:
    """The account file's content and its counts (users, groups, roles, policies, providers)."""
    iam = session.client("iam")
    data: dict[str, Any] = dict(authorization_details(iam))
    data.update(identity_providers(iam))
    counts = {
        "users": len(data["UserDetailList"]),
        "groups": len(data["GroupDetailList"]),
        "roles": len(data["RoleDetailList"]),
        "policies": len(data["Policies"]),
        "identity_providers": len(data["SAMLProviderList"]) + len(data["OpenIDConnectProviderList"]),
    }
    return data, counts
