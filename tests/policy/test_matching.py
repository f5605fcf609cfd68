"""Tests for graphiam.policy.matching: actions, resources, ARNs, variables, principals.

Each test is named after the rule of /work/shared/aws-semantics.md it guards:
rule 2 (actions), rule 3 (resources and policy variables), rule 8 (account
principals), rule 15 (unique ids of deleted principals), and the per-field
ARN matching that the Arn* condition operators (rule 4) rely on.
"""

from __future__ import annotations

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
