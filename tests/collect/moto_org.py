"""A small AWS organization built inside a real moto server, over HTTP only.

The collector tests (``graphiam collect``) talk to moto exactly as they would
talk to AWS: through boto3 clients pointed at ``endpoint_url``.  Nothing here
patches boto3 or uses moto's in-process decorators.

Layout built by :func:`build_org` (account ids are random on every build)::

    Root  (FullAWSAccess + RCPFullAWSAccess, both attached by moto)
    |-- management 123456789012   (moto's default account; user graphiam-collector)
    |-- Workloads
    |   |-- sandbox
    |   |-- Prod      <- RCP ProtectProdAdmin
    |   |   `-- prod
    |   `-- NonProd   <- SCP DenyAssumeIntoProd
    |       `-- nonprod
    `-- Security
        `-- identity

Known answers (see ``OrgFacts.paths``):

* ``works``        alice (identity) -> prod Deploy: group policy allows, trust
                   names the identity account root, nothing denies.
* ``scp_blocked``  nonprod NonProdCI -> prod ReadOnly: identity allows, trust
                   names NonProdCI's ARN, but the NonProd SCP denies.
* ``trust_blocked`` carol (identity) -> nonprod Auditor: identity allows, but
                   the trust names the prod account root, not identity.
* ``rcp_blocked``  alice -> prod ProdAdmin: identity and trust allow, the Prod
                   RCP denies (alice has no clearance=prod-admin tag).
* ``rcp_allowed``  dave -> prod ProdAdmin: dave carries the tag, so the RCP
                   condition does not apply.
* ``non_default_version`` alice -> sandbox Experiment: only v2 of
                   DeveloperAccess (not the default) would allow it.
* ``oidc_chain``   identity GitHubActions -> prod Deploy: allowed.

moto enforces none of these decisions (see MOTO_NOTES.md); they are facts a
correct analysis of the collected snapshot must reproduce.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import boto3
import requests
from botocore.config import Config
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
MANAGEMENT_ACCOUNT_ID = "123456789012"  # moto's DEFAULT_ACCOUNT_ID
ORG_ACCESS_ROLE = "OrganizationAccountAccessRole"
# In AWS the access role gets the AWS managed AdministratorAccess policy.  moto
# does not load AWS managed policies by default, so an inline policy with the
# same name stands in for it.
ORG_ACCESS_ROLE_POLICY = "AdministratorAccess"
FULL_ACCESS_SCP_ID = "p-FullAWSAccess"
FULL_ACCESS_RCP_ID = "p-RCPFullAWSAccess"
COLLECTOR_USER = "graphiam-collector"

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_THUMBPRINT = "6938fd4d98bab03faadb97b34396831e3780aea1"

# No retries: moto answers unimplemented calls with HTTP 500, and botocore's
# default retry/backoff would only make those failures slow. (botocore's
# "max_attempts" key counts retries, "total_max_attempts" every attempt.)
_CLIENT_CONFIG = Config(retries={"total_max_attempts": 1, "mode": "standard"})

_session_lock = threading.Lock()
_boto_session: boto3.session.Session | None = None


# --------------------------------------------------------------------------
# server lifecycle
# --------------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (bind to port 0, read it back)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class MotoServer:
    """A running ThreadedMotoServer and the URL to reach it."""

    server: ThreadedMotoServer
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.server.stop()


def start_moto_server(host: str = "127.0.0.1", attempts: int = 5) -> MotoServer:
    """Start moto's threaded server on ``host`` and a free port.

    ``ThreadedMotoServer.start`` waits forever if the port is taken between
    choosing it and binding it (the bind fails inside the server thread), so
    the start is watched with a timeout and retried on a new port.
    """
    # werkzeug logs one line per request; keep test output readable.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    last_port = None
    for _ in range(attempts):
        port = free_port(host)
        last_port = port
        server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        starter = threading.Thread(target=server.start, daemon=True)
        starter.start()
        starter.join(timeout=10)
        if starter.is_alive():
            continue  # bind failed in the server thread; try another port
        url = f"http://{host}:{port}"
        if _wait_until_up(url):
            return MotoServer(server=server, host=host, port=port)
        server.stop()
    raise RuntimeError(f"could not start a moto server (last port tried: {last_port})")


def _wait_until_up(url: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/moto-api/data.json", timeout=2).ok:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.05)
    return False


def reset_moto(endpoint_url: str) -> None:
    """Forget every resource and switch moto's IAM authorization off.

    ``/moto-api/reset`` does not touch the authorization switch, so a test that
    turned it on would otherwise leak into the next one.
    """
    disable_iam_auth(endpoint_url)
    response = requests.post(f"{endpoint_url}/moto-api/reset", timeout=30)
    response.raise_for_status()


def enable_iam_auth(endpoint_url: str) -> None:
    """From the next request on, moto checks signatures and identity policies.

    Only IAM users' access keys and assumed-role credentials issued by this
    server are accepted afterwards; the dummy "testing" keys are rejected with
    InvalidClientTokenId.
    """
    _set_auth_threshold(endpoint_url, "0")


def disable_iam_auth(endpoint_url: str) -> None:
    """Back to moto's default: any credentials, no authorization."""
    _set_auth_threshold(endpoint_url, "inf")


