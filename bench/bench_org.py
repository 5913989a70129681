"""The organization row (issue 21): one audit of the hub's own account and its member accounts.

    .venv/bin/python bench/bench_org.py [--accounts 20] [--instances-per-account 250] \
        [--tasks-per-instance 10]

`--accounts` counts the hub's own account: 20 = the hub and 19 members, each with
`--instances-per-account` simulated container instances (FleetHost, netaudit_local.hosts.fleet) in
its cluster `default`, `--tasks-per-instance` tasks each; one member's task is tampered and must be
the only VIOLATION. The real ASL on moto's engine, the real handlers in-process, every member
call through its member role (AssumeRole decided by iam-simulate on the function's policies and
the role's trust policy, every member call on the member role's policies).

Measured: STS AssumeRole calls (each function environment assumes each member role once per
execution: ResolveHosts, SendProbe, GetProbe), SSM commands (= hosts), state transitions (parent
+ children started), the largest state payload and the largest history (parent and children),
the estimated cost (bench/cost.py; STS is free), and that every task is accounted for once.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cluster import (
    DEFAULT_MEMORY_GB,
    LAMBDA_AWS_MS,
    MEMORY_GB,
    _express_seconds,
    _timed_invoke,
)
from cost import AuditUsage, estimate_usd, express_billed_memory_mb
from netaudit_cli import history
from netaudit_cli.artifacts import read_object
from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.cloud.aws import local_aws
from netaudit_local.cloud.stepfunctions import largest_payload
from netaudit_local.hosts.fleet import Placer, fleet_hosts, spread
from netaudit_local.org import create_member
from netaudit_local.stack import create_stack, run_execution

COST_TARGET_USD = 0.12  # per audit of 20 accounts x 250 instances (issue 21)
MODES = ("none", "bridge", "host")  # no awsvpc: the members' subnets are not the hub's


def member_ids(count: int) -> list[str]:
    return [f"{200000000000 + n:012d}" for n in range(1, count)]


def run(accounts: int, per_account: int, per_instance: int) -> dict[str, object]:
    import boto3

    members = member_ids(accounts)
    every = [ACCOUNT, *members]
    hosts = fleet_hosts(accounts * per_account)
    for n, host in enumerate(hosts):
        host.account = "" if n < per_account else every[n // per_account]  # type: ignore[attr-defined]
    durations: list[tuple[str, float]] = []
    with local_aws(hosts, in_progress_polls=0) as seams:
        stack = create_stack(seams, {"MemberAccounts": ",".join(members), "MapMaxConcurrency": 40})
        created = {a: create_member(stack, a) for a in members}
        arns: list[str] = []
        tampered = ""
        for index, account in enumerate(every):
            mine = hosts[index * per_account : (index + 1) * per_account]
            if account == ACCOUNT:
                placer = Placer(seams, "default", stack.container_instances, stack.subnet_id)
            else:
                member = created[account]
                placer = Placer(
                    seams, "default", member.container_instances, account=account, ecs=member.client("ecs")
                )
            layout = spread(per_account * per_instance, mine, MODES)
            for host in mine:
                placed = placer.place(host, layout[host.instance_id])
                arns += placed
                if account == every[-1] and not tampered:
                    tampered = next(
                        a for a, m in zip(placed, layout[host.instance_id], strict=True) if m != "host"
                    )
                    host.violating.add(tampered)
        _timed_invoke(seams, durations)
        started = time.perf_counter()
        payload = {"accounts": "*", "target": {"kind": "cluster"}, "pollIntervalSeconds": 0}
        with contextlib.redirect_stdout(io.StringIO()):
            result = run_execution(stack, "bench-org", payload, timeout_s=7200)
        wall = time.perf_counter() - started
        s3 = boto3.client("s3", region_name=REGION)
        report = history.audit_report(result.history)
        if "evidenceUri" not in report:
            raise RuntimeError(f"the audit did not report: {result.status} {result.error}: {result.cause}")
        evidence = json.loads(read_object(s3, report["evidenceUri"]))
        puts = sum(
            p.get("KeyCount", 0) for p in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.bucket)
        )
        commands = len(seams.commands)
        sts = sum(1 for _, action, _ in seams.iam.log if action == "sts:AssumeRole")
        definition = (
            boto3.client("stepfunctions", region_name=REGION)
            .describe_state_machine(stateMachineArn=stack.state_machine_arn)["definition"]
            .encode()
        )
    parent = history.transitions(result.history)
    transitions = parent + len(result.children)
    gb_s = sum(
        (d + LAMBDA_AWS_MS / 1000) * MEMORY_GB.get(n.removeprefix("netaudit-"), DEFAULT_MEMORY_GB)
        for n, d in durations
    )
    violations = [t["taskArn"] for t in evidence["tasks"] if t["verdict"] == "VIOLATION"]
    child_payload = largest_payload(result.children)
    usage = AuditUsage(
        state_transitions=transitions,
        lambda_invocations=len(durations),
        lambda_gb_seconds=gb_s,
        s3_puts=puts,
        s3_gets=2 + len(hosts),
        sns_publishes=1,
        ssm_commands=commands,
        findings=len(violations),
        express_durations_s=[_express_seconds(c) for c in result.children],
        express_memory_mb=express_billed_memory_mb(len(definition), child_payload, 25),
    )
    seen = [t["taskArn"] for t in evidence["tasks"]] + [t["taskArn"] for t in evidence["notProbed"]]
    once = len(seen) == len(set(seen)) == len(arns) and set(seen) == set(arns)
    by_account = Counter(str(t.get("account")) for t in evidence["tasks"])
    return {
        "accounts": accounts,
        "instances": len(hosts),
        "tasks": len(arns),
        "verdict": report.get("verdict"),
        "violations": violations,
        "tamperedFound": violations == [tampered],
        "stsAssumeRole": sts,
        # on AWS each concurrent Lambda environment assumes once: at most ResolveHosts once per
        # member, SendProbe and GetProbe once per member host (each in a fresh environment)
        "stsAssumeRoleAtMost": len(members) + 2 * (len(hosts) - per_account),
        "ssmCommands": commands,
        "transitions": transitions,
        "transitionsHow": f"parent {parent} + {len(result.children)} children started",
        "largestPayloadBytes": max(child_payload, largest_payload([result.history])),
        "largestHistoryEvents": max([len(result.history), *(len(c) for c in result.children)]),
        "parentHistoryEvents": len(result.history),
        "costUsd": estimate_usd(usage),
        "everyTaskOnce": once,
        "accountsWithTasks": len(by_account),
        "wallS": round(wall, 1),
        "lambdaInvocations": len(durations),
    }


def table(row: dict[str, object]) -> str:
    cost = row["costUsd"]
    total = cost["total"] if isinstance(cost, dict) else float("nan")
    ok = (
        row["everyTaskOnce"]
        and row["tamperedFound"]
        and row["ssmCommands"] == row["instances"]
        and total < COST_TARGET_USD
    )
    return "\n".join(
        [
            "| accounts | instances | tasks | STS AssumeRole | SSM commands | transitions | largest state | "
            "largest history | cost/audit | every task once | wall |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            f"| {row['accounts']} | {row['instances']} | {row['tasks']} | {row['stsAssumeRole']} "
            f"(AWS: at most {row['stsAssumeRoleAtMost']}) | "
            f"{row['ssmCommands']} | {row['transitions']} ({row['transitionsHow']}) | "
            f"{row['largestPayloadBytes']:,} B | {row['largestHistoryEvents']} events (parent "
            f"{row['parentHistoryEvents']}) | ${total:.4f} (target < ${COST_TARGET_USD}) | "
            f"{'yes' if row['everyTaskOnce'] else 'NO'} | {row['wallS']} s |",
            "",
            "OK" if ok else "SLOW/WRONG: a target was missed",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=20, help="accounts, the hub's own included")
    parser.add_argument("--instances-per-account", type=int, default=250)
    parser.add_argument("--tasks-per-instance", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    row = run(args.accounts, args.instances_per_account, args.tasks_per_instance)
    print(json.dumps(row, default=str) if args.json else table(row))
    return 0 if row["everyTaskOnce"] and row["tamperedFound"] else 1


if __name__ == "__main__":
    # moto logs every Fail state as an exception; the audit's result is read from the execution
    # (as bench_cluster does; here only for the script's life, not for the test that calls main)
    logging.getLogger("moto").addHandler(logging.NullHandler())
    logging.getLogger("moto").propagate = False
    sys.exit(main())
