"""Report: one report per execution, from the per-host results the Map iterations left in S3.

- Collects: `runs/<execution>/resolved.json` (hosts and their tasks, unreachable hosts, tasks no
  host can be probed for) and every `runs/<execution>/hosts/<instanceId>.json` (verdicts).
- Writes the evidence JSON (`canary/YYYY/MM/DD/<execution>.json` for the canary,
  `audits/YYYY/MM/DD/<execution>.json` for tasks/cluster audits) with per-task verdicts, reasons
  and the evidence they rest on, plus the tasks that were not probed.
- Publishes one SNS message (plain text, readable in an e-mail) unless every task is ISOLATED or
  there was nothing to audit (and no task is exposed to IMDS); optionally Security Hub findings
  (tasks/cluster audits only).
- IMDS exposure (netaudit.workflow.imds_exposure) is its own finding, never a verdict change.
- Returns a small readable report (the execution's output, or the Fail state's cause).

Runs on the normal path and on the error path (after the clean-up), so it reads the state
defensively: any part may be missing, depending on where the audit stopped.
"""

import contextlib
import json
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from netaudit.errors import INCONCLUSIVE, VIOLATION, error_message
from netaudit.exports.manifest import entry as manifest_entry
from netaudit.workflow.artifacts import Published, Retention, artifact_uris, publish, put
from netaudit.workflow.cluster_counts import (
    audit_clusters,
    cluster_lines,
    clusters_seen,
    counts_by_cluster,
    where,
)
from netaudit.workflow.coverage import coverage, coverage_line, is_stopped
from netaudit.workflow.imds_exposure import exposed_tasks, text_lines

if TYPE_CHECKING:
    from netaudit.workflow.securityhub import AuditScope

CAUSE_LIMIT = 32_000  # a Fail state's Cause holds at most 32,768 characters
SUBJECT_LIMIT = 100  # SNS Subject
DETAIL_ALL_TASKS_UP_TO = 20  # list every task (ISOLATED too) in the text when there are this few
TEXT_TASK_LINES = 100  # at most this many task lines in the text (the evidence has them all)
TEXT_NOT_PROBED_LINES = 20
OUTPUT_TASKS = 20  # full task verdicts in the report output (execution output is <= 256 KiB)
# What Report returns into the execution state is bounded: the cause (<= 32,000 characters) and at
# most this many bytes of task verdicts, so the state stays far below Step Functions' 256 KiB
# payload quota whatever the audit's size (States.DataLimitExceeded is not caught by States.ALL).
OUTPUT_TASKS_BYTES = 64_000
READ_WORKERS = 16
NOTHING_TO_AUDIT = "NOTHING_TO_AUDIT"


def evidence_key(kind: str, execution_name: str, start_time: str | None) -> str:
    when = datetime.now(UTC)
    if start_time:
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(start_time.replace("Z", "+00:00"))
    folder = "canary" if kind == "canary" else "audits"
    return f"{folder}/{when:%Y/%m/%d}/{execution_name}.json"


# --- collecting the per-host results ---------------------------------------------------------


@dataclass
class Collected:
    """Every task of the audit with its verdict, the hosts and what could not be probed."""

    tasks: list[dict[str, Any]] = field(default_factory=list)  # TaskVerdict dumps + instanceId
    hosts: list[dict[str, Any]] = field(default_factory=list)
    probe_errors: list[dict[str, str]] = field(default_factory=list)
    not_probed: list[dict[str, Any]] = field(default_factory=list)
    api_calls: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # collection itself went wrong
    sources: dict[str, Any] = field(default_factory=dict)  # key -> manifest entry of what was read


def _read_json(s3: Any, bucket: str, key: str, sources: dict[str, Any] | None = None) -> Any:
    answer = s3.get_object(Bucket=bucket, Key=key)
    body = answer["Body"].read()
    if sources is not None:  # the manifest holds the SHA-256 of what the report was built from
        sources[key] = manifest_entry(key, body, answer.get("VersionId"), "read")
    return json.loads(body)


