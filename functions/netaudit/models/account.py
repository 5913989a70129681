"""Accounts of the organization in the models (issue 21): an input's account ids, and a member
account's clusters that could not be audited (`AccountGap`)."""

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

MAX_ACCOUNTS = 100  # accounts of one input
ACCOUNT_RE = r"^[0-9]{12}$"
EVERY = "*"  # the input's "every account in scope"


def _account_id(value: str) -> str:
    if value != EVERY and not re.match(ACCOUNT_RE, value):
        raise ValueError("expected a 12-digit AWS account id")
    return value


AccountId = Annotated[str, AfterValidator(_account_id)]  # per item: errors name accounts[i]


def every_account(value: Any) -> Any:
    """`accounts` before its items are checked: "*" alone, or a list."""
    if value == EVERY:
        return [EVERY]
    if value is not None and not isinstance(value, list):
        raise ValueError('expected a list of 12-digit AWS account ids, or "*" (every account in scope)')
    if isinstance(value, list) and EVERY in value and len(value) > 1:
        raise ValueError('"*" (every account of the deployment) cannot be combined with ids')
    return value


class AccountGap(BaseModel):
    """An account's cluster(s) that could not be audited: the account, the cluster ("" = every one
    of the audit's clusters there) and why (the call AWS refused, with its message)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    account: str
    cluster: str = ""
    reason: str


class DeploymentAccounts(BaseModel):
    """Prepare's `defaults` part (DefinitionSubstitutions): MemberAccounts (`a,b`, `*`, ""),
    MemberClusterName (`a,b`, `*`) and the stack's own account (audited directly)."""

    accounts: str = ""
    member_clusters: str = "default"
    hub_account: str = ""


class AuditAccounts(BaseModel):
    """An audit's part: the accounts audited in order ([]: the stack's own only, as before issue
    21), the stack's own, and the members' clusters ([]: every cluster of each, listed by
    ResolveHosts)."""

    accounts: list[str] = Field(default_factory=list)
    hub_account: str = ""
    member_clusters: list[str] = Field(default_factory=list)
