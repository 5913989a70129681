"""The probe's SSM command without AWS (netaudit.workflow.probe_runner): what SendCommand's
AccessDenied means, output cut at 24,000 bytes, bounded polls."""

from typing import Any

import pytest
from botocore.exceptions import ClientError
from wf_harness import canary_audit

from netaudit.errors import HostNotManaged, ProbeTimedOut
from netaudit.models.inputs import MAX_POLLS, HostTarget, ProbeTask, SentCommand
from netaudit.workflow import probe_runner

TASK = "arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef"


def _host() -> HostTarget:
    return HostTarget(
        instance_id="i-0123456789abcdef0",
        container_instance_arn="arn:aws:ecs:us-east-1:123456789012:container-instance/default/x",
        tasks=[ProbeTask(task_arn=TASK, declared_mode="none")],
    )


class _Ssm:
    def __init__(self, error: ClientError | None = None, invocation: dict[str, Any] | None = None) -> None:
        self.error, self.invocation = error, invocation

    def send_command(self, **_: Any) -> dict[str, Any]:
        assert self.error is not None
        raise self.error

    def get_command_invocation(self, **_: Any) -> dict[str, Any]:
        assert self.invocation is not None
        return self.invocation

    def list_commands(self, **_: Any) -> dict[str, Any]:  # nothing sent before (probe_runner.send)
        return {"Commands": []}


class _CancellingSsm(_Ssm):
    def __init__(self, invocation: dict[str, Any]) -> None:
        super().__init__(invocation=invocation)
        self.cancelled: list[str] = []

    def cancel_command(self, CommandId: str, **_: Any) -> None:
        self.cancelled.append(CommandId)


def test_send_to_an_instance_the_role_may_not_target_is_host_not_managed() -> None:
    denied = (
        "User: arn:aws:sts::123456789012:assumed-role/r/f is not authorized to perform: ssm:SendCommand on "
        "resource: arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0 because no "
        "identity-based policy allows the ssm:SendCommand action"
    )
    error = ClientError({"Error": {"Code": "AccessDeniedException", "Message": denied}}, "SendCommand")
    ssm = _Ssm(error=error)
    with pytest.raises(HostNotManaged, match="ecs-netaudit:cluster=default"):
        probe_runner.send(ssm, canary_audit(), _host(), "doc", "bucket", now=0.0)


def test_output_cut_at_24000_bytes_is_read_from_s3_even_with_multibyte_text() -> None:
    stdout = "é" * 12_000  # 12,000 characters, 24,000 bytes: what the agent cuts at
    ssm = _Ssm(invocation={"Status": "Success", "ResponseCode": 0, "StandardOutputContent": stdout})
    sent = SentCommand(
        command_id="c-1",
        instance_id="i-0123456789abcdef0",
        sent_at=0.0,
        deadline=60.0,
        output_s3_bucket="bucket",
        output_s3_prefix="ssm/review-1",
    )
    result = probe_runner.get(ssm, _host(), sent, now=1.0)
    assert result.truncated and result.stdout is None and result.output_s3_uri


def test_probe_polls_are_bounded_and_carry_the_result() -> None:
    sent = SentCommand(command_id="c-2", instance_id="i-0123456789abcdef0", sent_at=0.0, deadline=1e12)
    pending = _CancellingSsm({"Status": "InProgress"})
    once = probe_runner.poll(pending, _host(), sent, now=1.0)
    assert (once.polls, once.terminal, once.result) == (1, False, None)
    with pytest.raises(ProbeTimedOut, match=f"after {MAX_POLLS} polls"):
        probe_runner.poll(pending, _host(), sent.model_copy(update={"polls": MAX_POLLS - 1}), now=1.0)
    assert pending.cancelled == ["c-2"]
    done = _Ssm(invocation={"Status": "Success", "ResponseCode": 0, "StandardOutputContent": "{}"})
    last = probe_runner.poll(done, _host(), once, now=2.0)
    assert last.terminal and last.polls == 2 and last.result is not None and last.result.stdout == "{}"
