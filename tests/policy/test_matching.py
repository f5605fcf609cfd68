"""Tests for graphiam.policy.matching: actions, resources, ARNs, variables, principals.

Each test is named after the rule of /work/shared/aws-semantics.md it guards:
rule 2 (actions), rule 3 (resources and policy variables), rule 8 (account
principals), rule 15 (unique ids of deleted principals), and the per-field
ARN matching that the Arn* condition operators (rule 4) rely on.
"""

from __future__ import annotations

import pickle
import re
import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from graphiam.policy.matching import (
    UnresolvedVariable,
    account_principal,
    action_matches,
    any_pattern_regex,
    arn_matches,
    is_unique_id,
    resource_pattern_matches,
    resources_match,
    substitute_variables,
    wildcard_match,
    wildcard_matcher,
)

ACCOUNT = "123456789012"
OTHER = "210987654321"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/Deploy"

PROPS = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# The engine marks substituted wildcards with two private-use characters; no
# IAM name, ARN or tag value can contain them, so generated text avoids them.
_MARKERS = "\ue000\ue001"
plain_text = st.text(
    alphabet=st.characters(blacklist_characters="*?" + _MARKERS, blacklist_categories=("Cs",)),
    max_size=30,
)
any_text = st.text(alphabet=st.characters(blacklist_characters=_MARKERS, blacklist_categories=("Cs",)), max_size=30)


def lookup_from(values: dict[str, str]):
    """A variable lookup that records the keys it was asked for."""
    asked: list[str] = []

    def lookup(key: str) -> str | None:
        asked.append(key)
        return values.get(key)

    lookup.asked = asked  # type: ignore[attr-defined]
    return lookup


def no_variables(key: str) -> str | None:
    raise AssertionError(f"lookup must not be called, asked for {key!r}")


def reference_glob(pattern: str, value: str) -> bool:
    """Independent oracle: '*' is any run, '?' exactly one character, all else literal."""
    # dp[i][j]: pattern[:i] matches value[:j]
    rows, cols = len(pattern) + 1, len(value) + 1
    dp = [[False] * cols for _ in range(rows)]
    dp[0][0] = True
    for i in range(1, rows):
        p = pattern[i - 1]
        for j in range(cols):
            if p == "*":
                dp[i][j] = dp[i - 1][j] or (j > 0 and dp[i][j - 1])
            elif j > 0 and (p == "?" or p == value[j - 1]):
                dp[i][j] = dp[i - 1][j - 1]
    return dp[-1][-1]


# -- rule 2: actions ------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "sts:AssumeRole",
        "sts:assumerole",
        "STS:ASSUMEROLE",
        "sTs:aSsUmErOlE",
        "sts:*",
        "STS:*",
        "sts:Assume*",
        "sts:assume*",
        "sts:AssumeRol?",
        "sts:ASSUMEROL?",
        "sts:Assume?ole",
        "s?s:*Role",
        "*:AssumeRole",
        "*",
        "sts:*Role*",
    ],
)
def test_rule2_action_matches_case_insensitively_with_wildcards(pattern):
    assert action_matches([pattern], "sts:AssumeRole")


@pytest.mark.parametrize(
    "pattern",
    [
        "sts:AssumeRol",  # no prefix matching without a wildcard
        "sts:AssumeRoleWithSAML",
        "sts:AssumeRol??",  # '?' is exactly one character, twice is too many
        "sts:AssumeRole?",  # '?' needs one character to be there
        "sts:AssumeRo?",
        "iam:*",
        "iam:PassRole",
        "sts:Get*",
        "sts:Assume",
        "st:AssumeRole",
        "*:PassRole",
        "sts.AssumeRole",  # '.' is literal, not a regex wildcard
        "sts:Assume.*",
    ],
)
def test_rule2_action_pattern_that_does_not_cover_assumerole(pattern):
    assert not action_matches([pattern], "sts:AssumeRole")


def test_rule2_action_wildcard_covers_saml_and_web_identity_forms():
    assert action_matches(["sts:AssumeRole*"], "sts:AssumeRoleWithSAML")
    assert action_matches(["sts:AssumeRole*"], "sts:AssumeRoleWithWebIdentity")
    assert not action_matches(["sts:AssumeRole"], "sts:AssumeRoleWithSAML")
    assert not action_matches(["sts:AssumeRole"], "sts:AssumeRoleWithWebIdentity")


def test_rule2_action_star_alone_matches_every_action():
    for action in ("sts:AssumeRole", "iam:PassRole", "s3:GetObject", "ec2:RunInstances"):
        assert action_matches(["*"], action)


