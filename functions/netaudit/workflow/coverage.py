"""Coverage: of the tasks running in scope, how many were verified, and why the others were not.

Every task of an audit lands in exactly one bucket, counted once by task ARN:
- verified: a verdict was reached (ISOLATED or VIOLATION: coverage says the task was *checked*);
- notVerifiable: the task cannot be probed from a host by design (Fargate, ECS Managed
  Instances, Windows, a Bottlerocket host with its admin container off: each by its reason code,
  netaudit.platforms; no SSM on the host, filtered out by the audit's network modes);
- stopped: the task stopped (or was gone) before its audit: not verified, and not a failure;
- failed: a probe was possible but did not give a verdict (command failed or timed out, output not
  readable, a container gone mid-probe, no result recorded).

`CoveragePercent` = verified / inScope (100 when nothing was in scope). Tasks are sorted by
codes, never by the words of a reason: a not-probed record's `code`, a task record's `cause`
(netaudit.causes), a platform's code in a verdict's reason (`platforms.code_of`); a task
without any is `failed`, under its first reason.
"""

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from netaudit.causes import CAUSES, CONTAINER_GONE, of_uncoded
from netaudit.models.evidence import NotProbedRecord, TaskRecord
from netaudit.platforms import NO_WAY_IN, code_of
from netaudit.verdict.engine import NO_CONTAINER

VERIFIED_VERDICTS = frozenset({"ISOLATED", "VIOLATION"})


def cause_of(verdict: str | None, reasons: Sequence[str], code: str | None = None) -> tuple[str, str]:
    """(bucket, cause) of one task: by its verdict, its code, a platform code in its reasons."""
    if verdict in VERIFIED_VERDICTS:
        return "verified", str(verdict)
    if code in NO_WAY_IN:
        return "notVerifiable", NO_WAY_IN[str(code)].platform
    platform = code_of(reasons)  # a platform's code in a verdict's reason (the probe's own error)
    if platform is not None:
        return "notVerifiable", platform.platform
    if code in CAUSES:
        return CAUSES[str(code)]
    if NO_CONTAINER in reasons:  # the verdict engine's own reason (netaudit.verdict.engine)
        return CAUSES[CONTAINER_GONE]
    first = reasons[0] if reasons else "no reason recorded"
    return "failed", first[:120]


def of_task(task: TaskRecord) -> tuple[str, str]:
    return cause_of(task.verdict, task.reasons, task.cause)


def of_not_probed(task: NotProbedRecord | Mapping[str, Any]) -> tuple[str, str]:
    """(bucket, cause) of a not-probed record: a model (Report: by its code), or a dict of stored
    evidence, which may have been written before not-probed records carried codes
    (netaudit.causes.of_uncoded: what its words stand for)."""
    if isinstance(task, NotProbedRecord):
        return cause_of(None, [task.reason], task.code)
    reason = str(task.get("reason") or "")
    return cause_of(None, [reason], task.get("code") or of_uncoded(reason))


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _epoch(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def delays(running_at: Mapping[str, str], verified: Iterable[str], now: float) -> dict[str, Any] | None:
    """RUNNING-to-verdict delays (seconds) of the verified tasks of an event-driven audit."""
    values = []
    for arn in verified:
        started = _epoch(running_at[arn]) if arn in running_at else None
        if started is not None:
            values.append(max(0.0, now - started))
    if not values:
        return None
    return {
        "count": len(values),
        "p50Seconds": round(percentile(values, 50), 3),
        "p95Seconds": round(percentile(values, 95), 3),
        "maxSeconds": round(max(values), 3),
    }


def _platform(code: str | None, reasons: Sequence[str]) -> str | None:
    """The platform code of a task without a verdict, if a platform is its cause."""
    if code in NO_WAY_IN:
        return code
    found = code_of(reasons)
    return found.code if found else None


def platform_table(counts: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    """Per platform reason code: its name, how many tasks, why, and what would make them verifiable."""
    out: dict[str, dict[str, Any]] = {}
    for code, n in sorted(counts.items()):
        p = NO_WAY_IN[code]
        out[code] = {"platform": p.platform, "tasks": n, "why": p.why, "verifiableWhen": p.to_verify}
    return out


def coverage(
    tasks: Sequence[TaskRecord],
    not_probed: Sequence[NotProbedRecord],
    *,
    running_at: Mapping[str, str] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The report's `coverage` object (netaudit.models.evidence.Coverage). A task both in `tasks`
    and `not_probed` counts once (its not-probed reason wins: it says why no verdict was possible)."""
    placed: dict[str, tuple[str, str]] = {}
    coded: dict[str, str | None] = {}  # task ARN -> platform reason code (netaudit.platforms)
    for task in tasks:
        placed[task.task_arn] = of_task(task)
        judged = task.verdict in VERIFIED_VERDICTS
        coded[task.task_arn] = None if judged else _platform(task.cause, task.reasons)
    for entry in not_probed:
        placed[entry.task_arn] = of_not_probed(entry)
        coded[entry.task_arn] = _platform(entry.code, [entry.reason])
    buckets: Counter[str] = Counter(bucket for bucket, _ in placed.values())
    reasons: dict[str, Counter[str]] = {}
    for bucket, cause in placed.values():
        if bucket != "verified":
            reasons.setdefault(bucket, Counter())[cause] += 1
    in_scope = len(placed)
    verified = buckets["verified"]
    out: dict[str, Any] = {
        "inScope": in_scope,
        "verified": verified,
        "notVerifiable": buckets["notVerifiable"],
        "stopped": buckets["stopped"],
        "failed": buckets["failed"],
        "percent": round(100.0 * verified / in_scope, 2) if in_scope else 100.0,
        "reasons": {b: dict(sorted(c.items())) for b, c in sorted(reasons.items())},
    }
    platforms = Counter(code for code in coded.values() if code)
    if platforms:
        out["platforms"] = platform_table(platforms)
    if running_at and now is not None:
        verified_arns = [a for a, (b, _) in placed.items() if b == "verified"]
        out["runningToVerdict"] = delays(running_at, verified_arns, now)
    return out


def coverage_line(cov: Mapping[str, Any]) -> str:
    """One readable line: `coverage: V/N tasks verified (P%); ...`."""
    parts = [f"coverage: {cov['verified']}/{cov['inScope']} tasks verified ({cov['percent']}%)"]
    for bucket, label in (("notVerifiable", "not verifiable"), ("stopped", "stopped"), ("failed", "failed")):
        if cov.get(bucket):
            causes = ", ".join(f"{c} {n}" for c, n in (cov["reasons"].get(bucket) or {}).items())
            parts.append(f"{label} {cov[bucket]} ({causes})")
    delay = cov.get("runningToVerdict")
    if delay:
        parts.append(f"RUNNING to verdict p50 {delay['p50Seconds']} s, p95 {delay['p95Seconds']} s")
    return "; ".join(parts)
