"""Who a web-identity or SAML trust lets in (graphiam.policy.federation), read from the engine's decisions."""

from __future__ import annotations

import pytest

from builders import Org, trust
from graphiam.policy import Outcome, PolicyEngine
from graphiam.policy.federation import (
    audiences,
    broadest,
    claim_key,
    decision_admits,
    decision_subjects,
    github_claims,
    oidc_subject,
    oidc_subjects,
    provider_kind,
    subject_admitted,
)

ACCOUNT = "222222222222"
GITHUB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
GH = "token.actions.githubusercontent.com"
GITLAB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.com"
TERRAFORM = f"arn:aws:iam::{ACCOUNT}:oidc-provider/app.terraform.io"
EKS_HOST = "oidc.eks.eu-west-1.amazonaws.com/id/5C2A9E7B3D4F1A6B8C0D2E4F6A8B0C1D"
EKS = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{EKS_HOST}"
COGNITO = f"arn:aws:iam::{ACCOUNT}:oidc-provider/cognito-identity.amazonaws.com"
GOOGLE = f"arn:aws:iam::{ACCOUNT}:oidc-provider/accounts.google.com"
OKTA = f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"


def decide(condition: dict | None, provider: str = GITHUB, *more: dict):
    """The engine's decision for ``provider``'s users on a role whose trust has one web-identity statement."""
    action = "sts:AssumeRoleWithSAML" if ":saml-provider/" in provider else "sts:AssumeRoleWithWebIdentity"
    org = Org()
    arn = org.account(ACCOUNT).role("Workload", trusts=[trust({"Federated": provider}, action, condition), *more])
    snapshot = org.snapshot()
    return PolicyEngine(snapshot).decide_federated(provider, snapshot.role(arn))


def sub(value, operator: str = "StringLike", key: str = f"{GH}:sub") -> dict:
    return {operator: {key: value}}


def requirements(condition, provider=GITHUB):
    decision = decide(condition, provider)
    assert decision.outcome is not Outcome.DENIED
    return decision.requirements


# -- GitHub Actions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("condition, text, scope, pinned", [
    (None, "any repository on GitHub", "provider", False),
    ({"StringEquals": {f"{GH}:aud": "sts.amazonaws.com"}}, "any repository on GitHub", "provider", False),
    (sub("*"), "any repository on GitHub", "provider", False),
    (sub("repo:*"), "any repository on GitHub", "provider", False),
    (sub("repo:acme*"), "any repository of any organization matching acme*", "provider", False),
    (sub("repo:*/app:ref:refs/heads/main"), "branch main of any repository named app on GitHub", "provider", False),
    (sub("repo:acme*/app:*"), "any repository named app of any organization matching acme*", "provider", False),
    (sub("repo:acme/*"), "any repository of acme", "owner", False),
    (sub("repo:acme/*:ref:refs/heads/main"), "branch main of any repository of acme", "owner", False),
    (sub("repo:acme/svc-*"), "repositories of acme matching svc-*", "owner", False),
    (sub("repo:acme/app:*"), "any branch, tag, environment or pull request of acme/app", "repository", False),
    (sub("repo:acme/app:ref:refs/heads/*"), "any branch of acme/app", "repository", False),
    (sub("repo:acme/app:ref:refs/tags/*"), "any tag of acme/app", "repository", False),
    (sub("repo:acme/app:ref:refs/heads/release-*"), "acme/app on refs matching refs/heads/release-*", "repository",
     False),
    (sub("repo:acme/app:environment:*"), "any environment of acme/app", "repository", False),
    (sub("repo:acme/app:pull_request"), "pull requests of acme/app", "repository", False),
    (sub("repo:acme/app:ref:refs/heads/main"), "acme/app on refs/heads/main", "workload", True),
    (sub("repo:acme/app:ref:refs/heads/main", "StringEquals"), "acme/app on refs/heads/main", "workload", True),
    (sub("repo:acme/app:ref:refs/tags/v1.2.0"), "acme/app on refs/tags/v1.2.0", "workload", True),
    (sub("repo:acme/app:environment:prod"), "environment prod of acme/app", "workload", True),
    # STS checks GitHub's repository / environment / ref claims too (2026): they narrow an open sub
    ({"StringEquals": {f"{GH}:repository": "acme/app", f"{GH}:environment": "prod"}},
     "environment prod of acme/app", "workload", True),
    ({"StringEquals": {f"{GH}:repository": "acme/app"}},
     "any branch, tag, environment or pull request of acme/app", "repository", False),
    ({"StringLike": {f"{GH}:sub": "repo:acme/*"}, "StringEquals": {f"{GH}:ref": "refs/heads/main"}},
     "branch main of any repository of acme", "owner", False),
])
def test_github_subjects(condition, text, scope, pinned):
    (subject,) = oidc_subjects(GITHUB, requirements(condition))
    assert (subject.text, subject.scope, subject.pinned) == (text, scope, pinned)
    assert oidc_subject(GITHUB, requirements(condition)) == text


