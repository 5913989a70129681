"""Estimated AWS cost of one audit, from published on-demand list prices (us-east-1, 2026).

Free tiers are ignored (worst case). SSM Run Command on EC2 instances has no charge.

Step Functions (aws.amazon.com/step-functions/pricing):
- Standard: $0.025 per 1,000 state transitions; a Distributed Map bills the parent one transition
  per child execution it starts (developer guide, "Transitions in Distributed Map state").
- Express (the Distributed Map's children, one per group of hosts, and the event machine's
  executions, synchronous or not): $1.00 per million requests,
  plus duration "rounded up to the nearest 100ms" with memory "billed in 64-MB chunks", memory
  estimated as 50 MB + definition size + payload size x Map iterations (pricing examples 3 and 4);
  $0.06 per GB-hour for the first 1,000 GB-hours a month.
Lambda (aws.amazon.com/lambda/pricing): $0.20 per million requests, arm64 $0.0000133334 per GB-s.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from netaudit.workflow.hosts import INLINE_RESULTS_BYTES

SFN_STANDARD_PER_TRANSITION = 0.025 / 1_000  # Step Functions Standard: $0.025 per 1,000
SFN_EXPRESS_PER_REQUEST = 1.00 / 1_000_000  # Express: $1.00 per 1M requests
SFN_EXPRESS_PER_GB_SECOND = 0.06 / 3_600  # Express duration: $0.06 per GB-hour (first 1,000 GB-h)
EXPRESS_MEMORY_CHUNK_MB = 64
EXPRESS_DURATION_UNIT_MS = 100
EXPRESS_BASE_MEMORY_MB = 50
LAMBDA_PER_REQUEST = 0.20 / 1_000_000  # $0.20 per 1M requests
LAMBDA_ARM_PER_GB_SECOND = 0.0000133334  # arm64
S3_PUT_PER_REQUEST = 0.005 / 1_000
S3_GET_PER_REQUEST = 0.0004 / 1_000
SNS_PER_PUBLISH = 0.50 / 1_000_000
SECURITYHUB_PER_FINDING_INGESTED = 0.00003  # first 10,000 a month are free; ignored here
SSM_RUN_COMMAND_EC2 = 0.0


def express_billed_memory_mb(definition_bytes: int, payload_bytes: int, map_iterations: int) -> int:
    """Billed memory of one Express execution: the pricing page's estimate, in 64-MB chunks."""
    used_mb = EXPRESS_BASE_MEMORY_MB + (definition_bytes + payload_bytes * max(1, map_iterations)) / 1024**2
    return math.ceil(used_mb / EXPRESS_MEMORY_CHUNK_MB) * EXPRESS_MEMORY_CHUNK_MB


def express_duration_usd(durations_s: Sequence[float], memory_mb: int) -> float:
    billed_s = sum(
        math.ceil(d * 1000 / EXPRESS_DURATION_UNIT_MS) * EXPRESS_DURATION_UNIT_MS / 1000 for d in durations_s
    )
    return billed_s * memory_mb / 1024 * SFN_EXPRESS_PER_GB_SECOND


@dataclass(frozen=True)
class AuditUsage:
    state_transitions: int  # Standard transitions billed (the parent's, one per child included)
    lambda_invocations: int
    lambda_gb_seconds: float
    s3_puts: int
    s3_gets: int
    sns_publishes: int
    ssm_commands: int
    findings: int = 0
    express_durations_s: Sequence[float] = field(default_factory=list)  # one per Express child
    express_memory_mb: int = EXPRESS_MEMORY_CHUNK_MB


def estimate_usd(usage: AuditUsage) -> dict[str, float]:
    """Cost per service and the total, in US dollars."""
    parts = {
        "stepfunctions": usage.state_transitions * SFN_STANDARD_PER_TRANSITION,
        "express": len(usage.express_durations_s) * SFN_EXPRESS_PER_REQUEST
        + express_duration_usd(usage.express_durations_s, usage.express_memory_mb),
        "lambda": usage.lambda_invocations * LAMBDA_PER_REQUEST
        + usage.lambda_gb_seconds * LAMBDA_ARM_PER_GB_SECOND,
        "s3": usage.s3_puts * S3_PUT_PER_REQUEST + usage.s3_gets * S3_GET_PER_REQUEST,
        "sns": usage.sns_publishes * SNS_PER_PUBLISH,
        "ssm": usage.ssm_commands * SSM_RUN_COMMAND_EC2,
        "securityhub": usage.findings * SECURITYHUB_PER_FINDING_INGESTED,
    }
    parts["total"] = sum(parts.values())
    return parts


