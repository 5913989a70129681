"""One local stack for the tests (the real template, ASL and handlers on moto) whose container
instances replay the recordings (no Docker): what the workflow, IAM, security and organization
tests build, each with its own options.

    with local_aws([]) as seams:
        stack = local_stack(seams, recorded_host(faults=Faults(...)), parameters={...})

Imported by name (`from recorded_stack import ...`), as `recordings` is.
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from netaudit_local.cloud.aws import Seams
from netaudit_local.hosts.recorded_host import Faults, RecordedHost
from netaudit_local.stack import LocalStack, create_stack
from netaudit_local.template import TEMPLATE_PATH
from recordings import AWSVPC_ENI, NONE_ISOLATED, by_mode


def recorded_host(none: str = NONE_ISOLATED, faults: Faults | None = None) -> RecordedHost:
    """A container instance replaying the per-mode recordings (`none`: the none-mode one) and
    handing awsvpc tasks the ENI address of the awsvpc recording."""
    return RecordedHost(by_mode(none=none), eni_ipv4=AWSVPC_ENI, faults=faults or Faults())


def local_stack(
    seams: Seams,
    *hosts: RecordedHost,
    in_progress_polls: int = 0,
    parameters: Mapping[str, Any] | None = None,
    template_path: Path = TEMPLATE_PATH,
) -> LocalStack:
    """The template's stack on moto, with `hosts` added to the run's container instances (each
    throttling once what its faults name); GetCommandInvocation answers InProgress
    `in_progress_polls` times before the outcome."""
    for host in hosts:
        seams.hosts[host.instance_id] = host
        seams.throttles |= host.faults.throttle_once
    seams.in_progress_polls = in_progress_polls
    return create_stack(seams, parameters, template_path=template_path)
