"""IMDS exposure (issue 12): bridge and awsvpc tasks whose `imds` is `reachable (how)`.

Its own finding, never an isolation VIOLATION: it does not change any verdict. The report lists
the exposed tasks (evidence JSON, readable summary, SNS) and, with Security Hub findings on, one
ASFF finding per exposed task (netaudit.workflow.imds_findings). Parameter ReportImdsExposure
(netaudit.settings.ReportSettings, the Report function's) turns all of it off.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# none tasks have no route off lo (an isolation rule, VIOLATION otherwise); host tasks share the
# host's netns and reach IMDS like the host does: neither is this finding.
EXPOSABLE_MODES = frozenset({"bridge", "awsvpc"})
TEXT_LINES = 100  # at most this many exposed tasks in the text (the evidence has them all)


def imds_state(task: Mapping[str, Any]) -> str:
    """ "reachable" | "blocked" | "unknown": the word `imds` starts with (no value: unknown)."""
    word = str(task.get("imds") or "unknown").split(" ", 1)[0]
    return word if word in ("reachable", "blocked") else "unknown"


def is_exposed(task: Mapping[str, Any]) -> bool:
    return task.get("declaredMode") in EXPOSABLE_MODES and imds_state(task) == "reachable"


def exposed_tasks(tasks: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per exposed task: what the evidence JSON's `imdsExposure` lists."""
    return [
        {
            "taskArn": t.get("taskArn"),
            "declaredMode": t.get("declaredMode"),
            "instanceId": t.get("instanceId"),
            "verdict": t.get("verdict"),
            "imds": t.get("imds"),
        }
        for t in tasks
        if is_exposed(t)
    ]


def text_lines(exposed: Sequence[Mapping[str, Any]]) -> list[str]:
    """The summary's (and the SNS message's) section; [] when nothing is exposed."""
    if not exposed:
        return []
    lines = [
        f"IMDS exposure ({len(exposed)}): tasks that can reach 169.254.169.254 (not an isolation verdict):"
    ]
    for t in exposed[:TEXT_LINES]:
        where = f" on {t['instanceId']}" if t.get("instanceId") else ""
        lines.append(f"- {t.get('taskArn')} [declared {t.get('declaredMode')}]{where}: {t.get('imds')}")
    if len(exposed) > TEXT_LINES:
        lines.append(f"... and {len(exposed) - TEXT_LINES} more in the evidence")
    return lines
