"""What runs where: RUNNING tasks of a cluster grouped by the container instance that hosts them.

One DescribeTasks per 100 tasks, one DescribeTaskDefinition per revision (cached), one
DescribeContainerInstances per 100 instances: API calls grow with instances and revisions, not
with how often a revision is run.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netaudit import causes, platforms
from netaudit.models.verdict import NETWORK_MODES
from netaudit.workflow.batches import batches

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient


DESCRIBE_BATCH = 100  # DescribeTasks and DescribeContainerInstances take at most 100 a call


@dataclass(frozen=True)
class InventoryTask:
    """What DescribeTasks says of one task. `declared_mode` is the task definition's networkMode as
    ECS gives it (`<default>` on Windows, not one of the four); ResolveHosts turns the tasks it
    audits into the one task type, netaudit.models.task.AuditTask."""

    task_arn: str
    declared_mode: str
    eni_ipv4: str | None
    container_instance_arn: str | None
    launch_type: str
    eni_ipv6: str | None = None
    last_status: str = ""
    stopped_reason: str = ""


@dataclass
class InventoryHost:
    """`ec2_instance_id` is the EC2 id (i-...) or, for ECS Anywhere, the SSM managed instance id
    (mi-...), as DescribeContainerInstances gives it. `unprobeable` names a platform the probe
    cannot run on, read from the instance's ECS attributes."""

    container_instance_arn: str
    ec2_instance_id: str
    tasks: list[InventoryTask] = field(default_factory=list)
    unprobeable: str | None = None


@dataclass
class Inventory:
    hosts: list[InventoryHost]
    # Tasks that cannot be probed from a host (Fargate, ECS Managed Instances, or gone before they
    # were described), each with the reason. Reported as "not checked", never as passed.
    not_probed: dict[str, str]
    api_calls: dict[str, int]
    codes: dict[str, str] = field(default_factory=dict)  # not-probed ARN -> its cause code (netaudit.causes)


def list_running_tasks(ecs: "ECSClient", cluster: str, calls: dict[str, int]) -> list[str]:
    arns: list[str] = []
    for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus="RUNNING"):
        calls["ecs:ListTasks"] = calls.get("ecs:ListTasks", 0) + 1
        arns.extend(page.get("taskArns", []))
    return arns


def _eni_detail(task: Mapping[str, Any], name: str) -> str | None:
    for attachment in task.get("attachments", []):
        if attachment.get("type") != "ElasticNetworkInterface":
            continue
        for detail in attachment.get("details", []):
            if detail.get("name") == name and detail.get("value"):
                return str(detail["value"])
    return None


def eni_ipv4(task: Mapping[str, Any]) -> str | None:
    """The task ENI's private IPv4 from the DescribeTasks attachments (awsvpc only)."""
    return _eni_detail(task, "privateIPv4Address")


def eni_ipv6(task: Mapping[str, Any]) -> str | None:
    """The task ENI's IPv6 (dual-stack or IPv6-only subnets): the attachment detail, else the
    containers' networkInterfaces[].ipv6Address (ECS API reference, NetworkInterface)."""
    found = _eni_detail(task, "ipv6Address")
    for container in task.get("containers", []) if found is None else []:
        for nic in container.get("networkInterfaces", []):
            if nic.get("ipv6Address"):
                return str(nic["ipv6Address"])
    return found


def unprobeable_platform(attributes: Sequence[Mapping[str, Any]]) -> str | None:
    """The platform named by the container instance's ECS attributes when the probe (POSIX sh,
    docker, nsenter, ip -j) cannot run there: Windows (ecs.os-type / ecs.os-family; attribute
    names: amazon-ecs-agent ecs_client.go). Bottlerocket is probed: through its control
    container and `apiclient exec admin sheltie` (probe/netaudit-probe.sh)."""
    attrs = {str(a.get("name")): str(a.get("value") or "") for a in attributes}
    family = attrs.get("ecs.os-family", "")
    if attrs.get("ecs.os-type", "").lower() == "windows" or family.upper().startswith("WINDOWS"):
        return f"Windows ({family or 'windows'})"
    return None


def no_host_code(task: InventoryTask) -> str:
    """The code of no_host_reason's cause (netaudit.platforms, netaudit.causes)."""
    if task.launch_type in ("FARGATE", "MANAGED_INSTANCES"):
        return task.launch_type  # platforms.FARGATE.code, platforms.MANAGED_INSTANCES.code
    return causes.NO_CONTAINER_INSTANCE


def no_host_reason(task: InventoryTask) -> str:
    """Why a task with no container instance of the account's own is not probed (coded)."""
    eni = " / ".join(a for a in (task.eni_ipv4, task.eni_ipv6) if a) or "no ENI address"
    subject = f"task ENI {eni} (DescribeTasks), launch type {task.launch_type or 'unknown'}"
    if task.launch_type == "FARGATE":
        return platforms.reason(platforms.FARGATE, subject)
    if task.launch_type == "MANAGED_INSTANCES":
        return platforms.reason(platforms.MANAGED_INSTANCES, subject)
    return f"launch type {task.launch_type or 'unknown'}: no container instance to probe from"


