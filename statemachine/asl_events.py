"""The event machine (EventAuditStateMachine, EXPRESS, statemachine/netaudit-events.asl.json): the
Standard machine's states without the canary's, the hosts probed by an Inline Map."""

from typing import Any

from asl_standard import definition
from asl_states import TRANSIENT, catch, host_processor

# States of the Standard machine that only a canary audit or the Distributed Map enters: the event
# machine audits `tasks` only, so it has none of them (it starts no task: nothing for the janitor).
NOT_IN_EVENTS = (
    "RegisterTaskDefinition",
    "RunTask",
    "WaitForRunning",
    "DescribeTask",
    "IsRunning",
    "IsCanary",
    "StopTask",
    "StopTaskOnError",
    "AuditFailed",
)
# The time budget. An Express execution lasts at most 5 minutes (Step Functions quotas, "Maximum
# execution duration: Express 5 minutes"); one that runs out TIMES_OUT, which the Pipe takes as a
# failed batch (retried, then dead-lettered): no report, not even INCONCLUSIVE. So every Task state
# here has a TimeoutSeconds (at most its function's Lambda Timeout) and one retry (RETRY_EVENT), and
# Prepare fits the probe deadline plus one poll interval in PROBE_BUDGET_SECONDS: what the 300 s
# leave after the worst case of each Task state on the longest path (Prepare, ResolveHosts,
# SendProbe, two GetProbe polls, Evaluate, Report and ReportError) and a margin. A host still
# probing at its deadline is then INCONCLUSIVE (ProbeTimedOut) in a report that is written.
# tests/workflow/test_asl_budget.py adds it up again from the committed ASL and the template.
EVENT_TIMEOUT_SECONDS = 300
MARGIN_SECONDS = 15
TASK_SECONDS = {
    "Prepare": 10,
    "ResolveHosts": 15,
    "SendProbe": 5,
    "GetProbe": 5,
    "Evaluate": 10,
    "Report": 15,
}
# A throttled Invoke (Lambda.TooManyRequestsException, HTTP 429: "The request throughput limit was
# exceeded", Lambda API reference) is refused before the function runs, so its attempts cost only
# the waits: retried twice more (1 s, 2 s) before RETRY_EVENT's one retry is spent on it. A burst of
# task starts is when Lambda's concurrency runs out, and one retry made such hosts INCONCLUSIVE.
# Step Functions uses the first retrier whose ErrorEquals matches ("Retrying after an error").
RETRY_THROTTLED: dict[str, Any] = {
    "ErrorEquals": ["Lambda.TooManyRequestsException"],
    "IntervalSeconds": 1,
    "MaxAttempts": 2,
    "BackoffRate": 2.0,
}
# The other transient errors, and a timed-out attempt (a cold start), retried once after 1 s.
RETRY_EVENT: dict[str, Any] = {
    "ErrorEquals": [e for e in TRANSIENT if e not in RETRY_THROTTLED["ErrorEquals"]] + ["States.Timeout"],
    "IntervalSeconds": 1,
    "MaxAttempts": 1,
    "BackoffRate": 2.0,
}
THROTTLE_WAITS = sum(
    RETRY_THROTTLED["IntervalSeconds"] * RETRY_THROTTLED["BackoffRate"] ** k
    for k in range(RETRY_THROTTLED["MaxAttempts"])
)


def worst_case(function: str) -> int:
    """The longest a Task state of `function` can last: each attempt that runs the function its
    TimeoutSeconds, plus the waits (throttled attempts never run it)."""
    runs = 1 + RETRY_EVENT["MaxAttempts"]
    return int(runs * TASK_SECONDS[function] + RETRY_EVENT["IntervalSeconds"] + THROTTLE_WAITS)


PROBE_BUDGET_SECONDS = (
    EVENT_TIMEOUT_SECONDS
    - MARGIN_SECONDS
    - sum(worst_case(f) for f in ("Prepare", "ResolveHosts", "SendProbe", "GetProbe", "GetProbe", "Evaluate"))
    - 2 * worst_case("Report")  # Report, and ReportError when Report fails
)


def _budgeted(states: dict[str, Any]) -> dict[str, Any]:
    """`states` with each Task state's TimeoutSeconds and retriers (Map processors included)."""
    out: dict[str, Any] = {}
    for name, state in states.items():
        if state["Type"] == "Task":
            function = state["Resource"].removeprefix("${").removesuffix("FunctionArn}")
            state = {**state, "TimeoutSeconds": TASK_SECONDS[function], "Retry": [RETRY_THROTTLED, RETRY_EVENT]}
        elif state["Type"] == "Map":
            processor = state["ItemProcessor"]
            state = {**state, "ItemProcessor": {**processor, "States": _budgeted(processor["States"])}}
        out[name] = state
    return out


