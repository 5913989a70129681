"""The hub stack's side of the organization (template.yaml with MemberAccounts), decided by
iam-simulate: which functions may assume which member role, and who may write what into the
evidence bucket (its policy with ${aws:PrincipalAccount} and aws:PrincipalOrgID)."""

from dataclasses import replace

import pytest
from iam_harness import BUCKET, make_authorizer

from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.iam import Authorizer
from netaudit_local.iam.evaluator import Question, evaluator, policies_key
from netaudit_local.iam.member import member_account
from netaudit_local.iam.requests import World

MEMBER = "222222222222"
UNLISTED = "333333333333"
ORG = "o-abcdefghij"
ROLE = "arn:aws:iam::{}:role/ecs-netaudit-member"
AUDIT_FUNCTIONS = ["ResolveHostsFunction", "SendProbeFunction", "GetProbeFunction", "ReportFunction"]


def _hub(**params: str) -> Authorizer:
    authorizer = make_authorizer(MemberAccounts=MEMBER, **params)
    trusted = ",".join(authorizer.roles[f].arn(ACCOUNT) for f in AUDIT_FUNCTIONS)
    member = member_account(
        MEMBER, REGION, {"HubAccountId": ACCOUNT, "HubAuditRoleArns": trusted, "HubEvidenceBucket": BUCKET}
    )
    authorizer.add_member(member, World(region=REGION, account=MEMBER))
    return authorizer


@pytest.fixture(scope="module")
def hub() -> Authorizer:
    return _hub()


def _assume(
    authorizer: Authorizer, function: str, account: str = MEMBER, session: str = "netaudit-e1"
) -> str | None:
    return authorizer.check(
        function, "sts", "AssumeRole", {"RoleArn": ROLE.format(account), "RoleSessionName": session}
    )


@pytest.mark.parametrize("function", AUDIT_FUNCTIONS)
def test_the_audit_functions_assume_the_listed_members_role(hub: Authorizer, function: str) -> None:
    assert _assume(hub, function) is None


@pytest.mark.parametrize(
    "function", ["PrepareFunction", "CanaryJanitorFunction", "RunTaskFunction", "EvaluateFunction"]
)
def test_no_other_function_may(hub: Authorizer, function: str) -> None:
    message = _assume(hub, function)
    assert message is not None and f"sts:AssumeRole on resource: {ROLE.format(MEMBER)}" in message


def test_an_account_not_in_member_accounts_is_denied_by_the_hubs_own_policy(hub: Authorizer) -> None:
    message = _assume(hub, "ResolveHostsFunction", UNLISTED)
    assert message is not None and ROLE.format(UNLISTED) in message


def test_a_member_whose_trust_names_other_roles_refuses(hub: Authorizer) -> None:
    other = make_authorizer(MemberAccounts=MEMBER)
    member = member_account(
        MEMBER,
        REGION,
        {
            "HubAccountId": ACCOUNT,
            "HubAuditRoleArns": f"arn:aws:iam::{ACCOUNT}:role/someone-else",
            "HubEvidenceBucket": BUCKET,
        },
    )
    other.add_member(member, World(region=REGION, account=MEMBER))
    assert _assume(other, "ResolveHostsFunction") is not None


def test_every_member_of_the_organization_with_member_accounts_star() -> None:
    hub = make_authorizer(MemberAccounts="*", OrganizationId=ORG)
    statements = [s for p in hub.roles["ResolveHostsFunction"].policies for s in p["policy"]["Statement"]]
    (assume,) = [s for s in statements if s["Action"] == ["sts:AssumeRole"]]
    assert assume["Resource"] == "arn:aws:iam::*:role/ecs-netaudit-member"
    assert assume["Condition"] == {"StringEquals": {"aws:ResourceOrgID": ORG}}


# --- the bucket: a member's container instances write their long probe outputs, nothing else -----

INSTANCE_ROLE = "ecsInstanceRole"


def _instance_writes(
    authorizer_params: dict[str, str], account: str, action: str, key: str, org: str | None
) -> str:
    hub = make_authorizer(**authorizer_params)
    member = member_account(
        account,
        REGION,
        {
            "HubAccountId": ACCOUNT,
            "HubAuditRoleArns": f"arn:aws:iam::{ACCOUNT}:role/x",
            "HubEvidenceBucket": BUCKET,
        },
    )
    e = evaluator()
    e.register(policies_key(member.instance_policies), member.instance_policies)
    resource = f"arn:aws:s3:::{BUCKET}" + (f"/{key}" if key else "")
    return e.decide(
        Question(
            principal=f"arn:aws:sts::{account}:assumed-role/{INSTANCE_ROLE}/i-0123456789abcdef0",
            policies=policies_key(member.instance_policies),
            action=action,
            resource=resource,
            account=ACCOUNT,
            context={
                "aws:PrincipalArn": f"arn:aws:iam::{account}:role/{INSTANCE_ROLE}",
                "aws:PrincipalAccount": account,
                **({"aws:PrincipalOrgID": org} if org else {}),
                "aws:SecureTransport": "true",
            },
            resource_policy=hub.resource_policies[BUCKET],
        )
    ).result


