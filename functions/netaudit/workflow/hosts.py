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
from dataclasses import dataclass, field
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
from netaudit.workflow.inventory import Inventory, InventoryTask, build_inventory
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


def _targets(audit: Audit, canary: Canary | None) -> tuple[list[str] | None, Sequence[str]]:
    """The task ARNs the audit asks for (None: every RUNNING task) and the network modes audited."""
    target = audit.target
    if isinstance(target, CanaryTarget):
        if canary is None or not canary.task_arn:
            raise TypeError("canary audit without a running canary")
        return [canary.task_arn], NETWORK_MODES
    if isinstance(target, TasksTarget):
        return list(target.task_arns), NETWORK_MODES
    if isinstance(target, ClusterTarget):
        return None, list(target.network_modes)
    raise TypeError(f"unsupported target {target!r}")  # pragma: no cover - the Target union is closed


Candidate = tuple[str, str, list[ProbeTask], str]  # container instance ARN, EC2 id, its tasks, cluster


@dataclass
class _Found:
    """What the inventories hold: hosts with RUNNING tasks, tasks not probed, known platforms."""

    candidates: list[Candidate] = field(default_factory=list)
    not_probed: list[NotProbedTask] = field(default_factory=list)
    known_platform: dict[str, str] = field(default_factory=dict)


def _candidates(inventories: Sequence[tuple[str, Inventory]], canary: bool, calls: dict[str, int]) -> _Found:
    found = _Found()
    for cluster, inventory in inventories:
        for key, n in inventory.api_calls.items():
            calls[key] = calls.get(key, 0) + n
        found.not_probed += [
            NotProbedTask(task_arn=a, reason=r, cluster=cluster, code=inventory.codes.get(a))
            for a, r in inventory.not_probed.items()
        ]
        for host in inventory.hosts:
            running: list[ProbeTask] = []
            for task in host.tasks:
                stopped = _not_running(task, cluster, canary=canary)
                if stopped is not None:
                    found.not_probed.append(stopped)
                else:
                    running.append(_probe_task(task))
            if running:
                found.candidates.append((host.container_instance_arn, host.ec2_instance_id, running, cluster))
                if host.unprobeable:
                    found.known_platform[host.ec2_instance_id] = host.unprobeable
    return found


def _unreachable_reason(
    candidate: Candidate, ping: str, agent: str, platform: str | None
) -> tuple[str, bool]:
    """Why a candidate host cannot be probed ("" when it can), and whether its platform is the reason."""
    ci_arn, instance_id, _, _ = candidate
    if platform:  # found before anything is sent
        return unprobeable_reason(ci_arn, instance_id, platform), True
    if ping == "Online" and agent_too_old(agent):
        return agent_reason(ci_arn, instance_id, agent), False
    if ping == "Online":
        return "", False
    return not_online_reason(ci_arn, instance_id, ping), False


def resolve(ecs: "ECSClient", ssm: "SSMClient", audit: Audit, canary: Canary | None) -> Resolved:
    arns, modes = _targets(audit, canary)
    is_canary = isinstance(audit.target, CanaryTarget)
    calls: dict[str, int] = {}
    inventories = [
        (cluster, build_inventory(ecs, cluster, task_arns=cluster_arns, network_modes=modes))
        for cluster, cluster_arns in audited_clusters(ecs, audit, arns, calls)
    ]
    found = _candidates(inventories, is_canary, calls)
    if is_canary and not found.candidates:
        gone = {t.task_arn: t.reason for t in found.not_probed}
        reason = gone.get(canary.task_arn or "", "not found") if canary else "not found"
        raise TaskStoppedEarly(
            f"The canary task {canary.task_arn if canary else '?'} cannot be probed: {reason}"
        )

    agents: dict[str, str] = {}
    platforms: dict[str, str] = {}
    ids = [iid for _, iid, _, _ in found.candidates]
    pings = ping_statuses(ssm, ids, calls, agents=agents, platforms=platforms) if found.candidates else {}
    hosts: list[HostTarget] = []
    unreachable: list[UnreachableHost] = []
    for candidate in found.candidates:
        ci_arn, instance_id, tasks, cluster = candidate
        platform = found.known_platform.get(instance_id) or ssm_unprobeable(platforms.get(instance_id, ""))
        ping = pings.get(instance_id, "NotRegistered")
        reason, by_platform = _unreachable_reason(candidate, ping, agents.get(instance_id, ""), platform)
        if not reason:
            hosts.append(
                HostTarget(
                    instance_id=instance_id, container_instance_arn=ci_arn, tasks=tasks, cluster=cluster
                )
            )
            continue
        if is_canary:
            raise HostNotManaged(reason)
        code = unprobeable_code(str(platform)) if by_platform else causes.NO_SSM
        unreachable.append(
            UnreachableHost(instance_id=instance_id, reason=reason, tasks=tasks, cluster=cluster, code=code)
        )
    return Resolved(hosts=hosts, unreachable=unreachable, not_probed=found.not_probed, api_calls=calls)


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


