"""Why a task has no verdict, as codes where the cause is found (issue 22): the inventory's
not-probed tasks, ResolveHosts' unreachable hosts, Report's own INCONCLUSIVE tasks; coverage
reads those codes (netaudit.causes), never the words of a reason."""

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from netaudit import causes
from netaudit.models.evidence import NotProbedRecord
from netaudit.models.inputs import ResolvedRef
from netaudit.workflow.coverage import coverage
from netaudit.workflow.hosts import unprobeable_code
from netaudit.workflow.inventory import build_inventory
from netaudit.workflow.report.collect import collect

ARN = "arn:aws:ecs:us-east-1:123456789012:task/prod/{:032x}"
CI = "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/{}"


class _Ecs:
    """DescribeTasks / DescribeTaskDefinition / DescribeContainerInstances answers, as ECS gives them."""

    def describe_tasks(self, **_: Any) -> dict[str, Any]:
        def task(n: int, td: str, launch: str, ci: str | None = None) -> dict[str, Any]:
            found = {"taskArn": ARN.format(n), "taskDefinitionArn": td, "launchType": launch}
            return {**found, "lastStatus": "RUNNING", **({"containerInstanceArn": ci} if ci else {})}

        return {
            "tasks": [
                task(1, "td-awsvpc", "FARGATE"),
                task(2, "td-bridge", "EC2", CI.format("a")),  # a mode the audit did not ask for
                task(3, "td-none", "EC2"),  # no container instance
                task(4, "td-none", "EC2", CI.format("gone")),  # its container instance is not found
                task(6, "td-none", "EC2", CI.format("a")),  # probed
            ],
            "failures": [
                {"arn": ARN.format(5), "reason": "MISSING"},
                {"arn": ARN.format(7), "reason": "SOMETHING_ELSE"},
            ],
        }

    def describe_task_definition(self, taskDefinition: str) -> dict[str, Any]:
        return {"taskDefinition": {"networkMode": taskDefinition.removeprefix("td-")}}

    def describe_container_instances(self, **_: Any) -> dict[str, Any]:
        return {"containerInstances": [{"containerInstanceArn": CI.format("a"), "ec2InstanceId": "i-1"}]}


def test_the_inventory_codes_each_task_it_does_not_probe() -> None:
    arns = [ARN.format(n) for n in range(1, 8)]
    inventory = build_inventory(_Ecs(), "prod", task_arns=arns, network_modes=["none", "awsvpc"])  # type: ignore[arg-type]
    assert inventory.codes == {
        ARN.format(1): "FARGATE",
        ARN.format(2): causes.FILTERED_OUT,
        ARN.format(3): causes.NO_CONTAINER_INSTANCE,
        ARN.format(4): causes.NO_CONTAINER_INSTANCE,
        ARN.format(5): causes.TASK_STOPPED,  # gone before it was described
    }
    assert ARN.format(7) in inventory.not_probed  # a failure of unknown cause: no code, never passed
    records = [
        NotProbedRecord(task_arn=a, reason=r, code=inventory.codes.get(a))
        for a, r in inventory.not_probed.items()
    ]
    cov = coverage([], records)
    assert cov["reasons"] == {
        "failed": {"DescribeTasks: SOMETHING_ELSE": 1},
        "notVerifiable": {"AWS Fargate": 1, "filtered out": 1, "no container instance": 2},
        "stopped": {"task stopped before its audit": 1},
    }
    assert unprobeable_code("Windows (2022)") == "WINDOWS"
    assert unprobeable_code("MacOS 14") == causes.UNPROBEABLE_PLATFORM


@pytest.fixture
def s3() -> Any:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="evidence")
        yield client


def _put(s3: Any, key: str, doc: dict[str, Any]) -> None:
    s3.put_object(Bucket="evidence", Key=key, Body=json.dumps(doc).encode())


def test_report_codes_the_tasks_it_makes_inconclusive(s3: Any) -> None:
    def tasks(*ns: int) -> list[dict[str, Any]]:
        return [{"taskArn": ARN.format(n), "declaredMode": "none"} for n in ns]

    resolved = {
        "hosts": [{"instanceId": "i-1", "tasks": tasks(1)}, {"instanceId": "i-2", "tasks": tasks(2)}],
        "unreachable": [
            {"instanceId": "i-3", "reason": "not Online in SSM", "tasks": tasks(3), "code": "NO_SSM"}
        ],
        "notProbed": [
            {"taskArn": ARN.format(4), "reason": "task is STOPPED, not RUNNING", "code": "TASK_STOPPED"}
        ],
    }
    _put(s3, "runs/r/resolved.json", resolved)
    timed_out = {
        "taskArn": ARN.format(1),
        "declaredMode": "none",
        "verdict": "INCONCLUSIVE",
        "reasons": ["x"],
    }
    host = {"tasks": [timed_out], "error": {"error": "ProbeTimedOut", "cause": "still InProgress"}}
    _put(s3, "runs/r/hosts/i-1.json", host)  # i-2 wrote nothing: its Map iteration did not finish
    ref = ResolvedRef.model_validate(
        {"mode": "distributed", "bucket": "evidence", "resolvedKey": "runs/r/resolved.json",
         "resultsPrefix": "runs/r/hosts/", "hostCount": 2, "taskCount": 3}
    )  # fmt: skip
    collected = collect(s3, ref, "tasks")
    by_arn = {t.task_arn: t.cause for t in collected.tasks}
    assert by_arn == {
        ARN.format(1): causes.PROBE_TIMED_OUT,
        ARN.format(2): causes.NO_RESULT,
        ARN.format(3): causes.NO_SSM,
        ARN.format(4): causes.TASK_STOPPED,  # asked for by ARN: INCONCLUSIVE, and said why
    }
    assert coverage(collected.tasks, collected.not_probed)["reasons"] == {
        "failed": {"command timed out": 1, "no result recorded": 1},
        "notVerifiable": {"no SSM": 1},
        "stopped": {"task stopped before its audit": 1},
    }
    # an event-driven audit does not fail a task that stopped before its audit
    event_driven = collect(s3, ref, "tasks", event_driven=True)
    assert ARN.format(4) not in {t.task_arn for t in event_driven.tasks}
