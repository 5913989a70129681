"""The states and parts both state machines are built from (statemachine/build_asl.py): the
Retry and Catch policies, the Task state, and the per-host processor, each defined once."""

from typing import Any, TypedDict, Unpack

EXECUTION = {
    "id.$": "$$.Execution.Id",
    "name.$": "$$.Execution.Name",
    "startTime.$": "$$.Execution.StartTime",
}

# Transient Lambda faults, retried with backoff (AWS: "Handle transient Lambda service exceptions",
# Step Functions developer guide; Lambda.Unknown covers out-of-memory and timeouts of the function,
# which the handlers make rare and idempotent), and AWS throttling left after boto3's own retries.
TRANSIENT = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.Unknown",
    "AwsThrottled",
]
RETRY_TRANSIENT: dict[str, Any] = {
    "ErrorEquals": TRANSIENT,
    "IntervalSeconds": 1,
    "MaxAttempts": 4,
    "BackoffRate": 2.0,
    "MaxDelaySeconds": 20,
    "JitterStrategy": "FULL",
}
# A Distributed Map's ItemReader / ResultWriter call to S3 that failed ("Error names", Step
# Functions developer guide: States.ItemReaderFailed, States.ResultWriterFailed).
RETRY_MAP_IO: dict[str, Any] = {
    "ErrorEquals": ["States.ItemReaderFailed", "States.ResultWriterFailed"],
    "IntervalSeconds": 1,
    "MaxAttempts": 3,
    "BackoffRate": 2.0,
    "JitterStrategy": "FULL",
}
# The clean-up retries any error (2 + 4 + 8 s) before it gives up: no canary outlives its execution.
RETRY_ANY: dict[str, Any] = {
    "ErrorEquals": ["States.ALL"],
    "IntervalSeconds": 2,
    "MaxAttempts": 3,
    "BackoffRate": 2.0,
}


def catch(next_state: str, result_path: str = "$.error") -> list[dict[str, Any]]:
    return [{"ErrorEquals": ["States.ALL"], "ResultPath": result_path, "Next": next_state}]


class TaskOptions(TypedDict, total=False):
    error_path: str  # where the Catch puts the error ("$.error")
    retry_any: bool  # retry any error too (RETRY_ANY), not only the transient ones
    comment: str
    result_selector: dict[str, Any] | None


def task(
    function: str,
    parameters: dict[str, Any],
    *,
    result_path: str | None,
    next_state: str | None = None,
    on_error: str | None = None,
    **options: Unpack[TaskOptions],
) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Task"}
    if options.get("comment"):
        state["Comment"] = options["comment"]
    state["Resource"] = f"${{{function}FunctionArn}}"
    state["Parameters"] = parameters
    if options.get("result_selector"):
        state["ResultSelector"] = options["result_selector"]
    state["ResultPath"] = result_path
    state["Retry"] = [RETRY_TRANSIENT, RETRY_ANY] if options.get("retry_any") else [RETRY_TRANSIENT]
    if on_error:
        state["Catch"] = catch(on_error, options.get("error_path", "$.error"))
    if next_state:
        state["Next"] = next_state
    else:
        state["End"] = True
    return state


def with_state(**extra: Any) -> dict[str, Any]:
    """Parameters of the steps that read the whole execution state (clean-up and report)."""
    return {"state.$": "$", "execution": EXECUTION, **extra}


def step(*keys: str) -> dict[str, Any]:
    """Parameters: the named parts of the state, plus the execution reference."""
    return {**{f"{k}.$": f"$.{k}" for k in keys}, "execution": EXECUTION}


def host_processor(express: bool = False) -> dict[str, Any]:
    """One host: send the probe, poll it, judge it. Any error goes to EvaluateHost with the error,
    which makes only this host's tasks INCONCLUSIVE (the other hosts are still audited).

    `express` (the event machine, see event_definition): EvaluateHost's result is the iteration's
    output, the host's verdicts inline when small (netaudit.workflow.evaluate), which the Map
    collects for Report instead of a per-host S3 object."""
    per_host = {"execution.$": "$.audit.execution"}
    evaluate_comment = (
        "This host's verdicts, inline when under the iteration's resultBytes, else to S3 "
        "(runs/<execution>/hosts/<instanceId>.json), from the command's result or the error that ended the probe."
        if express
        else "Verdicts of this host's tasks to S3 (runs/<execution>/hosts/<instanceId>.json), from the "
        "command's result or the error that ended the probe."
    )
    return {
        "ProcessorConfig": {"Mode": "INLINE"},
        "StartAt": "SendProbe",
        "States": {
            "SendProbe": task(
                "SendProbe",
                {"audit.$": "$.audit", "host.$": "$.host", **per_host},
                result_path="$.command",
                next_state="WaitForProbe",
                on_error="EvaluateHost",
            ),
            "WaitForProbe": {
                "Type": "Wait",
                "SecondsPath": "$.audit.pollIntervalSeconds",
                "Next": "GetProbe",
            },
            "GetProbe": task(
                "GetProbe",
                {"host.$": "$.host", "command.$": "$.command", **per_host},
                result_path="$.command",
                next_state="ProbeDone",
                on_error="EvaluateHost",
                comment="One poll; the command comes back with its poll count, status and, once terminal, the result.",
            ),
            "ProbeDone": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.command.terminal", "BooleanEquals": True, "Next": "EvaluateHost"}
                ],
                "Default": "WaitForProbe",
            },
            "EvaluateHost": task(
                "Evaluate",
                {"iteration.$": "$", **per_host},
                result_path="$" if express else None,
                on_error="HostUnjudged",
                comment=evaluate_comment,
            ),
            "HostUnjudged": {
                "Type": "Pass",
                "Comment": "No verdicts were written: Report marks this host's tasks INCONCLUSIVE (no result recorded).",
                "Result": {"judged": False},
                "End": True,
            },
        },
    }
