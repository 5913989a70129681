"""Platforms (issues 10, 20): ECS Anywhere (mi-) and Bottlerocket hosts are probed; Windows hosts
are recognised from ECS attributes / SSM's platform before anything is sent; Fargate and ECS
Managed Instances tasks are not probed, each with its reason code; every task of the cluster is
accounted for (probed, or not probed with the reason)."""

from typing import Any

import pytest

from netaudit import platforms
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
        eni = [
            {
                "type": "ElasticNetworkInterface",
                "details": [
                    {"name": "privateIPv4Address", "value": "10.0.1.7"},
                    {"name": "ipv6Address", "value": "2600:1f18::7"},
                ],
            }
        ]
        self.tasks[ARN.format(99)] = {
            "taskArn": ARN.format(99),
            "taskDefinitionArn": "td/awsvpc",
            "launchType": "FARGATE",
            "lastStatus": "RUNNING",
            "attachments": eni,
        }
        # ECS Managed Instances tasks have a container instance, which the account cannot reach
        self.tasks[ARN.format(98)] = {"taskArn": ARN.format(98), "taskDefinitionArn": "td/awsvpc",
                                      "containerInstanceArn": CI.format("al2023"),
                                      "launchType": "MANAGED_INSTANCES", "lastStatus": "RUNNING"}  # fmt: skip

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


def test_anywhere_and_bottlerocket_hosts_are_probed_the_rest_say_why_with_a_code() -> None:
    resolved = resolve(FakeEcs(), FakeSsm(), _audit({"kind": "cluster"}), None)
    probed_hosts = ["i-0123456789abcdef0", "i-0bbbbbbbbbbbbbbb0", "i-0ccccccccccccccc0"]
    probed_hosts.append("mi-0123456789abcdef0")
    assert sorted(h.instance_id for h in resolved.hosts) == probed_hosts
    (windows,) = resolved.unreachable
    assert windows.instance_id == "i-0dddddddddddddddd0" and windows.code == "WINDOWS"
    assert (
        windows.reason.startswith("[WINDOWS] container instance ")
        and "WINDOWS_SERVER_2022_CORE" in windows.reason
    )
    assert "verifiable when: run the task on a Linux container instance" in windows.reason
    not_probed = {t.task_arn: t for t in resolved.not_probed}
    fargate, managed = not_probed[ARN.format(99)], not_probed[ARN.format(98)]
    assert fargate.code == "FARGATE" and managed.code == "MANAGED_INSTANCES"
    assert (
        "task ENI 10.0.1.7 / 2600:1f18::7 (DescribeTasks), launch type FARGATE: AWS Fargate:"
        in fargate.reason
    )
    assert "ECS Managed Instances: AWS manages the instances" in managed.reason
    for task in (fargate, managed):
        assert platforms.code_of([task.reason]) == platforms.NO_WAY_IN[str(task.code)]
    not_probed = {t.task_arn: t.reason for t in resolved.not_probed}
    # every task of the cluster is accounted for
    probed = [t.task_arn for h in resolved.hosts for t in h.tasks]
    unprobed = [t.task_arn for u in resolved.unreachable for t in u.tasks]
    assert sorted(probed + unprobed + list(not_probed)) == sorted(FakeEcs().tasks)


def test_tasks_of_modes_not_audited_are_listed_with_the_reason() -> None:
    resolved = resolve(FakeEcs(), FakeSsm(), _audit({"kind": "cluster", "networkModes": ["none"]}), None)
    reasons = {t.task_arn: t.reason for t in resolved.not_probed}
    assert reasons[ARN.format(2)] == "networkMode awsvpc not audited (networkModes: none)"
    assert [t.declared_mode for h in resolved.hosts for t in h.tasks] == ["none", "none"]


def test_a_canary_on_an_unprobeable_host_ends_with_the_platform() -> None:
    audit = _audit({"kind": "canary", "networkMode": "none"})
    canary = Canary.model_validate(
        {
            "taskArn": ARN.format(7),
            "taskDefinitionArn": "td/none",
            "family": "c",
            "revision": 1,
            "networkMode": "none",
        }
    )  # the Windows host's task (its mode does not matter: the host is refused first)
    with pytest.raises(HostNotManaged, match=r"\[WINDOWS\] container instance"):
        resolve(FakeEcs(), FakeSsm(), audit, canary)


@pytest.mark.parametrize(
    ("attrs", "platform"),
    [
        (LINUX_ATTRS, None),
        ([{"name": "ecs.os-type", "value": "windows"}], "Windows (windows)"),
        ([{"name": "ecs.os-type-detailed", "value": "bottlerocket_1.19.2"}], None),  # probed
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
