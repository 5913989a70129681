"""The clusters one stack may audit: the template's `ClusterName` (a list of names, or `*`).

The deployment hands its scope to the functions as one string: the parameter's names joined with
commas (DefinitionSubstitutions `ClusterName`, the CLUSTER_NAME environment variable), `*` meaning
every cluster of the account and region. An input may narrow the scope, never widen it: IAM
denies another cluster on AWS (the roles are scoped to the same list by `ecs:cluster` and the
instances' `ecs-netaudit:cluster` tag), and `Scope.allows` refuses it by name as well, so a
deployment whose roles were widened by hand still audits only its own clusters.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from netaudit.errors import InvalidInput
from netaudit.models.inputs import AuditInput, CanaryTarget, TasksTarget, shown
from netaudit.workflow.batches import batches

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

EVERY = "*"
NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
LIST_PAGE = 100  # ListClusters returns at most 100 a page; DescribeClusters takes at most 100


class ScopeError(ValueError):
    """The deployment's scope string is not a list of cluster names or `*`."""


def cluster_name(cluster: str) -> str:
    """`arn:aws:ecs:r:a:cluster/name` or `name` -> `name`."""
    return cluster.rsplit(":cluster/", 1)[-1]


def cluster_of_task(task_arn: str) -> str | None:
    """The cluster a long-format task ARN names (`task/<cluster>/<id>`); None for the old short
    format (`task/<id>`), which does not say."""
    parts = task_arn.split(":task/", 1)[-1].split("/")
    return parts[0] if len(parts) == 2 else None


def cluster_arn_of_task(task_arn: str) -> str | None:
    """`arn:<p>:ecs:<r>:<a>:cluster/<name>` of a long-format task ARN (None for the short one)."""
    name = cluster_of_task(task_arn)
    if name is None or ":task/" not in task_arn:
        return None
    return f"{task_arn.split(':task/', 1)[0]}:cluster/{name}"


@dataclass(frozen=True)
class Scope:
    """`names` in the parameter's order; empty when the scope is every cluster (`*`)."""

    names: tuple[str, ...]

    @property
    def every(self) -> bool:
        return not self.names

    @classmethod
    def parse(cls, text: str) -> "Scope":
        items = [part.strip() for part in str(text or "").split(",")]
        if items == [""]:
            raise ScopeError("the deployment names no cluster (ClusterName is empty)")
        if EVERY in items:
            if any(item != EVERY for item in items):
                raise ScopeError("ClusterName: * (every cluster) cannot be combined with names")
            return cls(())
        bad = [item for item in items if not NAME_RE.match(item)]
        if bad:
            raise ScopeError(f"ClusterName: not a cluster name: {bad[0][:80]!r}")
        return cls(tuple(dict.fromkeys(items)))

    def allows(self, name: str) -> bool:
        return self.every or cluster_name(name) in self.names

    def describe(self) -> str:
        """For error messages: `cluster 'a'`, `clusters 'a', 'b'`, or every cluster."""
        if self.every:
            return "every cluster of its account and region (*)"
        quoted = ", ".join(repr(n) for n in self.names)
        return f"cluster {quoted}" if len(self.names) == 1 else f"clusters {quoted}"


def list_cluster_names(ecs: "ECSClient", calls: dict[str, int] | None = None) -> list[str]:
    """Every cluster of the account and region (ListClusters, paginated), by name."""
    names: list[str] = []
    for page in ecs.get_paginator("list_clusters").paginate(PaginationConfig={"PageSize": LIST_PAGE}):
        if calls is not None:
            calls["ecs:ListClusters"] = calls.get("ecs:ListClusters", 0) + 1
        names.extend(cluster_name(arn) for arn in page.get("clusterArns", []))
    return sorted(dict.fromkeys(names))


