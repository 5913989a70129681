"""RegisterTaskDefinition: the canary's task definition with the requested network mode."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.models.events import AuditEvent
from netaudit.observability import lambda_handler
from netaudit.settings import RegisterTaskDefinitionSettings
from netaudit.workflow import canary


@lambda_handler(AuditEvent)
def handler(event: AuditEvent, context: LambdaContext) -> dict[str, Any]:
    prefix = RegisterTaskDefinitionSettings.from_env().canary_family_prefix
    ecs = aws_clients.never_resend(aws_clients.ecs(), "RegisterTaskDefinition")
    return canary.register(ecs, event.audit, prefix).dump()
