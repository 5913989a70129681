"""The one way the local run reaches into the AWS clients: botocore's event system.

Every client of a local run (the functions' from netaudit.aws_clients, member clients, moto's
Step Functions engine's from `boto_client_for`, the local Pipe's) is built by `boto3.client(...)`,
i.e. from boto3's default session, and a botocore client copies its session's event emitter when
it is built. A handler registered here on the default session's emitter is therefore inherited
by every client built afterwards, with no patch of the product or of boto3
(`netaudit.aws_clients.reset()` drops cached clients so the next ones inherit it).

moto answers in a `before-send` handler from botocore's BUILTIN_HANDLERS: `first=True`
(`register_first`) runs before it. A `before-send` handler returning an AWSResponse stays inside
botocore's retry loop (the standard retry mode retries it, as it would on AWS); a `before-call`
handler returning `(http, parsed)` ends the call with no retry (an IAM denial, never retried).

`acting_as` / `acting_function`: the function whose invocation runs in this context
(Seams.invoke sets it). It is the product's own `aws_clients.EXECUTION_ENVIRONMENT` (the
environment whose credentials a call uses: one per function on AWS), a contextvar: threads the
product starts carry it through `netaudit.concurrency`, as Powertools' logger keys travel on AWS.
"""

import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, cast

from netaudit.aws_clients import EXECUTION_ENVIRONMENT

_IDS = itertools.count()


def default_emitter() -> Any:
    """The event emitter of boto3's default session (created if none: moto's mock_aws clears it),
    the one every `boto3.client(...)` copies."""
    import boto3

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    return cast(Any, boto3.DEFAULT_SESSION).events


def on_every_client(
    stack: ExitStack, event: str, handler: Callable[..., Any], *, first: bool = False
) -> None:
    """Register `handler` for botocore event `event` (e.g. 'before-call', 'before-send') on every
    client boto3.client() builds from now on in this process, and unregister it when `stack`
    closes. first=True uses register_first (runs before moto's handler).

    A client built while the handler was registered keeps a copy of it after `stack` closes (a
    client's emitter is its own): the copy is switched off then, so it never acts after its run."""
    emitter = default_emitter()
    unique_id = f"netaudit-seam-{next(_IDS)}"
    live = [True]

    def guarded(**kwargs: Any) -> Any:
        return handler(**kwargs) if live[0] else None

    if first:
        emitter.register_first(event, guarded, unique_id=unique_id)
    else:
        emitter.register(event, guarded, unique_id=unique_id)

    def close() -> None:
        live[0] = False
        emitter.unregister(event, unique_id=unique_id)

    stack.callback(close)


@contextmanager
def acting_as(function_name: str) -> Iterator[None]:
    """The function whose invocation the code in this block (and the threads it starts through
    netaudit.concurrency) runs in."""
    token = EXECUTION_ENVIRONMENT.set(function_name)
    try:
        yield
    finally:
        EXECUTION_ENVIRONMENT.reset(token)


def acting_function() -> str | None:
    """The function whose invocation is running in this context (None outside any)."""
    return EXECUTION_ENVIRONMENT.get() or None
