"""End to end on the real engine: containers -> template probe via the SSM runner -> verdict."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest

from netaudit.models.verdict import ExpectedTask, NetworkMode, TaskVerdict
from netaudit.verdict import evaluate_probe
from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts.ssm_runner import run_document
from netaudit_local.template import probe_document

if TYPE_CHECKING:
    from tests.conftest import EcsTasks

pytestmark = pytest.mark.docker


def _verdict(task_arn: str, mode: NetworkMode, eni: str | None = None) -> TaskVerdict:
    out = run_document(probe_document(), {"taskArn": task_arn}, timeout_s=30)
    assert out.status == "Success", out
    (v,) = evaluate_probe(out.stdout, [ExpectedTask(task_arn, mode, eni)])
    return v


@pytest.mark.parametrize("mode", ["none", "bridge", "host"])
def test_task_is_isolated_under_its_own_mode(ecs_tasks: EcsTasks, mode: NetworkMode) -> None:
    t = ecs_tasks.start(mode, ["app", "sidecar"])
    v = _verdict(t.task_arn, mode)
    assert v.verdict == "ISOLATED", v.reasons
    assert {c.container_name for c in v.containers} == {"app", "sidecar"}


def test_awsvpc_isolated_with_right_ip_violation_with_wrong_one(ecs_tasks: EcsTasks) -> None:
    t = ecs_tasks.start("awsvpc", ["app"])
    assert t.eni_ipv4 and t.pause_id
    ok = _verdict(t.task_arn, "awsvpc", t.eni_ipv4)
    assert ok.verdict == "ISOLATED", ok.reasons
    assert {c.container_name for c in ok.containers} == {"app", dt.PAUSE_CONTAINER_NAME}
    bad = _verdict(t.task_arn, "awsvpc", "10.200.0.7")
    assert bad.verdict == "VIOLATION"
    assert any("ENI address 10.200.0.7 not found on eth0" in r for r in bad.reasons)
    assert any(f"address {t.eni_ipv4}/24 on eth0" in r for r in bad.reasons)


def test_declared_none_but_host_netns_is_a_violation(ecs_tasks: EcsTasks) -> None:
    t = ecs_tasks.start("none", tamper="host-netns")
    v = _verdict(t.task_arn, "none")
    assert v.verdict == "VIOLATION"
    assert v.host_netns and f"app: netns {v.host_netns} is the host's" in v.reasons


def test_declared_none_with_extra_interface_is_a_violation(ecs_tasks: EcsTasks) -> None:
    t = ecs_tasks.start("none", tamper="extra-interface")
    v = _verdict(t.task_arn, "none")
    assert v.verdict == "VIOLATION"
    assert "app: interface dummy0 present (expected only lo)" in v.reasons
    assert "app: address 10.9.9.9/24 on dummy0" in v.reasons


def test_interface_added_later_to_a_running_task_is_caught(ecs_tasks: EcsTasks) -> None:
    t = ecs_tasks.start("none", ["app", "sidecar"])
    assert _verdict(t.task_arn, "none").verdict == "ISOLATED"
    dt.add_interface(t.container_ids["sidecar"], "sneaky0", "192.0.2.77/32")
    v = _verdict(t.task_arn, "none")
    assert v.verdict == "VIOLATION"
    assert "sidecar: interface sneaky0 present (expected only lo)" in v.reasons
    assert [c.container_name for c in v.containers if c.verdict == "VIOLATION"] == ["sidecar"]


def test_task_that_does_not_exist_is_inconclusive(docker_engine: None) -> None:
    v = _verdict(dt.new_task_arn("nowhere"), "none")
    assert v.verdict == "INCONCLUSIVE"
    assert v.reasons == ["no container of the task was found on this host"]


def test_task_whose_only_container_exited_is_inconclusive(ecs_tasks: EcsTasks) -> None:
    t = ecs_tasks.start("none", [dt.ContainerSpec("job", command=["true"])])
    subprocess.run(["docker", "wait", t.container_ids["job"]], check=True, capture_output=True)
    v = _verdict(t.task_arn, "none")
    assert v.verdict == "INCONCLUSIVE"
    assert "no container of the task is running: nothing to check" in v.reasons


def test_scratch_like_container_is_judged(ecs_tasks: EcsTasks, scratch_image: str) -> None:
    spec = dt.ContainerSpec("app", image=scratch_image, command=["/bin/busybox", "sleep", "3600"])
    t = ecs_tasks.start("none", [spec])
    assert _verdict(t.task_arn, "none").verdict == "ISOLATED"


def test_remove_task_and_states(ecs_tasks: EcsTasks) -> None:
    t = ecs_tasks.start("awsvpc", ["app"])
    assert dt.task_states(t.task_arn) == {"app": "running", dt.PAUSE_CONTAINER_NAME: "running"}
    assert dt.remove_task(t.task_arn) == 2
    assert dt.task_states(t.task_arn) == {}
    assert dt.remove_task(t.task_arn) == 0


def test_start_launch_from_a_task_launch(ecs_tasks: EcsTasks) -> None:
    from netaudit_local.hosts.host import ContainerLaunch, TaskLaunch

    launch = TaskLaunch(
        task_arn=dt.new_task_arn("launch"),
        cluster="launch",
        family="fam",
        revision=3,
        network_mode="bridge",
        containers=[ContainerLaunch("web", "busybox", ["sleep", "600"])],
    )
    t = dt.start_launch(launch, run_label=ecs_tasks.run_label, name_prefix=ecs_tasks.prefix)
    assert set(t.container_ids) == {"web"} and t.eni_ipv4 is None
    labels = subprocess.run(
        ["docker", "inspect", "-f", "{{json .Config.Labels}}", t.container_ids["web"]],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert '"com.amazonaws.ecs.task-definition-version":"3"' in labels
    assert '"com.amazonaws.ecs.cluster":"launch"' in labels
    assert _verdict(launch.task_arn, "bridge").verdict == "ISOLATED"
