"""Helpers of the workflow tests: the real ASL on moto's engine, handlers in-process."""

from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import ClientError

from netaudit.models.inputs import Audit, ExecutionRef
from netaudit_local.cloud.account import REGION
from netaudit_local.hosts.recorded_host import RecordedHost
from netaudit_local.stack import ExecutionResult, LocalStack, run_execution


class Harness:
    def __init__(self, stack: LocalStack, host: RecordedHost) -> None:
        self.stack, self.host = stack, host
        self.ecs = boto3.client("ecs", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self._n = 0

    def run(self, payload: dict[str, Any] | None = None, name: str | None = None) -> ExecutionResult:
        self._n += 1
        base = {"pollIntervalSeconds": 0}
        return run_execution(self.stack, name or f"test-{self._n}", {**base, **(payload or {})})

    def ecs_tasks(self) -> list[dict[str, Any]]:
        arns = self.ecs.list_tasks(cluster=self.stack.cluster)["taskArns"]
        if not arns:
            return []
        return list(self.ecs.describe_tasks(cluster=self.stack.cluster, tasks=arns)["tasks"])

    def assert_all_stopped(self) -> None:
        assert self.host.started, "the host started no task"
        for arn in self.host.started:
            assert self.host.is_stopped(arn), f"{arn} still running on the host"
        for task in self.ecs_tasks():
            assert task["lastStatus"] == "STOPPED", task["taskArn"]
            assert task["desiredStatus"] == "STOPPED", task["taskArn"]

    def evidence(self) -> list[str]:
        """Keys of the canary evidence JSON objects in the bucket (not the HTML/OCSF/JUnit/manifest
        objects the Report step writes beside each)."""
        resp = self.s3.list_objects_v2(Bucket=self.stack.bucket, Prefix="canary/")
        keys = [o["Key"] for o in resp.get("Contents", [])]
        return [k for k in keys if k.endswith(".json") and not k.endswith(".manifest.json")]


MakeHarness = Callable[..., Harness]


def audit_of(target: dict[str, Any], cluster: str = "default") -> Audit:
    """An audit as Prepare writes it, for tests that build an execution state by hand."""
    return Audit.model_validate(
        {
            "execution": {"name": "run-1"},
            "cluster": cluster,
            "target": target,
            "image": "public.ecr.aws/docker/library/busybox:1.36",
            "pollIntervalSeconds": 1,
            "runningDeadlineSeconds": 60,
            "probeDeadlineSeconds": 60,
        }
    )


def canary_audit() -> Audit:
    """A none-mode canary audit of cluster `default`, execution `review-1`, polled at once."""
    return Audit.model_validate(
        {
            "execution": ExecutionRef(id="arn:x", name="review-1"),
            "cluster": "default",
            "target": {"kind": "canary", "networkMode": "none"},
            "image": "busybox",
            "pollIntervalSeconds": 0,
            "runningDeadlineSeconds": 60,
            "probeDeadlineSeconds": 60,
        }
    )


def client_error(code: str, op: str = "Op") -> ClientError:
    """The ClientError botocore raises for error `code` of operation `op`."""
    return ClientError({"Error": {"Code": code, "Message": "nope"}}, op)
