"""Escape routes and IMDS status, rule by rule (pure; the real-engine cases are in
test_exposure_docker.py), and a join to a container outside the task."""

import json

import pytest

from netaudit.models.probe import Escape, HostFirewall, NamespaceDump
from netaudit.models.verdict import ExpectedTask
from netaudit.probe.parse import repair_json
from netaudit.verdict import evaluate_probe
from netaudit.verdict.exposure import escape_findings, imds_status
from recordings import EXPECTATIONS, probe


@pytest.mark.parametrize(
    ("escape", "violation"),
    [
        (Escape(privileged=True), "privileged"),
        (Escape(pid_mode="host", cap_add=["CAP_SYS_ADMIN"]), "host PID namespace with CAP_SYS_ADMIN"),
        (Escape(pid_mode="host", cap_add=["ALL"]), "host PID namespace with CAP_SYS_ADMIN"),
        (Escape(bind_mounts=["/run/containerd/containerd.sock"]), "Containerd socket mounted"),
        (Escape(bind_mounts=["/"]), "host / mounted"),
        (Escape(bind_mounts=["/var/run/"]), "host /var/run mounted"),
        (Escape(bind_mounts=["/proc"], cap_add=["SYS_ADMIN"]), "host /proc mounted with CAP_SYS_ADMIN"),
        (Escape(bind_mounts=["/var/run/netns"], cap_add=["SYS_ADMIN"]), "host /var/run/netns mounted"),
    ],
)
def test_ways_to_enter_another_netns_are_violations(escape: Escape, violation: str) -> None:
    bad, _ = escape_findings(escape)
    assert any(violation in r for r in bad), bad


@pytest.mark.parametrize(
    "escape",
    [
        Escape(cap_add=["NET_ADMIN"]),
        Escape(pid_mode="host"),
        Escape(bind_mounts=["/proc"]),
        Escape(ipc_mode="host", devices=1),
        Escape(cap_add=["SYS_ADMIN"]),  # own PID namespace, no handle on another netns
        Escape(bind_mounts=["/data", "/var/log/ecs"]),
    ],
)
def test_what_only_changes_its_own_namespace_is_evidence(escape: Escape) -> None:
    bad, notes = escape_findings(escape)
    assert bad == [] and (notes or escape.bind_mounts)


def test_imds_status_covers_every_case() -> None:
    route = [{"type": "blackhole", "dst": "169.254.169.254"}]
    blackhole = NamespaceDump.model_validate(
        {"addr": [], "route": route, "lookups": {"169.254.169.254": None}}
    )
    assert imds_status("awsvpc", blackhole, False, None) == "blocked (blackhole route for 169.254.169.254)"
    via = [{"dst": "169.254.169.254", "dev": "eth0", "gateway": "172.17.0.1"}]
    bridge = NamespaceDump.model_validate({"addr": [], "route": [], "lookups": {"169.254.169.254": via}})
    assert imds_status("bridge", bridge, False, None).startswith(
        "unknown (routed via eth0 gateway 172.17.0.1"
    )
    dropped = imds_status("bridge", bridge, False, HostFirewall(read=True, imds_drop_rules=1))
    assert dropped.startswith("blocked (routed via eth0")
    assert imds_status("host", None, True, None).startswith("reachable (the host's network namespace")
    assert imds_status("none", NamespaceDump(addr=[], route=[]), False, None).startswith("unknown")


def test_joining_a_container_outside_the_task_is_a_violation() -> None:
    raw = json.loads(repair_json(probe("awsvpc-isolated").strip()))
    app = next(c for c in raw["containers"] if c["containerName"] == "app")
    app["networkMode"] = "container:" + "f" * 64  # not a container of this task
    e = EXPECTATIONS["awsvpc-isolated"]
    (v,) = evaluate_probe(json.dumps(raw), [ExpectedTask(e["taskArn"], "awsvpc", e["eniIpv4"])])
    assert v.verdict == "VIOLATION"
    assert "app: joins the netns of container ffffffffffff, which is not part of the task" in v.reasons
