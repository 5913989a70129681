"""The probe document (schemaVersion 2): what the SSM probe script prints, one JSON line.

Version 2 adds per container `escape` (what lets it leave its namespace) and per namespace
`lookups` (`ip -j route get` of the sentinels). Version 1 documents still parse: without them
escape routes and IMDS are reported unknown, never as passed.

Field names follow docs/CONTRACTS.md. The raw document is camelCase (docker's network fields are
PascalCase, `ip -j` fields are snake/lower case); these models read it and dump it back with
`model_dump(mode="json", by_alias=True)`. Unknown fields are ignored, so the script may add some,
and the models declare only what the verdict engine reads (the probe's whole output stays in the
evidence bucket, where SSM writes it: OutputS3BucketName).
"""

from typing import Any, Literal, NotRequired, TypedDict

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

SCHEMA_VERSION = 2
SCHEMA_VERSIONS = frozenset({1, 2})  # what the parser reads
PROBE_NAME = "ecs-netaudit"


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class ProbeError(_Camel):
    """Something the probe could not read. `container` / `netns` say what it concerns;
    `task_arn` the task of a container that vanished before it was inspected."""

    message: str
    code: str | None = None  # a reason code of netaudit.platforms (BOTTLEROCKET_ADMIN_OFF)
    container: str | None = None
    netns: str | None = None
    task_arn: str | None = None


# The `ip -j` records are TypedDicts: pydantic validates them as strictly as models (every
# declared type checked), and a namespace holds dozens of them (the routes of every table): with
# dicts instead of model instances the recorded fixtures validate in 0.44 ms instead of 0.62 ms.
# Only the fields the rules read are declared; the rest of what `ip -j` prints is ignored here
# and kept in the raw output. Read them with .get: a key `ip` did not print is absent.


class AddrInfo(TypedDict):
    """One entry of `ip -j addr show` addr_info."""

    family: NotRequired[str]
    local: NotRequired[str | None]
    prefixlen: NotRequired[int | None]


class Interface(TypedDict):
    """One interface of `ip -j addr show`."""

    ifname: str
    addr_info: NotRequired[list[AddrInfo]]


class Nexthop(TypedDict):
    dev: NotRequired[str | None]


class Route(TypedDict):
    """One route of `ip -j route show table all`."""

    dst: NotRequired[str]
    dev: NotRequired[str | None]
    type: NotRequired[str | None]
    table: NotRequired[str | None]
    nexthops: NotRequired[list[Nexthop]]


class Lookup(TypedDict):
    """One answer of `ip -j route get <destination>` (a FIB lookup: nothing is sent)."""

    dev: NotRequired[str | None]
    gateway: NotRequired[str | None]


class NamespaceDump(_Camel):
    """`ip -j addr show` and `ip -j route show table all` of one network namespace, and (v2) the
    route lookups per sentinel destination: the answer, or None when there is no route."""

    addr: list[Interface]
    route: list[Route]
    lookups: dict[str, list[Lookup] | None] | None = None


class Escape(_Camel):
    """What lets a container change or leave its network namespace (docker HostConfig/Mounts)."""

    privileged: bool = False
    pid_mode: str = ""
    ipc_mode: str = ""
    cap_add: list[str] | None = None
    devices: int = 0
    bind_mounts: list[str] = Field(default_factory=list)


class DockerNetwork(BaseModel):
    """docker NetworkSettings.Networks[<name>], IP fields only (PascalCase as docker prints)."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    ip_address: str = Field("", alias="IPAddress")
    global_ipv6_address: str = Field("", alias="GlobalIPv6Address")


class ProbeContainer(_Camel):
    """One ECS container as the probe saw it. `netns` is "" when not running or unreadable."""

    id: str
    name: str = ""
    image: str | None = None
    task_arn: str | None = None
    container_name: str | None = None
    state: str = ""
    pid: int = 0
    network_mode: str | None = None
    networks: dict[str, DockerNetwork] | None = None
    netns: str = ""
    escape: Escape | None = None


class HostFirewall(_Camel):
    """What the host's iptables filter table says about IMDS (v2; None when not readable)."""

    read: bool = False
    imds_drop_rules: int = 0


class ProbeDocument(_Camel):
    """The whole probe output."""

    schema_version: Literal[1, 2]
    probe: Literal["ecs-netaudit"] = "ecs-netaudit"
    generated_at: str | None = None
    # how the host was read: `direct` (docker, nsenter, ip on the host) or `bottlerocket-admin`
    # (every read through `apiclient exec admin sheltie`); None in documents from before the field
    host_access: Literal["direct", "bottlerocket-admin"] | None = None
    host_netns: str = ""
    task_arn_filter: str = ""
    containers: list[ProbeContainer] = Field(default_factory=list)
    namespaces: dict[str, NamespaceDump] = Field(default_factory=dict)
    host_firewall: HostFirewall | None = None
    errors: list[ProbeError] = Field(default_factory=list)

    @field_validator("errors", mode="before")
    @classmethod
    def _plain_strings_are_messages(cls, value: Any) -> Any:
        """Accept `"errors": ["text", ...]` too (hand-written documents)."""
        if isinstance(value, list):
            return [{"message": e} if isinstance(e, str) else e for e in value]
        return value
