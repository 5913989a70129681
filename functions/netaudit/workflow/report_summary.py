"""Report, part 2 (pure): the roll-up of the collected task verdicts, the readable text, the
e-mail subject, and the bounded object Report returns into the execution state."""

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from netaudit.errors import INCONCLUSIVE, VIOLATION
from netaudit.models.inputs import Audit, ClusterTarget, TasksTarget
from netaudit.models.state import ExecutionState
from netaudit.verdict import rollup
from netaudit.verdict.rollup import NOTHING_TO_AUDIT
from netaudit.workflow.cluster_counts import (
    audit_clusters,
    cluster_lines,
    clusters_seen,
    counts_by_account,
    counts_by_cluster,
    where,
)
from netaudit.workflow.coverage import coverage, coverage_line
from netaudit.workflow.imds_exposure import exposed_tasks, text_lines
from netaudit.workflow.report_collect import Collected, TaskRecord

ACCOUNT_NOT_AUDITED = "AccountNotAudited"  # a member account's cluster could not be audited (issue 21)
CAUSE_LIMIT = 32_000  # a Fail state's Cause holds at most 32,768 characters
SUBJECT_LIMIT = 100  # SNS Subject
DETAIL_ALL_TASKS_UP_TO = 20  # list every task (ISOLATED too) in the text when there are this few
TEXT_TASK_LINES = 100  # at most this many task lines in the text (the evidence has them all)
TEXT_NOT_PROBED_LINES = 20
OUTPUT_TASKS = 20  # full task verdicts in the report output (execution output is <= 256 KiB)
# What Report returns into the execution state is bounded: the cause (<= 32,000 characters) and at
# most this many bytes of task verdicts, so the state stays far below Step Functions' 256 KiB
# payload quota whatever the audit's size (States.DataLimitExceeded is not caught by States.ALL).
OUTPUT_TASKS_BYTES = 64_000


def counts(tasks: Sequence[TaskRecord]) -> dict[str, int]:
    return rollup.counts(t.get("verdict") for t in tasks)


def counts_by_mode(tasks: Sequence[TaskRecord]) -> dict[str, dict[str, int]]:
    by_mode: dict[str, list[TaskRecord]] = defaultdict(list)
    for task in tasks:
        by_mode[str(task.get("declaredMode") or "unknown")].append(task)
    return {mode: counts(group) for mode, group in sorted(by_mode.items())}


def overall(tasks: Sequence[TaskRecord]) -> str:
    """The audit's verdict: the worst task verdict, NOTHING_TO_AUDIT when there is no task."""
    return rollup.worst(t.get("verdict") for t in tasks) or NOTHING_TO_AUDIT


def _network_modes(state: ExecutionState) -> list[str]:
    target = state.audit.target if state.audit else None
    return list(target.network_modes) if isinstance(target, ClusterTarget) else []


def _outcome(state: ExecutionState, collected: Collected) -> tuple[str, str | None, str]:
    """(verdict, error name or None, headline)."""
    if state.error is not None:
        name = state.error.error
        return "ERROR", name, f"{name}: {state.error.message()}"
    tasks = collected.tasks
    verdict = overall(tasks)
    c = counts(tasks)
    if collected.gaps and verdict in ("ISOLATED", NOTHING_TO_AUDIT):
        # a member account's cluster that could not be audited: never a pass (issue 21)
        first = collected.gaps[0]
        more = len(collected.gaps) - 1
        tail = f" (and {more} more)" if more else ""
        cluster = f" cluster {first['cluster']}" if first.get("cluster") else ""
        return (
            "INCONCLUSIVE",
            ACCOUNT_NOT_AUDITED,
            f"{first['reason']} ({first['account']}{cluster} not audited){tail}",
        )
    if verdict == NOTHING_TO_AUDIT:
        modes = ", ".join(_network_modes(state)) or "any"
        place = where(state.audit, clusters_seen(tasks, collected.not_probed)) or "?"
        place = f"in cluster {place}" if state.cluster else f"in {place}"
        skipped = f" ({len(collected.not_probed)} not probed, listed below)" if collected.not_probed else ""
        return (
            verdict,
            None,
            (
                f"nothing to audit: no RUNNING task with networkMode {modes} on an EC2 container "
                f"instance {place}{skipped}"
            ),
        )
    if verdict == "ISOLATED":
        return verdict, None, "every task is ISOLATED as declared"
    if verdict == "VIOLATION":
        if c["tasks"] == 1:
            return verdict, VIOLATION, "a task's runtime network differs from its declared mode"
        return (
            verdict,
            VIOLATION,
            (f"{c['violation']} of {c['tasks']} tasks' runtime network differs from the declared mode"),
        )
    if collected.probe_errors:
        first = collected.probe_errors[0]
        more = len(collected.probe_errors) - 1
        tail = f" (and {more} more host{'s' if more > 1 else ''})" if more else ""
        return (
            verdict,
            str(first["error"]),
            f"{first['error']} on {first['instanceId']}: {first['cause']}{tail}",
        )
    return verdict, INCONCLUSIVE, "the probe could not prove isolation"


