"""Event-driven audits through the template's rule -> queue -> pipe -> event machine (EXPRESS, run
synchronously by the Pipe; local runner): a burst in one batch, duplicates, another cluster, a task
stopped before its audit, a failing batch or execution retried and then dead-lettered."""

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from netaudit.errors import InvalidInput
from netaudit.workflow.events_batch import batch_of
from netaudit.workflow.scope import Scope
from netaudit_cli.history import audit_report
from netaudit_local.cloud import sfn_strict
from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.cloud.aws import local_aws
from netaudit_local.cloud.stepfunctions import STATE_PAYLOAD_LIMIT, largest_payload
from netaudit_local.hosts.fleet import Placer, fleet_hosts, spread
from netaudit_local.pipes import NO_WINDOW, Batch, EventPath, create_event_path, sync_client
from netaudit_local.stack import create_stack
from netaudit_local.template import load_template


@pytest.fixture
def path() -> Iterator[tuple[EventPath, Placer, Any]]:
    hosts = fleet_hosts(2)
    with local_aws(hosts, in_progress_polls=0) as seams:
        # a 1 s window lets a batch hold the burst's 13 messages (over 10 needs one); poll()
        # takes what is queued without waiting for it
        window = {"EventBatchSize": "50", "EventBatchWindowSeconds": "1", "PollIntervalSeconds": 0}
        stack = create_stack(seams, {**NO_WINDOW, **window})
        placer = Placer(seams, stack.cluster, stack.container_instances, stack.subnet_id)
        yield create_event_path(stack), placer, hosts


def _tasks(arns: list[str]) -> list[dict[str, Any]]:
    ecs = boto3.client("ecs", region_name=REGION)
    return list(ecs.describe_tasks(cluster="default", tasks=arns)["tasks"])


def _finish(batch: Batch) -> tuple[str, dict[str, Any]]:
    """The event machine's status and report: StartSyncExecution returned them (an Express
    execution has no DescribeExecution); the report from its events when it did not succeed."""
    assert batch.execution_arn
    report = batch.output or audit_report(sfn_strict.express_history(batch.execution_arn))
    return str(batch.status), report


def test_a_burst_is_one_audit_each_task_once_and_other_clusters_stay_out(path: Any) -> None:
    events, placer, hosts = path
    layout = spread(12, hosts)
    arns = [a for h in hosts for a in placer.place(h, layout[h.instance_id])]
    tasks = _tasks(arns)
    for task in tasks:
        events.emit(task)
    events.emit(tasks[0])  # ECS sends RUNNING again (e.g. a container health change): a duplicate
    other = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/other"
    events.emit(tasks[1], cluster_arn=other)  # another cluster: the rule keeps it out
    events.emit({**tasks[2], "launchType": "FARGATE"})  # not EC2/EXTERNAL: kept out too
    assert events.queued() == 13
    batch = events.poll()
    assert batch is not None and batch.error is None and batch.messages == 13 and events.queued() == 0
    assert batch.execution_arn
    status, report = _finish(batch)
    assert status == "SUCCEEDED", report.get("cause")
    assert report["counts"]["tasks"] == 12 and report["counts"]["isolated"] == 12
    cov = report["coverage"]
    assert (cov["inScope"], cov["verified"], cov["percent"]) == (12, 12, 100.0)
    assert cov["runningToVerdict"]["count"] == 12 and cov["runningToVerdict"]["p95Seconds"] >= 0
    assert "coverage: 12/12 tasks verified" in report["cause"]
    assert len(events.stack.seams.commands) == 2  # batched per host: one SSM command per host
    assert events.poll() is None  # nothing left: no second audit


