"""StopCanary: stop the canary task(s) of this execution and deregister the revision.

Used on the normal path and on the error path (it reads whatever state there is)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.models.events import StateEvent
from netaudit.models.inputs import Canary
from netaudit.observability import lambda_handler
from netaudit.workflow import canary


@lambda_handler(StateEvent)
def handler(event: StateEvent, context: LambdaContext) -> dict[str, Any]:
    state = event.state
    audit = state.get("audit") or {}
    if not audit.get("cluster") or (audit.get("target") or {}).get("kind", "canary") != "canary":
        return {"stoppedTasks": [], "deregistered": None}
    current = Canary.model_validate(state["canary"]) if state.get("canary") else None
    error = (state.get("error") or {}).get("Error")
    reason = f"ecs-netaudit: {error}" if error else "ecs-netaudit: audit finished"
    return canary.stop(aws_clients.ecs(), audit["cluster"], current, event.execution.id, reason)
