"""Issue 10's table on the real engine: the task shapes the ECS agent builds, and a probe that
no task can blind. Containers -> the template's probe (local SSM runner) -> verdicts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from netaudit.models.verdict import ExpectedTask, TaskVerdict
from netaudit.verdict import evaluate_probe
from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts import netns_shapes as shapes
from netaudit_local.hosts.ssm_runner import DEFAULT_PATH, run_document
from netaudit_local.template import probe_document

if TYPE_CHECKING:
    from tests.conftest import EcsTasks

pytestmark = pytest.mark.docker


def _judge(tasks: list[ExpectedTask], *, path: str | None = None, filtered: bool = True) -> list[TaskVerdict]:
    params = {"taskArn": tasks[0].task_arn} if filtered and len(tasks) == 1 else {}
    out = run_document(probe_document(), params, timeout_s=60, path=path)
    assert out.status == "Success", out
    return evaluate_probe(out.stdout, tasks)


def _expected(t: dt.StartedTask) -> ExpectedTask:
    return ExpectedTask(t.task_arn, t.network_mode, t.eni_ipv4, t.eni_ipv6)


def _wrapper(tmp_path: Path, tool: str, body: str) -> str:
    """A PATH whose `tool` is a wrapper around the real one (probe script unchanged)."""
    real = shutil.which(tool)
    assert real
    script = tmp_path / tool
    script.write_text(f"#!/bin/sh\nREAL={real}\n{body}\n")
    script.chmod(0o755)
    return f"{tmp_path}:{DEFAULT_PATH}"


def test_bridge_service_connect_and_pidmode_task_are_isolated(ecs_tasks: EcsTasks) -> None:
    sc = ecs_tasks.start("bridge", ["web"], shape=dt.TaskShape(service_connect=True))
    pid = ecs_tasks.start("bridge", ["web"], shape=dt.TaskShape(namespace_pause=True))
    v_sc, v_pid = _judge([_expected(sc), _expected(pid)], filtered=False)
    assert v_sc.verdict == "ISOLATED", v_sc.reasons
    names = {c.container_name for c in v_sc.containers}
    assert {"web", "~internal~ecs~pause-web", dt.SERVICE_CONNECT_CONTAINER} <= names
    web = next(c for c in v_sc.containers if c.container_name == "web")
    assert web.evidence and str(web.evidence.docker_network_mode).startswith("container:")
    assert v_pid.verdict == "ISOLATED", v_pid.reasons
    assert dt.NAMESPACE_PAUSE_NAME in {c.container_name for c in v_pid.containers}


def test_awsvpc_real_shape_pidmode_task_dual_stack_and_imds_blocked(ecs_tasks: EcsTasks) -> None:
    shape = dt.TaskShape(namespace_pause=True, eni_ipv6=True, block_imds=True)
    t = ecs_tasks.start("awsvpc", ["app", "envoy"], shape=shape)
    (v,) = _judge([_expected(t)])
    assert v.verdict == "ISOLATED", v.reasons
    pause = next(c for c in v.containers if c.container_name == dt.PAUSE_CONTAINER_NAME)
    assert pause.evidence and pause.evidence.docker_network_mode == "none"
    assert {i.name for i in pause.evidence.interfaces} == {"lo", "eth0", "ecs-eth0"}
    (wrong6,) = _judge([ExpectedTask(t.task_arn, "awsvpc", t.eni_ipv4, "2001:db8:1::dead")])
    assert wrong6.verdict == "VIOLATION"
    assert any("ENI address 2001:db8:1::dead not found on eth0" in r for r in wrong6.reasons)


def test_awsvpc_ipv6_only_is_judged_against_the_enis_ipv6(ecs_tasks: EcsTasks) -> None:
    t = ecs_tasks.start("awsvpc", ["app"], shape=dt.TaskShape(ipv6_only=True))
    assert t.eni_ipv4 is None and t.eni_ipv6
    (v,) = _judge([_expected(t)])
    assert v.verdict == "ISOLATED", v.reasons


def test_awsvpc_extra_ipv6_only_interface_with_default_route_is_a_violation(ecs_tasks: EcsTasks) -> None:
    t = ecs_tasks.start("awsvpc", ["app"])
    assert t.pause_id
    shapes.add_tun(dt.container_pid(t.pause_id), "eth1", ipv6="2001:db8:9::9", default_route=True)
    (v,) = _judge([_expected(t)])
    assert v.verdict == "VIOLATION"
    assert "app: interface eth1 present (expected only lo, eth0, ecs-eth0)" in v.reasons
    assert "app: address 2001:db8:9::9/64 on eth1" in v.reasons
    assert any("route default via eth1" in r for r in v.reasons), v.reasons  # ::/0


def test_none_with_exited_init_container_is_isolated_and_lists_it(ecs_tasks: EcsTasks) -> None:
    t = ecs_tasks.start("none", [dt.ContainerSpec("init", command=["true"]), "app"])
    subprocess.run(["docker", "wait", t.container_ids["init"]], check=True, capture_output=True)
    (v,) = _judge([_expected(t)])
    assert v.verdict == "ISOLATED", v.reasons
    assert v.not_checked == ["init: exited (pid 0), not checked"]


def test_hostile_interface_name_is_a_violation_named_escaped_others_unaffected(ecs_tasks: EcsTasks) -> None:
    bad = ecs_tasks.start("none")
    good = ecs_tasks.start("none")
    shapes.add_tun(dt.container_pid(bad.container_ids["app"]), "ev\x01l\x1b[31m")
    v_bad, v_good = _judge([_expected(bad), _expected(good)], filtered=False)
    assert v_bad.verdict == "VIOLATION"
    assert "app: interface 'ev\\x01l\\x1b[31m' present (expected only lo)" in v_bad.reasons
    assert v_good.verdict == "ISOLATED", v_good.reasons


def test_al2_iproute_quoting_is_parsed(ecs_tasks: EcsTasks, tmp_path: Path) -> None:
    """iproute2 < 6.1 (AL2: 5.10) writes ' as \\' in ip -j output: an `ip` that does so."""
    t = ecs_tasks.start("none")
    shapes.add_tun(dt.container_pid(t.container_ids["app"]), "it's")
    path = _wrapper(tmp_path, "ip", '"$REAL" "$@" | sed "s/\'/\\\\\\\\\'/g"')
    (v,) = _judge([_expected(t)], path=path)
    assert v.verdict == "VIOLATION"
    assert "app: interface 'it\\x27s' present (expected only lo)" in v.reasons


def test_container_removed_between_ps_and_inspect_concerns_only_it(
    ecs_tasks: EcsTasks, tmp_path: Path
) -> None:
    gone = ecs_tasks.start("none", ["app", "sidecar"])
    other = ecs_tasks.start("none")
    victim = gone.container_ids["sidecar"]
    body = f'[ "$1" = inspect ] && "$REAL" rm -f {victim} >/dev/null 2>&1\nexec "$REAL" "$@"'
    v_gone, v_other = _judge(
        [_expected(gone), _expected(other)], path=_wrapper(tmp_path, "docker", body), filtered=False
    )
    assert v_other.verdict == "ISOLATED", v_other.reasons
    assert v_gone.verdict == "ISOLATED", v_gone.reasons  # its running container proves it
    assert v_gone.not_checked == [f"container {victim[:12]}: vanished before it was inspected, not checked"]


def test_unreadable_netns_concerns_its_task_only(ecs_tasks: EcsTasks, tmp_path: Path) -> None:
    blind = ecs_tasks.start("none")
    other = ecs_tasks.start("none")
    pid = dt.container_pid(blind.container_ids["app"])
    body = f'[ "$2" = {pid} ] && exit 1\nexec "$REAL" "$@"'
    v_blind, v_other = _judge(
        [_expected(blind), _expected(other)], path=_wrapper(tmp_path, "nsenter", body), filtered=False
    )
    assert v_blind.verdict == "INCONCLUSIVE"
    assert any("nsenter ip -batch failed" in r for r in v_blind.reasons)
    assert v_other.verdict == "ISOLATED", v_other.reasons


def test_leftover_containers_of_a_stopped_task_do_not_matter(ecs_tasks: EcsTasks) -> None:
    stopped = ecs_tasks.start("awsvpc", ["app"])
    running = ecs_tasks.start("none")
    dt.stop_task_keep_containers(stopped.task_arn)
    (v,) = _judge([_expected(running)], filtered=False)
    assert v.verdict == "ISOLATED", v.reasons
    assert dt.task_states(stopped.task_arn)["app"] == "exited"


def test_docker_engine_not_answering_is_inconclusive_for_every_task(
    ecs_tasks: EcsTasks, tmp_path: Path
) -> None:
    t = ecs_tasks.start("none")
    path = _wrapper(tmp_path, "docker", 'echo "Cannot connect to the Docker daemon" >&2\nexit 1')
    (v,) = _judge([_expected(t)], path=path)
    assert v.verdict == "INCONCLUSIVE"
    assert "probe error: docker ps failed" in v.reasons