def _inconclusive(
    task: dict[str, Any], reason: str, instance_id: str | None, cluster: str | None = None
) -> dict[str, Any]:
    cluster = cluster or task.get("cluster")
    return {
        "taskArn": task.get("taskArn"),
        "declaredMode": task.get("declaredMode"),
        "expectedEniIpv4": task.get("eniIpv4"),
        "verdict": "INCONCLUSIVE",
        "reasons": [reason],
        "containers": [],
        "instanceId": instance_id,
        **({"cluster": cluster} if cluster else {}),
    }


def collect(s3: Any, ref: dict[str, Any], kind: str, event_driven: bool = False) -> Collected:
    """Read back what ResolveHosts and the Map iterations wrote (see netaudit.workflow.hosts).

    An event-driven audit (its tasks came from RUNNING events) does not fail a task that stopped
    before its audit: it is listed as not probed ("task stopped"), not made INCONCLUSIVE."""
    out = Collected()
    bucket, key = ref.get("bucket"), ref.get("resolvedKey")
    if not bucket or not key:
        out.problems.append("no resolution recorded")
        return out
    resolved = _read_json(s3, bucket, key, out.sources)
    out.api_calls = dict(resolved.get("apiCalls") or {})
    prefix = str(ref.get("resultsPrefix") or "")
    wanted = {h["instanceId"]: h for h in resolved.get("hosts") or []}
    keys = {f"{prefix}{iid}.json": iid for iid in wanted}
    found: set[str] = set()
    if prefix and keys:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found.update(o["Key"] for o in page.get("Contents", []) if o["Key"] in keys)
    with ThreadPoolExecutor(max_workers=READ_WORKERS) as pool:
        ordered = sorted(found)
        read = pool.map(lambda k: _read_json(s3, bucket, k, out.sources), ordered)
        documents = dict(zip(ordered, read, strict=True))
    for result_key, iid in keys.items():
        host = wanted[iid]
        cluster = host.get("cluster") or None  # each task's cluster is its container instance's
        doc = documents.get(result_key)
        if doc is None:
            reason = f"no probe result was recorded for {iid} (its Map iteration did not finish)"
            out.tasks.extend(_inconclusive(t, reason, iid, cluster) for t in host.get("tasks") or [])
            out.probe_errors.append({"instanceId": iid, "error": "HostResultMissing", "cause": reason})
            out.hosts.append({"instanceId": iid, "verdict": "INCONCLUSIVE", "error": "HostResultMissing"})
            continue
        for task in doc.get("tasks") or []:
            out.tasks.append({**task, "instanceId": iid, **({"cluster": cluster} if cluster else {})})
        error = doc.get("error")
        if error:
            out.probe_errors.append({"instanceId": iid, **error})
        out.hosts.append(
            {
                "instanceId": iid,
                **({"cluster": cluster} if cluster else {}),
                "containerInstanceArn": doc.get("containerInstanceArn"),
                "verdict": doc.get("verdict"),
                "counts": doc.get("counts"),
                "commandId": doc.get("commandId"),
                "error": (error or {}).get("error"),
                "outputS3Uri": doc.get("outputS3Uri"),
                "resultKey": result_key,
            }
        )
    for host in resolved.get("unreachable") or []:
        iid = host.get("instanceId") or None
        cluster = host.get("cluster") or None
        out.tasks.extend(_inconclusive(t, host["reason"], iid, cluster) for t in host.get("tasks") or [])
        out.probe_errors.append(
            {"instanceId": iid or "?", "error": "HostNotManaged", "cause": host["reason"]}
        )
        out.hosts.append({"instanceId": iid, "verdict": "INCONCLUSIVE", "error": "HostNotManaged"})
    for task in resolved.get("notProbed") or []:
        out.not_probed.append(dict(task))
        if kind != "cluster" and not (event_driven and is_stopped(str(task.get("reason") or ""))):
            # a task asked for by ARN gets a verdict; it cannot be ISOLATED
            out.tasks.append(_inconclusive(task, f"not probed: {task['reason']}", None))
    return out


# --- the readable report ---------------------------------------------------------------------


def counts_of(tasks: Sequence[dict[str, Any]]) -> dict[str, int]:
    counts = {"tasks": len(tasks)}
    for name in ("ISOLATED", "VIOLATION", "INCONCLUSIVE"):
        counts[name.lower()] = sum(1 for t in tasks if t.get("verdict") == name)
    return counts


