"""The local run refuses what AWS refuses: uncatchable errors, the history quota, and a canary
that never outlives its execution however the execution ends (the janitor)."""

import json
import time
from typing import Any

import boto3
import pytest
from wf_harness import MakeHarness

from netaudit_local.cloud import sfn_strict
from netaudit_local.cloud.account import REGION


def _tiny_machine(definition: dict[str, Any]) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(
        name=f"tiny-{time.monotonic_ns()}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/netaudit-local",
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    for _ in range(500):
        desc = sfn.describe_execution(executionArn=execution)
        if desc["status"] != "RUNNING":
            return dict(desc)
        time.sleep(0.01)
    raise AssertionError("the tiny execution did not end")


def test_states_all_does_not_catch_a_runtime_error(harness: MakeHarness) -> None:
    harness()  # moto with the strict seams installed
    desc = _tiny_machine(
        {
            "StartAt": "Broken",
            "States": {
                # a path that is not in the input: States.Runtime on AWS
                "Broken": {"Type": "Pass", "Parameters": {"x.$": "$.missing"}, "End": True},
                "Caught": {"Type": "Succeed"},
            },
        }
    )
    assert desc["status"] == "FAILED" and desc["error"] == "States.Runtime"
    # ... and with a Catch on States.ALL, still FAILED (moto alone would take the Catch)
    desc = _tiny_machine(
        {
            "StartAt": "Broken",
            "States": {
                "Broken": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets",
                    "Parameters": {"x.$": "$.missing"},
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                    "End": True,
                },
                "Caught": {"Type": "Succeed"},
            },
        }
    )
    assert desc["status"] == "FAILED" and desc["error"] == "States.Runtime", desc


def test_history_quota_fails_the_execution_and_the_janitor_stops_the_canary(
    harness: MakeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness(in_progress_polls=0)
    # the canary is RUNNING by event 25 or so; a quota of 40 ends the execution inside the probe
    monkeypatch.setattr(sfn_strict, "HISTORY_LIMIT", 40)
    result = h.run()
    assert result.status == "FAILED"
    assert result.janitor is not None and result.janitor["status"] == "FAILED"
    assert len(result.janitor["stoppedTasks"]) == 1
    assert result.janitor["deregistered"] and "netaudit-canary-none" in result.janitor["deregistered"][0]
    h.assert_all_stopped()


def test_every_child_history_stays_far_below_the_quota(harness: MakeHarness) -> None:
    """A host polled 20 times: each poll adds 3 states to the child's own history only."""
    h = harness(in_progress_polls=20)
    result = h.run()
    assert result.status == "SUCCEEDED", result.cause
    assert len(result.children) == 1 and len(result.history) < 60
    assert 20 <= [e["type"] for e in result.children[0]].count("WaitStateEntered") <= 21


def test_the_janitor_finds_nothing_after_a_clean_execution(harness: MakeHarness) -> None:
    h = harness(in_progress_polls=0)
    result = h.run({"target": {"networkMode": "bridge"}})
    assert result.status == "SUCCEEDED" and result.janitor is None
    from netaudit.workflow.janitor import sweep

    swept = sweep(h.ecs, h.stack.cluster, result.execution_arn, "ABORTED", "netaudit-canary")
    assert swept["stoppedTasks"] == [] and swept["deregistered"] == []
