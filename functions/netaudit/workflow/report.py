"""Report: evidence JSON to S3, an alert on SNS when not ISOLATED, a readable summary.

Runs on the normal path (after Evaluate) and on the error path (after the clean-up), so it
reads the state defensively: any part may be missing, depending on where the audit stopped.
"""

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

from netaudit.errors import INCONCLUSIVE, VIOLATION

CAUSE_LIMIT = 32_000  # a Fail state's Cause holds at most 32,768 characters
SUBJECT_LIMIT = 100


def error_message(error: dict[str, Any]) -> str:
    """The readable text of a caught error (`Cause` is a Lambda error payload, or plain text)."""
    cause = error.get("Cause", "")
    try:
        payload = json.loads(cause)
    except (TypeError, ValueError):
        return str(cause)
    if isinstance(payload, dict) and "errorMessage" in payload:
        return str(payload["errorMessage"])
    return str(cause)


def evidence_key(kind: str, execution_name: str, start_time: str | None) -> str:
    when = datetime.now(UTC)
    if start_time:
        with contextlib.suppress(ValueError):
            when = datetime.fromisoformat(start_time.replace("Z", "+00:00"))
    folder = "canary" if kind == "canary" else "audits"
    return f"{folder}/{when:%Y/%m/%d}/{execution_name}.json"


def _outcome(state: dict[str, Any]) -> tuple[str, str | None, str]:
    """(verdict, error name or None, headline)."""
    if "error" in state and isinstance(state["error"], dict):
        name = str(state["error"].get("Error", "Error"))
        return "ERROR", name, f"{name}: {error_message(state['error'])}"
    evaluation = state.get("evaluation") or {}
    verdict = str(evaluation.get("verdict", "INCONCLUSIVE"))
    if verdict == "ISOLATED":
        return verdict, None, "every task is ISOLATED as declared"
    if verdict == "VIOLATION":
        return verdict, VIOLATION, "a task's runtime network differs from its declared mode"
    errors = evaluation.get("probeErrors") or []
    if errors:
        first = errors[0]
        return verdict, str(first["error"]), f"{first['error']} on {first['instanceId']}: {first['cause']}"
    return verdict, INCONCLUSIVE, "the probe could not prove isolation"


def summarise(state: dict[str, Any], execution_name: str, evidence_uri: str | None) -> dict[str, Any]:
    audit = state.get("audit") or {}
    target = audit.get("target") or {}
    kind = target.get("kind", "canary")
    verdict, error, headline = _outcome(state)
    lines = [f"ecs-netaudit {kind} audit {execution_name}: {verdict} - {headline}"]
    if audit.get("cluster"):
        lines.append(f"cluster: {audit['cluster']}")
    canary = state.get("canary") or {}
    if canary.get("taskArn"):
        lines.append(f"canary task: {canary['taskArn']} ({canary.get('networkMode')} mode)")
    hosts = (state.get("resolved") or {}).get("hosts") or []
    if hosts:
        lines.append("instances: " + ", ".join(h["instanceId"] for h in hosts))
    tasks_out: list[dict[str, Any]] = []
    for tv in (state.get("evaluation") or {}).get("tasks", []):
        reasons = tv.get("reasons") or []
        lines.append(
            f"- {tv['taskArn']} [declared {tv['declaredMode']}] {tv['verdict']}"
            + (": " + "; ".join(reasons) if reasons else "")
        )
        tasks_out.append({k: tv.get(k) for k in ("taskArn", "declaredMode", "verdict", "reasons")})
    cleanup = state.get("cleanup") or {}
    if cleanup.get("stoppedTasks"):
        lines.append("stopped: " + ", ".join(cleanup["stoppedTasks"]))
    if "cleanupError" in state:
        lines.append(f"CLEAN-UP FAILED: {error_message(state['cleanupError'])}")
    if evidence_uri:
        lines.append(f"evidence: {evidence_uri}")
    text = "\n".join(lines)
    return {
        "verdict": verdict,
        "error": error,
        "cause": text[:CAUSE_LIMIT],
        "summary": text,
        "evidenceUri": evidence_uri,
        "tasks": tasks_out,
    }


def report(
    s3: Any,
    sns: Any,
    bucket: str | None,
    topic_arn: str | None,
    state: dict[str, Any],
    execution: dict[str, Any],
) -> dict[str, Any]:
    name = str(execution.get("name") or "local")
    audit = state.get("audit") or {}
    kind = (audit.get("target") or {}).get("kind", "canary")
    key = evidence_key(kind, name, execution.get("startTime"))
    uri = f"s3://{bucket}/{key}" if bucket else None
    result = summarise(state, name, uri)
    if bucket:
        evidence = {
            "schemaVersion": 1,
            "execution": execution,
            "report": {k: v for k, v in result.items() if k != "cause"},
            "state": state,
            "writtenAt": datetime.now(UTC).isoformat(),
        }
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=json.dumps(evidence, indent=1, default=str).encode(),
            ContentType="application/json",
        )
    if topic_arn and result["verdict"] != "ISOLATED":
        subject = f"ecs-netaudit {result['verdict']}: {result['error']}"
        if audit.get("cluster"):
            subject += f" on {audit['cluster']}"
        sns.publish(
            TopicArn=topic_arn,
            Subject=subject[:SUBJECT_LIMIT],
            Message=result["summary"],
            MessageAttributes={
                "verdict": {"DataType": "String", "StringValue": result["verdict"]},
            },
        )
    return result
