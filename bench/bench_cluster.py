"""Scale benchmark of the scheduled cluster audit, up to ECS's largest cluster (5,000 instances).

    .venv/bin/python bench/bench_cluster.py [--quick] [--scale-instances N] [--scale-tasks-per-instance 10]

Rows: 1,000 tasks / 100 instances, then the scale audit (`--scale-instances`, default 5,000, with
10 tasks each: 50,000 tasks) clean and with a fault mix on the simulated hosts (about 10% each:
SSM agent offline, command failed, command timed out, throttled sends, output over 24,000
characters read from S3, a container gone mid-probe; netaudit_local.hosts.fleet.FAULT_MIX). Every row
checks that every task is accounted for exactly once (a verdict, or not verified with its reason),
that the audit reported (no ERROR), that SSM commands = reachable instances, and no quota was hit
(history and 256 KiB payload are enforced by the local runner, the Map's children are Express).

The real ASL on moto's Step Functions engine, the real handlers in-process, moto for ECS/SSM/S3/
SNS, and `FleetHost`s (netaudit_local.hosts.fleet) as container instances: each answers the probe with
a `synthetic_probe` document for exactly the tasks placed on it; one task is tampered (an extra
interface in its netns) and must be the only VIOLATION.

Measured per scenario: SSM commands sent, Lambda invocations (every in-process handler call,
Distributed Map children included), state transitions, wall time, Lambda GB-seconds (in-process
handler time x the template's memory), S3 requests, and the estimated cost (bench/cost.py).

State transitions: counted in the histories of the execution and of its Distributed Map children
(one child execution per host, each with its own history as on AWS; netaudit_local.cloud.sfn_strict).
"""

import argparse
import contextlib
import io
import itertools
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ssm_rates
from cost import AuditUsage, estimate_usd, event_audit_usage, event_path_usd, express_billed_memory_mb
from netaudit.models.verdict import NETWORK_MODES, ExpectedTask
from netaudit.verdict import evaluate_probe
from netaudit.workflow.coverage import cause_of, of_not_probed
from netaudit_cli import history
from netaudit_cli.artifacts import read_object
from netaudit_local.cloud.account import REGION
from netaudit_local.cloud.aws import Seams, local_aws
from netaudit_local.cloud.stepfunctions import largest_payload
from netaudit_local.hosts.fleet import FAULT_MIX, Placer, apply_fault, fleet_hosts, spread
from netaudit_local.hosts.synthetic import synthetic_probe
from netaudit_local.stack import create_stack, run_execution

MEMORY_GB = {"ReportFunction": 0.5}  # template.yaml; the others use the Globals' 256 MB
DEFAULT_MEMORY_GB = 0.25
COST_TARGET_USD = 0.10  # per audit of 5,000 instances / 50,000 tasks (issue 15)
EVENT_TARGET_USD = 0.50  # per 10,000 task starts, event-driven (issue 15)
VERDICT_TARGET_S = 10.0
# Billed-duration models (the local run polls at 0 s and runs handlers in threads, so its clock is no
# measure of AWS time): a Lambda invocation is its measured CPU time plus LAMBDA_AWS_MS of AWS API
# round trips; an Express child lasts its polls x the template's PollIntervalSeconds plus its
# Lambda calls (EXPRESS_CALL_S each, sequential per host); the ceiling: every child at 5 minutes.
LAMBDA_AWS_MS = 80.0
POLL_INTERVAL_S = 5.0
EXPRESS_CALL_S = 0.3
EXPRESS_CEILING_S = 300.0


@dataclass
class Scenario:
    tasks: int
    instances: int
    faults: bool = False


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
    accounted: str = ""
    causes: dict[str, int] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    children: int = 0
    max_child_events: int = 0
    max_payload: int = 0
    ceiling_usd: float = 0.0
    throttled: int = 0
    reachable: int = 0
    ssm_calls: dict[str, int] = field(default_factory=dict)  # API -> requests (throttled included)


