"""The member template: plain CloudFormation a StackSet can deploy, its probe document the hub's,
and its role assumable only by the hub's audit roles (decided by iam-simulate)."""

from pathlib import Path

import pytest

from netaudit_local.iam.evaluator import Question, evaluator, policies_key
from netaudit_local.iam.member import MemberAccount, member_account
from netaudit_local.template import (
    MEMBER_TEMPLATE_PATH,
    TEMPLATE_PATH,
    ProbeDocumentDrift,
    load_template,
    member_probe_document,
    probe_document,
    probe_script,
    render_member,
    render_template,
)

HUB = "111111111111"
MEMBER = "222222222222"
OTHER = "333333333333"  # another account of the organization
REGION = "us-east-1"
AUDIT_ROLES = [
    f"arn:aws:iam::{HUB}:role/netaudit-ResolveHostsFunctionRole",
    f"arn:aws:iam::{HUB}:role/netaudit-SendProbeFunctionRole",
]
PARAMS = {"HubAccountId": HUB, "HubAuditRoleArns": ",".join(AUDIT_ROLES), "HubEvidenceBucket": "hub-evidence"}
# What a principal's own account lets it do: everything (the trust policy alone must stop it).
ADMIN = [
    {
        "name": "admin",
        "policy": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        },
    }
]

# CreateStackSet TemplateBody: "Maximum length of 51,200 bytes" (CloudFormation API reference).
TEMPLATE_BODY_LIMIT = 51_200


@pytest.fixture(scope="module")
def member() -> MemberAccount:
    return member_account(MEMBER, REGION, PARAMS)


def test_plain_cloudformation_small_enough_for_template_body() -> None:
    template = load_template(MEMBER_TEMPLATE_PATH)
    assert "Transform" not in template
    assert all(not str(r["Type"]).startswith("AWS::Serverless") for r in template["Resources"].values())
    assert len(MEMBER_TEMPLATE_PATH.read_bytes()) <= TEMPLATE_BODY_LIMIT


def test_the_member_document_is_the_hubs_and_the_script_the_probe_file() -> None:
    content = member_probe_document()
    assert content == probe_document()
    assert content["mainSteps"][0]["inputs"]["runCommand"][0] == probe_script()


def test_write_copies_whatever_the_script_is_into_both(tmp_path: Path) -> None:
    # the probe file changes (another helper edits it): --write's rendering carries it into the
    # hub's document and from there into the member's, and the member's drift is refused
    hub = render_template(TEMPLATE_PATH.read_text(encoding="utf-8"), probe_script() + "echo changed\n")
    stale = MEMBER_TEMPLATE_PATH.read_text(encoding="utf-8")
    (tmp_path / "template.yaml").write_text(hub, encoding="utf-8")
    (tmp_path / "member.yaml").write_text(stale, encoding="utf-8")
    script = tmp_path / "probe.sh"
    script.write_text(probe_script() + "echo changed\n", encoding="utf-8")
    with pytest.raises(ProbeDocumentDrift, match="--write"):
        member_probe_document(tmp_path / "member.yaml", tmp_path / "template.yaml")
    rendered = render_member(stale, hub)
    (tmp_path / "member2.yaml").write_text(rendered, encoding="utf-8")
    content = load_template(tmp_path / "member2.yaml")["Resources"]["ProbeDocument"]["Properties"]["Content"]
    assert content["mainSteps"][0]["inputs"]["runCommand"][0].endswith("echo changed\n")
    # only the Content block changed
    assert rendered.replace("                    echo changed\n", "", 1) == stale


def _assume(member: MemberAccount, role_arn: str, session: str = "netaudit-audit-1") -> str:
    """iam-simulate's decision on `role_arn` (a role) calling sts:AssumeRole on the member role."""
    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    e = evaluator()
    e.register(policies_key(ADMIN), ADMIN)
    trust_key = "trust:" + policies_key([member.trust])
    e.register(trust_key, [member.trust], resource=True)
    return e.decide(
        Question(
            principal=f"arn:aws:sts::{account}:assumed-role/{name}/{session}",
            policies=policies_key(ADMIN),
            action="sts:AssumeRole",
            resource=member.role_arn(),
            account=member.account,
            context={
                "aws:PrincipalArn": role_arn,
                "aws:PrincipalAccount": account,
                "sts:RoleSessionName": session,
                "aws:SecureTransport": "true",
            },
            resource_policy=trust_key,
        )
    ).result