def counts_by_mode(tasks: Sequence[dict[str, Any]]) -> dict[str, dict[str, int]]:
    by_mode: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for task in tasks:
        by_mode[str(task.get("declaredMode") or "unknown")].append(task)
    return {mode: counts_of(group) for mode, group in sorted(by_mode.items())}


def overall_verdict(tasks: Sequence[dict[str, Any]]) -> str:
    verdicts = {t.get("verdict") for t in tasks}
    if not tasks:
        return NOTHING_TO_AUDIT
    if "VIOLATION" in verdicts:
        return "VIOLATION"
    if "INCONCLUSIVE" in verdicts:
        return "INCONCLUSIVE"
    return "ISOLATED"


def _outcome(state: dict[str, Any], collected: Collected) -> tuple[str, str | None, str]:
    """(verdict, error name or None, headline)."""
    if "error" in state and isinstance(state["error"], dict):
        name = str(state["error"].get("Error", "Error"))
        return "ERROR", name, f"{name}: {error_message(state['error'])}"
    tasks = collected.tasks
    verdict = overall_verdict(tasks)
    c = counts_of(tasks)
    if verdict == NOTHING_TO_AUDIT:
        target = (state.get("audit") or {}).get("target") or {}
        modes = ", ".join(target.get("networkModes") or []) or "any"
        audit = state.get("audit") or {}
        place = where(audit, clusters_seen(tasks, collected.not_probed)) or "?"
        place = f"in cluster {place}" if audit.get("cluster") else f"in {place}"
        skipped = f" ({len(collected.not_probed)} not probed, listed below)" if collected.not_probed else ""
        return (
            verdict,
            None,
            (
                f"nothing to audit: no RUNNING task with networkMode {modes} on an EC2 container "
                f"instance {place}{skipped}"
            ),
        )
    if verdict == "ISOLATED":
        return verdict, None, "every task is ISOLATED as declared"
    if verdict == "VIOLATION":
        if c["tasks"] == 1:
            return verdict, VIOLATION, "a task's runtime network differs from its declared mode"
        return (
            verdict,
            VIOLATION,
            (f"{c['violation']} of {c['tasks']} tasks' runtime network differs from the declared mode"),
        )
    if collected.probe_errors:
        first = collected.probe_errors[0]
        more = len(collected.probe_errors) - 1
        tail = f" (and {more} more host{'s' if more > 1 else ''})" if more else ""
        return (
            verdict,
            str(first["error"]),
            f"{first['error']} on {first['instanceId']}: {first['cause']}{tail}",
        )
    return verdict, INCONCLUSIVE, "the probe could not prove isolation"


def _task_line(task: dict[str, Any], with_cluster: bool = False) -> str:
    reasons = task.get("reasons") or []
    on = f" on {task['instanceId']}" if task.get("instanceId") else ""
    if with_cluster and task.get("cluster"):
        on += f" (cluster {task['cluster']})"
    return (
        f"- {task.get('taskArn')} [declared {task.get('declaredMode') or '?'}]{on} {task.get('verdict')}"
        + (": " + "; ".join(reasons) if reasons else "")
    )


