"""`netaudit demo --cluster` on the local Docker engine: mixed modes, one tampered task."""

import secrets
from pathlib import Path

import pytest

from netaudit_local.demo.cluster import ClusterDemo, ClusterDemoResult, ClusterDockerHost, run_cluster_demo
from netaudit_local.demo.report import render_cluster

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("tamper", ["extra-interface", "host-netns"])
def test_cluster_demo_names_exactly_the_tampered_task(docker_engine: None, tamper: str) -> None:
    host = ClusterDockerHost(run_label=f"na-t-cluster-demo-{tamper}-{secrets.token_hex(3)}")
    result = run_cluster_demo(ClusterDemo(tamper=tamper), host)  # type: ignore[arg-type]
    assert result.leftovers == []
    assert result.status == "FAILED" and result.verdict == "VIOLATION", result.report.get("cause")
    assert len(result.tampered) == 1
    (tampered,) = result.tampered
    verdicts = {t["taskArn"]: t for t in result.evidence["tasks"]}
    assert set(verdicts) == set(result.tasks)  # every started task audited, none missed
    assert [a for a, t in verdicts.items() if t["verdict"] != "ISOLATED"] == [tampered]
    reasons = " ".join(verdicts[tampered]["reasons"])
    assert ("dummy0" in reasons) if tamper == "extra-interface" else ("host" in reasons)
    assert result.ssm_commands == 1  # one command for the one instance, every task
    assert tampered in result.report["cause"]
    assert "VIOLATION" in render_cluster(result)


def test_cli_demo_cluster_json(
    docker_engine: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import json

    from netaudit_cli.main import main

    html = tmp_path / "cluster.html"
    assert main(["demo", "--cluster", "--json", "--html", str(html)]) == 1  # VIOLATION
    document = json.loads(capsys.readouterr().out)
    assert document["verdict"] == "VIOLATION" and document["leftovers"] == []
    # two local clusters audited in one execution, one SSM command per container instance
    assert document["clusters"] == ["default", "blue"] and document["ssmCommands"] == 2
    by_cluster = document["report"]["countsByCluster"]
    assert {c: n["tasks"] for c, n in by_cluster.items()} == {"default": 3, "blue": 2}
    (tampered,) = document["tampered"]
    assert by_cluster[tampered.split("/")[-2]]["violation"] == 1
    assert [t["taskArn"] for t in document["report"]["tasks"] if t["verdict"] != "ISOLATED"] == [tampered]
    page = html.read_text()  # the HTML report the Report step stored, copied out of moto's S3
    assert page.count('class="task ') == 5 and page.index(tampered) < page.index('class="task isolated"')


def _bottlerocket_demo(tmp_path: Path, admin_enabled: bool) -> tuple[ClusterDemoResult, Path]:
    """The two-cluster demo, untampered, its `blue` host Bottlerocket-shaped with the admin
    container on or off; with the HTML report copied out."""
    from netaudit_cli.artifacts import OutputFiles

    label = f"na-t-cluster-br-{'on' if admin_enabled else 'off'}-{secrets.token_hex(3)}"
    html = tmp_path / "report.html"
    demo = ClusterDemo(
        tamper=None,
        clusters=("default", "blue"),
        bottlerocket_admin=admin_enabled,
        outputs=OutputFiles(html=str(html)),
    )
    result = run_cluster_demo(demo, ClusterDockerHost(run_label=label))
    return result, html


def test_bottlerocket_host_with_the_admin_container_off_is_inconclusive_and_only_its_tasks(
    docker_engine: None, tmp_path: Path
) -> None:
    result, html = _bottlerocket_demo(tmp_path, admin_enabled=False)
    assert result.leftovers == []
    assert result.verdict == "INCONCLUSIVE", result.report.get("cause")
    verdicts = {t["taskArn"]: t for t in result.evidence["tasks"]}
    assert set(verdicts) == set(result.tasks)
    by_cluster: dict[str, set[str]] = {}
    for task in verdicts.values():
        by_cluster.setdefault(task["cluster"], set()).add(task["verdict"])
    # the Amazon Linux-shaped host's tasks are verified; the Bottlerocket one's are never ISOLATED
    assert by_cluster == {"default": {"ISOLATED"}, "blue": {"INCONCLUSIVE"}}
    for task in verdicts.values():
        if task["cluster"] == "blue":
            (coded,) = [r for r in task["reasons"] if "[BOTTLEROCKET_ADMIN_OFF]" in r]
            assert "settings.host-containers.admin.enabled=true" in coded
    coverage = result.report["coverage"]
    assert coverage["verified"] == 3 and coverage["notVerifiable"] == 2
    assert coverage["reasons"]["notVerifiable"] == {"Bottlerocket (admin container off)": 2}
    (row,) = coverage["platforms"].values()
    assert row["tasks"] == 2 and "settings.host-containers.admin.enabled=true" in row["verifiableWhen"]
    page = html.read_text()
    assert "Not verifiable, by platform" in page and "BOTTLEROCKET_ADMIN_OFF" in page
    assert "settings.host-containers.admin.enabled=true" in page
    assert "not verifiable 2 (Bottlerocket (admin container off) 2)" in result.report["cause"]


def test_the_evidence_the_html_and_the_demo_say_which_host_was_read_through_bottlerocket_admin(
    docker_engine: None, tmp_path: Path
) -> None:
    result, html = _bottlerocket_demo(tmp_path, admin_enabled=True)
    assert result.leftovers == [] and result.verdict == "ISOLATED", result.report.get("cause")
    access = {h["cluster"]: h["hostAccess"] for h in result.evidence["hosts"]}
    assert access == {"default": "direct", "blue": "bottlerocket-admin"}
    hosts = html.read_text().split('<section id="hosts">')[1].split("</section>")[0]
    assert hosts.count("Bottlerocket admin container") == 1 and hosts.count("direct") == 1
    shown = render_cluster(result)
    (line,) = [x for x in shown.splitlines() if "Bottlerocket" in x]
    assert "apiclient exec admin sheltie" in line
