"""ClusterName as a list or `*`: the template's roles, decided by iam-simulate as AWS would, allow
the clusters of the scope and deny every other one (issue 15 item 2; netaudit.workflow.scope).

A list: `ArnLike ecs:cluster` pins this partition, region and account, `ArnEquals ecs:cluster`
the names (values of one key ORed, operators ANDed); SendCommand needs the instance's
`ecs-netaudit:cluster` tag to be one of the names. `*`: no name condition, the pin stays, and the
tag must exist (StringLike "*" is false on a missing key)."""

from dataclasses import replace
from typing import Any

import pytest
from iam_harness import BLUE, OTHER_CLUSTER, TAGGED, UNTAGGED, make_authorizer

from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.iam import Authorizer

ECS = f"arn:aws:ecs:{REGION}:{ACCOUNT}"
OTHER_REGION = f"arn:aws:ecs:eu-west-1:{ACCOUNT}"
OTHER_ACCOUNT = f"arn:aws:ecs:{REGION}:210987654321"
TASK_ID = "0123456789abcdef0123456789abcdef"
CI_ID = "11111111222233334444555555555555"


def _task(cluster: str, base: str = ECS) -> str:
    return f"{base}:task/{cluster}/{TASK_ID}"


def _calls(cluster: str, base: str = ECS) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Every cluster-scoped call of the stack's functions, on `cluster`."""
    arn = f"{base}:cluster/{cluster}"
    return [
        ("PrepareFunction", "ecs", "DescribeClusters", {"clusters": [arn]}),
        ("ResolveHostsFunction", "ecs", "ListTasks", {"cluster": arn, "desiredStatus": "RUNNING"}),
        ("ResolveHostsFunction", "ecs", "DescribeTasks", {"cluster": arn, "tasks": [_task(cluster, base)]}),
        (
            "ResolveHostsFunction",
            "ecs",
            "DescribeContainerInstances",
            {"cluster": arn, "containerInstances": [f"{base}:container-instance/{cluster}/{CI_ID}"]},
        ),
        (
            "RunTaskFunction",
            "ecs",
            "RunTask",
            {"cluster": arn, "taskDefinition": f"{base}:task-definition/netaudit-canary-none:3"},
        ),
        ("DescribeTaskFunction", "ecs", "DescribeTasks", {"cluster": arn, "tasks": [_task(cluster, base)]}),
        ("StopCanaryFunction", "ecs", "StopTask", {"cluster": arn, "task": _task(cluster, base)}),
        ("StopCanaryFunction", "ecs", "ListTasks", {"cluster": arn, "startedBy": "netaudit-x"}),
        ("CanaryJanitorFunction", "ecs", "ListTasks", {"cluster": arn, "startedBy": "netaudit-x"}),
        ("CanaryJanitorFunction", "ecs", "StopTask", {"cluster": arn, "task": _task(cluster, base)}),
    ]


def _send(instance: str) -> tuple[str, str, str, dict[str, Any]]:
    return (
        "SendProbeFunction",
        "ssm",
        "SendCommand",
        {"DocumentName": "netaudit-probe", "InstanceIds": [instance]},
    )


def _allowed(authorizer: Authorizer, call: tuple[str, str, str, dict[str, Any]]) -> bool:
    role, service, operation, params = call
    return authorizer.check(role, service, operation, params) is None


@pytest.fixture(scope="module")
def listed() -> Authorizer:
    return make_authorizer(ClusterName="default,blue")


@pytest.fixture(scope="module")
def every() -> Authorizer:
    return make_authorizer(ClusterName="*")


@pytest.mark.parametrize("cluster", ["default", "blue"])
def test_a_cluster_in_the_list_is_allowed(listed: Authorizer, cluster: str) -> None:
    denied = [c[:3] for c in _calls(cluster) if not _allowed(listed, c)]
    assert denied == []


def test_a_cluster_not_in_the_list_is_denied(listed: Authorizer) -> None:
    allowed = [c[:3] for c in _calls("prod") if _allowed(listed, c)]
    assert allowed == []


def _pinned(calls: list[tuple[str, str, str, dict[str, Any]]]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The calls whose ARN is pinned to this region and account by the policy itself. Not
    DescribeClusters: its resource is `arn:*:ecs:*:*:cluster/<name>` (a list cannot be prefixed
    with the region in CloudFormation); aws:RequestedRegion pins the endpoint it is sent to (below),
    and ECS has no resource-based policy that would let another account's cluster be described."""
    return [c for c in calls if c[2] != "DescribeClusters"]


@pytest.mark.parametrize("base", [OTHER_REGION, OTHER_ACCOUNT])
def test_a_listed_name_in_another_region_or_account_is_denied(listed: Authorizer, base: str) -> None:
    allowed = [c[:3] for c in _pinned(_calls("blue", base)) if _allowed(listed, c)]
    assert allowed == []


def test_describe_clusters_sent_to_another_region_is_denied(listed: Authorizer) -> None:
    elsewhere = replace(listed, world=replace(listed.world, region="eu-west-1"))
    assert not _allowed(elsewhere, ("PrepareFunction", "ecs", "DescribeClusters", {"clusters": ["blue"]}))
    assert _allowed(listed, ("PrepareFunction", "ecs", "DescribeClusters", {"clusters": ["blue"]}))


def test_send_command_follows_the_instance_tag_of_the_list(listed: Authorizer) -> None:
    assert _allowed(listed, _send(TAGGED)) and _allowed(listed, _send(BLUE))  # default, blue
    assert not _allowed(listed, _send(OTHER_CLUSTER))  # tagged prod
    assert not _allowed(listed, _send(UNTAGGED))


def test_list_clusters_only_with_every_cluster(listed: Authorizer, every: Authorizer) -> None:
    for role in ("ResolveHostsFunction", "CanaryJanitorFunction"):
        assert not _allowed(listed, (role, "ecs", "ListClusters", {}))
        assert _allowed(every, (role, "ecs", "ListClusters", {}))
    assert not _allowed(every, ("PrepareFunction", "ecs", "ListClusters", {}))


@pytest.mark.parametrize("cluster", ["default", "prod", "anything"])
def test_every_cluster_allows_any_cluster_of_this_account_and_region(every: Authorizer, cluster: str) -> None:
    denied = [c[:3] for c in _calls(cluster) if not _allowed(every, c)]
    assert denied == []


@pytest.mark.parametrize("base", [OTHER_REGION, OTHER_ACCOUNT])
def test_every_cluster_still_denies_another_region_or_account(every: Authorizer, base: str) -> None:
    allowed = [c[:3] for c in _pinned(_calls("prod", base)) if _allowed(every, c)]
    assert allowed == []


def test_every_cluster_sends_only_to_tagged_instances(every: Authorizer) -> None:
    assert (
        _allowed(every, _send(TAGGED))
        and _allowed(every, _send(OTHER_CLUSTER))
        and _allowed(every, _send(BLUE))
    )
    assert not _allowed(every, _send(UNTAGGED))  # the tag key must exist


def test_a_single_name_keeps_todays_scope() -> None:
    single = make_authorizer(ClusterName="default")
    assert [c[:3] for c in _calls("default") if not _allowed(single, c)] == []
    assert [c[:3] for c in _calls("blue") if _allowed(single, c)] == []
    assert _allowed(single, _send(TAGGED)) and not _allowed(single, _send(BLUE))