class DeclaredModes:
    """networkMode per task definition revision, each revision described once."""

    def __init__(self, ecs: "ECSClient", calls: dict[str, int]) -> None:
        self._ecs = ecs
        self._calls = calls
        self._cache: dict[str, str] = {}

    def __call__(self, task_definition_arn: str) -> str:
        if task_definition_arn not in self._cache:
            self._calls["ecs:DescribeTaskDefinition"] = (
                self._calls.get("ecs:DescribeTaskDefinition", 0) + 1
            )
            answer = self._ecs.describe_task_definition(taskDefinition=task_definition_arn)
            # An EC2 Linux task definition without networkMode runs in bridge mode.
            self._cache[task_definition_arn] = answer["taskDefinition"].get("networkMode", "bridge")
        return self._cache[task_definition_arn]


def describe_tasks(
    ecs: "ECSClient", cluster: str, task_arns: Sequence[str], calls: dict[str, int]
) -> tuple[list[InventoryTask], dict[str, str]]:
    modes = DeclaredModes(ecs, calls)
    found: list[InventoryTask] = []
    missing: dict[str, str] = {}
    for batch in batches(task_arns, DESCRIBE_BATCH):
        calls["ecs:DescribeTasks"] = calls.get("ecs:DescribeTasks", 0) + 1
        answer = ecs.describe_tasks(cluster=cluster, tasks=list(batch))
        for failure in answer.get("failures", []):
            missing[failure.get("arn", "?")] = f"DescribeTasks: {failure.get('reason', 'unknown')}"
        # ECS lists unknown ARNs in failures; be as strict when it does not (compare task ids:
        # an old-format ARN names the same task as the long one)
        described = {t["taskArn"].rsplit("/", 1)[-1] for t in answer.get("tasks", [])}
        for arn in batch:
            if arn not in missing and arn.rsplit("/", 1)[-1] not in described:
                missing[arn] = "DescribeTasks: MISSING"
        for task in answer.get("tasks", []):
            found.append(
                InventoryTask(
                    task_arn=task["taskArn"],
                    declared_mode=modes(task["taskDefinitionArn"]),
                    eni_ipv4=eni_ipv4(task),
                    eni_ipv6=eni_ipv6(task),
                    container_instance_arn=task.get("containerInstanceArn"),
                    launch_type=task.get("launchType", ""),
                    last_status=task.get("lastStatus", ""),
                    stopped_reason=task.get("stoppedReason", ""),
                )
            )
    return found, missing


def ec2_instance_ids(
    ecs: "ECSClient", cluster: str, container_instance_arns: Sequence[str], calls: dict[str, int]
) -> dict[str, tuple[str, str | None]]:
    """Container instance ARN -> (EC2 or managed instance id, unprobeable platform or None)."""
    ids: dict[str, tuple[str, str | None]] = {}
    for batch in batches(container_instance_arns, DESCRIBE_BATCH):
        calls["ecs:DescribeContainerInstances"] = calls.get("ecs:DescribeContainerInstances", 0) + 1
        answer = ecs.describe_container_instances(cluster=cluster, containerInstances=list(batch))
        for instance in answer.get("containerInstances", []):
            platform = unprobeable_platform(instance.get("attributes") or [])
            ids[instance["containerInstanceArn"]] = (instance["ec2InstanceId"], platform)
    return ids


def build_inventory(
    ecs: "ECSClient",
    cluster: str,
    *,
    task_arns: Sequence[str] | None = None,
    network_modes: Iterable[str] = NETWORK_MODES,
) -> Inventory:
    """Group the cluster's RUNNING tasks (or the given ones) by host, keeping the wanted modes."""
    calls: dict[str, int] = {}
    wanted = set(network_modes)
    arns = list(task_arns) if task_arns is not None else list_running_tasks(ecs, cluster, calls)
    tasks, not_probed = describe_tasks(ecs, cluster, arns, calls) if arns else ([], {})
    # gone before it was described (DescribeTasks MISSING): stopped; another failure has no code
    codes = {arn: causes.TASK_STOPPED for arn, why in not_probed.items() if why.endswith(": MISSING")}
    by_instance: dict[str, list[InventoryTask]] = {}
    for task in tasks:
        if task.declared_mode not in wanted:
            audited = ", ".join(m for m in NETWORK_MODES if m in wanted)
            reason = f"networkMode {task.declared_mode} not audited (networkModes: {audited})"
            not_probed[task.task_arn] = reason
            codes[task.task_arn] = causes.FILTERED_OUT
            continue
        if not task.container_instance_arn or task.launch_type == "MANAGED_INSTANCES":
            not_probed[task.task_arn] = no_host_reason(task)
            codes[task.task_arn] = no_host_code(task)
            continue
        by_instance.setdefault(task.container_instance_arn, []).append(task)
    instance_ids = ec2_instance_ids(ecs, cluster, sorted(by_instance), calls) if by_instance else {}
    hosts: list[InventoryHost] = []
    for instance_arn, host_tasks in sorted(by_instance.items()):
        if instance_arn not in instance_ids:
            for task in host_tasks:
                not_probed[task.task_arn] = f"container instance {instance_arn} not found"
                codes[task.task_arn] = causes.NO_CONTAINER_INSTANCE
            continue
        instance_id, platform = instance_ids[instance_arn]
        hosts.append(InventoryHost(instance_arn, instance_id, host_tasks, platform))
    return Inventory(hosts=hosts, not_probed=not_probed, api_calls=calls, codes=codes)
