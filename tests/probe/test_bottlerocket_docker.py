"""The probe on the local Bottlerocket-shaped host (netaudit_local.hosts.bottlerocket): run in a
control container without docker, nsenter or ip and without the host's /proc, every host read
through the stand-in `apiclient exec admin sheltie` (one binary a call, no shell). Its evidence
equals the direct probe's; the admin container off and a host command failing mid-probe give
INCONCLUSIVE with the reason, never ISOLATED. Also: the probe under dash and under the GNU
shell's POSIX mode (what `sh` is on Amazon Linux and in the control container) prints the same."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from netaudit.models.verdict import ExpectedTask, NetworkMode, TaskVerdict
from netaudit.verdict import evaluate_probe
from netaudit.workflow.coverage import cause_of
from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts.bottlerocket import BottlerocketShape
from netaudit_local.hosts.host import CommandOutcome
from netaudit_local.hosts.host_api import HostApi
from netaudit_local.hosts.ssm_runner import (
    DEFAULT_PATH,
    render_script,
    resolve_parameters,
    run_document,
    run_script,
)
from netaudit_local.template import probe_document

if TYPE_CHECKING:
    from tests.conftest import EcsTasks

pytestmark = pytest.mark.docker
ADMIN_SETTING = "settings.host-containers.admin.enabled=true"


@pytest.fixture(scope="module")
def bottlerocket(docker_engine: None) -> Iterator[BottlerocketShape]:
    shape = BottlerocketShape(run_label=f"na-t-bottlerocket-{secrets.token_hex(3)}").start()
    try:
        yield shape
    finally:
        shape.close()


@pytest.fixture
def br(bottlerocket: BottlerocketShape) -> Iterator[BottlerocketShape]:
    """The module's host with the admin container on, no fault, an empty call log."""
    assert bottlerocket.api is not None
    bottlerocket.api.calls.clear()
    yield bottlerocket
    bottlerocket.set_admin(True)
    bottlerocket.api.fail = None
    bottlerocket.api.cut = None
    bottlerocket.api.stderr_at = None


def _run(task_arn: str, shape: BottlerocketShape | None = None) -> CommandOutcome:
    runner = shape.run_script if shape else None
    out = run_document(probe_document(), {"taskArn": task_arn}, timeout_s=60, runner=runner)
    assert out.status == "Success", out
    assert out.stdout.count("\n") == 1, "one compact JSON line"
    return out


def _evidence(out: CommandOutcome) -> dict[str, Any]:
    """The probe's document but generatedAt and hostAccess (how the host was read)."""
    doc = json.loads(out.stdout)
    doc.pop("generatedAt")
    doc.pop("hostAccess", None)
    return doc


def _verdict(out: CommandOutcome, task: dt.StartedTask, mode: NetworkMode) -> TaskVerdict:
    (v,) = evaluate_probe(out.stdout, [ExpectedTask(task.task_arn, mode, task.eni_ipv4)])
    return v


CASES: list[tuple[NetworkMode, dt.Tamper | None, str]] = [
    ("none", None, "ISOLATED"),
    ("bridge", None, "ISOLATED"),
    ("host", None, "ISOLATED"),
    ("awsvpc", None, "ISOLATED"),
    ("none", "extra-interface", "VIOLATION"),
    ("none", "host-netns", "VIOLATION"),
]


@pytest.mark.parametrize(("mode", "tamper", "expected"), CASES)
def test_evidence_through_apiclient_equals_the_direct_probes(
    ecs_tasks: EcsTasks, br: BottlerocketShape, mode: NetworkMode, tamper: dt.Tamper | None, expected: str
) -> None:
    task = ecs_tasks.start(mode, ["app", "sidecar"], tamper=tamper)
    direct = _run(task.task_arn)
    through = _run(task.task_arn, br)
    # the evidence says how the host was read (docs/CONTRACTS.md hostAccess), and nothing else differs
    assert json.loads(direct.stdout)["hostAccess"] == "direct"
    assert json.loads(through.stdout)["hostAccess"] == "bottlerocket-admin"
    assert _evidence(through) == _evidence(direct)
    assert _evidence(through)["containers"], "the task's containers were found"
    v_direct, v_through = _verdict(direct, task, mode), _verdict(through, task, mode)
    assert v_through.verdict == expected, v_through.reasons
    assert v_through.model_dump(exclude={"probe_generated_at"}) == v_direct.model_dump(
        exclude={"probe_generated_at"}
    )
    # every host read went through sheltie as one binary with its argv; never a shell
    assert br.api is not None and br.api.calls
    assert all(call[0] == "sheltie" and call[1] in HOST_BINARIES for call in br.api.calls), br.api.calls


