"""Handlers with moto (called directly, as Lambda would), and the events/ files they take."""

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from wf_harness import MakeHarness, client_error

from netaudit.errors import AwsThrottled, InvalidInput, ProbeFailed
from netaudit.models import events as ev
from netaudit.workflow.prepare import parse_input
from netaudit_local.cloud.lambdas import FakeLambdaContext
from netaudit_local.hosts.recorded_host import Faults
from netaudit_local.stack import function_name

EVENTS = Path(__file__).resolve().parents[2] / "events"
MODELS = {
    "prepare": ev.PrepareEvent,
    "register_task_definition": ev.AuditEvent,
    "run_task": ev.CanaryEvent,
    "describe_task": ev.CanaryEvent,
    "resolve_hosts": ev.ResolveHostsEvent,
    "send_probe": ev.SendProbeEvent,
    "get_probe": ev.GetProbeEvent,
    "evaluate": ev.EvaluateHostEvent,
    "stop_canary": ev.StateEvent,
    "report": ev.StateEvent,
    "janitor": ev.ExecutionStatusChange,
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_handler_event_parses(name: str) -> None:
    MODELS[name].model_validate(json.loads((EVENTS / f"{name}.json").read_text()))


@pytest.mark.parametrize("path", sorted(EVENTS.glob("start-*.json")), ids=lambda p: p.name)
def test_start_inputs_are_valid(path: Path) -> None:
    parse_input(json.loads(path.read_text()))


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"target": {"networkMode": "nat"}}, "target.networkMode: Input should be"),
        ({"target": {"launchType": "FARGATE"}}, "Fargate does not support networkMode none"),
        ({"target": {"networkMode": "awsvpc"}}, "awsvpc: required"),
        ({"target": {"kind": "tasks", "taskArns": ["nope"]}}, "expected an ECS task ARN"),
        ({"pollIntervalSeconds": -1}, "pollIntervalSeconds: Input should be greater than or equal to 0"),
        ({"runningDeadlineSeconds": 0}, "runningDeadlineSeconds"),
        ({"cluster": "has space"}, "cluster: expected an ECS cluster name"),
        ({"bogus": 1}, "bogus: unknown field"),
        ([], "expected a JSON object"),
    ],
)
def test_input_errors_name_the_field(payload: object, expected: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_input(payload)
    assert expected in exc.value.message


def test_prepare_handler_fills_defaults(harness: MakeHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness()
    from netaudit.handlers import prepare

    # the Prepare function's environment, as on AWS: os.environ
    for name, value in h.stack.seams.environments[function_name("PrepareFunction")].items():
        monkeypatch.setenv(name, value)

    event = json.loads((EVENTS / "prepare.json").read_text())
    out = prepare.handler(event, FakeLambdaContext("prepare"))
    audit = out["audit"]
    assert audit["cluster"] == "default" and audit["pollIntervalSeconds"] == 5
    assert audit["target"]["networkMode"] == "none" and out["canary"] is None


def test_send_and_get_probe_handlers(harness: MakeHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness(faults=Faults(command_status="Failed", command_stderr="boom"), in_progress_polls=1)
    from netaudit.handlers import get_probe, send_probe

    event = json.loads((EVENTS / "send_probe.json").read_text())
    event["host"]["instanceId"] = h.host.instance_id
    event["host"]["tasks"] = []
    for name, value in h.stack.seams.environments[function_name("SendProbeFunction")].items():
        monkeypatch.setenv(name, value)  # SendProbe's environment; GetProbe reads none
    sent = send_probe.handler(event, FakeLambdaContext("send"))
    get_event = {"host": event["host"], "command": sent, "execution": event["execution"]}
    first = get_probe.handler(get_event, FakeLambdaContext("get"))
    assert first["terminal"] is False and first["status"] == "InProgress"
    with pytest.raises(ProbeFailed, match="boom"):
        get_probe.handler(get_event, FakeLambdaContext("get"))


def test_probe_parameter_injection_is_refused(harness: MakeHarness) -> None:
    h = harness()
    import boto3

    ssm = boto3.client("ssm", region_name="us-east-1")
    with pytest.raises(ssm.exceptions.InvalidParameters):
        ssm.send_command(
            InstanceIds=[h.host.instance_id],
            DocumentName=h.stack.document_name,
            Parameters={"taskArn": ["x; rm -rf /"]},
        )
    assert h.host.commands == []


def test_throttling_after_client_retries_is_the_named_retried_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Powertools reads its settings when netaudit.observability is first imported: as in Lambda,
    # set them first (the local runner's environment), so later tests see the same Metrics.
    from netaudit_local.cloud.account import LOCAL_ENV

    for key, value in LOCAL_ENV.items():
        monkeypatch.setenv(key, value)
    from netaudit.observability import step

    @step
    def throttled(event: Any, context: Any) -> None:
        raise client_error("ThrottlingException", "StopTask")

    @step
    def denied(event: Any, context: Any) -> None:
        raise client_error("AccessDeniedException")

    with pytest.raises(AwsThrottled):
        throttled(None, None)
    with pytest.raises(ClientError):  # anything else stays what it was
        denied(None, None)
