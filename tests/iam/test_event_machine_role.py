"""The event machine's role (EventAuditStateMachine, EXPRESS): least privilege, and within the
Standard machine's role, as the local run decides the engine's calls with the latter
(netaudit_local.iam.enable: one engine role)."""

import re
from pathlib import Path

from iam_harness import make_authorizer

from netaudit_local.stack import FUNCTION_TYPE, function_arn
from netaudit_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]


def test_the_event_machine_invokes_exactly_its_states_functions_a_subset_of_the_standard_ones() -> None:
    authorizer = make_authorizer(EnableEventDrivenAudits="true")
    text = (ROOT / "statemachine" / "netaudit-events.asl.json").read_text(encoding="utf-8")
    used = {f"{name}Function" for name in re.findall(r"\$\{(\w+)FunctionArn\}", text)}
    assert used == {
        f"{n}Function" for n in ("Prepare", "ResolveHosts", "SendProbe", "GetProbe", "Evaluate", "Report")
    }
    functions = [k for k, r in load_template()["Resources"].items() if r.get("Type") == FUNCTION_TYPE]
    for logical in functions:
        invoke = {"FunctionName": function_arn(logical)}
        allowed = authorizer.check("EventAuditStateMachine", "lambda", "Invoke", invoke) is None
        assert allowed == (logical in used), logical
        if allowed:
            assert authorizer.check("NetauditStateMachine", "lambda", "Invoke", invoke) is None, logical