HOST_BINARIES = {"readlink", "docker", "find", "nsenter", "iptables-save"}


def test_admin_container_off_is_one_error_naming_it_and_the_task_is_inconclusive(
    ecs_tasks: EcsTasks, br: BottlerocketShape
) -> None:
    task = ecs_tasks.start("none")
    br.set_admin(False)
    out = _run(task.task_arn, br)
    doc = json.loads(out.stdout)
    (error,) = doc["errors"]
    assert error["code"] == "BOTTLEROCKET_ADMIN_OFF"
    assert "admin host container" in error["message"] and ADMIN_SETTING in error["message"]
    assert doc["containers"] == [] and doc["namespaces"] == {} and doc["hostFirewall"] is None
    assert br.api is not None and br.api.calls == [["sheltie", "readlink", "/proc/self/ns/net"]]
    v = _verdict(out, task, "none")
    assert v.verdict == "INCONCLUSIVE"
    assert any(
        r.startswith("probe error: [BOTTLEROCKET_ADMIN_OFF]") and ADMIN_SETTING in r for r in v.reasons
    )
    assert cause_of(v.verdict, v.reasons) == ("notVerifiable", "Bottlerocket (admin container off)")


@pytest.mark.parametrize(
    ("failing", "message"),
    [
        ("nsenter", "nsenter ip -batch failed"),
        ("docker inspect", "container listed but not inspected"),
        ("find", "cannot read the netns of pid"),
    ],
)
def test_a_host_command_failing_mid_probe_makes_the_task_inconclusive(
    ecs_tasks: EcsTasks, br: BottlerocketShape, failing: str, message: str
) -> None:
    task = ecs_tasks.start("none")
    assert br.api is not None
    words = failing.split()
    br.api.fail = lambda argv: argv[: len(words)] == words
    out = _run(task.task_arn, br)
    doc = json.loads(out.stdout)
    assert any(message in e["message"] for e in doc["errors"]), doc["errors"]
    v = _verdict(out, task, "none")
    assert v.verdict == "INCONCLUSIVE", v.reasons
    assert cause_of(v.verdict, v.reasons)[0] == "failed"


def _in_control(shape: BottlerocketShape, *argv: str) -> subprocess.CompletedProcess[str]:
    assert shape.control is not None
    return subprocess.run(
        ["docker", "exec", shape.control.container_id, *argv], capture_output=True, text=True, timeout=60
    )


def test_the_control_container_has_no_docker_nsenter_ip_nor_the_hosts_pids(
    ecs_tasks: EcsTasks, br: BottlerocketShape
) -> None:
    task = ecs_tasks.start("none")
    pid = dt.container_pid(task.container_ids["app"])
    for tool in ("docker", "nsenter", "ip", "find", "readlink"):
        assert _in_control(br, "sh", "-c", f"command -v {tool}").returncode != 0, tool
    assert _in_control(br, "sh", "-c", "command -v apiclient").stdout.strip() == "/usr/local/bin/apiclient"
    assert _in_control(br, "sh", "-c", f"test -e /proc/{pid}/ns/net").returncode != 0
    # the host is reached through the stand-in: this PID's netns is readable there
    seen = _in_control(br, "apiclient", "exec", "admin", "sheltie", "readlink", f"/proc/{pid}/ns/net")
    assert seen.returncode == 0 and seen.stdout.startswith("net:[")


