"""IAM in the local run: each AWS request a function (or the state machine) makes is decided
against that resource's policies in template.yaml, the way AWS decides it.

- policies.py: the roles SAM would create, resolved for the local stack;
- requests.py: the one table of what AWS authorizes for each API call;
- evaluator.py + worker.js: the decisions, by npm @cloud-copilot/iam-simulate;
- hooks.py: where the local run asks (botocore events, moto's Step Functions engine);
- lint.py: parliament over every policy (`make lint`).
"""

from collections.abc import Mapping
from typing import Any

from netaudit_local.iam.evaluator import EvaluatorError, evaluator
from netaudit_local.iam.hooks import Authorizer, Denial, acting_as, install
from netaudit_local.iam.policies import Resolver, TemplateError, role_name, roles
from netaudit_local.iam.requests import UnmappedOperation, World

__all__ = [
    "Authorizer",
    "Denial",
    "EvaluatorError",
    "Resolver",
    "TemplateError",
    "UnmappedOperation",
    "acting_as",
    "enable",
    "role_name",
]


def instance_tags(account: str, region: str) -> Any:
    def tags(instance_id: str) -> Mapping[str, str]:
        if instance_id.startswith("mi-"):
            from moto.ssm.models import ssm_backends

            found: Mapping[str, Mapping[str, str]] = ssm_backends[account][region]._resource_tags.get(
                "ManagedInstance", {}
            )
            return dict(found.get(instance_id, {}))
        from moto.ec2.models import ec2_backends

        return dict(ec2_backends[account][region].tags.get(instance_id, {}))

    return tags


def _latest_revision(account: str, region: str) -> Any:
    def latest(family: str) -> int:
        from moto.ecs.models import ecs_backends

        revisions = ecs_backends[account][region].task_definitions.get(family, {})
        return max(revisions, default=0)

    return latest


def organization_of(account: str) -> str:
    """The id of the organization `account` is a member of on moto ("" when none): moto keeps the
    organization in its management account's backend and maps every other member to that account."""
    from moto.organizations.models import organizations_backends

    master = organizations_backends.master_accounts.get(account)
    manager, partition = master if master else (account, "aws")
    org = organizations_backends[manager][partition].org
    return str(org.id) if org else ""


def enable(
    seams: Any,
    template: Mapping[str, Any],
    resolve: Resolver,
    functions: Mapping[str, str],
    machines: Mapping[str, str],
) -> Authorizer:
    """Decide every AWS request of this local stack's functions and state machines from now until
    local_aws() ends. `functions`: logical id -> local function name; `machines`: logical id ->
    ARN of each state machine created (each created with its own role: policies.role_name)."""
    region, account = resolve.pseudo["AWS::Region"], resolve.pseudo["AWS::AccountId"]
    sessions = {**functions, **{logical: arn.rsplit(":", 1)[-1] for logical, arn in machines.items()}}
    authorizer = Authorizer(
        evaluator=evaluator(),
        world=World(
            region=region,
            account=account,
            instance_tags=instance_tags(account, region),
            latest_revision=_latest_revision(account, region),
            organization_of=organization_of,
        ),
        roles=roles(template, resolve, sessions),
        functions={name: logical for logical, name in functions.items()},
        state_machines=tuple(machines),
    )
    bucket_policies: dict[str, dict[str, Any]] = {}
    for res in template["Resources"].values():
        if res.get("Type") == "AWS::S3::BucketPolicy":
            props = resolve(res["Properties"])
            bucket_policies[str(props["Bucket"])] = props["PolicyDocument"]
    authorizer.register(bucket_policies)
    install(authorizer, seams.exit_stack)
    seams.iam = authorizer
    return authorizer
