"""Evidence documents for the renderer tests: the shape `netaudit.workflow.report` writes."""

from typing import Any

ARN = "arn:aws:ecs:us-east-1:123456789012:task/prod/"
HOSTILE = '<script>alert("x")</script>&\x1b[31m\u202eevil'  # a task author's container/interface name


def container(
    name: str, verdict: str, interfaces: list[tuple[str, list[str]]], **evidence: Any
) -> dict[str, Any]:
    return {
        "containerId": "c" * 64,
        "containerName": name,
        "dockerName": f"ecs-{name}-1",
        "state": "running",
        "pid": 42,
        "verdict": verdict,
        "reasons": []
        if verdict == "ISOLATED"
        else [f"interface {interfaces[-1][0]} present (expected only lo)"],
        "evidence": {
            "netns": "net:[4026532182]",
            "hostNetns": False,
            "dockerNetworkMode": "none",
            "dockerIpv4": {"none": ""},
            "interfaces": [{"name": n, "addresses": a} for n, a in interfaces],
            "routeDevices": ["lo"],
            **evidence,
        },
    }


def task(n: int, verdict: str, mode: str = "none", **extra: Any) -> dict[str, Any]:
    lo = ("lo", ["127.0.0.1/8"])
    bad = verdict == "VIOLATION"
    containers = [container("app", verdict, [lo, ("eth9", ["10.9.9.9/24"])] if bad else [lo])]
    return {
        "taskArn": f"{ARN}{n:032x}",
        "declaredMode": mode,
        "expectedEniIpv4": None,
        "verdict": verdict,
        "reasons": ["app: interface eth9 present (expected only lo)"]
        if bad
        else (["probe Failed (exit 1)"] if verdict == "INCONCLUSIVE" else []),
        "containers": containers if verdict != "INCONCLUSIVE" else [],
        "probeGeneratedAt": "2026-11-25T17:00:01Z",
        "hostNetns": "net:[4026531840]",
        "instanceId": "i-0123456789abcdef0",
        **extra,
    }


def document(
    tasks: list[dict[str, Any]],
    *,
    verdict: str = "VIOLATION",
    not_probed: list[dict[str, Any]] | None = None,
    error: str | None = "IsolationViolated",
) -> dict[str, Any]:
    counts = {"tasks": len(tasks)}
    for name in ("ISOLATED", "VIOLATION", "INCONCLUSIVE"):
        counts[name.lower()] = sum(1 for t in tasks if t["verdict"] == name)
    return {
        "schemaVersion": 1,
        "execution": {
            "id": "arn:aws:states:us-east-1:123456789012:execution:netaudit:audit-1",
            "name": "audit-1",
            "startTime": "2026-11-25T17:00:00+00:00",
        },
        "report": {
            "verdict": verdict,
            "error": error,
            "summary": f"ecs-netaudit cluster audit audit-1: {verdict} - headline\ncluster: prod",
            "evidenceUri": "s3://bucket/audits/2026/11/25/audit-1.json",
            "counts": {**counts, "notProbed": len(not_probed or []), "hosts": 1},
            "countsByMode": {"none": counts},
        },
        "audit": {"cluster": "prod", "target": {"kind": "cluster", "networkModes": ["none"]}},
        "hosts": [{"instanceId": "i-0123456789abcdef0", "verdict": verdict, "counts": counts, "error": None}],
        "tasks": tasks,
        "notProbed": not_probed or [],
        "probeErrors": [],
        "writtenAt": "2026-11-25T17:00:05+00:00",
        "artifacts": {"manifest": "s3://bucket/audits/2026/11/25/audit-1.manifest.json"},
    }


def mixed() -> dict[str, Any]:
    """ISOLATED first in the input (the renderers must put the violation first), a hostile name,
    an evidence field no renderer knows (`escapeRoutes`), a task not probed."""
    isolated = task(1, "ISOLATED")
    violating = task(2, "VIOLATION")
    violating["containers"][0]["containerName"] = HOSTILE
    violating["containers"][0]["evidence"]["interfaces"][1]["name"] = HOSTILE
    violating["containers"][0]["evidence"]["escapeRoutes"] = [{"kind": "imds", "target": "169.254.169.254"}]
    inconclusive = task(3, "INCONCLUSIVE", "bridge")
    fargate = {
        "taskArn": f"{ARN}{4:032x}",
        "declaredMode": "awsvpc",
        "reason": "Fargate: no host to probe from",
    }
    return document([isolated, violating, inconclusive], not_probed=[fargate])