@pytest.mark.parametrize(
    "params",
    [
        {"MemberAccounts": MEMBER},
        {"MemberAccounts": MEMBER, "OrganizationId": ORG},
        {"MemberAccounts": "*", "OrganizationId": ORG},
    ],
)
def test_a_member_instance_writes_only_below_its_own_account(params: dict[str, str]) -> None:
    own = f"org/{MEMBER}/exec-1/cmd/i-0123456789abcdef0/awsrunShellScript/probe/stdout"
    assert _instance_writes(params, MEMBER, "s3:PutObject", own, ORG) == "Allowed"
    assert _instance_writes(params, MEMBER, "s3:GetEncryptionConfiguration", "", ORG) == "Allowed"
    # another account's prefix, the hub's own prefixes, reading: denied
    for key in (f"org/{UNLISTED}/x", "ssm/exec-1/x", "audits/2026/12/06/x.json"):
        assert _instance_writes(params, MEMBER, "s3:PutObject", key, ORG) != "Allowed", key
    assert _instance_writes(params, MEMBER, "s3:GetObject", own, ORG) != "Allowed"


def test_an_account_outside_the_organization_or_the_list_may_not_write() -> None:
    key = f"org/{UNLISTED}/exec-1/x"
    assert _instance_writes({"MemberAccounts": MEMBER}, UNLISTED, "s3:PutObject", key, None) != "Allowed"
    org = {"MemberAccounts": "*", "OrganizationId": ORG}
    assert _instance_writes(org, UNLISTED, "s3:PutObject", key, "o-otherorgxyz") != "Allowed"
    assert _instance_writes(org, UNLISTED, "s3:PutObject", key, ORG) == "Allowed"  # in the organization


def test_a_single_account_stack_grants_no_other_account() -> None:
    key = f"org/{MEMBER}/exec-1/x"
    assert _instance_writes({}, MEMBER, "s3:PutObject", key, ORG) != "Allowed"


# --- MemberAccounts *: Prepare lists the organization's accounts ----------------------------------


def test_prepare_may_list_the_organizations_accounts_only_with_member_accounts_star() -> None:
    every = make_authorizer(MemberAccounts="*", OrganizationId=ORG)
    assert every.check("PrepareFunction", "organizations", "ListAccounts", {}) is None
    for function in ["ResolveHostsFunction", "ReportFunction", "RunTaskFunction"]:
        denied = every.check(function, "organizations", "ListAccounts", {})
        assert denied is not None and "organizations:ListAccounts" in denied, function
    for params in ({"MemberAccounts": MEMBER}, {}):  # a list of members, or a single account
        denied = make_authorizer(**params).check("PrepareFunction", "organizations", "ListAccounts", {})
        assert denied is not None and "organizations:ListAccounts" in denied


def _every_member_hub(organization_of: dict[str, str]) -> Authorizer:
    """MemberAccounts *: the hub's AssumeRole statement is decided on aws:ResourceOrgID, the
    organization of the member role's account (absent when the account is in none)."""
    hub = make_authorizer(MemberAccounts="*", OrganizationId=ORG)
    hub.world = replace(hub.world, organization_of=lambda account: organization_of.get(account, ""))
    trusted = ",".join(hub.roles[f].arn(ACCOUNT) for f in AUDIT_FUNCTIONS)
    for account in (MEMBER, UNLISTED):
        values = {"HubAccountId": ACCOUNT, "HubAuditRoleArns": trusted, "HubEvidenceBucket": BUCKET}
        hub.add_member(member_account(account, REGION, values), World(region=REGION, account=account))
    return hub


@pytest.mark.parametrize("function", AUDIT_FUNCTIONS)
def test_member_accounts_star_assumes_the_role_of_an_account_of_the_organization(function: str) -> None:
    hub = _every_member_hub({MEMBER: ORG, UNLISTED: "o-zzzzzzzzzz"})
    assert _assume(hub, function) is None
    for outside in ({MEMBER: ORG, UNLISTED: "o-zzzzzzzzzz"}, {MEMBER: ORG}):  # another org, or none
        message = _assume(_every_member_hub(outside), function, UNLISTED)
        assert message is not None and f"sts:AssumeRole on resource: {ROLE.format(UNLISTED)}" in message
