"""The canary audit when AWS loses the answer of a call it carried out (issue 25): the retry must not
start a second canary or leave a second revision, and the audit keeps its verdict."""

import boto3
from wf_harness import Harness, MakeHarness

from netaudit import aws_clients
from netaudit_local.cloud import chaos
from netaudit_local.cloud.account import REGION


def _inject(h: Harness, c: chaos.Chaos) -> chaos.Chaos:
    """`c`'s faults in this local run from now on (the clients built after it inherit it)."""
    assert h.stack.seams.exit_stack is not None
    c.install(h.stack.seams.exit_stack)
    aws_clients.reset()
    return c


def _active_canary_revisions() -> list[str]:
    ecs = boto3.client("ecs", region_name=REGION)
    return list(ecs.list_task_definitions(familyPrefix="netaudit", status="ACTIVE")["taskDefinitionArns"])


def test_run_task_answer_lost_starts_one_canary(harness: MakeHarness) -> None:
    h = harness()
    c = _inject(h, chaos.Chaos(0, script={"ecs.RunTask": ["lost"]}))
    result = h.run()
    assert result.status == "SUCCEEDED", result.cause
    assert c.injected == {("ecs.RunTask", "lost"): 1} and c.retries["ecs.RunTask"] == 1
    assert len(h.host.started) == 1  # the retried RunTask (same clientToken) started nothing
    h.assert_all_stopped()
    assert len(h.evidence()) == 1


def test_register_task_definition_answer_lost_leaves_no_revision(harness: MakeHarness) -> None:
    h = harness()
    c = _inject(h, chaos.Chaos(0, script={"ecs.RegisterTaskDefinition": ["lost"]}))
    result = h.run()
    assert result.status == "SUCCEEDED", result.cause
    assert c.injected == {("ecs.RegisterTaskDefinition", "lost"): 1}
    assert c.attempts["ecs.RegisterTaskDefinition"] == 1  # not repeated: the revision was found
    assert _active_canary_revisions() == []  # the one revision was deregistered with the canary
    h.assert_all_stopped()


def test_a_lost_answer_of_every_canary_step_keeps_the_verdict(harness: MakeHarness) -> None:
    """The Lambda invokes of the state machine lost (Lambda.SdkClientException, retried by the
    ASL: the handler ran twice) and each call of the canary's steps lost once."""
    h = harness()
    once = ["lost"]
    script: dict[str, list[str | None]] = {
        op: once
        for op in (
            "lambda.Invoke", "ecs.RegisterTaskDefinition", "ecs.RunTask", "ecs.DescribeTasks",
            "ssm.SendCommand", "ssm.GetCommandInvocation", "ecs.StopTask", "s3.PutObject",
        )
    }
    c = _inject(h, chaos.Chaos(0, script=script))
    result = h.run()
    assert result.status == "SUCCEEDED", result.cause
    assert set(script) <= {op for op, _ in c.injected}
    assert len(h.host.started) == 1 and len(h.host.commands) == 1  # one canary, one probe
    h.assert_all_stopped()
    assert _active_canary_revisions() == [] and len(h.evidence()) == 1
