"""Platforms (issue 10): ECS Anywhere hosts (mi-) are probed; Windows and Bottlerocket hosts are
recognised from ECS attributes / SSM's platform before anything is sent; every task of the
cluster is accounted for (probed, or not probed with the reason)."""

from typing import Any

import pytest

from netaudit.errors import HostNotManaged
from netaudit.models.inputs import Audit, Canary
from netaudit.workflow.hosts import resolve
from netaudit.workflow.inventory import eni_ipv6, unprobeable_platform

ARN = "arn:aws:ecs:us-east-1:123456789012:task/prod/{:032x}"
CI = "arn:aws:ecs:us-east-1:123456789012:container-instance/prod/{}"
LINUX_ATTRS = [{"name": "ecs.os-type", "value": "linux"}, {"name": "ecs.os-family", "value": "LINUX"}]
HOSTS: dict[str, dict[str, Any]] = {
    # container instance -> instance id, ECS attributes, SSM platform, tasks (mode)
    "al2023": {"id": "i-0123456789abcdef0", "attrs": [*LINUX_ATTRS, {"name": "ecs.os-type-detailed",
               "value": "amzn_2023"}], "ssm": ("Linux", "Amazon Linux"), "tasks": ["none", "awsvpc"]},
    "anywhere": {"id": "mi-0123456789abcdef0", "attrs": LINUX_ATTRS, "ssm": ("Linux", "Ubuntu"),
                 "tasks": ["bridge", "host"]},
    "bottlerocket": {"id": "i-0bbbbbbbbbbbbbbb0", "attrs": [*LINUX_ATTRS, {"name": "ecs.os-type-detailed",
                     "value": "bottlerocket_1.20.0"}], "ssm": ("Linux", "Bottlerocket"), "tasks": ["none"]},
    "bottlerocket-ssm-only": {"id": "i-0ccccccccccccccc0", "attrs": LINUX_ATTRS,
                              "ssm": ("Linux", "Bottlerocket"), "tasks": ["bridge"]},
    "windows": {"id": "i-0dddddddddddddddd0", "attrs": [{"name": "ecs.os-type", "value": "windows"},
                {"name": "ecs.os-family", "value": "WINDOWS_SERVER_2022_CORE"}], "ssm": ("Windows",
                "Microsoft Windows Server 2022 Datacenter"), "tasks": ["awsvpc"]},
}  # fmt: skip


class FakeEcs:
    def __init__(self) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}
        n = 0
        for ci, host in HOSTS.items():
            for mode in host["tasks"]:
                n += 1
                self.tasks[ARN.format(n)] = {"taskArn": ARN.format(n), "taskDefinitionArn": f"td/{mode}",
                                             "containerInstanceArn": CI.format(ci), "launchType": "EC2",
                                             "lastStatus": "RUNNING"}  # fmt: skip
        self.tasks[ARN.format(99)] = {"taskArn": ARN.format(99), "taskDefinitionArn": "td/awsvpc",
                                      "launchType": "FARGATE", "lastStatus": "RUNNING"}  # fmt: skip

    def get_paginator(self, name: str) -> Any:
        tasks = list(self.tasks)

        class Pages:
            def paginate(self, **_: Any) -> list[dict[str, Any]]:
                return [{"taskArns": tasks}]

        return Pages()

    def describe_tasks(self, cluster: str, tasks: list[str]) -> dict[str, Any]:
        return {"tasks": [self.tasks[a] for a in tasks], "failures": []}

    def describe_task_definition(self, taskDefinition: str) -> dict[str, Any]:
        return {"taskDefinition": {"networkMode": taskDefinition.split("/")[1]}}

    def describe_container_instances(self, cluster: str, containerInstances: list[str]) -> dict[str, Any]:
        out = []
        for arn in containerInstances:
            host = HOSTS[arn.rsplit("/", 1)[1]]
            out.append(
                {"containerInstanceArn": arn, "ec2InstanceId": host["id"], "attributes": host["attrs"]}
            )
        return {"containerInstances": out}


