"""The IAM JSON policy grammar check: each rule with a document it accepts and one it rejects."""

from __future__ import annotations

from pathlib import Path

import pytest

import graphiam
from graphiam.policy.grammar import arn_problem, condition_operator_problem, policy_problems, statement_problems

DEPLOY = "arn:aws:iam::333333333333:role/Deploy"
ALICE = "arn:aws:iam::222222222222:user/alice"
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-org"


def identity(**statement) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": DEPLOY,
                                                   **statement}]}


def trust(**statement) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ALICE},
                                                   "Action": "sts:AssumeRole", **statement}]}


def without(document: dict, key: str) -> dict:
    (statement,) = document["Statement"]
    return {**document, "Statement": [{k: v for k, v in statement.items() if k != key}]}


def one_problem(document: dict, kind: str, *words: str) -> str:
    problems = policy_problems(document, kind)
    assert len(problems) == 1, problems
    for word in words:
        assert word in problems[0], problems[0]
    return problems[0]


def test_the_plain_documents_are_valid():
    assert policy_problems(identity(), "identity") == []
    assert policy_problems(trust(), "trust") == []


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        policy_problems(identity(), "resource")


# -- the document -------------------------------------------------------------------

@pytest.mark.parametrize("version", ["2012-10-17", "2008-10-17"])
def test_version_is_one_of_the_two_dates(version):
    assert policy_problems({**identity(), "Version": version}, "identity") == []


@pytest.mark.parametrize("version", ["2012-10-18", "2012-10-17 ", 2012, None])
def test_another_version_is_rejected(version):
    one_problem({**identity(), "Version": version}, "identity", "Version")


def test_version_may_be_left_out():  # the grammar's <version_block?>; IAM then reads 2008-10-17
    assert policy_problems({"Statement": identity()["Statement"]}, "identity") == []


def test_a_document_holds_only_version_id_and_statement():
    assert policy_problems({**identity(), "Id": "DeployAccess"}, "identity") == []
    one_problem({**identity(), "Statements": []}, "identity", "'Statements'")
    one_problem({**identity(), "Id": 7}, "identity", "Id")


def test_a_document_is_an_object():
    assert policy_problems([identity()], "identity") == ["a policy is a JSON object, not a list"]


def test_statement_may_be_one_object_or_a_non_empty_list():
    (statement,) = identity()["Statement"]
    assert policy_problems({"Version": "2012-10-17", "Statement": statement}, "identity") == []
    assert policy_problems({"Version": "2012-10-17", "Statement": [statement, {**statement, "Sid": "Again"}]},
                           "identity") == []
    one_problem({"Version": "2012-10-17", "Statement": []}, "identity", "empty")
    one_problem({"Version": "2012-10-17"}, "identity", "no Statement")
    one_problem({"Version": "2012-10-17", "Statement": "Allow"}, "identity", "Statement")
    one_problem({"Version": "2012-10-17", "Statement": ["Allow"]}, "identity", "statement 1", "JSON object")


# -- statement elements --------------------------------------------------------------

def test_a_statement_holds_only_the_documented_elements():
    assert statement_problems(identity(Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})["Statement"][0],
                              "identity") == []
    one_problem(identity(Resources=[DEPLOY]), "identity", "'Resources'")
    problems = policy_problems(trust(effect="Allow"), "trust")  # element names are case sensitive
    assert any("'effect'" in p for p in problems)


@pytest.mark.parametrize("sid", ["AllowAssumeDeploy", "Trust1", "123", ""])
def test_sid_is_ascii_letters_and_digits(sid):
    assert policy_problems(identity(Sid=sid), "identity") == []


@pytest.mark.parametrize("sid", ["Trust-alice", "Trust alice", "Trust_alice", "Trust.alice", "TrustJosé", 7])
def test_a_sid_with_anything_else_is_rejected(sid):
    one_problem(identity(Sid=sid), "identity", "Sid")


def test_sids_are_unique_within_the_policy():
    (statement,) = identity()["Statement"]
    distinct = {"Statement": [{**statement, "Sid": "One"}, {**statement, "Sid": "Two"}]}
    assert policy_problems(distinct, "identity") == []
    repeated = {"Statement": [{**statement, "Sid": "One"}, {**statement, "Sid": "One"}]}
    one_problem(repeated, "identity", "statement 2", "unique")
    empty_twice = {"Statement": [{**statement, "Sid": ""}, {**statement, "Sid": ""}]}  # as the console writes them
    assert policy_problems(empty_twice, "identity") == []


@pytest.mark.parametrize("effect", ["Allow", "Deny"])
def test_effect_is_allow_or_deny(effect):
    assert policy_problems(identity(Effect=effect), "identity") == []


