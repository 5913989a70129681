"""An execution audits only the deployment's cluster, and the probe is only ever the project's
SSM document (threats T6, T13 of docs/THREAT_MODEL.md)."""

import json
from pathlib import Path
from typing import Any

import pytest
from sec_harness import Secured

from netaudit.errors import InvalidInput
from netaudit.models.inputs import Defaults, ExecutionRef
from netaudit.settings import CanarySettings
from netaudit.workflow.prepare import prepare
from netaudit_local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
OTHER_TASK = "arn:aws:ecs:us-east-1:123456789012:task/other/0123456789abcdef0123456789abcdef"


class Ecs:
    """Both clusters exist and are ACTIVE (as when the roles were widened by hand)."""

    def describe_clusters(self, clusters: list[str]) -> dict[str, Any]:
        name = clusters[0].rsplit(":cluster/", 1)[-1]
        return {"clusters": [{"clusterName": name, "status": "ACTIVE"}]}


def _prepare(payload: dict[str, Any]) -> str:
    defaults = Defaults(
        cluster="default", poll_interval_seconds=0, running_deadline_seconds=60, probe_deadline_seconds=60
    )
    return prepare(payload, defaults, ExecutionRef(), Ecs(), CanarySettings(image="busybox")).cluster


# --- another cluster ---------------------------------------------------------------------------


def test_another_existing_cluster_is_refused_end_to_end(stack: Secured) -> None:
    stack.deploy()
    result = stack.run({"cluster": "other", "target": {"kind": "cluster"}})
    assert result.status == "FAILED" and result.error == "InvalidInput", (result.error, result.cause)
    assert "cluster: this deployment may only audit cluster 'default', not 'other'" in (result.cause or "")
    stack.assert_nothing_created()


def test_a_task_of_another_cluster_is_refused_end_to_end(stack: Secured) -> None:
    stack.deploy()
    result = stack.run({"target": {"kind": "tasks", "taskArns": [OTHER_TASK]}})
    assert result.status == "FAILED" and result.error == "InvalidInput", (result.error, result.cause)
    assert "target.taskArns[0]: a task of cluster 'other'" in (result.cause or "")
    stack.assert_nothing_created()


@pytest.mark.parametrize(
    "cluster",
    [
        "other",
        "arn:aws:ecs:us-east-1:123456789012:cluster/other",
        "arn:aws:ecs:us-east-1:999999999999:cluster/x",
    ],
)
def test_another_cluster_by_name_or_arn_is_refused(cluster: str) -> None:
    with pytest.raises(InvalidInput, match="cluster: this deployment may only audit cluster 'default'"):
        _prepare({"cluster": cluster})


@pytest.mark.parametrize("cluster", ["default", "arn:aws:ecs:us-east-1:123456789012:cluster/default"])
def test_the_deployments_cluster_by_name_or_arn_is_audited(cluster: str) -> None:
    assert _prepare({"cluster": cluster}) == "default"


def test_old_format_task_arns_carry_no_cluster_and_pass_to_describe_tasks_on_ours() -> None:
    old = "arn:aws:ecs:us-east-1:123456789012:task/0123456789abcdef0123456789abcdef"
    assert _prepare({"target": {"kind": "tasks", "taskArns": [old]}}) == "default"


# --- the probe document --------------------------------------------------------------------------


class RecordingSsm:
    def __init__(self) -> None:
        import botocore.session

        self.sent: list[dict[str, Any]] = []
        # a real client's meta (its events, its service model): aws_clients.never_resend registers there
        self.meta = botocore.session.get_session().create_client("ssm", region_name="us-east-1").meta

    def send_command(self, **kwargs: Any) -> dict[str, Any]:
        self.sent.append(kwargs)
        return {"Command": {"CommandId": "c-1"}}

    def list_commands(self, **_: Any) -> dict[str, Any]:  # nothing sent before
        return {"Commands": []}


def test_send_probe_ignores_any_document_name_in_its_event(monkeypatch: pytest.MonkeyPatch) -> None:
    from netaudit import aws_clients
    from netaudit.handlers import send_probe
    from netaudit_local.cloud.account import LOCAL_ENV
    from netaudit_local.cloud.lambdas import FakeLambdaContext

    for key, value in LOCAL_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PROBE_DOCUMENT_NAME", "the-projects-probe")
    monkeypatch.setenv("EVIDENCE_BUCKET", "the-evidence-bucket")  # SendProbe's other variable
    ssm = RecordingSsm()
    members: list[Any] = []
    monkeypatch.setattr(aws_clients, "ssm", lambda who=None: members.append(who) or ssm)
    event = json.loads((ROOT / "events" / "send_probe.json").read_text())
    swapped = "AWS-RunShellScript"
    for where in (event, event["audit"], event["host"]):
        where.update({"document": swapped, "documentName": swapped, "DocumentName": swapped})
    send_probe.handler(event, FakeLambdaContext("send"))
    # a member account's host (issue 21): the member stack's copy of the document, by its fixed name
    event["host"]["account"] = "222222222222"
    send_probe.handler(event, FakeLambdaContext("send"))
    assert [s["DocumentName"] for s in ssm.sent] == ["the-projects-probe", aws_clients.MEMBER_PROBE_DOCUMENT]
    assert members[0] is None and members[1].account == "222222222222"
    assert all(set(sent["Parameters"]) <= {"taskArn"} for sent in ssm.sent)


def test_the_functions_get_the_projects_document_only_from_the_template() -> None:
    template = load_template()
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["PROBE_DOCUMENT_NAME"] == {"Ref": "ProbeDocument"}
    asl = json.loads((ROOT / "statemachine" / "netaudit.asl.json").read_text())
    keys = _keys(asl)
    assert not [k for k in keys if "document" in k.lower()], "the state machine passes a document name"


def _keys(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [k for k in node] + [k for v in node.values() for k in _keys(v)]
    if isinstance(node, list):
        return [k for v in node for k in _keys(v)]
    return []


def _send_command_document_resources(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        actions = node.get("Action")
        actions = [actions] if isinstance(actions, str) else actions or []
        if "ssm:SendCommand" in actions:
            found += [json.dumps(r) for r in node.get("Resource", []) if ":document/" in json.dumps(r)]
        for value in node.values():
            found += _send_command_document_resources(value)
    elif isinstance(node, list):
        for value in node:
            found += _send_command_document_resources(value)
    return found


def test_iam_lets_send_command_run_only_the_projects_document() -> None:
    resources = _send_command_document_resources(load_template()["Resources"])
    assert resources, "no ssm:SendCommand statement names a document"
    assert all("${ProbeDocument}" in r for r in resources), resources


def test_a_whole_audit_sends_only_the_projects_document(stack: Secured) -> None:
    stack.deploy()
    result = stack.run({"target": {"networkMode": "none"}})
    assert result.status == "SUCCEEDED", result.cause
    documents = {c.document_name for c in stack.stack.seams.commands.values()}
    assert documents == {stack.stack.document_name}
