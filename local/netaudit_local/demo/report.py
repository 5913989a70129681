"""The demo's own report parts: the EMF metrics its handlers printed and the cluster run's text
and JSON. A canary run's report is `netaudit_cli.report` (the one `netaudit audit` prints)."""

from typing import TYPE_CHECKING, Any

from netaudit_cli.history import parse_json
from netaudit_cli.report import host_lines

if TYPE_CHECKING:
    from netaudit_local.demo.cluster import ClusterDemoResult


def emf_metrics(text: str) -> list[dict[str, Any]]:
    """The EMF documents (CloudWatch embedded metric format) in the handlers' stdout, as
    {"namespace", "dimensions", "metrics": {name: value}} (one per flush)."""
    found: list[dict[str, Any]] = []
    for line in text.splitlines():
        doc = parse_json(line.strip()) if line.lstrip().startswith("{") else None
        if not isinstance(doc, dict) or "_aws" not in doc:
            continue
        for directive in doc["_aws"].get("CloudWatchMetrics", []):
            names = [m["Name"] for m in directive.get("Metrics", [])]
            dims = {d: doc.get(d) for group in directive.get("Dimensions", []) for d in group}
            values = {n: (v[0] if isinstance(v := doc.get(n), list) and len(v) == 1 else v) for n in names}
            found.append({"namespace": directive.get("Namespace"), "dimensions": dims, "metrics": values})
    return found


def render_cluster(result: "ClusterDemoResult", title: str = "netaudit demo --cluster") -> str:
    """The cluster demo's report: a line per task started (and per task a tasks input named)."""
    lines = [
        f"{title}: {result.verdict} (execution {result.status})",
        f"tasks started: {len(result.tasks)} on {len(result.clusters) or 1} container instance(s) (this "
        f"Docker engine) in cluster(s) {', '.join(result.clusters) or 'default'}; "
        f"tampered: {', '.join(f'{a} ({t})' for a, t in result.tampered.items()) or 'none'}",
        "",
    ]
    if result.verdict == "ERROR":
        lines += [f"error: {result.error}: {result.cause}", ""]
    by_arn = {t["taskArn"]: t for t in result.evidence.get("tasks") or []}
    rows = [(by_arn.get(arn, {"verdict": "not audited"}), mode, arn) for arn, mode in result.tasks.items()]
    # a tasks input (`demo --input`) may name tasks this run did not start: show what the audit said
    rows += [(t, str(t.get("declaredMode") or "?"), str(t.get("taskArn"))) for t in by_arn.values()
             if t.get("taskArn") not in result.tasks]
    for task, mode, arn in rows:
        reasons = "; ".join(task.get("reasons") or [])
        lines.append(f"  {task.get('verdict', '?'):12} {mode:6} {task.get('cluster') or '':8} {arn}")
        if reasons:
            lines.append(f"      {reasons}")
        if task.get("imds"):
            lines.append(f"      IMDS: {task['imds']}")
    lines += ["", *host_lines(result.evidence.get("hosts") or [])]
    lines += [
        f"evidence: {result.report.get('evidenceUri')} (moto's S3, in memory)",
        f"SSM commands: {result.ssm_commands}, state transitions: {result.transitions}, "
        f"Lambda invocations: {result.lambda_invocations}, wall time: {result.wall_s:.1f} s",
        f"containers left behind: {len(result.leftovers)}",
        *result.saved.lines(),
    ]
    return "\n".join(lines)


def cluster_document(result: "ClusterDemoResult") -> dict[str, Any]:
    """The cluster demo's report as JSON (`demo --cluster --json`)."""
    return {
        "verdict": result.verdict,
        "executionStatus": result.status,
        "tampered": result.tampered,
        "tasks": result.tasks,
        "clusters": result.clusters,
        "report": result.report,
        "ssmCommands": result.ssm_commands,
        "stateTransitions": result.transitions,
        "lambdaInvocations": result.lambda_invocations,
        "leftovers": result.leftovers,
        "outputFiles": result.saved.files,
        "outputProblems": result.saved.problems,
    }