def _set_auth_threshold(endpoint_url: str, value: str) -> None:
    response = requests.post(
        f"{endpoint_url}/moto-api/reset-auth", data=value.encode(), timeout=30
    )
    response.raise_for_status()


# --------------------------------------------------------------------------
# clients and credentials
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def client_kwargs(self) -> dict[str, str]:
        kwargs = {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
        }
        if self.session_token:
            kwargs["aws_session_token"] = self.session_token
        return kwargs


DUMMY_CREDENTIALS = Credentials("testing", "testing")


def _session() -> boto3.session.Session:
    # One session for every client: botocore caches service models per
    # session, so this keeps client creation cheap.
    global _boto_session
    with _session_lock:
        if _boto_session is None:
            _boto_session = boto3.session.Session(region_name=REGION)
        return _boto_session


def aws_client(
    endpoint_url: str, service: str, credentials: Credentials = DUMMY_CREDENTIALS
) -> Any:
    """A boto3 client for ``service`` that talks to the moto server."""
    return _session().client(
        service,
        region_name=REGION,
        endpoint_url=endpoint_url,
        config=_CLIENT_CONFIG,
        **credentials.client_kwargs(),
    )


def role_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{name}"


def user_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:user/{name}"


def policy_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:policy/{name}"


def root_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def assume_into(
    endpoint_url: str,
    account_id: str,
    *,
    caller: Credentials = DUMMY_CREDENTIALS,
    role_name: str = ORG_ACCESS_ROLE,
    session_name: str = "graphiam-test",
    verify: bool = True,
) -> Credentials:
    """Assume ``role_name`` in ``account_id`` and return the temporary keys.

    moto files the issued access key under the role's account, so clients
    built from these credentials act inside that account.  With ``verify``
    the account is confirmed with sts:GetCallerIdentity.
    """
    sts = aws_client(endpoint_url, "sts", caller)
    issued = sts.assume_role(
        RoleArn=role_arn(account_id, role_name), RoleSessionName=session_name
    )["Credentials"]
    creds = Credentials(
        issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"]
    )
    if verify:
        seen = aws_client(endpoint_url, "sts", creds).get_caller_identity()["Account"]
        if seen != account_id:
            raise AssertionError(
                f"assumed {role_name} in {account_id} but moto placed the "
                f"session in account {seen}"
            )
    return creds


# --------------------------------------------------------------------------
# the organization
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessPath:
    """One question with a known answer: can ``source`` assume ``target``?

    ``blocked_by`` is None when the path works, otherwise the single layer
    that stops it: "scp", "rcp", "trust" or "identity".
    """

    source: str
    target: str
    blocked_by: str | None

    @property
    def allowed(self) -> bool:
        return self.blocked_by is None


@dataclass
class AccountEntities:
    """What build_org put into one account (names, not ARNs)."""

    users: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)
    managed_policies: set[str] = field(default_factory=set)  # customer managed
    group_members: dict[str, set[str]] = field(default_factory=dict)
    oidc_provider_arns: set[str] = field(default_factory=set)
    saml_provider_arns: set[str] = field(default_factory=set)


