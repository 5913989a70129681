"""Rolling verdicts up: one host's tasks, one task's containers, one audit. The one definition
of "the worst verdict" and of the verdict counts, used by the engine, EvaluateHost and Report."""

from collections.abc import Iterable

from netaudit.models.verdict import Verdict

VERDICTS: tuple[Verdict, ...] = ("ISOLATED", "VIOLATION", "INCONCLUSIVE")
# An audit's verdict when it had no task at all (the execution succeeds: a clear result, not a failure).
NOTHING_TO_AUDIT = "NOTHING_TO_AUDIT"
# An unknown value ranks as INCONCLUSIVE: what was not judged never reads as ISOLATED.
_RANK: dict[str | None, int] = {"ISOLATED": 0, "INCONCLUSIVE": 1, "VIOLATION": 2}
_BY_RANK: tuple[Verdict, Verdict, Verdict] = ("ISOLATED", "INCONCLUSIVE", "VIOLATION")


def worst(verdicts: Iterable[str | None]) -> Verdict | None:
    """Any VIOLATION > any INCONCLUSIVE > ISOLATED; None when there is no verdict at all."""
    ranks = [_RANK.get(v, 1) for v in verdicts]
    return _BY_RANK[max(ranks)] if ranks else None


def overall(verdicts: Iterable[str | None]) -> Verdict:
    """The verdict of a set of task verdicts: the worst; no verdict at all is INCONCLUSIVE (the
    tasks that were meant to be judged were not: never ISOLATED)."""
    return worst(verdicts) or "INCONCLUSIVE"


def audit_verdict(verdicts: Iterable[str | None]) -> str:
    """An audit's verdict: `overall` of its task verdicts; NOTHING_TO_AUDIT when it had no task
    at all. Never ISOLATED without a task: NOTHING_TO_AUDIT is its own verdict, which the report
    explains (what was filtered out or not probed). A task asked for by ARN but not probed is an
    INCONCLUSIVE task verdict already (Report makes it one), and a member account's cluster that
    could not be audited turns NOTHING_TO_AUDIT into INCONCLUSIVE (netaudit.workflow.report)."""
    seen = list(verdicts)
    return overall(seen) if seen else NOTHING_TO_AUDIT


def counts(verdicts: Iterable[str | None]) -> dict[str, int]:
    """`{"tasks": n, "isolated": .., "violation": .., "inconclusive": ..}`."""
    seen = list(verdicts)
    return {"tasks": len(seen), **{name.lower(): seen.count(name) for name in VERDICTS}}
