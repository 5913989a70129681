"""MemberAccounts * (issue 21): `accounts: "*"` audits every ACTIVE account of the organization,
listed by Prepare (organizations:ListAccounts on moto, decided by iam-simulate), and each member
role is assumed under the hub's `*` statement, decided on aws:ResourceOrgID: a member of the
organization is allowed, an account outside it denied (its tasks INCONCLUSIVE, naming it)."""

import secrets
from dataclasses import replace
from typing import Any

from org_harness import MEMBER_A, MEMBER_B, Org, organization

from netaudit_cli.history import audit_report
from netaudit_local.cloud.account import ACCOUNT
from netaudit_local.stack import ExecutionResult, run_execution

EVERY = {"accounts": "*", "target": {"kind": "cluster"}, "pollIntervalSeconds": 0}


def _run(org: Org, payload: dict[str, Any]) -> tuple[ExecutionResult, dict[str, Any]]:
    result = run_execution(org.stack, f"every-{secrets.token_hex(3)}", payload)
    return result, (result.output or {}) if result.status == "SUCCEEDED" else audit_report(result.history)


def test_every_active_account_of_the_organization_is_listed_and_audited() -> None:
    # B has a member stack but is not in the organization: not listed, so not audited
    with organization(in_organization=[MEMBER_A]) as org:
        for account in (ACCOUNT, MEMBER_A, MEMBER_B):
            org.run_tasks(account)
        result, report = _run(org, EVERY)
        assert result.status == "SUCCEEDED", (result.error, result.cause)
        assert set(report["countsByAccount"]) == {ACCOUNT, MEMBER_A}
        assert all(c["isolated"] == 2 for c in report["countsByAccount"].values())
        iam = org.stack.seams.iam
        assert ("PrepareFunction", "organizations:ListAccounts", "*") in iam.log
        assumed = {r.split(":")[4] for _, a, r in iam.log if a == "sts:AssumeRole"}
        assert assumed == {MEMBER_A} and not iam.denials


def test_an_account_outside_the_organization_is_denied_by_the_hubs_star_statement() -> None:
    with organization(in_organization=[MEMBER_A]) as org:
        for account in (ACCOUNT, MEMBER_A, MEMBER_B):
            org.run_tasks(account)
        payload = {**EVERY, "accounts": [ACCOUNT, MEMBER_A, MEMBER_B]}
        result, report = _run(org, payload)
        assert result.error == "AccountNotAudited" and report["verdict"] == "INCONCLUSIVE"
        (gap,) = report["accountGaps"]
        assert gap["account"] == MEMBER_B and "AssumeRole refused (AccessDenied)" in gap["reason"]
        assert report["countsByAccount"][MEMBER_A]["isolated"] == 2
        (denial,) = org.stack.seams.iam.denials
        assert denial.request.context.get("aws:ResourceOrgID") is None  # B is in no organization


def test_a_refused_listing_fails_in_prepare_naming_the_call() -> None:
    with organization(in_organization=[MEMBER_A]) as org:
        iam = org.stack.seams.iam
        role = iam.roles["PrepareFunction"]  # a Prepare role deployed without ListAccounts
        kept = [{**p, "policy": _without_list_accounts(p["policy"])} for p in role.policies]
        iam.add_role(replace(role, policies=kept))
        org.run_tasks(MEMBER_A)
        result, _ = _run(org, EVERY)
        assert result.status == "FAILED" and result.error == "AccountsNotListed", result.error
        assert "organizations:ListAccounts refused (AccessDeniedException)" in (result.cause or "")
        assert "delegated administrator" in (result.cause or "")
        assert not [a for _, a, _r in iam.log if a == "sts:AssumeRole"]  # no account audited
        assert not org.stack.seams.commands


def _without_list_accounts(policy: dict[str, Any]) -> dict[str, Any]:
    statements = policy["Statement"]
    return {**policy, "Statement": [s for s in statements if "organizations:ListAccounts" not in s["Action"]]}
