"""IAM in the local run: the happy paths make no denied call; a template missing a permission
fails the run with AWS's AccessDenied in the handler that needs it (the canary still stopped)."""

import json
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from iam_harness import StackMaker, template_copy, template_without

from netaudit import aws_clients
from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.cloud.aws import local_aws
from netaudit_local.hosts.fleet import Placer, fleet_hosts
from netaudit_local.iam import UnmappedOperation, acting_as
from netaudit_local.stack import MACHINE_NAME, create_stack, function_name, run_execution

CANARY = {"target": {"kind": "canary", "networkMode": "none"}, "pollIntervalSeconds": 0}
FUNCTIONS = {
    "PrepareFunction",
    "RegisterTaskDefinitionFunction",
    "RunTaskFunction",
    "DescribeTaskFunction",
    "ResolveHostsFunction",
    "SendProbeFunction",
    "GetProbeFunction",
    "EvaluateFunction",
    "StopCanaryFunction",
    "ReportFunction",
}


def test_canary_happy_path_makes_no_denied_call(local_stack: StackMaker) -> None:
    stack, _host = local_stack()
    result = run_execution(stack, "iam-happy", CANARY)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    iam = stack.seams.iam
    assert iam.denials == []
    # every function's calls and the state machine's Lambda invokes were decided
    assert set(iam.decided) == FUNCTIONS | {"NetauditStateMachine"}, iam.decided
    assert iam.decided["NetauditStateMachine"] >= len(FUNCTIONS)


def test_cluster_audit_through_the_distributed_map_makes_no_denied_call() -> None:
    with local_aws([], in_progress_polls=0) as seams:
        hosts = fleet_hosts(3)
        for h in hosts:
            seams.hosts[h.instance_id] = h
        stack = create_stack(seams)
        placer = Placer(seams, stack.cluster, stack.container_instances, stack.subnet_id)
        for h in hosts:
            placer.place(h, ["none", "bridge"])
        result = run_execution(
            stack, "iam-cluster", {"target": {"kind": "cluster"}, "pollIntervalSeconds": 0}
        )
        assert result.status == "SUCCEEDED", (result.error, result.cause)
        assert len(result.children) == 1  # one Express child per group of up to 25 hosts
        assert seams.iam.denials == []
        # ItemReader (GetObject), ResultWriter (PutObject), StartExecution and the children's
        # Lambda invokes are the state machine role's: 3 hosts x 3 functions + the rest
        assert seams.iam.decided["NetauditStateMachine"] >= 3 * 3 + 3
        # Report reads each host's result in a thread pool: those reads are decided as Report's
        reads = [r for role, a, r in seams.iam.log if role == "ReportFunction" and a == "s3:GetObject"]
        for h in hosts:
            assert any(r.endswith(f"/hosts/{h.instance_id}.json") for r in reads), reads


def test_missing_permission_fails_in_the_handler_that_needs_it(
    local_stack: StackMaker, tmp_path: Path
) -> None:
    stack, host = local_stack(template_without(tmp_path, "DescribeTaskFunction", "ecs:DescribeTasks"))
    result = run_execution(stack, "iam-denied", CANARY)
    assert result.status == "FAILED"
    assert result.error == "AccessDeniedException", (result.error, result.cause)
    assert (
        "netaudit-local-DescribeTaskFunctionRole/netaudit-DescribeTaskFunction is not authorized to "
        "perform: ecs:DescribeTasks on resource: arn:aws:ecs:" in (result.cause or "")
    )
    (denial,) = stack.seams.iam.denials
    assert (denial.role, denial.operation) == ("DescribeTaskFunction", "ecs:DescribeTasks")
    failed = [i for i in stack.seams.invocations if i.error]
    assert [(i.function, i.error) for i in failed] == [
        (function_name("DescribeTaskFunction"), "AccessDeniedException")
    ]
    # the error path still stopped the canary, in ECS and on the host
    assert host.started and all(host.is_stopped(arn) for arn in host.started)
    ecs = boto3.client("ecs", region_name=REGION)
    tasks = ecs.describe_tasks(cluster=stack.cluster, tasks=list(host.started))["tasks"]
    assert [t["lastStatus"] for t in tasks] == ["STOPPED"]


