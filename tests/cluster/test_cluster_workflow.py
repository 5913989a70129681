"""The cluster / tasks audit on the real ASL (moto's engine), the real handlers, simulated hosts.

Hosts are `FleetHost`s: each answers the probe with a synthetic document for exactly the tasks
placed on it, so many tasks on many instances cost no Docker.
"""

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from cluster_harness import evidence_of, report_of

from netaudit.workflow.prepare import parse_input
from netaudit_local.cloud.account import REGION
from netaudit_local.cloud.aws import Seams, local_aws
from netaudit_local.hosts.fleet import FleetHost, Placer, fleet_hosts, spread
from netaudit_local.hosts.recorded_host import Faults
from netaudit_local.stack import ExecutionResult, LocalStack, create_stack, run_execution

PER_HOST = ("SendProbe", "WaitForProbe", "GetProbe", "ProbeDone", "EvaluateHost")


@dataclass
class Fleet:
    seams: Seams
    stack: LocalStack
    hosts: list[FleetHost]
    placer: Placer
    runs: int = 0

    def place(self, layout: dict[str, list[str]]) -> list[str]:
        arns: list[str] = []
        for host in self.hosts:
            arns += self.placer.place(host, layout.get(host.instance_id, []))
        return arns

    def run(self, target: dict[str, Any] | None = None, **extra: Any) -> ExecutionResult:
        self.runs += 1
        payload = {"target": target or {"kind": "cluster"}, "pollIntervalSeconds": 0, **extra}
        return run_execution(self.stack, f"cluster-{self.runs}", payload, timeout_s=120)

    def evidence(self, result: ExecutionResult) -> dict[str, Any]:
        return evidence_of(result)



@pytest.fixture
def fleet() -> Iterator[Any]:
    """`fleet(n_hosts, faults={index: Faults}, **stack parameters)` -> a local stack with n FleetHosts."""
    with local_aws([], in_progress_polls=0) as seams:

        def make(count: int, faults: dict[int, Faults] | None = None, **params: str) -> Fleet:
            hosts = fleet_hosts(count)
            for index, fault in (faults or {}).items():
                hosts[index].faults = fault
            for host in hosts:
                seams.hosts[host.instance_id] = host
            stack = create_stack(seams, params)
            placer = Placer(seams, stack.cluster, stack.container_instances, stack.subnet_id)
            return Fleet(seams, stack, hosts, placer)

        yield make


def _commands(seams: Seams) -> list[str]:
    return [record.instance_id for record in seams.commands.values()]


def test_cluster_audit_finds_exactly_the_violating_task(fleet: Any) -> None:
    f = fleet(3)
    arns = f.place(spread(12, f.hosts))
    bad = arns[5]
    f.seams.hosts[f.seams.task_hosts[bad]].violating.add(bad)  # type: ignore[attr-defined]
    result = f.run()
    assert result.status == "FAILED" and result.error == "IsolationViolated", result.cause
    cause = result.cause or ""
    assert "1 of 12 tasks" in cause and "dummy0" in cause and "evidence: s3://" in cause
    report = report_of(result)
    assert report["counts"]["violation"] == 1 and report["counts"]["isolated"] == 11
    assert [t["taskArn"] for t in report["tasks"] if t["verdict"] == "VIOLATION"] == [bad]
    assert set(report["countsByMode"]) == {"none", "bridge", "host", "awsvpc"}
    # one SSM command per instance, no task filter when a host runs several tasks
    assert sorted(_commands(f.seams)) == sorted(h.instance_id for h in f.hosts)
    assert all(host.commands == [{"taskArn": ""}] for host in f.hosts)
    # one Express child execution per group of hosts (up to 25), not per task
    assert len(result.children) == 1
    entered = result.entered()
    assert all(entered.count(s) == 3 for s in PER_HOST), entered
    evidence = f.evidence(result)
    assert evidence["report"]["verdict"] == "VIOLATION"
    assert len(evidence["tasks"]) == 12 and evidence["notProbed"] == []
    key = report["evidenceUri"].split("/", 3)[3]
    assert key.startswith("audits/") and key.endswith(f"/{result.execution_arn.rsplit(':', 1)[1]}.json")
    # per-host results stayed out of the state
    for event in result.history:
        details = event.get("stateExitedEventDetails") or {}
        if details.get("name") == "ProbeHosts":
            assert '"containers"' not in details["output"]


