"""The payload each Lambda step receives (built by the state machine's `Parameters`)."""

from typing import Any, Literal

from pydantic import Field

from netaudit.models.inputs import (
    Audit,
    Canary,
    Defaults,
    ExecutionRef,
    HostTarget,
    Lenient,
    SentCommand,
)
from netaudit.models.state import ExecutionState


class StepEvent(Lenient):
    execution: ExecutionRef = Field(default_factory=ExecutionRef)


class PrepareEvent(StepEvent):
    input: Any = None
    defaults: Defaults


class AuditEvent(StepEvent):
    audit: Audit


class CanaryEvent(AuditEvent):
    canary: Canary


class ResolveHostsEvent(AuditEvent):
    canary: Canary | None = None
    inline: bool = False  # the event machine: the resolution in the state (workflow.hosts.publish)


class SendProbeEvent(AuditEvent):
    host: HostTarget


class GetProbeEvent(StepEvent):
    host: HostTarget
    command: SentCommand


class HostIteration(Lenient):
    """One host's child execution state when it reaches EvaluateHost: the command that reached a
    terminal status, or the error (Step Functions' {Error, Cause}) that ended the probe first."""

    audit: Audit
    host: HostTarget
    command: SentCommand | None = None
    error: dict[str, Any] | None = None
    result_bytes: int = 0  # the event machine: verdicts up to this size come back inline


class EvaluateHostEvent(StepEvent):
    """One host's iteration to judge (EvaluateHost is reached from the poll loop or any Catch)."""

    iteration: HostIteration


class StateEvent(StepEvent):
    """Clean-up and Report: the whole execution state, whatever step it stopped at."""

    state: ExecutionState


class ExecutionStatusDetail(Lenient):
    execution_arn: str
    state_machine_arn: str = ""
    name: str = ""
    status: Literal["FAILED", "TIMED_OUT", "ABORTED"]


class ExecutionStatusChange(Lenient):
    """EventBridge's "Step Functions Execution Status Change" event (the rule filters the status)."""

    detail: ExecutionStatusDetail