def summarise(
    state: dict[str, Any],
    execution_name: str,
    evidence_uri: str | None,
    collected: Collected,
    imds_exposure: bool = True,
) -> dict[str, Any]:
    audit = state.get("audit") or {}
    target = audit.get("target") or {}
    kind = target.get("kind", "canary")
    verdict, error, headline = _outcome(state, collected)
    tasks = collected.tasks
    c = counts_of(tasks)
    lines = [f"ecs-netaudit {kind} audit {execution_name}: {verdict} - {headline}"]
    seen = clusters_seen(tasks, collected.not_probed)
    if audit.get("cluster"):
        lines.append(f"cluster: {audit['cluster']}")
    elif audit.get("clusters") or audit.get("allClusters"):
        every = " (every cluster of the account and region)" if audit.get("allClusters") else ""
        lines.append(f"clusters{every}: " + (", ".join(audit_clusters(audit) or seen) or "none found"))
    if kind == "cluster":
        lines.append("network modes: " + ", ".join(target.get("networkModes") or []))
    canary = state.get("canary") or {}
    if canary.get("taskArn"):
        lines.append(f"canary task: {canary['taskArn']} ({canary.get('networkMode')} mode)")
    host_ids = [str(h["instanceId"]) for h in collected.hosts if h.get("instanceId")]
    running_at = target.get("runningAt") if isinstance(target.get("runningAt"), dict) else None
    cov = coverage(tasks, collected.not_probed, running_at=running_at, now=datetime.now(UTC).timestamp())
    if tasks or collected.not_probed:
        lines.append(coverage_line(cov))
    if tasks:
        lines.append(
            f"audited: {c['tasks']} task{'s' if c['tasks'] != 1 else ''} on {len(host_ids)} "
            f"instance{'s' if len(host_ids) != 1 else ''}: {c['isolated']} ISOLATED, "
            f"{c['violation']} VIOLATION, {c['inconclusive']} INCONCLUSIVE"
        )
    by_cluster = counts_by_cluster(tasks, collected.not_probed, audit_clusters(audit))
    lines.extend(cluster_lines(by_cluster))
    if 0 < len(host_ids) <= 10:
        lines.append("instances: " + ", ".join(host_ids))
    if collected.probe_errors:
        lines.append(f"inconclusive hosts ({len(collected.probe_errors)}):")
        for err in collected.probe_errors[:TEXT_TASK_LINES]:
            n = sum(1 for t in tasks if t.get("instanceId") == err["instanceId"])
            lines.append(
                f"- {err['instanceId']}: {err['error']}: {err['cause']} ({n} task{'s' if n != 1 else ''})"
            )
    shown = (
        tasks
        if len(tasks) <= DETAIL_ALL_TASKS_UP_TO
        else [t for t in tasks if t.get("verdict") != "ISOLATED"]
    )
    shown = sorted(shown, key=lambda t: {"VIOLATION": 0, "INCONCLUSIVE": 1}.get(str(t.get("verdict")), 2))
    if shown:
        lines.append(
            "tasks:" if len(tasks) <= DETAIL_ALL_TASKS_UP_TO else f"tasks not ISOLATED ({len(shown)}):"
        )
        lines.extend(_task_line(t, len(by_cluster) > 1) for t in shown[:TEXT_TASK_LINES])
        if len(shown) > TEXT_TASK_LINES:
            lines.append(f"... and {len(shown) - TEXT_TASK_LINES} more in the evidence")
    exposed = exposed_tasks(tasks) if imds_exposure else []
    lines.extend(text_lines(exposed))
    if collected.not_probed:
        lines.append(f"not probed ({len(collected.not_probed)}):")
        lines.extend(f"- {t['taskArn']}: {t['reason']}" for t in collected.not_probed[:TEXT_NOT_PROBED_LINES])
        if len(collected.not_probed) > TEXT_NOT_PROBED_LINES:
            lines.append(f"... and {len(collected.not_probed) - TEXT_NOT_PROBED_LINES} more in the evidence")
    for problem in collected.problems:
        lines.append(f"REPORT INCOMPLETE: {problem}")
    cleanup = state.get("cleanup") or {}
    if cleanup.get("stoppedTasks"):
        lines.append("stopped: " + ", ".join(cleanup["stoppedTasks"]))
    if "cleanupError" in state:
        lines.append(f"CLEAN-UP FAILED: {error_message(state['cleanupError'])}")
    if evidence_uri:
        lines.append(f"evidence: {evidence_uri}")
    text = "\n".join(lines)
    if len(text) > CAUSE_LIMIT:  # SNS messages, the state and a Fail cause are all bounded
        cut = f"\n... (cut; everything is in the evidence{': ' + evidence_uri if evidence_uri else ''})"
        text = text[: CAUSE_LIMIT - len(cut)] + cut
    output_tasks = tasks if len(tasks) <= OUTPUT_TASKS else shown[:OUTPUT_TASKS]
    return {
        "verdict": verdict,
        "error": error,
        "cause": text,
        "summary": text,
        "evidenceUri": evidence_uri,
        "counts": {
            **c,
            "notProbed": len(collected.not_probed),
            "hosts": len(collected.hosts),
            **({"imdsExposure": len(exposed)} if imds_exposure else {}),
        },
        "countsByMode": counts_by_mode(tasks),
        "countsByCluster": by_cluster,
        "coverage": cov,
        "tasks": output_tasks,
        "tasksOmitted": len(tasks) - len(output_tasks),
        **({"imdsExposure": exposed} if imds_exposure else {}),
    }


