"""Fault injection (issue 25): a share of the audit's AWS calls fail as AWS fails them.

A `before-send` handler registered first on every client (`botocore_seam.on_every_client`, so it
runs before moto's) answers a drawn share of the calls of the functions, of moto's Step
Functions engine (its Lambda invokes and the Distributed Map's S3 reads and writes) and of the
local Pipe with one of:
- `throttle`: AWS's throttling answer for the service's protocol (JSON: 400 ThrottlingException;
  Lambda: 429 TooManyRequestsException; S3: 503 SlowDown; query/XML (SNS, STS): 400 Throttling);
- `server`: a 5xx (InternalFailure 500, as AWS's "Common Errors" list it; ECS ServerException,
  Lambda ServiceException, S3 InternalError);
- `lost`: the request reaches AWS (moto answers it) and the answer is lost: a
  `ReadTimeoutError`. A retry then repeats a call AWS has already carried out, which is what a
  non-idempotent call must survive.
An answer returned from `before-send` stays inside botocore's retry loop, so the clients'
standard retry mode (netaudit.aws_clients.RETRY_CONFIG) sees and retries it as on AWS.

Reproducible: whether the n-th attempt of an operation fails, and how, is drawn from
Random(f"{seed}/{service}.{operation}/{n}"), so a run's faults depend on the seed and on each
operation's own call sequence, not on how threads interleave different operations.

Calls made outside the audit (the local stack's set-up, a demo reading its results) are not
touched: a call is the audit's when a function makes it (`botocore_seam.acting_function`), when
moto's engine signs it (its clients use the fixed key `ak`), or inside `as_pipe()`.
Never imported by a Lambda.
"""

import contextvars
import json
import random
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from netaudit_local.cloud import moto_patches
from netaudit_local.cloud.botocore_seam import acting_function, on_every_client

KINDS = ("throttle", "server", "lost")
STANDARD_MAX_BACKOFF_S = 20  # botocore.retries.standard: the longest wait between two attempts
KIND_WEIGHTS = (4, 3, 3)
UNANSWERED_URL = "https://netaudit-chaos.invalid/"  # no moto backend matches it
ENGINE_KEY = f"Credential={moto_patches.ENGINE_ACCESS_KEY}/"  # the engine's clients sign with it

# botocore's serviceId (hyphenized, as in the event name) -> the service's protocol.
# tests/local/test_chaos.py checks this against botocore's own service models.
PROTOCOLS = {
    "ecs": "json",
    "ssm": "json",
    "sfn": "json",
    "sqs": "json",
    "eventbridge": "json",
    "organizations": "json",
    "securityhub": "rest-json",
    "lambda": "rest-json",
    "s3": "rest-xml",
    "sns": "query",
    "sts": "query",
    "ec2": "ec2",
}
# (HTTP status, code) per protocol and kind; a service's own name where AWS documents one.
THROTTLE = {
    "json": (400, "ThrottlingException"),
    "rest-json": (400, "ThrottlingException"),
    "rest-xml": (503, "SlowDown"),
    "query": (400, "Throttling"),
    "ec2": (503, "RequestLimitExceeded"),
}
SERVER = {
    "json": (500, "InternalFailure"),
    "rest-json": (500, "InternalFailure"),
    "rest-xml": (500, "InternalError"),
    "query": (500, "InternalFailure"),
    "ec2": (500, "InternalError"),
}
SERVICE_FAULTS = {
    ("lambda", "throttle"): (429, "TooManyRequestsException"),  # Lambda API reference, Invoke
    ("lambda", "server"): (500, "ServiceException"),
    ("ecs", "server"): (500, "ServerException"),  # ECS API reference, Common errors of every action
}

_PIPE: contextvars.ContextVar[bool] = contextvars.ContextVar("netaudit_chaos_pipe", default=False)