def test_several_values_are_alternatives():
    reqs = requirements(sub(["repo:acme/app:ref:refs/heads/main", "repo:acme/app:environment:prod"]))
    assert oidc_subject(GITHUB, reqs) == "acme/app on refs/heads/main or environment prod of acme/app"
    assert all(s.pinned for s in oidc_subjects(GITHUB, reqs))
    reqs = requirements(sub(["repo:acme/app:ref:refs/heads/main", "repo:acme/*"]))
    assert broadest(oidc_subjects(GITHUB, reqs)).text == "any repository of acme"


def test_a_negated_condition_is_said_as_an_exception():
    reqs = requirements({"StringLike": {f"{GH}:sub": "repo:acme/*"},
                         "StringNotLike": {f"{GH}:sub": "repo:acme/sandbox:*"}})
    assert oidc_subject(GITHUB, reqs) == "any repository of acme, except subjects matching repo:acme/sandbox:*"


def test_the_narrowest_of_several_positive_conditions_is_described():
    # both must hold, so what gets in is at most what the narrower one admits
    reqs = requirements({"StringLike": {f"{GH}:sub": "repo:acme/*"},
                         "ForAnyValue:StringEquals": {f"{GH}:sub": "repo:acme/app:ref:refs/heads/main"}})
    assert oidc_subject(GITHUB, reqs) == "acme/app on refs/heads/main"


def test_ifexists_pins_the_subject_but_not_an_optional_claim():
    # every token carries sub, so StringLikeIfExists on it is StringLike; environment is absent from most jobs
    reqs = requirements(sub("repo:acme/app:ref:refs/heads/main", "StringLikeIfExists"))
    assert oidc_subject(GITHUB, reqs) == "acme/app on refs/heads/main"
    reqs = requirements({"StringLike": {f"{GH}:sub": "repo:acme/app:*"},
                         "StringEqualsIfExists": {f"{GH}:environment": "prod"}})
    assert oidc_subject(GITHUB, reqs) == "any branch, tag, environment or pull request of acme/app"


def test_string_equals_takes_the_star_as_a_character():
    reqs = requirements(sub("repo:acme/*", "StringEquals"))
    (subject,) = oidc_subjects(GITHUB, reqs)
    assert subject.pinned and subject.text.startswith("only the literal subject repo:acme/*")
    assert not subject_admitted(GITHUB, reqs, "repo:acme/app:ref:refs/heads/main")
    assert subject_admitted(GITHUB, reqs, "repo:acme/*")


def test_a_deny_on_the_subject_narrows_who_gets_in():
    guard = trust({"Federated": GITHUB}, "sts:AssumeRoleWithWebIdentity",
                  {"StringNotLike": {f"{GH}:sub": "repo:acme/*"}}, effect="Deny")
    decision = decide({"StringEquals": {f"{GH}:aud": "sts.amazonaws.com"}}, GITHUB, guard)
    assert oidc_subject(GITHUB, decision.requirements) == "any repository of acme"
    assert decision_admits(GITHUB, decision, "repo:acme/app:ref:refs/heads/main")
    assert not decision_admits(GITHUB, decision, "repo:evil/app:ref:refs/heads/main")


def test_audiences():
    assert audiences(GITHUB, requirements(None)) is None
    assert audiences(GITHUB, requirements(sub("repo:acme/app:*"))) is None
    reqs = requirements({"StringEquals": {f"{GH}:aud": ["sts.amazonaws.com", "other"]}})
    assert audiences(GITHUB, reqs) == ("sts.amazonaws.com", "other")


