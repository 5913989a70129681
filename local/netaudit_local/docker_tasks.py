"""Real containers that look like what the ECS agent starts, on the local Docker engine.

Used by the Docker-backed local host, the tests and the demo. Every container carries the ECS
agent's labels (`com.amazonaws.ecs.task-arn`, `...container-name`, `...cluster`,
`...task-definition-family`, `...task-definition-version`) plus `netaudit_local=1` and a
run label (`netaudit.run=<run>`) so leftovers of a run can always be found and removed.

Network modes: none / bridge / host as docker's own; awsvpc = a pause container
(`~internal~ecs~pause`, busybox `sleep`, on docker's bridge so it has an address standing for
the task's ENI) plus the app containers joined with `--network container:<pause>`.

Tampers (for tests and the demo): `host-netns` starts the containers with `--network host`
whatever is declared; `extra-interface` adds an interface with an address inside the task's
netns after start (`nsenter -t PID -n ip link add ...`, run from the host).

All docker calls use argv lists (never a shell). Only ever removes containers labelled
`netaudit_local=1`.
"""

import re
import secrets
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from netaudit.models.verdict import NetworkMode

if TYPE_CHECKING:
    from netaudit_local.host import TaskLaunch

TASK_ARN_LABEL = "com.amazonaws.ecs.task-arn"
CONTAINER_NAME_LABEL = "com.amazonaws.ecs.container-name"
CLUSTER_LABEL = "com.amazonaws.ecs.cluster"
FAMILY_LABEL = "com.amazonaws.ecs.task-definition-family"
VERSION_LABEL = "com.amazonaws.ecs.task-definition-version"
LOCAL_LABEL = "netaudit_local"
RUN_LABEL = "netaudit.run"
PAUSE_CONTAINER_NAME = "~internal~ecs~pause"

Tamper = Literal["host-netns", "extra-interface"]
DEFAULT_IMAGE = "busybox"
DEFAULT_COMMAND: tuple[str, ...] = ("sleep", "3600")
EXTRA_INTERFACE = "dummy0"
EXTRA_ADDRESS = "10.9.9.9/24"


class DockerError(RuntimeError):
    """A docker / nsenter call failed; the message carries the command and its stderr."""


@dataclass(frozen=True)
class ContainerSpec:
    """One container of the task. `command` None = `sleep 3600`."""

    name: str
    image: str = DEFAULT_IMAGE
    command: Sequence[str] | None = None
    memory_mib: int | None = None
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StartedTask:
    """What start_task started. `container_ids` maps ECS container name -> docker id
    (the pause container included, under `~internal~ecs~pause`)."""

    task_arn: str
    network_mode: NetworkMode
    container_ids: dict[str, str]
    eni_ipv4: str | None = None
    run_label: str = ""

    @property
    def pause_id(self) -> str | None:
        return self.container_ids.get(PAUSE_CONTAINER_NAME)


def _docker(*args: str, check: bool = True, timeout: float = 60) -> str:
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise DockerError(f"docker {' '.join(args[:3])} ... failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def new_task_arn(
    cluster: str = "netaudit-local", region: str = "us-east-1", account: str = "123456789012"
) -> str:
    """A fresh ECS task ARN (long form: task/<cluster>/<32 hex>)."""
    return f"arn:aws:ecs:{region}:{account}:task/{cluster}/{secrets.token_hex(16)}"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "", name) or "c"


def _run(
    spec: ContainerSpec,
    *,
    docker_name: str,
    network: str,
    labels: dict[str, str],
) -> str:
    args = ["run", "-d", "--name", docker_name, "--network", network]
    for key, value in labels.items():
        args += ["--label", f"{key}={value}"]
    if spec.memory_mib:
        args += ["--memory", f"{spec.memory_mib}m"]
    for key, value in spec.env.items():
        args += ["-e", f"{key}={value}"]
    args.append(spec.image)
    args.extend(spec.command if spec.command is not None else DEFAULT_COMMAND)
    return _docker(*args)


