"""The member template (member/netaudit-member.yaml) as a StackSet would deploy it in one account,
resolved for the local run: the member role's identity policies and its trust policy.

The trust policy is the role's resource policy for sts:AssumeRole: the hub function's call is
decided by iam-simulate against the function's identity policies AND this trust policy (the role
is in another account, so both must allow: IAM User Guide, "Cross-account policy evaluation
logic"); every call made with the member's credentials is then decided against the member
role's own policies, as a principal of the member account.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netaudit_local.iam.policies import Resolver, Role, resolve_policies
from netaudit_local.template import MEMBER_TEMPLATE_PATH, load_template

MEMBER_ROLE = "MemberRole"  # logical id of the member role in the member template


@dataclass(frozen=True)
class MemberAccount:
    """One member account's stack: its role (identity policies) and the role's trust policy."""

    account: str
    role: Role
    trust: dict[str, Any]
    document_name: str
    # what the container instances' role gets (ProbeOutputPolicy): writing long probe outputs
    instance_policies: list[dict[str, Any]]

    def role_arn(self, partition: str = "aws") -> str:
        return f"arn:{partition}:iam::{self.account}:role/{self.role.role_name}"


def member_parameters(template: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, str]:
    values = {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()}
    values.update({k: str(v) for k, v in overrides.items()})
    missing = [k for k, v in values.items() if v == "" and "Default" not in template["Parameters"][k]]
    if missing:
        raise ValueError(f"member template: parameter(s) without a value: {', '.join(missing)}")
    return values


def member_account(
    account: str,
    region: str,
    parameters: Mapping[str, str],
    template_path: Path = MEMBER_TEMPLATE_PATH,
) -> MemberAccount:
    """The member stack of `account` with `parameters` (HubAccountId, HubAuditRoleArns (a,b),
    HubEvidenceBucket, and optionally ClusterName, MemberRoleName, ...)."""
    template = load_template(template_path)
    values = member_parameters(template, parameters)
    document = values["ProbeDocumentName"]
    resolve = Resolver(
        template,
        values,
        physical={"ProbeDocument": document},
        pseudo={
            "AWS::AccountId": account,
            "AWS::Region": region,
            "AWS::Partition": "aws",
            "AWS::StackName": f"StackSet-netaudit-member-{account}",
        },
    )
    props = template["Resources"][MEMBER_ROLE]["Properties"]
    role = Role(
        logical_id=f"{MEMBER_ROLE}@{account}",
        role_name=str(resolve(props["RoleName"])),
        # each assumption names its own session (netaudit-<execution>); no decision reads it
        session_name="netaudit-session",
        policies=resolve_policies(MEMBER_ROLE, props.get("Policies") or [], resolve),
    )
    output = template["Resources"]["ProbeOutputPolicy"]["Properties"]["PolicyDocument"]
    return MemberAccount(
        account=account,
        role=role,
        trust=resolve(props["AssumeRolePolicyDocument"]),
        document_name=document,
        instance_policies=[{"name": "ProbeOutputPolicy", "policy": resolve(output)}],
    )
