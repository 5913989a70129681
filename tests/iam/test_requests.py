"""Each row of the request table, decided against template.yaml's own roles as AWS would:
allowed on the happy path, denied one step off it (other cluster, untagged instance, other
bucket prefix, ...). iam-simulate decides; these tests fix what AWS evaluates."""

from typing import Any

import pytest
from iam_harness import BUCKET, MACHINE, MANAGED, OTHER_CLUSTER, TAGGED, TOPIC, UNTAGGED, make_authorizer

from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.iam import Authorizer, UnmappedOperation
from netaudit_local.iam.requests import TABLE, Request, World, requests_for
from netaudit_local.stack import MACHINE_NAME, function_arn

ECS = f"arn:aws:ecs:{REGION}:{ACCOUNT}"
TASK = f"{ECS}:task/default/0123456789abcdef0123456789abcdef"
PROD_TASK = f"{ECS}:task/prod/0123456789abcdef0123456789abcdef"
CI = f"{ECS}:container-instance/default/11111111222233334444555555555555"
TD = f"{ECS}:task-definition/netaudit-canary-none:3"
TDS = f"{ECS}:task-definition"
CANARY_FAMILY = "netaudit-canary-none"
FINDING_PRODUCT = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"
# A Distributed Map's children (SAR resource types "labelled express" and "labelled execution")
STATES = f"arn:aws:states:{REGION}:{ACCOUNT}"
EXPRESS_CHILD = f"{STATES}:express:{MACHINE_NAME}/ProbeHosts:1a2b3c4d-0000-4000-8000-000000000001:0f0e0d0c"
STANDARD_CHILD = f"{STATES}:execution:{MACHINE_NAME}/ProbeHosts:1a2b3c4d-0000-4000-8000-000000000001"
SIBLING = f"{STATES}:execution:{MACHINE_NAME}:events-0123456789ab"  # another audit of this machine
MEMBER_ROLE = "arn:aws:iam::222222222222:role/ecs-netaudit-member"

