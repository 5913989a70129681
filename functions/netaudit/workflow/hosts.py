"""ResolveHosts: which tasks run where, and can SSM reach each host?

The inventory (ListTasks / DescribeTasks / DescribeTaskDefinition / DescribeContainerInstances,
batched) is `netaudit.workflow.inventory.build_inventory`; this module adds the SSM PingStatus
of every host (DescribeInstanceInformation, 50 instances a call: the API's page size) and the
audit kind's rules:
- canary: the canary must be RUNNING (TaskStoppedEarly) on an instance Online in SSM
  (HostNotManaged): both end the execution.
- tasks / cluster: a host not Online does not fail the audit: its tasks become INCONCLUSIVE with
  the reason (`unreachable`). Tasks no host can be probed for (Fargate, ECS Managed Instances:
  with a reason code of netaudit.platforms; not RUNNING, gone) are listed in `not_probed` with
  the reason.

The full resolution goes to S3 (`runs/<execution>/resolved.json`), and so does the host list
(`runs/<execution>/hosts.json`, in groups of hosts: the Distributed Map's ItemReader reads it, one
child execution per group); the execution state
only carries a small reference (`ResolvedRef`).
"""

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from netaudit import causes, keys, platforms
from netaudit.errors import HostNotManaged, TaskStoppedEarly
from netaudit.models.inputs import (
    Audit,
    Canary,
    CanaryTarget,
    ClusterTarget,
    HostTarget,
    NotProbedTask,
    ProbeTask,
    Resolved,
    ResolvedRef,
    TasksTarget,
    UnreachableHost,
)
from netaudit.models.verdict import NETWORK_MODES
from netaudit.workflow.batches import batches
from netaudit.workflow.inventory import InventoryTask, build_inventory
from netaudit.workflow.scope import group_by_cluster, list_cluster_names

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ssm import SSMClient


SSM_PAGE = 50  # DescribeInstanceInformation returns at most 50 a page (MaxResults 5-50)
# The probe document's parameter is `interpolationType: ENV_VAR`; SSM Agent 3.3.2746.0 or later
# hands it over as $SSM_taskArn, older agents leave it unset (AWS Systems Manager User Guide,
# "Parameter interpolation"), and the probe would silently look at every container of the host.
MIN_AGENT_VERSION = (3, 3, 2746, 0)


def agent_too_old(version: str) -> bool:
    """True when the SSM Agent version is known and older than MIN_AGENT_VERSION."""
    try:
        parts = tuple(int(p) for p in version.split("."))
    except ValueError:
        return False  # unknown format: the probe's own checks still apply
    return bool(parts) and parts < MIN_AGENT_VERSION


def agent_reason(container_instance_arn: str, instance_id: str, version: str) -> str:
    needed = ".".join(str(p) for p in MIN_AGENT_VERSION)
    return (
        f"container instance {container_instance_arn} (EC2 {instance_id}) runs SSM Agent {version}, "
        f"older than {needed}: it does not pass the probe's taskArn parameter (ENV_VAR "
        "interpolation), so it is not probed. Update the agent (AWS-UpdateSSMAgent)"
    )


def ping_statuses(
    ssm: "SSMClient",
    instance_ids: Sequence[str],
    calls: dict[str, int] | None = None,
    agents: dict[str, str] | None = None,
    platforms: dict[str, str] | None = None,
) -> dict[str, str]:
    """SSM PingStatus per instance (instances SSM does not know are absent); `platforms`, when
    given, gets "<PlatformType> <PlatformName>" per instance.

    One call per 50 instances: the InstanceIds filter takes up to 100 values but a page holds at
    most 50 results, so 50 ids with MaxResults 50 is the fewest calls the API allows."""
    out: dict[str, str] = {}
    calls = calls if calls is not None else {}
    for batch in batches(sorted(set(instance_ids)), SSM_PAGE):
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {
                "Filters": [{"Key": "InstanceIds", "Values": list(batch)}],
                "MaxResults": SSM_PAGE,
            }
            if token:
                kwargs["NextToken"] = token
            calls["ssm:DescribeInstanceInformation"] = calls.get("ssm:DescribeInstanceInformation", 0) + 1
            resp = ssm.describe_instance_information(**kwargs)
            for info in resp.get("InstanceInformationList", []):
                out[info["InstanceId"]] = info.get("PingStatus", "Unknown")
                if agents is not None:
                    agents[info["InstanceId"]] = str(info.get("AgentVersion") or "")
                if platforms is not None:
                    platform = f"{info.get('PlatformType', '')} {info.get('PlatformName', '')}"
                    platforms[info["InstanceId"]] = platform.strip()
            token = resp.get("NextToken")
            if not token:
                break
    return out