@pytest.mark.parametrize("role", AUDIT_ROLES)
def test_the_hubs_audit_roles_may_assume_it(member: MemberAccount, role: str) -> None:
    assert _assume(member, role) == "Allowed"


@pytest.mark.parametrize(
    ("who", "role_arn"),
    [
        ("another role of the hub", f"arn:aws:iam::{HUB}:role/netaudit-CanaryJanitorFunctionRole"),
        ("an administrator of the hub", f"arn:aws:iam::{HUB}:role/Admin"),
        ("a role of the member itself", f"arn:aws:iam::{MEMBER}:role/Admin"),
        (
            "a role of another account of the organization",
            f"arn:aws:iam::{OTHER}:role/netaudit-ResolveHostsFunctionRole",
        ),
    ],
)
def test_no_other_principal_may_assume_it(member: MemberAccount, who: str, role_arn: str) -> None:
    assert _assume(member, role_arn) == "ImplicitlyDenied", who


def test_a_session_not_named_for_an_audit_is_refused(member: MemberAccount) -> None:
    assert _assume(member, AUDIT_ROLES[0], session="someone-by-hand") == "ImplicitlyDenied"


def _member_decides(member: MemberAccount, action: str, resource: str, context: dict[str, str]) -> str:
    e = evaluator()
    e.register(policies_key(member.role.policies), member.role.policies)
    return e.decide(
        Question(
            principal=f"arn:aws:sts::{MEMBER}:assumed-role/{member.role.role_name}/netaudit-audit-1",
            policies=policies_key(member.role.policies),
            action=action,
            resource=resource,
            account=MEMBER,
            context={"aws:RequestedRegion": REGION, **context},
        )
    ).result


def test_the_member_role_is_scoped_like_the_hubs_functions(member: MemberAccount) -> None:
    cluster = f"arn:aws:ecs:{REGION}:{MEMBER}:cluster/default"
    assert _member_decides(member, "ecs:ListTasks", "*", {"ecs:cluster": cluster}) == "Allowed"
    other = cluster.replace("default", "prod")
    assert _member_decides(member, "ecs:ListTasks", "*", {"ecs:cluster": other}) == "ImplicitlyDenied"
    doc = f"arn:aws:ssm:{REGION}:{MEMBER}:document/ecs-netaudit-probe"
    assert _member_decides(member, "ssm:SendCommand", doc, {}) == "Allowed"
    assert (
        _member_decides(
            member, "ssm:SendCommand", doc.replace("ecs-netaudit-probe", "AWS-RunShellScript"), {}
        )
        == "ImplicitlyDenied"
    )
    instance = f"arn:aws:ec2:{REGION}:{MEMBER}:instance/i-0aaaaaaaaaaaaaaa1"
    tagged = {"ssm:resourceTag/ecs-netaudit:cluster": "default"}
    assert _member_decides(member, "ssm:SendCommand", instance, tagged) == "Allowed"
    assert (
        _member_decides(member, "ssm:SendCommand", instance, {"ssm:resourceTag/ecs-netaudit:cluster": "prod"})
        == "ImplicitlyDenied"
    )
    assert _member_decides(member, "ssm:SendCommand", "arn:aws:s3:::hub-evidence", {}) == "Allowed"
    assert _member_decides(member, "ssm:SendCommand", "arn:aws:s3:::elsewhere", {}) == "ImplicitlyDenied"
    assert (
        _member_decides(
            member,
            "ecs:StopTask",
            f"arn:aws:ecs:{REGION}:{MEMBER}:task/default/{'a' * 32}",
            {"ecs:cluster": cluster},
        )
        == "ImplicitlyDenied"
    )


def test_no_wildcard_action_in_the_member_role(member: MemberAccount) -> None:
    actions = [
        a
        for p in member.role.policies
        for s in p["policy"]["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert actions and all("*" not in a for a in actions), actions
