"""The event machine's role (EventAuditStateMachine, EXPRESS): least privilege, and the local run
decides each execution's engine calls as the role of its own state machine (iam.hooks,
moto_patches.ENGINE_ROLE), as AWS makes them with the role the machine was created with."""

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from iam_harness import make_authorizer, template_copy

from netaudit_cli.history import audit_report
from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.cloud.aws import local_aws
from netaudit_local.hosts.fleet import Placer, fleet_hosts
from netaudit_local.pipes import NO_WINDOW, create_event_path
from netaudit_local.stack import FUNCTION_TYPE, create_stack, function_arn, function_name, run_execution
from netaudit_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]


def test_the_event_machine_invokes_exactly_its_states_functions() -> None:
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


def _event_audit_and_standard_audit(template: Path) -> tuple[Any, Any, Any]:
    """An event audit of one task and a Standard audit of the same cluster, on `template`."""
    hosts = fleet_hosts(1)
    with local_aws(hosts, in_progress_polls=0) as seams:
        stack = create_stack(seams, {**NO_WINDOW, "PollIntervalSeconds": 0}, template_path=template)
        placer = Placer(seams, stack.cluster, stack.container_instances, stack.subnet_id)
        (arn,) = placer.place(hosts[0], ["none"])
        events = create_event_path(stack)
        ecs = boto3.client("ecs", region_name=REGION)
        events.emit(ecs.describe_tasks(cluster=stack.cluster, tasks=[arn])["tasks"][0])
        batch = events.poll()
        assert batch is not None and batch.execution_arn
        standard = run_execution(
            stack, "iam-standard", {"target": {"kind": "cluster"}, "pollIntervalSeconds": 0}
        )
        return batch, standard, list(seams.iam.denials)


@pytest.mark.parametrize(
    ("missing", "outcome"),
    [("EvaluateFunction", ("SUCCEEDED", "INCONCLUSIVE")), ("ReportFunction", ("FAILED", None))],
)
def test_the_event_machine_is_decided_as_its_own_role(
    tmp_path: Path, missing: str, outcome: tuple[str, str | None]
) -> None:
    # the event machine's role lacks one of its functions (a second grant of Prepare instead): its
    # invoke of that function is denied; the Standard machine (whose role has it) still passes
    old = f"            FunctionName: !Ref {missing}\n"
    copy = template_copy(
        tmp_path, "EventAuditStateMachine", old, "            FunctionName: !Ref PrepareFunction\n"
    )
    batch, standard, denials = _event_audit_and_standard_audit(copy)
    # Evaluate's denial is the host's failure (INCONCLUSIVE, never ISOLATED); Report's, the audit's
    assert (batch.status, (batch.output or {}).get("verdict")) == outcome, batch.output
    assert {(d.role, d.request.action) for d in denials} == {
        ("EventAuditStateMachine", "lambda:InvokeFunction")
    }
    assert all(d.request.resource.endswith(f"function:{function_name(missing)}") for d in denials), denials
    assert standard.status == "SUCCEEDED", standard.cause
    assert audit_report(standard.history)["verdict"] == "ISOLATED"


def test_an_engine_call_of_a_role_no_machine_of_the_stack_has_is_refused(tmp_path: Path) -> None:
    # never decided as another machine's role, never let through undecided
    hosts = fleet_hosts(1)
    with local_aws(hosts, in_progress_polls=0) as seams:
        stack = create_stack(seams, {"PollIntervalSeconds": 0})
        definition = {
            "StartAt": "T",
            "States": {"T": {"Type": "Task", "Resource": function_arn("PrepareFunction"), "End": True}},
        }
        sfn = boto3.client("stepfunctions", region_name=REGION)
        arn = sfn.create_state_machine(
            name="someone-elses",
            definition=json.dumps(definition),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/other",
        )["stateMachineArn"]
        result = run_execution(replace(stack, state_machine_arn=arn), "iam-other-role", {})
        assert result.status == "FAILED" and result.error == "Lambda.AWSLambdaException", result.cause
        assert "role/other is not the role of a state machine of this stack" in (result.cause or "")
        assert function_name("PrepareFunction") not in {i.function for i in seams.invocations}
