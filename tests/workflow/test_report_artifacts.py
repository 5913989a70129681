"""The Report step's extra objects on the real state machine: HTML, OCSF, JUnit and the manifest
beside the evidence JSON, their place in the alert, and the Report output left as it was."""

import json
from typing import Any

import boto3
import pytest
from moto.sns.models import sns_backends
from wf_harness import MakeHarness

from netaudit.exports import manifest
from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.hosts.recorded_host import Faults

# What Report returns to the state machine (`summary` is not returned: it is `cause`, once).
OUTPUT_KEYS = {
    "verdict",
    "error",
    "cause",
    "evidenceUri",
    "counts",
    "countsByMode",
    "countsByCluster",  # per cluster (a stack may audit several: workflow/cluster_counts.py)
    "coverage",  # verified / not verifiable / stopped / failed, with reasons (netaudit.workflow.coverage)
    "tasks",
    "tasksOmitted",
    "imdsExposure",  # issue 12 (ReportImdsExposure, default true)
}


def _alerts(topic_arn: str) -> list[str]:
    return [n[1] for n in sns_backends[ACCOUNT][REGION].topics[topic_arn].sent_notifications]


def _get(bucket: str, key: str) -> bytes:
    body: bytes = boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


def test_violation_writes_the_report_set_and_the_alert_points_at_it(harness: MakeHarness) -> None:
    h = harness(none="probe-none-violation.json")
    result = h.run()
    assert result.error == "IsolationViolated"
    (key,) = h.evidence()
    keys = manifest.sibling_keys(key)
    listed = manifest.parse(_get(h.stack.bucket, keys["manifest"]))
    hashed = {o["key"]: o["sha256"] for o in listed["objects"]}
    assert {key, keys["html"], keys["ocsf"], keys["junit"]} <= set(hashed)
    assert any(
        k.startswith("runs/") and k.endswith("resolved.json") for k in hashed
    )  # what it was built from
    for obj_key, digest in hashed.items():
        assert manifest.sha256_hex(_get(h.stack.bucket, obj_key)) == digest
    page = _get(h.stack.bucket, keys["html"]).decode()
    assert "VIOLATION" in page and "eth0" in page
    lines = [json.loads(line) for line in _get(h.stack.bucket, keys["ocsf"]).decode().splitlines()]
    assert [f["compliance"]["status_id"] for f in lines] == [3]
    (alert,) = _alerts(h.stack.topic_arn)
    assert f"report (HTML): s3://{h.stack.bucket}/{keys['html']}" in alert
    assert f"manifest: s3://{h.stack.bucket}/{keys['manifest']} (SHA-256 " in alert
    evidence = json.loads(_get(h.stack.bucket, key))
    assert evidence["artifacts"]["html"] == f"s3://{h.stack.bucket}/{keys['html']}"


def test_report_output_keeps_its_shape(harness: MakeHarness) -> None:
    h = harness()
    result = h.run()
    assert result.status == "SUCCEEDED"
    output: dict[str, Any] = result.output or {}
    assert set(output) == OUTPUT_KEYS
    assert _alerts(h.stack.topic_arn) == []  # ISOLATED: no alert, but the report set is written
    (key,) = h.evidence()
    assert manifest.parse(_get(h.stack.bucket, manifest.sibling_keys(key)["manifest"]))["objects"]


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (Faults(stops_before_running="Essential container exited"), "TaskStoppedEarly"),
        (Faults(command_status="Failed", command_exit_code=1), "ProbeFailed"),
    ],
)
def test_error_and_inconclusive_paths_render_every_object(
    harness: MakeHarness, faults: Faults, error: str
) -> None:
    """The renderers do not fail on the error path's documents (a failure would only be listed in
    the manifest's notWritten, so this checks that list is empty)."""
    h = harness(faults=faults)
    result = h.run()
    assert result.error == error, result.cause
    (key,) = h.evidence()
    keys = manifest.sibling_keys(key)
    assert manifest.parse(_get(h.stack.bucket, keys["manifest"]))["notWritten"] == []
    page = _get(h.stack.bucket, keys["html"]).decode()
    assert ("ERROR" in page and "Essential container exited" in page) or "INCONCLUSIVE" in page
    assert "<error" in _get(h.stack.bucket, keys["junit"]).decode()
