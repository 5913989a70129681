"""Cluster inventory: pagination, batches of 100, one describe per revision, grouping by host."""

import json

import boto3
import pytest
from moto import mock_aws

from netaudit.workflow.inventory import build_inventory

REGION = "us-east-1"


@pytest.fixture
def aws():
    with mock_aws():
        yield


def _cluster_with_instances(n: int) -> tuple[object, list[str]]:
    ec2 = boto3.client("ec2", region_name=REGION)
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName="prod")
    ami = ec2.describe_images()["Images"][0]["ImageId"]
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=ami, MinCount=n, MaxCount=n)["Instances"]]
    for iid in ids:
        doc = json.dumps({"instanceId": iid, "region": REGION})
        ecs.register_container_instance(cluster="prod", instanceIdentityDocument=doc)
    return ecs, ids


def _register(ecs, family: str, mode: str) -> str:
    td = ecs.register_task_definition(
        family=family,
        networkMode=mode,
        containerDefinitions=[{"name": "app", "image": "busybox", "memory": 8}],
    )
    return td["taskDefinition"]["taskDefinitionArn"]


def _subnet() -> str:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    # moto's awsvpc RunTask needs ENI DNS names, which it only makes with DNS hostnames on.
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    return ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]


def test_groups_running_tasks_by_host_with_batched_calls(aws):
    ecs, instance_ids = _cluster_with_instances(3)
    none_td = _register(ecs, "none-app", "none")
    bridge_td = _register(ecs, "bridge-app", "bridge")
    vpc_td = _register(ecs, "vpc-app", "awsvpc")
    subnet = _subnet()
    for _ in range(15):
        ecs.run_task(cluster="prod", taskDefinition=none_td, count=10, launchType="EC2")
    ecs.run_task(cluster="prod", taskDefinition=bridge_td, count=10, launchType="EC2")
    ecs.run_task(
        cluster="prod",
        taskDefinition=vpc_td,
        count=5,
        launchType="EC2",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": []}},
    )

    inventory = build_inventory(ecs, "prod")

    tasks = [t for h in inventory.hosts for t in h.tasks]
    assert len(tasks) == 165
    assert {h.ec2_instance_id for h in inventory.hosts} <= set(instance_ids)
    assert sum(1 for t in tasks if t.declared_mode == "none") == 150
    assert all(t.eni_ipv4 for t in tasks if t.declared_mode == "awsvpc")
    assert all(t.eni_ipv4 is None for t in tasks if t.declared_mode != "awsvpc")
    for host in inventory.hosts:
        assert all(t.container_instance_arn == host.container_instance_arn for t in host.tasks)
    assert inventory.api_calls["ecs:DescribeTasks"] == 2  # 165 tasks in batches of 100
    assert inventory.api_calls["ecs:DescribeTaskDefinition"] == 3  # once per revision
    assert inventory.api_calls["ecs:DescribeContainerInstances"] == 1
    assert inventory.not_probed == {}


def test_mode_filter_and_explicit_task_list(aws):
    ecs, _ = _cluster_with_instances(1)
    none_td = _register(ecs, "none-app", "none")
    host_td = _register(ecs, "host-app", "host")
    none_arns = [t["taskArn"] for t in ecs.run_task(cluster="prod", taskDefinition=none_td, count=2)["tasks"]]
    ecs.run_task(cluster="prod", taskDefinition=host_td, count=2)

    only_host = build_inventory(ecs, "prod", network_modes=["host"])
    assert {t.declared_mode for h in only_host.hosts for t in h.tasks} == {"host"}

    chosen = build_inventory(ecs, "prod", task_arns=none_arns[:1])
    assert [t.task_arn for h in chosen.hosts for t in h.tasks] == none_arns[:1]
    assert "ecs:ListTasks" not in chosen.api_calls


def test_fargate_tasks_are_listed_as_not_probed(aws):
    ecs, _ = _cluster_with_instances(1)
    vpc_td = _register(ecs, "vpc-app", "awsvpc")
    subnet = _subnet()
    arn = ecs.run_task(
        cluster="prod",
        taskDefinition=vpc_td,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": []}},
    )["tasks"][0]["taskArn"]
    inventory = build_inventory(ecs, "prod")
    assert inventory.hosts == []
    assert "no container instance" in inventory.not_probed[arn]


def test_empty_cluster_is_an_empty_inventory(aws):
    ecs, _ = _cluster_with_instances(1)
    inventory = build_inventory(ecs, "prod")
    assert inventory.hosts == [] and inventory.not_probed == {}