def test_rule2_action_list_matches_if_any_entry_matches():
    assert action_matches(["iam:*", "s3:GetObject", "sts:assume*"], "sts:AssumeRole")
    assert not action_matches(["iam:*", "s3:GetObject"], "sts:AssumeRole")
    assert not action_matches([], "sts:AssumeRole")


def test_rule2_not_action_iam_star_does_not_list_sts_assumerole():
    # The engine applies "NotAction": ["iam:*"] as "action_matches(...) is False".
    # For Allow + NotAction iam:* to allow sts:AssumeRole, iam:* must not match it,
    # while it must match every iam action (which NotAction then excludes).
    assert not action_matches(["iam:*"], "sts:AssumeRole")
    assert action_matches(["iam:*"], "iam:PassRole")
    assert action_matches(["IAM:*"], "iam:PassRole")


def test_rule2_action_question_mark_matches_exactly_one_character():
    assert action_matches(["sts:AssumeRol?"], "sts:AssumeRole")
    assert not action_matches(["sts:AssumeRol?"], "sts:AssumeRol")
    assert not action_matches(["sts:AssumeRol?"], "sts:AssumeRoles")
    assert action_matches(["iam:P?ssRole"], "iam:PassRole")
    assert not action_matches(["iam:P?ssRole"], "iam:PssRole")


# -- rule 3: resources ----------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, arn",
    [
        ("*", ROLE),
        ("arn:aws:iam::*:role/*", ROLE),
        ("arn:aws:iam::*:role/*", f"arn:aws:iam::{OTHER}:role/Anything"),
        ("arn:aws:iam::*:role/Deploy", ROLE),
        (f"arn:aws:iam::{ACCOUNT}:role/*", ROLE),
        (f"arn:aws:iam::{ACCOUNT}:role/Dep*", ROLE),
        (f"arn:aws:iam::{ACCOUNT}:role/Depl?y", ROLE),
        ("arn:aws:iam::12345678901?:role/Deploy", ROLE),
        ("arn:aws:iam::1234?678901?:role/Deploy", ROLE),
        ("arn:aws:*::*:role/Deploy", ROLE),
        ("arn:*:iam::*:role/Deploy", ROLE),
        ("arn:aws:iam::*:*", ROLE),
        (f"arn:aws:iam::{ACCOUNT}:role/team-a/*", f"arn:aws:iam::{ACCOUNT}:role/team-a/deploy"),
        (f"arn:aws:iam::{ACCOUNT}:role/team-a/*", f"arn:aws:iam::{ACCOUNT}:role/team-a/sub/deploy"),
        (f"arn:aws:iam::{ACCOUNT}:role/*/deploy", f"arn:aws:iam::{ACCOUNT}:role/team-a/deploy"),
        (f"arn:aws:iam::{ACCOUNT}:role/team-?/deploy", f"arn:aws:iam::{ACCOUNT}:role/team-b/deploy"),
    ],
)
def test_rule3_resource_wildcards_in_any_segment(pattern, arn):
    assert resources_match([pattern], arn, no_variables)


@pytest.mark.parametrize(
    "pattern, arn",
    [
        (f"arn:aws:iam::{ACCOUNT}:role/deploy", ROLE),  # case-sensitive name
        (f"arn:aws:iam::{ACCOUNT}:role/DEPLOY", ROLE),
        (f"arn:aws:iam::{ACCOUNT}:ROLE/Deploy", ROLE),
        (f"ARN:AWS:IAM::{ACCOUNT}:role/Deploy", ROLE),
        (f"arn:aws:iam::{ACCOUNT}:role/dep*", ROLE),  # case-sensitive even with a wildcard
        (f"arn:aws:iam::{OTHER}:role/Deploy", ROLE),
        (f"arn:aws:iam::{ACCOUNT}:role/Deplo", ROLE),  # no prefix matching
        (f"arn:aws:iam::{ACCOUNT}:role/Deploy?", ROLE),
        (f"arn:aws:iam::{ACCOUNT}:user/*", ROLE),
        ("arn:aws:iam::1234567890?:role/Deploy", ROLE),  # '?' is one character, not zero
        (f"arn:aws:iam::{ACCOUNT}:role/team-a/*", f"arn:aws:iam::{ACCOUNT}:role/team-b/deploy"),
        (f"arn:aws:iam::{ACCOUNT}:role/team-a/*", f"arn:aws:iam::{ACCOUNT}:role/deploy"),
        (f"arn:aws:iam::{ACCOUNT}:role/a.b*", f"arn:aws:iam::{ACCOUNT}:role/aXb1"),  # '.' is literal
        (f"arn:aws:iam::{ACCOUNT}:role/a+*", f"arn:aws:iam::{ACCOUNT}:role/aa"),  # '+' is literal
    ],
)
def test_rule3_resource_match_is_case_sensitive_and_exact_outside_wildcards(pattern, arn):
    assert not resources_match([pattern], arn, no_variables)


