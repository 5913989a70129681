"""Real containers that look like what the ECS agent starts, on the local Docker engine.

Used by the Docker-backed local host, the tests and the demo. Every container carries the ECS
agent's labels (`com.amazonaws.ecs.task-arn`, `...container-name`, `...cluster`,
`...task-definition-family`, `...task-definition-version`) plus `netaudit_local=1` and a
run label (`netaudit.run=<run>`) so leftovers of a run can always be found and removed.

Network modes take the shapes the ECS agent builds (github.com/aws/amazon-ecs-agent,
agent/api/task/task.go: NetworkPauseContainerName, ServiceConnectPauseContainerNameFormat,
NamespacePauseContainerName; github.com/aws/amazon-ecs-cni-plugins: ecs-eni moves the ENI into
the task's netns as eth0, ecs-bridge with ecs-ipam adds ecs-eth0 in 169.254.172.0/22):
- none / bridge / host: docker's own modes.
- awsvpc: a pause container (`~internal~ecs~pause`, docker NetworkMode `none`) whose netns gets
  what the CNI plugins put there: the task ENI as `eth0` (here one end of a veth pair) with the
  ENI's IPv4 (and IPv6 with `TaskShape.eni_ipv6`, only IPv6 with `ipv6_only`) and a default route,
  `ecs-eth0` (the pair's other end) in 169.254.172.0/22 with the route to 169.254.170.2, and the
  IMDS blackhole route with `block_imds`. App containers join it (`container:<pause id>`).
- `TaskShape.service_connect` (bridge): one pause `~internal~ecs~pause-<name>` per container
  (plus the Service Connect container), each container joined to its own pause.
- `TaskShape.namespace_pause` (pidMode `task`): `~internal~ecs~pause~namespace` in docker mode
  none, the task's containers share its PID namespace.
Everything is created inside the containers' own network namespaces; nothing is ever sent.

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
from netaudit_local.hosts.netns_shapes import DockerError, wire_awsvpc

if TYPE_CHECKING:
    from netaudit_local.hosts.host import TaskLaunch

TASK_ARN_LABEL = "com.amazonaws.ecs.task-arn"
CONTAINER_NAME_LABEL = "com.amazonaws.ecs.container-name"
CLUSTER_LABEL = "com.amazonaws.ecs.cluster"
FAMILY_LABEL = "com.amazonaws.ecs.task-definition-family"
VERSION_LABEL = "com.amazonaws.ecs.task-definition-version"
LOCAL_LABEL = "netaudit_local"
RUN_LABEL = "netaudit.run"
PAUSE_CONTAINER_NAME = "~internal~ecs~pause"
NAMESPACE_PAUSE_NAME = "~internal~ecs~pause~namespace"
SERVICE_CONNECT_CONTAINER = "ecs-service-connect-agent"

Tamper = Literal["host-netns", "extra-interface"]
DEFAULT_IMAGE = "busybox"
DEFAULT_COMMAND: tuple[str, ...] = ("sleep", "3600")
EXTRA_INTERFACE = "dummy0"
EXTRA_ADDRESS = "10.9.9.9/24"


@dataclass(frozen=True)
class ContainerSpec:
    """One container of the task. `command` None = `sleep 3600`."""

    name: str
    image: str = DEFAULT_IMAGE
    command: Sequence[str] | None = None
    memory_mib: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    # more `docker run` options (argv items), e.g. ("--cap-add", "SYS_ADMIN", "--pid", "host")
    docker_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskShape:
    """Options of the agent's task shapes (see the module doc)."""

    eni_ipv6: bool = False  # awsvpc: eth0 also holds an IPv6 (dual-stack subnet)
    ipv6_only: bool = False  # awsvpc: eth0 holds only an IPv6 (IPv6-only subnet)
    block_imds: bool = False  # awsvpc: ECS_AWSVPC_BLOCK_IMDS=true (blackhole route)
    service_connect: bool = False  # bridge: a pause container per container
    namespace_pause: bool = False  # pidMode task: ~internal~ecs~pause~namespace


@dataclass(frozen=True)
class StartedTask:
    """What start_task started. `container_ids` maps ECS container name -> docker id
    (the pause container included, under `~internal~ecs~pause`)."""

    task_arn: str
    network_mode: NetworkMode
    container_ids: dict[str, str]
    eni_ipv4: str | None = None
    run_label: str = ""
    eni_ipv6: str | None = None

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
    pid: str | None = None,
) -> str:
    args = ["run", "-d", "--name", docker_name, "--network", network]
    if pid:
        args += ["--pid", pid]
    for key, value in labels.items():
        args += ["--label", f"{key}={value}"]
    if spec.memory_mib:
        args += ["--memory", f"{spec.memory_mib}m"]
    for key, value in spec.env.items():
        args += ["-e", f"{key}={value}"]
    args.extend(spec.docker_args)
    args.append(spec.image)
    args.extend(spec.command if spec.command is not None else DEFAULT_COMMAND)
    return _docker(*args)


def eni_addresses(task_arn: str, shape: TaskShape) -> tuple[str | None, str | None]:
    """The ENI addresses a local awsvpc task gets: fixed by the task id, in the local stack's
    subnet 10.0.1.0/24 and the documentation prefix 2001:db8::/32 (never routed anywhere)."""
    tail = task_arn[-4:]
    n = int(tail, 16) if re.fullmatch(r"[0-9a-f]{4}", tail) else len(task_arn)
    ipv4 = None if shape.ipv6_only else f"10.0.1.{10 + n % 240}"
    ipv6 = f"2001:db8:1::{n:x}" if (shape.eni_ipv6 or shape.ipv6_only) else None
    return ipv4, ipv6


