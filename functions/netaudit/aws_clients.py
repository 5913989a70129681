"""The one place that builds boto3 clients (retry mode standard, bounded attempts).

A step that works in a member account of the organization (issue 21) gets its clients through
`Member`: the member role (MEMBER_ROLE_NAME, the member template's) assumed with a session name
carrying the execution's name, so the member's CloudTrail names the audit behind every call;
the credentials are cached per (account, session) and renewed before they expire, so one
invocation assumes each account's role once however many calls it makes there.
"""

import contextvars
import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, cast

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


def _ambiguous(**kwargs: Any) -> bool | None:
    """botocore needs-retry handler: after an answer lost (a timeout, a dropped connection) or a
    5xx, AWS may have carried the call out, so the client does not repeat it (False); anything
    else (a throttle: AWS carried nothing out) is left to the standard retry mode (None)."""
    from botocore.exceptions import HTTPClientError

    if isinstance(kwargs.get("caught_exception"), HTTPClientError):
        return False
    response = kwargs.get("response")
    status = (response[1] if response else {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return False if status >= 500 else None


def never_resend[C: "BaseClient"](aws: C, operation: str) -> C:
    """`aws` with `operation` (a call with no idempotency token: SSM SendCommand, ECS
    RegisterTaskDefinition) not repeated by botocore after a failure AWS may have carried out:
    the caller looks for what the first call made before calling again. Once per client."""
    service = aws.meta.service_model.service_id.hyphenize()
    events: Any = aws.meta.events  # botocore's stubs type a handler as returning None
    event = f"needs-retry.{service}.{operation}"
    events.register_first(event, _ambiguous, unique_id=f"never-resend-{operation}")
    return aws


AT_MOST_ONCE_CALLS = 3  # calls after failures AWS may have carried out (each looked up first)


def at_most_once[T](find: Callable[[], T | None], make: Callable[[], T]) -> T:
    """`make()` (one call with no idempotency token, its client from `never_resend`) unless `find()`
    finds what an earlier call made: looked up first (this step may be the state machine's retry
    of one whose answer was lost) and again after each failure AWS may have carried out."""
    from botocore.exceptions import ClientError, HTTPClientError

    for attempt in range(AT_MOST_ONCE_CALLS):
        last = attempt == AT_MOST_ONCE_CALLS - 1
        found = find()
        if found is not None:
            return found
        try:
            return make()
        except HTTPClientError:
            if last:
                raise
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) < 500 or last:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def reset() -> None:
    """Forget cached clients (the local runner calls this when it starts or stops moto)."""
    with _LOCK:
        _client.cache_clear()
        _member_client.cache_clear()
        _CREDENTIALS.clear()


# --- member accounts ---------------------------------------------------------------------------

MEMBER_ROLE_NAME = "ecs-netaudit-member"  # member/netaudit-member.yaml's MemberRole
MEMBER_PROBE_DOCUMENT = "ecs-netaudit-probe"  # member/netaudit-member.yaml's ProbeDocument
SESSION_PREFIX = "netaudit-"  # the member role's trust policy requires it (sts:RoleSessionName)
# AssumeRole RoleSessionName: 2-64 characters of [\w+=,.@-] (STS API reference, AssumeRole);
# an execution name may hold up to 80 characters and others (Step Functions StartExecution).
SESSION_NAME_MAX = 64
_SESSION_UNSAFE = re.compile(r"[^A-Za-z0-9_+=,.@-]")
SESSION_SECONDS = 900  # the shortest AssumeRole allows: a step's calls take seconds
RENEW_BEFORE_S = 120


def session_name(execution_name: str) -> str:
    """`netaudit-<execution name>`; a longer or unusual name keeps a readable prefix and gets a
    hash of the whole name, so two executions never share a session name."""
    clean = _SESSION_UNSAFE.sub("_", execution_name) or "_"
    name = SESSION_PREFIX + clean
    if len(name) <= SESSION_NAME_MAX and clean == execution_name:
        return name
    digest = hashlib.sha256(execution_name.encode()).hexdigest()[:10]
    return f"{SESSION_PREFIX}{clean[: SESSION_NAME_MAX - len(SESSION_PREFIX) - len(digest) - 1]}-{digest}"


@dataclass(frozen=True)
class Member:
    """A member account's role, assumed for one execution."""

    account: str
    execution_name: str

    @property
    def session(self) -> str:
        return session_name(self.execution_name)

    def role_arn(self, partition: str) -> str:
        return f"arn:{partition}:iam::{self.account}:role/{MEMBER_ROLE_NAME}"


def member(account: str | None, execution_name: str, own_account: str | None = None) -> Member | None:
    """The member to act in, or None for the function's own account (audited directly)."""
    if not account or account == own_account:
        return None
    return Member(account, execution_name)


# (environment, account, session) -> (credentials, expiry)
_CREDENTIALS: dict[tuple[str, str, str], tuple[dict[str, Any], float]] = {}
_ASSUME_LOCK = threading.Lock()  # a handler's threads assume each member role once, not once each
MEMBER_CLIENTS = 256  # warm environments serve many executions: old sessions' clients are dropped


def _partition(region: str | None) -> str:
    name = boto3.session.Session().get_partition_for_region(
        region or boto3.session.Session().region_name or "us-east-1"
    )
    return str(name)


# The execution environment this code runs in, which holds the credentials: on AWS a process is
# one function's environment and this stays "" (the key changes nothing there). A runner serving
# several functions in one process (the local run) names the invoking function here for the
# invocation, so each function assumes a member role itself, as on AWS. A contextvar: the
# invocation's threads keep it (netaudit.concurrency).
EXECUTION_ENVIRONMENT: contextvars.ContextVar[str] = contextvars.ContextVar("netaudit_env", default="")


def environment() -> str:
    """The execution environment holding the credentials (EXECUTION_ENVIRONMENT)."""
    return EXECUTION_ENVIRONMENT.get()


def _credentials(who: Member, region: str | None) -> dict[str, Any]:
    key = (environment(), who.account, who.session)
    with _ASSUME_LOCK:
        held = _CREDENTIALS.get(key)
        now = time.time()
        if held is not None and held[1] - RENEW_BEFORE_S > now:
            return held[0]
        sts = cast(Any, client("sts", region))
        answer = sts.assume_role(
            RoleArn=who.role_arn(_partition(region)),
            RoleSessionName=who.session,
            DurationSeconds=SESSION_SECONDS,
        )["Credentials"]
        for stale in [k for k, (_, expiry) in _CREDENTIALS.items() if expiry <= now]:
            del _CREDENTIALS[stale]
        _CREDENTIALS[key] = (dict(answer), answer["Expiration"].timestamp())
        return dict(answer)


class MemberKeys(NamedTuple):
    """A member role's temporary credentials (hashable: part of `_member_client`'s cache key)."""

    key_id: str
    secret: str
    token: str


@lru_cache(maxsize=MEMBER_CLIENTS)
def _member_client(
    service: str, region: str | None, account: str, session: str, keys: MemberKeys
) -> "BaseClient":
    """A client with one member's credentials (renewed credentials: a new client)."""
    return boto3.client(  # type: ignore[call-overload,no-any-return]
        service,
        region_name=region,
        config=RETRY_CONFIG,
        aws_access_key_id=keys.key_id,
        aws_secret_access_key=keys.secret,
        aws_session_token=keys.token,
    )


def client_in(service: str, who: Member | None, region: str | None = None) -> "BaseClient":
    """`service`'s client in the function's own account (None) or in the member `who`.

    Locks: `_credentials` takes _ASSUME_LOCK then (for STS's client) _LOCK; this takes only
    _LOCK, never the other way round."""
    if who is None:
        return client(service, region)
    creds = _credentials(who, region)
    keys = MemberKeys(str(creds["AccessKeyId"]), str(creds["SecretAccessKey"]), str(creds["SessionToken"]))
    with _LOCK:
        return _member_client(service, region, who.account, who.session, keys)


def ecs(who: Member | None = None) -> "ECSClient":
    return cast("ECSClient", client_in("ecs", who))


def ssm(who: Member | None = None) -> "SSMClient":
    return cast("SSMClient", client_in("ssm", who))


def s3() -> "S3Client":
    return cast("S3Client", client("s3"))


def sns() -> "SNSClient":
    return cast("SNSClient", client("sns"))


def securityhub(who: Member | None = None) -> "SecurityHubClient":
    return cast("SecurityHubClient", client_in("securityhub", who))


def sqs() -> "SQSClient":
    return cast("SQSClient", client("sqs"))
