"""EvaluateHost: one host's probe output -> one verdict per task, written to S3 (the event
machine: returned inline when small, see netaudit.workflow.hosts.INLINE_RESULTS_BYTES).

Runs as the last step of each host's Map iteration. The verdicts (with their evidence) go to
`runs/<execution>/hosts/<instanceId>.json`; the iteration returns only a small summary, so the
execution state stays small whatever the number of tasks (Report reads the files back).
"""

import json
from typing import TYPE_CHECKING, Any

from netaudit.errors import error_message
from netaudit.keys import host_result_key
from netaudit.models.inputs import Audit, HostTarget, ProbeResult, SentCommand
from netaudit.models.verdict import TaskVerdict
from netaudit.verdict import evaluate_output, inconclusive_all, overall, rollup

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def read_stdout(s3: "S3Client", uri: str) -> str:
    """The probe's full stdout from the SSM output folder `s3://bucket/prefix/cmd/instance/`."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []) if o["Key"].endswith("/stdout"))
    if not keys:
        raise FileNotFoundError(f"no stdout object under {uri}")
    body = s3.get_object(Bucket=bucket, Key=sorted(keys)[0])["Body"].read()
    return str(body.decode("utf-8"))


# Errors that end one host's probe with a readable message (the Cause is a Lambda error payload);
# any other error (a Lambda timeout, access denied, a bug) is kept as it came (`fault`).
PROBE_ERRORS = frozenset({"HostNotManaged", "ProbeFailed", "ProbeTimedOut"})


def probe_outcome(host: HostTarget, command: SentCommand | None, error: dict[str, Any] | None) -> ProbeResult:
    """What one host's iteration ended with: the terminal command's result, or the error that
    ended it first. Parsed here, not with an ASL intrinsic: a Cause that is not JSON would make
    `States.StringToJson` raise States.Runtime, which no Catch takes."""
    command_id = command.command_id if command else None
    if error is not None:
        name = str(error.get("Error") or "Error")
        base = {
            "instance_id": host.instance_id,
            "command_id": command_id,
            "status": "Failed",
            "terminal": True,
        }
        fault = None if name in PROBE_ERRORS else error
        return ProbeResult(**base, error=name, cause=error_message(error), fault=fault)
    if command is not None and command.result is not None:
        return command.result
    return ProbeResult(
        instance_id=host.instance_id,
        command_id=command_id,
        status="Failed",
        terminal=True,
        error="ProbeResultMissing",
        cause="the probe loop ended without a terminal command result",
    )


def judge(
    s3: "S3Client", host: HostTarget, probe: ProbeResult
) -> tuple[list[TaskVerdict], dict[str, str] | None, str | None]:
    """The host's verdicts, the error (name, cause) when the probe failed, and how the probe read
    the host (its `hostAccess`: direct or bottlerocket-admin; None when no document was read)."""
    expected = host.tasks  # the one task type: what the host list carries is what the engine reads
    if probe.error or probe.status != "Success":
        name = probe.error or f"Probe{probe.status}"
        cause = probe.cause or str((probe.fault or {}).get("Cause") or "")
        where = f"{host.instance_id} (account {host.account})" if host.account else host.instance_id
        reason = f"probe on {where} failed: {name}: {cause}"
        return inconclusive_all(expected, reason), {"error": name, "cause": cause}, None
    raw = probe.stdout
    if probe.truncated and probe.output_s3_uri:
        try:
            raw = read_stdout(s3, probe.output_s3_uri)
        except Exception as exc:  # the verdict says why: INCONCLUSIVE, never ISOLATED
            reason = f"probe output not readable from S3: {exc}"
            unreadable = {"error": "ProbeOutputUnreadable", "cause": str(exc)}
            return inconclusive_all(expected, reason), unreadable, None
    verdicts, doc = evaluate_output(raw, expected)
    return verdicts, None, doc.host_access if doc else None


def evaluate_host(
    s3: "S3Client", bucket: str, audit: Audit, host: HostTarget, probe: ProbeResult, inline_bytes: int = 0
) -> dict[str, Any]:
    """The host's verdicts to S3 and a small summary back; `inline_bytes` (the event machine's
    iterations): a document up to that size comes back in the summary (`document`) instead."""
    verdicts, error, host_access = judge(s3, host, probe)
    counts = rollup.counts(v.verdict for v in verdicts)
    verdict = overall(verdicts)
    key = host_result_key(audit.execution.name, host.instance_id)
    document = {
        "schemaVersion": 1,
        "instanceId": host.instance_id,
        "containerInstanceArn": host.container_instance_arn,
        "commandId": probe.command_id,
        "hostAccess": host_access,
        "status": probe.status,
        "error": error,
        "outputS3Uri": probe.output_s3_uri,
        "verdict": verdict,
        "counts": counts,
        "tasks": [v.model_dump(mode="json", by_alias=True) for v in verdicts],
    }
    summary: dict[str, Any] = {"instanceId": host.instance_id, "verdict": verdict, "counts": counts}
    if error:
        summary["error"] = error["error"]
    body = json.dumps(document, separators=(",", ":")).encode()
    if len(body) <= inline_bytes:
        return {**summary, "document": document}
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return {**summary, "resultKey": key}