def test_rule3_resource_list_matches_if_any_entry_matches():
    patterns = [f"arn:aws:iam::{OTHER}:role/*", f"arn:aws:iam::{ACCOUNT}:role/Deploy"]
    assert resources_match(patterns, ROLE, no_variables)
    assert not resources_match(patterns[:1], ROLE, no_variables)
    assert not resources_match([], ROLE, no_variables)


def test_rule3_resource_variable_username_resolves_from_lookup():
    lookup = lookup_from({"aws:username": "alice"})
    pattern = f"arn:aws:iam::{ACCOUNT}:role/${{aws:username}}-admin"
    assert resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/alice-admin", lookup)
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/bob-admin", lookup)
    assert "aws:username" in lookup.asked


def test_rule3_resource_variable_principal_tag_resolves_from_lookup():
    lookup = lookup_from({"aws:PrincipalTag/team": "payments"})
    pattern = f"arn:aws:iam::{ACCOUNT}:role/${{aws:PrincipalTag/team}}/*"
    assert resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/payments/deploy", lookup)
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/search/deploy", lookup)
    assert lookup.asked and set(lookup.asked) == {"aws:PrincipalTag/team"}


def test_rule3_resource_variable_substitution_is_case_sensitive():
    lookup = lookup_from({"aws:PrincipalTag/team": "Payments"})
    pattern = f"arn:aws:iam::{ACCOUNT}:role/${{aws:PrincipalTag/team}}"
    assert resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/Payments", lookup)
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/payments", lookup)


def test_rule3_resource_unresolved_variable_does_not_match():
    lookup = lookup_from({})
    pattern = f"arn:aws:iam::{ACCOUNT}:role/${{aws:PrincipalTag/team}}"
    # Not even the ARN that looks like the unsubstituted text, nor an empty substitution.
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/${{aws:PrincipalTag/team}}", lookup)
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/", lookup)
    assert not resource_pattern_matches(pattern, f"arn:aws:iam::{ACCOUNT}:role/x", lookup)
    # A wildcard-only remainder still cannot rescue an unresolved variable.
    star = f"arn:aws:iam::{ACCOUNT}:role/*${{aws:PrincipalTag/team}}*"
    assert not resources_match([star], f"arn:aws:iam::{ACCOUNT}:role/anything", lookup)


def test_rule3_resource_unresolved_variable_in_one_entry_does_not_block_other_entries():
    lookup = lookup_from({})
    patterns = [f"arn:aws:iam::{ACCOUNT}:role/${{aws:username}}", f"arn:aws:iam::{ACCOUNT}:role/Deploy"]
    assert resources_match(patterns, ROLE, lookup)


def test_rule3_substitute_variables_raises_unresolved_with_the_key():
    with pytest.raises(UnresolvedVariable) as raised:
        substitute_variables("role/${aws:PrincipalTag/team}", lambda key: None)
    assert raised.value.key == "aws:PrincipalTag/team"


def test_rule3_resource_variable_default_used_when_value_missing():
    pattern = f"arn:aws:iam::{ACCOUNT}:role/${{aws:PrincipalTag/team, 'none'}}"
    missing = lookup_from({})
    assert resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/none", missing)
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/payments", missing)
    assert set(missing.asked) == {"aws:PrincipalTag/team"}  # looked up without the default part


def test_rule3_resource_variable_default_ignored_when_value_present():
    pattern = f"arn:aws:iam::{ACCOUNT}:role/${{aws:PrincipalTag/team, 'none'}}"
    present = lookup_from({"aws:PrincipalTag/team": "payments"})
    assert resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/payments", present)
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/none", present)


def test_rule3_variable_default_value_keeps_inner_spaces():
    assert substitute_variables("${aws:PrincipalTag/team, 'no team'}", lambda key: None) == "no team"


def test_rule3_literal_escape_star_matches_only_a_literal_star():
    pattern = f"arn:aws:iam::{ACCOUNT}:role/a${{*}}"
    assert resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/a*", no_variables)
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/abc", no_variables)
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/a", no_variables)


