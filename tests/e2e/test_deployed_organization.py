"""End-to-end against a deployed hub and one member (issue 21): what moto cannot prove.

Run with credentials of the hub's account, after deploying the hub (MemberAccounts naming the
member) and the member stack (member/netaudit-member.yaml) in that member account:

    NETAUDIT_E2E_STACK=<hub stack> NETAUDIT_E2E_MEMBER_ACCOUNT=<member account id> make e2e

Skipped (with that reason) without them. Checks that AWS really lets the hub's audit assume the
member role and audit the member's clusters (no AccountNotAudited; the report counts the member
account), and that an account outside the stack's scope is refused before anything is created.
"""

import json
import os
import time
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

STACK = os.environ.get("NETAUDIT_E2E_STACK", "")
MEMBER = os.environ.get("NETAUDIT_E2E_MEMBER_ACCOUNT", "")
TIMEOUT_S = int(os.environ.get("NETAUDIT_E2E_TIMEOUT", "900"))


def _session() -> Any:
    if not STACK or not MEMBER:
        pytest.skip("NETAUDIT_E2E_STACK / NETAUDIT_E2E_MEMBER_ACCOUNT not set: no hub and member to test")
    import boto3

    session = boto3.Session()
    if session.get_credentials() is None:
        pytest.skip("no AWS credentials: the end-to-end tests need the hub's account")
    return session


@pytest.fixture(scope="module")
def hub() -> dict[str, str]:
    session = _session()
    described = session.client("cloudformation").describe_stacks(StackName=STACK)["Stacks"][0]
    found = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    found.update({p["ParameterKey"]: p.get("ParameterValue", "") for p in described["Parameters"]})
    if MEMBER not in found.get("MemberAccounts", "").split(",") and found.get("MemberAccounts") != "*":
        pytest.fail(f"the hub stack's MemberAccounts does not name {MEMBER}")
    return found


def _run(hub: dict[str, str], payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
    sfn = _session().client("stepfunctions")
    name = f"e2e-org-{uuid.uuid4().hex[:12]}"
    arn = sfn.start_execution(stateMachineArn=hub["StateMachineArn"], name=name, input=json.dumps(payload))[
        "executionArn"
    ]
    deadline = time.monotonic() + TIMEOUT_S
    while (desc := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"{arn} still RUNNING after {TIMEOUT_S} s"
        time.sleep(5)
    return dict(desc), name


def test_the_member_is_audited_through_its_role(hub: dict[str, str]) -> None:
    desc, _ = _run(hub, {"accounts": [MEMBER], "target": {"kind": "cluster"}})
    cause = str(desc.get("cause") or "")
    assert "AccountNotAudited" not in str(desc.get("error")), cause  # AssumeRole and ListTasks worked
    if desc["status"] == "SUCCEEDED":  # else a VIOLATION or INCONCLUSIVE of the member's own tasks
        assert set(json.loads(desc["output"])["countsByAccount"]) == {MEMBER}


def test_an_account_out_of_scope_is_refused(hub: dict[str, str]) -> None:
    desc, _ = _run(hub, {"accounts": ["000000000000"], "target": {"kind": "cluster"}})
    assert desc["status"] == "FAILED" and desc.get("error") == "InvalidInput", desc.get("cause")
    assert "accounts[0]" in str(desc.get("cause"))
