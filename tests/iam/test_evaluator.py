"""The decisions really come from iam-simulate (a stub that always allows fails these), and are
asked once per distinct request."""

import pytest

from netaudit_local.iam.evaluator import Evaluator, EvaluatorError, Question, policies_key

PRINCIPAL = "arn:aws:sts::123456789012:assumed-role/r/s"
CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/default"
LIST_TASKS = [
    {
        "name": "p",
        "policy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "ecs:ListTasks",
                    "Resource": "*",
                    "Condition": {"ArnEquals": {"ecs:cluster": CLUSTER}},
                },
                {
                    "Effect": "Deny",
                    "Action": "ecs:ListTasks",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:PrincipalArn": PRINCIPAL + "-denied"}},
                },
            ],
        },
    }
]


def _decide(e: Evaluator, cluster: str, principal: str = PRINCIPAL) -> str:
    return e.decide(
        Question(
            principal=principal,
            policies=policies_key(LIST_TASKS),
            action="ecs:ListTasks",
            resource="*",
            account="123456789012",
            context={"ecs:cluster": cluster, "aws:PrincipalArn": principal},
        )
    ).result


def test_conditions_are_evaluated_by_iam_simulate_and_cached() -> None:
    e = Evaluator()
    try:
        e.register(policies_key(LIST_TASKS), LIST_TASKS)
        assert _decide(e, CLUSTER) == "Allowed"
        assert _decide(e, CLUSTER.replace("default", "prod")) == "ImplicitlyDenied"
        assert _decide(e, CLUSTER, PRINCIPAL + "-denied") == "ExplicitlyDenied"
        assert e.asked == 3
        assert _decide(e, CLUSTER) == "Allowed"
        assert e.asked == 3  # from the cache
    finally:
        e.close()


def test_a_policy_iam_simulate_refuses_is_an_error() -> None:
    e = Evaluator()
    try:
        bad = [{"name": "p", "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]}}]
        with pytest.raises(EvaluatorError, match="refused policies"):
            e.register(policies_key(bad), bad)
    finally:
        e.close()


def test_a_context_key_aws_does_not_supply_is_an_error() -> None:
    e = Evaluator()
    try:
        e.register(policies_key(LIST_TASKS), LIST_TASKS)
        with pytest.raises(EvaluatorError, match="ignored"):
            e.decide(
                Question(
                    principal=PRINCIPAL,
                    policies=policies_key(LIST_TASKS),
                    action="ecs:ListTasks",
                    resource="*",
                    account="123456789012",
                    context={"s3:prefix": "x"},
                )
            )
    finally:
        e.close()


def test_lint_sees_every_role_fully_resolved() -> None:
    from netaudit_local.iam.lint import resolved_policies

    policies = resolved_policies()
    roles = {name.split("/")[0] for name in policies}
    assert {"NetauditStateMachine", "SendProbeFunction", "ReportFunction", "EvidenceBucketPolicy"} <= roles
    assert "TaskEventsPipeRole" in roles  # an AWS::IAM::Role of the template, not made by SAM
    # ${aws:PrincipalAccount}: a policy variable IAM fills (the bucket policy, issue 21), not a Sub
    text = str(policies).replace("${aws:PrincipalAccount}", "")
    assert "Fn::" not in text and "'Ref'" not in text and "${" not in text
    assert "securityhub:BatchImportFindings" in text  # conditional statements are linted too
