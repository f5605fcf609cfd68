"""Who a web-identity (OIDC) or SAML trust lets in, said as a person would: the subjects of a provider's tokens.

The engine decides a provider's users assuming a role
(:meth:`~graphiam.policy.evaluate.PolicyEngine.decide_federated`); their
claims are request-time keys, so the decision's requirements hold the
conditions on them (``token.actions.githubusercontent.com:sub`` ...). This
module reads those conditions, never the policy text, and says who they
admit: "any repository on GitHub", "org/app on refs/heads/main", "service
account payments/api" ...

Readings (IAM User Guide, ``reference_policies_iam-condition-keys`` and
``id_roles_providers_oidc``):

- the key of a claim is ``<provider URL without https://>:<claim>``
  (``oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub``), ``SAML:<claim>`` for SAML;
- a condition's values are alternatives (any one may match); ``StringLike``
  patterns have ``*`` and ``?`` and are case-sensitive; several conditions
  on one claim must all hold;
- every token carries ``sub`` and ``aud``, so ``...IfExists`` and
  ``ForAllValues:`` conditions on them pin them as the plain operator does;
  on an optional claim (``environment``) they do not, since a token without
  it passes them;
- a trust with no condition on ``sub`` admits every subject of the provider:
  for GitHub's shared provider, every workflow of every repository on GitHub;
- since 2026 STS also checks some provider-specific claims (GitHub's
  ``repository``, ``ref``, ``environment``, ``job_workflow_ref`` ...;
  https://aws.amazon.com/about-aws/whats-new/2026/01/aws-sts-supports-validation-identity-provider-claims/):
  a condition on ``repository``, ``ref`` or ``environment`` narrows what
  ``sub`` leaves open.

Whether one concrete subject gets in (:func:`subject_admitted`) is decided
by the engine's own condition operators (:mod:`graphiam.policy.conditions`).

Subject formats: GitHub ``repo:ORG/REPO:ref:refs/heads/BRANCH``,
``...:environment:NAME``, ``...:pull_request``; GitLab
``project_path:GROUP/PROJECT:ref_type:branch|tag:ref:NAME``; Terraform Cloud
``organization:ORG:project:PROJECT:workspace:WORKSPACE:run_phase:plan|apply``;
EKS ``system:serviceaccount:NAMESPACE:NAME``; Cognito identity pools name the
pool in ``aud`` (the ``sub`` is one identity).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Mapping, Sequence

from ..snapshot.model import Condition
from .conditions import RequestContext, evaluate_condition, parse_operator
from .decision import Decision, Outcome, Requirement
from .matching import wildcard_match

Scope = Literal["provider", "owner", "repository", "workload"]
# from broadest to narrowest: any subject of the provider; any project of one organization (group, namespace,
# Terraform organization); anything of one repository (project, workspace set); one workload (a branch, an
# environment, one service account, one workspace, one exact subject)
SCOPES: tuple[Scope, ...] = ("provider", "owner", "repository", "workload")

ProviderKind = Literal["github", "gitlab", "terraform", "eks", "cognito", "oidc", "saml"]

_EKS = re.compile(r"^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/id/([^/]+)$")
_PINNING = ("StringEquals", "StringLike", "StringEqualsIgnoreCase", "ArnEquals", "ArnLike")
_ALWAYS_PRESENT = ("sub", "aud")  # claims every token of every provider carries
_FLIP = {"StringEquals": "StringNotEquals", "StringLike": "StringNotLike",
         "StringEqualsIgnoreCase": "StringNotEqualsIgnoreCase", "ArnEquals": "ArnNotEquals", "ArnLike": "ArnNotLike"}


@dataclass(frozen=True)
class Subject:
    """Who one ``sub`` value (or its absence) lets in.

    ``text`` is for people ("org/app on refs/heads/main"); ``kind`` says what
    it names (``any``, ``organization``, ``repository``, ``branch``, ``tag``,
    ``ref``, ``environment``, ``pull_request``, ``namespace``,
    ``service_account``, ``workspace``, ``identity_pool``, ``subject``,
    ``saml_user``); ``scope`` how wide it is (:data:`SCOPES`); ``pinned``
    whether it names one workload and nothing else; ``pattern`` the ``sub``
    value it reads (``None``: the trust has no ``sub`` condition).
    """

    text: str
    kind: str
    scope: Scope
    pinned: bool
    pattern: str | None = None

    def to_dict(self) -> dict:
        return {"text": self.text, "kind": self.kind, "scope": self.scope, "pinned": self.pinned,
                "pattern": self.pattern}


@dataclass(frozen=True)
class ClaimTest:
    """One positive condition on a claim: its alternative values, and whether they are patterns (``StringLike``,
    ``ArnLike``) or compared as written (``StringEquals``: a ``*`` there is a star)."""

    values: tuple[str, ...]
    like: bool = True

    @property
    def patterns(self) -> tuple[str, ...]:
        """The values as wildcard patterns: an exact value's ``*`` and ``?`` can match only themselves."""
        return self.values if self.like else tuple(v for v in self.values if not _wild(v))


