"""What a demo run starts its execution with: the canary's input built from the options, or
`demo --input FILE` exactly as given (read and refused where StartExecution would refuse it)."""

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netaudit_local.cloud.account import ACCOUNT, REGION

if TYPE_CHECKING:
    from netaudit_local.demo.options import DemoOptions
    from netaudit_local.hosts.docker_host import DockerHost
    from netaudit_local.stack import LocalStack

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


def canary_input(options: "DemoOptions", stack: "LocalStack", host: "DockerHost") -> dict[str, Any]:
    """The execution input of a canary audit in `options.network_mode`."""
    target: dict[str, Any] = {"kind": "canary", "networkMode": options.network_mode}
    if options.network_mode == "awsvpc":
        target["awsvpc"] = {"subnets": [stack.subnet_id], "securityGroups": [stack.security_group_id]}
    return {"target": target, "pollIntervalSeconds": options.poll_interval}


def given_input(options: "DemoOptions", stack: "LocalStack", host: "DockerHost") -> Any:
    """`demo --input FILE`: the file's input, unchanged (as the console would start it). The
    subnets and security groups an awsvpc input names are made to exist in moto's VPC first:
    they are the user's account's, which the local run stands for."""
    target = options.payload.get("target") if isinstance(options.payload, dict) else None
    awsvpc = target.get("awsvpc") if isinstance(target, dict) else None
    if isinstance(awsvpc, dict):
        ensure_network(stack, awsvpc.get("subnets"), awsvpc.get("securityGroups"))
    return options.payload


def ensure_network(stack: "LocalStack", subnets: Any, groups: Any) -> None:
    """Subnets / security groups with these ids in moto (ids as EC2 writes them; others are left
    for Prepare to refuse). moto draws ids at random: the created objects are renamed."""
    from moto.ec2.models import ec2_backends

    ec2 = stack.client("ec2")
    backend: Any = ec2_backends[ACCOUNT][REGION]
    vpc_id = ec2.describe_subnets(SubnetIds=[stack.subnet_id])["Subnets"][0]["VpcId"]
    for i, wanted in enumerate(subnets if isinstance(subnets, list) else []):
        if not (isinstance(wanted, str) and re.fullmatch(r"subnet-[0-9a-f]{8,17}", wanted)):
            continue
        if any(wanted in by_id for by_id in backend.subnets.values()):
            continue
        made = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{100 + i % 100}.0/24")["Subnet"]
        subnet = backend.subnets[made["AvailabilityZone"]].pop(made["SubnetId"])
        subnet.id = wanted
        backend.subnets[made["AvailabilityZone"]][wanted] = subnet
    for wanted in groups if isinstance(groups, list) else []:
        if not (isinstance(wanted, str) and re.fullmatch(r"sg-[0-9a-f]{8,17}", wanted)):
            continue
        if any(wanted in by_id for by_id in backend.groups.values()):
            continue
        made = ec2.create_security_group(GroupName=wanted, Description="demo --input", VpcId=vpc_id)
        group = backend.groups[vpc_id].pop(made["GroupId"])
        group.id = group.group_id = wanted
        backend.groups[vpc_id][wanted] = group
