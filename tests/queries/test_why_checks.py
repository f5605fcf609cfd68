"""``why`` checks the pasted text against the snapshot: the message is evidence, not just a question."""

from __future__ import annotations

from pathlib import Path

import pytest

import graphiam
from graphiam import QueryError

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-org"
WEB = "arn:aws:iam::333333333333:role/EC2-roles-for-XYZ-web"
DEPLOY = "arn:aws:iam::333333333333:role/Deploy"
HUB = "arn:aws:iam::222222222222:role/Hub"


@pytest.fixture(scope="module")
def sample():
    return graphiam.load(SAMPLE)


def test_the_service_of_a_passrole_denial_comes_from_the_message(sample):
    # a CloudFormation handler creating a Lambda function: the pass was to Lambda, whatever the role trusts
    text = ("Resource handler returned message: \"User: arn:aws:sts::333333333333:assumed-role/Deploy/cfn is not "
            f"authorized to perform: iam:PassRole on resource: {WEB} (Service: Lambda, Status Code: 403, "
            "Request ID: 5b1e)\"")
    result = sample.why(text)
    assert result.service == "lambda.amazonaws.com" and not result.reachable
    assert result.consistent is True
    # without a service in the text, the role's trust (EC2 only) says it
    assert sample.why("User: arn:aws:sts::333333333333:assumed-role/Deploy/cfn is not authorized to perform: "
                      f"iam:PassRole on resource: {WEB}").service == "ec2.amazonaws.com"


def test_a_denial_the_snapshot_would_allow_is_said_first(sample):
    result = sample.why("User: arn:aws:iam::222222222222:user/grace is not authorized to perform: sts:AssumeRole "
                        f"on resource: {HUB}")
    assert result.reachable and result.consistent is False
    assert "older than the policies" in result.disagreement
    assert result.to_text().splitlines()[0].startswith("THE SNAPSHOT DISAGREES WITH THE MESSAGE")
    assert result.to_dict()["reported"]["consistent"] is False


def test_a_denying_policy_the_snapshot_lacks_is_warned_and_no_allow_is_offered(sample):
    result = sample.why("User: arn:aws:iam::222222222222:user/alice is not authorized to perform: sts:AssumeRole on "
                        f"resource: {DEPLOY} with an explicit deny in an identity-based policy: "
                        "arn:aws:iam::222222222222:policy/NewDeny")
    assert any("NewDeny" in w and "older" in w for w in result.warnings)
    assert result.fix == ()
    # the same message without the unknown policy gets its verified fix
    assert sample.why("User: arn:aws:iam::222222222222:user/alice is not authorized to perform: sts:AssumeRole on "
                      f"resource: {DEPLOY}").fix


def test_a_policy_type_graphiam_cannot_see_is_said(sample):
    result = sample.why("User: arn:aws:iam::222222222222:user/grace is not authorized to perform: sts:AssumeRole on "
                        f"resource: {HUB} because no session policy allows the sts:AssumeRole action")
    data = result.to_dict()["reported"]
    assert data["policy_type"] == "session_policy" and data["consistent"] is False
    assert "cannot see" in data["disagreement"] and "cannot see a session policy" in result.to_text()


def test_a_message_about_another_action_is_the_clear_error(sample):
    with pytest.raises(QueryError, match="graphiam explains sts:AssumeRole and iam:PassRole"):
        sample.why("User: arn:aws:iam::222222222222:user/alice is not authorized to perform: s3:GetObject on "
                   "resource: arn:aws:s3:::bucket/key because no identity-based policy allows the s3:GetObject action")
