"""Named errors. The class name is the error name the state machine catches (`ErrorEquals`).

A Lambda that raises one of these fails its Task state with `Error` = the class name and
`Cause` = the Lambda error payload (`errorMessage` holds the readable text).
"""

import json
from typing import Any


class NetauditError(Exception):
    """Base class: the message is what the user reads in the execution's cause."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(NetauditError):
    """The execution input is malformed: nothing was created."""


class PlacementFailed(NetauditError):
    """ECS RunTask placed no task (its `failures` carry the reason, e.g. RESOURCE:MEMORY)."""


class TaskStoppedEarly(NetauditError):
    """The task stopped before it reached RUNNING (the message carries its stoppedReason)."""


class TaskStartTimeout(NetauditError):
    """The task did not reach RUNNING before the running deadline."""


class HostNotManaged(NetauditError):
    """The container instance is not Online in SSM: the probe cannot be sent there."""


class ProbeFailed(NetauditError):
    """The SSM command ended Failed / Cancelled, or its output could not be read."""


class ProbeTimedOut(NetauditError):
    """The SSM command timed out, or did not finish before the probe deadline."""


class AccountsNotListed(NetauditError):
    """`accounts: "*"` with MemberAccounts *: organizations:ListAccounts was refused or failed (the
    message names the call and what to grant); nothing was created."""


class AwsThrottled(NetauditError):
    """An AWS API still throttled after the client's own retries: the state machine retries."""


# AWS error codes of throttling (the ones botocore's standard retry mode retries as throttles).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
    }
)


# Error names of the final Fail state that are verdicts, not exceptions.
VIOLATION = "IsolationViolated"
INCONCLUSIVE = "AuditInconclusive"


def error_message(error: dict[str, Any]) -> str:
    """The readable text of a caught error: its `Cause` is a Lambda error payload (JSON with
    `errorMessage`) or, for Step Functions' own errors (Sandbox.Timedout, ...), plain text."""
    cause = error.get("Cause", "")
    try:
        payload = json.loads(cause)
    except (TypeError, ValueError):
        return str(cause)
    if isinstance(payload, dict) and "errorMessage" in payload:
        return str(payload["errorMessage"])
    return str(cause)
