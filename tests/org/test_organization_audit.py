"""One audit across the hub's own account and two member accounts, on moto with recorded hosts:
every cross-account call decided by iam-simulate (the hub function's policies and the member
role's trust policy for AssumeRole, then the member role's policies), each account's failure its
own, every task record naming its account."""

import secrets
from typing import Any

from org_harness import MEMBER_A, MEMBER_B, Org, organization

from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.stack import ExecutionResult, run_execution

EVERY_ACCOUNT = {"accounts": "*", "target": {"kind": "cluster"}, "pollIntervalSeconds": 0}


def _run(org: Org, payload: dict[str, Any]) -> tuple[ExecutionResult, dict[str, Any]]:
    name = f"org-{secrets.token_hex(3)}"
    result = run_execution(org.stack, name, payload)
    report = (result.output or {}) if result.status == "SUCCEEDED" else _failed_report(result)
    return result, report


def _failed_report(result: ExecutionResult) -> dict[str, Any]:
    from netaudit_cli.history import audit_report

    return audit_report(result.history)


def _evidence(org: Org, report: dict[str, Any]) -> dict[str, Any]:
    import json

    from netaudit_cli.artifacts import read_object

    return dict(json.loads(read_object(org.stack.client("s3"), str(report["evidenceUri"]))))


def test_every_account_audited_each_task_naming_its_account() -> None:
    with organization() as org:
        for account in (ACCOUNT, MEMBER_A, MEMBER_B):
            org.run_tasks(account)
        result, report = _run(org, EVERY_ACCOUNT)
        assert result.status == "SUCCEEDED", (result.error, result.cause)
        assert report["verdict"] == "ISOLATED"
        evidence = _evidence(org, report)
        by_arn = {t["taskArn"]: t for t in evidence["tasks"]}
        for account, arns in org.tasks.items():
            for arn in arns:
                assert by_arn[arn]["account"] == account and by_arn[arn]["verdict"] == "ISOLATED"
        assert set(report["countsByAccount"]) == {ACCOUNT, MEMBER_A, MEMBER_B}
        assert all(c["tasks"] == 2 for c in report["countsByAccount"].values())
        # one cluster name, three clusters: counted apart
        assert set(report["countsByCluster"]) == {f"{a}/default" for a in (ACCOUNT, MEMBER_A, MEMBER_B)}
        assert len(org.stack.seams.commands) == 3  # one SSM command per host
        iam = org.stack.seams.iam
        assumed = [r for role, action, r in iam.log if action == "sts:AssumeRole"]
        assert {r.split(":")[4] for r in assumed} == {MEMBER_A, MEMBER_B}
        # each member's calls were decided as its member role, in its own account
        for member in (MEMBER_A, MEMBER_B):
            acted = [a for role, a, r in iam.log if role == f"MemberRole@{member}"]
            assert {"ecs:ListTasks", "ssm:SendCommand", "ssm:GetCommandInvocation"} <= set(acted)
        assert not iam.denials


def test_a_member_without_its_role_is_inconclusive_and_the_others_are_audited() -> None:
    with organization(without_role=[MEMBER_B]) as org:
        for account in (ACCOUNT, MEMBER_A, MEMBER_B):
            org.run_tasks(account)
        result, report = _run(org, EVERY_ACCOUNT)
        assert result.status == "FAILED" and result.error == "AccountNotAudited", result.error
        assert report["verdict"] == "INCONCLUSIVE"
        (gap,) = report["accountGaps"]
        assert gap["account"] == MEMBER_B and gap["cluster"] == "default"
        assert "AssumeRole refused (AccessDenied)" in gap["reason"]
        assert f"arn:aws:iam::{MEMBER_B}:role/ecs-netaudit-member" in gap["reason"]
        assert f"account {MEMBER_B}" in (result.cause or "")
        evidence = _evidence(org, report)
        audited = {t["account"] for t in evidence["tasks"] if t["verdict"] == "ISOLATED"}
        assert audited == {ACCOUNT, MEMBER_A}  # the other accounts: unaffected
        assert len(org.stack.seams.commands) == 2


def test_a_member_role_that_denies_a_call_names_the_account_and_the_call() -> None:
    # the member stack of B allows only cluster prod: the hub's ListTasks of default is denied there
    with organization(member_parameters={MEMBER_B: {"ClusterName": "prod"}}) as org:
        for account in (ACCOUNT, MEMBER_A):
            org.run_tasks(account)
        result, report = _run(org, EVERY_ACCOUNT)
        assert report["verdict"] == "INCONCLUSIVE" and result.error == "AccountNotAudited"
        (gap,) = report["accountGaps"]
        assert gap["account"] == MEMBER_B
        assert "ListTasks refused (AccessDeniedException)" in gap["reason"]
        assert "ecs:ListTasks" in gap["reason"] and "ecs-netaudit-member" in gap["reason"]
        assert report["countsByAccount"][MEMBER_A]["isolated"] == 2


