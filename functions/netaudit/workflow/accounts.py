"""The accounts one stack may audit (issue 21): its own, directly, and its MemberAccounts through
the member role each member stack holds (member/netaudit-member.yaml).

The deployment hands its scope to Prepare in `defaults` (DefinitionSubstitutions): MemberAccounts
joined by commas (`a,b`, `*` = every account of the organization, "" = none), MemberClusterName
(the clusters the hub may audit in a member, `a,b` or `*`) and the stack's own account. An input
may name `accounts` inside that scope, never outside it: Prepare refuses an account or a member
cluster out of scope by name, before anything is created (IAM denies it on AWS as well: the
functions may assume only the listed accounts' member roles, and each member role is scoped to
its clusters).
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from netaudit.errors import InvalidInput
from netaudit.models.account import ACCOUNT_RE
from netaudit.models.inputs import Audit, AuditInput, CanaryTarget, Defaults, TasksTarget, shown
from netaudit.workflow.scope import EVERY, Scope, ScopeError, cluster_name, cluster_of_task


def account_of(arn: str) -> str:
    """The account an ARN names (its fifth field): every task record's account."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


@dataclass(frozen=True)
class AccountScope:
    own: str  # the stack's own account (audited directly)
    members: tuple[str, ...]  # MemberAccounts' ids
    organization: bool  # MemberAccounts *: any account (of OrganizationId, as IAM enforces)
    member_clusters: Scope

    @classmethod
    def parse(cls, defaults: Defaults) -> "AccountScope":
        items = [a.strip() for a in defaults.accounts.split(",") if a.strip()]
        organization = items == [EVERY]
        bad = [a for a in items if not re.match(ACCOUNT_RE, a)] if not organization else []
        if bad:
            raise InvalidInput(
                f"invalid input: accounts: MemberAccounts holds {shown(bad[0])}, not an account id"
            )
        try:
            clusters = Scope.parse(defaults.member_clusters or "default")
        except ScopeError as exc:
            raise InvalidInput(f"invalid input: clusters: MemberClusterName: {exc}") from None
        own = defaults.hub_account
        return cls(
            own,
            () if organization else tuple(a for a in dict.fromkeys(items) if a != own),
            organization,
            clusters,
        )

    def allows(self, account: str) -> bool:
        return account == self.own or account in self.members or (self.organization and bool(account))

    def describe(self) -> str:
        if self.organization:
            return f"this account ({self.own}) and the accounts of its organization"
        others = ", ".join(self.members)
        return f"this account ({self.own})" + (
            f" and {others}" if others else " only (MemberAccounts is empty)"
        )


def _refused(field: str, scope: AccountScope, account: str) -> InvalidInput:
    return InvalidInput(
        f"invalid input: {field}: this deployment may only audit {scope.describe()}, not {shown(account)}"
    )


def choose_accounts(
    parsed: AuditInput, scope: AccountScope, organization: Callable[[], Sequence[str]] = tuple
) -> list[str]:
    """The accounts of the audit, in order; [] = the stack's own only (the single-account audit).
    `accounts: "*"` is MemberAccounts' accounts, or with MemberAccounts * what `organization`
    lists (the organization's ACTIVE accounts, netaudit.workflow.org_accounts)."""
    target = parsed.target
    named: list[tuple[str, str]]  # (field, account)
    if parsed.accounts is None and not (scope.members or scope.organization):
        return []  # a single-account deployment: exactly as before issue 21
    if parsed.accounts == [EVERY]:
        every = organization() if scope.organization else (scope.own, *scope.members)
        named = [("accounts", a) for a in every]
    elif parsed.accounts is not None:
        named = [(f"accounts[{i}]", a) for i, a in enumerate(parsed.accounts)]
    elif isinstance(target, TasksTarget):  # the accounts the task ARNs name
        named = [(f"target.taskArns[{i}]", account_of(a)) for i, a in enumerate(target.task_arns)]
    else:
        return []
    for field, account in named:
        if not scope.allows(account):
            raise _refused(field, scope, account)
    accounts = list(dict.fromkeys(a for _, a in named))
    if isinstance(target, CanaryTarget) and accounts not in ([], [scope.own]):
        raise InvalidInput(
            f"invalid input: accounts: a canary runs in this stack's own account ({scope.own}) only, "
            f"not in {shown(next(a for a in accounts if a != scope.own))}"
        )
    if isinstance(target, TasksTarget):
        for i, arn in enumerate(target.task_arns):
            if account_of(arn) not in accounts:
                raise InvalidInput(
                    f"invalid input: target.taskArns[{i}]: a task of account {account_of(arn)}; this audit "
                    f"covers only accounts {', '.join(accounts)}"
                )
    return [] if accounts == [scope.own] else accounts


def member_clusters(parsed: AuditInput, scope: AccountScope, accounts: Sequence[str]) -> list[str]:
    """The clusters audited in each member account: the input's (each in MemberClusterName), else
    MemberClusterName's names ([] = every cluster of the account)."""
    if not any(a != scope.own for a in accounts):
        return []
    given: list[tuple[str, str]] = []
    if parsed.cluster is not None:
        given = [("cluster", parsed.cluster)]
    elif parsed.clusters is not None and parsed.clusters != [EVERY]:
        given = [(f"clusters[{i}]", c) for i, c in enumerate(parsed.clusters)]
    if isinstance(parsed.target, TasksTarget):  # the tasks' own clusters, each in scope
        given += [
            (f"target.taskArns[{i}]", name)
            for i, arn in enumerate(parsed.target.task_arns)
            if account_of(arn) != scope.own and (name := cluster_of_task(arn)) is not None
        ]
    for field, cluster in given:
        if not scope.member_clusters.allows(cluster):
            raise InvalidInput(
                f"invalid input: {field}: in member accounts this deployment may only audit "
                f"{scope.member_clusters.describe()} (MemberClusterName), not {shown(cluster)}"
            )
    if given:
        return list(dict.fromkeys(cluster_name(c) for _, c in given))
    return list(scope.member_clusters.names)


def in_account(audit: Audit, account: str) -> Audit:
    """The audit as one member account sees it: its clusters and, for a tasks audit, its tasks."""
    target = audit.target
    if isinstance(target, TasksTarget):
        arns = [a for a in target.task_arns if account_of(a) == account]
        running = {a: t for a, t in (target.running_at or {}).items() if a in arns} or None
        target = target.model_copy(update={"task_arns": arns, "running_at": running})
    clusters = audit.member_clusters
    return audit.model_copy(
        update={
            "target": target,
            "cluster": clusters[0] if len(clusters) == 1 else "",
            "clusters": list(clusters),
            "all_clusters": not clusters,
            "accounts": [account],
        }
    )