@dataclass(frozen=True)
class ClaimConditions:
    """What one set of requirements asks of a provider's claims (claim names lower-cased, ``sub``, ``aud`` ...).

    ``allowed[claim]`` lists the positive conditions on it (all must hold);
    ``excluded[claim]`` the values a negated condition rules out; ``other``
    the conditions on keys that are not this provider's claims (an MFA flag,
    a source IP ...).
    """

    allowed: Mapping[str, tuple[ClaimTest, ...]] = field(default_factory=dict)
    excluded: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    other: tuple[Condition, ...] = ()

    def test(self, claim: str) -> ClaimTest | None:
        """The narrowest positive condition on ``claim`` (fewest alternatives, fewest wildcards); ``None`` when
        none pins it."""
        found = self.allowed.get(claim)
        if not found:
            return None
        return min(found, key=lambda test: (len(test.values), sum(_wild(v) for v in test.patterns)))

    def values(self, claim: str) -> tuple[str, ...] | None:
        """The alternatives of the narrowest positive condition on ``claim``; ``None`` when none pins it."""
        test = self.test(claim)
        return test.values if test is not None else None

    def literal(self, claim: str) -> str | None:
        """The claim's one exact value, when a positive condition pins it to exactly one."""
        test = self.test(claim)
        if test is None or len(test.values) != 1 or (test.like and _wild(test.values[0])):
            return None
        return test.values[0]


# -- providers ------------------------------------------------------------------------------------

def provider_host(provider: str) -> str | None:
    """The provider URL an OIDC provider ARN names (``token.actions.githubusercontent.com``); ``None`` for
    other ARNs."""
    _, sep, host = provider.partition(":oidc-provider/")
    return host if sep else None


def provider_kind(provider: str) -> ProviderKind:
    if ":saml-provider/" in provider:
        return "saml"
    host = (provider_host(provider) or "").lower()
    if host.startswith("token.actions.githubusercontent.com"):
        return "github"
    if host == "app.terraform.io" or host.startswith("app.terraform.io/") or "terraform" in host.split("/", 1)[0]:
        return "terraform"
    if host == "gitlab.com" or host.split("/", 1)[0].startswith("gitlab."):
        return "gitlab"
    if _EKS.match(host):
        return "eks"
    if host == "cognito-identity.amazonaws.com":
        return "cognito"
    return "oidc"


def claim_key(provider: str, claim: str) -> str:
    """The condition key of ``claim`` for ``provider``: ``HOST:claim``, ``SAML:claim``; a key already
    holding ``:`` is returned as it is."""
    if ":" in claim:
        return claim
    if provider_kind(provider) == "saml":
        return f"SAML:{claim}"
    return f"{provider_host(provider) or ''}:{claim}"


def _prefix(provider: str) -> str:
    return "saml:" if provider_kind(provider) == "saml" else (provider_host(provider) or "").lower() + ":"


def _wild(text: str) -> bool:
    return "*" in text or "?" in text


def _flipped(condition: Condition) -> Condition:
    """The condition a Deny's sole condition asks not to hold, as a positive requirement: a Deny of
    ``StringNotLike sub P`` admits only ``StringLike sub P``. ``IfExists`` goes (these claims are present)."""
    op = parse_operator(condition.operator)
    base = op.base if op.negated else _FLIP.get(op.base, op.base)
    name = f"{op.qualifier}:{base}" if op.qualifier else base
    return Condition(name, condition.key, condition.values)