@dataclass
class OrgFacts:
    endpoint_url: str
    region: str
    management_account_id: str
    org_id: str
    root_id: str
    account_ids: dict[str, str]  # member name -> account id
    account_ou: dict[str, str]  # member name -> name of the OU it sits in
    ou_ids: dict[str, str]  # OU name -> OU id
    ou_parent: dict[str, str]  # OU name -> parent OU name, or "Root"
    scp_id: str  # DenyAssumeIntoProd
    scp_target_ou: str  # "NonProd"
    rcp_id: str  # ProtectProdAdmin
    rcp_target_ou: str  # "Prod"
    paths: dict[str, AccessPath]
    entities: dict[str, AccountEntities]  # account name -> what lives there
    # (members plus "management", which holds only the collector user)
    collector: Credentials  # management user with an allow-everything policy
    collector_arn: str
    versioned_policy_arn: str  # DeveloperAccess: v1 default, v2 not
    role_with_boundary_arn: str  # prod Deploy
    role_boundary_policy_arn: str
    user_with_boundary_arn: str  # identity erin (moto drops the boundary)
    user_boundary_policy_arn: str
    service_role_arn: str  # nonprod NonProdCI, trusts ec2.amazonaws.com
    specific_role_trust_arn: str  # prod ReadOnly, trusts NonProdCI's ARN
    tagged_user_arn: str  # identity dave, clearance=prod-admin
    oidc_provider_arn: str
    oidc_role_arn: str
    saml_provider_arn: str | None  # None if moto refused create_saml_provider
    saml_role_arn: str | None
    full_access_scp_id: str = FULL_ACCESS_SCP_ID
    full_access_rcp_id: str = FULL_ACCESS_RCP_ID
    org_access_role: str = ORG_ACCESS_ROLE

    # convenient spellings of the three headline questions
    @property
    def path_works(self) -> AccessPath:
        return self.paths["works"]

    @property
    def path_scp_blocked(self) -> AccessPath:
        return self.paths["scp_blocked"]

    @property
    def path_trust_blocked(self) -> AccessPath:
        return self.paths["trust_blocked"]

    @property
    def all_account_ids(self) -> dict[str, str]:
        return {"management": self.management_account_id, **self.account_ids}

    def client(
        self, service: str, credentials: Credentials = DUMMY_CREDENTIALS
    ) -> Any:
        return aws_client(self.endpoint_url, service, credentials)

    def member_credentials(
        self, name: str, caller: Credentials = DUMMY_CREDENTIALS
    ) -> Credentials:
        """Credentials for OrganizationAccountAccessRole in member ``name``."""
        return assume_into(self.endpoint_url, self.account_ids[name], caller=caller)

    def member_client(
        self, name: str, service: str, caller: Credentials = DUMMY_CREDENTIALS
    ) -> Any:
        return self.client(service, self.member_credentials(name, caller))


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action: str | list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def _trust(principal: dict[str, Any], action: str = "sts:AssumeRole", **extra: Any) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action}
    statement.update(extra)
    return _doc(statement)


ALLOW_EVERYTHING = _doc(_allow("*"))

OU_LAYOUT = (  # (name, parent name) in creation order
    ("Workloads", "Root"),
    ("Prod", "Workloads"),
    ("NonProd", "Workloads"),
    ("Security", "Root"),
)

ACCOUNT_LAYOUT = (  # (name, OU name)
    ("identity", "Security"),
    ("prod", "Prod"),
    ("nonprod", "NonProd"),
    ("sandbox", "Workloads"),
)


