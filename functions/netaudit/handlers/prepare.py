"""Prepare: validate the input and fill the defaults (InvalidInput: nothing is created).

The canary's image and command come from this function's environment (netaudit.settings, set by
the template's parameters), never from the execution input.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.models.events import PrepareEvent
from netaudit.observability import lambda_handler
from netaudit.settings import CanarySettings
from netaudit.workflow.prepare import prepare


@lambda_handler(PrepareEvent)
def handler(event: PrepareEvent, context: LambdaContext) -> dict[str, Any]:
    settings = CanarySettings.from_env()
    audit = prepare(
        event.input,
        event.defaults,
        event.execution,
        aws_clients.ecs(),
        settings,
        organizations=lambda: aws_clients.client("organizations"),
    )
    return {"audit": audit.dump(), "canary": None}
