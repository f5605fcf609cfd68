"""The technique catalogue's shape: ids, kinds, services, resource templates, sources, and the families it covers.

These tests read :data:`graphiam.policy.techniques.TECHNIQUES` as data; how a
technique is decided is tested with the evaluator (``graphiam.graph.escalation``).
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from graphiam.policy import PASS_ROLE
from graphiam.policy.services import is_service_principal
from graphiam.policy.techniques import (
    INSTANCE_PROFILE_PERMISSIONS,
    KINDS,
    PASSED_TO_SERVICE,
    PLACEHOLDERS,
    REQUIRES_EXISTING_RESOURCE,
    TECHNIQUES,
    Permission,
    Technique,
    technique,
)

ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ACTION = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*:[A-Z][A-Za-z0-9]*$")
PATHFINDING_ID = re.compile(r"^(?P<service>[a-z0-9]+)-(?P<number>\d{3})$")

# Every id of DataDog's pathfinding.cloud catalogue, from the file names under data/paths/<service>/ and the
# newer data/paths/aws/<service>/ (the union of both): an id cited here must be one of them.
PATHFINDING_IDS = frozenset(
    [f"apprunner-00{n}" for n in (1, 2)]
    + [f"batch-00{n}" for n in (1, 2, 3)]
    + [f"bedrock-00{n}" for n in range(1, 8)]
    + ["braket-001", "codedeploy-001", "cognitoidentity-001", "datapipeline-001", "ec2instanceconnect-003",
       "emr-001", "emrserverless-001", "gamelift-001", "imagebuilder-001", "kinesisanalytics-001", "omics-001",
       "sts-001"]
    + [f"cloudformation-00{n}" for n in range(1, 6)]
    + [f"codebuild-00{n}" for n in range(1, 5)]
    + [f"ec2-00{n}" for n in range(1, 6)]
    + [f"ecs-00{n}" for n in range(1, 10)]
    + [f"glue-00{n}" for n in range(1, 8)]
    + [f"iam-{n:03d}" for n in range(1, 22)]
    + [f"lambda-00{n}" for n in range(1, 7)]
    + [f"sagemaker-00{n}" for n in range(1, 6)]
    + [f"ssm-00{n}" for n in (1, 2, 3)]
)

# Actions of the catalogue that support no resource-level permissions (the service authorization reference lists
# no resource type for them): their template must be exactly "*", and no other action's may be.
NO_RESOURCE_LEVEL = frozenset({
    "bedrock-agentcore:CreateCodeInterpreter",
    "cloudformation:CreateStackSet",
    "datapipeline:CreatePipeline",
    "elasticmapreduce:RunJobFlow",
    "emr-serverless:CreateApplication",
    "glue:CreateDevEndpoint",
    "lambda:CreateEventSourceMapping",
})

# (kind, the service the passed role must trust or None, actions one technique must need together): the families
# the catalogue must cover
REQUIRED = [
    ("pass_role", "ec2.amazonaws.com", {"ec2:RunInstances"}),
    ("pass_role", "ec2.amazonaws.com", {"ec2:RequestSpotInstances"}),
    ("pass_role", "ec2.amazonaws.com", {"autoscaling:CreateLaunchConfiguration", "autoscaling:CreateAutoScalingGroup"}),
    ("pass_role", "ec2.amazonaws.com", {"ec2:CreateLaunchTemplate", "autoscaling:CreateAutoScalingGroup"}),
    ("pass_role", "ec2.amazonaws.com", {"elasticmapreduce:RunJobFlow"}),
    ("pass_role", "lambda.amazonaws.com", {"lambda:CreateFunction", "lambda:InvokeFunction"}),
    ("pass_role", "lambda.amazonaws.com", {"lambda:CreateFunction", "lambda:CreateEventSourceMapping"}),
    ("pass_role", "lambda.amazonaws.com", {"lambda:CreateFunction", "lambda:AddPermission"}),
    ("pass_role", "cloudformation.amazonaws.com", {"cloudformation:CreateStack"}),
    ("pass_role", "cloudformation.amazonaws.com",
     {"cloudformation:CreateStackSet", "cloudformation:CreateStackInstances"}),
    ("pass_role", "cloudformation.amazonaws.com", {"cloudformation:UpdateStackSet"}),
    ("pass_role", "codebuild.amazonaws.com", {"codebuild:CreateProject", "codebuild:StartBuild"}),
    ("pass_role", "codebuild.amazonaws.com", {"codebuild:CreateProject", "codebuild:StartBuildBatch"}),
    ("pass_role", "glue.amazonaws.com", {"glue:CreateDevEndpoint"}),
    ("pass_role", "glue.amazonaws.com", {"glue:CreateJob", "glue:StartJobRun"}),
    ("pass_role", "glue.amazonaws.com", {"glue:CreateJob", "glue:CreateTrigger"}),
    ("pass_role", "glue.amazonaws.com", {"glue:UpdateJob", "glue:StartJobRun"}),
    ("pass_role", "glue.amazonaws.com", {"glue:CreateSession", "glue:RunStatement"}),
    ("pass_role", "sagemaker.amazonaws.com", {"sagemaker:CreateNotebookInstance"}),
    ("pass_role", "sagemaker.amazonaws.com", {"sagemaker:CreateTrainingJob"}),
    ("pass_role", "sagemaker.amazonaws.com", {"sagemaker:CreateProcessingJob"}),
    ("pass_role", "ecs-tasks.amazonaws.com", {"ecs:RegisterTaskDefinition", "ecs:RunTask"}),
    ("pass_role", "ecs-tasks.amazonaws.com", {"ecs:RegisterTaskDefinition", "ecs:StartTask"}),
    ("pass_role", "ecs-tasks.amazonaws.com", {"ecs:RegisterTaskDefinition", "ecs:CreateService"}),
    ("pass_role", "ecs-tasks.amazonaws.com", {"ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:RunTask"}),
    ("pass_role", "ecs-tasks.amazonaws.com", {"ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:CreateService"}),
    ("pass_role", "datapipeline.amazonaws.com",
     {"datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"}),
    ("pass_role", "ecs-tasks.amazonaws.com", {"batch:RegisterJobDefinition", "batch:SubmitJob"}),
    ("pass_role", "tasks.apprunner.amazonaws.com", {"apprunner:CreateService"}),
    ("pass_role", "ssm.amazonaws.com", {"ssm:StartAutomationExecution"}),
    ("pass_role", "emr-serverless.amazonaws.com", {"emr-serverless:StartJobRun"}),
    ("rewrite_trust", None, {"iam:UpdateAssumeRolePolicy"}),
    ("takeover", None, {"iam:CreateAccessKey"}),
    ("takeover", None, {"iam:CreateLoginProfile"}),
    ("takeover", None, {"iam:UpdateLoginProfile"}),
    ("self", None, {"iam:PutUserPolicy"}),
    ("self", None, {"iam:AttachUserPolicy"}),
    ("self", None, {"iam:PutRolePolicy"}),
    ("self", None, {"iam:AttachRolePolicy"}),
    ("self", None, {"iam:CreatePolicyVersion"}),
    ("self", None, {"iam:SetDefaultPolicyVersion"}),
    ("self", None, {"iam:AddUserToGroup"}),
    ("self", None, {"iam:PutGroupPolicy"}),
    ("self", None, {"iam:AttachGroupPolicy"}),
    ("self", None, {"iam:DeleteUserPermissionsBoundary"}),
    ("self", None, {"iam:DeleteRolePermissionsBoundary"}),
]

# (action, the template it must be decided on, who may use it) for the techniques on IAM principals
IAM_TARGETS = [
    ("iam:UpdateAssumeRolePolicy", "{role}", "any"),
    ("iam:CreateAccessKey", "{user}", "any"),
    ("iam:CreateLoginProfile", "{user}", "any"),
    ("iam:UpdateLoginProfile", "{user}", "any"),
    ("iam:PutUserPolicy", "{principal}", "user"),
    ("iam:AttachUserPolicy", "{principal}", "user"),
    ("iam:PutRolePolicy", "{principal}", "role"),
    ("iam:AttachRolePolicy", "{principal}", "role"),
    ("iam:CreatePolicyVersion", "{policy}", "any"),
    ("iam:SetDefaultPolicyVersion", "{policy}", "any"),
    ("iam:AddUserToGroup", "{group}", "user"),
    ("iam:PutGroupPolicy", "{group}", "user"),
    ("iam:AttachGroupPolicy", "{group}", "user"),
    ("iam:DeleteUserPermissionsBoundary", "{principal}", "user"),
    ("iam:DeleteRolePermissionsBoundary", "{principal}", "role"),
]


def every_permission(entry: Technique) -> tuple[Permission, ...]:
    return entry.permissions + tuple(p for option in entry.one_of for p in option)


def all_permissions() -> list[tuple[Technique, Permission]]:
    return [(entry, p) for entry in TECHNIQUES for p in every_permission(entry)] + [
        (technique("ec2-run-instances"), p) for p in INSTANCE_PROFILE_PERMISSIONS]


def test_the_dataclasses_keep_the_shape_the_evaluator_reads():
    assert [f.name for f in dataclasses.fields(Permission)] == ["action", "resource"]
    assert [f.name for f in dataclasses.fields(Technique)] == [
        "id", "name", "kind", "permissions", "service", "pathfinding", "one_of", "instance_profile", "caller", "note"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        TECHNIQUES[0].id = "other"  # type: ignore[misc]


def test_ids_are_unique_and_well_formed():
    ids = [entry.id for entry in TECHNIQUES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert [i for i in ids if not ID.match(i) or len(i) > 60] == []


def test_the_lookup_finds_each_id_and_refuses_others():
    for entry in TECHNIQUES:
        assert technique(entry.id) is entry
    with pytest.raises(KeyError):
        technique("no-such-technique")


def test_each_technique_is_complete():
    for entry in TECHNIQUES:
        assert entry.kind in KINDS, entry.id
        assert entry.name.strip() and entry.name == " ".join(entry.name.split()), entry.id
        assert entry.permissions, f"{entry.id} needs no permission"
        assert entry.caller in ("any", "user", "role"), entry.id
        assert all(option for option in entry.one_of), f"{entry.id} has an empty one_of set"
        assert len(set(entry.one_of)) == len(entry.one_of), f"{entry.id} repeats a one_of set"
        # the evaluator treats the instance profile as the alternatives; no entry needs both at once
        assert not (entry.one_of and entry.instance_profile), entry.id
        actions = [p.action for p in entry.permissions]
        assert len(actions) == len(set(actions)), f"{entry.id} lists an action twice"


def test_actions_are_spelled_as_aws_spells_them():
    wrong = sorted({p.action for _, p in all_permissions() if not ACTION.match(p.action)})
    assert wrong == []


def test_pass_techniques_name_a_service_principal_and_imply_pass_role():
    passes = [entry for entry in TECHNIQUES if entry.kind == "pass_role"]
    assert passes
    for entry in passes:
        assert entry.service and entry.service.endswith(".amazonaws.com"), entry.id
        assert is_service_principal(entry.service), entry.id
        assert all(p.action.lower() != PASS_ROLE.lower() for p in every_permission(entry)), entry.id


def test_instance_profile_techniques_pass_to_ec2():
    for entry in TECHNIQUES:
        if entry.instance_profile:
            assert entry.kind == "pass_role" and entry.service == "ec2.amazonaws.com", entry.id


def test_techniques_on_principals_have_no_service():
    for entry in TECHNIQUES:
        if entry.kind != "pass_role":
            assert entry.service is None, entry.id
            assert not entry.instance_profile, entry.id


def test_templates_use_only_the_documented_placeholders():
    for entry, permission in all_permissions():
        rest = permission.resource
        for placeholder in PLACEHOLDERS:
            rest = rest.replace(placeholder, "")
        assert "{" not in rest and "}" not in rest, f"{entry.id}: {permission}"
        assert "?" not in rest and "${" not in permission.resource, f"{entry.id}: {permission}"


def test_templates_are_a_placeholder_a_star_or_an_arn_of_the_callers_account():
    whole = {"*", "{role}", "{user}", "{principal}", "{policy}", "{group}"}
    for entry, permission in all_permissions():
        resource = permission.resource
        if resource in whole:
            continue
        assert resource.startswith("arn:{partition}:"), f"{entry.id}: {permission} (hard-coded partition?)"
        parts = resource.split(":", 5)
        assert len(parts) == 6, f"{entry.id}: {permission} is not an ARN"
        _, _, service, region, account, _ = parts
        assert account == "{account}", f"{entry.id}: {permission} (another account?)"
        # IAM is global (no region); every other resource may be in any region the caller chooses
        assert region == ("" if service == "iam" else "*"), f"{entry.id}: {permission} (a fixed region?)"


def test_resource_arns_belong_to_the_actions_service():
    for entry, permission in all_permissions():
        if permission.resource.startswith("arn:"):
            assert permission.resource.split(":")[2] == permission.action.split(":")[0], f"{entry.id}: {permission}"


def test_a_bare_star_marks_exactly_the_actions_without_resource_level_permissions():
    for entry, permission in all_permissions():
        if permission.action in NO_RESOURCE_LEVEL:
            assert permission.resource == "*", f"{entry.id}: {permission}"
        else:
            assert permission.resource != "*", f"{entry.id}: {permission} names no resource"


@pytest.mark.parametrize(("kind", "service", "actions"), REQUIRED,
                         ids=[f"{k}:{s or '-'}:{'+'.join(sorted(a))}" for k, s, a in REQUIRED])
def test_the_required_families_are_present(kind, service, actions):
    found = [entry.id for entry in TECHNIQUES
             if entry.kind == kind and entry.service == service
             and actions <= {p.action for p in entry.permissions}]
    assert found, f"no {kind} technique to {service} needing {sorted(actions)}"


@pytest.mark.parametrize(("action", "resource", "caller"), IAM_TARGETS, ids=[a for a, _, _ in IAM_TARGETS])
def test_techniques_on_principals_name_their_target(action, resource, caller):
    found = [entry for entry in TECHNIQUES if [p.action for p in entry.permissions] == [action]]
    assert len(found) == 1, f"expected one technique of {action} alone"
    entry = found[0]
    assert entry.permissions[0].resource == resource
    assert entry.caller == caller


def test_self_and_takeover_resources_match_their_kind():
    for entry in TECHNIQUES:
        resources = {p.resource for p in entry.permissions}
        if entry.kind == "takeover":
            assert resources == {"{user}"}, entry.id
        elif entry.kind == "rewrite_trust":
            assert resources == {"{role}"}, entry.id
        elif entry.kind == "self":
            assert resources <= {"{principal}", "{policy}", "{group}"}, entry.id
        else:
            assert not resources & {"{user}", "{principal}", "{policy}", "{group}"}, entry.id


def test_caller_matches_the_kind_of_principal_the_action_names():
    for entry in TECHNIQUES:
        names = {p.action.split(":")[1] for p in entry.permissions if p.resource == "{principal}"}
        if any("User" in n for n in names):
            assert entry.caller == "user", entry.id
        if any("Role" in n for n in names):
            assert entry.caller == "role", entry.id
        if entry.kind == "pass_role":
            assert entry.caller == "any", entry.id


def test_pathfinding_ids_are_unique_well_formed_and_exist():
    cited = [entry.pathfinding for entry in TECHNIQUES if entry.pathfinding is not None]
    assert len(cited) == len(set(cited)), sorted(c for c in cited if cited.count(c) > 1)
    assert [c for c in cited if not PATHFINDING_ID.match(c)] == []
    assert sorted(set(cited) - PATHFINDING_IDS) == []


def test_pathfinding_ids_belong_to_the_techniques_service():
    # pathfinding names its ids after the service directory; IAM techniques cite iam-NNN
    for entry in TECHNIQUES:
        if entry.pathfinding is None:
            continue
        service = PATHFINDING_ID.match(entry.pathfinding)["service"]
        prefixes = {p.action.split(":")[0].replace("-", "").replace("elasticmapreduce", "emr")
                    for p in entry.permissions}
        assert any(prefix.startswith(service) for prefix in prefixes), f"{entry.id} cites {entry.pathfinding}"


def test_the_helper_tables_name_techniques_of_the_catalogue():
    ids = {entry.id for entry in TECHNIQUES}
    assert set(REQUIRES_EXISTING_RESOURCE) <= ids
    assert all(text.strip() for text in REQUIRES_EXISTING_RESOURCE.values())
    assert set(PASSED_TO_SERVICE) <= ids
    for technique_id, passed_to in PASSED_TO_SERVICE.items():
        entry = technique(technique_id)
        assert entry.kind == "pass_role" and is_service_principal(passed_to)
        assert passed_to != entry.service


def test_a_note_is_written_where_the_catalogues_disagree_or_graphiam_chose():
    # the entries below are the ones whose sources disagree or where graphiam made a choice; each says so
    for technique_id, words in [
        ("emr-run-job-flow", "ec2.amazonaws.com"),
        ("batch-register-submit", "batch.amazonaws.com"),
        ("apprunner-create-service", "apprunner.amazonaws.com"),
        ("datapipeline-create-put-activate", "elasticmapreduce.amazonaws.com"),
        ("cloudformation-update-stack-set", "existing stack set"),
        ("glue-create-job-trigger", "glue:StartTrigger"),
        ("sagemaker-create-notebook-instance", "sagemaker:CreatePresignedNotebookInstanceUrl"),
        ("iam-create-policy-version", "AWS managed policies cannot be versioned"),
    ]:
        assert words in technique(technique_id).note, technique_id
    for technique_id in REQUIRES_EXISTING_RESOURCE:
        assert technique(technique_id).note, technique_id
