"""Report: evidence JSON to S3, SNS alert when not ISOLATED, the readable report."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.handlers._common import env
from netaudit.models.events import StateEvent
from netaudit.observability import logger, metrics, record_audit, record_error, step, tracer
from netaudit.workflow.report import report as write_report


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=StateEvent)
@step
def handler(event: StateEvent, context: LambdaContext) -> dict[str, Any]:
    execution = event.execution.model_dump(mode="json", by_alias=True)
    result = write_report(
        aws_clients.s3(),
        aws_clients.sns(),
        env("EVIDENCE_BUCKET"),
        env("ALERT_TOPIC_ARN"),
        event.state,
        execution,
    )
    counts = (event.state.get("evaluation") or {}).get("counts") or {}
    if result["verdict"] == "ERROR":
        record_error(str(result["error"]))
    else:
        mode = _declared_mode(event.state)
        record_audit(mode, result["verdict"], counts.get("violation", 0), counts.get("inconclusive", 0))
    metrics.flush_metrics()
    return result


def _declared_mode(state: dict[str, Any]) -> str:
    tasks = (state.get("evaluation") or {}).get("tasks") or []
    modes = sorted({str(t.get("declaredMode")) for t in tasks})
    return ",".join(modes) or "unknown"
