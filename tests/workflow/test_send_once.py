"""Calls with no idempotency token (SendCommand, RegisterTaskDefinition): not repeated after a
failure AWS may have carried out, looked up instead (aws_clients.never_resend / at_most_once)."""

from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from netaudit import aws_clients
from netaudit.models.inputs import Audit, ExecutionRef, HostTarget, ProbeTask
from netaudit.workflow import probe_runner

TASK = "arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef"


def _audit() -> Audit:
    return Audit.model_validate(
        {
            "execution": ExecutionRef(id="arn:x", name="once-1", start_time="2026-12-07T02:04:32.123Z"),
            "cluster": "default",
            "target": {"kind": "cluster"},
            "image": "busybox",
            "pollIntervalSeconds": 0,
            "runningDeadlineSeconds": 60,
            "probeDeadlineSeconds": 60,
        }
    )


def _host() -> HostTarget:
    return HostTarget(
        instance_id="i-0123456789abcdef0",
        container_instance_arn="arn:aws:ecs:us-east-1:123456789012:container-instance/default/x",
        tasks=[ProbeTask(task_arn=TASK, declared_mode="none")],
    )


class Ssm:
    """SendCommand that may lose its answer after starting the command; ListCommands as SSM lists."""

    def __init__(self, lose: int = 0, list_denied: bool = False) -> None:
        self.lose, self.list_denied = lose, list_denied
        self.commands: list[dict[str, Any]] = []
        self.lists: list[dict[str, Any]] = []

    def send_command(self, **kwargs: Any) -> dict[str, Any]:
        command = {"CommandId": f"c-{len(self.commands)}", "Comment": kwargs["Comment"],
                   "DocumentName": kwargs["DocumentName"]}  # fmt: skip
        self.commands.append(command)
        if self.lose:
            self.lose -= 1
            raise ReadTimeoutError(endpoint_url="https://ssm.us-east-1.amazonaws.com/")
        return {"Command": command}

    def list_commands(self, **kwargs: Any) -> dict[str, Any]:
        self.lists.append(kwargs)
        if self.list_denied:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListCommands")
        return {"Commands": [c for c in self.commands if kwargs["InstanceId"] == _host().instance_id]}


def test_a_lost_send_command_answer_is_found_not_sent_again() -> None:
    ssm = Ssm(lose=1)
    sent = probe_runner.send(ssm, _audit(), _host(), "doc", None, now=0.0)  # type: ignore[arg-type]
    assert len(ssm.commands) == 1 and sent.command_id == "c-0"
    assert ssm.lists[0]["Filters"] == [
        {"key": "DocumentName", "value": "doc"},
        {"key": "InvokedAfter", "value": "2026-12-07T02:04:32Z"},  # ListCommands' documented form
    ]


def test_a_step_run_again_finds_its_command() -> None:
    """The state machine's retry of SendProbe (its Invoke answer lost) sends nothing new."""
    ssm = Ssm()
    first = probe_runner.send(ssm, _audit(), _host(), "doc", None, now=0.0)  # type: ignore[arg-type]
    again = probe_runner.send(ssm, _audit(), _host(), "doc", None, now=1.0)  # type: ignore[arg-type]
    assert first.command_id == again.command_id and len(ssm.commands) == 1


def test_another_execution_or_host_is_not_the_same_command() -> None:
    ssm = Ssm()
    probe_runner.send(ssm, _audit(), _host(), "doc", None, now=0.0)  # type: ignore[arg-type]
    other = _audit().model_copy(update={"execution": ExecutionRef(id="arn:y", name="once-2")})
    probe_runner.send(ssm, other, _host(), "doc", None, now=0.0)  # type: ignore[arg-type]
    assert len(ssm.commands) == 2 and ssm.commands[0]["Comment"] != ssm.commands[1]["Comment"]


def test_list_commands_denied_sends_as_before() -> None:
    """A member stack deployed before ssm:ListCommands was granted: the probe is still sent."""
    ssm = Ssm(list_denied=True)
    sent = probe_runner.send(ssm, _audit(), _host(), "doc", None, now=0.0)  # type: ignore[arg-type]
    assert sent.command_id == "c-0" and len(ssm.commands) == 1


def test_answers_lost_on_every_call_fail_by_name() -> None:
    ssm = Ssm(lose=10, list_denied=True)  # nothing to find: each call sends again, then gives up
    with pytest.raises(ReadTimeoutError):
        probe_runner.send(ssm, _audit(), _host(), "doc", None, now=0.0)  # type: ignore[arg-type]
    assert len(ssm.commands) == aws_clients.AT_MOST_ONCE_CALLS


@pytest.mark.parametrize(
    ("response", "exception", "retried_by_botocore"),
    [
        ({"ResponseMetadata": {"HTTPStatusCode": 400}, "Error": {"Code": "ThrottlingException"}}, None, True),
        ({"ResponseMetadata": {"HTTPStatusCode": 500}, "Error": {"Code": "InternalFailure"}}, None, False),
        (None, ReadTimeoutError(endpoint_url="https://ssm"), False),
    ],
)
def test_never_resend_leaves_only_throttles_to_botocore(
    response: dict[str, Any] | None, exception: Exception | None, retried_by_botocore: bool
) -> None:
    answer = (None, response) if response else None
    decision = aws_clients._ambiguous(response=answer, caught_exception=exception)
    assert decision is (None if retried_by_botocore else False)
