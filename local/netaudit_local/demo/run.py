"""`netaudit demo`: the real state machine on moto's engine, auditing real containers here.

What runs: `statemachine/netaudit.asl.json` on moto's Step Functions engine, the real Lambda
handlers in-process, ECS/SSM/S3/SNS on moto (`netaudit_local.cloud.aws`, `netaudit_local.stack`)
and this machine's Docker engine as the container instance (`netaudit_local.hosts.docker_host`).

The module has two halves:
- pure functions over an execution history (+ the host's events): `ProgressPrinter` (live lines,
  state by state), `summarise` (the report as a dict) and `render_report` (its text);
- `run_demo`, which sets everything up, starts the execution, follows its history while it
  runs, and always removes its containers (also on errors and Ctrl-C).

Targets: `DemoOptions.mode` is "canary" (the input built from the options) or "input" (`demo
--input FILE`: `DemoOptions.payload` exactly as given); another target plugs in through `TARGETS`
(prepare tasks + build the input).
"""

import gc
import io
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack, redirect_stdout, suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any, Literal

from netaudit_local.cloud import sfn_strict
from netaudit_local.cloud.history import LAMBDA_SCHEDULED, transitions
from netaudit_local.hosts.docker_host import DockerHost, HostEvent, new_run_label

if TYPE_CHECKING:
    from netaudit_local.artifacts import OutputFiles
    from netaudit_local.hosts import docker_tasks as dt
    from netaudit_local.stack import LocalStack

EXIT_ISOLATED, EXIT_VIOLATION, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
LOCAL_IMAGE = "busybox"  # the image `make docker` imports (no registry answers here)
HISTORY_POLL_S = float(os.environ.get("NETAUDIT_DEMO_POLL_S", "0.02"))

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
}
_END_EVENTS = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}


# --- history helpers (pure) ------------------------------------------------------------------


def event_time(event: Mapping[str, Any]) -> float:
    """Epoch seconds of a history event (`timestamp` as datetime, ISO text or a number)."""
    ts = event.get("timestamp")
    if isinstance(ts, datetime):
        return ts.timestamp()
    if isinstance(ts, (int, float)):
        return float(ts)
    if isinstance(ts, str):
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    raise ValueError(f"history event {event.get('id')} has no timestamp")