def test_rule3_literal_escape_question_mark_matches_only_a_literal_question_mark():
    pattern = f"arn:aws:iam::{ACCOUNT}:role/a${{?}}"
    assert resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/a?", no_variables)
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/ab", no_variables)


def test_rule3_literal_escapes_stay_literal_next_to_real_wildcards():
    pattern = f"arn:aws:iam::{ACCOUNT}:role/*${{*}}"
    assert resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/x*", no_variables)
    assert resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/*", no_variables)
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/xy", no_variables)


def test_rule3_literal_escape_dollar_is_a_dollar_and_not_a_variable():
    pattern = f"arn:aws:iam::{ACCOUNT}:role/${{$}}{{aws:username}}"
    # "${$}{aws:username}" is the literal text "${aws:username}", never a lookup.
    assert resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/${{aws:username}}", no_variables)
    assert substitute_variables("a${$}b", no_variables) == "a$b"


def test_rule3_substituted_star_matches_only_literally():
    lookup = lookup_from({"aws:PrincipalTag/team": "a*"})
    pattern = f"arn:aws:iam::{ACCOUNT}:role/${{aws:PrincipalTag/team}}"
    assert resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/a*", lookup)
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/abc", lookup)
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/a", lookup)


def test_rule3_substituted_question_mark_matches_only_literally():
    lookup = lookup_from({"aws:username": "a?"})
    pattern = f"arn:aws:iam::{ACCOUNT}:role/${{aws:username}}"
    assert resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/a?", lookup)
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/ab", lookup)


def test_rule3_substituted_star_does_not_disable_the_policy_authors_wildcards():
    lookup = lookup_from({"aws:PrincipalTag/team": "a*"})
    pattern = f"arn:aws:iam::{ACCOUNT}:role/${{aws:PrincipalTag/team}}/*"
    assert resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/a*/deploy", lookup)
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/abc/deploy", lookup)


def test_rule3_several_variables_in_one_pattern():
    lookup = lookup_from({"aws:PrincipalTag/team": "pay", "aws:username": "alice"})
    pattern = f"arn:aws:iam::{ACCOUNT}:role/${{aws:PrincipalTag/team}}/${{aws:username}}"
    assert resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/pay/alice", lookup)
    assert not resources_match([pattern], f"arn:aws:iam::{ACCOUNT}:role/pay/bob", lookup)


# -- ARN matching as the Arn* operators do it (rule 4) --------------------------------


