"""The local runner's SSM seams answer and refuse the way SSM does (no Docker, no state machine)."""

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from netaudit_local.cloud.account import REGION
from netaudit_local.cloud.aws import local_aws
from netaudit_local.hosts.fleet import FleetHost, fleet_hosts
from netaudit_local.hosts.recorded_host import Faults
from netaudit_local.stack import LocalStack, create_stack

ARN = "arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef"


@pytest.fixture
def stack() -> Iterator[tuple[LocalStack, list[FleetHost]]]:
    hosts = fleet_hosts(12)
    hosts[3].faults = Faults(pending_polls=0, ping_status="ConnectionLost")
    hosts[4].faults = Faults(pending_polls=0, ping_status="NotRegistered")
    with local_aws(hosts, in_progress_polls=0) as seams:
        yield create_stack(seams), hosts


def _error(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return str(info.value.response["Error"]["Code"])


def test_describe_instance_information_pages_like_ssm(stack: tuple[LocalStack, list[FleetHost]]) -> None:
    _, hosts = stack
    ssm = boto3.client("ssm", region_name=REGION)
    paginator = ssm.get_paginator("describe_instance_information")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 5}))
    assert [len(p["InstanceInformationList"]) for p in pages] == [5, 5, 1]  # 11: NotRegistered absent
    seen = {i["InstanceId"]: i["PingStatus"] for p in pages for i in p["InstanceInformationList"]}
    assert set(seen) == {h.instance_id for h in hosts} - {hosts[4].instance_id}
    assert seen[hosts[3].instance_id] == "ConnectionLost"
    wanted = [hosts[0].instance_id, hosts[3].instance_id]
    one = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": wanted}])
    assert sorted(i["InstanceId"] for i in one["InstanceInformationList"]) == sorted(wanted)
    assert "NextToken" not in one


def test_describe_instance_information_validates_like_ssm(stack: tuple[LocalStack, list[FleetHost]]) -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    call = ssm.describe_instance_information
    assert _error(call, MaxResults=51) == "ValidationException"
    both = {
        "Filters": [{"Key": "InstanceIds", "Values": ["i-1"]}],
        "InstanceInformationFilterList": [{"key": "InstanceIds", "valueSet": ["i-1"]}],
    }
    assert _error(call, **both) == "ValidationException"
    assert _error(call, MaxResults=5, NextToken="garbage") == "InvalidNextToken"


def test_send_command_refuses_several_values_for_a_string_parameter(
    stack: tuple[LocalStack, list[FleetHost]],
) -> None:
    local, hosts = stack
    ssm = boto3.client("ssm", region_name=REGION)
    code = _error(
        ssm.send_command,
        InstanceIds=[hosts[0].instance_id],
        DocumentName=local.document_name,
        Parameters={"taskArn": [ARN, "x; id"]},
    )
    assert code == "InvalidParameters"
    assert hosts[0].commands == []


def test_one_command_on_two_instances_has_an_invocation_on_each(
    stack: tuple[LocalStack, list[FleetHost]],
) -> None:
    local, hosts = stack
    ssm = boto3.client("ssm", region_name=REGION)
    ids = [hosts[0].instance_id, hosts[1].instance_id]
    command_id = ssm.send_command(InstanceIds=ids, DocumentName=local.document_name)["Command"]["CommandId"]
    for iid in ids:
        inv = ssm.get_command_invocation(CommandId=command_id, InstanceId=iid)
        assert (inv["InstanceId"], inv["Status"]) == (iid, "Success")
    code = _error(ssm.get_command_invocation, CommandId=command_id, InstanceId=hosts[2].instance_id)
    assert code == "InvocationDoesNotExist"


def test_python_dash_m_cli_has_every_subcommand() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "netaudit_cli", "demo", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "--network-mode" in proc.stdout


# --- the botocore-event seam (netaudit_local.cloud.botocore_seam) --------------------------------


def test_a_seam_handler_reaches_every_client_built_while_it_is_registered() -> None:
    from contextlib import ExitStack

    from moto import mock_aws

    from netaudit_local.cloud import botocore_seam

    seen: list[str] = []

    def before_call(model: Any, **_: Any) -> None:
        seen.append(model.name)

    with mock_aws():
        with ExitStack() as seam:
            botocore_seam.on_every_client(seam, "before-call", before_call)
            sqs = boto3.client("sqs", region_name=REGION)
            sqs.list_queues()
            boto3.client("sns", region_name=REGION).list_topics()
        sqs.list_queues()  # built during the run: its copy of the handler is off once the run ended
        boto3.client("sqs", region_name=REGION).list_queues()  # built after: never had it
    assert seen == ["ListQueues", "ListTopics"]


def test_a_first_before_send_handler_answers_before_moto_inside_the_retry_loop() -> None:
    from contextlib import ExitStack

    from botocore.awsrequest import AWSResponse, HTTPHeaders
    from botocore.config import Config
    from moto import mock_aws

    from netaudit_local.cloud import botocore_seam

    sent: list[int] = []

    def throttle(**_: Any) -> AWSResponse:
        sent.append(1)
        body = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'
        return AWSResponse("https://sqs", 400, HTTPHeaders(), _Raw(body))

    with mock_aws(), ExitStack() as seam:
        botocore_seam.on_every_client(seam, "before-send.sqs", throttle, first=True)
        config = Config(retries={"mode": "standard", "total_max_attempts": 2})
        client = boto3.client("sqs", region_name=REGION, config=config)
        with pytest.raises(ClientError) as info:
            client.list_queues()
    assert info.value.response["Error"]["Code"] == "ThrottlingException"
    assert len(sent) == 2  # the standard retry mode retried it once, as it would on AWS


def test_acting_function_is_the_invocation_of_this_context() -> None:
    from netaudit_local.cloud.botocore_seam import acting_as, acting_function

    assert acting_function() is None
    with acting_as("f1"):
        assert acting_function() == "f1"
    assert acting_function() is None


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body
