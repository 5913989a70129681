"""The fault injector (netaudit_local.cloud.chaos): AWS's answers, reproducible draws, and only the
audit's calls touched."""

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.parsers import create_parser
from botocore.retries.standard import ThrottledRetryableChecker

from netaudit import aws_clients
from netaudit.errors import THROTTLING_CODES
from netaudit_local.cloud import chaos
from netaudit_local.cloud.account import LOCAL_ENV, REGION
from netaudit_local.iam.hooks import acting_as

# botocore's serviceId (as in event names) -> the service name a client is built with
SERVICE_NAMES = {"sfn": "stepfunctions", "eventbridge": "events"}
BUCKET = "netaudit-chaos-test"


def _model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(SERVICE_NAMES.get(service, service))


@pytest.mark.parametrize("service", sorted(chaos.PROTOCOLS))
def test_the_protocol_table_is_botocores(service: str) -> None:
    model = _model(service)
    assert model.service_id.hyphenize() == service
    assert model.resolved_protocol == chaos.PROTOCOLS[service]


@pytest.mark.parametrize("kind", ["throttle", "server"])
@pytest.mark.parametrize("service", sorted(chaos.PROTOCOLS))
def test_each_fabricated_answer_parses_into_the_aws_error(service: str, kind: str) -> None:
    """botocore's own parser for the service's protocol reads the code; the standard retry mode
    retries it (a throttle by its code, a 5xx by its status) and the handlers name a throttle
    AwsThrottled."""
    status, headers, body = chaos.error_answer(service, kind)
    model = _model(service)
    operation = model.operation_model(model.operation_names[0])
    parser = create_parser(model.resolved_protocol)
    parsed = parser.parse({"status_code": status, "headers": headers, "body": body}, operation.output_shape)
    code = parsed["Error"]["Code"]
    expected = chaos.SERVICE_FAULTS.get((service, kind)) or (
        chaos.THROTTLE if kind == "throttle" else chaos.SERVER
    )[chaos.PROTOCOLS[service]]
    assert (status, code) == expected
    if kind == "throttle":
        throttled: Any = ThrottledRetryableChecker
        assert code in throttled._THROTTLED_ERROR_CODES and code in THROTTLING_CODES
    else:
        assert status >= 500


def test_draws_are_reproducible_from_the_seed() -> None:
    def faults(seed: int) -> list[str | None]:
        c = chaos.Chaos(0.2, seed)
        return [c.draw(op) for op in ["ecs.RunTask", "ssm.SendCommand"] * 200]

    assert faults(7) == faults(7)
    assert faults(7) != faults(8)
    drawn = [f for f in faults(7) if f]
    assert 40 <= len(drawn) <= 120 and set(drawn) == set(chaos.KINDS)  # about 20% of 400, each kind


@pytest.fixture
def moto_with(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto with a given Chaos installed; the functions' clients built after it."""
    from moto import mock_aws

    for key, value in LOCAL_ENV.items():
        monkeypatch.setenv(key, value)
    with mock_aws(), ExitStack() as stack:

        def install(c: chaos.Chaos) -> chaos.Chaos:
            c.install(stack)
            aws_clients.reset()
            stack.callback(aws_clients.reset)
            s3 = boto3.client("s3", region_name=REGION)
            s3.create_bucket(Bucket=BUCKET)
            s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
            return c

        yield install


def test_a_throttled_attempt_is_not_carried_out_and_the_client_retries_it(moto_with: Any) -> None:
    c = moto_with(chaos.Chaos(0, script={"s3.PutObject": ["throttle", "server"]}))
    with acting_as("netaudit-ReportFunction"):
        aws_clients.s3().put_object(Bucket=BUCKET, Key="k", Body=b"third attempt")
    assert c.injected == {("s3.PutObject", "throttle"): 1, ("s3.PutObject", "server"): 1}
    assert c.retries["s3.PutObject"] == 2 and c.attempts["s3.PutObject"] == 3
    versions = boto3.client("s3", region_name=REGION).list_object_versions(Bucket=BUCKET)
    assert len(versions.get("Versions", [])) == 1  # moto carried out only the answered attempt


def test_a_lost_answer_was_carried_out(moto_with: Any) -> None:
    c = moto_with(chaos.Chaos(0, script={"sqs.CreateQueue": ["lost"] * 10}))
    with acting_as("netaudit-ReportFunction"), pytest.raises(ReadTimeoutError):
        aws_clients.sqs().create_queue(QueueName="made-anyway")
    assert c.injected[("sqs.CreateQueue", "lost")] == 6  # every attempt (botocore: 1 + 5 retries)
    assert boto3.client("sqs", region_name=REGION).list_queues()["QueueUrls"][0].endswith("/made-anyway")


def test_calls_outside_the_audit_are_not_touched(moto_with: Any) -> None:
    c = moto_with(chaos.Chaos(1.0))
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key="setup", Body=b"x")
    with acting_as("netaudit-ReportFunction"), pytest.raises(ClientError, match=r"SlowDown|InternalError"):
        aws_clients.s3().put_object(Bucket=BUCKET, Key="k", Body=b"x")
    with chaos.as_pipe(), pytest.raises(ClientError):
        boto3.client("sqs", region_name=REGION).list_queues()
    assert c.attempts["s3.PutObject"] == 6 and c.attempts["s3.CreateBucket"] == 0


@pytest.mark.parametrize("rate", ["-0.1", "1.5"])
def test_demo_refuses_a_rate_outside_0_to_1(rate: str, capsys: pytest.CaptureFixture[str]) -> None:
    from netaudit_cli.exit_codes import EXIT_ERROR
    from netaudit_cli.main import main

    assert main(["demo", "--cluster", "--chaos", rate]) == EXIT_ERROR
    assert "--chaos must be between 0 and 1" in capsys.readouterr().err
    assert chaos.current() is None
