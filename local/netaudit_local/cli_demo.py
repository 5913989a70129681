"""`netaudit demo`: the whole workflow locally (moto for AWS, this Docker engine as the host)."""

import argparse
import gc
import signal
import sys
from types import FrameType

from netaudit_local.cli import subcommand

DESCRIPTION = """\
Runs the real state machine (statemachine/netaudit.asl.json) on moto's Step Functions engine,
the real Lambda handlers in-process, ECS/SSM/S3/SNS on moto, and this machine's Docker engine as
the ECS container instance: RunTask starts a real canary container with the ECS agent's labels
and the declared network mode, SendCommand runs the template's SSM probe script on this host,
StopTask removes the container. No AWS account is used and nothing is pulled (image busybox).

Prints each state as it is entered and left (elapsed time since start), then a report: verdict,
reasons per container, evidence (netns, interfaces, addresses), the evidence object's S3 key
in moto, state transitions, Lambda invocations and wall time per phase.

Exit status: 0 ISOLATED, 1 VIOLATION, 2 INCONCLUSIVE or error (or a container left behind),
130 interrupted. The run's containers are always removed, also on errors and Ctrl-C.
"""

EPILOG = """\
examples:
  netaudit demo                                  none-mode canary, expect ISOLATED (make demo)
  netaudit demo --network-mode awsvpc            pause container + app sharing its netns
  netaudit demo --tamper host-netns              declared none, started in the host netns: VIOLATION
  netaudit demo --tamper extra-interface --json  an interface added to the netns: VIOLATION, as JSON
  netaudit demo --cluster                        cluster audit: 5 tasks of mixed modes, one tampered
"""


def _arguments(p: argparse.ArgumentParser) -> None:
    p.description = DESCRIPTION
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument(
        "--cluster",
        action="store_true",
        help="the scheduled cluster audit instead of the canary: several tasks of mixed modes on this "
        "Docker engine, one tampered (--tamper, default extra-interface); see netaudit_local.cluster_demo",
    )
    p.add_argument(
        "--network-mode",
        choices=("none", "bridge", "host", "awsvpc"),
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
    from netaudit_local.artifacts import OutputFiles
    from netaudit_local.demo import DemoOptions, main

    outputs = OutputFiles(args.html, args.ocsf, args.junit, args.evidence_dir)

    if args.poll_interval < 0 or args.poll_interval > 300:
        print("netaudit demo: --poll-interval must be between 0 and 300", file=sys.stderr)
        return 2
    previous = signal.signal(signal.SIGTERM, _sigterm)
    try:
        if args.cluster:
            from netaudit_local.cluster_demo import run_from_cli

            ignored = [flag for flag, value in (("--network-mode", args.network_mode),
                                                ("--evidence-out", args.evidence_out)) if value]
            if ignored:
                print(f"netaudit demo: {', '.join(ignored)} applies to the canary, not --cluster",
                      file=sys.stderr)
                return 2

            tamper = args.tamper or "extra-interface"
            return run_from_cli(
                tamper, args.poll_interval, args.timeout, args.json, args.handler_log_level, outputs
            )
        return main(
            DemoOptions(
                network_mode=args.network_mode or "none",
                tamper=args.tamper,
                poll_interval=args.poll_interval,
                timeout_s=args.timeout,
                as_json=args.json,
                evidence_file=args.evidence_out,
                handler_log_level=args.handler_log_level,
                outputs=outputs,
            )
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
        # The process ends right after this: without it, tearing down moto's object graph at
        # interpreter exit took ~1 s (the GC walked it once more). Nothing is left to collect.
        gc.freeze()