def _probe_task(task: InventoryTask) -> ProbeTask:
    mode = task.declared_mode if task.declared_mode in NETWORK_MODES else "bridge"
    return ProbeTask(
        task_arn=task.task_arn,
        declared_mode=mode,
        eni_ipv4=task.eni_ipv4 if mode == "awsvpc" else None,
        eni_ipv6=task.eni_ipv6 if mode == "awsvpc" else None,
    )


def unprobeable_reason(container_instance_arn: str, instance_id: str, platform: str) -> str:
    if platform.startswith("Windows"):
        subject = f"container instance {container_instance_arn} ({instance_id or '?'}, {platform})"
        return platforms.reason(platforms.WINDOWS, subject)
    return (
        f"container instance {container_instance_arn} ({instance_id or '?'}) cannot be probed: "
        f"{platform} (the probe needs a Linux host where SSM commands see docker, nsenter and ip)"
    )


def unprobeable_code(platform: str) -> str:
    """The code of unprobeable_reason's cause (netaudit.platforms, netaudit.causes)."""
    return platforms.WINDOWS.code if platform.startswith("Windows") else causes.UNPROBEABLE_PLATFORM


def ssm_unprobeable(platform: str) -> str | None:
    """What SSM's PlatformType/PlatformName say the probe cannot run on: Windows, macOS.
    Bottlerocket (PlatformName Bottlerocket since 1.7.0, bottlerocket-os #2056) is probed."""
    kind, _, _ = platform.partition(" ")
    if kind in ("Windows", "MacOS"):
        return platform
    return None


def not_online_reason(container_instance_arn: str, instance_id: str, ping: str) -> str:
    return (
        f"container instance {container_instance_arn} (EC2 {instance_id or '?'}) is not Online in SSM "
        f"(PingStatus {ping}): the probe cannot be sent. Check the SSM agent and that the "
        "instance profile has AmazonSSMManagedInstanceCore"
    )


def audited_clusters(
    ecs: "ECSClient", audit: Audit, task_arns: Sequence[str] | None, calls: dict[str, int]
) -> list[tuple[str, list[str] | None]]:
    """(cluster, its task ARNs or None = every RUNNING task) for each cluster of the audit: the
    given tasks grouped by the cluster their ARN names; else the audit's clusters, or every
    cluster of the account and region (ListClusters) when its scope is `*`."""
    clusters = audit.clusters or ([audit.cluster] if audit.cluster else [])
    if task_arns is not None:
        return list(group_by_cluster(task_arns, audit.cluster or (clusters or [""])[0]).items())
    if audit.all_clusters:
        clusters = list_cluster_names(ecs, calls)
    return [(cluster, None) for cluster in clusters]


def _not_running(task: InventoryTask, cluster: str, canary: bool) -> NotProbedTask | None:
    """A task that is not RUNNING is not probed (a canary that is not raises TaskStoppedEarly)."""
    if not task.last_status or task.last_status == "RUNNING":
        return None
    if canary:
        raise TaskStoppedEarly(
            f"The canary task {task.task_arn} is {task.last_status}: {task.stopped_reason}"
        )
    reason = f"task is {task.last_status}, not RUNNING"
    if task.stopped_reason:
        reason += f" ({task.stopped_reason})"
    return NotProbedTask(
        task_arn=task.task_arn,
        reason=reason,
        declared_mode=_probe_task(task).declared_mode,
        cluster=cluster,
        code=causes.TASK_STOPPED,
    )


