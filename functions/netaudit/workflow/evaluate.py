"""Evaluate: the probe outputs of every host -> one verdict per task (pure rules + S3 reads)."""

from collections.abc import Sequence
from typing import Any

from netaudit.models.inputs import ProbeResult, ProbeTask, Resolved
from netaudit.models.verdict import ExpectedTask, TaskVerdict
from netaudit.verdict import evaluate_probe, inconclusive_all, overall


def _expected(tasks: Sequence[ProbeTask]) -> list[ExpectedTask]:
    return [ExpectedTask(t.task_arn, t.declared_mode, t.eni_ipv4) for t in tasks]


def read_stdout(s3: Any, uri: str) -> str:
    """The probe's full stdout from the SSM output folder `s3://bucket/prefix/cmd/instance/`."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []) if o["Key"].endswith("/stdout"))
    if not keys:
        raise FileNotFoundError(f"no stdout object under {uri}")
    body = s3.get_object(Bucket=bucket, Key=sorted(keys)[0])["Body"].read()
    return str(body.decode("utf-8"))


def evaluate(s3: Any, resolved: Resolved, probes: Sequence[ProbeResult]) -> dict[str, Any]:
    verdicts: list[TaskVerdict] = []
    probe_errors: list[dict[str, str]] = []
    for probe in probes:
        expected = _expected(probe.tasks)
        if probe.error or probe.status != "Success":
            name = probe.error or f"Probe{probe.status}"
            probe_errors.append({"instanceId": probe.instance_id, "error": name, "cause": probe.cause or ""})
            verdicts.extend(
                inconclusive_all(expected, f"probe on {probe.instance_id} failed: {name}: {probe.cause}")
            )
            continue
        raw = probe.stdout
        if probe.truncated and probe.output_s3_uri:
            try:
                raw = read_stdout(s3, probe.output_s3_uri)
            except Exception as exc:  # the verdict says why: INCONCLUSIVE, never ISOLATED
                verdicts.extend(inconclusive_all(expected, f"probe output not readable from S3: {exc}"))
                continue
        verdicts.extend(evaluate_probe(raw, expected))
    for host in resolved.unreachable:
        verdicts.extend(inconclusive_all(_expected(host.tasks), host.reason))
        if host.instance_id:
            probe_errors.append(
                {"instanceId": host.instance_id, "error": "HostNotManaged", "cause": host.reason}
            )
    counts = {"tasks": len(verdicts)}
    for name in ("ISOLATED", "VIOLATION", "INCONCLUSIVE"):
        counts[name.lower()] = sum(1 for v in verdicts if v.verdict == name)
    return {
        "verdict": overall(verdicts),
        "counts": counts,
        "tasks": [v.model_dump(mode="json", by_alias=True) for v in verdicts],
        "probeErrors": probe_errors,
    }
