#!/usr/bin/env python3
"""Builds statemachine/netaudit.asl.json and netaudit-events.asl.json: the one definition, with no
block written twice (asl_states.py: the shared states; asl_standard.py, asl_events.py: each machine).

The definition that ships is the committed JSON (SAM's DefinitionUri); this builder is how it is
written, and tests/workflow/test_asl_shape.py fails when the two differ. Run `make asl` after a change.

Shape (each name defined once in the whole machine, Map processor included: Step Functions
refuses duplicates at CreateStateMachine, and asl-validator checks it in `make lint`):
- the per-host processor exists once, inside a Distributed Map reading groups of hosts from S3:
  one EXPRESS child execution per group (see group_processor for the cost and the 5-minute bound),
  and no host list or per-host result travels in the parent's state (256 KiB): EvaluateHost
  writes each host's verdicts to S3, Report reads them.
- every poll loop is bounded by a poll count as well as a deadline (handlers raise after
  MAX_POLLS), so no history can reach 25,000 events whatever the poll interval.
- no intrinsic function parses an error: a Cause that is not JSON (Lambda.Unknown,
  Sandbox.Timedout) would raise States.Runtime, which no Catch can take. Handlers parse errors.
- every Choice reads a path the previous Task always writes (on AWS a missing path is a runtime
  error, not the Default branch as in moto).
"""

import json
import sys
from pathlib import Path

# the modules beside this script, however it is loaded (`python statemachine/build_asl.py`, a test)
sys.path.insert(0, str(Path(__file__).resolve().parent))

from asl_events import event_definition
from asl_standard import definition

OUT = Path(__file__).with_name("netaudit.asl.json")
EVENT_OUT = Path(__file__).with_name("netaudit-events.asl.json")

__all__ = ["EVENT_OUT", "OUT", "definition", "event_definition", "render"]


def render(express: bool = False) -> str:
    return json.dumps(event_definition() if express else definition(), indent=2) + "\n"


if __name__ == "__main__":
    outputs = {OUT: render(), EVENT_OUT: render(express=True)}
    if sys.argv[1:] == ["--check"]:
        sys.exit(0 if all(out.read_text(encoding="utf-8") == text for out, text in outputs.items()) else 1)
    for out, text in outputs.items():
        out.write_text(text, encoding="utf-8")
