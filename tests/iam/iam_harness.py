"""Helpers of the IAM tests (imported by name: `conftest` is ambiguous across test folders): the
template's roles without moto, template copies, a local stack with a recorded host (no Docker)."""

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.cloud.aws import local_aws
from netaudit_local.hosts.recorded_host import RecordedHost
from netaudit_local.iam import Authorizer
from netaudit_local.iam.evaluator import evaluator
from netaudit_local.iam.policies import roles
from netaudit_local.iam.requests import World
from netaudit_local.stack import MACHINE_NAME, LocalStack, local_resolver, parameter_values
from netaudit_local.template import TEMPLATE_PATH, load_template
from recorded_stack import local_stack, recorded_host

BUCKET = "netaudit-evidence-local"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:netaudit-alerts"
MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{MACHINE_NAME}"
TAGGED = "i-0aaaaaaaaaaaaaaa1"
UNTAGGED = "i-0bbbbbbbbbbbbbbb2"
OTHER_CLUSTER = "i-0ccccccccccccccc3"
MANAGED = "mi-0123456789abcdef0"
BLUE = "i-0ddddddddddddddd4"  # a container instance of a second cluster (ClusterName a list)
TAGS = {
    BLUE: {"ecs-netaudit:cluster": "blue"},
    TAGGED: {"ecs-netaudit:cluster": "default"},
    UNTAGGED: {},
    OTHER_CLUSTER: {"ecs-netaudit:cluster": "prod"},
    MANAGED: {"ecs-netaudit:cluster": "default"},
}


def make_authorizer(template_path: Path = TEMPLATE_PATH, **params: str) -> Authorizer:
    """The template's roles, resolved with the names create_stack gives the local stack."""
    template = load_template(template_path)
    values = parameter_values(template, params)
    functions, resolve = local_resolver(template, values, BUCKET, TOPIC, "netaudit-probe")
    authorizer = Authorizer(
        evaluator=evaluator(),
        world=World(region=REGION, account=ACCOUNT, instance_tags=lambda i: TAGS.get(i, {})),
        roles=roles(template, resolve, {**functions, "NetauditStateMachine": MACHINE_NAME}),
        functions={name: logical for logical, name in functions.items()},
        state_machines=("NetauditStateMachine", "EventAuditStateMachine"),
    )
    policy = resolve(template["Resources"]["EvidenceBucketPolicy"]["Properties"]["PolicyDocument"])
    authorizer.register({BUCKET: policy})
    return authorizer


def template_copy(tmp_path: Path, logical_id: str, old: str, new: str) -> Path:
    """A copy of template.yaml (and the ASL beside it) with `old` (once in `logical_id`'s
    resource) replaced by `new`."""
    text = TEMPLATE_PATH.read_text(encoding="utf-8")
    start = text.index(f"\n  {logical_id}:\n")
    following = re.search(r"\n  [A-Za-z0-9]+:\n", text[start + 1 :])
    end = start + 1 + following.start() if following else len(text)
    block = text[start:end]
    assert block.count(old) == 1, f"{old!r} is not once in {logical_id}"
    copy = tmp_path / "template.yaml"
    copy.write_text(text[:start] + block.replace(old, new) + text[end:])
    shutil.copytree(TEMPLATE_PATH.parent / "statemachine", tmp_path / "statemachine")
    return copy


def template_without(tmp_path: Path, logical_id: str, action: str) -> Path:
    """A copy whose `logical_id` role lacks `action` (its line becomes ecs:ListClusters, which no
    function calls)."""
    line = f"                  - {action}\n"
    return template_copy(tmp_path, logical_id, line, "                  - ecs:ListClusters\n")


StackMaker = Callable[..., tuple[LocalStack, RecordedHost]]


def local_stack_maker() -> Iterator[StackMaker]:
    """`local_stack(template_path=..., **parameters)` -> (stack, recorded host) on moto."""
    with local_aws([]) as seams:

        def make(template_path: Path = TEMPLATE_PATH, **params: Any) -> tuple[LocalStack, RecordedHost]:
            host = recorded_host()
            return local_stack(seams, host, parameters=params, template_path=template_path), host

        yield make