def describe_clusters(ecs: "ECSClient", names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """DescribeClusters of `names` (100 a call), by cluster name; absent: not found."""
    found: dict[str, dict[str, Any]] = {}
    for batch in batches(list(names), LIST_PAGE):
        for cluster in ecs.describe_clusters(clusters=list(batch)).get("clusters", []):
            name = cluster.get("clusterName") or cluster_name(str(cluster.get("clusterArn")))
            found[str(name)] = dict(cluster)
    return found


def group_by_cluster(task_arns: Iterable[str], default: str) -> dict[str, list[str]]:
    """Task ARNs by the cluster they name (the short format: `default`), in the given order."""
    out: dict[str, list[str]] = {}
    for arn in task_arns:
        out.setdefault(cluster_of_task(arn) or default, []).append(arn)
    return out


# --- what an execution input may choose (Prepare) ------------------------------------------------


@dataclass(frozen=True)
class Chosen:
    """The clusters of one audit: `cluster` when exactly one, else "" (see models.inputs.Audit)."""

    clusters: tuple[str, ...]
    all_clusters: bool = False

    @property
    def cluster(self) -> str:
        return self.clusters[0] if len(self.clusters) == 1 and not self.all_clusters else ""


def out_of_scope(field: str, scope: Scope, given: str) -> InvalidInput:
    return InvalidInput(
        f"invalid input: {field}: this deployment may only audit {scope.describe()}, not {shown(given)}"
    )


Given = list[tuple[str, str]]  # (the input field, the cluster it names)
IN_SCOPE = "clusters (the deployment's ClusterName)"  # the field when the input named none


def _given(parsed: AuditInput) -> Given | None:
    """(field, cluster) pairs the input names; None = the deployment's whole scope."""
    if parsed.cluster is not None and parsed.clusters is not None:
        raise InvalidInput("invalid input: clusters: give cluster or clusters, not both")
    if parsed.cluster is not None:
        return [("cluster", parsed.cluster)]
    if parsed.clusters is not None and parsed.clusters != [EVERY]:
        return [(f"clusters[{i}]", c) for i, c in enumerate(parsed.clusters)]
    return None


def _canary_cluster(parsed: AuditInput, scope: Scope, given: Given | None) -> Given:
    if given is not None and len(given) > 1:
        raise InvalidInput(
            f"invalid input: clusters: a canary runs in one cluster, not {len(given)}: give cluster"
        )
    if given is not None:
        return given
    if parsed.clusters == [EVERY] or scope.every:
        raise InvalidInput(
            f"invalid input: cluster: a canary runs in one cluster: name it (this deployment audits "
            f"{scope.describe()})"
        )
    return [("cluster", scope.names[0])]  # the first of the deployment's clusters


def _task_clusters(target: TasksTarget, scope: Scope, given: Given | None) -> Given:
    """A tasks audit covers the clusters its (long-format) task ARNs name, each in scope and, when
    the input names clusters, among them; an old-format ARN needs exactly one cluster."""
    allowed = {cluster_name(c) for _, c in given} if given is not None else None
    single = given[0] if given is not None and len(given) == 1 else None
    if single is None and given is None and len(scope.names) == 1:
        single = ("cluster", scope.names[0])
    out: dict[str, tuple[str, str]] = {}
    for i, arn in enumerate(target.task_arns):
        name = cluster_of_task(arn)
        field = f"target.taskArns[{i}]"
        if name is None:
            if single is None:
                raise InvalidInput(
                    f"invalid input: {field}: an old-format task ARN does not name its cluster: "
                    "give cluster (one) for it"
                )
            out.setdefault(cluster_name(single[1]), single)
            continue
        if not scope.allows(name) or (allowed is not None and name not in allowed):
            audited = scope.describe() if allowed is None else _described(sorted(allowed))
            raise InvalidInput(
                f"invalid input: {field}: a task of cluster {name!r}; this audit covers only {audited}"
            )
        out.setdefault(name, next((g for g in given or [] if cluster_name(g[1]) == name), (field, name)))
    return list(out.values())


def _described(names: Sequence[str]) -> str:
    return Scope(tuple(names)).describe() if names else "no cluster"


def choose(parsed: AuditInput, scope: Scope, ecs: "ECSClient") -> Chosen:
    """The clusters the input asks for, each in the deployment's scope and ACTIVE (one
    DescribeClusters for up to 100; none for the whole scope `*`, which ResolveHosts lists)."""
    target = parsed.target
    given = _given(parsed)
    if isinstance(target, CanaryTarget):
        given = _canary_cluster(parsed, scope, given)
    for field, cluster in given or []:
        if not scope.allows(cluster):
            raise out_of_scope(field, scope, cluster)
    if isinstance(target, TasksTarget):
        given = _task_clusters(target, scope, given)
    if given is None:
        if scope.every:
            return Chosen((), all_clusters=True)
        # A listed cluster that is gone fails the audit rather than leaving it out unnoticed.
        given = [(IN_SCOPE, name) for name in scope.names]
    try:
        found = describe_clusters(ecs, [c for _, c in given])
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code == "AccessDeniedException":  # every role of the stack is scoped to ClusterName
            raise out_of_scope(given[0][0], scope, given[0][1]) from None
        if code not in ("ClusterNotFoundException", "InvalidParameterException"):
            raise
        found = {}
    names: list[str] = []
    for field, cluster in given:
        name = cluster_name(cluster)
        if (found.get(name) or {}).get("status") != "ACTIVE":
            raise InvalidInput(f"invalid input: {field}: no ACTIVE ECS cluster named {shown(name)}")
        names.append(name)
    return Chosen(tuple(dict.fromkeys(names)))
