"""`accounts: "*"` with MemberAccounts * (issue 21): Prepare lists the organization's ACTIVE
accounts (organizations:ListAccounts, every page), the hub's own first; a refused listing fails
the audit naming the call and what to grant, never audits fewer accounts."""

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from netaudit.errors import AccountsNotListed, InvalidInput
from netaudit.models.inputs import Defaults, ExecutionRef
from netaudit.settings import CanarySettings
from netaudit.workflow.prepare import prepare

HUB = "123456789012"
A, B, C = "222222222222", "333333333333", "444444444444"


class Ecs:
    def describe_clusters(self, clusters: list[str]) -> dict[str, Any]:
        return {"clusters": [{"clusterName": c, "status": "ACTIVE"} for c in clusters]}


class Organizations:
    """ListAccounts in pages (one empty with a NextToken, as the API reference warns), or refused."""

    def __init__(self, pages: list[list[dict[str, str]]], refuse: str = "") -> None:
        self.pages, self.refuse, self.calls = pages, refuse, 0

    def get_paginator(self, name: str) -> "Organizations":
        assert name == "list_accounts"
        return self

    def paginate(self) -> Iterator[dict[str, Any]]:
        self.calls += 1
        if self.refuse:
            error = {"Error": {"Code": self.refuse, "Message": "You don't have permissions"}}
            raise ClientError(error, "ListAccounts")  # type: ignore[arg-type]
        for n, page in enumerate(self.pages):
            yield {"Accounts": page, **({"NextToken": str(n)} if n + 1 < len(self.pages) else {})}


def _account(account: str, status: str = "ACTIVE") -> dict[str, str]:
    return {"Id": account, "Status": status, "State": status}


def _prepare(payload: dict[str, Any], members: str, org: Organizations) -> Any:
    defaults = Defaults(
        cluster="default",
        poll_interval_seconds=0,
        running_deadline_seconds=60,
        probe_deadline_seconds=60,
        accounts=members,
        hub_account=HUB,
    )
    return prepare(payload, defaults, ExecutionRef(), Ecs(), CanarySettings(image="busybox"), lambda: org)


def test_every_active_account_of_every_page_the_hubs_own_first() -> None:
    org = Organizations([[_account(B), _account(C, "SUSPENDED")], [], [_account(HUB), _account(A)]])
    audit = _prepare({"accounts": "*", "target": {"kind": "cluster"}}, "*", org)
    assert audit.accounts == [HUB, A, B]
    assert audit.cluster == "default"  # the hub's own cluster, checked directly as before


def test_listed_only_when_asked_for_every_account() -> None:
    org = Organizations([[_account(A)]])
    assert _prepare({"accounts": [HUB, B], "target": {"kind": "cluster"}}, "*", org).accounts == [HUB, B]
    assert _prepare({"target": {"kind": "cluster"}}, "*", org).accounts == []
    assert _prepare({"accounts": "*", "target": {"kind": "cluster"}}, A, org).accounts == [HUB, A]
    assert org.calls == 0


@pytest.mark.parametrize("code", ["AccessDeniedException", "AWSOrganizationsNotInUseException"])
def test_a_refused_listing_fails_naming_the_call_and_what_to_grant(code: str) -> None:
    with pytest.raises(AccountsNotListed) as caught:
        _prepare({"accounts": "*", "target": {"kind": "cluster"}}, "*", Organizations([], refuse=code))
    assert f"organizations:ListAccounts refused ({code})" in caught.value.message
    assert "delegated administrator" in caught.value.message and "Prepare function" in caught.value.message


def test_an_empty_listing_fails_too() -> None:
    with pytest.raises(AccountsNotListed, match="no ACTIVE account"):
        suspended = Organizations([[_account(A, "SUSPENDED")]])
        _prepare({"accounts": "*", "target": {"kind": "cluster"}}, "*", suspended)


def test_a_canary_stays_in_the_hubs_own_account() -> None:
    org = Organizations([[_account(HUB), _account(A)]])
    with pytest.raises(InvalidInput, match="a canary runs in this stack's own account"):
        _prepare({"accounts": "*", "target": {"kind": "canary", "networkMode": "none"}}, "*", org)
