"""A simulated fleet for cluster audits: many container instances, many tasks, no Docker.

`FleetHost` is a `RecordedHost` whose probe output is `synthetic_probe` for exactly the tasks
placed on it (a task in `violating` has an extra interface in its netns). `place_tasks` puts
tasks on a given host the way the ECS agent would report them: the task is RUNNING on that
container instance in moto (StartTask), with a 32-hex id and, for awsvpc, an ENI attachment with
a private IPv4 the probe output agrees with.

Used by the cluster workflow tests and bench/bench_cluster.py. Never imported by a Lambda.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import boto3

from netaudit.models.verdict import NETWORK_MODES, ExpectedTask, NetworkMode
from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.cloud.aws import Seams
from netaudit_local.hosts.host import ContainerLaunch, TaskLaunch
from netaudit_local.hosts.recorded_host import Faults, RecordedHost
from netaudit_local.hosts.synthetic import synthetic_probe


def _render(host: RecordedHost, tasks: list[TaskLaunch]) -> str:
    fleet = host if isinstance(host, FleetHost) else None
    enis = fleet.enis if fleet else {}
    violating = fleet.violating if fleet else set()
    gone = fleet.gone if fleet else set()
    present = [t for t in tasks if t.task_arn not in gone]
    expected = [ExpectedTask(t.task_arn, t.network_mode, enis.get(t.task_arn)) for t in present]
    return synthetic_probe(expected, violating=violating)


@dataclass
class FleetHost(RecordedHost):
    """A container instance of the simulated fleet (see the module doc)."""

    recordings: dict[str, str] = field(default_factory=dict)
    enis: dict[str, str] = field(default_factory=dict)
    violating: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)  # containers removed before the probe looked
    cluster: str = ""  # the ECS cluster it is a container instance of ("": the stack's first)

    def __post_init__(self) -> None:
        self.render = _render
        if self.faults == Faults():
            self.faults = Faults(pending_polls=0)  # already RUNNING when the audit starts


def fleet_hosts(count: int, *, prefix: str = "i-0f1ee7") -> list[FleetHost]:
    """`count` hosts with distinct 17-hex-digit EC2 instance ids."""
    width = 17 - len(prefix) + 2
    return [FleetHost(instance_id=f"{prefix}{n:0{width}x}") for n in range(count)]


class Placer:
    """Puts tasks on chosen hosts of a local stack (one task definition per network mode)."""

    def __init__(
        self,
        seams: Seams,
        cluster: str,
        container_instances: dict[str, str],
        subnet_id: str = "",
        *,
        account: str = ACCOUNT,
        ecs: Any = None,
    ) -> None:
        """`account`, `ecs`: a member account of the organization and its ECS client (org.py)."""
        self.seams = seams
        self.subnet_id = subnet_id
        self.cluster = cluster
        self.container_instances = container_instances
        self.account = account
        self.ecs = ecs or boto3.client("ecs", region_name=REGION)
        self._task_definitions: dict[str, str] = {}

    def task_definition(self, mode: str) -> str:
        if mode not in self._task_definitions:
            td = self.ecs.register_task_definition(
                family=f"fleet-{mode}",
                networkMode=cast("NetworkMode", mode),
                containerDefinitions=[{"name": "app", "image": "busybox", "memory": 8}],
            )["taskDefinition"]
            self._task_definitions[mode] = td["taskDefinitionArn"]
        return self._task_definitions[mode]

    def place(self, host: FleetHost, modes: Iterable[str]) -> list[str]:
        """Start one task per entry of `modes` on `host`; returns their ARNs."""
        from moto.ecs.models import Task, ecs_backends

        backend = ecs_backends[self.account][REGION]
        cluster = backend._get_cluster(self.cluster)
        ci_arn = self.container_instances[host.instance_id]
        arns: list[str] = []
        for mode in modes:
            td = backend.describe_task_definition(self.task_definition(mode))
            network = None
            if mode == "awsvpc":
                network = {"awsvpcConfiguration": {"subnets": [self.subnet_id], "securityGroups": []}}
            task = Task(
                cluster,
                td,
                ci_arn,
                backend._calculate_task_resource_requirements(td),  # StopTask gives them back
                backend=backend,
                group=f"family:{td.family}",
                launch_type="EC2",
                started_by="netaudit-fleet",
                networking_configuration=network,
            )
            task.id = uuid.uuid4().hex  # ECS task ids are 32 hex digits
            backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
            if mode == "awsvpc":
                attachment: dict[str, Any] = task.attachments[0]
                details: list[dict[str, str]] = attachment["details"]
                host.enis[task.task_arn] = next(
                    d["value"] for d in details if d["name"] == "privateIPv4Address"
                )
            launch = TaskLaunch(
                task_arn=task.task_arn,
                cluster=task.cluster_name,
                family=f"fleet-{mode}",
                revision=1,
                network_mode=mode,  # type: ignore[arg-type]
                containers=[ContainerLaunch(name="app", image="busybox", memory_mib=8)],
            )
            host.start_task(launch)
            self.seams.task_hosts[task.task_arn] = host.instance_id
            arns.append(task.task_arn)
        return arns


def spread(
    total: int, hosts: Sequence[FleetHost], modes: Sequence[str] = NETWORK_MODES
) -> dict[str, list[str]]:
    """`total` tasks over `hosts` round-robin, modes cycling: instance id -> modes to place."""
    layout: dict[str, list[str]] = {h.instance_id: [] for h in hosts}
    for n in range(total):
        layout[hosts[n % len(hosts)].instance_id].append(modes[(n // len(hosts)) % len(modes)])
    return layout


# The fault mix of the scale bench: host n gets FAULT_MIX[n % 10] (about 10% each, 40% clean).
FAULT_MIX: tuple[str, ...] = (
    "agent offline",
    "command failed",
    "command timed out",
    "throttled send",
    "output over 24,000 characters",
    "container gone mid-probe",
    "",
    "",
    "",
    "",
)


def apply_fault(host: FleetHost, fault: str) -> None:
    """Script one fault of FAULT_MIX on `host` (after its tasks are placed). "throttled send" is
    played by the caller (SendCommand throttles before it knows the instance)."""
    if fault == "agent offline":
        host.faults = Faults(pending_polls=0, ping_status="ConnectionLost")
    elif fault == "command failed":
        host.faults = Faults(pending_polls=0, command_status="Failed", command_stderr="docker: not found")
    elif fault == "command timed out":
        host.faults = Faults(pending_polls=0, command_status="TimedOut")
    elif fault == "output over 24,000 characters":
        host.faults = Faults(pending_polls=0, pad_output_to=30_000)
    elif fault == "container gone mid-probe" and host.started:
        host.gone.add(next(iter(host.started)))