class FakeSsm:
    def describe_instance_information(self, **kwargs: Any) -> dict[str, Any]:
        wanted = set(kwargs["Filters"][0]["Values"])
        infos = [
            {
                "InstanceId": h["id"],
                "PingStatus": "Online",
                "PlatformType": h["ssm"][0],
                "PlatformName": h["ssm"][1],
            }
            for h in HOSTS.values()
            if h["id"] in wanted
        ]
        return {"InstanceInformationList": infos}

    def send_command(self, **kwargs: Any) -> None:  # pragma: no cover - must never be called
        raise AssertionError("nothing is sent while resolving hosts")


def _audit(target: dict[str, Any]) -> Audit:
    return Audit.model_validate({
        "execution": {"name": "x", "id": "arn:x"}, "cluster": "prod", "target": target, "image": "busybox",
        "pollIntervalSeconds": 1, "runningDeadlineSeconds": 60, "probeDeadlineSeconds": 60,
    })  # fmt: skip


def test_anywhere_hosts_are_probed_windows_and_bottlerocket_are_not_and_say_why() -> None:
    resolved = resolve(FakeEcs(), FakeSsm(), _audit({"kind": "cluster"}), None)
    assert sorted(h.instance_id for h in resolved.hosts) == ["i-0123456789abcdef0", "mi-0123456789abcdef0"]
    reasons = {u.instance_id: u.reason for u in resolved.unreachable}
    assert "cannot be probed: Bottlerocket (bottlerocket_1.20.0)" in reasons["i-0bbbbbbbbbbbbbbb0"]
    assert "cannot be probed: Bottlerocket (Linux Bottlerocket)" in reasons["i-0ccccccccccccccc0"]
    assert "cannot be probed: Windows (WINDOWS_SERVER_2022_CORE)" in reasons["i-0dddddddddddddddd0"]
    not_probed = {t.task_arn: t.reason for t in resolved.not_probed}
    assert "launch type FARGATE" in not_probed[ARN.format(99)]
    # every task of the cluster is accounted for
    probed = [t.task_arn for h in resolved.hosts for t in h.tasks]
    unprobed = [t.task_arn for u in resolved.unreachable for t in u.tasks]
    assert sorted(probed + unprobed + list(not_probed)) == sorted(FakeEcs().tasks)


def test_tasks_of_modes_not_audited_are_listed_with_the_reason() -> None:
    resolved = resolve(FakeEcs(), FakeSsm(), _audit({"kind": "cluster", "networkModes": ["none"]}), None)
    reasons = {t.task_arn: t.reason for t in resolved.not_probed}
    assert reasons[ARN.format(2)] == "networkMode awsvpc not audited (networkModes: none)"
    assert [t.declared_mode for h in resolved.hosts for t in h.tasks] == ["none"]


def test_a_canary_on_an_unprobeable_host_ends_with_the_platform() -> None:
    audit = _audit({"kind": "canary", "networkMode": "none"})
    canary = Canary.model_validate(
        {
            "taskArn": ARN.format(5),
            "taskDefinitionArn": "td/none",
            "family": "c",
            "revision": 1,
            "networkMode": "none",
        }
    )  # the Bottlerocket host's task
    with pytest.raises(HostNotManaged, match="cannot be probed: Bottlerocket"):
        resolve(FakeEcs(), FakeSsm(), audit, canary)


@pytest.mark.parametrize(
    ("attrs", "platform"),
    [
        (LINUX_ATTRS, None),
        ([{"name": "ecs.os-type", "value": "windows"}], "Windows (windows)"),
        (
            [{"name": "ecs.os-type-detailed", "value": "bottlerocket_1.19.2"}],
            "Bottlerocket (bottlerocket_1.19.2)",
        ),
        ([], None),
    ],
)
def test_unprobeable_platform_from_ecs_attributes(attrs: list[dict[str, str]], platform: str | None) -> None:
    assert unprobeable_platform(attrs) == platform


def test_eni_ipv6_from_the_attachment_or_the_network_interfaces() -> None:
    eni = {"type": "ElasticNetworkInterface", "details": [{"name": "ipv6Address", "value": "2001:db8::5"}]}
    assert eni_ipv6({"attachments": [eni]}) == "2001:db8::5"
    nic = {"containers": [{"networkInterfaces": [{"ipv6Address": "2001:db8::6"}]}]}
    assert eni_ipv6(nic) == "2001:db8::6"
    assert eni_ipv6({}) is None
