"""Prepare: validate the input, fill the defaults. Bad input ends here and nothing is created.

What an input may not choose (issue 14, docs/THREAT_MODEL.md): the canary's command (never), its
image (only as the deployment's CanarySettings allow), a cluster out of the deployment's scope
(netaudit.workflow.scope), the tasks of another cluster, or anything the input model does not
declare (unknown fields).
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from netaudit.errors import AccountsNotListed, InvalidInput
from netaudit.models.inputs import (
    EXPRESS_CHILD_SECONDS,
    EXPRESS_PROBE_BUDGET,
    TARGET_KINDS,
    Audit,
    AuditInput,
    CanaryTarget,
    Defaults,
    ExecutionRef,
    TasksTarget,
    field_path,
    shown,
)
from netaudit.settings import CanarySettings
from netaudit.workflow.accounts import AccountScope, account_of, choose_accounts, member_clusters
from netaudit.workflow.org_accounts import GRANT, active_accounts
from netaudit.workflow.scope import Chosen, Scope, ScopeError, choose

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from mypy_boto3_ecs import ECSClient


MAX_PROBLEMS = 10  # problems listed in one InvalidInput message (an input may hold thousands)


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem: the field, what was expected and what was given (bounded)."""
    lines = []
    errors = exc.errors(include_url=False)
    for err in errors[:MAX_PROBLEMS]:
        msg = str(err["msg"]).removeprefix("Value error, ")
        given = err.get("input")
        path = field_path(tuple(err["loc"]))
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif err["type"] == "union_tag_invalid":  # pydantic's message quotes the whole tag
            path, msg = f"{path}.kind", f"expected one of {', '.join(TARGET_KINDS)}"
            given = (err.get("ctx") or {}).get("tag")
        suffix = f" (got {shown(given)})" if isinstance(given, str | int | float | bool) else ""
        lines.append(f"{path}: {msg}{suffix}")
    if len(errors) > MAX_PROBLEMS:
        lines.append(f"and {len(errors) - MAX_PROBLEMS} more")
    return "invalid input: " + "; ".join(lines)


def parse_input(raw: Any) -> AuditInput:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidInput(f"invalid input: expected a JSON object, got {type(raw).__name__}")
    try:
        return AuditInput.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(exc)) from None


def check_express_budget(probe_deadline: int, poll_interval: int) -> None:
    """Each group of hosts is probed by an Express child execution (at most 5 minutes)."""
    if probe_deadline + poll_interval > EXPRESS_PROBE_BUDGET:
        raise InvalidInput(
            f"invalid input: probeDeadlineSeconds: {probe_deadline} s plus pollIntervalSeconds "
            f"{poll_interval} s is over {EXPRESS_PROBE_BUDGET} s: hosts are probed in Express child "
            f"executions, which last at most {EXPRESS_CHILD_SECONDS} s (lower either value)"
        )


def fit_probe_budget(deadline: int, poll_interval: int, budget: int | None) -> int:
    """The probe deadline within the event machine's budget (`budget`, None on the Standard
    machine): a whole event audit is one Express execution, so a deadline the deployment sets for
    the Standard machine's children is shortened until the probe, one poll and every other state's
    worst case end within its 300 s. A host still probing then is INCONCLUSIVE (ProbeTimedOut) in
    a report that is written, instead of an execution that times out with its batch."""
    if budget is None:
        return deadline
    if poll_interval >= budget:
        raise InvalidInput(
            f"invalid input: pollIntervalSeconds: {poll_interval} s leaves no probe time within the "
            f"event audit's {budget} s (lower it)"
        )
    return min(deadline, budget - poll_interval)


def canary_image(target: CanaryTarget, settings: CanarySettings) -> str:
    """The canary's image: the deployment's, or the input's when the settings allow it."""
    if target.image is None:
        return settings.image
    why = settings.refuse_image(target.image, target.network_mode)
    if why:
        raise InvalidInput(f"invalid input: target.image: {why} (got {shown(target.image)})")
    return target.image


def prepare(
    raw: Any,
    defaults: Defaults,
    execution: ExecutionRef,
    ecs: "ECSClient",
    settings: CanarySettings,
    organizations: "Callable[[], BaseClient] | None" = None,
) -> Audit:
    """The normalised audit. Checks each cluster is in the deployment's scope and ACTIVE (one
    DescribeClusters, only after the input itself passed every check). `organizations`: the
    client that lists the organization's accounts (`accounts: "*"` with MemberAccounts *)."""
    parsed = parse_input(raw)
    try:
        scope = Scope.parse(defaults.cluster)
    except ScopeError as exc:
        raise InvalidInput(f"invalid input: cluster: {exc}") from None
    target = parsed.target
    image = settings.image
    if isinstance(target, CanaryTarget):
        image = canary_image(target, settings)
    accounts_scope = AccountScope.parse(defaults)
    accounts = choose_accounts(
        parsed, accounts_scope, lambda: _organization_accounts(organizations, accounts_scope.own)
    )
    members = member_clusters(parsed, accounts_scope, accounts)
    if not accounts or accounts_scope.own in accounts:  # the stack's own account: as before
        chosen = choose(_own_part(parsed, accounts_scope.own), scope, ecs)
    else:  # members only: their clusters (checked in each member by ResolveHosts)
        chosen = Chosen(tuple(members), all_clusters=not members)
    poll = parsed.poll_interval_seconds
    poll = defaults.poll_interval_seconds if poll is None else poll
    deadline = fit_probe_budget(
        parsed.probe_deadline_seconds or defaults.probe_deadline_seconds, poll, defaults.probe_budget_seconds
    )
    check_express_budget(deadline, poll)
    return Audit(
        execution=execution,
        cluster=chosen.cluster,
        clusters=list(chosen.clusters),
        all_clusters=chosen.all_clusters,
        target=target,
        image=image,
        command=settings.command,
        poll_interval_seconds=(
            parsed.poll_interval_seconds
            if parsed.poll_interval_seconds is not None
            else defaults.poll_interval_seconds
        ),
        running_deadline_seconds=parsed.running_deadline_seconds or defaults.running_deadline_seconds,
        probe_deadline_seconds=deadline,
        max_concurrency=parsed.max_concurrency or defaults.max_concurrency,
        accounts=accounts,
        hub_account=accounts_scope.own,
        member_clusters=members,
    )


def _organization_accounts(organizations: "Callable[[], BaseClient] | None", own: str) -> list[str]:
    if organizations is None:
        raise AccountsNotListed(f"organizations:ListAccounts: no Organizations client; {GRANT}")
    return active_accounts(organizations(), own)


def _own_part(parsed: AuditInput, own: str) -> AuditInput:
    """A tasks audit's part in the stack's own account (the members' tasks are checked by name)."""
    target = parsed.target
    if not isinstance(target, TasksTarget) or not own:
        return parsed
    arns = [a for a in target.task_arns if account_of(a) == own]
    return parsed.model_copy(update={"target": target.model_copy(update={"task_arns": arns})})
