"""Report, part 2 (pure): the roll-up of the collected task verdicts into the report
(netaudit.models.evidence.ReportOutput), the e-mail subject, and the bounded object Report
returns into the execution state. The readable text is netaudit.workflow.report.text's."""

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from netaudit.errors import INCONCLUSIVE, VIOLATION
from netaudit.models.evidence import ReportOutput, TaskRecord
from netaudit.models.inputs import Audit, TasksTarget
from netaudit.models.state import ExecutionState
from netaudit.verdict import rollup
from netaudit.verdict.rollup import NOTHING_TO_AUDIT
from netaudit.workflow.cluster_counts import (
    audit_clusters,
    clusters_seen,
    counts_by_account,
    counts_by_cluster,
    where,
)
from netaudit.workflow.coverage import coverage
from netaudit.workflow.imds_exposure import exposed_tasks
from netaudit.workflow.report.collect import Collected
from netaudit.workflow.report.text import CAUSE_LIMIT, Rolled, network_modes, text

ACCOUNT_NOT_AUDITED = "AccountNotAudited"  # a member account's cluster could not be audited (issue 21)
SUBJECT_LIMIT = 100  # SNS Subject
DETAIL_ALL_TASKS_UP_TO = 20  # list every task (ISOLATED too) in the text when there are this few
OUTPUT_TASKS = 20  # full task verdicts in the report output (execution output is <= 256 KiB)
# What Report returns into the execution state is bounded: the cause (<= 32,000 characters) and at
# most this many bytes of task verdicts, so the state stays far below Step Functions' 256 KiB
# payload quota whatever the audit's size (States.DataLimitExceeded is not caught by States.ALL).
OUTPUT_TASKS_BYTES = 64_000
_ORDER = {"VIOLATION": 0, "INCONCLUSIVE": 1}


def counts(tasks: Sequence[TaskRecord]) -> dict[str, int]:
    return rollup.counts(t.verdict for t in tasks)


def counts_by_mode(tasks: Sequence[TaskRecord]) -> dict[str, dict[str, int]]:
    by_mode: dict[str, list[TaskRecord]] = defaultdict(list)
    for task in tasks:
        by_mode[str(task.declared_mode or "unknown")].append(task)
    return {mode: counts(group) for mode, group in sorted(by_mode.items())}


def _gap_outcome(collected: Collected) -> tuple[str, str | None, str]:
    """A member account's cluster that could not be audited: never a pass (issue 21)."""
    first = collected.gaps[0]
    more = len(collected.gaps) - 1
    tail = f" (and {more} more)" if more else ""
    cluster = f" cluster {first.cluster}" if first.cluster else ""
    return "INCONCLUSIVE", ACCOUNT_NOT_AUDITED, f"{first.reason} ({first.account}{cluster} not audited){tail}"


def _nothing_outcome(state: ExecutionState, collected: Collected) -> tuple[str, str | None, str]:
    modes = ", ".join(network_modes(state)) or "any"
    place = where(state.audit, _seen(collected)) or "?"
    place = f"in cluster {place}" if state.cluster else f"in {place}"
    skipped = f" ({len(collected.not_probed)} not probed, listed below)" if collected.not_probed else ""
    headline = (
        f"nothing to audit: no RUNNING task with networkMode {modes} on an EC2 container "
        f"instance {place}{skipped}"
    )
    return NOTHING_TO_AUDIT, None, headline


def _not_isolated_outcome(verdict: str, collected: Collected) -> tuple[str, str | None, str]:
    c = counts(collected.tasks)
    if verdict == "VIOLATION":
        if c["tasks"] == 1:
            return verdict, VIOLATION, "a task's runtime network differs from its declared mode"
        return (
            verdict,
            VIOLATION,
            f"{c['violation']} of {c['tasks']} tasks' runtime network differs from the declared mode",
        )
    if collected.probe_errors:
        first = collected.probe_errors[0]
        more = len(collected.probe_errors) - 1
        tail = f" (and {more} more host{'s' if more > 1 else ''})" if more else ""
        return verdict, first.error, f"{first.error} on {first.instance_id}: {first.cause}{tail}"
    return verdict, INCONCLUSIVE, "the probe could not prove isolation"


def _outcome(state: ExecutionState, collected: Collected) -> tuple[str, str | None, str]:
    """(verdict, error name or None, headline)."""
    if state.error is not None:
        name = state.error.error
        return "ERROR", name, f"{name}: {state.error.message()}"
    verdict = rollup.audit_verdict(t.verdict for t in collected.tasks)
    if collected.gaps and verdict in ("ISOLATED", NOTHING_TO_AUDIT):
        return _gap_outcome(collected)
    if verdict == NOTHING_TO_AUDIT:
        return _nothing_outcome(state, collected)
    if verdict == "ISOLATED":
        return verdict, None, "every task is ISOLATED as declared"
    return _not_isolated_outcome(verdict, collected)


def _seen(collected: Collected) -> list[str]:
    return clusters_seen(collected.tasks, collected.not_probed)