def claim_conditions(provider: str, requirements: Sequence[Requirement]) -> ClaimConditions:
    """The conditions of one requirement set on ``provider``'s claims.

    A Deny's requirement with one condition is read as its opposite (the
    request must avoid it); one with several conditions is a disjunction and
    does not pin any claim (it stays in ``other``).
    """
    prefix = _prefix(provider)
    allowed: dict[str, list[ClaimTest]] = {}
    excluded: dict[str, list[str]] = {}
    other: list[Condition] = []
    for requirement in requirements:
        conditions = requirement.conditions
        if not requirement.must_hold:
            if len(conditions) != 1:
                other.extend(conditions)
                continue
            conditions = (_flipped(conditions[0]),)
        for condition in conditions:
            key = condition.key.lower()
            if not key.startswith(prefix):
                other.append(condition)
                continue
            claim = key[len(prefix):]
            op = parse_operator(condition.operator)
            if op.base not in _PINNING:
                if op.base != "Null":
                    other.append(condition)
                continue
            if op.negated:
                excluded.setdefault(claim, []).extend(condition.values)
                continue
            if claim not in _ALWAYS_PRESENT and (op.if_exists or op.qualifier == "ForAllValues"):
                continue  # a token without the claim passes it: it pins nothing
            like = op.base in ("StringLike", "ArnLike", "ArnEquals")  # IAM reads ArnEquals with wildcards too
            allowed.setdefault(claim, []).append(ClaimTest(tuple(condition.values), like))
    return ClaimConditions({k: tuple(v) for k, v in allowed.items()}, {k: tuple(v) for k, v in excluded.items()},
                           tuple(other))


def audiences(provider: str, requirements: Sequence[Requirement]) -> tuple[str, ...] | None:
    """The audiences the trust accepts (``aud``, ``SAML:aud``); ``None`` when it has no condition on it."""
    return claim_conditions(provider, requirements).values("aud")


# -- subjects -------------------------------------------------------------------------------------

def oidc_subjects(provider: str, requirements: Sequence[Requirement]) -> tuple[Subject, ...]:
    """Who one requirement set of ``provider``'s decision lets in: one :class:`Subject` per ``sub`` value
    (any one may match), or one for "any subject" when no condition pins ``sub``.

    With several positive conditions on ``sub`` (all must hold) the narrowest
    one is described: the subjects admitted are at most those.
    """
    claims = claim_conditions(provider, requirements)
    best: tuple[Subject, ...] | None = None
    for test in claims.allowed.get("sub") or (None,):
        if test is None:
            found: tuple[Subject, ...] = (_describe(provider, None, claims),)
        else:
            found = tuple(_describe(provider, value, claims) if test.like or not _wild(value) else _starred(value)
                          for value in test.values)
        if best is None or _rank(found) > _rank(best):
            best = found
    return best or ()


def _starred(value: str) -> Subject:
    """An exact ``sub`` value holding ``*`` or ``?``: ``StringEquals`` compares them as characters."""
    return Subject(f"only the literal subject {value} (StringEquals takes * and ? as characters; use StringLike "
                   f"for a pattern)", "subject", "workload", True, value)


def _rank(subjects: tuple[Subject, ...]) -> int:
    """How narrow a set of alternatives is: that of its broadest member."""
    return min(SCOPES.index(s.scope) for s in subjects) if subjects else len(SCOPES)


def oidc_subject(provider: str, requirements: Sequence[Requirement]) -> str:
    """:func:`oidc_subjects` as one phrase: "org/app on refs/heads/main or environment prod of org/app"."""
    subjects = oidc_subjects(provider, requirements)
    text = " or ".join(dict.fromkeys(s.text for s in subjects))
    excluded = claim_conditions(provider, requirements).excluded.get("sub")
    if excluded:
        text += f", except subjects matching {', '.join(excluded)}"
    return text


def broadest(subjects: Sequence[Subject]) -> Subject | None:
    """The widest of several alternatives (the one a reviewer must look at first)."""
    return min(subjects, key=lambda s: SCOPES.index(s.scope), default=None)


def decision_subjects(provider: str, decision: Decision) -> tuple[Subject, ...]:
    """Everyone a federated decision lets in, over all its requirement sets; ``()`` when it is denied."""
    if decision.outcome is Outcome.DENIED:
        return ()
    out: list[Subject] = []
    for requirements in decision.requirement_sets:
        out.extend(s for s in oidc_subjects(provider, requirements) if s not in out)
    return tuple(out)


