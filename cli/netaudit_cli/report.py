"""The report of one audit execution, for `netaudit audit` and the demo: `summarise` (the report
as a JSON-able dict, from the execution's history and how it ended) and `render_report` (its
text). The exit status is `exit_codes.exit_code` of the verdict."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from netaudit.exports.document import host_access
from netaudit_cli.exit_codes import exit_code
from netaudit_cli.history import (
    audit_report,
    canary_task,
    lambda_invocations,
    last_key,
    transitions,
)
from netaudit_cli.progress import PHASES, phase_times


@dataclass(frozen=True)
class ExecutionEnd:
    """How an execution ended, as DescribeExecution says: status, output (parsed), error, cause."""

    status: str
    output: Mapping[str, Any] | None = None
    error: str | None = None
    cause: str | None = None


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


def _task_summary(task: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "taskArn": task.get("taskArn"),
        "declaredMode": task.get("declaredMode"),
        "expectedEniIpv4": task.get("expectedEniIpv4"),
        "verdict": task.get("verdict"),
        "reasons": list(task.get("reasons") or []),
        "hostNetns": task.get("hostNetns"),
        "imds": task.get("imds"),
        "containers": [_container_summary(c) for c in task.get("containers") or []],
    }


def _phases(history: Sequence[Mapping[str, Any]], timings: Mapping[str, float] | None) -> dict[str, float]:
    """Seconds per phase, in `PHASES` order, then those measured outside the history."""
    phases = {p: round(s, 3) for p, s in phase_times(history).items()}
    for name, seconds in (timings or {}).items():
        phases[name] = round(seconds, 3)
    ordered = {p: phases[p] for p in PHASES if p in phases}
    ordered.update({p: s for p, s in phases.items() if p not in ordered})
    return ordered


def summarise(
    history: Sequence[Mapping[str, Any]],
    end: ExecutionEnd,
    *,
    timings: Mapping[str, float] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The report as a JSON-able dict, from the execution's history and how it ended.

    `timings` adds/overrides phases measured outside the history (setup, teardown, total).
    """
    report = dict(end.output or {}) if end.status == "SUCCEEDED" else {}
    if not report:
        report = audit_report(history)
    evaluation = last_key(history, ("Evaluate",), "evaluation")
    canary = canary_task(history)
    verdict = str(report.get("verdict") or "")
    if not verdict:
        verdict = "ISOLATED" if end.status == "SUCCEEDED" else "ERROR"
    calls = lambda_invocations(history)
    headline = str(report.get("cause") or end.cause or "").splitlines()[0:1]
    summary: dict[str, Any] = {
        "verdict": verdict,
        "exitCode": exit_code(verdict),
        "executionStatus": end.status,
        "error": report.get("error") or end.error,
        "cause": (report.get("cause") or end.cause) if verdict != "ISOLATED" else None,
        "headline": headline[0] if headline else "",
        "canaryTaskArn": canary.get("taskArn"),
        "networkMode": canary.get("networkMode"),
        "tasks": [_task_summary(t) for t in evaluation.get("tasks") or report.get("tasks") or []],
        "evidenceUri": report.get("evidenceUri"),
        "stateTransitions": transitions(history),
        "lambdaInvocations": sum(calls.values()),
        "lambdaInvocationsByFunction": dict(calls),
        "historyEvents": len(history),
        "phases": _phases(history, timings),
    }
    summary.update(extra or {})
    return summary


def _container_lines(c: Mapping[str, Any]) -> list[str]:
    where = "HOST's netns" if c.get("hostNetns") else "own netns"
    mode = str(c.get("dockerNetworkMode") or "-")
    if mode.startswith("container:"):
        mode = mode[:22]  # container:<12 hex>, as docker ps shows ids
    ifaces = ", ".join(
        f"{i['name']} {' '.join(i['addresses']) or '(no address)'}" for i in c.get("interfaces") or []
    )
    out = [
        f"  container {c.get('container')} ({c.get('dockerName')}): {c.get('verdict')}",
        f"    netns {c.get('netns') or '-'} ({where}), docker network mode {mode}",
        f"    interfaces: {ifaces or '-'}",
    ]
    if c.get("routeDevices"):
        out.append(f"    routes via: {', '.join(c['routeDevices'])}")
    out.extend(f"    - {reason}" for reason in c.get("reasons") or [])
    return out


def _task_lines(task: Mapping[str, Any]) -> list[str]:
    eni = f", ENI {task['expectedEniIpv4']}" if task.get("expectedEniIpv4") else ""
    out = [f"task {task['taskArn']}", f"  declared {task['declaredMode']}{eni}: {task['verdict']}"]
    out.extend(f"  - {reason}" for reason in task.get("reasons") or [])
    out.append(f"  IMDS: {task.get('imds') or 'unknown (not recorded)'}")
    if task.get("hostNetns"):
        out.append(f"  host netns: {task['hostNetns']}")
    for c in task.get("containers") or []:
        out.extend(_container_lines(c))
    return out


def _verdict_lines(summary: Mapping[str, Any]) -> list[str]:
    verdict = summary.get("verdict", "?")
    out = ["", f"== verdict: {verdict} " + "=" * max(0, 60 - len(str(verdict)))]
    if summary.get("headline"):
        out.append(summary["headline"])
    if verdict not in ("ISOLATED",) and summary.get("error"):
        out.append(f"error: {summary['error']}")
    if summary.get("canaryTaskArn"):
        out.append(f"canary task: {summary['canaryTaskArn']} (declared {summary.get('networkMode')})")
    return out


def _evidence_lines(summary: Mapping[str, Any], evidence_note: str) -> list[str]:
    out: list[str] = []
    if summary.get("evidenceUri"):
        out.append(f"evidence: {summary['evidenceUri']}{evidence_note}")
    if summary.get("evidenceFile"):
        out.append(f"evidence copied to: {summary['evidenceFile']}")
    out.extend(f"{kind} written to: {path}" for kind, path in (summary.get("outputFiles") or {}).items())
    out.extend(f"NOT SAVED: {problem}" for problem in summary.get("outputProblems") or [])
    return out


def _cost_lines(summary: Mapping[str, Any]) -> list[str]:
    calls = summary.get("lambdaInvocationsByFunction") or {}
    out = [
        f"state transitions: {summary.get('stateTransitions')}, Lambda invocations: "
        f"{summary.get('lambdaInvocations')} (" + ", ".join(f"{k} {v}" for k, v in calls.items()) + ")"
    ]
    for metric in summary.get("metrics") or []:
        values = ", ".join(
            f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in metric["metrics"].items()
        )
        dims = ", ".join(f"{k}={v}" for k, v in metric["dimensions"].items())
        out.append(f"metrics (EMF, {metric['namespace']}; {dims}): {values}")
    return out


def _local_lines(summary: Mapping[str, Any]) -> list[str]:
    """What only a local run has: the task in moto, containers left, time per phase."""
    out: list[str] = []
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
    return out


def render_report(summary: Mapping[str, Any], evidence_note: str = " (moto's S3, in memory)") -> str:
    """The human report (plain text) of `summarise`'s dict."""
    out = _verdict_lines(summary)
    for task in summary.get("tasks") or []:
        out.extend(_task_lines(task))
    if summary.get("verdict") == "ERROR" and summary.get("cause"):
        out.append("cause:")
        out.extend(f"  {line}" for line in str(summary["cause"]).splitlines())
    out.extend(host_lines(summary.get("hosts") or []))
    out.extend(_evidence_lines(summary, evidence_note))
    out.extend(_cost_lines(summary))
    out.extend(_local_lines(summary))
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