@contextmanager
def as_pipe() -> Iterator[None]:
    """The calls made in this block are the Pipe's (the local EventBridge Pipe)."""
    token = _PIPE.set(True)
    try:
        yield
    finally:
        _PIPE.reset(token)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def error_answer(service: str, kind: str) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of AWS's answer of `kind` ("throttle" / "server") for `service`."""
    protocol = PROTOCOLS[service]
    default = THROTTLE if kind == "throttle" else SERVER
    status, code = SERVICE_FAULTS.get((service, kind)) or default[protocol]
    rid = str(uuid.uuid4())
    message = "Rate exceeded" if kind == "throttle" else "We encountered an internal error. Please try again."
    if protocol in ("json", "rest-json"):
        headers = {"x-amzn-RequestId": rid, "x-amzn-ErrorType": code, "Content-Type": "application/json"}
        return status, headers, json.dumps({"__type": code, "message": message}).encode()
    if protocol == "rest-xml":
        body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{rid}</RequestId></Error>"
    elif protocol == "ec2":
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                f"<RequestID>{rid}</RequestID></Response>")
    else:
        side = "Sender" if status < 500 else "Receiver"
        body = (f"<ErrorResponse><Error><Type>{side}</Type><Code>{code}</Code><Message>{message}</Message>"
                f"</Error><RequestId>{rid}</RequestId></ErrorResponse>")
    return status, {"x-amz-request-id": rid, "Content-Type": "text/xml"}, body.encode()


@dataclass
class Chaos:
    """One run's faults: `rate` (0-1) of the audit's attempts fail, drawn from `seed`."""

    rate: float
    seed: int = 0
    # operation -> the faults of its first attempts (None: answered): a test's exact faults
    script: dict[str, list[str | None]] = field(default_factory=dict)
    attempts: Counter[str] = field(default_factory=Counter)  # "ecs.RunTask" -> attempts seen
    retries: Counter[str] = field(default_factory=Counter)  # attempts after the first (botocore's)
    backoff_s: float = 0.0  # the functions' expected waits before their retries (billed Lambda time)
    injected: Counter[tuple[str, str]] = field(default_factory=Counter)  # (operation, kind) -> faults
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError(f"chaos rate {self.rate} is not between 0 and 1")

    def draw(self, operation: str) -> str | None:
        """The fault of this attempt of `operation`, or None."""
        with self._lock:
            n = self.attempts[operation]
            self.attempts[operation] += 1
        scripted = self.script.get(operation, [])
        if n < len(scripted):
            kind = scripted[n]
        else:
            rng = random.Random(f"{self.seed}/{operation}/{n}")  # noqa: S311 - a reproducible draw, no secret
            kind = rng.choices(KINDS, KIND_WEIGHTS)[0] if rng.random() < self.rate else None
        if kind is None:
            return None
        with self._lock:
            self.injected[(operation, kind)] += 1
        return kind

    def faults(self) -> int:
        return sum(self.injected.values())

    def summary(self) -> str:
        by_kind: Counter[str] = Counter()
        for (_, kind), n in self.injected.items():
            by_kind[kind] += n
        kinds = ", ".join(f"{k} {by_kind[k]}" for k in KINDS if by_kind[k]) or "none"
        return (f"chaos: rate {self.rate:g}, seed {self.seed}: {self.faults()} faults injected ({kinds}) "
                f"in {sum(self.attempts.values())} attempts of {len(self.attempts)} operations; "
                f"{sum(self.retries.values())} retries by the clients")

    # --- botocore ------------------------------------------------------------------------------
    def before_send(self, request: Any, event_name: str = "", **_: Any) -> Any:
        parts = event_name.split(".")
        service, operation = (parts[1], parts[2]) if len(parts) >= 3 else ("", "")
        if service not in PROTOCOLS or not _is_audit_call(request):
            return None
        name = f"{service}.{operation}"
        attempt = _attempt(request)
        if attempt > 1:
            with self._lock:
                self.retries[name] += 1
        kind = self.draw(name)
        if kind is None:
            return None
        if acting_function() is not None:  # a function's client waits before its retry (Lambda bills it)
            scale = 1.0 if kind == "throttle" else 0.05  # botocore.retries.standard.ExponentialBackoff
            with self._lock:
                self.backoff_s += min(scale * 2 ** (attempt - 1), STANDARD_MAX_BACKOFF_S) / 2
        if kind == "lost":
            from botocore.exceptions import ReadTimeoutError
            from moto.core.models import botocore_stubber

            botocore_stubber(event_name, request)  # AWS carried it out; its answer never arrives
            raise ReadTimeoutError(endpoint_url=request.url)
        from botocore.awsrequest import AWSResponse

        status, headers, body = error_answer(service, kind)
        url = request.url
        # botocore emits before-send to every handler and takes the first answer: moto's handler
        # runs after this one all the same. AWS never carried out a throttled or failed request,
        # so moto must not either: this attempt's request (botocore builds a new one for each
        # attempt) points where no moto backend answers.
        request.url = UNANSWERED_URL
        return AWSResponse(url, status, headers, _Raw(body))  # type: ignore[arg-type]  # it wraps any mapping

    def install(self, stack: ExitStack) -> None:
        """Inject into every client built from now on (call right after moto started)."""
        on_every_client(stack, "before-send", self.before_send, first=True)
        _engine_lambda_errors(stack)
        _map_io_errors(stack)


