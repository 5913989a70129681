"""The demo's report, one module for the canary, cluster and continuous runs (and `netaudit
audit`): `summarise` (the canary's report as a dict, from the execution's history) and the text of
each run. The exit status of every run is `exit_codes.exit_code` of its verdict."""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from netaudit.exports.document import host_access
from netaudit_local.cloud.history import (
    audit_report,
    canary_task,
    lambda_invocations,
    last_key,
    parse_json,
    transitions,
)
from netaudit_local.demo.progress import PHASES, phase_times
from netaudit_local.exit_codes import exit_code

if TYPE_CHECKING:
    from netaudit_local.demo.cluster import ClusterDemoResult
    from netaudit_local.demo.continuous import ContinuousResult


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


def _container_summary(container: Mapping[str, Any]) -> dict[str, Any]:
    evidence = container.get("evidence") or {}
    interfaces = [
        {"name": i.get("name"), "addresses": list(i.get("addresses") or [])}
        for i in evidence.get("interfaces") or []
    ]
    return {
        "container": container.get("containerName") or container.get("dockerName"),
        "dockerName": container.get("dockerName"),
        "verdict": container.get("verdict"),
        "reasons": list(container.get("reasons") or []),
        "netns": evidence.get("netns"),
        "hostNetns": evidence.get("hostNetns"),
        "dockerNetworkMode": evidence.get("dockerNetworkMode"),
        "interfaces": interfaces,
        "routeDevices": list(evidence.get("routeDevices") or []),
    }


