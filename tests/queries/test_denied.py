"""Tests for graphiam.queries.denied: pasted AccessDenied messages."""

from __future__ import annotations

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
        expected(),
    ),
    "botocore quoted multiline": (
        'botocore.exceptions.ClientError: "An error occurred (AccessDeniedException)\n'
        "  when calling the AssumeRole operation:\n  User: "
        + ALICE
        + "\n is not authorized to perform:   sts:AssumeRole\r\n on resource: "
        + DEPLOY
        + '."\n',
        expected(),
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
        expected("session", IMPLICIT),
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
        expected("session", EXPLICIT),
    ),
    "unknown implicit layer": (
        CORE + " because no VPC endpoint policy allows the sts:AssumeRole action",
        expected(None, IMPLICIT),
    ),
    "unknown explicit layer": (
        CORE + " with an explicit deny in a VPC endpoint policy",
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
    "session policy": "session",
    "VPC endpoint policy": None,
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

    assert parse_denied_message(text) == DeniedMessage(
        caller=caller,
        action=action,
        resource=resource,
        policy_type=want_type,
        effect=want_effect,
        policy_arn=want_arn,
    )