def test_each_host_group_is_a_child_execution_with_its_own_history(fleet: Any) -> None:
    f = fleet(4)
    arns = f.place(spread(16, f.hosts))
    f.seams.hosts[f.seams.task_hosts[arns[3]]].violating.add(arns[3])  # type: ignore[attr-defined]
    result = f.run()
    assert result.error == "IsolationViolated", result.cause
    parent = [
        e["stateEnteredEventDetails"]["name"] for e in result.history if e["type"].endswith("StateEntered")
    ]
    assert "ProbeHosts" in parent and "SendProbe" not in parent  # the children's, not the parent's
    assert len(result.children) == 1  # 4 hosts: one group, one Express child
    (child,) = result.children
    names = [e["stateEnteredEventDetails"]["name"] for e in child if e["type"].endswith("StateEntered")]
    assert names[0] == "ProbeHostGroup" and names.count("SendProbe") == names.count("EvaluateHost") == 4
    report = report_of(result)
    assert report["counts"] == {
        "tasks": 16,
        "isolated": 15,
        "violation": 1,
        "inconclusive": 0,
        "notProbed": 0,
        "hosts": 4,
        "imdsExposure": 0,  # the recorded hosts' bridge/awsvpc tasks have no reachable IMDS
    }


def test_failed_command_makes_only_that_hosts_tasks_inconclusive(fleet: Any) -> None:
    failing = Faults(
        pending_polls=0, command_status="Failed", command_exit_code=127, command_stderr="nsenter: not found"
    )
    f = fleet(2, faults={1: failing})
    arns = f.place(spread(6, f.hosts))
    result = f.run()
    assert result.status == "FAILED" and result.error == "ProbeFailed", result.cause
    report = report_of(result)
    by_arn = {t["taskArn"]: t for t in f.evidence(result)["tasks"]}
    on_failing = {a for a in arns if f.seams.task_hosts[a] == f.hosts[1].instance_id}
    assert len(on_failing) == 3
    for arn, task in by_arn.items():
        expected = "INCONCLUSIVE" if arn in on_failing else "ISOLATED"
        assert task["verdict"] == expected, (arn, task)
    assert all("nsenter: not found" in by_arn[a]["reasons"][0] for a in on_failing)
    assert report["counts"]["isolated"] == 3 and report["counts"]["inconclusive"] == 3
    assert f"{f.hosts[1].instance_id}: ProbeFailed" in (result.cause or "")


def test_host_not_online_does_not_fail_the_cluster_audit(fleet: Any) -> None:
    f = fleet(2, faults={0: Faults(pending_polls=0, ping_status="ConnectionLost")})
    f.place(spread(4, f.hosts))
    result = f.run()
    assert result.error == "HostNotManaged", result.cause
    assert "ConnectionLost" in (result.cause or "")
    report = report_of(result)
    assert report["counts"]["inconclusive"] == 2 and report["counts"]["isolated"] == 2
    assert _commands(f.seams) == [f.hosts[1].instance_id]  # nothing sent to the lost one


def _alert_queue(f: Fleet) -> tuple[Any, str]:
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    boto3.client("sns", region_name=REGION).subscribe(
        TopicArn=f.stack.topic_arn, Protocol="sqs", Endpoint=attrs["QueueArn"]
    )
    return sqs, queue


def test_empty_cluster_is_nothing_to_audit(fleet: Any) -> None:
    f = fleet(2)
    sqs, queue = _alert_queue(f)
    result = f.run({"kind": "cluster", "networkModes": ["none"]})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output is not None and result.output["verdict"] == "NOTHING_TO_AUDIT"
    assert "nothing to audit" in result.output["cause"] and "networkMode none" in result.output["cause"]
    assert "NothingToAudit" in result.entered() and "SendProbe" not in result.entered()
    assert f.seams.commands == {}
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)  # nothing wrong: no alert
    assert f.evidence(result)["tasks"] == []


def test_mode_filter_audits_only_those_modes(fleet: Any) -> None:
    f = fleet(1)
    f.place({f.hosts[0].instance_id: ["none", "bridge", "host"]})
    result = f.run({"kind": "cluster", "networkModes": ["none", "host"]})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output is not None
    assert sorted(t["declaredMode"] for t in result.output["tasks"]) == ["host", "none"]


def test_tasks_kind_reports_unknown_tasks_inconclusive(fleet: Any) -> None:
    f = fleet(1)
    arns = f.place({f.hosts[0].instance_id: ["none", "bridge"]})
    gone = arns[0][:-32] + "0" * 32
    result = f.run({"kind": "tasks", "taskArns": [*arns, gone]})
    assert result.error == "AuditInconclusive", result.cause
    report = report_of(result)
    assert report["counts"]["isolated"] == 2 and report["counts"]["inconclusive"] == 1
    assert "not probed" in (result.cause or "") and gone in (result.cause or "")


def test_alert_is_one_readable_message(fleet: Any) -> None:
    f = fleet(2)
    arns = f.place(spread(30, f.hosts))
    f.hosts[0].violating.add(arns[0])
    sqs, queue = _alert_queue(f)
    result = f.run()
    assert result.error == "IsolationViolated"
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    body = json.loads(messages[0]["Body"])
    assert body["Subject"] == "ecs-netaudit VIOLATION on default: 1 violating, 0 inconclusive of 30 tasks"
    text = body["Message"]
    assert arns[0] in text and "dummy0" in text and "evidence: s3://" in text
    assert sum(1 for line in text.splitlines() if line.startswith("- arn:")) == 1  # ISOLATED not listed