def _describe(provider: str, pattern: str | None, claims: ClaimConditions) -> Subject:
    kind = provider_kind(provider)
    host = provider_host(provider) or ""
    if kind == "github":
        return _github(pattern, claims)
    if kind == "gitlab":
        return _gitlab(pattern, host)
    if kind == "terraform":
        return _terraform(pattern)
    if kind == "eks":
        match = _EKS.match(host.lower())
        return _eks(pattern, match.group(2).upper() if match else host)
    if kind == "cognito":
        return _cognito(pattern, claims)
    if kind == "saml":
        return _saml(pattern, provider.rsplit("/", 1)[-1])
    return _generic(pattern, f"any subject of {host}")


def _generic(pattern: str | None, anyone: str) -> Subject:
    if pattern is None or pattern.strip("*") == "":
        return Subject(anyone, "any", "provider", False, pattern)
    if not _wild(pattern):
        return Subject(f"subject {pattern}", "subject", "workload", True, pattern)
    scope: Scope = "provider" if pattern[0] in "*?" else "owner"
    return Subject(f"subjects matching {pattern}", "subject", scope, False, pattern)


# GitHub: repo:OWNER/REPO:ref:REF | :environment:NAME | :pull_request (custom templates fall to "other")

@dataclass(frozen=True)
class _GitHub:
    owner: str | None = None  # a literal organization or user; None: any
    owner_pattern: str | None = None  # a wildcarded owner (acme*), which other organizations can match
    repo: str | None = None  # a repository name, literal or pattern; None: any
    context: tuple[str, str] | None = None  # ("ref"|"environment"|"pull_request"|"other"|"none", value); None: any


def _github_parts(pattern: str | None) -> _GitHub | None:
    """The parts of a ``sub`` pattern, ``None`` for a pattern that is not of the ``repo:`` form."""
    if pattern is None or pattern.strip("*") == "":
        return _GitHub()
    if not pattern.startswith("repo:"):
        if pattern[0] in "*?":
            return _GitHub(owner_pattern=pattern)
        return None
    owner, slash, rest = pattern[len("repo:"):].partition("/")
    open_owner = _wild(owner) or not owner
    if open_owner and (not slash or owner.endswith("*") and rest.strip("*") == ""):
        return _GitHub(owner_pattern=owner or "*")  # the star runs on over "/" and ":": nothing more is fixed
    if not slash:
        return None
    owner_value, owner_pattern = (None, owner or "*") if open_owner else (owner, None)
    repo, colon, context = rest.partition(":")
    repo_value = None if repo in ("*", "") else repo
    if not colon:
        if repo.endswith("*"):  # the star runs on over ":": any ref, environment or pull request
            return _GitHub(owner_value, owner_pattern, repo_value, None)
        return _GitHub(owner_value, owner_pattern, repo_value, ("none", ""))
    if context.strip("*") == "":
        return _GitHub(owner_value, owner_pattern, repo_value, None)
    for name in ("ref", "environment"):
        if context.startswith(name + ":"):
            return _GitHub(owner_value, owner_pattern, repo_value, (name, context[len(name) + 1:]))
    if context == "pull_request":
        return _GitHub(owner_value, owner_pattern, repo_value, ("pull_request", ""))
    return _GitHub(owner_value, owner_pattern, repo_value, ("other", context))


def _github(pattern: str | None, claims: ClaimConditions) -> Subject:
    parts = _github_parts(pattern)
    if parts is None:
        return _generic(pattern, "any repository on GitHub")
    repository = claims.literal("repository")  # STS checks it since 2026: it narrows an open sub
    if repository and "/" in repository:
        owner, name = repository.split("/", 1)
        open_owner = parts.owner is None and (parts.owner_pattern is None or wildcard_match(parts.owner_pattern, owner))
        if open_owner:
            parts = _GitHub(owner, None, parts.repo, parts.context)
        if parts.owner == owner and parts.repo is None:
            parts = _GitHub(owner, None, name, parts.context)
    if parts.context is None:
        for name in ("environment", "ref"):
            value = claims.literal(name)
            if value:
                parts = _GitHub(parts.owner, parts.owner_pattern, parts.repo, (name, value))
                break
    return _github_subject(parts, pattern)


