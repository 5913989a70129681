"""Reading a Step Functions execution history (light: the demo imports it before moto)."""

from collections.abc import Mapping, Sequence
from typing import Any

# A Lambda Task state's invocation, as moto's engine ("LambdaFunction…") or AWS ("Task…") logs it.
LAMBDA_SCHEDULED = ("LambdaFunctionScheduled", "TaskScheduled")


def transitions(history: Sequence[Mapping[str, Any]]) -> int:
    """State transitions as AWS bills them: one per state entered."""
    return sum(1 for e in history if str(e.get("type", "")).endswith("StateEntered"))


def lambda_calls(history: Sequence[Mapping[str, Any]]) -> int:
    """Lambda invocations the state machine scheduled."""
    return sum(1 for e in history if e.get("type") in LAMBDA_SCHEDULED)