def test_tasks_of_a_member_named_by_arn_are_inconclusive_naming_the_account() -> None:
    with organization(without_role=[MEMBER_B]) as org:
        mine = org.run_tasks(ACCOUNT, ("none",))
        theirs = org.run_tasks(MEMBER_B, ("none",))
        payload = {"target": {"kind": "tasks", "taskArns": [*mine, *theirs]}, "pollIntervalSeconds": 0}
        _, report = _run(org, payload)
        assert report["verdict"] == "INCONCLUSIVE"
        evidence = _evidence(org, report)
        by_arn = {t["taskArn"]: t for t in evidence["tasks"]}
        assert by_arn[mine[0]]["verdict"] == "ISOLATED" and by_arn[mine[0]]["account"] == ACCOUNT
        task = by_arn[theirs[0]]
        assert task["verdict"] == "INCONCLUSIVE" and task["account"] == MEMBER_B
        assert f"account {MEMBER_B}: AssumeRole refused" in task["reasons"][0]


def test_an_account_out_of_scope_is_refused_by_name_and_nothing_is_created() -> None:
    with organization(members=[MEMBER_A]) as org:
        result, _ = _run(org, {"accounts": [MEMBER_A, "444444444444"], "target": {"kind": "cluster"}})
        assert result.status == "FAILED" and result.error == "InvalidInput"
        assert "accounts[1]" in (result.cause or "") and "444444444444" in (result.cause or "")
        assert not org.stack.seams.commands
        assert not [a for _, a, _ in org.stack.seams.iam.log if a == "sts:AssumeRole"]


def test_session_names_carry_the_execution_name() -> None:
    with organization(members=[MEMBER_A]) as org:
        org.run_tasks(MEMBER_A, ("none",))
        result, _ = _run(org, EVERY_ACCOUNT)
        assert result.status == "SUCCEEDED", result.cause
        from moto.sts.models import sts_backends

        sessions = {r.session_name for r in sts_backends[MEMBER_A]["aws"].assumed_roles}
        name = result.execution_arn.rsplit(":", 1)[-1]
        assert f"netaudit-{name}" in sessions
        assert REGION  # the member's calls were made in the hub's region


def test_security_hub_findings_are_imported_in_the_members_own_account() -> None:
    """With the default product ARN, BatchImportFindings must be called by the account the
    finding names in AwsAccountId (Security Hub API reference): a member's finding is imported
    in that member, through its role, never in the hub."""
    on = {"EnableSecurityHubFindings": "true"}
    with organization(
        members=[MEMBER_A], violating=[MEMBER_A], member_parameters={MEMBER_A: on}, **on
    ) as org:
        import boto3

        org.stack.client("securityhub").enable_security_hub()
        org.members[MEMBER_A].client("securityhub").enable_security_hub()
        org.run_tasks(ACCOUNT, ("none",))
        (theirs,) = org.run_tasks(MEMBER_A, ("none",))
        _, report = _run(org, EVERY_ACCOUNT)
        assert report["verdict"] == "VIOLATION", report.get("cause")
        assert report["securityHub"] == {"imported": 1, "resolved": 0, "archived": 0, "failed": 0}
        member_findings = org.members[MEMBER_A].client("securityhub").get_findings()["Findings"]
        assert [(f["AwsAccountId"], f["Resources"][0]["Id"]) for f in member_findings] == [(MEMBER_A, theirs)]
        assert member_findings[0]["ProductArn"].endswith(f":product/{MEMBER_A}/default")
        hub = boto3.client("securityhub", region_name=REGION)
        assert hub.get_findings()["Findings"] == []
        acted = {(role, a) for role, a, _ in org.stack.seams.iam.log}
        assert (f"MemberRole@{MEMBER_A}", "securityhub:BatchImportFindings") in acted
        assert ("ReportFunction", "sts:AssumeRole") in acted


def test_a_members_long_output_is_written_below_its_prefix_and_read_by_the_hub() -> None:
    """Over 24,000 characters: SSM writes the output from the member's instance (its role) into the
    hub's bucket, which allows it only below org/<that account>/ (decided by iam-simulate)."""
    with organization(members=[MEMBER_A]) as org:
        org.hosts[MEMBER_A].faults.pad_output_to = 30_000
        org.run_tasks(MEMBER_A, ("none",))
        result, report = _run(org, EVERY_ACCOUNT)
        assert result.status == "SUCCEEDED" and report["verdict"] == "ISOLATED", result.cause
        (host,) = [h for h in _evidence(org, report)["hosts"] if h.get("account") == MEMBER_A]
        assert host["outputS3Uri"].startswith(f"s3://{org.stack.bucket}/org/{MEMBER_A}/")


def test_a_member_outside_the_organization_cannot_write_its_long_output() -> None:
    # the hub's bucket policy admits the organization o-abcdefghij; this member's principals carry
    # no aws:PrincipalOrgID (not in it): the upload is refused, the host's tasks are INCONCLUSIVE
    with organization(members=[MEMBER_A], OrganizationId="o-abcdefghij") as org:
        org.hosts[MEMBER_A].faults.pad_output_to = 30_000
        (theirs,) = org.run_tasks(MEMBER_A, ("none",))
        _, report = _run(org, EVERY_ACCOUNT)
        assert report["verdict"] == "INCONCLUSIVE"
        task = {t["taskArn"]: t for t in _evidence(org, report)["tasks"]}[theirs]
        assert task["verdict"] == "INCONCLUSIVE" and task["account"] == MEMBER_A
