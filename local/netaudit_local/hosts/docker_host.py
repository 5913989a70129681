"""`DockerHost`: the `Host` of a local run made of this machine's Docker engine.

- `start_task` starts real ECS-labelled containers (`docker_tasks.start_launch`) under this host's
  run label, in the shapes the ECS agent builds; for awsvpc the ENI's IPv4 is on the pause
  container's eth0 (docker_tasks.eni_addresses) and is what DescribeTasks reports. A task
  asking for more memory than the container instance registers, or an image the engine does not
  hold (no registry answers here: nothing is ever pulled), is refused the way ECS refuses it.
- `task_state` reads docker: every container running -> RUNNING, one created/restarting ->
  PENDING, one exited/dead (or gone) -> STOPPED "Essential container in task exited".
- `stop_task` removes the task's containers, in the background as ECS's StopTask does (it
  returns while the agent stops them; the task reads STOPPED at once): `run_command`,
  `leftovers` and `cleanup` first wait for the removals in flight.
  `run_command` runs the document's script here with `ssm_runner.run_document`, parameters
  exactly as SSM passes them.
- `cleanup` removes every container of the run label; after it the host refuses new tasks, so
  a state machine still running in moto's worker thread (Ctrl-C) cannot leave one behind.

Every docker call is an argv list; only containers labelled `netaudit_local=1` are touched.
"""

import secrets
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts.host import (
    CommandOutcome,
    PlacementRefused,
    TaskLaunch,
    TaskPlacement,
    TaskState,
    TaskStatus,
)


class ControlContainerShape(Protocol):
    """Where a Bottlerocket-shaped host runs the probe (netaudit_local.hosts.bottlerocket's
    BottlerocketShape): in its control container, closed with the host."""

    def run_script(self, script: str, env: dict[str, str], limit: float) -> CommandOutcome: ...

    def close(self) -> None: ...


ESSENTIAL_EXITED = "Essential container in task exited"
USER_STOPPED = "Task stopped by user"
DEFAULT_INSTANCE_ID = "i-0d0c4e7a11e5d0c4e"  # stands for this Docker host in moto (EC2 + SSM)
DEFAULT_MEMORY_MIB = 3800  # what stack.create_stack registers for the container instance


def new_run_label(prefix: str = "na-demo") -> str:
    """A unique run label (also the docker name prefix): `<prefix>-<8 hex>`."""
    return f"{prefix}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class HostEvent:
    """What the host did and when (time.monotonic()), for the demo's phase timings."""

    kind: str  # start_task | task_state | stop_task | run_command | cleanup
    task_arn: str
    started: float
    ended: float
    detail: str = ""
    wall: float = 0.0  # time.time() when it ended


