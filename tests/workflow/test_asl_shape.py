"""The inline and the Distributed Map run the same per-host processor: the two copies must not drift."""

import json
from pathlib import Path

ASL = Path(__file__).resolve().parents[2] / "statemachine" / "netaudit.asl.json"


def _states() -> dict:
    return json.loads(ASL.read_text(encoding="utf-8"))["States"]


def test_inline_and_distributed_maps_share_one_processor() -> None:
    states = _states()
    inline = states["ProbeHosts"]["ItemProcessor"]
    distributed = states["ProbeHostsDistributed"]["ItemProcessor"]
    assert inline["ProcessorConfig"]["Mode"] == "INLINE"
    assert distributed["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert inline["StartAt"] == distributed["StartAt"]
    assert inline["States"] == distributed["States"]


def test_waits_take_their_seconds_from_the_input() -> None:
    def waits(states: dict):
        for state in states.values():
            if state["Type"] == "Wait":
                yield state
            if state["Type"] == "Map":
                yield from waits(state["ItemProcessor"]["States"])

    found = list(waits(_states()))
    assert found
    assert all("SecondsPath" in w and "Seconds" not in w for w in found)
