"""The real ASL on moto's Step Functions engine, the real handlers in-process, a RecordedHost.

Every path that ran a task asserts it is STOPPED (in moto and on the host) and that the
execution's error names the cause.
"""

import json
from typing import Any

import boto3
import pytest
from wf_harness import Harness, MakeHarness

from netaudit_local.cloud.account import REGION
from netaudit_local.hosts.recorded_host import Faults

LOOP = ("WaitForRunning", "DescribeTask", "IsRunning", "WaitForProbe", "GetProbe", "ProbeDone")


def _failed(h: Harness, payload: dict | None = None) -> tuple[str, str]:
    result = h.run(payload or {})
    assert result.status == "FAILED", result.output
    assert result.error and result.cause
    return result.error, result.cause


def test_happy_path_counts(harness: MakeHarness) -> None:
    h = harness(in_progress_polls=0)
    result = h.run({"target": {"networkMode": "none"}})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output is not None
    assert result.output["verdict"] == "ISOLATED"
    assert result.output["evidenceUri"].startswith(f"s3://{h.stack.bucket}/canary/")
    assert "ISOLATED" in result.output["cause"]
    h.assert_all_stopped()
    # one pass through each loop (task PENDING once, probe done at the first poll)
    assert result.transitions == 21, result.entered()  # ProbeHostGroup: the Express child's inner Map
    assert result.lambda_invocations == 10
    tasks = [e for e in result.history if e["type"] in ("LambdaFunctionScheduled", "TaskScheduled")]
    states = [e for e in result.history if e["type"] == "TaskStateEntered"]
    assert len(tasks) == len(states)  # at most one Lambda invocation per Task state
    # the canary revision is deregistered
    td = boto3.client("ecs", region_name=REGION).list_task_definitions(status="ACTIVE")
    assert td["taskDefinitionArns"] == []


def test_poll_loops_cost_three_transitions_per_poll(harness: MakeHarness) -> None:
    h = harness(faults=Faults(pending_polls=3), in_progress_polls=2)
    result = h.run()
    assert result.status == "SUCCEEDED", result.cause
    entered = result.entered()
    assert entered.count("DescribeTask") == 3
    assert entered.count("GetProbe") == 3
    assert result.transitions == 21 + 3 * 2 + 3 * 2
    assert result.lambda_invocations == 10 + 2 + 2


def test_every_network_mode_isolated(harness: MakeHarness) -> None:
    h = harness()
    for mode in ("bridge", "host", "awsvpc"):
        target: dict = {"networkMode": mode}
        if mode == "awsvpc":
            target["awsvpc"] = {"subnets": [h.stack.subnet_id], "securityGroups": [h.stack.security_group_id]}
        result = h.run({"target": target}, name=f"mode-{mode}")
        assert result.status == "SUCCEEDED", (mode, result.cause)
        assert result.output["tasks"][0]["declaredMode"] == mode
    h.assert_all_stopped()


def test_invalid_input_creates_nothing(harness: MakeHarness) -> None:
    h = harness()
    cases = {
        "target.networkMode": {"target": {"networkMode": "nat"}},
        "target.launchType: expected EC2; Fargate is not supported": {
            "target": {"networkMode": "none", "launchType": "FARGATE"}
        },
        "cluster: expected a non-empty": {"cluster": ""},
        "target.taskArns": {"target": {"kind": "tasks", "taskArns": ["arn:aws:ecs:task/x"]}},
        "pollIntervalSeconds": {"pollIntervalSeconds": 301},
        # the Prepare role may describe only ClusterName: AWS denies, Prepare names the field
        "cluster: this deployment may only audit cluster 'default', not 'nope'": {"cluster": "nope"},
    }
    for expected, payload in cases.items():
        result = h.run(payload)
        assert result.status == "FAILED"
        assert result.error == "InvalidInput", (payload, result.error, result.cause)
        assert expected in (result.cause or ""), (expected, result.cause)
        assert "Prepare" in result.entered() and "RegisterTaskDefinition" not in result.entered()
    assert h.host.started == {}
    ecs = boto3.client("ecs", region_name=REGION)
    assert ecs.list_task_definitions()["taskDefinitionArns"] == []
    assert ecs.list_tasks(cluster=h.stack.cluster)["taskArns"] == []


def test_placement_failure(harness: MakeHarness) -> None:
    h = harness(faults=Faults(placement_refused="RESOURCE:MEMORY"))
    error, cause = _failed(h)
    assert error == "PlacementFailed"
    assert "RESOURCE:MEMORY" in cause
    assert h.host.started == {}
    assert (
        boto3.client("ecs", region_name=REGION).list_task_definitions(status="ACTIVE")["taskDefinitionArns"]
        == []
    )


