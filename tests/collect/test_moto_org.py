"""The moto harness does what it claims: the org, the entities, the unreachable account.

Tests named ``test_moto_quirk_*`` pin behaviour of moto 5.2.1 that MOTO_NOTES.md
relies on; if one fails after a moto upgrade, update the notes (and maybe the
collector tests that work around the quirk).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from .moto_org import (
    COLLECTOR_USER,
    DENY_ASSUME,
    ORG_ACCESS_ROLE,
    ORG_ACCESS_ROLE_POLICY,
    ROLE_WITHOUT_PERMISSIONS,
    AccessPath,
    OrgFacts,
    assume_into,
    aws_client,
    enable_iam_auth,
    make_account_unreachable,
    reset_moto,
    role_arn,
    root_arn,
)


def _details(iam: Any, **kwargs: Any) -> dict[str, Any]:
    return iam.get_account_authorization_details(**kwargs)


def _account_details(facts: OrgFacts, name: str) -> dict[str, Any]:
    """GetAccountAuthorizationDetails for one account, the way a collector reads it:
    the management account directly, members through OrganizationAccountAccessRole."""
    if name == "management":
        return _details(facts.client("iam"))
    return _details(facts.member_client(name, "iam"))


def _error(exc: ClientError) -> tuple[str, str, int]:
    return (
        exc.response["Error"]["Code"],
        exc.response["Error"]["Message"],
        exc.response["ResponseMetadata"]["HTTPStatusCode"],
    )


# --------------------------------------------------------------------------
# server and organization
# --------------------------------------------------------------------------


def test_server_is_local(moto_server: str) -> None:
    assert moto_server.startswith("http://127.0.0.1:")


def test_organization_and_root_policy_types(moto_org: OrgFacts) -> None:
    orgs = moto_org.client("organizations")
    org = orgs.describe_organization()["Organization"]
    assert org["Id"] == moto_org.org_id
    assert org["FeatureSet"] == "ALL"
    assert org["MasterAccountId"] == moto_org.management_account_id == "123456789012"

    (root,) = orgs.list_roots()["Roots"]
    assert root["Id"] == moto_org.root_id
    enabled = {p["Type"]: p["Status"] for p in root["PolicyTypes"]}
    assert enabled == {
        "SERVICE_CONTROL_POLICY": "ENABLED",
        "RESOURCE_CONTROL_POLICY": "ENABLED",
    }


def test_ou_tree(moto_org: OrgFacts) -> None:
    orgs = moto_org.client("organizations")
    ids = {**moto_org.ou_ids, "Root": moto_org.root_id}
    for name, parent in moto_org.ou_parent.items():
        children = orgs.list_organizational_units_for_parent(ParentId=ids[parent])
        assert moto_org.ou_ids[name] in {
            ou["Id"] for ou in children["OrganizationalUnits"]
        }
        (only_parent,) = orgs.list_parents(ChildId=moto_org.ou_ids[name])["Parents"]
        assert only_parent["Id"] == ids[parent]


def test_accounts_sit_in_their_ous(moto_org: OrgFacts) -> None:
    orgs = moto_org.client("organizations")
    assert len(moto_org.account_ids) >= 3
    listed = {a["Id"]: a for a in orgs.list_accounts()["Accounts"]}
    assert set(listed) == {moto_org.management_account_id, *moto_org.account_ids.values()}

    for name, account_id in moto_org.account_ids.items():
        assert listed[account_id]["Name"] == name
        assert listed[account_id]["Status"] == "ACTIVE"
        (parent,) = orgs.list_parents(ChildId=account_id)["Parents"]
        assert parent == {
            "Id": moto_org.ou_ids[moto_org.account_ou[name]],
            "Type": "ORGANIZATIONAL_UNIT",
        }
    (mgmt_parent,) = orgs.list_parents(ChildId=moto_org.management_account_id)["Parents"]
    assert mgmt_parent == {"Id": moto_org.root_id, "Type": "ROOT"}


def test_scp_and_rcp_attached_where_intended(moto_org: OrgFacts) -> None:
    orgs = moto_org.client("organizations")

    scp_targets = orgs.list_targets_for_policy(PolicyId=moto_org.scp_id)["Targets"]
    assert [(t["TargetId"], t["Type"]) for t in scp_targets] == [
        (moto_org.ou_ids["NonProd"], "ORGANIZATIONAL_UNIT")
    ]
    rcp_targets = orgs.list_targets_for_policy(PolicyId=moto_org.rcp_id)["Targets"]
    assert [(t["TargetId"], t["Type"]) for t in rcp_targets] == [
        (moto_org.ou_ids["Prod"], "ORGANIZATIONAL_UNIT")
    ]

    scp = orgs.describe_policy(PolicyId=moto_org.scp_id)["Policy"]
    assert scp["PolicySummary"]["Type"] == "SERVICE_CONTROL_POLICY"
    assert scp["PolicySummary"]["AwsManaged"] is False
    assert f"arn:aws:iam::{moto_org.account_ids['prod']}:role/*" in scp["Content"]
    rcp = orgs.describe_policy(PolicyId=moto_org.rcp_id)["Policy"]
    assert rcp["PolicySummary"]["Type"] == "RESOURCE_CONTROL_POLICY"
    assert "aws:PrincipalTag/clearance" in rcp["Content"]

    def attached(target: str, kind: str) -> set[str]:
        found = orgs.list_policies_for_target(TargetId=target, Filter=kind)["Policies"]
        return {p["Id"] for p in found}

    nonprod_ou = moto_org.ou_ids["NonProd"]
    prod_ou = moto_org.ou_ids["Prod"]
    assert attached(nonprod_ou, "SERVICE_CONTROL_POLICY") == {
        moto_org.full_access_scp_id,
        moto_org.scp_id,
    }
    assert attached(prod_ou, "RESOURCE_CONTROL_POLICY") == {
        moto_org.full_access_rcp_id,
        moto_org.rcp_id,
    }
    assert attached(prod_ou, "SERVICE_CONTROL_POLICY") == {moto_org.full_access_scp_id}
    assert attached(nonprod_ou, "RESOURCE_CONTROL_POLICY") == {moto_org.full_access_rcp_id}


def test_moto_quirk_default_full_access_policies_everywhere(moto_org: OrgFacts) -> None:
    """moto attaches FullAWSAccess and RCPFullAWSAccess to the root, the
    management account, and every OU and account it creates."""
    orgs = moto_org.client("organizations")
    everything = {
        moto_org.root_id,
        moto_org.management_account_id,
        *moto_org.ou_ids.values(),
        *moto_org.account_ids.values(),
    }
    for policy_id in (moto_org.full_access_scp_id, moto_org.full_access_rcp_id):
        summary = orgs.describe_policy(PolicyId=policy_id)["Policy"]["PolicySummary"]
        assert summary["AwsManaged"] is True
        targets = orgs.list_targets_for_policy(PolicyId=policy_id)["Targets"]
        assert {t["TargetId"] for t in targets} == everything
    # The organization itself still advertises only SCPs.
    available = orgs.describe_organization()["Organization"]["AvailablePolicyTypes"]
    assert [p["Type"] for p in available] == ["SERVICE_CONTROL_POLICY"]


# --------------------------------------------------------------------------
# member accounts and their IAM entities
# --------------------------------------------------------------------------


def test_assumed_sessions_land_in_the_member_account(moto_org: OrgFacts) -> None:
    for name, account_id in moto_org.account_ids.items():
        creds = moto_org.member_credentials(name)
        ident = moto_org.client("sts", creds).get_caller_identity()
        assert ident["Account"] == account_id
        assert ident["Arn"].startswith(
            f"arn:aws:sts::{account_id}:assumed-role/{ORG_ACCESS_ROLE}/"
        )


def test_entities_live_in_the_right_accounts(moto_org: OrgFacts) -> None:
    for name, expected in moto_org.entities.items():
        account_id = moto_org.all_account_ids[name]
        details = _account_details(moto_org, name)

        users = {u["UserName"]: u for u in details["UserDetailList"]}
        groups = {g["GroupName"]: g for g in details["GroupDetailList"]}
        roles = {r["RoleName"]: r for r in details["RoleDetailList"]}
        assert set(users) == expected.users, name
        assert set(groups) == expected.groups, name
        assert set(roles) == expected.roles, name
        policy_names = {p["Arn"].rsplit("/", 1)[1] for p in details["Policies"]}
        assert policy_names == expected.managed_policies, name

        every_arn = [e["Arn"] for e in (*users.values(), *groups.values(), *roles.values())]
        every_arn += [p["Arn"] for p in details["Policies"]]
        assert all(f":{account_id}:" in arn for arn in every_arn), name

        for group, members in expected.group_members.items():
            assert {u for u, d in users.items() if group in d["GroupList"]} == members

        iam = (
            moto_org.client("iam")
            if name == "management"
            else moto_org.member_client(name, "iam")
        )
        oidc = {p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]}
        saml = {p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]}
        assert oidc == expected.oidc_provider_arns, name
        assert saml == expected.saml_provider_arns, name


def test_org_access_role_is_admin_and_trusts_management(moto_org: OrgFacts) -> None:
    mgmt_root = f"arn:aws:iam::{moto_org.management_account_id}:root"
    for name in moto_org.account_ids:
        roles = {r["RoleName"]: r for r in _account_details(moto_org, name)["RoleDetailList"]}
        role = roles[ORG_ACCESS_ROLE]
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"AWS": mgmt_root}
        assert [p["PolicyName"] for p in role["RolePolicyList"]] == [ORG_ACCESS_ROLE_POLICY]


def _principal_entry(facts: OrgFacts, arn: str) -> dict[str, Any]:
    account_id = arn.split(":")[4]
    name = {v: k for k, v in facts.all_account_ids.items()}[account_id]
    details = _account_details(facts, name)
    kind, _, entity = arn.split(":")[5].partition("/")
    key = {"user": ("UserDetailList", "UserName"), "role": ("RoleDetailList", "RoleName")}[kind]
    matches = [e for e in details[key[0]] if e[key[1]] == entity]
    assert len(matches) == 1, arn
    return matches[0]


def test_every_path_endpoint_exists(moto_org: OrgFacts) -> None:
    assert set(moto_org.paths) == {
        "works", "scp_blocked", "trust_blocked", "rcp_blocked", "rcp_allowed",
        "non_default_version", "oidc_chain",
    }
    details_by_account: dict[str, dict[str, Any]] = {}
    names_by_id = {v: k for k, v in moto_org.all_account_ids.items()}
    for path_name, path in moto_org.paths.items():
        assert isinstance(path, AccessPath)
        for arn in (path.source, path.target):
            account = names_by_id[arn.split(":")[4]]
            if account not in details_by_account:
                details_by_account[account] = _account_details(moto_org, account)
            details = details_by_account[account]
            found = [
                e["Arn"]
                for e in (*details["UserDetailList"], *details["RoleDetailList"])
                if e["Arn"] == arn
            ]
            assert found == [arn], (path_name, arn)


def test_headline_paths_have_the_promised_shape(moto_org: OrgFacts) -> None:
    ident = moto_org.account_ids["identity"]
    prod = moto_org.account_ids["prod"]

    assert moto_org.path_works.allowed
    assert moto_org.path_scp_blocked.blocked_by == "scp"
    assert moto_org.path_trust_blocked.blocked_by == "trust"

    deploy = _principal_entry(moto_org, moto_org.path_works.target)
    (stmt,) = deploy["AssumeRolePolicyDocument"]["Statement"]
    assert stmt["Principal"] == {"AWS": f"arn:aws:iam::{ident}:root"}

    # scp_blocked: the trust names the source role itself; the source sits in NonProd.
    read_only = _principal_entry(moto_org, moto_org.path_scp_blocked.target)
    (stmt,) = read_only["AssumeRolePolicyDocument"]["Statement"]
    assert stmt["Principal"] == {"AWS": moto_org.path_scp_blocked.source}
    assert moto_org.account_ou["nonprod"] == moto_org.scp_target_ou
    ci = _principal_entry(moto_org, moto_org.path_scp_blocked.source)
    (inline,) = ci["RolePolicyList"]
    assert inline["PolicyDocument"]["Statement"][0]["Resource"] == role_arn(prod, "ReadOnly")

    # trust_blocked: the identity allow is there, the trust names another account.
    auditor = _principal_entry(moto_org, moto_org.path_trust_blocked.target)
    (stmt,) = auditor["AssumeRolePolicyDocument"]["Statement"]
    assert stmt["Principal"] == {"AWS": f"arn:aws:iam::{prod}:root"}
    carol = _principal_entry(moto_org, moto_org.path_trust_blocked.source)
    assert carol["GroupList"] == ["Auditors"]


def test_versions_boundaries_tags_and_federation(moto_org: OrgFacts) -> None:
    ident_details = _account_details(moto_org, "identity")
    prod_details = _account_details(moto_org, "prod")

    (versioned,) = [
        p for p in ident_details["Policies"] if p["Arn"] == moto_org.versioned_policy_arn
    ]
    assert versioned["DefaultVersionId"] == "v1"
    versions = {v["VersionId"]: v for v in versioned["PolicyVersionList"]}
    assert set(versions) == {"v1", "v2"}
    assert versions["v1"]["IsDefaultVersion"] and not versions["v2"]["IsDefaultVersion"]
    experiment = moto_org.paths["non_default_version"].target
    assert experiment not in str(versions["v1"]["Document"])
    assert experiment in str(versions["v2"]["Document"])

    (deploy,) = [
        r for r in prod_details["RoleDetailList"] if r["Arn"] == moto_org.role_with_boundary_arn
    ]
    assert deploy["PermissionsBoundary"] == {
        "PermissionsBoundaryArn": moto_org.role_boundary_policy_arn,
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
    }

    (dave,) = [u for u in ident_details["UserDetailList"] if u["Arn"] == moto_org.tagged_user_arn]
    assert {"Key": "clearance", "Value": "prod-admin"} in dave["Tags"]

    (ci,) = [r for r in _account_details(moto_org, "nonprod")["RoleDetailList"]
             if r["Arn"] == moto_org.service_role_arn]
    assert ci["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"
    }

    roles = {r["Arn"]: r for r in ident_details["RoleDetailList"]}
    (gha,) = roles[moto_org.oidc_role_arn]["AssumeRolePolicyDocument"]["Statement"]
    assert gha["Principal"] == {"Federated": moto_org.oidc_provider_arn}
    assert gha["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert moto_org.saml_provider_arn is not None  # moto 5.2.1 supports SAML providers
    (saml,) = roles[moto_org.saml_role_arn]["AssumeRolePolicyDocument"]["Statement"]
    assert saml["Principal"] == {"Federated": moto_org.saml_provider_arn}
    assert saml["Action"] == "sts:AssumeRoleWithSAML"

    iam = moto_org.member_client("identity", "iam")
    oidc = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=moto_org.oidc_provider_arn)
    assert oidc["Url"] == "token.actions.githubusercontent.com"
    assert oidc["ClientIDList"] == ["sts.amazonaws.com"]
    provider = iam.get_saml_provider(SAMLProviderArn=moto_org.saml_provider_arn)
    assert "EntityDescriptor" in provider["SAMLMetadataDocument"]
    assert "ValidUntil" in provider and "CreateDate" in provider


# --------------------------------------------------------------------------
# the unreachable account
# --------------------------------------------------------------------------


def _assert_collector_still_sees_everything_else(facts: OrgFacts, lost: str) -> None:
    collector = facts.collector
    assert facts.client("sts", collector).get_caller_identity()["Arn"] == facts.collector_arn
    orgs = facts.client("organizations", collector)
    assert len(orgs.list_accounts()["Accounts"]) == len(facts.account_ids) + 1
    assert orgs.list_targets_for_policy(PolicyId=facts.scp_id)["Targets"]
    users = _details(facts.client("iam", collector), Filter=["User"])["UserDetailList"]
    assert COLLECTOR_USER in {u["UserName"] for u in users}
    for name in facts.account_ids:
        if name == lost:
            continue
        iam = facts.member_client(name, "iam", caller=collector)
        roles = _details(iam, Filter=["Role"])["RoleDetailList"]
        assert {r["RoleName"] for r in roles} == facts.entities[name].roles


def test_unreachable_by_denied_assume_role(moto_org: OrgFacts) -> None:
    lost = make_account_unreachable(moto_org, "sandbox", DENY_ASSUME)
    assert lost.failing_operation == "AssumeRole"

    with pytest.raises(ClientError) as caught:
        moto_org.member_credentials("sandbox", caller=moto_org.collector)
    assert caught.value.operation_name == "AssumeRole"
    assert _error(caught.value) == (lost.error_code, lost.message(), lost.http_status)
    assert _error(caught.value) == (
        "AccessDenied",
        f"User: {moto_org.collector_arn} is not authorized to perform: sts:AssumeRole",
        403,
    )
    _assert_collector_still_sees_everything_else(moto_org, "sandbox")


def test_unreachable_by_role_without_permissions(moto_org: OrgFacts) -> None:
    lost = make_account_unreachable(moto_org, "nonprod", ROLE_WITHOUT_PERMISSIONS)
    assert lost.failing_operation == "GetAccountAuthorizationDetails"
    account_id = moto_org.account_ids["nonprod"]

    creds = assume_into(
        moto_org.endpoint_url, account_id, caller=moto_org.collector, session_name="collect"
    )  # AssumeRole and GetCallerIdentity still work
    iam = moto_org.client("iam", creds)
    with pytest.raises(ClientError) as caught:
        iam.get_account_authorization_details()
    assert _error(caught.value) == (
        "AccessDenied",
        f"User: arn:aws:sts::{account_id}:assumed-role/{ORG_ACCESS_ROLE}/collect "
        "is not authorized to perform: iam:GetAccountAuthorizationDetails",
        403,
    )
    assert _error(caught.value) == (
        lost.error_code, lost.message("collect"), lost.http_status
    )
    with pytest.raises(ClientError) as caught:
        iam.list_roles()
    assert _error(caught.value) == (
        "AccessDenied", lost.message("collect", "iam:ListRoles"), 403
    )
    _assert_collector_still_sees_everything_else(moto_org, "nonprod")


def test_auth_rejects_dummy_keys_until_reset(moto_org: OrgFacts) -> None:
    make_account_unreachable(moto_org, "sandbox")
    with pytest.raises(ClientError) as caught:
        moto_org.client("iam").list_users()
    assert _error(caught.value) == (
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        403,
    )
    # Quirk: for JSON-protocol services (Organizations) moto still answers an
    # auth failure with an XML body, so botocore reports Code "403" and puts
    # the XML document, real code included, in Message.
    with pytest.raises(ClientError) as caught:
        moto_org.client("organizations").list_accounts()
    code, message, status = _error(caught.value)
    assert (code, status) == ("403", 403)
    assert "<Code>InvalidClientTokenId</Code>" in message
    reset_moto(moto_org.endpoint_url)
    # Back to moto's default: any keys accepted, and the organization is gone.
    assert moto_org.client("iam").list_users()["Users"] == []
    with pytest.raises(ClientError) as caught:
        moto_org.client("organizations").describe_organization()
    assert _error(caught.value)[0] == "AWSOrganizationsNotInUseException"


def test_two_accounts_unreachable_at_once(moto_org: OrgFacts) -> None:
    make_account_unreachable(moto_org, "sandbox")
    make_account_unreachable(moto_org, "prod", ROLE_WITHOUT_PERMISSIONS)
    with pytest.raises(ClientError):
        moto_org.member_credentials("sandbox", caller=moto_org.collector)
    prod_iam = moto_org.member_client("prod", "iam", caller=moto_org.collector)
    with pytest.raises(ClientError):
        prod_iam.list_roles()
    identity_iam = moto_org.member_client("identity", "iam", caller=moto_org.collector)
    assert identity_iam.list_roles()["Roles"]


def test_unknown_mode_is_rejected(moto_org: OrgFacts) -> None:
    with pytest.raises(ValueError):
        make_account_unreachable(moto_org, "sandbox", "delete-role")


# --------------------------------------------------------------------------
# moto behaviour that MOTO_NOTES.md depends on
# --------------------------------------------------------------------------


def test_moto_quirk_assume_role_of_missing_role_succeeds(moto_org: OrgFacts) -> None:
    creds = assume_into(
        moto_org.endpoint_url, moto_org.account_ids["prod"], role_name="NoSuchRole"
    )
    assert creds.session_token


def test_moto_quirk_cross_account_trust_and_scp_not_enforced(moto_org: OrgFacts) -> None:
    """With IAM auth on, moto checks identity policies but never a cross-account
    trust policy, an SCP or an RCP."""
    enable_iam_auth(moto_org.endpoint_url)
    prod = moto_org.account_ids["prod"]
    # ReadOnly trusts only NonProdCI, yet the management user gets in.
    assume_into(moto_org.endpoint_url, prod, caller=moto_org.collector, role_name="ReadOnly")
    # The SCP-blocked path succeeds: NonProdCI (its inline policy allows it) -> ReadOnly.
    ci = assume_into(
        moto_org.endpoint_url,
        moto_org.account_ids["nonprod"],
        caller=moto_org.collector,
        role_name="NonProdCI",
    )
    landed = assume_into(moto_org.endpoint_url, prod, caller=ci, role_name="ReadOnly")
    ident = aws_client(moto_org.endpoint_url, "sts", landed).get_caller_identity()
    assert ident["Arn"].startswith(f"arn:aws:sts::{prod}:assumed-role/ReadOnly/")
    # ... while an identity-policy gap is enforced: NonProdCI may not assume Deploy.
    with pytest.raises(ClientError) as caught:
        assume_into(moto_org.endpoint_url, prod, caller=ci, role_name="Deploy")
    assert _error(caught.value)[0] == "AccessDenied"


def test_moto_quirk_same_account_trust_needs_exact_principal(moto_org: OrgFacts) -> None:
    """Same-account AssumeRole with auth on: the trust is checked, but an
    account-root principal does not match a user of that account."""
    iam = moto_org.client("iam")
    mgmt = moto_org.management_account_id

    def trusting(principal: str) -> str:
        statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

    iam.create_role(RoleName="TrustsRoot", AssumeRolePolicyDocument=trusting(root_arn(mgmt)))
    iam.create_role(
        RoleName="TrustsCollector", AssumeRolePolicyDocument=trusting(moto_org.collector_arn)
    )
    enable_iam_auth(moto_org.endpoint_url)
    assume_into(moto_org.endpoint_url, mgmt, caller=moto_org.collector, role_name="TrustsCollector")
    with pytest.raises(ClientError) as caught:
        assume_into(moto_org.endpoint_url, mgmt, caller=moto_org.collector, role_name="TrustsRoot")
    assert _error(caught.value)[0] == "AccessDenied"


def test_moto_quirk_authorization_details_filter_but_no_paging(moto_org: OrgFacts) -> None:
    iam = moto_org.member_client("identity", "iam")
    whole = _details(iam)
    assert whole["IsTruncated"] is False and "Marker" not in whole

    only_roles = _details(iam, Filter=["Role"])
    assert only_roles["RoleDetailList"] and not only_roles["UserDetailList"]
    assert not only_roles["GroupDetailList"] and not only_roles["Policies"]
    assert _details(iam, Filter=["AWSManagedPolicy"])["Policies"] == []

    one = _details(iam, MaxItems=1)  # ignored: everything, not truncated
    assert one["IsTruncated"] is False and "Marker" not in one
    assert len(one["UserDetailList"]) == len(whole["UserDetailList"]) > 1


def test_moto_quirk_policy_entries_and_user_boundaries(moto_org: OrgFacts) -> None:
    iam = moto_org.member_client("identity", "iam")
    details = _details(iam)
    for policy in details["Policies"]:
        assert "PolicyName" not in policy and "PolicyId" not in policy
        assert "PermissionsBoundaryUsageCount" not in policy
    listed = iam.list_policies(Scope="Local")["Policies"]
    assert all("PolicyName" in p and "PolicyId" in p for p in listed)

    erin = moto_org.user_with_boundary_arn.rsplit("/", 1)[1]
    (entry,) = [u for u in details["UserDetailList"] if u["UserName"] == erin]
    assert "PermissionsBoundary" not in entry
    assert "PermissionsBoundary" not in iam.get_user(UserName=erin)["User"]
    # The dedicated call is not implemented at all: HTTP 500 with an HTML
    # body, which botocore cannot parse.
    with pytest.raises(ResponseParserError, match="500 Internal Server Error"):
        iam.put_user_permissions_boundary(
            UserName=erin, PermissionsBoundary=moto_org.user_boundary_policy_arn
        )


def test_moto_quirk_list_paging_is_uneven(moto_org: OrgFacts) -> None:
    iam = moto_org.member_client("identity", "iam")
    roles = iam.list_roles(MaxItems=1)
    assert len(roles["Roles"]) == 1 and roles["IsTruncated"] and roles["Marker"]
    users = iam.list_users(MaxItems=1)  # MaxItems ignored
    assert len(users["Users"]) == len(moto_org.entities["identity"].users)
    assert users["IsTruncated"] is False
    orgs = moto_org.client("organizations")
    pages = orgs.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 2})
    assert [len(p["Accounts"]) for p in pages] == [2, 2, 1]


def test_moto_quirk_federated_and_member_side_calls(moto_org: OrgFacts) -> None:
    # The web identity token is not validated, nor is the OIDC trust condition.
    sts = moto_org.client("sts")
    issued = sts.assume_role_with_web_identity(
        RoleArn=moto_org.oidc_role_arn, RoleSessionName="gh", WebIdentityToken="not-a-jwt"
    )
    assert issued["AssumedRoleUser"]["Arn"].endswith(":assumed-role/GitHubActions/gh")
    assert issued["AssumedRoleUser"]["AssumedRoleId"] == "ARO123EXAMPLE123:gh"
    # From a member account, ListAccounts answers an empty list (AWS: access denied).
    member_orgs = moto_org.member_client("prod", "organizations")
    assert member_orgs.list_accounts()["Accounts"] == []
    assert member_orgs.describe_organization()["Organization"]["Id"] == moto_org.org_id


def test_moto_quirk_new_account_role_has_no_permissions(moto_org: OrgFacts) -> None:
    orgs = moto_org.client("organizations")
    status = orgs.create_account(AccountName="fresh", Email="fresh@example.com")
    assert status["CreateAccountStatus"]["State"] == "SUCCEEDED"  # no IN_PROGRESS
    account_id = status["CreateAccountStatus"]["AccountId"]
    iam = moto_org.client("iam", assume_into(moto_org.endpoint_url, account_id))
    role = iam.get_role(RoleName=ORG_ACCESS_ROLE)["Role"]
    (stmt,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert stmt["Principal"] == {"AWS": root_arn(moto_org.management_account_id)}
    assert iam.list_role_policies(RoleName=ORG_ACCESS_ROLE)["PolicyNames"] == []
    assert iam.list_attached_role_policies(RoleName=ORG_ACCESS_ROLE)["AttachedPolicies"] == []


def test_moto_quirk_aws_managed_policies_absent(moto_org: OrgFacts) -> None:
    iam = moto_org.member_client("sandbox", "iam")
    assert iam.list_policies(Scope="AWS")["Policies"] == []
    with pytest.raises(ClientError) as caught:
        iam.attach_role_policy(
            RoleName="Experiment", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
        )
    assert _error(caught.value)[0] == "NoSuchEntity"
