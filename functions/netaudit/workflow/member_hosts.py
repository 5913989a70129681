"""ResolveHosts across accounts (issue 21): the stack's own account directly, each member account
through its member role; one account's failure is that account's, never the others'.

A member whose role is missing or refuses a call before its tasks are known (AssumeRole,
ListTasks, ...) leaves a gap (`Resolved.gaps`: account, cluster, the refused call and AWS's
message) that keeps the audit from ISOLATED; a tasks audit's tasks of that account are listed
as not probed with the same reason, so each is INCONCLUSIVE naming its account and the call.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from netaudit.models.account import AccountGap
from netaudit.models.inputs import Audit, Canary, NotProbedTask, Resolved, TasksTarget
from netaudit.workflow.accounts import account_of, in_account
from netaudit.workflow.hosts import resolve
from netaudit.workflow.scope import cluster_of_task

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_ssm import SSMClient

# account (None: the stack's own) -> its ECS and SSM clients (a member's: its role assumed)
Clients = Callable[[str | None], "tuple[ECSClient, SSMClient]"]


def refused(account: str, exc: ClientError) -> str:
    """`account 222222222222: AssumeRole refused (AccessDenied): <AWS's message>` (AWS's message
    names the IAM action and the resource)."""
    error = exc.response.get("Error", {})
    return (
        f"account {account}: {exc.operation_name} refused ({error.get('Code')}): {error.get('Message', '')}"
    )


def _own_part(audit: Audit) -> Audit:
    target = audit.target
    if not isinstance(target, TasksTarget):
        return audit
    arns = [a for a in target.task_arns if account_of(a) == audit.hub_account]
    return audit.model_copy(update={"target": target.model_copy(update={"task_arns": arns})})


def _gap(audit: Audit, account: str, reason: str) -> Resolved:
    target = audit.target
    if isinstance(target, TasksTarget):
        return Resolved(
            hosts=[],
            not_probed=[
                NotProbedTask(task_arn=a, reason=reason, cluster=cluster_of_task(a) or "", account=account)
                for a in target.task_arns
            ],
        )
    clusters = audit.clusters or [""]
    return Resolved(hosts=[], gaps=[AccountGap(account=account, cluster=c, reason=reason) for c in clusters])


def _stamped(resolved: Resolved, account: str) -> Resolved:
    for host in resolved.hosts:
        host.account = account
    for unreachable in resolved.unreachable:
        unreachable.account = account
    for task in resolved.not_probed:
        task.account = account
    return resolved


def resolve_accounts(audit: Audit, canary: Canary | None, clients: Clients) -> Resolved:
    """Every account of the audit, in order (none named: the stack's own, as before issue 21)."""
    if not audit.accounts:
        return resolve(*clients(None), audit, canary)
    parts: list[Resolved] = []
    for account in audit.accounts:
        if account == audit.hub_account:
            parts.append(resolve(*clients(None), _own_part(audit), canary))  # account "": its own
            continue
        member = in_account(audit, account)
        try:
            part = resolve(*clients(account), member, None)
            part.api_calls["sts:AssumeRole"] = part.api_calls.get("sts:AssumeRole", 0) + 1
        except ClientError as exc:
            part = _gap(member, account, refused(account, exc))
        parts.append(_stamped(part, account))
    merged = Resolved(hosts=[])
    for part in parts:
        merged.hosts += part.hosts
        merged.unreachable += part.unreachable
        merged.not_probed += part.not_probed
        merged.gaps += part.gaps
        for key, n in part.api_calls.items():
            merged.api_calls[key] = merged.api_calls.get(key, 0) + n
    return merged
