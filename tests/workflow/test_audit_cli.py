"""`netaudit audit` against the local runner: the same code that drives a deployed stack, its
clients pointed at moto. DescribeStacks goes through a real CloudFormation client whose answer
comes from botocore's Stubber (moto's CloudFormation needs extras this project does not
install); the stub checks the request and the answer against the service model."""

import argparse
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from wf_harness import MakeHarness

from netaudit_cli import audit as audit_cli
from netaudit_cli.exit_codes import EXIT_ISOLATED, EXIT_VIOLATION
from netaudit_cli.main import build_parser
from netaudit_local.cloud.account import REGION
from netaudit_local.stack import MACHINE_NAME

ROOT = Path(__file__).resolve().parents[2]
STACK = "ecs-netaudit"


def stack_answer(outputs: dict[str, str]) -> dict[str, Any]:
    return {
        "Stacks": [
            {
                "StackName": STACK,
                "CreationTime": "2026-11-25T00:00:00Z",
                "StackStatus": "CREATE_COMPLETE",
                "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
            }
        ]
    }


@pytest.fixture
def cfn() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("cloudformation", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber


def run(argv: list[str], cfn_client: Any) -> tuple[int, str, str]:
    args = build_parser().parse_args(["audit", "--refresh", "0.05", *argv])
    clients = audit_cli.Clients(
        cfn_client, boto3.client("stepfunctions", region_name=REGION), boto3.client("s3", region_name=REGION)
    )
    out = io.StringIO()
    err = io.StringIO()
    import contextlib

    with contextlib.redirect_stderr(err):
        code = audit_cli.run(args, clients, out=out)
    return code, out.getvalue(), err.getvalue()


def test_canary_audit_found_from_the_stack_followed_and_reported(
    harness: MakeHarness, cfn: tuple[Any, Stubber], tmp_path: Path
) -> None:
    h = harness()
    client, stubber = cfn
    stubber.add_response(
        "describe_stacks", stack_answer({"StateMachineArn": h.stack.state_machine_arn}), {"StackName": STACK}
    )
    html = tmp_path / "r.html"
    code, out, _ = run(
        ["--stack", STACK, "--canary", "none", "--poll-interval", "0", "--html", str(html)], client
    )
    stubber.assert_no_pending_responses()
    assert code == EXIT_ISOLATED, out
    assert "> Prepare (Task)" in out and "< Report" in out  # the demo's progress lines
    assert "== verdict: ISOLATED" in out and "moto" not in out
    assert "ISOLATED" in html.read_text()


def test_violation_exits_1_and_writes_junit(
    harness: MakeHarness, cfn: tuple[Any, Stubber], tmp_path: Path
) -> None:
    h = harness(none="probe-none-violation.json")
    client, stubber = cfn
    stubber.add_response("describe_stacks", stack_answer({"StateMachineArn": h.stack.state_machine_arn}))
    junit = tmp_path / "r.xml"
    event = tmp_path / "start.json"  # the shipped event, without its real-world poll interval
    event.write_text(
        json.dumps(
            {**json.loads((ROOT / "events" / "start-canary-none.json").read_text()), "pollIntervalSeconds": 0}
        )
    )
    code, out, _ = run(["--event-file", str(event), "--junit", str(junit)], client)
    assert code == EXIT_VIOLATION
    assert "== verdict: VIOLATION" in out and "eth0" in out, out
    assert "<failure" in junit.read_text()


def test_no_wait_prints_the_execution_arn(harness: MakeHarness, cfn: tuple[Any, Stubber]) -> None:
    h = harness()
    client, stubber = cfn
    stubber.add_response("describe_stacks", stack_answer({"StateMachineArn": h.stack.state_machine_arn}))
    code, out, _ = run(
        ["--canary", "none", "--poll-interval", "0", "--no-wait", "--name", "nowait-1"], client
    )
    assert code == 0 and out.strip().endswith(f":execution:{MACHINE_NAME}:nowait-1")
    code, out, _ = run(["--follow", out.strip(), "--json"], client)  # attach to it afterwards
    assert code == EXIT_ISOLATED and json.loads(out)["verdict"] == "ISOLATED"


def test_stack_problems_are_named(cfn: tuple[Any, Stubber]) -> None:
    client, stubber = cfn
    stubber.add_client_error("describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist")
    with pytest.raises(audit_cli.AuditCliError, match="does not exist"):
        audit_cli.state_machine_arn(client, STACK)
    stubber.add_response("describe_stacks", stack_answer({"EvidenceBucketName": "b"}))
    with pytest.raises(audit_cli.AuditCliError, match="no StateMachineArn output"):
        audit_cli.state_machine_arn(client, STACK)


def test_input_from_flags() -> None:
    parse = build_parser().parse_args
    assert audit_cli.build_input(parse(["audit", "--cluster", "--network-modes", "none,awsvpc"])) == {
        "target": {"kind": "cluster", "networkModes": ["none", "awsvpc"]}
    }
    canary = audit_cli.build_input(
        parse(["audit", "--canary", "awsvpc", "--subnet", "subnet-1", "--poll-interval", "5"])
    )
    assert canary == {
        "target": {
            "kind": "canary",
            "networkMode": "awsvpc",
            "awsvpc": {"subnets": ["subnet-1"], "securityGroups": []},
        },
        "pollIntervalSeconds": 5,
    }
    assert audit_cli.build_input(parse(["audit", "--tasks", "arn:a", "arn:b"]))["target"]["taskArns"] == [
        "arn:a",
        "arn:b",
    ]
    with pytest.raises(audit_cli.AuditCliError, match="--event-file"):
        audit_cli.build_input(argparse.Namespace(event_file="/nonexistent.json"))
    with pytest.raises(SystemExit):
        parse(["audit", "--cluster", "--canary", "none"])  # one target at a time
