"""A container instance made of recordings: canned probe output and scripted faults.

Fast (no Docker), deterministic, and it remembers which tasks it started and stopped, so tests
can assert that no task outlived its execution.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from netaudit_local.hosts.host import (
    CommandOutcome,
    CommandStatus,
    PlacementRefused,
    TaskLaunch,
    TaskPlacement,
    TaskState,
    TaskStatus,
)

TASK_ARN_PLACEHOLDER = "__TASK_ARN__"


@dataclass
class Faults:
    """What goes wrong, scripted. Everything defaults to the happy path."""

    placement_refused: str | None = None  # e.g. "RESOURCE:MEMORY"
    stops_before_running: str | None = None  # stoppedReason, e.g. "Essential container exited"
    never_running: bool = False  # stays PENDING forever
    pending_polls: int = 1  # DescribeTasks answers PENDING this many times first
    ping_status: str = "Online"  # "ConnectionLost", "Inactive", "NotRegistered"
    command_status: CommandStatus = "Success"
    command_exit_code: int | None = None
    command_stderr: str = ""
    pad_output_to: int = 0  # pad the probe JSON with whitespace to this many characters
    throttle_once: set[str] = field(default_factory=set)  # e.g. {"ecs:DescribeTasks"}
    stop_failures: int = 0  # the first N StopTask calls fail on the host (the task keeps running)


@dataclass
class RecordedHost:
    """`Host` with probe output rendered from per-mode recordings.

    `recordings` maps a network mode to a probe document (JSON text) in which the task ARN is
    written as `__TASK_ARN__`; `eni_ipv4` is the address an awsvpc task's ENI gets (it must
    match the recording's).
    """

    recordings: Mapping[str, str]
    instance_id: str = "i-0123456789abcdef0"
    eni_ipv4: str | None = None
    faults: Faults = field(default_factory=Faults)
    render: Callable[["RecordedHost", list[TaskLaunch]], str] | None = None
    started: dict[str, TaskLaunch] = field(default_factory=dict)
    stopped: set[str] = field(default_factory=set)
    commands: list[dict[str, str]] = field(default_factory=list)
    _polls: dict[str, int] = field(default_factory=dict)

    # --- Host protocol -------------------------------------------------------------------
    def ping_status(self) -> str:
        return self.faults.ping_status

    def start_task(self, launch: TaskLaunch) -> TaskPlacement:
        if self.faults.placement_refused:
            raise PlacementRefused(self.faults.placement_refused)
        self.started[launch.task_arn] = launch
        self._polls[launch.task_arn] = 0
        return TaskPlacement(eni_ipv4=self.eni_ipv4 if launch.network_mode == "awsvpc" else None)

    def task_state(self, task_arn: str) -> TaskState:
        if task_arn in self.stopped:
            reason = self.faults.stops_before_running or "Task stopped by the user"
            return TaskState("STOPPED", reason)
        polls = self._polls.get(task_arn, 0)
        self._polls[task_arn] = polls + 1
        if self.faults.stops_before_running and polls >= self.faults.pending_polls:
            self.stopped.add(task_arn)
            return TaskState("STOPPED", self.faults.stops_before_running)
        status: TaskStatus = "PENDING"
        if not self.faults.never_running and polls >= self.faults.pending_polls:
            status = "RUNNING"
        return TaskState(status)

    def stop_task(self, task_arn: str) -> None:
        if self.faults.stop_failures > 0:
            self.faults.stop_failures -= 1
            raise RuntimeError("the container instance did not stop the task")
        self.stopped.add(task_arn)

    def run_command(
        self, document: dict[str, Any], parameters: dict[str, str], timeout_s: int
    ) -> CommandOutcome:
        self.commands.append(dict(parameters))
        status = self.faults.command_status
        code = self.faults.command_exit_code
        if code is None:
            code = {"Success": 0, "Failed": 1, "TimedOut": -1, "Cancelled": -1}[status]
        if status != "Success":
            return CommandOutcome(status, code, "", self.faults.command_stderr)
        wanted = parameters.get("taskArn", "")
        running = [
            t for arn, t in self.started.items() if arn not in self.stopped and (not wanted or arn == wanted)
        ]
        stdout = self.render(self, running) if self.render else self.probe_output(running, wanted)
        if self.faults.pad_output_to > len(stdout):
            stdout = stdout + " " * (self.faults.pad_output_to - len(stdout))
        return CommandOutcome("Success", 0, stdout + "\n", self.faults.command_stderr)

    # --- helpers -----------------------------------------------------------------------
    def probe_output(self, tasks: list[TaskLaunch], task_filter: str = "") -> str:
        """One probe document merging the recordings of every running task."""
        doc: dict[str, Any] | None = None
        for task in tasks:
            text = self.recordings[task.network_mode].replace(TASK_ARN_PLACEHOLDER, task.task_arn)
            part = json.loads(text)
            if doc is None:
                doc = part
            else:
                doc["containers"].extend(part.get("containers", []))
                doc["namespaces"].update(part.get("namespaces", {}))
                doc["errors"].extend(part.get("errors", []))
        if doc is None:
            first = next(iter(self.recordings.values()))
            doc = json.loads(first.replace(TASK_ARN_PLACEHOLDER, task_filter))
            doc["containers"], doc["namespaces"], doc["errors"] = [], {}, []
        doc["taskArnFilter"] = task_filter
        return json.dumps(doc, separators=(",", ":"))

    def is_stopped(self, task_arn: str) -> bool:
        return task_arn in self.stopped
