"""Tests for graphiam.policy.conditions: operators, set qualifiers, request-time keys.

Names refer to /work/shared/aws-semantics.md: rule 4 (operators, IfExists,
Null, AND across keys / OR across values, ForAnyValue / ForAllValues) and
rule 18 (keys known only at request time make a decision conditional; keys
the snapshot knows are decided, never deferred).

``evaluate_condition`` answers True / False, or None for "depends on a
request-time key"; ``evaluate_conditions`` answers (False, ()) when some
condition fails, else (True, pending conditions).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphiam.snapshot.model import Condition
from graphiam.policy.conditions import (
    REQUEST_TIME_KEYS,
    RequestContext,
    evaluate_condition,
    evaluate_conditions,
    parse_operator,
)

ACCOUNT = "123456789012"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/alice"
ORG = "o-abc123def4"
PATH_A = f"{ORG}/r-ab12/ou-ab12-aaaaaaaa/"
PATH_B = f"{ORG}/r-ab12/ou-ab12-bbbbbbbb/"
EXPIRES = "2030-06-01T00:00:00Z"
EXPIRES_EPOCH = int(datetime(2030, 6, 1, tzinfo=timezone.utc).timestamp())  # 1906502400

BASE: dict[str, list[str]] = {
    "aws:PrincipalArn": [USER_ARN],
    "aws:PrincipalAccount": [ACCOUNT],
    "aws:PrincipalOrgID": [ORG],
    "aws:PrincipalOrgPaths": [PATH_A, PATH_B],  # two paths: a multi-valued key
    "aws:PrincipalType": ["User"],
    "aws:username": ["alice"],
    "aws:PrincipalIsAWSService": ["false"],
    "aws:PrincipalTag/team": ["payments"],
    "aws:PrincipalTag/owner": ["alice"],
    "aws:PrincipalTag/level": ["5"],
    "aws:PrincipalTag/expires": [EXPIRES],
    "aws:PrincipalTag/expires-epoch": [str(EXPIRES_EPOCH)],
    "aws:PrincipalTag/ip": ["10.1.2.3"],
    "aws:PrincipalTag/ip6": ["2001:db8::1"],
    "aws:PrincipalTag/blob": ["QmluYXJ5"],
    "aws:ResourceAccount": [ACCOUNT],
    "aws:ResourceTag/env": ["prod"],
    "iam:PassedToService": ["ec2.amazonaws.com"],
}

PROPS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def ctx(extra: dict[str, list[str]] | None = None, *, drop: tuple[str, ...] = (), deferred=()) -> RequestContext:
    values = {k: v for k, v in BASE.items() if k not in drop}
    values.update(extra or {})
    return RequestContext(values, deferred)


def ev(operator: str, key: str, *values: str, context: RequestContext | None = None) -> bool | None:
    return evaluate_condition(Condition(operator, key, tuple(values)), context if context is not None else ctx())


# -- rule 4: string operators ---------------------------------------------------------


@pytest.mark.parametrize(
    "operator, values, expected",
    [
        ("StringEquals", ("payments",), True),
        ("StringEquals", ("Payments",), False),  # case-sensitive
        ("StringEquals", ("pay*",), False),  # no wildcards in StringEquals
        ("StringEquals", ("payment",), False),
        ("StringNotEquals", ("payments",), False),
        ("StringNotEquals", ("Payments",), True),
        ("StringNotEquals", ("search",), True),
        ("StringEqualsIgnoreCase", ("PAYMENTS",), True),
        ("StringEqualsIgnoreCase", ("PayMents",), True),
        ("StringEqualsIgnoreCase", ("search",), False),
        ("StringEqualsIgnoreCase", ("pay*",), False),
        ("StringNotEqualsIgnoreCase", ("PAYMENTS",), False),
        ("StringNotEqualsIgnoreCase", ("search",), True),
        ("StringLike", ("pay*",), True),
        ("StringLike", ("pa?ments",), True),
        ("StringLike", ("*",), True),
        ("StringLike", ("Pay*",), False),  # case-sensitive
        ("StringLike", ("pay?",), False),
        ("StringLike", ("pay",), False),
        ("StringNotLike", ("pay*",), False),
        ("StringNotLike", ("Pay*",), True),
        ("StringNotLike", ("search*",), True),
    ],
)
def test_rule4_string_operators(operator, values, expected):
    assert ev(operator, "aws:PrincipalTag/team", *values) is expected


# -- rule 4: ARN operators --------------------------------------------------------------


@pytest.mark.parametrize(
    "operator, values, expected",
    [
        ("ArnEquals", (USER_ARN,), True),
        ("ArnEquals", ("arn:aws:iam::*:user/alice",), True),  # ArnEquals also takes per-field wildcards
        ("ArnEquals", (f"arn:aws:iam::{ACCOUNT}:user/Alice",), False),  # case-sensitive
        ("ArnEquals", (f"arn:aws:iam::{ACCOUNT}:role/alice",), False),
        ("ArnLike", ("arn:aws:iam::*:user/*",), True),
        ("ArnLike", (f"arn:aws:iam::{ACCOUNT}:user/al?ce",), True),
        ("ArnLike", ("arn:aws:iam::*:role/*",), False),
        ("ArnLike", ("arn:aws:iam::*:user/A*",), False),
        ("ArnLike", ("arn:aws:iam::999999999999:*",), False),
        ("ArnNotEquals", (USER_ARN,), False),
        ("ArnNotEquals", (f"arn:aws:iam::{ACCOUNT}:user/bob",), True),
        ("ArnNotLike", ("arn:aws:iam::*:user/*",), False),
        ("ArnNotLike", ("arn:aws:iam::*:role/*",), True),
    ],
)
def test_rule4_arn_operators(operator, values, expected):
    assert ev(operator, "aws:PrincipalArn", *values) is expected


def test_rule4_arn_like_wildcard_stays_inside_its_field():
    context = ctx({"aws:PrincipalArn": ["arn:aws:iam::111111111111:222222222222:user/alice"]})
    assert ev("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:user/alice", context=context) is False


# -- rule 4: Bool, Null, Binary -------------------------------------------------------


@pytest.mark.parametrize(
    "operator, values, expected",
    [
        ("Bool", ("false",), True),
        ("Bool", ("true",), False),
        ("BoolIfExists", ("false",), True),
        ("BoolIfExists", ("true",), False),
    ],
)
def test_rule4_bool_operator_on_a_static_key(operator, values, expected):
    assert ev(operator, "aws:PrincipalIsAWSService", *values) is expected


def test_rule4_bool_absent_key_is_false_but_bool_if_exists_is_true():
    context = ctx(drop=("aws:PrincipalIsAWSService",))
    assert ev("Bool", "aws:PrincipalIsAWSService", "false", context=context) is False
    assert ev("Bool", "aws:PrincipalIsAWSService", "true", context=context) is False
    assert ev("BoolIfExists", "aws:PrincipalIsAWSService", "false", context=context) is True


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("aws:PrincipalTag/team", "false", True),  # present: Null false holds
        ("aws:PrincipalTag/team", "true", False),
        ("aws:PrincipalTag/missing", "true", True),  # absent: Null true holds
        ("aws:PrincipalTag/missing", "false", False),  # Null false requires the key
    ],
)
def test_rule4_null_operator_tests_presence(key, value, expected):
    assert ev("Null", key, value) is expected


def test_rule4_null_treats_an_empty_value_list_as_absent():
    context = ctx({"aws:PrincipalTag/empty": []})
    assert ev("Null", "aws:PrincipalTag/empty", "true", context=context) is True
    assert ev("Null", "aws:PrincipalTag/empty", "false", context=context) is False


@pytest.mark.parametrize("values, expected", [(("QmluYXJ5",), True), (("QmluYXJ6",), False), (("x", "QmluYXJ5"), True)])
def test_rule4_binary_equals(values, expected):
    assert ev("BinaryEquals", "aws:PrincipalTag/blob", *values) is expected


# -- rule 4: numeric operators ----------------------------------------------------------


@pytest.mark.parametrize(
    "operator, value, expected",
    [
        ("NumericEquals", "5", True),
        ("NumericEquals", "5.0", True),
        ("NumericEquals", "6", False),
        ("NumericNotEquals", "5", False),
        ("NumericNotEquals", "6", True),
        ("NumericLessThan", "6", True),
        ("NumericLessThan", "5", False),
        ("NumericLessThan", "4", False),
        ("NumericLessThanEquals", "5", True),
        ("NumericLessThanEquals", "6", True),
        ("NumericLessThanEquals", "4", False),
        ("NumericGreaterThan", "4", True),
        ("NumericGreaterThan", "5", False),
        ("NumericGreaterThan", "6", False),
        ("NumericGreaterThanEquals", "5", True),
        ("NumericGreaterThanEquals", "4", True),
        ("NumericGreaterThanEquals", "6", False),
        ("NumericEquals", "five", False),  # a non-number matches nothing
    ],
)
def test_rule4_numeric_operators(operator, value, expected):
    # The request value is 5; the operator reads "request value <op> policy value".
    assert ev(operator, "aws:PrincipalTag/level", value) is expected


def test_rule4_numeric_operator_on_non_numeric_request_value_does_not_match():
    assert ev("NumericEquals", "aws:PrincipalTag/team", "5") is False
    assert ev("NumericLessThan", "aws:PrincipalTag/team", "5") is False


# -- rule 4: date operators -------------------------------------------------------------


@pytest.mark.parametrize(
    "operator, value, expected",
    [
        ("DateEquals", EXPIRES, True),
        ("DateEquals", str(EXPIRES_EPOCH), True),  # epoch form
        ("DateEquals", "2030-06-01T02:00:00+02:00", True),  # same instant, other offset
        ("DateEquals", "2030-06-01", True),  # date only: midnight UTC
        ("DateEquals", "2030-06-01T00:00:01Z", False),
        ("DateNotEquals", EXPIRES, False),
        ("DateNotEquals", "2030-06-02T00:00:00Z", True),
        ("DateLessThan", "2031-01-01T00:00:00Z", True),
        ("DateLessThan", str(EXPIRES_EPOCH + 1), True),
        ("DateLessThan", EXPIRES, False),
        ("DateLessThan", "2030-01-01T00:00:00Z", False),
        ("DateLessThanEquals", EXPIRES, True),
        ("DateLessThanEquals", str(EXPIRES_EPOCH - 1), False),
        ("DateGreaterThan", "2030-01-01T00:00:00Z", True),
        ("DateGreaterThan", str(EXPIRES_EPOCH - 1), True),
        ("DateGreaterThan", EXPIRES, False),
        ("DateGreaterThanEquals", EXPIRES, True),
        ("DateGreaterThanEquals", "2030-06-01T00:00:01Z", False),
        ("DateEquals", "not a date", False),
    ],
)
def test_rule4_date_operators_iso8601_and_epoch(operator, value, expected):
    # The request value is 2030-06-01T00:00:00Z; the operator reads "request <op> policy".
    assert ev(operator, "aws:PrincipalTag/expires", value) is expected


@pytest.mark.parametrize(
    "operator, value, expected",
    [
        ("DateEquals", EXPIRES, True),
        ("DateLessThan", "2031-01-01T00:00:00Z", True),
        ("DateGreaterThan", "2031-01-01T00:00:00Z", False),
    ],
)
def test_rule4_date_operators_with_epoch_request_value(operator, value, expected):
    assert ev(operator, "aws:PrincipalTag/expires-epoch", value) is expected


def test_rule4_date_operators_accept_w3c_year_month_form():
    """W3C ISO 8601 forms: YYYY-MM and a bare four-digit year."""
    year = RequestContext({"aws:PrincipalTag/expires": ["2031-01-01T00:00:00Z"]})
    assert evaluate_condition(Condition("DateGreaterThanEquals", "aws:PrincipalTag/expires", ("2031",)), year) is True
    assert evaluate_condition(Condition("DateLessThan", "aws:PrincipalTag/expires", ("2031",)), year) is False
    # Request value 2030-06-01T00:00:00Z is on or after the start of June 2030.
    assert ev("DateGreaterThanEquals", "aws:PrincipalTag/expires", "2030-06") is True


# -- rule 4: IP address operators -----------------------------------------------------


@pytest.mark.parametrize(
    "operator, key, values, expected",
    [
        ("IpAddress", "aws:PrincipalTag/ip", ("10.1.0.0/16",), True),
        ("IpAddress", "aws:PrincipalTag/ip", ("10.0.0.0/8",), True),
        ("IpAddress", "aws:PrincipalTag/ip", ("10.1.2.3/32",), True),
        ("IpAddress", "aws:PrincipalTag/ip", ("10.1.2.3",), True),  # a bare address is a /32
        ("IpAddress", "aws:PrincipalTag/ip", ("10.1.200.7/16",), True),  # host bits set: still the /16 range
        ("IpAddress", "aws:PrincipalTag/ip", ("10.2.0.0/16",), False),
        ("IpAddress", "aws:PrincipalTag/ip", ("10.1.2.4/32",), False),
        ("IpAddress", "aws:PrincipalTag/ip", ("192.168.0.0/16", "10.1.2.0/24"), True),  # OR
        ("IpAddress", "aws:PrincipalTag/ip", ("192.168.0.0/16", "172.16.0.0/12"), False),
        ("NotIpAddress", "aws:PrincipalTag/ip", ("10.0.0.0/8",), False),
        ("NotIpAddress", "aws:PrincipalTag/ip", ("192.168.0.0/16",), True),
        ("NotIpAddress", "aws:PrincipalTag/ip", ("192.168.0.0/16", "10.1.0.0/16"), False),  # NOR
        ("IpAddress", "aws:PrincipalTag/ip6", ("2001:db8::/32",), True),
        ("IpAddress", "aws:PrincipalTag/ip6", ("2001:db9::/32",), False),
        ("IpAddress", "aws:PrincipalTag/ip6", ("0.0.0.0/0",), False),  # IPv6 address, IPv4 range
        ("NotIpAddress", "aws:PrincipalTag/ip6", ("2001:db8::/32",), False),
    ],
)
def test_rule4_ip_address_operators_with_cidrs(operator, key, values, expected):
    assert ev(operator, key, *values) is expected


# -- rule 4: OR within a key, AND across keys -------------------------------------------


def test_rule4_several_values_for_one_key_mean_any_may_match():
    assert ev("StringEquals", "aws:PrincipalTag/team", "search", "payments") is True
    assert ev("StringEquals", "aws:PrincipalTag/team", "search", "ops") is False
    assert ev("StringLike", "aws:PrincipalTag/team", "x*", "p*") is True
    assert ev("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*", "arn:aws:iam::*:user/*") is True
    assert ev("NumericEquals", "aws:PrincipalTag/level", "1", "5") is True


def test_rule4_negated_operator_with_several_values_holds_only_if_none_matches():
    assert ev("StringNotEquals", "aws:PrincipalTag/team", "search", "payments") is False
    assert ev("StringNotEquals", "aws:PrincipalTag/team", "search", "ops") is True
    assert ev("StringNotLike", "aws:PrincipalTag/team", "x*", "p*") is False
    assert ev("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*", "arn:aws:iam::*:user/*") is False


def test_rule4_different_keys_in_a_block_must_all_hold():
    team_ok = Condition("StringEquals", "aws:PrincipalTag/team", ("payments",))
    env_ok = Condition("StringEquals", "aws:ResourceTag/env", ("prod",))
    env_bad = Condition("StringEquals", "aws:ResourceTag/env", ("dev",))
    assert evaluate_conditions([team_ok, env_ok], ctx()) == (True, ())
    assert evaluate_conditions([team_ok, env_bad], ctx()) == (False, ())
    assert evaluate_conditions([env_bad, team_ok], ctx()) == (False, ())
    assert evaluate_conditions([], ctx()) == (True, ())


def test_rule4_different_operators_on_the_same_key_must_all_hold():
    like = Condition("StringLike", "aws:PrincipalTag/team", ("pay*",))
    not_equals = Condition("StringNotEquals", "aws:PrincipalTag/team", ("payments",))
    assert evaluate_conditions([like], ctx()) == (True, ())
    assert evaluate_conditions([like, not_equals], ctx()) == (False, ())


def test_rule4_one_failing_static_condition_beats_pending_ones():
    mfa = Condition("Bool", "aws:MultiFactorAuthPresent", ("true",))
    bad = Condition("StringEquals", "aws:PrincipalOrgID", ("o-other00000",))
    assert evaluate_conditions([mfa, bad], ctx()) == (False, ())
    assert evaluate_conditions([bad, mfa], ctx()) == (False, ())


# -- rule 4: IfExists, absent keys, negation --------------------------------------------

ABSENT = "aws:PrincipalTag/absent"

# (positive, negated, a policy value fitting the operator family)
OPERATOR_PAIRS = [
    ("StringEquals", "StringNotEquals", "x"),
    ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "x"),
    ("StringLike", "StringNotLike", "*"),
    ("ArnEquals", "ArnNotEquals", "arn:aws:iam::*:role/*"),
    ("ArnLike", "ArnNotLike", "*"),
    ("NumericEquals", "NumericNotEquals", "1"),
    ("DateEquals", "DateNotEquals", EXPIRES),
    ("IpAddress", "NotIpAddress", "0.0.0.0/0"),
]
POSITIVE_ONLY = [
    ("NumericLessThan", "1"),
    ("NumericLessThanEquals", "1"),
    ("NumericGreaterThan", "1"),
    ("NumericGreaterThanEquals", "1"),
    ("DateLessThan", EXPIRES),
    ("DateLessThanEquals", EXPIRES),
    ("DateGreaterThan", EXPIRES),
    ("DateGreaterThanEquals", EXPIRES),
    ("Bool", "true"),
    ("BinaryEquals", "QmluYXJ5"),
]
ALL_OPERATORS = [(p, v) for p, _, v in OPERATOR_PAIRS] + [(n, v) for _, n, v in OPERATOR_PAIRS] + POSITIVE_ONLY


@pytest.mark.parametrize("positive, negated, value", OPERATOR_PAIRS)
def test_rule4_absent_key_positive_operator_false_negated_operator_true(positive, negated, value):
    assert ev(positive, ABSENT, value) is False
    assert ev(negated, ABSENT, value) is True


@pytest.mark.parametrize("operator, value", POSITIVE_ONLY)
def test_rule4_absent_key_other_positive_operators_false(operator, value):
    assert ev(operator, ABSENT, value) is False


@pytest.mark.parametrize("operator, value", ALL_OPERATORS)
def test_rule4_if_exists_holds_when_the_key_is_absent(operator, value):
    assert ev(operator + "IfExists", ABSENT, value) is True


@pytest.mark.parametrize(
    "operator, key, values, expected",
    [
        ("StringEqualsIfExists", "aws:PrincipalTag/team", ("payments",), True),
        ("StringEqualsIfExists", "aws:PrincipalTag/team", ("search",), False),
        ("StringNotEqualsIfExists", "aws:PrincipalTag/team", ("payments",), False),
        ("StringNotEqualsIfExists", "aws:PrincipalTag/team", ("search",), True),
        ("StringLikeIfExists", "aws:PrincipalTag/team", ("pay*",), True),
        ("StringLikeIfExists", "aws:PrincipalTag/team", ("x*",), False),
        ("ArnLikeIfExists", "aws:PrincipalArn", ("arn:aws:iam::*:user/*",), True),
        ("ArnLikeIfExists", "aws:PrincipalArn", ("arn:aws:iam::*:role/*",), False),
        ("ArnNotLikeIfExists", "aws:PrincipalArn", ("arn:aws:iam::*:user/*",), False),
        ("NumericLessThanIfExists", "aws:PrincipalTag/level", ("3",), False),
        ("NumericLessThanIfExists", "aws:PrincipalTag/level", ("9",), True),
        ("DateGreaterThanIfExists", "aws:PrincipalTag/expires", ("2031-01-01T00:00:00Z",), False),
        ("IpAddressIfExists", "aws:PrincipalTag/ip", ("192.168.0.0/16",), False),
        ("IpAddressIfExists", "aws:PrincipalTag/ip", ("10.0.0.0/8",), True),
        ("BoolIfExists", "aws:PrincipalIsAWSService", ("true",), False),
    ],
)
def test_rule4_if_exists_still_compares_when_the_key_is_present(operator, key, values, expected):
    assert ev(operator, key, *values) is expected


def test_rule4_parse_operator_splits_qualifier_negation_and_if_exists():
    parsed = parse_operator("ForAllValues:StringNotLikeIfExists")
    assert (parsed.qualifier, parsed.base, parsed.negated, parsed.if_exists) == ("ForAllValues", "StringLike", True, True)
    parsed = parse_operator("ForAnyValue:ArnLike")
    assert (parsed.qualifier, parsed.base, parsed.negated, parsed.if_exists) == ("ForAnyValue", "ArnLike", False, False)
    parsed = parse_operator("NotIpAddress")
    assert (parsed.qualifier, parsed.base, parsed.negated, parsed.if_exists) == (None, "IpAddress", True, False)


# -- rule 4: ForAnyValue / ForAllValues on a multi-valued key -------------------------

OU_A = f"{ORG}/r-ab12/ou-ab12-aaaaaaaa/*"
OU_B = f"{ORG}/r-ab12/ou-ab12-bbbbbbbb/*"
OU_Z = f"{ORG}/r-ab12/ou-ab12-zzzzzzzz/*"


@pytest.mark.parametrize(
    "operator, values, expected",
    [
        ("ForAnyValue:StringLike", (OU_A,), True),
        ("ForAnyValue:StringLike", (OU_Z,), False),
        ("ForAnyValue:StringLike", (OU_Z, OU_B), True),
        ("ForAnyValue:StringEquals", (PATH_B,), True),
        ("ForAnyValue:StringEquals", (f"{ORG}/r-ab12/",), False),
        ("ForAllValues:StringLike", (OU_A,), False),  # PATH_B is not under ou-a
        ("ForAllValues:StringLike", (OU_A, OU_B), True),
        ("ForAllValues:StringLike", (f"{ORG}/*",), True),
        ("ForAllValues:StringEquals", (PATH_A, PATH_B, "extra"), True),
        ("ForAllValues:StringEquals", (PATH_A,), False),
        # negated forms: the negation applies to each request value
        ("ForAnyValue:StringNotLike", (OU_A,), True),  # PATH_B is not under ou-a
        ("ForAnyValue:StringNotLike", (OU_A, OU_B), False),
        ("ForAnyValue:StringNotLike", (f"{ORG}/*",), False),
        ("ForAllValues:StringNotLike", (OU_Z,), True),
        ("ForAllValues:StringNotLike", (OU_A,), False),
        ("ForAllValues:StringNotEquals", ("x", "y"), True),
        ("ForAllValues:StringNotEquals", (PATH_B,), False),
        ("ForAnyValue:StringNotEquals", (PATH_B,), True),
        ("ForAnyValue:StringNotEquals", (PATH_A, PATH_B), False),
    ],
)
def test_rule4_set_qualifiers_on_principal_org_paths(operator, values, expected):
    assert ev(operator, "aws:PrincipalOrgPaths", *values) is expected


@pytest.mark.parametrize(
    "context",
    [
        pytest.param(ctx(drop=("aws:PrincipalOrgPaths",)), id="absent"),
        pytest.param(ctx({"aws:PrincipalOrgPaths": []}), id="empty"),
    ],
)
@pytest.mark.parametrize(
    "operator, expected",
    [
        ("ForAnyValue:StringLike", False),
        ("ForAnyValue:StringEquals", False),
        ("ForAnyValue:StringNotLike", False),
        ("ForAnyValue:StringNotEquals", False),
        ("ForAllValues:StringLike", True),
        ("ForAllValues:StringEquals", True),
        ("ForAllValues:StringNotLike", True),
        ("ForAllValues:StringNotEquals", True),
    ],
)
def test_rule4_set_qualifiers_on_absent_or_empty_key(context, operator, expected):
    assert ev(operator, "aws:PrincipalOrgPaths", OU_A, context=context) is expected


# -- rule 18: request-time keys are pending -------------------------------------------

REQUEST_TIME = [
    ("Bool", "aws:MultiFactorAuthPresent", ("true",)),
    ("NumericLessThan", "aws:MultiFactorAuthAge", ("3600",)),
    ("StringEquals", "sts:ExternalId", ("s3cret",)),
    ("StringLike", "sts:RoleSessionName", ("alice-*",)),
    ("StringEquals", "sts:SourceIdentity", ("alice",)),
    ("IpAddress", "aws:SourceIp", ("203.0.113.0/24",)),
    ("StringEquals", "aws:SourceVpc", ("vpc-1234",)),
    ("StringEquals", "aws:SourceVpce", ("vpce-1234",)),
    ("ForAnyValue:StringEquals", "aws:CalledVia", ("cloudformation.amazonaws.com",)),
    ("Bool", "aws:ViaAWSService", ("false",)),
    ("DateLessThan", "aws:CurrentTime", ("2030-01-01T00:00:00Z",)),
    ("StringEquals", "aws:RequestTag/project", ("blue",)),
    ("ForAllValues:StringEquals", "aws:TagKeys", ("project",)),
    ("StringEquals", "SAML:aud", ("https://signin.aws.amazon.com/saml",)),
    ("StringEquals", "accounts.google.com:aud", ("1234.apps.googleusercontent.com",)),
    ("StringEquals", "example:UnknownKey", ("x",)),
]


@pytest.mark.parametrize("operator, key, values", REQUEST_TIME)
def test_rule18_request_time_key_is_pending_not_false(operator, key, values):
    condition = Condition(operator, key, values)
    assert evaluate_condition(condition, ctx()) is None
    assert evaluate_conditions([condition], ctx()) == (True, (condition,))


@pytest.mark.parametrize("operator, key, values", REQUEST_TIME)
def test_rule18_request_time_key_is_pending_even_if_the_context_holds_a_value(operator, key, values):
    # A snapshot never knows these keys: a stray value must not decide the condition.
    context = ctx({key: ["anything"]})
    assert evaluate_condition(Condition(operator, key, values), context) is None


@pytest.mark.parametrize(
    "operator",
    ["StringNotEquals", "StringEqualsIfExists", "StringNotEqualsIfExists", "Null", "ForAnyValue:StringEquals",
     "ForAllValues:StringEquals", "ForAllValues:StringNotEquals"],
)
def test_rule18_request_time_key_is_pending_for_negated_if_exists_null_and_set_forms(operator):
    value = "true" if operator == "Null" else "s3cret"
    assert ev(operator, "sts:ExternalId", value) is None


def test_rule18_pending_conditions_are_returned_in_order_with_passing_static_ones_dropped():
    mfa = Condition("Bool", "aws:MultiFactorAuthPresent", ("true",))
    team = Condition("StringEquals", "aws:PrincipalTag/team", ("payments",))
    external = Condition("StringEquals", "sts:ExternalId", ("s3cret",))
    assert evaluate_conditions([mfa, team, external], ctx()) == (True, (mfa, external))


def test_rule18_bool_mfa_false_and_bool_if_exists_mfa_false_are_both_pending():
    """Rule 18: aws:MultiFactorAuthPresent is absent (not "false") for long-term keys.

    In AWS, ``Bool aws:MultiFactorAuthPresent false`` therefore does NOT match a
    long-term-key caller (the key is absent, a positive operator fails), while
    ``BoolIfExists ... false`` does (absent key => IfExists holds). A snapshot
    cannot know whether the caller signs with long-term keys, temporary
    credentials without MFA, or with MFA, so graphiam decides neither: both
    are pending (None), and the exact operator is kept in the pending list so
    the explanation can tell the two apart.
    """
    plain = Condition("Bool", "aws:MultiFactorAuthPresent", ("false",))
    if_exists = Condition("BoolIfExists", "aws:MultiFactorAuthPresent", ("false",))
    assert evaluate_condition(plain, ctx()) is None
    assert evaluate_condition(if_exists, ctx()) is None
    ok, pending = evaluate_conditions([plain], ctx())
    assert ok is True and pending == (plain,) and pending[0].operator == "Bool"
    ok, pending = evaluate_conditions([if_exists], ctx())
    assert ok is True and pending == (if_exists,) and pending[0].operator == "BoolIfExists"


# -- rule 18: snapshot keys are decided -------------------------------------------------

STATIC_PRESENT = [
    ("aws:PrincipalTag/team", "payments"),
    ("aws:PrincipalArn", USER_ARN),
    ("aws:PrincipalAccount", ACCOUNT),
    ("aws:PrincipalOrgID", ORG),
    ("aws:PrincipalType", "User"),
    ("aws:username", "alice"),
    ("aws:ResourceTag/env", "prod"),
    ("aws:ResourceAccount", ACCOUNT),
    ("iam:PassedToService", "ec2.amazonaws.com"),
]


@pytest.mark.parametrize("key, value", STATIC_PRESENT)
def test_rule18_static_key_is_decided_never_deferred(key, value):
    assert ev("StringEquals", key, value) is True
    assert ev("StringEquals", key, "something-else") is False
    assert evaluate_conditions([Condition("StringEquals", key, ("something-else",))], ctx()) == (False, ())


@pytest.mark.parametrize(
    "key",
    ["aws:PrincipalTag/team", "aws:PrincipalArn", "aws:ResourceTag/env", "iam:PassedToService", "aws:PrincipalOrgID",
     "aws:PrincipalOrgPaths", "aws:userid", "iam:ResourceTag/env"],
)
def test_rule18_absent_static_key_counts_as_absent_not_pending(key):
    empty = RequestContext({})
    positive = Condition("StringEquals", key, ("x",))
    negated = Condition("StringNotEquals", key, ("x",))
    assert evaluate_condition(positive, empty) is False
    assert evaluate_condition(negated, empty) is True
    assert evaluate_conditions([positive], empty) == (False, ())
    assert evaluate_conditions([negated], empty) == (True, ())


def test_rule18_principal_org_id_condition_decides_cross_org_callers():
    condition = Condition("StringEquals", "aws:PrincipalOrgID", (ORG,))
    assert evaluate_conditions([condition], ctx()) == (True, ())
    assert evaluate_conditions([condition], ctx({"aws:PrincipalOrgID": ["o-zzzzzzzzzz"]})) == (False, ())


def test_rule18_deferred_argument_makes_a_static_key_request_time():
    context = ctx(deferred=("aws:PrincipalTag/team",))
    condition = Condition("StringEquals", "aws:PrincipalTag/team", ("payments",))
    assert evaluate_condition(condition, context) is None
    assert evaluate_conditions([condition], context) == (True, (condition,))
    # Even a mismatching value stays pending: the snapshot's value is not trusted.
    assert ev("StringEquals", "aws:PrincipalTag/team", "search", context=context) is None
    # Only the named key is deferred.
    assert ev("StringEquals", "aws:PrincipalTag/owner", "alice", context=context) is True
    assert ev("StringEquals", "aws:PrincipalTag/owner", "bob", context=context) is False


def test_rule18_deferred_key_names_are_case_insensitive():
    context = ctx(deferred=("AWS:USERID",))
    assert ev("StringLike", "aws:userid", "AIDA*", context=context) is None
    assert ev("StringLike", "aws:UserId", "AIDA*", context=context) is None


def test_rule18_variable_from_a_deferred_key_makes_the_condition_pending():
    context = ctx(deferred=("aws:username",))
    assert ev("StringEquals", "aws:PrincipalTag/owner", "${aws:username}", context=context) is None


# -- rule 4: condition key names are case-insensitive ------------------------------------


def test_rule4_condition_key_names_are_case_insensitive():
    context = RequestContext({"aws:principaltag/team": ["payments"]})
    assert ev("StringEquals", "AWS:PrincipalTag/Team", "payments", context=context) is True
    assert ev("StringEquals", "aws:principaltag/TEAM", "search", context=context) is False
    mixed = RequestContext({"AWS:PrincipalTag/TEAM": ["payments"]})
    assert ev("StringEquals", "aws:principaltag/team", "payments", context=mixed) is True


def test_rule18_static_and_request_time_detection_ignores_key_case():
    assert ev("StringEquals", "AWS:PRINCIPALARN", USER_ARN) is True
    assert ev("StringEquals", "IAM:PASSEDTOSERVICE", "ec2.amazonaws.com") is True
    assert ev("Bool", "AWS:MULTIFACTORAUTHPRESENT", "true") is None
    assert ev("StringEquals", "STS:EXTERNALID", "x") is None


def test_rule4_condition_values_stay_case_sensitive_even_though_keys_are_not():
    assert ev("StringEquals", "AWS:PrincipalTag/TEAM", "PAYMENTS") is False


# -- rule 3 / rule 4: policy variables in condition values ------------------------------


def test_rule4_policy_variable_in_condition_value_resolves_from_the_principal():
    assert ev("StringEquals", "aws:PrincipalTag/owner", "${aws:username}") is True
    bob_owns = ctx({"aws:PrincipalTag/owner": ["bob"]})
    assert ev("StringEquals", "aws:PrincipalTag/owner", "${aws:username}", context=bob_owns) is False


def test_rule4_policy_variable_inside_an_arn_pattern():
    assert ev("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:user/${aws:username}") is True
    assert ev("StringLike", "aws:PrincipalArn", f"arn:aws:iam::{ACCOUNT}:user/${{aws:PrincipalTag/owner}}") is True
    bob = ctx({"aws:username": ["bob"]})
    assert ev("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:user/${aws:username}", context=bob) is False


def test_rule4_policy_variable_default_in_condition_value():
    assert ev("StringEquals", "aws:PrincipalTag/team", "${aws:PrincipalTag/missing, 'payments'}") is True
    assert ev("StringEquals", "aws:PrincipalTag/team", "${aws:PrincipalTag/owner, 'payments'}") is False


def test_rule4_policy_variable_with_no_value_matches_nothing_and_is_not_pending():
    # aws:PrincipalTag/missing is a static key the principal lacks: nothing equals it.
    assert ev("StringEquals", "aws:PrincipalTag/team", "${aws:PrincipalTag/missing}") is False
    assert ev("StringLike", "aws:PrincipalTag/team", "*${aws:PrincipalTag/missing}*") is False


def test_rule18_policy_variable_from_a_request_time_key_makes_the_condition_pending():
    condition = Condition("StringEquals", "aws:PrincipalTag/team", ("${aws:RequestTag/team}",))
    assert evaluate_condition(condition, ctx()) is None
    assert evaluate_conditions([condition], ctx()) == (True, (condition,))


def test_rule4_substituted_wildcards_in_condition_values_match_literally():
    pattern_tag = ctx({"aws:PrincipalTag/pattern": ["pay*"]})
    assert ev("StringLike", "aws:PrincipalTag/team", "${aws:PrincipalTag/pattern}", context=pattern_tag) is False
    literal = ctx({"aws:PrincipalTag/pattern": ["pay*"], "aws:PrincipalTag/team": ["pay*"]})
    assert ev("StringLike", "aws:PrincipalTag/team", "${aws:PrincipalTag/pattern}", context=literal) is True
    assert ev("StringEquals", "aws:PrincipalTag/team", "${aws:PrincipalTag/pattern}", context=literal) is True
    # The policy author's own wildcard next to the variable still works.
    assert ev("StringLike", "aws:PrincipalTag/team", "${aws:PrincipalTag/pattern}*", context=literal) is True
    question = ctx({"aws:PrincipalTag/pattern": ["pa?ments"]})
    assert ev("StringLike", "aws:PrincipalTag/team", "${aws:PrincipalTag/pattern}", context=question) is False


def test_rule4_literal_escapes_in_condition_values():
    star = ctx({"aws:PrincipalTag/team": ["a*"]})
    assert ev("StringLike", "aws:PrincipalTag/team", "a${*}", context=star) is True
    assert ev("StringLike", "aws:PrincipalTag/team", "a${*}") is False  # "payments" is not "a*"
    assert ev("StringLike", "aws:PrincipalTag/team", "pay${*}") is False
    dollar = ctx({"aws:PrincipalTag/team": ["$x"]})
    assert ev("StringEquals", "aws:PrincipalTag/team", "${$}x", context=dollar) is True


def test_rule3_multi_valued_key_does_not_resolve_as_a_variable():
    # ${aws:PrincipalOrgPaths} has two values here: there is no single value to
    # substitute, so neither of them may be picked silently.
    for path in (PATH_A, PATH_B):
        context = ctx({"aws:PrincipalTag/team": [path]})
        assert ev("StringEquals", "aws:PrincipalTag/team", "${aws:PrincipalOrgPaths}", context=context) is False
    single = ctx({"aws:PrincipalOrgPaths": [PATH_A], "aws:PrincipalTag/team": [PATH_A]})
    assert ev("StringEquals", "aws:PrincipalTag/team", "${aws:PrincipalOrgPaths}", context=single) is True


# -- property tests --------------------------------------------------------------------

small_pattern = st.text(alphabet="ab*?", max_size=5)
small_value = st.text(alphabet="ab", max_size=5)
account_ids = st.sampled_from(["111111111111", "222222222222", "123456789012"])
account_patterns = st.sampled_from(["*", "111111111111", "1*", "?22222222222", "12345678901?"])
names = st.text(alphabet="abAB/", min_size=1, max_size=6)
name_patterns = st.text(alphabet="abAB/*?", min_size=1, max_size=6)


@st.composite
def single_valued_case(draw):
    """(positive operator, negated operator, policy values, request value)."""
    family = draw(st.sampled_from(["string", "ignorecase", "like", "arnequals", "arnlike", "ip", "numeric", "date"]))
    n = draw(st.integers(min_value=1, max_value=3))
    if family in ("string", "like"):
        values = draw(st.lists(small_pattern, min_size=n, max_size=n))
        actual = draw(small_value)
        pair = ("StringEquals", "StringNotEquals") if family == "string" else ("StringLike", "StringNotLike")
    elif family == "ignorecase":
        values = draw(st.lists(st.text(alphabet="aAbB", max_size=4), min_size=n, max_size=n))
        actual = draw(st.text(alphabet="aAbB", max_size=4))
        pair = ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase")
    elif family in ("arnequals", "arnlike"):
        values = [
            f"arn:aws:iam::{draw(account_patterns)}:role/{draw(name_patterns)}" for _ in range(n)
        ]
        actual = f"arn:aws:iam::{draw(account_ids)}:role/{draw(names)}"
        pair = ("ArnEquals", "ArnNotEquals") if family == "arnequals" else ("ArnLike", "ArnNotLike")
    elif family == "ip":
        values = [f"{draw(st.ip_addresses(v=4))}/{draw(st.integers(0, 32))}" for _ in range(n)]
        actual = str(draw(st.ip_addresses(v=4)))
        pair = ("IpAddress", "NotIpAddress")
    elif family == "numeric":
        values = [str(draw(st.integers(-5, 5))) for _ in range(n)]
        actual = str(draw(st.integers(-5, 5)))
        pair = ("NumericEquals", "NumericNotEquals")
    else:
        values = [str(draw(st.integers(0, 3))) for _ in range(n)]
        actual = datetime.fromtimestamp(draw(st.integers(0, 3)), tz=timezone.utc).isoformat()
        pair = ("DateEquals", "DateNotEquals")
    return pair[0], pair[1], tuple(values), actual


@PROPS
@given(single_valued_case())
def test_rule4_property_negated_operator_is_the_complement_when_key_present(case):
    positive, negated, values, actual = case
    context = RequestContext({"aws:PrincipalTag/x": [actual]})
    pos = evaluate_condition(Condition(positive, "aws:PrincipalTag/x", values), context)
    neg = evaluate_condition(Condition(negated, "aws:PrincipalTag/x", values), context)
    assert isinstance(pos, bool) and isinstance(neg, bool)
    assert neg is (not pos)


@PROPS
@given(single_valued_case())
def test_rule4_property_if_exists_equals_plain_operator_when_key_present(case):
    positive, negated, values, actual = case
    context = RequestContext({"aws:PrincipalTag/x": [actual]})
    for operator in (positive, negated):
        plain = evaluate_condition(Condition(operator, "aws:PrincipalTag/x", values), context)
        if_exists = evaluate_condition(Condition(operator + "IfExists", "aws:PrincipalTag/x", values), context)
        assert plain is if_exists


SET_OPERATORS = [op for op, _ in ALL_OPERATORS]


@PROPS
@given(
    st.sampled_from(SET_OPERATORS),
    st.lists(st.text(max_size=8), min_size=1, max_size=3),
    st.sampled_from(["absent", "empty"]),
)
def test_rule4_property_set_qualifiers_on_absent_or_empty_key(operator, values, shape):
    context = RequestContext({} if shape == "absent" else {"aws:PrincipalOrgPaths": []})
    key = "aws:PrincipalOrgPaths"
    assert evaluate_condition(Condition("ForAllValues:" + operator, key, tuple(values)), context) is True
    assert evaluate_condition(Condition("ForAnyValue:" + operator, key, tuple(values)), context) is False


@PROPS
@given(st.sampled_from(SET_OPERATORS), st.lists(st.text(max_size=8), min_size=1, max_size=3))
def test_rule4_property_if_exists_holds_for_every_operator_on_absent_key(operator, values):
    assert evaluate_condition(Condition(operator + "IfExists", ABSENT, tuple(values)), ctx()) is True


@PROPS
@given(
    st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=4),
    st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3),
)
def test_rule4_property_for_all_and_for_any_value_on_multi_valued_key(request_values, policy_values):
    context = RequestContext({"aws:PrincipalOrgPaths": request_values})
    key, values = "aws:PrincipalOrgPaths", tuple(policy_values)
    allowed = set(policy_values)

    def check(operator: str) -> bool | None:
        return evaluate_condition(Condition(operator, key, values), context)

    assert check("ForAllValues:StringEquals") is all(v in allowed for v in request_values)
    assert check("ForAnyValue:StringEquals") is any(v in allowed for v in request_values)
    assert check("ForAllValues:StringNotEquals") is all(v not in allowed for v in request_values)
    assert check("ForAnyValue:StringNotEquals") is any(v not in allowed for v in request_values)


condition_pool = st.sampled_from(
    [
        Condition("StringEquals", "aws:PrincipalTag/team", ("payments",)),  # True
        Condition("StringNotEquals", "aws:ResourceTag/env", ("dev",)),  # True
        Condition("StringEquals", "aws:PrincipalTag/team", ("search",)),  # False
        Condition("Null", "aws:PrincipalTag/team", ("true",)),  # False
        Condition("Bool", "aws:MultiFactorAuthPresent", ("true",)),  # None
        Condition("StringEquals", "sts:ExternalId", ("x",)),  # None
        Condition("IpAddress", "aws:SourceIp", ("10.0.0.0/8",)),  # None
    ]
)


@PROPS
@given(st.lists(condition_pool, max_size=6))
def test_rule4_property_block_is_the_and_of_its_conditions(conditions):
    context = ctx()
    results = [evaluate_condition(c, context) for c in conditions]
    ok, pending = evaluate_conditions(conditions, context)
    if any(r is False for r in results):
        assert (ok, pending) == (False, ())
    else:
        assert ok is True
        assert pending == tuple(c for c, r in zip(conditions, results) if r is None)


@PROPS
@given(st.integers(min_value=100_000, max_value=4_000_000_000), st.integers(min_value=-3, max_value=3))
def test_rule4_property_epoch_and_iso_dates_compare_alike(epoch, delta):
    # a bare four-digit value is a W3C year, not epoch seconds (README, "Readings"): start above that
    iso = datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    context = RequestContext({"aws:PrincipalTag/when": [iso]})
    other = str(epoch + delta)
    expected = {
        "DateEquals": delta == 0,
        "DateLessThan": delta > 0,
        "DateLessThanEquals": delta >= 0,
        "DateGreaterThan": delta < 0,
        "DateGreaterThanEquals": delta <= 0,
    }
    for operator, want in expected.items():
        assert evaluate_condition(Condition(operator, "aws:PrincipalTag/when", (other,)), context) is want
        other_iso = (datetime.fromtimestamp(epoch, tz=timezone.utc) + timedelta(seconds=delta)).isoformat()
        assert evaluate_condition(Condition(operator, "aws:PrincipalTag/when", (other_iso,)), context) is want


@PROPS
@given(st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_rule4_property_numeric_operators_compare_request_against_policy(actual, policy):
    context = RequestContext({"aws:PrincipalTag/n": [str(actual)]})
    expected = {
        "NumericEquals": actual == policy,
        "NumericNotEquals": actual != policy,
        "NumericLessThan": actual < policy,
        "NumericLessThanEquals": actual <= policy,
        "NumericGreaterThan": actual > policy,
        "NumericGreaterThanEquals": actual >= policy,
    }
    for operator, want in expected.items():
        assert evaluate_condition(Condition(operator, "aws:PrincipalTag/n", (str(policy),)), context) is want


@PROPS
@given(st.ip_addresses(v=4), st.integers(0, 32))
def test_rule4_property_an_address_is_inside_every_cidr_built_around_it(address, prefix):
    import ipaddress

    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    context = RequestContext({"aws:PrincipalTag/ip": [str(address)]})
    assert evaluate_condition(Condition("IpAddress", "aws:PrincipalTag/ip", (str(network),)), context) is True
    assert evaluate_condition(Condition("NotIpAddress", "aws:PrincipalTag/ip", (str(network),)), context) is False
    if prefix > 0:
        # flip the highest network bit: the address is then outside
        flipped = ipaddress.ip_network(
            (int(network.network_address) ^ (1 << (32 - 1)), prefix), strict=False
        )
        assert evaluate_condition(Condition("IpAddress", "aws:PrincipalTag/ip", (str(flipped),)), context) is False


@PROPS
@given(st.sampled_from(["aws:PrincipalTag/team", "aws:PrincipalArn", "sts:ExternalId", "aws:SourceIp"]), st.data())
def test_rule4_property_key_case_never_changes_the_answer(key, data):
    flips = data.draw(st.lists(st.booleans(), min_size=len(key), max_size=len(key)))
    recased = "".join(c.swapcase() if f else c for c, f in zip(key, flips))
    value = BASE.get(key, ["x"])[0]
    assert ev("StringEquals", recased, value) is ev("StringEquals", key, value)
    assert ev("StringNotEquals", recased, "zzz") is ev("StringNotEquals", key, "zzz")


@pytest.mark.parametrize("key", [k.replace("*", "owner") for k in REQUEST_TIME_KEYS if " " not in k])
def test_rule18_every_documented_request_time_key_is_pending(key):
    """The README's list of request-time keys is the engine's behaviour, key by key."""
    context = RequestContext({"aws:PrincipalArn": ["arn:aws:iam::111111111111:user/a"]})
    assert evaluate_condition(Condition("StringEquals", key, ("x",)), context) is None


# -- a policy variable with no value makes its condition false, negated operators included -----------------

@pytest.mark.parametrize("operator", ["StringEquals", "StringNotEquals", "StringLike", "StringNotLike",
                                      "ArnNotLike", "StringNotEqualsIgnoreCase"])
def test_an_unresolved_static_variable_makes_the_condition_false(operator):
    context = RequestContext({"aws:PrincipalArn": ["arn:aws:iam::222222222222:role/Hub"]})  # no aws:username
    condition = Condition(operator, "aws:PrincipalArn", ("arn:aws:iam::222222222222:user/${aws:username}",))
    assert evaluate_condition(condition, context) is False


def test_a_resolved_variable_still_decides_both_ways():
    context = RequestContext({"aws:PrincipalArn": ["arn:aws:iam::222222222222:user/bob"], "aws:username": ["bob"]})
    pattern = ("arn:aws:iam::222222222222:user/${aws:username}",)
    assert evaluate_condition(Condition("StringEquals", "aws:PrincipalArn", pattern), context) is True
    assert evaluate_condition(Condition("StringNotEquals", "aws:PrincipalArn", pattern), context) is False


def test_reading_a_single_valued_operator_on_principal_org_paths_matches_any_of_its_paths():
    # aws:PrincipalOrgPaths is multivalued in the docs but a principal has one path: a plain StringLike holds
    # when that path matches, as ForAnyValue:StringLike does (README reading 9)
    context = RequestContext({"aws:PrincipalOrgPaths": ["o-abc/r-1/ou-a/ou-b/"]})
    for operator in ("StringLike", "ForAnyValue:StringLike"):
        assert evaluate_condition(Condition(operator, "aws:PrincipalOrgPaths", ("o-abc/r-1/ou-a/*",)), context) is True
        assert evaluate_condition(Condition(operator, "aws:PrincipalOrgPaths", ("o-abc/r-1/ou-x/*",)), context) is False
