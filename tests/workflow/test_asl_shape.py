"""The definition that ships: built by statemachine/build_asl.py, one processor, names unique,
no construct that AWS turns into an uncatchable States.Runtime."""

import importlib.util
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from netaudit_cli.progress import STATE_PHASE

ROOT = Path(__file__).resolve().parents[2]
ASL = ROOT / "statemachine" / "netaudit.asl.json"


def _definition() -> dict[str, Any]:
    return json.loads(ASL.read_text(encoding="utf-8"))


def _all_states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        yield name, state
        if state["Type"] == "Map":
            yield from _all_states(state["ItemProcessor"]["States"])


def test_committed_definition_is_the_builders_output() -> None:
    spec = importlib.util.spec_from_file_location("build_asl", ROOT / "statemachine" / "build_asl.py")
    assert spec and spec.loader
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    assert ASL.read_text(encoding="utf-8") == builder.render(), "run `make asl` and commit the result"


def test_one_per_host_processor_and_unique_names() -> None:
    names = Counter(name for name, _ in _all_states(_definition()["States"]))
    assert [n for n, c in names.items() if c > 1] == []
    maps = [s for _, s in _all_states(_definition()["States"]) if s["Type"] == "Map"]
    # the Distributed Map (one EXPRESS child per group of hosts) and, inside, the group's hosts
    assert [m["ItemProcessor"]["ProcessorConfig"] for m in maps] == [
        {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        {"Mode": "INLINE"},
    ]
    assert "ItemReader" in maps[0] and "ResultWriter" in maps[0]
    assert sum(1 for n, _ in _all_states(_definition()["States"]) if n == "SendProbe") == 1


def test_waits_take_their_seconds_from_the_input() -> None:
    found = [s for _, s in _all_states(_definition()["States"]) if s["Type"] == "Wait"]
    assert found
    assert all("SecondsPath" in w and "Seconds" not in w for w in found)


def test_no_intrinsic_parses_an_error() -> None:
    # A Cause that is not JSON (Lambda.Unknown, Sandbox.Timedout) makes States.StringToJson raise
    # States.Runtime, which no Catch takes: the canary clean-up would be skipped.
    assert "States.StringToJson" not in ASL.read_text(encoding="utf-8")


def test_every_task_retries_transient_lambda_errors() -> None:
    for name, state in _all_states(_definition()["States"]):
        if state["Type"] != "Task":
            continue
        first = state["Retry"][0]["ErrorEquals"]
        for error in ("Lambda.ClientExecutionTimeoutException", "Lambda.Unknown", "Lambda.ServiceException"):
            assert error in first, (name, error)


def test_every_state_has_a_demo_phase() -> None:
    missing = [name for name, _ in _all_states(_definition()["States"]) if name not in STATE_PHASE]
    assert missing == []
    stale = set(STATE_PHASE) - {name for name, _ in _all_states(_definition()["States"])}
    assert stale == set()