def _github_subject(parts: _GitHub, pattern: str | None) -> Subject:
    if parts.owner is None:
        named = "any repository" if parts.repo is None else \
            f"any repository named {parts.repo}" if not _wild(parts.repo) else f"repositories matching {parts.repo}"
        if parts.owner_pattern not in (None, "*"):
            where = f"{named} of any organization matching {parts.owner_pattern!s}"
        else:
            where = f"{named} on GitHub"
        return Subject(_with_context(where, parts.context, plural=True), "any", "provider", False, pattern)
    if parts.repo is None or _wild(parts.repo):
        where = f"any repository of {parts.owner}" if parts.repo is None else \
            f"repositories of {parts.owner} matching {parts.repo}"
        return Subject(_with_context(where, parts.context, plural=True), "organization", "owner", False, pattern)
    repo = f"{parts.owner}/{parts.repo}"
    context = parts.context
    if context is None:
        return Subject(f"any branch, tag, environment or pull request of {repo}", "repository", "repository", False,
                       pattern)
    name, value = context
    if name == "ref":
        if not _wild(value):
            kind = "branch" if value.startswith("refs/heads/") else "tag" if value.startswith("refs/tags/") else "ref"
            return Subject(f"{repo} on {value}", kind, "workload", True, pattern)
        return Subject(_ref_pattern(value, repo), "ref", "repository", False, pattern)
    if name == "environment":
        if not _wild(value):
            return Subject(f"environment {value} of {repo}", "environment", "workload", True, pattern)
        text = f"any environment of {repo}" if value.strip("*") == "" else f"environments matching {value} of {repo}"
        return Subject(text, "environment", "repository", False, pattern)
    if name == "pull_request":
        return Subject(f"pull requests of {repo}", "pull_request", "repository", False, pattern)
    if name == "none":
        return Subject(f"{repo} (no ref, environment or pull request: no standard GitHub subject matches)",
                       "subject", "workload", True, pattern)
    if _wild(value):
        return Subject(f"{repo} with subjects matching {value}", "subject", "repository", False, pattern)
    return Subject(f"{repo} with {value}", "subject", "workload", True, pattern)


def _ref_pattern(value: str, repo: str) -> str:
    if value == "refs/heads/*":
        return f"any branch of {repo}"
    if value == "refs/tags/*":
        return f"any tag of {repo}"
    if value.strip("*") == "" or value == "refs/*":
        return f"any branch or tag of {repo}"
    return f"{repo} on refs matching {value}"


def _with_context(where: str, context: tuple[str, str] | None, plural: bool) -> str:
    """``where`` ("any repository of acme") narrowed by what the pattern says of the ref or environment."""
    if context is None:
        return where
    name, value = context
    if name == "ref":
        if value.startswith("refs/heads/") and not _wild(value):
            return f"branch {value[len('refs/heads/'):]} of {where}"
        if value.startswith("refs/tags/") and not _wild(value):
            return f"tag {value[len('refs/tags/'):]} of {where}"
        return f"refs matching {value} of {where}" if _wild(value) else f"{value} of {where}"
    if name == "environment":
        return f"environment {value} of {where}" if not _wild(value) else f"environments matching {value} of {where}"
    if name == "pull_request":
        return f"pull requests of {where}"
    if name == "none":
        return where
    return f"{where} with subjects matching {value}"


# GitLab: project_path:GROUP/PROJECT:ref_type:branch|tag:ref:NAME

