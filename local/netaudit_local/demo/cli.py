"""`netaudit demo`: the whole workflow locally (moto for AWS, this Docker engine as the host)."""

import argparse
import gc
import json
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any, cast

from netaudit.models.verdict import NETWORK_MODES
from netaudit_cli.exit_codes import EXIT_ERROR, exit_code
from netaudit_cli.main import refuse, subcommand

if TYPE_CHECKING:
    from netaudit_cli.artifacts import OutputFiles
    from netaudit_local.demo.cluster import ClusterDemo
    from netaudit_local.demo.options import DemoOptions
    from netaudit_local.hosts import docker_tasks as dt

DESCRIPTION = """\
Runs the real state machine (statemachine/netaudit.asl.json) on moto's Step Functions engine,
the real Lambda handlers in-process, ECS/SSM/S3/SNS on moto, and this machine's Docker engine as
the ECS container instance: RunTask starts a real canary container with the ECS agent's labels
and the declared network mode, SendCommand runs the template's SSM probe script on this host,
StopTask removes the container. No AWS account is used and nothing is pulled (image busybox).

Prints each state as it is entered and left (elapsed time since start), then a report: verdict,
reasons per container, evidence (netns, interfaces, addresses), the evidence object's S3 key
in moto, state transitions, Lambda invocations and wall time per phase.

--input FILE runs any state machine input exactly as `aws stepfunctions start-execution --input`
or the console would start it on AWS (FILE "-" = stdin), so an input can be tried before it is
deployed: a canary input runs on this Docker engine as the container instance, a cluster or tasks
input on the local cluster of --cluster (5 tasks of mixed modes, tampered only with --tamper; task
ARNs of a tasks input must be ones of that cluster, others are reported not probed). An invalid
input ends as it would on AWS: the execution fails with InvalidInput naming the field, and nothing
is created. --parameter KEY=VALUE sets a template parameter of the local deployment (e.g.
AllowCanaryImageOverride=true), as `sam deploy --parameter-overrides` would.

Exit status: 0 ISOLATED (or NOTHING_TO_AUDIT), 1 VIOLATION, 2 INCONCLUSIVE, invalid input or error
(or a container left behind), 130 interrupted. The run's containers are always removed, also on
errors and Ctrl-C.
"""

EPILOG = """\
examples:
  netaudit demo                                  none-mode canary, expect ISOLATED (make demo)
  netaudit demo --network-mode awsvpc            pause container + app sharing its netns
  netaudit demo --tamper host-netns              declared none, started in the host netns: VIOLATION
  netaudit demo --tamper extra-interface --json  an interface added to the netns: VIOLATION, as JSON
  netaudit demo --cluster                        cluster audit: 5 tasks of mixed modes, one tampered
  netaudit demo --organization                   the hub and two member accounts, a member's task tampered
  netaudit demo --continuous --tasks 4           event-driven: each task audited from its RUNNING event
  netaudit demo --cluster --chaos 0.1 --chaos-seed 3   10% of the audit's AWS calls fail: same verdicts
  netaudit demo --input events/start-canary-host.json   any execution input, as AWS would run it
  echo '{"target": {"image": "evil/x"}}' | netaudit demo --input -     refused: InvalidInput, exit 2
"""


