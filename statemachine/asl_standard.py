"""The Standard machine (NetauditStateMachine, statemachine/netaudit.asl.json): canary, cluster
and tasks audits, the hosts probed by a Distributed Map of EXPRESS children (group_processor)."""

from typing import Any

from asl_states import EXECUTION, RETRY_MAP_IO, RETRY_TRANSIENT, catch, host_processor, step, task, with_state
from netaudit import keys


def group_processor() -> dict[str, Any]:
    """One group of hosts (netaudit.workflow.hosts.host_groups) per child execution, EXPRESS.

    Cost: a Distributed Map bills one state transition per child execution it starts, and Express
    children are billed by request and duration, not by transition (Step Functions developer guide,
    "Transitions in Distributed Map state"; aws.amazon.com/step-functions/pricing: Express
    duration rounded up to 100 ms, memory in 64-MB chunks). A child per host would cost 5,000
    Standard transitions in the parent alone for a 5,000-instance cluster ($0.125); a child per
    group of up to 25 hosts costs 200. The hosts of a group are probed in parallel (Inline Map).

    An Express execution lasts at most 5 minutes: Prepare refuses a probeDeadlineSeconds plus
    pollIntervalSeconds above EXPRESS_PROBE_BUDGET (netaudit.models.inputs), and a child that is
    stopped anyway only leaves its hosts without a result (ToleratedFailurePercentage 100 on the
    Map): Report marks their tasks INCONCLUSIVE, "no probe result was recorded".
    """
    return {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        "StartAt": "ProbeHostGroup",
        "States": {
            "ProbeHostGroup": {
                "Type": "Map",
                "Comment": "The group's hosts, in parallel: one SSM command each, polled, judged.",
                "ItemsPath": "$.group.hosts",
                "ItemSelector": {"host.$": "$$.Map.Item.Value", "audit.$": "$.audit"},
                "MaxConcurrency": 0,
                "ItemProcessor": host_processor(),
                "ResultPath": None,
                "End": True,
            }
        },
    }


