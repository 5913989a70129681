"""End-to-end against a real deployment (`sam deploy`): what moto cannot prove.

Run after deploying, with AWS credentials for the stack's account:

    NETAUDIT_E2E_STACK=ecs-netaudit make e2e
    # awsvpc canary too: NETAUDIT_E2E_SUBNETS=subnet-...,subnet-... NETAUDIT_E2E_SECURITY_GROUPS=sg-...

Skipped (with that reason) when no stack name or no credentials are given. Each test starts a
real execution of the deployed state machine and checks what AWS really did: the canary is
stopped afterwards, its revision deregistered, bad input fails before anything is created.
"""

import hashlib
import json
import os
import time
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

STACK = os.environ.get("NETAUDIT_E2E_STACK", "")
TIMEOUT_S = int(os.environ.get("NETAUDIT_E2E_TIMEOUT", "900"))


def _session() -> Any:
    if not STACK:
        pytest.skip("NETAUDIT_E2E_STACK is not set: no deployed stack to test (see tests/e2e docstring)")
    import boto3

    session = boto3.Session()
    if session.get_credentials() is None:
        pytest.skip("no AWS credentials: the end-to-end tests need the deployed stack's account")
    return session


@pytest.fixture(scope="module")
def stack() -> dict[str, str]:
    session = _session()
    outputs = session.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]
    found = {o["OutputKey"]: o["OutputValue"] for o in outputs}
    params = session.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]["Parameters"]
    found.update({p["ParameterKey"]: p.get("ParameterValue", "") for p in params})
    return found


def _run(stack: dict[str, str], payload: dict[str, Any]) -> dict[str, Any]:
    sfn = _session().client("stepfunctions")
    name = f"e2e-{uuid.uuid4().hex[:12]}"
    arn = sfn.start_execution(
        stateMachineArn=stack["StateMachineArn"], name=name, input=json.dumps(payload)
    )["executionArn"]
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        desc = sfn.describe_execution(executionArn=arn)
        if desc["status"] != "RUNNING":
            return dict(desc)
        assert time.monotonic() < deadline, f"{arn} still RUNNING after {TIMEOUT_S} s"
        time.sleep(5)


def _canary_left_running(stack: dict[str, str], execution_arn: str) -> list[str]:
    marker = "netaudit-" + hashlib.sha256(execution_arn.encode()).hexdigest()[:27]  # workflow.canary
    ecs = _session().client("ecs")
    return list(
        # the canary runs in the first cluster of ClusterName (a list; `*` is not used by the e2e stack)
        ecs.list_tasks(
            cluster=stack["ClusterName"].split(",")[0], startedBy=marker, desiredStatus="RUNNING"
        )["taskArns"]
    )


@pytest.mark.parametrize("mode", ["none", "bridge", "host", "awsvpc"])
def test_canary_in_each_mode_is_isolated_and_stopped(stack: dict[str, str], mode: str) -> None:
    target: dict[str, Any] = {"kind": "canary", "networkMode": mode}
    if mode == "awsvpc":
        subnets = [s for s in os.environ.get("NETAUDIT_E2E_SUBNETS", "").split(",") if s]
        groups = [g for g in os.environ.get("NETAUDIT_E2E_SECURITY_GROUPS", "").split(",") if g]
        if not subnets or not groups:
            pytest.skip("awsvpc needs NETAUDIT_E2E_SUBNETS and NETAUDIT_E2E_SECURITY_GROUPS")
        target["awsvpc"] = {"subnets": subnets, "securityGroups": groups}
    desc = _run(stack, {"target": target})
    assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
    assert json.loads(desc["output"])["verdict"] == "ISOLATED"
    assert _canary_left_running(stack, desc["executionArn"]) == []


def test_cluster_audit_reports(stack: dict[str, str]) -> None:
    desc = _run(stack, {"target": {"kind": "cluster"}})
    if desc["status"] == "SUCCEEDED":
        assert json.loads(desc["output"])["verdict"] in ("ISOLATED", "NOTHING_TO_AUDIT")
    else:
        assert desc["error"] in ("IsolationViolated", "AuditInconclusive"), desc.get("cause")
        assert "evidence: s3://" in desc["cause"]


def test_bad_input_fails_before_anything_is_created(stack: dict[str, str]) -> None:
    desc = _run(stack, {"target": {"kind": "canary", "networkMode": "overlay"}})
    assert desc["status"] == "FAILED" and desc["error"] == "InvalidInput"
    assert "networkMode" in desc["cause"]
    assert _canary_left_running(stack, desc["executionArn"]) == []
