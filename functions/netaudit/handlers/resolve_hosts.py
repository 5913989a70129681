"""ResolveHosts: tasks -> container instances -> EC2 ids, checked Online in SSM; kept in S3."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.models.events import ResolveHostsEvent
from netaudit.observability import lambda_handler, logger
from netaudit.settings import Environment
from netaudit.workflow.hosts import publish, resolve


@lambda_handler(ResolveHostsEvent)
def handler(event: ResolveHostsEvent, context: LambdaContext) -> dict[str, Any]:
    resolved = resolve(aws_clients.ecs(), aws_clients.ssm(), event.audit, event.canary)
    logger.info(
        "hosts resolved",
        extra={
            "hosts": len(resolved.hosts),
            "unreachableHosts": len(resolved.unreachable),
            "notProbed": len(resolved.not_probed),
            "apiCalls": resolved.api_calls,
        },
    )
    bucket = Environment.load().require("evidence_bucket")
    return publish(aws_clients.s3(), bucket, event.audit, resolved).dump()