@pytest.mark.parametrize(
    "pattern, arn",
    [
        ("*", ROLE),
        (ROLE, ROLE),
        ("arn:aws:iam::*:role/Deploy", ROLE),
        ("arn:aws:iam::*:role/*", ROLE),
        ("arn:aws:iam::????????????:role/Deploy", ROLE),
        ("arn:*:iam::*:role/*", ROLE),
        ("arn:aws:*:*:*:*", ROLE),
        ("arn:aws:iam::123*:role/D*", ROLE),
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/Deploy/*", f"arn:aws:sts::{ACCOUNT}:assumed-role/Deploy/session"),
        # the resource part may itself contain colons and is matched as one string
        ("arn:aws:logs:*:*:log-group:app:*", "arn:aws:logs:eu-west-1:123456789012:log-group:app:log-stream:x"),
    ],
)
def test_rule4_arn_matches_field_by_field(pattern, arn):
    assert arn_matches(pattern, arn)


@pytest.mark.parametrize(
    "pattern, arn",
    [
        # A '*' in the account field may not swallow the colon that ends it.
        ("arn:aws:iam::*:role/Deploy", "arn:aws:iam::111111111111:222222222222:role/Deploy"),
        ("arn:aws:iam::1*:role/Deploy", "arn:aws:iam::1:2:role/Deploy"),
        # '?' in a field matches one character of that field only
        ("arn:aws:iam::???????????:role/Deploy", ROLE),
        # case-sensitive in every field
        ("arn:aws:iam::*:role/deploy", ROLE),
        ("arn:aws:IAM::*:role/Deploy", ROLE),
        ("ARN:aws:iam::*:role/Deploy", ROLE),
        # other service / account / resource type
        ("arn:aws:sts::*:role/Deploy", ROLE),
        (f"arn:aws:iam::{OTHER}:role/*", ROLE),
        ("arn:aws:iam::*:user/*", ROLE),
        ("arn:aws:iam::*:role/Deplo", ROLE),
    ],
)
def test_rule4_arn_does_not_match_across_or_outside_fields(pattern, arn):
    assert not arn_matches(pattern, arn)


def test_rule4_arn_matching_differs_from_plain_wildcard_matching_on_field_boundaries():
    # The same pattern as a plain wildcard would span the colon; per field it must not.
    pattern, arn = "arn:aws:iam::*:role/Deploy", "arn:aws:iam::1:2:role/Deploy"
    assert wildcard_match(pattern, arn)
    assert not arn_matches(pattern, arn)


# -- rule 15: unique ids of deleted principals ----------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "AROAJ2UCCR6DPCEXAMPLE",
        "AIDAJQABLZS4A3QDU576Q",
        "AROA1234567890ABCDEFG",
        "AIDA3EXAMPLEUSERID99",
    ],
)
def test_rule15_unique_ids_are_recognised(value):
    assert is_unique_id(value)


@pytest.mark.parametrize(
    "value",
    [
        ROLE,
        f"arn:aws:iam::{ACCOUNT}:user/alice",
        f"arn:aws:iam::{ACCOUNT}:role/AROAJ2UCCR6DPCEXAMPLE",
        f"arn:aws:iam::{ACCOUNT}:root",
        ACCOUNT,
        "*",
        "Deploy",
        "AROA",
        "AROASHORT",
        "aroaj2uccr6dpcexample",  # unique ids are upper case
        "AROAmixedCaseRoleName1",  # ... and so is all of them, not just the prefix
        "ec2.amazonaws.com",
        "",
    ],
)
def test_rule15_arns_names_and_accounts_are_not_unique_ids(value):
    assert not is_unique_id(value)


# -- rule 8: the account as principal -------------------------------------------------


@pytest.mark.parametrize(
    "value, account",
    [
        (ACCOUNT, ACCOUNT),
        (f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT),
        (f"arn:aws:iam::{OTHER}:root", OTHER),
        (f"arn:aws-cn:iam::{ACCOUNT}:root", ACCOUNT),
        (f"arn:aws-us-gov:iam::{ACCOUNT}:root", ACCOUNT),
    ],
)
def test_rule8_account_principal_from_id_or_root_arn(value, account):
    assert account_principal(value) == account


@pytest.mark.parametrize(
    "value",
    [
        ROLE,
        f"arn:aws:iam::{ACCOUNT}:user/alice",
        f"arn:aws:iam::{ACCOUNT}:user/root",  # a user named root is not the account
        f"arn:aws:iam::{ACCOUNT}:role/root",
        f"arn:aws:sts::{ACCOUNT}:assumed-role/Deploy/s",
        f"arn:aws:iam::{ACCOUNT}:root/x",
        f"arn:aws:iam::{ACCOUNT}:rootx",
        "12345678901",  # 11 digits
        "1234567890123",  # 13 digits
        "*",
        "AROAJ2UCCR6DPCEXAMPLE",
        "ec2.amazonaws.com",
        "",
    ],
)
def test_rule8_account_principal_rejects_anything_but_a_whole_account(value):
    assert account_principal(value) is None


# -- property tests ------------------------------------------------------------------


@PROPS
@given(plain_text)
def test_rule3_property_text_without_wildcards_matches_itself(s):
    assert wildcard_match(s, s)
    assert wildcard_match(s, s, ignore_case=True)


@PROPS
@given(any_text)
def test_rule2_property_star_alone_matches_everything(s):
    assert wildcard_match("*", s)
    assert wildcard_match("*", s, ignore_case=True)
    assert action_matches(["*"], s)


@PROPS
@given(st.text(alphabet="ab*?", max_size=8), st.text(alphabet="ab", max_size=8))
def test_rule3_property_wildcard_match_agrees_with_reference_glob(pattern, value):
    assert wildcard_match(pattern, value) == reference_glob(pattern, value)


@PROPS
@given(st.text(alphabet="aAbB:*?", max_size=8), st.text(alphabet="aAbB:", max_size=8))
def test_rule2_property_action_match_ignores_case(pattern, value):
    expected = reference_glob(pattern.lower(), value.lower())
    assert wildcard_match(pattern, value, ignore_case=True) == expected
    assert action_matches([pattern], value) == expected
    assert action_matches([pattern.upper()], value.lower()) == expected


@PROPS
@given(st.text(alphabet=string.ascii_letters + ":/-", min_size=1, max_size=20))
def test_rule3_property_resource_match_is_case_sensitive(s):
    assume(s.swapcase() != s)
    assert not wildcard_match(s.swapcase(), s)
    assert wildcard_match(s.swapcase(), s, ignore_case=True)


@PROPS
@given(st.text(alphabet=string.ascii_letters + string.digits + "*?+=,.@_-", min_size=1, max_size=12))
def test_rule3_property_substituted_value_matches_itself_and_only_literally(tag):
    prefix = f"arn:aws:iam::{ACCOUNT}:role/"
    lookup = lookup_from({"aws:PrincipalTag/team": tag})
    pattern = prefix + "${aws:PrincipalTag/team}"
    assert resources_match([pattern], prefix + tag, lookup)
    # Replacing any wildcard in the value by another character must break the match.
    if "*" in tag or "?" in tag:
        altered = tag.replace("*", "Z").replace("?", "Z")
        assert not resources_match([pattern], prefix + altered, lookup)


@PROPS
@given(
    st.from_regex(r"\A[0-9]{12}\Z", fullmatch=True),
    st.from_regex(r"\A[A-Za-z0-9+=,.@_-]{1,20}\Z", fullmatch=True),
)
def test_rule4_property_arn_pattern_with_star_account_matches_any_account(account, name):
    arn = f"arn:aws:iam::{account}:role/{name}"
    assert arn_matches("arn:aws:iam::*:role/*", arn)
    assert arn_matches(f"arn:aws:iam::*:role/{name}", arn)
    assert arn_matches(arn, arn)
    assert account_principal(account) == account
    assert account_principal(f"arn:aws:iam::{account}:root") == account
    assert account_principal(arn) is None


@given(st.lists(st.text(alphabet="ab*?:/", max_size=6), min_size=1, max_size=3), st.text(alphabet="ab:/*?", max_size=6))
def test_one_regex_for_a_resource_list_matches_what_any_of_its_patterns_matches(patterns, value):
    assert (any_pattern_regex(patterns).fullmatch(value) is not None) == any(wildcard_match(p, value) for p in patterns)


# -- linear-time matching: no pattern can make a match backtrack ------------------------
#
# Patterns used to be translated to Python regexes ("*" -> ".*"), which backtrack: a 39-character
# Resource, "arn:aws:iam::*:role/" then nine "a*" then "b", took minutes against a role named with
# 64 "a"s. The matcher is now the greedy glob algorithm. These tests hold it to an obviously correct
# reference on random inputs, to what the regexes answered (on inputs too small for backtracking to
# matter), and run the hostile shapes at sizes where the regexes would not finish.


def reference_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """Dynamic programming over (pattern prefix, text prefix): ``*`` any run, ``?`` one character, a
    substituted-wildcard marker the literal ``*`` / ``?``, anything else itself (ASCII case folded
    with ``ignore_case``)."""
    literal = {"\ue000": "*", "\ue001": "?"}
    fold = str.lower if ignore_case else (lambda c: c)
    matched = [True] + [False] * len(value)  # pattern[:0] against value[:j]
    for p in pattern:
        if p == "*":
            row = [matched[0]]
            for j in range(1, len(value) + 1):
                row.append(matched[j] or row[j - 1])
        else:
            c = fold(literal.get(p, p))
            row = [False] + [matched[j - 1] and (p == "?" or fold(value[j - 1]) == c) for j in range(1, len(value) + 1)]
        matched = row
    return matched[-1]


def old_regex_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """What wildcard_match answered before (a regex per pattern), safe here only on short inputs."""
    if "*" not in pattern and "?" not in pattern:
        pattern = pattern.replace("\ue000", "*").replace("\ue001", "?")
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c.replace("\ue000", "*").replace("\ue001", "?"))
                   for c in pattern)
    return re.fullmatch(body, value, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


small_patterns = st.text(alphabet="aAbB*?\ue000\ue001", max_size=12)
small_texts = st.text(alphabet="aAbB*?", max_size=16)


@PROPS
@given(small_patterns, small_texts)
def test_property_matcher_agrees_with_the_reference_case_sensitive(pattern, value):
    expected = reference_match(pattern, value)
    assert wildcard_match(pattern, value) == expected
    assert wildcard_matcher(pattern)(value) == expected
    assert (any_pattern_regex([pattern]).fullmatch(value) is not None) == expected


@PROPS
@given(small_patterns, small_texts)
def test_property_matcher_agrees_with_the_reference_ignoring_case(pattern, value):
    expected = reference_match(pattern, value, ignore_case=True)
    assert wildcard_match(pattern, value, ignore_case=True) == expected
    assert wildcard_matcher(pattern, ignore_case=True)(value) == expected
    assert action_matches([pattern], value) == expected


@PROPS
@given(st.text(alphabet="ab*", max_size=14), st.text(alphabet="ab", max_size=24))
def test_property_star_only_patterns_agree_with_the_reference(pattern, value):
    # no "?": every segment is literal and found with str methods (the shapes the engine sees most)
    assert wildcard_match(pattern, value) == reference_match(pattern, value)
    assert wildcard_match(pattern.upper(), value, ignore_case=True) == reference_match(pattern, value)


# Characters where re.IGNORECASE and str.lower() disagree, or that fold to ASCII: the old regexes' rules
# for them are kept exactly (the long s is an "s", the Kelvin sign a "k", to a pattern with a wildcard).
_CASE_TRAPS = "sSkKiI\u017f\u212a\u0130\u0131\u03c3\u03c2\u03a3\u00df\u1e9e\u01c4\u01c5\u01c6"


@PROPS
@given(st.text(alphabet=_CASE_TRAPS + "*?\ue000", max_size=8), st.text(alphabet=_CASE_TRAPS + "*", max_size=10))
def test_property_matcher_answers_what_the_regexes_answered_for_every_character(pattern, value):
    for ignore_case in (False, True):
        assert wildcard_match(pattern, value, ignore_case) == old_regex_match(pattern, value, ignore_case)


@PROPS
@given(st.lists(st.text(alphabet="ab*?:/\ue000", max_size=7), min_size=1, max_size=5), st.text(alphabet="ab:/*?", max_size=8))
def test_property_one_matcher_for_a_resource_list_agrees_with_the_reference(patterns, value):
    matcher = any_pattern_regex(patterns)
    expected = any(reference_match(p, value) for p in patterns)
    assert (matcher.fullmatch(value) is not None) == expected
    assert (pickle.loads(pickle.dumps(matcher)).fullmatch(value) is not None) == expected


def test_the_resource_list_matcher_keeps_the_call_shape_of_a_regex():
    matcher = any_pattern_regex((f"arn:aws:iam::{ACCOUNT}:role/app-*", "arn:aws:iam::*:role/Deploy"))
    assert matcher.fullmatch(ROLE) is not None
    assert matcher.fullmatch(f"arn:aws:iam::{ACCOUNT}:role/app-x") is not None
    assert matcher.fullmatch(f"arn:aws:iam::{ACCOUNT}:user/app-x") is None
    assert any_pattern_regex(["arn:*"]) == any_pattern_regex(("arn:*",))  # a list and a tuple alike
    assert hash(any_pattern_regex(["arn:*"])) == hash(any_pattern_regex(("arn:*",)))


HOSTILE = "arn:aws:iam::*:role/" + "a*" * 9 + "b"  # legal in any Resource, ArnLike or StringLike value
A64 = f"arn:aws:iam::{ACCOUNT}:role/" + "a" * 64  # a legal role name


def hostile(k: int, segment: str = "a", kind: str = "role") -> str:
    return f"arn:aws:iam::*:{kind}/" + (segment + "*") * k + "b"


def test_the_hostile_resource_of_the_report_is_decided_at_once():
    assert len(HOSTILE) == 39
    assert not wildcard_match(HOSTILE, A64)
    assert wildcard_match(HOSTILE, A64 + "b")
    assert not arn_matches(HOSTILE, A64)
    assert not resources_match([HOSTILE] * 10, A64, no_variables)  # ten took 526 s for one match
    assert any_pattern_regex([HOSTILE] * 10).fullmatch(A64) is None
    assert any_pattern_regex([HOSTILE] * 10).fullmatch(A64 + "b") is not None
    assert not resource_pattern_matches(HOSTILE, A64, no_variables)


@pytest.mark.parametrize("k", [9, 20, 40])
@pytest.mark.parametrize("n", [64, 1024, 4096])
@pytest.mark.parametrize("segment", ["a", "a?", "?a", "aa"])
def test_hostile_patterns_at_sizes_the_regexes_would_never_finish(k, n, segment):
    pattern = hostile(k, segment)
    text = f"arn:aws:iam::{ACCOUNT}:role/" + "a" * n
    assert not wildcard_match(pattern, text)
    assert wildcard_match(pattern, text + "b") == (n >= k * len(segment))
    assert not wildcard_match(pattern.upper(), text, ignore_case=True)
    assert not arn_matches(pattern, text)
    assert any_pattern_regex([pattern, pattern + "c"]).fullmatch(text) is None


@pytest.mark.parametrize("n", [64, 4096])
def test_hostile_action_and_string_like_values_are_decided_at_once(n):
    assert not action_matches(["sts:" + "A*" * 40 + "B"], "sts:" + "a" * n)
    assert action_matches(["sts:" + "A*" * 40 + "B"], "sts:" + "a" * n + "b")
    assert not action_matches(["*" + "a?*" * 30 + "c"], "A" * n)  # "?" segments, case-insensitive
    assert not wildcard_match("*" + "\u017f*" * 30 + "x", "s" * n, ignore_case=True)  # the re.IGNORECASE rules


def test_hostile_string_like_and_arn_like_conditions_are_decided_at_once():
    from graphiam.policy.conditions import RequestContext, evaluate_condition
    from graphiam.snapshot.model import Condition

    context = RequestContext({"aws:PrincipalTag/team": ["a" * 4096], "aws:PrincipalArn": [A64]}, ())
    value = "a*" * 40 + "b"
    assert evaluate_condition(Condition("StringLike", "aws:PrincipalTag/team", (value,)), context) is False
    assert evaluate_condition(Condition("StringNotLike", "aws:PrincipalTag/team", (value,)), context) is True
    assert evaluate_condition(Condition("ArnLike", "aws:PrincipalArn", (HOSTILE,)), context) is False
    assert evaluate_condition(Condition("ArnNotLike", "aws:PrincipalArn", (HOSTILE,)), context) is True


def test_a_hostile_policy_does_not_stall_the_graph():
    # what `graphiam reach` hung on: identity Resources, a trust's ArnLike and a StringLike, all hostile
    from builders import Org, allow, trust_account
    from graphiam.graph.build import build_graph
    from graphiam.graph.schema import CAN_ASSUME

    org = Org()
    account = org.account(ACCOUNT)
    arn_like = {"ArnLike": {"aws:PrincipalArn": hostile(20, kind="user")}}
    account.role("a" * 64, trusts=trust_account(ACCOUNT))
    account.role("a" * 63 + "b", trusts=trust_account(ACCOUNT))
    account.role("b" * 64, trusts=trust_account(ACCOUNT, condition=arn_like))
    account.user("mallory", allow("sts:AssumeRole", [hostile(k) for k in range(9, 19)]))
    account.user("a" * 64, allow("sts:AssumeRole", "*"))
    graph = build_graph(org.snapshot())
    mallory, aaa = f"arn:aws:iam::{ACCOUNT}:user/mallory", f"arn:aws:iam::{ACCOUNT}:user/" + "a" * 64
    assert not graph.has_edge(mallory, f"arn:aws:iam::{ACCOUNT}:role/" + "a" * 64, CAN_ASSUME)
    assert graph.has_edge(mallory, f"arn:aws:iam::{ACCOUNT}:role/" + "a" * 63 + "b", CAN_ASSUME)
    assert not graph.has_edge(aaa, f"arn:aws:iam::{ACCOUNT}:role/" + "b" * 64, CAN_ASSUME)


# -- glob_witness: a value both patterns match ------------------------------------------------------------

from hypothesis import given as _given  # noqa: E402
from hypothesis import strategies as _st  # noqa: E402

from graphiam.policy.matching import glob_witness, wildcard_match as _wildcard_match  # noqa: E402

_GLOB = _st.text(alphabet="ab:*?", max_size=8)


@_given(_GLOB, _GLOB)
def test_a_witness_matches_both_patterns(a, b):
    found = glob_witness(a, b)
    if found is not None:
        assert _wildcard_match(a, found) and _wildcard_match(b, found)


@_given(_GLOB, _st.text(alphabet="ab:", max_size=8))
def test_a_witness_exists_whenever_some_value_matches_both(pattern, value):
    if _wildcard_match(pattern, value):  # the value itself is a one-string pattern both match
        assert glob_witness(pattern, value) == value


def test_witness_examples():
    assert glob_witness("arn:aws:lambda:us-east-1:1:function:dev-*", "arn:aws:lambda:*:1:function:*") == \
        "arn:aws:lambda:us-east-1:1:function:dev-graphiam-choice"
    assert glob_witness("arn:aws:s3:::x", "arn:aws:lambda:*:1:function:*") is None
    assert glob_witness("a*a*a*a*a*a*a*a*b", "*" + "a" * 40) is None  # no backtracking blow-up either
