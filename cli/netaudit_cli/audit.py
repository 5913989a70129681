"""`netaudit audit`: start an audit on a deployed stack and follow it, like the demo does locally.

Finds the state machine from the stack's outputs (CloudFormation DescribeStacks, output
`StateMachineArn`), starts an execution with an input built from flags (`--canary MODE`,
`--tasks ARN...`, `--cluster`) or read from a file (`--event-file events/start-*.json`), prints
each state as it is entered and left (the demo's progress display, read from
GetExecutionHistory), then the report. `--no-wait` prints the execution ARN and returns;
`--follow ARN` attaches to a running (or finished) execution.

Exit status: 0 ISOLATED (or NOTHING_TO_AUDIT), 1 VIOLATION, 2 INCONCLUSIVE, an error of the audit
or of this command (stack not found, no permission, bad input file, gave up waiting: the execution
goes on, its ARN is printed), 130 interrupted (the execution goes on: stopping it from here
would skip the state machine's own clean-up of the canary).
"""

import argparse
import json
import secrets
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from netaudit_cli.artifacts import OutputFiles, save
from netaudit_cli.exit_codes import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_ISOLATED
from netaudit_cli.history import END_EVENTS
from netaudit_cli.main import subcommand
from netaudit_cli.progress import ProgressPrinter
from netaudit_cli.report import ExecutionEnd, render_report, summarise

STATE_MACHINE_OUTPUT = "StateMachineArn"


class AuditCliError(Exception):
    """Something this command could not do; the message says what and where."""


@dataclass
class Clients:
    cloudformation: Any
    stepfunctions: Any
    s3: Any

    @classmethod
    def create(cls, region: str | None, profile: str | None) -> "Clients":
        import boto3

        session = boto3.Session(profile_name=profile, region_name=region)
        return cls(session.client("cloudformation"), session.client("stepfunctions"), session.client("s3"))


def state_machine_arn(cloudformation: Any, stack_name: str) -> str:
    """The `StateMachineArn` output of the stack (DescribeStacks)."""
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except Exception as exc:
        code = str((getattr(exc, "response", None) or {}).get("Error", {}).get("Code") or type(exc).__name__)
        raise AuditCliError(f"stack {stack_name!r}: {code}: {exc}") from exc
    if not stacks:
        raise AuditCliError(f"stack {stack_name!r} not found")
    outputs = {o.get("OutputKey"): o.get("OutputValue") for o in stacks[0].get("Outputs") or []}
    arn = outputs.get(STATE_MACHINE_OUTPUT)
    if not arn:
        status = stacks[0].get("StackStatus", "?")
        raise AuditCliError(
            f"stack {stack_name!r} ({status}) has no {STATE_MACHINE_OUTPUT} output: "
            "is it an ecs-netaudit stack?"
        )
    return str(arn)


