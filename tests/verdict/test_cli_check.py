"""`netaudit check`: exit codes 0 ISOLATED / 1 VIOLATION / 2 INCONCLUSIVE or invalid input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from netaudit_cli import main as cli
from netaudit_cli.main import main
from netaudit_local.check_cli import eni_addresses
from netaudit_local.hosts import docker_tasks as dt

if TYPE_CHECKING:
    from tests.conftest import EcsTasks

NETAUDIT = [sys.executable, "-m", "netaudit_cli"]


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
        main(["check", "--task-arn", t.task_arn, "--declared-mode", "awsvpc", "--expect-ip", t.eni_ipv4])
        == 0
    )
    assert (
        main(["check", "--task-arn", t.task_arn, "--declared-mode", "awsvpc", "--expect-ip", "10.1.1.1"])
        == 1
    )


@pytest.mark.docker
@pytest.mark.parametrize("shape", ["dual-stack", "ipv6-only"])
def test_awsvpc_expect_ip_takes_the_enis_ipv4_and_ipv6(ecs_tasks: EcsTasks, shape: str) -> None:
    t = ecs_tasks.start("awsvpc", shape=dt.TaskShape(eni_ipv6=True, ipv6_only=shape == "ipv6-only"))
    assert t.eni_ipv6 and (t.eni_ipv4 is None) == (shape == "ipv6-only")
    base = ["check", "--task-arn", t.task_arn, "--declared-mode", "awsvpc"]
    given = [a for ip in (t.eni_ipv4, t.eni_ipv6) if ip for a in ("--expect-ip", ip)]
    assert main([*base, *given]) == 0  # both ENI addresses (or the IPv6 alone): ISOLATED
    if shape == "dual-stack":
        assert t.eni_ipv4
        # either address alone: the other one on eth0 is unexpected -> a false VIOLATION no more
        # when both are given; given alone, the IPv4 still finds the IPv6 unexplained
        assert main([*base, "--expect-ip", t.eni_ipv4, "--expect-ip", "2001:db8:ffff::9"]) == 1
    assert main([*base, "--expect-ip", "2001:db8:ffff::9"]) == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["10.0.0.1", "10.0.0.2"], "two IPv4 addresses (10.0.0.1, 10.0.0.2): an ENI has one of each"),
        (["2001:db8::1", "2001:DB8::2"], "two IPv6 addresses"),
        (["fe80::1%eth0"], "is not an IPv4 or IPv6 address"),
        (["10.0.0.1/24"], "is not an IPv4 or IPv6 address"),
        (["::ffff:10.0.0.1"], "'::ffff:10.0.0.1' is an IPv4-mapped IPv6 address, not an ENI's address"),
        (["10.0.0.1", "::FFFF:a00:1"], "IPv4-mapped IPv6 address"),
    ],
)
def test_expect_ip_refuses_what_is_not_one_enis_addresses(
    values: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef"
    given = [a for v in values for a in ("--expect-ip", v)]
    assert main(["check", "--task-arn", arn, "--declared-mode", "awsvpc", *given]) == 2
    assert message in capsys.readouterr().err


def test_expect_ip_accepts_ipv4_and_ipv6_as_describe_tasks_gives_them() -> None:
    assert eni_addresses(["2600:1f18:abcd::5", "10.0.1.7"]) == ("10.0.1.7", "2600:1f18:abcd::5")
    assert eni_addresses(["2600:1F18:ABCD:0:0:0:0:5"]) == (None, "2600:1f18:abcd::5")
    assert eni_addresses([]) == (None, None)


@pytest.mark.docker
def test_missing_task_exit_2(docker_engine: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--task-arn", dt.new_task_arn("nowhere"), "--declared-mode", "none"]) == 2
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
    assert main(["check", "--task-arn", arn, "--declared-mode", "none"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "invalid --task-arn" in err
    assert ran == []


def test_bad_expect_ip_and_mode(capsys: pytest.CaptureFixture[str]) -> None:
    arn = "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef"
    assert main(["check", "--task-arn", arn, "--declared-mode", "awsvpc", "--expect-ip", "nope"]) == 2
    assert "invalid --expect-ip" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["check", "--task-arn", arn, "--declared-mode", "overlay"])
    assert exc.value.code == 2


@pytest.mark.parametrize("mode", ["none", "bridge", "host"])
def test_expect_ip_is_refused_unless_the_declared_mode_is_awsvpc(
    mode: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[object] = []
    monkeypatch.setattr("netaudit_local.hosts.ssm_runner.run_document", lambda *a, **k: ran.append(a))
    arn = "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef"
    assert main(["check", "--task-arn", arn, "--declared-mode", mode, "--expect-ip", "10.0.0.1"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and ran == []
    assert f"invalid --expect-ip: only with --declared-mode awsvpc (an ENI's address), not {mode}" in err


def test_probe_failure_is_inconclusive(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from netaudit_local.hosts.host import CommandOutcome

    monkeypatch.setattr(
        "netaudit_local.hosts.ssm_runner.run_document",
        lambda *a, **k: CommandOutcome("TimedOut", -1, "", "timed out"),
    )
    arn = "arn:aws:ecs:us-east-1:123456789012:task/0123456789abcdef0123456789abcdef"
    assert main(["check", "--task-arn", arn, "--declared-mode", "host"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"] == "INCONCLUSIVE" and "TimedOut" in doc["tasks"][0]["reasons"][0]


def test_subcommand_registry_accepts_new_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    @cli.subcommand("zz-test", help="test only")
    def _zz(args: object) -> int:
        return 7

    try:
        assert main(["zz-test"]) == 7
    finally:
        cli._REGISTRY.pop("zz-test")
