"""Issue 12 on the real engine: containers that can leave their namespace, and who can reach
IMDS, read from the host (docker's HostConfig, `ip -j route get` in each netns). Nothing is
ever sent: the sentinels are looked up, not contacted."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ci_env import in_ci
from netaudit.models.verdict import ExpectedTask, TaskVerdict
from netaudit.verdict import evaluate_probe
from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts.ssm_runner import DEFAULT_PATH, run_document
from netaudit_local.template import probe_document

if TYPE_CHECKING:
    from tests.conftest import EcsTasks

pytestmark = pytest.mark.docker
DOCKER_SOCKET = "/var/run/docker.sock"
# what the ECS docs tell bridge users to add, as iptables-save prints it
ECS_IMDS_RULE = "-A DOCKER-USER -d 169.254.169.254/32 -i docker+ -j DROP"


def _judge(t: dt.StartedTask, *, path: str | None = None) -> TaskVerdict:
    out = run_document(probe_document(), {"taskArn": t.task_arn}, timeout_s=60, path=path)
    assert out.status == "Success", out
    (v,) = evaluate_probe(out.stdout, [ExpectedTask(t.task_arn, t.network_mode, t.eni_ipv4, t.eni_ipv6)])
    return v


def _iptables_save(tmp_path: Path, rules: list[str]) -> str:
    """A PATH whose iptables-save prints this filter table (the host's firewall is not ours to change)."""
    body = "\n".join(["*filter", ":FORWARD ACCEPT [0:0]", ":DOCKER-USER - [0:0]", *rules, "COMMIT"])
    script = tmp_path / "iptables-save"
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{body}\nEOF\n")
    script.chmod(0o755)
    return f"{tmp_path}:{DEFAULT_PATH}"


def test_host_pid_with_cap_sys_admin_is_a_violation(ecs_tasks: EcsTasks) -> None:
    spec = dt.ContainerSpec("app", docker_args=("--pid", "host", "--cap-add", "SYS_ADMIN"))
    v = _judge(ecs_tasks.start("none", [spec]))
    assert v.verdict == "VIOLATION"
    assert "app: host PID namespace with CAP_SYS_ADMIN: can enter the host's network namespace" in v.reasons


def test_docker_socket_mounted_is_a_violation(ecs_tasks: EcsTasks) -> None:
    if not Path(DOCKER_SOCKET).exists():  # an engine on another socket: CI's is here, so CI must run it
        (pytest.fail if in_ci() else pytest.skip)(f"no Docker socket at {DOCKER_SOCKET}")
    spec = dt.ContainerSpec("app", docker_args=("-v", f"{DOCKER_SOCKET}:/var/run/docker.sock:ro"))
    v = _judge(ecs_tasks.start("bridge", [spec]))
    assert v.verdict == "VIOLATION"
    assert any("Docker socket mounted (/var/run/docker.sock): can start containers in the host network" in r
               for r in v.reasons)  # fmt: skip


def test_cap_net_admin_alone_is_evidence_not_a_violation(ecs_tasks: EcsTasks) -> None:
    spec = dt.ContainerSpec("app", docker_args=("--cap-add", "NET_ADMIN"))
    v = _judge(ecs_tasks.start("none", [spec]))
    assert v.verdict == "ISOLATED", v.reasons
    (c,) = v.containers
    assert c.evidence and any("CAP_NET_ADMIN" in note for note in c.evidence.escape)


def test_none_mode_reaches_no_sentinel(ecs_tasks: EcsTasks) -> None:
    v = _judge(ecs_tasks.start("none"))
    assert v.verdict == "ISOLATED", v.reasons
    assert v.imds == "blocked (no route to 169.254.169.254)"


def test_bridge_imds_reachable_without_a_host_rule_blocked_with_one(
    ecs_tasks: EcsTasks, tmp_path: Path
) -> None:
    t = ecs_tasks.start("bridge")
    (tmp_path / "a").mkdir()
    open_host = _judge(t, path=_iptables_save(tmp_path / "a", []))
    assert open_host.verdict == "ISOLATED", open_host.reasons  # a finding, not an isolation violation
    assert open_host.imds and open_host.imds.startswith("reachable (via eth0"), open_host.imds
    (tmp_path / "b").mkdir()
    closed = _judge(t, path=_iptables_save(tmp_path / "b", [ECS_IMDS_RULE]))
    assert closed.imds and closed.imds.startswith("blocked (routed via eth0"), closed.imds


def test_awsvpc_imds_blackhole_is_blocked_and_without_it_reachable(ecs_tasks: EcsTasks) -> None:
    blocked = _judge(ecs_tasks.start("awsvpc", shape=dt.TaskShape(block_imds=True)))
    assert blocked.verdict == "ISOLATED", blocked.reasons
    assert blocked.imds == "blocked (blackhole route for 169.254.169.254)"
    open_task = _judge(ecs_tasks.start("awsvpc"))
    assert open_task.imds and open_task.imds.startswith("reachable (via eth0 gateway 10.0.1.1)"), (
        open_task.imds
    )


def test_none_mode_with_an_off_host_route_is_a_violation(ecs_tasks: EcsTasks) -> None:
    from netaudit_local.hosts import netns_shapes as shapes

    t = ecs_tasks.start("none")
    shapes.add_tun(dt.container_pid(t.container_ids["app"]), "tun9", ipv6="2001:db8:7::7", default_route=True)
    v = _judge(t)
    assert v.verdict == "VIOLATION"
    assert any("route lookup: 2001:db8::1 is reachable via tun9" in r for r in v.reasons), v.reasons


def test_iptables_save_missing_leaves_bridge_imds_unknown(ecs_tasks: EcsTasks, tmp_path: Path) -> None:
    assert shutil.which("sh")
    t = ecs_tasks.start("bridge")
    script = tmp_path / "iptables-save"
    script.write_text("#!/bin/sh\nexit 1\n")
    script.chmod(0o755)
    v = _judge(t, path=f"{tmp_path}:{DEFAULT_PATH}")
    assert v.imds and v.imds.startswith("unknown (routed via eth0"), v.imds
