"""Benchmark: `netaudit demo` (none mode) against the bare work it orchestrates.

    .venv/bin/python bench/bench_demo.py [--runs 5]

- demo, process: `netaudit demo --network-mode none` as a person runs it (interpreter start,
  moto, the state machine, the real container, the report), wall time of the process.
- bare, process: what a person would type by hand: `docker run -d --network none` of an
  ECS-labelled busybox, the template's probe script through the local SSM runner
  (`python -c ...run_document...`), `docker rm -f`.
- the same two in this process (no interpreter start; imports already warm after run 1):
  `netaudit_local.demo.run.run_demo` and docker run + `run_document` + docker rm.

Median of `--runs` runs each; prints a table with the ratio demo / bare. Targets: the demo
(process) under 3x the bare work (process) and under 5 s.
"""

import argparse
import io
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from netaudit_local.demo.run import DemoOptions, run_demo
from netaudit_local.hosts import docker_tasks as dt
from netaudit_local.hosts.ssm_runner import run_document
from netaudit_local.template import probe_document

ROOT = Path(__file__).resolve().parents[1]
RATIO_TARGET = 3.0
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


def demo_process(run: str) -> float:
    netaudit = Path(sys.executable).with_name("netaudit")
    t0 = time.perf_counter()
    proc = subprocess.run([str(netaudit), "demo", "--network-mode", "none"], capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median reported)")
    args = parser.parse_args()
    run = f"na-bench-demo-{secrets.token_hex(3)}"
    rows: dict[str, tuple[float, float, list[float]]] = {}
    try:
        rows["bare, process"] = median_of(bare_process, args.runs, run)
        rows["demo, process"] = median_of(demo_process, args.runs, run)
        rows["bare, in-process"] = median_of(bare_in_process, args.runs, run)
        rows["demo, in-process"] = median_of(demo_in_process, args.runs, run)
    finally:
        dt.remove_run(run)
    print(f"netaudit demo (none mode) vs the bare docker run + probe + docker rm, {args.runs} runs each")
    print(f"{'measurement':<20}{'median s':>10}{'best s':>10}   runs")
    for name, (med, best, times) in rows.items():
        print(f"{name:<20}{med:>10.3f}{best:>10.3f}   {' '.join(f'{t:.2f}' for t in times)}")
    ratio_p = rows["demo, process"][0] / rows["bare, process"][0]
    ratio_i = rows["demo, in-process"][0] / rows["bare, in-process"][0]
    demo_s = rows["demo, process"][0]
    ok_ratio = "ok" if ratio_p < RATIO_TARGET else "OVER TARGET"
    ok_time = "ok" if demo_s < DEMO_TARGET_S else "OVER TARGET"
    print(f"ratio demo/bare, process:    {ratio_p:5.1f}x  (target < {RATIO_TARGET:g}x: {ok_ratio})")
    print(f"ratio demo/bare, in-process: {ratio_i:5.1f}x")
    print(f"demo wall time, process:     {demo_s:5.2f}s  (target < {DEMO_TARGET_S:g} s: {ok_time})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