@dataclass(frozen=True)
class LocalTask:
    """A task to start: ECS container names (image `image`, `sleep 3600`) or ContainerSpecs, the
    declared network mode, family:revision, cluster (default: the ARN's) and the agent's shape."""

    task_arn: str
    family: str
    containers: Sequence[str | ContainerSpec]
    network_mode: NetworkMode
    revision: int = 1
    cluster: str | None = None
    image: str = DEFAULT_IMAGE
    shape: TaskShape = field(default_factory=TaskShape)

    def specs(self) -> list[ContainerSpec]:
        return [c if isinstance(c, ContainerSpec) else ContainerSpec(c, self.image) for c in self.containers]

    def labels(self, run_label: str) -> dict[str, str]:
        """The ECS agent's labels of the task's containers (and the local run's)."""
        arn = self.task_arn
        of_arn = arn.split(":task/", 1)[-1].split("/")[0] if arn.count("/") == 2 else "default"
        cluster = self.cluster or of_arn
        return {
            TASK_ARN_LABEL: arn,
            CLUSTER_LABEL: cluster,
            FAMILY_LABEL: self.family,
            VERSION_LABEL: str(self.revision),
            LOCAL_LABEL: "1",
            RUN_LABEL: run_label,
        }


@dataclass
class _Starter:
    """Starts a task's containers one by one, remembering their ids (to remove them on failure)."""

    task: LocalTask
    prefix: str
    labels: dict[str, str]
    pid_ns: str | None = None
    ids: dict[str, str] = field(default_factory=dict)

    def start(self, spec: ContainerSpec, network: str, pid: str | None = None) -> str:
        labels = {**self.labels, CONTAINER_NAME_LABEL: spec.name}
        docker_name = f"{self.prefix}-{_safe(spec.name)}-{secrets.token_hex(2)}"
        self.ids[spec.name] = _run(spec, docker_name=docker_name, network=network, labels=labels, pid=pid)
        return self.ids[spec.name]

    def internal(self, name: str, network: str) -> str:
        """An agent-made container (a pause container) in `network`."""
        return self.start(ContainerSpec(name, self.task.image, DEFAULT_COMMAND), network)

    def containers(self, network: str) -> None:
        for spec in self.task.specs():
            self.start(spec, network, self.pid_ns)


def _start_containers(starter: _Starter, tamper: Tamper | None) -> tuple[str | None, str | None]:
    """Every container of the task in the shape the agent builds; the ENI's addresses (awsvpc)."""
    task, shape = starter.task, starter.task.shape
    if shape.namespace_pause:
        starter.pid_ns = f"container:{starter.internal(NAMESPACE_PAUSE_NAME, 'none')}"
    if task.network_mode == "awsvpc":
        pause = starter.internal(PAUSE_CONTAINER_NAME, "host" if tamper == "host-netns" else "none")
        eni: tuple[str | None, str | None] = (None, None)
        if tamper != "host-netns":
            eni = eni_addresses(task.task_arn, shape)
            wire_awsvpc(container_pid(pause), *eni, block_imds=shape.block_imds)
        starter.containers(f"container:{pause}")
        return eni
    if task.network_mode == "bridge" and shape.service_connect and tamper != "host-netns":
        for spec in [*task.specs(), ContainerSpec(SERVICE_CONNECT_CONTAINER, task.image, DEFAULT_COMMAND)]:
            own_pause = starter.internal(f"{PAUSE_CONTAINER_NAME}-{spec.name}", "bridge")
            starter.start(spec, f"container:{own_pause}", starter.pid_ns)
        return None, None
    starter.containers("host" if tamper == "host-netns" else task.network_mode)
    return None, None


def start_task(
    task: LocalTask, *, run_label: str, name_prefix: str | None = None, tamper: Tamper | None = None
) -> StartedTask:
    """Start the task's containers like the ECS agent would; returns their ids (and, for awsvpc,
    the ENI's addresses).

    `name_prefix`: docker names are `<prefix>-<container>-<4 hex>` (default `ecs-<family>-<rev>`).
    On any failure the containers already started are removed before DockerError is raised.
    """
    if not task.containers:
        raise ValueError("a task needs at least one container")
    prefix = name_prefix or f"ecs-{_safe(task.family)}-{task.revision}"
    starter = _Starter(task, prefix, task.labels(run_label))
    try:
        eni = _start_containers(starter, tamper)
        if tamper == "extra-interface":
            add_interface(starter.ids.get(PAUSE_CONTAINER_NAME) or starter.ids[task.specs()[0].name])
    except BaseException:
        for cid in starter.ids.values():
            _docker("rm", "-f", cid, check=False)
        raise
    return StartedTask(task.task_arn, task.network_mode, starter.ids, eni[0], run_label, eni[1])


def stop_task_keep_containers(task_arn: str) -> None:
    """Stop a task's containers and leave them on the engine, as the agent does with a stopped
    task's containers for about 3 hours (ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION)."""
    ids = task_container_ids(task_arn)
    if ids:
        _docker("stop", "-t", "1", *ids)


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
    """start_task for a `netaudit_local.hosts.host.TaskLaunch` (what the RunTask hook resolved)."""
    specs = [ContainerSpec(c.name, c.image, list(c.command) or None, c.memory_mib) for c in launch.containers]
    task = LocalTask(
        launch.task_arn, launch.family, specs, launch.network_mode, launch.revision, launch.cluster
    )
    return start_task(task, run_label=run_label, name_prefix=name_prefix, tamper=tamper)
