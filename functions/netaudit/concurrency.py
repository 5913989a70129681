"""The product's thread pools, each task run in a copy of its submitter's context.

A plain ThreadPoolExecutor runs its tasks in the worker thread's own (empty) context, so a
contextvar set by the caller is lost in them: Powertools' logger keys live in contextvars (the
appended keys of a handler would be missing from a worker's log lines), and so does the local
runner's "which function is invoking" (its IAM decisions). `contextvars.copy_context().run` in
the submitting thread, one copy per task (a Context can be entered by one thread at a time),
carries it; on AWS it changes nothing else.
"""

import contextvars
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor


def map_in_context[T, R](fn: Callable[[T], R], items: Iterable[T], max_workers: int) -> list[R]:
    """`[fn(item) for item in items]` on up to `max_workers` threads, in order; each call sees the
    caller's contextvars. The first exception raised by a call is raised here."""
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        futures = [pool.submit(contextvars.copy_context().run, fn, item) for item in items]
        return [future.result() for future in futures]