def saml_metadata(entity_id: str = "https://idp.example.com/saml") -> str:
    """A made-up IdP metadata document.

    It only has to look right: IAM (and botocore's validation) wants at least
    1000 characters; nothing checks the certificate, which is filler.
    """
    filler_cert = "".join(
        f"R1JBUEhJQU0gVEVTVCBDRVJUSUZJQ0FURSBOT1QgQSBSRUFMIEtFWSBsaW5l{n:02d}"
        for n in range(16)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"'
        f' entityID="{entity_id}">\n'
        '  <md:IDPSSODescriptor WantAuthnRequestsSigned="false"'
        ' protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n'
        '    <md:KeyDescriptor use="signing">\n'
        '      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">\n'
        "        <ds:X509Data>\n"
        f"          <ds:X509Certificate>{filler_cert}</ds:X509Certificate>\n"
        "        </ds:X509Data>\n"
        "      </ds:KeyInfo>\n"
        "    </md:KeyDescriptor>\n"
        "    <md:NameIDFormat>"
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
        "</md:NameIDFormat>\n"
        '    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"'
        ' Location="https://idp.example.com/sso/post"/>\n'
        '    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"'
        ' Location="https://idp.example.com/sso/redirect"/>\n'
        "  </md:IDPSSODescriptor>\n"
        "</md:EntityDescriptor>\n"
    )


