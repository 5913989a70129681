"""IMDS exposure end to end on the real engine: a bridge task, a host firewall without a DOCKER-USER
rule (a stubbed iptables-save: the host's own firewall is not ours to read or change), through the
local state machine to the report. Nothing is sent: IMDS is looked up, never contacted."""

import secrets
from pathlib import Path

import pytest

from netaudit_local.demo.cluster import ClusterDemo, ClusterDockerHost, run_cluster_demo
from netaudit_local.demo.report import render_cluster
from netaudit_local.hosts.ssm_runner import DEFAULT_PATH

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("report_exposure", ["true", "false"])
def test_bridge_task_exposed_to_imds_reaches_the_report_verdict_isolated(
    docker_engine: None, tmp_path: Path, report_exposure: str
) -> None:
    script = tmp_path / "iptables-save"  # an open FORWARD chain, DOCKER-USER without a DROP
    rules = "*filter\n:FORWARD ACCEPT [0:0]\n:DOCKER-USER - [0:0]\nCOMMIT"
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{rules}\nEOF\n")
    script.chmod(0o755)
    host = ClusterDockerHost(
        run_label=f"na-t-imds-exposure-{secrets.token_hex(3)}", probe_path=f"{tmp_path}:{DEFAULT_PATH}"
    )
    parameters = {"ReportImdsExposure": report_exposure}  # template -> Report's environment
    result = run_cluster_demo(ClusterDemo(("bridge",), tamper=None, parameters=parameters), host)
    assert result.leftovers == []
    assert result.status == "SUCCEEDED" and result.verdict == "ISOLATED", result.report.get("cause")
    (arn,) = result.tasks
    if report_exposure == "false":  # the finding is off; the task's IMDS line is still evidence
        assert "imdsExposure" not in result.evidence and "IMDS exposure" not in result.report["cause"]
        (task,) = result.evidence["tasks"]
        assert task["imds"].startswith("reachable (via eth0")
        assert f"IMDS: {task['imds']}" in render_cluster(result)
        return
    (exposed,) = result.evidence["imdsExposure"]
    assert exposed["taskArn"] == arn and exposed["imds"].startswith("reachable (via eth0"), exposed
    assert result.report["counts"]["imdsExposure"] == 1
    assert "IMDS exposure (1):" in result.report["cause"]
    assert f"IMDS: {exposed['imds']}" in render_cluster(result)
