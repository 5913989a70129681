"""SendProbe: the project's SSM Command document to one host."""

from typing import Any

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.handlers._common import env, now
from netaudit.models.events import SendProbeEvent
from netaudit.observability import logger, step, tracer
from netaudit.workflow import probe_runner


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_parser(model=SendProbeEvent)
@step
def handler(event: SendProbeEvent, context: LambdaContext) -> dict[str, Any]:
    document = env("PROBE_DOCUMENT_NAME") or "netaudit-probe"
    sent = probe_runner.send(
        aws_clients.ssm(), event.audit, event.host, document, env("EVIDENCE_BUCKET"), now()
    )
    return sent.dump()
