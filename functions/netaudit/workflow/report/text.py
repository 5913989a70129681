"""Report, the readable text (pure): the summary the alert sends and a Fail state carries, one
section per function, bounded to CAUSE_LIMIT characters."""

from dataclasses import dataclass
from typing import Any

from netaudit.models.evidence import ExposureRecord, TaskRecord
from netaudit.models.inputs import ClusterTarget
from netaudit.models.state import ExecutionState
from netaudit.workflow.cluster_counts import audit_clusters, cluster_lines, clusters_seen
from netaudit.workflow.coverage import coverage_line
from netaudit.workflow.imds_exposure import text_lines
from netaudit.workflow.report.collect import Collected

CAUSE_LIMIT = 32_000  # a Fail state's Cause holds at most 32,768 characters
TEXT_TASK_LINES = 100  # at most this many task lines in the text (the evidence has them all)
TEXT_NOT_PROBED_LINES = 20
MAX_INSTANCES_LISTED = 10


@dataclass(frozen=True)
class Rolled:
    """What the roll-up found (netaudit.workflow.report.summary): the text and the output read it."""

    verdict: str
    error: str | None
    headline: str
    counts: dict[str, int]
    coverage: dict[str, Any]
    by_cluster: dict[str, dict[str, Any]]
    by_account: dict[str, dict[str, Any]]
    several: bool  # an audit of several accounts (issue 21)
    shown: list[TaskRecord]  # the tasks the text lists, worst first
    exposed: list[ExposureRecord] | None  # None: IMDS exposure is not reported
    all_listed: bool  # every task is in `shown` (a small audit)


def network_modes(state: ExecutionState) -> list[str]:
    target = state.audit.target if state.audit else None
    return list(target.network_modes) if isinstance(target, ClusterTarget) else []


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _scope(state: ExecutionState, collected: Collected) -> list[str]:
    lines = []
    if state.cluster:
        lines.append(f"cluster: {state.cluster}")
    elif state.audit is not None and (state.audit.clusters or state.audit.all_clusters):
        every = " (every cluster of the account and region)" if state.audit.all_clusters else ""
        named = audit_clusters(state.audit) or clusters_seen(collected.tasks, collected.not_probed)
        lines.append(f"clusters{every}: " + (", ".join(named) or "none found"))
    if state.kind == "cluster":
        lines.append("network modes: " + ", ".join(network_modes(state)))
    if state.canary is not None and state.canary.task_arn:
        lines.append(f"canary task: {state.canary.task_arn} ({state.canary.network_mode} mode)")
    return lines


def _counts(collected: Collected, r: Rolled, host_ids: list[str]) -> list[str]:
    lines = []
    if collected.tasks or collected.not_probed:
        lines.append(coverage_line(r.coverage))
    c = r.counts
    if collected.tasks:
        lines.append(
            f"audited: {_plural(c['tasks'], 'task')} on {_plural(len(host_ids), 'instance')}: "
            f"{c['isolated']} ISOLATED, {c['violation']} VIOLATION, {c['inconclusive']} INCONCLUSIVE"
        )
    lines.extend(cluster_lines(r.by_account, "account"))
    lines.extend(cluster_lines(r.by_cluster))
    return lines


def _gaps_and_hosts(collected: Collected, host_ids: list[str]) -> list[str]:
    lines = []
    if collected.gaps:
        lines.append(f"not audited ({len(collected.gaps)}):")
        for gap in collected.gaps[:TEXT_NOT_PROBED_LINES]:
            cluster = f" cluster {gap.cluster}" if gap.cluster else ""
            lines.append(f"- account {gap.account}{cluster}: {gap.reason}")
    if 0 < len(host_ids) <= MAX_INSTANCES_LISTED:
        lines.append("instances: " + ", ".join(host_ids))
    if collected.probe_errors:
        lines.append(f"inconclusive hosts ({len(collected.probe_errors)}):")
        for err in collected.probe_errors[:TEXT_TASK_LINES]:
            n = sum(1 for t in collected.tasks if t.instance_id == err.instance_id)
            lines.append(f"- {err.instance_id}: {err.error}: {err.cause} ({_plural(n, 'task')})")
    return lines


def task_line(task: TaskRecord, with_cluster: bool = False, with_account: bool = False) -> str:
    on = f" on {task.instance_id}" if task.instance_id else ""
    if with_account and task.account:
        on += f" (account {task.account}" + (f", cluster {task.cluster})" if task.cluster else ")")
    elif with_cluster and task.cluster:
        on += f" (cluster {task.cluster})"
    reasons = ": " + "; ".join(task.reasons) if task.reasons else ""
    return f"- {task.task_arn} [declared {task.declared_mode or '?'}]{on} {task.verdict}{reasons}"


def _tasks(r: Rolled) -> list[str]:
    if not r.shown:
        return []
    lines = ["tasks:" if r.all_listed else f"tasks not ISOLATED ({len(r.shown)}):"]
    lines.extend(task_line(t, len(r.by_cluster) > 1, r.several) for t in r.shown[:TEXT_TASK_LINES])
    if len(r.shown) > TEXT_TASK_LINES:
        lines.append(f"... and {len(r.shown) - TEXT_TASK_LINES} more in the evidence")
    return lines


def _not_probed(collected: Collected) -> list[str]:
    skipped = collected.not_probed
    if not skipped:
        return []
    lines = [f"not probed ({len(skipped)}):"]
    lines.extend(f"- {t.task_arn}: {t.reason}" for t in skipped[:TEXT_NOT_PROBED_LINES])
    if len(skipped) > TEXT_NOT_PROBED_LINES:
        lines.append(f"... and {len(skipped) - TEXT_NOT_PROBED_LINES} more in the evidence")
    return lines


def _closing(state: ExecutionState, collected: Collected, evidence_uri: str | None) -> list[str]:
    lines = [f"REPORT INCOMPLETE: {problem}" for problem in collected.problems]
    if state.cleanup is not None and state.cleanup.stopped_tasks:
        lines.append("stopped: " + ", ".join(state.cleanup.stopped_tasks))
    if state.cleanup_error is not None:
        lines.append(f"CLEAN-UP FAILED: {state.cleanup_error.message()}")
    if evidence_uri:
        lines.append(f"evidence: {evidence_uri}")
    return lines


def text(
    state: ExecutionState, execution_name: str, evidence_uri: str | None, collected: Collected, r: Rolled
) -> str:
    """The readable report, at most CAUSE_LIMIT characters (SNS messages, the state and a Fail
    cause are all bounded); what is cut is in the evidence."""
    host_ids = [str(h.instance_id) for h in collected.hosts if h.instance_id]
    lines = [
        f"ecs-netaudit {state.kind} audit {execution_name}: {r.verdict} - {r.headline}",
        *_scope(state, collected),
        *_counts(collected, r, host_ids),
        *_gaps_and_hosts(collected, host_ids),
        *_tasks(r),
        *text_lines(r.exposed or []),
        *_not_probed(collected),
        *_closing(state, collected, evidence_uri),
    ]
    out = "\n".join(lines)
    if len(out) > CAUSE_LIMIT:
        cut = f"\n... (cut; everything is in the evidence{': ' + evidence_uri if evidence_uri else ''})"
        out = out[: CAUSE_LIMIT - len(cut)] + cut
    return out
