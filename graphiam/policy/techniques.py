"""The catalogue of privilege-escalation techniques: data, decided by the policy engine like any request.

A technique is what a principal must be allowed to do to end up with another
principal's permissions (or more of its own). Nothing here decides anything:
:mod:`graphiam.graph.escalation` asks the engine for each permission a
technique lists, as the real principal (identity policies, boundary, SCPs),
and for the ``iam:PassRole`` of a pass technique exactly as the ``can_pass``
edges are decided (the passed role must trust ``service``, rule 16-17).

Kinds:

``pass_role``
    Pass a role to a new resource of ``service`` that runs code the caller
    controls (an instance, a function, a job): the caller then acts as the
    role. Needs ``iam:PassRole`` on the role, to ``service``; that permission
    is implied by the kind and never listed in :attr:`Technique.permissions`.
``rewrite_trust``
    Rewrite a role's trust policy to name the caller, then assume it
    (``iam:UpdateAssumeRolePolicy``; a service-linked role's trust cannot be
    edited).
``takeover``
    Take over an IAM user: new access keys or a console password. The target
    is another user of the caller's account (``{user}``); the caller then has
    that user's permissions.
``self``
    Give oneself more permissions (a policy on oneself, a new version of a
    policy attached to oneself, a more privileged group, no boundary). There
    is no target principal: what is gained is whatever the caller then writes
    (up to everything), or the group's permissions.

Resource templates (:attr:`Permission.resource`) name what each action is
evaluated on, per the resource types of the AWS service authorization
reference:

* ``{role}`` the target role's ARN, ``{user}`` the target user's;
* ``{principal}`` the caller's own user or role ARN (for a role session, the
  role's ARN: IAM actions name the role, never the session);
* ``{policy}`` a customer managed policy attached to the caller, directly or
  through one of its groups (AWS managed policies cannot be changed);
* ``{group}`` a group of the caller's account: for ``iam:AddUserToGroup`` any
  group the caller is not in yet, for ``iam:PutGroupPolicy`` and
  ``iam:AttachGroupPolicy`` a group the caller is a member of;
* ``{partition}`` and ``{account}`` the caller's.

A ``*`` inside a template is a part the caller chooses (a new function's name,
the region): the action is allowed when some choice is (see
:func:`graphiam.policy.matching.glob_witness`). A template that is exactly
``*`` means something else: the action supports no resource-level permissions
(the reference lists no resource type for it), so AWS evaluates it on the
resource ``*`` and only a policy whose ``Resource`` matches the string ``*``
allows it. When an action has several required resource types (``ec2:RunInstances``
needs the instance, the image, the subnet ...), the template names the one
the caller creates or that policies scope in practice; only that one is asked.

``one_of`` lists alternative sets: the technique needs every permission of
``permissions`` and every permission of one set. ``instance_profile`` is a
second, independent requirement (the role is in an instance profile, or the
caller may create one: :data:`INSTANCE_PROFILE_PERMISSIONS`); no entry sets
both, so an evaluator that treats them as one list of alternatives stays
right, but they are meant to combine.

Sources: DataDog's pathfinding.cloud catalogue (the ``pathfinding`` ids, from
``data/paths/<service>/`` and the newer ``data/paths/aws/<service>/``), Rhino
Security Labs' "AWS IAM Privilege Escalation: Methods and Mitigation"
(2019), BishopFox's iam-vulnerable, and the service authorization reference
for each action's resource types. The entries are graphiam's own words. Where
the sources disagree, or where graphiam chose, the entry's ``note`` says what
graphiam chose and why; the note's first sentence is what the README table
shows (``python -m graphiam.present.catalogue``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["pass_role", "rewrite_trust", "takeover", "self"]

KINDS: tuple[str, ...] = ("pass_role", "rewrite_trust", "takeover", "self")

# the placeholders a resource template may use (and ``*``), see the module docstring
PLACEHOLDERS: tuple[str, ...] = ("{role}", "{user}", "{principal}", "{policy}", "{group}", "{partition}", "{account}")


@dataclass(frozen=True)
class Permission:
    """One action a technique needs, and the resource it is evaluated on (a template, see the module)."""

    action: str
    resource: str = "*"


@dataclass(frozen=True)
class Technique:
    """One way to escalate: the permissions it needs, all decided by the engine (see the module)."""

    id: str  # graphiam's id: stable, lower-case, e.g. "ec2-run-instances"
    name: str
    kind: Kind
    permissions: tuple[Permission, ...]  # every one is needed (iam:PassRole is implied by kind pass_role)
    service: str | None = None  # pass_role: the service principal the passed role must trust
    pathfinding: str | None = None  # pathfinding.cloud's id, e.g. "ec2-001"
    # and one of these sets too (e.g. invoke the new function, or give it a trigger); empty: nothing more
    one_of: tuple[tuple[Permission, ...], ...] = ()
    # EC2: the role must already be in an instance profile, or the caller may create one and add the role
    instance_profile: bool = False
    # who can use it: "user" or "role" for techniques on oneself that exist for one kind (iam:PutUserPolicy)
    caller: Literal["any", "user", "role"] = "any"
    note: str = ""


def _p(action: str, resource: str = "*") -> Permission:
    return Permission(action, resource)


# an instance profile for a role that has none (EC2 techniques); iam:AddRoleToInstanceProfile also checks
# iam:PassRole on the role, which a pass technique needs anyway
INSTANCE_PROFILE_PERMISSIONS: tuple[Permission, ...] = (
    _p("iam:CreateInstanceProfile", "arn:{partition}:iam::{account}:instance-profile/*"),
    _p("iam:AddRoleToInstanceProfile", "arn:{partition}:iam::{account}:instance-profile/*"),
)

# resource templates, by service (the service authorization reference's resource types)
_INSTANCE = "arn:{partition}:ec2:*:{account}:instance/*"
_SPOT_REQUEST = "arn:{partition}:ec2:*:{account}:spot-instances-request/*"
_LAUNCH_TEMPLATE = "arn:{partition}:ec2:*:{account}:launch-template/*"
_ASG = "arn:{partition}:autoscaling:*:{account}:autoScalingGroup:*:autoScalingGroupName/*"
_LAUNCH_CONFIGURATION = "arn:{partition}:autoscaling:*:{account}:launchConfiguration:*:launchConfigurationName/*"
_FUNCTION = "arn:{partition}:lambda:*:{account}:function:*"
_STACK = "arn:{partition}:cloudformation:*:{account}:stack/*/*"
_STACK_SET = "arn:{partition}:cloudformation:*:{account}:stackset/*:*"
_PROJECT = "arn:{partition}:codebuild:*:{account}:project/*"
_GLUE_JOB = "arn:{partition}:glue:*:{account}:job/*"
_GLUE_TRIGGER = "arn:{partition}:glue:*:{account}:trigger/*"
_GLUE_SESSION = "arn:{partition}:glue:*:{account}:session/*"
_NOTEBOOK = "arn:{partition}:sagemaker:*:{account}:notebook-instance/*"
_NOTEBOOK_LIFECYCLE = "arn:{partition}:sagemaker:*:{account}:notebook-instance-lifecycle-config/*"
_TRAINING_JOB = "arn:{partition}:sagemaker:*:{account}:training-job/*"
_PROCESSING_JOB = "arn:{partition}:sagemaker:*:{account}:processing-job/*"
_ECS_CLUSTER = "arn:{partition}:ecs:*:{account}:cluster/*"
_TASK_DEFINITION = "arn:{partition}:ecs:*:{account}:task-definition/*"
_ECS_SERVICE = "arn:{partition}:ecs:*:{account}:service/*/*"
_BATCH_JOB_DEFINITION = "arn:{partition}:batch:*:{account}:job-definition/*"
_BATCH_QUEUE = "arn:{partition}:batch:*:{account}:job-queue/*"
_BATCH_ENVIRONMENT = "arn:{partition}:batch:*:{account}:compute-environment/*"
_PIPELINE = "arn:{partition}:datapipeline:*:{account}:pipeline/*"
_APPRUNNER_SERVICE = "arn:{partition}:apprunner:*:{account}:service/*/*"
_EMR_SERVERLESS_APPLICATION = "arn:{partition}:emr-serverless:*:{account}:/applications/*"
_SSM_DOCUMENT = "arn:{partition}:ssm:*:{account}:document/*"
_CODE_INTERPRETER = "arn:{partition}:bedrock-agentcore:*:{account}:code-interpreter-custom/*"

_EC2 = "ec2.amazonaws.com"
_ECS_TASKS = "ecs-tasks.amazonaws.com"
_GLUE = "glue.amazonaws.com"
_SAGEMAKER = "sagemaker.amazonaws.com"
_LAMBDA = "lambda.amazonaws.com"
_CLOUDFORMATION = "cloudformation.amazonaws.com"
_CODEBUILD = "codebuild.amazonaws.com"

_PASS_ROLE: tuple[Technique, ...] = (
    # -- EC2 and what launches EC2 instances: the role reaches the instance through an instance profile --------
    Technique(
        "ec2-run-instances", "Pass a role to a new EC2 instance", "pass_role",
        (_p("ec2:RunInstances", _INSTANCE),),
        service=_EC2, pathfinding="ec2-001", instance_profile=True,
        note="The role needs an instance profile; unlike pathfinding ec2-001, graphiam also accepts a caller who "
             "may create one and add the role. The code runs from the instance's user data; "
             "ec2:RunInstances also checks the image, subnet and security group, and graphiam asks only about "
             "the instance.",
    ),
    Technique(
        "ec2-request-spot-instances", "Pass a role to a new EC2 Spot Instance", "pass_role",
        (_p("ec2:RequestSpotInstances", _SPOT_REQUEST),),
        service=_EC2, pathfinding="ec2-003", instance_profile=True,
        note="Like ec2-run-instances, through a Spot request (its launch specification names the instance "
             "profile and the user data).",
    ),
    Technique(
        "autoscaling-launch-configuration", "Pass a role to an Auto Scaling group through a launch configuration",
        "pass_role",
        (_p("autoscaling:CreateLaunchConfiguration", _LAUNCH_CONFIGURATION),
         _p("autoscaling:CreateAutoScalingGroup", _ASG)),
        service=_EC2, instance_profile=True,
        note="The role reaches EC2 through the instance profile the launch configuration names, so graphiam "
             "decides the pass to ec2.amazonaws.com. No pathfinding id (PMapper's Auto Scaling edges and "
             "HackTricks describe it). AWS no longer lets new accounts create launch configurations, so this "
             "counts mostly in older accounts.",
    ),
    Technique(
        "autoscaling-launch-template", "Pass a role to an Auto Scaling group through a new launch template",
        "pass_role",
        (_p("ec2:CreateLaunchTemplate", _LAUNCH_TEMPLATE),
         _p("autoscaling:CreateAutoScalingGroup", _ASG),
         _p("ec2:RunInstances", _INSTANCE)),
        service=_EC2, instance_profile=True,
        note="Creating the group checks the caller's own ec2:RunInstances, so such a caller also has "
             "ec2-run-instances. The EC2 Auto Scaling guide (launch template permissions) says both "
             "ec2:RunInstances and iam:PassRole are checked; the entry is kept so both routes are explained. "
             "No pathfinding id.",
    ),
    Technique(
        "emr-run-job-flow", "Pass an instance-profile role to a new EMR cluster", "pass_role",
        (_p("elasticmapreduce:RunJobFlow"),),
        service=_EC2, pathfinding="emr-001", instance_profile=True,
        note="graphiam counts the cluster's EC2 role, which trusts and is passed to ec2.amazonaws.com, not an "
             "EMR role. The steps run on the nodes with that role's credentials (JobFlowRole), and "
             "AmazonEMRFullAccessPolicy_v2 passes it with iam:PassedToService ec2.amazonaws.com. The cluster "
             "also needs an EMR service role the caller may pass to elasticmapreduce.amazonaws.com (pathfinding "
             "emr-001); graphiam does not check "
             "that second pass. elasticmapreduce:RunJobFlow supports no resource-level permissions.",
    ),
    # -- Lambda --------------------------------------------------------------------------------------------
    Technique(
        "lambda-create-invoke", "Pass a role to a new Lambda function and invoke it", "pass_role",
        (_p("lambda:CreateFunction", _FUNCTION),
         _p("lambda:InvokeFunction", _FUNCTION)),
        service=_LAMBDA, pathfinding="lambda-001",
    ),
    Technique(
        "lambda-create-event-source-mapping", "Pass a role to a new Lambda function and give it an event source",
        "pass_role",
        (_p("lambda:CreateFunction", _FUNCTION),
         _p("lambda:CreateEventSourceMapping")),
        service=_LAMBDA, pathfinding="lambda-002",
        note="Needs an existing stream or queue the role can read, which the snapshot does not show; graphiam "
             "counts the permissions only. The source is a DynamoDB or Kinesis stream or an SQS queue. "
             "lambda:CreateEventSourceMapping supports no resource-level permissions (lambda:FunctionArn is "
             "its condition key).",
    ),
    Technique(
        "lambda-create-add-permission", "Pass a role to a new Lambda function and let oneself invoke it",
        "pass_role",
        (_p("lambda:CreateFunction", _FUNCTION),
         _p("lambda:AddPermission", _FUNCTION)),
        service=_LAMBDA, pathfinding="lambda-006",
        note="The function's resource policy grants the invoke, so no identity Allow for lambda:InvokeFunction "
             "is needed. graphiam does not decide that invoke (pathfinding lambda-006), which an SCP could still "
             "deny.",
    ),
    # -- CloudFormation ------------------------------------------------------------------------------------
    Technique(
        "cloudformation-create-stack", "Pass a role to a new CloudFormation stack", "pass_role",
        (_p("cloudformation:CreateStack", _STACK),),
        service=_CLOUDFORMATION, pathfinding="cloudformation-001",
        note="The template's resources are created as the role (a user, an access key, a role that trusts the "
             "caller).",
    ),
    Technique(
        "cloudformation-create-stack-set", "Pass an administration role to a new stack set and deploy it",
        "pass_role",
        (_p("cloudformation:CreateStackSet"),
         _p("cloudformation:CreateStackInstances", _STACK_SET)),
        service=_CLOUDFORMATION, pathfinding="cloudformation-003",
        note="The passed role is the administration role; the template runs as the execution role it assumes, "
             "reached through its can_assume edges. The administration role trusts cloudformation.amazonaws.com "
             "and assumes the execution role in each target account. Self-managed stack sets only; "
             "cloudformation:CreateStackSet supports no resource-level permissions.",
    ),
    Technique(
        "cloudformation-update-stack-set", "Pass an administration role to an existing stack set with a new template",
        "pass_role",
        (_p("cloudformation:UpdateStackSet", _STACK_SET),),
        service=_CLOUDFORMATION, pathfinding="cloudformation-004",
        note="Needs an existing stack set with deployed instances, which the snapshot does not show; graphiam "
             "counts the permissions only. The id is in REQUIRES_EXISTING_RESOURCE. The update passes "
             "the administration role again, as in cloudformation-create-stack-set; without deployed "
             "instances the caller also needs cloudformation:CreateStackInstances (pathfinding "
             "cloudformation-004).",
    ),
    # -- CodeBuild -----------------------------------------------------------------------------------------
    Technique(
        "codebuild-create-project-start-build", "Pass a role to a new CodeBuild project and start a build",
        "pass_role",
        (_p("codebuild:CreateProject", _PROJECT),
         _p("codebuild:StartBuild", _PROJECT)),
        service=_CODEBUILD, pathfinding="codebuild-001",
    ),
    Technique(
        "codebuild-create-project-start-build-batch", "Pass a role to a new CodeBuild project and start a batch build",
        "pass_role",
        (_p("codebuild:CreateProject", _PROJECT),
         _p("codebuild:StartBuildBatch", _PROJECT)),
        service=_CODEBUILD, pathfinding="codebuild-004",
        note="The project must be created with a batch configuration; the build batch runs as the project's "
             "service role, like a single build.",
    ),
    # -- Glue ----------------------------------------------------------------------------------------------
    Technique(
        "glue-create-dev-endpoint", "Pass a role to a new Glue development endpoint", "pass_role",
        (_p("glue:CreateDevEndpoint"),),
        service=_GLUE, pathfinding="glue-001",
        note="No resource-level permissions, and AWS has replaced development endpoints with interactive "
             "sessions. The reference lists no resource type for glue:CreateDevEndpoint, though devEndpoint "
             "ARNs exist for the other endpoint actions. The service may refuse the call even where IAM allows "
             "it; glue-create-session-run-statement is the current route.",
    ),
    Technique(
        "glue-create-job-start-run", "Pass a role to a new Glue job and run it", "pass_role",
        (_p("glue:CreateJob", _GLUE_JOB),
         _p("glue:StartJobRun", _GLUE_JOB)),
        service=_GLUE, pathfinding="glue-003",
    ),
    Technique(
        "glue-create-job-trigger", "Pass a role to a new Glue job and start it with a trigger", "pass_role",
        (_p("glue:CreateJob", _GLUE_JOB),
         _p("glue:CreateTrigger", _GLUE_TRIGGER)),
        service=_GLUE, pathfinding="glue-004",
        note="Counts a scheduled trigger started on creation, as pathfinding glue-004 does; an on-demand one "
             "would also need glue:StartTrigger. A trigger created with StartOnCreation runs the job on its "
             "schedule with no further permission.",
    ),
    Technique(
        "glue-update-job-start-run", "Pass a role to an existing Glue job and run it", "pass_role",
        (_p("glue:UpdateJob", _GLUE_JOB),
         _p("glue:StartJobRun", _GLUE_JOB)),
        service=_GLUE, pathfinding="glue-005",
        note="Needs an existing Glue job, which the snapshot does not show: graphiam counts the permissions "
             "only. The update sets the job's role and script, so the job's former role does not matter.",
    ),
    Technique(
        "glue-update-job-trigger", "Pass a role to an existing Glue job and start it with a trigger", "pass_role",
        (_p("glue:UpdateJob", _GLUE_JOB),
         _p("glue:CreateTrigger", _GLUE_TRIGGER)),
        service=_GLUE, pathfinding="glue-006",
        note="Needs an existing Glue job, which the snapshot does not show: graphiam counts the permissions "
             "only. The trigger is counted as in glue-create-job-trigger.",
    ),
    Technique(
        "glue-create-session-run-statement", "Pass a role to a new Glue interactive session and run code in it",
        "pass_role",
        (_p("glue:CreateSession", _GLUE_SESSION),
         _p("glue:RunStatement", _GLUE_SESSION)),
        service=_GLUE, pathfinding="glue-007",
    ),
    # -- SageMaker -----------------------------------------------------------------------------------------
    Technique(
        "sagemaker-create-notebook-instance", "Pass a role to a new SageMaker notebook instance and reach it",
        "pass_role",
        (_p("sagemaker:CreateNotebookInstance", _NOTEBOOK),),
        service=_SAGEMAKER, pathfinding="sagemaker-001",
        one_of=((_p("sagemaker:CreatePresignedNotebookInstanceUrl", _NOTEBOOK),),
                (_p("sagemaker:CreateNotebookInstanceLifecycleConfig", _NOTEBOOK_LIFECYCLE),)),
        note="Needs a way to run code on the instance, which pathfinding sagemaker-001 leaves out: a presigned "
             "URL or one's own lifecycle configuration. "
             "Its required permissions are the pass and the creation only; opening Jupyter takes "
             "sagemaker:CreatePresignedNotebookInstanceUrl (HackTricks lists it with the creation), and the "
             "other way in is a lifecycle configuration of the caller's own, whose script runs when the "
             "instance starts.",
    ),
    Technique(
        "sagemaker-create-training-job", "Pass a role to a new SageMaker training job", "pass_role",
        (_p("sagemaker:CreateTrainingJob", _TRAINING_JOB),),
        service=_SAGEMAKER, pathfinding="sagemaker-002",
        note="The job runs a container image the caller names, with the role's credentials.",
    ),
    Technique(
        "sagemaker-create-processing-job", "Pass a role to a new SageMaker processing job", "pass_role",
        (_p("sagemaker:CreateProcessingJob", _PROCESSING_JOB),),
        service=_SAGEMAKER, pathfinding="sagemaker-003",
        note="Like sagemaker-create-training-job; the id is in pathfinding's data/paths/sagemaker/ only, not "
             "in the newer data/paths/aws/sagemaker/.",
    ),
    # -- ECS: the task role trusts ecs-tasks.amazonaws.com --------------------------------------------------
    Technique(
        "ecs-register-run-task", "Pass a role to a new ECS task definition and run it", "pass_role",
        (_p("ecs:RegisterTaskDefinition", _TASK_DEFINITION),
         _p("ecs:RunTask", _TASK_DEFINITION)),
        service=_ECS_TASKS, pathfinding="ecs-004",
        note="Needs an existing cluster (ecs-create-cluster-register-run-task creates one). On Fargate the "
             "task may also name an execution role, a second pass that pulling a public image does not need.",
    ),
    Technique(
        "ecs-create-cluster-register-run-task", "Create an ECS cluster and run a new task definition with a role",
        "pass_role",
        (_p("ecs:CreateCluster", _ECS_CLUSTER),
         _p("ecs:RegisterTaskDefinition", _TASK_DEFINITION),
         _p("ecs:RunTask", _TASK_DEFINITION)),
        service=_ECS_TASKS, pathfinding="ecs-002",
    ),
    Technique(
        "ecs-register-start-task", "Pass a role to a new ECS task definition and start it on a container instance",
        "pass_role",
        (_p("ecs:RegisterTaskDefinition", _TASK_DEFINITION),
         _p("ecs:StartTask", _TASK_DEFINITION)),
        service=_ECS_TASKS, pathfinding="ecs-005",
        note="Needs a cluster with a registered EC2 container instance, which the snapshot does not show: "
             "graphiam counts the permissions only.",
    ),
    Technique(
        "ecs-register-create-service", "Pass a role to a new ECS task definition and run it as a service",
        "pass_role",
        (_p("ecs:RegisterTaskDefinition", _TASK_DEFINITION),
         _p("ecs:CreateService", _ECS_SERVICE)),
        service=_ECS_TASKS, pathfinding="ecs-003",
        note="Needs an existing cluster (ecs-create-cluster-register-create-service creates one).",
    ),
    Technique(
        "ecs-create-cluster-register-create-service",
        "Create an ECS cluster and run a new task definition with a role as a service", "pass_role",
        (_p("ecs:CreateCluster", _ECS_CLUSTER),
         _p("ecs:RegisterTaskDefinition", _TASK_DEFINITION),
         _p("ecs:CreateService", _ECS_SERVICE)),
        service=_ECS_TASKS, pathfinding="ecs-001",
    ),
    Technique(
        "ecs-run-task-override", "Run an existing ECS task definition with another task role", "pass_role",
        (_p("ecs:RunTask", _TASK_DEFINITION),),
        service=_ECS_TASKS, pathfinding="ecs-008",
        note="Needs an existing task definition and cluster, which the snapshot does not show: graphiam counts "
             "the permissions only. The run's overrides replace the task role and the command; ECS also checks "
             "iam:PassRole on the definition's execution role, which graphiam does not.",
    ),
    Technique(
        "ecs-start-task-override", "Start an existing ECS task definition with another task role", "pass_role",
        (_p("ecs:StartTask", _TASK_DEFINITION),),
        service=_ECS_TASKS, pathfinding="ecs-009",
        note="Like ecs-run-task-override, on an existing EC2 container instance (pathfinding ecs-009).",
    ),
    # -- Batch, Data Pipeline, App Runner, EMR Serverless, Systems Manager, Bedrock AgentCore ---------------
    Technique(
        "batch-register-submit", "Pass a role to a new Batch job definition and submit a job", "pass_role",
        (_p("batch:RegisterJobDefinition", _BATCH_JOB_DEFINITION),
         _p("batch:SubmitJob", _BATCH_QUEUE)),
        service=_ECS_TASKS, pathfinding="batch-001",
        note="graphiam chooses ecs-tasks.amazonaws.com, where pathfinding batch-001 says batch.amazonaws.com "
             "and batch-003 ecs-tasks.amazonaws.com. A container job's "
             "jobRoleArn is an ECS task role, whose credentials ECS hands to the container. Needs an existing "
             "job queue; batch:SubmitJob is asked on the queue only, though AWS also checks the job definition.",
    ),
    Technique(
        "batch-create-queue-register-submit",
        "Create a Batch compute environment and job queue, then submit a job with a role", "pass_role",
        (_p("batch:CreateComputeEnvironment", _BATCH_ENVIRONMENT),
         _p("batch:CreateJobQueue", _BATCH_QUEUE),
         _p("batch:RegisterJobDefinition", _BATCH_JOB_DEFINITION),
         _p("batch:SubmitJob", _BATCH_QUEUE)),
        service=_ECS_TASKS, pathfinding="batch-003",
        note="Like batch-register-submit with no existing queue; pathfinding batch-003 agrees on "
             "ecs-tasks.amazonaws.com. A Fargate job also names an execution role, a second pass graphiam "
             "does not check.",
    ),
    Technique(
        "datapipeline-create-put-activate", "Pass a role to a new Data Pipeline and activate it", "pass_role",
        (_p("datapipeline:CreatePipeline"),
         _p("datapipeline:PutPipelineDefinition", _PIPELINE),
         _p("datapipeline:ActivatePipeline", _PIPELINE)),
        service="datapipeline.amazonaws.com", pathfinding="datapipeline-001",
        note="Counts the pipeline role trusting datapipeline.amazonaws.com; pathfinding datapipeline-001 also "
             "accepts elasticmapreduce.amazonaws.com. The shell commands run on the "
             "pipeline's EC2 resource as its resource role (an instance-profile role trusting "
             "ec2.amazonaws.com), a second pass graphiam does not check. AWS closed Data Pipeline to new "
             "customers in 2024.",
    ),
    Technique(
        "apprunner-create-service", "Pass an instance role to a new App Runner service", "pass_role",
        (_p("apprunner:CreateService", _APPRUNNER_SERVICE),),
        service="tasks.apprunner.amazonaws.com", pathfinding="apprunner-001",
        note="The role must trust tasks.apprunner.amazonaws.com, but the pass goes to apprunner.amazonaws.com "
             "(PASSED_TO_SERVICE). The trust is pathfinding apprunner-001's; AWSAppRunnerFullAccess conditions "
             "iam:PassRole on apprunner.amazonaws.com. graphiam decides the pass with the trusted principal, so "
             "a PassRole Allow conditioned on apprunner.amazonaws.com is not seen as allowing it.",
    ),
    Technique(
        "emr-serverless-start-job-run", "Pass an execution role to a job run of a new EMR Serverless application",
        "pass_role",
        (_p("emr-serverless:CreateApplication"),
         _p("emr-serverless:StartJobRun", _EMR_SERVERLESS_APPLICATION)),
        service="emr-serverless.amazonaws.com", pathfinding="emrserverless-001",
        note="The job's script must be readable from S3 by the execution role. "
             "emr-serverless:CreateApplication supports no resource-level permissions.",
    ),
    Technique(
        "ssm-start-automation", "Pass a role to an SSM Automation runbook of one's own", "pass_role",
        (_p("ssm:CreateDocument", _SSM_DOCUMENT),
         _p("ssm:StartAutomationExecution", _SSM_DOCUMENT)),
        service="ssm.amazonaws.com", pathfinding="ssm-003",
        note="The runbook's aws:executeScript step runs the caller's Python as the AutomationAssumeRole "
             "(pathfinding ssm-003). Starting a runbook someone else wrote, without ssm:CreateDocument, is not "
             "counted. ssm:StartAutomationExecution is asked on the document (the reference also requires the "
             "automation-execution resource).",
    ),
    Technique(
        "bedrock-agentcore-code-interpreter", "Pass a role to a new Bedrock AgentCore code interpreter and run code",
        "pass_role",
        (_p("bedrock-agentcore:CreateCodeInterpreter"),
         _p("bedrock-agentcore:StartCodeInterpreterSession", _CODE_INTERPRETER),
         _p("bedrock-agentcore:InvokeCodeInterpreter", _CODE_INTERPRETER)),
        service="bedrock-agentcore.amazonaws.com", pathfinding="bedrock-001",
        note="The code reads the execution role's credentials from the interpreter's metadata service "
             "(pathfinding bedrock-001). bedrock-agentcore:CreateCodeInterpreter supports no resource-level "
             "permissions.",
    ),
)

_REWRITE_TRUST: tuple[Technique, ...] = (
    Technique(
        "iam-update-assume-role-policy", "Rewrite a role's trust policy to trust oneself", "rewrite_trust",
        (_p("iam:UpdateAssumeRolePolicy", "{role}"),),
        pathfinding="iam-012",
        note="The new trust names the caller's own ARN, so the assume needs no identity Allow in the caller's "
             "account (pathfinding iam-012); graphiam decides that assume with the rewritten trust.",
    ),
)

_TAKEOVER: tuple[Technique, ...] = (
    Technique(
        "iam-create-access-key", "Create an access key for another IAM user", "takeover",
        (_p("iam:CreateAccessKey", "{user}"),),
        pathfinding="iam-002",
        note="A target that already has two keys also needs iam:DeleteAccessKey (pathfinding iam-003), which "
             "graphiam does not ask for. A user can hold two access keys and the snapshot does not count them.",
    ),
    Technique(
        "iam-create-login-profile", "Give another IAM user a console password", "takeover",
        (_p("iam:CreateLoginProfile", "{user}"),),
        pathfinding="iam-004",
        note="Only for a user with no console password yet (iam-update-login-profile otherwise). A target "
             "with MFA still needs its MFA device to sign in where its policies require MFA.",
    ),
    Technique(
        "iam-update-login-profile", "Change another IAM user's console password", "takeover",
        (_p("iam:UpdateLoginProfile", "{user}"),),
        pathfinding="iam-006",
        note="Only for a user that has a console password (iam-create-login-profile otherwise). The snapshot "
             "does not say which users have one, so both are asked.",
    ),
)

_SELF: tuple[Technique, ...] = (
    Technique(
        "iam-put-user-policy", "Write an inline policy on oneself (user)", "self",
        (_p("iam:PutUserPolicy", "{principal}"),),
        pathfinding="iam-007", caller="user",
    ),
    Technique(
        "iam-attach-user-policy", "Attach a managed policy to oneself (user)", "self",
        (_p("iam:AttachUserPolicy", "{principal}"),),
        pathfinding="iam-008", caller="user",
        note="Any existing managed policy will do, AdministratorAccess included, unless an iam:PolicyARN "
             "condition narrows which.",
    ),
    Technique(
        "iam-put-role-policy", "Write an inline policy on one's own role", "self",
        (_p("iam:PutRolePolicy", "{principal}"),),
        pathfinding="iam-005", caller="role",
        note="Decided on the role's ARN: the session calls it, and the new policy applies to the role's next "
             "requests.",
    ),
    Technique(
        "iam-attach-role-policy", "Attach a managed policy to one's own role", "self",
        (_p("iam:AttachRolePolicy", "{principal}"),),
        pathfinding="iam-009", caller="role",
        note="As iam-attach-user-policy, for a role.",
    ),
    Technique(
        "iam-create-policy-version", "Write a new default version of a policy attached to oneself", "self",
        (_p("iam:CreatePolicyVersion", "{policy}"),),
        pathfinding="iam-001",
        note="Only a customer managed policy attached to the caller or one of its groups: AWS managed policies "
             "cannot be versioned. The new version can be made the default in the same call, without "
             "iam:SetDefaultPolicyVersion; a policy that already has five versions also needs "
             "iam:DeletePolicyVersion.",
    ),
    Technique(
        "iam-set-default-policy-version", "Make another version of a policy attached to oneself the default",
        "self",
        (_p("iam:SetDefaultPolicyVersion", "{policy}"),),
        note="Helps only if a non-default version grants more, which the snapshot (default versions only) "
             "cannot show. graphiam reports the permission, not the gain. No pathfinding id (Rhino Security "
             "Labs, method 2).",
    ),
    Technique(
        "iam-add-user-to-group", "Add oneself to a group", "self",
        (_p("iam:AddUserToGroup", "{group}"),),
        pathfinding="iam-013", caller="user",
        note="The caller gains the group's policies; {group} is any group of the account it is not in yet.",
    ),
    Technique(
        "iam-put-group-policy", "Write an inline policy on one's own group", "self",
        (_p("iam:PutGroupPolicy", "{group}"),),
        pathfinding="iam-011", caller="user",
        note="{group} is a group the caller is a member of.",
    ),
    Technique(
        "iam-attach-group-policy", "Attach a managed policy to one's own group", "self",
        (_p("iam:AttachGroupPolicy", "{group}"),),
        pathfinding="iam-010", caller="user",
        note="{group} is a group the caller is a member of; any existing managed policy will do unless an "
             "iam:PolicyARN condition narrows which.",
    ),
    Technique(
        "iam-delete-user-permissions-boundary", "Remove one's own permissions boundary (user)", "self",
        (_p("iam:DeleteUserPermissionsBoundary", "{principal}"),),
        caller="user",
        note="The caller then has all that its identity policies grant, which is a gain only where the "
             "boundary removed something. No pathfinding id.",
    ),
    Technique(
        "iam-delete-role-permissions-boundary", "Remove one's own role's permissions boundary", "self",
        (_p("iam:DeleteRolePermissionsBoundary", "{principal}"),),
        caller="role",
        note="As iam-delete-user-permissions-boundary, for a role. No pathfinding id.",
    ),
    Technique(
        "iam-put-user-permissions-boundary", "Replace one's own permissions boundary with a broader one (user)",
        "self",
        (_p("iam:PutUserPermissionsBoundary", "{principal}"),),
        caller="user",
        note="Like removing the boundary, when a broader managed policy may be set (an iam:PermissionsBoundary "
             "condition can pin which). No pathfinding id.",
    ),
    Technique(
        "iam-put-role-permissions-boundary", "Replace one's own role's permissions boundary with a broader one",
        "self",
        (_p("iam:PutRolePermissionsBoundary", "{principal}"),),
        caller="role",
        note="As iam-put-user-permissions-boundary, for a role. No pathfinding id.",
    ),
)

TECHNIQUES: tuple[Technique, ...] = _PASS_ROLE + _REWRITE_TRUST + _TAKEOVER + _SELF

# Techniques that also need a resource of the account the snapshot does not hold (a cluster, a job, a stack
# set, an event source): the permissions are decided, the resource's existence is not.
REQUIRES_EXISTING_RESOURCE: dict[str, str] = {
    "lambda-create-event-source-mapping": "a stream or queue the passed role can read",
    "cloudformation-update-stack-set": "a self-managed stack set with deployed instances",
    "glue-update-job-start-run": "a Glue job",
    "glue-update-job-trigger": "a Glue job",
    "ecs-register-run-task": "an ECS cluster",
    "ecs-register-create-service": "an ECS cluster",
    "ecs-register-start-task": "an ECS cluster with a registered EC2 container instance",
    "ecs-run-task-override": "an ECS cluster and a task definition",
    "ecs-start-task-override": "an ECS cluster with an EC2 container instance, and a task definition",
    "batch-register-submit": "a Batch job queue with a compute environment",
    "iam-set-default-policy-version": "a non-default version of the policy that grants more",
}

# Where AWS sets iam:PassedToService to another value than the principal the passed role must trust. The
# can_pass edges are decided with ``Technique.service`` (the trusted principal); these are what a PassRole
# condition on iam:PassedToService would see instead.
PASSED_TO_SERVICE: dict[str, str] = {
    "apprunner-create-service": "apprunner.amazonaws.com",
}

# actions a principal must be allowed on every resource to count as an administrator: an Allow of "*" (or of
# every service) is what passes them all; "graphiam:AnyAction" is matched only by a wildcard that covers every
# action, and the others catch a Deny of a whole service that AdministratorAccess alone would not show
ADMIN_PROBES: tuple[str, ...] = (
    "graphiam:AnyAction", "iam:PutRolePolicy", "iam:CreateUser", "sts:AssumeRole", "ec2:RunInstances",
    "s3:GetObject", "lambda:CreateFunction", "organizations:LeaveOrganization", "kms:Decrypt",
)


def technique(technique_id: str) -> Technique:
    """The technique with this id (``KeyError`` otherwise)."""
    for entry in TECHNIQUES:
        if entry.id == technique_id:
            return entry
    raise KeyError(technique_id)
