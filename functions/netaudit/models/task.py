"""The task an audit verifies: the one type from the inventory to the verdict.

ResolveHosts builds it from DescribeTasks/DescribeTaskDefinition (netaudit.workflow.hosts), the
host list in S3 carries it (`HostTarget.tasks`, camelCase JSON), EvaluateHost hands it to the
verdict engine as is. A pydantic dataclass: validated, frozen, camelCase on the wire, and built
positionally too (`AuditTask(arn, "awsvpc", "10.0.1.5", "2001:db8::5")`).
"""

from typing import Any, Literal

from pydantic import ConfigDict, TypeAdapter
from pydantic.alias_generators import to_camel
from pydantic.dataclasses import dataclass

NetworkMode = Literal["none", "bridge", "host", "awsvpc"]
NETWORK_MODES: tuple[NetworkMode, ...] = ("none", "bridge", "host", "awsvpc")


@dataclass(frozen=True, config=ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore"))
class AuditTask:
    """A task's ARN, its declared network mode and, for awsvpc, the ENI's private IPv4 and IPv6
    (DescribeTasks; an IPv6-only ENI has no IPv4)."""

    task_arn: str
    declared_mode: NetworkMode
    eni_ipv4: str | None = None
    eni_ipv6: str | None = None

    @classmethod
    def model_validate(cls, data: Any) -> "AuditTask":
        """From its camelCase JSON object (or field names), like a pydantic model."""
        return _ADAPTER.validate_python(data)


_ADAPTER: TypeAdapter[AuditTask] = TypeAdapter(AuditTask)
