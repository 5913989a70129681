"""`netaudit demo --continuous --tasks N`: event-driven audits, locally, on real containers.

Starts N ECS tasks of mixed network modes one after another (RunTask in moto, placed on this
machine's Docker engine), one of them tampered. Each task's RUNNING event goes through the same
path as on AWS: the template's EventBridge rule (moto matches its pattern) -> the SQS queue (moto)
-> the Pipe (played by netaudit_local.pipes: batch, the real enrichment Lambda, StartExecution) ->
the real state machine. Prints each task's delay from RUNNING to verdict, then
`coverage: V/N tasks verified` and the report of the audit that found the violation. Exit 1
because of the tampered task (0 if every task is ISOLATED, 2 on an error or a container left).
"""

import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from netaudit_cli.exit_codes import EXIT_ERROR, EXIT_ISOLATED, EXIT_VIOLATION
from netaudit_cli.history import audit_report
from netaudit_local.cloud import sfn_strict
from netaudit_local.demo.cluster import DEMO_MODES, ClusterDockerHost, demo_run_task

if TYPE_CHECKING:
    from netaudit_local.pipes import Batch


@dataclass
class TaskAudit:
    task_arn: str
    mode: str
    verdict: str = "?"
    delay_s: float | None = None
    reasons: list[str] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)


@dataclass
class ContinuousResult:
    tasks: int
    audits: list[TaskAudit]
    lines: list[str]  # a line per task, as printed while it ran
    tampered: dict[str, str]  # task ARN -> tamper
    leftovers: list[str]
    violation_report: dict[str, Any]

    @property
    def verified(self) -> int:
        return sum(1 for a in self.audits if a.verdict in ("ISOLATED", "VIOLATION"))

    @property
    def report(self) -> dict[str, Any]:
        return self.violation_report or (self.audits[-1].report if self.audits else {})


def render_continuous(result: ContinuousResult) -> str:
    """The continuous demo's report: each task's delay from RUNNING to verdict, the coverage, and
    the report of the audit that found the violation (else the last one)."""
    out = [
        f"netaudit demo --continuous: {result.tasks} tasks, each audited from its own RUNNING event",
        *result.lines,
        "",
    ]
    delays = sorted(a.delay_s for a in result.audits if a.delay_s is not None)
    if delays:
        out.append(f"RUNNING to verdict: min {delays[0]:.2f} s, max {delays[-1]:.2f} s")
    out.append(f"coverage: {result.verified}/{result.tasks} tasks verified")
    out.append(f"tampered: {', '.join(f'{a} ({t})' for a, t in result.tampered.items()) or 'none'}")
    out += [
        "",
        "report:",
        str(result.report.get("cause") or "(none)"),
        "",
        f"containers left behind: {len(result.leftovers)}",
    ]
    return "\n".join(out)


def _outcome(batch: "Batch") -> tuple[str, dict[str, Any]]:
    """The event machine's status and report, as the Pipe's StartSyncExecution returned them (an
    EXPRESS execution has no DescribeExecution); a failed one's report from its events."""
    report = batch.output or audit_report(sfn_strict.express_history(str(batch.execution_arn)))
    return str(batch.status), report


def run_continuous(
    tasks: int, tamper: str = "extra-interface", timeout_s: float = 120, host: ClusterDockerHost | None = None
) -> tuple[int, str]:
    import boto3

    from netaudit_local.cloud.account import REGION
    from netaudit_local.cloud.aws import local_aws
    from netaudit_local.pipes import NO_WINDOW, create_event_path
    from netaudit_local.stack import create_stack

    host = host or ClusterDockerHost()
    audits: list[TaskAudit] = []
    lines: list[str] = []
    tampered_index = 1 if tasks > 1 else 0
    violation_report: dict[str, Any] = {}
    try:
        with local_aws(host, in_progress_polls=0) as seams:
            stack = create_stack(
                seams,
                {**NO_WINDOW, "PollIntervalSeconds": 0},
            )
            path = create_event_path(stack)
            ecs = boto3.client("ecs", region_name=REGION)
            families: dict[str, str] = {}
            for index in range(tasks):
                mode = DEMO_MODES[index % len(DEMO_MODES)]
                kwargs = demo_run_task(ecs, stack, families, mode, "demo-continuous")
                host.tamper_next = tamper if index == tampered_index else None  # type: ignore[assignment]
                placed = ecs.run_task(**kwargs).get("tasks") or []
                if not placed:
                    raise RuntimeError(f"RunTask placed no {mode} task")
                arn = placed[0]["taskArn"]
                task = ecs.describe_tasks(cluster=stack.cluster, tasks=[arn])["tasks"][0]
                running = datetime.now(UTC)
                path.emit({**task, "lastStatus": "RUNNING"}, when=running)
                batch = path.poll(wait=True)
                audit = TaskAudit(arn, mode)
                audits.append(audit)
                if batch is None or not batch.execution_arn:
                    audit.verdict = f"NOT AUDITED ({batch.error if batch else 'no batch'})"
                    continue
                status, report = _outcome(batch)
                audit.delay_s = (datetime.now(UTC) - running).total_seconds()
                audit.report = report
                found: dict[str, Any] = next(
                    (t for t in report.get("tasks") or [] if t.get("taskArn") == arn), {}
                )
                audit.verdict = str(found.get("verdict") or report.get("verdict"))
                audit.reasons = list(found.get("reasons") or [])
                if audit.verdict == "VIOLATION":
                    violation_report = report
                lines.append(
                    f"  task {index + 1}/{tasks} {mode:6} {arn.rsplit('/', 1)[-1]}: {audit.verdict:12} "
                    f"{audit.delay_s:.2f} s from RUNNING to verdict (execution {status})"
                )
                print(lines[-1], file=sys.stderr, flush=True)
    finally:
        host.cleanup()
    result = ContinuousResult(tasks, audits, lines, dict(host.tampered), host.leftovers(), violation_report)
    if result.leftovers or (result.verified < tasks and not violation_report):
        return EXIT_ERROR, render_continuous(result)
    return (EXIT_VIOLATION if violation_report else EXIT_ISOLATED), render_continuous(result)