def test_a_task_stopped_before_its_audit_is_reported_not_failed(path: Any) -> None:
    events, placer, hosts = path
    arns = placer.place(hosts[0], ["none", "bridge"])
    for task in _tasks(arns):
        events.emit(task)
    boto3.client("ecs", region_name=REGION).stop_task(cluster="default", task=arns[1], reason="scaled in")
    batch = events.poll()
    assert batch and batch.execution_arn
    status, report = _finish(batch)
    assert status == "SUCCEEDED", report.get("cause")
    assert report["verdict"] == "ISOLATED" and report["counts"]["tasks"] == 1
    cov = report["coverage"]
    assert (cov["inScope"], cov["verified"], cov["stopped"], cov["failed"]) == (2, 1, 1, 0)
    assert cov["reasons"] == {"stopped": {"task stopped before its audit": 1}}
    assert "stopped 1 (task stopped before its audit 1)" in report["cause"]


def test_a_failing_batch_is_retried_then_dead_lettered(path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    events, placer, hosts = path
    arns = placer.place(hosts[0], ["none"])
    events.emit(_tasks(arns)[0])
    from netaudit.workflow import events_batch

    calls: list[int] = []
    real = events_batch.batch_of

    def flaky(records: Any, *scope: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("enrichment failed once")
        return real(records, *scope)

    monkeypatch.setattr("netaudit.handlers.events_batch.batch_of", flaky)
    first = events.poll()
    assert first and first.error and "enrichment failed once" in first.error and first.execution_arn is None
    retried = events.poll()  # the same message, received again
    assert retried and retried.error is None and retried.execution_arn
    assert _finish(retried)[0] == "SUCCEEDED"

    # a batch that always fails: after maxReceiveCount receives SQS moves it to the dead-letter queue
    def broken(records: Any, cluster: str) -> Any:
        raise RuntimeError("enrichment always fails")

    monkeypatch.setattr("netaudit.handlers.events_batch.batch_of", broken)
    events.emit(_tasks(placer.place(hosts[1], ["bridge"]))[0])
    for _ in range(events.max_receives):
        assert (b := events.poll()) is not None and b.error
    assert events.poll() is None and events.dead_letters() == 1
    # ... and the next audit's summary (and its SNS alert) names the dead letters
    monkeypatch.setattr("netaudit.handlers.events_batch.batch_of", real)
    events.emit(_tasks(placer.place(hosts[1], ["host"]))[0])
    batch = events.poll()
    assert batch and batch.execution_arn
    status, report = _finish(batch)
    assert status == "SUCCEEDED" and "DEAD-LETTER QUEUE: 1 task-event batch" in report["cause"]


def test_the_enrichment_keeps_only_the_clusters_running_ec2_tasks_once() -> None:
    def record(arn: str, **detail: Any) -> dict[str, Any]:
        base = {
            "clusterArn": "arn:aws:ecs:us-east-1:1:cluster/prod",
            "taskArn": arn,
            "lastStatus": "RUNNING",
            "launchType": "EC2",
            "startedAt": "2026-11-25T10:00:00Z",
        }
        event = {"source": "aws.ecs", "detail-type": "ECS Task State Change", "detail": {**base, **detail}}
        return {"body": json.dumps(event)}

    batch = batch_of(
        [
            record("a", startedAt="2026-11-25T10:00:05Z"),
            record("a"),  # duplicate: the earliest RUNNING time is kept
            record("b", clusterArn="arn:aws:ecs:us-east-1:1:cluster/other"),
            record("c", lastStatus="STOPPED"),
            record("d", launchType="FARGATE"),
            record("e", launchType="EXTERNAL"),
            {"body": "not json"},
        ],
        Scope.parse("prod"),
    )
    assert batch.audit_input() == {
        "cluster": "prod",
        "target": {
            "kind": "tasks",
            "taskArns": ["a", "e"],
            "runningAt": {"a": "2026-11-25T10:00:00.000000Z", "e": "2026-11-25T10:00:00.000000Z"},
        },
    }
    assert batch.duplicates == 1 and sum(batch.skipped.values()) == 4
    assert batch_of([], Scope.parse("prod")).audit_input() is None
    with pytest.raises(InvalidInput):
        batch_of({"not": "a list"}, Scope.parse("prod"))  # type: ignore[arg-type]


def _event(arn: str, cluster: str) -> dict[str, Any]:
    detail = {
        "clusterArn": f"arn:aws:ecs:us-east-1:123456789012:cluster/{cluster}",
        "taskArn": arn,
        "lastStatus": "RUNNING",
        "launchType": "EC2",
        "startedAt": "2026-11-25T10:00:00Z",
    }
    return {
        "body": json.dumps({"source": "aws.ecs", "detail-type": "ECS Task State Change", "detail": detail})
    }


def test_a_batch_of_several_clusters_is_one_audit_of_the_clusters_in_scope() -> None:
    """A batch may hold tasks of several clusters of the stack's scope (ClusterName a list, or
    `*`): one audit names them all; a cluster out of the scope is skipped."""
    arn = "arn:aws:ecs:us-east-1:123456789012:task/{}/{:032x}"
    records = [_event(arn.format("prod", 1), "prod"), _event(arn.format("blue", 2), "blue")]
    records.append(_event(arn.format("other", 3), "other"))
    listed = batch_of(records, Scope.parse("prod,blue"))
    audit = listed.audit_input() or {}
    assert audit["clusters"] == ["blue", "prod"] and "cluster" not in audit
    assert sorted(audit["target"]["taskArns"]) == [arn.format("blue", 2), arn.format("prod", 1)]
    assert listed.skipped == {"cluster out of scope": 1} and listed.clusters == {"prod": 1, "blue": 1}
    every = batch_of(records, Scope.parse("*"))
    assert every.audit_input()["clusters"] == ["blue", "other", "prod"]  # type: ignore[index]
    assert every.skipped == {}


def test_events_of_two_clusters_are_one_audit_of_both() -> None:
    """ClusterName "default,blue": the rule's clusterArn suffix filters let both clusters' RUNNING
    events through and keep a third out; the Pipe's one batch is one audit of both clusters."""
    hosts = fleet_hosts(2, prefix="i-0b1ee7")
    hosts[1].cluster = "blue"
    with local_aws(hosts, in_progress_polls=0) as seams:
        stack = create_stack(seams, {"ClusterName": "default,blue", **NO_WINDOW, "PollIntervalSeconds": 0})
        events = create_event_path(stack)
        ecs = boto3.client("ecs", region_name=REGION)
        arns: dict[str, list[str]] = {}
        for host, cluster in zip(hosts, ("default", "blue"), strict=True):
            placer = Placer(seams, cluster, stack.container_instances, stack.subnet_id)
            arns[cluster] = placer.place(host, ["none", "bridge"])
            for task in ecs.describe_tasks(cluster=cluster, tasks=arns[cluster])["tasks"]:
                events.emit(task)
        prod = {**task, "taskArn": task["taskArn"].replace("/blue/", "/prod/")}
        events.emit(prod, cluster_arn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod")  # out of scope
        assert events.queued() == 4
        batch = events.poll()
        assert batch and batch.error is None and batch.execution_arn
        status, report = _finish(batch)
        assert status == "SUCCEEDED", report.get("cause")
        assert {c: n["isolated"] for c, n in report["countsByCluster"].items()} == {"default": 2, "blue": 2}
        assert len(seams.commands) == 2  # one SSM command per host, one host per cluster


def test_the_pipes_calls_are_decided_against_its_role(path: Any) -> None:
    """The Pipe reads the queue, invokes the enrichment and starts the state machine as
    TaskEventsPipeRole; iam-simulate decides each call from the template's policy."""
    events, placer, hosts = path
    events.emit(_tasks(placer.place(hosts[0], ["none"]))[0])
    batch = events.poll()
    assert batch and batch.execution_arn and batch.error is None
    iam = events.stack.seams.iam
    pipe = [(action, resource) for who, action, resource in iam.log if who == "TaskEventsPipeRole"]
    assert {a for a, _ in pipe} == {
        "sqs:ReceiveMessage",
        "lambda:InvokeFunction",
        "states:StartSyncExecution",
        "sqs:DeleteMessage",
    }
    assert [d for d in iam.denials if d.logical_id == "TaskEventsPipeRole"] == []
    # only the event machine: not the Standard one, by either start call
    standard = {"stateMachineArn": events.stack.state_machine_arn}
    assert iam.check("TaskEventsPipeRole", "states", "StartSyncExecution", standard) is not None
    assert iam.check("TaskEventsPipeRole", "states", "StartExecution", standard) is not None


def test_a_pipe_role_without_start_execution_leaves_the_batch_to_be_retried() -> None:
    """Without states:StartSyncExecution the target call is denied with AWS's message: the batch
    is not audited and goes back to the queue (retried, then dead-lettered), never lost."""
    template = copy.deepcopy(load_template())
    statements = template["Resources"]["TaskEventsPipeRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    kept = [s for s in statements["Statement"] if s["Action"] != "states:StartSyncExecution"]
    statements["Statement"] = kept
    hosts = fleet_hosts(1)
    with local_aws(hosts, in_progress_polls=0) as seams:
        stack = create_stack(seams, NO_WINDOW)
        events = create_event_path(stack, template)
        placer = Placer(seams, stack.cluster, stack.container_instances, stack.subnet_id)
        events.emit(_tasks(placer.place(hosts[0], ["none"]))[0])
        batch = events.poll()
        assert batch is not None and batch.execution_arn is None
        assert batch.error and "AccessDeniedException" in batch.error
        assert "not authorized to perform: states:StartSyncExecution" in batch.error
        assert events.queued() == 1  # back in the queue, not lost


def test_an_event_audit_starts_no_canary(path: Any) -> None:
    """What the janitor covers is the canary a failed execution left: an event audit starts none
    (a `tasks` audit: no RegisterTaskDefinition or RunTask state, no task beyond the placed ones),
    so nothing it starts needs the janitor, whatever kind of execution runs it."""
    events, placer, hosts = path
    arns = placer.place(hosts[0], ["none", "bridge"])
    for task in _tasks(arns):
        events.emit(task)
    batch = events.poll()
    assert batch and batch.execution_arn and batch.error is None
    status, _ = _finish(batch)
    assert status == "SUCCEEDED"
    history = sfn_strict.express_history(batch.execution_arn)
    entered = {e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("StateEntered")}
    assert "ResolveHosts" in entered
    assert not entered & {"RegisterTaskDefinition", "RunTask", "DescribeTask", "StopTask", "StopTaskOnError"}
    ecs = boto3.client("ecs", region_name=REGION)
    assert sorted(ecs.list_tasks(cluster="default")["taskArns"]) == sorted(arns)


def test_a_violation_is_a_finished_audit_not_a_failed_batch(path: Any) -> None:
    """The event machine ends a VIOLATION in Succeed (ViolationReported): the report is written
    and the alert sent, so the Pipe deletes the batch instead of auditing it again."""
    events, placer, hosts = path
    arns = placer.place(hosts[0], ["none", "bridge"])
    hosts[0].violating.add(arns[0])
    for task in _tasks(arns):
        events.emit(task)
    batch = events.poll()
    assert batch and batch.error is None
    status, report = _finish(batch)
    assert status == "SUCCEEDED" and report["verdict"] == "VIOLATION"
    assert events.queued() == 0 and events.poll() is None  # not received again
    entered = {
        e["stateEnteredEventDetails"]["name"]
        for e in sfn_strict.express_history(batch.execution_arn)
        if "stateEnteredEventDetails" in e
    }
    assert "ViolationReported" in entered


def test_a_failed_event_execution_is_retried_then_dead_lettered(
    path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An execution that FAILS (here ResolveHosts: its error is reported, then AuditErrored) is a
    failed synchronous target invocation: the batch goes back to the queue, is retried, and after
    maxReceiveCount receives SQS dead-letters it. Nothing is lost."""
    events, placer, hosts = path
    events.emit(_tasks(placer.place(hosts[0], ["none"]))[0])

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("inventory unavailable")

    monkeypatch.setattr("netaudit.handlers.resolve_hosts.resolve_accounts", broken)
    for _ in range(events.max_receives):
        batch = events.poll()
        assert batch is not None and batch.status == "FAILED" and batch.error
        assert "inventory unavailable" in batch.error
    assert events.poll() is None and events.dead_letters() == 1


def test_express_executions_have_no_describe_or_history_and_standard_ones_no_sync_start(path: Any) -> None:
    """As on AWS (Step Functions API reference): DescribeExecution and GetExecutionHistory refuse
    an EXPRESS execution, StartSyncExecution refuses a STANDARD machine."""
    events, placer, hosts = path
    events.emit(_tasks(placer.place(hosts[0], ["none"]))[0])
    batch = events.poll()
    assert batch and batch.execution_arn and batch.status == "SUCCEEDED"
    sfn = boto3.client("stepfunctions", region_name=REGION)
    with pytest.raises(sfn.exceptions.InvalidArn, match="not supported by EXPRESS"):
        sfn.describe_execution(executionArn=batch.execution_arn)
    with pytest.raises(sfn.exceptions.InvalidArn, match="not supported by EXPRESS"):
        sfn.get_execution_history(executionArn=batch.execution_arn)
    with pytest.raises(Exception, match="StateMachineTypeNotSupported"):
        sync_client().start_sync_execution(stateMachineArn=events.stack.state_machine_arn, input="{}")


def test_a_full_batch_of_100_tasks_stays_within_the_state_quota() -> None:
    """EventBatchSize's maximum, 100 tasks on 10 hosts: the resolution and the hosts' verdicts
    travel in the event machine's state, and every state stays under 256 KiB (the Pipe's local
    run checks each state's input and output against the quota)."""
    hosts = fleet_hosts(10, prefix="i-0f0110")
    with local_aws(hosts, in_progress_polls=0) as seams:
        window = {"EventBatchSize": "100", "EventBatchWindowSeconds": "1", "PollIntervalSeconds": 0}
        stack = create_stack(seams, {**NO_WINDOW, **window})
        events = create_event_path(stack)
        placer = Placer(seams, stack.cluster, stack.container_instances, stack.subnet_id)
        layout = spread(100, hosts)
        arns = [a for h in hosts for a in placer.place(h, layout[h.instance_id])]
        for task in _tasks(arns):
            events.emit(task)
        batch = events.poll()
        assert batch and batch.messages == 100 and batch.error is None
        status, report = _finish(batch)
        assert status == "SUCCEEDED" and report["counts"]["isolated"] == 100
        history = sfn_strict.express_history(str(batch.execution_arn))
        assert largest_payload([history]) < STATE_PAYLOAD_LIMIT


def test_a_host_that_runs_out_of_probe_time_is_inconclusive_in_a_written_report() -> None:
    # the probe never finishes (SSM answers InProgress): at the deadline Prepare fitted in the event
    # machine's budget the host is INCONCLUSIVE, the execution succeeds, the batch is not retried
    hosts = fleet_hosts(1)
    with local_aws(hosts, in_progress_polls=10**6) as seams:
        params = {**NO_WINDOW, "PollIntervalSeconds": 0, "ProbeDeadlineSeconds": 1}
        stack = create_stack(seams, params)
        placer = Placer(seams, stack.cluster, stack.container_instances, stack.subnet_id)
        events = create_event_path(stack)
        for task in _tasks(placer.place(hosts[0], ["none"])):
            events.emit(task)
        batch = events.poll()
        assert batch is not None and batch.error is None
        status, report = _finish(batch)
        assert status == "SUCCEEDED", report.get("cause")
        assert report["verdict"] == "INCONCLUSIVE" and report["counts"]["isolated"] == 0
        assert events.queued() == 0  # reported: not back on the queue for a retry
