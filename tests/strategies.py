"""Hypothesis strategies for small random organizations, built with tests/builders.py."""

from __future__ import annotations

from hypothesis import strategies as st

from builders import Org, allow, deny, role_arn, trust, trust_account, trust_arn, trust_service, user_arn

ACCOUNTS = ("111111111111", "222222222222", "333333333333")
ROLE_NAMES = ("Deploy", "Admin", "Audit", "Web")
USER_NAMES = ("alice", "bob", "carol")
SERVICES = ("ec2.amazonaws.com", "lambda.amazonaws.com")


def _arn_choices(draw, kind: str) -> str:
    account = draw(st.sampled_from(ACCOUNTS))
    if kind == "role":
        return role_arn(account, draw(st.sampled_from(ROLE_NAMES)))
    return user_arn(account, draw(st.sampled_from(USER_NAMES)))


@st.composite
def identity_statement(draw) -> dict:
    kind = draw(st.sampled_from(["assume_any", "assume_role", "assume_account", "pass_any", "pass_ec2", "deny_role", "admin",
                                 "assume_prefix", "assume_own_name", "assume_same_team", "deny_unless_team",
                                 "rewrite_prefix", "takeover_tagged", "iam_in_account"]))
    if kind == "rewrite_prefix":  # a trust rewrite of some roles: decided once per class of roles
        return allow("iam:UpdateAssumeRolePolicy", f"arn:aws:iam::{draw(st.sampled_from(ACCOUNTS))}:role/{draw(st.sampled_from('ADW'))}*")
    if kind == "takeover_tagged":  # a condition on the target user's tag: decided per user
        return allow(["iam:CreateAccessKey", "iam:CreateLoginProfile"], "*",
                     condition={"StringEquals": {"aws:ResourceTag/team": "ops"}})
    if kind == "iam_in_account":  # a condition on the resource's account: the same for every target of one account
        return allow(["iam:*", "sts:AssumeRole"], "*", condition={"StringEquals": {"aws:ResourceAccount": draw(st.sampled_from(ACCOUNTS))}})
    if kind == "assume_any":
        return allow("sts:AssumeRole", "*")
    if kind == "assume_prefix":  # one specific pattern: which roles it covers is all that matters of them
        return allow("sts:AssumeRole", f"arn:aws:iam::{draw(st.sampled_from(ACCOUNTS))}:role/{draw(st.sampled_from('ADW'))}*")
    if kind == "assume_own_name":  # a policy variable in the Resource
        return allow("sts:AssumeRole", "arn:aws:iam::*:role/${aws:username}*")
    if kind == "assume_same_team":  # a condition comparing the caller's tag with the role's
        return allow("sts:AssumeRole", "*", condition={"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}})
    if kind == "deny_unless_team":
        return deny("sts:AssumeRole", "*", condition={"StringNotEquals": {"aws:PrincipalTag/team": "ops"}})
    if kind == "assume_role":
        return allow("sts:AssumeRole", _arn_choices(draw, "role"))
    if kind == "assume_account":
        return allow("sts:Assume*", f"arn:aws:iam::{draw(st.sampled_from(ACCOUNTS))}:role/*")
    if kind == "pass_any":
        return allow("iam:PassRole", "*")
    if kind == "pass_ec2":
        return allow("iam:PassRole", "*", condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}})
    if kind == "deny_role":
        return deny("sts:AssumeRole", _arn_choices(draw, "role"))
    return allow("*", "*")