def _arguments(p: argparse.ArgumentParser) -> None:
    p.description = DESCRIPTION
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument(
        "--cluster",
        action="store_true",
        help="the scheduled cluster audit instead of the canary: several tasks of mixed modes on this "
        "Docker engine, one tampered (--tamper, default extra-interface); see netaudit_local.demo.cluster",
    )
    p.add_argument(
        "--organization",
        action="store_true",
        help="one audit of the hub's own account and two member accounts (each through its member "
        "role), a member's task tampered; see netaudit_local.demo.organization",
    )
    p.add_argument(
        "--continuous",
        action="store_true",
        help="event-driven audits: --tasks N tasks started one after another, each audited from its own "
        "RUNNING event (rule -> queue -> pipe -> state machine); see netaudit_local.demo.continuous",
    )
    p.add_argument("--tasks", type=int, default=4, metavar="N", help="tasks of --continuous (default 4)")
    p.add_argument(
        "--input",
        metavar="FILE",
        default=None,
        help="run this execution input (JSON file, - = stdin) exactly as AWS would; see above",
    )
    p.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a template parameter of the local deployment (repeatable; with --input)",
    )
    p.add_argument(
        "--network-mode",
        choices=NETWORK_MODES,
        default=None,
        help="networkMode of the canary task definition (default: none; canary only)",
    )
    p.add_argument(
        "--tamper",
        choices=("host-netns", "extra-interface"),
        default=None,
        help="make the local container differ from what is declared, to watch the violation "
        "get caught: host-netns = start it in the host's netns; extra-interface = add an "
        "interface with 10.9.9.9/24 inside its netns",
    )
    p.add_argument(
        "--poll-interval",
        type=int,
        default=0,
        metavar="S",
        help="seconds the Wait states wait between two polls (task status, probe); default 0",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="S",
        help="give up (exit 2, containers removed) when the execution runs longer (default 120)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the report as one JSON document on stdout (progress goes to stderr)",
    )
    p.add_argument(
        "--evidence-out",
        metavar="FILE",
        default=None,
        help="also copy the evidence JSON the Report step wrote to moto's S3 into FILE",
    )
    p.add_argument("--html", metavar="FILE", help="also save the audit's HTML report (as stored in S3) here")
    p.add_argument("--ocsf", metavar="FILE", help="also save its OCSF Compliance Findings (JSON Lines) here")
    p.add_argument("--junit", metavar="FILE", help="also save its JUnit XML (one test case per task) here")
    p.add_argument("--evidence-dir", metavar="DIR", help="also save its manifest and every object it lists")
    p.add_argument(
        "--chaos",
        type=float,
        default=None,
        metavar="RATE",
        help="make RATE (0-1, e.g. 0.1) of the audit's AWS calls fail as AWS fails them (throttled, 5xx, "
        "answer lost), reproducibly from --chaos-seed; see netaudit_local.cloud.chaos",
    )
    p.add_argument("--chaos-seed", type=int, default=0, metavar="N", help="seed of --chaos (default 0)")
    p.add_argument(
        "--handler-log-level",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default="ERROR",
        help="log level of the Lambda handlers' own logs, shown on stderr (default ERROR)",
    )


def _sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # same clean-up path as Ctrl-C


@subcommand(
    "demo",
    help="Run the whole audit locally: the real state machine on moto, a real container on Docker.",
    arguments=_arguments,
)
def demo(args: argparse.Namespace) -> int:
    from netaudit_cli.artifacts import OutputFiles

    outputs = OutputFiles(args.html, args.ocsf, args.junit, args.evidence_dir)

    if args.poll_interval < 0 or args.poll_interval > 300:
        return refuse("demo", "--poll-interval must be between 0 and 300")
    if args.chaos is not None and not 0 <= args.chaos <= 1:
        return refuse("demo", "--chaos must be between 0 and 1")
    if args.chaos is None:
        return _run(args, outputs)
    from netaudit_local.cloud import chaos

    with chaos.armed(chaos.Chaos(args.chaos, args.chaos_seed)) as injected:
        code = _run(args, outputs)
    print(injected.summary(), file=sys.stderr)
    return code


def _run(args: argparse.Namespace, outputs: "OutputFiles") -> int:
    from netaudit_local.demo.run import main

    previous = signal.signal(signal.SIGTERM, _sigterm)
    try:
        if args.continuous:
            return run_continuous(args.tasks, args.tamper, args.timeout, args.handler_log_level)
        if args.input is not None:
            return _demo_input(args, outputs)
        if args.parameter:
            return refuse("demo", "--parameter applies to --input runs")
        if args.organization:
            if args.cluster or args.network_mode:
                return refuse("demo", "--organization cannot be combined with --cluster or --network-mode")
            return run_organization(args, outputs)
        if args.cluster:
            ignored = [flag for flag, value in (("--network-mode", args.network_mode),
                                                ("--evidence-out", args.evidence_out)) if value]
            if ignored:
                return refuse("demo", f"{', '.join(ignored)} applies to the canary, not --cluster")

            tamper = args.tamper or "extra-interface"
            return run_cluster(_cluster_demo(args, outputs, tamper=tamper), args)
        return main(_options(args, outputs, network_mode=args.network_mode or "none"))
    finally:
        signal.signal(signal.SIGTERM, previous)
        # The process ends right after this: without it, tearing down moto's object graph at
        # interpreter exit took ~1 s (the GC walked it once more). Nothing is left to collect.
        gc.freeze()


def _options(args: argparse.Namespace, outputs: "OutputFiles", **extra: Any) -> "DemoOptions":
    """The demo's options from the command line (`extra`: what the kind of run adds)."""
    from netaudit_local.demo.options import DemoOptions

    given = {"tamper": args.tamper, "poll_interval": args.poll_interval, "timeout_s": args.timeout,
             "as_json": args.json, "evidence_file": args.evidence_out,
             "handler_log_level": args.handler_log_level}
    return DemoOptions(outputs=outputs, **given, **extra)


