"""The demo path end to end: the real ASL on moto, the real handlers, real containers here.

Every test asserts afterwards that no container of its run is left on the engine and that the
canary task is STOPPED in moto.
"""

import _thread
import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from netaudit_cli.exit_codes import EXIT_ISOLATED, EXIT_VIOLATION
from netaudit_cli.main import build_parser
from netaudit_cli.progress import PHASES
from netaudit_cli.report import render_report
from netaudit_local.demo.options import DemoOptions
from netaudit_local.demo.run import DemoResult, run_demo
from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts.docker_host import DockerHost, HostEvent, new_run_label

pytestmark = pytest.mark.docker
ROOT = Path(__file__).resolve().parents[2]


def engine_leftovers(run_label: str) -> list[str]:
    out = subprocess.run(
        ["docker", "ps", "-a", "-q", "--filter", f"label={dt.RUN_LABEL}={run_label}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()


def demo(**kwargs: object) -> tuple[DemoResult, str]:
    out = io.StringIO()
    options = DemoOptions(run_label=new_run_label("na-t-demo"), **kwargs)  # type: ignore[arg-type]
    try:
        result = run_demo(options, out=out)
    finally:
        assert options.run_label is not None
        leftovers = engine_leftovers(options.run_label)
        dt.remove_run(options.run_label)
    assert leftovers == [], "containers of the run left on the engine"
    return result, out.getvalue()


def assert_stopped_in_moto(result: DemoResult) -> None:
    moto = result.summary["moto"]
    assert moto["taskArn"] == result.summary["canaryTaskArn"]
    assert moto["lastStatus"] == "STOPPED", moto
    assert result.summary["containersLeft"] == 0


@pytest.mark.parametrize("mode", ["none", "bridge", "host", "awsvpc"])
def test_every_mode_is_isolated(docker_engine: None, mode: str) -> None:
    result, progress = demo(network_mode=mode)
    s = result.summary
    assert result.exit_code == EXIT_ISOLATED, (s["verdict"], s.get("error"), s.get("cause"))
    assert s["verdict"] == "ISOLATED" and s["executionStatus"] == "SUCCEEDED"
    assert s["networkMode"] == mode
    assert_stopped_in_moto(result)
    (task,) = s["tasks"]
    assert task["declaredMode"] == mode and task["verdict"] == "ISOLATED"
    containers = {c["container"]: c for c in task["containers"]}
    if mode == "awsvpc":
        assert set(containers) == {"canary", "~internal~ecs~pause"}
        assert len({c["netns"] for c in containers.values()}) == 1
        assert task["expectedEniIpv4"]
        assert any(
            task["expectedEniIpv4"] + "/" in a
            for i in containers["canary"]["interfaces"]
            for a in i["addresses"]
        )
    if mode == "host":
        assert containers["canary"]["hostNetns"] is True
    if mode == "none":
        assert containers["canary"]["interfaces"] == [{"name": "lo", "addresses": ["127.0.0.1/8"]}]
    # live progress: every state entered and left, the host's docker work in between
    for state in (
        "Prepare",
        "RunTask",
        "DescribeTask",
        "SendProbe",
        "GetProbe",
        "StopTask",
        "Report",
        "AuditPassed",
    ):
        assert f"> {state} (" in progress and f"< {state} " in progress, state
    assert "> Evaluate" in progress  # Evaluate after the Map, or EvaluateHost inside it
    assert "docker: task" in progress and "host: probe script ran (Success" in progress
    assert s["lambdaInvocations"] >= 10 and s["stateTransitions"] >= 20
    assert s["evidenceUri"].startswith("s3://")
    assert {*PHASES, "total"} <= set(s["phases"])  # every phase timed


@pytest.mark.parametrize(
    ("tamper", "mode", "expected"),
    [
        ("host-netns", "none", "host"),  # the container shares the host's netns
        ("extra-interface", "bridge", "dummy0"),  # an interface that is not declared
    ],
)
def test_tampered_tasks_are_caught(docker_engine: None, tamper: str, mode: str, expected: str) -> None:
    result, _ = demo(network_mode=mode, tamper=tamper)
    s = result.summary
    assert result.exit_code == EXIT_VIOLATION, (s["verdict"], s.get("error"), s.get("cause"))
    assert s["verdict"] == "VIOLATION"
    assert s["error"] == "IsolationViolated"
    assert_stopped_in_moto(result)
    reasons = " ".join(s["tasks"][0]["reasons"]).lower()
    assert expected in reasons, reasons
    if tamper == "extra-interface":
        assert "10.9.9.9/24" in reasons
    text = render_report(s)
    assert "== verdict: VIOLATION" in text and expected in text.lower()


def test_ctrl_c_stops_and_removes_the_containers(docker_engine: None) -> None:
    """A KeyboardInterrupt while the task runs: the run's containers go, the interrupt goes on."""
    host = DockerHost(run_label=new_run_label("na-t-demo"))

    def interrupt(event: HostEvent) -> None:
        if event.kind == "start_task":
            _thread.interrupt_main()

    host.on_event = interrupt
    out = io.StringIO()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_demo(DemoOptions(), out=out, host=host)
        assert "interrupted: removing the run's containers" in out.getvalue()
        assert host.started, "the task had started"
        assert engine_leftovers(host.run_label) == []
        assert host.ping_status() == "Inactive"
    finally:
        dt.remove_run(host.run_label)


def test_cli_json_and_exit_code(docker_engine: None) -> None:
    """The console script as a person runs it: report on stdout, progress on stderr, exit 1."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / d) for d in ("functions", "local", "cli"))}
    code = "import sys; from netaudit_cli.main import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run(
        [sys.executable, "-c", code, "demo", "--tamper", "host-netns", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert proc.returncode == EXIT_VIOLATION, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)
    assert summary["verdict"] == "VIOLATION" and summary["exitCode"] == EXIT_VIOLATION
    assert summary["moto"]["lastStatus"] == "STOPPED"
    assert summary["containersLeft"] == 0
    assert engine_leftovers(summary["runLabel"]) == []
    assert "> Prepare (Task)" in proc.stderr


def test_help_is_complete() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    text = sub.choices["demo"].format_help()
    for option in (
        "--network-mode",
        "{none,bridge,host,awsvpc}",
        "--tamper",
        "{host-netns,extra-interface}",
        "--poll-interval",
        "--json",
        "--timeout",
        "--evidence-out",
        "Exit status",
        "ISOLATED",
        "VIOLATION",
        "examples:",
    ):
        assert option in text, option
