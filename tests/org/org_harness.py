"""A hub and member accounts on moto with recorded hosts (no Docker): the organization tests'
harness (imported by name: `conftest` is ambiguous across test folders)."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from netaudit_local.cloud.account import ACCOUNT
from netaudit_local.cloud.aws import local_aws
from netaudit_local.hosts.recorded_host import RecordedHost
from netaudit_local.org import LocalMember, create_member, create_organization
from netaudit_local.stack import LocalStack
from recorded_stack import local_stack
from recordings import NONE_ISOLATED, NONE_VIOLATION, by_mode

MEMBER_A = "222222222222"
MEMBER_B = "333333333333"


@dataclass
class AccountHost(RecordedHost):
    """A recorded container instance of one account (`account` "" = the hub's) and cluster."""

    account: str = ""
    cluster: str = "default"


def _recordings(violating: bool = False) -> dict[str, str]:
    """Recorded probe outputs per mode; `violating`: the none-mode task is not isolated."""
    return by_mode(("none", "bridge"), none=NONE_VIOLATION if violating else NONE_ISOLATED)


@dataclass
class Org:
    stack: LocalStack
    members: dict[str, LocalMember]
    hosts: dict[str, AccountHost]  # account -> its host
    tasks: dict[str, list[str]] = field(default_factory=dict)  # account -> task ARNs started

    def run_tasks(self, account: str, modes: Sequence[str] = ("none", "bridge")) -> list[str]:
        ecs = self.stack.client("ecs") if account == ACCOUNT else self.members[account].client("ecs")
        arns = []
        for mode in modes:
            td = ecs.register_task_definition(
                family=f"org-{mode}",
                networkMode=mode,
                requiresCompatibilities=["EC2"],
                containerDefinitions=[{"name": "app", "image": "busybox", "memory": 32}],
            )["taskDefinition"]["taskDefinitionArn"]
            answer = ecs.run_task(cluster="default", taskDefinition=td, launchType="EC2")
            arns.append(answer["tasks"][0]["taskArn"])
        self.tasks.setdefault(account, []).extend(arns)
        return arns


@contextmanager
def organization(
    members: Sequence[str] = (MEMBER_A, MEMBER_B),
    *,
    without_role: Sequence[str] = (),
    member_parameters: dict[str, dict[str, str]] | None = None,
    violating: Sequence[str] = (),
    in_organization: Sequence[str] | None = None,
    **hub_parameters: Any,
) -> Iterator[Org]:
    """The hub (MemberAccounts = `members`) and each member with one recorded host in its cluster
    `default` (a name the hub's own cluster has too); `without_role`: members with no member role;
    `violating`: accounts whose none-mode tasks have an extra interface; `in_organization`: the
    hub's organization on moto with these accounts, and the hub MemberAccounts * of it."""
    hosts = {ACCOUNT: AccountHost(_recordings(ACCOUNT in violating), instance_id="i-0aaaaaaaaaaaaaaa1")}
    for n, account in enumerate(members, 2):
        recorded = _recordings(account in violating)
        hosts[account] = AccountHost(recorded, instance_id=f"i-0aaaaaaaaaaaaaaa{n}", account=account)
    with local_aws([]) as seams:
        params = {"MemberAccounts": ",".join(members), **hub_parameters}
        if in_organization is not None:
            params |= {"MemberAccounts": "*", "OrganizationId": create_organization(in_organization)}
        stack = local_stack(seams, *hosts.values(), parameters=params)
        created = {
            account: create_member(
                stack,
                account,
                role=account not in without_role,
                parameters=(member_parameters or {}).get(account),
            )
            for account in members
        }
        yield Org(stack, created, hosts)
