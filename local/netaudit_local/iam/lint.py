"""`make lint`: parliament over every IAM policy of template.yaml, as deployed (intrinsics and
SAM policy templates resolved, conditional statements included), with the waivers below.

    .venv/bin/python -m netaudit_local.iam.lint PARLIAMENT_PYTHON

parliament runs in its own venv (.venv-parliament: it needs setuptools<81); this module hands it
the resolved policies as JSON (scripts/parliament-findings.py). The roles are the ones
aws-sam-translator makes (netaudit_local.sam_transform: SAM's own policy templates, .venv-sam).
"""

import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netaudit_local.iam.policies import FUNCTION_TYPE, Resolver, iam_role, roles
from netaudit_local.stack import PSEUDO
from netaudit_local.template import TEMPLATE_PATH, load_template

ROOT = Path(__file__).resolve().parents[3]
RUNNER = ROOT / "scripts" / "parliament-findings.py"
STACK = "netaudit"
REGION, ACCOUNT = PSEUDO["AWS::Region"], PSEUDO["AWS::AccountId"]
# Parameter values that switch every conditional statement on, so each one is linted.
ALL_ON = {"EnableSecurityHubFindings": "true", "MemberAccounts": "222222222222"}  # + the organization's


@dataclass(frozen=True)
class Waiver:
    issue: str
    policy_prefix: str  # "<LogicalId>" or "<LogicalId>/<policy name>"
    detail: str  # a substring of the finding's detail (e.g. the action)
    why: str


# Every accepted finding, with why (the one place waivers live).
WAIVERS: tuple[Waiver, ...] = (
    Waiver(
        "RESOURCE_STAR",
        "ResolveHostsFunction",
        "ecs:ListTasks",
        "AWS authorizes ListTasks of a whole cluster only on '*'; the statement is scoped by the "
        "ecs:cluster condition (awsdocs/amazon-ecs-developer-guide#211).",
    ),
    Waiver(
        "RESOURCE_STAR",
        "StopCanaryFunction",
        "ecs:ListTasks",
        "As ResolveHosts: ListTasks by startedBy in the cluster is authorized on '*' with ecs:cluster.",
    ),
    Waiver(
        "RESOURCE_STAR",
        "CanaryJanitorFunction",
        "ecs:ListTasks",
        "As StopCanary: the janitor lists the tasks an execution started (startedBy) in the cluster, "
        "authorized on '*' with ecs:cluster.",
    ),
    Waiver(
        "RESOURCE_MISMATCH",
        "SendProbeFunction",
        "ssm:SendCommand",
        "SendCommand is authorized per resource: the tag condition must apply to the instances only, "
        "so they have a statement of their own; the document (and bucket) statement is beside it. "
        "parliament checks each statement alone.",
    ),
    Waiver(
        "RESOURCE_STAR",
        "MemberMemberRole",
        "ecs:ListTasks",
        "The member role (issue 21) lists a cluster's tasks as ResolveHosts does: on '*' with ecs:cluster.",
    ),
    Waiver(
        "RESOURCE_MISMATCH",
        "MemberMemberRole",
        "ssm:SendCommand",
        "As SendProbe: the member role's instance statement (tag condition) is beside its document "
        "and bucket statement.",
    ),
    Waiver(
        "RESOURCE_MISMATCH",
        "NetauditStateMachine",
        "states:DescribeExecution",
        "Distributed Map child executions are execution:<stateMachine>/<mapRunLabel>:<id> and, "
        "EXPRESS, express:<stateMachine>/<mapRunLabel>:<id>:<express id> (SAR resource types "
        "'labelled execution', 'labelled express'); parliament knows only the unlabelled forms.",
    ),
    Waiver(
        "NO_VERSION",
        "NetauditStateMachine/",
        "",
        "SAM's LambdaInvokePolicy (aws-sam-translator policy_templates.json) has no Version, and the "
        "transform deploys it so: IAM reads it as 2008-10-17, which differs from 2012-10-17 only in "
        "policy variables, none in it. The state machine's own statements state their Version.",
    ),
    Waiver(
        "NO_VERSION",
        "EventAuditStateMachine/",
        "",
        "As NetauditStateMachine: the event machine's Lambda invokes are SAM's LambdaInvokePolicy.",
    ),
)


