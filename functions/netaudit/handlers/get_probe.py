"""GetProbe: one poll of the probe command, returned with its poll count (ProbeFailed, ProbeTimedOut)."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.handlers._common import now
from netaudit.models.events import GetProbeEvent
from netaudit.observability import logger, step, tracer
from netaudit.workflow import probe_runner


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=GetProbeEvent)
@step
def handler(event: GetProbeEvent, context: LambdaContext) -> dict[str, Any]:
    return probe_runner.poll(aws_clients.ssm(), event.host, event.command, now()).dump()
