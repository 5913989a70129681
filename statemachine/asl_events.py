"""The event machine (EventAuditStateMachine, EXPRESS, statemachine/netaudit-events.asl.json): the
Standard machine's states without the canary's, the hosts probed by an Inline Map."""

from typing import Any

from asl_standard import definition
from asl_states import catch, host_processor

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
# Step Functions quotas: an Express execution lasts at most 5 minutes. Prepare keeps the probe
# deadline plus one poll interval within EXPRESS_PROBE_BUDGET (240 s), leaving 60 s for Prepare,
# ResolveHosts, SendProbe/Evaluate and Report; an execution that runs out anyway TIMES_OUT, which the
# Pipe takes as a failed batch (retried, then dead-lettered) and the ExecutionsTimedOut alarm shows.
EVENT_TIMEOUT_SECONDS = 300


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
    return {
        "Comment": "ecs-netaudit event-driven audits: one batch of RUNNING task events (EXPRESS, started by the Pipe).",
        "StartAt": "Prepare",
        "TimeoutSeconds": EVENT_TIMEOUT_SECONDS,
        "States": states,
    }