BUCKET_RESOURCE = "                  - !GetAtt EvidenceBucket.Arn\n"  # of the SendCommand statement


def test_send_command_denied_on_the_bucket_says_so(local_stack: StackMaker, tmp_path: Path) -> None:
    stack, host = local_stack(template_copy(tmp_path, "SendProbeFunction", BUCKET_RESOURCE, ""))
    result = run_execution(stack, "iam-send", CANARY)
    assert result.status == "FAILED"
    cause = result.cause or ""
    assert f"not authorized to perform: ssm:SendCommand on resource: arn:aws:s3:::{stack.bucket}" in cause
    assert "tagged" not in cause
    assert all(host.is_stopped(arn) for arn in host.started)


def test_untagged_instance_is_host_not_managed(local_stack: StackMaker) -> None:
    stack, host = local_stack()
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.delete_tags(Resources=[host.instance_id], Tags=[{"Key": "ecs-netaudit:cluster"}])
    result = run_execution(stack, "iam-untagged", CANARY)
    assert result.status == "FAILED"
    cause = result.cause or ""
    assert "HostNotManaged" in cause and f"instance/{host.instance_id}" in cause, cause
    assert "ecs-netaudit:cluster=default" in cause
    assert all(host.is_stopped(arn) for arn in host.started)


def test_unmapped_operation_in_a_function_fails_loudly(local_stack: StackMaker) -> None:
    local_stack()
    with acting_as(function_name("PrepareFunction")), pytest.raises(UnmappedOperation):
        aws_clients.ecs().list_services(cluster="default")
    aws_clients.ecs().list_services(cluster="default")  # outside any function: not decided


def test_state_machine_role_denied_a_lambda_invoke(local_stack: StackMaker) -> None:
    # a Task state naming a function the state machine's role may not invoke (the template's
    # LambdaInvokePolicy grants only this stack's functions): AWS's error, the function never runs
    stack, _ = local_stack()
    other = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:someone-else"
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": other, "End": True}}}
    sfn = boto3.client("stepfunctions", region_name=REGION)
    role = stack.seams.iam.roles["NetauditStateMachine"].arn(ACCOUNT)  # the Standard machine's
    arn = sfn.create_state_machine(
        name=f"{MACHINE_NAME}-x", definition=json.dumps(definition), roleArn=role
    )["stateMachineArn"]
    result = run_execution(replace(stack, state_machine_arn=arn), "iam-invoke", {})
    assert result.status == "FAILED"
    assert result.error == "Lambda.AWSLambdaException", (result.error, result.cause)
    assert f"not authorized to perform: lambda:InvokeFunction on resource: {other}" in (result.cause or "")
    assert "Error Code: AccessDeniedException" in (result.cause or "")
    # no function of the state machine ran; only the janitor, on the FAILED event
    assert [i.function for i in stack.seams.invocations] == [function_name("CanaryJanitorFunction")]


def test_distributed_map_without_start_execution_fails_the_map_run(tmp_path: Path) -> None:
    line = "                - states:StartExecution\n"
    copy = template_copy(tmp_path, "NetauditStateMachine", line, "                - states:ListExecutions\n")
    with local_aws([], in_progress_polls=0) as seams:
        hosts = fleet_hosts(2)
        for h in hosts:
            seams.hosts[h.instance_id] = h
        stack = create_stack(seams, {"DistributedMapThreshold": 1}, template_path=copy)
        placer = Placer(seams, stack.cluster, stack.container_instances, stack.subnet_id)
        for h in hosts:
            placer.place(h, ["none"])
        result = run_execution(stack, "iam-map", {"target": {"kind": "cluster"}, "pollIntervalSeconds": 0})
        assert result.status == "FAILED"
        (denial,) = seams.iam.denials
        assert (denial.role, denial.request.action) == ("NetauditStateMachine", "states:StartExecution")
        (failed,) = [e["mapRunFailedEventDetails"] for e in result.history if e["type"] == "MapRunFailed"]
        assert failed["error"] == "States.Runtime"
        assert "not authorized to perform: states:StartExecution" in failed["cause"]
        assert seams.commands == {}  # no child ran: no probe was sent
        # (how the execution then ends is the ASL's: States.Runtime is uncatchable on AWS)
