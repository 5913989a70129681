"""The local runner fails loudly where AWS would fail an execution for a state payload over 256 KiB."""

import pytest

from netaudit_local.cloud.stepfunctions import STATE_PAYLOAD_LIMIT, PayloadLimitExceeded, check_payload_sizes


def _exited(name: str, output: str) -> dict:
    return {"type": "TaskStateExited", "stateExitedEventDetails": {"name": name, "output": output}}


def test_an_output_over_256_kib_is_refused_with_the_state_name() -> None:
    history = [_exited("ResolveHosts", "x" * (STATE_PAYLOAD_LIMIT + 1))]
    with pytest.raises(PayloadLimitExceeded, match="ResolveHosts: output is 262145 bytes"):
        check_payload_sizes(history)


def test_sizes_are_counted_in_bytes_and_the_limit_itself_passes() -> None:
    check_payload_sizes([_exited("Report", "x" * STATE_PAYLOAD_LIMIT)])
    with pytest.raises(PayloadLimitExceeded):
        check_payload_sizes([_exited("Report", "é" * (STATE_PAYLOAD_LIMIT // 2 + 1))])
