"""`netaudit demo --cluster`: the scheduled cluster audit, locally, on real containers.

Starts several ECS tasks of mixed network modes (none, bridge, host, awsvpc) through RunTask in
moto on two local clusters (the stack deployed with ClusterName "default,blue"), each cluster
with one container instance standing for this machine's Docker engine; one task is tampered (by
default an extra interface with 10.9.9.9/24 in a none-mode task's netns). Then it runs the real
state machine with the scheduled audit's input `{"clusters": "*", "target": {"kind": "cluster"}}`:
ResolveHosts lists the RUNNING tasks of both clusters, one SSM command per container instance
runs the template's probe script here, and the report must name exactly the tampered task with
its reason and cluster. Every container is removed afterwards (also on errors and Ctrl-C).

`netaudit demo --cluster` makes the "blue" cluster's container instance Bottlerocket-shaped: its
probe runs in a control container and reads this machine through the stand-in `apiclient exec admin
sheltie` (netaudit_local.hosts.bottlerocket); the tampered task runs there.

Run: `netaudit demo --cluster [--tamper host-netns] [--json]` (netaudit_local.demo.cli).
"""

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netaudit.models.verdict import NetworkMode
from netaudit_cli.artifacts import AuditEvidence, OutputFiles, Saved, audit_evidence
from netaudit_cli.history import audit_report
from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts.bottlerocket import BottlerocketShape
from netaudit_local.hosts.docker_host import DockerHost, new_run_label
from netaudit_local.hosts.host import TaskLaunch, TaskPlacement

if TYPE_CHECKING:
    from netaudit_local.stack import ExecutionResult, LocalStack

DEMO_MODES: tuple[NetworkMode, ...] = ("none", "none", "bridge", "host", "awsvpc")
TAMPERED_INDEX = 1  # the second none-mode task
DEMO_CLUSTERS: tuple[str, ...] = ("default", "blue")  # task i runs in DEMO_CLUSTERS[i % 2]
DOCKER_INSTANCE_ID = "i-0c1a5de70c1a5de70"


@dataclass
class ClusterDockerHost(DockerHost):
    """The demo's `DockerHost` whose next task only is tampered (`tamper_next`): one tampered
    task among untampered ones. Placement, task states, clean-up and the probe are DockerHost's."""

    run_label: str = field(default_factory=lambda: new_run_label("na-cluster"))
    instance_id: str = DOCKER_INSTANCE_ID
    cluster: str = ""  # the local cluster it is a container instance of ("": the stack's first)
    tamper_next: dt.Tamper | None = None
    tampered: dict[str, str] = field(default_factory=dict)  # task ARN -> tamper

    def start_task(self, launch: TaskLaunch) -> TaskPlacement:
        self.tamper, self.tamper_next = self.tamper_next, None
        try:
            placement = super().start_task(launch)
        finally:
            tamper, self.tamper = self.tamper, None
        if tamper and launch.task_arn in self.started:
            self.tampered[launch.task_arn] = tamper
        return placement


@dataclass(kw_only=True)
class DemoAudit:
    """How a demo's audit on this Docker engine ended (the cluster and the organization demos)."""

    status: str
    verdict: str
    report: dict[str, Any]
    evidence: dict[str, Any]
    tampered: dict[str, str]  # task ARN -> tamper
    transitions: int
    ssm_commands: int
    wall_s: float
    leftovers: list[str]
    error: str | None = None
    cause: str | None = None
    saved: Saved = field(default_factory=Saved)  # --html/--ocsf/--junit/--evidence-dir


def audit_ended(
    result: "ExecutionResult",
    read: AuditEvidence,
    hosts: Sequence[ClusterDockerHost],
    ssm_commands: int,
    started_at: float,
) -> dict[str, Any]:
    """The DemoAudit fields of a finished run, its hosts cleaned up (`started_at`: time.monotonic())."""
    return {
        "status": result.status,
        "verdict": str(read.report.get("verdict") or "ERROR"),
        "report": read.report,
        "evidence": read.evidence,
        "tampered": {arn: how for each in hosts for arn, how in each.tampered.items()},
        "transitions": result.transitions,
        "ssm_commands": ssm_commands,
        "wall_s": time.monotonic() - started_at,
        "leftovers": [c for each in hosts for c in each.leftovers()],
        "error": result.error,
        "cause": result.cause,
        "saved": read.saved,
    }


@dataclass(kw_only=True)
class ClusterDemoResult(DemoAudit):
    tasks: dict[str, str]  # task ARN -> declared mode, as started
    lambda_invocations: int
    clusters: list[str] = field(default_factory=list)  # the local clusters the tasks ran in