def resolve(ecs: "ECSClient", ssm: "SSMClient", audit: Audit, canary: Canary | None) -> Resolved:
    target = audit.target
    modes: Sequence[str] = NETWORK_MODES
    arns: list[str] | None
    if isinstance(target, CanaryTarget):
        if canary is None or not canary.task_arn:
            raise TypeError("canary audit without a running canary")
        arns = [canary.task_arn]
    elif isinstance(target, TasksTarget):
        arns = list(target.task_arns)
    elif isinstance(target, ClusterTarget):
        arns, modes = None, list(target.network_modes)
    else:  # pragma: no cover - the Target union is closed
        raise TypeError(f"unsupported target {target!r}")
    calls: dict[str, int] = {}
    inventories = [
        (cluster, build_inventory(ecs, cluster, task_arns=cluster_arns, network_modes=modes))
        for cluster, cluster_arns in audited_clusters(ecs, audit, arns, calls)
    ]
    not_probed: list[NotProbedTask] = []
    candidates: list[tuple[str, str, list[ProbeTask], str]] = []
    known_platform: dict[str, str] = {}
    for cluster, inventory in inventories:
        for key, n in inventory.api_calls.items():
            calls[key] = calls.get(key, 0) + n
        not_probed += [
            NotProbedTask(task_arn=a, reason=r, cluster=cluster, code=inventory.codes.get(a))
            for a, r in inventory.not_probed.items()
        ]
        for host in inventory.hosts:
            running: list[ProbeTask] = []
            for task in host.tasks:
                stopped = _not_running(task, cluster, canary=isinstance(target, CanaryTarget))
                if stopped is not None:
                    not_probed.append(stopped)
                else:
                    running.append(_probe_task(task))
            if running:
                candidates.append((host.container_instance_arn, host.ec2_instance_id, running, cluster))
                if host.unprobeable:
                    known_platform[host.ec2_instance_id] = host.unprobeable
    if isinstance(target, CanaryTarget) and not candidates:
        gone = {t.task_arn: t.reason for t in not_probed}
        reason = gone.get(canary.task_arn or "", "not found") if canary else "not found"
        raise TaskStoppedEarly(
            f"The canary task {canary.task_arn if canary else '?'} cannot be probed: {reason}"
        )

    agents: dict[str, str] = {}
    platforms: dict[str, str] = {}
    ids = [iid for _, iid, _, _ in candidates]
    pings = ping_statuses(ssm, ids, calls, agents=agents, platforms=platforms) if candidates else {}
    hosts: list[HostTarget] = []
    unreachable: list[UnreachableHost] = []
    for ci_arn, instance_id, tasks, cluster in candidates:
        ping = pings.get(instance_id, "NotRegistered")
        platform = known_platform.get(instance_id) or ssm_unprobeable(platforms.get(instance_id, ""))
        if platform:  # found before anything is sent
            reason = unprobeable_reason(ci_arn, instance_id, platform)
            if isinstance(target, CanaryTarget):
                raise HostNotManaged(reason)
            unreachable.append(
                UnreachableHost(
                    instance_id=instance_id,
                    reason=reason,
                    tasks=tasks,
                    cluster=cluster,
                    code=unprobeable_code(platform),
                )
            )
            continue
        if ping == "Online" and agent_too_old(agents.get(instance_id, "")):
            ping = "AgentTooOld"
        if ping == "Online":
            hosts.append(
                HostTarget(
                    instance_id=instance_id, container_instance_arn=ci_arn, tasks=tasks, cluster=cluster
                )
            )
            continue
        reason = (
            agent_reason(ci_arn, instance_id, agents[instance_id])
            if ping == "AgentTooOld"
            else not_online_reason(ci_arn, instance_id, ping)
        )
        if isinstance(target, CanaryTarget):
            raise HostNotManaged(reason)
        unreachable.append(
            UnreachableHost(
                instance_id=instance_id, reason=reason, tasks=tasks, cluster=cluster, code=causes.NO_SSM
            )
        )
    return Resolved(hosts=hosts, unreachable=unreachable, not_probed=not_probed, api_calls=calls)


# --- where the resolution is kept (keys: netaudit.keys) ---------------------------------------


# One Express child execution of the Distributed Map probes one group of hosts (statemachine/
# build_asl.py, group_processor): at most this many hosts, and at most this many bytes of host list,
# so a child's input stays far below Step Functions' 256 KiB payload quota.
HOSTS_PER_GROUP = 25
GROUP_BYTES = 96 * 1024


def host_groups(hosts: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Distributed Map's items: `{"hosts": [...]}` with at most HOSTS_PER_GROUP hosts and
    GROUP_BYTES of JSON each (a single larger host gets a group of its own)."""
    groups: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for host in hosts:
        n = len(json.dumps(host, separators=(",", ":")))
        if current and (len(current) >= HOSTS_PER_GROUP or size + n > GROUP_BYTES):
            groups.append({"hosts": current})
            current, size = [], 0
        current.append(host)
        size += n
    if current:
        groups.append({"hosts": current})
    return groups


def publish(s3: "S3Client", bucket: str, audit: Audit, resolved: Resolved) -> ResolvedRef:
    """Store the resolution in S3 and return what the state machine needs to route the hosts."""
    name = audit.execution.name
    resolved_key = keys.resolved_key(name)
    s3.put_object(
        Bucket=bucket,
        Key=resolved_key,
        Body=json.dumps(resolved.dump(), separators=(",", ":")).encode(),
        ContentType="application/json",
    )
    hosts_key: str | None = None
    if resolved.hosts:
        hosts_key = keys.hosts_key(name)
        body = json.dumps(host_groups([h.dump() for h in resolved.hosts]), separators=(",", ":")).encode()
        s3.put_object(Bucket=bucket, Key=hosts_key, Body=body, ContentType="application/json")
    return ResolvedRef(
        mode="distributed" if resolved.hosts else "none",
        host_count=len(resolved.hosts),
        task_count=sum(len(h.tasks) for h in resolved.hosts),
        unreachable_host_count=len(resolved.unreachable),
        not_probed_count=len(resolved.not_probed),
        bucket=bucket,
        resolved_key=resolved_key,
        hosts_key=hosts_key,
        results_prefix=keys.results_prefix(name),
    )
