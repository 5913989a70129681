"""OCSF Compliance Findings (class_uid 2003), one JSON object per line, one per task.

Schema: OCSF 1.3.0 (github.com/ocsf/ocsf-schema: events/findings/compliance_finding.json
extends finding.json extends base_event; objects/compliance.json, finding_info.json).
Required: activity_id, category_uid, class_uid, type_uid, severity_id, time, metadata
(product, version), finding_info.uid, compliance.standards; cloud (provider) with the cloud
profile. compliance.status_id: 1 Pass (ISOLATED), 2 Warning ("did not yield a result due to
missing information": INCONCLUSIVE and tasks not probed), 3 Fail (VIOLATION).
An audit that ended in ERROR before judging any task gives one finding about the audit itself,
with the canary's declared mode when the evidence knows it. A finding says what the config
checks would say of a declared mode only when the mode is known (`compliance.config_view`):
nothing is claimed of a mode nobody knows.
"""

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from netaudit.exports import compliance
from netaudit.exports import document as d
from netaudit.exports.text import visible

OCSF_VERSION = "1.3.0"
CLASS_UID, CATEGORY_UID, ACTIVITY_CREATE = 2003, 2, 1
TYPE_UID = CLASS_UID * 100 + ACTIVITY_CREATE
PRODUCT_VERSION = "0.1.0"
STATUS = {"ISOLATED": (1, "Pass"), "VIOLATION": (3, "Fail")}  # anything else: (2, "Warning")
SEVERITY = {"ISOLATED": (1, "Informational"), "VIOLATION": (4, "High")}  # anything else: (3, "Medium")


def _ms(when: datetime | None) -> int:
    return int((when or datetime.now(UTC)).timestamp() * 1000)


def _container(c: Mapping[str, Any]) -> dict[str, Any]:
    ev = c.get("evidence") or {}
    return {
        "name": visible(c.get("containerName")),
        "dockerName": visible(c.get("dockerName")),
        "verdict": c.get("verdict"),
        "reasons": [visible(r) for r in c.get("reasons") or []],
        **{k: v for k, v in ev.items() if k != "interfaces"},
        "interfaces": [
            {"name": visible(i.get("name")), "addresses": list(i.get("addresses") or [])}
            for i in ev.get("interfaces") or []
        ],
    }


def finding(doc: d.Document, task: Mapping[str, Any], *, probed: bool = True) -> dict[str, Any]:
    """One Compliance Finding for one task (`probed=False`: a task no host could be probed for)."""
    verdict = str(task.get("verdict") or "INCONCLUSIVE") if probed else "INCONCLUSIVE"
    arn = str(task.get("taskArn") or "")
    partition, region, _ = d.arn_parts(arn)
    account = d.account(task)  # the record's own account (issue 21), its ARN's when it has none
    status_id, status = STATUS.get(verdict, (2, "Warning"))
    severity_id, severity = SEVERITY.get(verdict, (3, "Medium"))
    reasons = [visible(r) for r in task.get("reasons") or []]
    if not probed:
        reasons = [f"not probed: {visible(task.get('reason'))}"]
    known = compliance.config_view(task.get("declaredMode"))
    mode = str(task.get("declaredMode")) if known else "mode unknown"
    message = compliance.declared_observed({**task, "verdict": verdict, "reasons": reasons})
    written = d.written_at(doc)
    resources: list[dict[str, Any]] = [
        {
            "uid": arn,
            "name": d.task_id(arn),
            "type": "AWS::ECS::Task",
            "cloud_partition": partition or None,
            "region": region or None,
            "data": {
                "declaredNetworkMode": task.get("declaredMode") if known else None,
                "expectedEniIpv4": task.get("expectedEniIpv4"),
                "verdict": verdict,
                "containers": [_container(c) for c in task.get("containers") or []],
            },
        }
    ]
    if task.get("instanceId"):
        resources.append(
            {"uid": str(task["instanceId"]), "type": "AWS::EC2::Instance", "region": region or None}
        )
    return {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": TYPE_UID,
        "type_name": "Compliance Finding: Create",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 1,
        "status": "New",
        "time": _ms(written),
        "start_time": _ms(d.started_at(doc)),
        "message": message,
        "metadata": {
            "version": OCSF_VERSION,
            "profiles": ["cloud"],
            "product": {"name": d.PRODUCT, "vendor_name": d.PRODUCT, "version": PRODUCT_VERSION},
            "log_name": "network-isolation",
        },
        "cloud": {
            "provider": "AWS",
            "region": region or None,
            "account": {"uid": account} if account else None,
        },
        "finding_info": {
            "uid": f"{d.PRODUCT}/{d.execution_name(doc)}/{arn}",
            "title": f"ECS task network isolation ({mode}): {verdict}",
            "desc": "; ".join(reasons) or "isolated as declared",
            "types": ["Network Isolation"],
            "created_time": _ms(written),
            "first_seen_time": _ms(d.parse_time(task.get("probeGeneratedAt")) or written),
        },
        "compliance": {
            "standards": list(compliance.STANDARDS),
            "requirements": compliance.requirement_labels(),
            "control": compliance.CONTROL,
            "status_id": status_id,
            "status": status,
            "status_code": verdict,
            "status_detail": message,
        },
        "resources": resources,
        "unmapped": {
            "evidenceUri": d.report_of(doc).get("evidenceUri"),
            "configChecks": {check.id: status for check, status in known} or None,
            "execution": (doc.get("execution") or {}).get("id") or d.execution_name(doc),
        },
    }


def _audit_finding(doc: d.Document) -> dict[str, Any]:
    """The audit stopped before judging any task: one Warning finding about the audit."""
    report = d.report_of(doc)
    arn = str((doc.get("execution") or {}).get("id") or "")
    found = finding(
        doc,
        {
            "taskArn": arn,
            "declaredMode": d.canary_mode(doc),
            "verdict": "INCONCLUSIVE",
            "reasons": [d.headline(doc) or str(report.get("error") or "audit error")],
        },
    )
    found["resources"] = [{"uid": arn or d.execution_name(doc), "type": "AWS::StepFunctions::Execution"}]
    found["finding_info"]["title"] = f"ECS network isolation audit ended in {report.get('error') or 'ERROR'}"
    return found


def findings(doc: d.Document) -> Iterator[dict[str, Any]]:
    tasks = d.tasks(doc)
    yield from (finding(doc, t) for t in tasks)
    seen = {t.get("taskArn") for t in tasks}
    yield from (finding(doc, t, probed=False) for t in d.not_probed(doc) if t.get("taskArn") not in seen)
    if not tasks and d.verdict(doc) == "ERROR":
        yield _audit_finding(doc)


def _compact(value: Any) -> Any:
    """Without null fields (OCSF omits attributes that have no value)."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def render(doc: d.Document) -> str:
    """JSON Lines: one finding per line (empty when nothing was audited)."""
    return "".join(json.dumps(_compact(f), separators=(",", ":"), default=str) + "\n" for f in findings(doc))