def build_input(args: argparse.Namespace) -> dict[str, Any]:
    """The execution input from the flags or the event file (validated by the Prepare step)."""
    if args.event_file:
        try:
            loaded = json.loads(Path(args.event_file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise AuditCliError(f"--event-file {args.event_file}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise AuditCliError(f"--event-file {args.event_file}: expected a JSON object")
        return dict(loaded)
    target: dict[str, Any]
    if args.tasks:
        target = {"kind": "tasks", "taskArns": list(args.tasks)}
    elif args.cluster:
        target = {"kind": "cluster"}
        if args.network_modes:
            target["networkModes"] = [m.strip() for m in args.network_modes.split(",") if m.strip()]
    else:
        target = {"kind": "canary", "networkMode": args.canary or "none"}
        if args.image:
            target["image"] = args.image
        if args.subnet or args.security_group:
            target["awsvpc"] = {
                "subnets": list(args.subnet or []),
                "securityGroups": list(args.security_group or []),
            }
    payload: dict[str, Any] = {"target": target}
    for key, value in (("pollIntervalSeconds", args.poll_interval), ("maxConcurrency", args.max_concurrency)):
        if value is not None:
            payload[key] = value
    return payload


def execution_name(payload: Mapping[str, Any]) -> str:
    """<kind>-<UTC time>-<hex>: unique, sortable, at most 80 characters."""
    kind = str((payload.get("target") or {}).get("kind") or "canary")
    return f"{kind}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"[:80]


@dataclass
class HistoryFollower:
    """New events of an execution's history through GetExecutionHistory (the real API):
    re-reads only from the last page that was not full, and drops the events already seen."""

    sfn: Any
    arn: str
    last_id: int = 0
    resume: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    def new_events(self) -> list[dict[str, Any]]:
        fresh: list[dict[str, Any]] = []
        token = self.resume
        while True:
            kwargs: dict[str, Any] = {"executionArn": self.arn, "maxResults": 1000}
            if token:
                kwargs["nextToken"] = token
            page = self.sfn.get_execution_history(**kwargs)
            fresh.extend(e for e in page["events"] if int(e["id"]) > self.last_id)
            following = page.get("nextToken")
            if not following:
                break
            token = self.resume = following  # that page was full: never read it again
        if fresh:
            self.last_id = int(fresh[-1]["id"])
            self.events.extend(fresh)
        return fresh


def follow(
    sfn: Any, arn: str, out: IO[str], timeout_s: float, refresh_s: float
) -> tuple[str, list[dict[str, Any]]]:
    """Print the progress lines until the execution ends or `timeout_s` passes; (status, history)."""
    printer = ProgressPrinter(time.time())
    reader = HistoryFollower(sfn, arn)
    deadline = time.monotonic() + timeout_s
    while True:
        events = reader.new_events()
        for line in printer.feed(events):
            out.write(line + "\n")
        out.flush()
        if any(e.get("type") in END_EVENTS for e in events):
            break
        if time.monotonic() > deadline:
            return "RUNNING", reader.events
        time.sleep(refresh_s)
    for _ in range(50):  # the status can trail the end event by a moment
        status = str(sfn.describe_execution(executionArn=arn)["status"])
        if status != "RUNNING":
            return status, reader.events
        time.sleep(min(refresh_s, 0.1))
    return "RUNNING", reader.events


def run(args: argparse.Namespace, clients: Clients, out: IO[str] = sys.stdout) -> int:
    progress = sys.stderr if args.json else out
    arn: str = args.follow or ""
    if not arn:
        machine = args.state_machine_arn or state_machine_arn(clients.cloudformation, args.stack)
        payload = build_input(args)
        name = args.name or execution_name(payload)
        try:
            arn = clients.stepfunctions.start_execution(
                stateMachineArn=machine, name=name, input=json.dumps(payload)
            )["executionArn"]
        except Exception as exc:
            raise AuditCliError(f"StartExecution on {machine}: {exc}") from exc
        if args.no_wait:
            print(arn, file=out)
            return EXIT_ISOLATED
        progress.write(f"netaudit audit: started {arn}\n")
    try:
        status, history = follow(clients.stepfunctions, arn, progress, args.timeout, args.refresh)
    except KeyboardInterrupt:
        print(f"netaudit audit: stopped following; the execution goes on: {arn}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if status == "RUNNING":
        print(
            f"netaudit audit: still RUNNING after {args.timeout:.0f}s; follow it with: "
            f"netaudit audit --follow {arn}",
            file=sys.stderr,
        )
        return EXIT_ERROR
    desc = clients.stepfunctions.describe_execution(executionArn=arn)
    output = json.loads(desc["output"]) if desc.get("output") else None
    end = ExecutionEnd(status, output, desc.get("error"), desc.get("cause"))
    summary = summarise(history, end, extra={"executionArn": arn})
    wanted = OutputFiles(args.html, args.ocsf, args.junit, args.evidence_dir)
    saved = save(clients.s3, summary.get("evidenceUri"), wanted)
    summary["outputFiles"], summary["outputProblems"] = saved.files, saved.problems
    if args.json:
        print(json.dumps(summary, indent=1, default=str), file=out)
    else:
        print(render_report(summary, evidence_note=""), file=out)
    for problem in saved.problems:
        print(f"netaudit audit: could not save {problem}", file=sys.stderr)
    if saved.problems:
        return EXIT_ERROR
    return int(summary["exitCode"])


def _arguments(p: argparse.ArgumentParser) -> None:
    from netaudit.models.verdict import NETWORK_MODES

    p.description = __doc__
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    where = p.add_argument_group("where")
    where.add_argument(
        "--stack", default="ecs-netaudit", help="the deployed stack's name (default ecs-netaudit)"
    )
    where.add_argument(
        "--state-machine-arn", default=None, help="use this state machine (skips DescribeStacks)"
    )
    where.add_argument("--region", default=None, help="AWS region (default: the AWS config's)")
    where.add_argument("--profile", default=None, help="AWS profile")
    what = p.add_mutually_exclusive_group()
    what.add_argument(
        "--canary", choices=NETWORK_MODES, default=None, help="canary audit in this mode (default none)"
    )
    what.add_argument(
        "--tasks", nargs="+", metavar="TASK_ARN", help="audit these running tasks (at most 100)"
    )
    what.add_argument(
        "--cluster", action="store_true", help="audit every running task of the stack's cluster"
    )
    what.add_argument(
        "--event-file", metavar="FILE", help="the execution input as JSON (e.g. events/start-*.json)"
    )
    what.add_argument("--follow", metavar="EXECUTION_ARN", help="follow an execution already started")
    p.add_argument("--network-modes", metavar="M,M", help="--cluster: only tasks declaring these modes")
    p.add_argument("--subnet", action="append", help="--canary awsvpc: a subnet (repeat for more)")
    p.add_argument("--security-group", action="append", help="--canary awsvpc: a security group (repeat)")
    p.add_argument("--image", default=None, help="--canary: the canary's image (default: the stack's)")
    p.add_argument("--poll-interval", type=int, default=None, metavar="S", help="the Wait states' seconds")
    p.add_argument("--max-concurrency", type=int, default=None, metavar="N", help="hosts probed at once")
    p.add_argument("--name", default=None, help="execution name (default <kind>-<UTC time>-<hex>)")
    p.add_argument("--no-wait", action="store_true", help="print the execution ARN and return")
    p.add_argument(
        "--timeout", type=float, default=3600.0, metavar="S", help="stop following after S (default 3600)"
    )
    p.add_argument("--refresh", type=float, default=2.0, metavar="S", help="seconds between history reads")
    p.add_argument("--json", action="store_true", help="print the report as JSON (progress goes to stderr)")
    p.add_argument("--html", metavar="FILE", help="save the audit's HTML report here")
    p.add_argument("--ocsf", metavar="FILE", help="save the audit's OCSF findings (JSON Lines) here")
    p.add_argument("--junit", metavar="FILE", help="save the audit's JUnit XML here")
    p.add_argument("--evidence-dir", metavar="DIR", help="save the manifest and every object it lists here")


@subcommand(
    "audit",
    help="Start an audit on a deployed stack, follow it live, print the report.",
    arguments=_arguments,
)
def audit(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return run(args, Clients.create(args.region, args.profile))
    except (AuditCliError, BotoCoreError, ClientError) as exc:  # e.g. no credentials, access denied
        print(
            f"netaudit audit: {type(exc).__name__ + ': ' if not isinstance(exc, AuditCliError) else ''}{exc}",
            file=sys.stderr,
        )
        return EXIT_ERROR
