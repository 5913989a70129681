"""Report: evidence JSON to S3, EMF metrics per mode, SNS when not ISOLATED, Security Hub (opt-in)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.models.events import StateEvent
from netaudit.observability import lambda_handler, logger, record_coverage, record_error, record_modes
from netaudit.settings import ReportSettings
from netaudit.workflow.artifacts import Retention
from netaudit.workflow.report import report as write_report
from netaudit.workflow.report import state_output


def dead_letter_batches(url: str | None) -> int:
    """Messages in the task events' dead-letter queue (event-driven audits on), else 0."""
    if not url:
        return 0
    try:
        attrs = aws_clients.sqs().get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attrs.get("ApproximateNumberOfMessages", 0))
    except Exception as exc:  # the report goes out anyway
        logger.warning("dead-letter queue not readable", extra={"error": str(exc)})
        return 0


@lambda_handler(StateEvent, emits_metrics=True)
def handler(event: StateEvent, context: LambdaContext) -> dict[str, Any]:
    env = ReportSettings.from_env()
    state = event.state
    execution = event.execution.model_dump(mode="json", by_alias=True)
    result = write_report(
        aws_clients.s3(),
        aws_clients.sns(),
        env.evidence_bucket,
        env.alert_topic_arn,
        state,
        execution,
        securityhub=aws_clients.securityhub() if env.securityhub_findings else None,
        dead_letter_batches=dead_letter_batches(env.dead_letter_queue_url),
        retention=Retention.parse(env.evidence_lock_mode, str(env.evidence_lock_days)),
        imds_exposure=env.report_imds_exposure,
        securityhub_in=lambda account: aws_clients.securityhub(
            aws_clients.member(account, event.execution.name)
        ),
    )
    if state.rejected is not None:
        return state_output(result)
    if result["verdict"] == "ERROR":
        record_error(str(result["error"]))
    else:
        if result.get("coverage"):
            record_coverage(state.kind, result["coverage"])
        record_modes(state.kind, result["verdict"], result.get("countsByMode") or {})
    if "securityHub" in result:
        logger.info(
            "security hub findings",
            extra={
                "securityHub": result["securityHub"],
                "imdsExposure": result.get("securityHubImdsExposure"),
            },
        )
    return state_output(result)