@st.composite
def trust_statement(draw) -> dict:
    kind = draw(st.sampled_from(["account", "bare_account", "user", "role", "star_org", "service", "mfa", "tag",
                                 "session", "deny_not_principal", "star_arn_like"]))
    if kind == "session":
        account = draw(st.sampled_from(ACCOUNTS))
        return trust_arn(f"arn:aws:sts::{account}:assumed-role/{draw(st.sampled_from(ROLE_NAMES))}/build")
    if kind == "deny_not_principal":  # rule 10: denies every principal with a boundary
        named = _arn_choices(draw, "user") if draw(st.booleans()) else f"arn:aws:iam::{draw(st.sampled_from(ACCOUNTS))}:root"
        return trust({"AWS": named}, effect="Deny", not_principal=True)
    if kind == "star_arn_like":
        return trust("*", condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::*:{draw(st.sampled_from(['user', 'role']))}/*"}})
    if kind == "account":
        return trust_account(draw(st.sampled_from(ACCOUNTS)))
    if kind == "bare_account":
        return trust_account(draw(st.sampled_from(ACCOUNTS)), root_form=False)
    if kind in ("user", "role"):
        return trust_arn(_arn_choices(draw, kind))
    if kind == "star_org":
        return trust("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-test000001"}})
    if kind == "service":
        return trust_service(draw(st.sampled_from(SERVICES)))
    if kind == "mfa":
        return trust_account(draw(st.sampled_from(ACCOUNTS)), condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    return trust_account(draw(st.sampled_from(ACCOUNTS)), condition={"StringEquals": {"aws:PrincipalTag/team": "ops"}})


@st.composite
def organizations(draw) -> Org:
    org = Org(management=ACCOUNTS[0])
    with_org = draw(st.booleans())
    for account_id in ACCOUNTS:
        account = org.account(account_id)
        boundaries = [
            None,
            account.managed_policy("S3Only", allow("s3:*")),
            account.managed_policy("AssumeAOnly", allow(["sts:AssumeRole", "iam:PassRole"], "arn:aws:iam::*:role/A*")),
        ]
        team = account.group("team", *draw(st.lists(identity_statement(), max_size=1)))
        for name in draw(st.lists(st.sampled_from(USER_NAMES), unique=True, max_size=3)):
            account.user(name, *draw(st.lists(identity_statement(), max_size=3)),
                         boundary=boundaries[draw(st.sampled_from([0, 0, 0, 1, 2]))],
                         groups=("team",) if draw(st.booleans()) else (),
                         tags={"team": draw(st.sampled_from(["ops", "dev"]))} if draw(st.booleans()) else None)
        assert team
        for name in draw(st.lists(st.sampled_from(ROLE_NAMES), unique=True, min_size=1, max_size=4)):
            account.role(name, *draw(st.lists(identity_statement(), max_size=2)),
                         trusts=draw(st.lists(trust_statement(), min_size=1, max_size=3)),
                         boundary=boundaries[draw(st.sampled_from([0, 0, 0, 2]))],
                         tags={"team": draw(st.sampled_from(["ops", "dev"]))} if draw(st.booleans()) else None)
    if with_org:
        org.full_access_everywhere(rcp=draw(st.booleans()))
        if draw(st.booleans()):
            target = draw(st.sampled_from(ACCOUNTS))
            org.scp("DenySome", deny("sts:AssumeRole", _arn_choices(draw, "role")), targets=(target,))
        if draw(st.booleans()):  # an SCP whose verdict depends on who asks
            org.scp("OpsOnly", deny("sts:AssumeRole", "*", condition={"StringNotEqualsIfExists": {"aws:PrincipalTag/team": "ops"}}),
                    targets=(draw(st.sampled_from(ACCOUNTS)),))
        if draw(st.booleans()):  # an SCP on the resource's account and organization path
            org.scp("HomeOnly", deny(["sts:AssumeRole", "iam:UpdateAssumeRolePolicy", "iam:CreateAccessKey"], "*",
                                     condition={"StringNotEquals": {"aws:ResourceAccount": draw(st.sampled_from(ACCOUNTS))},
                                                "ForAllValues:StringNotLike": {"aws:ResourceOrgPaths": "o-test000001/r-test/*"}}),
                    targets=(draw(st.sampled_from(ACCOUNTS)),))
        if draw(st.booleans()):  # an RCP that keeps callers of other organizations out
            org.rcp("OrgOnly", deny("sts:*", "*", condition={"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-test000001"},
                                                             "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}),
                    targets=(draw(st.sampled_from(ACCOUNTS)),))
    return org
