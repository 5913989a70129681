"""Report: one report per execution, from the per-host results the Map iterations left in S3.

Runs on the normal path and on the error path (after the clean-up), so any part of the state may
be missing, depending on where the audit stopped (netaudit.models.state.ExecutionState). Three
parts: `report_collect` reads the task verdicts back, `report_summary` rolls them up into the
readable report (pure), `report_publish` writes the evidence and sends the alert and findings.
IMDS exposure (netaudit.workflow.imds_exposure) is its own finding, never a verdict change.
Returns a small readable report (the execution's output, or the Fail state's cause).
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from netaudit import keys
from netaudit.models.state import ExecutionState
from netaudit.workflow import report_publish
from netaudit.workflow.artifacts import Published, Retention
from netaudit.workflow.report_collect import Collected, collect
from netaudit.workflow.report_summary import rejection, summarise, with_dead_letters
from netaudit.workflow.report_summary import state_output as state_output

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_sns import SNSClient


def report(
    s3: "S3Client",
    sns: "SNSClient",
    bucket: str | None,
    topic_arn: str | None,
    state: ExecutionState,
    execution: dict[str, Any],
    securityhub: "SecurityHubClient | None" = None,
    dead_letter_batches: int = 0,
    retention: Retention | None = None,
    imds_exposure: bool = True,
    securityhub_in: "Callable[[str], SecurityHubClient] | None" = None,
) -> dict[str, Any]:
    """`imds_exposure`: report IMDS exposure (parameter ReportImdsExposure); `securityhub_in`:
    Security Hub of a member account, where its tasks' findings are imported (issue 21)."""
    rejected = rejection(state)
    if rejected is not None:
        return rejected
    name = str(execution.get("name") or "local")
    key = keys.report_key(state.kind, name, execution.get("startTime"))
    uri = keys.uri(bucket, key) if bucket else None
    collected = Collected()
    if state.resolved is not None:
        try:
            target = state.audit.target if state.audit else None
            event_driven = bool(getattr(target, "running_at", None))
            collected = collect(s3, state.resolved, state.kind, event_driven, state.host_results)
        except Exception as exc:  # on the error path, report what happened anyway
            if state.error is None:
                raise
            collected.problems.append(f"per-host results not readable: {type(exc).__name__}: {exc}")
    result = summarise(state, name, uri, collected, imds_exposure=imds_exposure)
    if dead_letter_batches:  # event-driven audits: batches that could not be audited at all
        with_dead_letters(result, dead_letter_batches)
    if securityhub is not None and state.kind != "canary" and result["verdict"] != "ERROR" and uri:
        report_publish.findings(securityhub, state, collected, uri, result, imds_exposure, securityhub_in)
    published = Published()
    if bucket:
        published = report_publish.write_evidence(
            s3, bucket, key, state, execution, result, collected, retention, imds_exposure
        )
    if topic_arn:
        report_publish.alert(sns, topic_arn, state, result, published, dead_letter_batches)
    return result
