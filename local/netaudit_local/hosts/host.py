"""What a container instance does in a local run, behind the moto hooks.

The moto hooks (RunTask, StopTask, DescribeTasks, SendCommand, GetCommandInvocation,
DescribeInstanceInformation) talk only to a `Host`. Two implementations exist: a recorded one for
fast workflow tests (canned probe output, scripted faults) and a Docker-backed one that starts
real containers and runs the template's probe script on this machine.
"""

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from netaudit.models.verdict import NetworkMode

CommandStatus = Literal["Success", "Failed", "TimedOut", "Cancelled"]
TaskStatus = Literal["PENDING", "RUNNING", "STOPPED"]


class PlacementRefused(Exception):
    """The host cannot place the task; `reason` is what ECS would put in failures[].reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ContainerLaunch:
    name: str
    image: str
    command: list[str] = field(default_factory=list)
    memory_mib: int | None = None


@dataclass(frozen=True)
class TaskLaunch:
    """One task to start, as RunTask resolved it."""

    task_arn: str
    cluster: str
    family: str
    revision: int
    network_mode: NetworkMode
    containers: list[ContainerLaunch]


@dataclass(frozen=True)
class TaskPlacement:
    """What the host reports back: for awsvpc, the address standing for the task's ENI."""

    eni_ipv4: str | None = None


@dataclass(frozen=True)
class TaskState:
    last_status: TaskStatus
    stopped_reason: str = ""


@dataclass(frozen=True)
class CommandOutcome:
    status: CommandStatus
    exit_code: int
    stdout: str
    stderr: str = ""


class Host(Protocol):
    instance_id: str

    def ping_status(self) -> str:
        """SSM PingStatus: "Online", "ConnectionLost" or "Inactive"."""
        ...

    def start_task(self, launch: TaskLaunch) -> TaskPlacement:
        """Start the task's containers; raise PlacementRefused when it cannot be placed."""
        ...

    def task_state(self, task_arn: str) -> TaskState:
        """Current status of a task this host started (consulted by DescribeTasks)."""
        ...

    def stop_task(self, task_arn: str) -> None:
        """Stop and remove the task's containers (idempotent)."""
        ...

    def run_command(
        self, document: dict[str, Any], parameters: dict[str, str], timeout_s: int
    ) -> CommandOutcome:
        """Run an SSM Command document's script here, parameters passed the way SSM would."""
        ...
