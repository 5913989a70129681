"""The one place that builds boto3 clients (retry mode standard, bounded attempts)."""

import threading
from functools import cache
from typing import TYPE_CHECKING, cast

import boto3
from botocore.config import Config

RETRY_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
    user_agent_extra="ecs-netaudit",
)


if TYPE_CHECKING:  # boto3-stubs (dev only): the Lambdas ship plain boto3
    from botocore.client import BaseClient
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient

_LOCK = threading.Lock()  # boto3's default session must not build clients in two threads at once


@cache
def _client(service: str, region: str | None) -> "BaseClient":
    # a runtime service name: the typed accessors below say which client each one is
    return boto3.client(service, region_name=region, config=RETRY_CONFIG)  # type: ignore[call-overload,no-any-return]


def client(service: str, region: str | None = None) -> "BaseClient":
    """A cached boto3 client for `service` (reused across warm Lambda invocations)."""
    with _LOCK:
        return _client(service, region)


def reset() -> None:
    """Forget cached clients (the local runner calls this when it starts or stops moto)."""
    with _LOCK:
        _client.cache_clear()


def ecs() -> "ECSClient":
    return cast("ECSClient", client("ecs"))


def ssm() -> "SSMClient":
    return cast("SSMClient", client("ssm"))


def s3() -> "S3Client":
    return cast("S3Client", client("s3"))


def sns() -> "SNSClient":
    return cast("SNSClient", client("sns"))


def securityhub() -> "SecurityHubClient":
    return cast("SecurityHubClient", client("securityhub"))


def sqs() -> "SQSClient":
    return cast("SQSClient", client("sqs"))
