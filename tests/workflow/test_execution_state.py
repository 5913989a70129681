"""The parent execution's state as Report and StopCanary parse it, and the one roll-up."""

import pytest
from pydantic import ValidationError
from wf_harness import audit_of

from netaudit.models.state import ExecutionState
from netaudit.verdict import rollup
from netaudit.workflow.report.collect import Collected
from netaudit.workflow.report.summary import summarise


def test_the_error_path_state_of_a_failed_prepare_parses_and_is_kept_as_received() -> None:
    raw = {"error": {"Error": "States.TaskFailed", "Cause": '{"errorMessage": "boom"}'}}
    state = ExecutionState.model_validate(raw)
    assert state.audit is None and state.kind == "canary" and state.cluster is None
    assert state.error is not None and state.error.error == "States.TaskFailed"
    assert state.error.message() == "boom"
    assert state.received() is raw  # the evidence JSON records the state exactly as it came
    assert summarise(state, "run-1", None, Collected()).verdict == "ERROR"


def test_a_full_state_reads_every_part_the_asl_writes() -> None:
    audit = audit_of({"kind": "cluster", "networkModes": ["bridge"]}, cluster="prod").dump()
    raw = {
        "audit": audit,
        "canary": None,
        "resolved": {
            "mode": "none",
            "hostCount": 0,
            "taskCount": 0,
            "bucket": "b",
            "resolvedKey": "runs/run-1/resolved.json",
            "resultsPrefix": "runs/run-1/hosts/",
        },
        "cleanup": {"stoppedTasks": ["arn:t"], "deregistered": None},
        "cleanupError": {"Error": "ClientError", "Cause": "denied"},
        "report": {"verdict": "ISOLATED"},  # a later step's key: ignored
    }
    state = ExecutionState.model_validate(raw)
    assert state.kind == "cluster" and state.cluster == "prod"
    assert state.resolved is not None and state.resolved.results_prefix == "runs/run-1/hosts/"
    assert state.cleanup is not None and state.cleanup.stopped_tasks == ["arn:t"]
    assert state.cleanup_error is not None and state.cleanup_error.message() == "denied"


def test_a_malformed_part_is_refused_not_guessed() -> None:
    with pytest.raises(ValidationError):
        ExecutionState.model_validate({"resolved": {"bucket": "b"}})  # no mode, no keys


def test_the_roll_up_never_reads_an_unknown_or_missing_verdict_as_isolated() -> None:
    assert rollup.worst([]) is None
    assert rollup.worst(["ISOLATED", None]) == "INCONCLUSIVE"
    assert rollup.worst(["ISOLATED", "SOMETHING"]) == "INCONCLUSIVE"
    assert rollup.worst(["INCONCLUSIVE", "VIOLATION", "ISOLATED"]) == "VIOLATION"
    # one roll-up: no verdict at all is INCONCLUSIVE, never ISOLATED; an audit without any task
    # is NOTHING_TO_AUDIT, its own verdict, not a pass
    assert rollup.overall([]) == "INCONCLUSIVE"
    assert rollup.overall(["ISOLATED", None]) == "INCONCLUSIVE"
    assert rollup.audit_verdict([]) == "NOTHING_TO_AUDIT"
    assert rollup.audit_verdict(["ISOLATED", "ISOLATED"]) == "ISOLATED"
    assert rollup.audit_verdict(["ISOLATED", None]) == "INCONCLUSIVE"
    assert rollup.counts(["ISOLATED", "VIOLATION", "VIOLATION", None]) == {
        "tasks": 4,
        "isolated": 1,
        "violation": 2,
        "inconclusive": 0,
    }
