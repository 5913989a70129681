"""Workflow input and the state passed between the steps (camelCase JSON on the wire).

`AuditInput` is what a user (or the schedule) starts an execution with; Prepare turns it into an
`Audit` with every default filled, so the later steps never guess.
"""

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from netaudit.models import account as acct
from netaudit.models.task import NETWORK_MODES, AuditTask, NetworkMode

TASK_ARN_RE = r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task/([A-Za-z0-9_-]{1,255}/)?[a-f0-9]{32}$"
CLUSTER_RE = r"^([A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]{1,255})$"
IMAGE_RE = r"^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$"
ECHO_LIMIT = 80  # characters of a refused value quoted back in an error (inputs may be huge)

SubnetId = Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]
SecurityGroupId = Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}$")]
Seconds = Annotated[int, Field(ge=1, le=3600)]

MAX_POLL_INTERVAL = 300
MAX_MAP_CONCURRENCY = 1000
DEFAULT_MAX_CONCURRENCY = 10
# Polls of one loop (task status, probe command) before the loop gives up, whatever the interval:
# a poll adds 9 events (Wait 2, Task 5, Choice 2), so 1,000 polls stay far below the 25,000-event
# history of an execution (Step Functions quotas: "Maximum execution history size").
MAX_POLLS = 1000
# Each group of hosts is probed by an EXPRESS child execution, which lasts at most 5 minutes (Step
# Functions quotas, "Maximum execution duration: Express 5 minutes"). The probe deadline plus one
# poll interval (the last poll comes at most one interval after the deadline) must leave a margin
# for SendProbe/Evaluate and their retries (1+2+4+8 s backoff): 60 s of the 300.
EXPRESS_CHILD_SECONDS = 300
EXPRESS_PROBE_BUDGET = EXPRESS_CHILD_SECONDS - 60
ProbeSeconds = Annotated[int, Field(ge=1, le=EXPRESS_PROBE_BUDGET)]
RUNNING_AT_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"


def shown(value: object) -> str:
    """`repr(value)`, cut to ECHO_LIMIT characters: error messages quote what was given, bounded."""
    text = repr(value)
    return text if len(text) <= ECHO_LIMIT else text[: ECHO_LIMIT - 3] + "..."


def _task_arn(value: str) -> str:
    if not re.match(TASK_ARN_RE, value):
        raise ValueError("expected an ECS task ARN arn:aws:ecs:<region>:<account>:task/<cluster>/<32 hex id>")
    return value


TaskArn = Annotated[str, AfterValidator(_task_arn)]  # per item: errors name target.taskArns[i]


def _cluster_ref(value: str) -> str:
    if value != "*" and not re.match(CLUSTER_RE, value):
        raise ValueError(
            "expected an ECS cluster name (letters, digits, - and _) or a cluster ARN "
            "arn:aws:ecs:<region>:<account>:cluster/<name>"
        )
    return value


ClusterRef = Annotated[str, AfterValidator(_cluster_ref)]  # per item: errors name clusters[i]


class Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class Lenient(Camel):
    """State objects: unknown keys are tolerated (later steps may add some)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class AwsvpcConfig(Camel):
    subnets: list[SubnetId] = Field(min_length=1, max_length=16)
    security_groups: list[SecurityGroupId] = Field(default_factory=list, max_length=5)


class CanaryTarget(Camel):
    """Register and run a short-lived canary task with the requested network mode, then probe it."""

    kind: Literal["canary"] = "canary"
    network_mode: NetworkMode = "none"
    launch_type: str = "EC2"
    # The deployment's CanaryImage unless the deployment allows an override (netaudit.settings).
    image: Annotated[str, StringConstraints(pattern=IMAGE_RE)] | None = None
    # Never from an input: the command is the deployment's (CanaryCommand). Declared only to refuse
    # it by name; any value, of any type, is an error.
    command: None = Field(default=None, exclude=True)
    memory_mib: int = Field(default=32, ge=6, le=16384)
    awsvpc: AwsvpcConfig | None = Field(default=None, validate_default=True)

    @field_validator("command", mode="before")
    @classmethod
    def _no_command(cls, value: Any) -> None:
        if value is not None:
            raise ValueError(
                "not accepted: the canary's command is the deployment's (parameter CanaryCommand), "
                "never an input's"
            )
        return None

    @field_validator("launch_type")
    @classmethod
    def _ec2_only(cls, value: str) -> str:
        if value.upper() == "FARGATE":
            raise ValueError(
                "expected EC2; Fargate is not supported: Fargate does not support networkMode "
                "none (nor bridge or host) and gives no access to the host to probe from"
            )
        if value != "EC2":
            raise ValueError("expected EC2")
        return value

    @field_validator("awsvpc")
    @classmethod
    def _awsvpc_with_awsvpc_mode(
        cls, value: AwsvpcConfig | None, info: ValidationInfo
    ) -> AwsvpcConfig | None:
        # A field validator (validate_default), so the error is named target.awsvpc.
        mode = info.data.get("network_mode")
        if mode == "awsvpc" and value is None:
            raise ValueError("required when networkMode is awsvpc (subnets, securityGroups)")
        if mode is not None and mode != "awsvpc" and value is not None:
            raise ValueError(f"only allowed with networkMode awsvpc, not {mode}")
        return value


class TasksTarget(Camel):
    """Audit tasks that are already running (no canary is started or stopped)."""

    kind: Literal["tasks"]
    task_arns: list[TaskArn] = Field(min_length=1, max_length=100)
    # Event-driven audits (netaudit.workflow.events_batch): when each task reached RUNNING (ISO
    # 8601), for the RUNNING-to-verdict delay; a task that stopped before its audit is then
    # reported "not verified: task stopped", not INCONCLUSIVE.
    # Checked here, not by the type: an error names `target.runningAt`, never an input key.
    running_at: dict[str, Any] | None = Field(default=None, max_length=100)

    @field_validator("running_at")
    @classmethod
    def _running_at_of_listed_tasks(cls, value: dict[str, Any] | None, info: ValidationInfo) -> Any:
        listed = set(info.data.get("task_arns") or [])
        for n, (arn, when) in enumerate((value or {}).items()):
            if listed and arn not in listed:
                raise ValueError(f"entry {n}: a task that is not in taskArns")
            if not (isinstance(when, str) and re.match(RUNNING_AT_RE, when)):
                raise ValueError(f"entry {n}: expected an ISO 8601 time like 2026-11-25T10:00:00.000Z")
        return value


class ClusterTarget(Camel):
    """Audit every RUNNING task of the cluster whose declared network mode is in `networkModes`."""

    kind: Literal["cluster"]
    network_modes: list[NetworkMode] = Field(
        default_factory=lambda: list(NETWORK_MODES), min_length=1, max_length=len(NETWORK_MODES) * 4
    )

    @field_validator("network_modes")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))  # keep the order, drop repeats


Target = Annotated[CanaryTarget | TasksTarget | ClusterTarget, Field(discriminator="kind")]
TARGET_KINDS: tuple[str, ...] = ("canary", "tasks", "cluster")


MAX_CLUSTERS = 100  # clusters of one input (DescribeClusters takes at most 100 a call)


class AuditInput(Camel):
    """The execution input. Every field is optional; `{}` runs the none-mode canary.

    `cluster` (one) or `clusters` (several, or "*" = the deployment's whole scope) for cluster and
    tasks audits; none given: the deployment's scope (netaudit.workflow.scope). A canary runs in
    one cluster."""

    cluster: str | None = None
    clusters: list[ClusterRef] | None = Field(default=None, min_length=1, max_length=MAX_CLUSTERS)
    # The accounts (issue 21): ids, this stack's own included, or "*" (it and its MemberAccounts)
    accounts: list[acct.AccountId] | None = Field(default=None, min_length=1, max_length=acct.MAX_ACCOUNTS)
    target: Target = Field(default_factory=CanaryTarget)
    poll_interval_seconds: int | None = Field(default=None, ge=0, le=MAX_POLL_INTERVAL)
    running_deadline_seconds: Seconds | None = None
    probe_deadline_seconds: ProbeSeconds | None = None
    max_concurrency: int | None = Field(default=None, ge=1, le=MAX_MAP_CONCURRENCY)

    @field_validator("cluster")
    @classmethod
    def _cluster(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.strip():
            raise ValueError("expected a non-empty ECS cluster name or ARN")
        if not re.match(CLUSTER_RE, value):
            raise ValueError(
                "expected an ECS cluster name (letters, digits, - and _) or a cluster ARN "
                "arn:aws:ecs:<region>:<account>:cluster/<name>"
            )
        return value

    @field_validator("clusters", mode="before")
    @classmethod
    def _every(cls, value: Any) -> Any:
        if value == "*":
            return ["*"]
        if value is not None and not isinstance(value, list):
            raise ValueError('expected a list of ECS cluster names or ARNs, or "*" (the deployment\'s scope)')
        return value

    _every_account = field_validator("accounts", mode="before")(acct.every_account)

    @field_validator("clusters")
    @classmethod
    def _every_alone(cls, value: list[str] | None) -> list[str] | None:
        if value and "*" in value and len(value) > 1:
            raise ValueError('"*" (every cluster of the deployment) cannot be combined with names')
        return value

    @field_validator("target", mode="before")
    @classmethod
    def _default_kind(cls, value: Any) -> Any:
        if isinstance(value, dict) and "kind" not in value:
            return {**value, "kind": "canary"}
        return value


class Defaults(Lenient, acct.DeploymentAccounts):
    """Deployment defaults (the template's parameters, via DefinitionSubstitutions). `cluster`: the
    scope, ClusterName's names joined by commas or `*`; probe_budget_seconds: the event machine's."""

    cluster: str
    poll_interval_seconds: int = Field(ge=0, le=MAX_POLL_INTERVAL)
    running_deadline_seconds: Seconds
    probe_deadline_seconds: Seconds
    max_concurrency: int = Field(default=DEFAULT_MAX_CONCURRENCY, ge=1, le=MAX_MAP_CONCURRENCY)
    probe_budget_seconds: int | None = Field(default=None, ge=1, le=EXPRESS_PROBE_BUDGET)


class ExecutionRef(Lenient):
    """`$$.Execution` fields the steps need (the name is the logs' correlation id)."""

    id: str = ""
    name: str = "local"
    start_time: str | None = None


class Audit(Lenient, acct.AuditAccounts):
    """The normalised input: what every later step reads."""

    execution: ExecutionRef
    # The one cluster of a canary or of a single-cluster audit; "" when the audit covers several
    # (`clusters`) or every cluster of the account and region (`all_clusters`: ResolveHosts lists
    # them, so the state stays small whatever their number).
    cluster: str
    clusters: list[str] = Field(default_factory=list)
    all_clusters: bool = False
    target: Target
    image: str
    command: list[str] | None = None  # the deployment's CanaryCommand; None = sleep (canary.py)
    poll_interval_seconds: int
    running_deadline_seconds: int
    probe_deadline_seconds: int
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY  # hosts probed at once (Map MaxConcurrency)


class Canary(Lenient):
    task_definition_arn: str
    family: str
    revision: int
    network_mode: NetworkMode
    started_by: str = ""
    task_arn: str | None = None
    last_status: str | None = None
    running_deadline: float | None = None  # epoch seconds
    polls: int = 0  # DescribeTask polls so far (bounded by MAX_POLLS)


ProbeTask = AuditTask  # a task to verify on a host (the one task type: netaudit.models.task)


class HostTarget(Lenient):
    instance_id: str
    container_instance_arn: str
    tasks: list[ProbeTask]
    cluster: str = ""  # the cluster of the container instance (and so of its tasks)
    account: str = ""  # the member account of the instance; "" = the stack's own (issue 21)


class UnreachableHost(Lenient):
    """Tasks that cannot be probed (host not Online in SSM, task gone, no host), with the reason."""

    instance_id: str
    reason: str
    tasks: list[ProbeTask]
    cluster: str = ""
    code: str | None = None  # netaudit.platforms reason code, when the platform is the reason
    account: str = ""


class NotProbedTask(Lenient):
    """A task of the audit that no host can be probed for (Fargate, ECS Managed Instances, not
    RUNNING, gone)."""

    task_arn: str
    reason: str
    declared_mode: NetworkMode | None = None
    cluster: str = ""
    code: str | None = None  # netaudit.platforms reason code, when the platform is the reason
    account: str = ""


class Resolved(Lenient):
    """Everything ResolveHosts found (kept in S3 at `runs/<execution>/resolved.json`)."""

    hosts: list[HostTarget]
    unreachable: list[UnreachableHost] = Field(default_factory=list)
    not_probed: list[NotProbedTask] = Field(default_factory=list)
    api_calls: dict[str, int] = Field(default_factory=dict)
    # member clusters not audited at all (a refused call before any task was known): never ISOLATED
    gaps: list[acct.AccountGap] = Field(default_factory=list)


class ResolvedRef(Lenient):
    """What ResolveHosts puts in the state. "distributed": the host list in S3 (`hosts_key`) for the
    Distributed Map; "inline" (the event machine: workflow.hosts.publish_inline): the resolution in
    `inline`, a host's verdicts inline under `result_bytes`; "none": no host to probe."""

    mode: Literal["distributed", "inline", "none"]
    host_count: int
    task_count: int
    unreachable_host_count: int = 0
    not_probed_count: int = 0
    bucket: str
    resolved_key: str | None = None  # None: the resolution is `inline`, not in S3
    hosts_key: str | None = None
    results_prefix: str
    inline: dict[str, Any] | None = None
    result_bytes: int = 0


class ProbeResult(Lenient):
    """One host's probe outcome (what the Map returns per host)."""

    instance_id: str
    tasks: list[ProbeTask] = Field(default_factory=list)  # (older states); the host has them
    command_id: str | None = None
    status: str
    terminal: bool
    response_code: int | None = None
    stdout: str | None = None  # inline when complete; else read from output_s3_uri
    truncated: bool = False
    output_s3_uri: str | None = None
    error: str | None = None
    cause: str | None = None
    fault: dict[str, Any] | None = None  # an uncaught error's {Error, Cause}, as Step Functions gave it


class SentCommand(Lenient):
    """The probe command of one host, as the poll loop carries it from poll to poll."""

    command_id: str
    instance_id: str
    sent_at: float
    deadline: float
    output_s3_bucket: str | None = None
    output_s3_prefix: str | None = None
    polls: int = 0  # GetProbe polls so far (bounded by MAX_POLLS)
    status: str = "Pending"
    terminal: bool = False  # the Choice after GetProbe reads it: always present
    result: ProbeResult | None = None  # once terminal


def field_path(loc: tuple[int | str, ...]) -> str:
    """`("target", "cluster", "networkModes", 0)` -> "target.networkModes[0]" (drop union tags)."""
    parts = [
        str(p) if len(str(p)) <= ECHO_LIMIT else str(p)[: ECHO_LIMIT - 3] + "..."  # unknown keys: any size
        for i, p in enumerate(loc)
        if not (i == 1 and loc[0] == "target" and p in TARGET_KINDS) and not str(p).startswith("function-")
    ]
    text = ".".join(parts)
    return re.sub(r"\.(\d+)", r"[\1]", text) or "input"
