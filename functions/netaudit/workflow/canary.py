"""The canary task: register its task definition, run it, wait for RUNNING, stop it.

No task outlives its execution: RunTask tags it with `startedBy` derived from the execution, so
the clean-up finds it even when the step that started it failed before it could answer.
"""

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from netaudit import aws_clients
from netaudit.errors import PlacementFailed, TaskStartTimeout, TaskStoppedEarly
from netaudit.models.inputs import MAX_POLLS, Audit, Canary, CanaryTarget
from netaudit.models.state import Cleanup

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_ecs.type_defs import ContainerDefinitionTypeDef


CONTAINER_NAME = "canary"
# The canary only sleeps: no root, no capability, no write, never privileged. In host mode it
# shares the host's netns ("allows containers to impersonate the host": AWS, ECS developer guide,
# networking-networkmode-host.html), so it gets nothing more than it needs (docs/THREAT_MODEL.md).
# Container definition fields `user`, `privileged`, `readonlyRootFilesystem`,
# `linuxParameters.capabilities.drop` (valid value "ALL"): ECS task definition parameters, EC2.
CANARY_HARDENING: dict[str, Any] = {
    "user": "65534:65534",
    "privileged": False,
    "readonlyRootFilesystem": True,
    "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": False},
}


def started_by(execution_id: str) -> str:
    """ECS `startedBy` is at most 36 characters: a stable digest of the execution ARN."""
    return "netaudit-" + hashlib.sha256(execution_id.encode()).hexdigest()[:27]


def _canary_target(audit: Audit) -> CanaryTarget:
    if not isinstance(audit.target, CanaryTarget):
        raise TypeError("not a canary audit")
    return audit.target


LIFETIME_MARGIN_SECONDS = 300


def lifetime_seconds(audit: Audit) -> int:
    """How long the default canary sleeps: long enough to be probed, short enough that a canary
    whose StopTask failed for good still exits by itself soon after the audit."""
    return audit.running_deadline_seconds + audit.probe_deadline_seconds + LIFETIME_MARGIN_SECONDS


EXECUTION_LABEL = "ecs-netaudit.execution"  # the canary container's docker label: its execution
RECENT_REVISIONS = 5  # revisions of the family looked at for one this execution registered


def _registered_before(ecs: "ECSClient", family: str, marker: str) -> Mapping[str, Any] | None:
    """The revision of `family` this execution already registered (its container labelled with
    the execution's marker), among the newest ones, if any."""
    listed = ecs.list_task_definitions(
        familyPrefix=family, status="ACTIVE", sort="DESC", maxResults=RECENT_REVISIONS
    )
    for arn in listed.get("taskDefinitionArns", []):
        td = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        labels = [c.get("dockerLabels", {}).get(EXECUTION_LABEL) for c in td.get("containerDefinitions", [])]
        if td.get("family") == family and marker in labels:
            return td
    return None


def register(ecs: "ECSClient", audit: Audit, family_prefix: str) -> Canary:
    """`family_prefix`: parameter CanaryFamilyPrefix (the janitor deregisters only these).

    RegisterTaskDefinition takes no client token and makes a new revision on every call (ECS API
    reference): a call whose answer was lost is not repeated (`aws_clients.at_most_once`; `ecs`
    from `aws_clients.never_resend`): the revision it registered is found by the marker its
    container carries, so no revision is left ACTIVE behind the audit."""
    target = _canary_target(audit)
    family = f"{family_prefix}-{target.network_mode}"
    marker = started_by(audit.execution.id or audit.execution.name)
    container: ContainerDefinitionTypeDef = {
        "name": CONTAINER_NAME,
        "image": audit.image,
        "essential": True,
        # The deployment's CanaryCommand (Prepare put it in the audit), never an input's.
        "command": audit.command or ["sleep", str(lifetime_seconds(audit))],
        "memory": target.memory_mib,
        "dockerLabels": {EXECUTION_LABEL: marker},
        **CANARY_HARDENING,  # type: ignore[typeddict-item]  # a plain dict: its keys are container fields
    }
    td = aws_clients.at_most_once(
        lambda: _registered_before(ecs, family, marker),
        lambda: ecs.register_task_definition(
            family=family,
            networkMode=target.network_mode,
            requiresCompatibilities=["EC2"],
            containerDefinitions=[container],
        )["taskDefinition"],
    )
    return Canary(
        task_definition_arn=td["taskDefinitionArn"],
        family=td["family"],
        revision=td["revision"],
        network_mode=target.network_mode,
        started_by=marker,
    )


