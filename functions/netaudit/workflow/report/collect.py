"""Report, part 1: read back what ResolveHosts and the Map iterations left in S3.

- `runs/<execution>/resolved.json`: hosts and their tasks, unreachable hosts, tasks no host can
  be probed for (netaudit.models.inputs.Resolved);
- every `runs/<execution>/hosts/<instanceId>.json`: that host's task verdicts (EvaluateHost).
A host without its file gets INCONCLUSIVE tasks ("no probe result was recorded"): its Map
iteration did not finish. Every record becomes its evidence model (netaudit.models.evidence);
a task Report makes INCONCLUSIVE itself carries the coded cause (netaudit.workflow.coverage).
"""

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from netaudit import causes
from netaudit.concurrency import map_in_context
from netaudit.exports.manifest import entry as manifest_entry
from netaudit.models.account import AccountGap
from netaudit.models.evidence import HostRecord, NotProbedRecord, ProbeErrorRecord, TaskRecord
from netaudit.models.inputs import ResolvedRef
from netaudit.workflow.accounts import account_of
from netaudit.workflow.coverage import of_not_probed

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

READ_WORKERS = 16


class Collected(BaseModel):
    """Every task of the audit with its verdict, the hosts and what could not be probed."""

    tasks: list[TaskRecord] = Field(default_factory=list)
    hosts: list[HostRecord] = Field(default_factory=list)
    probe_errors: list[ProbeErrorRecord] = Field(default_factory=list)
    not_probed: list[NotProbedRecord] = Field(default_factory=list)
    api_calls: dict[str, int] = Field(default_factory=dict)
    gaps: list[AccountGap] = Field(default_factory=list)  # member clusters not audited at all
    problems: list[str] = Field(default_factory=list)  # collection itself went wrong
    sources: dict[str, Any] = Field(default_factory=dict)  # key -> manifest entry of what was read

    def part(self, account: str) -> "Collected":
        """One account's tasks and not-probed tasks (an audit of several accounts, issue 21)."""
        return Collected(
            tasks=[t for t in self.tasks if t.account == account],
            not_probed=[t for t in self.not_probed if t.account == account],
        )


def _read_json(s3: "S3Client", bucket: str, key: str, sources: dict[str, Any] | None = None) -> Any:
    answer = s3.get_object(Bucket=bucket, Key=key)
    body = answer["Body"].read()
    if sources is not None:  # the manifest holds the SHA-256 of what the report was built from
        sources[key] = manifest_entry(key, body, answer.get("VersionId"), "read")
    return json.loads(body)


def _inconclusive(
    task: dict[str, Any], reason: str, instance_id: str | None, cause: str | None, cluster: str | None = None
) -> TaskRecord:
    """A task Report makes INCONCLUSIVE itself; `cause`: its code (netaudit.workflow.coverage)."""
    cluster = cluster or task.get("cluster")
    return TaskRecord.model_validate(
        {
            "taskArn": task.get("taskArn"),
            "account": account_of(str(task.get("taskArn") or "")),
            "declaredMode": task.get("declaredMode"),
            "expectedEniIpv4": task.get("eniIpv4"),
            "verdict": "INCONCLUSIVE",
            "reasons": [reason],
            "containers": [],
            "instanceId": instance_id,
            **({"cluster": cluster} if cluster else {}),
            **({"cause": cause} if cause else {}),
        }
    )


def _host_results(
    s3: "S3Client",
    ref: ResolvedRef,
    wanted: dict[str, Any],
    sources: dict[str, Any],
    host_results: list[dict[str, Any]] | None,
) -> tuple[dict[str, Any], set[str]]:
    """(result key -> the host's result document, the keys of documents that came inline) for the
    hosts whose Map iteration left one: in S3, or (the event machine) in `host_results`."""
    bucket, prefix = ref.bucket, ref.results_prefix
    keys = {f"{prefix}{iid}.json" for iid in wanted}
    results = host_results or []
    inline = {f"{prefix}{r.get('instanceId')}.json": r["document"] for r in results if "document" in r}
    found: set[str] = {str(r["resultKey"]) for r in results if r.get("resultKey") in keys}
    if prefix and keys and ref.mode != "inline":
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            found.update(o["Key"] for o in page.get("Contents", []) if o["Key"] in keys)
    ordered = sorted(found)
    read = map_in_context(lambda k: _read_json(s3, bucket, k, sources), ordered, READ_WORKERS)
    return {**dict(zip(ordered, read, strict=True)), **inline}, set(inline)


