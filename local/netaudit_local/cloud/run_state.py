"""The state of one local run that its seams (lambdas, ecs, ssm) share, apart from the seams
themselves (cloud.aws.Seams builds those): the seams import this, not cloud.aws, so nothing in
cloud/ imports in a circle.

Never imported by a Lambda.
"""

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from netaudit_local.cloud import rate_quota
from netaudit_local.cloud.account import ACCOUNT
from netaudit_local.hosts.host import CommandOutcome, Host


@dataclass
class Invocation:
    function: str
    event: dict[str, Any]
    error: str | None = None


@dataclass
class CommandRecord:
    command_id: str
    instance_id: str
    document_name: str
    outcome: CommandOutcome
    polls_before_done: int
    step_name: str
    stdout_url: str = ""
    stderr_url: str = ""
    requested: datetime = field(default_factory=lambda: datetime.now(UTC))


class RunState:
    """State of one local run that the seams share: the hosts, the handlers, what was invoked and
    sent. `Seams` (cloud.aws) adds the seams themselves."""

    def __init__(
        self,
        hosts: Sequence[Host],
        handlers: Mapping[str, str],
        in_progress_polls: int = 1,
        throttle_once: Sequence[str] = (),
        rate_quotas: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        self.hosts = {h.instance_id: h for h in hosts}
        # "ssm:SendCommand" -> (requests per second, burst): AWS's rate quotas, held (rate_quota)
        self.rate_quotas = rate_quota.buckets(rate_quotas or {})
        self.handlers = dict(handlers)
        self.in_progress_polls = in_progress_polls
        self.throttles = set(throttle_once)
        for host in hosts:
            self.throttles |= set(getattr(getattr(host, "faults", None), "throttle_once", ()) or ())
        self.throttled: list[str] = []
        self.documents: dict[str, dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], CommandRecord] = {}  # (command id, instance id)
        self.invocations: list[Invocation] = []
        self.task_hosts: dict[str, str] = {}  # task ARN -> instance id
        # function name -> its environment as the template gives it (each invocation sees only its own)
        self.environments: dict[str, dict[str, str]] = {}
        self.exit_stack: ExitStack | None = None  # the patches of this run (IAM hooks join it)
        self.iam: Any = None  # netaudit_local.iam.Authorizer once create_stack enabled IAM

    # --- helpers -----------------------------------------------------------------------
    def maybe_throttle(self, operation: str) -> None:
        from moto.core.exceptions import JsonRESTError

        if operation in self.throttles:
            self.throttles.discard(operation)
            self.throttled.append(operation)
            raise JsonRESTError("ThrottlingException", "Rate exceeded")
        quota = self.rate_quotas.get(operation)
        if quota is not None and not quota.take():
            self.throttled.append(operation)
            raise JsonRESTError("ThrottlingException", "Rate exceeded")

    def host_of_instance(self, instance_id: str) -> Host | None:
        return self.hosts.get(instance_id)

    def host_account(self, instance_id: str) -> str:
        """The account a host's instance is in (the local stack's, unless a member's: org.py)."""
        return str(getattr(self.hosts.get(instance_id), "account", "") or ACCOUNT)

    def host_of_task(self, task_arn: str) -> Host | None:
        iid = self.task_hosts.get(task_arn)
        return self.hosts.get(iid) if iid else None

    def invoke(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        """Lambda Invoke of the function's real handler: `Seams.invoke`."""
        raise NotImplementedError
