"""ResolveHosts: tasks -> container instances -> EC2 ids, checked Online in SSM; kept in S3."""

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit import aws_clients
from netaudit.models.events import ResolveHostsEvent
from netaudit.observability import lambda_handler, logger
from netaudit.settings import ResolveHostsSettings
from netaudit.workflow.hosts import publish, publish_inline
from netaudit.workflow.member_hosts import resolve_accounts

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_ssm import SSMClient


@lambda_handler(ResolveHostsEvent)
def handler(event: ResolveHostsEvent, context: LambdaContext) -> dict[str, Any]:
    bucket = ResolveHostsSettings.from_env().evidence_bucket
    audit = event.audit

    def clients(account: str | None) -> "tuple[ECSClient, SSMClient]":
        who = aws_clients.member(account, audit.execution.name, audit.hub_account)
        return aws_clients.ecs(who), aws_clients.ssm(who)

    resolved = resolve_accounts(audit, event.canary, clients)
    logger.info(
        "hosts resolved",
        extra={
            "hosts": len(resolved.hosts),
            "unreachableHosts": len(resolved.unreachable),
            "notProbed": len(resolved.not_probed),
            "accountGaps": len(resolved.gaps),
            "apiCalls": resolved.api_calls,
        },
    )
    store = publish_inline if event.inline else publish  # the event machine: in the state
    return store(aws_clients.s3(), bucket, event.audit, resolved).dump()
