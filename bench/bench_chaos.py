"""The scale audit with a share of every AWS call failing (issue 25), next to the same audit clean.

    .venv/bin/python bench/bench_chaos.py [--instances 5000] [--tasks-per-instance 10]
        [--rate 0.05] [--seed 1]

Both rows are bench_cluster's scale scenario (FleetHosts, one tampered task, the real ASL, handlers
and probe parser); the second with netaudit_local.cloud.chaos answering RATE of the audit's calls
(the functions', the state machine's Lambda invokes and Map S3 reads/writes) as AWS does when it
throttles, fails (5xx) or loses the answer. What must hold: the same verdicts (the tampered task
the only VIOLATION, every other task verified ISOLATED, or INCONCLUSIVE naming the call), every task
once, one SSM command per host. Measured: faults injected, retries made (by the clients; by the
state machine: its extra Lambda invocations), and the cost delta, the functions' waits before their
retries included (billed Lambda time the in-process CPU clock does not see).
"""

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cluster import DEFAULT_MEMORY_GB, Row, Scenario, run_scenario
from cost import LAMBDA_ARM_PER_GB_SECOND
from netaudit_local.cloud import chaos


def _line(name: str, r: Row, extra: str = "") -> str:
    return (
        f"| {name} | {r.scenario.tasks:,} / {r.scenario.instances:,} | {r.verdict} | {r.accounted} | "
        f"{r.ssm_commands:,} | {r.lambda_invocations:,} | {r.transitions:,} | {r.wall_s:,.0f} s | "
        f"${r.cost['total']:.4f} | {extra} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument("--tasks-per-instance", type=int, default=10)
    parser.add_argument("--rate", type=float, default=0.05, help="share of the audit's AWS calls failing")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    logging.getLogger("moto").addHandler(logging.NullHandler())
    logging.getLogger("moto").propagate = False
    scenario = Scenario(args.instances * args.tasks_per_instance, args.instances)
    started = time.perf_counter()
    clean = run_scenario(scenario)
    print(f"clean row in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    with chaos.armed(chaos.Chaos(args.rate, args.seed)) as c:
        faulty = run_scenario(scenario)
    print(f"row with {args.rate:.0%} faults in {time.perf_counter() - started:.0f} s", flush=True)
    waits_usd = c.backoff_s * DEFAULT_MEMORY_GB * LAMBDA_ARM_PER_GB_SECOND
    delta = faulty.cost["total"] + waits_usd - clean.cost["total"]
    print(
        "| row | tasks / instances | verdict | accounted | SSM commands | Lambda invocations | "
        "transitions | wall | cost | faults |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(_line("clean", clean))
    print(
        _line(
            f"{args.rate:.0%} of calls failing (seed {args.seed})",
            faulty,
            f"{c.faults():,} injected in {sum(c.attempts.values()):,} attempts",
        )
    )
    by_kind = {k: sum(n for (_, kind), n in c.injected.items() if kind == k) for k in chaos.KINDS}
    invokes = _per_op(c).get("lambda.Invoke", 0)
    print(
        f"faults: {by_kind}; retries by the functions' clients {sum(c.retries.values()):,}; "
        f"by the state machine's Retry: {invokes:,} Lambda invokes failed, "
        f"{faulty.lambda_invocations - clean.lambda_invocations:+,} invocations (answers lost: ran twice)"
    )
    print(
        "most faulted: "
        + ", ".join(f"{op} {n}" for op, n in sorted(_per_op(c).items(), key=lambda kv: -kv[1])[:6])
    )
    print(
        f"cost delta: ${delta:+.5f} per audit (${faulty.cost['total'] - clean.cost['total']:+.5f} metered, "
        f"${waits_usd:.5f} for {c.backoff_s:,.0f} s of the functions' waits before retries)"
    )
    same = (
        faulty.violations == [faulty.tampered]
        and faulty.accounted == clean.accounted == "every task once"
        and faulty.causes == clean.causes
        and faulty.ssm_commands == clean.ssm_commands == faulty.reachable
    )
    print(
        "verdicts unchanged, every task once, one SSM command per host"
        if same
        else f"DIFFERENT: {faulty.causes} vs {clean.causes}; "
        f"commands {faulty.ssm_commands}/{faulty.reachable}"
    )
    return 0 if same else 1


def _per_op(c: chaos.Chaos) -> dict[str, int]:
    out: dict[str, int] = {}
    for (op, _), n in c.injected.items():
        out[op] = out.get(op, 0) + n
    return out


if __name__ == "__main__":
    sys.exit(main())
