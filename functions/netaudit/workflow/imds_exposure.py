"""IMDS exposure (issue 12): bridge and awsvpc tasks whose `imds` is `reachable (how)`.

Its own finding, never an isolation VIOLATION: it does not change any verdict. The report lists
the exposed tasks (evidence JSON, readable summary, SNS) and, with Security Hub findings on, one
ASFF finding per exposed task (netaudit.workflow.report.findings). Parameter ReportImdsExposure
(netaudit.settings.ReportSettings, the Report function's) turns all of it off.
"""

from collections.abc import Iterable, Sequence

from netaudit.models.evidence import ExposureRecord, TaskRecord

# none tasks have no route off lo (an isolation rule, VIOLATION otherwise); host tasks share the
# host's netns and reach IMDS like the host does: neither is this finding.
EXPOSABLE_MODES = frozenset({"bridge", "awsvpc"})
TEXT_LINES = 100  # at most this many exposed tasks in the text (the evidence has them all)


def imds_state(task: TaskRecord) -> str:
    """ "reachable" | "blocked" | "unknown": the word `imds` starts with (no value: unknown)."""
    word = (task.imds or "unknown").split(" ", 1)[0]
    return word if word in ("reachable", "blocked") else "unknown"


def is_exposed(task: TaskRecord) -> bool:
    return task.declared_mode in EXPOSABLE_MODES and imds_state(task) == "reachable"


def exposed_tasks(tasks: Iterable[TaskRecord]) -> list[ExposureRecord]:
    """One entry per exposed task: what the evidence JSON's `imdsExposure` lists."""
    return [
        ExposureRecord(
            task_arn=t.task_arn,
            declared_mode=t.declared_mode,
            instance_id=t.instance_id,
            verdict=t.verdict,
            imds=t.imds,
        )
        for t in tasks
        if is_exposed(t)
    ]


def text_lines(exposed: Sequence[ExposureRecord]) -> list[str]:
    """The summary's (and the SNS message's) section; [] when nothing is exposed."""
    if not exposed:
        return []
    lines = [
        f"IMDS exposure ({len(exposed)}): tasks that can reach 169.254.169.254 (not an isolation verdict):"
    ]
    for t in exposed[:TEXT_LINES]:
        where = f" on {t.instance_id}" if t.instance_id else ""
        lines.append(f"- {t.task_arn} [declared {t.declared_mode}]{where}: {t.imds}")
    if len(exposed) > TEXT_LINES:
        lines.append(f"... and {len(exposed) - TEXT_LINES} more in the evidence")
    return lines
