"""`netaudit` console script.

Subcommands register themselves with the `subcommand` decorator; modules listed in
`SUBCOMMAND_MODULES` are imported (when present) before the parser is built, so another module
(e.g. `netaudit_local.demo.cli`) adds a subcommand with one decorator line:

    @subcommand("demo", help="...", arguments=_demo_arguments)
    def demo(args: argparse.Namespace) -> int: ...
"""

import argparse
import importlib
import ipaddress
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from netaudit_local.exit_codes import EXIT_ERROR, exit_code

Handler = Callable[[argparse.Namespace], int]
Arguments = Callable[[argparse.ArgumentParser], None]

SUBCOMMAND_MODULES: tuple[str, ...] = (
    "netaudit_local.demo.cli",
    "netaudit_local.audit_cli",
    "netaudit_local.evidence_cli",
)


@dataclass(frozen=True)
class _Subcommand:
    name: str
    help: str
    arguments: Arguments | None
    handler: Handler


_REGISTRY: dict[str, _Subcommand] = {}


def subcommand(name: str, *, help: str, arguments: Arguments | None = None) -> Callable[[Handler], Handler]:
    """Register `handler(args) -> exit code` as `netaudit <name>`; `arguments(parser)` adds options."""

    def register(handler: Handler) -> Handler:
        _REGISTRY[name] = _Subcommand(name, help, arguments, handler)
        return handler

    return register


def _load_subcommand_modules() -> None:
    for module in SUBCOMMAND_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # the module exists but something it imports is missing
                raise


def build_parser() -> argparse.ArgumentParser:
    _load_subcommand_modules()
    parser = argparse.ArgumentParser(
        prog="netaudit",
        description="Prove at runtime that ECS tasks have the network isolation they declare.",
    )
    subs = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for sub in _REGISTRY.values():
        p = subs.add_parser(sub.name, help=sub.help, description=sub.help)
        if sub.arguments:
            sub.arguments(p)
        p.set_defaults(_handler=sub.handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args._handler
    return handler(args)


# --- check ---------------------------------------------------------------------------------


def task_arn_pattern() -> str:
    """The allowedPattern of the probe document's taskArn parameter (template.yaml)."""
    from netaudit_local.template import probe_document

    pattern: str = probe_document()["parameters"]["taskArn"]["allowedPattern"]
    return pattern


def _check_arguments(p: argparse.ArgumentParser) -> None:
    from netaudit.models.verdict import NETWORK_MODES

    p.add_argument("--task-arn", required=True, help="ECS task ARN (long or old format)")
    p.add_argument("--declared-mode", required=True, choices=NETWORK_MODES, help="declared networkMode")
    p.add_argument(
        "--expect-ip",
        action="append",
        default=None,
        help="only with --declared-mode awsvpc: an address of the task's ENI as DescribeTasks gives it "
        "(privateIPv4Address and/or ipv6Address); repeat it for a dual-stack ENI",
    )
    p.add_argument("--timeout", type=float, default=60.0, help="probe timeout in seconds (default 60)")


def eni_addresses(values: list[str]) -> tuple[str | None, str | None] | str:
    """(IPv4, IPv6) of the task ENI from the --expect-ip values, or what is wrong with them. An ENI
    has one primary private IPv4 and, in a dual-stack or IPv6-only subnet, one IPv6 (DescribeTasks
    attachment details privateIPv4Address / ipv6Address)."""
    found: dict[int, str] = {}
    for value in values:
        try:
            ip = ipaddress.ip_address(value)
        except ValueError:
            ip = None
        if ip is None or getattr(ip, "scope_id", None):  # an ENI address has no %zone
            return f"{value!r} is not an IPv4 or IPv6 address"
        if getattr(ip, "ipv4_mapped", None):  # ::ffff:a.b.c.d is an IPv4 peer seen by an IPv6 socket
            return f"{value!r} is an IPv4-mapped IPv6 address, not an ENI's address (give the IPv4 as is)"
        if ip.version in found:
            return f"two IPv{ip.version} addresses ({found[ip.version]}, {value}): an ENI has one of each"
        found[ip.version] = str(ip)
    return found.get(4), found.get(6)


def refuse(command: str, message: str) -> int:
    """A command line refused (bad input, options that do not go together): say why, exit 2."""
    print(f"netaudit {command}: {message}", file=sys.stderr)
    return EXIT_ERROR


def _fail_input(field: str, message: str) -> int:
    return refuse("check", f"invalid {field}: {message}")


@subcommand(
    "check",
    help="Probe one task's containers on this Docker host and print the verdict as JSON.",
    arguments=_check_arguments,
)
def check(args: argparse.Namespace) -> int:
    """exit 0 ISOLATED, 1 VIOLATION, 2 INCONCLUSIVE or invalid input."""
    from netaudit.models.verdict import ExpectedTask
    from netaudit.verdict import evaluate_probe, inconclusive_all, overall
    from netaudit_local.hosts.ssm_runner import DocumentError, ParameterError, run_document
    from netaudit_local.template import probe_document

    task_arn: str = args.task_arn
    pattern = task_arn_pattern()
    if not task_arn or re.fullmatch(pattern, task_arn) is None:
        return _fail_input("--task-arn", f"{task_arn!r} is not an ECS task ARN (pattern {pattern})")
    if args.expect_ip and args.declared_mode != "awsvpc":
        mode = args.declared_mode
        return _fail_input("--expect-ip", f"only with --declared-mode awsvpc (an ENI's address), not {mode}")
    eni = eni_addresses(args.expect_ip or [])
    if isinstance(eni, str):
        return _fail_input("--expect-ip", eni)
    expected = [
        ExpectedTask(task_arn=task_arn, declared_mode=args.declared_mode, eni_ipv4=eni[0], eni_ipv6=eni[1])
    ]
    started = time.monotonic()
    try:
        outcome = run_document(probe_document(), {"taskArn": task_arn}, timeout_s=args.timeout)
    except ParameterError as exc:
        return _fail_input("--task-arn", str(exc))
    except (DocumentError, OSError) as exc:
        verdicts = inconclusive_all(expected, f"probe could not run: {exc}")
        probe: dict[str, Any] = {"status": "NotRun"}
    else:
        probe = {
            "status": outcome.status,
            "exitCode": outcome.exit_code,
            "durationMs": round((time.monotonic() - started) * 1000),
        }
        if outcome.status == "Success":
            verdicts = evaluate_probe(outcome.stdout, expected)
        else:
            err = outcome.stderr.strip().splitlines()[-1:] or [""]
            verdicts = inconclusive_all(
                expected, f"probe {outcome.status} (exit {outcome.exit_code}) {err[0]}".strip()
            )
    result = overall(verdicts)
    document = {
        "verdict": result,
        "probe": probe,
        "tasks": [v.model_dump(mode="json", by_alias=True) for v in verdicts],
    }
    print(json.dumps(document, separators=(",", ":")))
    reasons = "; ".join(r for v in verdicts for r in v.reasons)
    imds = "; ".join(f"imds {v.imds or 'unknown (not probed)'}" for v in verdicts)
    print(
        f"netaudit check: {result} {task_arn} (declared {args.declared_mode}; {imds})"
        + (f": {reasons}" if reasons else ""),
        file=sys.stderr,
    )
    return exit_code(result)


if __name__ == "__main__":
    # `python -m netaudit_local.cli`: this file runs as `__main__`, but the subcommand modules
    # register with `netaudit_local.cli`; run that module's main so `demo` is there too.
    from netaudit_local.cli import main as _main

    sys.exit(_main())