def build_org(endpoint_url: str) -> OrgFacts:
    """Create the organization described in the module docstring.

    Expects a freshly reset moto with IAM authorization off (see reset_moto).
    """
    orgs = aws_client(endpoint_url, "organizations")
    mgmt_iam = aws_client(endpoint_url, "iam")

    org = orgs.create_organization(FeatureSet="ALL")["Organization"]
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    for policy_type in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        orgs.enable_policy_type(RootId=root_id, PolicyType=policy_type)

    ou_ids: dict[str, str] = {"Root": root_id}
    for name, parent in OU_LAYOUT:
        ou_ids[name] = orgs.create_organizational_unit(
            ParentId=ou_ids[parent], Name=name
        )["OrganizationalUnit"]["Id"]

    account_ids: dict[str, str] = {}
    for name, ou in ACCOUNT_LAYOUT:
        account_ids[name] = _create_account(orgs, name)
        orgs.move_account(
            AccountId=account_ids[name],
            SourceParentId=root_id,
            DestinationParentId=ou_ids[ou],
        )

    ident, prod, nonprod, sandbox = (
        account_ids["identity"],
        account_ids["prod"],
        account_ids["nonprod"],
        account_ids["sandbox"],
    )

    scp_id = orgs.create_policy(
        Name="DenyAssumeIntoProd",
        Description="Non-production principals may not assume production roles",
        Type="SERVICE_CONTROL_POLICY",
        Content=_doc(
            {
                "Sid": "NoAssumeIntoProd",
                "Effect": "Deny",
                "Action": "sts:AssumeRole",
                "Resource": f"arn:aws:iam::{prod}:role/*",
            }
        ),
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=scp_id, TargetId=ou_ids["NonProd"])

    rcp_id = orgs.create_policy(
        Name="ProtectProdAdmin",
        Description="Only principals cleared for prod-admin may assume ProdAdmin",
        Type="RESOURCE_CONTROL_POLICY",
        Content=_doc(
            {
                "Sid": "ProdAdminNeedsClearance",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sts:AssumeRole",
                "Resource": "arn:aws:iam::*:role/ProdAdmin",
                "Condition": {
                    "StringNotEquals": {"aws:PrincipalTag/clearance": "prod-admin"}
                },
            }
        ),
    )["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=rcp_id, TargetId=ou_ids["Prod"])

    # The management-account caller used when moto's IAM auth is switched on.
    mgmt_iam.create_user(UserName=COLLECTOR_USER)
    mgmt_iam.put_user_policy(
        UserName=COLLECTOR_USER, PolicyName="AllowEverything", PolicyDocument=ALLOW_EVERYTHING
    )
    key = mgmt_iam.create_access_key(UserName=COLLECTOR_USER)["AccessKey"]
    collector = Credentials(key["AccessKeyId"], key["SecretAccessKey"])

    entities = {name: AccountEntities() for name in account_ids}
    entities["management"] = AccountEntities(users={COLLECTOR_USER})
    iams = {}
    for name, account_id in account_ids.items():
        iam = aws_client(endpoint_url, "iam", assume_into(endpoint_url, account_id))
        # moto creates the access role with a trust on the management root but
        # no permissions; AWS gives it AdministratorAccess.
        iam.put_role_policy(
            RoleName=ORG_ACCESS_ROLE,
            PolicyName=ORG_ACCESS_ROLE_POLICY,
            PolicyDocument=ALLOW_EVERYTHING,
        )
        entities[name].roles.add(ORG_ACCESS_ROLE)
        iams[name] = iam

    built = _build_identity(iams["identity"], entities["identity"], ident, prod, nonprod, sandbox)
    _build_prod(iams["prod"], entities["prod"], ident, prod, nonprod)
    _build_nonprod(iams["nonprod"], entities["nonprod"], prod, nonprod)
    _build_sandbox(iams["sandbox"], entities["sandbox"], ident)

    alice = user_arn(ident, "alice")
    paths = {
        "works": AccessPath(alice, role_arn(prod, "Deploy"), None),
        "scp_blocked": AccessPath(
            role_arn(nonprod, "NonProdCI"), role_arn(prod, "ReadOnly"), "scp"
        ),
        "trust_blocked": AccessPath(
            user_arn(ident, "carol"), role_arn(nonprod, "Auditor"), "trust"
        ),
        "rcp_blocked": AccessPath(alice, role_arn(prod, "ProdAdmin"), "rcp"),
        "rcp_allowed": AccessPath(user_arn(ident, "dave"), role_arn(prod, "ProdAdmin"), None),
        "non_default_version": AccessPath(
            alice, role_arn(sandbox, "Experiment"), "identity"
        ),
        "oidc_chain": AccessPath(
            role_arn(ident, "GitHubActions"), role_arn(prod, "Deploy"), None
        ),
    }

    return OrgFacts(
        endpoint_url=endpoint_url,
        region=REGION,
        management_account_id=org["MasterAccountId"],
        org_id=org["Id"],
        root_id=root_id,
        account_ids=account_ids,
        account_ou=dict(ACCOUNT_LAYOUT),
        ou_ids={k: v for k, v in ou_ids.items() if k != "Root"},
        ou_parent=dict(OU_LAYOUT),
        scp_id=scp_id,
        scp_target_ou="NonProd",
        rcp_id=rcp_id,
        rcp_target_ou="Prod",
        paths=paths,
        entities=entities,
        collector=collector,
        collector_arn=user_arn(org["MasterAccountId"], COLLECTOR_USER),
        versioned_policy_arn=policy_arn(ident, "DeveloperAccess"),
        role_with_boundary_arn=role_arn(prod, "Deploy"),
        role_boundary_policy_arn=policy_arn(prod, "DeployBoundary"),
        user_with_boundary_arn=user_arn(ident, "erin"),
        user_boundary_policy_arn=policy_arn(ident, "IdentityBoundary"),
        service_role_arn=role_arn(nonprod, "NonProdCI"),
        specific_role_trust_arn=role_arn(prod, "ReadOnly"),
        tagged_user_arn=user_arn(ident, "dave"),
        oidc_provider_arn=built["oidc_provider_arn"],
        oidc_role_arn=role_arn(ident, "GitHubActions"),
        saml_provider_arn=built["saml_provider_arn"],
        saml_role_arn=built["saml_role_arn"],
    )


def _create_account(orgs: Any, name: str) -> str:
    status = orgs.create_account(AccountName=name, Email=f"{name}@example.com")[
        "CreateAccountStatus"
    ]
    # AWS creates accounts asynchronously; moto answers SUCCEEDED at once.
    for _ in range(50):
        if status["State"] == "SUCCEEDED":
            return status["AccountId"]
        if status["State"] == "FAILED":
            raise RuntimeError(f"create_account {name} failed: {status}")
        time.sleep(0.1)
        status = orgs.describe_create_account_status(
            CreateAccountRequestId=status["Id"]
        )["CreateAccountStatus"]
    raise RuntimeError(f"create_account {name} did not finish: {status}")


def _build_identity(
    iam: Any,
    ent: AccountEntities,
    ident: str,
    prod: str,
    nonprod: str,
    sandbox: str,
) -> dict[str, str | None]:
    """Human users, their groups, and the federated entry points."""
    # DeveloperAccess: v1 (default) reaches prod Deploy and ProdAdmin; v2 would
    # also reach sandbox Experiment but is never made default.
    dev_access = iam.create_policy(
        PolicyName="DeveloperAccess",
        Description="Assume the deploy roles in prod",
        PolicyDocument=_doc(
            _allow(
                "sts:AssumeRole",
                [role_arn(prod, "Deploy"), role_arn(prod, "ProdAdmin")],
            )
        ),
    )["Policy"]["Arn"]
    iam.create_policy_version(
        PolicyArn=dev_access,
        PolicyDocument=_doc(
            _allow(
                "sts:AssumeRole",
                [
                    role_arn(prod, "Deploy"),
                    role_arn(prod, "ProdAdmin"),
                    role_arn(sandbox, "Experiment"),
                ],
            )
        ),
        SetAsDefault=False,
    )
    read_only = iam.create_policy(
        PolicyName="IamReadOnly",
        PolicyDocument=_doc(_allow(["iam:Get*", "iam:List*"])),
    )["Policy"]["Arn"]
    boundary = iam.create_policy(
        PolicyName="IdentityBoundary",
        PolicyDocument=_doc(_allow(["sts:AssumeRole", "iam:Get*", "iam:List*"])),
    )["Policy"]["Arn"]
    ent.managed_policies |= {"DeveloperAccess", "IamReadOnly", "IdentityBoundary"}

    iam.create_group(GroupName="Developers")
    iam.attach_group_policy(GroupName="Developers", PolicyArn=dev_access)
    iam.put_group_policy(
        GroupName="Developers",
        PolicyName="DeveloperPassRole",
        PolicyDocument=_doc(_allow("iam:PassRole", f"arn:aws:iam::{ident}:role/app-*")),
    )
    iam.create_group(GroupName="Auditors")
    iam.attach_group_policy(GroupName="Auditors", PolicyArn=read_only)
    iam.put_group_policy(
        GroupName="Auditors",
        PolicyName="AssumeAuditor",
        PolicyDocument=_doc(_allow("sts:AssumeRole", role_arn(nonprod, "Auditor"))),
    )
    ent.groups |= {"Developers", "Auditors"}

    iam.create_user(UserName="alice")
    iam.add_user_to_group(GroupName="Developers", UserName="alice")
    iam.create_user(UserName="carol")
    iam.add_user_to_group(GroupName="Auditors", UserName="carol")
    iam.create_user(UserName="dave", Tags=[{"Key": "clearance", "Value": "prod-admin"}])
    iam.put_user_policy(
        UserName="dave",
        PolicyName="BreakGlass",
        PolicyDocument=_doc(_allow("sts:AssumeRole", role_arn(prod, "ProdAdmin"))),
    )
    iam.attach_user_policy(UserName="dave", PolicyArn=read_only)
    # moto accepts the boundary here and then forgets it (see MOTO_NOTES.md).
    iam.create_user(UserName="erin", PermissionsBoundary=boundary)
    iam.add_user_to_group(GroupName="Auditors", UserName="erin")
    ent.users |= {"alice", "carol", "dave", "erin"}
    ent.group_members.update({"Developers": {"alice"}, "Auditors": {"carol", "erin"}})

    oidc_arn = iam.create_open_id_connect_provider(
        Url=f"https://{GITHUB_OIDC_HOST}",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=[GITHUB_THUMBPRINT],
    )["OpenIDConnectProviderArn"]
    ent.oidc_provider_arns.add(oidc_arn)
    iam.create_role(
        RoleName="GitHubActions",
        Description="Assumed by GitHub Actions workflows of example-org/graphiam",
        AssumeRolePolicyDocument=_trust(
            {"Federated": oidc_arn},
            "sts:AssumeRoleWithWebIdentity",
            Condition={
                "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com"},
                "StringLike": {f"{GITHUB_OIDC_HOST}:sub": "repo:example-org/graphiam:*"},
            },
        ),
    )
    iam.put_role_policy(
        RoleName="GitHubActions",
        PolicyName="AssumeDeploy",
        PolicyDocument=_doc(_allow("sts:AssumeRole", role_arn(prod, "Deploy"))),
    )
    ent.roles.add("GitHubActions")

    saml_arn: str | None
    saml_role: str | None
    try:
        saml_arn = iam.create_saml_provider(
            Name="CorpIdP", SAMLMetadataDocument=saml_metadata()
        )["SAMLProviderArn"]
    except Exception:  # pragma: no cover - moto versions without SAML support
        saml_arn = saml_role = None
    else:
        iam.create_role(
            RoleName="SamlOperator",
            AssumeRolePolicyDocument=_trust(
                {"Federated": saml_arn},
                "sts:AssumeRoleWithSAML",
                Condition={
                    "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}
                },
            ),
        )
        iam.attach_role_policy(RoleName="SamlOperator", PolicyArn=read_only)
        saml_role = role_arn(ident, "SamlOperator")
        ent.saml_provider_arns.add(saml_arn)
        ent.roles.add("SamlOperator")

    return {
        "oidc_provider_arn": oidc_arn,
        "saml_provider_arn": saml_arn,
        "saml_role_arn": saml_role,
    }


