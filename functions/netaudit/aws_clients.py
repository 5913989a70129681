"""The one place that builds boto3 clients (retry mode standard, bounded attempts)."""

import threading
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

RETRY_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
    user_agent_extra="ecs-netaudit",
)


_LOCK = threading.Lock()  # boto3's default session must not build clients in two threads at once


@cache
def _client(service: str, region: str | None) -> Any:
    return boto3.client(service, region_name=region, config=RETRY_CONFIG)


def client(service: str, region: str | None = None) -> Any:
    """A cached boto3 client for `service` (reused across warm Lambda invocations)."""
    with _LOCK:
        return _client(service, region)


def reset() -> None:
    """Forget cached clients (the local runner calls this when it starts or stops moto)."""
    with _LOCK:
        _client.cache_clear()


def ecs() -> Any:
    return client("ecs")


def ssm() -> Any:
    return client("ssm")


def s3() -> Any:
    return client("s3")


def sns() -> Any:
    return client("sns")


def securityhub() -> Any:
    return client("securityhub")


def sqs() -> Any:
    return client("sqs")
