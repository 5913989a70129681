"""Reading a Step Functions execution history: pure functions over its events, and the readers
of a running execution (light: the demo imports this module before moto starts)."""

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from netaudit_local.cloud import sfn_strict

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


def api_history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    """The execution's whole history through GetExecutionHistory, with its Distributed Map
    children's events in time order (each child is billed as an execution of its own)."""
    history = execution_history(sfn, arn)
    history.extend(sfn_strict.child_events(arn))
    history.sort(key=event_time)
    return history


class HistoryReader:
    """The execution's history while it runs, read incrementally.

    Reads moto's in-memory event list directly (moto 5.2: the parser backend's execution ->
    `exec_worker.env.event_manager`, a deep copy taken under its lock, ~0.5 ms) instead of
    `GetExecutionHistory`, which re-serialises the whole history on every call (~40 ms at 85
    events) and, polled every 20 ms, took the GIL from the execution itself. Falls back to the
    API when moto's internals are not there. The report uses the API's history at the end.
    """

    def __init__(self, sfn: Any, arn: str) -> None:
        self.sfn, self.arn = sfn, arn
        self.seen = 0
        self.children_seen = 0
        self._manager: Any = None

    def _direct(self) -> list[dict[str, Any]] | None:
        try:
            if self._manager is None:
                from moto.stepfunctions.parser.models import stepfunctions_parser_backends

                account, region = self.arn.split(":")[4], self.arn.split(":")[3]
                backend: Any = stepfunctions_parser_backends[account][region]
                env = backend.describe_execution(execution_arn=self.arn).exec_worker.env
                if env is None:
                    return []
                self._manager = env.event_manager
            events = self._manager.get_event_history()
        except Exception:
            return None
        return [{**e, "type": getattr(e.get("type"), "value", e.get("type"))} for e in events]

    def new_events(self) -> list[dict[str, Any]]:
        events = self._direct()
        if events is None:
            events = list(self.sfn.get_execution_history(executionArn=self.arn, maxResults=1000)["events"])
        fresh = events[self.seen :]
        self.seen = len(events)
        # The Distributed Map's children (one per host) have histories of their own.
        children = list(sfn_strict.child_events(self.arn))
        fresh += children[self.children_seen :]
        self.children_seen = len(children)
        return fresh
