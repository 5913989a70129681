"""moto's fleet-sized paths (netaudit_local.cloud.moto_scale) answer as SSM and ECS do."""

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

from netaudit_local.cloud.account import REGION
from netaudit_local.cloud.aws import local_aws
from netaudit_local.hosts.fleet import FleetHost, Placer, fleet_hosts
from netaudit_local.stack import LocalStack, create_stack


@pytest.fixture
def stack() -> Iterator[tuple[LocalStack, list[FleetHost]]]:
    hosts = fleet_hosts(6)
    with local_aws(hosts, in_progress_polls=0) as seams:
        yield create_stack(seams), hosts


def test_a_command_to_one_instance_runs_on_that_instance_only(
    stack: tuple[LocalStack, list[FleetHost]],
) -> None:
    local, hosts = stack
    ssm = boto3.client("ssm", region_name=REGION)
    command = ssm.send_command(InstanceIds=[hosts[2].instance_id], DocumentName=local.document_name)[
        "Command"
    ]
    assert command["InstanceIds"] == [hosts[2].instance_id]  # moto alone: all 6 instances
    listed = ssm.list_commands(CommandId=command["CommandId"])["Commands"]
    assert [(c["InstanceIds"], c["TargetCount"]) for c in listed] == [([hosts[2].instance_id], 1)]


def test_describe_tasks_by_arn_answers_as_moto_does_by_id(stack: tuple[LocalStack, list[FleetHost]]) -> None:
    local, hosts = stack
    placer = Placer(local.seams, local.cluster, local.container_instances, local.subnet_id)
    arns = [a for h in hosts for a in placer.place(h, ["none", "awsvpc"])]
    ecs = boto3.client("ecs", region_name=REGION)
    wanted = [arns[7], arns[0], arns[3], arns[0]]  # out of order, one twice
    by_arn = ecs.describe_tasks(cluster=local.cluster, tasks=wanted)["tasks"]
    ids = [a.rsplit("/", 1)[-1] for a in wanted]
    by_id = ecs.describe_tasks(cluster=local.cluster, tasks=ids)["tasks"]  # moto's own matching
    assert sorted(t["taskArn"] for t in by_arn) == sorted(t["taskArn"] for t in by_id) == sorted(set(wanted))
    assert len(by_arn) == 3  # each task once, as moto and ECS answer
    assert {t["taskArn"]: t for t in by_arn} == {t["taskArn"]: t for t in by_id}
    unknown = arns[0][:-4] + "ffff"
    mixed = ecs.describe_tasks(cluster=local.cluster, tasks=[arns[1], unknown])["tasks"]
    assert [t["taskArn"] for t in mixed] == [arns[1]]
    with pytest.raises(ClientError):
        ecs.describe_tasks(cluster="no-such-cluster", tasks=[arns[1]])
