"""The backstop clean-up: a canary never outlives its execution, however the execution ended.

The state machine stops the canary on every path it controls (StopTask, StopTaskOnError). Some
endings it does not control: `States.Runtime` and `States.DataLimitExceeded` are not caught by
any Catch, an execution can be stopped (ABORTED) or time out. Step Functions sends an
"Execution Status Change" event to EventBridge for every Standard execution (Step Functions
developer guide, "Automating Step Functions event delivery with EventBridge"); the janitor takes
FAILED, TIMED_OUT and ABORTED ones and stops what the execution started, found by `startedBy`
(the execution's marker), then deregisters those canary revisions. Idempotent: on an execution
that cleaned up after itself it finds nothing. The event does not say which cluster the canary ran
in, so every cluster of the stack's scope is swept (ListClusters when the scope is `*`).
"""

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from netaudit.workflow.canary import started_by, stop
from netaudit.workflow.scope import Scope, list_cluster_names

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient



def sweep(
    ecs: "ECSClient", scope: str, execution_arn: str, status: str, family_prefix: str
) -> dict[str, Any]:
    """`scope`: the stack's ClusterName (`a,b` or `*`); `family_prefix`: CanaryFamilyPrefix."""
    parsed = Scope.parse(scope)
    clusters = list_cluster_names(ecs) if parsed.every else list(parsed.names)
    results = [sweep_cluster(ecs, cluster, execution_arn, status, family_prefix) for cluster in clusters]
    return {
        "executionArn": execution_arn,
        "status": status,
        "stoppedTasks": [t for r in results for t in r["stoppedTasks"]],
        "deregistered": [d for r in results for d in r["deregistered"]],
    }


def sweep_cluster(
    ecs: "ECSClient", cluster: str, execution_arn: str, status: str, family_prefix: str
) -> dict[str, Any]:
    marker = started_by(execution_arn)
    arns = ecs.list_tasks(cluster=cluster, startedBy=marker, desiredStatus="RUNNING").get("taskArns", [])
    revisions: set[str] = set()
    if arns:
        for task in ecs.describe_tasks(cluster=cluster, tasks=arns[:100]).get("tasks", []):
            revisions.add(str(task.get("taskDefinitionArn") or ""))
    result = stop(ecs, cluster, None, execution_arn, f"ecs-netaudit: execution {status}")
    prefix = f":task-definition/{family_prefix}-"
    deregistered: list[str] = []
    for arn in sorted(r for r in revisions if prefix in r):
        try:
            ecs.deregister_task_definition(taskDefinition=arn)
            deregistered.append(arn)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("InvalidParameterException", "ClientException"):
                raise
    return {"executionArn": execution_arn, "status": status, **result.dump(), "deregistered": deregistered}