def _build_prod(
    iam: Any, ent: AccountEntities, ident: str, prod: str, nonprod: str
) -> None:
    boundary = iam.create_policy(
        PolicyName="DeployBoundary",
        PolicyDocument=_doc(_allow(["iam:PassRole", "ec2:*", "s3:*"])),
    )["Policy"]["Arn"]
    deploy_permissions = iam.create_policy(
        PolicyName="DeployPermissions",
        PolicyDocument=_doc(_allow("iam:PassRole", role_arn(prod, "AppRuntime"))),
    )["Policy"]["Arn"]
    ent.managed_policies |= {"DeployBoundary", "DeployPermissions"}

    iam.create_role(
        RoleName="Deploy",
        Description="Deployments from the identity account",
        AssumeRolePolicyDocument=_trust({"AWS": root_arn(ident)}),
        PermissionsBoundary=boundary,
    )
    iam.attach_role_policy(RoleName="Deploy", PolicyArn=deploy_permissions)
    iam.put_role_policy(
        RoleName="Deploy",
        PolicyName="RunInstances",
        PolicyDocument=_doc(_allow(["ec2:RunInstances", "ec2:Describe*"])),
    )
    iam.create_role(
        RoleName="ProdAdmin",
        AssumeRolePolicyDocument=_trust({"AWS": root_arn(ident)}),
    )
    iam.put_role_policy(
        RoleName="ProdAdmin", PolicyName="Admin", PolicyDocument=ALLOW_EVERYTHING
    )
    iam.create_role(
        RoleName="ReadOnly",
        AssumeRolePolicyDocument=_trust({"AWS": role_arn(nonprod, "NonProdCI")}),
    )
    iam.put_role_policy(
        RoleName="ReadOnly",
        PolicyName="Describe",
        PolicyDocument=_doc(_allow(["ec2:Describe*", "s3:List*"])),
    )
    iam.create_role(
        RoleName="AppRuntime",
        AssumeRolePolicyDocument=_trust({"Service": "ec2.amazonaws.com"}),
    )
    ent.roles |= {"Deploy", "ProdAdmin", "ReadOnly", "AppRuntime"}