def _attempt(request: Any) -> int:
    """botocore's attempt number (header amz-sdk-request: "attempt=N; max=M")."""
    raw = request.headers.get("amz-sdk-request", b"")
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    for part in text.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "attempt" and value.isdigit():
            return int(value)
    return 1


def _is_audit_call(request: Any) -> bool:
    if acting_function() is not None or _PIPE.get():
        return True
    auth = request.headers.get("Authorization", b"")
    return ENGINE_KEY in (auth.decode() if isinstance(auth, bytes) else str(auth))


def _engine_lambda_errors(stack: ExitStack) -> None:
    """Name a Lambda Task's failed Invoke as Step Functions does (developer guide, "Handle
    transient Lambda service exceptions": Lambda.ServiceException, Lambda.TooManyRequestsException,
    Lambda.SdkClientException); moto names a lost answer (a botocore HTTPClientError) States.TaskFailed,
    which no Retry of the ASL takes. Other errors: whatever is installed already (IAM's hooks)."""
    from botocore.exceptions import ClientError, HTTPClientError
    from moto.stepfunctions.parser.api import HistoryEventType, LambdaFunctionFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    def rename(env: Any, ex: Exception) -> Any:
        if isinstance(ex, HTTPClientError):
            name = "Lambda.SdkClientException"
        elif isinstance(ex, ClientError) and ex.response["Error"].get("Code") in (
            "TooManyRequestsException", "ServiceException"
        ):
            name = f"Lambda.{ex.response['Error']['Code']}"
        else:
            return None  # whatever is installed (IAM's hooks, moto's)
        details = LambdaFunctionFailedEventDetails(error=name, cause=str(ex))
        return FailureEvent(
            env=env,
            error_name=CustomErrorName(name),
            event_type=HistoryEventType.LambdaFunctionFailed,
            event_details=EventDetails(lambdaFunctionFailedEventDetails=details),  # type: ignore[typeddict-item]
        )

    moto_patches.lambda_task_errors(stack, rename)


def _map_io_errors(stack: ExitStack) -> None:
    """A Distributed Map whose ItemReader or ResultWriter call to S3 fails fails with
    States.ItemReaderFailed / States.ResultWriterFailed on AWS (developer guide, "Error names"),
    which a Retry or Catch can take; moto names any exception there States.Runtime, which none can."""
    from botocore.exceptions import BotoCoreError, ClientError
    from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    def failing_as(typ: Any) -> Any:
        def make(installed: Any) -> Any:
            def eval_resource(self: Any, env: Any) -> None:
                try:
                    installed(self, env)
                except (ClientError, BotoCoreError) as exc:
                    name = StatesErrorName(typ=typ)
                    details = MapRunFailedEventDetails(error=name.error_name, cause=str(exc))
                    raise FailureEventException(
                        failure_event=FailureEvent(
                            env=env,
                            error_name=name,
                            event_type=HistoryEventType.TaskFailed,
                            event_details=EventDetails(mapRunFailedEventDetails=details),  # type: ignore[typeddict-item]
                        )
                    ) from exc

            return eval_resource

        return make

    errors = StatesErrorNameType
    moto_patches.wrap(stack, "sfn.item_reader_eval", failing_as(errors.StatesItemReaderFailed))
    moto_patches.wrap(stack, "sfn.result_writer_eval", failing_as(errors.StatesResultWriterFailed))


_ARMED: Chaos | None = None


@contextmanager
def armed(chaos: Chaos) -> Iterator[Chaos]:
    """Every `local_aws()` started in this block injects `chaos`'s faults (`netaudit demo --chaos`)."""
    global _ARMED  # one process, one demo: the CLI arms it for the run
    previous, _ARMED = _ARMED, chaos
    try:
        yield _ARMED
    finally:
        _ARMED = previous


def current() -> Chaos | None:
    return _ARMED
