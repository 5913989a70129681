"""RunTask: start the canary on the EC2 launch type (PlacementFailed on RunTask failures)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.handlers._common import now
from netaudit.models.events import CanaryEvent
from netaudit.observability import lambda_handler
from netaudit.workflow import canary


@lambda_handler(CanaryEvent)
def handler(event: CanaryEvent, context: LambdaContext) -> dict[str, Any]:
    return canary.run(aws_clients.ecs(), event.audit, event.canary, now()).dump()
