"""The recorded probe outputs the tests replay, in one place (all written by
tests/probe/record_fixtures.py from the real probe on a Docker host).

- `probe(name)`: tests/fixtures/probes/<name>.json, one task each, exactly as the probe printed
  it; `EXPECTATIONS[name]` is that task as recorded (taskArn, declaredMode, ENI, verdict).
- `by_mode(...)`: per network mode, the probe output a recorded container instance
  (netaudit_local.hosts.recorded_host) replays for the tasks the local stack runs, the task ARN
  written `__TASK_ARN__` (tests/workflow/fixtures/probe-*.json); `AWSVPC_ENI` is the ENI address
  in the awsvpc one, which that host must hand out.

Imported by name (`import recordings`): the tests run with tests/ on sys.path, as ci_env is.
"""

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from netaudit.models.verdict import NETWORK_MODES

TESTS = Path(__file__).resolve().parent
PROBES = TESTS / "fixtures" / "probes"
BY_MODE = TESTS / "workflow" / "fixtures"
EXPECTATIONS: dict[str, dict[str, Any]] = json.loads(
    (TESTS / "verdict" / "fixture_expectations.json").read_text()
)
NONE_ISOLATED = "probe-none-isolated.json"
NONE_VIOLATION = "probe-none-violation.json"  # declared none, running in docker's bridge: eth0


def probe(name: str) -> str:
    """The probe's stdout of recording `name` (tests/fixtures/probes), as printed."""
    return (PROBES / f"{name}.json").read_text()


def probe_paths() -> list[Path]:
    return sorted(PROBES.glob("*.json"))


def by_mode(modes: Iterable[str] = NETWORK_MODES, none: str = NONE_ISOLATED) -> dict[str, str]:
    """Network mode -> the recorded host's probe output for a task of that mode; `none`: the
    file for none-mode tasks (NONE_VIOLATION: they are not isolated)."""
    return {m: (BY_MODE / (none if m == "none" else f"probe-{m}-isolated.json")).read_text() for m in modes}


def _eni_ipv4(recording: str) -> str:
    """The IPv4 on eth0 of the awsvpc recording's task netns (the ENI, as the CNI plugin put it)."""
    doc = json.loads(recording)
    for netns in doc["namespaces"].values():
        for link in netns["addr"]:
            for addr in link.get("addr_info", []):
                if link["ifname"] == "eth0" and addr["family"] == "inet":
                    return str(addr["local"])
    raise ValueError("the awsvpc recording has no IPv4 on eth0")


AWSVPC_ENI = _eni_ipv4(by_mode(["awsvpc"])["awsvpc"])
