"""The definition that ships: built by statemachine/build_asl.py, one processor, names unique,
no construct that AWS turns into an uncatchable States.Runtime."""

import importlib.util
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from netaudit_cli.progress import STATE_PHASE

ROOT = Path(__file__).resolve().parents[2]
ASL = ROOT / "statemachine" / "netaudit.asl.json"
EVENT_ASL = ROOT / "statemachine" / "netaudit-events.asl.json"  # the event machine (EXPRESS)


def _definition() -> dict[str, Any]:
    return json.loads(ASL.read_text(encoding="utf-8"))


def _event_definition() -> dict[str, Any]:
    return json.loads(EVENT_ASL.read_text(encoding="utf-8"))


def _all_states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        yield name, state
        if state["Type"] == "Map":
            yield from _all_states(state["ItemProcessor"]["States"])


def test_committed_definition_is_the_builders_output() -> None:
    spec = importlib.util.spec_from_file_location("build_asl", ROOT / "statemachine" / "build_asl.py")
    assert spec and spec.loader
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    assert ASL.read_text(encoding="utf-8") == builder.render(), "run `make asl` and commit the result"
    assert EVENT_ASL.read_text(encoding="utf-8") == builder.render(express=True), "run `make asl`"


def test_one_per_host_processor_and_unique_names() -> None:
    names = Counter(name for name, _ in _all_states(_definition()["States"]))
    assert [n for n, c in names.items() if c > 1] == []
    maps = [s for _, s in _all_states(_definition()["States"]) if s["Type"] == "Map"]
    # the Distributed Map (one EXPRESS child per group of hosts) and, inside, the group's hosts
    assert [m["ItemProcessor"]["ProcessorConfig"] for m in maps] == [
        {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        {"Mode": "INLINE"},
    ]
    assert "ItemReader" in maps[0] and "ResultWriter" in maps[0]
    assert sum(1 for n, _ in _all_states(_definition()["States"]) if n == "SendProbe") == 1


def test_waits_take_their_seconds_from_the_input() -> None:
    found = [s for _, s in _all_states(_definition()["States"]) if s["Type"] == "Wait"]
    assert found
    assert all("SecondsPath" in w and "Seconds" not in w for w in found)


def test_no_intrinsic_parses_an_error() -> None:
    # A Cause that is not JSON (Lambda.Unknown, Sandbox.Timedout) makes States.StringToJson raise
    # States.Runtime, which no Catch takes: the canary clean-up would be skipped.
    assert "States.StringToJson" not in ASL.read_text(encoding="utf-8")


def test_every_task_retries_transient_lambda_errors() -> None:
    both = [*_all_states(_definition()["States"]), *_all_states(_event_definition()["States"])]
    for name, state in both:
        if state["Type"] != "Task":
            continue
        retried = {e for retrier in state["Retry"] for e in retrier["ErrorEquals"]}
        for error in (
            "Lambda.ClientExecutionTimeoutException",
            "Lambda.Unknown",
            "Lambda.ServiceException",
            "Lambda.TooManyRequestsException",
        ):
            assert error in retried, (name, error)


def test_every_state_has_a_demo_phase() -> None:
    names = {n for d in (_definition(), _event_definition()) for n, _ in _all_states(d["States"])}
    assert sorted(names - set(STATE_PHASE)) == []
    assert set(STATE_PHASE) - names == set()


# the event machine's states that differ from the Standard machine's state of the same name
EVENT_VARIANTS = {"TargetKind", "ResolveHosts", "HostsRoute", "ProbeHosts", "AllIsolated", "EvaluateHost"}
CANARY_STATES = {
    "RegisterTaskDefinition",
    "RunTask",
    "WaitForRunning",
    "DescribeTask",
    "IsRunning",
    "StopTask",
}


def _unbudgeted(state: dict[str, Any]) -> dict[str, Any]:
    """An event machine's Task state without its budget: TimeoutSeconds, its retries (throttled
    invokes, then one retry of the rest: the Standard machine's Retry back) and Prepare's
    probeBudgetSeconds."""
    if state["Type"] != "Task":
        return state
    throttled, rest = state["Retry"]
    assert throttled["ErrorEquals"] == ["Lambda.TooManyRequestsException"]
    assert state["TimeoutSeconds"] >= 1 and rest["MaxAttempts"] == 1
    out = {k: v for k, v in state.items() if k != "TimeoutSeconds"}
    out["Retry"] = _definition()["States"]["Prepare"]["Retry"]  # RETRY_TRANSIENT
    defaults = state["Parameters"].get("defaults")
    if defaults:
        rest = {k: v for k, v in defaults.items() if k != "probeBudgetSeconds"}
        out["Parameters"] = {**state["Parameters"], "defaults": rest}
    return out


def test_the_event_machine_is_the_standard_states_without_the_canary_and_an_inline_map() -> None:
    standard = dict(_all_states(_definition()["States"]))
    event = dict(_all_states(_event_definition()["States"]))
    assert not set(event) & (CANARY_STATES | {"StopTaskOnError", "IsCanary", "ProbeHostGroup"})
    same = {n for n in event if n in standard and n not in EVENT_VARIANTS}
    # one definition of each state, but for the event machine's time budget (test_asl_budget.py)
    assert {n for n in same if _unbudgeted(event[n]) != standard[n]} == set()
    assert set(event) - set(standard) == {"NotAnEventAudit", "ViolationReported"}
    maps = [s for s in event.values() if s["Type"] == "Map"]
    assert [m["ItemProcessor"]["ProcessorConfig"] for m in maps] == [{"Mode": "INLINE"}]
    assert maps[0]["ItemsPath"] == "$.resolved.inline.hosts" and maps[0]["ResultPath"] == "$.hostResults"
    assert event["EvaluateHost"]["ResultPath"] == "$"  # the host's result is the iteration's output
    assert _event_definition()["TimeoutSeconds"] <= 300  # Express's 5 minutes
    # only an error fails the execution (the Pipe retries it); a verdict, whatever it is, succeeds
    fails = {n for n, s in event.items() if s["Type"] == "Fail"}
    assert fails == {
        "NotAnEventAudit",
        "RejectInput",
        "RejectInputRaw",
        "AuditErrored",
        "AuditErroredUnreported",
    }
    assert event["AllIsolated"]["Default"] == "ViolationReported"
