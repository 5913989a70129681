"""Security Hub findings of an audit: two kinds, one reconciler.

- ISOLATION: one finding per violating task (HIGH); resolved (Compliance PASSED, RecordState
  ARCHIVED, which makes Security Hub set its workflow status RESOLVED) when a later audit finds
  the task ISOLATED.
- IMDS_EXPOSURE (issue 12): one finding per bridge/awsvpc task whose `imds` is reachable
  (MEDIUM); resolved when a later audit sees its IMDS `blocked`.
Each kind has its own GeneratorId, Id and type. A finding's Id is stable per task ARN, so a
re-import updates it. "Could not check" never resolves a finding (INCONCLUSIVE, IMDS unknown).
With a cluster audit's scope, an open finding of a task the audit no longer saw running is
archived as gone (FAILED/ARCHIVED: nobody saw it fixed).

Findings are an extra: a failure is recorded in the report (`securityHub`,
`securityHubImdsExposure`), the evidence and the alert still go out.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from netaudit.exports.compliance import requirement_labels
from netaudit.models.evidence import FindingsCounts, ReportOutput, TaskRecord
from netaudit.models.inputs import ClusterTarget
from netaudit.models.state import ExecutionState
from netaudit.models.verdict import NETWORK_MODES
from netaudit.workflow.accounts import in_account
from netaudit.workflow.cluster_counts import audit_clusters
from netaudit.workflow.imds_exposure import imds_state, is_exposed
from netaudit.workflow.report.asff import (
    AuditScope,
    FindingSpec,
    FindingsResult,
    active_violations,
    asff_finding,
    described,
    gone_task,
    import_findings,
)
from netaudit.workflow.report.collect import Collected
from netaudit.workflow.scope import cluster_name, cluster_of_task

if TYPE_CHECKING:
    from mypy_boto3_securityhub import SecurityHubClient

# open: the task fails the check (ACTIVE); resolved: a later audit saw it pass (ARCHIVED, PASSED);
# gone: a cluster audit no longer saw the task running (ARCHIVED, FAILED)
Outcome = Literal["open", "resolved", "gone"]
GONE_TEXT = "A later cluster audit no longer found the task RUNNING."


@dataclass(frozen=True)
class Stamp:
    """When the findings are written and the evidence they point at."""

    now: str
    evidence_uri: str


@dataclass(frozen=True)
class FindingKind:
    report_field: str  # where the report holds its counts (ReportOutput)
    generator_id: str
    finding_type: str
    severity: str  # of an open finding (a closed one is INFORMATIONAL)

    def finding_id(self, task_arn: str) -> str:
        return f"{self.generator_id}/{task_arn}"

    def outcome(self, task: TaskRecord) -> Outcome | None:
        """What an audited task does to its finding: open it, resolve an open one, or nothing."""
        raise NotImplementedError

    def says(self, task: TaskRecord, outcome: Outcome) -> tuple[str, str, dict[str, Any], dict[str, str]]:
        """(title, description, compliance, product fields of this kind)."""
        raise NotImplementedError


class _Isolation(FindingKind):
    def outcome(self, task: TaskRecord) -> Outcome | None:
        if task.verdict == "VIOLATION":
            return "open"
        return "resolved" if task.verdict == "ISOLATED" else None

    def says(self, task: TaskRecord, outcome: Outcome) -> tuple[str, str, dict[str, Any], dict[str, str]]:
        mode = task.declared_mode
        if outcome == "resolved":
            title, text = (
                f"ECS task network isolation restored ({mode})",
                "A later audit found the task ISOLATED as declared.",
            )
        elif outcome == "gone":
            title, text = f"ECS task no longer running ({mode})", GONE_TEXT
        else:
            title = f"ECS task violates its declared network mode ({mode})"
            text = "; ".join(task.reasons) or "violation without a recorded reason"
        compliance = {
            "Status": "PASSED" if outcome == "resolved" else "FAILED",
            "RelatedRequirements": requirement_labels(),  # netaudit.exports.compliance
        }
        cluster = cluster_of_task(task.task_arn)
        return title, text, compliance, {"ecs-netaudit/cluster": cluster} if cluster else {}


REMEDIATION = (
    "Block IMDS for tasks: ECS_AWSVPC_BLOCK_IMDS=true on the container instance (awsvpc), a "
    "DOCKER-USER rule dropping 169.254.169.254 from docker+ interfaces (bridge)."
)


class _ImdsExposure(FindingKind):
    def outcome(self, task: TaskRecord) -> Outcome | None:
        if is_exposed(task):
            return "open"
        return "resolved" if imds_state(task) == "blocked" else None

    def says(self, task: TaskRecord, outcome: Outcome) -> tuple[str, str, dict[str, Any], dict[str, str]]:
        mode, imds = task.declared_mode, task.imds or "unknown"
        if outcome == "resolved":
            title = f"ECS task can no longer reach the instance metadata service ({mode})"
            text = f"A later audit found IMDS {imds}."
        elif outcome == "gone":
            title, text, imds = (
                f"ECS task no longer running ({mode})",
                GONE_TEXT,
                "unknown (task no longer running)",
            )
        else:
            title = f"ECS task can reach the EC2 instance metadata service ({mode})"
            text = f"IMDS {imds}. {REMEDIATION}"
        compliance = {"Status": "PASSED" if outcome == "resolved" else "FAILED"}
        return title, text, compliance, {"ecs-netaudit/imds": imds[:1024]}


ISOLATION: FindingKind = _Isolation(
    "security_hub",
    "ecs-netaudit/network-isolation",
    "Software and Configuration Checks/AWS Security Best Practices/Network Isolation",
    "HIGH",
)
# A custom classifier under a defined namespace/category is valid ASFF ("A finding provider may
# define a partial path ... you can specify a custom classifier"):
# https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-findings-format-type-taxonomy.html
IMDS_EXPOSURE: FindingKind = _ImdsExposure(
    "security_hub_imds_exposure",
    "ecs-netaudit/imds-exposure",
    "Software and Configuration Checks/AWS Security Best Practices/Instance Metadata Exposure",
    "MEDIUM",
)


def build_finding(
    kind: FindingKind, task: TaskRecord, outcome: Outcome, stamp: Stamp, created_at: str | None = None
) -> dict[str, Any]:
    """The ASFF document of one task's finding of this kind."""
    title, text, compliance, fields = kind.says(task, outcome)
    spec = FindingSpec(
        finding_id=kind.finding_id(task.task_arn),
        generator_id=kind.generator_id,
        finding_type=kind.finding_type,
        severity=kind.severity if outcome == "open" else "INFORMATIONAL",
        title=title,
        description=described(text, stamp.evidence_uri),
        compliance=compliance,
        archived=outcome != "open",
        product_fields={
            "ecs-netaudit/evidence": stamp.evidence_uri,
            "ecs-netaudit/declaredNetworkMode": str(task.declared_mode),
            **fields,
        },
    )
    return asff_finding(task.task_arn, spec, now=stamp.now, created_at=created_at)