def _gitlab(pattern: str | None, host: str) -> Subject:
    site = "GitLab" if host.lower() == "gitlab.com" else host
    if pattern is None or pattern.strip("*") == "":
        return Subject(f"any project on {site}", "any", "provider", False, pattern)
    if not pattern.startswith("project_path:"):
        return _generic(pattern, f"any project on {site}")
    path, colon, context = pattern[len("project_path:"):].partition(":")
    if _wild(path):
        star = min(i for i in (path.find("*"), path.find("?"), len(path)) if i >= 0)
        group = path[:star].rsplit("/", 1)[0] if "/" in path[:star] else ""
        if not group:
            return Subject(f"any project of any group matching {path}", "any", "provider", False, pattern)
        text = f"any project of group {group} and its subgroups" if path[star:] == "*" and path[star - 1] == "/" \
            else f"projects matching {path}"
        return Subject(text + _gitlab_ref(context), "organization", "owner", False, pattern)
    if context.strip("*") == "":
        return Subject(f"any branch or tag of {path}", "repository", "repository", False, pattern)
    match = re.fullmatch(r"ref_type:(branch|tag|\*):ref:(.*)", context)
    if match and not _wild(match.group(2)) and match.group(1) != "*":
        return Subject(f"{path} on {match.group(1)} {match.group(2)}", match.group(1), "workload", True, pattern)
    if match:
        kind = {"branch": "any branch", "tag": "any tag"}.get(match.group(1), "any branch or tag")
        text = f"{kind} of {path}" if match.group(2).strip("*") == "" else \
            f"{path} on refs matching {match.group(2)}"
        return Subject(text, "ref", "repository", False, pattern)
    if _wild(context):
        return Subject(f"{path} with subjects matching {context}", "subject", "repository", False, pattern)
    return Subject(f"{path} with {context}", "subject", "workload", True, pattern)


def _gitlab_ref(context: str) -> str:
    match = re.fullmatch(r"ref_type:(branch|tag):ref:([^*?]+)", context)
    return f", on {match.group(1)} {match.group(2)}" if match else ""


# Terraform Cloud: organization:ORG:project:PROJECT:workspace:WORKSPACE:run_phase:PHASE

def _terraform(pattern: str | None) -> Subject:
    anyone = "any workspace of any Terraform organization"
    if pattern is None or pattern.strip("*") == "":
        return Subject(anyone, "any", "provider", False, pattern)
    fields = dict(re.findall(r"(organization|project|workspace|run_phase):([^:]*)", pattern))
    org = fields.get("organization")
    if not pattern.startswith("organization:") or org is None:
        return _generic(pattern, anyone)
    if _wild(org):
        return Subject(f"any workspace of any Terraform organization matching {org}", "any", "provider", False,
                       pattern)
    workspace = fields.get("workspace")
    project = fields.get("project")
    phase = fields.get("run_phase")
    runs = f", {phase} runs" if phase and not _wild(phase) else ", any run phase"
    if workspace and not _wild(workspace):
        where = f" (project {project})" if project and not _wild(project) else ""
        return Subject(f"workspace {workspace}{where} of Terraform organization {org}{runs}", "workspace",
                       "workload", True, pattern)
    if workspace and workspace.strip("*") != "":
        return Subject(f"workspaces matching {workspace} of Terraform organization {org}", "workspace",
                       "repository", False, pattern)
    if project and not _wild(project):
        return Subject(f"any workspace of project {project} of Terraform organization {org}", "workspace",
                       "repository", False, pattern)
    return Subject(f"any workspace of Terraform organization {org}", "organization", "owner", False, pattern)


# EKS: system:serviceaccount:NAMESPACE:NAME

def _eks(pattern: str | None, cluster: str) -> Subject:
    anyone = f"any service account in EKS cluster {cluster}"
    if pattern is None or pattern.strip("*") == "":
        return Subject(anyone, "any", "provider", False, pattern)
    prefix = "system:serviceaccount:"
    if not pattern.startswith(prefix):
        return _generic(pattern, anyone)
    namespace, colon, name = pattern[len(prefix):].partition(":")
    if not colon:
        if namespace.strip("*") == "":
            return Subject(anyone, "any", "provider", False, pattern)
        if namespace.endswith("*") and not _wild(namespace[:-1]):
            return Subject(f"service accounts in namespaces matching {namespace}", "namespace", "owner", False,
                           pattern)
        return _generic(pattern, anyone)
    if _wild(namespace):
        where = "any namespace" if namespace.strip("*") == "" else f"namespaces matching {namespace}"
        if name.strip("*") == "":
            return Subject(f"any service account in {where}", "any" if where == "any namespace" else "namespace",
                           "provider" if where == "any namespace" else "owner", False, pattern)
        return Subject(f"service account {name} in {where}", "service_account", "owner", False, pattern)
    if name.strip("*") == "":
        return Subject(f"any service account in namespace {namespace}", "namespace", "owner", False, pattern)
    if _wild(name):
        return Subject(f"service accounts of namespace {namespace} matching {name}", "namespace", "repository", False,
                       pattern)
    return Subject(f"service account {namespace}/{name}", "service_account", "workload", True, pattern)