@dataclass
class DockerHost:
    """A `Host` (netaudit_local.hosts.host) on the local Docker engine; see the module doc."""

    run_label: str = field(default_factory=new_run_label)
    instance_id: str = DEFAULT_INSTANCE_ID
    tamper: dt.Tamper | None = None
    memory_mib: int = DEFAULT_MEMORY_MIB
    probe_path: str | None = None  # PATH of the probe script (default: ssm_runner's)
    # Bottlerocket-shaped: the probe runs in its control container (netaudit_local.hosts.bottlerocket)
    bottlerocket: ControlContainerShape | None = None
    started: dict[str, dt.StartedTask] = field(default_factory=dict)
    stopped: dict[str, str] = field(default_factory=dict)  # task ARN -> stoppedReason
    events: list[HostEvent] = field(default_factory=list)
    on_event: Callable[[HostEvent], None] | None = None
    _closed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _images: dict[str, bool] = field(default_factory=dict)
    _removing: list["subprocess.Popen[bytes]"] = field(default_factory=list)  # stop_task's docker rm
    _removing_lock: threading.Lock = field(default_factory=threading.Lock)

    # --- Host protocol -------------------------------------------------------------------
    def ping_status(self) -> str:
        return "Inactive" if self._closed else "Online"

    def start_task(self, launch: TaskLaunch) -> TaskPlacement:
        t0 = time.monotonic()
        with self._lock:
            if self._closed:
                raise PlacementRefused("AGENT")  # the instance is going away (Ctrl-C, clean-up)
            wanted = sum(c.memory_mib or 0 for c in launch.containers)
            if wanted > self.memory_mib:
                raise PlacementRefused("RESOURCE:MEMORY")
            missing = [c.image for c in launch.containers if not self._has_image(c.image)]
            if missing:
                # ECS places the task, the agent cannot pull, the task stops: model it as such.
                reason = (
                    f"CannotPullContainerError: image {missing[0]!r} is not on this Docker engine "
                    "(the local run never pulls)"
                )
                self.stopped[launch.task_arn] = reason
                self._record("start_task", launch.task_arn, t0, reason)
                return TaskPlacement()
            task = dt.start_launch(
                launch,
                run_label=self.run_label,
                tamper=self.tamper,
                name_prefix=f"{self.run_label}-{dt._safe(launch.family)}-{launch.revision}",
            )
            self.started[launch.task_arn] = task
        self._record("start_task", launch.task_arn, t0, launch.network_mode)
        return TaskPlacement(eni_ipv4=task.eni_ipv4 if launch.network_mode == "awsvpc" else None)

    def task_state(self, task_arn: str) -> TaskState:
        t0 = time.monotonic()
        state = self._task_state(task_arn)
        self._record("task_state", task_arn, t0, state.last_status)
        return state

    def stop_task(self, task_arn: str) -> None:
        t0 = time.monotonic()
        task = self.started.get(task_arn)
        if task is not None:  # the ids are known: one `docker rm -f`, no `docker ps` first
            removal = subprocess.Popen(
                ["docker", "rm", "-f", *task.container_ids.values()],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            with self._removing_lock:
                self._removing.append(removal)
        else:
            self._settle()
            dt.remove_task(task_arn)
        self.stopped.setdefault(task_arn, USER_STOPPED)
        self._record("stop_task", task_arn, t0)

    def run_command(
        self, document: dict[str, Any], parameters: dict[str, str], timeout_s: int
    ) -> CommandOutcome:
        from netaudit_local.hosts.ssm_runner import DocumentError, ParameterError, run_document

        t0 = time.monotonic()
        self._settle()
        try:
            runner = self.bottlerocket.run_script if self.bottlerocket else None
            outcome = run_document(document, parameters, timeout_s, path=self.probe_path, runner=runner)
        except (DocumentError, ParameterError, OSError, subprocess.SubprocessError) as exc:
            outcome = CommandOutcome("Failed", 1, "", f"failed to run commands: {exc}")
        self._record("run_command", parameters.get("taskArn", ""), t0, outcome.status)
        return outcome

    # --- clean-up ------------------------------------------------------------------------
    def close(self) -> None:
        """Refuse new tasks from now on (waits for a start in progress to finish)."""
        self._closed = True
        if self._lock.acquire(timeout=120):
            self._lock.release()

    def cleanup(self) -> int:
        """Close the host and remove every container of its run label. Returns how many."""
        t0 = time.monotonic()
        self.close()
        self._settle()
        if self.bottlerocket is not None:
            self.bottlerocket.close()
        removed = dt.remove_run(self.run_label)
        for arn in self.started:
            self.stopped.setdefault(arn, USER_STOPPED)
        self._record("cleanup", "", t0, str(removed))
        return removed

    def leftovers(self) -> list[str]:
        """Ids of containers of this run still on the engine (should be [] after cleanup)."""
        self._settle()
        return dt.run_container_ids(self.run_label)

    def __enter__(self) -> "DockerHost":
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    @property
    def platform_name(self) -> str:
        """SSM's PlatformName of this host (DescribeInstanceInformation)."""
        return "Bottlerocket" if self.bottlerocket is not None else "Amazon Linux"

    # --- helpers -------------------------------------------------------------------------
    def _settle(self) -> None:
        """Wait for the removals stop_task started (each bounded like every docker call here)."""
        with self._removing_lock:
            pending, self._removing = self._removing, []
        for removal in pending:
            try:
                removal.wait(timeout=60)
            except subprocess.TimeoutExpired:
                removal.kill()

    def _task_state(self, task_arn: str) -> TaskState:
        if task_arn in self.stopped:
            return TaskState("STOPPED", self.stopped[task_arn])
        if task_arn not in self.started:
            return TaskState("STOPPED", "Task not found on this container instance")
        out = dt._docker(
            "ps",
            "-a",
            "--filter",
            f"label={dt.TASK_ARN_LABEL}={task_arn}",
            "--filter",
            f"label={dt.LOCAL_LABEL}=1",
            "--format",
            '{{.Label "' + dt.CONTAINER_NAME_LABEL + '"}}\t{{.State}}\t{{.Status}}',
        )
        rows = [[*line.split("\t"), "", ""][:3] for line in out.splitlines() if line.strip()]
        if not rows:
            reason = f"{ESSENTIAL_EXITED}: containers removed outside ECS"
            self.stopped[task_arn] = reason
            return TaskState("STOPPED", reason)
        for name, state, status in rows:
            if state in ("exited", "dead", "removing"):
                reason = f"{ESSENTIAL_EXITED} ({name}: {status})"
                self.stopped[task_arn] = reason
                return TaskState("STOPPED", reason)
        status_: TaskStatus = "RUNNING" if all(r[1] == "running" for r in rows) else "PENDING"
        return TaskState(status_)

    def _has_image(self, image: str) -> bool:
        if image not in self._images:
            proc = subprocess.run(
                ["docker", "image", "inspect", "--format", "{{.Id}}", image],
                capture_output=True,
                text=True,
                check=False,
                timeout=60,
            )
            self._images[image] = proc.returncode == 0
        return self._images[image]

    def _record(self, kind: str, task_arn: str, started: float, detail: str = "") -> None:
        event = HostEvent(kind, task_arn, started, time.monotonic(), detail, time.time())
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)