def _build_nonprod(iam: Any, ent: AccountEntities, prod: str, nonprod: str) -> None:
    iam.create_role(
        RoleName="NonProdCI",
        Description="CI runners on EC2",
        AssumeRolePolicyDocument=_trust({"Service": "ec2.amazonaws.com"}),
    )
    iam.put_role_policy(
        RoleName="NonProdCI",
        PolicyName="AssumeProdReadOnly",
        PolicyDocument=_doc(_allow("sts:AssumeRole", role_arn(prod, "ReadOnly"))),
    )
    # Trusts the prod account, so identity-account auditors cannot get in.
    iam.create_role(
        RoleName="Auditor",
        AssumeRolePolicyDocument=_trust({"AWS": root_arn(prod)}),
    )
    tester_policy = iam.create_policy(
        PolicyName="TesterAccess",
        PolicyDocument=_doc(_allow("iam:PassRole", role_arn(nonprod, "NonProdCI"))),
    )["Policy"]["Arn"]
    iam.create_group(GroupName="Testers")
    iam.attach_group_policy(GroupName="Testers", PolicyArn=tester_policy)
    iam.create_user(UserName="tester")
    iam.add_user_to_group(GroupName="Testers", UserName="tester")
    ent.roles |= {"NonProdCI", "Auditor"}
    ent.managed_policies.add("TesterAccess")
    ent.groups.add("Testers")
    ent.users.add("tester")
    ent.group_members["Testers"] = {"tester"}


