"""Continuous audits across accounts (issue 21): the hub's organization bus accepts only the
organization's (or the listed) accounts and only ECS Task State Change events (its policy,
decided by iam-simulate), and the enrichment keeps a member's RUNNING task when its cluster is in
MemberClusterName, naming no clusters (the task ARNs name account and cluster)."""

import json
from typing import Any

import pytest

from netaudit.workflow.events_batch import batch_of
from netaudit.workflow.scope import Scope
from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.iam.evaluator import Question, evaluator, policies_key
from netaudit_local.iam.member import member_account
from netaudit_local.stack import placeholder_resolver
from netaudit_local.template import load_template

MEMBER = "222222222222"
ORG = "o-abcdefghij"
BUS = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/netaudit-org-task-events"


def _bus_policy(**params: str) -> dict[str, Any]:
    template = load_template()
    resolve = placeholder_resolver(template, {"EnableEventDrivenAudits": "true", **params})
    props = resolve(template["Resources"]["OrganizationEventBusPolicy"]["Properties"])
    statement = {**props["Statement"], "Sid": props["StatementId"], "Resource": BUS}
    return {"Version": "2012-10-17", "Statement": [statement]}


def _put_events(policy: dict[str, Any], account: str, org: str | None, source: Any, detail_type: Any) -> str:
    """A member's forwarding rule role putting one event on the hub's bus."""
    forward = member_account(
        account,
        REGION,
        {
            "HubAccountId": ACCOUNT,
            "HubAuditRoleArns": f"arn:aws:iam::{ACCOUNT}:role/x",
            "HubEvidenceBucket": "b",
            "HubEventBusArn": BUS,
        },
    )
    template = load_template(__import__("netaudit_local.template").template.MEMBER_TEMPLATE_PATH)
    role = template["Resources"]["TaskEventsForwardRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    identity = [
        {
            "name": "forward",
            "policy": json.loads(json.dumps(role).replace('{"Ref": "HubEventBusArn"}', f'"{BUS}"')),
        }
    ]
    e = evaluator()
    e.register(policies_key(identity), identity)
    key = "bus:" + policies_key([policy])
    e.register(key, [policy], resource=True)
    assert forward.account == account
    return e.decide(
        Question(
            principal=f"arn:aws:sts::{account}:assumed-role/forward/events",
            policies=policies_key(identity),
            action="events:PutEvents",
            resource=BUS,
            account=ACCOUNT,
            context={
                "aws:PrincipalArn": f"arn:aws:iam::{account}:role/forward",
                "aws:PrincipalAccount": account,
                **({"aws:PrincipalOrgID": org} if org else {}),
                # one value per entry of the PutEvents request (ArrayOfString keys)
                "events:source": [source] if isinstance(source, str) else source,
                "events:detail-type": [detail_type] if isinstance(detail_type, str) else detail_type,
            },
            resource_policy=key,
        )
    ).result


@pytest.mark.parametrize(
    "params", [{"MemberAccounts": MEMBER}, {"MemberAccounts": "*", "OrganizationId": ORG}]
)
def test_the_bus_accepts_the_members_running_task_events_only(params: dict[str, str]) -> None:
    policy = _bus_policy(**params)
    assert _put_events(policy, MEMBER, ORG, "aws.ecs", "ECS Task State Change") == "Allowed"
    assert _put_events(policy, MEMBER, ORG, "aws.ec2", "EC2 Instance State-change Notification") != "Allowed"
    assert _put_events(policy, MEMBER, ORG, "my.app", "ECS Task State Change") != "Allowed"  # a forged source
    mixed = ["aws.ecs", "my.app"]  # one allowed entry does not carry another
    assert _put_events(policy, MEMBER, ORG, mixed, ["ECS Task State Change"] * 2) != "Allowed"
    outsider = "999999999999"
    assert _put_events(policy, outsider, "o-otherorgxyz", "aws.ecs", "ECS Task State Change") != "Allowed"


def _record(arn: str, cluster: str) -> dict[str, Any]:
    """One Pipe record: an SQS message holding a RUNNING task's event."""
    account = arn.split(":")[4]
    cluster_arn = f"arn:aws:ecs:{REGION}:{account}:cluster/{cluster}"
    detail = dict(clusterArn=cluster_arn, taskArn=arn, lastStatus="RUNNING", launchType="EC2")
    detail["startedAt"] = "2026-11-25T10:00:00Z"
    event = dict(source="aws.ecs", detail=detail, **{"detail-type": "ECS Task State Change"})
    return {"body": json.dumps(event)}


def test_the_enrichment_keeps_member_tasks_of_the_member_clusters() -> None:
    own = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/default/{'a' * 32}"
    theirs = f"arn:aws:ecs:{REGION}:{MEMBER}:task/prod/{'b' * 32}"
    stray = f"arn:aws:ecs:{REGION}:{MEMBER}:task/default/{'c' * 32}"  # not a member cluster
    records = [_record(own, "default"), _record(theirs, "prod"), _record(stray, "default")]
    batch = batch_of(records, Scope.parse("default"), Scope.parse("prod"), ACCOUNT)
    audit = batch.audit_input()
    assert audit is not None and "cluster" not in audit and "clusters" not in audit
    assert audit["target"]["taskArns"] == sorted([own, theirs])
    assert batch.skipped == {"cluster out of scope": 1}
    # a stack that does not know its own account treats every task as its own (as before)
    assert batch_of(records, Scope.parse("default")).audit_input()["cluster"] == "default"  # type: ignore[index]
