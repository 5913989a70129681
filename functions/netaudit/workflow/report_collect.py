"""Report, part 1: read back what ResolveHosts and the Map iterations left in S3.

- `runs/<execution>/resolved.json`: hosts and their tasks, unreachable hosts, tasks no host can
  be probed for (netaudit.models.inputs.Resolved);
- every `runs/<execution>/hosts/<instanceId>.json`: that host's task verdicts (EvaluateHost).
A host without its file gets INCONCLUSIVE tasks ("no probe result was recorded"): its Map
iteration did not finish. Task verdicts stay the JSON records they are stored as (a TaskVerdict
dump plus `instanceId`): the evidence JSON repeats them as read.
"""

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netaudit.concurrency import map_in_context
from netaudit.exports.manifest import entry as manifest_entry
from netaudit.models.inputs import ResolvedRef
from netaudit.workflow.accounts import account_of
from netaudit.workflow.coverage import is_stopped

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

READ_WORKERS = 16
TaskRecord = dict[str, Any]  # a TaskVerdict dump (camelCase) plus `instanceId`


@dataclass
class Collected:
    """Every task of the audit with its verdict, the hosts and what could not be probed."""

    tasks: list[TaskRecord] = field(default_factory=list)
    hosts: list[dict[str, Any]] = field(default_factory=list)
    probe_errors: list[dict[str, str]] = field(default_factory=list)
    not_probed: list[dict[str, Any]] = field(default_factory=list)
    api_calls: dict[str, int] = field(default_factory=dict)
    gaps: list[dict[str, Any]] = field(default_factory=list)  # member clusters not audited at all
    problems: list[str] = field(default_factory=list)  # collection itself went wrong
    sources: dict[str, Any] = field(default_factory=dict)  # key -> manifest entry of what was read


def _read_json(s3: "S3Client", bucket: str, key: str, sources: dict[str, Any] | None = None) -> Any:
    answer = s3.get_object(Bucket=bucket, Key=key)
    body = answer["Body"].read()
    if sources is not None:  # the manifest holds the SHA-256 of what the report was built from
        sources[key] = manifest_entry(key, body, answer.get("VersionId"), "read")
    return json.loads(body)


def _inconclusive(
    task: dict[str, Any], reason: str, instance_id: str | None, cluster: str | None = None
) -> TaskRecord:
    cluster = cluster or task.get("cluster")
    return {
        "taskArn": task.get("taskArn"),
        "account": account_of(str(task.get("taskArn") or "")),
        "declaredMode": task.get("declaredMode"),
        "expectedEniIpv4": task.get("eniIpv4"),
        "verdict": "INCONCLUSIVE",
        "reasons": [reason],
        "containers": [],
        "instanceId": instance_id,
        **({"cluster": cluster} if cluster else {}),
    }


def collect(
    s3: "S3Client",
    ref: ResolvedRef,
    kind: str,
    event_driven: bool = False,
    host_results: list[dict[str, Any]] | None = None,
) -> Collected:
    """Read back what ResolveHosts and the Map iterations wrote (see netaudit.workflow.hosts).

    An event-driven audit (its tasks came from RUNNING events) does not fail a task that stopped
    before its audit: it is listed as not probed ("task stopped"), not made INCONCLUSIVE.
    The event machine (`ref.mode` "inline"): the resolution is in `ref.inline` unless it has a
    `resolved_key`, and `host_results` (its Map's) hold each host's document or its `resultKey`."""
    out = Collected()
    bucket, prefix = ref.bucket, ref.results_prefix
    resolved = dict(ref.inline or {})
    if ref.resolved_key:
        resolved = _read_json(s3, bucket, ref.resolved_key, out.sources)
    out.api_calls = dict(resolved.get("apiCalls") or {})
    out.gaps = [dict(g) for g in resolved.get("gaps") or []]
    wanted = {h["instanceId"]: h for h in resolved.get("hosts") or []}
    keys = {f"{prefix}{iid}.json": iid for iid in wanted}
    results = host_results or []
    inline = {f"{prefix}{r.get('instanceId')}.json": r["document"] for r in results if "document" in r}
    found: set[str] = {str(r["resultKey"]) for r in results if r.get("resultKey") in keys}
    if prefix and keys and ref.mode != "inline":
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found.update(o["Key"] for o in page.get("Contents", []) if o["Key"] in keys)
    ordered = sorted(found)
    read = map_in_context(lambda k: _read_json(s3, bucket, k, out.sources), ordered, READ_WORKERS)
    documents = {**dict(zip(ordered, read, strict=True)), **inline}
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
            out.tasks.append(
                {
                    **task,
                    "account": account_of(str(task.get("taskArn") or "")),
                    "instanceId": iid,
                    **({"cluster": cluster} if cluster else {}),
                }
            )
        error = doc.get("error")
        if error:
            out.probe_errors.append({"instanceId": iid, **error})
        out.hosts.append(
            {
                "instanceId": iid,
                **({"account": host["account"]} if host.get("account") else {}),
                **({"cluster": cluster} if cluster else {}),
                "containerInstanceArn": doc.get("containerInstanceArn"),
                "verdict": doc.get("verdict"),
                "counts": doc.get("counts"),
                "commandId": doc.get("commandId"),
                "hostAccess": doc.get("hostAccess"),
                "error": (error or {}).get("error"),
                "outputS3Uri": doc.get("outputS3Uri"),
                "resultKey": None if result_key in inline else result_key,  # inline: no object
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
        out.not_probed.append({**task, "account": account_of(str(task.get("taskArn") or ""))})
        if kind != "cluster" and not (event_driven and is_stopped(str(task.get("reason") or ""))):
            # a task asked for by ARN gets a verdict; it cannot be ISOLATED
            out.tasks.append(_inconclusive(task, f"not probed: {task['reason']}", None))
    return out