# -- whether a concrete subject gets in: the engine's operators ---------------------------------------

@pytest.mark.parametrize("pattern, operator, subject, admitted", [
    ("repo:acme/app:ref:refs/heads/main", "StringEquals", "repo:acme/app:ref:refs/heads/main", True),
    ("repo:acme/app:ref:refs/heads/main", "StringEquals", "repo:acme/app:ref:refs/heads/dev", False),
    ("repo:acme/*", "StringLike", "repo:acme/app:ref:refs/heads/main", True),
    ("repo:acme/*", "StringLike", "repo:Acme/app:ref:refs/heads/main", False),  # case-sensitive
    ("repo:acme/*", "StringLike", "repo:acme-evil/app:ref:refs/heads/main", False),
    ("repo:acme*", "StringLike", "repo:acme-evil/app:ref:refs/heads/main", True),  # the classic mistake
    ("repo:acme/app:ref:refs/heads/v?", "StringLike", "repo:acme/app:ref:refs/heads/v2", True),
    ("repo:acme/app:ref:refs/heads/v?", "StringLike", "repo:acme/app:ref:refs/heads/v10", False),
    ("repo:acme/app:ref:refs/heads/main", "StringEqualsIgnoreCase", "repo:ACME/app:ref:refs/heads/main", True),
])
def test_subject_admitted(pattern, operator, subject, admitted):
    decision = decide(sub(pattern, operator))
    assert subject_admitted(GITHUB, decision.requirements, subject) is admitted
    assert decision_admits(GITHUB, decision, subject) is admitted


def test_every_subject_gets_in_without_a_sub_condition_and_none_when_denied():
    decision = decide(None)
    assert decision.outcome is Outcome.ALLOWED
    assert decision_admits(GITHUB, decision, "repo:anyone/anything:ref:refs/heads/x")
    denied = decide({"StringEquals": {"aws:ResourceTag/team": "nobody"}})  # decided now: the role has no tag
    assert denied.outcome is Outcome.DENIED
    assert not decision_admits(GITHUB, denied, "repo:acme/app:ref:refs/heads/main")
    assert decision_subjects(GITHUB, denied) == ()


def test_other_claims_count_when_stated_and_github_subjects_imply_theirs():
    decision = decide({"StringLike": {f"{GH}:sub": "repo:acme/*"}, "StringEquals": {f"{GH}:aud": "sts.amazonaws.com"}})
    assert decision_admits(GITHUB, decision, "repo:acme/app:ref:refs/heads/main")  # aud not stated: not judged
    assert not decision_admits(GITHUB, decision, "repo:acme/app:ref:refs/heads/main", {"aud": "something-else"})
    assert decision_admits(GITHUB, decision, "repo:acme/app:ref:refs/heads/main", {"aud": "sts.amazonaws.com"})
    # a trust pinning GitHub's environment claim: a job on a branch has no environment
    pinned = decide({"StringEquals": {f"{GH}:repository": "acme/app", f"{GH}:environment": "prod"}})
    assert decision_admits(GITHUB, pinned, "repo:acme/app:environment:prod")
    assert not decision_admits(GITHUB, pinned, "repo:acme/app:ref:refs/heads/main")
    assert not decision_admits(GITHUB, pinned, "repo:evil/app:environment:prod")
    assert github_claims("repo:acme/app:ref:refs/heads/main") == {"repository": "acme/app", "ref": "refs/heads/main",
                                                                 "environment": ()}
    assert github_claims("custom:template") == {}


def test_alternative_statements_are_each_a_way_in():
    second = trust({"Federated": GITHUB}, "sts:AssumeRoleWithWebIdentity",
                   sub("repo:acme/infra:environment:prod"))
    decision = decide(sub("repo:acme/app:ref:refs/heads/main"), GITHUB, second)
    assert {s.text for s in decision_subjects(GITHUB, decision)} == {"acme/app on refs/heads/main",
                                                                     "environment prod of acme/infra"}
    assert decision_admits(GITHUB, decision, "repo:acme/infra:environment:prod")
    assert not decision_admits(GITHUB, decision, "repo:acme/infra:ref:refs/heads/main")


# -- other providers ----------------------------------------------------------------------------------

