"""Scale benchmark of the scheduled cluster audit: 1,000 tasks on 100 simulated instances.

    .venv/bin/python bench/bench_cluster.py [--quick]

The real ASL on moto's Step Functions engine, the real handlers in-process, moto for ECS/SSM/S3/
SNS, and `FleetHost`s (netaudit_local.fleet) as container instances: each answers the probe with
a `synthetic_probe` document for exactly the tasks placed on it; one task is tampered (an extra
interface in its netns) and must be the only VIOLATION.

Measured per scenario: SSM commands sent, Lambda invocations (every in-process handler call,
Distributed Map children included), state transitions, wall time, Lambda GB-seconds (in-process
handler time x the template's memory), S3 requests, and the estimated cost (bench/cost.py).

State transitions: counted in the histories of the execution and of its Distributed Map children
(one child execution per host, each with its own history as on AWS; netaudit_local.sfn_strict).
"""

import argparse
import contextlib
import io
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cost import AuditUsage, estimate_usd
from netaudit.models.verdict import ExpectedTask
from netaudit.verdict import evaluate_probe
from netaudit_local.aws_seams import REGION, Seams, local_aws
from netaudit_local.fleet import Placer, fleet_hosts, spread
from netaudit_local.stack import create_stack, run_execution
from netaudit_local.synthetic import synthetic_probe

MEMORY_GB = {"ReportFunction": 0.5}  # template.yaml; the others use the Globals' 256 MB
DEFAULT_MEMORY_GB = 0.25
COST_TARGET_USD = 0.05
VERDICT_TARGET_S = 10.0


@dataclass
class Scenario:
    tasks: int
    instances: int


@dataclass
class Row:
    scenario: Scenario
    map_used: str
    ssm_commands: int
    lambda_invocations: int
    transitions: int
    transitions_how: str
    wall_s: float
    lambda_gb_s: float
    s3_puts: int
    s3_gets: int
    cost: dict[str, float]
    violations: list[str]
    tampered: str
    verdict: str
    by_function: dict[str, int]