def _physical(template: Mapping[str, Any]) -> dict[str, str]:
    bucket = f"{STACK}-evidencebucket-0123456789ab"
    out = {
        "EvidenceBucket": bucket,
        "EvidenceBucket.Arn": f"arn:aws:s3:::{bucket}",
        "AlertTopic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{STACK}-AlertTopic-0123456789ab",
        "ProbeDocument": f"{STACK}-ProbeDocument-0123456789ab",
        "TaskEventsQueue.Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{STACK}-TaskEventsQueue-0123456789ab",
        "NetauditStateMachine": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:netaudit-0123456789ab",
        "EventAuditStateMachine": (
            f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{STACK}-EventAuditStateMachine-0123456789ab"
        ),
    }
    for logical, res in template["Resources"].items():
        if res.get("Type") == FUNCTION_TYPE:
            name = f"{STACK}-{logical}-0123456789ab"
            out[logical] = name
            out[f"{logical}.Arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return out


def resolved_policies(template_path: Path = TEMPLATE_PATH) -> dict[str, dict[str, Any]]:
    """ "<LogicalId>/<policy name>" -> the policy document a deploy creates (all conditions on)."""
    template = load_template(template_path)
    params = {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()} | ALL_ON
    resolve = Resolver(template, params, _physical(template), {**PSEUDO, "AWS::StackName": STACK})
    out: dict[str, dict[str, Any]] = {}
    for logical, role in roles(template, resolve, {}).items():
        for policy in role.policies:
            out[f"{logical}/{policy['name']}"] = policy["policy"]
    for logical, res in template["Resources"].items():
        if res.get("Type") == "AWS::IAM::Role":  # the Pipe's role (SAM makes the others)
            for policy in iam_role(template, resolve, logical, logical).policies:
                out[f"{logical}/{policy['name']}"] = policy["policy"]
        if res.get("Type") == "AWS::S3::BucketPolicy":
            out[f"{logical}/PolicyDocument"] = resolve(res["Properties"]["PolicyDocument"])
    out.update(member_policies())
    return out


def member_policies() -> dict[str, dict[str, Any]]:
    """The member template's (member/netaudit-member.yaml) role and instance-role policies, as a
    StackSet deploys them in one member account (issue 21), all conditions on."""
    from netaudit_local.iam.member import member_account

    hub_roles = f"arn:aws:iam::{ACCOUNT}:role/{STACK}-ResolveHostsFunctionRole-0123456789ab"
    bucket = f"{STACK}-evidence"
    params = {"HubAccountId": ACCOUNT, "HubAuditRoleArns": hub_roles, "HubEvidenceBucket": bucket}
    params["EnableSecurityHubFindings"] = "true"
    member = member_account("222222222222", REGION, params)
    policies = [*member.role.policies, *member.instance_policies]
    return {f"Member{p['name']}": p["policy"] for p in policies}


def _waived(finding: Mapping[str, Any]) -> Waiver | None:
    for w in WAIVERS:
        if (
            finding["issue"] == w.issue
            and str(finding["policy"]).startswith(w.policy_prefix)
            and w.detail in json.dumps(finding["detail"])
        ):
            return w
    return None


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    policies = resolved_policies()
    run = subprocess.run(
        [argv[0], str(RUNNER)], input=json.dumps(policies), capture_output=True, text=True, check=False
    )
    if run.returncode != 0:
        print(f"parliament failed:\n{run.stderr}", file=sys.stderr)
        return 1
    findings: list[dict[str, Any]] = json.loads(run.stdout)
    problems: list[str] = []
    used: set[Waiver] = set()
    for f in findings:
        waiver = _waived(f)
        if waiver is None:
            problems.append(f"{f['policy']}: {f['issue']} ({f['severity']}) {f['title']}: {f['detail']}")
        else:
            used.add(waiver)
    problems += [f"waiver matches no finding (remove it): {w}" for w in WAIVERS if w not in used]
    for p in problems:
        print(p, file=sys.stderr)
    counts = f"{len(findings)} findings, {len(used)} waived, {len(problems)} problems"
    print(f"parliament: {len(policies)} policies, {counts}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
