"""Report, part 3: where the report goes.

- S3: the evidence JSON (netaudit.keys.report_key) with per-task verdicts, reasons and the
  evidence they rest on, then its HTML/OCSF/JUnit siblings and the manifest
  (netaudit.workflow.artifacts);
- SNS: one plain-text message (readable in an e-mail) unless every task is ISOLATED or there was
  nothing to audit, and no task is exposed to IMDS and no event batch was dead-lettered;
- Security Hub (tasks/cluster audits only): isolation findings and IMDS-exposure findings. Both
  are extras: a failure is recorded in the result, the report and the alert still go out.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from netaudit.exports.manifest import entry as manifest_entry
from netaudit.models.inputs import ClusterTarget
from netaudit.models.state import ExecutionState
from netaudit.models.verdict import NETWORK_MODES
from netaudit.verdict.rollup import NOTHING_TO_AUDIT
from netaudit.workflow.accounts import in_account
from netaudit.workflow.artifacts import Published, Retention, artifact_uris, publish, put
from netaudit.workflow.cluster_counts import audit_clusters
from netaudit.workflow.imds_findings import publish_exposure_findings
from netaudit.workflow.report_collect import Collected, TaskRecord
from netaudit.workflow.report_summary import subject
from netaudit.workflow.scope import cluster_name
from netaudit.workflow.securityhub import AuditScope, publish_findings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_sns import SNSClient

EVIDENCE_SCHEMA = 1


def write_evidence(
    s3: "S3Client",
    bucket: str,
    key: str,
    state: ExecutionState,
    execution: dict[str, Any],
    result: dict[str, Any],
    collected: Collected,
    retention: Retention | None,
    imds_exposure: bool,
) -> Published:
    """The evidence JSON, then the objects rendered from it and the manifest."""
    written_at = datetime.now(UTC).isoformat()
    received = state.received()
    evidence = {
        "schemaVersion": EVIDENCE_SCHEMA,
        "execution": execution,
        "report": {k: v for k, v in result.items() if k not in ("cause", "tasks", "imdsExposure")},
        "audit": received.get("audit") or {},
        "hosts": collected.hosts,
        "tasks": collected.tasks,
        "notProbed": collected.not_probed,
        **({"imdsExposure": result["imdsExposure"]} if imds_exposure else {}),
        "probeErrors": collected.probe_errors,
        "apiCalls": collected.api_calls,
        "state": received,
        "writtenAt": written_at,
        "artifacts": artifact_uris(bucket, key),
    }
    body = json.dumps(evidence, indent=1, default=str).encode()
    version = put(s3, bucket, key, body, "application/json", retention)
    return publish(
        s3, bucket, key, json.loads(body), manifest_entry(key, body, version, "written"),
        collected.sources, written_at, retention,
    )  # fmt: skip


def alert(
    sns: "SNSClient",
    topic_arn: str,
    state: ExecutionState,
    result: dict[str, Any],
    published: Published,
    dead_letter_batches: int,
) -> bool:
    """Publish the alert when there is news; True when one was sent."""
    exposed = int(result.get("counts", {}).get("imdsExposure") or 0)
    news = result["verdict"] not in ("ISOLATED", NOTHING_TO_AUDIT) or dead_letter_batches or exposed
    if not news:
        return False
    sns.publish(
        TopicArn=topic_arn,
        Subject=subject(result, state.audit),
        Message="\n".join(filter(None, (result["summary"], published.message()))),
        MessageAttributes={
            "verdict": {"DataType": "String", "StringValue": result["verdict"]},
            "kind": {"DataType": "String", "StringValue": state.kind},
            "imdsExposure": {"DataType": "Number", "StringValue": str(exposed)},
        },
    )
    return True


@dataclass(frozen=True)
class _AuditedTask:
    task_arn: str
    declared_mode: str
    verdict: str
    reasons: Sequence[str]


def audit_scope(state: ExecutionState, collected: Collected) -> AuditScope | None:
    """A cluster audit's scope for archiving findings of tasks that are gone (None otherwise)."""
    audit = state.audit
    named = audit_clusters(audit)
    if audit is None or not isinstance(audit.target, ClusterTarget) or not (named or audit.all_clusters):
        return None
    seen = {t["taskArn"] for t in collected.tasks + collected.not_probed if t.get("taskArn")}
    return AuditScope(
        clusters=frozenset(cluster_name(c) for c in named) if named else None,
        network_modes=frozenset(audit.target.network_modes or NETWORK_MODES),
        seen=frozenset(seen),
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _isolation(
    securityhub: "SecurityHubClient", tasks: Sequence[TaskRecord], uri: str, scope: AuditScope | None
) -> dict[str, Any]:
    audited = [
        _AuditedTask(t["taskArn"], t["declaredMode"], t["verdict"], list(t.get("reasons") or []))
        for t in tasks
        if t.get("taskArn") and t.get("declaredMode")
    ]
    return publish_findings(securityhub, audited, now=_now(), evidence_uri=uri, scope=scope).counts()


def _exposure(
    securityhub: "SecurityHubClient", tasks: Sequence[TaskRecord], uri: str, scope: AuditScope | None
) -> dict[str, Any]:
    return publish_exposure_findings(securityhub, tasks, now=_now(), evidence_uri=uri, scope=scope).counts()


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
        part = Collected(
            tasks=[t for t in collected.tasks if t.get("account") == account],
            not_probed=[t for t in collected.not_probed if t.get("account") == account],
        )
        own = account == audit.hub_account
        seen = state if own else state.model_copy(update={"audit": in_account(audit, account)})
        out.append((None if own else account, part, seen))
    return out


def findings(
    securityhub: "SecurityHubClient",
    state: ExecutionState,
    collected: Collected,
    uri: str,
    result: dict[str, Any],
    imds_exposure: bool,
    securityhub_in: "Callable[[str], SecurityHubClient] | None" = None,
) -> None:
    """Security Hub: `securityHub` and (with IMDS exposure on) `securityHubImdsExposure` in
    `result`, each the counts or the error that stopped it (in an audit of several accounts, the
    counts added up over the accounts and the first error, naming its account).
    `securityhub_in(account)`: a member account's client (its member role)."""
    kinds = [("securityHub", _isolation)]
    if imds_exposure:
        kinds.append(("securityHubImdsExposure", _exposure))
    for name, publish_kind in kinds:
        totals: dict[str, Any] = {}
        for account, part, seen in _by_account(state, collected):
            try:
                client = securityhub if account is None or securityhub_in is None else securityhub_in(account)
                counts = publish_kind(client, part.tasks, uri, audit_scope(seen, part))
            except Exception as exc:  # findings are an extra: the report and the alert still go out
                where = f"account {account}: " if account else ""
                totals.setdefault("error", f"{where}{type(exc).__name__}: {exc}")
                continue
            for key, n in counts.items():
                totals[key] = totals.get(key, 0) + n
        result[name] = totals
