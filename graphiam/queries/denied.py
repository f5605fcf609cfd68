"""Parse pasted AWS "not authorized" errors for role assumption and role passing.

The core sentence this module understands (AWS prints it for ``sts:AssumeRole``,
``sts:AssumeRoleWithSAML``, ``sts:AssumeRoleWithWebIdentity``, ``sts:TagSession``,
``iam:PassRole`` and most other actions; any ``service:Action`` is accepted) is::

    User: <caller ARN> is not authorized to perform: <action>[ on resource: <resource ARN>][<tail>]

where the optional ``<tail>`` is one of::

     because no <policy type> allows the <action> action
     with an explicit deny in a[n] <policy type>[: <policy ARN or p- id>]

Policy types (``DeniedMessage.policy_type``)
--------------------------------------------

The phrase AWS prints is read into this vocabulary (:data:`POLICY_TYPES`):

    identity-based policy    -> "identity"
    resource-based policy    -> "trust"                 on a role ARN, or for an action whose resource is
                                                        a role (the role's trust policy)
                                "resource_policy"       otherwise (a bucket, key, queue ... policy)
    trust policy             -> "trust"
    permissions boundary     -> "permissions_boundary"
    service control policy   -> "scp"
    resource control policy  -> "rcp"
    session policy           -> "session_policy"        the policy passed with AssumeRole/GetFederationToken
    VPC endpoint policy      -> "vpc_endpoint_policy"   the policy of the VPC endpoint the call went through
    bucket/key/queue/... policy -> "resource_policy"    a resource-based policy that is not a role trust policy
    anything else            -> None                    (the effect is still reported)

graphiam models the first five layers only; :data:`MODELLED_POLICY_TYPES` lists
them (``DeniedMessage.policy_type_modelled`` tests membership), so a caller can say
"graphiam cannot see a session policy" without matching strings, and
:data:`POLICY_TYPE_NAMES` gives each type's words.

Wrappers
--------

The sentence may sit anywhere in the pasted text, so these are fine (each has a
test): surrounding quotes or backticks, single or double quotes or backticks
around each ARN (Terraform and the Go SDK quote them), a UTF-8 byte order mark,
CRLF or CR line ends, zero-width spaces, Terraform's ``│`` diagnostic borders,
``botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling
the X operation: ...`` (boto3 and the AWS CLI), the Go SDK v2's ``operation error
STS: AssumeRole, https response error StatusCode: 403, RequestID: ..., api error
AccessDenied: ...`` and v1's trailing ``status code: 403, request id: ...``,
Terraform's ``Error: ...`` lines around either, the Java SDK's ``(Service: Sts,
Status Code: 403, Request ID: ...)`` (v2) and ``(Service: AWSLambda; Status Code:
400; ...)`` (v1), CloudFormation's ``Resource handler returned message: "..."``
and ``API: ec2:RunInstances ...`` stack events, AWSPowerShell / AWS.Tools error
records (``Publish-LMFunction : ...``, ``At line:1 char:1``, ``+ CategoryInfo``,
``+ FullyQualifiedErrorId : Amazon.Lambda.AmazonLambdaException,...``), a CloudTrail
record or any JSON document holding the message in a string (``errorMessage``,
``message``, ``ResourceStatusReason``), a JSON fragment with escaped quotes
(``"errorMessage": "... on resource: \\"arn:...\\" ..."``), leading prose such as
``You are not authorized to perform this operation.``, a trailing ``Encoded
authorization failure message: ...`` and a trailing period. Whitespace (line
breaks included) between words may be of any length.

Hard wraps. A terminal (or PowerShell's console) may break a long line inside an
ARN: ``arn:aws:iam::1111\\n  22222222:role/De\\nploy``. A line break (with any
indentation) right after an ARN is joined with the next run of ARN characters
when either

* the ARN before the break is incomplete (``arn:aws:iam::1111``, ``...:role/``,
  ``...:assumed-role/Name``: it cannot end there) and the joined text is still an
  ARN or the start of one, or
* the ARN before the break is complete, the joined text is a well-formed ARN, the
  continuation is not one of the words that follow an ARN in these messages
  (:data:`_WRAP_STOP_WORDS`: ``is``, ``because``, ``with``, ``Encoded``,
  ``status``, ...), and what follows the continuation ends an ARN: the end of the
  text, a line break, a quote or bracket, or one of the phrases that follow an
  ARN in these messages (``is not authorized``, ``because``, ``with an explicit
  deny``, ``Encoded authorization``, ``status code``, ``(Service:``).

So ``role/Deploy\\nbecause no ...`` keeps ``Deploy``, while ``role/De\\nploy
because no ...`` is read as ``Deploy``. A role whose name really is split at a
stop word (``Deploy`` + ``with``) is read short; a break inside ``arn:`` itself
is not joined. A break inside the action (``iam:\\nPassRole``, ``iam:Pass\\nRole``,
as PowerShell's console wraps) is joined when ``on resource``, ``on this
resource``, ``because``, ``with an explicit`` or the end of the text follows.

Service and operation of the wrapper
------------------------------------

``DeniedMessage.operation`` is the API operation the wrapper names: ``when
calling the CreateFunction operation``, ``operation error Lambda:
CreateFunction``, ``API: ec2:RunInstances`` or a CloudTrail ``eventName``
(``CreateFunction20150331`` is read as ``CreateFunction``). For an
``iam:PassRole`` denial, ``DeniedMessage.service`` is the service principal that
was to receive the role, looked up in :data:`PASS_ROLE_SERVICES` from what the
wrapper names: the SDK client (``(Service: Lambda``, ``(Service: AWSLambda;``,
``operation error Lambda:``, a CloudTrail ``eventSource``, a CloudFormation
``AWS::Lambda::...`` type, a .NET ``Amazon.Lambda.`` exception, a PowerShell
``Cmdlets.LM.`` namespace, a Java ``services.lambda.model`` package) and the
operation. See :func:`pass_role_service` for the lookup rules. ``None`` for other
actions and when the text does not say.

Other decisions worth knowing:

* ARNs are matched with the IAM name characters ``[A-Za-z0-9+=,.@_-]`` plus
  ``/`` and ``:``, so quotes, brackets and backslashes around them are ignored
  (IAM paths using other printable characters are therefore not supported).
* One ``.`` ending the last unquoted ARN of the sentence (the resource when there
  is no tail, or the appended policy ARN) is taken as the full stop, so a role
  named ``Deploy.`` must be written ``.../Deploy..`` (or quoted) when the sentence
  ends there. A quoted ARN is taken as quoted.
* For the actions whose resource is a role (``sts:AssumeRole*``, ``sts:TagSession``,
  ``sts:SetSourceIdentity``, ``sts:SetContext``, ``iam:PassRole``) the caller and
  the resource must be ARNs. For any other action the message is read as far as
  it goes: ``resource`` is ``""`` when there is none (``on this resource``, no
  ``on resource:`` part, or not an ARN; an empty string rather than ``None`` so
  callers that look the resource up before checking the action get "no such
  principal" rather than a crash) and ``caller`` is the word the message
  names when it is not an ARN (``anonymous``). Rejecting those actions is the
  caller's job (:func:`graphiam.queries.answer.answer_why`).
* ``Not authorized to perform sts:AssumeRoleWithWebIdentity`` (no ARNs) and
  other unreadable texts raise :class:`DeniedMessageError`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterator, NamedTuple

__all__ = [
    "MODELLED_POLICY_TYPES",
    "PASS_ROLE_SERVICES",
    "POLICY_TYPES",
    "POLICY_TYPE_NAMES",
    "SHARED_OPERATIONS",
    "DeniedMessage",
    "DeniedMessageError",
    "PassRoleService",
    "parse_denied_message",
    "pass_role_service",
]

# --- vocabulary --------------------------------------------------------------------------------

#: Every value ``DeniedMessage.policy_type`` takes besides ``None``.
POLICY_TYPES: tuple[str, ...] = (
    "identity",
    "trust",
    "permissions_boundary",
    "scp",
    "rcp",
    "session_policy",
    "vpc_endpoint_policy",
    "resource_policy",
)

#: The policy types graphiam evaluates (``graphiam.policy.decision.Layer``); a message blaming
#: any other type names a policy graphiam cannot see.
MODELLED_POLICY_TYPES: frozenset[str] = frozenset(POLICY_TYPES[:5])

#: Each policy type in words, as AWS names it.
POLICY_TYPE_NAMES: dict[str, str] = {
    "identity": "identity-based policy",
    "trust": "trust policy",
    "permissions_boundary": "permissions boundary",
    "scp": "service control policy",
    "rcp": "resource control policy",
    "session_policy": "session policy",
    "vpc_endpoint_policy": "VPC endpoint policy",
    "resource_policy": "resource-based policy",
}

# Phrases (lower case, hyphens as spaces) -> policy type. "resource based policy" is decided by
# the action (see _policy_type). A phrase matches when equal to a key or ending in one.
_POLICY_PHRASES: dict[str, str] = {
    "identity based policy": "identity",
    "permissions boundary": "permissions_boundary",
    "permission boundary": "permissions_boundary",
    "service control policy": "scp",
    "resource control policy": "rcp",
    "trust policy": "trust",
    "session policy": "session_policy",
    "vpc endpoint policy": "vpc_endpoint_policy",
    "endpoint policy": "vpc_endpoint_policy",
    "bucket policy": "resource_policy",
    "key policy": "resource_policy",
    "queue policy": "resource_policy",
    "topic policy": "resource_policy",
    "access point policy": "resource_policy",
    "repository policy": "resource_policy",
}
_RESOURCE_BASED = "resource based policy"

# Actions whose resource is a role: the caller and the resource must be ARNs.
_ROLE_ACTIONS = frozenset({
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
    "iam:passrole",
})


# --- the service principal of an iam:PassRole denial --------------------------------------------


class PassRoleService(NamedTuple):
    """One row of :data:`PASS_ROLE_SERVICES`."""

    principal: str  # the service principal that receives the role
    sdk_names: tuple[str, ...]  # how SDKs, CloudTrail, CloudFormation and PowerShell name the client
    operations: tuple[str, ...]  # API operations that pass a role to ``principal``


#: Operation name / SDK service name -> the service principal an ``iam:PassRole`` is for.
#: SDK names are compared case-insensitively without spaces, dots and hyphens, and an
#: ``AWS``/``Amazon`` prefix may be added (``AWSLambda``, ``AmazonEC2`` and ``Amazon.Lambda``
#: all mean ``Lambda``). The first row naming an SDK service is that service's default.
#: App Runner: the instance role (``tasks.apprunner``) is the role an App Runner service runs
#: as and the one usually passed; a denial for the ECR access role needs
#: ``--service build.apprunner.amazonaws.com``.
PASS_ROLE_SERVICES: tuple[PassRoleService, ...] = (
    PassRoleService("lambda.amazonaws.com",
                    ("Lambda", "AWSLambdaInternal", "LM"),
                    ("CreateFunction", "UpdateFunctionConfiguration")),
    PassRoleService("ec2.amazonaws.com",
                    ("EC2",),
                    ("RunInstances", "RequestSpotInstances", "AssociateIamInstanceProfile",
                     "ReplaceIamInstanceProfileAssociation")),
    PassRoleService("ecs-tasks.amazonaws.com",
                    ("ECS",),
                    ("RegisterTaskDefinition", "RunTask", "StartTask")),
    # the service's load-balancer role and the ECS infrastructure role (EBS volumes, VPC Lattice)
    PassRoleService("ecs.amazonaws.com",
                    ("ECS",),
                    ("CreateService", "UpdateService")),
    PassRoleService("cloudformation.amazonaws.com",
                    ("CloudFormation", "CFN"),
                    ("CreateStack", "UpdateStack", "DeleteStack", "CreateChangeSet", "CreateStackSet",
                     "UpdateStackSet")),
    PassRoleService("autoscaling.amazonaws.com",
                    ("AutoScaling", "AS"),
                    ("CreateAutoScalingGroup", "UpdateAutoScalingGroup", "CreateLaunchConfiguration")),
    PassRoleService("glue.amazonaws.com",
                    ("Glue",),
                    ("CreateJob", "UpdateJob", "CreateCrawler", "UpdateCrawler", "CreateDevEndpoint",
                     "CreateSession", "CreateMLTransform", "UpdateMLTransform")),
    PassRoleService("sagemaker.amazonaws.com",
                    ("SageMaker", "SM"),
                    ("CreateTrainingJob", "CreateProcessingJob", "CreateHyperParameterTuningJob",
                     "CreateModel", "CreateNotebookInstance", "UpdateNotebookInstance", "CreateAutoMLJob",
                     "CreateAutoMLJobV2", "CreateCompilationJob", "CreateLabelingJob", "CreateDomain",
                     "UpdateDomain", "CreateUserProfile", "UpdateUserProfile", "CreatePipeline",
                     "UpdatePipeline", "CreateFlowDefinition")),
    PassRoleService("codebuild.amazonaws.com",
                    ("CodeBuild", "CB"),
                    ("CreateProject", "UpdateProject", "StartBuild", "StartBuildBatch")),
    PassRoleService("codepipeline.amazonaws.com",
                    ("CodePipeline", "CP"),
                    ("CreatePipeline", "UpdatePipeline")),
    PassRoleService("batch.amazonaws.com",
                    ("Batch", "BAT"),
                    ("CreateComputeEnvironment", "UpdateComputeEnvironment")),
    PassRoleService("elasticmapreduce.amazonaws.com",
                    ("EMR", "ElasticMapReduce"),
                    ("RunJobFlow",)),
    PassRoleService("states.amazonaws.com",
                    ("SFN", "StepFunctions", "States"),
                    ("CreateStateMachine", "UpdateStateMachine")),
    PassRoleService("datapipeline.amazonaws.com",
                    ("DataPipeline", "DP"),
                    ("PutPipelineDefinition", "ActivatePipeline")),
    PassRoleService("tasks.apprunner.amazonaws.com",
                    ("AppRunner", "AAR"),
                    ("CreateService", "UpdateService")),
    PassRoleService("eks.amazonaws.com",
                    ("EKS",),
                    ("CreateCluster",)),
)

#: Operations that other AWS services (not in the table) also have and that pass a role there
#: too (Redshift and DAX ``CreateCluster``, MediaConvert and S3 Batch ``CreateJob``, DataBrew
#: ``CreateProject``, DataZone ``CreateDomain``): named without their service they map to nothing.
#: An operation two rows list (``CreateService``: ECS or App Runner) is treated the same way.
SHARED_OPERATIONS: frozenset[str] = frozenset({"CreateCluster", "CreateJob", "CreateProject", "CreateDomain"})


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _row_names(row: PassRoleService) -> frozenset[str]:
    """A row's SDK names, normalized, plus its principal's service label (``ecs-tasks`` -> ``ecstasks``)."""
    label = row.principal.removesuffix(".amazonaws.com").split(".")[-1]
    return frozenset(map(_norm, (*row.sdk_names, label)))


_ROW_NAMES = tuple(_row_names(row) for row in PASS_ROLE_SERVICES)


def _rows_of_service(sdk_service: str) -> list[int]:
    """The rows of the SDK service ``sdk_service`` (its default first); ``[]`` when unknown."""
    key = _norm(sdk_service).removesuffix("amazonawscom")  # a CloudTrail eventSource
    for candidate in (key, *(key[len(p):] for p in ("amazon", "aws") if key.startswith(p))):
        rows = [i for i, names in enumerate(_ROW_NAMES) if candidate in names]
        if rows:
            return rows
    return []


def _rows_of_operation(operation: str) -> list[int]:
    key = _norm(operation)
    return [i for i, row in enumerate(PASS_ROLE_SERVICES) if key in map(_norm, row.operations)]


def pass_role_service(sdk_service: str | None = None, operation: str | None = None) -> str | None:
    """The service principal an ``iam:PassRole`` made by ``operation`` of ``sdk_service`` is for.

    * Both named: the row of that service listing the operation, else the service's default
      row (the first naming it); ``None`` when the service is not in :data:`PASS_ROLE_SERVICES`
      (a service graphiam does not know is not guessed from the operation's name).
    * Only the operation: the one row listing it; ``None`` when several rows list it or it is
      in :data:`SHARED_OPERATIONS`.
    * Only the service: its default row.
    """
    if sdk_service:
        rows = _rows_of_service(sdk_service)
        if not rows:
            return None
        listing = [i for i in _rows_of_operation(operation) if i in rows] if operation else []
        return PASS_ROLE_SERVICES[(listing or rows)[0]].principal
    if operation:
        rows = _rows_of_operation(operation)
        if len(rows) != 1 or _norm(operation) in map(_norm, SHARED_OPERATIONS):
            return None
        return PASS_ROLE_SERVICES[rows[0]].principal
    return None


# --- patterns ----------------------------------------------------------------------------------

_ARN_CHARS = "A-Za-z0-9+=,.@_/:-"
_ARN = rf"arn:[{_ARN_CHARS}]+"
_ACTION = r"[A-Za-z0-9-]+:[A-Za-z0-9*]+"
_QUOTES = "\"'`\u2018\u2019\u201c\u201d"
_Q = f"[{_QUOTES}]"

# Patterns below run on text whose whitespace runs were collapsed to one space.
_HEAD = re.compile(
    rf"\bUser: ?(?P<caller>\S+?) is not authorized to perform:? ?{_Q}?(?P<action>{_ACTION}){_Q}?",
    re.IGNORECASE,
)
_ON_RESOURCE = re.compile(r" ?on resource: ?", re.IGNORECASE)
_ON_THIS_RESOURCE = re.compile(r" ?on this resource\b", re.IGNORECASE)
_QUOTED_ARN = re.compile(rf"{_Q}(?P<arn>arn:[^{_QUOTES}]*?){_Q}")
_BARE_ARN = re.compile(rf"{_Q}?(?P<arn>{_ARN})")
_NON_ARN_RESOURCE = re.compile(r"\S+")
_IMPLICIT = re.compile(
    r" ?because no (?P<words>[A-Za-z][A-Za-z -]*?) allows?\b", re.IGNORECASE
)
_EXPLICIT = re.compile(
    r" ?with an explicit deny"
    r"(?: in an? (?P<words>(?:[A-Za-z]+[ -])*?(?:policy|policies|boundary))\b)?"
    rf"(?: ?[:(] ?(?P<open>{_Q})?(?P<policy>{_ARN}|p-[0-9a-z]+\b)(?P<close>{_Q})?)?",
    re.IGNORECASE,
)

# Wrappers that name the SDK client (group svc) and/or the API operation (group op).
_WRAPPERS: tuple[re.Pattern[str], ...] = (
    re.compile(r"when calling the (?P<op>[A-Za-z0-9]+) operation", re.IGNORECASE),
    re.compile(r"operation error (?P<svc>[A-Za-z0-9][A-Za-z0-9 .-]*?): (?P<op>[A-Za-z0-9]+)\b"),
    re.compile(r"\(Service: ?(?P<svc>[A-Za-z0-9][A-Za-z0-9 .-]*?) ?[;,)]", re.IGNORECASE),
    re.compile(r"\bAPI: (?P<svc>[a-z0-9-]+):(?P<op>[A-Za-z0-9]+)\b"),
    re.compile(r"\bAWS::(?P<svc>[A-Za-z0-9]+)::"),
    re.compile(r"\bAmazon\.PowerShell\.Cmdlets\.(?P<svc>[A-Za-z0-9]+)\."),
    re.compile(r"\bAmazon\.(?!PowerShell\b|Runtime\b)(?P<svc>[A-Za-z0-9]+)\.(?:Model\.)?[A-Za-z0-9]*Exception\b"),
    re.compile(r"\bservices\.(?P<svc>[a-z0-9]+)\.model\b"),
    # a CloudTrail record: eventSource and eventName, in either order, close together in one record
    re.compile(r"\"eventSource\" ?: ?\"(?P<svc>[a-z0-9.-]+)\"(?:[^{}]{0,400}?\"eventName\" ?: ?\"(?P<op>[A-Za-z0-9]+)\")?"),
    re.compile(r"\"eventName\" ?: ?\"(?P<op>[A-Za-z0-9]+)\"(?:[^{}]{0,400}?\"eventSource\" ?: ?\"(?P<svc>[a-z0-9.-]+)\")?"),
)
_CLOUDTRAIL_VERSION = re.compile(r"(?<=[a-z])\d{8}(?:v\d+)?$")

# --- hard wraps inside ARNs --------------------------------------------------------------------

_WRAP = re.compile(
    rf"(?<![{_ARN_CHARS}])(?P<arn>arn:[{_ARN_CHARS}]*)(?P<ws>[ \t]*\n[ \t]*)(?P<cont>[{_ARN_CHARS}]+)"
)
#: Words that follow an ARN in the supported messages: never glued onto a complete ARN.
_WRAP_STOP_WORDS = frozenset({"is", "because", "with", "encoded", "status", "at", "api", "error", "service"})
_ENDS_ARN = re.compile(
    rf"$|[ \t]*(?:\n|$)|[ \t]*[{_QUOTES}()\[\]{{}}<>|,;\\]"
    r"|[ \t]+(?:is not authorized|because\b|with an explicit deny|encoded authorization|status code|\(service)",
    re.IGNORECASE,
)
_PARTITION = (r"aws(?:-[a-z]+)*", r"a(?:w(?:s(?:-[a-z]*)*)?)?|")
_SERVICE = (r"[a-z0-9-]+", r"[a-z0-9-]*")
_REGION = (r"[a-z0-9-]*", r"[a-z0-9-]*")
_ACCOUNT = (r"[0-9]{12}|aws|", r"[0-9]{0,12}|a|aw|aws")


def _arn_state(text: str) -> str:
    """``"complete"``, ``"partial"`` (the start of an ARN that cannot end here) or ``"bad"``."""
    parts = text.split(":", 5)
    if parts[0] != "arn":
        return "bad"
    for index, (whole, start) in enumerate((_PARTITION, _SERVICE, _REGION, _ACCOUNT), start=1):
        if index >= len(parts):
            break
        if not re.fullmatch(start if index == len(parts) - 1 else whole, parts[index]):
            return "bad"
    if len(parts) < 6:
        return "partial"
    service, resource = parts[2], parts[5]
    if not resource or resource[-1] in "/:":
        return "partial"
    if service in ("iam", "sts") and resource != "root":
        if "/" not in resource:
            return "partial"
        if resource.startswith("assumed-role/") and resource.count("/") < 2:
            return "partial"
    return "complete"


_ACTION_WRAP = re.compile(
    rf"(?P<head>perform:?[ \t\n]*{_Q}?[A-Za-z0-9-]+:[A-Za-z0-9*]*)[ \t]*\n[ \t]*(?P<cont>[A-Za-z0-9*]+)"
    rf"(?={_Q}?(?:\s+(?:on (?:this )?resource|because|with an explicit)\b|\s*$))",
    re.IGNORECASE,
)


def _join_wrapped_arns(text: str) -> str:
    """Join the hard wraps inside ARNs (rules in the module docstring) and inside the action."""
    text = _ACTION_WRAP.sub(lambda m: m["head"] + m["cont"], text)
    position = 0
    while match := _WRAP.search(text, position):
        prefix, cont = match["arn"], match["cont"]
        joined = prefix + cont
        state = _arn_state(prefix)
        if cont.lower().startswith("arn:") or state == "bad":
            join = False
        elif state == "partial":
            join = _arn_state(joined) != "bad"
        else:
            join = (cont.lower().rstrip(".,") not in _WRAP_STOP_WORDS
                    and _arn_state(joined) == "complete"
                    and _ENDS_ARN.match(text, match.end("cont")) is not None)
        if join:
            text = text[: match.start("ws")] + text[match.end("ws"):]
            position = match.start()
        else:
            position = match.start("cont")
    return text


# --- text clean-up -----------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None)
_BORDERS = dict.fromkeys(map(ord, "\u2502\u2577\u2575\u2503"), " ")  # Terraform's │ ╷ ╵
_JSON_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|([\"\\/bfnrt]))")
_JSON_SIMPLE = {'"': '"', "\\": "\\", "/": "/", "b": " ", "f": " ", "n": "\n", "r": "\n", "t": "\t"}
_PHRASE = re.compile(r"not authorized to perform", re.IGNORECASE)
_CONTEXT_KEYS = ("eventSource", "eventName", "ResourceType", "LogicalResourceId")


def _unescape(text: str) -> str:
    """Undo JSON string escapes (up to three levels deep) in a fragment that is not whole JSON."""
    for _ in range(3):
        if not re.search(r"\\[\"\\/nrtu]", text):
            break
        text = _JSON_ESCAPE.sub(
            lambda m: chr(int(m[1], 16)) if m[1] else _JSON_SIMPLE[m[2]], text
        )
    return text


def _json_strings(value: object, context: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """Every string in a JSON value, with the sibling context keys of the object holding it."""
    if isinstance(value, dict):
        here = dict(context)
        here.update({k: v for k, v in value.items() if k in _CONTEXT_KEYS and isinstance(v, str)})
        for item in value.values():
            yield from _json_strings(item, here)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item, context)
    elif isinstance(value, str):
        yield value, context


def _from_json(text: str) -> tuple[str, str] | None:
    """The message string of a whole JSON document, and a text of its context keys."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[\"":
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    for string, context in _json_strings(value, {}):
        if _PHRASE.search(string):
            nested = _from_json(string)
            if nested is not None:
                return nested
            return string, " ".join(f'"{k}": "{v}"' for k, v in context.items())
    return None


def _clean(text: str) -> tuple[str, str]:
    """The text to read the sentence from (line ends ``\\n``) and extra wrapper text."""
    text = text.translate(_INVISIBLE)
    if text.startswith("\u00ef\u00bb\u00bf"):  # a BOM read as Latin-1
        text = text[3:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    extra = ""
    found = _from_json(text)
    if found is not None:
        text, extra = found
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    else:
        text = _unescape(text)
    text = text.translate(_BORDERS)
    return _join_wrapped_arns(text), extra


# --- the parsed message ------------------------------------------------------------------------

_NOT_DENIED = (
    "not an AccessDenied message: expected "
    "'User: <ARN> is not authorized to perform: <action> on resource: <ARN>'"
)


class DeniedMessageError(ValueError):
    """The text could not be read as an AccessDenied message."""


@dataclass(frozen=True)
class DeniedMessage:
    """The parts of one AccessDenied message.

    ``caller``, ``action`` and ``resource`` are as the message names them (``resource`` is
    ``""`` only for actions whose resource is not a role, when the message names no ARN).
    ``policy_type`` is one of :data:`POLICY_TYPES` or ``None``; ``effect`` is
    ``"implicit_deny"``, ``"explicit_deny"`` or ``None`` (no tail); ``policy_arn`` is the
    denying policy's ARN or bare ``p-`` id when the message appends it. ``service`` is, for
    ``iam:PassRole``, the service principal the role was being passed to when the message or
    its wrapper says (:data:`PASS_ROLE_SERVICES`); ``operation`` the API operation the wrapper
    names (``CreateFunction``).
    """

    caller: str
    action: str
    resource: str
    policy_type: str | None
    effect: str | None
    policy_arn: str | None
    service: str | None = None
    operation: str | None = None

    @property
    def policy_type_modelled(self) -> bool | None:
        """Whether graphiam evaluates the blamed policy type (``None`` when none is named)."""
        return None if self.policy_type is None else self.policy_type in MODELLED_POLICY_TYPES


def _policy_type(words: str | None, action: str, resource: str | None) -> str | None:
    if not words:
        return None
    phrase = " ".join(words.lower().replace("-", " ").split())
    if phrase == _RESOURCE_BASED or phrase.endswith(" " + _RESOURCE_BASED):
        on_role = resource is not None and re.match(r"arn:[^:]*:iam::[^:]*:role/", resource) is not None
        return "trust" if on_role or action.lower() in _ROLE_ACTIONS else "resource_policy"
    for key, value in _POLICY_PHRASES.items():
        if phrase == key or phrase.endswith(" " + key) or phrase.startswith(key + " "):
            return value
    return None


def _drop_full_stop(arn: str) -> str:
    return arn[:-1] if arn.endswith(".") else arn


def _explain_failure(text: str) -> str:
    if not _PHRASE.search(text):
        return _NOT_DENIED
    if not re.search(rf"\bUser: ?{_Q}?{_ARN}", text, re.IGNORECASE):
        return "the AccessDenied message names no caller ARN (no 'User: <ARN>' part)"
    if not re.search(rf"on resource: ?{_Q}?{_ARN}", text, re.IGNORECASE):
        return (
            "the AccessDenied message names no resource ARN "
            "(no 'on resource: <ARN>' part)"
        )
    return _NOT_DENIED


def _read_resource(flat: str, position: int) -> tuple[str | None, bool, int]:
    """The resource after the action: (ARN or None, whether it was quoted, end position)."""
    on = _ON_RESOURCE.match(flat, position)
    if on is None:
        this = _ON_THIS_RESOURCE.match(flat, position)
        return None, False, this.end() if this else position
    start = on.end()
    quoted = _QUOTED_ARN.match(flat, start)
    if quoted and not (" " in quoted["arn"] and quoted["arn"].split(":")[2:3] in (["iam"], ["sts"])):
        return quoted["arn"].strip(), True, quoted.end()
    bare = _BARE_ARN.match(flat, start)
    if bare:
        end = bare.end()
        if end < len(flat) and flat[end] in _QUOTES:
            end += 1
        return bare["arn"], False, end
    other = _NON_ARN_RESOURCE.match(flat, start)
    return None, False, other.end() if other else start


def parse_denied_message(text: str) -> DeniedMessage:
    """Read caller, action, resource, the blamed policy layer and the wrapper's service from ``text``.

    Raises :class:`DeniedMessageError` when the text is not such a message.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    cleaned, extra = _clean(text)
    flat = " ".join(cleaned.split())

    head = _HEAD.search(flat)
    if head is None:
        raise DeniedMessageError(_explain_failure(flat))
    action = head["action"]
    strict = action.lower() in _ROLE_ACTIONS
    caller = head["caller"].strip(_QUOTES)
    if not re.fullmatch(_ARN, caller):
        if strict or not caller:
            raise DeniedMessageError(_explain_failure(flat))
    resource, quoted, end = _read_resource(flat, head.end())
    if resource is None and strict:
        raise DeniedMessageError(
            "the AccessDenied message names no resource ARN (no 'on resource: <ARN>' part)"
        )

    policy_type: str | None = None
    effect: str | None = None
    policy_arn: str | None = None
    if tail := _IMPLICIT.match(flat, end):
        effect = "implicit_deny"
        policy_type = _policy_type(tail["words"], action, resource)
    elif tail := _EXPLICIT.match(flat, end):
        effect = "explicit_deny"
        policy_type = _policy_type(tail["words"], action, resource)
        if tail["policy"]:
            quoted_policy = tail["open"] and tail["close"]
            policy_arn = tail["policy"] if quoted_policy else _drop_full_stop(tail["policy"])
    elif resource is not None and not quoted:
        resource = _drop_full_stop(resource)

    service, operation = _service_and_operation(flat, extra, head.start(), end, action)
    return DeniedMessage(
        caller=caller,
        action=action,
        resource=resource or "",
        policy_type=policy_type,
        effect=effect,
        policy_arn=policy_arn,
        service=service,
        operation=operation,
    )


def _service_and_operation(flat: str, extra: str, start: int, end: int,
                           action: str) -> tuple[str | None, str | None]:
    """The PassRole service principal and the operation named by the wrappers nearest the sentence.

    ``start``/``end`` delimit the sentence in ``flat``; wrappers found in ``extra`` (the context
    keys of a JSON record) count as farther than any in ``flat``.
    """
    found: list[tuple[int, int, str | None, str | None]] = []  # (distance, order, service, operation)
    for source, beyond in ((flat, 0), (" ".join(extra.split()), len(flat) + 1)):
        for pattern in _WRAPPERS:
            for match in pattern.finditer(source):
                svc, op = match.groupdict().get("svc"), match.groupdict().get("op")
                if op:
                    op = _CLOUDTRAIL_VERSION.sub("", op)
                if svc and op and svc.lower() == "iam" and op.lower() == "passrole":
                    continue  # CloudFormation's "API: iam:PassRole" names the denied action
                if beyond:
                    distance = beyond + match.start()
                elif match.end() <= start:
                    distance = start - match.end()
                else:
                    distance = max(match.start() - end, 0)
                found.append((distance, len(found), svc, op))
    found.sort(key=lambda f: (f[0], f[1]))

    operation = next((op for _, _, _, op in found if op), None)
    service: str | None = None
    if action.lower() == "iam:passrole":
        service = next((s for _, _, svc, op in found if (s := pass_role_service(svc, op))), None)
    return service, operation