# The event machine (statemachine/asl_events.py event_definition) keeps a batch's resolution and
# its hosts' verdicts in the execution state instead of S3 objects (an S3 PUT costs as much as 5
# Express requests). Step Functions' payload quota is 256 KiB (262,144 bytes) per state input or
# output (Step Functions quotas). Report's output is the whole state plus the report: the audit
# (100 task ARNs and their RUNNING times: 20 KB measured), the resolution (the hosts stay inline
# even over the bound: 18 KB for 100 tasks), the verdicts and the report (tasks 64,000 bytes, cause
# 32,000: workflow/report/summary.py) = 20 + 32 + 80 + ~100 KB < 256 KiB. Over a bound the part goes to S3 as
# on the Standard machine (a host's verdicts are ~1 KB a task: 100 tasks on 10 hosts go to S3).
INLINE_RESOLVED_BYTES = 32 * 1024
INLINE_RESULTS_BYTES = 80 * 1024  # shared by the hosts: each host's verdicts inline up to its part


def _compact(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def publish_inline(s3: "S3Client", bucket: str, audit: Audit, resolved: Resolved) -> ResolvedRef:
    """The event machine's reference: the resolution in the state (in S3 too when over
    INLINE_RESOLVED_BYTES: then the state keeps only its hosts, which the Inline Map needs)."""
    name = audit.execution.name
    document = resolved.dump()
    body = _compact(document)
    resolved_key: str | None = None
    inline: dict[str, Any] = document
    if len(body) > INLINE_RESOLVED_BYTES:
        resolved_key = keys.resolved_key(name)
        s3.put_object(Bucket=bucket, Key=resolved_key, Body=body, ContentType="application/json")
        inline = {"hosts": document.get("hosts") or []}
    return _ref(
        resolved,
        bucket,
        name,
        mode="inline" if resolved.hosts else "none",
        resolved_key=resolved_key,
        inline=inline,
        result_bytes=INLINE_RESULTS_BYTES // max(1, len(resolved.hosts)),
    )


def publish(s3: "S3Client", bucket: str, audit: Audit, resolved: Resolved) -> ResolvedRef:
    """Store the resolution in S3 and return what the state machine needs to route the hosts."""
    name = audit.execution.name
    resolved_key = keys.resolved_key(name)
    body = _compact(resolved.dump())
    s3.put_object(Bucket=bucket, Key=resolved_key, Body=body, ContentType="application/json")
    hosts_key: str | None = None
    if resolved.hosts:
        hosts_key = keys.hosts_key(name)
        body = _compact(host_groups([h.dump() for h in resolved.hosts]))
        s3.put_object(Bucket=bucket, Key=hosts_key, Body=body, ContentType="application/json")
    return _ref(
        resolved,
        bucket,
        name,
        mode="distributed" if resolved.hosts else "none",
        resolved_key=resolved_key,
        hosts_key=hosts_key,
    )


def _ref(resolved: Resolved, bucket: str, name: str, **where: Any) -> ResolvedRef:
    """The ResolvedRef of `resolved` (its counts), stored `where` (mode, keys, inline parts)."""
    return ResolvedRef(
        host_count=len(resolved.hosts),
        task_count=sum(len(h.tasks) for h in resolved.hosts),
        unreachable_host_count=len(resolved.unreachable),
        not_probed_count=len(resolved.not_probed),
        bucket=bucket,
        results_prefix=keys.results_prefix(name),
        **where,
    )
