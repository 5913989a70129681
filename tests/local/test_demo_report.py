"""The demo's progress lines and report: pure functions over a recorded execution history.

Fixtures: histories recorded from real demo runs (tests/local/fixtures, inputs trimmed) by
tests/local/record_demo.py.
"""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from netaudit_cli.exit_codes import EXIT_ERROR, EXIT_ISOLATED, EXIT_VIOLATION
from netaudit_cli.history import event_time, lambda_invocations, last_state, transitions
from netaudit_cli.progress import PHASES, ProgressPrinter, phase_times
from netaudit_cli.report import ExecutionEnd, render_report, summarise
from netaudit_local.hosts.docker_host import HostEvent

FIXTURES = Path(__file__).parent / "fixtures"


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


@pytest.fixture
def isolated() -> dict[str, Any]:
    return recorded("demo-none-isolated")


@pytest.fixture
def violation() -> dict[str, Any]:
    return recorded("demo-bridge-extra-interface-violation")


def test_event_time_accepts_datetime_iso_text_and_numbers() -> None:
    when = datetime(2026, 11, 25, 8, 0, 0, 250000, tzinfo=UTC)
    assert event_time({"timestamp": when}) == when.timestamp()
    assert event_time({"timestamp": "2026-11-25T08:00:00.250Z"}) == when.timestamp()
    assert event_time({"timestamp": when.timestamp()}) == when.timestamp()
    with pytest.raises(ValueError):
        event_time({"id": 3})


def test_progress_shows_every_state_entered_and_left_in_order(isolated: dict[str, Any]) -> None:
    history = isolated["history"]
    t0 = event_time(history[0]) - 1.0
    printer = ProgressPrinter(t0)
    lines = printer.feed(history)
    entered = [line.split("> ", 1)[1].split(" (")[0] for line in lines if "> " in line]
    assert entered[:4] == ["Prepare", "TargetKind", "RegisterTaskDefinition", "RunTask"]
    assert entered[-1] == "AuditPassed"
    assert len(entered) == transitions(history) == 24
    left = [line for line in lines if "< " in line]
    assert len(left) == len(entered)
    # elapsed time since the demo started, then the state; Map states indented
    assert lines[0].startswith("[  1.")
    assert any(line.endswith("  > SendProbe (Task)") for line in lines)
    assert any("  [host 0]" in line for line in lines)
    assert lines[-1].endswith("execution SUCCEEDED")
    assert all("\x1b" not in line for line in lines)  # plain text, fine without a TTY


def test_progress_fed_incrementally_gives_the_same_lines(isolated: dict[str, Any]) -> None:
    history = isolated["history"]
    t0 = event_time(history[0])
    whole = ProgressPrinter(t0).feed(history)
    printer = ProgressPrinter(t0)
    pieces: list[str] = []
    for start in range(0, len(history), 7):
        pieces += printer.feed(history[start : start + 7])
    assert pieces == whole


def test_host_events_are_shown_with_the_task_and_duration() -> None:
    printer = ProgressPrinter(100.0)
    arn = "arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef"
    start = HostEvent("start_task", arn, 1.0, 1.25, "none", 101.5)
    assert printer.host_line(start) == "[  1.50s]   docker: task 01234567 started (none, 0.250s)"
    probe = HostEvent("run_command", arn, 2.0, 2.05, "Success", 102.0)
    assert "probe script ran (Success, 0.050s)" in str(printer.host_line(probe))
    assert printer.host_line(HostEvent("task_state", arn, 0, 0, "RUNNING", 0)) is None


def test_summary_of_an_isolated_run(isolated: dict[str, Any]) -> None:
    s = summarise(
        isolated["history"],
        ExecutionEnd(isolated["status"], isolated["output"]),
        timings={"setup": 1.5, "teardown": 0.02, "total": 2.5},
    )
    assert s["verdict"] == "ISOLATED"
    assert s["exitCode"] == EXIT_ISOLATED
    assert s["networkMode"] == "none"
    assert s["stateTransitions"] == 24
    assert s["lambdaInvocations"] == 11
    assert s["lambdaInvocationsByFunction"]["GetProbe"] == 2
    assert s["evidenceUri"].startswith("s3://netaudit-evidence-local/canary/")
    assert s["evidenceUri"].endswith("/tests-demo-rec0rded.json")
    (task,) = s["tasks"]
    assert task["verdict"] == "ISOLATED" and task["declaredMode"] == "none"
    (container,) = task["containers"]
    assert container["netns"] and not container["hostNetns"]
    assert container["dockerNetworkMode"] == "none"
    assert container["interfaces"] == [{"name": "lo", "addresses": ["127.0.0.1/8"]}]
    assert list(s["phases"]) == [*PHASES, "total"]
    assert s["phases"]["setup"] == 1.5
    json.dumps(s)  # JSON-able as it is (--json)