def demo_run_task(
    ecs: Any,
    stack: "LocalStack",
    families: dict[str, str],
    mode: NetworkMode,
    prefix: str,
    cluster: str = "",
) -> dict[str, Any]:
    """RunTask's arguments for one demo task in `mode` (its family `<prefix>-<mode>` registered
    once, kept in `families`); awsvpc tasks get the local stack's subnet."""
    if mode not in families:
        families[mode] = ecs.register_task_definition(
            family=f"{prefix}-{mode}",
            networkMode=mode,
            requiresCompatibilities=["EC2"],
            containerDefinitions=[
                {"name": "app", "image": "busybox", "command": ["sleep", "3600"], "memory": 32}
            ],
        )["taskDefinition"]["taskDefinitionArn"]
    kwargs: dict[str, Any] = {
        "cluster": cluster or stack.cluster,
        "taskDefinition": families[mode],
        "launchType": "EC2",
        "startedBy": f"netaudit-{prefix}",
    }
    if mode == "awsvpc":
        kwargs["networkConfiguration"] = {
            "awsvpcConfiguration": {"subnets": [stack.subnet_id], "securityGroups": []}
        }
    return kwargs


@dataclass(frozen=True)
class ClusterDemo:
    """What a cluster demo runs. `modes`: a task per mode, the one at `tampered_index` tampered
    with `tamper`; `payload`: the execution input (`demo --input`; default the cluster audit);
    `parameters`: template parameters of the local stack; `clusters`: the local clusters
    (ClusterName unless the parameters say), one container instance each on this Docker engine,
    the tasks spread over them; `bottlerocket_admin` True / False: the last cluster's container
    instance is Bottlerocket-shaped (netaudit_local.hosts.bottlerocket) with its admin container
    on / off; `outputs`: the report's files to copy out."""

    modes: Sequence[NetworkMode] = DEMO_MODES
    tamper: dt.Tamper | None = "extra-interface"
    tampered_index: int = TAMPERED_INDEX
    poll_interval: int = 0
    timeout_s: float = 120
    payload: dict[str, Any] | None = None
    parameters: dict[str, str] | None = None
    outputs: OutputFiles | None = None
    clusters: Sequence[str] = ("default",)
    bottlerocket_admin: bool | None = None


def _start_tasks(
    ecs: Any, stack: "LocalStack", hosts: list[ClusterDockerHost], demo: ClusterDemo
) -> dict[str, str]:
    """RunTask for each mode, spread over the hosts' clusters: task ARN -> declared mode."""
    families: dict[str, str] = {}
    tasks: dict[str, str] = {}
    for index, mode in enumerate(demo.modes):
        on = hosts[index % len(hosts)]
        kwargs = demo_run_task(ecs, stack, families, mode, "demo-cluster", on.cluster)
        on.tamper_next = demo.tamper if index == demo.tampered_index else None
        answer = ecs.run_task(**kwargs)
        if not answer.get("tasks"):
            raise RuntimeError(f"RunTask placed no {mode} task: {answer.get('failures')}")
        tasks[answer["tasks"][0]["taskArn"]] = mode
    return tasks


def run_cluster_demo(
    demo: ClusterDemo | None = None, host: ClusterDockerHost | None = None
) -> ClusterDemoResult:
    """Start the tasks, run the cluster audit through the local harness, remove the containers
    (`host`: the first cluster's container instance, default a new one)."""
    import boto3

    from netaudit_local.cloud.account import REGION
    from netaudit_local.cloud.aws import local_aws
    from netaudit_local.stack import create_stack, run_execution

    demo = demo or ClusterDemo()
    clusters = demo.clusters
    host = host or ClusterDockerHost()
    host.cluster = host.cluster or clusters[0]
    hosts = [host] + [
        ClusterDockerHost(
            run_label=f"{host.run_label}-{n}", instance_id=f"{DOCKER_INSTANCE_ID[:-1]}{n}", cluster=c
        )
        for n, c in enumerate(clusters[1:], 1)
    ]
    parameters = {"ClusterName": ",".join(clusters), **(demo.parameters or {})}
    started_at = time.monotonic()
    try:
        if demo.bottlerocket_admin is not None:
            BottlerocketShape(hosts[-1].run_label, admin_enabled=demo.bottlerocket_admin).attach(hosts[-1])
        with local_aws(hosts, in_progress_polls=0) as seams:
            stack = create_stack(seams, parameters=parameters)
            tasks = _start_tasks(boto3.client("ecs", region_name=REGION), stack, hosts, demo)
            name = f"demo-cluster-{secrets.token_hex(3)}"
            scheduled = {
                "clusters": "*",
                "target": {"kind": "cluster"},
                "pollIntervalSeconds": demo.poll_interval,
            }
            payload = demo.payload if demo.payload is not None else scheduled
            result = run_execution(stack, name, payload, timeout_s=demo.timeout_s)
            read = audit_evidence(
                boto3.client("s3", region_name=REGION), audit_report(result.history), demo.outputs
            )
            commands = len(seams.commands)
    finally:
        for each in hosts:
            each.cleanup()
    return ClusterDemoResult(
        **audit_ended(result, read, hosts, commands, started_at),
        tasks=tasks,
        lambda_invocations=result.lambda_invocations,
        clusters=list(clusters),
    )
