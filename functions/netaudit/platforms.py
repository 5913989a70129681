"""Where the probe cannot look, named exactly: one reason code per platform, with its sentence.

A task that cannot be verified carries a reason that starts with its code in brackets
(`[FARGATE] task ...: AWS Fargate: ...`), and the not-probed / unreachable records carry the same
code in their `code` field. Coverage, the report and the exports read the code (`code_of`), never
words of the sentence.

- FARGATE: AWS runs the host; the task's ENI is known from DescribeTasks, its netns is not.
- MANAGED_INSTANCES: ECS Managed Instances (DescribeTasks launchType `MANAGED_INSTANCES`,
  botocore's ECS model): AWS manages the instances; no SSM or host access for the account.
- WINDOWS: a Windows container instance (ECS attributes ecs.os-type / ecs.os-family): no POSIX
  shell, nsenter or ip; containers run in Windows compartments, not Linux network namespaces.
- BOTTLEROCKET_ADMIN_OFF: a Bottlerocket host whose admin host container is off (its default,
  bottlerocket shared-defaults/aws-host-containers.toml): the probe reads the host only through
  `apiclient exec admin sheltie`, and says so in an error with this code.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class NoWayIn:
    code: str
    platform: str  # how coverage and the report name it
    why: str
    to_verify: str  # what would make the task verifiable


FARGATE = NoWayIn(
    "FARGATE",
    "AWS Fargate",
    "AWS runs the host, so there is no container instance to send the probe to",
    "run the task on the EC2 launch type or ECS Anywhere (an SSM-managed Linux host)",
)
MANAGED_INSTANCES = NoWayIn(
    "MANAGED_INSTANCES",
    "ECS Managed Instances",
    "AWS manages the instances: the account has no SSM or host access to them",
    "run the task on EC2 capacity the account manages (an Auto Scaling group capacity provider)",
)
WINDOWS = NoWayIn(
    "WINDOWS",
    "Windows",
    "the probe needs a Linux host (POSIX sh, docker, nsenter, ip); Windows containers have no "
    "Linux network namespace to read",
    "run the task on a Linux container instance",
)
BOTTLEROCKET_ADMIN_OFF = NoWayIn(
    "BOTTLEROCKET_ADMIN_OFF",
    "Bottlerocket (admin container off)",
    "the probe reaches a Bottlerocket host only through the admin host container, which is off",
    "enable it: settings.host-containers.admin.enabled=true (user data or apiclient set)",
)
NO_WAY_IN: dict[str, NoWayIn] = {
    p.code: p for p in (FARGATE, MANAGED_INSTANCES, WINDOWS, BOTTLEROCKET_ADMIN_OFF)
}
_CODE = re.compile(r"\[([A-Z][A-Z_]+)\]")


def reason(platform: NoWayIn, subject: str) -> str:
    """`[CODE] <subject>: <platform>: <why>; verifiable when: <what to change>`."""
    return (
        f"[{platform.code}] {subject}: {platform.platform}: {platform.why}; "
        f"verifiable when: {platform.to_verify}"
    )


def code_of(reasons: Iterable[str]) -> NoWayIn | None:
    """The platform whose code a reason carries (the first one found), or None."""
    for text in reasons:
        for match in _CODE.finditer(text):
            found = NO_WAY_IN.get(match.group(1))
            if found is not None:
                return found
    return None