def test_summary_of_a_violation_names_the_interface_and_address(violation: dict[str, Any]) -> None:
    s = summarise(
        violation["history"],
        ExecutionEnd(violation["status"], error=violation["error"], cause=violation["cause"]),
    )
    assert violation["status"] == "FAILED"
    assert s["verdict"] == "VIOLATION"
    assert s["exitCode"] == EXIT_VIOLATION
    assert s["error"] == "IsolationViolated"
    reasons = " ".join(s["tasks"][0]["reasons"])
    assert "dummy0" in reasons and "10.9.9.9/24" in reasons
    text = render_report(s)
    assert "== verdict: VIOLATION" in text
    assert "interfaces: lo 127.0.0.1/8, dummy0 10.9.9.9/24, eth0 172.17." in text
    assert "- interface dummy0 present" in text


def test_report_text_has_every_section(isolated: dict[str, Any]) -> None:
    s = summarise(
        isolated["history"],
        ExecutionEnd("SUCCEEDED", isolated["output"]),
        timings={"setup": 1.5, "teardown": 0.02, "total": 2.5},
        extra={"containersLeft": 0, "moto": {"lastStatus": "STOPPED"}},
    )
    text = render_report(s)
    for part in (
        "== verdict: ISOLATED",
        "declared none: ISOLATED",
        "(own netns), docker network mode none",
        "interfaces: lo 127.0.0.1/8",
        "evidence: s3://netaudit-evidence-local/canary/",
        "state transitions: 24, Lambda invocations: 11 (Prepare 1,",
        "task in moto: STOPPED",
        "containers of this run left on the engine: 0",
        "wall time per phase:",
        "  setup           1.500s",
        "  register+run",
        "  wait running",
        "  probe",
        "  evaluate",
        "  stop",
        "  report",
        "  total           2.500s",
    ):
        assert part in text, part


def test_phases_cover_the_execution(isolated: dict[str, Any]) -> None:
    history = isolated["history"]
    phases = phase_times(history)
    assert set(phases) == {"register+run", "wait running", "probe", "evaluate", "stop", "report"}
    span = event_time(history[-1]) - event_time(history[1])
    assert sum(phases.values()) == pytest.approx(span, abs=0.01)


def test_partial_history_and_errors() -> None:
    errored = summarise([], ExecutionEnd("DEMO_ERROR", error="ValueError", cause="boom"))
    assert errored["exitCode"] == EXIT_ERROR
    assert phase_times([]) == {}
    assert last_state([]) is None
    failed: list[dict[str, Any]] = [
        {"type": "ExecutionStarted", "timestamp": "2026-11-25T08:00:00.000Z"},
        {
            "type": "TaskStateEntered",
            "timestamp": "2026-11-25T08:00:00.100Z",
            "stateEnteredEventDetails": {"name": "Prepare"},
        },
        {
            "type": "LambdaFunctionFailed",
            "timestamp": "2026-11-25T08:00:00.200Z",
            "lambdaFunctionFailedEventDetails": {
                "error": "InvalidInput",
                "cause": json.dumps({"errorMessage": "target.networkMode: bad"}),
            },
        },
        {"type": "ExecutionFailed", "timestamp": "2026-11-25T08:00:00.300Z"},
    ]
    lines = ProgressPrinter(event_time(failed[0])).feed(failed)
    assert "! InvalidInput: target.networkMode: bad" in lines[1]
    assert lines[-1].endswith("execution FAILED")
    s = summarise(failed, ExecutionEnd("FAILED", error="InvalidInput", cause="target.networkMode: bad"))
    assert s["verdict"] == "ERROR" and s["exitCode"] == EXIT_ERROR
    assert "target.networkMode: bad" in render_report(s)
    assert last_state(failed) == "Prepare"
    assert lambda_invocations(failed) == {}


def test_report_text_shows_each_tasks_imds_line(isolated: dict[str, Any]) -> None:
    s = summarise(isolated["history"], ExecutionEnd("SUCCEEDED", isolated["output"]))
    assert "  IMDS: blocked (no route to 169.254.169.254)" in render_report(s)  # the probe's route lookups
    for task in s["tasks"]:
        task["imds"] = "reachable (via eth0 172.17.0.1)"
    assert "  IMDS: reachable (via eth0 172.17.0.1)" in render_report(s)
