"""RegisterTaskDefinition: the canary's task definition with the requested network mode."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.models.events import AuditEvent
from netaudit.observability import logger, step, tracer
from netaudit.workflow import canary


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=AuditEvent)
@step
def handler(event: AuditEvent, context: LambdaContext) -> dict[str, Any]:
    return canary.register(aws_clients.ecs(), event.audit).dump()