def run(ecs: "ECSClient", audit: Audit, canary: Canary, now: float) -> Canary:
    target = _canary_target(audit)
    kwargs: dict[str, Any] = {
        "cluster": audit.cluster,
        "taskDefinition": canary.task_definition_arn,
        "launchType": "EC2",
        "count": 1,
        "startedBy": canary.started_by,
        # Idempotent: a retried RunTask of this execution returns the same task, not a second one.
        "clientToken": canary.started_by,
    }
    if target.awsvpc is not None:
        kwargs["networkConfiguration"] = {
            "awsvpcConfiguration": {
                "subnets": target.awsvpc.subnets,
                "securityGroups": target.awsvpc.security_groups,
                "assignPublicIp": "DISABLED",
            }
        }
    resp = ecs.run_task(**kwargs)
    tasks = resp.get("tasks", [])
    if not tasks:
        failures = resp.get("failures", [])
        reasons = "; ".join(
            f"{f.get('reason', 'unknown')}"
            + (f" ({f['detail']})" if f.get("detail") else "")
            + (f" on {f['arn']}" if f.get("arn") else "")
            for f in failures
        )
        raise PlacementFailed(
            f"ECS could not place the canary task {canary.family}:{canary.revision} "
            f"({canary.network_mode} mode) on cluster {audit.cluster}: "
            f"{reasons or 'no container instance could take it'}"
        )
    task = tasks[0]
    return canary.model_copy(
        update={
            "task_arn": task["taskArn"],
            "last_status": task.get("lastStatus", "PROVISIONING"),
            "running_deadline": now + audit.running_deadline_seconds,
        }
    )


def _stop_details(task: Mapping[str, Any]) -> str:
    parts = [task.get("stoppedReason") or "no stoppedReason given"]
    if task.get("stopCode"):
        parts.append(f"stopCode {task['stopCode']}")
    for c in task.get("containers", []):
        if c.get("reason") or c.get("exitCode") is not None:
            parts.append(f"container {c.get('name')}: {c.get('reason', '')} exit code {c.get('exitCode')}")
    return "; ".join(parts)


def describe(ecs: "ECSClient", audit: Audit, canary: Canary, now: float) -> Canary:
    """Current status; raises when the task stopped, or is still not RUNNING at the deadline or
    after MAX_POLLS polls (so no poll interval can fill the 25,000-event history)."""
    arn = canary.task_arn or ""
    polled = canary.model_copy(update={"polls": canary.polls + 1})
    resp = ecs.describe_tasks(cluster=audit.cluster, tasks=[arn])
    tasks = resp.get("tasks", [])
    past_deadline = (canary.running_deadline is not None and now >= canary.running_deadline) or (
        polled.polls >= MAX_POLLS
    )
    waited = (
        f"after {polled.polls} polls (at most {MAX_POLLS})"
        if polled.polls >= MAX_POLLS
        else f"after {audit.running_deadline_seconds} s (runningDeadlineSeconds)"
    )
    if not tasks:
        reason = "; ".join(f.get("reason", "") for f in resp.get("failures", [])) or "MISSING"
        # ECS is eventually consistent: right after RunTask, DescribeTasks may answer MISSING.
        if reason == "MISSING" and not past_deadline:
            return polled
        raise TaskStoppedEarly(f"The canary task {arn} disappeared before RUNNING: {reason}")
    task = tasks[0]
    last = task.get("lastStatus", "")
    if last in ("STOPPED", "DEPROVISIONING", "STOPPING", "DEACTIVATING") or (
        task.get("desiredStatus") == "STOPPED" and last != "RUNNING"
    ):
        raise TaskStoppedEarly(f"The canary task {arn} stopped before it was RUNNING: {_stop_details(task)}")
    if last == "RUNNING":
        return polled.model_copy(update={"last_status": last})
    if past_deadline:
        raise TaskStartTimeout(f"The canary task {arn} was still {last} {waited}; it has been stopped")
    return polled.model_copy(update={"last_status": last})


def _ignorable(exc: ClientError) -> bool:
    code = exc.response["Error"]["Code"]
    message = exc.response["Error"].get("Message", "")
    return code in ("InvalidParameterException", "ClientException") and (
        "not found" in message.lower() or "stopped" in message.lower()
    )


def stop(ecs: "ECSClient", cluster: str, canary: Canary | None, execution_id: str, reason: str) -> Cleanup:
    """Stop the canary task(s) of this execution and deregister the canary revision.

    Idempotent; tasks are found by ARN and by `startedBy`, so a task whose RunTask answer was
    lost is stopped too.
    """
    arns: list[str] = []
    if canary is not None and canary.task_arn:
        arns.append(canary.task_arn)
    marker = canary.started_by if canary is not None and canary.started_by else started_by(execution_id)
    list_error: ClientError | None = None
    try:
        listed = ecs.list_tasks(cluster=cluster, startedBy=marker, desiredStatus="RUNNING")["taskArns"]
    except ClientError as exc:
        if not _ignorable(exc):
            list_error = exc  # e.g. AccessDenied: still stop the task we know, then fail
        listed = []
    arns.extend(a for a in listed if a not in arns)
    stopped: list[str] = []
    for arn in arns:
        try:
            ecs.stop_task(cluster=cluster, task=arn, reason=reason[:255])
        except ClientError as exc:
            if not _ignorable(exc):
                raise
        stopped.append(arn)
    deregistered = None
    if canary is not None:
        try:
            ecs.deregister_task_definition(taskDefinition=canary.task_definition_arn)
            deregistered = canary.task_definition_arn
        except ClientError as exc:
            if not _ignorable(exc):
                raise
    if list_error is not None:
        raise list_error
    return Cleanup(stopped_tasks=stopped, deregistered=deregistered)
