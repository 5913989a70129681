"""CanaryJanitor: EventBridge "Step Functions Execution Status Change" (FAILED, TIMED_OUT, ABORTED)
-> stop whatever canary that execution left (see netaudit.workflow.janitor)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.models.events import ExecutionStatusChange
from netaudit.observability import bind_execution, lambda_handler, logger
from netaudit.settings import JanitorSettings
from netaudit.workflow.janitor import sweep


@lambda_handler(ExecutionStatusChange)
def handler(event: ExecutionStatusChange, context: LambdaContext) -> dict[str, Any]:
    env = JanitorSettings.from_env()
    detail = event.detail
    bind_execution({"name": detail.name, "id": detail.execution_arn})
    scope, prefix = env.cluster_name, env.canary_family_prefix
    result = sweep(aws_clients.ecs(), scope, detail.execution_arn, detail.status, prefix)
    if result["stoppedTasks"]:
        logger.warning("janitor stopped canary tasks the execution left", extra=result)
    return result