def _task_line(task: TaskRecord, with_cluster: bool = False, with_account: bool = False) -> str:
    reasons = task.get("reasons") or []
    on = f" on {task['instanceId']}" if task.get("instanceId") else ""
    if with_account and task.get("account"):
        on += f" (account {task['account']}" + (
            f", cluster {task['cluster']})" if task.get("cluster") else ")"
        )
    elif with_cluster and task.get("cluster"):
        on += f" (cluster {task['cluster']})"
    return (
        f"- {task.get('taskArn')} [declared {task.get('declaredMode') or '?'}]{on} {task.get('verdict')}"
        + (": " + "; ".join(reasons) if reasons else "")
    )


def summarise(
    state: ExecutionState,
    execution_name: str,
    evidence_uri: str | None,
    collected: Collected,
    imds_exposure: bool = True,
) -> dict[str, Any]:
    kind = state.kind
    verdict, error, headline = _outcome(state, collected)
    tasks = collected.tasks
    c = counts(tasks)
    lines = [f"ecs-netaudit {kind} audit {execution_name}: {verdict} - {headline}"]
    seen = clusters_seen(tasks, collected.not_probed)
    if state.cluster:
        lines.append(f"cluster: {state.cluster}")
    elif state.audit is not None and (state.audit.clusters or state.audit.all_clusters):
        every = " (every cluster of the account and region)" if state.audit.all_clusters else ""
        lines.append(f"clusters{every}: " + (", ".join(audit_clusters(state.audit) or seen) or "none found"))
    if kind == "cluster":
        lines.append("network modes: " + ", ".join(_network_modes(state)))
    if state.canary is not None and state.canary.task_arn:
        lines.append(f"canary task: {state.canary.task_arn} ({state.canary.network_mode} mode)")
    host_ids = [str(h["instanceId"]) for h in collected.hosts if h.get("instanceId")]
    target = state.audit.target if state.audit else None
    running_at = target.running_at if isinstance(target, TasksTarget) else None
    cov = coverage(tasks, collected.not_probed, running_at=running_at, now=datetime.now(UTC).timestamp())
    if tasks or collected.not_probed:
        lines.append(coverage_line(cov))
    if tasks:
        lines.append(
            f"audited: {c['tasks']} task{'s' if c['tasks'] != 1 else ''} on {len(host_ids)} "
            f"instance{'s' if len(host_ids) != 1 else ''}: {c['isolated']} ISOLATED, "
            f"{c['violation']} VIOLATION, {c['inconclusive']} INCONCLUSIVE"
        )
    several = bool(state.audit and state.audit.accounts)  # an audit of several accounts (issue 21)
    by_cluster = counts_by_cluster(tasks, collected.not_probed, audit_clusters(state.audit), accounts=several)
    by_account = (
        counts_by_account(tasks, collected.not_probed, state.audit.accounts)
        if several and state.audit
        else {}
    )
    lines.extend(cluster_lines(by_account, "account"))
    lines.extend(cluster_lines(by_cluster))
    if collected.gaps:
        lines.append(f"not audited ({len(collected.gaps)}):")
        for gap in collected.gaps[:TEXT_NOT_PROBED_LINES]:
            cluster = f" cluster {gap['cluster']}" if gap.get("cluster") else ""
            lines.append(f"- account {gap['account']}{cluster}: {gap['reason']}")
    if 0 < len(host_ids) <= 10:
        lines.append("instances: " + ", ".join(host_ids))
    if collected.probe_errors:
        lines.append(f"inconclusive hosts ({len(collected.probe_errors)}):")
        for err in collected.probe_errors[:TEXT_TASK_LINES]:
            n = sum(1 for t in tasks if t.get("instanceId") == err["instanceId"])
            lines.append(
                f"- {err['instanceId']}: {err['error']}: {err['cause']} ({n} task{'s' if n != 1 else ''})"
            )
    shown = (
        tasks
        if len(tasks) <= DETAIL_ALL_TASKS_UP_TO
        else [t for t in tasks if t.get("verdict") != "ISOLATED"]
    )
    shown = sorted(shown, key=lambda t: {"VIOLATION": 0, "INCONCLUSIVE": 1}.get(str(t.get("verdict")), 2))
    if shown:
        lines.append(
            "tasks:" if len(tasks) <= DETAIL_ALL_TASKS_UP_TO else f"tasks not ISOLATED ({len(shown)}):"
        )
        lines.extend(_task_line(t, len(by_cluster) > 1, several) for t in shown[:TEXT_TASK_LINES])
        if len(shown) > TEXT_TASK_LINES:
            lines.append(f"... and {len(shown) - TEXT_TASK_LINES} more in the evidence")
    exposed = exposed_tasks(tasks) if imds_exposure else []
    lines.extend(text_lines(exposed))
    if collected.not_probed:
        lines.append(f"not probed ({len(collected.not_probed)}):")
        lines.extend(f"- {t['taskArn']}: {t['reason']}" for t in collected.not_probed[:TEXT_NOT_PROBED_LINES])
        if len(collected.not_probed) > TEXT_NOT_PROBED_LINES:
            lines.append(f"... and {len(collected.not_probed) - TEXT_NOT_PROBED_LINES} more in the evidence")
    for problem in collected.problems:
        lines.append(f"REPORT INCOMPLETE: {problem}")
    if state.cleanup is not None and state.cleanup.stopped_tasks:
        lines.append("stopped: " + ", ".join(state.cleanup.stopped_tasks))
    if state.cleanup_error is not None:
        lines.append(f"CLEAN-UP FAILED: {state.cleanup_error.message()}")
    if evidence_uri:
        lines.append(f"evidence: {evidence_uri}")
    text = "\n".join(lines)
    if len(text) > CAUSE_LIMIT:  # SNS messages, the state and a Fail cause are all bounded
        cut = f"\n... (cut; everything is in the evidence{': ' + evidence_uri if evidence_uri else ''})"
        text = text[: CAUSE_LIMIT - len(cut)] + cut
    output_tasks = tasks if len(tasks) <= OUTPUT_TASKS else shown[:OUTPUT_TASKS]
    return {
        "verdict": verdict,
        "error": error,
        "cause": text,
        "summary": text,
        "evidenceUri": evidence_uri,
        "counts": {
            **c,
            "notProbed": len(collected.not_probed),
            "hosts": len(collected.hosts),
            **({"imdsExposure": len(exposed)} if imds_exposure else {}),
        },
        "countsByMode": counts_by_mode(tasks),
        "countsByCluster": by_cluster,
        **({"countsByAccount": by_account, "accountGaps": collected.gaps} if several else {}),
        "coverage": cov,
        "tasks": output_tasks,
        "tasksOmitted": len(tasks) - len(output_tasks),
        **({"imdsExposure": exposed} if imds_exposure else {}),
    }


