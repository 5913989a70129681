"""The event machine's time budget adds up (issue 24): a whole event audit is one Express
execution, at most 300 s (Step Functions quotas, "Maximum execution duration: Express 5 minutes").
One that runs out TIMES_OUT and the Pipe dead-letters its batch with no report; so the longest path
through the committed ASL, each Task state at its worst (every attempt to its TimeoutSeconds or its
function's Lambda Timeout, plus the retry waits) and the probe loop to its deadline, ends within
that with a margin: a host still probing at its deadline is INCONCLUSIVE in a written report."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from netaudit.models.inputs import EXPRESS_PROBE_BUDGET
from netaudit_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
EVENT_ASL = ROOT / "statemachine" / "netaudit-events.asl.json"
EXPRESS_SECONDS = 300
MARGIN = 10  # at least this much of the 300 s is left on the longest path


def _asl() -> dict[str, Any]:
    return dict(json.loads(EVENT_ASL.read_text(encoding="utf-8")))


def _lambda_timeouts() -> dict[str, int]:
    """`${<Name>FunctionArn}` -> the function's Timeout (its own, else the Globals'), from template.yaml."""
    template = load_template()
    default = int(template["Globals"]["Function"]["Timeout"])
    return {
        f"${{{logical.removesuffix('Function')}FunctionArn}}": int(res["Properties"].get("Timeout", default))
        for logical, res in template["Resources"].items()
        if res.get("Type") == "AWS::Serverless::Function"
    }


def _retry_waits(retrier: dict[str, Any]) -> float:
    interval, rate = retrier.get("IntervalSeconds", 1), retrier.get("BackoffRate", 2.0)
    cap = retrier.get("MaxDelaySeconds", float("inf"))
    return sum(min(interval * rate**k, cap) for k in range(retrier.get("MaxAttempts", 3)))


# Lambda refuses a throttled Invoke before the function runs (TooManyRequestsException, HTTP 429:
# Lambda API reference): a retrier of nothing else spends no attempt time, only its waits.
REFUSED_BEFORE_RUNNING = {"Lambda.TooManyRequestsException"}


def task_worst_case(state: dict[str, Any], timeouts: dict[str, int]) -> float:
    attempt = min(state.get("TimeoutSeconds", float("inf")), timeouts[state["Resource"]])
    retriers = state.get("Retry", [])
    running = [r for r in retriers if not set(r["ErrorEquals"]) <= REFUSED_BEFORE_RUNNING]
    attempts = 1 + sum(r.get("MaxAttempts", 3) for r in running)
    return attempts * attempt + sum(_retry_waits(r) for r in retriers)


def _next(state: dict[str, Any]) -> Iterator[str]:
    for key in ("Next", "Default"):
        if key in state:
            yield state[key]
    yield from (c["Next"] for c in state.get("Choices", []))
    yield from (c["Next"] for c in state.get("Catch", []))


def longest(
    machine: dict[str, Any], costs: Any, name: str | None = None, path: tuple[str, ...] = ()
) -> float:
    """The longest path's time from `name` (StartAt): a back edge (the poll loop) is not followed."""
    name = name or machine["StartAt"]
    state = machine["States"][name]
    here = costs(name, state)
    nexts = [n for n in _next(state) if n not in path and n != name]
    return here + max((longest(machine, costs, n, (*path, name)) for n in nexts), default=0.0)


def test_the_event_machines_longest_path_ends_within_express_300_seconds() -> None:
    asl, timeouts = _asl(), _lambda_timeouts()
    assert asl["TimeoutSeconds"] <= EXPRESS_SECONDS
    # what Prepare keeps the probe deadline plus one poll interval within (workflow.prepare): the
    # machine's own budget, else the Express children's (the Standard machine's)
    defaults = asl["States"]["Prepare"]["Parameters"]["defaults"]
    budget = defaults.get("probeBudgetSeconds", EXPRESS_PROBE_BUDGET)
    polls = 0

    def costs(name: str, state: dict[str, Any]) -> float:
        nonlocal polls
        if state["Type"] == "Task":
            return task_worst_case(state, timeouts)
        if state["Type"] == "Map":  # its hosts in parallel: one iteration's longest path
            return longest(state["ItemProcessor"], costs)
        if state["Type"] == "Wait":  # the poll loop: deadline + interval = budget, and the last poll
            polls += 1  # (a poll that began just before the deadline ends after it)
            get_probe = state["Next"]
            return budget + task_worst_case(_processor(asl)["States"][get_probe], timeouts)
        return 0.0

    total = longest(asl, costs)
    assert polls >= 1  # the loop was counted
    assert total <= EXPRESS_SECONDS - MARGIN, (total, budget)


def _processor(asl: dict[str, Any]) -> dict[str, Any]:
    (map_state,) = [s for s in asl["States"].values() if s["Type"] == "Map"]
    return dict(map_state["ItemProcessor"])


def test_every_task_state_has_a_timeout_within_its_functions() -> None:
    asl, timeouts = _asl(), _lambda_timeouts()
    tasks = [s for s in [*asl["States"].values(), *_processor(asl)["States"].values()] if s["Type"] == "Task"]
    assert len(tasks) >= 8
    for state in tasks:
        assert 1 <= state.get("TimeoutSeconds", float("inf")) <= timeouts[state["Resource"]], state[
            "Resource"
        ]
