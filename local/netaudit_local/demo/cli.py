"""`netaudit demo`: the whole workflow locally (moto for AWS, this Docker engine as the host)."""

import argparse
import gc
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from netaudit_local.cli import subcommand

if TYPE_CHECKING:
    from netaudit_local.artifacts import OutputFiles
    from netaudit_local.demo.run import DemoOptions

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
  netaudit demo --continuous --tasks 4           event-driven: each task audited from its RUNNING event
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
    from netaudit_local.demo.run import main

    outputs = OutputFiles(args.html, args.ocsf, args.junit, args.evidence_dir)

    if args.poll_interval < 0 or args.poll_interval > 300:
        print("netaudit demo: --poll-interval must be between 0 and 300", file=sys.stderr)
        return 2
    previous = signal.signal(signal.SIGTERM, _sigterm)
    try:
        if args.continuous:
            from netaudit_local.demo.continuous import run_from_cli as run_continuous

            return run_continuous(args.tasks, args.tamper, args.timeout, args.handler_log_level)
        if args.input is not None:
            return _demo_input(args, outputs)
        if args.parameter:
            print("netaudit demo: --parameter applies to --input runs", file=sys.stderr)
            return 2
        if args.cluster:
            from netaudit_local.demo.cluster import run_from_cli

            ignored = [flag for flag, value in (("--network-mode", args.network_mode),
                                                ("--evidence-out", args.evidence_out)) if value]
            if ignored:
                print(f"netaudit demo: {', '.join(ignored)} applies to the canary, not --cluster",
                      file=sys.stderr)
                return 2

            tamper = args.tamper or "extra-interface"
            return run_from_cli(
                tamper, args.poll_interval, args.timeout, args.json, args.handler_log_level, outputs=outputs
            )
        return main(_options(args, outputs, network_mode=args.network_mode or "none"))
    finally:
        signal.signal(signal.SIGTERM, previous)
        # The process ends right after this: without it, tearing down moto's object graph at
        # interpreter exit took ~1 s (the GC walked it once more). Nothing is left to collect.
        gc.freeze()


# --- demo --input --------------------------------------------------------------------------------

# StartExecution's `input`: "Length Constraints: Maximum length of 262144" (Step Functions API
# reference, StartExecution / ExecutionStartedEventDetails).
INPUT_LIMIT = 262_144


class InputFileError(ValueError):
    """The file is no input StartExecution would accept (unreadable, not JSON, too large)."""


def read_input(path: str) -> Any:
    """The execution input in FILE (- = stdin), refused where StartExecution would refuse it."""
    name = "stdin" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read {name}: {exc}") from None
    if len(text) > INPUT_LIMIT:
        raise InputFileError(
            f"{name} holds {len(text)} characters; StartExecution accepts at most {INPUT_LIMIT}"
        )
    try:
        return json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{name} is not JSON ({exc}); StartExecution would refuse it") from None


def parse_parameters(pairs: Sequence[str]) -> dict[str, str]:
    """KEY=VALUE pairs, each KEY a parameter of template.yaml."""
    from netaudit_local.template import load_template

    known = set(load_template().get("Parameters", {}))
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in known:
            raise InputFileError(
                f"--parameter {pair!r}: expected KEY=VALUE with KEY one of the template's parameters "
                f"({', '.join(sorted(known))})"
            )
        out[key] = value
    return out


def audit_kind(payload: Any) -> str:
    """canary, tasks or cluster: where the local run puts it (anything invalid goes to the canary
    path, whose Prepare refuses it as on AWS)."""
    if isinstance(payload, dict):
        target = payload.get("target")
        if isinstance(target, dict) and target.get("kind") in ("tasks", "cluster"):
            return str(target["kind"])
    return "canary"


def _options(args: argparse.Namespace, outputs: "OutputFiles", **extra: Any) -> "DemoOptions":
    """The demo's options from the command line (`extra`: what the kind of run adds)."""
    from netaudit_local.demo.run import DemoOptions

    return DemoOptions(
        tamper=args.tamper,
        poll_interval=args.poll_interval,
        timeout_s=args.timeout,
        as_json=args.json,
        evidence_file=args.evidence_out,
        handler_log_level=args.handler_log_level,
        outputs=outputs,
        **extra,
    )


def _demo_input(args: argparse.Namespace, outputs: "OutputFiles") -> int:
    from netaudit_local.demo.run import main

    given = (("--cluster", args.cluster), ("--network-mode", args.network_mode))
    refused = [flag for flag, value in given if value]
    if refused:
        print(
            f"netaudit demo: {', '.join(refused)} cannot be combined with --input (the input says it)",
            file=sys.stderr,
        )
        return 2
    try:
        payload = read_input(args.input)
        parameters = parse_parameters(args.parameter)
    except InputFileError as exc:
        print(f"netaudit demo: --input: {exc}", file=sys.stderr)
        return 2
    if audit_kind(payload) != "canary":
        from netaudit_local.demo.cluster import run_from_cli

        if args.evidence_out:
            print("netaudit demo: --evidence-out applies to canary inputs", file=sys.stderr)
            return 2
        return run_from_cli(
            args.tamper,
            args.poll_interval,
            args.timeout,
            args.json,
            args.handler_log_level,
            payload=payload,
            # as the canary path does: the local deployment polls every --poll-interval seconds
            parameters={"PollIntervalSeconds": str(args.poll_interval), **parameters},
            outputs=outputs,
        )
    return main(_options(args, outputs, mode="input", payload=payload, parameters=parameters))
