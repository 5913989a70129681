"""The instances a local account's clusters stand on: its network and EC2 instances on moto's EC2
backend (no EC2 API call: no EC2 model is parsed, netaudit_local.cloud.startup) and their ECS
container instances. The hub's stack (netaudit_local.stack) and each member's (netaudit_local.org)
make theirs here."""

import json
from collections.abc import Mapping
from typing import Any

from netaudit_local.cloud.account import ACCOUNT, REGION


def register_instances(ecs: Any, host_cluster: Mapping[str, str], account: str = ACCOUNT) -> dict[str, str]:
    """Each host's container instance in its cluster (instance id -> container instance ARN)."""
    instances: dict[str, str] = {}
    for instance_id, cluster in host_cluster.items():
        doc = json.dumps({"instanceId": instance_id, "region": REGION, "accountId": account})
        ci = ecs.register_container_instance(
            cluster=cluster,
            instanceIdentityDocument=doc,
            totalResources=[
                {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": 3800},
            ],
        )["containerInstance"]
        instances[instance_id] = ci["containerInstanceArn"]
    return instances


def account_network(account: str, cidr: str) -> tuple[Any, str, str, str]:
    """(moto's EC2 backend of `account`, VPC, subnet, security group): the network the account's
    instances stand on, made on moto's EC2 backend as its CreateVpc/CreateSubnet/... would,
    without an EC2 API call (no EC2 model is parsed: ~0.2 s of a demo's start-up,
    netaudit_local.cloud.startup). Room for ECS's largest cluster: 5,000 instances and an ENI per
    awsvpc task (bench_cluster)."""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account][REGION]
    vpc_id = ec2.create_vpc(cidr_block=cidr).id
    zone = ec2.describe_availability_zones()[0].name  # CreateSubnet without a zone picks one of the Region's
    half = cidr.replace("/16", "/17")
    subnet_id = ec2.create_subnet(vpc_id=vpc_id, cidr_block=half, availability_zone=zone).id
    sg_id = ec2.create_security_group("netaudit-canary", "canary", vpc_id=vpc_id).id
    return ec2, vpc_id, subnet_id, sg_id


def ec2_instance(ec2: Any, instance_id: str, subnet_id: str, cluster: str) -> None:
    """An EC2 instance on moto's EC2 backend `ec2` with the host's id (the container instance
    stands on it), made with the arguments moto's RunInstances passes for this request."""
    reservation = ec2.run_instances(
        # an Amazon Linux 2 (arm64) image id. moto's AMI catalogue is not loaded (LOCAL_ENV), so
        # the instance has no platform and its container instance's ecs.os-type is linux (moto
        # sets windows only from a Windows image; hosts cannot probe Windows)
        "ami-0ec9fb22458dddf3d",
        1,
        None,
        [],
        instance_type="t4g.small",
        is_instance_type_default=False,
        placement=None,
        placement_hostid=None,
        region_name=REGION,
        subnet_id=subnet_id,
        key_name=None,
        security_group_ids=[],
        nics=[],
        private_ip=None,
        associate_public_ip=None,
        tags={"instance": {"ecs-netaudit:cluster": cluster}},
        ebs_optimized=False,
        disable_api_stop=False,
        instance_market_options={},
        instance_initiated_shutdown_behavior=None,
        launch_template={},
        hibernation_options={},
        iam_instance_profile_name=None,
        iam_instance_profile_arn=None,
        monitoring_state="disabled",
        ipv6_address_count=None,
        metadata_options={},
        client_token="ABCDE",  # noqa: S106 - the idempotency token moto gives RunInstances
    )
    (instance,) = reservation.instances
    created, instance.id = instance.id, instance_id
    ec2.tags[instance_id] = ec2.tags.pop(created, {})  # SSM reads the tags by this id (IAM)