PIPES_PER_REQUEST = 0.40 / 1_000_000  # EventBridge Pipes: per request (each 64 KB chunk of a batch)
SQS_PER_REQUEST = 0.40 / 1_000_000  # SQS standard queue requests
HOSTS_PER_CHILD = 25  # netaudit.workflow.hosts.host_groups: one Express child per group (Standard machine)
# One event-driven audit as the template runs it (issue 24): one EXPRESS execution of the event
# machine per Pipe batch (EventAuditStateMachine, statemachine/asl_events.py event_definition), run
# synchronously by the Pipe (StartSyncExecution: the same Express request and duration prices), as
# a real local run counts it (tests/continuous/test_cost.py, test_the_event_model_is_what_a_local_run_does):
# - no Standard state transitions: the Express execution is billed by request and duration only;
# - Lambda: the Pipe's enrichment (EventsBatchFunction), Prepare, ResolveHosts, Report, and per host
#   SendProbe, GetProbe (once per poll) and Evaluate;
# - S3 objects written: the report (evidence JSON, HTML, JUnit, OCSF, manifest) and per host the
#   probe's stdout (SSM's OutputS3BucketName); the resolution and the hosts' verdicts stay in the
#   execution's state under their bounds (netaudit.workflow.hosts.INLINE_*_BYTES), so no
#   resolved.json, hosts.json, ResultWriter file or list; a host's verdicts over its share are an
#   object (a PUT, and Report's GET);
# - CloudWatch Logs: the machine logs at level ERROR, so a successful audit logs nothing there.
EVENT_AUDIT_LAMBDAS = 4  # EventsBatch, Prepare, ResolveHosts, Report
# A host's verdicts are inline while under its share of INLINE_RESULTS_BYTES; a verdict is about
# 1 KB (10,080 bytes for 10 tasks measured in tests/continuous/test_event_path.py's full batch):
# past the share the host's result is an S3 object, written by Evaluate and read by Report.
HOST_RESULT_BYTES_PER_TASK = 1_024
EVENT_AUDIT_OBJECTS = 5  # the report's 5 objects
PROBE_POLLS = 1  # a probe ends within the first poll interval (PollIntervalSeconds 5; bench_probe)
EXPRESS_CHILD_S = 6.0  # one poll interval + the Lambda calls (bench_cluster's Express model)
EVENT_EXECUTION_S = EXPRESS_CHILD_S + 1.0  # + Prepare, ResolveHosts and Report


def event_audit_usage(tasks: int, hosts: int, *, lambda_s: float = 0.1) -> AuditUsage:
    """What one event-driven audit of `tasks` tasks on `hosts` hosts uses (see above)."""
    invocations = EVENT_AUDIT_LAMBDAS + hosts * (2 + PROBE_POLLS)
    per_host = math.ceil(tasks / max(1, hosts)) * HOST_RESULT_BYTES_PER_TASK
    stored = hosts if per_host > INLINE_RESULTS_BYTES // max(1, hosts) else 0  # host results in S3
    return AuditUsage(
        state_transitions=0,
        lambda_invocations=invocations,
        lambda_gb_seconds=invocations * lambda_s * 0.25,
        s3_puts=EVENT_AUDIT_OBJECTS + hosts + stored,
        s3_gets=stored,
        sns_publishes=0,
        ssm_commands=hosts,
        express_durations_s=[EVENT_EXECUTION_S],  # the one execution, 64 MB (its state < 256 KiB)
    )


def event_path_usd(task_starts: int, tasks_per_batch: int, tasks_per_host: int = 10) -> float:
    """Estimated cost of auditing `task_starts` task starts arriving in batches of
    `tasks_per_batch` (EventBridge delivers AWS service events to the default bus at no charge)."""
    audits = math.ceil(task_starts / tasks_per_batch)
    hosts = math.ceil(tasks_per_batch / tasks_per_host)
    per_audit = estimate_usd(event_audit_usage(tasks_per_batch, hosts))["total"]
    sqs_requests = tasks_per_batch + 2 * math.ceil(tasks_per_batch / 10)  # sends, receives, deletes
    per_audit += PIPES_PER_REQUEST + sqs_requests * SQS_PER_REQUEST
    return audits * per_audit