def reconcile(
    securityhub: "SecurityHubClient",
    kind: FindingKind,
    tasks: Iterable[TaskRecord],
    stamp: Stamp,
    scope: AuditScope | None = None,
) -> FindingsResult:
    """Import one finding per task the kind opens; resolve the open findings of tasks that now
    pass; with a cluster audit's scope, archive open findings of tasks it no longer saw running."""
    open_findings = active_violations(securityhub, kind.generator_id)
    findings: list[dict[str, Any]] = []
    resolved = 0
    for task in tasks:
        if not task.declared_mode:
            continue
        existing = open_findings.pop(kind.finding_id(task.task_arn), None)  # the rest were not seen
        outcome = kind.outcome(task)
        if outcome == "open" or (outcome == "resolved" and existing is not None):
            created = existing.get("CreatedAt") if existing else None
            findings.append(build_finding(kind, task, outcome, stamp, created))
            resolved += outcome == "resolved"
    archived = 0
    for finding in open_findings.values() if scope else ():
        gone = gone_task(finding)
        if gone and scope and scope.covers_gone(*gone):
            task = TaskRecord.model_validate(
                {"taskArn": gone[0], "declaredMode": gone[1], "verdict": "INCONCLUSIVE"}
            )
            findings.append(build_finding(kind, task, "gone", stamp, finding.get("CreatedAt")))
            archived += 1
    return import_findings(securityhub, findings, resolved=resolved, archived=archived)


def audit_scope(state: ExecutionState, collected: Collected) -> AuditScope | None:
    """A cluster audit's scope for archiving findings of tasks that are gone (None otherwise)."""
    audit = state.audit
    named = audit_clusters(audit)
    if audit is None or not isinstance(audit.target, ClusterTarget) or not (named or audit.all_clusters):
        return None
    return AuditScope(
        clusters=frozenset(cluster_name(c) for c in named) if named else None,
        network_modes=frozenset(audit.target.network_modes or NETWORK_MODES),
        seen=frozenset([t.task_arn for t in collected.tasks] + [t.task_arn for t in collected.not_probed]),
    )


def _by_account(
    state: ExecutionState, collected: Collected
) -> list[tuple[str | None, Collected, ExecutionState]]:
    """(member account or None for the stack's own, its tasks, the audit as that account saw it).
    With the default product ARN, BatchImportFindings must be called by the account the finding
    names in AwsAccountId (Security Hub API reference, BatchImportFindings), so a member's findings
    are imported in that member, through its role (issue 21)."""
    audit = state.audit
    if audit is None or not audit.accounts:
        return [(None, collected, state)]
    out: list[tuple[str | None, Collected, ExecutionState]] = []
    for account in audit.accounts:
        own = account == audit.hub_account
        seen = state if own else state.model_copy(update={"audit": in_account(audit, account)})
        out.append((None if own else account, collected.part(account), seen))
    return out


@dataclass(frozen=True)
class Hubs:
    """Security Hub of the stack's account, and of a member account (through its member role)."""

    own: "SecurityHubClient"
    member: "Callable[[str], SecurityHubClient] | None" = None

    def of(self, account: str | None) -> "SecurityHubClient":
        return self.own if account is None or self.member is None else self.member(account)


def publish(
    hubs: Hubs, state: ExecutionState, collected: Collected, result: ReportOutput, imds_exposure: bool
) -> None:
    """Each kind's counts, or the error that stopped it, in `result` (in an audit of several
    accounts: added up over the accounts, and the first error, naming its account)."""
    stamp = Stamp(datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), str(result.evidence_uri))
    for kind in (ISOLATION, IMDS_EXPOSURE) if imds_exposure else (ISOLATION,):
        totals: dict[str, Any] = {}
        for account, part, seen in _by_account(state, collected):
            try:
                counts = reconcile(
                    hubs.of(account), kind, part.tasks, stamp, audit_scope(seen, part)
                ).counts()
            except Exception as exc:  # an extra: the report and the alert still go out
                where = f"account {account}: " if account else ""
                totals.setdefault("error", f"{where}{type(exc).__name__}: {exc}")
                continue
            for key, n in counts.items():
                totals[key] = totals.get(key, 0) + n
        setattr(result, kind.report_field, FindingsCounts.model_validate(totals))
