"""IMDS exposure (issue 12): its own finding in the report, SNS and Security Hub, never a verdict."""

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws
from wf_harness import audit_of

from netaudit.models.state import ExecutionState
from netaudit.workflow.imds_findings import GENERATOR_ID as IMDS_GENERATOR
from netaudit.workflow.imds_findings import finding_id as imds_finding_id
from netaudit.workflow.report import report, state_output
from netaudit.workflow.securityhub import finding_id as isolation_finding_id

BUCKET = "evidence"
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"
ARN = "arn:aws:ecs:us-east-1:123456789012:task/prod/{:032x}"
REACHABLE = "reachable (via eth0 172.17.0.1; no DOCKER-USER/FORWARD rule drops 169.254.169.254)"
BLOCKED = "blocked (DOCKER-USER: -A DOCKER-USER -d 169.254.169.254/32 -i docker+ -j DROP)"


class Sns:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> None:
        self.sent.append(kwargs)


def _task(n: int, mode: str, imds: str | None, verdict: str = "ISOLATED") -> dict[str, Any]:
    return {"taskArn": ARN.format(n), "declaredMode": mode, "verdict": verdict, "reasons": [], "imds": imds}


def _state(s3: Any, tasks: list[dict[str, Any]], run: str) -> dict[str, Any]:
    prefix = f"runs/{run}/hosts/"
    resolved = {"hosts": [{"instanceId": "i-1", "tasks": [{"taskArn": t["taskArn"]} for t in tasks]}]}
    s3.put_object(Bucket=BUCKET, Key=f"runs/{run}/resolved.json", Body=json.dumps(resolved))
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}i-1.json", Body=json.dumps({"tasks": tasks, "verdict": "x"}))
    return {
        "audit": audit_of({"kind": "cluster", "networkModes": ["bridge", "awsvpc"]}, cluster="prod"),
        "resolved": {
            "mode": "distributed",
            "hostCount": 1,
            "taskCount": len(tasks),
            "bucket": BUCKET,
            "resolvedKey": f"runs/{run}/resolved.json",
            "resultsPrefix": prefix,
        },
    }


@pytest.fixture
def aws() -> Any:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        hub = boto3.client("securityhub", region_name="us-east-1")
        hub.enable_security_hub()
        yield s3, hub


def _run(aws: Any, tasks: list[dict[str, Any]], run: str, **kwargs: Any) -> tuple[dict[str, Any], Sns, dict]:
    s3, hub = aws
    sns = Sns()
    state = _state(s3, tasks, run)
    parsed = ExecutionState.model_validate(state)
    result = report(s3, sns, BUCKET, TOPIC, parsed, {"name": run}, securityhub=hub, **kwargs)
    key = result["evidenceUri"].removeprefix(f"s3://{BUCKET}/")
    evidence = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    return result, sns, evidence


def _hub_findings(hub: Any) -> dict[str, dict[str, Any]]:
    return {f["Id"]: f for f in hub.get_findings()["Findings"]}


MIXED = [
    _task(1, "bridge", REACHABLE),
    _task(2, "awsvpc", "blocked (blackhole route to 169.254.169.254)"),
    _task(3, "bridge", "unknown (iptables-save not found)"),
    _task(4, "host", "reachable (the host's netns)"),  # host mode: not this finding
]


def test_exposed_bridge_task_is_listed_and_alerted_and_the_verdict_stays_isolated(aws: Any) -> None:
    result, sns, evidence = _run(aws, MIXED, "run-1")
    assert result["verdict"] == "ISOLATED" and result["error"] is None
    assert result["counts"]["imdsExposure"] == 1
    assert [t["taskArn"] for t in result["imdsExposure"]] == [ARN.format(1)]
    assert evidence["imdsExposure"] == result["imdsExposure"]
    assert evidence["report"]["counts"]["imdsExposure"] == 1
    assert "IMDS exposure (1):" in result["cause"]
    assert f"- {ARN.format(1)} [declared bridge] on i-1: {REACHABLE}" in result["cause"]
    (alert,) = sns.sent  # ISOLATED, yet the exposure is news
    assert "IMDS exposure (1):" in alert["Message"] and REACHABLE in alert["Message"]
    assert alert["Subject"] == "ecs-netaudit ISOLATED on prod: IMDS exposure in 1 task"
    assert alert["MessageAttributes"]["verdict"]["StringValue"] == "ISOLATED"
    assert result["securityHubImdsExposure"] == {"imported": 1, "resolved": 0, "archived": 0, "failed": 0}
    assert result["securityHub"]["imported"] == 0  # no isolation finding: nothing violated


def test_parameter_off_lists_nothing_alerts_nothing_imports_nothing(aws: Any) -> None:
    result, sns, evidence = _run(aws, MIXED, "run-1", imds_exposure=False)
    assert result["verdict"] == "ISOLATED"
    assert "imdsExposure" not in result and "imdsExposure" not in result["counts"]
    assert "imdsExposure" not in evidence and "IMDS exposure" not in result["cause"]
    assert sns.sent == [] and "securityHubImdsExposure" not in result
    assert _hub_findings(aws[1]) == {}


def test_exposure_finding_is_distinct_and_resolved_by_blocked_never_by_unknown(aws: Any) -> None:
    hub = aws[1]
    both = [_task(1, "bridge", REACHABLE, verdict="VIOLATION") | {"reasons": ["x"]}]
    _run(aws, both, "run-1")
    found = _hub_findings(hub)
    assert set(found) == {imds_finding_id(ARN.format(1)), isolation_finding_id(ARN.format(1))}
    exposure = found[imds_finding_id(ARN.format(1))]
    assert exposure["GeneratorId"] == IMDS_GENERATOR
    assert exposure["Types"] != found[isolation_finding_id(ARN.format(1))]["Types"]
    assert (exposure["RecordState"], exposure["Compliance"]["Status"]) == ("ACTIVE", "FAILED")
    assert REACHABLE in exposure["Description"]

    result, _, _ = _run(aws, [_task(1, "bridge", "unknown (iptables-save not found)")], "run-2")
    assert result["securityHubImdsExposure"]["resolved"] == 0
    assert _hub_findings(hub)[imds_finding_id(ARN.format(1))]["RecordState"] == "ACTIVE"

    result, _, _ = _run(aws, [_task(1, "bridge", BLOCKED)], "run-3")
    assert result["securityHubImdsExposure"]["resolved"] == 1
    closed = _hub_findings(hub)[imds_finding_id(ARN.format(1))]
    assert (closed["RecordState"], closed["Compliance"]["Status"]) == ("ARCHIVED", "PASSED")


def test_cluster_audit_archives_the_exposure_of_a_task_that_is_gone(aws: Any) -> None:
    _run(aws, [_task(1, "bridge", REACHABLE)], "run-1")
    result, _, _ = _run(aws, [_task(2, "bridge", BLOCKED)], "run-2")
    assert result["securityHubImdsExposure"]["archived"] == 1
    gone = _hub_findings(aws[1])[imds_finding_id(ARN.format(1))]
    assert (gone["RecordState"], gone["Compliance"]["Status"]) == ("ARCHIVED", "FAILED")


def test_state_output_bounds_the_list_the_count_keeps_all(aws: Any) -> None:
    many = [_task(n, "awsvpc", "reachable (via eth0 10.0.0.1)") for n in range(30)]
    result, _, evidence = _run(aws, many, "run-1")
    out = state_output(result)
    assert len(out["imdsExposure"]) == 20 and out["counts"]["imdsExposure"] == 30
    assert len(evidence["imdsExposure"]) == 30