def _demo_input(args: argparse.Namespace, outputs: "OutputFiles") -> int:
    from netaudit_local.demo.inputs import InputFileError, audit_kind, parse_parameters, read_input
    from netaudit_local.demo.run import main

    given = (("--cluster", args.cluster), ("--network-mode", args.network_mode))
    refused = [flag for flag, value in given if value]
    if refused:
        return refuse("demo", f"{', '.join(refused)} cannot be combined with --input (the input says it)")
    try:
        payload = read_input(args.input)
        parameters = parse_parameters(args.parameter)
    except InputFileError as exc:
        return refuse("demo", f"--input: {exc}")
    if audit_kind(payload) != "canary":
        if args.evidence_out:
            return refuse("demo", "--evidence-out applies to canary inputs")
        # as the canary path does: the local deployment polls every --poll-interval seconds
        parameters = {"PollIntervalSeconds": str(args.poll_interval), **parameters}
        demo = _cluster_demo(args, outputs, tamper=args.tamper, payload=payload, parameters=parameters)
        return run_cluster(demo, args)
    return main(_options(args, outputs, mode="input", payload=payload, parameters=parameters))


def _cluster_demo(args: argparse.Namespace, outputs: "OutputFiles", **given: Any) -> "ClusterDemo":
    """The cluster demo of the command line: two local clusters, the "blue" one Bottlerocket-shaped;
    an `--input` of a cluster/tasks audit (`payload` given) runs on one."""
    from netaudit_local.demo.cluster import DEMO_CLUSTERS, ClusterDemo

    on_one = given.get("payload") is not None
    return ClusterDemo(
        poll_interval=args.poll_interval,
        timeout_s=args.timeout,
        outputs=outputs,
        clusters=("default",) if on_one else DEMO_CLUSTERS,
        bottlerocket_admin=None if on_one else True,  # "blue" runs on Bottlerocket
        **given,
    )


def run_cluster(demo: "ClusterDemo", args: argparse.Namespace) -> int:
    """`netaudit demo --cluster` (or `--input` of a cluster/tasks audit): the exit status of its
    verdict, 2 when a container is left or an output file was not saved."""
    from netaudit_local.demo.cluster import run_cluster_demo
    from netaudit_local.demo.report import cluster_document, render_cluster
    from netaudit_local.demo.run import quiet_handlers

    if demo.tamper not in (None, "extra-interface", "host-netns"):
        return refuse("demo --cluster", f"unknown tamper {demo.tamper!r}")
    with quiet_handlers(args.handler_log_level):
        result = run_cluster_demo(demo)
    if args.json:
        print(json.dumps(cluster_document(result), default=str))
    else:
        title = "netaudit demo --input" if demo.payload is not None else "netaudit demo --cluster"
        print(render_cluster(result, title))
    if result.leftovers or result.saved.problems:
        return EXIT_ERROR
    return exit_code(result.verdict)


def run_organization(args: argparse.Namespace, outputs: "OutputFiles") -> int:
    """`netaudit demo --organization`: the exit status of its verdict (1: the tampered task was
    caught), 2 when a container is left behind or an output file was not saved."""
    from pathlib import Path

    from netaudit_local.demo.organization import (
        organization_document,
        render_organization,
        run_organization_demo,
    )
    from netaudit_local.demo.run import quiet_handlers

    with quiet_handlers(args.handler_log_level):
        result = run_organization_demo(
            tamper=cast("dt.Tamper | None", args.tamper or "extra-interface"),
            poll_interval=args.poll_interval,
            timeout_s=args.timeout,
            evidence_out=Path(args.evidence_out) if args.evidence_out else None,
            outputs=outputs,
        )
    document = organization_document(result)
    print(json.dumps(document, default=str) if args.json else render_organization(result))
    if result.leftovers or result.saved.problems:
        return EXIT_ERROR
    return exit_code(result.verdict)


def run_continuous(tasks: int, tamper: str | None, timeout_s: float, handler_log_level: str = "ERROR") -> int:
    """`netaudit demo --continuous`: the run's exit status (`demo.continuous.run_continuous`)."""
    from netaudit_local.demo.continuous import run_continuous as run
    from netaudit_local.demo.run import quiet_handlers

    if tasks < 1 or tasks > 20:
        return refuse("demo --continuous", "--tasks must be between 1 and 20")
    with quiet_handlers(handler_log_level):
        code, text = run(tasks, tamper or "extra-interface", timeout_s)
    print(text)
    return code
