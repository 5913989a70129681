"""What the Report step writes for a 1,000-task cluster audit: the size of each object and the
time each renderer takes, on bench_cluster's scenario (1,000 tasks on 100 simulated instances,
one tampered), the real state machine on moto.

    .venv/bin/python bench/bench_report_outputs.py [--tasks N --instances N] [--faults] [--out DIR]

--faults puts bench_cluster's fault mix on the hosts (netaudit_local.hosts.fleet.FAULT_MIX: SSM
agent offline, command failed, command timed out, throttled sends, output over 24,000 characters,
a container gone mid-probe; about 10% of the hosts each), so the report of a large audit with
host faults can be looked at and measured.
--out DIR also saves the objects (keys as paths) for a look, e.g. the HTML in a browser, and a
screenshot of the HTML's first screen (first-screen.png).
With Debian's chromium (scripts/ensure-chromium.sh) the HTML is also measured as a reader gets it
(netaudit_local.report_browser): its height at 1280 px, its printed A4 pages, and how many
violation cards end within the first 1280x800 screen.
"""

import argparse
import contextlib
import io
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cluster import _throttle_sends  # the fault mix's throttled sends, played as bench_cluster does
from netaudit.exports import html, junit, manifest, ocsf
from netaudit_local import report_browser
from netaudit_local.cloud.account import REGION
from netaudit_local.cloud.aws import local_aws
from netaudit_local.hosts.fleet import FAULT_MIX, Placer, apply_fault, fleet_hosts, spread
from netaudit_local.stack import create_stack, run_execution


def main(argv: Sequence[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--faults", action="store_true", help="bench_cluster's fault mix on the hosts")
    parser.add_argument("--out", default=None, metavar="DIR")
    args = parser.parse_args(argv)
    logging.getLogger("moto").addHandler(logging.NullHandler())
    logging.getLogger("moto").propagate = False
    hosts = fleet_hosts(args.instances)
    with local_aws(hosts, in_progress_polls=0) as seams:
        stack = create_stack(seams, {"MapMaxConcurrency": 40})
        placer = Placer(seams, stack.cluster, stack.container_instances, stack.subnet_id)
        layout = spread(args.tasks, hosts)
        arns: list[str] = []
        for host in hosts:
            arns += placer.place(host, layout[host.instance_id])
        fault_of = {
            h.instance_id: FAULT_MIX[n % len(FAULT_MIX)] if args.faults else "" for n, h in enumerate(hosts)
        }
        # the tampered task sits on a host without a fault, so it is found
        tampered = next(a for a in arns[len(arns) // 2 + 1 :] if not fault_of[seams.task_hosts[a]])
        next(h for h in hosts if h.instance_id == seams.task_hosts[tampered]).violating.add(tampered)
        for host in hosts:
            apply_fault(host, fault_of[host.instance_id])
        if args.faults:
            _throttle_sends(seams)
        with contextlib.redirect_stdout(io.StringIO()):
            result = run_execution(
                stack,
                "bench-report",
                {"target": {"kind": "cluster"}, "pollIntervalSeconds": 0},
                timeout_s=900,
            )
        s3 = boto3.client("s3", region_name=REGION)
        objects = {
            o["Key"]: o["Size"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.bucket, Prefix="audits/")
            for o in page.get("Contents", [])
        }
        evidence_key = next(k for k in objects if k.endswith("/bench-report.json"))
        bodies = {k: s3.get_object(Bucket=stack.bucket, Key=k)["Body"].read() for k in objects}
    faults = " with the fault mix" if args.faults else ""
    where = f"{args.tasks} tasks on {args.instances} instances{faults}"
    print(f"execution {result.status} ({result.error}); {where}")
    keys = manifest.sibling_keys(evidence_key)
    doc = json.loads(bodies[evidence_key])
    print("object | bytes | render s")
    print("--- | --- | ---")
    for name, key, render in (
        ("evidence JSON", evidence_key, None),
        ("HTML report", keys["html"], html.render),
        ("OCSF JSON Lines", keys["ocsf"], ocsf.render),
        ("JUnit XML", keys["junit"], junit.render),
        ("manifest", keys["manifest"], None),
    ):
        took = ""
        if render:  # the median of 5 renders
            times = []
            for _ in range(5):
                started = time.perf_counter()
                render(doc)
                times.append(time.perf_counter() - started)
            took = f"{statistics.median(times):.3f}"
        print(f"{name} | {len(bodies[key]):,} | {took}")
    listed = manifest.parse(bodies[keys["manifest"]])
    read = sum(o["role"] == "read" for o in listed["objects"])
    print(f"manifest lists {len(listed['objects'])} objects ({read} read)")
    if args.out:
        for key, body in bodies.items():
            path = Path(args.out) / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        print(f"saved under {args.out}")
    _in_browser(bodies[keys["html"]].decode(), Path(args.out) if args.out else None)
    return 0


def _in_browser(page: str, out: Path | None) -> None:
    browser = report_browser.chromium()
    if not browser:
        print("HTML in chromium: not measured (no chromium: scripts/ensure-chromium.sh installs it)")
        return
    width, height = report_browser.FIRST_SCREEN
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "report.html"
        path.write_text(page)
        measured = report_browser.measure(browser, page, work)
        pages = report_browser.printed_pages(browser, path, work)
        if out:
            report_browser.screenshot(browser, path, work, out / "first-screen.png")
    first = sum(1 for bottom in measured.violation_bottoms if bottom <= height)
    print(
        f"HTML in chromium: {measured.height:,} px tall at {width} px wide; {pages} A4 pages printed; "
        f"{first} of {len(measured.violation_bottoms)} violation(s) within the first {width}x{height} screen"
    )


if __name__ == "__main__":
    sys.exit(main())
