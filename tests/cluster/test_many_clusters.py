"""One stack, several clusters (ClusterName a list or `*`): one execution audits the tasks of
every cluster of its input, one SSM command per instance whatever its cluster, and the report,
the evidence and the Security Hub findings name each task's cluster (issue 15 item 2)."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from cluster_harness import evidence_of, report_of

from netaudit_local.cloud.account import REGION
from netaudit_local.cloud.aws import local_aws
from netaudit_local.hosts.fleet import FleetHost, Placer, fleet_hosts
from netaudit_local.stack import ExecutionResult, LocalStack, create_stack, run_execution


class Clusters:
    """A local stack whose hosts are container instances of the clusters given to `make`."""

    def __init__(self, seams: Any, stack: LocalStack, hosts: list[FleetHost]) -> None:
        self.seams, self.stack, self.hosts = seams, stack, hosts
        self.runs = 0

    def place(self, host: FleetHost, modes: list[str]) -> list[str]:
        placer = Placer(self.seams, host.cluster, self.stack.container_instances, self.stack.subnet_id)
        return placer.place(host, modes)

    def run(self, payload: dict[str, Any]) -> ExecutionResult:
        self.runs += 1
        return run_execution(self.stack, f"clusters-{self.runs}", {"pollIntervalSeconds": 0, **payload})

    def evidence(self, result: ExecutionResult) -> dict[str, Any]:
        return evidence_of(result)



@pytest.fixture
def clusters() -> Iterator[Any]:
    """`clusters(["default", "blue", "prod"], ClusterName="default,blue")`: one host per cluster."""
    with local_aws([], in_progress_polls=0) as seams:

        def make(names: list[str], **params: str) -> Clusters:
            hosts = fleet_hosts(len(names))
            for host, name in zip(hosts, names, strict=True):
                host.cluster = name
                seams.hosts[host.instance_id] = host
            return Clusters(seams, create_stack(seams, params), hosts)

        yield make


def test_two_clusters_in_one_execution(clusters: Any) -> None:
    c = clusters(["default", "blue", "prod"], ClusterName="default,blue", EnableSecurityHubFindings="true")
    default, blue, prod = c.hosts
    c.place(default, ["none", "bridge"])
    bad = c.place(blue, ["none", "awsvpc"])[0]
    c.place(prod, ["none"])  # a cluster out of the stack's scope: never looked at
    blue.violating.add(bad)
    boto3.client("securityhub", region_name=REGION).enable_security_hub()
    result = c.run({"clusters": "*", "target": {"kind": "cluster"}})
    assert result.error == "IsolationViolated", result.cause
    report = report_of(result)
    assert report["counts"]["tasks"] == 4 and report["counts"]["violation"] == 1
    by_cluster = report["countsByCluster"]
    assert set(by_cluster) == {"default", "blue"}
    assert by_cluster["default"]["isolated"] == 2 and by_cluster["blue"]["violation"] == 1
    assert by_cluster["blue"]["coverage"] == {"inScope": 2, "verified": 2, "percent": 100.0}
    cause = result.cause or ""
    assert "clusters: default, blue" in cause and "per cluster (2):" in cause
    assert f"{bad} [declared none] on {blue.instance_id} (cluster blue) VIOLATION" in cause
    # one SSM command per instance of the audited clusters, none to the other cluster's
    sent = sorted(r.instance_id for r in c.seams.commands.values())
    assert sent == sorted([default.instance_id, blue.instance_id])
    evidence = c.evidence(result)
    assert {t["taskArn"]: t["cluster"] for t in evidence["tasks"]}[bad] == "blue"
    assert {h["instanceId"]: h["cluster"] for h in evidence["hosts"]} == {
        default.instance_id: "default",
        blue.instance_id: "blue",
    }
    (finding,) = boto3.client("securityhub", region_name=REGION).get_findings()["Findings"]
    assert finding["Resources"][0]["Details"]["AwsEcsTask"]["ClusterArn"].endswith(":cluster/blue")


def test_a_cluster_out_of_scope_is_refused_naming_the_field_and_the_list(clusters: Any) -> None:
    c = clusters(["default", "blue", "prod"], ClusterName="default,blue")
    c.place(c.hosts[2], ["none"])
    result = c.run({"clusters": ["blue", "prod"], "target": {"kind": "cluster"}})
    assert (result.status, result.error) == ("FAILED", "InvalidInput")
    assert "clusters[1]: this deployment may only audit clusters 'default', 'blue', not 'prod'" in (
        result.cause or ""
    )
    invoked = {i.function.removeprefix("netaudit-") for i in c.seams.invocations}
    # nothing probed: Prepare refused it, Report explained it, the janitor found nothing to stop
    assert invoked == {"PrepareFunction", "ReportFunction", "CanaryJanitorFunction"}, invoked
    assert c.seams.commands == {} and result.janitor and result.janitor["stoppedTasks"] == []


def test_a_canary_runs_in_one_cluster_of_the_scope(clusters: Any) -> None:
    c = clusters(["default", "blue"], ClusterName="default,blue")
    result = c.run({"clusters": ["default", "blue"]})  # the default target: a canary
    assert result.error == "InvalidInput" and "clusters: a canary runs in one cluster, not 2" in (
        result.cause or ""
    )


def test_every_cluster_lists_the_clusters_of_the_account(clusters: Any) -> None:
    c = clusters(["default", "blue"], ClusterName="*")
    c.place(c.hosts[0], ["none"])
    c.place(c.hosts[1], ["bridge"])
    result = c.run({"target": {"kind": "cluster"}})
    assert result.status == "SUCCEEDED", result.cause
    report = report_of(result)
    assert set(report["countsByCluster"]) == {"default", "blue"} and report["counts"]["isolated"] == 2
    assert "clusters (every cluster of the account and region): blue, default" in report["cause"]