def test_security_hub_findings_when_enabled(fleet: Any) -> None:
    # the stack parameter, as a deployment sets it: the Report role gets the Security Hub statements
    f = fleet(1, EnableSecurityHubFindings="true")
    arns = f.place({f.hosts[0].instance_id: ["none", "bridge"]})
    f.hosts[0].violating.add(arns[0])
    hub = boto3.client("securityhub", region_name=REGION)
    hub.enable_security_hub()
    result = f.run()
    assert result.error == "IsolationViolated"
    assert report_of(result)["securityHub"] == {"imported": 1, "resolved": 0, "archived": 0, "failed": 0}
    findings = hub.get_findings()["Findings"]
    assert [x["Resources"][0]["Id"] for x in findings] == [arns[0]]

    # the violating task is replaced: the next cluster audit archives its finding (not PASSED)
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.stop_task(cluster=f.stack.cluster, task=arns[0], reason="replaced")
    again = f.run()
    assert again.status == "SUCCEEDED", again.cause
    assert report_of(again)["securityHub"] == {"imported": 0, "resolved": 0, "archived": 1, "failed": 0}
    [finding] = hub.get_findings()["Findings"]
    assert finding["RecordState"] == "ARCHIVED" and finding["Compliance"]["Status"] == "FAILED"
    assert finding["CreatedAt"] == findings[0]["CreatedAt"]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({"kind": "cluster", "networkModes": ["nat"]}, "target.networkModes[0]: Input should be"),
        ({"kind": "cluster", "networkModes": []}, "target.networkModes: List should have at least 1"),
        ({"kind": "cluster", "taskArns": []}, "target.taskArns: unknown field"),
    ],
)
def test_cluster_input_errors_name_the_field(target: dict[str, Any], expected: str) -> None:
    from netaudit.errors import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        parse_input({"target": target})
    assert expected in exc.value.message


def test_cluster_input_defaults() -> None:
    parsed = parse_input({"target": {"kind": "cluster"}, "maxConcurrency": 5})
    assert parsed.target.kind == "cluster"
    assert parsed.target.network_modes == ["none", "bridge", "host", "awsvpc"]  # type: ignore[union-attr]
    assert parsed.max_concurrency == 5
    from netaudit.errors import InvalidInput

    # a top-level "cluster" error still names "cluster" (only target.<kind> tags are dropped)
    with pytest.raises(InvalidInput, match=r"^invalid input: cluster: expected"):
        parse_input({"cluster": "has space", "target": {"kind": "cluster"}})


def _layout(hosts: Sequence[FleetHost], per_host: int) -> dict[str, list[str]]:
    return {h.instance_id: ["none"] * per_host for h in hosts}


def test_transitions_grow_with_hosts_not_tasks(fleet: Any) -> None:
    f = fleet(3)
    f.place(_layout(f.hosts, 1))
    few = f.run()
    f.place(_layout(f.hosts, 9))
    many = f.run()
    assert few.status == many.status == "SUCCEEDED", (few.cause, many.cause)
    assert few.transitions == many.transitions
    assert few.lambda_invocations == many.lambda_invocations
    assert few.output and many.output
    assert few.output["counts"]["tasks"] == 3 and many.output["counts"]["tasks"] == 30


def test_unexpected_fault_on_one_host_leaves_the_others_audited(fleet: Any, monkeypatch: Any) -> None:
    """An error no Catch names (here AccessDenied on GetCommandInvocation) ends only that host's
    tasks INCONCLUSIVE, with the error kept; it does not abort the audit of the other hosts."""
    from botocore.exceptions import ClientError

    from netaudit.workflow import probe_runner

    f = fleet(2)
    arns = f.place(spread(4, f.hosts))
    broken = f.hosts[1].instance_id
    real_get = probe_runner.get

    def get(ssm: Any, host: Any, sent: Any, now: float) -> Any:
        if host.instance_id == broken:
            error = {"Code": "AccessDeniedException", "Message": "not authorized: ssm:GetCommandInvocation"}
            raise ClientError({"Error": error}, "GetCommandInvocation")
        return real_get(ssm, host, sent, now)

    monkeypatch.setattr(probe_runner, "get", get)
    result = f.run()
    assert result.status == "FAILED" and result.error == "ClientError", result.cause
    assert result.entered().count("EvaluateHost") == 2  # the fault is judged like any probe error
    on_broken = {a for a in arns if f.seams.task_hosts[a] == broken}
    by_arn = {t["taskArn"]: t for t in f.evidence(result)["tasks"]}
    assert len(on_broken) == 2 and len(by_arn) == 4
    for arn, task in by_arn.items():
        assert task["verdict"] == ("INCONCLUSIVE" if arn in on_broken else "ISOLATED"), (arn, task)
    assert all("AccessDeniedException" in by_arn[a]["reasons"][0] for a in on_broken)
    assert f"{broken}: ClientError" in (result.cause or "")
