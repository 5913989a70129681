"""Pipe enrichment: a batch of "ECS Task State Change" events -> the state machine's input.

Returns the audit input object: a Pipe hands the enrichment's response to the target as it is, and
for a Step Functions target "the entire JSON array is sent in one request" (EventBridge user guide,
"Event enrichment in Amazon EventBridge Pipes" and "Amazon EventBridge Pipes batching and
concurrency"), so one batch starts one execution with this object as its input. An empty list when
no task of the batch is in scope: "If you don't want to invoke the target, return an empty
response, such as "", {}, or []" (same page), so no audit is started.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from netaudit.observability import logger, metrics
from netaudit.settings import EventsBatchSettings
from netaudit.workflow.events_batch import batch_of
from netaudit.workflow.scope import Scope


@logger.inject_lambda_context
@metrics.log_metrics  # flushes the metrics when the handler returns
def handler(event: Any, context: LambdaContext) -> dict[str, Any] | list[Any]:
    from aws_lambda_powertools.metrics import MetricUnit

    env = EventsBatchSettings.from_env()
    own = str(getattr(context, "invoked_function_arn", "") or "").split(":")[4:5]  # the stack's account
    batch = batch_of(  # ClusterName, MemberClusterName: a,b or *
        event, Scope.parse(env.cluster_name), Scope.parse(env.member_cluster_name), own[0] if own else ""
    )
    logger.info(
        "task events batched",
        extra={
            "tasks": len(batch.running_at),
            "clusters": batch.clusters,
            "duplicates": batch.duplicates,
            "skipped": batch.skipped,
        },
    )
    metrics.add_metric(name="TaskEventsBatched", unit=MetricUnit.Count, value=len(batch.running_at))
    metrics.add_metric(name="TaskEventsDuplicate", unit=MetricUnit.Count, value=batch.duplicates)
    audit = batch.audit_input()
    return audit if audit else []