def event_definition() -> dict[str, Any]:
    """The EXPRESS machine the Pipe runs for each batch of task events, built from the same states.

    Cost (issue 24): a Standard execution per batch paid ~10 state transitions ($0.025 per 1,000)
    plus a Distributed Map child, and ~12 S3 requests; an Express execution is billed by request and
    duration only (aws.amazon.com/step-functions/pricing), so here:
    - the hosts are probed by an INLINE Map over the host list ResolveHosts returns in the state
      (`resolved.inline`; a batch has at most 100 tasks: TasksTarget), not by a Distributed Map
      reading hosts.json (Distributed Map needs a Standard parent: Step Functions developer guide,
      "Using Map state in Distributed mode");
    - ResolveHosts writes resolved.json only when the resolution is over its inline bound, and
      EvaluateHost returns each host's verdicts to the Map when under the iteration's
      `resultBytes` (netaudit.workflow.hosts.INLINE_RESULTS_BYTES shared by the hosts), so the
      state stays under the 256 KiB payload quota; Report reads either.
    - the Pipe starts it with StartSyncExecution (REQUEST_RESPONSE, Express only: EventBridge Pipes
      API reference, PipeTargetStateMachineParameters), so a FAILED or TIMED_OUT execution is a
      failed target invocation ("a logic error in a synchronously-invoked ... Step Functions",
      EventBridge user guide, "Pipes error handling"): the batch goes back to the queue, is retried
      and dead-lettered after maxReceiveCount, as before. A violation or an inconclusive verdict is
      a finished audit (evidence written, alert sent): it ends in Succeed (ViolationReported), or
      the Pipe would audit the batch again; only an error ends in Fail.
    """
    states = {k: v for k, v in definition()["States"].items() if k not in NOT_IN_EVENTS}
    states["TargetKind"] = {
        "Type": "Choice",
        "Comment": "Only tasks audits (the Pipe's enrichment makes them); anything else ends before any call.",
        "Choices": [{"Variable": "$.audit.target.kind", "StringEquals": "tasks", "Next": "ResolveHosts"}],
        "Default": "NotAnEventAudit",
    }
    states["NotAnEventAudit"] = {
        "Type": "Fail",
        "Comment": "Canary and cluster audits run on the Standard machine (it starts and cleans up canaries).",
        "Error": "InvalidInput",
        "Cause": "this state machine audits the tasks of a batch of task events only (target.kind tasks)",
    }
    resolve = states["ResolveHosts"]
    resolve["Parameters"] = {**resolve["Parameters"], "inline": True}
    resolve["Catch"] = catch("ReportError")
    resolve["Comment"] = (
        "Inventory + SSM reachability; the host list comes back in the state (at most 100 tasks)."
    )
    states["HostsRoute"] = {
        **states["HostsRoute"],
        "Choices": [{"Variable": "$.resolved.mode", "StringEquals": "none", "Next": "Report"}],
    }
    states["ProbeHosts"] = {
        "Type": "Map",
        "Comment": "The batch's hosts, in parallel: one SSM command each, polled, judged; the verdicts come back here.",
        "ItemsPath": "$.resolved.inline.hosts",
        "ItemSelector": {
            "host.$": "$$.Map.Item.Value",
            "audit.$": "$.audit",
            "resultBytes.$": "$.resolved.resultBytes",
        },
        "MaxConcurrencyPath": "$.audit.maxConcurrency",
        "ItemProcessor": host_processor(express=True),
        "ResultPath": "$.hostResults",
        "Catch": catch("ReportError"),
        "Next": "Report",
    }
    states["AllIsolated"] = {**states["AllIsolated"], "Default": "ViolationReported"}
    states["ViolationReported"] = {
        "Type": "Succeed",
        "Comment": "Violation or inconclusive: reported (evidence, alert); a Fail would make the Pipe audit the batch again.",
        "OutputPath": "$.report",
    }
    prepare = states["Prepare"]
    defaults = {**prepare["Parameters"]["defaults"], "probeBudgetSeconds": PROBE_BUDGET_SECONDS}
    states["Prepare"] = {**prepare, "Parameters": {**prepare["Parameters"], "defaults": defaults}}
    return {
        "Comment": "ecs-netaudit event-driven audits: one batch of RUNNING task events (EXPRESS, started by the Pipe).",
        "StartAt": "Prepare",
        "TimeoutSeconds": EVENT_TIMEOUT_SECONDS,
        "States": _budgeted(states),
    }
