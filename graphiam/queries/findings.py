"""``graphiam findings``: risky trusts and who they let reach an administrator, as rules that are data.

Each :class:`Rule` is a record (id, name, severity, description, the fix in
one sentence, the AWS page it rests on) and names its check; one evaluator,
:func:`findings`, runs the checks over the snapshot, the engine's decisions
and the graph, and returns :class:`Finding` values (no printing:
``graphiam.present.sarif`` and the CLI render them). Every check reads what
the engine and the graph already decided:

- world-open trusts are :func:`~graphiam.policy.exposure.open_to_any_principal`;
- who a web-identity trust lets in is the engine's
  :meth:`~graphiam.policy.evaluate.PolicyEngine.decide_federated`, read by
  :mod:`graphiam.policy.federation`;
- deleted principals and accounts outside the snapshot are the graph's
  ``trust_facts``;
- administrators and who can become one are :func:`graphiam.queries.escalation.privesc`.

Severities: ``level`` is SARIF's (``error``, ``warning``, ``note``),
``severity`` the human one (``high``, ``medium``, ``low``); GitHub code
scanning reads ``security_severity`` (high 8.0, medium 5.0, low 2.0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping, Sequence

import networkx as nx

from ..graph.schema import CAN_ASSUME
from ..policy import Outcome, PolicyEngine, Requirement
from ..policy.conditions import parse_operator
from ..policy.exposure import open_to_any_principal
from ..policy.federation import (
    audiences,
    broadest,
    oidc_subject,
    oidc_subjects,
    provider_host,
    provider_kind,
)
from ..policy.matching import account_principal, is_unique_id
from ..snapshot.model import Role, Snapshot, Statement
from ..snapshot.names import account_of

Severity = Literal["high", "medium", "low"]
Level = Literal["error", "warning", "note"]
SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low")  # most severe first
LEVELS: tuple[Level, ...] = ("error", "warning", "note")
SECURITY_SEVERITY: dict[str, str] = {"high": "8.0", "medium": "5.0", "low": "2.0"}  # GitHub's 0-10 scale

# Identity Center users who are administrators in more accounts than this are reported (GIAM011)
ADMIN_ACCOUNTS_LIMIT = 3

IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"


@dataclass(frozen=True)
class Rule:
    """One risk graphiam reports: what it is, how bad, how to fix it, where AWS says so.

    ``check`` names the function of :data:`CHECKS` that finds it. ``name`` is
    the SARIF rule name (PascalCase), ``title`` the one-line description.
    """

    id: str
    name: str
    title: str
    description: str
    fix: str
    severity: Severity
    level: Level
    help_uri: str
    check: str
    tags: tuple[str, ...] = ("security", "iam")

    def __post_init__(self) -> None:
        if not re.fullmatch(r"GIAM\d{3}", self.id):
            raise ValueError(f"rule id {self.id!r} is not of the form GIAM000")
        if self.severity not in SEVERITIES or self.level not in LEVELS:
            raise ValueError(f"{self.id}: severity {self.severity!r} / level {self.level!r} unknown")
        if not self.help_uri.startswith("https://"):
            raise ValueError(f"{self.id}: help_uri must be an https URL")

    @property
    def security_severity(self) -> str:
        return SECURITY_SEVERITY[self.severity]

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "title": self.title, "description": self.description,
                "fix": self.fix, "severity": self.severity, "level": self.level, "help_uri": self.help_uri,
                "security_severity": self.security_severity, "tags": list(self.tags)}


@dataclass(frozen=True)
class ServiceGuidance:
    """A service principal whose documentation asks for ``aws:SourceAccount`` / ``aws:SourceArn`` in the
    trust policies of the roles it assumes, and the page that says so."""

    service: str
    name: str
    doc: str


# Services whose guides recommend aws:SourceArn / aws:SourceAccount in the trust of the roles they assume
# (the cross-service confused deputy, IAM User Guide confused-deputy.html). Kept to those whose own page says
# it of the role's trust policy; services whose roles cannot carry the keys (EC2 instance profiles) are not here.
_GUIDE = "https://docs.aws.amazon.com/"
SOURCE_CONDITION_SERVICES: tuple[ServiceGuidance, ...] = (
    ServiceGuidance("config.amazonaws.com", "AWS Config",
                    _GUIDE + "config/latest/developerguide/iamrole-permissions.html"),
    ServiceGuidance("scheduler.amazonaws.com", "EventBridge Scheduler",
                    _GUIDE + "scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html"),
    ServiceGuidance("states.amazonaws.com", "AWS Step Functions",
                    _GUIDE + "step-functions/latest/dg/procedure-create-iam-role.html"),
    ServiceGuidance("bedrock.amazonaws.com", "Amazon Bedrock",
                    _GUIDE + "bedrock/latest/userguide/cross-service-confused-deputy-prevention.html"),
    ServiceGuidance("personalize.amazonaws.com", "Amazon Personalize",
                    _GUIDE + "personalize/latest/dg/cross-service-confused-deputy-prevention.html"),
    ServiceGuidance("autoscaling.amazonaws.com", "Amazon EC2 Auto Scaling",
                    _GUIDE + "autoscaling/ec2/userguide/cross-service-confused-deputy-prevention.html"),
    ServiceGuidance("controltower.amazonaws.com", "AWS Control Tower",
                    _GUIDE + "controltower/latest/userguide/conditions-for-role-trust.html"),
)

RULES: tuple[Rule, ...] = (
    Rule("GIAM001", "PublicRoleTrust", "A trust policy lets in any AWS principal",
         "The role's trust policy allows \"*\" (or uses NotPrincipal) with no condition that confines the caller "
         "to an organization, account or principal (aws:PrincipalOrgID, aws:PrincipalOrgPaths, "
         "aws:PrincipalAccount, aws:PrincipalArn; or, for services, aws:SourceOrgID, aws:SourceAccount, "
         "aws:SourceArn). Every principal of every AWS account can assume it under whatever the statement still "
         "asks (an ExternalId is a shared secret, not an identity).",
         "Name the trusted principals, or add a condition on aws:PrincipalOrgID or aws:PrincipalAccount.",
         "high", "error", IAM + "reference_policies_elements_principal.html", "public_trust"),
    Rule("GIAM002", "OidcTrustWithoutAudience", "A web-identity trust does not pin the token audience",
         "The trust lets a provider's tokens in without a condition on the provider's aud claim. STS still "
         "checks the audience against the provider's client IDs, but the role's own trust should say which "
         "application its tokens are for.",
         "Add a StringEquals condition on the provider's aud key (sts.amazonaws.com for GitHub Actions and EKS).",
         "low", "note", IAM + "id_roles_create_for-idp_oidc.html", "oidc_audience"),
    Rule("GIAM003", "OidcTrustAnySubject", "A web-identity trust lets in any subject of the provider",
         "The trust has no condition on the token's sub claim, or one whose wildcard admits any subject: for "
         "GitHub Actions any repository of any organization on GitHub, for EKS any service account of the "
         "cluster, for Terraform Cloud any organization. Anyone who can run a workflow there can assume the "
         "role.",
         "Pin the provider's sub claim with StringEquals to the repository and branch or environment (the "
         "workload) that needs the role.",
         "high", "error", IAM + "id_roles_create_for-idp_oidc.html", "oidc_any_subject"),
    Rule("GIAM004", "OidcTrustBroadSubject", "A web-identity trust lets in more than one workload",
         "The trust's sub condition names one organization (group, namespace, Terraform organization) or one "
         "repository but leaves the rest open: any repository of the organization, any branch or pull request "
         "of the repository, any service account of a namespace. Whoever can push a branch or open a pull "
         "request there can assume the role.",
         "Narrow the sub condition to the branch or environment (or the one service account or workspace) that "
         "needs the role.",
         "medium", "warning", IAM + "id_roles_create_for-idp_oidc.html", "oidc_broad_subject"),
    Rule("GIAM005", "CrossAccountTrustWithoutExternalId",
         "A trust lets in an account outside the organization without an ExternalId",
         "The trust names an account (or a principal of one) that is neither in the organization nor in the "
         "snapshot, and has no sts:ExternalId condition. A third party that assumes roles for many customers "
         "can be tricked into using this one on another customer's behalf (the confused deputy problem).",
         "Agree an external id with the account's owner and require it with a StringEquals condition on "
         "sts:ExternalId.",
         "medium", "warning", IAM + "confused-deputy.html", "external_without_external_id"),
    Rule("GIAM006", "ServiceTrustWithoutSourceCondition",
         "A service trust lacks aws:SourceAccount or aws:SourceArn",
         "The trust lets an AWS service assume the role with no aws:SourceAccount, aws:SourceArn, "
         "aws:SourceOrgID or aws:SourceOrgPaths condition, where the service's guide recommends them: without "
         "them the service can be made to use the role for another account's resources (the cross-service "
         "confused deputy).",
         "Add a StringEquals condition on aws:SourceAccount (the role's account) or an ArnLike condition on "
         "aws:SourceArn (the service's resource).",
         "low", "note", IAM + "confused-deputy.html#cross-service-confused-deputy-prevention",
         "service_without_source"),
    Rule("GIAM007", "TrustNamesDeletedPrincipal", "A trust names a deleted principal",
         "The trust holds a unique id (AROA..., AIDA...) where a principal's ARN was: IAM writes the id when the "
         "principal is deleted. It lets nobody in, not even a principal created again with the same name, so "
         "the statement is stale.",
         "Remove the unique id, or name the principal that should be trusted by its ARN.",
         "low", "note", IAM + "reference_policies_elements_principal.html#principal-roles", "dangling"),
    Rule("GIAM008", "TrustNamesAccountOutsideSnapshot", "A trust names an account the snapshot does not hold",
         "The trust names an account (or a principal of one) that is not in the snapshot: who there can "
         "assume the role is unknown. Either it is a member of the organization that was not collected, or it "
         "is outside the organization.",
         "Collect the account if it is a member; otherwise confirm who owns it and name the exact role it uses.",
         "low", "note", IAM + "id_roles_common-scenarios_aws-accounts.html", "external_account"),
    Rule("GIAM009", "OutsideCallerReachesAdministrator",
         "A role that callers outside the organization can assume is, or can become, an administrator",
         "A caller outside the organization (any AWS principal, an account outside it, or a principal of one) "
         "can assume the role, and the role is an administrator or can become one (through further roles or "
         "an escalation technique, as graphiam privesc decides).",
         "Confine the trust to the callers that need the role, or take the administrator permissions (and the "
         "escalation route) away from it.",
         "high", "error", IAM + "best-practices.html#grant-least-privilege", "outside_admin"),
    Rule("GIAM010", "WorkloadIdentityReachesAdministrator",
         "A role that web-identity tokens can assume is, or can become, an administrator",
         "Workflows or workloads with a token of an OIDC provider (GitHub Actions, GitLab CI, Terraform Cloud, "
         "EKS service accounts ...) can assume the role, and it is an administrator or can become one. A "
         "compromised pipeline becomes an administrator of the account.",
         "Give the workload's role only what it deploys, and pin its trust to one branch or environment.",
         "medium", "warning", IAM + "id_roles_create_for-idp_oidc.html", "workload_admin"),
    Rule("GIAM011", "IdentityCenterAdminInManyAccounts",
         "An IAM Identity Center user is an administrator in many accounts",
         f"Through permission set assignments (directly or through groups) the user is an administrator in more "
         f"than {ADMIN_ACCOUNTS_LIMIT} accounts: one stolen session reaches all of them.",
         "Assign administrator permission sets per account, to the people who run it, and give the rest a "
         "narrower permission set.",
         "medium", "warning", _GUIDE + "singlesignon/latest/userguide/permissionsetsconcept.html",
         "identity_center_admins"),
)


@dataclass(frozen=True)
class Finding:
    """One rule that holds for one role (or Identity Center user), at one statement where there is one.

    ``policy``/``sid``/``statement`` name the statement as decisions do
    (the role's ARN for its trust policy; 1-based position); ``subject`` is
    the principal the finding is about (the trusted principal, the provider,
    the outside caller, the Identity Center user); ``source`` the snapshot
    file the role was read from.
    """

    rule: str
    severity: Severity
    level: Level
    role: str | None
    account: str | None
    message: str
    fix: str
    policy: str | None = None
    sid: str | None = None
    statement: int | None = None
    subject: str | None = None
    source: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def statement_label(self) -> str | None:
        """The Sid, else ``#n``; ``None`` when the finding is not about one statement."""
        if self.sid:
            return self.sid
        return f"#{self.statement}" if self.statement is not None else None

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What identifies the finding across runs: rule, role, policy, statement (Sid first), subject."""
        return (self.rule, self.role or "", self.policy or "", self.statement_label or "", self.subject or "")

    def to_dict(self) -> dict:
        return {"rule": self.rule, "severity": self.severity, "level": self.level, "role": self.role,
                "account": self.account, "policy": self.policy, "sid": self.sid, "statement": self.statement,
                "subject": self.subject, "source": self.source, "message": self.message, "fix": self.fix,
                "details": dict(self.details)}


def rule_by_id(rule_id: str, rules: Sequence[Rule] = RULES) -> Rule:
    for rule in rules:
        if rule.id == rule_id:
            return rule
    raise KeyError(rule_id)


def at_least(found: Iterable[Finding], severity: Severity) -> list[Finding]:
    """The findings of ``severity`` or worse (``--severity medium`` keeps high and medium)."""
    limit = SEVERITIES.index(severity)
    return [f for f in found if SEVERITIES.index(f.severity) <= limit]


# -- the evaluator --------------------------------------------------------------------------------

class _Scope:
    """What the checks share: the inputs, and what several of them need, computed once."""

    def __init__(self, snapshot: Snapshot, graph: nx.MultiDiGraph, engine: PolicyEngine,
                 privesc_result: tuple[list[str], list] | None, admin_accounts_limit: int) -> None:
        self.snapshot = snapshot
        self.graph = graph
        self.engine = engine
        self.admin_accounts_limit = admin_accounts_limit
        self._privesc = privesc_result
        self._web_identity: list[_WebIdentityGrant] | None = None
        org = snapshot.organization
        self.members = set(snapshot.accounts) | (set(org.account_ids) if org else set()) | (
            {node for node in org.parents if re.fullmatch(r"\d{12}", node)} if org else set())

    def source(self, role_arn: str | None) -> str | None:
        account = self.snapshot.accounts.get(account_of(role_arn or "") or "")
        return account.source if account else None

    def finding(self, rule: Rule, role: Role | str, message: str, fix: str, *, statement: Statement | None = None,
                sid: str | None = None, index: int | None = None, subject: str | None = None,
                policy: str | None = None, **details: Any) -> Finding:
        arn = role.arn if isinstance(role, Role) else role
        if statement is not None:
            sid, index = statement.sid, statement.index + 1
        return Finding(rule.id, rule.severity, rule.level, arn, account_of(arn), message, fix,
                       policy or (arn if index is not None else None), sid, index, subject, self.source(arn),
                       details)

    def privesc(self) -> tuple[list[str], list] | None:
        if self._privesc is None:
            try:
                from .escalation import privesc
            except ImportError:  # escalation analysis not available: the admin rules are skipped
                return None
            self._privesc = privesc(self.snapshot, self.graph, self.engine)
        return self._privesc

    def web_identity(self) -> list["_WebIdentityGrant"]:
        if self._web_identity is None:
            self._web_identity = list(_web_identity_grants(self.snapshot, self.engine))
        return self._web_identity


def findings(snapshot: Snapshot, graph: nx.MultiDiGraph, engine: PolicyEngine, *, rules: Sequence[Rule] = RULES,
             privesc_result: tuple[list[str], list] | None = None,
             admin_accounts_limit: int = ADMIN_ACCOUNTS_LIMIT) -> list[Finding]:
    """Every finding of ``rules`` on the snapshot, most severe first (then by rule, role and statement).

    ``privesc_result`` is :func:`graphiam.queries.escalation.privesc`'s answer
    when the caller already has it (it is computed when an admin rule needs
    it). A rule whose data the snapshot lacks (Identity Center) finds nothing.
    """
    scope = _Scope(snapshot, graph, engine, privesc_result, admin_accounts_limit)
    found: dict[tuple, Finding] = {}
    for rule in rules:
        for finding in CHECKS[rule.check](rule, scope):
            found.setdefault(finding.key, finding)
    return sorted(found.values(), key=lambda f: (SEVERITIES.index(f.severity), f.rule, f.role or "",
                                                 f.statement or 0, f.subject or ""))


# -- checks ---------------------------------------------------------------------------------------

def _positive_keys(statement: Statement) -> set[str]:
    """The (lower-cased) keys a positive condition of the statement requires (not negated, not IfExists)."""
    keys = set()
    for condition in statement.conditions:
        operator = parse_operator(condition.operator)
        if operator.negated or operator.if_exists or operator.base == "Null" or operator.qualifier == "ForAllValues":
            continue
        keys.add(condition.key.lower())
    return keys


_SOURCE_KEYS = frozenset({"aws:sourceorgid", "aws:sourceorgpaths", "aws:sourceaccount", "aws:sourcearn"})


def _trust_allows(role: Role) -> Iterator[Statement]:
    return (s for s in role.trust_policy.statements if s.effect == "Allow")


def _conditions_text(statement: Statement) -> str:
    return "; ".join(f"{c.key} {c.operator} {', '.join(c.values)}" for c in statement.conditions)


def _check_public_trust(rule: Rule, scope: _Scope) -> Iterator[Finding]:
    org = scope.snapshot.organization
    for role in scope.snapshot.all_roles():
        for statement in _trust_allows(role):
            if not open_to_any_principal(statement) or _positive_keys(statement) & _SOURCE_KEYS:
                continue
            how = "uses NotPrincipal" if statement.not_principal else "allows \"*\""
            asks = _conditions_text(statement)
            message = (f"Statement {statement.label} of the trust policy of {role.arn} {how}: any principal of any "
                       f"AWS account can assume it" + (f", if the request carries {asks}." if asks else "."))
            org_id = org.org_id if org else "o-..."
            fix = (f"In statement {statement.label}, name the principals that need {role.name}, or add "
                   f"\"StringEquals\": {{\"aws:PrincipalOrgID\": \"{org_id}\"}} (or a condition on "
                   f"aws:PrincipalAccount).")
            yield scope.finding(rule, role, message, fix, statement=statement, subject="*", conditions=asks)


@dataclass(frozen=True)
class _WebIdentityGrant:
    """One way a web-identity provider's tokens get into a role: a trust statement and what it asks."""

    role: Role
    provider: str
    requirements: tuple[Requirement, ...]
    sid: str | None
    statement: int

    @property
    def host(self) -> str:
        return provider_host(self.provider) or self.provider


def _web_identity_grants(snapshot: Snapshot, engine: PolicyEngine) -> Iterator[_WebIdentityGrant]:
    """Each requirement set of each OIDC provider's decision on each role, with the trust statement it is."""
    for role in snapshot.all_roles():
        providers = dict.fromkeys(value for statement in _trust_allows(role)
                                  for kind, value in statement.named_principals()
                                  if kind == "Federated" and ":oidc-provider/" in value)
        for provider in providers:
            decision = engine.decide_federated(provider, role)
            if decision.outcome is Outcome.DENIED:
                continue
            for requirements in decision.requirement_sets:
                where = next((r for r in requirements if r.must_hold and r.layer == "trust"), None)
                if where is not None:
                    yield _WebIdentityGrant(role, provider, requirements, where.sid, where.statement)
                    continue
                evidence = next((e for e in decision.granted_by if e.layer == "trust"), None)
                if evidence is not None:
                    yield _WebIdentityGrant(role, provider, requirements, evidence.sid, evidence.statement)


_SUB_EXAMPLE = {
    "github": "repo:ORG/REPO:ref:refs/heads/main (or repo:ORG/REPO:environment:prod)",
    "gitlab": "project_path:GROUP/PROJECT:ref_type:branch:ref:main",
    "terraform": "organization:ORG:project:PROJECT:workspace:WORKSPACE:run_phase:apply",
    "eks": "system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT",
}
_AUDIENCE = {"github": "sts.amazonaws.com", "eks": "sts.amazonaws.com"}


def _label(statement_sid: str | None, index: int) -> str:
    return statement_sid or f"#{index}"


def _check_oidc_audience(rule: Rule, scope: _Scope) -> Iterator[Finding]:
    for grant in scope.web_identity():
        if audiences(grant.provider, grant.requirements) is not None:
            continue
        label = _label(grant.sid, grant.statement)
        audience = _AUDIENCE.get(provider_kind(grant.provider), "your application's client ID")
        message = (f"Statement {label} of the trust policy of {grant.role.arn} lets tokens of {grant.host} in "
                   f"whatever their audience: no condition on {grant.host}:aud.")
        fix = f"Add \"StringEquals\": {{\"{grant.host}:aud\": \"{audience}\"}} to statement {label}."
        yield scope.finding(rule, grant.role, message, fix, sid=grant.sid, index=grant.statement,
                            subject=grant.provider)


def _subject_fix(grant: _WebIdentityGrant, label: str) -> str:
    kind = provider_kind(grant.provider)
    if kind == "cognito":
        return (f"Add \"StringEquals\": {{\"{grant.host}:aud\": \"<identity pool id>\"}} and a "
                f"\"ForAnyValue:StringLike\" condition on {grant.host}:amr (authenticated) to statement {label}.")
    example = _SUB_EXAMPLE.get(kind, "the exact subject the workload's tokens carry")
    return (f"Pin {grant.host}:sub in statement {label} with StringEquals to the workload that needs "
            f"{grant.role.name}, e.g. {example}.")


def _check_oidc_any_subject(rule: Rule, scope: _Scope) -> Iterator[Finding]:
    for grant in scope.web_identity():
        subjects = oidc_subjects(grant.provider, grant.requirements)
        widest = broadest(subjects)
        if widest is None or widest.scope != "provider":
            continue
        label = _label(grant.sid, grant.statement)
        why = (f"no condition on {grant.host}:sub" if widest.pattern is None
               else f"its sub pattern {widest.pattern} admits them all")
        message = (f"Statement {label} of the trust policy of {grant.role.arn} lets {widest.text} assume it with a "
                   f"token of {grant.host} ({why}).")
        yield scope.finding(rule, grant.role, message, _subject_fix(grant, label), sid=grant.sid,
                            index=grant.statement, subject=grant.provider, who=widest.to_dict())


def _check_oidc_broad_subject(rule: Rule, scope: _Scope) -> Iterator[Finding]:
    for grant in scope.web_identity():
        subjects = oidc_subjects(grant.provider, grant.requirements)
        widest = broadest(subjects)
        if widest is None or widest.scope == "provider":
            continue
        loose = [s for s in subjects if not s.pinned]
        if not loose:
            continue
        label = _label(grant.sid, grant.statement)
        shown = broadest(loose)
        detail = f"sub {shown.pattern}" if shown.pattern is not None else f"no condition on {grant.host}:sub"
        message = (f"Statement {label} of the trust policy of {grant.role.arn} lets "
                   f"{oidc_subject(grant.provider, grant.requirements)} assume it with a token of {grant.host} "
                   f"({detail}): more than one workload.")
        yield scope.finding(rule, grant.role, message, _subject_fix(grant, label), sid=grant.sid,
                            index=grant.statement, subject=grant.provider, who=shown.to_dict())


def _check_external_without_external_id(rule: Rule, scope: _Scope) -> Iterator[Finding]:
    for role in scope.snapshot.all_roles():
        for statement in _trust_allows(role):
            if statement.not_principal or "sts:externalid" in _positive_keys(statement):
                continue
            for kind, value in statement.named_principals():
                if kind != "AWS" or value == "*" or is_unique_id(value):
                    continue
                account = account_principal(value) or account_of(value)
                if not account or account in scope.members:
                    continue
                message = (f"Statement {statement.label} of the trust policy of {role.arn} lets in {value}, of "
                           f"account {account} outside the organization, with no sts:ExternalId condition.")
                fix = (f"Agree an external id with the owner of account {account} and add \"StringEquals\": "
                       f"{{\"sts:ExternalId\": \"...\"}} to statement {statement.label}.")
                yield scope.finding(rule, role, message, fix, statement=statement, subject=value)


def _check_service_without_source(rule: Rule, scope: _Scope) -> Iterator[Finding]:
    guidance = {g.service: g for g in SOURCE_CONDITION_SERVICES}
    for role in scope.snapshot.all_roles():
        if role.is_service_linked:
            continue  # AWS writes (and guards) the trust of service-linked roles
        for statement in _trust_allows(role):
            if _positive_keys(statement) & _SOURCE_KEYS:
                continue
            for kind, value in statement.named_principals():
                entry = guidance.get(value.lower()) if kind == "Service" else None
                if entry is None:
                    continue
                message = (f"Statement {statement.label} of the trust policy of {role.arn} lets {entry.name} "
                           f"({value}) assume it with no aws:SourceAccount or aws:SourceArn condition, which "
                           f"{entry.name}'s guide recommends ({entry.doc}).")
                fix = (f"Add \"StringEquals\": {{\"aws:SourceAccount\": \"{role.account_id}\"}} (or an ArnLike "
                       f"condition on aws:SourceArn naming the {entry.name} resources) to statement "
                       f"{statement.label}.")
                yield scope.finding(rule, role, message, fix, statement=statement, subject=value, doc=entry.doc)


def _trust_facts(scope: _Scope, kind: str) -> Iterator[dict]:
    for fact in scope.graph.graph.get("trust_facts", ()) or ():
        if fact.get("kind") == kind:
            yield fact


def _fact_label(fact: dict) -> str:
    return _label(fact.get("sid"), fact.get("statement") or 0)


def _check_dangling(rule: Rule, scope: _Scope) -> Iterator[Finding]:
    for fact in _trust_facts(scope, "dangling"):
        label = _fact_label(fact)
        message = (f"Statement {label} of the trust policy of {fact['role']} names {fact['principal']}, the unique id "
                   f"of a deleted principal: it lets nobody in.")
        fix = f"Remove {fact['principal']} from statement {label}, or name the principal it should trust by its ARN."
        yield scope.finding(rule, fact["role"], message, fix, sid=fact.get("sid"), index=fact.get("statement"),
                            subject=fact["principal"])


def _check_external_account(rule: Rule, scope: _Scope) -> Iterator[Finding]:
    for fact in _trust_facts(scope, "external_account"):
        label = _fact_label(fact)
        account = account_of(fact["principal"]) or account_principal(fact["principal"]) or fact["principal"]
        if account in scope.members:
            message = (f"Statement {label} of the trust policy of {fact['role']} names {fact['principal']}: account "
                       f"{account} is a member of the organization, but not in the snapshot, so who there can "
                       f"assume the role is unknown.")
            fix = f"Collect account {account} (graphiam collect) and analyse the snapshot again."
        else:
            message = (f"Statement {label} of the trust policy of {fact['role']} names {fact['principal']}: account "
                       f"{account} is outside the organization and the snapshot; whoever that account allows can "
                       f"assume the role.")
            fix = (f"Confirm who owns account {account} and that it should be trusted; name the exact role it uses "
                   f"instead of the account, or remove it.")
        yield scope.finding(rule, fact["role"], message, fix, sid=fact.get("sid"), index=fact.get("statement"),
                            subject=fact["principal"], member=account in scope.members)


def _admin_routes(scope: _Scope) -> dict[str, str] | None:
    """Roles that are administrators or can become one, each with how (``None``: escalation unavailable)."""
    result = scope.privesc()
    if result is None:
        return None
    admins, rows = result
    routes = {arn: "is an administrator" for arn in admins}
    for row in rows:
        if row.principal in routes:
            continue
        if row.technique is not None:
            routes[row.principal] = f"can make itself an administrator ({row.technique.technique.id})"
        elif row.hops:
            chain = " -> ".join(hop.target for hop in row.hops)
            routes[row.principal] = f"can become an administrator through {chain}"
    return routes


def _edge_statement(data: Mapping) -> tuple[str | None, int | None]:
    for entry in (*data.get("granted_by", ()), *data.get("conditions", ())):
        if entry.get("layer") == "trust":
            return entry.get("sid"), entry.get("statement")
    return None, None


def _edge_needs(data: Mapping) -> str:
    keys = dict.fromkeys(c["key"] for r in data.get("conditions", ()) for c in r.get("conditions", ()))
    return f" (if the request carries {', '.join(keys)})" if keys else ""


def _outside_callers(scope: _Scope, role: str) -> Iterator[tuple[str, str, Mapping]]:
    """(caller node, how to name it, edge data) for each can_assume edge into ``role`` from outside the
    organization: any AWS principal, an outside account, a principal of one."""
    for source, _, key, data in scope.graph.in_edges(role, keys=True, data=True):
        if key != CAN_ASSUME:
            continue
        node = scope.graph.nodes[source]
        kind = node.get("kind")
        if kind == "anyone":
            yield source, "Any AWS principal", data
        elif kind in ("account", "external_principal") and node.get("external"):
            account = node.get("account") or account_of(source) or ""
            if account in scope.members:
                continue  # a member the snapshot does not hold is inside the organization
            who = f"Principals of account {account}" if kind == "account" else source
            yield source, f"{who} (outside the organization)", data


def _check_outside_admin(rule: Rule, scope: _Scope) -> Iterator[Finding]:
    routes = _admin_routes(scope)
    if not routes:
        return
    for role in scope.snapshot.all_roles():
        how = routes.get(role.arn)
        if how is None or role.arn not in scope.graph:
            continue
        for source, who, data in _outside_callers(scope, role.arn):
            sid, index = _edge_statement(data)
            message = f"{who} can assume {role.arn}{_edge_needs(data)}, which {how}."
            fix = (f"Confine the trust of {role.arn} (statement {_label(sid, index or 0)}) to the callers that need "
                   f"it, or take administrator access away from it and the roles it reaches.")
            yield scope.finding(rule, role, message, fix, sid=sid, index=index, subject=source, route=how)


def _check_workload_admin(rule: Rule, scope: _Scope) -> Iterator[Finding]:
    routes = _admin_routes(scope)
    if not routes:
        return
    for grant in scope.web_identity():
        how = routes.get(grant.role.arn)
        if how is None:
            continue
        who = oidc_subject(grant.provider, grant.requirements)
        label = _label(grant.sid, grant.statement)
        message = (f"Tokens of {grant.host} for {who} can assume {grant.role.arn} (statement {label}), and the "
                   f"role {how}.")
        fix = (f"Give {grant.role.name} only what the workload deploys (and no route to an administrator), and pin "
               f"statement {label} to one branch or environment.")
        yield scope.finding(rule, grant.role, message, fix, sid=grant.sid, index=grant.statement,
                            subject=grant.provider, route=how)


# -- IAM Identity Center --------------------------------------------------------------------------
#
# Read from the graph: an Identity Center user's node (kind "sso_user", graphiam.graph.schema.SSO_USER) has a
# can_assume edge to each permission set role it can sign in to, decided by the engine
# (graphiam.graph.identity_center); whether that role is an administrator is privesc's answer. Accounts the
# snapshot holds no file of are judged from the assignment: a permission set that attaches AdministratorAccess.

SSO_USER = "sso_user"
ADMINISTRATOR_ACCESS = "policy/AdministratorAccess"


def _admin_sign_ins(scope: _Scope, admins: set[str]) -> dict[str, dict[str, set[str]]]:
    """Identity Center user node -> account -> the permission sets through which it signs in as an administrator."""
    out: dict[str, dict[str, set[str]]] = {}
    for node, data in scope.graph.nodes(data=True):
        if data.get("kind") != SSO_USER:
            continue
        for _, role, key, edge in scope.graph.out_edges(node, keys=True, data=True):
            if key != CAN_ASSUME or role not in admins:
                continue
            evidence = edge.get("identity_center") or {}
            account = evidence.get("account") or account_of(role) or ""
            name = evidence.get("permission_set_name") or role.rsplit("/", 1)[-1]
            out.setdefault(node, {}).setdefault(account, set()).add(name)
    return out


def _admin_assignments_outside(scope: _Scope, center: Any) -> dict[str, dict[str, set[str]]]:
    """user id -> account -> permission set names, for assignments of a permission set attaching
    AdministratorAccess in accounts the snapshot holds no file of (what its role allows is not known)."""
    out: dict[str, dict[str, set[str]]] = {}
    permission_sets = getattr(center, "permission_sets", {}) or {}
    for assignment in getattr(center, "assignments", ()) or ():
        if assignment.account_id in scope.snapshot.accounts:
            continue
        permission_set = permission_sets.get(assignment.permission_set_arn)
        if permission_set is None or not any(arn.endswith(ADMINISTRATOR_ACCESS)
                                             for arn in getattr(permission_set, "managed_policy_arns", ()) or ()):
            continue
        users = ((assignment.principal_id,) if assignment.principal_type == "USER"
                 else tuple(center.members_of(assignment.principal_id)))
        for user_id in users:
            out.setdefault(user_id, {}).setdefault(assignment.account_id, set()).add(permission_set.name)
    return out


def _check_identity_center_admins(rule: Rule, scope: _Scope) -> Iterator[Finding]:
    center = getattr(scope.snapshot, "identity_center", None)
    if center is None:
        return  # the snapshot holds no IAM Identity Center data
    result = scope.privesc()
    if result is None:
        return
    signed = _admin_sign_ins(scope, set(result[0]))
    by_user_id = {scope.graph.nodes[node].get("user_id"): node for node in signed}
    nodes = {data.get("user_id"): node for node, data in scope.graph.nodes(data=True) if data.get("kind") == SSO_USER}
    assumed = _admin_assignments_outside(scope, center)
    for user_id in sorted(set(by_user_id) | set(assumed), key=str):
        node = nodes.get(user_id) or by_user_id.get(user_id) or f"identitystore user {user_id}"
        decided = signed.get(node, {})
        outside = assumed.get(user_id, {})
        accounts = sorted(set(decided) | set(outside))
        if len(accounts) <= scope.admin_accounts_limit:
            continue
        user = (getattr(center, "users", {}) or {}).get(user_id)
        shown = getattr(user, "user_name", None) or user_id
        sets = sorted({n for names in (*decided.values(), *outside.values()) for n in names})
        unknown = f"; in {', '.join(sorted(outside))} judged from the permission set (no account file)" if outside \
            else ""
        message = (f"IAM Identity Center user {shown} is an administrator in {len(accounts)} accounts "
                   f"({', '.join(accounts)}) through {', '.join(sets)}{unknown}; the limit is "
                   f"{scope.admin_accounts_limit}.")
        fix = (f"Keep {shown}'s administrator assignments to the accounts {shown} runs, and assign a narrower "
               f"permission set elsewhere.")
        yield Finding(rule.id, rule.severity, rule.level, None, None, message, fix, None, None, None, node,
                      getattr(center, "source", None),
                      {"user": shown, "accounts": accounts, "permission_sets": sets,
                       "judged_from_permission_set": sorted(outside)})


CHECKS: dict[str, Callable[[Rule, _Scope], Iterable[Finding]]] = {
    "public_trust": _check_public_trust,
    "oidc_audience": _check_oidc_audience,
    "oidc_any_subject": _check_oidc_any_subject,
    "oidc_broad_subject": _check_oidc_broad_subject,
    "external_without_external_id": _check_external_without_external_id,
    "service_without_source": _check_service_without_source,
    "dangling": _check_dangling,
    "external_account": _check_external_account,
    "outside_admin": _check_outside_admin,
    "workload_admin": _check_workload_admin,
    "identity_center_admins": _check_identity_center_admins,
}

_unknown = sorted({rule.check for rule in RULES} - set(CHECKS))
assert not _unknown, f"rules name checks that do not exist: {_unknown}"
