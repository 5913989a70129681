"""Powertools Logger, Tracer and Metrics (EMF), shared by every handler.

The correlation id is the Step Functions execution name, passed in each payload from
`$$.Execution.Name`, so every log line of one audit can be found with one filter.
"""

import warnings
from collections.abc import Callable
from functools import wraps
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from botocore.exceptions import ClientError
from pydantic import BaseModel

from netaudit.errors import THROTTLING_CODES, AwsThrottled

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# log_metrics warns when a handler emitted nothing; Report emits nothing for a rejected input (no
# audit ran), by design.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def bind_execution(execution: Any) -> None:
    """Use the execution name as correlation id (and keep the execution ARN in every line)."""
    if isinstance(execution, dict):
        name, arn = execution.get("name"), execution.get("id")
    else:
        name, arn = getattr(execution, "name", None), getattr(execution, "id", None)
    if name:
        logger.set_correlation_id(str(name))
    if arn:
        logger.append_keys(execution_arn=str(arn))


def record_modes(kind: str, verdict: str, by_mode: dict[str, dict[str, int]]) -> None:
    """EMF metrics of one audit, one blob per declared network mode (tasks audited, violations,
    inconclusive), then one `Audits` count by kind and verdict. Flushes as it goes."""
    for mode, counts in sorted(by_mode.items()):
        metrics.add_dimension(name="NetworkMode", value=mode)
        metrics.add_metric(name="TasksAudited", unit=MetricUnit.Count, value=counts.get("tasks", 0))
        metrics.add_metric(name="Violations", unit=MetricUnit.Count, value=counts.get("violation", 0))
        metrics.add_metric(name="Inconclusive", unit=MetricUnit.Count, value=counts.get("inconclusive", 0))
        metrics.add_metadata(key="auditKind", value=kind)
        metrics.flush_metrics()
    metrics.add_dimension(name="AuditKind", value=kind)
    metrics.add_metric(name="Audits", unit=MetricUnit.Count, value=1)
    metrics.add_metadata(key="verdict", value=verdict)


def record_coverage(kind: str, coverage: dict[str, Any]) -> None:
    """EMF: `CoveragePercent` (verified / tasks in scope) and, for event-driven audits, the delay
    from RUNNING to verdict (p50, p95) of the audit's verified tasks. Flushes."""
    metrics.add_dimension(name="AuditKind", value=kind)
    percent = float(coverage.get("percent", 0))
    metrics.add_metric(name="CoveragePercent", unit=MetricUnit.Percent, value=percent)
    metrics.add_metric(name="TasksInScope", unit=MetricUnit.Count, value=int(coverage.get("inScope", 0)))
    metrics.add_metric(name="TasksVerified", unit=MetricUnit.Count, value=int(coverage.get("verified", 0)))
    delay = coverage.get("runningToVerdict") or {}
    if delay:
        for name, key in (("RunningToVerdictP50", "p50Seconds"), ("RunningToVerdictP95", "p95Seconds")):
            metrics.add_metric(name=name, unit=MetricUnit.Seconds, value=float(delay[key]))
    metrics.flush_metrics()


def record_error(error: str) -> None:
    metrics.add_dimension(name="Error", value=error)
    metrics.add_metric(name="AuditErrors", unit=MetricUnit.Count, value=1)


def step[F: Callable[..., Any]](func: F) -> F:
    """Log the step's start/end with the correlation id; named errors are logged, then re-raised.

    An AWS call still throttled after the client's retries becomes `AwsThrottled`, which every
    Task state retries by name (a plain ClientError would end the audit, or leave a canary)."""

    @wraps(func)
    def wrapper(event: Any, context: Any) -> Any:
        bind_execution(getattr(event, "execution", None))
        logger.info("step started", extra={"step": func.__module__.rsplit(".", 1)[-1]})
        try:
            result = func(event, context)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            logger.warning("step failed", extra={"error": code, "cause": str(exc)})
            if code in THROTTLING_CODES:
                raise AwsThrottled(f"AWS throttled the call: {exc}") from exc
            raise
        except Exception as exc:
            logger.warning("step failed", extra={"error": type(exc).__name__, "cause": str(exc)})
            raise
        logger.info("step finished")
        return result

    return wrapper  # type: ignore[return-value]


def lambda_handler[M: BaseModel](
    model: type[M], *, emits_metrics: bool = False
) -> Callable[[Callable[[M, Any], Any]], Callable[[Any, Any], Any]]:
    """The one decorator of every handler: Powertools' logger (Lambda context), tracer, the
    event parsed with `model` (a bad event fails before any work), `step` (correlation id, named
    errors, throttling), and for handlers that emit EMF metrics Powertools' `log_metrics`, which
    flushes what is left when the handler returns."""

    def decorate(func: Callable[[M, Any], Any]) -> Callable[[Any, Any], Any]:
        wrapped: Callable[..., Any] = event_parser(model=model)(step(func))
        wrapped = tracer.capture_lambda_handler(wrapped)
        if emits_metrics:
            wrapped = metrics.log_metrics(wrapped)
        return logger.inject_lambda_context(wrapped)

    return decorate
