"""StopCanary: stop the canary task(s) of this execution and deregister the revision.

Used on the normal path and on the error path (it reads whatever state there is)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.models.events import StateEvent
from netaudit.models.state import Cleanup
from netaudit.observability import lambda_handler
from netaudit.workflow import canary


@lambda_handler(StateEvent)
def handler(event: StateEvent, context: LambdaContext) -> dict[str, Any]:
    state = event.state
    if state.audit is None or not state.audit.cluster or state.kind != "canary":
        return Cleanup().dump()
    error = state.error.error if state.error else None
    reason = f"ecs-netaudit: {error}" if error else "ecs-netaudit: audit finished"
    cleanup = canary.stop(aws_clients.ecs(), state.audit.cluster, state.canary, event.execution.id, reason)
    return cleanup.dump()
