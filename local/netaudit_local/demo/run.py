"""`netaudit demo`: the real state machine on moto's engine, auditing real containers here.

What runs: `statemachine/netaudit.asl.json` on moto's Step Functions engine, the real Lambda
handlers in-process, ECS/SSM/S3/SNS on moto (`netaudit_local.cloud`, `netaudit_local.stack`)
and this machine's Docker engine as the container instance (`netaudit_local.hosts.docker_host`).

`run_demo` sets everything up, starts the execution, follows its history while it runs
(`demo.progress`), and always removes its containers (also on errors and Ctrl-C); `main` prints
the report (`demo.report`).

Targets: `DemoOptions.mode` is "canary" (the input built from the options) or "input" (`demo
--input FILE`: `DemoOptions.payload` exactly as given); another target plugs in through `TARGETS`
(prepare tasks + build the input; `demo.inputs`).
"""

import contextlib
import gc
import io
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, redirect_stdout, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from netaudit_cli.artifacts import read_object
from netaudit_cli.exit_codes import EXIT_ERROR, EXIT_INTERRUPTED
from netaudit_cli.history import END_EVENTS, audit_report, canary_task, event_time, last_state, parse_json
from netaudit_cli.progress import ProgressPrinter
from netaudit_cli.report import ExecutionEnd, render_report, summarise
from netaudit_local.cloud.history import HistoryReader, api_history
from netaudit_local.demo.inputs import canary_input, given_input
from netaudit_local.demo.options import DemoOptions
from netaudit_local.demo.report import emf_metrics
from netaudit_local.hosts.docker_host import DockerHost, new_run_label

if TYPE_CHECKING:
    from netaudit_local.stack import LocalStack

LOCAL_IMAGE = "busybox"  # the image `make docker` imports (no registry answers here)
HISTORY_POLL_S = float(os.environ.get("NETAUDIT_DEMO_POLL_S", "0.02"))


@dataclass
class DemoResult:
    exit_code: int
    summary: dict[str, Any]
    history: list[dict[str, Any]]
    run_label: str


BuildInput = Callable[[DemoOptions, "LocalStack", DockerHost], Any]


TARGETS: dict[str, BuildInput] = {"canary": canary_input, "input": given_input}


class _Output:
    """Progress lines: stdout normally, stderr with --json (stdout holds only the JSON)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


def _handler_logs(level: str) -> Callable[[], None]:
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


@contextlib.contextmanager
def quiet_handlers(level: str) -> Iterator[None]:
    """For the cluster and continuous runs: the handlers' logs as `_handler_logs` sets them,
    their stdout (EMF blobs) dropped, and the Powertools logger as it was afterwards."""
    from netaudit_local.cloud.account import LOCAL_ENV

    # Powertools reads these when netaudit.observability is first imported (as in Lambda, where
    # the environment comes first): it is imported below, before moto starts.
    for key in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"):
        os.environ.setdefault(key, LOCAL_ENV[key])
    from netaudit import observability

    saved_level = observability.logger.log_level
    saved_streams = [(h, getattr(h, "stream", None)) for h in observability.logger.handlers]
    restore = _handler_logs(level)
    try:
        with redirect_stdout(io.StringIO()):
            yield
    finally:
        restore()
        observability.logger.setLevel(saved_level)
        for handler, stream in saved_streams:  # _handler_logs pointed them at this sys.stderr
            if stream is not None and hasattr(handler, "setStream"):
                handler.setStream(stream)


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
            stack_.callback(_handler_logs(options.handler_log_level))
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
            output = parse_json(desc.get("output"))
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
    summary = summarise(history, ExecutionEnd(status, output, error, cause), timings=timings, extra=extra)
    if status in ("RUNNING", "DEMO_ERROR"):
        summary["verdict"], summary["exitCode"] = "ERROR", EXIT_ERROR
        summary["error"], summary["cause"] = error, cause
    if summary["containersLeft"] or summary.get("outputProblems"):
        summary["exitCode"] = EXIT_ERROR
    return DemoResult(summary["exitCode"], summary, history, run_label)


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
        ended = ended or any(e.get("type") in END_EVENTS for e in new_events)
        if ended:
            # moto appends the end event a moment before the execution's status changes.
            status = sfn.describe_execution(executionArn=arn)["status"]
        if status != "RUNNING":
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.002 if ended else HISTORY_POLL_S)
    # the children's events too: the report's phases and counts cover the whole audit
    return status, api_history(sfn, arn)


def _after(
    stack: "LocalStack", host: DockerHost, history: Sequence[Mapping[str, Any]], options: DemoOptions
) -> dict[str, Any]:
    """What moto says about the canary task afterwards; the evidence copied out if asked."""
    extra: dict[str, Any] = {}
    canary = canary_task(history)
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
    uri = str(audit_report(history).get("evidenceUri") or "")
    evidence = read_object(stack.client("s3"), uri) if uri.startswith("s3://") else b""
    if evidence:  # the container instances and how each was read (directly, or on Bottlerocket)
        extra["hosts"] = json.loads(evidence).get("hosts") or []
    if options.evidence_file and evidence:
        Path(options.evidence_file).write_bytes(evidence)
        extra["evidenceFile"] = options.evidence_file
    if options.outputs and options.outputs.requested():
        from netaudit_cli.artifacts import save

        saved = save(stack.client("s3"), audit_report(history).get("evidenceUri"), options.outputs)
        extra.update(outputFiles=saved.files, outputProblems=saved.problems)
    return extra


def main(options: DemoOptions, out: IO[str] | None = None) -> int:
    """Run the demo, print the report (text or JSON); the exit code.

    The cyclic GC stays off until the report is out (run_demo turns it back on only when it was
    on when it started): turned on right after the run, it walked moto's whole object graph once
    more (~0.1-0.3 s) before the report, in a process that ends right after it."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
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
    finally:
        if gc_was_enabled:
            gc.enable()
