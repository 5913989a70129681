"""Verdicts: what the rules engine (`netaudit.verdict`) returns.

Serialise with `model_dump(mode="json", by_alias=True)` (camelCase).
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from netaudit.models.task import NETWORK_MODES as NETWORK_MODES
from netaudit.models.task import AuditTask
from netaudit.models.task import NetworkMode as NetworkMode

Verdict = Literal["ISOLATED", "VIOLATION", "INCONCLUSIVE"]


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


# What a task declares, as the verdict engine reads it: the one task type (netaudit.models.task).
ExpectedTask = AuditTask


class InterfaceEvidence(_Camel):
    name: str
    addresses: list[str] = Field(default_factory=list)


class ContainerEvidence(_Camel):
    """Compact facts a verdict rests on (no env vars, nothing secret)."""

    netns: str
    host_netns: bool
    docker_network_mode: str | None
    docker_ipv4: dict[str, str] = Field(default_factory=dict)
    interfaces: list[InterfaceEvidence] = Field(default_factory=list)
    route_devices: list[str] = Field(default_factory=list)
    # what lets the container change or leave its netns (privileges, namespaces, mounts)
    escape: list[str] = Field(default_factory=list)


class ContainerVerdict(_Camel):
    """`checked` False: the container was not running (exited init or non-essential container,
    vanished): listed, not judged, and it does not decide the task's verdict."""

    container_id: str
    container_name: str | None
    docker_name: str
    state: str
    pid: int
    verdict: Verdict
    reasons: list[str] = Field(default_factory=list)
    evidence: ContainerEvidence | None = None
    checked: bool = True


class TaskOutcome(_Camel):
    """The one shape of a task's verdict. The engine returns TaskVerdict (its declared mode is
    always known); the report's task records (netaudit.models.evidence.TaskRecord) derive from
    this too, since a task Report makes INCONCLUSIVE itself may not know its mode."""

    task_arn: str
    declared_mode: NetworkMode | None = None
    expected_eni_ipv4: str | None = None
    expected_eni_ipv6: str | None = None
    verdict: Verdict
    reasons: list[str] = Field(default_factory=list)
    # containers of the task that were listed but not judged ("job: exited (0), not checked")
    not_checked: list[str] = Field(default_factory=list)
    containers: list[ContainerVerdict] = Field(default_factory=list)
    # "blocked (how)" | "reachable (how)" | "unknown (why)": can the task reach the EC2 instance
    # metadata service (route lookups from its netns; the host firewall for bridge)?
    imds: str | None = None
    probe_generated_at: str | None = None
    host_netns: str | None = None


class TaskVerdict(TaskOutcome):
    """What the verdict engine returns for one task."""

    declared_mode: NetworkMode
