"""The parent execution's state as StopCanary and Report receive it (`"state.$": "$"`).

Each part is written by one state of statemachine/build_asl.py; every part is optional because
the error path reaches StopTaskOnError and ReportError from any step:
- `audit`, `canary` (None): Prepare (ResultPath `$`); `canary`: RegisterTaskDefinition, RunTask,
  DescribeTask (`$.canary`);
- `resolved`: ResolveHosts (`$.resolved`, a reference to S3, or the resolution inline);
- `hostResults`: the event machine's ProbeHosts (each host's EvaluateHost result);
- `error`: any Catch (`$.error`, Step Functions' {Error, Cause}); PrepareFailed wraps Prepare's;
- `cleanup`: StopTask / StopTaskOnError (`$.cleanup`); `cleanupError`: StopTaskOnError's Catch;
- `rejected`: ExplainRejection passes Prepare's InvalidInput error as `{"rejected": ...}`.
"""

from typing import Any

from pydantic import Field, PrivateAttr, ValidatorFunctionWrapHandler, model_validator

from netaudit.errors import error_message
from netaudit.models.inputs import Audit, Canary, Lenient, ResolvedRef


class StepError(Lenient):
    """A caught error as Step Functions passes it: `{"Error": name, "Cause": text}`."""

    error: str = Field(default="Error", alias="Error")
    cause: str = Field(default="", alias="Cause")

    def message(self) -> str:
        return error_message({"Cause": self.cause})


class Cleanup(Lenient):
    """StopCanary's result."""

    stopped_tasks: list[str] = Field(default_factory=list)
    deregistered: str | None = None


class ExecutionState(Lenient):
    audit: Audit | None = None
    canary: Canary | None = None
    resolved: ResolvedRef | None = None
    host_results: list[dict[str, Any]] | None = None  # the event machine's Inline Map (EvaluateHost's)
    error: StepError | None = None
    cleanup: Cleanup | None = None
    cleanup_error: StepError | None = None
    rejected: StepError | None = None
    _received: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_received(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> "ExecutionState":
        state: ExecutionState = handler(data)
        if isinstance(data, dict):
            state._received = data
        return state

    def received(self) -> dict[str, Any]:
        """The state exactly as it came (the evidence JSON records it as received)."""
        return self._received

    @property
    def kind(self) -> str:
        """The audit's target kind ("canary" before Prepare succeeded, like the default input)."""
        return self.audit.target.kind if self.audit else "canary"

    @property
    def cluster(self) -> str | None:
        return self.audit.cluster if self.audit else None
