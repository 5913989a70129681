"""Report: one report per execution, from the per-host results the Map iterations left in S3.

Runs on the normal path and on the error path (after the clean-up), so any part of the state may
be missing, depending on where the audit stopped (netaudit.models.state.ExecutionState). The
evidence is one typed model from the first read to the JSON written
(netaudit.models.evidence), through these parts:
- `collect`: reads the task verdicts back (Collected);
- `summary` (pure; its text in `text`): rolls them up into the report (ReportOutput);
- `findings`: Security Hub, both kinds of finding through one reconciler (`asff`: the documents);
- `publish`: the evidence JSON, its siblings (`artifacts`) and the alert.
IMDS exposure (netaudit.workflow.imds_exposure) is its own finding, never a verdict change.
Returns the report (`state_output` makes it the execution's output, or the Fail state's cause).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netaudit import keys
from netaudit.models.evidence import ReportOutput
from netaudit.models.inputs import TasksTarget
from netaudit.models.state import ExecutionState
from netaudit.workflow.report import findings
from netaudit.workflow.report.artifacts import Destination, Published, Retention
from netaudit.workflow.report.collect import Collected, collect
from netaudit.workflow.report.publish import alert, evidence, write_evidence
from netaudit.workflow.report.summary import rejection, summarise, with_dead_letters
from netaudit.workflow.report.summary import state_output as state_output

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_sns import SNSClient


@dataclass(frozen=True)
class ReportContext:
    """What the Report step writes to and how (its function's settings, its clients).

    `securityhub`: None unless EnableSecurityHubFindings; `securityhub_in(account)`: Security Hub
    of a member account, where its tasks' findings are imported (issue 21); `imds_exposure`: the
    parameter ReportImdsExposure; `dead_letter_batches`: batches of task events the event path
    gave up on (event-driven audits)."""

    s3: "S3Client"
    sns: "SNSClient"
    bucket: str | None
    topic_arn: str | None
    securityhub: "SecurityHubClient | None" = None
    securityhub_in: "Callable[[str], SecurityHubClient] | None" = None
    dead_letter_batches: int = 0
    retention: Retention | None = None
    imds_exposure: bool = True


def _collect(ctx: ReportContext, state: ExecutionState) -> Collected:
    """What the audit left in S3; on the error path, what could be read and why not the rest."""
    collected = Collected()
    if state.resolved is None:
        return collected
    try:
        target = state.audit.target if state.audit else None
        event_driven = isinstance(target, TasksTarget) and bool(target.running_at)
        return collect(ctx.s3, state.resolved, state.kind, event_driven, state.host_results)
    except Exception as exc:  # on the error path, report what happened anyway
        if state.error is None:
            raise
        collected.problems.append(f"per-host results not readable: {type(exc).__name__}: {exc}")
        return collected


def report(ctx: ReportContext, state: ExecutionState, execution: dict[str, Any]) -> ReportOutput:
    """Collect, sum up, import the findings, write the evidence, alert; the report."""
    rejected = rejection(state)
    if rejected is not None:
        return rejected
    name = str(execution.get("name") or "local")
    key = keys.report_key(state.kind, name, execution.get("startTime"))
    uri = keys.uri(ctx.bucket, key) if ctx.bucket else None
    collected = _collect(ctx, state)
    result = summarise(state, name, uri, collected, imds_exposure=ctx.imds_exposure)
    if ctx.dead_letter_batches:  # event-driven audits: batches that could not be audited at all
        with_dead_letters(result, ctx.dead_letter_batches)
    if ctx.securityhub is not None and state.kind != "canary" and result.verdict != "ERROR" and uri:
        hubs = findings.Hubs(ctx.securityhub, ctx.securityhub_in)
        findings.publish(hubs, state, collected, result, ctx.imds_exposure)
    published = Published()
    if ctx.bucket:
        to = Destination(ctx.bucket, key, ctx.retention)
        published = write_evidence(ctx.s3, to, evidence(state, execution, result, collected, to), collected)
    if ctx.topic_arn:
        alert(ctx.sns, ctx.topic_arn, state, result, published, ctx.dead_letter_batches)
    return result
