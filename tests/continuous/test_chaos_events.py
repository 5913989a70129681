"""Event-driven audits (rule -> queue -> pipe -> state machine) when AWS throttles, fails and loses
answers (issue 25): every task audited, in each audit once, with its verdict. The Pipe runs the
EXPRESS event machine by StartSyncExecution, which is at-least-once and has no idempotency
(Step Functions developer guide, "Choosing workflow type": Express workflows run at-least-once):
a lost answer is a failed invocation, so the batch is audited again, each audit with the same verdicts."""

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from netaudit import aws_clients
from netaudit_cli.history import audit_report
from netaudit_local.cloud import chaos, sfn_strict
from netaudit_local.cloud.account import REGION
from netaudit_local.cloud.aws import local_aws
from netaudit_local.hosts.fleet import FleetHost, Placer, fleet_hosts
from netaudit_local.pipes import NO_WINDOW, EventPath, create_event_path
from netaudit_local.stack import create_stack


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
            aws_clients.reset()
            return events, Placer(seams, stack.cluster, stack.container_instances, stack.subnet_id), hosts

        yield make


def _audit_all(events: EventPath, arns: list[str]) -> dict[str, list[str]]:
    """Emit each task's RUNNING event, run the Pipe until the queue is empty: task ARN -> the
    verdicts it got, one per delivered audit (the report each StartSyncExecution answered)."""
    ecs = boto3.client("ecs", region_name=REGION)
    for task in ecs.describe_tasks(cluster="default", tasks=arns)["tasks"]:
        events.emit(task)
    deadline = time.monotonic() + 120
    while events.queued() and time.monotonic() < deadline:
        events.poll()
    assert events.queued() == 0 and events.dead_letters() == 0
    verdicts: dict[str, list[str]] = {}
    for batch in events.batches:
        if batch.execution_arn is None or batch.error:
            continue
        for task in audit_report(sfn_strict.express_history(batch.execution_arn))["tasks"]:
            verdicts.setdefault(task["taskArn"], []).append(task["verdict"])
    return verdicts


@pytest.mark.parametrize(("rate", "seed"), [(0.05, 4), (0.1, 10), (0.2, 20)])
def test_event_driven_audits_keep_each_tasks_verdict_under_faults(path: Any, rate: float, seed: int) -> None:
    events, placer, hosts = path(c := chaos.Chaos(rate, seed))
    arns = placer.place(hosts[0], ["none", "bridge"]) + placer.place(hosts[1], ["host", "awsvpc"])
    hosts[1].violating.add(arns[3])
    verdicts = _audit_all(events, arns)
    assert sorted(verdicts) == sorted(arns)  # every task, none lost
    expected = {arn: "VIOLATION" if arn == arns[3] else "ISOLATED" for arn in arns}
    # each audit of a task gives it its verdict (a batch audited again gives it again)
    assert {arn: set(v) for arn, v in verdicts.items()} == {a: {v} for a, v in expected.items()}, c.summary()
    assert c.faults() > 0, c.summary()


@pytest.mark.parametrize("lost", [1, 6])
def test_pipe_start_sync_execution_answer_lost_audits_the_batch_again(path: Any, lost: int) -> None:
    """StartSyncExecution's answer lost (1: the client's retry; 6: every attempt, the batch goes back
    to the queue and is received again): the execution ran, its answer never came, so the batch is
    audited again (at-least-once); every delivered audit reports each task once, nothing is lost
    or dead-lettered, and the lost executions' reports are there too (in the machine's logs)."""
    events, placer, hosts = path(c := chaos.Chaos(0, script={"sfn.StartSyncExecution": ["lost"] * lost}))
    arns = placer.place(hosts[0], ["none", "bridge"])
    verdicts = _audit_all(events, arns)
    assert {arn: set(v) for arn, v in verdicts.items()} == {arn: {"ISOLATED"} for arn in arns}
    assert all(len(v) == 1 for v in verdicts.values())  # one delivered audit
    assert c.injected == {("sfn.StartSyncExecution", "lost"): lost}
    errors = [b.error for b in events.batches]  # the batch received again until one was delivered
    assert errors[-1] is None, errors
    assert all("StartSyncExecution: Read timeout" in str(e) for e in errors[:-1]), errors
    assert len(errors) == 1 if lost == 1 else len(errors) > 1
