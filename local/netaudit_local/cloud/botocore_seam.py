"""The botocore-event seam: a handler on every client the local run builds, and who is calling.

Every AWS client of a local run (netaudit.aws_clients' and the member clients, moto's Step
Functions engine's, the local Pipe's) is built by `boto3.client(...)`, i.e. from boto3's default
session. A botocore client copies its session's event emitter when it is built, so a handler
registered there before the clients are built is inherited by all of them
(`netaudit.aws_clients.reset()` drops cached clients). moto intercepts in a `before-send`
handler of botocore's BUILTIN_HANDLERS: `first=True` runs a handler before it.

Minimal version (helper "chaos"); helper "seam" owns this module and its full implementation.
Never imported by a Lambda.
"""

import contextlib
from collections.abc import Callable
from typing import Any

import boto3


def on_every_client(
    stack: contextlib.ExitStack, event: str, handler: Callable[..., Any], *, first: bool = False
) -> None:
    """Register `handler` for botocore event `event` (e.g. 'before-call', 'before-send') on every
    client boto3.client() builds from now on in this process (the default session's emitter), and
    unregister it when `stack` closes. first=True uses register_first (runs before moto)."""
    emitter = boto3._get_default_session().events
    unique_id = f"netaudit-seam-{id(handler)}"
    if first:
        emitter.register_first(event, handler, unique_id=unique_id)
    else:
        emitter.register(event, handler, unique_id=unique_id)
    stack.callback(emitter.unregister, event, handler, unique_id=unique_id)


def acting_function() -> str | None:
    """The function whose invocation is running in this context (or None)."""
    from netaudit_local.iam.hooks import _ACTING

    return _ACTING.get()
