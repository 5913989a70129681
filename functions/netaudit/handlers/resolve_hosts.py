"""ResolveHosts: tasks -> container instances -> EC2 ids, checked Online in SSM."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.models.events import ResolveHostsEvent
from netaudit.observability import logger, step, tracer
from netaudit.workflow.hosts import resolve


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=ResolveHostsEvent)
@step
def handler(event: ResolveHostsEvent, context: LambdaContext) -> dict[str, Any]:
    return resolve(aws_clients.ecs(), aws_clients.ssm(), event.audit, event.canary).dump()
