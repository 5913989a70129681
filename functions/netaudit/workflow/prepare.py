"""Prepare: validate the input, fill the defaults. Bad input ends here and nothing is created.

What an input may not choose (issue 14, docs/THREAT_MODEL.md): the canary's command (never), its
image (only as the deployment's CanarySettings allow), the cluster (only the deployment's), the
tasks of another cluster, or anything the input model does not declare (unknown fields).
"""

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from netaudit.errors import InvalidInput
from netaudit.models.inputs import (
    EXPRESS_CHILD_SECONDS,
    EXPRESS_PROBE_BUDGET,
    TARGET_KINDS,
    Audit,
    AuditInput,
    CanaryTarget,
    Defaults,
    ExecutionRef,
    TasksTarget,
    field_path,
    shown,
)
from netaudit.settings import CanarySettings

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient


MAX_PROBLEMS = 10  # problems listed in one InvalidInput message (an input may hold thousands)


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem: the field, what was expected and what was given (bounded)."""
    lines = []
    errors = exc.errors(include_url=False)
    for err in errors[:MAX_PROBLEMS]:
        msg = str(err["msg"]).removeprefix("Value error, ")
        given = err.get("input")
        path = field_path(tuple(err["loc"]))
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif err["type"] == "union_tag_invalid":  # pydantic's message quotes the whole tag
            path, msg = f"{path}.kind", f"expected one of {', '.join(TARGET_KINDS)}"
            given = (err.get("ctx") or {}).get("tag")
        suffix = f" (got {shown(given)})" if isinstance(given, str | int | float | bool) else ""
        lines.append(f"{path}: {msg}{suffix}")
    if len(errors) > MAX_PROBLEMS:
        lines.append(f"and {len(errors) - MAX_PROBLEMS} more")
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


def cluster_name(cluster: str) -> str:
    """`arn:aws:ecs:r:a:cluster/name` or `name` -> `name`."""
    return cluster.rsplit(":cluster/", 1)[-1]


def _not_deployed_cluster(deployed: str, given: str) -> InvalidInput:
    return InvalidInput(
        f"invalid input: cluster: this deployment may only audit cluster {deployed!r}, not {shown(given)}"
    )


def _check_task_clusters(target: TasksTarget, cluster: str) -> None:
    """Long-format task ARNs name their cluster: one of another cluster is refused by name."""
    for i, arn in enumerate(target.task_arns):
        parts = arn.split(":task/", 1)[-1].split("/")
        if len(parts) == 2 and parts[0] != cluster:
            raise InvalidInput(
                f"invalid input: target.taskArns[{i}]: a task of cluster {parts[0]!r}; this "
                f"deployment audits only cluster {cluster!r}"
            )


def canary_image(target: CanaryTarget, settings: CanarySettings) -> str:
    """The canary's image: the deployment's, or the input's when the settings allow it."""
    if target.image is None:
        return settings.image
    why = settings.refuse_image(target.image, target.network_mode)
    if why:
        raise InvalidInput(f"invalid input: target.image: {why} (got {shown(target.image)})")
    return target.image


def prepare(
    raw: Any, defaults: Defaults, execution: ExecutionRef, ecs: "ECSClient", settings: CanarySettings
) -> Audit:
    """The normalised audit. Checks the cluster exists, is ACTIVE and is the deployment's (one
    DescribeClusters, only after the input itself passed every check)."""
    parsed = parse_input(raw)
    cluster = parsed.cluster or defaults.cluster
    if not cluster:
        raise InvalidInput("invalid input: cluster: expected a non-empty ECS cluster name or ARN")
    target = parsed.target
    image = settings.image
    if isinstance(target, CanaryTarget):
        image = canary_image(target, settings)
    try:
        found = ecs.describe_clusters(clusters=[cluster]).get("clusters", [])
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code == "AccessDeniedException":  # every role of the stack is scoped to ClusterName
            raise _not_deployed_cluster(defaults.cluster, cluster) from None
        if code in ("ClusterNotFoundException", "InvalidParameterException"):
            found = []
        else:
            raise
    if not found or found[0].get("status") != "ACTIVE":
        raise InvalidInput(f"invalid input: cluster: no ACTIVE ECS cluster named {shown(cluster)}")
    name = found[0].get("clusterName") or cluster_name(cluster)
    # IAM denies another cluster on AWS (AccessDenied above); this refuses it by name as well, so a
    # deployment whose roles were widened by hand still audits only its own cluster.
    if name != cluster_name(defaults.cluster):
        raise _not_deployed_cluster(defaults.cluster, cluster)
    if isinstance(target, TasksTarget):
        _check_task_clusters(target, name)
    poll = parsed.poll_interval_seconds
    poll = defaults.poll_interval_seconds if poll is None else poll
    check_express_budget(parsed.probe_deadline_seconds or defaults.probe_deadline_seconds, poll)
    return Audit(
        execution=execution,
        cluster=name,
        target=target,
        image=image,
        command=settings.command,
        poll_interval_seconds=(
            parsed.poll_interval_seconds
            if parsed.poll_interval_seconds is not None
            else defaults.poll_interval_seconds
        ),
        running_deadline_seconds=parsed.running_deadline_seconds or defaults.running_deadline_seconds,
        probe_deadline_seconds=parsed.probe_deadline_seconds or defaults.probe_deadline_seconds,
        max_concurrency=parsed.max_concurrency or defaults.max_concurrency,
    )
