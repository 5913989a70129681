"""Per-cluster counts of one audit (a stack may audit several clusters: netaudit.workflow.scope).

Every task and not-probed entry of a report carries its `cluster` (the container instance's, from
ResolveHosts); these are the per-cluster numbers the report, the evidence and the text give.
"""

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from netaudit.models.evidence import NotProbedRecord, TaskRecord
from netaudit.models.inputs import Audit
from netaudit.verdict import rollup
from netaudit.workflow.coverage import coverage


def audit_clusters(audit: Audit | None) -> list[str]:
    """The clusters an audit named (its `cluster`, or `clusters`); [] for every cluster (`*`)."""
    if audit is None:
        return []
    return [audit.cluster] if audit.cluster else list(audit.clusters)


Record = TaskRecord | NotProbedRecord


def clusters_seen(tasks: Sequence[TaskRecord], not_probed: Sequence[NotProbedRecord]) -> list[str]:
    return sorted({t.cluster for t in tasks if t.cluster} | {t.cluster for t in not_probed if t.cluster})


def counts_by_cluster(
    tasks: Sequence[TaskRecord],
    not_probed: Sequence[NotProbedRecord],
    named: Sequence[str] = (),
    accounts: bool = False,
) -> dict[str, dict[str, Any]]:
    """cluster -> {tasks, isolated, violation, inconclusive, notProbed, coverage: {inScope,
    verified, percent}}; the clusters the audit named are listed even with nothing in them.
    `accounts` (an audit of several accounts): keyed `<account>/<cluster>`, as a cluster name
    means one cluster per account."""

    def key(task: Record) -> str:
        cluster = task.cluster or "?"
        return f"{task.account or '?'}/{cluster}" if accounts else cluster

    return _counts_by(key, tasks, not_probed, () if accounts else named)


def counts_by_account(
    tasks: Sequence[TaskRecord], not_probed: Sequence[NotProbedRecord], named: Sequence[str] = ()
) -> dict[str, dict[str, Any]]:
    """account -> the same counts and coverage (issue 21); every audited account is listed."""
    return _counts_by(lambda t: t.account or "?", tasks, not_probed, named)


def _counts_by(
    key: Callable[[Record], str],
    tasks: Sequence[TaskRecord],
    not_probed: Sequence[NotProbedRecord],
    named: Sequence[str],
) -> dict[str, dict[str, Any]]:
    by_tasks: dict[str, list[TaskRecord]] = defaultdict(list)
    by_skipped: dict[str, list[NotProbedRecord]] = defaultdict(list)
    for task in tasks:
        by_tasks[key(task)].append(task)
    for entry in not_probed:
        by_skipped[key(entry)].append(entry)
    out: dict[str, dict[str, Any]] = {}
    for name in sorted({*named, *by_tasks, *by_skipped}):
        group, skipped = by_tasks.get(name, []), by_skipped.get(name, [])
        cov = coverage(group, skipped)
        out[name] = {
            **rollup.counts(t.verdict for t in group),
            "notProbed": len(skipped),
            "coverage": {k: cov[k] for k in ("inScope", "verified", "percent")},
        }
    return out


def cluster_lines(by_cluster: Mapping[str, Mapping[str, Any]], what: str = "cluster") -> list[str]:
    """One text line per cluster (or account: `what`), only when the audit spans more than one."""
    if len(by_cluster) < 2:
        return []
    lines = [f"per {what} ({len(by_cluster)}):"]
    for name, c in by_cluster.items():
        cov = c["coverage"]
        lines.append(
            f"- {name}: {c['tasks']} task{'s' if c['tasks'] != 1 else ''}: {c['isolated']} ISOLATED, "
            f"{c['violation']} VIOLATION, {c['inconclusive']} INCONCLUSIVE; coverage "
            f"{cov['verified']}/{cov['inScope']} ({cov['percent']}%)"
        )
    return lines


def where(audit: Audit | None, seen: Sequence[str] = ()) -> str:
    """`prod`, `3 clusters` or `every cluster (N)` for subjects and headlines ("" if none)."""
    named = audit_clusters(audit)
    if len(named) == 1:
        return named[0]
    if named:
        return f"{len(named)} clusters"
    if audit is not None and audit.all_clusters:
        return f"every cluster ({len(seen)})" if seen else "every cluster"
    return ""
