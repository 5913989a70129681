"""Event-driven audits (rule -> queue -> pipe -> state machine) when AWS throttles, fails and loses
answers (issue 25): every task audited once, in one execution, with its verdict; the Pipe's
StartExecution with its answer lost starts one execution."""

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from netaudit import aws_clients
from netaudit_local.cloud import chaos
from netaudit_local.cloud.account import REGION
from netaudit_local.cloud.aws import local_aws
from netaudit_local.cloud.history import audit_report, execution_history
from netaudit_local.hosts.fleet import FleetHost, Placer, fleet_hosts
from netaudit_local.pipes import NO_WINDOW, EventPath, create_event_path
from netaudit_local.stack import create_stack, wait_for_end


@pytest.fixture
def path() -> Iterator[Any]:
    """`path(chaos)` -> (event path, placer, hosts): the template's event path, faults from now on."""
    hosts = fleet_hosts(2)
    with local_aws(hosts, in_progress_polls=0) as seams:

        def make(c: chaos.Chaos) -> tuple[EventPath, Placer, list[FleetHost]]:
            stack = create_stack(seams, {**NO_WINDOW, "PollIntervalSeconds": 0})
            events = create_event_path(stack)
            assert seams.exit_stack is not None
            c.install(seams.exit_stack)
            seams.chaos = c
            aws_clients.reset()
            return events, Placer(seams, stack.cluster, stack.container_instances, stack.subnet_id), hosts

        yield make


def _audit_all(events: EventPath, arns: list[str]) -> dict[str, list[str]]:
    """Emit each task's RUNNING event, run the Pipe until the queue is empty, finish every
    execution: task ARN -> the verdicts it got (one per audit of it)."""
    ecs = boto3.client("ecs", region_name=REGION)
    for task in ecs.describe_tasks(cluster="default", tasks=arns)["tasks"]:
        events.emit(task)
    started: list[str] = []
    deadline = time.monotonic() + 120
    while events.queued() and time.monotonic() < deadline:
        batch = events.poll()
        if batch is not None and batch.execution_arn and batch.execution_arn not in started:
            started.append(batch.execution_arn)
    assert events.queued() == 0 and events.dead_letters() == 0
    sfn = boto3.client("stepfunctions", region_name=REGION)
    verdicts: dict[str, list[str]] = {}
    for arn in started:
        wait_for_end(sfn, arn, timeout_s=120)
        for task in audit_report(execution_history(sfn, arn))["tasks"]:
            verdicts.setdefault(task["taskArn"], []).append(task["verdict"])
    return verdicts


@pytest.mark.parametrize(("rate", "seed"), [(0.05, 5), (0.1, 10), (0.2, 20)])
def test_event_driven_audits_keep_each_tasks_verdict_under_faults(path: Any, rate: float, seed: int) -> None:
    events, placer, hosts = path(c := chaos.Chaos(rate, seed))
    arns = placer.place(hosts[0], ["none", "bridge"]) + placer.place(hosts[1], ["host", "awsvpc"])
    hosts[1].violating.add(arns[3])
    verdicts = _audit_all(events, arns)
    assert sorted(verdicts) == sorted(arns)  # every task, none lost
    assert all(len(v) == 1 for v in verdicts.values()), verdicts  # each once
    expected = {arn: "VIOLATION" if arn == arns[3] else "ISOLATED" for arn in arns}
    assert {arn: v[0] for arn, v in verdicts.items()} == expected, c.summary()
    assert c.faults() > 0, c.summary()


@pytest.mark.parametrize("lost", [1, 6])
def test_pipe_start_execution_answer_lost_starts_one_execution(path: Any, lost: int) -> None:
    """StartExecution with the same name and input is the same execution while it runs and
    ExecutionAlreadyExists once it ended (Step Functions API reference, StartExecution): the
    client's retry (1 answer lost) or the batch received again after every attempt's answer was
    lost (6: the client gave up, the batch went back to the queue, received again) starts no second
    execution."""
    events, placer, hosts = path(c := chaos.Chaos(0, script={"sfn.StartExecution": ["lost"] * lost}))
    arns = placer.place(hosts[0], ["none", "bridge"])
    verdicts = _audit_all(events, arns)
    assert verdicts == {arn: ["ISOLATED"] for arn in arns}  # each task audited once
    assert c.injected == {("sfn.StartExecution", "lost"): lost}
    sfn = boto3.client("stepfunctions", region_name=REGION)
    executions = sfn.list_executions(stateMachineArn=events.stack.state_machine_arn)["executions"]
    assert len(executions) == 1
    errors = [b.error for b in events.batches]  # the batch received again until one was delivered
    assert errors[-1] is None and all("StartExecution: Read timeout" in str(e) for e in errors[:-1])
    assert len(errors) == 1 if lost == 1 else len(errors) > 1