# Cognito identity pools: aud is the pool, amr says authenticated or unauthenticated, sub one identity

def _cognito(pattern: str | None, claims: ClaimConditions) -> Subject:
    pools = claims.values("aud")
    if pattern is not None and not _wild(pattern):
        return Subject(f"Cognito identity {pattern}", "subject", "workload", True, pattern)
    if not pools or any(_wild(p) for p in pools):
        return Subject("any identity of any Cognito identity pool (of any AWS account)", "any", "provider", False,
                       pattern)
    amr = claims.values("amr") or ()
    who = "authenticated identities" if any(v == "authenticated" for v in amr) else \
        "unauthenticated (guest) identities" if any(v == "unauthenticated" for v in amr) else "identities"
    return Subject(f"{who} of Cognito identity pool {' or '.join(pools)}", "identity_pool", "workload", True, pattern)


def _saml(pattern: str | None, name: str) -> Subject:
    if pattern is None or pattern.strip("*") == "":
        if name.startswith("AWSSSO_"):
            return Subject("any user IAM Identity Center assigns to this role's permission set", "any", "provider",
                           False, pattern)
        return Subject(f"any user the identity provider {name} signs in", "any", "provider", False, pattern)
    if not _wild(pattern):
        return Subject(f"SAML user {pattern} of {name}", "saml_user", "workload", True, pattern)
    return Subject(f"SAML users matching {pattern} of {name}", "saml_user", "owner", False, pattern)


# -- does a concrete subject get in? ----------------------------------------------------------------

def github_claims(subject: str) -> dict[str, str | tuple[str, ...]]:
    """The claims a standard GitHub subject implies (the token carries them too): ``repository``, and ``ref``
    or ``environment``; a subject of the ``ref`` or ``pull_request`` form comes from a job without an
    environment, so ``environment`` is absent (``()``). ``{}`` for a subject of another form."""
    match = re.fullmatch(r"repo:([^/:]+/[^/:]+):(ref|environment):(.+)", subject)
    if match and match.group(2) == "environment":
        return {"repository": match.group(1), "environment": match.group(3)}
    if match:
        return {"repository": match.group(1), "ref": match.group(3), "environment": ()}
    match = re.fullmatch(r"repo:([^/:]+/[^/:]+):pull_request", subject)
    return {"repository": match.group(1), "environment": ()} if match else {}


def claims_context(provider: str, subject: str, claims: Mapping[str, str | Sequence[str]] | None = None
                   ) -> RequestContext:
    """A request stating the token's ``sub`` (and any other ``claims``, by claim name or full key): exactly
    these keys are known, every other key stays a request-time condition. For GitHub the claims a standard
    subject implies (:func:`github_claims`) are stated too, unless ``claims`` gives them."""
    values: dict[str, Sequence[str]] = {claim_key(provider, "sub"): [subject]}
    implied = github_claims(subject) if provider_kind(provider) == "github" else {}
    for claim, value in {**implied, **(claims or {})}.items():
        values[claim_key(provider, claim)] = [value] if isinstance(value, str) else list(value)
    return RequestContext.stated(values)


def subject_admitted(provider: str, requirements: Sequence[Requirement], subject: str,
                     claims: Mapping[str, str | Sequence[str]] | None = None) -> bool:
    """Whether a token with this ``sub`` (and ``claims``) meets one requirement set's conditions on them.

    Decided by the engine's condition operators on a request that states
    exactly these claims: conditions on other keys (``aud`` when not given,
    MFA, a source IP) are not judged here. A Deny's requirement shuts the
    subject out when every one of its conditions holds for it.
    """
    context = claims_context(provider, subject, claims)
    for requirement in requirements:
        results = [evaluate_condition(condition, context) for condition in requirement.conditions]
        if requirement.must_hold:
            if any(result is False for result in results):
                return False
        elif results and all(result is True for result in results):
            return False
    return True


def decision_admits(provider: str, decision: Decision, subject: str,
                    claims: Mapping[str, str | Sequence[str]] | None = None) -> bool:
    """Whether some way the decision allows (:attr:`Decision.requirement_sets`) admits this subject; a
    decision with no requirements admits every subject, a denied one none."""
    if decision.outcome is Outcome.DENIED:
        return False
    return any(subject_admitted(provider, requirements, subject, claims) for requirements in decision.requirement_sets)
