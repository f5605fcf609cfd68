"""Tests for graphiam.queries.denied: pasted AccessDenied messages."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from graphiam.queries.denied import DeniedMessage, DeniedMessageError, parse_denied_message

ALICE = "arn:aws:iam::222222222222:user/alice"
DEPLOY = "arn:aws:iam::333333333333:role/Deploy"
CORE = f"User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: {DEPLOY}"
SCP_ARN = "arn:aws:organizations::111111111111:policy/o-abc/service_control_policy/p-123"
RCP_ARN = "arn:aws:organizations::111111111111:policy/o-abc/resource_control_policy/p-456"


def expected(policy_type=None, effect=None, policy_arn=None, **overrides) -> DeniedMessage:
    parts = dict(caller=ALICE, action="sts:AssumeRole", resource=DEPLOY)
    parts.update(overrides)
    return DeniedMessage(
        policy_type=policy_type, effect=effect, policy_arn=policy_arn, **parts
    )


IMPLICIT = "implicit_deny"
EXPLICIT = "explicit_deny"

FORMS = {
    "bare": (CORE, expected()),
    "bare with full stop": (CORE + ".", expected()),
    "cli prefix": (
        "An error occurred (AccessDenied) when calling the AssumeRole operation: " + CORE,
        expected(operation="AssumeRole"),
    ),
    "botocore quoted multiline": (
        'botocore.exceptions.ClientError: "An error occurred (AccessDeniedException)\n'
        "  when calling the AssumeRole operation:\n  User: "
        + ALICE
        + "\n is not authorized to perform:   sts:AssumeRole\r\n on resource: "
        + DEPLOY
        + '."\n',
        expected(operation="AssumeRole"),
    ),
    "no identity-based policy": (
        CORE + " because no identity-based policy allows the sts:AssumeRole action",
        expected("identity", IMPLICIT),
    ),
    "no resource-based policy": (
        CORE + " because no resource-based policy allows the sts:AssumeRole action.",
        expected("trust", IMPLICIT),
    ),
    "no permissions boundary": (
        CORE + " because no permissions boundary allows the sts:AssumeRole action",
        expected("permissions_boundary", IMPLICIT),
    ),
    "no service control policy": (
        CORE + " because no service control policy allows the sts:AssumeRole action",
        expected("scp", IMPLICIT),
    ),
    "no session policy": (
        CORE + " because no session policy allows the sts:AssumeRole action",
        expected("session_policy", IMPLICIT),
    ),
    "explicit scp": (
        CORE + " with an explicit deny in a service control policy",
        expected("scp", EXPLICIT),
    ),
    "explicit scp with arn": (
        f"{CORE} with an explicit deny in a service control policy: {SCP_ARN}.",
        expected("scp", EXPLICIT, SCP_ARN),
    ),
    "explicit rcp with arn": (
        f"{CORE} with an explicit deny in a resource control policy: {RCP_ARN}",
        expected("rcp", EXPLICIT, RCP_ARN),
    ),
    "explicit rcp": (
        CORE + " with an explicit deny in a resource control policy",
        expected("rcp", EXPLICIT),
    ),
    "explicit identity-based": (
        CORE + " with an explicit deny in an identity-based policy",
        expected("identity", EXPLICIT),
    ),
    "explicit permissions boundary": (
        CORE + " with an explicit deny in a permissions boundary",
        expected("permissions_boundary", EXPLICIT),
    ),
    "explicit resource-based": (
        CORE + " with an explicit deny in a resource-based policy",
        expected("trust", EXPLICIT),
    ),
    "explicit session policy": (
        CORE + " with an explicit deny in a session policy.",
        expected("session_policy", EXPLICIT),
    ),
    "no VPC endpoint policy": (
        CORE + " because no VPC endpoint policy allows the sts:AssumeRole action",
        expected("vpc_endpoint_policy", IMPLICIT),
    ),
    "explicit VPC endpoint policy": (
        CORE + " with an explicit deny in a VPC endpoint policy",
        expected("vpc_endpoint_policy", EXPLICIT),
    ),
    "unknown implicit layer": (
        CORE + " because no declarative policy allows the sts:AssumeRole action",
        expected(None, IMPLICIT),
    ),
    "unknown explicit layer": (
        CORE + " with an explicit deny in a declarative policy",
        expected(None, EXPLICIT),
    ),
    "assumed-role caller, SAML": (
        "User: arn:aws:sts::444444444444:assumed-role/StagingCI/ci-build-1842 is not "
        "authorized to perform: sts:AssumeRoleWithSAML on resource: " + DEPLOY,
        expected(
            caller="arn:aws:sts::444444444444:assumed-role/StagingCI/ci-build-1842",
            action="sts:AssumeRoleWithSAML",
        ),
    ),
    "web identity with encoded tail": (
        CORE.replace("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity")
        + ". Encoded authorization failure message: AbC-123_xyz",
        expected(action="sts:AssumeRoleWithWebIdentity"),
    ),
    "ec2 passrole": (
        "An error occurred (UnauthorizedOperation) when calling the RunInstances "
        "operation: You are not authorized to perform this operation. User: "
        "arn:aws:iam::333333333333:user/ci is not authorized to perform: iam:PassRole "
        "on resource: arn:aws:iam::333333333333:role/EC2-roles-for-XYZ-web "
        "Encoded authorization failure message: 4XyZ-ab_cd",
        expected(
            caller="arn:aws:iam::333333333333:user/ci",
            action="iam:PassRole",
            resource="arn:aws:iam::333333333333:role/EC2-roles-for-XYZ-web",
            operation="RunInstances",
            service="ec2.amazonaws.com",
        ),
    ),
    "ec2 passrole with tail": (
        "You are not authorized to perform this operation. User: "
        "arn:aws:iam::333333333333:user/ci is not authorized to perform: iam:PassRole "
        "on resource: arn:aws:iam::333333333333:role/EC2-roles-for-XYZ-web because no "
        "identity-based policy allows the iam:PassRole action. Encoded authorization "
        "failure message: 4XyZ-ab_cd",
        expected(
            "identity",
            IMPLICIT,
            caller="arn:aws:iam::333333333333:user/ci",
            action="iam:PassRole",
            resource="arn:aws:iam::333333333333:role/EC2-roles-for-XYZ-web",
        ),
    ),
}


@pytest.mark.parametrize("text,want", list(FORMS.values()), ids=list(FORMS))
def test_accepted_forms(text: str, want: DeniedMessage) -> None:
    assert parse_denied_message(text) == want


def test_full_stop_after_name_ending_in_dot() -> None:
    text = CORE.replace("role/Deploy", "role/Deploy.") + "."
    assert parse_denied_message(text).resource == DEPLOY + "."


def test_web_identity_without_arns_names_no_caller() -> None:
    text = (
        "An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity "
        "operation: Not authorized to perform sts:AssumeRoleWithWebIdentity"
    )
    with pytest.raises(DeniedMessageError, match="names no caller ARN"):
        parse_denied_message(text)


def test_missing_resource_is_reported() -> None:
    text = f"User: {ALICE} is not authorized to perform: sts:AssumeRole"
    with pytest.raises(DeniedMessageError, match="names no resource ARN"):
        parse_denied_message(text)


@pytest.mark.parametrize("text", ["", "   ", "The security token included in the request is invalid."])
def test_not_an_access_denied_message(text: str) -> None:
    with pytest.raises(DeniedMessageError) as info:
        parse_denied_message(text)
    assert str(info.value) == (
        "not an AccessDenied message: expected "
        "'User: <ARN> is not authorized to perform: <action> on resource: <ARN>'"
    )


def test_error_is_a_value_error() -> None:
    assert issubclass(DeniedMessageError, ValueError)


# --- property: format with the documented template, parse, get the parts back ---

IAM_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+=,.@_-"
names = st.text(alphabet=IAM_CHARS, min_size=1, max_size=64)
accounts = st.from_regex(r"[0-9]{12}", fullmatch=True)
partitions = st.sampled_from(["aws", "aws-cn", "aws-us-gov"])
paths = st.lists(st.text(alphabet=IAM_CHARS, min_size=1, max_size=12), max_size=3).map(
    lambda parts: "/" + "".join(p + "/" for p in parts)
)
sessions = st.text(alphabet=IAM_CHARS, min_size=2, max_size=64)
actions = st.sampled_from(
    ["sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "iam:PassRole"]
)
spaces = st.sampled_from([" ", "  ", "\n", " \n  ", "\t", "\r\n"])
wrappers = st.sampled_from(
    [
        ("", ""),
        ('"', '"'),
        ("'", "'"),
        ("An error occurred (AccessDenied) when calling the AssumeRole operation: ", ""),
        ("botocore.exceptions.ClientError: An error occurred (AccessDeniedException) "
         "when calling the AssumeRole operation: ", ""),
        ("You are not authorized to perform this operation. ", ""),
    ]
)
PHRASES = {
    "identity-based policy": "identity",
    "permissions boundary": "permissions_boundary",
    "service control policy": "scp",
    "resource control policy": "rcp",
    "resource-based policy": "trust",
    "session policy": "session_policy",
    "VPC endpoint policy": "vpc_endpoint_policy",
    "declarative policy": None,
}


@st.composite
def callers(draw: st.DrawFn) -> str:
    part, account = draw(partitions), draw(accounts)
    kind = draw(st.sampled_from(["user", "assumed-role", "root"]))
    if kind == "user":
        return f"arn:{part}:iam::{account}:user{draw(paths)}{draw(names)}"
    if kind == "assumed-role":
        return f"arn:{part}:sts::{account}:assumed-role/{draw(names)}/{draw(sessions)}"
    return f"arn:{part}:iam::{account}:root"


@st.composite
def policy_arns(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["service_control_policy", "resource_control_policy"]))
        org = draw(st.from_regex(r"o-[a-z0-9]{10}", fullmatch=True))
        pid = draw(st.from_regex(r"p-[a-z0-9]{8}", fullmatch=True))
        return f"arn:aws:organizations::{draw(accounts)}:policy/{org}/{kind}/{pid}"
    return f"arn:aws:iam::{draw(accounts)}:policy{draw(paths)}{draw(names)}"


@given(
    caller=callers(),
    action=actions,
    role_path=paths,
    role=names,
    account=accounts,
    tail_kind=st.sampled_from(["none", "implicit", "explicit", "explicit+arn"]),
    phrase=st.sampled_from(sorted(PHRASES)),
    policy_arn=policy_arns(),
    full_stop=st.sampled_from(["", "."]),
    encoded=st.booleans(),
    wrapper=wrappers,
    ws=st.lists(spaces, min_size=12, max_size=12),
)
def test_template_round_trip(
    caller, action, role_path, role, account, tail_kind, phrase, policy_arn,
    full_stop, encoded, wrapper, ws,
) -> None:
    resource = f"arn:aws:iam::{account}:role{role_path}{role}"
    s = iter(ws)
    text = (
        f"User:{next(s)}{caller}{next(s)}is not authorized to perform:{next(s)}{action}"
        f"{next(s)}on resource:{next(s)}{resource}"
    )
    want_type = want_effect = want_arn = None
    last = resource
    if tail_kind == "implicit":
        text += f"{next(s)}because no {phrase}{next(s)}allows the {action} action"
        want_type, want_effect, last = PHRASES[phrase], "implicit_deny", ""
    elif tail_kind.startswith("explicit"):
        article = "an" if phrase[0] in "aeiou" else "a"
        text += f"{next(s)}with an explicit deny in {article}{next(s)}{phrase}"
        want_type, want_effect, last = PHRASES[phrase], "explicit_deny", ""
        if tail_kind == "explicit+arn":
            text += f":{next(s)}{policy_arn}"
            want_arn = last = policy_arn
    # A final ARN ending in "." needs the full stop to stay unambiguous.
    assume(not (last.endswith(".") and full_stop == ""))
    text += full_stop
    if encoded:
        text += f"{next(s)}Encoded authorization failure message: Zx-09_ab"
    text = wrapper[0] + text + wrapper[1]

    got = parse_denied_message(text)
    assert (got.caller, got.action, got.resource, got.policy_type, got.effect, got.policy_arn) == (
        caller, action, resource, want_type, want_effect, want_arn
    )
    assert got.operation == ("AssumeRole" if "when calling" in wrapper[0] else None)
    assert got.service is None  # no wrapper here names a service that receives a role


# =====================================================================================
# Realistic pasted texts: wrappers, quotes, hard wraps, JSON, PowerShell, SDKs
# =====================================================================================

import json  # noqa: E402

from graphiam.queries import denied  # noqa: E402
from graphiam.queries.denied import (  # noqa: E402
    MODELLED_POLICY_TYPES,
    PASS_ROLE_SERVICES,
    POLICY_TYPE_NAMES,
    POLICY_TYPES,
    pass_role_service,
)

CI = "arn:aws:sts::111122223333:assumed-role/GitHubActions/deploy-4412"
LAMBDA_EXEC = "arn:aws:iam::111122223333:role/service-role/orders-api-exec"
INSTANCE_ROLE = "arn:aws:iam::111122223333:role/web-instance"
TASK_ROLE = "arn:aws:iam::111122223333:role/ecsTaskExecutionRole"
PASS_CORE = f"User: {CI} is not authorized to perform: iam:PassRole on resource: {LAMBDA_EXEC}"
NO_IDENTITY = " because no identity-based policy allows the iam:PassRole action"


def core_of(message: DeniedMessage) -> tuple:
    return (message.caller, message.action, message.resource, message.policy_type, message.effect,
            message.policy_arn)


def passed(resource=LAMBDA_EXEC, policy_type=None, effect=None, service=None, operation=None, caller=CI,
           policy_arn=None) -> DeniedMessage:
    return DeniedMessage(caller=caller, action="iam:PassRole", resource=resource, policy_type=policy_type,
                         effect=effect, policy_arn=policy_arn, service=service, operation=operation)


# --- task 1: quotes, hard wraps, BOM, CRLF --------------------------------------------------

QUOTED_AND_WRAPPED = {
    "double-quoted arns (terraform, go)": (
        f'User: "{ALICE}" is not authorized to perform: sts:AssumeRole on resource: "{DEPLOY}"',
        expected(),
    ),
    "single-quoted arns": (f"User: '{ALICE}' is not authorized to perform: sts:AssumeRole on resource: '{DEPLOY}'.",
                           expected()),
    "backticks from a chat paste": (
        f"User: `{ALICE}` is not authorized to perform: `sts:AssumeRole` on resource: `{DEPLOY}` because no "
        "identity-based policy allows the sts:AssumeRole action",
        expected("identity", IMPLICIT),
    ),
    "typographic quotes from a word processor": (
        f"User: \u201c{ALICE}\u201d is not authorized to perform: sts:AssumeRole on resource: \u2018{DEPLOY}\u2019",
        expected(),
    ),
    "a quoted resource keeps a final dot": (
        f'User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: "{DEPLOY}."',
        expected(resource=DEPLOY + "."),
    ),
    "hard wrap in the account and the role name": (
        "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::2222\n"
        "22222222:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/De\n"
        "ploy",
        expected(operation="AssumeRole"),
    ),
    "hard wrap with indentation, then the tail": (
        f"User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::3333333333\n"
        "    33:role/Deploy because no identity-based policy allows the sts:AssumeRole action",
        expected("identity", IMPLICIT),
    ),
    "hard wrap right after a slash": (
        f"User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/\n"
        "Deploy",
        expected(),
    ),
    "hard wrap inside a session name": (
        "User: arn:aws:sts::444444444444:assumed-role/StagingCI/ci-bu\n  ild-1842 is not authorized to perform: "
        f"sts:AssumeRole on resource: {DEPLOY}",
        expected(caller="arn:aws:sts::444444444444:assumed-role/StagingCI/ci-build-1842"),
    ),
    "hard wrap between a role and its session": (
        "User: arn:aws:sts::444444444444:assumed-role/StagingCI\n/ci-build-1842 is not authorized to perform: "
        f"sts:AssumeRole on resource: {DEPLOY}",
        expected(caller="arn:aws:sts::444444444444:assumed-role/StagingCI/ci-build-1842"),
    ),
    "hard wrap inside a quoted arn": (
        f'User: "{ALICE}" is not authorized to perform: sts:AssumeRole on resource: "arn:aws:iam::333333333333:ro\n'
        '  le/Deploy"',
        expected(),
    ),
    "a line break between words is not glued to the arn": (
        f"User: {ALICE}\nis not authorized to perform: sts:AssumeRole on resource: {DEPLOY}\nbecause no "
        "identity-based policy allows the sts:AssumeRole\naction",
        expected("identity", IMPLICIT),
    ),
    "a line break before with an explicit deny": (
        f"User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: {DEPLOY}\n"
        "with an explicit deny in a service control policy",
        expected("scp", EXPLICIT),
    ),
    "a line break before Encoded is not glued": (
        f"User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: {DEPLOY}\n"
        "Encoded authorization failure message: 9fj3-QmX_0",
        expected(),
    ),
    "hard wrap inside the policy arn": (
        f"{CORE} with an explicit deny in a service control policy: arn:aws:organizations::111111111111:policy/o-abc/servi\n"
        "ce_control_policy/p-123.",
        expected("scp", EXPLICIT, SCP_ARN),
    ),
    "a BOM at the start": ("\ufeff" + CORE, expected()),
    "a BOM read as Latin-1": ("\u00ef\u00bb\u00bf" + CORE, expected()),
    "zero-width spaces from a chat client": (CORE.replace("role/Deploy", "role/\u200bDeploy"), expected()),
    "CRLF line ends (Windows terminal)": (
        "An error occurred (AccessDenied) when calling the AssumeRole operation:\r\n"
        f"User: {ALICE}\r\n is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/Dep\r\n"
        "loy\r\n",
        expected(operation="AssumeRole"),
    ),
    "old Mac CR line ends": (CORE.replace(" is not", "\ris not") + "\r", expected()),
    "gov cloud partition": (
        "User: arn:aws-us-gov:iam::222222222222:user/alice is not authorized to perform: sts:AssumeRole on resource: "
        "arn:aws-us-gov:iam::333333333333:role/Deploy because no resource-based policy allows the sts:AssumeRole action",
        expected("trust", IMPLICIT, caller="arn:aws-us-gov:iam::222222222222:user/alice",
                 resource="arn:aws-us-gov:iam::333333333333:role/Deploy"),
    ),
    "china partition, wrapped in the partition": (
        "User: arn:aws-\ncn:iam::222222222222:user/alice is not authorized to perform: sts:AssumeRole on resource: "
        "arn:aws-cn:iam::333333333333:role/Deploy",
        expected(caller="arn:aws-cn:iam::222222222222:user/alice", resource="arn:aws-cn:iam::333333333333:role/Deploy"),
    ),
}


@pytest.mark.parametrize("text,want", list(QUOTED_AND_WRAPPED.values()), ids=list(QUOTED_AND_WRAPPED))
def test_quotes_wraps_and_encodings(text: str, want: DeniedMessage) -> None:
    assert parse_denied_message(text) == want


def test_a_role_really_named_with_a_stop_word_is_read_short() -> None:
    # documented limitation: "Deploy" + "\nwith" could be "Deploywith"; the break is taken as a word break
    text = f"User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: {DEPLOY}\nwith"
    assert parse_denied_message(text).resource == DEPLOY


def test_two_arns_on_consecutive_lines_are_not_joined() -> None:
    text = f"{CORE}\narn:aws:iam::333333333333:role/Other"
    assert parse_denied_message(text).resource == DEPLOY


# --- task 1: SDK, CLI, Terraform, CloudFormation, PowerShell and CloudTrail wrappers ------------

TERRAFORM_ASSUME = (
    "\u2577\n"
    "\u2502 Error: Cannot assume IAM Role\n"
    "\u2502 \n"
    "\u2502   with provider[\"registry.terraform.io/hashicorp/aws\"],\n"
    "\u2502   on providers.tf line 12, in provider \"aws\":\n"
    "\u2502   12: provider \"aws\" {\n"
    "\u2502 \n"
    "\u2502 IAM Role (arn:aws:iam::333333333333:role/Deploy) cannot be assumed.\n"
    "\u2502 \n"
    "\u2502 There are a number of possible causes of this - the most common are:\n"
    "\u2502   * The credentials used in order to assume the role are invalid\n"
    "\u2502   * The credentials do not have appropriate permission to assume the role\n"
    "\u2502   * The role ARN is not valid\n"
    "\u2502 \n"
    "\u2502 Error: operation error STS: AssumeRole, https response error StatusCode: 403, RequestID:\n"
    "\u2502 7b1e9c52-2f4a-4d0e-9a51-3c2f0e8d9b11, api error AccessDenied: User:\n"
    "\u2502 arn:aws:iam::222222222222:user/alice is not authorized to perform: sts:AssumeRole on\n"
    "\u2502 resource: arn:aws:iam::333333333333:role/Deploy\n"
    "\u2575\n"
)

POWERSHELL_ASSUME = (
    "Use-STSRole : User: arn:aws:iam::222222222222:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:ia\n"
    "m::333333333333:role/Deploy\n"
    "At line:1 char:1\n"
    "+ Use-STSRole -RoleArn arn:aws:iam::333333333333:role/Deploy -RoleSessionName ops\n"
    "+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
    "    + CategoryInfo          : InvalidOperation: (Amazon.PowerShe...UseSTSRoleCmdlet:UseSTSRoleCmdlet) [Use-STSRole], InvalidOperationException\n"
    "    + FullyQualifiedErrorId : Amazon.SecurityToken.AmazonSecurityTokenServiceException,Amazon.PowerShell.Cmdlets.STS.UseSTSRoleCmdlet\n"
)

POWERSHELL_LAMBDA = (
    "Publish-LMFunction : User: arn:aws:sts::111122223333:assumed-role/GitHubActions/deploy-4412 is not authorized to perform: iam:\n"
    "PassRole on resource: arn:aws:iam::111122223333:role/service-role/orders-api-exec because no identity-based policy allows th\n"
    "e iam:PassRole action\n"
    "At C:\\deploy\\publish.ps1:14 char:1\n"
    "+ Publish-LMFunction -FunctionName orders-api -Runtime python3.12 -Role $roleArn ...\n"
    "+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
    "    + CategoryInfo          : InvalidOperation: (Amazon.PowerShe...blishLMFunctionCmdlet:PublishLMFunctionCmdlet) [Publish-LMFunction], InvalidOperationException\n"
    "    + FullyQualifiedErrorId : Amazon.Lambda.AmazonLambdaException,Amazon.PowerShell.Cmdlets.LM.PublishLMFunctionCmdlet\n"
)

CLOUDTRAIL_ASSUME = json.dumps({
    "eventVersion": "1.08",
    "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEALICE", "arn": ALICE,
                     "accountId": "222222222222", "userName": "alice"},
    "eventTime": "2025-03-14T09:26:53Z",
    "eventSource": "sts.amazonaws.com",
    "eventName": "AssumeRole",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "198.51.100.7",
    "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22",
    "errorCode": "AccessDenied",
    "errorMessage": f"User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: {DEPLOY} "
                    "with an explicit deny in a service control policy: "
                    "arn:aws:organizations::111111111111:policy/o-abc/service_control_policy/p-123",
    "requestParameters": None,
    "responseElements": None,
    "requestID": "0f8c1b7e-5a4d-4c2b-9d3e-8a7f6e5d4c3b",
    "eventID": "6d4e2b1a-9c8f-47e6-b5d4-3c2b1a0f9e8d",
    "readOnly": True,
    "eventType": "AwsApiCall",
    "recipientAccountId": "333333333333",
}, indent=2)

CLOUDTRAIL_LAMBDA = json.dumps({"Records": [{
    "eventVersion": "1.09",
    "userIdentity": {"type": "AssumedRole", "arn": CI},
    "eventTime": "2025-03-14T10:02:11Z",
    "eventSource": "lambda.amazonaws.com",
    "eventName": "CreateFunction20150331",
    "errorCode": "AccessDenied",
    "errorMessage": PASS_CORE + NO_IDENTITY,
}]})

CLOUDFORMATION_EVENTS = json.dumps({"StackEvents": [{
    "StackId": "arn:aws:cloudformation:us-east-1:111122223333:stack/web/5e1f0a40-0000-11ef-9c1d-0a1b2c3d4e5f",
    "LogicalResourceId": "WebServer",
    "ResourceType": "AWS::EC2::Instance",
    "ResourceStatus": "CREATE_FAILED",
    "ResourceStatusReason": "Resource handler returned message: \"You are not authorized to perform this operation. "
                            f"User: {CI} is not authorized to perform: iam:PassRole on resource: {INSTANCE_ROLE} "
                            "because no identity-based policy allows the iam:PassRole action. Encoded authorization "
                            "failure message: mJ3kQ-Uv_8x\" (RequestToken: 3f1c0a2b-7d, HandlerErrorCode: AccessDenied)",
}]})

WRAPPED = {
    "boto3 traceback": (
        "Traceback (most recent call last):\n"
        '  File "/srv/deploy/assume.py", line 9, in <module>\n'
        "    creds = sts.assume_role(RoleArn=ROLE, RoleSessionName='deploy')['Credentials']\n"
        "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the AssumeRole operation: "
        f"{CORE}",
        expected(operation="AssumeRole"),
    ),
    "aws cli": (
        "\nAn error occurred (AccessDenied) when calling the AssumeRole operation: "
        f"{CORE} because no identity-based policy allows the sts:AssumeRole action\n",
        expected("identity", IMPLICIT, operation="AssumeRole"),
    ),
    "go sdk v2": (
        "operation error STS: AssumeRole, https response error StatusCode: 403, RequestID: "
        f"4c1d7e0b-91a2-4f3e-8b6d-2e9f0a1c3b5d, api error AccessDenied: {CORE}",
        expected(operation="AssumeRole"),
    ),
    "go sdk v1": (
        f"AccessDenied: {CORE}\n\tstatus code: 403, request id: 8e2f6a3c-1b4d-4e5f-9a7b-6c8d0e2f4a1b",
        expected(),
    ),
    "java sdk v2": (
        f"software.amazon.awssdk.services.sts.model.StsException: {CORE} (Service: Sts, Status Code: 403, "
        "Request ID: 2b6c9e1d-7f3a-4c5b-8d0e-1a2b3c4d5e6f)",
        expected(),
    ),
    "java sdk v1": (
        f"com.amazonaws.services.securitytoken.model.AWSSecurityTokenServiceException: {CORE} "
        "(Service: AWSSecurityTokenService; Status Code: 403; Error Code: AccessDenied; Request ID: "
        "5d3c2b1a-0f9e-4d8c-b7a6-95f4e3d2c1b0; Proxy: null)",
        expected(),
    ),
    "terraform with diagnostic borders": (TERRAFORM_ASSUME, expected(operation="AssumeRole")),
    "powershell error record, console-wrapped": (POWERSHELL_ASSUME, expected()),
    "cloudtrail record": (CLOUDTRAIL_ASSUME, expected("scp", EXPLICIT, SCP_ARN, operation="AssumeRole")),
    "cloudtrail errorMessage fragment with escaped quotes": (
        '"errorCode": "AccessDenied",\n  "errorMessage": "User: \\"' + ALICE + '\\" is not authorized to perform: '
        'sts:AssumeRole on resource: \\"' + DEPLOY + '\\" because no session policy allows the sts:AssumeRole action",',
        expected("session_policy", IMPLICIT),
    ),
    "json escaped twice": (
        json.dumps(json.dumps({"detail": {"errorMessage": CORE + " with an explicit deny in a permissions boundary"}})),
        expected("permissions_boundary", EXPLICIT),
    ),
    "aws sdk for javascript v2 error object": (
        json.dumps({"message": PASS_CORE, "code": "AccessDeniedException", "time": "2025-03-14T07:05:10.343Z",
                    "requestId": "e834632c-4e74-475f-aa0f-2228c56d4988", "statusCode": 400, "retryable": False}),
        passed(),
    ),
    "python repr of the error response": (
        "{'Error': {'Type': 'Sender', 'Code': 'AccessDenied', 'Message': '" + CORE + "'}, "
        "'ResponseMetadata': {'RequestId': '1a2b3c4d', 'HTTPStatusCode': 403}}",
        expected(),
    ),
}


@pytest.mark.parametrize("text,want", list(WRAPPED.values()), ids=list(WRAPPED))
def test_sdk_and_tool_wrappers(text: str, want: DeniedMessage) -> None:
    assert parse_denied_message(text) == want


# --- task 3: the service principal and the operation of an iam:PassRole denial ------------------

PASS_ROLE_TEXTS = {
    "boto3 lambda": (
        "botocore.exceptions.ClientError: An error occurred (AccessDeniedException) when calling the CreateFunction "
        f"operation: {PASS_CORE}{NO_IDENTITY}",
        passed(policy_type="identity", effect=IMPLICIT, service="lambda.amazonaws.com", operation="CreateFunction"),
    ),
    "terraform go v2 lambda": (
        "Error: creating Lambda Function (orders-api): operation error Lambda: CreateFunction, https response error "
        "StatusCode: 403, RequestID: 91c2a3b4-d5e6-47f8-9a0b-1c2d3e4f5a6b, api error AccessDeniedException: "
        f'User: "{CI}" is not authorized to perform: iam:PassRole on resource: "{LAMBDA_EXEC}"{NO_IDENTITY}\n\n'
        '  with aws_lambda_function.orders_api,\n  on lambda.tf line 1, in resource "aws_lambda_function" "orders_api":',
        passed(policy_type="identity", effect=IMPLICIT, service="lambda.amazonaws.com", operation="CreateFunction"),
    ),
    "cloudformation handler, java v2 service name": (
        'Resource handler returned message: "' + PASS_CORE + NO_IDENTITY + ' (Service: Lambda, Status Code: 403, '
        'Request ID: 0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d)" (RequestToken: 7e8f9a0b-1c2d-3e4f-5a6b-7c8d9e0f1a2b, '
        "HandlerErrorCode: AccessDenied)",
        passed(policy_type="identity", effect=IMPLICIT, service="lambda.amazonaws.com"),
    ),
    "cloudformation, old lambda internal service name": (
        f"{PASS_CORE} (Service: AWSLambdaInternal; Status Code: 403; Error Code: AccessDeniedException; "
        "Request ID: 5f6e7d8c-9b0a-1f2e-3d4c-5b6a7f8e9d0c)",
        passed(service="lambda.amazonaws.com"),
    ),
    "java v1 lambda client": (
        f"com.amazonaws.services.lambda.model.AWSLambdaException: {PASS_CORE} (Service: AWSLambda; Status Code: 400; "
        "Error Code: AccessDeniedException; Request ID: 3c4d5e6f-7a8b-9c0d-1e2f-3a4b5c6d7e8f; Proxy: null)",
        passed(service="lambda.amazonaws.com"),
    ),
    "ec2 run-instances with encoded message": (
        "An error occurred (UnauthorizedOperation) when calling the RunInstances operation: You are not authorized "
        f"to perform this operation. User: {CI} is not authorized to perform: iam:PassRole on resource: "
        f"{INSTANCE_ROLE} because no identity-based policy allows the iam:PassRole action. Encoded authorization "
        "failure message: QmFzZTY0LWxpa2UtYmxvYg",
        passed(INSTANCE_ROLE, "identity", IMPLICIT, "ec2.amazonaws.com", "RunInstances"),
    ),
    "ec2 spot request": (
        f"An error occurred (UnauthorizedOperation) when calling the RequestSpotInstances operation: {PASS_CORE}",
        passed(service="ec2.amazonaws.com", operation="RequestSpotInstances"),
    ),
    "java v2 ec2 client": (
        f"{PASS_CORE} (Service: Ec2, Status Code: 403, Request ID: 6b5a4f3e-2d1c-0b9a-8f7e-6d5c4b3a2f1e)",
        passed(service="ec2.amazonaws.com"),
    ),
    "java v1 ec2 client": (
        f"{PASS_CORE} (Service: AmazonEC2; Status Code: 403; Error Code: UnauthorizedOperation; Request ID: 1f2e)",
        passed(service="ec2.amazonaws.com"),
    ),
    "terraform go v1 task definition": (
        "* aws_ecs_task_definition.fargate: 1 error(s) occurred:\n\n* aws_ecs_task_definition.fargate: "
        f"AccessDeniedException: User: {CI} is not authorized to perform: iam:PassRole on resource: {TASK_ROLE}\n"
        "        status code: 400, request id: c90fdff2-4ee8-11e8-bf30-f79a4fa28fc3",
        passed(TASK_ROLE),
    ),
    "ecs register-task-definition": (
        "An error occurred (ClientException) when calling the RegisterTaskDefinition operation: "
        f"User: {CI} is not authorized to perform: iam:PassRole on resource: {TASK_ROLE}",
        passed(TASK_ROLE, service="ecs-tasks.amazonaws.com", operation="RegisterTaskDefinition"),
    ),
    "lambda calling ecs run-task, in a json log line": (
        '{"errorMessage": "An error occurred (AccessDeniedException) when calling the RunTask operation: User: '
        f'{CI} is not authorized to perform: iam:PassRole on resource: {TASK_ROLE}{NO_IDENTITY}", '
        '"errorType": "AccessDeniedException", "requestId": "1b2c3d4e", "stackTrace": []}',
        passed(TASK_ROLE, "identity", IMPLICIT, "ecs-tasks.amazonaws.com", "RunTask"),
    ),
    "step functions ecs integration (java v1 service name)": (
        f"User: {CI} is not authorized to perform: iam:PassRole on resource: {TASK_ROLE} (Service: AmazonECS; Status "
        "Code: 400; Error Code: AccessDeniedException; Request ID: 37158697-a9c5-4ce8-8044-812c988dea0a)",
        passed(TASK_ROLE, service="ecs-tasks.amazonaws.com"),
    ),
    "go v2 ecs create-service": (
        "operation error ECS: CreateService, https response error StatusCode: 400, RequestID: 2d3e, api error "
        f"AccessDeniedException: {PASS_CORE}",
        passed(service="ecs.amazonaws.com", operation="CreateService"),
    ),
    "cli create-service alone is ambiguous (ECS or App Runner)": (
        f"An error occurred (AccessDeniedException) when calling the CreateService operation: {PASS_CORE}",
        passed(operation="CreateService"),
    ),
    "go v2 app runner": (
        "operation error AppRunner: CreateService, https response error StatusCode: 400, RequestID: 7a8b, api error "
        f"AccessDeniedException: {PASS_CORE}",
        passed(service="tasks.apprunner.amazonaws.com", operation="CreateService"),
    ),
    "cloudformation create-stack with a service role": (
        f"An error occurred (AccessDenied) when calling the CreateStack operation: {PASS_CORE}",
        passed(service="cloudformation.amazonaws.com", operation="CreateStack"),
    ),
    "cloudformation change set": (
        f"An error occurred (AccessDenied) when calling the CreateChangeSet operation: {PASS_CORE}",
        passed(service="cloudformation.amazonaws.com", operation="CreateChangeSet"),
    ),
    "auto scaling group": (
        f"An error occurred (AccessDenied) when calling the CreateAutoScalingGroup operation: {PASS_CORE}",
        passed(service="autoscaling.amazonaws.com", operation="CreateAutoScalingGroup"),
    ),
    "auto scaling launch configuration, go v2 service id with a space": (
        "operation error Auto Scaling: CreateLaunchConfiguration, https response error StatusCode: 403, RequestID: "
        f"9c0d, api error AccessDenied: {PASS_CORE}",
        passed(service="autoscaling.amazonaws.com", operation="CreateLaunchConfiguration"),
    ),
    "glue crawler": (
        f"An error occurred (AccessDeniedException) when calling the CreateCrawler operation: {PASS_CORE}",
        passed(service="glue.amazonaws.com", operation="CreateCrawler"),
    ),
    "glue create-job named by its service": (
        f"operation error Glue: CreateJob, https response error StatusCode: 400, RequestID: 1d2e, api error "
        f"AccessDeniedException: {PASS_CORE}",
        passed(service="glue.amazonaws.com", operation="CreateJob"),
    ),
    "create-job without its service is shared (MediaConvert, S3 Batch)": (
        f"An error occurred (AccessDeniedException) when calling the CreateJob operation: {PASS_CORE}",
        passed(operation="CreateJob"),
    ),
    "sagemaker training job": (
        f"An error occurred (AccessDeniedException) when calling the CreateTrainingJob operation: {PASS_CORE}",
        passed(service="sagemaker.amazonaws.com", operation="CreateTrainingJob"),
    ),
    "codebuild project, java v1": (
        f"{PASS_CORE} (Service: AWSCodeBuild; Status Code: 400; Error Code: AccessDeniedException; Request ID: 4e5f)",
        passed(service="codebuild.amazonaws.com"),
    ),
    "batch compute environment": (
        f"An error occurred (ClientException) when calling the CreateComputeEnvironment operation: {PASS_CORE}",
        passed(service="batch.amazonaws.com", operation="CreateComputeEnvironment"),
    ),
    "emr run-job-flow": (
        f"An error occurred (AccessDeniedException) when calling the RunJobFlow operation: {PASS_CORE}",
        passed(service="elasticmapreduce.amazonaws.com", operation="RunJobFlow"),
    ),
    "step functions state machine": (
        f"An error occurred (AccessDeniedException) when calling the CreateStateMachine operation: {PASS_CORE}",
        passed(service="states.amazonaws.com", operation="CreateStateMachine"),
    ),
    "step functions, go v2 SFN": (
        f"operation error SFN: CreateStateMachine, https response error StatusCode: 400, RequestID: 5f6a, api error "
        f"AccessDeniedException: {PASS_CORE}",
        passed(service="states.amazonaws.com", operation="CreateStateMachine"),
    ),
    "data pipeline": (
        "operation error Data Pipeline: PutPipelineDefinition, https response error StatusCode: 400, RequestID: 8b9c, "
        f"api error AccessDeniedException: {PASS_CORE}",
        passed(service="datapipeline.amazonaws.com", operation="PutPipelineDefinition"),
    ),
    "eks cluster": (
        f"An error occurred (AccessDeniedException) when calling the CreateCluster operation: {PASS_CORE}",
        passed(operation="CreateCluster"),  # shared: Redshift and DAX have CreateCluster too
    ),
    "eks cluster, java v1": (
        f"{PASS_CORE} (Service: AmazonEKS; Status Code: 403; Error Code: AccessDeniedException; Request ID: 0c1d)",
        passed(service="eks.amazonaws.com"),
    ),
    "powershell lambda": (
        POWERSHELL_LAMBDA,
        passed(policy_type="identity", effect=IMPLICIT, service="lambda.amazonaws.com"),
    ),
    "cloudtrail record of a lambda call": (
        CLOUDTRAIL_LAMBDA,
        passed(policy_type="identity", effect=IMPLICIT, service="lambda.amazonaws.com", operation="CreateFunction"),
    ),
    "cloudformation stack events json": (
        CLOUDFORMATION_EVENTS,
        passed(INSTANCE_ROLE, "identity", IMPLICIT, "ec2.amazonaws.com"),
    ),
    "cloudformation console event with the API prefix": (
        f"API: iam:PassRole {PASS_CORE}",
        passed(),
    ),
    "a service graphiam does not map is not guessed from the operation": (
        "operation error DataBrew: CreateProject, https response error StatusCode: 400, RequestID: 3a4b, api error "
        f"AccessDeniedException: {PASS_CORE}",
        passed(operation="CreateProject"),
    ),
    "no wrapper": (PASS_CORE, passed()),
}


@pytest.mark.parametrize("text,want", list(PASS_ROLE_TEXTS.values()), ids=list(PASS_ROLE_TEXTS))
def test_pass_role_service_and_operation(text: str, want: DeniedMessage) -> None:
    assert parse_denied_message(text) == want


def test_service_is_only_for_pass_role() -> None:
    text = f"An error occurred (AccessDenied) when calling the CreateFunction operation: {CORE} (Service: Lambda, ...)"
    got = parse_denied_message(text)
    assert got.service is None and got.operation == "CreateFunction"


def test_the_wrapper_nearest_the_sentence_decides_the_service() -> None:
    # a CloudFormation stack created from the CLI: the handler's (Service: Lambda ...) is the one that denied
    text = ("An error occurred (ValidationError) when calling the CreateStack operation: Stack failed: "
            f"Resource handler returned message: \"{PASS_CORE} (Service: Lambda, Status Code: 403, Request ID: 1)\"")
    assert parse_denied_message(text).service == "lambda.amazonaws.com"


@pytest.mark.parametrize("sdk,operation,principal", [
    ("Lambda", None, "lambda.amazonaws.com"),
    ("AWSLambda", None, "lambda.amazonaws.com"),
    ("Amazon.Lambda", None, "lambda.amazonaws.com"),
    ("lambda.amazonaws.com", "CreateFunction", "lambda.amazonaws.com"),
    (None, "CreateFunction", "lambda.amazonaws.com"),
    (None, "UpdateFunctionConfiguration", "lambda.amazonaws.com"),
    ("AmazonEC2", None, "ec2.amazonaws.com"),
    (None, "RunInstances", "ec2.amazonaws.com"),
    ("ECS", None, "ecs-tasks.amazonaws.com"),
    ("ECS", "RunTask", "ecs-tasks.amazonaws.com"),
    ("ECS", "CreateService", "ecs.amazonaws.com"),
    ("ecs.amazonaws.com", "CreateService", "ecs.amazonaws.com"),
    (None, "CreateService", None),
    ("AppRunner", "CreateService", "tasks.apprunner.amazonaws.com"),
    ("apprunner.amazonaws.com", None, "tasks.apprunner.amazonaws.com"),
    (None, "UpdateStack", "cloudformation.amazonaws.com"),
    ("AWS::CloudFormation", None, "cloudformation.amazonaws.com"),
    ("Auto Scaling", None, "autoscaling.amazonaws.com"),
    ("AWSGlue", None, "glue.amazonaws.com"),
    ("SageMaker", "CreatePipeline", "sagemaker.amazonaws.com"),
    ("CodePipeline", "CreatePipeline", "codepipeline.amazonaws.com"),
    (None, "CreatePipeline", None),
    ("CodeBuild", "CreateProject", "codebuild.amazonaws.com"),
    (None, "CreateProject", None),
    ("Batch", None, "batch.amazonaws.com"),
    ("ElasticMapReduce", None, "elasticmapreduce.amazonaws.com"),
    ("EMR", None, "elasticmapreduce.amazonaws.com"),
    ("states.amazonaws.com", None, "states.amazonaws.com"),
    ("StepFunctions", None, "states.amazonaws.com"),
    ("Data Pipeline", None, "datapipeline.amazonaws.com"),
    ("EKS", "CreateCluster", "eks.amazonaws.com"),
    ("Sts", None, None),
    ("S3", "PutBucketReplication", None),
    (None, "AssumeRole", None),
    (None, None, None),
])
def test_pass_role_service_table_lookup(sdk, operation, principal) -> None:
    assert pass_role_service(sdk, operation) == principal


def test_pass_role_service_table_is_data() -> None:
    principals = [row.principal for row in PASS_ROLE_SERVICES]
    assert all(p.endswith(".amazonaws.com") for p in principals)
    assert len(set(principals)) == len(principals)
    for row in PASS_ROLE_SERVICES:
        assert row.sdk_names and row.operations
        for operation in row.operations:
            assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", operation)


# --- task 2: other actions parse and report their action -------------------------------------

OTHER_ACTIONS = {
    "s3 get-object, quoted resource": (
        "An error occurred (AccessDenied) when calling the GetObject operation: User: "
        f'{CI} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::orders-exports/2025/03/report.csv" '
        "because no resource-based policy allows the s3:GetObject action",
        DeniedMessage(CI, "s3:GetObject", "arn:aws:s3:::orders-exports/2025/03/report.csv", "resource_policy",
                      IMPLICIT, None, operation="GetObject"),
    ),
    "s3 object key with a space, quoted": (
        f'User: {CI} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::orders-exports/March report.csv"'
        " with an explicit deny in a VPC endpoint policy",
        DeniedMessage(CI, "s3:GetObject", "arn:aws:s3:::orders-exports/March report.csv", "vpc_endpoint_policy",
                      EXPLICIT, None),
    ),
    "kms decrypt on this resource": (
        f"An error occurred (AccessDeniedException) when calling the Decrypt operation: User: {CI} is not authorized "
        "to perform: kms:Decrypt on this resource because the resource does not exist in this Region, no "
        "resource-based policies allow access, or a resource-based policy explicitly denies access",
        DeniedMessage(CI, "kms:Decrypt", "", None, None, None, operation="Decrypt"),
    ),
    "kms decrypt with a key arn": (
        f"User: {CI} is not authorized to perform: kms:Decrypt on resource: "
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab because no identity-based policy "
        "allows the kms:Decrypt action",
        DeniedMessage(CI, "kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                      "identity", IMPLICIT, None),
    ),
    "no resource at all": (
        f"User: {CI} is not authorized to perform: s3:ListAllMyBuckets because no identity-based policy allows the "
        "s3:ListAllMyBuckets action",
        DeniedMessage(CI, "s3:ListAllMyBuckets", "", "identity", IMPLICIT, None),
    ),
    "old iam message with a non-arn resource": (
        "AccessDenied: User: arn:aws:iam::111122223333:user/deployer is not authorized to perform: iam:GetRole on "
        "resource: role now-default-role",
        DeniedMessage("arn:aws:iam::111122223333:user/deployer", "iam:GetRole", "", None, None, None),
    ),
    "anonymous caller": (
        "User: anonymous is not authorized to perform: execute-api:Invoke on resource: "
        "arn:aws:execute-api:us-east-1:111122223333:a1b2c3d4e5/prod/GET/orders",
        DeniedMessage("anonymous", "execute-api:Invoke",
                      "arn:aws:execute-api:us-east-1:111122223333:a1b2c3d4e5/prod/GET/orders", None, None, None),
    ),
    "sqs with an explicit deny in a queue policy": (
        f"User: {CI} is not authorized to perform: sqs:SendMessage on resource: "
        "arn:aws:sqs:eu-west-1:111122223333:orders with an explicit deny in a resource-based policy",
        DeniedMessage(CI, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:orders", "resource_policy",
                      EXPLICIT, None),
    ),
    "sts tag-session": (
        f"An error occurred (AccessDenied) when calling the AssumeRole operation: User: {CI} is not authorized to "
        f"perform: sts:TagSession on resource: {DEPLOY} because no resource-based policy allows the sts:TagSession action",
        DeniedMessage(CI, "sts:TagSession", DEPLOY, "trust", IMPLICIT, None, operation="AssumeRole"),
    ),
    "sts assume-role-with-web-identity from github actions": (
        "Error: Could not assume role with OIDC: Not authorized to perform sts:AssumeRoleWithWebIdentity\n"
        "User: arn:aws:sts::111122223333:assumed-role/GitHubActions/x is not authorized to perform: "
        f"sts:AssumeRoleWithWebIdentity on resource: {DEPLOY}",
        DeniedMessage("arn:aws:sts::111122223333:assumed-role/GitHubActions/x", "sts:AssumeRoleWithWebIdentity", DEPLOY,
                      None, None, None),
    ),
    "sts assume-role-with-saml, go v2": (
        "operation error STS: AssumeRoleWithSAML, https response error StatusCode: 403, RequestID: 1a, api error "
        f"AccessDenied: User: {ALICE} is not authorized to perform: sts:AssumeRoleWithSAML on resource: {DEPLOY} "
        "because no resource-based policy allows the sts:AssumeRoleWithSAML action",
        expected("trust", IMPLICIT, action="sts:AssumeRoleWithSAML", operation="AssumeRoleWithSAML"),
    ),
    "ec2 describe with wildcard-ish action": (
        f"User: {CI} is not authorized to perform: ec2:DescribeInstances because no identity-based policy allows the "
        "ec2:DescribeInstances action",
        DeniedMessage(CI, "ec2:DescribeInstances", "", "identity", IMPLICIT, None),
    ),
}


@pytest.mark.parametrize("text,want", list(OTHER_ACTIONS.values()), ids=list(OTHER_ACTIONS))
def test_other_actions_parse_and_report_their_action(text: str, want: DeniedMessage) -> None:
    assert parse_denied_message(text) == want


@pytest.mark.parametrize("text", [OTHER_ACTIONS[k][0] for k in ("s3 get-object, quoted resource",
                                                                 "kms decrypt on this resource",
                                                                 "anonymous caller", "no resource at all")])
def test_the_caller_says_graphiam_explains_only_two_actions(text: str) -> None:
    from builders import Org, role_arn, trust_arn, user_arn

    from graphiam.access import AccessGraph
    from graphiam.queries.errors import QueryError

    org = Org()
    org.account("222222222222").user("alice")
    org.account("333333333333").role("Deploy", trusts=trust_arn(user_arn("222222222222", "alice")))
    assert role_arn("333333333333", "Deploy") == DEPLOY
    with pytest.raises(QueryError, match="graphiam explains sts:AssumeRole and iam:PassRole"):
        AccessGraph(org.snapshot()).why(text)


def test_role_actions_still_need_a_caller_arn() -> None:
    with pytest.raises(DeniedMessageError, match="names no caller ARN"):
        parse_denied_message(f"User: anonymous is not authorized to perform: sts:AssumeRole on resource: {DEPLOY}")


def test_pass_role_on_this_resource_names_no_resource() -> None:
    with pytest.raises(DeniedMessageError, match="names no resource ARN"):
        parse_denied_message(f"User: {CI} is not authorized to perform: iam:PassRole on this resource")


# --- task 4: the denying policy's ARN or id --------------------------------------------------

POLICY_FORMS = {
    "identity policy arn": (
        f"{CORE} with an explicit deny in an identity-based policy: arn:aws:iam::111122223333:policy/DenyAll",
        "identity", "arn:aws:iam::111122223333:policy/DenyAll",
    ),
    "identity policy arn with a path and full stop": (
        f"{CORE} with an explicit deny in an identity-based policy: arn:aws:iam::111122223333:policy/guardrails/DenyAll.",
        "identity", "arn:aws:iam::111122223333:policy/guardrails/DenyAll",
    ),
    "aws managed policy arn": (
        f"{CORE} with an explicit deny in an identity-based policy: arn:aws:iam::aws:policy/AWSDenyAll",
        "identity", "arn:aws:iam::aws:policy/AWSDenyAll",
    ),
    "permissions boundary arn": (
        f"{CORE} with an explicit deny in a permissions boundary: arn:aws:iam::222222222222:policy/DevBoundary",
        "permissions_boundary", "arn:aws:iam::222222222222:policy/DevBoundary",
    ),
    "scp arn": (f"{CORE} with an explicit deny in a service control policy: {SCP_ARN}", "scp", SCP_ARN),
    "scp arn in a gov cloud org": (
        f"{CORE} with an explicit deny in a service control policy: "
        "arn:aws-us-gov:organizations::111111111111:policy/o-gov1234567/service_control_policy/p-abcd1234",
        "scp", "arn:aws-us-gov:organizations::111111111111:policy/o-gov1234567/service_control_policy/p-abcd1234",
    ),
    "scp id": (f"{CORE} with an explicit deny in a service control policy: p-abc123", "scp", "p-abc123"),
    "scp id with full stop": (f"{CORE} with an explicit deny in a service control policy: p-abc123.", "scp", "p-abc123"),
    "scp id in parentheses": (f"{CORE} with an explicit deny in a service control policy (p-abc123)", "scp",
                              "p-abc123"),
    "rcp arn": (f"{CORE} with an explicit deny in a resource control policy: {RCP_ARN}", "rcp", RCP_ARN),
    "rcp id": (f"{CORE} with an explicit deny in a resource control policy: p-9z8y7x6w", "rcp", "p-9z8y7x6w"),
    "quoted policy arn": (f'{CORE} with an explicit deny in a service control policy: "{SCP_ARN}".', "scp", SCP_ARN),
    "policy arn followed by the java wrapper": (
        f"{CORE} with an explicit deny in a service control policy: {SCP_ARN} (Service: Sts, Status Code: 403, "
        "Request ID: 7c)", "scp", SCP_ARN,
    ),
    "policy arn followed by the encoded message": (
        f"{CORE} with an explicit deny in a service control policy: {SCP_ARN}. Encoded authorization failure "
        "message: zz-1", "scp", SCP_ARN,
    ),
    "session policy (no arn: it has none)": (f"{CORE} with an explicit deny in a session policy", "session_policy",
                                              None),
}


@pytest.mark.parametrize("text,policy_type,policy_arn", list(POLICY_FORMS.values()), ids=list(POLICY_FORMS))
def test_denying_policy_arn_or_id(text: str, policy_type: str, policy_arn: str | None) -> None:
    got = parse_denied_message(text)
    assert (got.effect, got.policy_type, got.policy_arn, got.resource) == (EXPLICIT, policy_type, policy_arn, DEPLOY)


# --- task 5: policy types graphiam does not model ------------------------------------------------

UNMODELLED = {
    "no session policy": (CORE + " because no session policy allows the sts:AssumeRole action", "session_policy"),
    "explicit session policy": (CORE + " with an explicit deny in a session policy", "session_policy"),
    "no vpc endpoint policy": (CORE + " because no VPC endpoint policy allows the sts:AssumeRole action",
                               "vpc_endpoint_policy"),
    "explicit vpc endpoint policy": (CORE + " with an explicit deny in a VPC endpoint policy", "vpc_endpoint_policy"),
    "bucket policy": (
        f"User: {CI} is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::logs/x\" with an explicit "
        "deny in a resource-based policy", "resource_policy",
    ),
}


@pytest.mark.parametrize("text,policy_type", list(UNMODELLED.values()), ids=list(UNMODELLED))
def test_policy_types_graphiam_cannot_see(text: str, policy_type: str) -> None:
    got = parse_denied_message(text)
    assert got.policy_type == policy_type
    assert got.policy_type not in MODELLED_POLICY_TYPES and got.policy_type_modelled is False


@pytest.mark.parametrize("text", [CORE + " because no permissions boundary allows the sts:AssumeRole action",
                                  CORE + " with an explicit deny in a resource control policy",
                                  CORE + " because no resource-based policy allows the sts:AssumeRole action"])
def test_modelled_policy_types(text: str) -> None:
    assert parse_denied_message(text).policy_type_modelled is True


def test_policy_type_modelled_is_none_when_nothing_is_blamed() -> None:
    assert parse_denied_message(CORE).policy_type_modelled is None


def test_the_modelled_types_are_the_engine_s_layers() -> None:
    from typing import get_args

    from graphiam.policy.decision import LAYER_NAMES, Layer

    assert MODELLED_POLICY_TYPES == frozenset(get_args(Layer)) == frozenset(LAYER_NAMES)
    assert set(POLICY_TYPES) == set(POLICY_TYPE_NAMES)
    assert set(POLICY_TYPES) - MODELLED_POLICY_TYPES == {"session_policy", "vpc_endpoint_policy", "resource_policy"}


# --- task 6: properties -------------------------------------------------------------------------

quote_styles = st.sampled_from(["", '"', "'", "`"])
indents = st.sampled_from(["", " ", "  ", "    ", "\t"])

SDK_WRAPPERS = {
    "none": lambda core: core,
    "cli": lambda core: f"An error occurred (AccessDenied) when calling the AssumeRole operation: {core}",
    "botocore": lambda core: ("botocore.exceptions.ClientError: An error occurred (AccessDeniedException) when "
                              f"calling the AssumeRole operation: {core}"),
    "go v2": lambda core: ("operation error STS: AssumeRole, https response error StatusCode: 403, RequestID: "
                           f"4c1d7e0b-91a2, api error AccessDenied: {core}"),
    "go v1": lambda core: f"AccessDenied: {core}\n\tstatus code: 403, request id: 8e2f6a3c-1b4d",
    "java v2": lambda core: f"{core} (Service: Sts, Status Code: 403, Request ID: 2b6c9e1d-7f3a)",
    "java v1": lambda core: (f"{core} (Service: AWSSecurityTokenService; Status Code: 403; Error Code: AccessDenied; "
                             "Request ID: 5d3c; Proxy: null)"),
    "terraform": lambda core: "\u2577\n" + "\n".join(
        "\u2502 " + line for line in ("Error: operation error STS: AssumeRole, https response error StatusCode: "
                                     f"403, RequestID: 7b1e, api error AccessDenied: {core}").split("\n")
    ) + "\n\u2575\n",
    "cloudformation": lambda core: (f'Resource handler returned message: "{core} (Service: Lambda, Status Code: 400, '
                                    'Request ID: 0a1b)" (RequestToken: 7e8f, HandlerErrorCode: AccessDenied)'),
    "powershell": lambda core: (f"Use-STSRole : {core}\nAt line:1 char:1\n+ Use-STSRole -RoleArn $arn "
                                "-RoleSessionName ops\n+ ~~~~~~~~~~~\n    + CategoryInfo          : InvalidOperation: "
                                "(Amazon.PowerShe...UseSTSRoleCmdlet:UseSTSRoleCmdlet) [Use-STSRole], "
                                "InvalidOperationException\n    + FullyQualifiedErrorId : "
                                "Amazon.SecurityToken.AmazonSecurityTokenServiceException,"
                                "Amazon.PowerShell.Cmdlets.STS.UseSTSRoleCmdlet\n"),
    "cloudtrail": lambda core: json.dumps({"eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
                                           "errorCode": "AccessDenied", "errorMessage": core}, indent=2),
    "json fragment": lambda core: '  "errorCode": "AccessDenied",\n  "errorMessage": ' + json.dumps(core) + ",\n",
    "encoded tail": lambda core: f"{core}. Encoded authorization failure message: mJ3kQ-Uv_8x",
}


@st.composite
def hard_wrapped(draw: st.DrawFn, arn: str) -> str:
    """``arn`` with a line break (and indentation) somewhere after ``arn:``, or unchanged."""
    if not draw(st.booleans()):
        return arn
    cut = draw(st.integers(min_value=4, max_value=len(arn) - 1))
    rest = arn[cut:]
    assume(rest.lower().rstrip(".,") not in denied._WRAP_STOP_WORDS)
    return arn[:cut] + "\n" + draw(indents) + rest


@given(
    data=st.data(),
    caller=callers(),
    action=actions,
    role_path=paths,
    role=names,
    account=accounts,
    tail_kind=st.sampled_from(["none", "implicit", "explicit", "explicit+arn", "explicit+id"]),
    phrase=st.sampled_from(sorted(PHRASES)),
    policy_arn=policy_arns(),
    policy_id=st.from_regex(r"p-[a-z0-9]{8}", fullmatch=True),
    wrapper=st.sampled_from(sorted(SDK_WRAPPERS)),
    quotes=st.lists(quote_styles, min_size=3, max_size=3),
    bom=st.booleans(),
    crlf=st.booleans(),
)
def test_wrappers_quotes_and_wraps_keep_the_parts(
    data, caller, action, role_path, role, account, tail_kind, phrase, policy_arn, policy_id, wrapper, quotes,
    bom, crlf,
) -> None:
    resource = f"arn:aws:iam::{account}:role{role_path}{role}"
    q_caller, q_resource, q_policy = quotes

    def put(arn: str, quote: str) -> str:
        return quote + data.draw(hard_wrapped(arn)) + quote

    core = (f"User: {put(caller, q_caller)} is not authorized to perform: {action} on resource: "
            f"{put(resource, q_resource)}")
    want_type = want_effect = want_arn = None
    last, last_quoted = resource, bool(q_resource)
    if tail_kind == "implicit":
        core += f" because no {phrase} allows the {action} action"
        want_type, want_effect, last = PHRASES[phrase], "implicit_deny", ""
    elif tail_kind.startswith("explicit"):
        article = "an" if phrase[0] in "aeiou" else "a"
        core += f" with an explicit deny in {article} {phrase}"
        want_type, want_effect, last = PHRASES[phrase], "explicit_deny", ""
        if tail_kind == "explicit+arn":
            core += f": {put(policy_arn, q_policy)}"
            want_arn, last, last_quoted = policy_arn, policy_arn, bool(q_policy)
        elif tail_kind == "explicit+id":
            core += f": {policy_id}"
            want_arn = policy_id
    # an unquoted final ARN ending in "." needs the full stop to stay unambiguous
    if last.endswith(".") and not last_quoted:
        core += "."
    text = SDK_WRAPPERS[wrapper](core)
    if crlf:
        text = text.replace("\n", "\r\n")
    if bom:
        text = "\ufeff" + text

    got = parse_denied_message(text)
    assert core_of(got) == (caller, action, resource, want_type, want_effect, want_arn)
    names_lambda = wrapper == "cloudformation" and action == "iam:PassRole"
    assert got.service == ("lambda.amazonaws.com" if names_lambda else None)


@given(role=names, wrapper=st.sampled_from(["cli", "go", "java", "cloudtrail", "powershell"]), wrap=st.booleans(),
       crlf=st.booleans())
def test_pass_role_wrappers_name_lambda(role, wrapper, wrap, crlf) -> None:
    resource = f"arn:aws:iam::111122223333:role/{role}"
    shown = resource[:30] + "\n  " + resource[30:] if wrap and len(resource) > 31 else resource
    core = f"User: {CI} is not authorized to perform: iam:PassRole on resource: {shown}{NO_IDENTITY}"
    text = {
        "cli": f"An error occurred (AccessDeniedException) when calling the CreateFunction operation: {core}",
        "go": ("operation error Lambda: CreateFunction, https response error StatusCode: 403, RequestID: 9, api error "
               f"AccessDeniedException: {core}"),
        "java": f"{core} (Service: Lambda, Status Code: 403, Request ID: 1)",
        "cloudtrail": json.dumps({"eventSource": "lambda.amazonaws.com", "eventName": "CreateFunction20150331",
                                  "errorMessage": core}),
        "powershell": (f"Publish-LMFunction : {core}\nAt line:1 char:1\n    + FullyQualifiedErrorId : "
                       "Amazon.Lambda.AmazonLambdaException,Amazon.PowerShell.Cmdlets.LM.PublishLMFunctionCmdlet"),
    }[wrapper]
    if crlf:
        text = text.replace("\n", "\r\n")
    got = parse_denied_message(text)
    assert core_of(got) == (CI, "iam:PassRole", resource, "identity", IMPLICIT, None)
    assert got.service == "lambda.amazonaws.com"
