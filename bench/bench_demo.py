"""Benchmark: `netaudit demo` (none mode) against the bare work it orchestrates.

    .venv/bin/python bench/bench_demo.py [--runs 5]

- demo, process: `netaudit demo --network-mode none --json` as a person runs it (interpreter
  start, moto, the state machine, the real container, the report), wall time of the process; its
  JSON gives the phases (set-up: imports, moto, stack; then the execution's phases).
- bare, process: what a person would type by hand: `docker run -d --network none` of an
  ECS-labelled busybox, the template's probe script through the local SSM runner
  (`python -c ...run_document...`), `docker rm -f`.
- the same two in this process (no interpreter start; imports already warm after run 1):
  `netaudit_local.demo.run.run_demo` and docker run + `run_document` + docker rm.

The process runs are paired (bare, then demo, `--runs` times) so a busy machine slows both
alike; the load average is printed with the table. Median of the runs; ratio demo / bare of the
medians. Targets (issue 24): the demo (process) within 4x the bare work (process), under 5 s;
a missed target fails the bench (exit 1).
"""

import argparse
import io
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from netaudit_local.demo.options import DemoOptions
from netaudit_local.demo.run import run_demo
from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts.ssm_runner import run_document
from netaudit_local.template import probe_document

ROOT = Path(__file__).resolve().parents[1]
RATIO_TARGET = 4.0
DEMO_TARGET_S = 5.0
PROBE_SNIPPET = (
    "import sys; from netaudit_local.hosts.ssm_runner import run_document; "
    "from netaudit_local.template import probe_document; "
    "o = run_document(probe_document(), {'taskArn': sys.argv[1]}, 60); "
    "sys.exit(0 if o.status == 'Success' and sys.argv[2] in o.stdout else 1)"
)


def _docker_run(arn: str, run: str) -> str:
    return subprocess.run(
        [
            "docker", "run", "-d", "--name", f"{run}-{arn[-8:]}", "--network", "none",
            "--label", f"{dt.TASK_ARN_LABEL}={arn}", "--label", f"{dt.CONTAINER_NAME_LABEL}=app",
            "--label", f"{dt.LOCAL_LABEL}=1", "--label", f"{dt.RUN_LABEL}={run}",
            "busybox", "sleep", "3600",
        ],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def bare_process(run: str) -> float:
    arn = dt.new_task_arn("netaudit-bench")
    t0 = time.perf_counter()
    cid = _docker_run(arn, run)
    subprocess.run([sys.executable, "-c", PROBE_SNIPPET, arn, cid], check=True)
    subprocess.run(["docker", "rm", "-f", cid], capture_output=True, check=True)
    return time.perf_counter() - t0


def bare_in_process(run: str) -> float:
    arn = dt.new_task_arn("netaudit-bench")
    doc = probe_document()
    t0 = time.perf_counter()
    cid = _docker_run(arn, run)
    outcome = run_document(doc, {"taskArn": arn}, 60)
    subprocess.run(["docker", "rm", "-f", cid], capture_output=True, check=True)
    elapsed = time.perf_counter() - t0
    assert outcome.status == "Success" and cid in outcome.stdout, outcome
    return elapsed


PHASES: list[dict[str, float]] = []  # per demo process run: set-up parts and execution phases


def demo_process(run: str) -> float:
    netaudit = Path(sys.executable).with_name("netaudit")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(netaudit), "demo", "--network-mode", "none", "--json"], capture_output=True, text=True
    )
    elapsed = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    setup = {f"setup: {k}": float(v) for k, v in (summary.get("setupDetail") or {}).items()}
    phases = {k: float(v) for k, v in (summary.get("phases") or {}).items() if k != "setup"}
    PHASES.append({"process": elapsed, **setup, **phases})
    return elapsed


def demo_in_process(run: str) -> float:
    t0 = time.perf_counter()
    result = run_demo(
        DemoOptions(network_mode="none", run_label=f"{run}-{secrets.token_hex(2)}"), io.StringIO()
    )
    elapsed = time.perf_counter() - t0
    assert result.exit_code == 0, result.summary
    return elapsed


def median_of(fn: Callable[[str], float], runs: int, run: str) -> tuple[float, float, list[float]]:
    times = [fn(run) for _ in range(runs)]
    return statistics.median(times), min(times), times


def paired(runs: int, run: str) -> dict[str, tuple[float, float, list[float]]]:
    """bare and demo as processes, one after the other, `runs` times."""
    bare: list[float] = []
    demo: list[float] = []
    for _ in range(runs):
        bare.append(bare_process(run))
        demo.append(demo_process(run))
    return {
        "bare, process": (statistics.median(bare), min(bare), bare),
        "demo, process": (statistics.median(demo), min(demo), demo),
    }


def _phase_table() -> list[str]:
    names = list(dict.fromkeys(k for p in PHASES for k in p))
    lines = [f"demo phases, median of {len(PHASES)} process runs (s):"]
    for name in names:
        values = [p[name] for p in PHASES if name in p]
        lines.append(f"  {name:<16}{statistics.median(values):>8.3f}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median reported)")
    args = parser.parse_args()
    run = f"na-bench-demo-{secrets.token_hex(3)}"
    load_before = os.getloadavg()
    try:
        rows = paired(args.runs, run)
        rows["bare, in-process"] = median_of(bare_in_process, args.runs, run)
        rows["demo, in-process"] = median_of(demo_in_process, args.runs, run)
    finally:
        dt.remove_run(run)
    load_after = os.getloadavg()
    print(f"netaudit demo (none mode) vs the bare docker run + probe + docker rm, {args.runs} runs each")
    print(
        f"load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after "
        f"on {os.cpu_count()} CPUs (process runs paired: bare, demo, bare, demo, ...)"
    )
    print(f"{'measurement':<20}{'median s':>10}{'best s':>10}   runs")
    for name, (med, best, times) in rows.items():
        print(f"{name:<20}{med:>10.3f}{best:>10.3f}   {' '.join(f'{t:.2f}' for t in times)}")
    print("\n".join(_phase_table()))
    ratio_p = rows["demo, process"][0] / rows["bare, process"][0]
    ratio_i = rows["demo, in-process"][0] / rows["bare, in-process"][0]
    demo_s = rows["demo, process"][0]
    ok_ratio = ratio_p < RATIO_TARGET
    ok_time = demo_s < DEMO_TARGET_S
    print(
        f"ratio demo/bare, process:    {ratio_p:5.1f}x  (target < {RATIO_TARGET:g}x: "
        f"{'ok' if ok_ratio else 'SLOW'})"
    )
    print(f"ratio demo/bare, in-process: {ratio_i:5.1f}x")
    print(
        f"demo wall time, process:     {demo_s:5.2f}s  (target < {DEMO_TARGET_S:g} s: "
        f"{'ok' if ok_time else 'SLOW'})"
    )
    return 0 if ok_ratio and ok_time else 1


if __name__ == "__main__":
    sys.exit(main())