def test_another_effect_or_none_is_rejected():
    one_problem(identity(Effect="allow"), "identity", "Effect")
    one_problem(without(identity(), "Effect"), "identity", "Effect is missing")


@pytest.mark.parametrize("action", ["*", "sts:AssumeRole", "sts:Assume*", "iam:Pass?ole", ["sts:AssumeRole", "sts:TagSession"],
                                    "execute-api:Invoke", "STS:AssumeRole"])
def test_action_is_star_or_service_colon_action(action):
    assert policy_problems(identity(Action=action), "identity") == []


@pytest.mark.parametrize("action", ["AssumeRole", "sts:", ":AssumeRole", "sts:Assume Role", "", [], ["sts:AssumeRole", 3]])
def test_a_malformed_action_is_rejected(action):
    one_problem(identity(Action=action), "identity", "Action")


def test_exactly_one_of_action_and_not_action():
    assert policy_problems(without(identity(NotAction="s3:*"), "Action"), "identity") == []
    one_problem(identity(NotAction="s3:*"), "identity", "not both")
    one_problem(without(identity(), "Action"), "identity", "Action or NotAction is missing")
    one_problem(without(identity(NotAction="s3"), "Action"), "identity", "NotAction")


def test_an_identity_statement_needs_exactly_one_of_resource_and_not_resource():
    assert policy_problems(without(identity(NotResource=DEPLOY), "Resource"), "identity") == []
    one_problem(identity(NotResource=DEPLOY), "identity", "not both")
    one_problem(without(identity(), "Resource"), "identity", "Resource or NotResource is missing")


def test_an_identity_statement_names_no_principal():
    one_problem(identity(Principal={"AWS": ALICE}), "identity", "Principal is not allowed")
    one_problem(identity(NotPrincipal={"AWS": ALICE}), "identity", "NotPrincipal is not allowed")


def test_a_trust_statement_needs_exactly_one_of_principal_and_not_principal():
    assert policy_problems(without(trust(NotPrincipal={"AWS": ALICE}, Effect="Deny"), "Principal"), "trust") == []
    one_problem(without(trust(), "Principal"), "trust", "Principal or NotPrincipal is missing")
    one_problem(trust(NotPrincipal={"AWS": ALICE}), "trust", "not both")


def test_a_trust_statement_names_no_resource():
    one_problem(trust(Resource=DEPLOY), "trust", "Resource is not allowed")
    one_problem(trust(NotResource=DEPLOY), "trust", "NotResource is not allowed")


@pytest.mark.parametrize("action", ["sts:AssumeRole", "sts:TagSession", ["sts:AssumeRole", "sts:SetSourceIdentity"],
                                    "sts:AssumeRoleWithWebIdentity", "*"])
def test_a_trust_statement_names_sts_actions(action):
    assert policy_problems(trust(Action=action), "trust") == []


def test_a_trust_statement_naming_another_service_s_action_is_rejected():
    one_problem(trust(Action="iam:PassRole"), "trust", "STS")


# -- principals ---------------------------------------------------------------------