def _timed_invoke(seams: Seams, durations: list[tuple[str, float]]) -> None:
    """Each invocation's CPU time in its own thread (threads of the Map wait for each other)."""
    original = seams.invoke

    def invoke(function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        started = time.thread_time()
        try:
            return original(function_name, body, response_headers)
        finally:
            durations.append((function_name.rsplit(":", 1)[-1], time.thread_time() - started))

    seams.invoke = invoke  # type: ignore[method-assign]


def _throttle_sends(seams: Seams, every: int = 10) -> None:
    """One SendCommand in `every` answers ThrottlingException (boto3, then the Task's Retry,
    try again): "throttled sends" of the fault mix. SendCommand throttles before it reads the
    instance ids, so it is played here by count, not per host."""
    from moto.core.exceptions import JsonRESTError

    original = seams.maybe_throttle
    calls = itertools.count()

    def maybe_throttle(operation: str) -> None:
        if operation == "ssm:SendCommand" and next(calls) % every == every // 2:
            seams.throttled.append(operation)
            raise JsonRESTError("ThrottlingException", "Rate exceeded")
        original(operation)

    seams.maybe_throttle = maybe_throttle  # type: ignore[method-assign]


def _count_calls(seams: Seams, calls: Counter[str]) -> None:
    """Every request the seams answer (a throttled one included: AWS counts it too)."""
    original = seams.maybe_throttle

    def maybe_throttle(operation: str) -> None:
        calls[operation] += 1
        original(operation)

    seams.maybe_throttle = maybe_throttle  # type: ignore[method-assign]


def _express_seconds(child: Sequence[dict[str, Any]]) -> float:
    """Modelled billed duration of one Express child (see POLL_INTERVAL_S)."""
    names = [e["stateEnteredEventDetails"]["name"] for e in child if str(e["type"]).endswith("StateEntered")]
    hosts = max(1, names.count("SendProbe"))
    polls = -(-names.count("GetProbe") // hosts)  # per host, rounded up
    return polls * POLL_INTERVAL_S + 3 * EXPRESS_CALL_S


# --quick (and the test suite's smoke run): small sizes, one with the host faults
QUICK_SCENARIOS = (Scenario(4, 4), Scenario(40, 4), Scenario(60, 20, faults=True))


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
        hosts_by_id = {h.instance_id: h for h in hosts}
        fault_of = {
            h.instance_id: FAULT_MIX[n % len(FAULT_MIX)] if scenario.faults else ""
            for n, h in enumerate(hosts)
        }
        # the synthetic tamper (an extra interface in the task's netns) needs a netns of its own,
        # on a host without a fault (it must be the one VIOLATION found)
        tampered = next(
            a for a in arns[len(arns) // 2 :] if mode_of[a] != "host" and not fault_of[seams.task_hosts[a]]
        )
        hosts_by_id[seams.task_hosts[tampered]].violating.add(tampered)
        for host in hosts:
            apply_fault(host, fault_of[host.instance_id])
        if scenario.faults:
            _throttle_sends(seams)
        calls: Counter[str] = Counter()
        _count_calls(seams, calls)
        _timed_invoke(seams, durations)
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # the handlers' logs and EMF blobs
            result = run_execution(
                stack, "bench", {"target": {"kind": "cluster"}, "pollIntervalSeconds": 0}, timeout_s=7200
            )
        wall = time.perf_counter() - started
        s3 = boto3.client("s3", region_name=REGION)
        puts = sum(
            page.get("KeyCount", 0)
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.bucket)
        )
        report = history.audit_report(result.history)
        if "evidenceUri" not in report:
            raise RuntimeError(f"the audit did not report: {result.status} {result.error}: {result.cause}")
        evidence = json.loads(read_object(s3, report["evidenceUri"]))
        commands = len(seams.commands)
        throttled = len(seams.throttled)
        definition_bytes = len(
            boto3.client("stepfunctions", region_name=REGION)
            .describe_state_machine(stateMachineArn=stack.state_machine_arn)["definition"]
            .encode()
        )
    by_function = Counter(name for name, _ in durations)
    # Billed Standard transitions: the parent's states, plus one per child it started; the
    # children are Express (billed by request and duration, below).
    parent = history.transitions(result.history)
    transitions = parent + len(result.children)
    how = f"parent {parent} + {len(result.children)} children started"
    gb_s = sum(
        (d + LAMBDA_AWS_MS / 1000) * MEMORY_GB.get(n.removeprefix("netaudit-"), DEFAULT_MEMORY_GB)
        for n, d in durations
    )
    # S3 GETs: the ItemReader, resolved.json, one per host result (Report), outputs read from S3
    gets = 2 + scenario.instances + sum(1 for t in evidence["hosts"] if t.get("outputS3Uri"))
    violations = [t["taskArn"] for t in evidence["tasks"] if t["verdict"] == "VIOLATION"]
    payload = largest_payload(result.children)
    memory_mb = express_billed_memory_mb(definition_bytes, payload, 25)
    express_s = [_express_seconds(c) for c in result.children]
    usage = AuditUsage(
        state_transitions=transitions,
        lambda_invocations=len(durations),
        lambda_gb_seconds=gb_s,
        s3_puts=puts,
        s3_gets=gets,
        sns_publishes=1,
        ssm_commands=commands,
        findings=len(violations),
        express_durations_s=express_s,
        express_memory_mb=memory_mb,
    )
    ceiling = estimate_usd(
        AuditUsage(**{**usage.__dict__, "express_durations_s": [EXPRESS_CEILING_S] * len(express_s)})
    )["total"]
    # every task exactly once: a verdict, or not verified with its reason
    seen = [t["taskArn"] for t in evidence["tasks"]] + [t["taskArn"] for t in evidence["notProbed"]]
    dupes = len(seen) - len(set(seen))
    missing = set(arns) - set(seen)
    accounted = (
        "every task once"
        if not dupes and not missing and len(seen) == len(arns)
        else (f"WRONG: {len(missing)} missing, {dupes} twice")
    )
    causes = Counter(
        cause_of(t["verdict"], t.get("reasons") or [], t.get("cause"))[1] for t in evidence["tasks"]
    ) + Counter(of_not_probed(t)[1] for t in evidence["notProbed"])
    if throttled:
        causes["(SendCommand throttled, then retried)"] = throttled
    big = [h for h in hosts if fault_of[h.instance_id] == "output over 24,000 characters"]
    if big:
        big_ids = {h.instance_id for h in big}
        read = sum(
            1 for t in evidence["tasks"] if t.get("instanceId") in big_ids and t["verdict"] != "INCONCLUSIVE"
        )
        causes[f"(of the verified: output over 24,000 characters read from S3, {len(big)} hosts)"] = read
    return Row(
        scenario=scenario,
        map_used="distributed, express",
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
        accounted=accounted,
        causes=dict(sorted(causes.items())),
        coverage=dict(report.get("coverage") or {}),
        children=len(result.children),
        max_child_events=max((len(c) for c in result.children), default=0),
        max_payload=max(payload, largest_payload([result.history])),
        ceiling_usd=ceiling,
        throttled=throttled,
        reachable=sum(1 for h in hosts if h.faults.ping_status == "Online"),
        ssm_calls={k: v for k, v in calls.items() if k.startswith("ssm:")},
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
    out: list[list[str]] = [[] for _ in range(instances)]
    for n in range(tasks):
        out[n % instances].append(NETWORK_MODES[(n // instances) % len(NETWORK_MODES)])
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
        "accounted",
        "coverage",
    )
    lines = [" | ".join(head), " | ".join("---" for _ in head)]
    for r in rows:
        found = "exactly the tampered task" if r.violations == [r.tampered] else f"WRONG: {r.violations}"
        cov = r.coverage
        covered = f"{cov.get('verified')}/{cov.get('inScope')} ({cov.get('percent')}%)" if cov else "?"
        lines.append(
            " | ".join(
                [
                    f"{r.scenario.tasks:,}",
                    f"{r.scenario.instances:,}" + (" +faults" if r.scenario.faults else ""),
                    r.map_used,
                    str(r.ssm_commands),
                    str(r.lambda_invocations),
                    f"{r.transitions} ({r.transitions_how})",
                    f"{r.wall_s:.1f}",
                    f"{r.lambda_gb_s:.2f}",
                    f"{r.s3_puts}/{r.s3_gets}",
                    f"${r.cost['total']:.4f} (ceiling ${r.ceiling_usd:.4f})",
                    found,
                    r.accounted,
                    covered,
                ]
            )
        )
    return "\n".join(lines)


def _quotas(rows: Sequence[Row]) -> None:
    for r in rows:
        print(
            f"quotas {r.scenario.tasks:,} tasks / {r.scenario.instances:,} instances"
            f"{' +faults' if r.scenario.faults else ''}: {r.children} Express children (max "
            f"{r.max_child_events} events each; Express: no history quota, 5 minutes), largest state "
            f"payload {r.max_payload:,} bytes (quota 262,144), SSM commands {r.ssm_commands:,} = reachable "
            f"instances {r.reachable:,}"
        )


def _causes(rows: Sequence[Row]) -> None:
    for r in rows:
        if not r.scenario.faults:
            continue
        cov = r.coverage
        print(
            f"faults {r.scenario.tasks:,} tasks / {r.scenario.instances:,} instances: audit "
            f"{'reported' if r.verdict != 'ERROR' else 'ERRORED'} ({r.verdict}); coverage "
            f"{cov.get('verified')}/{cov.get('inScope')} verified, {cov.get('notVerifiable')} not "
            f"verifiable, {cov.get('failed')} failed, {cov.get('stopped')} stopped"
        )
        for cause, n in r.causes.items():
            print(f"  {n:>7,}  {cause}")


def _extrapolate(rows: Sequence[Row], target_instances: int) -> None:
    """Every usage term is linear in instances (one Express child per 25 hosts, about 3 Lambda
    calls, 2 S3 PUTs and 1 GET per host), so cost(N) = cost(n) x N / n; wall time on this machine
    is linear too (the handlers run one host at a time under the GIL)."""
    for r in rows:
        n = r.scenario.instances
        if n >= target_instances:
            continue
        k = target_instances / n
        print(
            f"extrapolated from {n:,} to {target_instances:,} instances"
            f"{' +faults' if r.scenario.faults else ''} (x{k:g}, linear): cost ${r.cost['total'] * k:.4f} "
            f"(ceiling ${r.ceiling_usd * k:.4f}), wall {r.wall_s * k:.0f} s here, "
            f"{-(-target_instances // 25)} Express children"
        )


def _max_rss_mb() -> float:
    """The process's peak resident memory (Linux reports ru_maxrss in KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke run)")
    parser.add_argument("--scale-instances", type=int, default=5000, help="instances of the scale rows")
    parser.add_argument("--scale-tasks-per-instance", type=int, default=10)
    args = parser.parse_args(argv)
    # moto logs every Fail state as an exception; the audit's result is read from the execution.
    logging.getLogger("moto").addHandler(logging.NullHandler())
    logging.getLogger("moto").propagate = False
    if args.quick:
        scenarios = list(QUICK_SCENARIOS)
    else:
        n = args.scale_instances
        scale = n * args.scale_tasks_per_instance
        scenarios = [Scenario(1000, 100), Scenario(scale, n), Scenario(scale, n, faults=True)]
    rows = []
    for scenario in scenarios:
        started = time.perf_counter()
        rows.append(run_scenario(scenario))
        print(
            f"ran {scenario.tasks:,} tasks / {scenario.instances:,} instances"
            f"{' +faults' if scenario.faults else ''} in {time.perf_counter() - started:.0f} s "
            f"(set-up included), max RSS so far {_max_rss_mb():,.0f} MB",
            flush=True,
        )
        print(table(rows[-1:]).splitlines()[-1], flush=True)  # the row now: a long run may be cut
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
        print(f"cost {r.scenario.tasks:,} tasks / {r.scenario.instances:,} instances: {parts}")
    _quotas(rows)
    clean = max((r for r in rows if not r.scenario.faults), key=lambda r: r.scenario.instances)
    print("\n".join(ssm_rates.report(clean.reachable, clean.ssm_calls)))
    _causes(rows)
    if not args.quick:
        _extrapolate(rows[1:], 5000)
    for per_batch in (1, 10, 50, 100):
        usd = event_path_usd(10_000, per_batch)
        audits = -(-10_000 // per_batch)
        parts = estimate_usd(event_audit_usage(per_batch, -(-per_batch // 10)))
        top = sorted((v, k) for k, v in parts.items() if k != "total")[-2:]  # what dominates
        print(
            f"event-driven: 10,000 task starts in batches of {per_batch}: ${usd:.3f} "
            f"({'under' if usd < EVENT_TARGET_USD else 'OVER'} the ${EVENT_TARGET_USD} target; "
            + ", ".join(f"{k} ${v * audits:.2f}" for v, k in reversed(top))
            + ")"
        )
    ok = all(
        r.ssm_commands == r.reachable
        and r.violations == [r.tampered]
        and r.accounted == "every task once"
        and r.verdict != "ERROR"
        for r in rows
    )
    scaled = rows if args.quick else rows[1:]
    per_5000 = [r.cost["total"] * (1 if args.quick else 5000 / r.scenario.instances) for r in scaled]
    ok = ok and all(c < COST_TARGET_USD for c in per_5000) and work < VERDICT_TARGET_S
    print(
        f"Lambda GB-s: measured CPU time per invocation + {LAMBDA_AWS_MS:.0f} ms of AWS calls, x the "
        f"template's memory. Express duration: polls x {POLL_INTERVAL_S:.0f} s + {EXPRESS_CALL_S} s per "
        f"Lambda call (ceiling: every child at {EXPRESS_CEILING_S:.0f} s). Target: < ${COST_TARGET_USD} "
        "per 5,000-instance audit."
    )
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
