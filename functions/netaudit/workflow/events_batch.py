"""Event-driven audits: one EventBridge Pipe batch of "ECS Task State Change" events -> one audit.

The Pipe (template.yaml, TaskEventsPipe) reads the SQS queue the rule fills and hands each batch
to the enrichment Lambda (handlers/events_batch.py), whose return value is the state machine's
input: a `tasks` target of the batch's tasks, each once (ECS sends several RUNNING events for one
task, e.g. on a container health change), with when each reached RUNNING. The state machine then
batches the tasks per host (ResolveHosts: one SSM command per host per batch).

Only events the template's rule lets through are expected; anything else in a batch (a cluster out
of the stack's scope, another status or launch type, not an ECS event) is skipped here too, and
counted. A batch may hold tasks of several clusters of the scope: the audit names them all
(`clusters`), and ResolveHosts groups the tasks by the cluster their ARN names.

Member accounts (issue 21) forward their events to the hub's organization bus, whose rule feeds
the same queue: a task of another account than the stack's own is in scope when its cluster is in
MemberClusterName; a batch holding such tasks names no clusters (the task ARNs name their accounts
and clusters, and Prepare checks both against the deployment's scope).
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from netaudit.errors import InvalidInput
from netaudit.workflow.accounts import account_of
from netaudit.workflow.scope import Scope, cluster_name

DETAIL_TYPE = "ECS Task State Change"
LAUNCH_TYPES = frozenset({"EC2", "EXTERNAL"})
MAX_TASKS = 100  # TasksTarget.task_arns; the template's EventBatchSize is at most this


@dataclass
class Batch:
    scope: Scope
    members: bool = False  # a task of a member account is in the batch
    running_at: dict[str, str] = field(default_factory=dict)  # task ARN -> first RUNNING time
    clusters: dict[str, int] = field(default_factory=dict)  # cluster -> tasks of the batch
    skipped: dict[str, int] = field(default_factory=dict)  # why -> how many events
    duplicates: int = 0

    def audit_input(self) -> dict[str, Any] | None:
        """The state machine's input, or None when no task of the batch is in scope."""
        if not self.running_at:
            return None
        arns = sorted(self.running_at, key=lambda a: (self.running_at[a], a))
        names = sorted(self.clusters)
        where: dict[str, Any] = {"cluster": names[0]} if len(names) == 1 else {"clusters": names}
        if self.members:
            where = {}
        return {
            **where,
            "target": {"kind": "tasks", "taskArns": arns, "runningAt": dict(self.running_at)},
        }


ISO = "%Y-%m-%dT%H:%M:%S.%fZ"


def _iso(value: Any) -> str:
    text = str(value or "")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).strftime(ISO)
    except ValueError:
        return datetime.now(UTC).strftime(ISO)


def _event_of(record: Any) -> Mapping[str, Any] | None:
    """An EventBridge event from one Pipe record (an SQS message whose body is the event)."""
    if isinstance(record, Mapping) and "detail-type" in record:
        return record
    body = record.get("body") if isinstance(record, Mapping) else None
    if isinstance(body, Mapping):
        return body
    try:
        event = json.loads(body) if isinstance(body, str) else None
    except ValueError:
        return None
    return event if isinstance(event, Mapping) else None


def batch_of(
    records: Iterable[Any], scope: Scope, member_scope: Scope | None = None, own_account: str = ""
) -> Batch:
    """Dedup by task ARN (the earliest RUNNING time wins), clusters of the scope only (a member
    account's task: of `member_scope`; none given, no member task is in scope)."""
    if not isinstance(records, list):
        raise InvalidInput("invalid input: expected the Pipe's batch (a list of SQS messages)")
    batch = Batch(scope=scope)

    def skip(why: str) -> None:
        batch.skipped[why] = batch.skipped.get(why, 0) + 1

    for record in records:
        event = _event_of(record)
        if event is None or event.get("detail-type") != DETAIL_TYPE or event.get("source") != "aws.ecs":
            skip("not an ECS Task State Change event")
            continue
        detail = event.get("detail") or {}
        arn = str(detail.get("taskArn") or "")
        cluster = cluster_name(str(detail.get("clusterArn") or ""))
        account = account_of(arn)
        member = bool(own_account) and bool(account) and account != own_account
        allowed = member_scope if member else scope  # a member's task: MemberClusterName's clusters
        if not cluster or allowed is None or not allowed.allows(cluster):
            skip("cluster out of scope")
        elif detail.get("lastStatus") != "RUNNING":
            skip(f"lastStatus {detail.get('lastStatus')}")
        elif detail.get("launchType") not in LAUNCH_TYPES:
            skip(f"launchType {detail.get('launchType')}")
        elif not arn:
            skip("no taskArn")
        else:
            when = _iso(detail.get("startedAt") or event.get("time"))
            if arn in batch.running_at:
                batch.duplicates += 1
                when = min(when, batch.running_at[arn])
            else:
                batch.clusters[cluster] = batch.clusters.get(cluster, 0) + 1
            batch.members = batch.members or member
            batch.running_at[arn] = when
    if len(batch.running_at) > MAX_TASKS:
        raise InvalidInput(
            f"invalid input: the batch holds {len(batch.running_at)} tasks, more than {MAX_TASKS} "
            "(EventBatchSize is at most 100)"
        )
    return batch
