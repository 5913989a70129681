"""`netaudit check`: exit codes 0 ISOLATED / 1 VIOLATION / 2 INCONCLUSIVE or invalid input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from netaudit_local import cli
from netaudit_local.hosts import docker_tasks as dt

if TYPE_CHECKING:
    from tests.conftest import EcsTasks

NETAUDIT = [sys.executable, "-m", "netaudit_local.cli"]


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NETAUDIT, "check", *args], capture_output=True, text=True, timeout=60)


@pytest.mark.docker
def test_isolated_exit_0_json_on_stdout_summary_on_stderr(ecs_tasks: EcsTasks) -> None:
    t = ecs_tasks.start("none")
    p = _check("--task-arn", t.task_arn, "--declared-mode", "none")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["verdict"] == "ISOLATED" and doc["probe"]["status"] == "Success"
    assert doc["tasks"][0]["taskArn"] == t.task_arn
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("netaudit check: ISOLATED ")
    assert "; imds blocked (no route to 169.254.169.254))" in p.stderr  # none mode


@pytest.mark.docker
def test_violation_exit_1(ecs_tasks: EcsTasks) -> None:
    t = ecs_tasks.start("none", tamper="extra-interface")
    p = _check("--task-arn", t.task_arn, "--declared-mode", "none")
    assert p.returncode == 1
    assert json.loads(p.stdout)["verdict"] == "VIOLATION"
    assert "interface dummy0 present" in p.stderr


@pytest.mark.docker
def test_awsvpc_expect_ip(ecs_tasks: EcsTasks) -> None:
    t = ecs_tasks.start("awsvpc")
    assert t.eni_ipv4
    assert (
        cli.main(["check", "--task-arn", t.task_arn, "--declared-mode", "awsvpc", "--expect-ip", t.eni_ipv4])
        == 0
    )
    assert (
        cli.main(["check", "--task-arn", t.task_arn, "--declared-mode", "awsvpc", "--expect-ip", "10.1.1.1"])
        == 1
    )


@pytest.mark.docker
def test_missing_task_exit_2(docker_engine: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", "--task-arn", dt.new_task_arn("nowhere"), "--declared-mode", "none"]) == 2
    out, err = capsys.readouterr()
    assert json.loads(out)["verdict"] == "INCONCLUSIVE"
    assert "no container of the task was found" in err


@pytest.mark.parametrize(
    "arn", ["x; touch /tmp/pwned", "arn:aws:ecs:us-east-1:123456789012:task/c/zz", "", "$(id)"]
)
def test_malformed_task_arn_rejected_before_anything_runs(
    arn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[object] = []
    monkeypatch.setattr("netaudit_local.hosts.ssm_runner.run_document", lambda *a, **k: ran.append(a))
    assert cli.main(["check", "--task-arn", arn, "--declared-mode", "none"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "invalid --task-arn" in err
    assert ran == []


def test_bad_expect_ip_and_mode(capsys: pytest.CaptureFixture[str]) -> None:
    arn = "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef"
    assert cli.main(["check", "--task-arn", arn, "--declared-mode", "awsvpc", "--expect-ip", "nope"]) == 2
    assert "invalid --expect-ip" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli.main(["check", "--task-arn", arn, "--declared-mode", "overlay"])
    assert exc.value.code == 2


def test_probe_failure_is_inconclusive(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from netaudit_local.hosts.host import CommandOutcome

    monkeypatch.setattr(
        "netaudit_local.hosts.ssm_runner.run_document",
        lambda *a, **k: CommandOutcome("TimedOut", -1, "", "timed out"),
    )
    arn = "arn:aws:ecs:us-east-1:123456789012:task/0123456789abcdef0123456789abcdef"
    assert cli.main(["check", "--task-arn", arn, "--declared-mode", "host"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"] == "INCONCLUSIVE" and "TimedOut" in doc["tasks"][0]["reasons"][0]


def test_subcommand_registry_accepts_new_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    @cli.subcommand("zz-test", help="test only")
    def _zz(args: object) -> int:
        return 7

    try:
        assert cli.main(["zz-test"]) == 7
    finally:
        cli._REGISTRY.pop("zz-test")
