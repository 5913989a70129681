"""Coverage: of the tasks running in scope, how many were verified, and why the others were not.

Every task of an audit lands in exactly one bucket, counted once by task ARN:
- verified: a verdict was reached (ISOLATED or VIOLATION: coverage says the task was *checked*);
- notVerifiable: the task cannot be probed from a host by design (Fargate, ECS Managed
  Instances, Windows, a Bottlerocket host with its admin container off: each by its reason code,
  netaudit.platforms; no SSM on the host, filtered out by the audit's network modes);
- stopped: the task stopped (or was gone) before its audit: not verified, and not a failure;
- failed: a probe was possible but did not give a verdict (command failed or timed out, output not
  readable, a container gone mid-probe, no result recorded).

`CoveragePercent` = verified / inScope (100 when nothing was in scope). The reasons are the
verdicts' and the inventory's own texts: a reason code first (`platforms.code_of`), else
classified by what they say (`cause_of`).
"""

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from netaudit.platforms import NO_WAY_IN, code_of

VERIFIED_VERDICTS = frozenset({"ISOLATED", "VIOLATION"})

# (bucket, cause, any of these substrings of the reason, lower case); first match wins. Platforms
# with no way in are not here: their reasons carry a code (netaudit.platforms), read first.
RULES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("stopped", "task stopped before its audit", (", not running", "describetasks: missing", "task stopped")),
    ("notVerifiable", "platform the probe cannot run on", ("cannot be probed:",)),
    ("notVerifiable", "filtered out", ("filtered out", "not audited (networkmodes")),
    ("notVerifiable", "no SSM", ("not online in ssm", "ssm agent", "hostnotmanaged", "not managed")),
    ("notVerifiable", "no container instance", ("no container instance", "container instance arn:")),
    ("failed", "command timed out", ("probetimedout", "timed out")),
    ("failed", "AWS throttling", ("awsthrottled", "throttl")),
    ("failed", "output not readable", ("probeoutputunreadable", "not readable")),
    ("failed", "command failed", ("probefailed", "probe on ")),
    ("failed", "container gone mid-probe", ("no container of the task was found",)),
    ("failed", "no result recorded", ("no probe result was recorded", "hostresultmissing")),
)


def cause_of(verdict: str | None, reasons: Sequence[str]) -> tuple[str, str]:
    """(bucket, cause) of one task."""
    if verdict in VERIFIED_VERDICTS:
        return "verified", str(verdict)
    platform = code_of(reasons)
    if platform is not None:
        return "notVerifiable", platform.platform
    text = " ".join(reasons).lower()
    for bucket, cause, needles in RULES:
        if any(n in text for n in needles):
            return bucket, cause
    first = reasons[0] if reasons else "no reason recorded"
    return "failed", first[:120]


def is_stopped(reason: str) -> bool:
    return cause_of(None, [reason])[0] == "stopped"


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


def _note_code(coded: dict[str, str], arn: str, reasons: Sequence[str]) -> None:
    platform = code_of(reasons)
    if platform is not None:
        coded[arn] = platform.code
    else:
        coded.pop(arn, None)


def platform_table(counts: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    """Per platform reason code: its name, how many tasks, why, and what would make them verifiable."""
    out: dict[str, dict[str, Any]] = {}
    for code, n in sorted(counts.items()):
        p = NO_WAY_IN[code]
        out[code] = {"platform": p.platform, "tasks": n, "why": p.why, "verifiableWhen": p.to_verify}
    return out


def coverage(
    tasks: Sequence[Mapping[str, Any]],
    not_probed: Sequence[Mapping[str, Any]],
    *,
    running_at: Mapping[str, str] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The report's `coverage` object. A task both in `tasks` and `not_probed` counts once
    (its not-probed reason wins: it says why no verdict was possible)."""
    placed: dict[str, tuple[str, str]] = {}
    coded: dict[str, str] = {}  # task ARN -> platform reason code (netaudit.platforms)
    for task in tasks:
        arn = str(task.get("taskArn") or "")
        said = [str(r) for r in task.get("reasons") or []]
        placed[arn] = cause_of(task.get("verdict"), said)
        _note_code(coded, arn, said if task.get("verdict") not in VERIFIED_VERDICTS else [])
    for task in not_probed:
        arn = str(task.get("taskArn") or "")
        placed[arn] = cause_of(None, [str(task.get("reason") or "")])
        _note_code(coded, arn, [str(task.get("reason") or "")])
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
    if coded:
        out["platforms"] = platform_table(Counter(coded.values()))
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