@pytest.mark.parametrize(
    "argv",
    [
        ["sheltie"],
        ["sheltie", "sh", "-c", "id"],
        ["sheltie", "/bin/bash", "-c", "id"],
        ["sheltie", "nsenter", "-t", "1", "-a", "dash"],
        ["bash"],
    ],
)
def test_the_stand_in_admin_container_refuses_a_shell(br: BottlerocketShape, argv: list[str]) -> None:
    done = _in_control(br, "apiclient", "exec", "admin", *argv)
    assert done.returncode == 127
    assert "no shell on the host" in done.stdout or "runs only sheltie" in done.stdout


def test_host_api_off_answers_what_ctr_answers_and_runs_nothing(tmp_path: Any) -> None:
    api = HostApi(tmp_path / "api.sock", admin_enabled=False)
    out, code = api.run(["admin", "sheltie", "readlink", "/proc/self/ns/net"], b"")
    assert code == 1 and out == b'ctr: container "admin" in namespace "default": not found\n'
    api.admin_enabled = True
    out, code = api.run(["control", "sheltie", "readlink", "/proc/self/ns/net"], b"")
    assert code == 1 and b'container "control"' in out
    out, code = api.run(["admin", "sheltie", "readlink", "/proc/self/ns/net"], b"")
    assert code == 0 and out.startswith(b"net:[")


@pytest.mark.parametrize("mode", ["none", "awsvpc"])
def test_the_probe_prints_the_same_under_dash_and_posix_mode(ecs_tasks: EcsTasks, mode: NetworkMode) -> None:
    task = ecs_tasks.start(mode, ["app", "envoy"], tamper="extra-interface" if mode == "none" else None)
    document = probe_document()
    script, _ = render_script(document, resolve_parameters(document, {"taskArn": task.task_arn}))
    env = {"PATH": DEFAULT_PATH, "SSM_taskArn": task.task_arn}
    dash = run_script(script, env, 60, interpreter=("dash",))
    posix = run_script(script, env, 60, interpreter=("bash", "--posix"))
    assert dash.status == posix.status == "Success", (dash, posix)
    assert _evidence(dash) == _evidence(posix)
    assert _evidence(dash)["containers"] and _evidence(dash)["errors"] == []


def test_a_probe_that_times_out_in_the_control_container_is_timed_out_and_the_host_recovers(
    ecs_tasks: EcsTasks, br: BottlerocketShape
) -> None:
    task = ecs_tasks.start("none")
    slow = run_document(probe_document(), {"taskArn": task.task_arn}, timeout_s=0.01, runner=br.run_script)
    assert slow.status == "TimedOut" and "timed out" in slow.stderr
    # the control container was restarted (the script's processes ended): the next probe works
    v = _verdict(_run(task.task_arn, br), task, "none")
    assert v.verdict == "ISOLATED", v.reasons


@pytest.mark.parametrize("stderr_at", [None, 0, 1])
def test_a_container_gone_before_docker_inspect_is_reported_vanished_as_on_amazon_linux(
    ecs_tasks: EcsTasks, br: BottlerocketShape, stderr_at: int | None
) -> None:
    # through apiclient exec, docker inspect's "Error: No such object: <id>" (stderr) comes back
    # in the same stream as the other containers' lines, before, among or after them: it must
    # not be taken for output; the second listing no longer shows the container
    task = ecs_tasks.start("none", ["app", "sidecar"])
    gone = task.container_ids["sidecar"]
    assert br.api is not None
    br.api.stderr_at = stderr_at

    def remove_before_inspect(argv: list[str]) -> bool:
        if argv[:2] == ["docker", "inspect"]:
            subprocess.run(["docker", "rm", "-f", gone], capture_output=True, check=True, timeout=60)
        return False  # the command itself runs

    br.api.fail = remove_before_inspect
    doc = json.loads(_run(task.task_arn, br).stdout)
    assert doc["errors"] == [
        {"container": gone, "taskArn": task.task_arn, "message": "container vanished before it was inspected"}
    ]
    assert [c["containerName"] for c in doc["containers"]] == ["app"]
    assert doc["containers"][0]["netns"] in doc["namespaces"]