def _build_sandbox(iam: Any, ent: AccountEntities, ident: str) -> None:
    iam.create_role(
        RoleName="Experiment",
        AssumeRolePolicyDocument=_trust({"AWS": root_arn(ident)}),
    )
    ent.roles.add("Experiment")


# --------------------------------------------------------------------------
# an account the collector cannot reach
# --------------------------------------------------------------------------

DENY_ASSUME = "deny-assume"
ROLE_WITHOUT_PERMISSIONS = "role-without-permissions"


@dataclass(frozen=True)
class Unreachable:
    """What the collector will see for the account made unreachable.

    ``failing_operation`` is the first call that fails: "AssumeRole" (on the
    management caller's STS client) or "GetAccountAuthorizationDetails" (in
    fact any IAM call) made with the assumed credentials.  ``denied_principal``
    is the ARN moto names in the message; for ROLE_WITHOUT_PERMISSIONS it ends
    with the role session name, which the caller chooses.
    """

    account_name: str
    account_id: str
    mode: str
    failing_operation: str
    error_code: str
    http_status: int
    denied_principal: str

    def message(self, session_name: str = "", action: str = "") -> str:
        """The exact error message moto returns for the failing call."""
        if self.mode == DENY_ASSUME:
            return f"User: {self.denied_principal} is not authorized to perform: sts:AssumeRole"
        action = action or f"iam:{self.failing_operation}"
        return (
            f"User: {self.denied_principal}{session_name} "
            f"is not authorized to perform: {action}"
        )


def make_account_unreachable(
    facts: OrgFacts, account_name: str, mode: str = DENY_ASSUME
) -> Unreachable:
    """Turn moto's IAM authorization on so one member account cannot be read.

    Afterwards every request must be signed with keys moto knows: use
    ``facts.collector`` (the management-account user, allowed everything); the
    dummy "testing" keys fail with InvalidClientTokenId.  reset_moto() switches
    authorization off again.  Calling this twice makes two accounts unreachable.

    Modes:

    * DENY_ASSUME: the collector user gets an explicit Deny on sts:AssumeRole
      for every role in that account.  AssumeRole itself fails with
      AccessDenied (HTTP 403), as in AWS when the access role is missing or
      does not trust the caller.  moto cannot produce that failure from the
      member's side: it never checks a cross-account trust policy, and it
      issues credentials for roles that do not exist.
    * ROLE_WITHOUT_PERMISSIONS: the member's OrganizationAccountAccessRole
      loses its only policy.  AssumeRole and GetCallerIdentity still succeed;
      the first IAM call made with the session fails with AccessDenied (403).
    """
    if mode not in (DENY_ASSUME, ROLE_WITHOUT_PERMISSIONS):
        raise ValueError(f"unknown mode {mode!r}")
    account_id = facts.account_ids[account_name]
    disable_iam_auth(facts.endpoint_url)  # the setup below uses the dummy keys
    if mode == DENY_ASSUME:
        facts.client("iam").put_user_policy(
            UserName=COLLECTOR_USER,
            PolicyName=f"DenyAssumeInto-{account_name}",
            PolicyDocument=_doc(
                {
                    "Effect": "Deny",
                    "Action": "sts:AssumeRole",
                    "Resource": f"arn:aws:iam::{account_id}:role/*",
                }
            ),
        )
        result = Unreachable(
            account_name,
            account_id,
            mode,
            failing_operation="AssumeRole",
            error_code="AccessDenied",
            http_status=403,
            denied_principal=facts.collector_arn,
        )
    else:
        facts.member_client(account_name, "iam").delete_role_policy(
            RoleName=ORG_ACCESS_ROLE, PolicyName=ORG_ACCESS_ROLE_POLICY
        )
        result = Unreachable(
            account_name,
            account_id,
            mode,
            failing_operation="GetAccountAuthorizationDetails",
            error_code="AccessDenied",
            http_status=403,
            denied_principal=f"arn:aws:sts::{account_id}:assumed-role/{ORG_ACCESS_ROLE}/",
        )
    enable_iam_auth(facts.endpoint_url)
    return result