def test_task_stops_before_running(harness: MakeHarness) -> None:
    h = harness(faults=Faults(stops_before_running="Essential container in task exited"))
    error, cause = _failed(h)
    assert error == "TaskStoppedEarly"
    assert "Essential container in task exited" in cause
    h.assert_all_stopped()


def test_running_deadline_exceeded(harness: MakeHarness) -> None:
    h = harness(faults=Faults(never_running=True))
    error, cause = _failed(h, {"runningDeadlineSeconds": 1, "pollIntervalSeconds": 1})
    assert error == "TaskStartTimeout"
    assert "runningDeadlineSeconds" in cause
    h.assert_all_stopped()


def test_instance_not_online_in_ssm(harness: MakeHarness) -> None:
    h = harness(faults=Faults(ping_status="ConnectionLost"))
    error, cause = _failed(h)
    assert error == "HostNotManaged"
    assert "ConnectionLost" in cause
    h.assert_all_stopped()


def test_command_failed(harness: MakeHarness) -> None:
    h = harness(
        faults=Faults(command_status="Failed", command_exit_code=127, command_stderr="nsenter: not found")
    )
    error, cause = _failed(h)
    assert error == "ProbeFailed"
    assert "nsenter: not found" in cause and "INCONCLUSIVE" in cause
    h.assert_all_stopped()


def test_command_timed_out(harness: MakeHarness) -> None:
    h = harness(faults=Faults(command_status="TimedOut"))
    error, cause = _failed(h)
    assert error == "ProbeTimedOut"
    assert "timed out" in cause
    h.assert_all_stopped()


def test_truncated_output_read_from_s3(harness: MakeHarness) -> None:
    h = harness(faults=Faults(pad_output_to=60_000))
    result = h.run()
    assert result.status == "SUCCEEDED", result.cause
    events = [e for child in result.children for e in child]  # GetProbe runs in the host's child
    probes = [
        json.loads(e["lambdaFunctionSucceededEventDetails"]["output"])["result"]
        for e in events
        if e["type"] == "LambdaFunctionSucceeded"
        and '"truncated":true' in e["lambdaFunctionSucceededEventDetails"]["output"].replace(" ", "")
    ]
    assert probes and probes[0]["stdout"] is None and probes[0]["outputS3Uri"].startswith("s3://")
    h.assert_all_stopped()


def test_violation_found(harness: MakeHarness) -> None:
    h = harness(none="probe-none-violation.json")
    error, cause = _failed(h)
    assert error == "IsolationViolated"
    assert "VIOLATION" in cause and "eth0" in cause
    assert "evidence: s3://" in cause
    h.assert_all_stopped()
    keys = h.evidence()
    assert len(keys) == 1


def test_throttling_retried(harness: MakeHarness) -> None:
    h = harness(faults=Faults(throttle_once={"ecs:DescribeTasks", "ssm:GetCommandInvocation"}))
    result = h.run()
    assert result.status == "SUCCEEDED", result.cause
    assert sorted(h.stack.seams.throttled) == ["ecs:DescribeTasks", "ssm:GetCommandInvocation"]
    h.assert_all_stopped()


def test_tasks_kind_audits_given_tasks_without_canary(harness: MakeHarness) -> None:
    h = harness()
    first = h.run({"target": {"networkMode": "none"}}, name="seed")
    assert first.status == "SUCCEEDED"
    # start a task directly, then audit it by ARN
    ecs = boto3.client("ecs", region_name=REGION)
    td = ecs.register_task_definition(
        family="app",
        networkMode="none",
        containerDefinitions=[{"name": "app", "image": "busybox", "memory": 32}],
    )["taskDefinition"]["taskDefinitionArn"]
    arn = ecs.run_task(cluster=h.stack.cluster, taskDefinition=td, launchType="EC2")["tasks"][0]["taskArn"]
    ecs.describe_tasks(cluster=h.stack.cluster, tasks=[arn])  # PENDING -> RUNNING on the host
    result = h.run({"target": {"kind": "tasks", "taskArns": [arn]}})
    assert result.status == "SUCCEEDED", result.cause
    assert "RegisterTaskDefinition" not in result.entered()
    assert "StopTask" not in result.entered()
    assert not h.host.is_stopped(arn)  # not ours to stop


def test_prepare_failure_reports_without_running_the_clean_up(
    harness: MakeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing was created: the raw input must not reach StopTaskOnError as if it were state."""
    h = harness()

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("prepare broke")

    monkeypatch.setattr("netaudit.handlers.prepare.prepare", broken)
    result = h.run({})
    assert result.status == "FAILED"
    assert result.error == "RuntimeError", (result.error, result.cause)
    entered = result.entered()
    assert "PrepareFailed" in entered and "ReportError" in entered
    assert "StopTaskOnError" not in entered