def _timed_invoke(seams: Seams, durations: list[tuple[str, float]]) -> None:
    original = seams.invoke

    def invoke(function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        started = time.perf_counter()
        try:
            return original(function_name, body, response_headers)
        finally:
            durations.append((function_name.rsplit(":", 1)[-1], time.perf_counter() - started))

    seams.invoke = invoke  # type: ignore[method-assign]


def run_scenario(scenario: Scenario) -> Row:
    import boto3

    hosts = fleet_hosts(scenario.instances)
    durations: list[tuple[str, float]] = []
    with local_aws(hosts, in_progress_polls=0) as seams:
        stack = create_stack(seams, {"MapMaxConcurrency": 40})
        placer = Placer(seams, stack.cluster, stack.container_instances, stack.subnet_id)
        layout = spread(scenario.tasks, hosts)
        arns: list[str] = []
        mode_of: dict[str, str] = {}
        for host in hosts:
            placed = placer.place(host, layout[host.instance_id])
            mode_of.update(zip(placed, layout[host.instance_id], strict=True))
            arns += placed
        # the synthetic tamper (an extra interface in the task's netns) needs a netns of its own
        tampered = next(a for a in arns[len(arns) // 2 :] if mode_of[a] != "host")
        hosts_by_id = {h.instance_id: h for h in hosts}
        hosts_by_id[seams.task_hosts[tampered]].violating.add(tampered)
        _timed_invoke(seams, durations)
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # the handlers' logs and EMF blobs
            result = run_execution(
                stack, "bench", {"target": {"kind": "cluster"}, "pollIntervalSeconds": 0}, timeout_s=900
            )
        wall = time.perf_counter() - started
        s3 = boto3.client("s3", region_name=REGION)
        puts = sum(
            page.get("KeyCount", 0)
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.bucket)
        )
        report = {}
        for event in reversed(result.history):
            details = event.get("stateExitedEventDetails") or {}
            if details.get("name") == "Report":
                report = json.loads(details["output"])["report"]
                break
        if "evidenceUri" not in report:
            raise RuntimeError(f"the audit did not report: {result.status} {result.error}: {result.cause}")
        uri = report["evidenceUri"]
        key = uri.split("/", 3)[3]
        evidence = json.loads(s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read())
        commands = len(seams.commands)
    by_function = Counter(name for name, _ in durations)
    transitions = result.transitions
    how = f"counted: parent + {len(result.children)} children"
    gb_s = sum(d * MEMORY_GB.get(n.removeprefix("netaudit-"), DEFAULT_MEMORY_GB) for n, d in durations)
    # S3 GETs: the ItemReader, resolved.json and one per host result (Report)
    gets = 2 + scenario.instances
    violations = [t["taskArn"] for t in evidence["tasks"] if t["verdict"] == "VIOLATION"]
    usage = AuditUsage(
        state_transitions=transitions,
        lambda_invocations=len(durations),
        lambda_gb_seconds=gb_s,
        s3_puts=puts,
        s3_gets=gets,
        sns_publishes=1,
        ssm_commands=commands,
        findings=len(violations),
    )
    return Row(
        scenario=scenario,
        map_used="distributed",
        ssm_commands=commands,
        lambda_invocations=len(durations),
        transitions=transitions,
        transitions_how=how,
        wall_s=wall,
        lambda_gb_s=gb_s,
        s3_puts=puts,
        s3_gets=gets,
        cost=estimate_usd(usage),
        violations=violations,
        tampered=tampered,
        verdict=str(report.get("verdict")),
        by_function=dict(by_function),
    )


def verdict_work(tasks: int, instances: int) -> float:
    """Seconds for the verdict engine alone: parse + rules over `instances` probe documents."""
    per_host = [
        [
            ExpectedTask(f"arn:aws:ecs:us-east-1:123456789012:task/c/{h:016x}{n:016x}", m, "10.0.0.9")
            for n, m in enumerate(modes)
        ]
        for h, modes in enumerate(_modes_per_host(tasks, instances))
    ]
    documents = [
        synthetic_probe(expected, violating={expected[0].task_arn} if i == 0 else ())
        for i, expected in enumerate(per_host)
    ]
    started = time.perf_counter()
    verdicts = [v for doc, exp in zip(documents, per_host, strict=True) for v in evaluate_probe(doc, exp)]
    elapsed = time.perf_counter() - started
    assert len(verdicts) == tasks and sum(v.verdict == "VIOLATION" for v in verdicts) == 1
    return elapsed


def _modes_per_host(tasks: int, instances: int) -> list[list[str]]:
    modes = ("none", "bridge", "host", "awsvpc")
    out: list[list[str]] = [[] for _ in range(instances)]
    for n in range(tasks):
        out[n % instances].append(modes[(n // instances) % len(modes)])
    return out


def table(rows: Sequence[Row]) -> str:
    head = (
        "tasks",
        "instances",
        "map",
        "SSM cmds",
        "Lambda inv",
        "transitions",
        "wall s",
        "Lambda GB-s",
        "S3 PUT/GET",
        "est. USD",
        "VIOLATION found",
    )
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for r in rows:
        found = "exactly the tampered task" if r.violations == [r.tampered] else f"WRONG: {r.violations}"
        lines.append(
            " | ".join(
                [
                    f"{r.scenario.tasks:,}",
                    str(r.scenario.instances),
                    r.map_used,
                    str(r.ssm_commands),
                    str(r.lambda_invocations),
                    f"{r.transitions} ({r.transitions_how})",
                    f"{r.wall_s:.1f}",
                    f"{r.lambda_gb_s:.2f}",
                    f"{r.s3_puts}/{r.s3_gets}",
                    f"${r.cost['total']:.4f}",
                    found,
                ]
            )
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke run)")
    args = parser.parse_args(argv)
    # moto logs every Fail state as an exception; the audit's result is read from the execution.
    logging.getLogger("moto").addHandler(logging.NullHandler())
    logging.getLogger("moto").propagate = False
    if args.quick:
        scenarios = [Scenario(4, 4), Scenario(40, 4)]
    else:
        scenarios = [
            Scenario(100, 100),
            Scenario(100, 40),
            Scenario(400, 40),  # same 40 hosts, 4x the tasks: transitions follow hosts, not tasks
            Scenario(1000, 100),
            Scenario(1000, 50),
        ]
    rows = [run_scenario(s) for s in scenarios]
    big = max(s.tasks for s in scenarios)
    work = verdict_work(big, max(s.instances for s in scenarios))
    print(table(rows))
    print()
    print(
        f"verdict work alone (parse + rules, {big:,} tasks over {max(s.instances for s in scenarios)} "
        f"probe documents): {work:.2f} s (target < {VERDICT_TARGET_S:.0f} s)"
    )
    for r in rows:
        parts = ", ".join(f"{k} ${v:.5f}" for k, v in r.cost.items() if k != "total" and v)
        print(f"cost {r.scenario.tasks:,} tasks / {r.scenario.instances} instances ({r.map_used}): {parts}")
    ok = all(r.ssm_commands == r.scenario.instances and r.violations == [r.tampered] for r in rows)
    ok = ok and all(r.cost["total"] < COST_TARGET_USD for r in rows) and work < VERDICT_TARGET_S
    print(
        "Lambda GB-s: in-process handler time x the template's memory; Distributed Map children run "
        "in threads here, so their times include waiting for each other (an upper bound)."
    )
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
