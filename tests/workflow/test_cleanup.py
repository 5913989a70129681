"""No task outlives its execution: a StopTask that fails is retried on the error path."""

from wf_harness import MakeHarness, audit_of

from netaudit.models.state import ExecutionState
from netaudit.workflow.report.collect import Collected
from netaudit.workflow.report.summary import summarise
from netaudit_local.hosts.recorded_host import Faults


def test_a_stop_that_fails_twice_is_retried_until_the_canary_is_stopped(harness: MakeHarness) -> None:
    h = harness(faults=Faults(stop_failures=2), in_progress_polls=0)
    result = h.run()
    entered = result.entered()
    # StopTask fails (caught), StopTaskOnError fails once and its retry stops the task
    assert entered.count("StopTask") == 1 and entered.count("StopTaskOnError") == 1
    h.assert_all_stopped()
    assert result.status == "FAILED"
    assert "StopTask failed: the container instance did not stop the task" in (result.cause or "")
    assert "CLEAN-UP FAILED" not in (result.cause or "")


CAUSE = '{"errorMessage": "StopTask failed: still running"}'


def test_a_clean_up_that_failed_for_good_is_said_in_the_report() -> None:
    state = {
        "audit": audit_of({"kind": "canary"}),
        "error": {"Error": "ClientError", "Cause": "StopTask failed"},
        "cleanupError": {"Error": "ClientError", "Cause": CAUSE},
    }
    text = summarise(
        ExecutionState.model_validate(state), "run-1", "s3://bucket/canary/run-1.json", Collected()
    ).cause
    assert "CLEAN-UP FAILED" in text and "still running" in text


def test_the_default_canary_ends_by_itself_soon_after_the_audit_deadlines(harness: MakeHarness) -> None:
    h = harness(in_progress_polls=0)
    result = h.run({"runningDeadlineSeconds": 60, "probeDeadlineSeconds": 30})
    assert result.status == "SUCCEEDED", result.cause
    [launch] = h.host.started.values()
    assert launch.containers[0].command == ["sleep", str(60 + 30 + 300)]


def test_the_deployments_canary_command_is_used(harness: MakeHarness) -> None:
    h = harness(in_progress_polls=0, parameters={"CanaryCommand": '["sleep", "77"]'})
    result = h.run()
    assert result.status == "SUCCEEDED", result.cause
    [launch] = h.host.started.values()
    assert launch.containers[0].command == ["sleep", "77"]
