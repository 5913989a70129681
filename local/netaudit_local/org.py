"""Member accounts of the local organization (issue 21): the member template deployed on moto in
another account, beside the hub (the local stack, netaudit_local.stack).

moto keeps every account apart and serves a request from the account its credentials belong to:
credentials from STS AssumeRole belong to the role's account ("The ARN can point to another
account, providing an opportunity to switch accounts", moto's sts/models.py `assume_role`; the
access key is registered in that account's IAM backend, `_create_access_key`). So a member is set
up with credentials of a role of its own, and the hub's functions reach it only through the
member role their AssumeRole gets: every such call is decided by iam-simulate (the function's
policies and the member role's trust policy, then the member role's own policies).

A member with `role=False` has no member stack's role (not deployed there, or deleted): STS
refuses the hub's AssumeRole as AWS does for a role that does not exist.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3

from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.iam.member import MemberAccount, member_account
from netaudit_local.iam.requests import World
from netaudit_local.instances import account_network, ec2_instance, register_instances
from netaudit_local.stack import LocalStack
from netaudit_local.template import MEMBER_TEMPLATE_PATH, load_template, member_probe_document

# the hub functions whose roles the member trusts: template.yaml's MemberTrustRoleArns output
AUDIT_FUNCTIONS = ("ResolveHostsFunction", "SendProbeFunction", "GetProbeFunction", "ReportFunction")


@dataclass
class LocalMember:
    account: str
    clusters: list[str]
    stack: MemberAccount | None  # None: no member role in this account
    container_instances: dict[str, str] = field(default_factory=dict)  # instance id -> ARN
    subnet_id: str = ""

    def client(self, service: str) -> Any:
        """A client of this account (set-up and the demo's own calls; not a function's: not decided)."""
        return member_client(self.account, service)


def member_client(account: str, service: str) -> Any:
    sts = boto3.client("sts", region_name=REGION)
    role = f"arn:aws:iam::{account}:role/local-setup"
    creds = sts.assume_role(RoleArn=role, RoleSessionName="local-setup")["Credentials"]
    return boto3.client(  # type: ignore[call-overload]
        service,
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def trusted_role_arns(stack: LocalStack) -> list[str]:
    """The hub's MemberTrustRoleArns: its audit functions' role ARNs."""
    roles = stack.seams.iam.roles
    return [roles[f].arn(ACCOUNT) for f in AUDIT_FUNCTIONS]


def create_member(
    stack: LocalStack,
    account: str,
    clusters: tuple[str, ...] = ("default",),
    *,
    role: bool = True,
    parameters: Mapping[str, str] | None = None,
) -> LocalMember:
    """The member stack of `account` on moto: its clusters, the container instances of the hosts
    whose `account` is this one, the probe document and (with `role`) the member role."""
    if account == ACCOUNT:
        raise ValueError(f"{account} is the hub's own account")
    seams = stack.seams
    hosts = {iid: h for iid, h in seams.hosts.items() if getattr(h, "account", "") == account}
    backend, _vpc, subnet, _sg = account_network(account, "10.1.0.0/16")
    host_cluster = {iid: str(getattr(h, "cluster", "") or clusters[0]) for iid, h in hosts.items()}
    for iid in hosts:
        ec2_instance(backend, iid, subnet, host_cluster[iid])
    ecs = member_client(account, "ecs")
    ecs.put_account_setting(name="taskLongArnFormat", value="enabled")
    for name in dict.fromkeys([*clusters, *host_cluster.values()]):
        ecs.create_cluster(clusterName=name)
    instances = register_instances(ecs, host_cluster, account)
    member = LocalMember(account, list(clusters), None, instances, subnet)
    values = {
        "HubAccountId": ACCOUNT,
        "HubAuditRoleArns": ",".join(trusted_role_arns(stack)),
        "HubEvidenceBucket": stack.bucket,
        "ClusterName": ",".join(clusters),
        **(parameters or {}),
    }
    template = load_template(MEMBER_TEMPLATE_PATH)
    document = str(values.get("ProbeDocumentName") or template["Parameters"]["ProbeDocumentName"]["Default"])
    content = member_probe_document()  # refused unless it is the hub's document
    member_client(account, "ssm").create_document(
        Name=document, Content=json.dumps(content), DocumentType="Command", DocumentFormat="JSON"
    )
    seams.documents[document] = content
    if role:
        from netaudit_local.iam import instance_tags

        member.stack = member_account(account, REGION, values)
        world = World(region=REGION, account=account, instance_tags=instance_tags(account, REGION))
        seams.iam.add_member(member.stack, world)
    return member


def create_organization(members: Sequence[str], *, suspended: Sequence[str] = ()) -> str:
    """The organization on moto, the hub's account its management account, `members` (and the
    `suspended` accounts, SUSPENDED) its accounts; its id (the hub's OrganizationId).

    moto's CreateAccount makes up a random id: each account gets the id asked for, as an account
    invited into the organization keeps its own."""
    from moto.organizations.models import organizations_backends

    org = boto3.client("organizations", region_name=REGION)
    org_id = str(org.create_organization(FeatureSet="ALL")["Organization"]["Id"])
    backend = organizations_backends[ACCOUNT]["aws"]
    for account in [*members, *suspended]:
        org.create_account(AccountName=f"member-{account}", Email=f"{account}@example.com")
        created = backend.accounts[-1]
        masters = organizations_backends.master_accounts
        masters[account] = masters.pop(created.id)
        created.id = account
        if account in suspended:
            created.status = created.state = "SUSPENDED"
    return org_id