# (role, service, operation, params, denied resource or None when allowed)
CASES: list[tuple[str, str, str, dict[str, Any], str | None]] = [
    ("PrepareFunction", "ecs", "DescribeClusters", {"clusters": ["default"]}, None),
    ("PrepareFunction", "ecs", "DescribeClusters", {"clusters": ["prod"]}, f"{ECS}:cluster/prod"),
    # ListClusters only with ClusterName * (tests/iam/test_cluster_scope.py)
    ("ResolveHostsFunction", "ecs", "ListClusters", {}, "*"),
    # ListAccounts only with MemberAccounts * (tests/iam/test_hub_organization.py)
    ("PrepareFunction", "organizations", "ListAccounts", {}, "*"),
    # on the ARN of the revision it registers (SAR: task-definition), the canary families only
    ("RegisterTaskDefinitionFunction", "ecs", "RegisterTaskDefinition", {"family": CANARY_FAMILY}, None),
    ("RegisterTaskDefinitionFunction", "ecs", "RegisterTaskDefinition", {"family": "app"}, f"{TDS}/app:1"),
    (
        "RunTaskFunction",
        "ecs",
        "RegisterTaskDefinition",
        {"family": CANARY_FAMILY},
        f"{TDS}/{CANARY_FAMILY}:1",
    ),
    ("RunTaskFunction", "ecs", "RunTask", {"cluster": "default", "taskDefinition": TD}, None),
    ("RunTaskFunction", "ecs", "RunTask", {"cluster": "prod", "taskDefinition": TD}, TD),
    (
        "RunTaskFunction",
        "ecs",
        "RunTask",
        {"cluster": "default", "taskDefinition": f"{ECS}:task-definition/app:1"},
        f"{ECS}:task-definition/app:1",
    ),
    ("DescribeTaskFunction", "ecs", "DescribeTasks", {"cluster": "default", "tasks": [TASK]}, None),
    ("DescribeTaskFunction", "ecs", "DescribeTasks", {"cluster": "prod", "tasks": [PROD_TASK]}, PROD_TASK),
    # a task named by its id is authorized on its full ARN
    ("DescribeTaskFunction", "ecs", "DescribeTasks", {"cluster": "default", "tasks": [TASK[-32:]]}, None),
    ("ResolveHostsFunction", "ecs", "ListTasks", {"cluster": "default", "desiredStatus": "RUNNING"}, None),
    # the wrong cluster in ecs:cluster is denied on "*"
    ("ResolveHostsFunction", "ecs", "ListTasks", {"cluster": "prod"}, "*"),
    ("StopCanaryFunction", "ecs", "ListTasks", {"cluster": "default", "startedBy": "netaudit-x"}, None),
    ("StopCanaryFunction", "ecs", "ListTasks", {"cluster": f"{ECS}:cluster/prod", "startedBy": "x"}, "*"),
    # a cluster named by ARN: ecs:cluster is that ARN (same cluster in another account: denied)
    ("StopCanaryFunction", "ecs", "ListTasks", {"cluster": f"{ECS}:cluster/default"}, None),
    (
        "StopCanaryFunction",
        "ecs",
        "ListTasks",
        {"cluster": "arn:aws:ecs:us-east-1:210987654321:cluster/default"},
        "*",
    ),
    ("ResolveHostsFunction", "ecs", "DescribeTasks", {"cluster": "default", "tasks": [TASK]}, None),
    (
        "ResolveHostsFunction",
        "ecs",
        "DescribeContainerInstances",
        {"cluster": "default", "containerInstances": [CI]},
        None,
    ),
    (
        "ResolveHostsFunction",
        "ecs",
        "DescribeContainerInstances",
        {"cluster": "prod", "containerInstances": [CI.replace("/default/", "/prod/")]},
        CI.replace("/default/", "/prod/"),
    ),
    ("ResolveHostsFunction", "ecs", "DescribeTaskDefinition", {"taskDefinition": TD}, None),
    ("RegisterTaskDefinitionFunction", "ecs", "DescribeTaskDefinition", {"taskDefinition": TD}, None),
    ("RegisterTaskDefinitionFunction", "ecs", "ListTaskDefinitions", {"familyPrefix": "netaudit-c"}, None),
    ("RunTaskFunction", "ecs", "ListTaskDefinitions", {}, "*"),
    ("ResolveHostsFunction", "ssm", "DescribeInstanceInformation", {"MaxResults": 50}, None),
    ("ResolveHostsFunction", "s3", "PutObject", {"Bucket": BUCKET, "Key": "runs/x/resolved.json"}, None),
    (
        "ResolveHostsFunction",
        "s3",
        "PutObject",
        {"Bucket": BUCKET, "Key": "audits/x.json"},
        f"arn:aws:s3:::{BUCKET}/audits/x.json",
    ),
    (
        "SendProbeFunction",
        "ssm",
        "SendCommand",
        {"DocumentName": "netaudit-probe", "InstanceIds": [TAGGED]},
        None,
    ),
    (
        "SendProbeFunction",
        "ssm",
        "SendCommand",
        {"DocumentName": "netaudit-probe", "InstanceIds": [TAGGED], "OutputS3BucketName": BUCKET},
        None,
    ),
    # an ECS Anywhere container instance (SSM managed instance), tagged
    (
        "SendProbeFunction",
        "ssm",
        "SendCommand",
        {"DocumentName": "netaudit-probe", "InstanceIds": [MANAGED]},
        None,
    ),
    (
        "SendProbeFunction",
        "ssm",
        "SendCommand",
        {"DocumentName": "netaudit-probe", "InstanceIds": [UNTAGGED]},
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{UNTAGGED}",
    ),
    (
        "SendProbeFunction",
        "ssm",
        "SendCommand",
        {"DocumentName": "netaudit-probe", "InstanceIds": [OTHER_CLUSTER]},
        f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{OTHER_CLUSTER}",
    ),
    (
        "SendProbeFunction",
        "ssm",
        "SendCommand",
        {"DocumentName": "any-shell", "InstanceIds": [TAGGED]},
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/any-shell",
    ),
    (
        "SendProbeFunction",
        "ssm",
        "SendCommand",
        {"DocumentName": "netaudit-probe", "InstanceIds": [TAGGED], "OutputS3BucketName": "elsewhere"},
        "arn:aws:s3:::elsewhere",
    ),
    ("GetProbeFunction", "ssm", "GetCommandInvocation", {"CommandId": "c", "InstanceId": TAGGED}, None),
    ("GetProbeFunction", "ssm", "CancelCommand", {"CommandId": "c", "InstanceIds": [TAGGED]}, None),
    ("SendProbeFunction", "ssm", "ListCommands", {"InstanceId": TAGGED}, None),  # lost-answer lookup
    ("GetProbeFunction", "ssm", "ListCommands", {"InstanceId": TAGGED}, "*"),
    (
        "GetProbeFunction",
        "ssm",
        "SendCommand",
        {"DocumentName": "netaudit-probe", "InstanceIds": [TAGGED]},
        "netaudit-probe",
    ),
    (
        "EvaluateFunction",
        "s3",
        "GetObject",
        {"Bucket": BUCKET, "Key": "ssm/x/c/i/awsrunShellScript/probe/stdout"},
        None,
    ),
    ("EvaluateFunction", "s3", "ListObjectsV2", {"Bucket": BUCKET, "Prefix": "ssm/x/c/i/"}, None),
    # s3:prefix outside ssm/, and no prefix at all, are denied
    (
        "EvaluateFunction",
        "s3",
        "ListObjectsV2",
        {"Bucket": BUCKET, "Prefix": "runs/"},
        f"arn:aws:s3:::{BUCKET}",
    ),
    ("EvaluateFunction", "s3", "ListObjectsV2", {"Bucket": BUCKET}, f"arn:aws:s3:::{BUCKET}"),
    ("EvaluateFunction", "s3", "PutObject", {"Bucket": BUCKET, "Key": "runs/x/hosts/i.json"}, None),
    ("StopCanaryFunction", "ecs", "StopTask", {"cluster": "default", "task": TASK}, None),
    ("StopCanaryFunction", "ecs", "StopTask", {"cluster": "prod", "task": PROD_TASK}, PROD_TASK),
    ("StopCanaryFunction", "ecs", "DeregisterTaskDefinition", {"taskDefinition": TD}, None),
    ("ReportFunction", "s3", "GetObject", {"Bucket": BUCKET, "Key": "runs/x/resolved.json"}, None),
    ("ReportFunction", "s3", "ListObjectsV2", {"Bucket": BUCKET, "Prefix": "runs/x/hosts/"}, None),
    ("ReportFunction", "s3", "PutObject", {"Bucket": BUCKET, "Key": "canary/2026/11/25/x.json"}, None),
    ("ReportFunction", "s3", "PutObject", {"Bucket": BUCKET, "Key": "audits/2026/11/25/x.json"}, None),
    ("ReportFunction", "sns", "Publish", {"TopicArn": TOPIC, "Message": "m"}, None),
    ("ReportFunction", "sns", "Publish", {"TopicArn": TOPIC + "-other", "Message": "m"}, TOPIC + "-other"),
    # the dead-letter queue's depth: only with EnableEventDrivenAudits=true (default false; the
    # allowed case runs in tests/continuous/test_event_path.py, through the local run's IAM)
    (
        "ReportFunction",
        "sqs",
        "GetQueueAttributes",
        {"QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/netaudit-task-events-dlq"},
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:netaudit-task-events-dlq",
    ),
    # the Pipe's source calls: only its role may make them (allowed in test_event_path.py)
    (
        "ReportFunction",
        "sqs",
        "ReceiveMessage",
        {"QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/netaudit-task-events"},
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:netaudit-task-events",
    ),
    (
        "ReportFunction",
        "sqs",
        "DeleteMessage",
        {"QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/netaudit-task-events"},
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:netaudit-task-events",
    ),
    # Security Hub statements exist only with EnableSecurityHubFindings=true (default false)
    (
        "ReportFunction",
        "securityhub",
        "BatchImportFindings",
        {"Findings": [{"ProductArn": FINDING_PRODUCT}]},
        FINDING_PRODUCT,
    ),
    (
        "ReportFunction",
        "securityhub",
        "GetFindings",
        {},
        f"arn:aws:securityhub:{REGION}:{ACCOUNT}:hub/default",
    ),
    # the state machine's role: its Lambda tasks, the Distributed Map's reader, writer, children
    ("NetauditStateMachine", "lambda", "Invoke", {"FunctionName": function_arn("ReportFunction")}, None),
    # the event machine (EXPRESS): the functions of its states only, no canary function
    ("EventAuditStateMachine", "lambda", "Invoke", {"FunctionName": function_arn("PrepareFunction")}, None),
    ("EventAuditStateMachine", "lambda", "Invoke", {"FunctionName": function_arn("EvaluateFunction")}, None),
    (
        "EventAuditStateMachine",
        "lambda",
        "Invoke",
        {"FunctionName": function_arn("RunTaskFunction")},
        function_arn("RunTaskFunction"),
    ),
    (
        "EventAuditStateMachine",
        "lambda",
        "Invoke",
        {"FunctionName": function_arn("StopCanaryFunction")},
        function_arn("StopCanaryFunction"),
    ),
    # StartSyncExecution is the Pipe's (tests/continuous/test_event_path.py): no machine's role has it
    ("NetauditStateMachine", "states", "StartSyncExecution", {"stateMachineArn": MACHINE}, MACHINE),
    (
        "NetauditStateMachine",
        "lambda",
        "Invoke",
        {"FunctionName": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:other"},
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:other",
    ),
    ("NetauditStateMachine", "s3", "GetObject", {"Bucket": BUCKET, "Key": "runs/x/hosts.json"}, None),
    (
        "NetauditStateMachine",
        "s3",
        "PutObject",
        {"Bucket": BUCKET, "Key": "runs/x/map/abc/manifest.json"},
        None,
    ),
    (
        "NetauditStateMachine",
        "s3",
        "PutObject",
        {"Bucket": BUCKET, "Key": "ssm/x"},
        f"arn:aws:s3:::{BUCKET}/ssm/x",
    ),
    # a member account's role (issue 21): no MemberAccounts here, so no function may assume it
    # (allowed with MemberAccounts and the member's trust policy: tests/iam/test_hub_organization.py)
    (
        "ResolveHostsFunction",
        "sts",
        "AssumeRole",
        {"RoleArn": MEMBER_ROLE, "RoleSessionName": "netaudit-x"},
        MEMBER_ROLE,
    ),
    ("NetauditStateMachine", "states", "StartExecution", {"stateMachineArn": MACHINE}, None),
    (
        "NetauditStateMachine",
        "states",
        "StartExecution",
        {"stateMachineArn": MACHINE + "-other"},
        MACHINE + "-other",
    ),
    # the Map Run's children (EXPRESS, label ProbeHosts): express:<machine>/<label>:<id>:<express id>
    ("NetauditStateMachine", "states", "DescribeExecution", {"executionArn": EXPRESS_CHILD}, None),
    ("NetauditStateMachine", "states", "DescribeExecution", {"executionArn": STANDARD_CHILD}, None),
    ("NetauditStateMachine", "states", "StopExecution", {"executionArn": STANDARD_CHILD}, None),
    # not another map's children, not another audit (the parent's own siblings), not another machine
    (
        "NetauditStateMachine",
        "states",
        "DescribeExecution",
        {"executionArn": EXPRESS_CHILD.replace("/ProbeHosts:", "/Other:")},
        EXPRESS_CHILD.replace("/ProbeHosts:", "/Other:"),
    ),
    ("NetauditStateMachine", "states", "StopExecution", {"executionArn": SIBLING}, SIBLING),
    (
        "NetauditStateMachine",
        "states",
        "StopExecution",
        {"executionArn": STANDARD_CHILD.replace(MACHINE_NAME, "other")},
        STANDARD_CHILD.replace(MACHINE_NAME, "other"),
    ),
]


@pytest.mark.parametrize(("role", "service", "operation", "params", "denied"), CASES)
def test_decided_as_aws_would(
    authorizer: Authorizer,
    role: str,
    service: str,
    operation: str,
    params: dict[str, Any],
    denied: str | None,
) -> None:
    message = authorizer.check(role, service, operation, params)
    if denied is None:
        assert message is None, message
    else:
        assert message is not None, f"{role} {service}:{operation} allowed, AWS denies"
        assert f"on resource: {denied}" in message or denied in message
        action = requests_for(service, operation, params, authorizer.world)[0].action
        assert f"is not authorized to perform: {action}" in message
        assert message.startswith(f"User: arn:aws:sts::{ACCOUNT}:assumed-role/netaudit-local-{role}Role/")
        if service != "sts":  # cross-account: AWS's message names no policy
            assert message.endswith(f"because no identity-based policy allows the {action} action")


def test_every_row_of_the_table_has_a_case() -> None:
    covered = {(service, operation) for _, service, operation, _, _ in CASES}
    assert set(TABLE) <= covered, set(TABLE) - covered


def test_security_hub_statements_follow_the_stack_parameter() -> None:
    enabled = make_authorizer(EnableSecurityHubFindings="true")
    findings = {"Findings": [{"ProductArn": FINDING_PRODUCT}]}
    assert enabled.check("ReportFunction", "securityhub", "BatchImportFindings", findings) is None
    assert enabled.check("ReportFunction", "securityhub", "GetFindings", {}) is None


def test_list_tasks_is_decided_on_star_not_on_container_instances() -> None:
    # What AWS evaluates for ListTasks of a whole cluster: resource "*" with ecs:cluster. The
    # policy main had (container-instance ARNs) does not grant it; iam-simulate's own reading of
    # a "*" request as "some resource" would have let it pass.
    world = World(region=REGION, account=ACCOUNT)
    (request,) = requests_for("ecs", "ListTasks", {"cluster": "default"}, world)
    assert (request.action, request.resource) == ("ecs:ListTasks", "*")
    assert request.context == {"ecs:cluster": f"{ECS}:cluster/default"}
    (by_instance,) = requests_for("ecs", "ListTasks", {"cluster": "default", "containerInstance": CI}, world)
    assert by_instance.resource == CI


def test_send_command_resources() -> None:
    world = World(region=REGION, account=ACCOUNT, instance_tags=lambda i: {"ecs-netaudit:cluster": "default"})
    params = {
        "DocumentName": "netaudit-probe",
        "InstanceIds": [TAGGED, MANAGED],
        "OutputS3BucketName": BUCKET,
    }
    got = [(r.resource, dict(r.context)) for r in requests_for("ssm", "SendCommand", params, world)]
    tag = {
        "ssm:resourceTag/ecs-netaudit:cluster": "default",
        "aws:ResourceTag/ecs-netaudit:cluster": "default",
    }
    assert got == [
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/netaudit-probe", {}),
        (f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{TAGGED}", tag),
        (f"arn:aws:ssm:{REGION}:{ACCOUNT}:managed-instance/{MANAGED}", tag),
        (f"arn:aws:s3:::{BUCKET}", {}),
    ]


def test_an_unmapped_operation_is_an_error_not_an_allow(authorizer: Authorizer) -> None:
    with pytest.raises(UnmappedOperation, match="ecs:ListServices"):
        authorizer.check("PrepareFunction", "ecs", "ListServices", {})


def test_register_task_definition_is_granted_on_a_numbered_revision_too(
    authorizer: Authorizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Which ARN AWS evaluates for a revision not yet registered is not documented: the template's
    # statement (task-definition/<prefix>-*) must grant a numbered revision of a canary family too.
    revision = f"{TDS}/{CANARY_FAMILY}:7"
    action = "ecs:RegisterTaskDefinition"
    monkeypatch.setitem(TABLE, ("ecs", "RegisterTaskDefinition"), lambda p, w: [Request(action, revision)])
    assert authorizer.check("RegisterTaskDefinitionFunction", "ecs", "RegisterTaskDefinition", {}) is None
    other = f"{TDS}/app:7"
    monkeypatch.setitem(TABLE, ("ecs", "RegisterTaskDefinition"), lambda p, w: [Request(action, other)])
    denied = authorizer.check("RegisterTaskDefinitionFunction", "ecs", "RegisterTaskDefinition", {})
    assert denied and other in denied


def test_register_task_definition_is_decided_on_the_revision_it_registers() -> None:
    world = World(region=REGION, account=ACCOUNT, latest_revision=lambda f: 6 if f == CANARY_FAMILY else 0)
    (request,) = requests_for("ecs", "RegisterTaskDefinition", {"family": CANARY_FAMILY}, world)
    assert request.resource == f"{TDS}/{CANARY_FAMILY}:7"
    (first,) = requests_for("ecs", "RegisterTaskDefinition", {"family": "new"}, world)
    assert first.resource == f"{TDS}/new:1"
