"""Prepare: validate the input, fill the defaults. Bad input ends here and nothing is created."""

from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from netaudit.errors import InvalidInput
from netaudit.models.inputs import (
    EXPRESS_CHILD_SECONDS,
    EXPRESS_PROBE_BUDGET,
    Audit,
    AuditInput,
    CanaryTarget,
    Defaults,
    ExecutionRef,
    field_path,
)


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem: the field, what was expected and what was given."""
    lines = []
    for err in exc.errors(include_url=False):
        msg = str(err["msg"]).removeprefix("Value error, ")
        given = err.get("input")
        suffix = f" (got {given!r})" if isinstance(given, str | int | float | bool) else ""
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        lines.append(f"{field_path(tuple(err['loc']))}: {msg}{suffix}")
    return "invalid input: " + "; ".join(lines)


def parse_input(raw: Any) -> AuditInput:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidInput(f"invalid input: expected a JSON object, got {type(raw).__name__}")
    try:
        return AuditInput.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(exc)) from None


def check_express_budget(probe_deadline: int, poll_interval: int) -> None:
    """Each group of hosts is probed by an Express child execution (at most 5 minutes)."""
    if probe_deadline + poll_interval > EXPRESS_PROBE_BUDGET:
        raise InvalidInput(
            f"invalid input: probeDeadlineSeconds: {probe_deadline} s plus pollIntervalSeconds "
            f"{poll_interval} s is over {EXPRESS_PROBE_BUDGET} s: hosts are probed in Express child "
            f"executions, which last at most {EXPRESS_CHILD_SECONDS} s (lower either value)"
        )


def prepare(raw: Any, defaults: Defaults, execution: ExecutionRef, ecs: Any) -> Audit:
    """The normalised audit. Checks the cluster exists and is ACTIVE (one DescribeClusters)."""
    parsed = parse_input(raw)
    cluster = parsed.cluster or defaults.cluster
    if not cluster:
        raise InvalidInput("invalid input: cluster: expected a non-empty ECS cluster name or ARN")
    target = parsed.target
    image = defaults.image
    if isinstance(target, CanaryTarget) and target.image:
        image = target.image
    try:
        found = ecs.describe_clusters(clusters=[cluster]).get("clusters", [])
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code == "AccessDeniedException":  # every role of the stack is scoped to ClusterName
            raise InvalidInput(
                f"invalid input: cluster: this deployment may only audit cluster {defaults.cluster!r}, "
                f"not {cluster!r}"
            ) from None
        if code in ("ClusterNotFoundException", "InvalidParameterException"):
            found = []
        else:
            raise
    if not found or found[0].get("status") != "ACTIVE":
        raise InvalidInput(f"invalid input: cluster: no ACTIVE ECS cluster named {cluster!r}")
    poll = parsed.poll_interval_seconds
    poll = defaults.poll_interval_seconds if poll is None else poll
    check_express_budget(parsed.probe_deadline_seconds or defaults.probe_deadline_seconds, poll)
    return Audit(
        execution=execution,
        cluster=found[0].get("clusterName", cluster),
        target=target,
        image=image,
        poll_interval_seconds=(
            parsed.poll_interval_seconds
            if parsed.poll_interval_seconds is not None
            else defaults.poll_interval_seconds
        ),
        running_deadline_seconds=parsed.running_deadline_seconds or defaults.running_deadline_seconds,
        probe_deadline_seconds=parsed.probe_deadline_seconds or defaults.probe_deadline_seconds,
        max_concurrency=parsed.max_concurrency or defaults.max_concurrency,
    )