def _shown(tasks: Sequence[TaskRecord]) -> list[TaskRecord]:
    """The tasks the text lists: all of a small audit, else those not ISOLATED; worst first."""
    shown = tasks if len(tasks) <= DETAIL_ALL_TASKS_UP_TO else [t for t in tasks if t.verdict != "ISOLATED"]
    return sorted(shown, key=lambda t: _ORDER.get(t.verdict, 2))


def _roll_up(state: ExecutionState, collected: Collected, imds_exposure: bool) -> Rolled:
    tasks = collected.tasks
    target = state.audit.target if state.audit else None
    running_at = target.running_at if isinstance(target, TasksTarget) else None
    several = bool(state.audit and state.audit.accounts)  # an audit of several accounts (issue 21)
    by_cluster = counts_by_cluster(tasks, collected.not_probed, audit_clusters(state.audit), accounts=several)
    by_account = (
        counts_by_account(tasks, collected.not_probed, state.audit.accounts)
        if state.audit and several
        else {}
    )
    return Rolled(
        *_outcome(state, collected),
        counts=counts(tasks),
        coverage=coverage(
            tasks, collected.not_probed, running_at=running_at, now=datetime.now(UTC).timestamp()
        ),
        by_cluster=by_cluster,
        by_account=by_account,
        several=several,
        shown=_shown(tasks),
        exposed=exposed_tasks(tasks) if imds_exposure else None,
        all_listed=len(tasks) <= DETAIL_ALL_TASKS_UP_TO,
    )


def summarise(
    state: ExecutionState,
    execution_name: str,
    evidence_uri: str | None,
    collected: Collected,
    imds_exposure: bool = True,
) -> ReportOutput:
    tasks = collected.tasks
    r = _roll_up(state, collected, imds_exposure)
    summary = text(state, execution_name, evidence_uri, collected, r)
    output_tasks = tasks if len(tasks) <= OUTPUT_TASKS else r.shown[:OUTPUT_TASKS]
    exposure = len(r.exposed) if r.exposed is not None else None
    fields: dict[str, Any] = {
        "verdict": r.verdict,
        "error": r.error,
        "cause": summary,
        "summary": summary,
        "evidenceUri": evidence_uri,
        "counts": {
            **r.counts,
            "notProbed": len(collected.not_probed),
            "hosts": len(collected.hosts),
            **({"imdsExposure": exposure} if exposure is not None else {}),
        },
        "countsByMode": counts_by_mode(tasks),
        "countsByCluster": r.by_cluster,
        **({"countsByAccount": r.by_account, "accountGaps": collected.gaps} if r.several else {}),
        "coverage": r.coverage,
        "tasks": output_tasks,
        "tasksOmitted": len(tasks) - len(output_tasks),
        **({"imdsExposure": r.exposed} if r.exposed is not None else {}),
    }
    return ReportOutput.model_validate(fields)


def subject(result: ReportOutput, audit: Audit | None) -> str:
    """The e-mail subject (SNS: at most 100 characters, one line)."""
    c = result.counts
    tasks = c.tasks if c else 0
    place = where(audit, sorted(result.counts_by_cluster or {}))
    on = f" on {place}" if place else ""
    if c and result.verdict in ("VIOLATION", "INCONCLUSIVE") and tasks > 1:
        text = (
            f"ecs-netaudit {result.verdict}{on}: {c.violation} violating, "
            f"{c.inconclusive} inconclusive of {tasks} tasks"
        )
    elif c and result.verdict in ("ISOLATED", NOTHING_TO_AUDIT) and c.imds_exposure:
        n = c.imds_exposure
        text = f"ecs-netaudit {result.verdict}{on}: IMDS exposure in {n} task{'s' if n != 1 else ''}"
    else:
        text = f"ecs-netaudit {result.verdict}: {result.error}{on}"
    return " ".join(text.split())[:SUBJECT_LIMIT]


def rejection(state: ExecutionState) -> ReportOutput | None:
    """Bad input (Prepare raised InvalidInput): the readable reason only. Nothing was created, so
    nothing is written and nobody is alerted."""
    rejected = state.rejected
    if rejected is None:
        return None
    name = rejected.error if "error" in rejected.model_fields_set else "InvalidInput"
    return ReportOutput(verdict="ERROR", error=name, cause=rejected.message())


def state_output(result: ReportOutput) -> dict[str, Any]:
    """The report as it goes back into the execution state: no second copy of the text (`summary`
    is `cause`), and task verdicts only up to OUTPUT_TASKS_BYTES (the evidence has them all)."""
    out = {k: v for k, v in result.dump().items() if k != "summary"}
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


def with_dead_letters(result: ReportOutput, batches: int) -> None:
    """Event-driven audits: batches of task events that could not be audited at all (in place)."""
    line = (
        f"\nDEAD-LETTER QUEUE: {batches} task-event batch(es) could not be audited after "
        "3 attempts (stack output TaskEventsDeadLetterQueueUrl): their tasks are not verified"
    )
    result.cause = result.summary = ((result.summary or "") + line)[:CAUSE_LIMIT]
    result.dead_letter_batches = batches
