"""The deployment's cluster scope and what an input may choose from it (netaudit.workflow.scope),
without AWS: Prepare's rules for cluster, clusters, task ARNs and the canary."""

import re
from typing import Any

import pytest
from wf_harness import client_error

from netaudit.errors import InvalidInput
from netaudit.models.inputs import Defaults, ExecutionRef
from netaudit.settings import CanarySettings
from netaudit.workflow.prepare import prepare
from netaudit.workflow.scope import Scope, ScopeError

TASK = "arn:aws:ecs:us-east-1:123456789012:task/{}/0123456789abcdef0123456789abcdef"


class Ecs:
    """DescribeClusters: every cluster ACTIVE but `gone`; records what was asked."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def describe_clusters(self, clusters: list[str]) -> dict[str, Any]:
        self.asked.append(clusters)
        names = [c.rsplit("/", 1)[-1] for c in clusters]
        return {"clusters": [{"clusterName": n, "status": "ACTIVE"} for n in names if n != "gone"]}


def _audit(scope: str, payload: dict[str, Any]) -> Any:
    defaults = Defaults(
        cluster=scope, poll_interval_seconds=0, running_deadline_seconds=60, probe_deadline_seconds=60
    )
    return prepare(payload, defaults, ExecutionRef(), Ecs(), CanarySettings(image="busybox"))


@pytest.mark.parametrize(
    ("text", "names"), [("prod", ("prod",)), ("prod, blue,prod", ("prod", "blue")), ("*", ()), ("*,*", ())]
)
def test_the_scope_parses(text: str, names: tuple[str, ...]) -> None:
    assert Scope.parse(text).names == names


@pytest.mark.parametrize("text", ["", "prod,*", "a b", "x" * 256])
def test_a_bad_scope_is_refused(text: str) -> None:
    with pytest.raises(ScopeError):
        Scope.parse(text)


@pytest.mark.parametrize(
    ("payload", "cluster", "clusters", "every"),
    [
        ({"target": {"kind": "cluster"}}, "", ["prod", "blue"], False),
        ({"clusters": "*", "target": {"kind": "cluster"}}, "", ["prod", "blue"], False),
        ({"clusters": ["blue"], "target": {"kind": "cluster"}}, "blue", ["blue"], False),
        ({"cluster": "prod", "target": {"kind": "cluster"}}, "prod", ["prod"], False),
        ({}, "prod", ["prod"], False),  # a canary: the first cluster of the scope
        (
            {"target": {"kind": "tasks", "taskArns": [TASK.format("blue"), TASK.format("prod")]}},
            "",
            ["blue", "prod"],
            False,
        ),
    ],
)
def test_what_an_audit_of_a_listed_scope_covers(
    payload: dict[str, Any], cluster: str, clusters: list[str], every: bool
) -> None:
    audit = _audit("prod,blue", payload)
    assert (audit.cluster, audit.clusters, audit.all_clusters) == (cluster, clusters, every)


def test_every_cluster_is_listed_by_resolve_hosts_not_prepare() -> None:
    audit = _audit("*", {"target": {"kind": "cluster"}})
    assert (audit.cluster, audit.clusters, audit.all_clusters) == ("", [], True)
    assert _audit("*", {"cluster": "any", "target": {"kind": "cluster"}}).clusters == ["any"]


@pytest.mark.parametrize(
    ("scope", "payload", "message"),
    [
        (
            "prod,blue",
            {"cluster": "red"},
            "cluster: this deployment may only audit clusters 'prod', 'blue', not 'red'",
        ),
        (
            "prod,blue",
            {"clusters": ["prod", "red"], "target": {"kind": "cluster"}},
            "clusters[1]: this deployment",
        ),
        ("prod,blue", {"clusters": ["prod", "blue"]}, "clusters: a canary runs in one cluster, not 2"),
        ("*", {}, "cluster: a canary runs in one cluster: name it"),
        (
            "prod,blue",
            {"clusters": ["prod"], "target": {"kind": "tasks", "taskArns": [TASK.format("blue")]}},
            "target.taskArns[0]: a task of cluster 'blue'; this audit covers only cluster 'prod'",
        ),
        (
            "prod,blue",
            {"target": {"kind": "tasks", "taskArns": [TASK.replace("{}/", "")]}},
            "target.taskArns[0]: an old-format task ARN does not name its cluster",
        ),
        ("prod,gone", {"target": {"kind": "cluster"}}, "clusters (the deployment's ClusterName): no ACTIVE"),
    ],
)
def test_refused_naming_the_field(scope: str, payload: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        _audit(scope, payload)


def test_another_cluster_than_the_deployed_one_is_invalid_input() -> None:
    class Ecs:
        def __init__(self) -> None:
            self.asked: list[Any] = []

        def describe_clusters(self, **kwargs: Any) -> dict[str, Any]:
            self.asked.append(kwargs)
            raise client_error("AccessDeniedException", "DescribeClusters")

    defaults = Defaults(
        cluster="prod", image="busybox", poll_interval_seconds=0, running_deadline_seconds=60,
        probe_deadline_seconds=60,
    )
    ecs = Ecs()
    # another name: refused by the scope itself, before any call
    with pytest.raises(InvalidInput, match="may only audit cluster 'prod', not 'other'"):
        prepare({"cluster": "other"}, defaults, ExecutionRef(), ecs, CanarySettings(image="busybox"))
    assert ecs.asked == []
    # the same name in another account's ARN passes the scope by name; the stack's role (scoped to
    # this account's ClusterName ARNs) is denied DescribeClusters, and that is the same refusal
    other_account = "arn:aws:ecs:us-east-1:999999999999:cluster/prod"
    with pytest.raises(InvalidInput, match=f"may only audit cluster 'prod', not '{other_account}'"):
        prepare({"cluster": other_account}, defaults, ExecutionRef(), ecs, CanarySettings(image="busybox"))
    assert len(ecs.asked) == 1
