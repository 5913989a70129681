"""bench/cost.py prices Express executions as AWS does: 100 ms units, 64-MB chunks, per request; its
event-path model (one EXPRESS execution a batch) is what a real local run of the event path does."""

import contextlib
import importlib.util
import io
from pathlib import Path
from types import ModuleType

import boto3
import pytest

from netaudit_local.cloud import sfn_strict
from netaudit_local.cloud.account import REGION
from netaudit_local.cloud.aws import local_aws
from netaudit_local.hosts.fleet import Placer, fleet_hosts
from netaudit_local.pipes import NO_WINDOW, create_event_path
from netaudit_local.stack import create_stack

COST = Path(__file__).resolve().parents[2] / "bench" / "cost.py"


@pytest.fixture(scope="module")
def cost() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cost", COST)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_express_duration_rounds_up_to_100_ms_and_memory_to_64_mb(cost: ModuleType) -> None:
    assert cost.express_billed_memory_mb(30_000, 40_000, 25) == 64  # 50 MB + ~1 MB
    assert cost.express_billed_memory_mb(0, 600_000, 25) == 128  # 50 MB + 14.3 MB
    one = cost.express_duration_usd([0.01], 64)  # billed as 100 ms
    assert one == pytest.approx(0.1 * 64 / 1024 * 0.06 / 3600)
    assert cost.express_duration_usd([0.1], 64) == one and cost.express_duration_usd([0.101], 64) == 2 * one


def test_children_are_requests_plus_duration_and_the_parent_pays_transitions(cost: ModuleType) -> None:
    usage = cost.AuditUsage(
        state_transitions=209,
        lambda_invocations=0,
        lambda_gb_seconds=0.0,
        s3_puts=0,
        s3_gets=0,
        sns_publishes=0,
        ssm_commands=5000,
        express_durations_s=[6.0] * 200,
        express_memory_mb=64,
    )
    parts = cost.estimate_usd(usage)
    assert parts["stepfunctions"] == pytest.approx(209 * 0.025 / 1000)
    assert parts["express"] == pytest.approx(200 / 1e6 + 200 * 6 * 64 / 1024 * 0.06 / 3600)
    assert parts["ssm"] == 0.0


def test_event_path_is_under_half_a_dollar_per_10000_starts_at_any_batch_size(cost: ModuleType) -> None:
    """Issue 24: one EXPRESS execution a batch (no state transitions) and the report's objects."""
    for per_batch in (1, 10, 50, 100):
        assert cost.event_path_usd(10_000, per_batch) < 0.50, per_batch
    one = cost.estimate_usd(cost.event_audit_usage(1, 1))
    assert one["stepfunctions"] == 0.0 and one["express"] > 0.0


FULL_BATCH = tuple(["none", "bridge"] * 5 for _ in range(10))  # 100 tasks, 10 a host: results in S3


@pytest.mark.parametrize("layout", [(["none"],), (["none", "bridge"], ["awsvpc"]), FULL_BATCH])
def test_the_event_model_is_what_a_local_run_does(cost: ModuleType, layout: tuple[list[str], ...]) -> None:
    """One Pipe batch through the template's rule, queue, pipe and event machine: the executions
    (one EXPRESS, no Standard one), Lambda invocations, S3 objects written, list and get requests
    and SSM commands are the ones event_audit_usage counts."""
    hosts = fleet_hosts(len(layout), prefix="i-0c057")
    with local_aws(hosts, in_progress_polls=0) as seams, contextlib.redirect_stdout(io.StringIO()):
        window = {"EventBatchSize": "100", "EventBatchWindowSeconds": "1", "PollIntervalSeconds": 0}
        stack = create_stack(seams, {**NO_WINDOW, **window})
        path = create_event_path(stack)
        placer = Placer(seams, stack.cluster, stack.container_instances, stack.subnet_id)
        arns = [arn for host, modes in zip(hosts, layout, strict=True) for arn in placer.place(host, modes)]
        ecs = boto3.client("ecs", region_name=REGION)
        for task in ecs.describe_tasks(cluster=stack.cluster, tasks=arns)["tasks"]:
            path.emit(task)
        assert seams.iam is not None
        logged = len(seams.iam.log)
        batch = path.poll()
        assert batch and batch.execution_arn and batch.messages == len(arns)
        assert batch.status == "SUCCEEDED" and batch.output and batch.output["verdict"] == "ISOLATED"
        sfn = boto3.client("stepfunctions", region_name=REGION)
        standard = sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"]
        events = sfn_strict.express_history(batch.execution_arn)
        entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
        s3 = boto3.client("s3", region_name=REGION)
        objects = s3.list_objects_v2(Bucket=stack.bucket).get("KeyCount", 0)
        s3_calls = [action for _, action, _ in seams.iam.log[logged:] if action.startswith("s3:")]
        usage = cost.event_audit_usage(len(arns), len(hosts))
        assert standard == [] and usage.state_transitions == 0  # no Standard execution, no transition
        assert len(usage.express_durations_s) == 1 and "ProbeHosts" in entered  # one Express execution
        assert sfn_strict.child_histories(batch.execution_arn) == []  # no Distributed Map child
        assert len(seams.invocations) == usage.lambda_invocations  # the enrichment included
        assert objects + s3_calls.count("s3:ListBucket") == usage.s3_puts
        assert s3_calls.count("s3:GetObject") == usage.s3_gets
        assert len(seams.commands) == usage.ssm_commands
