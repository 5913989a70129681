"""Security Hub findings: one per violating task, resolved by a later ISOLATED audit only; the one
reconciler (netaudit.workflow.report.findings.reconcile) with the isolation kind."""

from typing import Any

import boto3
import pytest
from moto import mock_aws

from netaudit.models.evidence import TaskRecord
from netaudit.workflow.report.asff import AuditScope, FindingsResult
from netaudit.workflow.report.findings import ISOLATION, Stamp, reconcile

ARN = "arn:aws:ecs:us-east-1:123456789012:task/prod/{:032x}"
NOW = "2026-11-25T00:00:00Z"
URI = "s3://evidence/audits/2026/11/25/run.json"
GENERATOR_ID = ISOLATION.generator_id
finding_id = ISOLATION.finding_id


def Task(
    task_arn: str, verdict: str, declared_mode: str = "none", reasons: list[str] | None = None
) -> TaskRecord:
    return TaskRecord.model_validate(
        {"taskArn": task_arn, "verdict": verdict, "declaredMode": declared_mode, "reasons": reasons or []}
    )


def publish_findings(
    hub: Any, tasks: list[TaskRecord], *, now: str, evidence_uri: str, scope: AuditScope | None = None
) -> FindingsResult:
    return reconcile(hub, ISOLATION, tasks, Stamp(now, evidence_uri), scope)


@pytest.fixture
def hub():
    with mock_aws():
        client = boto3.client("securityhub", region_name="us-east-1")
        client.enable_security_hub()
        yield client


def _findings(hub) -> dict[str, dict]:
    return {f["Id"]: f for f in hub.get_findings()["Findings"]}


def test_one_finding_per_violating_task_with_reasons(hub):
    tasks = [
        Task(ARN.format(1), "VIOLATION", reasons=["interface dummy0 present (expected only lo)"]),
        Task(ARN.format(2), "ISOLATED"),
        Task(ARN.format(3), "INCONCLUSIVE", reasons=["container exited"]),
    ]
    result = publish_findings(hub, tasks, now=NOW, evidence_uri=URI)
    found = _findings(hub)
    assert (result.imported, result.resolved, result.failed) == (1, 0, 0)
    assert list(found) == [finding_id(ARN.format(1))]
    finding = found[finding_id(ARN.format(1))]
    assert finding["GeneratorId"] == GENERATOR_ID
    assert finding["Compliance"]["Status"] == "FAILED"
    assert finding["RecordState"] == "ACTIVE"
    assert finding["Resources"][0] == {
        "Type": "AwsEcsTask",
        "Id": ARN.format(1),
        "Partition": "aws",
        "Region": "us-east-1",
        # the task's cluster (a stack may audit several)
        "Details": {"AwsEcsTask": {"ClusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod"}},
    }
    assert finding["ProductFields"]["ecs-netaudit/cluster"] == "prod"
    assert "dummy0" in finding["Description"] and URI in finding["Description"]


def test_later_isolated_audit_resolves_but_inconclusive_does_not(hub):
    bad = [Task(ARN.format(1), "VIOLATION", reasons=["x"]), Task(ARN.format(2), "VIOLATION", reasons=["y"])]
    publish_findings(hub, bad, now=NOW, evidence_uri=URI)

    later = [Task(ARN.format(1), "ISOLATED"), Task(ARN.format(2), "INCONCLUSIVE")]
    result = publish_findings(hub, later, now=NOW, evidence_uri=URI)
    found = _findings(hub)
    assert (result.imported, result.resolved) == (0, 1)
    assert found[finding_id(ARN.format(1))]["Compliance"]["Status"] == "PASSED"
    assert found[finding_id(ARN.format(1))]["RecordState"] == "ARCHIVED"
    assert found[finding_id(ARN.format(2))]["RecordState"] == "ACTIVE"


def test_isolated_task_without_open_finding_creates_nothing(hub):
    publish_findings(hub, [Task(ARN.format(7), "ISOLATED")], now=NOW, evidence_uri=URI)
    assert _findings(hub) == {}


def test_imports_in_batches_of_100(hub):
    calls: list[int] = []
    real = hub.batch_import_findings

    def counting(**kwargs):
        calls.append(len(kwargs["Findings"]))
        return real(**kwargs)

    hub.batch_import_findings = counting
    tasks = [Task(ARN.format(i), "VIOLATION", reasons=["r"]) for i in range(250)]
    result = publish_findings(hub, tasks, now=NOW, evidence_uri=URI)
    assert calls == [100, 100, 50]
    assert result.imported == 250


def _scope(*seen: str, cluster: str = "prod", modes: tuple[str, ...] = ("none",)) -> AuditScope:
    return AuditScope(clusters=frozenset([cluster]), network_modes=frozenset(modes), seen=frozenset(seen))


def test_cluster_audit_archives_findings_of_tasks_it_no_longer_sees(hub):
    gone, kept = ARN.format(1), ARN.format(2)
    publish_findings(
        hub,
        [Task(gone, "VIOLATION", reasons=["x"]), Task(kept, "VIOLATION", reasons=["y"])],
        now=NOW,
        evidence_uri=URI,
    )
    result = publish_findings(
        hub, [Task(kept, "VIOLATION", reasons=["y"])], now=NOW, evidence_uri=URI, scope=_scope(kept)
    )
    found = _findings(hub)
    assert (result.imported, result.resolved, result.archived) == (1, 0, 1)
    assert found[finding_id(gone)]["RecordState"] == "ARCHIVED"
    assert found[finding_id(gone)]["Compliance"]["Status"] == "FAILED"  # gone, not proven isolated
    assert found[finding_id(kept)]["RecordState"] == "ACTIVE"


@pytest.mark.parametrize(
    "scope",
    [
        None,  # a tasks audit (or canary): no claim about what else runs
        _scope(cluster="other"),  # the finding's task is in another cluster
        _scope(modes=("bridge",)),  # the audit did not cover the finding's declared mode
        _scope(ARN.format(1)),  # the audit saw the task (e.g. INCONCLUSIVE)
    ],
)
def test_findings_outside_the_audit_scope_stay_open(hub, scope):
    publish_findings(hub, [Task(ARN.format(1), "VIOLATION", reasons=["x"])], now=NOW, evidence_uri=URI)
    result = publish_findings(hub, [], now=NOW, evidence_uri=URI, scope=scope)
    assert result.archived == 0
    assert _findings(hub)[finding_id(ARN.format(1))]["RecordState"] == "ACTIVE"