def start_task(
    task_arn: str,
    *,
    family: str,
    containers: Sequence[str | ContainerSpec],
    network_mode: NetworkMode,
    run_label: str,
    revision: int = 1,
    cluster: str | None = None,
    image: str = DEFAULT_IMAGE,
    name_prefix: str | None = None,
    tamper: Tamper | None = None,
) -> StartedTask:
    """Start the task's containers like the ECS agent would; returns their ids (and, for awsvpc,
    the pause container's IPv4 standing for the ENI address).

    `containers`: ECS container names (image `image`, `sleep 3600`) or ContainerSpecs.
    `name_prefix`: docker names are `<prefix>-<container>-<4 hex>` (default `ecs-<family>-<rev>`).
    On any failure the containers already started are removed before DockerError is raised.
    """
    specs = [c if isinstance(c, ContainerSpec) else ContainerSpec(c, image) for c in containers]
    if not specs:
        raise ValueError("a task needs at least one container")
    cluster = cluster or (
        task_arn.split(":task/", 1)[-1].split("/")[0] if task_arn.count("/") == 2 else "default"
    )
    prefix = name_prefix or f"ecs-{_safe(family)}-{revision}"
    base_labels = {
        TASK_ARN_LABEL: task_arn,
        CLUSTER_LABEL: cluster,
        FAMILY_LABEL: family,
        VERSION_LABEL: str(revision),
        LOCAL_LABEL: "1",
        RUN_LABEL: run_label,
    }
    ids: dict[str, str] = {}

    def labels(name: str) -> dict[str, str]:
        return {**base_labels, CONTAINER_NAME_LABEL: name}

    def dname(name: str) -> str:
        return f"{prefix}-{_safe(name)}-{secrets.token_hex(2)}"

    eni: str | None = None
    try:
        if network_mode == "awsvpc":
            pause = ContainerSpec(PAUSE_CONTAINER_NAME, image, DEFAULT_COMMAND)
            net = "host" if tamper == "host-netns" else "bridge"
            ids[PAUSE_CONTAINER_NAME] = _run(
                pause,
                docker_name=dname("internalecspause"),
                network=net,
                labels=labels(PAUSE_CONTAINER_NAME),
            )
            if net == "bridge":
                eni = (
                    _docker(
                        "inspect",
                        "-f",
                        "{{.NetworkSettings.Networks.bridge.IPAddress}}",
                        ids[PAUSE_CONTAINER_NAME],
                    )
                    or None
                )
            app_net = f"container:{ids[PAUSE_CONTAINER_NAME]}"
        else:
            app_net = "host" if tamper == "host-netns" else network_mode
        for spec in specs:
            ids[spec.name] = _run(
                spec, docker_name=dname(spec.name), network=app_net, labels=labels(spec.name)
            )
        if tamper == "extra-interface":
            target = ids.get(PAUSE_CONTAINER_NAME) or ids[specs[0].name]
            add_interface(target)
    except BaseException:
        for cid in ids.values():
            _docker("rm", "-f", cid, check=False)
        raise
    return StartedTask(task_arn, network_mode, ids, eni, run_label)


def container_pid(container_id: str) -> int:
    """State.Pid of a container (0 when it is not running)."""
    return int(_docker("inspect", "-f", "{{.State.Pid}}", container_id) or 0)


def add_interface(container_id: str, name: str = EXTRA_INTERFACE, address: str = EXTRA_ADDRESS) -> str:
    """Add an interface with `address` to the container's netns (from the host, via nsenter).

    Tries link type `dummy`, then `bridge` (kernels without the dummy module). Returns the type.
    """
    pid = container_pid(container_id)
    if pid <= 0:
        raise DockerError(f"container {container_id[:12]} is not running")
    ns = ["nsenter", "-t", str(pid), "-n", "ip"]
    used = ""
    for kind in ("dummy", "bridge"):
        proc = subprocess.run(
            [*ns, "link", "add", name, "type", kind], capture_output=True, text=True, check=False
        )
        if proc.returncode == 0:
            used = kind
            break
    if not used:
        raise DockerError(f"cannot add interface {name} in the netns of pid {pid}: {proc.stderr}")
    for cmd in (["addr", "add", address, "dev", name], ["link", "set", name, "up"]):
        proc = subprocess.run([*ns, *cmd], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise DockerError(f"nsenter ip {' '.join(cmd)} failed: {proc.stderr.strip()}")
    return used


def _ids(*filters: str) -> list[str]:
    args = ["ps", "-a", "-q", "--no-trunc"]
    for f in filters:
        args += ["--filter", f"label={f}"]
    return [line for line in _docker(*args).splitlines() if line]


def task_container_ids(task_arn: str) -> list[str]:
    """Ids of the local (netaudit_local=1) containers of a task, running or not."""
    return _ids(f"{TASK_ARN_LABEL}={task_arn}", f"{LOCAL_LABEL}=1")


def task_states(task_arn: str) -> dict[str, str]:
    """ECS container name -> docker State.Status for a task's local containers."""
    ids = task_container_ids(task_arn)
    if not ids:
        return {}
    out = _docker(
        "inspect",
        "-f",
        '{{index .Config.Labels "' + CONTAINER_NAME_LABEL + '"}}\t{{.State.Status}}',
        *ids,
        check=False,
    )
    states: dict[str, str] = {}
    for line in out.splitlines():
        name, _, status = line.partition("\t")
        states[name] = status
    return states


def _remove(ids: list[str]) -> int:
    if ids:
        _docker("rm", "-f", *ids, check=False)
    return len(ids)


def remove_task(task_arn: str) -> int:
    """Remove every local container of the task (idempotent). Returns how many were removed."""
    return _remove(task_container_ids(task_arn))


def run_container_ids(run_label: str) -> list[str]:
    """Ids of the local containers started with this run label, running or not."""
    return _ids(f"{RUN_LABEL}={run_label}", f"{LOCAL_LABEL}=1")


def remove_run(run_label: str) -> int:
    """Remove every local container started with this run label. Returns how many.
    (Only ever by run label: concurrent runs on the same engine never touch each other's.)"""
    return _remove(run_container_ids(run_label))


def start_launch(
    launch: "TaskLaunch",
    *,
    run_label: str,
    tamper: Tamper | None = None,
    name_prefix: str | None = None,
) -> StartedTask:
    """start_task for a `netaudit_local.host.TaskLaunch` (what the RunTask hook resolved)."""
    specs = [ContainerSpec(c.name, c.image, list(c.command) or None, c.memory_mib) for c in launch.containers]
    return start_task(
        launch.task_arn,
        family=launch.family,
        containers=specs,
        network_mode=launch.network_mode,
        run_label=run_label,
        revision=launch.revision,
        cluster=launch.cluster,
        name_prefix=name_prefix,
        tamper=tamper,
    )
