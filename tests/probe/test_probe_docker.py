"""The template's probe script, run through the local SSM runner against real containers."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from netaudit.probe import parse_probe
from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts.host import CommandOutcome
from netaudit_local.hosts.ssm_runner import ParameterError, run_document
from netaudit_local.template import probe_document

if TYPE_CHECKING:
    from tests.conftest import EcsTasks

pytestmark = pytest.mark.docker


def _probe(task_arn: str = "") -> CommandOutcome:
    params = {"taskArn": task_arn} if task_arn else {}
    out = run_document(probe_document(), params, timeout_s=30)
    assert out.status == "Success", out
    assert out.exit_code == 0
    assert out.stdout.count("\n") == 1 and out.stdout.endswith("\n"), "one compact JSON line"
    return out


def test_filter_returns_only_that_tasks_containers(ecs_tasks: EcsTasks) -> None:
    a = ecs_tasks.start("none", ["app", "sidecar"])
    b = ecs_tasks.start("none", ["app"])
    doc = parse_probe(_probe(a.task_arn).stdout)
    assert doc.task_arn_filter == a.task_arn
    assert {c.id for c in doc.containers} == set(a.container_ids.values())
    assert {c.container_name for c in doc.containers} == {"app", "sidecar"}
    assert all(c.task_arn == a.task_arn for c in doc.containers)
    assert b.container_ids["app"] not in {c.id for c in doc.containers}
    assert doc.errors == []
    # each running none-mode container has its own netns, dumped once, never the host's
    assert doc.host_netns.startswith("net:[")
    assert len(doc.namespaces) == 2 and doc.host_netns not in doc.namespaces
    for c in doc.containers:
        assert c.state == "running" and c.pid > 0 and c.network_mode == "none"
        assert [i["ifname"] for i in doc.namespaces[c.netns].addr] == ["lo"]


def test_unfiltered_probe_sees_every_ecs_container(ecs_tasks: EcsTasks) -> None:
    a = ecs_tasks.start("none")
    b = ecs_tasks.start("bridge")
    seen = {c.id for c in parse_probe(_probe().stdout).containers}
    assert {a.container_ids["app"], b.container_ids["app"]} <= seen


def test_awsvpc_netns_is_dumped_once_for_the_whole_task(ecs_tasks: EcsTasks) -> None:
    t = ecs_tasks.start("awsvpc", ["app", "envoy"])
    doc = parse_probe(_probe(t.task_arn).stdout)
    assert len(doc.containers) == 3
    assert {c.container_name for c in doc.containers} == {"app", "envoy", dt.PAUSE_CONTAINER_NAME}
    assert len({c.netns for c in doc.containers}) == 1
    assert list(doc.namespaces) == [doc.containers[0].netns]
    interfaces = doc.namespaces[doc.containers[0].netns].addr
    addrs = [a.get("local") for i in interfaces for a in i.get("addr_info", [])]
    assert t.eni_ipv4 in addrs


def test_probe_output_never_holds_environment_variables(ecs_tasks: EcsTasks) -> None:
    spec = dt.ContainerSpec("app", env={"SECRET_TOKEN": "s3cr3t-do-not-leak-4711"})
    t = ecs_tasks.start("none", [spec])
    out = _probe(t.task_arn)
    assert "s3cr3t-do-not-leak-4711" not in out.stdout
    assert "SECRET_TOKEN" not in out.stdout
    assert "Env" not in json.loads(out.stdout)["containers"][0]
    # the unfiltered probe neither
    assert "s3cr3t-do-not-leak-4711" not in _probe().stdout


def test_injection_as_task_arn_is_rejected_before_anything_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for value in (f"x; touch {marker}", f"$(touch {marker})", f"`touch {marker}`", "arn\n; id"):
        with pytest.raises(ParameterError, match=r"taskArn.*allowedPattern"):
            run_document(probe_document(), {"taskArn": value})
    assert not marker.exists()


def test_script_rechecks_the_filter_even_if_ssm_did_not(tmp_path: Path) -> None:
    """Defence in depth: handed a hostile SSM_taskArn directly, the script probes nothing."""
    script = probe_document()["mainSteps"][0]["inputs"]["runCommand"][0]
    path = tmp_path / "probe.sh"
    path.write_text(script)
    marker = tmp_path / "pwned"
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SSM_taskArn": f'x"; touch {marker}; "'}
    proc = subprocess.run(["sh", str(path)], env=env, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0
    doc = parse_probe(proc.stdout)
    assert doc.containers == [] and doc.task_arn_filter == ""
    assert any("rejected" in e.message for e in doc.errors)
    assert not marker.exists()


def test_probe_tolerates_unset_task_arn_variable(tmp_path: Path, ecs_tasks: EcsTasks) -> None:
    t = ecs_tasks.start("none")
    script = probe_document()["mainSteps"][0]["inputs"]["runCommand"][0]
    path = tmp_path / "probe.sh"
    path.write_text(f"set -u\n{script}")
    proc = subprocess.run(["sh", str(path)], env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert t.container_ids["app"] in {c.id for c in parse_probe(proc.stdout).containers}


def test_scratch_like_image_works(ecs_tasks: EcsTasks, scratch_image: str) -> None:
    spec = dt.ContainerSpec("app", image=scratch_image, command=["/bin/busybox", "sleep", "3600"])
    t = ecs_tasks.start("none", [spec])
    doc = parse_probe(_probe(t.task_arn).stdout)
    (c,) = doc.containers
    assert c.image == scratch_image and c.state == "running"
    assert [i["ifname"] for i in doc.namespaces[c.netns].addr] == ["lo"]


def test_exited_container_has_no_netns(ecs_tasks: EcsTasks) -> None:
    t = ecs_tasks.start("none", [dt.ContainerSpec("job", command=["true"])])
    subprocess.run(["docker", "wait", t.container_ids["job"]], check=True, capture_output=True)
    (c,) = parse_probe(_probe(t.task_arn).stdout).containers
    assert c.state == "exited" and c.pid == 0 and c.netns == ""


def test_task_that_does_not_exist_gives_an_empty_document(docker_engine: None) -> None:
    doc = parse_probe(_probe(dt.new_task_arn("nowhere")).stdout)
    assert doc.containers == [] and doc.namespaces == {} and doc.errors == []
