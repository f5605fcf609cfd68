"""Export the organization: its OU tree, accounts with their parent, SCPs and RCPs with targets.

Written as the snapshot's organization file (see the README). A policy type
that is not enabled on the root is left out entirely (its policies do not
apply), and the manifest notes why.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
NOT_AVAILABLE = {"PolicyTypeNotEnabledException", "UnsupportedAPIEndpointException", "InvalidInputException"}


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list:
    out: list = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        out.extend(page.get(key, []))
    return out


def _enabled_types(roots: list[dict]) -> set[str]:
    enabled = set()
    for root in roots:
        for policy_type in root.get("PolicyTypes", []):
            if policy_type.get("Status") == "ENABLED":
                enabled.add(policy_type["Type"])
    return enabled


def collect_organization(org: Any) -> tuple[dict[str, Any], list[str]]:
    """The organization file's content, and notes for the manifest."""
    notes: list[str] = []
    organization = org.describe_organization()["Organization"]
    roots = _pages(org, "list_roots", "Roots")
    units: list[dict] = []
    accounts: list[dict] = []
    parents = [root["Id"] for root in roots]
    while parents:  # breadth-first down the OU tree
        parent = parents.pop(0)
        for unit in _pages(org, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent):
            units.append({**unit, "ParentId": parent})
            parents.append(unit["Id"])
        for account in _pages(org, "list_accounts_for_parent", "Accounts", ParentId=parent):
            accounts.append({**account, "ParentId": parent})
    enabled = _enabled_types(roots)
    policies: list[dict] = []
    for policy_type in POLICY_TYPES:
        if policy_type not in enabled:
            notes.append(f"{policy_type} is not enabled on the root: its policies do not apply and are not exported")
            continue
        try:
            summaries = _pages(org, "list_policies", "Policies", Filter=policy_type)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in NOT_AVAILABLE:
                notes.append(f"{policy_type}: {error.response['Error'].get('Message', 'not available')}")
                continue
            raise
        for summary in sorted(summaries, key=lambda s: s["Id"]):
            policy = org.describe_policy(PolicyId=summary["Id"])["Policy"]
            targets = _pages(org, "list_targets_for_policy", "Targets", PolicyId=summary["Id"])
            policies.append({
                "PolicySummary": policy["PolicySummary"],
                "Content": policy["Content"],
                "Targets": sorted(targets, key=lambda t: t["TargetId"]),
            })
    data = {
        "Organization": organization,
        "Roots": sorted(roots, key=lambda r: r["Id"]),
        "OrganizationalUnits": sorted(units, key=lambda u: u["Id"]),
        "Accounts": sorted(accounts, key=lambda a: a["Id"]),
        "Policies": policies,
    }
    return data, notes
