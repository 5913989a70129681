"""Reading the evidence document (what `netaudit.workflow.report` writes, schemaVersion 1).

The document is read defensively: the Report step also writes it on the error path, where any
part may be missing. One place knows its shape; the renderers ask here.
"""

import contextlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

Document = Mapping[str, Any]
VERDICT_ORDER = {"VIOLATION": 0, "INCONCLUSIVE": 1, "ISOLATED": 2}
PRODUCT = "ecs-netaudit"


def report_of(doc: Document) -> Mapping[str, Any]:
    report = doc.get("report")
    return report if isinstance(report, Mapping) else {}


def verdict(doc: Document) -> str:
    return str(report_of(doc).get("verdict") or "ERROR")


def kind(doc: Document) -> str:
    target = (doc.get("audit") or {}).get("target") or {}
    return str(target.get("kind") or "canary")


def cluster(doc: Document) -> str:
    """The audit's cluster, or its clusters joined (a stack may audit several), or `*`."""
    audit = doc.get("audit") or {}
    if audit.get("cluster"):
        return str(audit["cluster"])
    return ", ".join(str(c) for c in audit.get("clusters") or []) or ("*" if audit.get("allClusters") else "")


def execution_name(doc: Document) -> str:
    return str((doc.get("execution") or {}).get("name") or "local")


def headline(doc: Document) -> str:
    summary = str(report_of(doc).get("summary") or "")
    return summary.splitlines()[0] if summary else ""


def tasks(doc: Document) -> list[Mapping[str, Any]]:
    """Every audited task, violations first, then inconclusive, then isolated (stable)."""
    found = [t for t in doc.get("tasks") or [] if isinstance(t, Mapping)]
    return sorted(found, key=lambda t: VERDICT_ORDER.get(str(t.get("verdict")), 3))


def not_probed(doc: Document) -> list[Mapping[str, Any]]:
    return [t for t in doc.get("notProbed") or [] if isinstance(t, Mapping)]


def hosts(doc: Document) -> list[Mapping[str, Any]]:
    return [h for h in doc.get("hosts") or [] if isinstance(h, Mapping)]


def counts(doc: Document) -> dict[str, int]:
    found = report_of(doc).get("counts") or {}
    return {str(k): int(v) for k, v in found.items() if isinstance(v, int)}


def parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    with contextlib.suppress(ValueError):
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return None


def started_at(doc: Document) -> datetime | None:
    return parse_time((doc.get("execution") or {}).get("startTime"))


def written_at(doc: Document) -> datetime | None:
    return parse_time(doc.get("writtenAt"))


def arn_parts(arn: str) -> tuple[str, str, str]:
    """(partition, region, account) of an ARN ("" where missing)."""
    parts = (arn or "").split(":")
    return (
        parts[1] if len(parts) > 4 else "",
        parts[3] if len(parts) > 4 else "",
        parts[4] if len(parts) > 4 else "",
    )


def task_id(arn: str) -> str:
    return (arn or "").rsplit("/", 1)[-1]


def error_line(doc: Document) -> str:
    """The error name and readable cause of an audit that ended in ERROR ("" otherwise)."""
    if verdict(doc) != "ERROR":
        return ""
    return headline(doc).split(" - ", 1)[-1]


def container_names(task: Mapping[str, Any]) -> Sequence[str]:
    return [str(c.get("containerName") or c.get("dockerName") or "?") for c in task.get("containers") or []]
