"""`netaudit demo --organization`: one audit of the hub's own account and two member accounts,
locally, on real containers (issue 21).

The hub is the local stack deployed with MemberAccounts naming two other accounts; each member
gets the member template (netaudit_local.org: its role, its probe document, one cluster `default`
with one container instance standing for this machine's Docker engine). Tasks of mixed network
modes run in every account, one member's task is tampered (by default an extra interface with
10.9.9.9/24 in its netns). The real state machine then audits `{"accounts": "*", "target":
{"kind": "cluster"}}`: every member call goes through the member role (AssumeRole with the
execution's name as the session, decided by iam-simulate on the hub function's policies and the
member's trust policy, then every call on the member role's policies); one SSM command per
container instance. The report must name exactly the tampered task and its account; every
container is removed afterwards (also on errors and Ctrl-C).

Run: `netaudit demo --organization [--tamper host-netns] [--json] [--evidence-out FILE]
[--html FILE] [--ocsf FILE] [--junit FILE] [--evidence-dir DIR]` (the exports as the Report step
stored them in the hub's bucket, as `netaudit demo --cluster` saves them).
"""

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netaudit.models.verdict import NetworkMode
from netaudit_cli.artifacts import OutputFiles, audit_evidence
from netaudit_cli.history import audit_report
from netaudit_local.cloud.account import ACCOUNT
from netaudit_local.demo.cluster import DOCKER_INSTANCE_ID, ClusterDockerHost, DemoAudit, audit_ended
from netaudit_local.hosts import docker_tasks as dt

MEMBERS: tuple[str, ...] = ("222222222222", "333333333333")
# account -> the modes of its tasks; the tampered task is TAMPERED (account, index)
MODES: dict[str, tuple[NetworkMode, ...]] = {
    ACCOUNT: ("none", "bridge"),
    MEMBERS[0]: ("none", "host"),
    MEMBERS[1]: ("none", "bridge"),
}
TAMPERED = (MEMBERS[1], 0)


@dataclass
class OrgDockerHost(ClusterDockerHost):
    """The demo's Docker host as a container instance of one account ("" = the hub's)."""

    account: str = ""


@dataclass(kw_only=True)
class OrganizationResult(DemoAudit):
    tasks: dict[str, tuple[str, str]]  # task ARN -> (account, declared mode), as started
    assumed: list[str]  # the member role ARNs AssumeRole was decided for, in order
    evidence_file: str | None = None


def run_organization_demo(
    *,
    tamper: dt.Tamper | None = "extra-interface",
    poll_interval: int = 0,
    timeout_s: float = 180,
    evidence_out: Path | None = None,
    without_role: tuple[str, ...] = (),
    outputs: OutputFiles | None = None,
) -> OrganizationResult:
    """Start the tasks in every account, audit them all, remove the containers."""
    from netaudit_local.cloud.aws import local_aws
    from netaudit_local.org import create_member
    from netaudit_local.stack import create_stack, run_execution

    hub = OrgDockerHost(instance_id=DOCKER_INSTANCE_ID, cluster="default")
    hosts = [hub] + [
        OrgDockerHost(
            run_label=f"{hub.run_label}-{n}",
            instance_id=f"{DOCKER_INSTANCE_ID[:-1]}{n}",
            cluster="default",
            account=account,
        )
        for n, account in enumerate(MEMBERS, 1)
    ]
    started_at = time.monotonic()
    try:
        with local_aws(hosts, in_progress_polls=0) as seams:
            stack = create_stack(seams, {"MemberAccounts": ",".join(MEMBERS), "PollIntervalSeconds": "0"})
            members = {a: create_member(stack, a, role=a not in without_role) for a in MEMBERS}
            tasks: dict[str, tuple[str, str]] = {}
            for host in hosts:
                account = host.account or ACCOUNT
                ecs = stack.client("ecs") if account == ACCOUNT else members[account].client("ecs")
                for index, mode in enumerate(MODES[account]):
                    host.tamper_next = tamper if (account, index) == TAMPERED else None
                    arn = _run_task(ecs, account, mode)
                    tasks[arn] = (account, mode)
            name = f"demo-org-{secrets.token_hex(3)}"
            payload = {"accounts": "*", "target": {"kind": "cluster"}, "pollIntervalSeconds": poll_interval}
            result = run_execution(stack, name, payload, timeout_s=timeout_s)
            read = audit_evidence(stack.client("s3"), audit_report(result.history), outputs)
            if evidence_out is not None and read.uri:
                evidence_out.write_text(json.dumps(read.evidence, indent=1), encoding="utf-8")
            commands = len(seams.commands)
            assumed = [r for _, action, r in seams.iam.log if action == "sts:AssumeRole"]
    finally:
        for each in hosts:
            each.cleanup()
    return OrganizationResult(
        **audit_ended(result, read, hosts, commands, started_at),
        tasks=tasks,
        assumed=assumed,
        evidence_file=str(evidence_out) if evidence_out is not None and read.uri else None,
    )


