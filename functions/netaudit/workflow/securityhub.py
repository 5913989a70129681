"""AWS Security Hub findings (ASFF) for audited tasks: one per violating task, resolved later.

A finding's Id is stable per task ARN, so a re-import updates it. When a later audit finds the
task ISOLATED, the finding is re-imported with Compliance PASSED and RecordState ARCHIVED, which
makes Security Hub set its workflow status to RESOLVED. INCONCLUSIVE never resolves a finding:
"could not check" is not "passed".
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

GENERATOR_ID = "ecs-netaudit/network-isolation"
FINDING_TYPE = "Software and Configuration Checks/AWS Security Best Practices/Network Isolation"
IMPORT_BATCH = 100  # BatchImportFindings takes at most 100 findings a call
DESCRIPTION_MAX = 1024


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


def finding_id(task_arn: str) -> str:
    return f"{GENERATOR_ID}/{task_arn}"


def _arn_parts(task_arn: str) -> tuple[str, str, str]:
    """(partition, region, account) of an ECS task ARN."""
    parts = task_arn.split(":")
    return parts[1], parts[3], parts[4]


def _product_arn(partition: str, region: str, account: str) -> str:
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


def build_finding(
    task: AuditedTask, *, now: str, evidence_uri: str, resolved: bool = False
) -> dict[str, Any]:
    """The ASFF document for one task: FAILED/ACTIVE on violation, PASSED/ARCHIVED when resolved."""
    partition, region, account = _arn_parts(task.task_arn)
    if resolved:
        title = f"ECS task network isolation restored ({task.declared_mode})"
        description = f"A later audit found the task ISOLATED as declared. Evidence: {evidence_uri}"
    else:
        title = f"ECS task violates its declared network mode ({task.declared_mode})"
        description = "; ".join(task.reasons) or "violation without a recorded reason"
        description = f"{description} Evidence: {evidence_uri}"
    return {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id(task.task_arn),
        "ProductArn": _product_arn(partition, region, account),
        "GeneratorId": GENERATOR_ID,
        "AwsAccountId": account,
        "Types": [FINDING_TYPE],
        "CreatedAt": now,
        "UpdatedAt": now,
        "Severity": {"Label": "INFORMATIONAL" if resolved else "HIGH"},
        "Title": title[:256],
        "Description": description[:DESCRIPTION_MAX],
        "Resources": [
            {
                "Type": "AwsEcsTask",
                "Id": task.task_arn,
                "Partition": partition,
                "Region": region,
            }
        ],
        "Compliance": {"Status": "PASSED" if resolved else "FAILED"},
        "RecordState": "ARCHIVED" if resolved else "ACTIVE",
        "ProductFields": {
            "ecs-netaudit/evidence": evidence_uri,
            "ecs-netaudit/declaredNetworkMode": task.declared_mode,
        },
    }


def _batches(items: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def active_violation_ids(securityhub: Any) -> set[str]:
    """Ids of this project's findings that are still ACTIVE and FAILED."""
    filters = {
        "GeneratorId": [{"Value": GENERATOR_ID, "Comparison": "EQUALS"}],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
        "ComplianceStatus": [{"Value": "FAILED", "Comparison": "EQUALS"}],
    }
    ids: set[str] = set()
    for page in securityhub.get_paginator("get_findings").paginate(Filters=filters):
        for finding in page["Findings"]:
            # Filter again here: the filters above are the service's job, the verdict is ours.
            if (
                finding.get("GeneratorId") == GENERATOR_ID
                and finding.get("RecordState") == "ACTIVE"
                and finding.get("Compliance", {}).get("Status") == "FAILED"
            ):
                ids.add(finding["Id"])
    return ids


def publish_findings(
    securityhub: Any, tasks: Iterable[AuditedTask], *, now: str, evidence_uri: str
) -> FindingsResult:
    """Import one finding per VIOLATION; resolve open findings of tasks now ISOLATED."""
    tasks = list(tasks)
    open_ids = active_violation_ids(securityhub)
    findings: list[dict[str, Any]] = []
    resolved = 0
    for task in tasks:
        if task.verdict == "VIOLATION":
            findings.append(build_finding(task, now=now, evidence_uri=evidence_uri))
        elif task.verdict == "ISOLATED" and finding_id(task.task_arn) in open_ids:
            findings.append(build_finding(task, now=now, evidence_uri=evidence_uri, resolved=True))
            resolved += 1
    failed = 0
    for batch in _batches(findings, IMPORT_BATCH):
        answer = securityhub.batch_import_findings(Findings=list(batch))
        failed += int(answer.get("FailedCount", 0))
    return FindingsResult(imported=len(findings) - resolved, resolved=resolved, failed=failed)
