"""`netaudit demo --input FILE`: any execution input, run locally as AWS would run it."""

import io
import json
import subprocess
from pathlib import Path

import pytest

from netaudit_local.demo.cluster import ClusterDemo
from netaudit_local.demo.inputs import InputFileError, audit_kind, parse_parameters, read_input
from netaudit_local.demo.options import DemoOptions
from netaudit_local.demo.run import run_demo
from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts.docker_host import new_run_label

ROOT = Path(__file__).resolve().parents[2]


def _demo(payload: object, **parameters: str) -> tuple[int, dict, list[str]]:
    """Run the canary path of `demo --input`; (exit code, summary, containers left)."""
    options = DemoOptions(
        mode="input", payload=payload, parameters=parameters, run_label=new_run_label("na-t-in")
    )
    try:
        result = run_demo(options, out=io.StringIO())
    finally:
        assert options.run_label
        left = subprocess.run(
            ["docker", "ps", "-a", "-q", "--filter", f"label={dt.RUN_LABEL}={options.run_label}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        dt.remove_run(options.run_label)
    return result.exit_code, result.summary, left


@pytest.mark.docker
def test_a_start_event_runs_as_given_and_is_isolated(docker_engine: None) -> None:
    payload = json.loads((ROOT / "events" / "start-canary-host.json").read_text())
    code, summary, left = _demo(payload)
    assert (code, summary["verdict"], left) == (0, "ISOLATED", [])
    assert summary["networkMode"] == "host"


@pytest.mark.docker
def test_a_refused_input_exits_2_naming_the_field_and_starts_nothing(docker_engine: None) -> None:
    code, summary, left = _demo(
        {"target": {"networkMode": "host", "image": "busybox:latest"}}, AllowCanaryImageOverride="true"
    )
    assert code == 2 and summary["error"] == "InvalidInput", summary
    assert "target.image: an image of the input's choosing never runs in the host network" in summary["cause"]
    # nothing registered, run or probed (Report may record the rejection)
    assert set(summary["lambdaInvocationsByFunction"]) <= {"Prepare", "Report"}, summary
    assert summary["lambdaInvocationsByFunction"]["Prepare"] == 1
    assert summary.get("canaryTaskArn") is None and left == []


def test_read_input(tmp_path: Path) -> None:
    good = tmp_path / "in.json"
    good.write_text('{"target": {"kind": "cluster"}}')
    assert read_input(str(good)) == {"target": {"kind": "cluster"}}
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    assert read_input(str(empty)) == {}
    for text, why in (('{"target": ', "is not JSON"), ("[" + "1," * 140_000 + "1]", "at most 262144")):
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        with pytest.raises(InputFileError, match=why):
            read_input(str(bad))
    with pytest.raises(InputFileError, match="cannot read"):
        read_input(str(tmp_path / "missing.json"))


def test_parameters_must_be_the_templates() -> None:
    assert parse_parameters(["AllowCanaryImageOverride=true", 'CanaryCommand=["sleep","9"]']) == {
        "AllowCanaryImageOverride": "true",
        "CanaryCommand": '["sleep","9"]',
    }
    for bad in ("Nope=1", "AllowCanaryImageOverride"):
        with pytest.raises(InputFileError, match="template's parameters"):
            parse_parameters([bad])


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        ({}, "canary"),
        ({"target": {"networkMode": "host"}}, "canary"),
        ({"target": {"kind": "cluster"}}, "cluster"),
        ({"target": {"kind": "tasks", "taskArns": []}}, "tasks"),
        ([], "canary"),
        ({"target": "cluster"}, "canary"),
    ],
)
def test_where_an_input_runs(payload: object, kind: str) -> None:
    assert audit_kind(payload) == kind


def test_cli_refuses_flags_the_input_decides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from netaudit_cli.main import main

    given = tmp_path / "in.json"
    given.write_text("{}")
    assert main(["demo", "--input", str(given), "--network-mode", "host"]) == 2
    assert "cannot be combined with --input" in capsys.readouterr().err
    assert main(["demo", "--parameter", "CanaryImage=x"]) == 2
    assert main(["demo", "--input", str(tmp_path / "missing.json")]) == 2


def test_cluster_and_tasks_inputs_go_to_the_local_cluster_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netaudit_cli.main import main
    from netaudit_local.demo import cli as cli_demo
    from netaudit_local.demo import run as demo

    seen: list[tuple[str, object, dict]] = []
    monkeypatch.setattr(cli_demo, "run_cluster", lambda demo, args: seen.append(("cluster", demo, {})) or 0)
    monkeypatch.setattr(demo, "main", lambda options: seen.append(("canary", options, {})) or 0)
    cluster = json.loads((ROOT / "events" / "start-cluster.json").read_text())
    given = tmp_path / "in.json"
    given.write_text(json.dumps(cluster))
    assert main(["demo", "--input", str(given), "--parameter", "ClusterName=default"]) == 0
    kind, demo_run, _ = seen.pop()
    assert kind == "cluster" and isinstance(demo_run, ClusterDemo) and demo_run.payload == cluster
    assert demo_run.parameters == {"PollIntervalSeconds": "0", "ClusterName": "default"}
    assert demo_run.clusters == ("default",) and demo_run.bottlerocket_admin is None  # one plain host
    given.write_text('{"target": {"networkMode": "bridge"}}')
    assert main(["demo", "--input", str(given), "--tamper", "extra-interface"]) == 0
    kind, options, _ = seen.pop()
    assert kind == "canary"
    assert isinstance(options, DemoOptions)
    assert (options.mode, options.payload, options.tamper) == (
        "input",
        {"target": {"networkMode": "bridge"}},
        "extra-interface",
    )
