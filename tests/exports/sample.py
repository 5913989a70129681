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


def fault_mix(tasks_per_host: int = 10, hosts: int = 100) -> dict[str, Any]:
    """A cluster audit the shape bench_report_outputs.py --faults writes: bench_cluster's fault mix
    by host (n % 10: SSM agent offline, command failed, command timed out, then a container gone
    mid-probe on host 5; the rest probed), one VIOLATION on a probed host, the rest ISOLATED."""
    modes = ("none", "bridge", "host", "awsvpc")
    imds = "unknown (no route lookup from the task's netns: probe schemaVersion 1 or netns unreadable)"
    out: list[dict[str, Any]] = []
    host_rows: list[dict[str, Any]] = []
    probe_errors: list[dict[str, Any]] = []
    for h in range(hosts):
        instance = f"i-0f1ee7{h:011x}"
        fault = {0: "HostNotManaged", 1: "ProbeFailed", 2: "ProbeTimedOut"}.get(h % 10)
        cause = {
            "HostNotManaged": f"container instance arn:aws:ecs:us-east-1:123456789012:container-instance/"
            f"prod/{h:032x} (EC2 {instance}) is not Online in SSM (PingStatus ConnectionLost): the probe "
            "cannot be sent",
            "ProbeFailed": f"The probe command {h:08x} on {instance} ended Failed (Failed, exit code 1): "
            "docker: not found\nline 2 of stderr",
            "ProbeTimedOut": f"The probe command {h:08x} on {instance} timed out in SSM (ExecutionTimedOut)",
        }.get(fault or "", "")
        for k in range(tasks_per_host):
            n = h * tasks_per_host + k + 1
            mode = modes[n % 4]
            if fault:
                reason = (
                    cause if fault == "HostNotManaged" else f"probe on {instance} failed: {fault}: {cause}"
                )
                t = task(n, "INCONCLUSIVE", mode, instanceId=instance, reasons=[reason])
            elif h % 10 == 5 and k == 0:
                t = task(n, "INCONCLUSIVE", mode, instanceId=instance)
                t["reasons"] = ["no container of the task was found on this host"]
            elif h == 57 and k == 3:
                t = task(n, "VIOLATION", mode, instanceId=instance)
            else:
                t = task(n, "ISOLATED", mode, instanceId=instance, imds=imds)
            t |= {"expectedEniIpv6": None, "notChecked": []}  # empty keys: never an empty evidence row
            out.append(t)
        if fault:
            probe_errors.append({"instanceId": instance, "error": fault, "cause": cause})
        host_rows.append(
            {"instanceId": instance, "verdict": "INCONCLUSIVE" if fault else "ISOLATED", "error": fault,
             "counts": {"tasks": tasks_per_host}, "commandId": f"{h:08x}"}
        )  # fmt: skip
    doc = document(out)
    doc["hosts"], doc["probeErrors"] = host_rows, probe_errors
    return doc


MEMBER = "210987654321"


def several_accounts() -> dict[str, Any]:
    """An audit of the stack's own account and a member (issue 21): one cluster name in both, each
    task record naming its account, a task of the member not probed."""
    member_arn = ARN.replace("123456789012", MEMBER)
    own = [task(1, "ISOLATED", account="123456789012"), task(2, "VIOLATION", account="123456789012")]
    member = [
        task(3, "ISOLATED", account=MEMBER, taskArn=f"{member_arn}{3:032x}"),
        task(4, "INCONCLUSIVE", account=MEMBER, taskArn=f"{member_arn}{4:032x}"),
        task(5, "VIOLATION", account=MEMBER, taskArn=f"{member_arn}{5:032x}"),
    ]
    missing = {"taskArn": f"{member_arn}{6:032x}", "declaredMode": "none", "account": MEMBER}
    missing["reason"] = "no SSM"
    doc = document(own + member, not_probed=[missing])
    doc["audit"]["accounts"] = ["123456789012", MEMBER]
    return doc
