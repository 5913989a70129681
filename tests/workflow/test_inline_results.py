"""The event machine keeps a small audit's resolution and host verdicts in its state (issue 24),
and falls back to S3 over the bounds; Report reads either the same way."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from wf_harness import audit_of

from netaudit.models.inputs import HostTarget, ProbeResult, ProbeTask, Resolved, UnreachableHost
from netaudit.workflow import hosts
from netaudit.workflow.evaluate import evaluate_host
from netaudit.workflow.report_collect import collect

BUCKET = "evidence"
ARN = "arn:aws:ecs:us-east-1:123456789012:task/default/{:032x}"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _host(n: int) -> HostTarget:
    task = ProbeTask(task_arn=ARN.format(n), declared_mode="none")
    return HostTarget(instance_id=f"i-{n:017x}", container_instance_arn=f"ci-{n}", tasks=[task])


def _keys(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def _failed(host: HostTarget) -> ProbeResult:
    return ProbeResult(
        instance_id=host.instance_id, status="Failed", terminal=True, error="ProbeFailed", cause="x"
    )


def test_a_small_resolution_stays_in_the_state_and_a_large_one_goes_to_s3(s3: Any) -> None:
    audit = audit_of({"kind": "tasks", "taskArns": [ARN.format(1)]})
    small = hosts.publish_inline(s3, BUCKET, audit, Resolved(hosts=[_host(1), _host(2)]))
    assert small.mode == "inline" and small.resolved_key is None and _keys(s3) == []
    assert [h["instanceId"] for h in (small.inline or {})["hosts"]] == [
        _host(1).instance_id,
        _host(2).instance_id,
    ]
    assert small.result_bytes == hosts.INLINE_RESULTS_BYTES // 2
    reason = "not Online in SSM " * 200  # ~3.4 KB each: 30 of them pass the 64 KiB bound
    gone = [UnreachableHost(instance_id=f"i-{n:017x}", reason=reason, tasks=[]) for n in range(30)]
    large = hosts.publish_inline(s3, BUCKET, audit, Resolved(hosts=[_host(1)], unreachable=gone))
    assert large.resolved_key and _keys(s3) == [large.resolved_key]
    assert set(large.inline or {}) == {"hosts"}  # the Inline Map's items only
    assert hosts.publish_inline(s3, BUCKET, audit, Resolved(hosts=[])).mode == "none"


def test_host_verdicts_come_back_inline_under_the_bound_else_in_s3_and_report_reads_both(s3: Any) -> None:
    audit = audit_of({"kind": "tasks", "taskArns": [ARN.format(1), ARN.format(2)]})
    one, two = _host(1), _host(2)
    ref = hosts.publish_inline(s3, BUCKET, audit, Resolved(hosts=[one, two]))
    inline = evaluate_host(s3, BUCKET, audit, one, _failed(one), ref.result_bytes)
    stored = evaluate_host(s3, BUCKET, audit, two, _failed(two), 10)  # over its 10 bytes
    assert "document" in inline and "resultKey" not in inline
    assert "document" not in stored and _keys(s3) == [stored["resultKey"]]
    judged = {"judged": False}  # HostUnjudged's output: that host has no result
    collected = collect(s3, ref, "tasks", True, [inline, stored, judged])
    by_host = {h["instanceId"]: h for h in collected.hosts}
    assert by_host[one.instance_id]["resultKey"] is None  # no object: it was inline
    assert by_host[two.instance_id]["resultKey"] == stored["resultKey"]
    assert sorted(t["taskArn"] for t in collected.tasks) == [ARN.format(1), ARN.format(2)]
    assert all(t["verdict"] == "INCONCLUSIVE" for t in collected.tasks)
    missing = collect(s3, ref, "tasks", True, [inline])  # two's iteration recorded nothing
    assert {h["instanceId"]: h.get("error") for h in missing.hosts}[two.instance_id] == "HostResultMissing"