@pytest.mark.parametrize("principal", [
    "*",
    {"AWS": "*"},
    {"AWS": ALICE},
    {"AWS": [ALICE, "arn:aws:iam::444444444444:root"]},
    {"AWS": "444444444444"},
    {"AWS": "arn:aws:sts::444444444444:assumed-role/Hub/build"},
    {"AWS": "AROA1234567890EXAMPLE"},  # what IAM shows once a trusted role is deleted
    {"Service": "ec2.amazonaws.com"},
    {"Service": ["ec2.amazonaws.com", "elasticmapreduce.amazonaws.com.cn"]},
    {"Federated": "arn:aws:iam::444444444444:oidc-provider/token.actions.githubusercontent.com"},
    {"Federated": "arn:aws:iam::444444444444:saml-provider/Okta"},
    {"Federated": "cognito-identity.amazonaws.com"},
    {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
])
def test_principal_is_star_or_a_map_of_known_types(principal):
    assert policy_problems(trust(Principal=principal), "trust") == []


@pytest.mark.parametrize(("principal", "words"), [
    (ALICE, ("Principal", "{\"AWS\": ...}")),
    ({}, ("empty",)),
    ({"User": ALICE}, ("unknown principal type",)),
    ({"aws": ALICE}, ("unknown principal type",)),
    ({"AWS": "alice"}, ("AWS",)),
    ({"AWS": "44444444444"}, ("AWS",)),  # eleven digits
    ({"AWS": []}, ("empty list",)),
    ({"Service": "ec2"}, ("did you mean ec2.amazonaws.com?",)),
    ({"Service": "Ec2.amazonaws.com"}, ("did you mean ec2.amazonaws.com?",)),
    ({"Federated": "not a provider"}, ("Federated",)),
    ({"CanonicalUser": "abc"}, ("canonical user",)),
])
def test_a_malformed_principal_is_rejected(principal, words):
    one_problem(trust(Principal=principal), "trust", *words)


# -- resources ----------------------------------------------------------------------

@pytest.mark.parametrize("resource", [
    "*",
    DEPLOY,
    [DEPLOY, "arn:aws:iam::333333333333:role/Web"],
    "arn:aws:iam::*:role/${aws:username}*",
    "arn:aws:iam::${aws:PrincipalAccount}:role/Deploy",
    "arn:aws:s3:::bucket/*",
    "arn:aws-cn:iam::333333333333:role/Deploy",
    "arn:aws-us-gov:iam::333333333333:role/path/Deploy",
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "arn:*:iam::*:role/*",
    "arn:aws:logs:us-east-1:333333333333:log-group:/aws/lambda/x:*",
])
def test_resource_is_star_or_a_well_formed_arn(resource):
    assert policy_problems(identity(Resource=resource), "identity") == []


@pytest.mark.parametrize("resource", [
    "role/Deploy",
    "arn:aws:iam:333333333333:role/Deploy",  # one field short
    "arn:aws:iam::333333333333:",  # no resource
    "arn::iam::333333333333:role/Deploy",  # no partition
    "arn:aws:IAM::333333333333:role/Deploy",
    "arn:aws:iam::prod:role/Deploy",
    "",
    [],
])
def test_a_malformed_resource_is_rejected(resource):
    one_problem(identity(Resource=resource), "identity", "Resource")


def test_arn_problem_names_the_bad_field():
    assert arn_problem(DEPLOY) is None
    assert "account" in arn_problem("arn:aws:iam::prod:role/Deploy")


# -- conditions ---------------------------------------------------------------------

@pytest.mark.parametrize("operator", [
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
    "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals", "DateNotEquals", "DateLessThan",
    "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress",
    "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
    "StringEqualsIfExists", "ArnNotLikeIfExists", "BoolIfExists",
    "ForAnyValue:StringLike", "ForAllValues:StringEquals", "ForAnyValue:StringNotEqualsIfExists",
])
def test_the_documented_condition_operators_are_known(operator):
    assert condition_operator_problem(operator) is None
    assert policy_problems(identity(Condition={operator: {"aws:PrincipalTag/team": "ops"}}), "identity") == []


@pytest.mark.parametrize("operator", ["StringEqual", "stringequals", "NullIfExists", "StringEqualsIfExistsIfExists",
                                      "ForSomeValues:StringEquals", "NumericNotLessThan", ""])
def test_an_unknown_condition_operator_is_rejected(operator):
    one_problem(identity(Condition={operator: {"aws:PrincipalTag/team": "ops"}}), "identity", "operator")


def test_condition_maps_operators_to_keys_to_values():
    values = {"aws:MultiFactorAuthPresent": True, "aws:MultiFactorAuthAge": 3600, "aws:SourceIp": ["10.0.0.0/8"]}
    assert policy_problems(identity(Condition={"Bool": values}), "identity") == []
    one_problem(identity(Condition=[{"Bool": values}]), "identity", "Condition")
    one_problem(identity(Condition={"Bool": "true"}), "identity", "Bool")
    one_problem(identity(Condition={"Bool": {}}), "identity", "Bool")
    one_problem(identity(Condition={"Bool": {"aws:MultiFactorAuthPresent": {"x": "true"}}}), "identity", "values")
    one_problem(identity(Condition={"Bool": {"aws:MultiFactorAuthPresent": None}}), "identity", "values")


# -- real documents -----------------------------------------------------------------

def test_every_policy_of_the_sample_organization_passes():
    snapshot = graphiam.load(SAMPLE).snapshot
    checked = 0
    for principal in snapshot.all_principals():
        for attached in principal.inline_policies:
            assert policy_problems(dict(attached.document.raw), "identity") == [], attached.name
            checked += 1
        trust_policy = getattr(principal, "trust_policy", None)
        if trust_policy is not None:
            assert policy_problems(dict(trust_policy.raw), "trust") == [], principal.arn
            checked += 1
    for account in snapshot.accounts.values():
        for managed in account.policies.values():
            assert policy_problems(dict(managed.document.raw), "identity") == [], managed.arn
            checked += 1
    assert checked > 50
