"""Re-record tests/local/fixtures/demo-*.json from real `netaudit demo` runs on this Docker host.

    PYTHONPATH=functions:local .venv/bin/python tests/local/record_demo.py

Each fixture is one demo run (run_demo, what `netaudit demo` runs: today's ASL on moto, the
handlers, this Docker engine as the container instance): the execution's whole history (its
Distributed Map children's events included, as the demo reads it), its status, output, error
and cause. Trimmed so the files stay small: every event's `input` and every Lambda function's
own `output` are written `{}` (the states' outputs, which the report reads, are kept).
"""

import io
import json
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from netaudit_cli.history import END_EVENTS, event_details, parse_json
from netaudit_local.demo.options import DemoOptions
from netaudit_local.demo.run import run_demo

OUT = Path(__file__).resolve().parent / "fixtures"
RUN_LABEL = "tests-demo-rec0rded"  # the execution's name and the containers' name prefix
TRIMMED = "{}"

# fixture -> (network mode, tamper)
DEMOS: dict[str, tuple[Any, Any]] = {
    "demo-none-isolated": ("none", None),  # netaudit demo
    "demo-bridge-extra-interface-violation": ("bridge", "extra-interface"),  # --network-mode bridge --tamper
}


def trimmed(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event with its inputs and its Lambda function's own output written `{}`."""
    out = dict(event)
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            details = dict(value)
            if "input" in details:
                details["input"] = TRIMMED
            if key == "lambdaFunctionSucceededEventDetails" and "output" in details:
                details["output"] = TRIMMED
            out[key] = details
    return out


def outcome(history: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """status, error, output and cause of the execution, from its last event."""
    end = next(e for e in reversed(history) if e.get("type") in END_EVENTS)
    kind = str(end["type"])
    details = event_details(end, kind[0].lower() + kind[1:] + "EventDetails")
    status = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED"}.get(kind, kind)
    found: dict[str, Any] = {"status": status, "error": details.get("error")}
    found["output"] = parse_json(details.get("output"))
    if "cause" in details:
        found["cause"] = details["cause"]
    return found


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a history event")


def record(mode: Any, tamper: Any) -> dict[str, Any]:
    options = DemoOptions(network_mode=mode, tamper=tamper, run_label=RUN_LABEL)
    result = run_demo(options, out=io.StringIO())
    assert result.summary.get("containersLeft") == 0, result.summary
    history = [trimmed(e) for e in result.history]
    return {**outcome(history), "history": history}


def main() -> int:
    for name, (mode, tamper) in DEMOS.items():
        recorded = record(mode, tamper)
        text = json.dumps(recorded, default=_when, ensure_ascii=False)
        (OUT / f"{name}.json").write_text(text + "\n")
        print(name, recorded["status"], len(recorded["history"]), "events", len(text), "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
