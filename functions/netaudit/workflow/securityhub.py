"""AWS Security Hub findings (ASFF) for audited tasks: one per violating task, resolved later.

A finding's Id is stable per task ARN, so a re-import updates it. When a later audit finds the
task ISOLATED, the finding is re-imported with Compliance PASSED and RecordState ARCHIVED, which
makes Security Hub set its workflow status to RESOLVED. INCONCLUSIVE never resolves a finding:
"could not check" is not "passed".
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from netaudit.exports.compliance import requirement_labels
from netaudit.workflow.batches import batches
from netaudit.workflow.scope import cluster_arn_of_task, cluster_of_task

if TYPE_CHECKING:
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_securityhub.type_defs import AwsSecurityFindingFiltersTypeDef

GENERATOR_ID = "ecs-netaudit/network-isolation"
FINDING_TYPE = "Software and Configuration Checks/AWS Security Best Practices/Network Isolation"
IMPORT_BATCH = 100  # BatchImportFindings takes at most 100 findings a call
# AwsSecurityFinding.Description: "Maximum length of 1024" (botocore's securityhub model documents
# it; tests/exports/test_validators.py reads it from there)
DESCRIPTION_MAX = 1024
CUT = " [...]"


class AuditedTask(Protocol):
    """What this module reads of a task verdict (netaudit.models.verdict.TaskVerdict fits)."""

    @property
    def task_arn(self) -> str: ...
    @property
    def declared_mode(self) -> str: ...
    @property
    def verdict(self) -> str: ...
    @property
    def reasons(self) -> Sequence[str]: ...


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


@dataclass(frozen=True)
class _GoneTask:
    task_arn: str
    declared_mode: str
    verdict: str = "GONE"
    reasons: Sequence[str] = ()


def finding_id(task_arn: str) -> str:
    return f"{GENERATOR_ID}/{task_arn}"


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


def build_finding(
    task: AuditedTask,
    *,
    now: str,
    evidence_uri: str,
    resolved: bool = False,
    gone: bool = False,
    created_at: str | None = None,
) -> dict[str, Any]:
    """The ASFF document for one task: FAILED/ACTIVE on violation, PASSED/ARCHIVED when resolved,
    FAILED/ARCHIVED when the task is gone."""
    if resolved:
        title = f"ECS task network isolation restored ({task.declared_mode})"
        description = described("A later audit found the task ISOLATED as declared.", evidence_uri)
    elif gone:
        title = f"ECS task no longer running ({task.declared_mode})"
        description = described("A later cluster audit no longer found the task RUNNING.", evidence_uri)
    else:
        title = f"ECS task violates its declared network mode ({task.declared_mode})"
        reasons = "; ".join(task.reasons) or "violation without a recorded reason"
        description = described(reasons, evidence_uri)
    return asff_finding(
        task.task_arn,
        finding_id=finding_id(task.task_arn),
        generator_id=GENERATOR_ID,
        finding_type=FINDING_TYPE,
        severity="INFORMATIONAL" if resolved or gone else "HIGH",
        title=title,
        description=description,
        compliance={
            "Status": "PASSED" if resolved else "FAILED",
            "RelatedRequirements": requirement_labels(),  # netaudit.exports.compliance
        },
        archived=resolved or gone,
        product_fields={
            "ecs-netaudit/evidence": evidence_uri,
            "ecs-netaudit/declaredNetworkMode": task.declared_mode,
            **({"ecs-netaudit/cluster": c} if (c := cluster_of_task(task.task_arn)) else {}),
        },
        now=now,
        created_at=created_at,
    )


def asff_finding(
    task_arn: str,
    *,
    finding_id: str,
    generator_id: str,
    finding_type: str,
    severity: str,
    title: str,
    description: str,
    compliance: dict[str, Any],
    archived: bool,
    product_fields: dict[str, str],
    now: str,
    created_at: str | None,
) -> dict[str, Any]:
    """The ASFF document of one ECS task finding (every kind of finding this project imports)."""
    partition, region, account = _arn_parts(task_arn)
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": _product_arn(partition, region, account),
        "GeneratorId": generator_id,
        "AwsAccountId": account,
        "Types": [finding_type],
        "CreatedAt": created_at or now,
        "UpdatedAt": now,
        "Severity": {"Label": severity},
        "Title": title[:256],
        "Description": description[:DESCRIPTION_MAX],
        "Resources": [_task_resource(task_arn, partition, region)],
        "Compliance": compliance,
        "RecordState": "ARCHIVED" if archived else "ACTIVE",
        "ProductFields": product_fields,
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


def active_violations(
    securityhub: "SecurityHubClient", generator_id: str = GENERATOR_ID
) -> dict[str, dict[str, Any]]:
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


def _gone_task(finding: dict[str, Any]) -> _GoneTask | None:
    resources = finding.get("Resources") or [{}]
    task_arn = str(resources[0].get("Id") or "")
    mode = (finding.get("ProductFields") or {}).get("ecs-netaudit/declaredNetworkMode")
    return _GoneTask(task_arn, str(mode)) if task_arn.count(":") >= 5 and mode else None


def publish_findings(
    securityhub: "SecurityHubClient",
    tasks: Iterable[AuditedTask],
    *,
    now: str,
    evidence_uri: str,
    scope: AuditScope | None = None,
) -> FindingsResult:
    """Import one finding per VIOLATION; resolve open findings of tasks now ISOLATED; with a
    cluster audit's scope, archive open findings of tasks it no longer saw running."""
    tasks = list(tasks)
    open_findings = active_violations(securityhub)
    findings: list[dict[str, Any]] = []
    resolved = 0
    for task in tasks:
        fid = finding_id(task.task_arn)
        existing = open_findings.pop(fid, None)  # what is left afterwards was not seen at all
        created = existing.get("CreatedAt") if existing else None
        if task.verdict == "VIOLATION":
            findings.append(build_finding(task, now=now, evidence_uri=evidence_uri, created_at=created))
        elif task.verdict == "ISOLATED" and existing is not None:
            findings.append(
                build_finding(task, now=now, evidence_uri=evidence_uri, resolved=True, created_at=created)
            )
            resolved += 1
    archived = 0
    for finding in open_findings.values() if scope else ():
        gone = _gone_task(finding)
        if gone and scope and scope.covers_gone(gone.task_arn, gone.declared_mode):
            findings.append(
                build_finding(
                    gone, now=now, evidence_uri=evidence_uri, gone=True, created_at=finding.get("CreatedAt")
                )
            )
            archived += 1
    return import_findings(securityhub, findings, resolved=resolved, archived=archived)