def _missing_host(out: Collected, host: dict[str, Any], iid: str, cluster: str | None) -> None:
    reason = f"no probe result was recorded for {iid} (its Map iteration did not finish)"
    out.tasks.extend(
        _inconclusive(t, reason, iid, causes.NO_RESULT, cluster) for t in host.get("tasks") or []
    )
    out.probe_errors.append(ProbeErrorRecord(instance_id=iid, error="HostResultMissing", cause=reason))
    out.hosts.append(HostRecord(instance_id=iid, verdict="INCONCLUSIVE", error="HostResultMissing"))


def _probed_host(
    out: Collected, host: dict[str, Any], doc: dict[str, Any], result_key: str | None, cluster: str | None
) -> None:
    iid = str(host["instanceId"])
    error = doc.get("error")
    cause = causes.of_host_error(str(error.get("error") or "")) if error else None
    for task in doc.get("tasks") or []:
        record = {
            **task,
            "account": account_of(str(task.get("taskArn") or "")),
            "instanceId": iid,
            **({"cluster": cluster} if cluster else {}),
            **({"cause": cause} if cause and task.get("verdict") == "INCONCLUSIVE" else {}),
        }
        out.tasks.append(TaskRecord.model_validate(record))
    if error:
        out.probe_errors.append(ProbeErrorRecord.model_validate({"instanceId": iid, **error}))
    out.hosts.append(
        HostRecord.model_validate(
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
                "resultKey": result_key,  # None: the document came inline (no object)
            }
        )
    )


def _unreachable(out: Collected, host: dict[str, Any]) -> None:
    iid = host.get("instanceId") or None
    cluster = host.get("cluster") or None
    cause = host.get("code") or causes.NO_SSM  # a platform's code, else the host is not managed
    out.tasks.extend(_inconclusive(t, host["reason"], iid, cause, cluster) for t in host.get("tasks") or [])
    out.probe_errors.append(
        ProbeErrorRecord(instance_id=iid or "?", error="HostNotManaged", cause=host["reason"])
    )
    out.hosts.append(HostRecord(instance_id=iid, verdict="INCONCLUSIVE", error="HostNotManaged"))


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
    resolved = dict(ref.inline or {})
    if ref.resolved_key:
        resolved = _read_json(s3, ref.bucket, ref.resolved_key, out.sources)
    out.api_calls = dict(resolved.get("apiCalls") or {})
    out.gaps = [AccountGap.model_validate(g) for g in resolved.get("gaps") or []]
    wanted = {h["instanceId"]: h for h in resolved.get("hosts") or []}
    documents, inline = _host_results(s3, ref, wanted, out.sources, host_results)
    for iid, host in wanted.items():
        result_key = f"{ref.results_prefix}{iid}.json"
        cluster = host.get("cluster") or None  # each task's cluster is its container instance's
        doc = documents.get(result_key)
        if doc is None:
            _missing_host(out, host, iid, cluster)
        else:
            _probed_host(out, host, doc, None if result_key in inline else result_key, cluster)
    for host in resolved.get("unreachable") or []:
        _unreachable(out, host)
    for task in resolved.get("notProbed") or []:
        record = NotProbedRecord.model_validate(
            {**task, "account": account_of(str(task.get("taskArn") or ""))}
        )
        out.not_probed.append(record)
        stopped = of_not_probed(record)[0] == "stopped"
        if kind != "cluster" and not (event_driven and stopped):
            # a task asked for by ARN gets a verdict; it cannot be ISOLATED
            reason = f"not probed: {task['reason']}"
            out.tasks.append(_inconclusive(task, reason, None, record.code))
    return out
