"""Security Hub findings (ASFF) for IMDS exposure: one per bridge/awsvpc task whose `imds` is
reachable, distinct from the isolation finding (netaudit.workflow.securityhub) by GeneratorId,
Id and type.

Resolved (PASSED, ARCHIVED) only when a later audit sees the task's IMDS `blocked`; `unknown`
never resolves it ("could not check" is not "passed"). A cluster audit archives the open finding
of a task it no longer sees running, like the isolation findings.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netaudit.workflow.imds_exposure import imds_state, is_exposed
from netaudit.workflow.securityhub import (
    AuditScope,
    FindingsResult,
    active_violations,
    asff_finding,
    described,
    import_findings,
)

if TYPE_CHECKING:
    from mypy_boto3_securityhub import SecurityHubClient


GENERATOR_ID = "ecs-netaudit/imds-exposure"
# A custom classifier under a defined namespace/category is valid ASFF ("A finding provider may
# define a partial path ... you can specify a custom classifier"):
# https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings-format-type-taxonomy.html
FINDING_TYPE = "Software and Configuration Checks/AWS Security Best Practices/Instance Metadata Exposure"
REMEDIATION = (
    "Block IMDS for tasks: ECS_AWSVPC_BLOCK_IMDS=true on the container instance (awsvpc), a "
    "DOCKER-USER rule dropping 169.254.169.254 from docker+ interfaces (bridge)."
)


@dataclass(frozen=True)
class ExposureTask:
    task_arn: str
    declared_mode: str
    imds: str


def finding_id(task_arn: str) -> str:
    return f"{GENERATOR_ID}/{task_arn}"


def build_finding(
    task: ExposureTask, *, now: str, evidence_uri: str, state: str = "exposed", created_at: str | None = None
) -> dict[str, Any]:
    """`state`: "exposed" (FAILED/ACTIVE), "blocked" (PASSED/ARCHIVED: resolved) or "gone"
    (FAILED/ARCHIVED: the task no longer runs)."""
    if state == "blocked":
        title = f"ECS task can no longer reach the instance metadata service ({task.declared_mode})"
        description = described(f"A later audit found IMDS {task.imds}.", evidence_uri)
    elif state == "gone":
        title = f"ECS task no longer running ({task.declared_mode})"
        description = described("A later cluster audit no longer found the task RUNNING.", evidence_uri)
    else:
        title = f"ECS task can reach the EC2 instance metadata service ({task.declared_mode})"
        description = described(f"IMDS {task.imds}. {REMEDIATION}", evidence_uri)
    closed = state in ("blocked", "gone")
    return asff_finding(
        task.task_arn,
        finding_id=finding_id(task.task_arn),
        generator_id=GENERATOR_ID,
        finding_type=FINDING_TYPE,
        severity="INFORMATIONAL" if closed else "MEDIUM",
        title=title,
        description=description,
        compliance={"Status": "PASSED" if state == "blocked" else "FAILED"},
        archived=closed,
        product_fields={
            "ecs-netaudit/evidence": evidence_uri,
            "ecs-netaudit/declaredNetworkMode": task.declared_mode,
            "ecs-netaudit/imds": task.imds[:1024],
        },
        now=now,
        created_at=created_at,
    )


def publish_exposure_findings(
    securityhub: "SecurityHubClient",
    tasks: Iterable[Mapping[str, Any]],
    *,
    now: str,
    evidence_uri: str,
    scope: AuditScope | None = None,
) -> FindingsResult:
    """Import one finding per exposed task; resolve open ones whose task's IMDS is now blocked;
    with a cluster audit's scope, archive open ones of tasks it no longer saw running."""
    open_findings = active_violations(securityhub, GENERATOR_ID)
    findings: list[dict[str, Any]] = []
    resolved = 0
    for t in tasks:
        if not t.get("taskArn") or not t.get("declaredMode"):
            continue
        task = ExposureTask(str(t["taskArn"]), str(t["declaredMode"]), str(t.get("imds") or "unknown"))
        existing = open_findings.pop(finding_id(task.task_arn), None)
        created = existing.get("CreatedAt") if existing else None
        if is_exposed(t):
            findings.append(build_finding(task, now=now, evidence_uri=evidence_uri, created_at=created))
        elif existing is not None and imds_state(t) == "blocked":
            findings.append(
                build_finding(task, now=now, evidence_uri=evidence_uri, state="blocked", created_at=created)
            )
            resolved += 1
    archived = 0
    for finding in open_findings.values() if scope else ():
        resource = (finding.get("Resources") or [{}])[0]
        arn = str(resource.get("Id") or "")
        mode = (finding.get("ProductFields") or {}).get("ecs-netaudit/declaredNetworkMode")
        if scope and arn.count(":") >= 5 and mode and scope.covers_gone(arn, str(mode)):
            gone = ExposureTask(arn, str(mode), "unknown (task no longer running)")
            findings.append(
                build_finding(
                    gone,
                    now=now,
                    evidence_uri=evidence_uri,
                    state="gone",
                    created_at=finding.get("CreatedAt"),
                )
            )
            archived += 1
    return import_findings(securityhub, findings, resolved=resolved, archived=archived)
