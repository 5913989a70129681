"""Reading the evidence document (what `netaudit.workflow.report` writes, schemaVersion 1).

The document is read defensively: the Report step also writes it on the error path, where any
part may be missing. One place knows its shape; the renderers ask here.
"""

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from netaudit.models.task import NETWORK_MODES
from netaudit.workflow.coverage import of_not_probed

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


# a host record's `hostAccess` (the probe's, docs/CONTRACTS.md) as reports name it
HOST_ACCESS = {
    "direct": "directly (docker, nsenter, ip on the host)",
    "bottlerocket-admin": "through the Bottlerocket admin container (apiclient exec admin sheltie)",
}


def host_access(host: Mapping[str, Any]) -> str:
    """How the probe read this host; '-' when it did not say (no probe output read)."""
    access = host.get("hostAccess")
    return HOST_ACCESS.get(str(access), str(access)) if access else "-"


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


def audit_accounts(doc: Document) -> list[str]:
    """The accounts an audit of several accounts covered (issue 21); [] for a single-account audit
    (the stack's own only), whose exports stay as they were."""
    return [str(a) for a in (doc.get("audit") or {}).get("accounts") or []]


def account(task: Mapping[str, Any]) -> str:
    """The account a task record names (every record carries it), else its ARN's."""
    return str(task.get("account") or arn_parts(str(task.get("taskArn") or ""))[2])


def task_id(arn: str) -> str:
    return (arn or "").rsplit("/", 1)[-1]


def error_line(doc: Document) -> str:
    """The error name and readable cause of an audit that ended in ERROR ("" otherwise)."""
    if verdict(doc) != "ERROR":
        return ""
    return headline(doc).split(" - ", 1)[-1]


def container_names(task: Mapping[str, Any]) -> Sequence[str]:
    return [str(c.get("containerName") or c.get("dockerName") or "?") for c in task.get("containers") or []]


def canary_mode(doc: Document) -> str | None:
    """The network mode a canary audit declared (its registered task definition's, else its
    input's); None when it is not known or the audit is not a canary."""
    state = doc.get("state") or {}
    target = (doc.get("audit") or {}).get("target") or {}
    for mode in ((state.get("canary") or {}).get("networkMode"), target.get("networkMode")):
        if mode in NETWORK_MODES and kind(doc) == "canary":
            return str(mode)
    return None


def is_empty(value: Any) -> bool:
    """Nothing to show: None, "", an empty list or mapping."""
    return value is None or value == "" or (isinstance(value, (Mapping, list, tuple)) and not value)


def imds_exposure(doc: Document) -> list[Mapping[str, Any]]:
    return [t for t in doc.get("imdsExposure") or [] if isinstance(t, Mapping)]


def coverage(doc: Document) -> Mapping[str, Any]:
    found = report_of(doc).get("coverage")
    return found if isinstance(found, Mapping) else {}


@dataclass
class Group:
    """Tasks that share one cause, said once. `kind`: "host" (INCONCLUSIVE tasks of one host with
    the same reasons), "reasons" (INCONCLUSIVE tasks with the same reasons across hosts) or
    "notProbed" (tasks not probed for one cause; `reasons` its distinct reasons)."""

    kind: str
    title: str
    reasons: list[str]
    tasks: list[Mapping[str, Any]] = field(default_factory=list)
    instance_id: str = ""
    host_error: str = ""


def _host_errors(doc: Document) -> dict[str, str]:
    errors = {str(h.get("instanceId")): str(h.get("error")) for h in hosts(doc) if h.get("error")}
    for p in doc.get("probeErrors") or []:
        if isinstance(p, Mapping) and p.get("instanceId"):
            errors.setdefault(str(p["instanceId"]), str(p.get("error") or "probe error"))
    return errors


def inconclusive_split(
    doc: Document,
) -> tuple[list[Group], list[Group], list[Mapping[str, Any]]]:
    """The INCONCLUSIVE tasks, each cause said once: (host groups, cause groups, tasks with
    container evidence). A host group: the tasks of one host with no container evidence and the
    same reasons, when the host recorded an error or it holds more than one task (one host-level
    cause). A cause group: the other tasks with no container evidence and the same reasons, across
    hosts. Largest groups first."""
    errors = _host_errors(doc)
    keyed: dict[tuple[str, tuple[str, ...]], list[Mapping[str, Any]]] = {}
    cards: list[Mapping[str, Any]] = []
    for task in tasks(doc):
        if task.get("verdict") in ("VIOLATION", "ISOLATED"):
            continue
        if task.get("containers"):
            cards.append(task)
            continue
        key = (str(task.get("instanceId") or ""), tuple(str(r) for r in task.get("reasons") or []))
        keyed.setdefault(key, []).append(task)
    by_host: list[Group] = []
    by_cause: dict[tuple[str, ...], Group] = {}
    for (instance, reasons), members in keyed.items():
        if instance and (len(members) > 1 or instance in errors):
            by_host.append(
                Group("host", instance, list(reasons), members, instance, errors.get(instance, ""))
            )
        else:
            title = reasons[0] if reasons else "no reason recorded"
            by_cause.setdefault(reasons, Group("reasons", title, list(reasons))).tasks.extend(members)
    by_host.sort(key=lambda g: (-len(g.tasks), g.instance_id))
    causes = sorted(by_cause.values(), key=lambda g: (-len(g.tasks), g.title))
    return by_host, causes, cards


def not_probed_cause(entry: Mapping[str, Any]) -> str:
    """The cause a not-probed task is grouped under: the coverage's cause of its code
    (netaudit.workflow.coverage.of_not_probed, the one definition: a platform the probe cannot
    reach, no SSM, filtered out, ...), so a cause coverage learns shows up here without a change."""
    return of_not_probed(entry)[1]


def not_probed_groups(doc: Document) -> list[Group]:
    """Tasks not probed, one group per cause (largest first), each reason listed once."""
    by_cause: dict[str, Group] = {}
    for entry in not_probed(doc):
        cause = not_probed_cause(entry)
        group = by_cause.setdefault(cause, Group("notProbed", cause, []))
        reason = str(entry.get("reason") or "")
        if reason not in group.reasons:
            group.reasons.append(reason)
        group.tasks.append(entry)
    return sorted(by_cause.values(), key=lambda g: (-len(g.tasks), g.title))
