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


class EvaluateHostEvent(AuditEvent):
    """One host's probe outcome (GetProbe's, or the Map's failure Pass state's) to judge."""

    host: HostTarget
    probe: ProbeResult


class StateEvent(StepEvent):
    """Clean-up and Report: the whole execution state, whatever step it stopped at."""

    state: dict[str, Any]