def test_provider_kinds_and_keys():
    assert [provider_kind(p) for p in (GITHUB, GITLAB, TERRAFORM, EKS, COGNITO, GOOGLE, OKTA)] == [
        "github", "gitlab", "terraform", "eks", "cognito", "oidc", "saml"]
    assert claim_key(EKS, "sub") == f"{EKS_HOST}:sub"
    assert claim_key(OKTA, "aud") == "SAML:aud"
    assert claim_key(GITHUB, "aws:SourceIp") == "aws:SourceIp"


@pytest.mark.parametrize("provider, value, text, scope, pinned", [
    (GITLAB, None, "any project on GitLab", "provider", False),
    (GITLAB, "project_path:acme*", "any project of any group matching acme*", "provider", False),
    (GITLAB, "project_path:acme/*", "any project of group acme and its subgroups", "owner", False),
    (GITLAB, "project_path:acme/app:*", "any branch or tag of acme/app", "repository", False),
    (GITLAB, "project_path:acme/app:ref_type:branch:ref:*", "any branch of acme/app", "repository", False),
    (GITLAB, "project_path:acme/app:ref_type:branch:ref:main", "acme/app on branch main", "workload", True),
    (TERRAFORM, None, "any workspace of any Terraform organization", "provider", False),
    (TERRAFORM, "organization:acme:*", "any workspace of Terraform organization acme", "owner", False),
    (TERRAFORM, "organization:acme:project:web:*", "any workspace of project web of Terraform organization acme",
     "repository", False),
    (TERRAFORM, "organization:acme:project:web:workspace:prod:run_phase:apply",
     "workspace prod (project web) of Terraform organization acme, apply runs", "workload", True),
    (TERRAFORM, "organization:acme:project:*:workspace:prod:run_phase:*",
     "workspace prod of Terraform organization acme, any run phase", "workload", True),
    (EKS, None, "any service account in EKS cluster 5C2A9E7B3D4F1A6B8C0D2E4F6A8B0C1D", "provider", False),
    (EKS, "system:serviceaccount:*:*", "any service account in any namespace", "provider", False),
    (EKS, "system:serviceaccount:payments:*", "any service account in namespace payments", "owner", False),
    (EKS, "system:serviceaccount:*:api", "service account api in any namespace", "owner", False),
    (EKS, "system:serviceaccount:payments:api", "service account payments/api", "workload", True),
    (GOOGLE, None, "any subject of accounts.google.com", "provider", False),
    (GOOGLE, "110169484474386276334", "subject 110169484474386276334", "workload", True),
    (GOOGLE, "1101*", "subjects matching 1101*", "owner", False),
])
def test_other_provider_subjects(provider, value, text, scope, pinned):
    host = provider.split(":oidc-provider/", 1)[1]
    condition = None if value is None else {"StringLike": {f"{host}:sub": value}}
    (subject,) = oidc_subjects(provider, requirements(condition, provider))
    assert (subject.text, subject.scope, subject.pinned) == (text, scope, pinned)


def test_cognito_names_the_identity_pool_in_aud():
    host = "cognito-identity.amazonaws.com"
    (anyone,) = oidc_subjects(COGNITO, requirements(None, COGNITO))
    assert anyone.scope == "provider" and "any Cognito identity pool" in anyone.text
    reqs = requirements({"StringEquals": {f"{host}:aud": "eu-west-1:0f0e0d0c-aaaa-bbbb-cccc-123456789012"},
                         "ForAnyValue:StringLike": {f"{host}:amr": "authenticated"}}, COGNITO)
    assert oidc_subject(COGNITO, reqs) == \
        "authenticated identities of Cognito identity pool eu-west-1:0f0e0d0c-aaaa-bbbb-cccc-123456789012"


def test_saml_subjects():
    reqs = requirements({"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}, OKTA)
    assert oidc_subject(OKTA, reqs) == "any user the identity provider Okta signs in"
    assert audiences(OKTA, reqs) == ("https://signin.aws.amazon.com/saml",)
    reqs = requirements({"StringEquals": {"SAML:sub": "alice@example.com"}}, OKTA)
    assert oidc_subject(OKTA, reqs) == "SAML user alice@example.com of Okta"
    assert subject_admitted(OKTA, reqs, "alice@example.com")
    assert not subject_admitted(OKTA, reqs, "mallory@example.com")