def definition() -> dict[str, Any]:
    states: dict[str, Any] = {
        "Prepare": {
            "Comment": "Validate the input and fill the defaults; bad input ends here and nothing is created.",
            "Type": "Task",
            "Resource": "${PrepareFunctionArn}",
            "Parameters": {
                "input.$": "$",
                "defaults": {
                    "cluster": "${ClusterName}",
                    "pollIntervalSeconds": "${PollIntervalSeconds}",
                    "runningDeadlineSeconds": "${RunningDeadlineSeconds}",
                    "probeDeadlineSeconds": "${ProbeDeadlineSeconds}",
                    "maxConcurrency": "${MapMaxConcurrency}",
                    # the organization (issue 21): member accounts and their clusters, the hub's own
                    "accounts": "${MemberAccounts}",
                    "memberClusters": "${MemberClusterName}",
                    "hubAccount": "${HubAccountId}",
                },
                "execution": EXECUTION,
            },
            "ResultPath": "$",
            "Retry": [RETRY_TRANSIENT],
            # ResultPath "$": the raw input need not be an object, so the error replaces it.
            "Catch": [
                {"ErrorEquals": ["InvalidInput"], "ResultPath": "$", "Next": "ExplainRejection"},
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$", "Next": "PrepareFailed"},
            ],
            "Next": "TargetKind",
        },
        "TargetKind": {
            "Type": "Choice",
            "Comment": "tasks / cluster: audit tasks already running, no canary.",
            "Choices": [
                {
                    "Or": [
                        {"Variable": "$.audit.target.kind", "StringEquals": "tasks"},
                        {"Variable": "$.audit.target.kind", "StringEquals": "cluster"},
                    ],
                    "Next": "ResolveHosts",
                }
            ],
            "Default": "RegisterTaskDefinition",
        },
        "RegisterTaskDefinition": task(
            "RegisterTaskDefinition",
            step("audit"),
            result_path="$.canary",
            next_state="RunTask",
            on_error="StopTaskOnError",
        ),
        "RunTask": task(
            "RunTask",
            step("audit", "canary"),
            result_path="$.canary",
            next_state="WaitForRunning",
            on_error="StopTaskOnError",
        ),
        "WaitForRunning": {
            "Type": "Wait",
            "SecondsPath": "$.audit.pollIntervalSeconds",
            "Next": "DescribeTask",
        },
        "DescribeTask": task(
            "DescribeTask",
            step("audit", "canary"),
            result_path="$.canary",
            next_state="IsRunning",
            on_error="StopTaskOnError",
        ),
        "IsRunning": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.canary.lastStatus", "StringEquals": "RUNNING", "Next": "ResolveHosts"}
            ],
            "Default": "WaitForRunning",
        },
        "ResolveHosts": task(
            "ResolveHosts",
            step("audit", "canary"),
            result_path="$.resolved",
            next_state="HostsRoute",
            on_error="StopTaskOnError",
            comment="Inventory (batched ECS calls) + SSM reachability; the host list goes to S3, the state keeps a reference.",
        ),
        "HostsRoute": {
            "Type": "Choice",
            "Comment": "none: nothing to probe (nothing to audit, or no host reachable).",
            "Choices": [{"Variable": "$.resolved.mode", "StringEquals": "none", "Next": "IsCanary"}],
            "Default": "ProbeHosts",
        },
        "ProbeHosts": {
            "Type": "Map",
            "Comment": (
                "One Express child execution per group of hosts (each host: one SSM command, polled, judged). The "
                "host groups are read from S3 and the children's outputs are written to S3 (ResultWriter), so "
                "neither travels in this state."
            ),
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket.$": "$.resolved.bucket", "Key.$": "$.resolved.hostsKey"},
            },
            "ItemSelector": {"group.$": "$$.Map.Item.Value", "audit.$": "$.audit"},
            "MaxConcurrencyPath": "$.audit.maxConcurrency",
            "ToleratedFailurePercentage": 100.0,  # moto's grammar takes a decimal here, AWS any number 0-100
            "Label": "ProbeHosts",
            "ItemProcessor": group_processor(),
            "ResultWriter": {
                "Resource": "arn:aws:states:::s3:putObject",
                # Constants: moto evaluates ResultWriter paths against the Map's output, AWS against
                # its input; the children's outputs are small and nobody reads them back (Report
                # reads the per-host results EvaluateHost wrote), ResultWriter only keeps them out
                # of this state (256 KiB), as AWS advises for large Map outputs.
                "Parameters": {"Bucket": "${EvidenceBucketName}", "Prefix": keys.MAP_RESULTS},
            },
            "ResultPath": None,
            # Step Functions' own S3 read of the host groups or write of the children's outputs failed
            # (throttled, 5xx): read again / run again. Running the children again probes no host
            # twice: SendProbe finds the command it already sent (probe_runner.command_comment).
            "Retry": [RETRY_MAP_IO],
            "Catch": catch("StopTaskOnError"),
            "Next": "IsCanary",
        },
        "IsCanary": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.audit.target.kind", "StringEquals": "canary", "Next": "StopTask"}],
            "Default": "Report",
        },
        "StopTask": task(
            "StopCanary",
            with_state(),
            result_path="$.cleanup",
            next_state="Report",
            on_error="StopTaskOnError",
            comment="Stop the canary and deregister its revision.",
        ),
        "Report": task(
            "Report",
            with_state(),
            result_path="$.report",
            next_state="AllIsolated",
            on_error="ReportError",
            comment="Evidence to S3, metrics, alert; returns a bounded report (the execution's output).",
        ),
        "AllIsolated": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.report.verdict", "StringEquals": "ISOLATED", "Next": "AuditPassed"},
                {
                    "Variable": "$.report.verdict",
                    "StringEquals": "NOTHING_TO_AUDIT",
                    "Next": "NothingToAudit",
                },
            ],
            "Default": "AuditFailed",
        },
        "AuditPassed": {"Type": "Succeed", "OutputPath": "$.report"},
        "NothingToAudit": {
            "Type": "Succeed",
            "Comment": "No RUNNING task matched: a clear result, not a failure.",
            "OutputPath": "$.report",
        },
        "AuditFailed": {
            "Type": "Fail",
            "Comment": "Violation or inconclusive: the cause is the readable report.",
            "ErrorPath": "$.report.error",
            "CausePath": "$.report.cause",
        },
        "ExplainRejection": task(
            "Report",
            {"state": {"rejected.$": "$"}, "execution": EXECUTION},
            result_path="$.report",
            next_state="RejectInput",
            on_error="RejectInputRaw",
            error_path="$.reportError",
            comment="Bad input: the readable reason only (no evidence, no alert; nothing was created).",
        ),
        "RejectInput": {"Type": "Fail", "ErrorPath": "$.report.error", "CausePath": "$.report.cause"},
        "RejectInputRaw": {"Type": "Fail", "ErrorPath": "$.Error", "CausePath": "$.Cause"},
        "PrepareFailed": {
            "Type": "Pass",
            "Comment": "Nothing was created: report the error only (the raw input is no state to clean up after).",
            "Parameters": {"error.$": "$"},
            "Next": "ReportError",
        },
        "StopTaskOnError": task(
            "StopCanary",
            with_state(),
            result_path="$.cleanup",
            next_state="ReportError",
            on_error="ReportError",
            error_path="$.cleanupError",
            retry_any=True,
            comment="Error path: no task outlives its execution (any error is retried, 2 + 4 + 8 s, before giving up).",
        ),
        "ReportError": task(
            "Report",
            with_state(),
            result_path="$.report",
            next_state="AuditErrored",
            on_error="AuditErroredUnreported",
            error_path="$.reportError",
        ),
        "AuditErrored": {"Type": "Fail", "ErrorPath": "$.report.error", "CausePath": "$.report.cause"},
        "AuditErroredUnreported": {
            "Type": "Fail",
            "Comment": "The report itself failed: the original error.",
            "ErrorPath": "$.error.Error",
            "CausePath": "$.error.Cause",
        },
    }
    return {
        "Comment": "ecs-netaudit: prove at runtime that ECS tasks have the network isolation they declare.",
        "StartAt": "Prepare",
        "States": states,
    }