def _details(event: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = event.get(key)
    return value if isinstance(value, dict) else {}


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def state_outputs(history: Sequence[Mapping[str, Any]], name: str) -> list[dict[str, Any]]:
    """The parsed outputs of every exit of state `name`, in order."""
    outs: list[dict[str, Any]] = []
    for event in history:
        if event.get("type", "").endswith("StateExited"):
            details = _details(event, "stateExitedEventDetails")
            if details.get("name") == name:
                parsed = _json(details.get("output"))
                if isinstance(parsed, dict):
                    outs.append(parsed)
    return outs


def _last_key(history: Sequence[Mapping[str, Any]], states: Iterable[str], key: str) -> dict[str, Any]:
    """`output[key]` of the last exit of any of `states` whose output holds that key ({} if none)."""
    wanted = set(states)
    found: dict[str, Any] = {}
    for event in history:
        if str(event.get("type", "")).endswith("StateExited"):
            details = _details(event, "stateExitedEventDetails")
            if details.get("name") in wanted:
                parsed = _json(details.get("output"))
                if isinstance(parsed, dict) and isinstance(parsed.get(key), dict):
                    found = parsed[key]
    return found


def last_state(history: Sequence[Mapping[str, Any]]) -> str | None:
    """The name of the last state entered."""
    for event in reversed(history):
        if str(event.get("type", "")).endswith("StateEntered"):
            return str(_details(event, "stateEnteredEventDetails").get("name"))
    return None


def lambda_invocations(history: Sequence[Mapping[str, Any]]) -> Counter[str]:
    """Lambda function name -> how many times the state machine invoked it."""
    calls: Counter[str] = Counter()
    for event in history:
        if event.get("type") in LAMBDA_SCHEDULED:
            details = _details(event, "lambdaFunctionScheduledEventDetails") or _details(
                event, "taskScheduledEventDetails"
            )
            resource = str(details.get("resource", "?"))
            calls[resource.rsplit(":", 1)[-1].removeprefix("netaudit-").removesuffix("Function")] += 1
    return calls


def emf_metrics(text: str) -> list[dict[str, Any]]:
    """The EMF documents (CloudWatch embedded metric format) in the handlers' stdout, as
    {"namespace", "dimensions", "metrics": {name: value}} (one per flush)."""
    found: list[dict[str, Any]] = []
    for line in text.splitlines():
        doc = _json(line.strip()) if line.lstrip().startswith("{") else None
        if not isinstance(doc, dict) or "_aws" not in doc:
            continue
        for directive in doc["_aws"].get("CloudWatchMetrics", []):
            names = [m["Name"] for m in directive.get("Metrics", [])]
            dims = {d: doc.get(d) for group in directive.get("Dimensions", []) for d in group}
            values = {n: (v[0] if isinstance(v := doc.get(n), list) and len(v) == 1 else v) for n in names}
            found.append({"namespace": directive.get("Namespace"), "dimensions": dims, "metrics": values})
    return found


def phase_times(history: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Seconds per phase: each state entered (Map iterations included) starts a slice of its
    phase (`STATE_PHASE`; a state not listed continues the current phase) until the next one."""
    marks: list[tuple[float, str]] = []
    end: float | None = None
    for event in history:
        kind = str(event.get("type", ""))
        if kind.endswith("StateEntered"):
            name = _details(event, "stateEnteredEventDetails").get("name", "")
            phase = STATE_PHASE.get(name, marks[-1][1] if marks else "register+run")
            marks.append((event_time(event), phase))
        elif kind in _END_EVENTS:
            end = event_time(event)
    times: dict[str, float] = {}
    if not marks:
        return times
    if end is None:
        end = event_time(history[-1])
    for (t, phase), (t_next, _) in zip(marks, [*marks[1:], (end, "")], strict=True):
        times[phase] = times.get(phase, 0.0) + max(0.0, t_next - t)
    return times


# --- live progress (pure: lines in, lines out) -----------------------------------------------


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
            name = str(_details(event, "stateEnteredEventDetails").get("name", "?"))
            self._entered[(self._depth, name)] = when
            return f"{self.stamp(when)} {pad}> {name} ({kind.removesuffix('StateEntered')})"
        if kind.endswith("StateExited"):
            name = str(_details(event, "stateExitedEventDetails").get("name", "?"))
            began = self._entered.pop((self._depth, name), when)
            return f"{self.stamp(when)} {pad}< {name} {when - began:.3f}s"
        if kind == "MapIterationStarted":
            index = _details(event, "mapIterationStartedEventDetails").get("index", "?")
            self._depth += 1
            return f"{self.stamp(when)} {pad}  [host {index}]"
        if kind in ("MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted"):
            self._depth = max(0, self._depth - 1)
            return None
        if kind == "LambdaFunctionFailed" or kind == "TaskFailed":
            details = _details(event, "lambdaFunctionFailedEventDetails") or _details(
                event, "taskFailedEventDetails"
            )
            return f"{self.stamp(when)} {pad}  ! {details.get('error', 'error')}: {_cause_text(details)}"
        if kind in _END_EVENTS:
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
    parsed = _json(cause)
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return str(parsed["errorMessage"])
    return str(cause)


# --- the report (pure) -----------------------------------------------------------------------


def _container_summary(container: Mapping[str, Any]) -> dict[str, Any]:
    evidence = container.get("evidence") or {}
    interfaces = [
        {"name": i.get("name"), "addresses": list(i.get("addresses") or [])}
        for i in evidence.get("interfaces") or []
    ]
    return {
        "container": container.get("containerName") or container.get("dockerName"),
        "dockerName": container.get("dockerName"),
        "verdict": container.get("verdict"),
        "reasons": list(container.get("reasons") or []),
        "netns": evidence.get("netns"),
        "hostNetns": evidence.get("hostNetns"),
        "dockerNetworkMode": evidence.get("dockerNetworkMode"),
        "interfaces": interfaces,
        "routeDevices": list(evidence.get("routeDevices") or []),
    }


def summarise(
    history: Sequence[Mapping[str, Any]],
    *,
    status: str,
    output: Mapping[str, Any] | None = None,
    error: str | None = None,
    cause: str | None = None,
    timings: Mapping[str, float] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The demo's report as a JSON-able dict, from the execution's history and outcome.

    `timings` adds/overrides phases measured outside the history (setup, teardown, total).
    """
    report = dict(output or {}) if status == "SUCCEEDED" else {}
    if not report:
        report = _last_key(history, ("Report", "ReportError"), "report")
    evaluation = _last_key(history, ("Evaluate",), "evaluation")
    canary = _last_key(history, ("StopTask", "StopTaskOnError", "RunTask", "DescribeTask"), "canary")
    verdict = str(report.get("verdict") or "")
    if not verdict:
        verdict = "ISOLATED" if status == "SUCCEEDED" else "ERROR"
    tasks: list[dict[str, Any]] = []
    for task in evaluation.get("tasks") or report.get("tasks") or []:
        tasks.append(
            {
                "taskArn": task.get("taskArn"),
                "declaredMode": task.get("declaredMode"),
                "expectedEniIpv4": task.get("expectedEniIpv4"),
                "verdict": task.get("verdict"),
                "reasons": list(task.get("reasons") or []),
                "hostNetns": task.get("hostNetns"),
                "imds": task.get("imds"),
                "containers": [_container_summary(c) for c in task.get("containers") or []],
            }
        )
    phases = {p: round(s, 3) for p, s in phase_times(history).items()}
    for name, seconds in (timings or {}).items():
        phases[name] = round(seconds, 3)
    ordered = {p: phases[p] for p in PHASES if p in phases}
    ordered.update({p: s for p, s in phases.items() if p not in ordered})
    calls = lambda_invocations(history)
    exits = {"ISOLATED": EXIT_ISOLATED, "NOTHING_TO_AUDIT": EXIT_ISOLATED, "VIOLATION": EXIT_VIOLATION}
    exit_code = exits.get(verdict, EXIT_ERROR)
    summary: dict[str, Any] = {
        "verdict": verdict,
        "exitCode": exit_code,
        "executionStatus": status,
        "error": report.get("error") or error,
        "cause": (report.get("cause") or cause) if verdict != "ISOLATED" else None,
        "headline": str(report.get("cause") or cause or "").splitlines()[0:1],
        "canaryTaskArn": canary.get("taskArn"),
        "networkMode": canary.get("networkMode"),
        "tasks": tasks,
        "evidenceUri": report.get("evidenceUri"),
        "stateTransitions": transitions(history),
        "lambdaInvocations": sum(calls.values()),
        "lambdaInvocationsByFunction": dict(calls),
        "historyEvents": len(history),
        "phases": ordered,
    }
    summary["headline"] = summary["headline"][0] if summary["headline"] else ""
    summary.update(extra or {})
    return summary


def render_report(summary: Mapping[str, Any], evidence_note: str = " (moto's S3, in memory)") -> str:
    """The human report (plain text) of `summarise`'s dict."""
    out: list[str] = []
    verdict = summary.get("verdict", "?")
    out.append("")
    out.append(f"== verdict: {verdict} " + "=" * max(0, 60 - len(str(verdict))))
    if summary.get("headline"):
        out.append(summary["headline"])
    if verdict not in ("ISOLATED",) and summary.get("error"):
        out.append(f"error: {summary['error']}")
    if summary.get("canaryTaskArn"):
        out.append(f"canary task: {summary['canaryTaskArn']} (declared {summary.get('networkMode')})")
    for task in summary.get("tasks") or []:
        out.append(f"task {task['taskArn']}")
        eni = f", ENI {task['expectedEniIpv4']}" if task.get("expectedEniIpv4") else ""
        out.append(f"  declared {task['declaredMode']}{eni}: {task['verdict']}")
        for reason in task.get("reasons") or []:
            out.append(f"  - {reason}")
        out.append(f"  IMDS: {task.get('imds') or 'unknown (not recorded)'}")
        if task.get("hostNetns"):
            out.append(f"  host netns: {task['hostNetns']}")
        for c in task.get("containers") or []:
            where = "HOST's netns" if c.get("hostNetns") else "own netns"
            out.append(f"  container {c.get('container')} ({c.get('dockerName')}): {c.get('verdict')}")
            mode = str(c.get("dockerNetworkMode") or "-")
            if mode.startswith("container:"):
                mode = mode[:22]  # container:<12 hex>, as docker ps shows ids
            out.append(f"    netns {c.get('netns') or '-'} ({where}), docker network mode {mode}")
            ifaces = ", ".join(
                f"{i['name']} {' '.join(i['addresses']) or '(no address)'}" for i in c.get("interfaces") or []
            )
            out.append(f"    interfaces: {ifaces or '-'}")
            if c.get("routeDevices"):
                out.append(f"    routes via: {', '.join(c['routeDevices'])}")
            for reason in c.get("reasons") or []:
                out.append(f"    - {reason}")
    if verdict == "ERROR" and summary.get("cause"):
        out.append("cause:")
        out.extend(f"  {line}" for line in str(summary["cause"]).splitlines())
    if summary.get("evidenceUri"):
        out.append(f"evidence: {summary['evidenceUri']}{evidence_note}")
    if summary.get("evidenceFile"):
        out.append(f"evidence copied to: {summary['evidenceFile']}")
    for kind, path in (summary.get("outputFiles") or {}).items():
        out.append(f"{kind} written to: {path}")
    out.extend(f"NOT SAVED: {problem}" for problem in summary.get("outputProblems") or [])
    calls = summary.get("lambdaInvocationsByFunction") or {}
    out.append(
        f"state transitions: {summary.get('stateTransitions')}, Lambda invocations: "
        f"{summary.get('lambdaInvocations')} (" + ", ".join(f"{k} {v}" for k, v in calls.items()) + ")"
    )
    for metric in summary.get("metrics") or []:
        values = ", ".join(
            f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in metric["metrics"].items()
        )
        dims = ", ".join(f"{k}={v}" for k, v in metric["dimensions"].items())
        out.append(f"metrics (EMF, {metric['namespace']}; {dims}): {values}")
    if "moto" in summary:
        out.append(f"task in moto: {summary['moto'].get('lastStatus')}")
    if "containersLeft" in summary:
        out.append(f"containers of this run left on the engine: {summary['containersLeft']}")
    phases = summary.get("phases") or {}
    if phases:
        out.append("wall time per phase:")
        detail = summary.get("setupDetail") or {}
        for name, seconds in phases.items():
            note = ""
            if name == "setup" and detail:
                note = "  (" + ", ".join(f"{k} {v:.3f}s" for k, v in detail.items()) + ")"
            out.append(f"  {name:<14}{seconds:7.3f}s{note}")
    return "\n".join(out)


# --- running it ------------------------------------------------------------------------------


@dataclass
class DemoOptions:
    network_mode: Literal["none", "bridge", "host", "awsvpc"] = "none"
    tamper: "dt.Tamper | None" = None
    poll_interval: int = 0  # the execution's pollIntervalSeconds (Wait states)
    timeout_s: float = 120.0
    as_json: bool = False
    mode: str = "canary"
    run_label: str | None = None
    evidence_file: str | None = None
    handler_log_level: str = "ERROR"
    payload: Any = None  # mode "input": the execution input, exactly as given (`demo --input`)
    parameters: dict[str, str] = field(default_factory=dict)  # template parameters (`--parameter`)
    outputs: "OutputFiles | None" = None  # --html/--ocsf/--junit/--evidence-dir


@dataclass
class DemoResult:
    exit_code: int
    summary: dict[str, Any]
    history: list[dict[str, Any]]
    run_label: str


BuildInput = Callable[[DemoOptions, "LocalStack", DockerHost], Any]


def canary_input(options: DemoOptions, stack: "LocalStack", host: DockerHost) -> dict[str, Any]:
    """The execution input of a canary audit in `options.network_mode`."""
    target: dict[str, Any] = {"kind": "canary", "networkMode": options.network_mode}
    if options.network_mode == "awsvpc":
        target["awsvpc"] = {"subnets": [stack.subnet_id], "securityGroups": [stack.security_group_id]}
    return {"target": target, "pollIntervalSeconds": options.poll_interval}


def given_input(options: DemoOptions, stack: "LocalStack", host: DockerHost) -> Any:
    """`demo --input FILE`: the file's input, unchanged (as the console would start it). The
    subnets and security groups an awsvpc input names are made to exist in moto's VPC first:
    they are the user's account's, which the local run stands for."""
    target = options.payload.get("target") if isinstance(options.payload, dict) else None
    awsvpc = target.get("awsvpc") if isinstance(target, dict) else None
    if isinstance(awsvpc, dict):
        ensure_network(stack, awsvpc.get("subnets"), awsvpc.get("securityGroups"))
    return options.payload


def ensure_network(stack: "LocalStack", subnets: Any, groups: Any) -> None:
    """Subnets / security groups with these ids in moto (ids as EC2 writes them; others are left
    for Prepare to refuse). moto draws ids at random: the created objects are renamed."""
    import re

    from moto.ec2.models import ec2_backends

    from netaudit_local.cloud.account import ACCOUNT, REGION

    ec2 = stack.client("ec2")
    backend: Any = ec2_backends[ACCOUNT][REGION]
    vpc_id = ec2.describe_subnets(SubnetIds=[stack.subnet_id])["Subnets"][0]["VpcId"]
    for i, wanted in enumerate(subnets if isinstance(subnets, list) else []):
        if not (isinstance(wanted, str) and re.fullmatch(r"subnet-[0-9a-f]{8,17}", wanted)):
            continue
        if any(wanted in by_id for by_id in backend.subnets.values()):
            continue
        made = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{100 + i % 100}.0/24")["Subnet"]
        subnet = backend.subnets[made["AvailabilityZone"]].pop(made["SubnetId"])
        subnet.id = wanted
        backend.subnets[made["AvailabilityZone"]][wanted] = subnet
    for wanted in groups if isinstance(groups, list) else []:
        if not (isinstance(wanted, str) and re.fullmatch(r"sg-[0-9a-f]{8,17}", wanted)):
            continue
        if any(wanted in by_id for by_id in backend.groups.values()):
            continue
        made = ec2.create_security_group(GroupName=wanted, Description="demo --input", VpcId=vpc_id)
        group = backend.groups[vpc_id].pop(made["GroupId"])
        group.id = group.group_id = wanted
        backend.groups[vpc_id][wanted] = group


TARGETS: dict[str, BuildInput] = {"canary": canary_input, "input": given_input}


class _Output:
    """Progress lines: stdout normally, stderr with --json (stdout holds only the JSON)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


def _quiet_handlers(level: str) -> Callable[[], None]:
    """The handlers' Powertools logger: only `level` and above, to stderr (stdout is ours).
    moto's own error logs (a Fail state is logged as an exception) only at DEBUG: the failure
    is in the history, which the progress lines and the report show."""
    import logging

    from netaudit import observability

    moto_logger = logging.getLogger("moto")
    saved = moto_logger.propagate
    null = logging.NullHandler()
    if level != "DEBUG":
        moto_logger.addHandler(null)
        moto_logger.propagate = False

    observability.logger.setLevel(level)
    for handler in observability.logger.handlers:
        if hasattr(handler, "setStream"):
            handler.setStream(sys.stderr)

    def restore() -> None:
        moto_logger.removeHandler(null)
        moto_logger.propagate = saved

    return restore


def run_demo(options: DemoOptions, out: IO[str] | None = None, host: DockerHost | None = None) -> DemoResult:
    """Run one demo audit; always removes its containers. A KeyboardInterrupt (Ctrl-C, or
    SIGTERM turned into one by the CLI) stops the execution, removes the containers and is
    raised again, so the caller decides the exit code. `host`: a prepared DockerHost (tests)."""
    t0 = time.time()
    m0 = time.monotonic()
    # moto's backends are a large object graph: the cyclic GC walking it again and again cost
    # ~0.6 s of a ~3 s demo. One run allocates little garbage; the GC is back on at the end.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    progress = _Output(out or (sys.stderr if options.as_json else sys.stdout))
    run_label = host.run_label if host else (options.run_label or new_run_label())
    host = host or DockerHost(run_label=run_label, tamper=options.tamper)
    printer = ProgressPrinter(t0)
    what = f"{options.mode} audit, network mode {options.network_mode}"
    if options.mode == "input":
        what = "the given input"
    if host.tamper:
        what += f", tampered: {host.tamper}"
    progress.line(f"netaudit demo: {what} (run {run_label})")
    history: list[dict[str, Any]] = []
    timings: dict[str, float] = {}
    extra: dict[str, Any] = {"runLabel": run_label, "tamper": host.tamper}
    status, output, error, cause = "NOT_STARTED", None, None, None
    try:
        from netaudit_local.cloud.aws import local_aws
        from netaudit_local.stack import create_stack

        setup: dict[str, float] = {"imports": time.monotonic() - m0}
        extra["setupDetail"] = setup
        with ExitStack() as stack_, local_aws([host]) as seams:
            setup["moto"] = time.monotonic() - m0 - sum(setup.values())
            stack = create_stack(
                seams,
                parameters={
                    "CanaryImage": LOCAL_IMAGE,
                    "PollIntervalSeconds": options.poll_interval,
                    "LogLevel": options.handler_log_level,
                    **options.parameters,
                },
            )
            stack_.callback(_quiet_handlers(options.handler_log_level))
            # What the handlers print (EMF metrics, as Lambda would send to CloudWatch) is kept
            # out of the progress and shown in the report; our own lines hold the real stdout.
            handler_stdout = io.StringIO()
            stack_.enter_context(redirect_stdout(handler_stdout))
            stack_.callback(lambda: extra.update(metrics=emf_metrics(handler_stdout.getvalue())))
            payload = TARGETS[options.mode](options, stack, host)
            sfn = stack.client("stepfunctions")
            timings["setup"] = time.monotonic() - m0
            setup["stack"] = timings["setup"] - sum(setup.values())
            for key, value in setup.items():
                setup[key] = round(value, 3)
            progress.line(
                f"{printer.stamp(time.time())} local AWS on moto (state machine, cluster "
                f"{stack.cluster}, container instance {host.instance_id} = this Docker engine)"
            )
            arn = sfn.start_execution(
                stateMachineArn=stack.state_machine_arn, name=run_label, input=json.dumps(payload)
            )["executionArn"]
            extra["executionArn"] = arn
            try:
                status, history = _follow(sfn, arn, host, printer, progress, options.timeout_s)
            finally:
                if status == "RUNNING" or status == "NOT_STARTED":  # timed out or interrupted
                    host.close()  # no new task from the worker thread from now on
                    with suppress(Exception):
                        sfn.stop_execution(executionArn=arn, error="DemoStopped", cause="timeout or Ctrl-C")
            desc = sfn.describe_execution(executionArn=arn)
            output = _json(desc.get("output"))
            error, cause = desc.get("error"), desc.get("cause")
            extra.update(_after(stack, host, history, options))
            if status == "RUNNING":
                error = "DemoTimeout"
                cause = (
                    f"execution still RUNNING after {options.timeout_s:.0f}s "
                    f"(last state entered: {last_state(history)})"
                )
    except KeyboardInterrupt:
        progress.line(f"{printer.stamp(time.time())} interrupted: removing the run's containers")
        removed = host.cleanup()
        progress.line(f"{printer.stamp(time.time())} removed {removed} container(s)")
        raise
    except Exception as exc:
        status, error, cause = "DEMO_ERROR", type(exc).__name__, str(exc)
    finally:
        m1 = time.monotonic()
        host.cleanup()
        extra["containersLeft"] = len(host.leftovers())
        timings["teardown"] = time.monotonic() - m1
        if gc_was_enabled:
            gc.enable()
    timings["total"] = time.monotonic() - m0
    extra["hostEvents"] = [
        {"kind": e.kind, "seconds": round(e.ended - e.started, 3), "detail": e.detail}
        for e in host.events
        if e.kind != "task_state"
    ]
    summary = summarise(
        history, status=status, output=output, error=error, cause=cause, timings=timings, extra=extra
    )
    if status in ("RUNNING", "DEMO_ERROR"):
        summary["verdict"], summary["exitCode"] = "ERROR", EXIT_ERROR
        summary["error"], summary["cause"] = error, cause
    if summary["containersLeft"] or summary.get("outputProblems"):
        summary["exitCode"] = EXIT_ERROR
    return DemoResult(summary["exitCode"], summary, history, run_label)


class HistoryReader:
    """The execution's history while it runs, read incrementally.

    Reads moto's in-memory event list directly (moto 5.2: the parser backend's execution ->
    `exec_worker.env.event_manager`, a deep copy taken under its lock, ~0.5 ms) instead of
    `GetExecutionHistory`, which re-serialises the whole history on every call (~40 ms at 85
    events) and, polled every 20 ms, took the GIL from the execution itself. Falls back to the
    API when moto's internals are not there. The report uses the API's history at the end.
    """

    def __init__(self, sfn: Any, arn: str) -> None:
        self.sfn, self.arn = sfn, arn
        self.seen = 0
        self.children_seen = 0
        self._manager: Any = None

    def _direct(self) -> list[dict[str, Any]] | None:
        try:
            if self._manager is None:
                from moto.stepfunctions.parser.models import stepfunctions_parser_backends

                account, region = self.arn.split(":")[4], self.arn.split(":")[3]
                backend: Any = stepfunctions_parser_backends[account][region]
                env = backend.describe_execution(execution_arn=self.arn).exec_worker.env
                if env is None:
                    return []
                self._manager = env.event_manager
            events = self._manager.get_event_history()
        except Exception:
            return None
        return [{**e, "type": getattr(e.get("type"), "value", e.get("type"))} for e in events]

    def new_events(self) -> list[dict[str, Any]]:
        events = self._direct()
        if events is None:
            events = list(self.sfn.get_execution_history(executionArn=self.arn, maxResults=1000)["events"])
        fresh = events[self.seen :]
        self.seen = len(events)
        # The Distributed Map's children (one per host) have histories of their own.
        children = list(sfn_strict.child_events(self.arn))
        fresh += children[self.children_seen :]
        self.children_seen = len(children)
        return fresh


def _follow(
    sfn: Any,
    arn: str,
    host: DockerHost,
    printer: ProgressPrinter,
    progress: _Output,
    timeout_s: float,
) -> tuple[str, list[dict[str, Any]]]:
    """Print the history while the execution runs. Returns (status, the API's history)."""
    reader = HistoryReader(sfn, arn)
    host_seen = 0
    deadline = time.monotonic() + timeout_s
    status = "RUNNING"
    ended = False
    while status == "RUNNING":
        new_events = [] if ended else reader.new_events()
        new_host = host.events[host_seen:]
        host_seen += len(new_host)
        merged: list[tuple[float, int, Any]] = [(event_time(e), 0, e) for e in new_events]
        merged += [(h.wall, 1, h) for h in new_host if h.kind != "task_state"]
        for _, source, item in sorted(merged, key=lambda x: (x[0], x[1])):
            lines = printer.feed([item]) if source == 0 else [printer.host_line(item)]
            for line in lines:
                if line:
                    progress.line(line)
        ended = ended or any(e.get("type") in _END_EVENTS for e in new_events)
        if ended:
            # moto appends the end event a moment before the execution's status changes.
            status = sfn.describe_execution(executionArn=arn)["status"]
        if status != "RUNNING":
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.002 if ended else HISTORY_POLL_S)
    history: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        history.extend(page["events"])
    # The children's events, in time order with the parent's: the report's phases and counts
    # cover the whole audit (each child is billed as an execution of its own).
    history.extend(sfn_strict.child_events(arn))
    history.sort(key=event_time)
    return status, history


def _after(
    stack: "LocalStack", host: DockerHost, history: Sequence[Mapping[str, Any]], options: DemoOptions
) -> dict[str, Any]:
    """What moto says about the canary task afterwards; the evidence copied out if asked."""
    extra: dict[str, Any] = {}
    canary = _last_key(history, ("StopTask", "StopTaskOnError", "RunTask", "DescribeTask"), "canary")
    task_arn = canary.get("taskArn") or next(iter(host.started), None)
    if task_arn:
        ecs = stack.client("ecs")
        tasks = ecs.describe_tasks(cluster=stack.cluster, tasks=[task_arn]).get("tasks") or []
        if tasks:
            extra["moto"] = {
                "taskArn": task_arn,
                "lastStatus": tasks[0].get("lastStatus"),
                "desiredStatus": tasks[0].get("desiredStatus"),
                "stoppedReason": tasks[0].get("stoppedReason"),
            }
    if options.evidence_file:
        report = _last_key(history, ("Report", "ReportError"), "report")
        uri = str(report.get("evidenceUri") or "")
        if uri.startswith("s3://"):
            bucket, _, key = uri.removeprefix("s3://").partition("/")
            body = stack.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
            with open(options.evidence_file, "wb") as fh:
                fh.write(body)
            extra["evidenceFile"] = options.evidence_file
    if options.outputs and options.outputs.requested():
        from netaudit_local.artifacts import save

        report = _last_key(history, ("Report", "ReportError"), "report")
        saved = save(stack.client("s3"), report.get("evidenceUri"), options.outputs)
        extra.update(outputFiles=saved.files, outputProblems=saved.problems)
    return extra


def main(options: DemoOptions, out: IO[str] | None = None) -> int:
    """Run the demo, print the report (text or JSON); the exit code."""
    try:
        result = run_demo(options, out)
    except KeyboardInterrupt:
        print("netaudit demo: interrupted (containers removed)", file=sys.stderr)
        return EXIT_INTERRUPTED
    if options.as_json:
        print(json.dumps(result.summary, indent=1, default=str))
    else:
        stream = out or sys.stdout
        stream.write(render_report(result.summary) + "\n")
        stream.flush()
    return result.exit_code