def subject(result: dict[str, Any], audit: dict[str, Any]) -> str:
    """The e-mail subject (SNS: at most 100 characters, one line)."""
    c = result.get("counts") or {}
    place = where(audit, sorted(result.get("countsByCluster") or {}))
    on = f" on {place}" if place else ""
    if result["verdict"] in ("VIOLATION", "INCONCLUSIVE") and c.get("tasks", 0) > 1:
        text = (
            f"ecs-netaudit {result['verdict']}{on}: {c.get('violation', 0)} violating, "
            f"{c.get('inconclusive', 0)} inconclusive of {c.get('tasks', 0)} tasks"
        )
    elif result["verdict"] in ("ISOLATED", NOTHING_TO_AUDIT) and c.get("imdsExposure"):
        n = c["imdsExposure"]
        text = f"ecs-netaudit {result['verdict']}{on}: IMDS exposure in {n} task{'s' if n != 1 else ''}"
    else:
        text = f"ecs-netaudit {result['verdict']}: {result['error']}{on}"
    return " ".join(text.split())[:SUBJECT_LIMIT]


@dataclass(frozen=True)
class _AuditedTask:
    task_arn: str
    declared_mode: str
    verdict: str
    reasons: Sequence[str]


def _audit_scope(audit: dict[str, Any], collected: "Collected") -> "AuditScope | None":
    """A cluster audit's scope for archiving findings of tasks that are gone (None otherwise)."""
    from netaudit.models.verdict import NETWORK_MODES
    from netaudit.workflow.securityhub import AuditScope

    target = audit.get("target") or {}
    named = audit_clusters(audit)
    if target.get("kind") != "cluster" or not (named or audit.get("allClusters")):
        return None
    seen = {t["taskArn"] for t in collected.tasks + collected.not_probed if t.get("taskArn")}
    return AuditScope(
        clusters=frozenset(c.rsplit("/", 1)[-1] for c in named) if named else None,
        network_modes=frozenset(target.get("networkModes") or NETWORK_MODES),
        seen=frozenset(seen),
    )


def _publish_findings(
    securityhub: Any, tasks: Sequence[dict[str, Any]], evidence_uri: str, scope: "AuditScope | None" = None
) -> dict[str, Any]:
    from netaudit.workflow.securityhub import publish_findings

    audited = [
        _AuditedTask(t["taskArn"], t["declaredMode"], t["verdict"], list(t.get("reasons") or []))
        for t in tasks
        if t.get("taskArn") and t.get("declaredMode")
    ]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    result = publish_findings(securityhub, audited, now=now, evidence_uri=evidence_uri, scope=scope)
    return {
        "imported": result.imported,
        "resolved": result.resolved,
        "archived": result.archived,
        "failed": result.failed,
    }


def _publish_exposure_findings(
    securityhub: Any, tasks: Sequence[dict[str, Any]], evidence_uri: str, scope: "AuditScope | None"
) -> dict[str, Any]:
    from netaudit.workflow.imds_findings import publish_exposure_findings

    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    result = publish_exposure_findings(securityhub, tasks, now=now, evidence_uri=evidence_uri, scope=scope)
    return {
        "imported": result.imported,
        "resolved": result.resolved,
        "archived": result.archived,
        "failed": result.failed,
    }


def rejection(state: dict[str, Any]) -> dict[str, Any] | None:
    """Bad input (Prepare raised InvalidInput): the readable reason only. Nothing was created, so
    nothing is written and nobody is alerted."""
    rejected = state.get("rejected")
    if not isinstance(rejected, dict):
        return None
    name = str(rejected.get("Error") or "InvalidInput")
    return {"verdict": "ERROR", "error": name, "cause": error_message(rejected)}


def state_output(result: dict[str, Any]) -> dict[str, Any]:
    """The report as it goes back into the execution state: no second copy of the text (`summary`
    is `cause`), and task verdicts only up to OUTPUT_TASKS_BYTES (the evidence has them all)."""
    out = {k: v for k, v in result.items() if k != "summary"}
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


