"""ResolveHosts: task -> container instance -> EC2 instance id, and is SSM able to reach it?

Output is a list of hosts, each with the tasks to verify there (one SSM command per host), plus
the tasks that cannot be probed, each with the reason (they end INCONCLUSIVE, never ISOLATED).
"""

from collections.abc import Iterator, Sequence
from typing import Any

from netaudit.errors import HostNotManaged, TaskStoppedEarly
from netaudit.models.inputs import (
    Audit,
    Canary,
    CanaryTarget,
    HostTarget,
    ProbeTask,
    Resolved,
    TasksTarget,
    UnreachableHost,
)

DESCRIBE_BATCH = 100
SSM_FILTER_BATCH = 50


def _batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def task_eni_ipv4(task: dict[str, Any]) -> str | None:
    for attachment in task.get("attachments", []):
        if attachment.get("type") != "ElasticNetworkInterface":
            continue
        for detail in attachment.get("details", []):
            if detail.get("name") == "privateIPv4Address":
                return str(detail.get("value"))
    return None


def ping_statuses(ssm: Any, instance_ids: Sequence[str]) -> dict[str, str]:
    """SSM PingStatus per instance; instances SSM does not know are absent."""
    out: dict[str, str] = {}
    for batch in _batches(list(instance_ids), SSM_FILTER_BATCH):
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Filters": [{"Key": "InstanceIds", "Values": list(batch)}]}
            if token:
                kwargs["NextToken"] = token
            resp = ssm.describe_instance_information(**kwargs)
            for info in resp.get("InstanceInformationList", []):
                out[info["InstanceId"]] = info.get("PingStatus", "Unknown")
            token = resp.get("NextToken")
            if not token:
                break
    return out


def resolve(ecs: Any, ssm: Any, audit: Audit, canary: Canary | None) -> Resolved:
    target = audit.target
    if isinstance(target, CanaryTarget):
        if canary is None or not canary.task_arn:
            raise TypeError("canary audit without a running canary")
        arns = [canary.task_arn]
    elif isinstance(target, TasksTarget):
        arns = list(target.task_arns)
    else:  # pragma: no cover - future target kinds
        raise TypeError(f"unsupported target {target!r}")

    tasks: list[dict[str, Any]] = []
    missing: list[UnreachableHost] = []
    for batch in _batches(arns, DESCRIBE_BATCH):
        resp = ecs.describe_tasks(cluster=audit.cluster, tasks=list(batch))
        tasks.extend(resp.get("tasks", []))
        for failure in resp.get("failures", []):
            missing.append(
                UnreachableHost(
                    instance_id="",
                    reason=f"task not found: {failure.get('reason', 'MISSING')}",
                    tasks=[ProbeTask(task_arn=failure.get("arn", ""), declared_mode="none")],
                )
            )

    modes: dict[str, str] = {}
    by_instance: dict[str, list[ProbeTask]] = {}
    for task in tasks:
        td_arn = task["taskDefinitionArn"]
        if td_arn not in modes:
            td = ecs.describe_task_definition(taskDefinition=td_arn)["taskDefinition"]
            modes[td_arn] = td.get("networkMode", "bridge")  # ECS's default on EC2 (Linux)
        mode = modes[td_arn]
        probe_task = ProbeTask(
            task_arn=task["taskArn"],
            declared_mode=mode,
            eni_ipv4=task_eni_ipv4(task) if mode == "awsvpc" else None,
        )
        if task.get("lastStatus") != "RUNNING":
            if isinstance(target, CanaryTarget):
                raise TaskStoppedEarly(
                    f"The canary task {task['taskArn']} is {task.get('lastStatus')}: "
                    f"{task.get('stoppedReason', '')}"
                )
            missing.append(
                UnreachableHost(
                    instance_id="",
                    reason=f"task is {task.get('lastStatus')}, not RUNNING",
                    tasks=[probe_task],
                )
            )
            continue
        ci = task.get("containerInstanceArn")
        if not ci:
            missing.append(
                UnreachableHost(
                    instance_id="",
                    reason=f"no container instance ({task.get('launchType', '?')} launch type): "
                    "no host to probe from",
                    tasks=[probe_task],
                )
            )
            continue
        by_instance.setdefault(ci, []).append(probe_task)

    ec2_ids: dict[str, str] = {}
    for batch in _batches(list(by_instance), DESCRIBE_BATCH):
        resp = ecs.describe_container_instances(cluster=audit.cluster, containerInstances=list(batch))
        for ci in resp.get("containerInstances", []):
            ec2_ids[ci["containerInstanceArn"]] = ci["ec2InstanceId"]

    pings = ping_statuses(ssm, list(ec2_ids.values()))
    hosts: list[HostTarget] = []
    unreachable = list(missing)
    for ci_arn, probe_tasks in by_instance.items():
        instance_id = ec2_ids.get(ci_arn, "")
        ping = pings.get(instance_id, "NotRegistered")
        if ping == "Online":
            hosts.append(
                HostTarget(instance_id=instance_id, container_instance_arn=ci_arn, tasks=probe_tasks)
            )
            continue
        reason = (
            f"container instance {ci_arn} (EC2 {instance_id or '?'}) is not Online in SSM "
            f"(PingStatus {ping}): the probe cannot be sent. Check the SSM agent and that the "
            "instance profile has AmazonSSMManagedInstanceCore"
        )
        if isinstance(target, CanaryTarget):
            raise HostNotManaged(reason)
        unreachable.append(UnreachableHost(instance_id=instance_id, reason=reason, tasks=probe_tasks))
    return Resolved(hosts=hosts, unreachable=unreachable)
