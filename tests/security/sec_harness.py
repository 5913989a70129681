"""Helpers of the security tests: a local stack on a recorded host and what it created (imported by
the tests and by conftest.py; a module of its own, since every test folder has a conftest)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from netaudit_local.cloud.account import REGION
from netaudit_local.hosts.recorded_host import RecordedHost
from netaudit_local.stack import ExecutionResult, LocalStack, function_name, run_execution
from netaudit_local.template import load_template


@dataclass
class Snapshot:
    task_definitions: int
    tasks: int
    commands: int


@dataclass
class Secured:
    stack: LocalStack
    host: RecordedHost
    runs: int = 0
    before: Snapshot | None = None
    base_env: dict[str, str] = field(default_factory=dict)

    def deploy(self, parameters: Mapping[str, str] | None = None) -> None:
        """The Prepare function's environment as the template wires these parameters into it."""
        template = load_template()
        params = {k: str(v.get("Default", "")) for k, v in template["Parameters"].items()}
        params.update(parameters or {})
        variables = template["Resources"]["PrepareFunction"]["Properties"]["Environment"]["Variables"]
        prepare = self.stack.seams.environments[function_name("PrepareFunction")]
        for name, value in variables.items():
            prepare[name] = params[value["Ref"]] if isinstance(value, dict) else str(value)

    def snapshot(self) -> Snapshot:
        return Snapshot(len(self.task_definitions()), len(self.host.started), len(self.stack.seams.commands))

    def run(self, payload: Any) -> ExecutionResult:
        """Start an execution with `payload` exactly as given (the console's input)."""
        self.runs += 1
        self.before = self.snapshot()
        if isinstance(payload, dict) and "pollIntervalSeconds" not in payload:
            payload = {**payload, "pollIntervalSeconds": 0}
        if isinstance(payload, dict):
            return run_execution(self.stack, f"sec-{self.runs}", payload)
        return _run_raw(self.stack, f"sec-{self.runs}", payload)  # run_execution takes a mapping

    def task_definitions(self) -> list[str]:
        ecs = boto3.client("ecs", region_name=REGION)
        arns: list[str] = []
        for status in ("ACTIVE", "INACTIVE"):
            arns += ecs.list_task_definitions(status=status)["taskDefinitionArns"]
        return sorted(arns)

    def assert_nothing_created(self) -> None:
        """The last run registered no task definition, ran no task, sent no SSM command."""
        assert self.before is not None
        assert self.snapshot() == self.before


def _run_raw(stack: LocalStack, name: str, payload: Any) -> ExecutionResult:
    import json
    import time

    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.start_execution(stateMachineArn=stack.state_machine_arn, name=name, input=json.dumps(payload))[
        "executionArn"
    ]
    deadline = time.monotonic() + 30
    while (desc := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "execution still RUNNING"
        time.sleep(0.01)
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    output = json.loads(desc["output"]) if desc.get("output") else None
    return ExecutionResult(desc["status"], output, desc.get("error"), desc.get("cause"), history, arn)


