"""Report, part 3: where the report goes.

- S3: the evidence JSON (netaudit.keys.report_key; netaudit.models.evidence.Evidence) with
  per-task verdicts, reasons and the evidence they rest on, then its HTML/OCSF/JUnit siblings
  and the manifest (netaudit.workflow.report.artifacts);
- SNS: one plain-text message (readable in an e-mail) unless every task is ISOLATED or there was
  nothing to audit, and no task is exposed to IMDS and no event batch was dead-lettered;
- Security Hub (tasks/cluster audits only): netaudit.workflow.report.findings.
"""

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from netaudit.exports.manifest import entry as manifest_entry
from netaudit.models.evidence import EVIDENCE_SCHEMA, Evidence, ReportOutput
from netaudit.models.state import ExecutionState
from netaudit.verdict.rollup import NOTHING_TO_AUDIT
from netaudit.workflow.report.artifacts import Destination, Published, artifact_uris, publish, put
from netaudit.workflow.report.collect import Collected
from netaudit.workflow.report.summary import subject

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sns import SNSClient


def evidence(
    state: ExecutionState,
    execution: dict[str, Any],
    result: ReportOutput,
    collected: Collected,
    to: Destination,
) -> Evidence:
    """The evidence document (netaudit.models.evidence.Evidence)."""
    received = state.received()
    return Evidence(
        schema_version=EVIDENCE_SCHEMA,
        execution=execution,
        report=result.summary_only(),
        audit=received.get("audit") or {},
        hosts=collected.hosts,
        tasks=collected.tasks,
        not_probed=collected.not_probed,
        **({"imds_exposure": result.imds_exposure} if result.imds_exposure is not None else {}),
        probe_errors=collected.probe_errors,
        api_calls=collected.api_calls,
        state=received,
        written_at=datetime.now(UTC).isoformat(),
        artifacts=artifact_uris(to.bucket, to.key),
    )


def write_evidence(s3: "S3Client", to: Destination, document: Evidence, collected: Collected) -> Published:
    """The evidence JSON, then the objects rendered from it and the manifest."""
    body = json.dumps(document.dump(), indent=1, default=str).encode()
    version = put(s3, to.bucket, to.key, body, "application/json", to.retention)
    written = manifest_entry(to.key, body, version, "written")
    return publish(s3, to, json.loads(body), written, collected.sources, document.written_at)


def alert(
    sns: "SNSClient",
    topic_arn: str,
    state: ExecutionState,
    result: ReportOutput,
    published: Published,
    dead_letter_batches: int,
) -> bool:
    """Publish the alert when there is news; True when one was sent."""
    exposed = int((result.counts.imds_exposure if result.counts else 0) or 0)
    news = result.verdict not in ("ISOLATED", NOTHING_TO_AUDIT) or dead_letter_batches or exposed
    if not news:
        return False
    sns.publish(
        TopicArn=topic_arn,
        Subject=subject(result, state.audit),
        Message="\n".join(filter(None, (result.summary, published.message()))),
        MessageAttributes={
            "verdict": {"DataType": "String", "StringValue": result.verdict},
            "kind": {"DataType": "String", "StringValue": state.kind},
            "imdsExposure": {"DataType": "Number", "StringValue": str(exposed)},
        },
    )
    return True