def report(
    s3: Any,
    sns: Any,
    bucket: str | None,
    topic_arn: str | None,
    state: dict[str, Any],
    execution: dict[str, Any],
    securityhub: Any = None,
    dead_letter_batches: int = 0,
    retention: Retention | None = None,
    imds_exposure: bool = True,
) -> dict[str, Any]:
    """`imds_exposure`: report IMDS exposure (parameter ReportImdsExposure)."""
    rejected = rejection(state)
    if rejected is not None:
        return rejected
    name = str(execution.get("name") or "local")
    audit = state.get("audit") or {}
    kind = (audit.get("target") or {}).get("kind", "canary")
    key = evidence_key(kind, name, execution.get("startTime"))
    uri = f"s3://{bucket}/{key}" if bucket else None
    collected = Collected()
    ref = state.get("resolved")
    if isinstance(ref, dict) and ref.get("resolvedKey"):
        try:
            event_driven = bool((audit.get("target") or {}).get("runningAt"))
            collected = collect(s3, ref, kind, event_driven=event_driven)
        except Exception as exc:  # on the error path, report what happened anyway
            if "error" not in state:
                raise
            collected.problems.append(f"per-host results not readable: {type(exc).__name__}: {exc}")
    result = summarise(state, name, uri, collected, imds_exposure=imds_exposure)
    if dead_letter_batches:  # event-driven audits: batches that could not be audited at all
        line = (
            f"\nDEAD-LETTER QUEUE: {dead_letter_batches} task-event batch(es) could not be audited after "
            "3 attempts (stack output TaskEventsDeadLetterQueueUrl): their tasks are not verified"
        )
        result["cause"] = result["summary"] = (result["summary"] + line)[:CAUSE_LIMIT]
        result["deadLetterBatches"] = dead_letter_batches
    if securityhub is not None and kind != "canary" and result["verdict"] != "ERROR" and uri:
        try:
            scope = _audit_scope(audit, collected)
            result["securityHub"] = _publish_findings(securityhub, collected.tasks, uri, scope)
        except Exception as exc:  # findings are an extra: the report and the alert still go out
            result["securityHub"] = {"error": f"{type(exc).__name__}: {exc}"}
        if imds_exposure:
            try:
                scope = _audit_scope(audit, collected)
                exposure = _publish_exposure_findings(securityhub, collected.tasks, uri, scope)
            except Exception as exc:  # an extra as well
                exposure = {"error": f"{type(exc).__name__}: {exc}"}
            result["securityHubImdsExposure"] = exposure
    published = Published()
    if bucket:
        written_at = datetime.now(UTC).isoformat()
        evidence = {
            "schemaVersion": 1,
            "execution": execution,
            "report": {k: v for k, v in result.items() if k not in ("cause", "tasks", "imdsExposure")},
            "audit": audit,
            "hosts": collected.hosts,
            "tasks": collected.tasks,
            "notProbed": collected.not_probed,
            **({"imdsExposure": result["imdsExposure"]} if imds_exposure else {}),
            "probeErrors": collected.probe_errors,
            "apiCalls": collected.api_calls,
            "state": state,
            "writtenAt": written_at,
            "artifacts": artifact_uris(bucket, key),
        }
        body = json.dumps(evidence, indent=1, default=str).encode()
        version = put(s3, bucket, key, body, "application/json", retention)
        published = publish(
            s3, bucket, key, json.loads(body), manifest_entry(key, body, version, "written"),
            collected.sources, written_at, retention,
        )
    exposed = int(result.get("counts", {}).get("imdsExposure") or 0)
    news = result["verdict"] not in ("ISOLATED", NOTHING_TO_AUDIT) or dead_letter_batches or exposed
    if topic_arn and news:
        sns.publish(
            TopicArn=topic_arn,
            Subject=subject(result, audit),
            Message="\n".join(filter(None, (result["summary"], published.message()))),
            MessageAttributes={
                "verdict": {"DataType": "String", "StringValue": result["verdict"]},
                "kind": {"DataType": "String", "StringValue": str(kind)},
                "imdsExposure": {"DataType": "Number", "StringValue": str(exposed)},
            },
        )
    return result
