"""Reading a Step Functions execution history: pure functions over its events (GetExecutionHistory's
shape, or moto's), and the API reader of a finished execution. `netaudit audit` and the demo share
them."""

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

# A Lambda Task state's invocation, as moto's engine ("LambdaFunction…") or AWS ("Task…") logs it.
LAMBDA_SCHEDULED = ("LambdaFunctionScheduled", "TaskScheduled")
END_EVENTS = frozenset({"ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"})
REPORT_STATES = ("Report", "ReportError")  # the states whose output holds the audit's `report`
CANARY_STATES = ("StopTask", "StopTaskOnError", "RunTask", "DescribeTask")  # ... the `canary` task


def transitions(history: Sequence[Mapping[str, Any]]) -> int:
    """State transitions as AWS bills them: one per state entered."""
    return sum(1 for e in history if str(e.get("type", "")).endswith("StateEntered"))


def lambda_calls(history: Sequence[Mapping[str, Any]]) -> int:
    """Lambda invocations the state machine scheduled."""
    return sum(1 for e in history if e.get("type") in LAMBDA_SCHEDULED)


def event_time(event: Mapping[str, Any]) -> float:
    """Epoch seconds of a history event (`timestamp` as datetime, ISO text or a number)."""
    ts = event.get("timestamp")
    if isinstance(ts, datetime):
        return ts.timestamp()
    if isinstance(ts, (int, float)):
        return float(ts)
    if isinstance(ts, str):
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    raise ValueError(f"history event {event.get('id')} has no timestamp")


def event_details(event: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The event's `<kind>EventDetails` object ({} when absent)."""
    value = event.get(key)
    return value if isinstance(value, dict) else {}


def parse_json(text: Any) -> Any:
    """`text` parsed as JSON; None when it is no JSON text."""
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def state_outputs(history: Sequence[Mapping[str, Any]], name: str) -> list[dict[str, Any]]:
    """The parsed outputs of every exit of state `name`, in order."""
    outs: list[dict[str, Any]] = []
    for event in history:
        if event.get("type", "").endswith("StateExited"):
            details = event_details(event, "stateExitedEventDetails")
            if details.get("name") == name:
                parsed = parse_json(details.get("output"))
                if isinstance(parsed, dict):
                    outs.append(parsed)
    return outs


def last_key(history: Sequence[Mapping[str, Any]], states: Iterable[str], key: str) -> dict[str, Any]:
    """`output[key]` of the last exit of any of `states` whose output holds that key ({} if none)."""
    wanted = set(states)
    found: dict[str, Any] = {}
    for event in history:
        if str(event.get("type", "")).endswith("StateExited"):
            details = event_details(event, "stateExitedEventDetails")
            if details.get("name") in wanted:
                parsed = parse_json(details.get("output"))
                if isinstance(parsed, dict) and isinstance(parsed.get(key), dict):
                    found = parsed[key]
    return found


def last_state(history: Sequence[Mapping[str, Any]]) -> str | None:
    """The name of the last state entered."""
    for event in reversed(history):
        if str(event.get("type", "")).endswith("StateEntered"):
            return str(event_details(event, "stateEnteredEventDetails").get("name"))
    return None


def lambda_invocations(history: Sequence[Mapping[str, Any]]) -> Counter[str]:
    """Lambda function name -> how many times the state machine invoked it."""
    calls: Counter[str] = Counter()
    for event in history:
        if event.get("type") in LAMBDA_SCHEDULED:
            details = event_details(event, "lambdaFunctionScheduledEventDetails") or event_details(
                event, "taskScheduledEventDetails"
            )
            resource = str(details.get("resource", "?"))
            calls[resource.rsplit(":", 1)[-1].removeprefix("netaudit-").removesuffix("Function")] += 1
    return calls


def audit_report(history: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The audit's report: the `report` of the Report (or ReportError) state's output ({} if none)."""
    return last_key(history, REPORT_STATES, "report")


def canary_task(history: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The canary task as the state machine last recorded it ({} in a cluster or tasks audit)."""
    return last_key(history, CANARY_STATES, "canary")


def execution_history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    """The execution's own events, through GetExecutionHistory (all pages)."""
    history: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        history.extend(page["events"])
    return history
