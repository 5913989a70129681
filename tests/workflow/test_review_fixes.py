"""Review fixes: throttling is retried by name, ECS/SSM realities, bounded report text."""

from typing import Any

import pytest
from botocore.exceptions import ClientError
from wf_harness import MakeHarness, audit_of

from netaudit.errors import AwsThrottled, HostNotManaged, ProbeTimedOut, TaskStartTimeout, TaskStoppedEarly
from netaudit.models.inputs import MAX_POLLS, Audit, Canary, ExecutionRef, HostTarget, ProbeTask, SentCommand
from netaudit.models.state import ExecutionState
from netaudit.workflow import canary, probe_runner
from netaudit.workflow.report_collect import Collected
from netaudit.workflow.report_summary import CAUSE_LIMIT, summarise

TASK = "arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef"


def _client_error(code: str, op: str = "Op") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "nope"}}, op)


def _audit() -> Audit:
    return Audit.model_validate(
        {
            "execution": ExecutionRef(id="arn:x", name="review-1"),
            "cluster": "default",
            "target": {"kind": "canary", "networkMode": "none"},
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


def test_throttling_after_client_retries_is_the_named_retried_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Powertools reads its settings when netaudit.observability is first imported: as in Lambda,
    # set them first (the local runner's environment), so later tests see the same Metrics.
    from netaudit_local.cloud.account import LOCAL_ENV

    for key, value in LOCAL_ENV.items():
        monkeypatch.setenv(key, value)
    from netaudit.observability import step

    @step
    def throttled(event: Any, context: Any) -> None:
        raise _client_error("ThrottlingException", "StopTask")

    @step
    def denied(event: Any, context: Any) -> None:
        raise _client_error("AccessDeniedException")

    with pytest.raises(AwsThrottled):
        throttled(None, None)
    with pytest.raises(ClientError):  # anything else stays what it was
        denied(None, None)


class _Ecs:
    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer

    def describe_tasks(self, **_: Any) -> dict[str, Any]:
        return self.answer


def test_describe_tolerates_missing_right_after_run_task() -> None:
    audit = _audit()
    current = Canary(
        task_definition_arn="arn:td:1",
        family="f",
        revision=1,
        network_mode="none",
        task_arn=TASK,
        last_status="PROVISIONING",
        running_deadline=100.0,
    )
    missing = _Ecs({"tasks": [], "failures": [{"arn": TASK, "reason": "MISSING"}]})
    polled = canary.describe(missing, audit, current, now=10.0)  # keep polling
    assert polled == current.model_copy(update={"polls": 1})
    with pytest.raises(TaskStoppedEarly, match="MISSING"):
        canary.describe(missing, audit, current, now=100.0)


def test_polls_are_bounded_whatever_the_interval() -> None:
    """A poll interval of 0 cannot fill the 25,000-event history: each loop stops at MAX_POLLS."""
    audit = _audit()
    pending = Canary(
        task_definition_arn="arn:td:1",
        family="f",
        revision=1,
        network_mode="none",
        task_arn=TASK,
        last_status="PENDING",
        running_deadline=1e12,
        polls=MAX_POLLS - 2,
    )
    still = _Ecs({"tasks": [{"taskArn": TASK, "lastStatus": "PENDING", "desiredStatus": "RUNNING"}]})
    assert canary.describe(still, audit, pending, now=10.0).polls == MAX_POLLS - 1
    with pytest.raises(TaskStartTimeout, match=f"after {MAX_POLLS} polls"):
        canary.describe(still, audit, pending.model_copy(update={"polls": MAX_POLLS - 1}), now=10.0)


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


def test_send_to_an_instance_the_role_may_not_target_is_host_not_managed() -> None:
    denied = (
        "User: arn:aws:sts::123456789012:assumed-role/r/f is not authorized to perform: ssm:SendCommand on "
        "resource: arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0 because no "
        "identity-based policy allows the ssm:SendCommand action"
    )
    error = ClientError({"Error": {"Code": "AccessDeniedException", "Message": denied}}, "SendCommand")
    ssm = _Ssm(error=error)
    with pytest.raises(HostNotManaged, match="ecs-netaudit:cluster=default"):
        probe_runner.send(ssm, _audit(), _host(), "doc", "bucket", now=0.0)


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


def test_report_text_is_bounded_for_sns_and_the_state() -> None:
    reason = "address 10.0.0.1/24 on dummy0 " * 40
    tasks = [
        {"taskArn": f"{TASK[:-4]}{i:04d}", "declaredMode": "none", "verdict": "VIOLATION"}
        | {"reasons": [reason]}
        for i in range(100)
    ]
    state = ExecutionState(audit=audit_of({"kind": "tasks", "taskArns": [TASK]}, cluster="default"))
    result = summarise(state, "review-1", "s3://b/audits/x.json", Collected(tasks=tasks))
    assert len(result["summary"]) <= CAUSE_LIMIT
    assert result["cause"] == result["summary"]
    assert result["summary"].endswith("s3://b/audits/x.json)")


def test_prepare_failure_reports_without_running_the_clean_up(
    harness: MakeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing was created: the raw input must not reach StopTaskOnError as if it were state."""
    h = harness()

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("prepare broke")

    monkeypatch.setattr("netaudit.handlers.prepare.prepare", broken)
    result = h.run({})
    assert result.status == "FAILED"
    assert result.error == "RuntimeError", (result.error, result.cause)
    entered = result.entered()
    assert "PrepareFailed" in entered and "ReportError" in entered
    assert "StopTaskOnError" not in entered


def test_run_task_is_idempotent_per_execution() -> None:
    seen: dict[str, Any] = {}

    class Ecs:
        def run_task(self, **kwargs: Any) -> dict[str, Any]:
            seen.update(kwargs)
            return {"tasks": [{"taskArn": TASK, "lastStatus": "PROVISIONING"}], "failures": []}

    current = Canary(
        task_definition_arn="arn:td:1", family="f", revision=1, network_mode="none", started_by="netaudit-abc"
    )
    canary.run(Ecs(), _audit(), current, now=0.0)
    assert seen["clientToken"] == seen["startedBy"] == "netaudit-abc"


def test_another_cluster_than_the_deployed_one_is_invalid_input() -> None:
    from netaudit.errors import InvalidInput
    from netaudit.models.inputs import Defaults
    from netaudit.settings import CanarySettings
    from netaudit.workflow.prepare import prepare

    class Ecs:
        def __init__(self) -> None:
            self.asked: list[Any] = []

        def describe_clusters(self, **kwargs: Any) -> dict[str, Any]:
            self.asked.append(kwargs)
            raise _client_error("AccessDeniedException", "DescribeClusters")

    defaults = Defaults(
        cluster="prod", image="busybox", poll_interval_seconds=0, running_deadline_seconds=60,
        probe_deadline_seconds=60,
    )
    ecs = Ecs()
    # another name: refused by the scope itself, before any call
    with pytest.raises(InvalidInput, match="may only audit cluster 'prod', not 'other'"):
        prepare({"cluster": "other"}, defaults, ExecutionRef(), ecs, CanarySettings(image="busybox"))
    assert ecs.asked == []
    # the same name in another account's ARN passes the scope by name; the stack's role (scoped to
    # this account's ClusterName ARNs) is denied DescribeClusters, and that is the same refusal
    other_account = "arn:aws:ecs:us-east-1:999999999999:cluster/prod"
    with pytest.raises(InvalidInput, match=f"may only audit cluster 'prod', not '{other_account}'"):
        prepare({"cluster": other_account}, defaults, ExecutionRef(), ecs, CanarySettings(image="busybox"))
    assert len(ecs.asked) == 1


class _CancellingSsm(_Ssm):
    def __init__(self, invocation: dict[str, Any]) -> None:
        super().__init__(invocation=invocation)
        self.cancelled: list[str] = []

    def cancel_command(self, CommandId: str, **_: Any) -> None:
        self.cancelled.append(CommandId)


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
