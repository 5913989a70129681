"""Evaluate: every host's probe output -> one verdict per task."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.models.events import EvaluateEvent
from netaudit.observability import logger, step, tracer
from netaudit.workflow.evaluate import evaluate


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=EvaluateEvent)
@step
def handler(event: EvaluateEvent, context: LambdaContext) -> dict[str, Any]:
    return evaluate(aws_clients.s3(), event.resolved, event.probes)
