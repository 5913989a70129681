"""The live progress of an audit (`netaudit audit`, and the demo): a line per state entered and
left, with the demo host's own events, and the phases the report times (pure: history events in,
lines out)."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from netaudit_cli.history import END_EVENTS, event_details, event_time, parse_json

# Phases of the report: top-level state -> phase (states not listed keep the current phase).
PHASES: tuple[str, ...] = (
    "setup",
    "register+run",
    "wait running",
    "probe",
    "evaluate",
    "stop",
    "report",
    "teardown",
)
STATE_PHASE: dict[str, str] = {
    "Prepare": "register+run",
    "PrepareFailed": "report",
    "TargetKind": "register+run",
    "RegisterTaskDefinition": "register+run",
    "RunTask": "register+run",
    "WaitForRunning": "wait running",
    "DescribeTask": "wait running",
    "IsRunning": "wait running",
    "ResolveHosts": "probe",
    "HostsRoute": "probe",
    "ProbeHosts": "probe",
    "ProbeHostGroup": "probe",
    "SendProbe": "probe",
    "WaitForProbe": "probe",
    "GetProbe": "probe",
    "ProbeDone": "probe",
    "EvaluateHost": "evaluate",
    "HostUnjudged": "evaluate",
    "IsCanary": "evaluate",
    "StopTask": "stop",
    "StopTaskOnError": "stop",
    "Report": "report",
    "ReportError": "report",
    "AllIsolated": "report",
    "AuditPassed": "report",
    "AuditFailed": "report",
    "AuditErrored": "report",
    "AuditErroredUnreported": "report",
    "ExplainRejection": "report",
    "RejectInput": "report",
    "RejectInputRaw": "report",
    "NothingToAudit": "report",
    # the event machine's own (statemachine/asl_events.py event_definition)
    "NotAnEventAudit": "report",
    "ViolationReported": "report",
}


def phase_times(history: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Seconds per phase: each state entered (Map iterations included) starts a slice of its
    phase (`STATE_PHASE`; a state not listed continues the current phase) until the next one."""
    marks: list[tuple[float, str]] = []
    end: float | None = None
    for event in history:
        kind = str(event.get("type", ""))
        if kind.endswith("StateEntered"):
            name = event_details(event, "stateEnteredEventDetails").get("name", "")
            phase = STATE_PHASE.get(name, marks[-1][1] if marks else "register+run")
            marks.append((event_time(event), phase))
        elif kind in END_EVENTS:
            end = event_time(event)
    times: dict[str, float] = {}
    if not marks:
        return times
    if end is None:
        end = event_time(history[-1])
    for (t, phase), (t_next, _) in zip(marks, [*marks[1:], (end, "")], strict=True):
        times[phase] = times.get(phase, 0.0) + max(0.0, t_next - t)
    return times


class HostEvent(Protocol):
    """What the demo's local host did (netaudit_local.hosts.docker_host.HostEvent has these)."""

    @property
    def kind(self) -> str: ...
    @property
    def task_arn(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def wall(self) -> float: ...
    @property
    def started(self) -> float: ...
    @property
    def ended(self) -> float: ...


@dataclass
class ProgressPrinter:
    """Turns new history events (and host events) into plain text lines, state by state.

    `t0` is the epoch time the demo started; every line shows the elapsed time since then.
    """

    t0: float
    _depth: int = 0
    _entered: dict[tuple[int, str], float] = field(default_factory=dict)

    def stamp(self, when: float) -> str:
        return f"[{when - self.t0:6.2f}s]"

    def feed(self, events: Iterable[Mapping[str, Any]]) -> list[str]:
        lines: list[str] = []
        for event in events:
            line = self._line(event)
            if line:
                lines.append(line)
        return lines

    def _line(self, event: Mapping[str, Any]) -> str | None:
        kind = str(event.get("type", ""))
        when = event_time(event)
        pad = "  " * self._depth
        if kind.endswith("StateEntered"):
            name = str(event_details(event, "stateEnteredEventDetails").get("name", "?"))
            self._entered[(self._depth, name)] = when
            return f"{self.stamp(when)} {pad}> {name} ({kind.removesuffix('StateEntered')})"
        if kind.endswith("StateExited"):
            name = str(event_details(event, "stateExitedEventDetails").get("name", "?"))
            began = self._entered.pop((self._depth, name), when)
            return f"{self.stamp(when)} {pad}< {name} {when - began:.3f}s"
        if kind == "MapIterationStarted":
            index = event_details(event, "mapIterationStartedEventDetails").get("index", "?")
            self._depth += 1
            return f"{self.stamp(when)} {pad}  [host {index}]"
        if kind in ("MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted"):
            self._depth = max(0, self._depth - 1)
            return None
        if kind == "LambdaFunctionFailed" or kind == "TaskFailed":
            details = event_details(event, "lambdaFunctionFailedEventDetails") or event_details(
                event, "taskFailedEventDetails"
            )
            return f"{self.stamp(when)} {pad}  ! {details.get('error', 'error')}: {_cause_text(details)}"
        if kind in END_EVENTS:
            return f"{self.stamp(when)} execution {kind.removeprefix('Execution').upper()}"
        return None

    def host_line(self, event: HostEvent) -> str | None:
        took = f"{event.ended - event.started:.3f}s"
        task = event.task_arn.rsplit("/", 1)[-1][:8]
        pad = "  " * self._depth
        if event.kind == "start_task":
            return f"{self.stamp(event.wall)} {pad}  docker: task {task} started ({event.detail}, {took})"
        if event.kind == "run_command":
            return f"{self.stamp(event.wall)} {pad}  host: probe script ran ({event.detail}, {took})"
        if event.kind == "stop_task":
            return f"{self.stamp(event.wall)} {pad}  docker: task {task} removed ({took})"
        return None


def _cause_text(details: Mapping[str, Any]) -> str:
    cause = details.get("cause", "")
    parsed = parse_json(cause)
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return str(parsed["errorMessage"])
    return str(cause)