def _run_task(ecs: Any, account: str, mode: NetworkMode) -> str:
    family = f"demo-org-{mode}"
    td = ecs.register_task_definition(
        family=family,
        networkMode=mode,
        requiresCompatibilities=["EC2"],
        containerDefinitions=[
            {"name": "app", "image": "busybox", "command": ["sleep", "3600"], "memory": 32}
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    answer = ecs.run_task(
        cluster="default", taskDefinition=td, launchType="EC2", startedBy="netaudit-demo-org"
    )
    if not answer.get("tasks"):
        raise RuntimeError(f"RunTask placed no {mode} task in account {account}: {answer.get('failures')}")
    return str(answer["tasks"][0]["taskArn"])


def render_organization(result: OrganizationResult) -> str:
    """A line per task with its account, the tampered task's account, what was assumed."""
    by_arn = {t["taskArn"]: t for t in result.evidence.get("tasks") or []}
    lines = [
        f"netaudit demo --organization: {result.verdict} (execution {result.status})",
        f"accounts: {ACCOUNT} (hub, audited directly), {', '.join(MEMBERS)} (members, through "
        f"their role ecs-netaudit-member); tasks started: {len(result.tasks)}",
        "",
    ]
    if result.verdict == "ERROR":
        lines += [f"error: {result.error}: {result.cause}", ""]
    for arn, (account, mode) in result.tasks.items():
        task = by_arn.get(arn, {"verdict": "not audited"})
        lines.append(
            f"  {task.get('verdict', '?'):12} {mode:6} account {task.get('account') or account}  {arn}"
        )
        if task.get("reasons"):
            lines.append(f"      {'; '.join(task['reasons'])}")
    for gap in result.report.get("accountGaps") or []:
        lines.append(
            f"  NOT AUDITED  account {gap['account']} cluster {gap.get('cluster') or '*'}: {gap['reason']}"
        )
    tampered = [f"{arn} (account {result.tasks[arn][0]}, {how})" for arn, how in result.tampered.items()]
    lines += [
        "",
        f"tampered: {', '.join(tampered) or 'none'}",
        f"violations in account(s): {', '.join(_violating_accounts(result)) or 'none'}",
        f"member roles assumed (sts:AssumeRole, decided by iam-simulate): {len(result.assumed)}",
        f"evidence: {result.report.get('evidenceUri')} (moto's S3, in memory)"
        + (f", copied to {result.evidence_file}" if result.evidence_file else ""),
        f"SSM commands: {result.ssm_commands}, state transitions: {result.transitions}, "
        f"wall time: {result.wall_s:.1f} s",
        f"containers left behind: {len(result.leftovers)}",
        *result.saved.lines(),
    ]
    return "\n".join(lines)


def _violating_accounts(result: OrganizationResult) -> list[str]:
    return sorted(
        {str(t.get("account")) for t in result.evidence.get("tasks") or [] if t.get("verdict") == "VIOLATION"}
    )


def organization_document(result: OrganizationResult) -> dict[str, Any]:
    """`demo --organization --json`."""
    return {
        "verdict": result.verdict,
        "status": result.status,
        "tasks": [
            {"taskArn": arn, "account": account, "declaredMode": mode, "tampered": result.tampered.get(arn)}
            for arn, (account, mode) in result.tasks.items()
        ],
        "violatingAccounts": _violating_accounts(result),
        "report": result.report,
        "assumed": result.assumed,
        "ssmCommands": result.ssm_commands,
        "transitions": result.transitions,
        "leftovers": result.leftovers,
        "evidenceFile": result.evidence_file,
        "outputFiles": result.saved.files,
        "outputProblems": result.saved.problems,
    }
