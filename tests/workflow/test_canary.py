"""The canary task's steps without AWS (netaudit.workflow.canary): DescribeTasks right after
RunTask, bounded polls, one RunTask per execution."""

from typing import Any

import pytest
from wf_harness import canary_audit

from netaudit.errors import TaskStartTimeout, TaskStoppedEarly
from netaudit.models.inputs import MAX_POLLS, Canary
from netaudit.workflow import canary

TASK = "arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef"


class _Ecs:
    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer

    def describe_tasks(self, **_: Any) -> dict[str, Any]:
        return self.answer


def _registered(**fields: Any) -> Canary:
    """The canary once its task definition is registered (revision 1 of family f, none mode)."""
    return Canary(task_definition_arn="arn:td:1", family="f", revision=1, network_mode="none", **fields)


def test_describe_tolerates_missing_right_after_run_task() -> None:
    audit = canary_audit()
    current = _registered(task_arn=TASK, last_status="PROVISIONING", running_deadline=100.0)
    missing = _Ecs({"tasks": [], "failures": [{"arn": TASK, "reason": "MISSING"}]})
    polled = canary.describe(missing, audit, current, now=10.0)  # keep polling
    assert polled == current.model_copy(update={"polls": 1})
    with pytest.raises(TaskStoppedEarly, match="MISSING"):
        canary.describe(missing, audit, current, now=100.0)


def test_polls_are_bounded_whatever_the_interval() -> None:
    """A poll interval of 0 cannot fill the 25,000-event history: each loop stops at MAX_POLLS."""
    audit = canary_audit()
    pending = _registered(task_arn=TASK, last_status="PENDING", running_deadline=1e12, polls=MAX_POLLS - 2)
    still = _Ecs({"tasks": [{"taskArn": TASK, "lastStatus": "PENDING", "desiredStatus": "RUNNING"}]})
    assert canary.describe(still, audit, pending, now=10.0).polls == MAX_POLLS - 1
    with pytest.raises(TaskStartTimeout, match=f"after {MAX_POLLS} polls"):
        canary.describe(still, audit, pending.model_copy(update={"polls": MAX_POLLS - 1}), now=10.0)


def test_run_task_is_idempotent_per_execution() -> None:
    seen: dict[str, Any] = {}

    class Ecs:
        def run_task(self, **kwargs: Any) -> dict[str, Any]:
            seen.update(kwargs)
            return {"tasks": [{"taskArn": TASK, "lastStatus": "PROVISIONING"}], "failures": []}

    current = _registered(started_by="netaudit-abc")
    canary.run(Ecs(), canary_audit(), current, now=0.0)
    assert seen["clientToken"] == seen["startedBy"] == "netaudit-abc"
