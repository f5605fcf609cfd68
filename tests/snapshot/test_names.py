"""Tests for graphiam.snapshot.names: partitions, accounts, AWS managed policies and sessions in ARNs."""

from __future__ import annotations

import pytest

from graphiam.snapshot.names import (
    SessionArn,
    account_of,
    account_root,
    is_aws_managed_policy,
    parse_session_arn,
    partition_of,
)

PARTITIONS = ["aws", "aws-us-gov", "aws-cn", "aws-iso", "aws-iso-b"]


@pytest.mark.parametrize("partition", PARTITIONS)
def test_partition_of_an_arn(partition):
    assert partition_of(f"arn:{partition}:iam::123456789012:role/Deploy") == partition
    assert partition_of(f"arn:{partition}:iam::aws:policy/ReadOnlyAccess") == partition
    assert partition_of(f"arn:{partition}:s3:::bucket/key:with:colons") == partition


@pytest.mark.parametrize("text", [
    "", "*", "123456789012", "ec2.amazonaws.com", "arn:aws:iam::123456789012",  # too few fields
    "arn::iam::123456789012:root", "arn:gcp:iam::123456789012:root", "ARN:aws:iam::123456789012:root",
    "urn:aws:iam::123456789012:root", "arn:aws-:iam::123456789012:root", "arn:AWS:iam::123456789012:root",
])
def test_partition_of_a_non_arn_is_none(text):
    assert partition_of(text) is None


@pytest.mark.parametrize("partition", PARTITIONS)
def test_account_of_any_partition(partition):
    assert account_of(f"arn:{partition}:iam::123456789012:user/alice") == "123456789012"
    assert account_of(f"arn:{partition}:iam::aws:policy/AdministratorAccess") is None


@pytest.mark.parametrize("partition", PARTITIONS)
def test_aws_managed_policies_in_every_partition(partition):
    assert is_aws_managed_policy(f"arn:{partition}:iam::aws:policy/ReadOnlyAccess")
    assert is_aws_managed_policy(f"arn:{partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    assert not is_aws_managed_policy(f"arn:{partition}:iam::123456789012:policy/ReadOnlyAccess")
    assert not is_aws_managed_policy(f"arn:{partition}:iam::aws:role/Something")
    assert not is_aws_managed_policy(f"arn:{partition}:iam::aws:policy/")


@pytest.mark.parametrize("text", [
    "ReadOnlyAccess", "arn:aws:sts::aws:policy/ReadOnlyAccess", "arn:aws:iam:us-east-1:aws:policy/X",
    "arn:azure:iam::aws:policy/X", "xarn:aws:iam::aws:policy/X", "arn:aws:iam::aws:policy/X\n",
])
def test_not_aws_managed_policies(text):
    assert not is_aws_managed_policy(text)


def test_account_root_takes_the_partition():
    assert account_root("123456789012") == "arn:aws:iam::123456789012:root"
    assert account_root("123456789012", "aws-us-gov") == "arn:aws-us-gov:iam::123456789012:root"
    assert account_root("123456789012", partition="aws-cn") == "arn:aws-cn:iam::123456789012:root"
    root = account_root("123456789012", "aws-cn")
    assert partition_of(root) == "aws-cn" and account_of(root) == "123456789012"


@pytest.mark.parametrize("partition", PARTITIONS)
def test_session_arns_of_every_partition(partition):
    parsed = parse_session_arn(f"arn:{partition}:sts::123456789012:assumed-role/Deploy/ci-run-7")
    assert parsed == SessionArn("123456789012", "Deploy", "ci-run-7")


def test_not_session_arns():
    assert parse_session_arn("arn:aws:iam::123456789012:role/Deploy") is None
    assert parse_session_arn("arn:aws:sts::123456789012:federated-user/bob") is None
    assert parse_session_arn("arn:aws:sts::12345:assumed-role/Deploy/s") is None
