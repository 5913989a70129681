"""A StopCanary role that may not ListTasks (issue 9, finding 2) must still stop the canary it
knows by ARN, and then fail with AWS's error (the execution reports the clean-up failure)."""

from typing import Any

import pytest
from botocore.exceptions import ClientError

from netaudit.models.inputs import Canary
from netaudit.workflow import canary

TASK = "arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef"
TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/netaudit-canary-none:3"
DENIED = "User: x is not authorized to perform: ecs:ListTasks on resource: * because no policy allows it"


class _Ecs:
    def __init__(self) -> None:
        self.stopped: list[str] = []
        self.deregistered: list[str] = []

    def list_tasks(self, **_: Any) -> dict[str, Any]:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": DENIED}}, "ListTasks")

    def stop_task(self, cluster: str, task: str, reason: str) -> None:
        self.stopped.append(task)

    def deregister_task_definition(self, taskDefinition: str) -> None:
        self.deregistered.append(taskDefinition)


def test_list_denied_still_stops_the_known_canary_then_raises() -> None:
    ecs = _Ecs()
    known = Canary(
        task_definition_arn=TD,
        family="netaudit-canary-none",
        revision=3,
        network_mode="none",
        started_by="netaudit-x",
        task_arn=TASK,
    )
    with pytest.raises(ClientError, match="ecs:ListTasks"):
        canary.stop(ecs, "default", known, "exec", "ecs-netaudit: audit finished")
    assert ecs.stopped == [TASK] and ecs.deregistered == [TD]
