"""`netaudit check`: the host probe of template.yaml run on this Docker host, for one task.

A development command (it reads the probe from the checkout's template.yaml):
`netaudit_cli.main` registers it when this package is installed.
"""

import argparse
import ipaddress
import json
import re
import sys
import time
from typing import Any

from netaudit_cli.exit_codes import exit_code
from netaudit_cli.main import refuse, subcommand


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
    from netaudit_local.template import PROBE_SCRIPT_PATH, TEMPLATE_PATH, probe_document

    missing = [str(p) for p in (TEMPLATE_PATH, PROBE_SCRIPT_PATH) if not p.is_file()]
    if missing:  # a plain `pip install .` has no checkout: the probe's one text is its files
        return refuse("check", "needs a checkout of ecs-netaudit; not found: " + ", ".join(missing))
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
