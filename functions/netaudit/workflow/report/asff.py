"""AWS Security Hub findings (ASFF), whatever the kind: the document of one ECS task finding,
the open findings of one generator, the import in batches, and a cluster audit's scope for the
findings of tasks that are gone. The kinds and the one reconciler: netaudit.workflow.report.findings.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netaudit.workflow.batches import batches
from netaudit.workflow.scope import cluster_arn_of_task, cluster_of_task

if TYPE_CHECKING:
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_securityhub.type_defs import AwsSecurityFindingFiltersTypeDef

IMPORT_BATCH = 100  # BatchImportFindings takes at most 100 findings a call
# AwsSecurityFinding.Description: "Maximum length of 1024" (botocore's securityhub model documents
# it; tests/exports/test_validators.py reads it from there)
DESCRIPTION_MAX = 1024
CUT = " [...]"


@dataclass(frozen=True)
class FindingsResult:
    imported: int
    resolved: int
    failed: int
    archived: int = 0  # open findings of tasks that are no longer running

    def counts(self) -> dict[str, int]:
        """What Report's result says of one kind of finding."""
        names = ("imported", "resolved", "archived", "failed")
        return {name: getattr(self, name) for name in names}


def import_findings(
    securityhub: "SecurityHubClient", findings: Sequence[dict[str, Any]], *, resolved: int, archived: int
) -> FindingsResult:
    """BatchImportFindings, 100 a call; `resolved` and `archived` of `findings` close open ones."""
    failed = 0
    for batch in batches(findings, IMPORT_BATCH):
        # ASFF documents are built as plain dicts (asff_finding), not the stubs' TypedDict
        answer = securityhub.batch_import_findings(Findings=list(batch))  # type: ignore[arg-type]
        failed += int(answer.get("FailedCount", 0))
    return FindingsResult(
        imported=len(findings) - resolved - archived, resolved=resolved, failed=failed, archived=archived
    )


@dataclass(frozen=True)
class AuditScope:
    """What a cluster audit covered: the RUNNING tasks of `clusters` (None: every cluster of the
    account and region) with these declared modes. An open finding inside that scope whose task
    the audit no longer saw is archived: the violating task is gone (it is not marked PASSED:
    nobody saw it isolated)."""

    clusters: frozenset[str] | None
    network_modes: frozenset[str]
    seen: frozenset[str]

    def covers_gone(self, task_arn: str, declared_mode: str | None) -> bool:
        cluster = cluster_of_task(task_arn)
        return (
            cluster is not None
            and (self.clusters is None or cluster in self.clusters)
            and declared_mode in self.network_modes
            and task_arn not in self.seen
        )


def described(text: str, evidence_uri: str) -> str:
    """A Description within DESCRIPTION_MAX that always ends with the evidence URI: the text is
    cut (marked " [...]"), never the URI (it is also in ProductFields)."""
    tail = f" Evidence: {evidence_uri}"
    if len(text) + len(tail) <= DESCRIPTION_MAX:
        return text + tail
    room = DESCRIPTION_MAX - len(tail) - len(CUT)
    if room <= 0:  # an S3 key of nearly 1,024 characters: the URI alone, as much as fits
        return tail.strip()[:DESCRIPTION_MAX]
    return text[:room] + CUT + tail


def _arn_parts(task_arn: str) -> tuple[str, str, str]:
    """(partition, region, account) of an ECS task ARN."""
    parts = task_arn.split(":")
    return parts[1], parts[3], parts[4]


def _product_arn(partition: str, region: str, account: str) -> str:
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


@dataclass(frozen=True)
class FindingSpec:
    """What a kind of finding says of one task (netaudit.workflow.report.findings)."""

    finding_id: str
    generator_id: str
    finding_type: str
    severity: str
    title: str
    description: str
    compliance: dict[str, Any]
    archived: bool
    product_fields: dict[str, str]


def asff_finding(task_arn: str, spec: FindingSpec, *, now: str, created_at: str | None) -> dict[str, Any]:
    """The ASFF document of one ECS task finding (every kind of finding this project imports)."""
    partition, region, account = _arn_parts(task_arn)
    return {
        "SchemaVersion": "2018-10-08",
        "Id": spec.finding_id,
        "ProductArn": _product_arn(partition, region, account),
        "GeneratorId": spec.generator_id,
        "AwsAccountId": account,
        "Types": [spec.finding_type],
        "CreatedAt": created_at or now,
        "UpdatedAt": now,
        "Severity": {"Label": spec.severity},
        "Title": spec.title[:256],
        "Description": spec.description[:DESCRIPTION_MAX],
        "Resources": [_task_resource(task_arn, partition, region)],
        "Compliance": spec.compliance,
        "RecordState": "ARCHIVED" if spec.archived else "ACTIVE",
        "ProductFields": spec.product_fields,
    }


def _task_resource(task_arn: str, partition: str, region: str) -> dict[str, Any]:
    """The finding's resource: the task, with its cluster in the ASFF AwsEcsTask details
    (AwsEcsTaskDetails.ClusterArn, ASFF syntax reference) when the task ARN names it."""
    resource: dict[str, Any] = {
        "Type": "AwsEcsTask",
        "Id": task_arn,
        "Partition": partition,
        "Region": region,
    }
    cluster_arn = cluster_arn_of_task(task_arn)
    if cluster_arn:
        resource["Details"] = {"AwsEcsTask": {"ClusterArn": cluster_arn}}
    return resource


def active_violations(securityhub: "SecurityHubClient", generator_id: str) -> dict[str, dict[str, Any]]:
    """This project's findings (of one generator) that are still ACTIVE and FAILED, by Id."""
    filters: AwsSecurityFindingFiltersTypeDef = {
        "GeneratorId": [{"Value": generator_id, "Comparison": "EQUALS"}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
        "ComplianceStatus": [{"Value": "FAILED", "Comparison": "EQUALS"}],
    }
    found: dict[str, dict[str, Any]] = {}
    for page in securityhub.get_paginator("get_findings").paginate(Filters=filters):
        for finding in page["Findings"]:
            # Filter again here: the filters above are the service's job, the verdict is ours.
            if (
                finding.get("GeneratorId") == generator_id
                and finding.get("RecordState") == "ACTIVE"
                and finding.get("Compliance", {}).get("Status") == "FAILED"
            ):
                found[finding["Id"]] = dict(finding)
    return found


def gone_task(finding: dict[str, Any]) -> tuple[str, str] | None:
    """(task ARN, declared mode) an open finding names, or None when it names no task."""
    resources = finding.get("Resources") or [{}]
    task_arn = str(resources[0].get("Id") or "")
    mode = (finding.get("ProductFields") or {}).get("ecs-netaudit/declaredNetworkMode")
    return (task_arn, str(mode)) if task_arn.count(":") >= 5 and mode else None