def test_a_container_listed_but_not_in_a_cut_docker_inspect_output_makes_its_task_inconclusive(
    ecs_tasks: EcsTasks, br: BottlerocketShape
) -> None:
    # a stream cut short (apiclient/ctr), a daemon error or a template error on one container:
    # docker inspect's output lacks a container that still exists. Never "vanished" (not
    # checked, not deciding): here the missing one has an extra interface (the direct probe's
    # VIOLATION), so ISOLATED would be false
    task = ecs_tasks.start("none", ["app", "sidecar"], tamper="extra-interface")
    app = task.container_ids["app"]
    assert br.api is not None

    def drop_app(argv: list[str], out: bytes, code: int) -> tuple[bytes, int]:
        if argv[:2] != ["docker", "inspect"]:
            return out, code
        kept = [line for line in out.splitlines(keepends=True) if app.encode() not in line]
        assert len(kept) < len(out.splitlines())
        return b"".join(kept), 1

    br.api.cut = drop_app
    out = _run(task.task_arn, br)
    doc = json.loads(out.stdout)
    cut = {"container": app, "taskArn": task.task_arn, "message": "container listed but not inspected"}
    assert cut in doc["errors"], doc["errors"]
    v = _verdict(out, task, "none")
    assert v.verdict == "INCONCLUSIVE", v.reasons
    assert any("listed but not inspected" in r for r in v.reasons), v.reasons
    assert not any("vanished" in r for r in v.not_checked), v.not_checked


@pytest.mark.parametrize("stderr_at", [0, 6, 12])
@pytest.mark.parametrize("mode", ["bridge", "none"])
def test_stderr_anywhere_in_the_stream_changes_nothing(
    ecs_tasks: EcsTasks, br: BottlerocketShape, mode: NetworkMode, stderr_at: int
) -> None:
    # ctr copies stdout and stderr through separate FIFOs: a failing `route get` (ip's
    # "RTNETLINK answers: ..." on stderr) may arrive first (it would be taken for the marker),
    # right after another lookup's JSON (it would overwrite it: a false "IMDS blocked"), or last
    task = ecs_tasks.start(mode, ["app", "sidecar"])
    assert br.api is not None
    br.api.stderr_at = stderr_at
    direct = _run(task.task_arn)
    through = _run(task.task_arn, br)
    assert _evidence(through) == _evidence(direct)
    assert _evidence(through)["namespaces"] and _evidence(through)["errors"] == []
    v_direct, v_through = _verdict(direct, task, mode), _verdict(through, task, mode)
    assert v_through.verdict == "ISOLATED" and v_through.imds == v_direct.imds, v_through.reasons


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        # admin container on, not superpowered: sheltie's nsenter cannot enter PID 1's namespaces
        (
            b"nsenter: reassociate to namespace 'ns/ipc' failed: Operation not permitted\n",
            "nsenter: reassociate to namespace ?ns/ipc? failed: Operation not permitted",
        ),
        (b'Failed to exec: "quoted" \\ \x01 reply\nsecond line\n', "Failed to exec: ?quoted? ? ? reply"),
        (b"", "no output"),
    ],
)
def test_a_first_host_read_failing_otherwise_is_a_host_error_not_admin_off(
    ecs_tasks: EcsTasks, br: BottlerocketShape, said: bytes, shown: str
) -> None:
    # only ctr's "container "admin" ... not found" means the admin container is off; a socket
    # error, a transient apiclient failure or a container without superpowers is another fault
    task = ecs_tasks.start("none")
    assert br.api is not None
    br.api.cut = lambda argv, out, code: (said, 1) if argv[0] == "readlink" else (out, code)
    out = _run(task.task_arn, br)
    (error,) = json.loads(out.stdout)["errors"]
    assert "code" not in error
    prefix = "Bottlerocket host not reachable: apiclient exec admin sheltie failed: "
    assert error["message"] == prefix + shown
    v = _verdict(out, task, "none")
    assert v.verdict == "INCONCLUSIVE"
    assert cause_of(v.verdict, v.reasons)[0] == "failed", cause_of(v.verdict, v.reasons)
