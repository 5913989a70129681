"""The payload each Lambda step receives (built by the state machine's `Parameters`)."""

from typing import Any

from pydantic import Field

from netaudit.models.inputs import (
    Audit,
    Canary,
    Defaults,
    ExecutionRef,
    HostTarget,
    Lenient,
    ProbeResult,
    Resolved,
    SentCommand,
)


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


class SendProbeEvent(AuditEvent):
    host: HostTarget


class GetProbeEvent(StepEvent):
    host: HostTarget
    command: SentCommand


class EvaluateEvent(StepEvent):
    resolved: Resolved
    probes: list[ProbeResult]


class StateEvent(StepEvent):
    """Clean-up and Report: the whole execution state, whatever step it stopped at."""

    state: dict[str, Any]
