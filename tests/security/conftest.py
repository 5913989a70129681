"""Fixtures of the security tests: a local stack (the real ASL, handlers and template on moto)
with a recorded container instance, and what "nothing was created" means, in one place.

One stack per test module (`stack`): creating one costs ~1 s. `stack.deploy(parameters)` changes
the Prepare function's environment the way a stack update of those template parameters would
(read from template.yaml), so a module runs many deployments on one stack.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from netaudit_local.aws_seams import REGION, local_aws
from netaudit_local.recorded_host import RecordedHost
from netaudit_local.stack import ExecutionResult, LocalStack, create_stack, run_execution
from netaudit_local.template import load_template

RECORDINGS = Path(__file__).resolve().parents[1] / "workflow" / "fixtures"
ENI = "172.17.0.3"  # the address in the awsvpc recording


def recordings() -> dict[str, str]:
    modes = ("none", "bridge", "host", "awsvpc")
    return {m: (RECORDINGS / f"probe-{m}-isolated.json").read_text() for m in modes}


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
        for name, value in variables.items():
            self.stack.seams.env[name] = params[value["Ref"]] if isinstance(value, dict) else str(value)

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


@pytest.fixture(scope="module")
def stack() -> Iterator[Secured]:
    """One local stack for the module, with an ACTIVE cluster `other` that is not the deployment's."""
    with local_aws([]) as seams:
        host = RecordedHost(recordings(), eni_ipv4=ENI)
        seams.hosts[host.instance_id] = host
        seams.in_progress_polls = 0
        secured = Secured(create_stack(seams), host)
        boto3.client("ecs", region_name=REGION).create_cluster(clusterName="other")
        yield secured


@pytest.fixture
def deployed(stack: Secured) -> Iterator[Secured]:
    """The module's stack with the template's default parameters (a test may `deploy` others)."""
    stack.deploy()
    yield stack
    stack.deploy()
