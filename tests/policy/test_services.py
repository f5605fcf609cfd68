"""Well-formed service principals, and the likely one when a text is nearly right."""

from __future__ import annotations

import pytest

from graphiam.policy.services import is_service_principal, service_principal_problem


@pytest.mark.parametrize("text", [
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "ssm-incidents.amazonaws.com",
    "delivery.logs.amazonaws.com",
    "logs.us-east-1.amazonaws.com",  # a regional principal
    "elasticmapreduce.amazonaws.com.cn",  # China Regions
])
def test_well_formed_service_principals_pass(text):
    assert service_principal_problem(text) is None
    assert is_service_principal(text)


@pytest.mark.parametrize(("text", "likely"), [
    ("ec2", "ec2.amazonaws.com"),
    ("lambda", "lambda.amazonaws.com"),
    ("ecs-tasks", "ecs-tasks.amazonaws.com"),
    ("EC2", "ec2.amazonaws.com"),
    ("Ec2.amazonaws.com", "ec2.amazonaws.com"),
    ("ec2.amazonaws.com.", "ec2.amazonaws.com"),
    ("ec2.amazonaws.com..", "ec2.amazonaws.com"),
    (" ec2.amazonaws.com ", "ec2.amazonaws.com"),
    ("ec2.amazonaws", "ec2.amazonaws.com"),
    ("ec2.amazonaws.cn", "ec2.amazonaws.com.cn"),
    ("ec2.amazon.com", "ec2.amazonaws.com"),
    ("https://lambda.amazonaws.com/", "lambda.amazonaws.com"),
])
def test_a_nearly_right_text_gets_the_likely_principal(text, likely):
    problem = service_principal_problem(text)
    assert problem is not None and problem.endswith(f"did you mean {likely}?")
    assert "\n" not in problem


@pytest.mark.parametrize(("text", "words"), [
    ("", "name the service"),
    ("arn:aws:iam::333333333333:role/Deploy", "is an ARN"),
    ("*", "without wildcards"),
    ("ec2.*.amazonaws.com", "without wildcards"),
    ("amazonaws.com", "followed by .amazonaws.com"),
    ("foo.example.com", "followed by .amazonaws.com"),
    ("alexa-appkit.amazon.com.au", "followed by .amazonaws.com"),
    ("ec2.aws.internal", "followed by .amazonaws.com"),  # not a documented principal suffix
    ("-ec2.amazonaws.com", "followed by .amazonaws.com"),
    ("e c2\nx", "followed by .amazonaws.com"),
])
def test_other_texts_are_rejected_in_one_line(text, words):
    problem = service_principal_problem(text)
    assert problem is not None and words in problem
    assert "\n" not in problem


def test_a_non_string_is_rejected():
    assert "string" in service_principal_problem(None)  # type: ignore[arg-type]
