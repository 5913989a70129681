"""The accounts of the organization, for an input's `accounts: "*"` when the deployment's
MemberAccounts is `*` (issue 21): Prepare lists them with organizations:ListAccounts, so the audit
covers every ACTIVE account of the organization, the hub's own first (audited directly).

ListAccounts "can be called only from the organization's management account or by a member
account that is a delegated administrator" (AWS CLI reference, organizations list-accounts; the
API reference says the same): the hub account is a delegated administrator (README). It is
paginated and may return an empty page with a NextToken, so every page is read (the paginator
follows NextToken to its end). A refused or failed listing fails the audit here, naming the call
and what to grant: it never audits fewer accounts than the organization has without saying so.
"""

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from netaudit.errors import THROTTLING_CODES, AccountsNotListed, AwsThrottled

if TYPE_CHECKING:
    from botocore.client import BaseClient

GRANT = (
    "with MemberAccounts * the hub lists its organization's accounts: register the hub account as a "
    "delegated administrator of the organization (from the management account) and keep "
    "organizations:ListAccounts in the Prepare function's role (template.yaml grants it when "
    "MemberAccounts is *), or name the accounts in the input's `accounts`"
)


def active_accounts(organizations: "BaseClient", own: str) -> list[str]:
    """The organization's ACTIVE accounts: `own` first, then the others in id order."""
    try:
        pages = organizations.get_paginator("list_accounts").paginate()
        found = [a for page in pages for a in page.get("Accounts") or []]
    except ClientError as exc:
        error = exc.response.get("Error") or {}
        code = str(error.get("Code") or "")
        if code in THROTTLING_CODES:
            raise AwsThrottled(f"organizations:ListAccounts throttled: {error.get('Message')}") from None
        raise AccountsNotListed(
            f"organizations:ListAccounts refused ({code}): {error.get('Message') or ''}; {GRANT}"
        ) from None
    except BotoCoreError as exc:
        raise AccountsNotListed(f"organizations:ListAccounts failed: {exc}; {GRANT}") from None
    # `State` replaced `Status` in the API (both in botocore's model): either says ACTIVE
    active = {str(a["Id"]) for a in found if (a.get("State") or a.get("Status")) == "ACTIVE"}
    if not active:
        raise AccountsNotListed(f"organizations:ListAccounts listed no ACTIVE account; {GRANT}")
    return [own, *sorted(active - {own})] if own else sorted(active)
