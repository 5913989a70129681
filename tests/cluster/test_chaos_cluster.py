"""The cluster audit when AWS throttles, fails and loses answers (issue 25), on simulated hosts:
verdicts kept (or INCONCLUSIVE naming the failed call), every task once, each host probed once,
the evidence written; and each call the audit must not repeat, with its answer lost."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from cluster_harness import evidence_of, report_of

from netaudit import aws_clients
from netaudit_local.cloud import chaos
from netaudit_local.cloud.account import REGION
from netaudit_local.cloud.aws import Seams, local_aws
from netaudit_local.hosts.fleet import FleetHost, Placer, fleet_hosts, spread
from netaudit_local.stack import ExecutionResult, LocalStack, create_stack, run_execution

# what an INCONCLUSIVE reason caused by an injected fault names: the call or the AWS error
FAULT_WORDS = ("when calling the", "Throttl", "SlowDown", "Internal", "ServerException", "Read timeout")


class Cluster:
    def __init__(self, seams: Seams, stack: LocalStack, hosts: list[FleetHost], c: chaos.Chaos) -> None:
        self.seams, self.stack, self.hosts, self.chaos = seams, stack, hosts, c
        placer = Placer(seams, stack.cluster, stack.container_instances, stack.subnet_id)
        self.arns = [a for h in hosts for a in placer.place(h, spread(4 * len(hosts), hosts)[h.instance_id])]
        self.tampered = self.arns[1]
        seams.hosts[seams.task_hosts[self.tampered]].violating.add(self.tampered)  # type: ignore[attr-defined]

    def run(self) -> ExecutionResult:
        payload = {"target": {"kind": "cluster"}, "pollIntervalSeconds": 0}
        return run_execution(self.stack, "chaos-1", payload, timeout_s=300)

    def commands_per_host(self) -> dict[str, int]:
        counts = dict.fromkeys((h.instance_id for h in self.hosts), 0)
        for _, iid in self.seams.commands:
            counts[iid] += 1
        return counts


@pytest.fixture
def cluster() -> Iterator[Any]:
    """`cluster(chaos, hosts=3, **stack parameters)`: 4 tasks a host (every mode), one tampered."""
    with local_aws([], in_progress_polls=0) as seams:

        def make(c: chaos.Chaos, hosts: int = 3, **params: str) -> Cluster:
            fleet = fleet_hosts(hosts)
            for host in fleet:
                seams.hosts[host.instance_id] = host
            stack = create_stack(seams, params)
            assert seams.exit_stack is not None
            c.install(seams.exit_stack)  # the audit's clients (built from here on) inherit it
            aws_clients.reset()
            return Cluster(seams, stack, fleet, c)

        yield make


def assert_holds(cl: Cluster, result: ExecutionResult) -> dict[str, Any]:
    """What must hold at any fault rate; the report."""
    assert result.error and not result.error.startswith("States."), (result.error, result.cause)
    report = report_of(result)
    assert report["verdict"] in ("VIOLATION", "INCONCLUSIVE")
    verdicts = [(t["taskArn"], t["verdict"], " ".join(t.get("reasons", []))) for t in report["tasks"]]
    assert sorted(a for a, _, _ in verdicts) == sorted(cl.arns)  # every task, once
    for arn, verdict, reasons in verdicts:
        expected = "VIOLATION" if arn == cl.tampered else "ISOLATED"
        assert verdict in (expected, "INCONCLUSIVE"), (arn, verdict, reasons)
        if verdict == "INCONCLUSIVE":
            assert any(word in reasons for word in FAULT_WORDS), reasons
    assert all(n <= 1 for n in cl.commands_per_host().values()), cl.commands_per_host()
    assert evidence_of(result)["report"]["verdict"] == report["verdict"]  # the evidence written
    return report


@pytest.mark.parametrize(("rate", "seed"), [(0.05, 5), (0.1, 10), (0.2, 20)])
def test_cluster_audit_keeps_its_verdicts_under_faults(cluster: Any, rate: float, seed: int) -> None:
    cl = cluster(chaos.Chaos(rate, seed))
    result = cl.run()
    report = assert_holds(cl, result)
    assert cl.chaos.faults() > 0 and sum(cl.chaos.retries.values()) > 0, cl.chaos.summary()
    # these seeds' faults were all absorbed by the retries: the verdicts are the fault-free ones
    assert report["counts"]["violation"] == 1 and report["counts"]["inconclusive"] == 0, cl.chaos.summary()


def test_faults_beyond_the_retries_make_the_hosts_tasks_inconclusive_naming_the_call(cluster: Any) -> None:
    """SendCommand failing (5xx) on every call: the host's tasks INCONCLUSIVE naming the call and the
    AWS error, never ISOLATED; the evidence still written."""
    cl = cluster(chaos.Chaos(0, script={"ssm.SendCommand": ["server"] * 3}), hosts=1)
    result = cl.run()
    report = assert_holds(cl, result)
    assert report["counts"]["inconclusive"] == 4 and report["verdict"] == "INCONCLUSIVE"
    reasons = " ".join(r for t in report["tasks"] for r in t["reasons"])
    assert "SendCommand" in reasons and "InternalFailure" in reasons
    assert cl.commands_per_host() == {cl.hosts[0].instance_id: 0}


@pytest.mark.parametrize("kind", ["lost", "server"])
def test_send_command_answer_lost_probes_each_host_once(cluster: Any, kind: str) -> None:
    cl = cluster(chaos.Chaos(0, script={"ssm.SendCommand": [kind, kind]}))
    result = cl.run()
    report = assert_holds(cl, result)
    assert report["counts"]["violation"] == 1 and report["counts"]["inconclusive"] == 0
    assert cl.chaos.injected[("ssm.SendCommand", kind)] == 2
    assert cl.commands_per_host() == {h.instance_id: 1 for h in cl.hosts}  # found, not sent again


def _alert_queue(stack: LocalStack) -> tuple[Any, str]:
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="chaos-alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns", region_name=REGION).subscribe(TopicArn=stack.topic_arn, Protocol="sqs", Endpoint=arn)
    return sqs, queue


def test_alert_publish_answer_lost_is_delivered_at_least_once(cluster: Any) -> None:
    """SNS Publish has no idempotency token and a standard topic delivers at least once anyway
    (SNS developer guide, "Message delivery"): the retried Publish may deliver the same alert
    twice, never none and never a different one."""
    cl = cluster(chaos.Chaos(0, script={"sns.Publish": ["lost"]}))
    sqs, queue = _alert_queue(cl.stack)
    assert_holds(cl, cl.run())
    got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    bodies = {json.loads(m["Body"])["Message"] for m in got}
    assert len(got) == 2 and len(bodies) == 1 and cl.tampered in bodies.pop()


def test_findings_answer_lost_imports_each_finding_once(cluster: Any) -> None:
    """BatchImportFindings updates a finding with the same Id (Security Hub API reference): a
    retried import is one finding per task."""
    cl = cluster(chaos.Chaos(0, script={"securityhub.BatchImportFindings": ["lost"]}),
                 EnableSecurityHubFindings="true")  # fmt: skip
    hub = boto3.client("securityhub", region_name=REGION)
    hub.enable_security_hub()
    assert_holds(cl, cl.run())
    findings = hub.get_findings()["Findings"]
    assert [f["Resources"][0]["Id"] for f in findings] == [cl.tampered]


def test_evidence_put_answer_lost_is_the_same_evidence(cluster: Any) -> None:
    """PutObject of the same key and body again: the bucket keeps the same evidence (with Object
    Lock's versioning, one more identical version)."""
    cl = cluster(chaos.Chaos(0, script={"s3.PutObject": ["lost"] * 3}))
    result = cl.run()
    report = assert_holds(cl, result)
    assert report["counts"]["violation"] == 1 and report["counts"]["inconclusive"] == 0
    assert cl.chaos.injected[("s3.PutObject", "lost")] == 3
