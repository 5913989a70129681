"""GetProbe: one poll of the probe command, returned with its poll count (ProbeFailed, ProbeTimedOut)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.handlers._common import now
from netaudit.models.events import GetProbeEvent
from netaudit.observability import lambda_handler
from netaudit.workflow import probe_runner


@lambda_handler(GetProbeEvent)
def handler(event: GetProbeEvent, context: LambdaContext) -> dict[str, Any]:
    who = aws_clients.member(event.host.account, event.execution.name)
    return probe_runner.poll(aws_clients.ssm(who), event.host, event.command, now()).dump()