def subject(result: dict[str, Any], audit: Audit | None) -> str:
    """The e-mail subject (SNS: at most 100 characters, one line)."""
    c = result.get("counts") or {}
    place = where(audit, sorted(result.get("countsByCluster") or {}))
    on = f" on {place}" if place else ""
    if result["verdict"] in ("VIOLATION", "INCONCLUSIVE") and c.get("tasks", 0) > 1:
        text = (
            f"ecs-netaudit {result['verdict']}{on}: {c.get('violation', 0)} violating, "
            f"{c.get('inconclusive', 0)} inconclusive of {c.get('tasks', 0)} tasks"
        )
    elif result["verdict"] in ("ISOLATED", NOTHING_TO_AUDIT) and c.get("imdsExposure"):
        n = c["imdsExposure"]
        text = f"ecs-netaudit {result['verdict']}{on}: IMDS exposure in {n} task{'s' if n != 1 else ''}"
    else:
        text = f"ecs-netaudit {result['verdict']}: {result['error']}{on}"
    return " ".join(text.split())[:SUBJECT_LIMIT]


def rejection(state: ExecutionState) -> dict[str, Any] | None:
    """Bad input (Prepare raised InvalidInput): the readable reason only. Nothing was created, so
    nothing is written and nobody is alerted."""
    rejected = state.rejected
    if rejected is None:
        return None
    name = rejected.error if "error" in rejected.model_fields_set else "InvalidInput"
    return {"verdict": "ERROR", "error": name, "cause": rejected.message()}


def state_output(result: dict[str, Any]) -> dict[str, Any]:
    """The report as it goes back into the execution state: no second copy of the text (`summary`
    is `cause`), and task verdicts only up to OUTPUT_TASKS_BYTES (the evidence has them all)."""
    out = {k: v for k, v in result.items() if k != "summary"}
    tasks = list(out.get("tasks") or [])
    kept: list[Any] = []
    size = 0
    for task in tasks:
        size += len(json.dumps(task, separators=(",", ":"), default=str))
        if size > OUTPUT_TASKS_BYTES:
            break
        kept.append(task)
    if "tasks" in out:
        out["tasks"] = kept
        out["tasksOmitted"] = int(out.get("tasksOmitted") or 0) + len(tasks) - len(kept)
    if len(out.get("imdsExposure") or []) > OUTPUT_TASKS:  # the count and the evidence have them all
        out["imdsExposure"] = out["imdsExposure"][:OUTPUT_TASKS]
    return out


def with_dead_letters(result: dict[str, Any], batches: int) -> None:
    """Event-driven audits: batches of task events that could not be audited at all (in place)."""
    line = (
        f"\nDEAD-LETTER QUEUE: {batches} task-event batch(es) could not be audited after "
        "3 attempts (stack output TaskEventsDeadLetterQueueUrl): their tasks are not verified"
    )
    result["cause"] = result["summary"] = (result["summary"] + line)[:CAUSE_LIMIT]
    result["deadLetterBatches"] = batches
