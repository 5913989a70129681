"""DockerHost: the Host protocol on the real Docker engine (no moto here)."""

import json
import subprocess
import time
from collections.abc import Iterator

import pytest

from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts.docker_host import ESSENTIAL_EXITED, DockerHost, new_run_label
from netaudit_local.hosts.host import ContainerLaunch, Host, PlacementRefused, TaskLaunch
from netaudit_local.template import probe_document

pytestmark = pytest.mark.docker


@pytest.fixture
def host(docker_engine: None) -> Iterator[DockerHost]:
    h = DockerHost(run_label=new_run_label("na-t-dh"))
    try:
        yield h
    finally:
        h.cleanup()
        assert h.leftovers() == []


def launch(
    mode: dt.NetworkMode = "none",
    containers: tuple[ContainerLaunch, ...] = (ContainerLaunch("app", "busybox"),),
) -> TaskLaunch:
    return TaskLaunch(
        task_arn=dt.new_task_arn("netaudit-local"),
        cluster="netaudit-local",
        family=f"na-t-{mode}",
        revision=3,
        network_mode=mode,
        containers=list(containers),
    )


def run_labels(task_arn: str) -> list[str]:
    out = subprocess.run(
        [
            "docker",
            "ps",
            "-a",
            "--filter",
            f"label={dt.TASK_ARN_LABEL}={task_arn}",
            "--format",
            '{{.Label "netaudit.run"}} {{.Names}}',
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.splitlines()


def test_is_a_host(host: DockerHost) -> None:
    typed: Host = host
    assert typed.ping_status() == "Online"
    assert host.instance_id.startswith("i-")


def test_none_task_lifecycle_and_probe(host: DockerHost) -> None:
    task = launch("none")
    placement = host.start_task(task)
    assert placement.eni_ipv4 is None
    rows = run_labels(task.task_arn)
    assert len(rows) == 1 and rows[0].startswith(f"{host.run_label} {host.run_label}-na-t-none-3-app-")
    assert host.task_state(task.task_arn).last_status == "RUNNING"

    outcome = host.run_command(probe_document(), {"taskArn": task.task_arn}, 60)
    assert outcome.status == "Success", outcome.stderr
    doc = json.loads(outcome.stdout)
    assert doc["taskArnFilter"] == task.task_arn
    (container,) = doc["containers"]
    assert container["networkMode"] == "none" and container["containerName"] == "app"

    host.stop_task(task.task_arn)  # returns while docker removes the containers, as ECS's StopTask
    state = host.task_state(task.task_arn)
    assert state.last_status == "STOPPED" and state.stopped_reason == "Task stopped by user"
    assert host.leftovers() == [] and run_labels(task.task_arn) == []  # gone once the host settles
    host.stop_task(task.task_arn)  # idempotent
    kinds = [e.kind for e in host.events]
    assert kinds[0] == "start_task" and "run_command" in kinds and "stop_task" in kinds


def test_awsvpc_reports_the_eni_address_on_the_pause_containers_eth0(host: DockerHost) -> None:
    task = launch("awsvpc")
    placement = host.start_task(task)
    started = host.started[task.task_arn]
    assert started.pause_id is not None
    pid = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.Pid}} {{.HostConfig.NetworkMode}}", started.pause_id],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert pid[1] == "none"  # as the agent starts it; the ENI is moved into its netns as eth0
    eth0 = subprocess.run(
        ["nsenter", "-t", pid[0], "-n", "ip", "-o", "-4", "addr", "show", "dev", "eth0"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert placement.eni_ipv4 and f" {placement.eni_ipv4}/24 " in eth0
    assert len(run_labels(task.task_arn)) == 2
    assert host.task_state(task.task_arn).last_status == "RUNNING"


def test_a_container_that_exits_stops_the_task(host: DockerHost) -> None:
    task = launch("none", (ContainerLaunch("app", "busybox", ["sh", "-c", "exit 3"]),))
    host.start_task(task)
    deadline = time.monotonic() + 10
    state = host.task_state(task.task_arn)
    while state.last_status != "STOPPED" and time.monotonic() < deadline:
        time.sleep(0.05)
        state = host.task_state(task.task_arn)
    assert state.last_status == "STOPPED"
    assert state.stopped_reason.startswith(ESSENTIAL_EXITED)
    assert "app: Exited (3)" in state.stopped_reason


def test_an_image_not_on_the_engine_is_never_pulled(host: DockerHost) -> None:
    task = launch("none", (ContainerLaunch("app", "public.ecr.aws/netaudit/not-here:1"),))
    started = time.monotonic()
    host.start_task(task)
    assert time.monotonic() - started < 5
    state = host.task_state(task.task_arn)
    assert state.last_status == "STOPPED"
    assert state.stopped_reason.startswith("CannotPullContainerError")
    assert run_labels(task.task_arn) == []


def test_more_memory_than_the_instance_is_refused(host: DockerHost) -> None:
    task = launch("none", (ContainerLaunch("app", "busybox", memory_mib=host.memory_mib + 1),))
    with pytest.raises(PlacementRefused) as refused:
        host.start_task(task)
    assert refused.value.reason == "RESOURCE:MEMORY"


def test_a_bad_parameter_is_a_failed_command_not_a_crash(host: DockerHost) -> None:
    outcome = host.run_command(probe_document(), {"taskArn": "x; rm -rf /"}, 10)
    assert outcome.status == "Failed"
    assert "allowedPattern" in outcome.stderr


def test_cleanup_removes_the_run_and_closes_the_host(host: DockerHost) -> None:
    first, second = launch("none"), launch("bridge")
    host.start_task(first)
    host.start_task(second)
    assert len(host.leftovers()) == 2
    assert host.cleanup() == 2
    assert host.leftovers() == []
    assert host.ping_status() == "Inactive"
    assert host.task_state(first.task_arn).last_status == "STOPPED"
    with pytest.raises(PlacementRefused):
        host.start_task(launch("none"))
    assert host.leftovers() == []


def test_tamper_is_applied_to_every_task(docker_engine: None) -> None:
    with DockerHost(run_label=new_run_label("na-t-dh"), tamper="host-netns") as tampered:
        task = launch("none")
        tampered.start_task(task)
        outcome = tampered.run_command(probe_document(), {"taskArn": task.task_arn}, 60)
        doc = json.loads(outcome.stdout)
        assert doc["containers"][0]["netns"] == doc["hostNetns"]
    assert tampered.leftovers() == []