def summarise(
    history: Sequence[Mapping[str, Any]],
    *,
    status: str,
    output: Mapping[str, Any] | None = None,
    error: str | None = None,
    cause: str | None = None,
    timings: Mapping[str, float] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The demo's report as a JSON-able dict, from the execution's history and outcome.

    `timings` adds/overrides phases measured outside the history (setup, teardown, total).
    """
    report = dict(output or {}) if status == "SUCCEEDED" else {}
    if not report:
        report = audit_report(history)
    evaluation = last_key(history, ("Evaluate",), "evaluation")
    canary = canary_task(history)
    verdict = str(report.get("verdict") or "")
    if not verdict:
        verdict = "ISOLATED" if status == "SUCCEEDED" else "ERROR"
    tasks: list[dict[str, Any]] = []
    for task in evaluation.get("tasks") or report.get("tasks") or []:
        tasks.append(
            {
                "taskArn": task.get("taskArn"),
                "declaredMode": task.get("declaredMode"),
                "expectedEniIpv4": task.get("expectedEniIpv4"),
                "verdict": task.get("verdict"),
                "reasons": list(task.get("reasons") or []),
                "hostNetns": task.get("hostNetns"),
                "imds": task.get("imds"),
                "containers": [_container_summary(c) for c in task.get("containers") or []],
            }
        )
    phases = {p: round(s, 3) for p, s in phase_times(history).items()}
    for name, seconds in (timings or {}).items():
        phases[name] = round(seconds, 3)
    ordered = {p: phases[p] for p in PHASES if p in phases}
    ordered.update({p: s for p, s in phases.items() if p not in ordered})
    calls = lambda_invocations(history)
    summary: dict[str, Any] = {
        "verdict": verdict,
        "exitCode": exit_code(verdict),
        "executionStatus": status,
        "error": report.get("error") or error,
        "cause": (report.get("cause") or cause) if verdict != "ISOLATED" else None,
        "headline": str(report.get("cause") or cause or "").splitlines()[0:1],
        "canaryTaskArn": canary.get("taskArn"),
        "networkMode": canary.get("networkMode"),
        "tasks": tasks,
        "evidenceUri": report.get("evidenceUri"),
        "stateTransitions": transitions(history),
        "lambdaInvocations": sum(calls.values()),
        "lambdaInvocationsByFunction": dict(calls),
        "historyEvents": len(history),
        "phases": ordered,
    }
    summary["headline"] = summary["headline"][0] if summary["headline"] else ""
    summary.update(extra or {})
    return summary


def render_report(summary: Mapping[str, Any], evidence_note: str = " (moto's S3, in memory)") -> str:
    """The human report (plain text) of `summarise`'s dict."""
    out: list[str] = []
    verdict = summary.get("verdict", "?")
    out.append("")
    out.append(f"== verdict: {verdict} " + "=" * max(0, 60 - len(str(verdict))))
    if summary.get("headline"):
        out.append(summary["headline"])
    if verdict not in ("ISOLATED",) and summary.get("error"):
        out.append(f"error: {summary['error']}")
    if summary.get("canaryTaskArn"):
        out.append(f"canary task: {summary['canaryTaskArn']} (declared {summary.get('networkMode')})")
    for task in summary.get("tasks") or []:
        out.append(f"task {task['taskArn']}")
        eni = f", ENI {task['expectedEniIpv4']}" if task.get("expectedEniIpv4") else ""
        out.append(f"  declared {task['declaredMode']}{eni}: {task['verdict']}")
        for reason in task.get("reasons") or []:
            out.append(f"  - {reason}")
        out.append(f"  IMDS: {task.get('imds') or 'unknown (not recorded)'}")
        if task.get("hostNetns"):
            out.append(f"  host netns: {task['hostNetns']}")
        for c in task.get("containers") or []:
            where = "HOST's netns" if c.get("hostNetns") else "own netns"
            out.append(f"  container {c.get('container')} ({c.get('dockerName')}): {c.get('verdict')}")
            mode = str(c.get("dockerNetworkMode") or "-")
            if mode.startswith("container:"):
                mode = mode[:22]  # container:<12 hex>, as docker ps shows ids
            out.append(f"    netns {c.get('netns') or '-'} ({where}), docker network mode {mode}")
            ifaces = ", ".join(
                f"{i['name']} {' '.join(i['addresses']) or '(no address)'}" for i in c.get("interfaces") or []
            )
            out.append(f"    interfaces: {ifaces or '-'}")
            if c.get("routeDevices"):
                out.append(f"    routes via: {', '.join(c['routeDevices'])}")
            for reason in c.get("reasons") or []:
                out.append(f"    - {reason}")
    if verdict == "ERROR" and summary.get("cause"):
        out.append("cause:")
        out.extend(f"  {line}" for line in str(summary["cause"]).splitlines())
    out.extend(host_lines(summary.get("hosts") or []))
    if summary.get("evidenceUri"):
        out.append(f"evidence: {summary['evidenceUri']}{evidence_note}")
    if summary.get("evidenceFile"):
        out.append(f"evidence copied to: {summary['evidenceFile']}")
    for kind, path in (summary.get("outputFiles") or {}).items():
        out.append(f"{kind} written to: {path}")
    out.extend(f"NOT SAVED: {problem}" for problem in summary.get("outputProblems") or [])
    calls = summary.get("lambdaInvocationsByFunction") or {}
    out.append(
        f"state transitions: {summary.get('stateTransitions')}, Lambda invocations: "
        f"{summary.get('lambdaInvocations')} (" + ", ".join(f"{k} {v}" for k, v in calls.items()) + ")"
    )
    for metric in summary.get("metrics") or []:
        values = ", ".join(
            f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in metric["metrics"].items()
        )
        dims = ", ".join(f"{k}={v}" for k, v in metric["dimensions"].items())
        out.append(f"metrics (EMF, {metric['namespace']}; {dims}): {values}")
    if "moto" in summary:
        out.append(f"task in moto: {summary['moto'].get('lastStatus')}")
    if "containersLeft" in summary:
        out.append(f"containers of this run left on the engine: {summary['containersLeft']}")
    phases = summary.get("phases") or {}
    if phases:
        out.append("wall time per phase:")
        detail = summary.get("setupDetail") or {}
        for name, seconds in phases.items():
            note = ""
            if name == "setup" and detail:
                note = "  (" + ", ".join(f"{k} {v:.3f}s" for k, v in detail.items()) + ")"
            out.append(f"  {name:<14}{seconds:7.3f}s{note}")
    return "\n".join(out)


def host_lines(hosts: Sequence[Mapping[str, Any]]) -> list[str]:
    """A line per container instance: how the probe read it (directly or through Bottlerocket's
    admin container)."""
    return [
        f"container instance {h.get('instanceId') or '?'}"
        + (f" (cluster {h['cluster']})" if h.get("cluster") else "")
        + f": {h.get('verdict') or '?'}, host read {host_access(h)}"
        for h in hosts
    ]


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


def render_continuous(result: "ContinuousResult") -> str:
    """The continuous demo's report: each task's delay from RUNNING to verdict, the coverage, and
    the report of the audit that found the violation (else the last one)."""
    out = [
        f"netaudit demo --continuous: {result.tasks} tasks, each audited from its own RUNNING event",
        *result.lines,
        "",
    ]
    delays = sorted(a.delay_s for a in result.audits if a.delay_s is not None)
    if delays:
        out.append(f"RUNNING to verdict: min {delays[0]:.2f} s, max {delays[-1]:.2f} s")
    out.append(f"coverage: {result.verified}/{result.tasks} tasks verified")
    out.append(f"tampered: {', '.join(f'{a} ({t})' for a, t in result.tampered.items()) or 'none'}")
    out += [
        "",
        "report:",
        str(result.report.get("cause") or "(none)"),
        "",
        f"containers left behind: {len(result.leftovers)}",
    ]
    return "\n".join(out)


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
