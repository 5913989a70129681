"""The IAM policies of template.yaml as a deploy would make them, resolved for the local stack.

Each AWS::Serverless::Function and AWS::Serverless::StateMachine gets the role SAM creates for it;
the roles are read from the template as aws-sam-translator transforms it
(netaudit_local.sam_transform: SAM expands its own policy templates, one inline policy
`<LogicalId>RolePolicy<N>` per `Policies` item), then the intrinsics are resolved for the local
stack (Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::If on the template's Conditions, AWS::NoValue).
SAM also attaches AWSLambdaBasicExecutionRole (logs) and, with Tracing Active, X-Ray write access
to function roles (ManagedPolicyArns): the Lambda runtime uses them, not the handlers, so they are
not decided here. A managed policy named in `Policies` cannot be resolved offline: it is refused.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

FUNCTION_TYPE = "AWS::Serverless::Function"
STATE_MACHINE_TYPE = "AWS::Serverless::StateMachine"

# The role property of each resource the transform makes of a function / state machine.
ROLE_PROPERTY = {"AWS::Lambda::Function": "Role", "AWS::StepFunctions::StateMachine": "RoleArn"}


class TemplateError(ValueError):
    """Something in the template the local run cannot resolve as CloudFormation/SAM would."""


class _NoValue:
    pass


NO_VALUE = _NoValue()


@dataclass(frozen=True)
class Role:
    logical_id: str  # the resource whose role this is
    role_name: str
    session_name: str  # the role session the service uses (Lambda: the function name)
    policies: list[dict[str, Any]]  # [{"name", "policy"}] as iam-simulate takes them

    def principal(self, account: str, partition: str = "aws") -> str:
        return f"arn:{partition}:sts::{account}:assumed-role/{self.role_name}/{self.session_name}"

    def arn(self, account: str, partition: str = "aws") -> str:
        """The role's ARN: what aws:PrincipalArn holds for its sessions (IAM User Guide, global
        condition keys: "for IAM roles, the request context returns the ARN of the role")."""
        return f"arn:{partition}:iam::{account}:role/{self.role_name}"


class Resolver:
    """CloudFormation intrinsics over a template, for the values of one (local) stack."""

    def __init__(
        self,
        template: Mapping[str, Any],
        params: Mapping[str, str],
        physical: Mapping[str, str],
        pseudo: Mapping[str, str],
    ) -> None:
        self.params = dict(params)
        self.physical = dict(physical)
        self.pseudo = dict(pseudo)
        self.conditions_src: Mapping[str, Any] = template.get("Conditions", {}) or {}
        self._conditions: dict[str, bool] = {}
        self._list_params = {
            k for k, v in (template.get("Parameters", {}) or {}).items() if "List" in str(v.get("Type", ""))
        }

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.params:
            value = self.params[name]
            return [v.strip() for v in value.split(",")] if name in self._list_params else value
        if name in self.physical:
            return self.physical[name]
        raise TemplateError(f"Ref {name}: no such parameter or resource in the local stack")

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            if name not in self.conditions_src:
                raise TemplateError(f"condition {name} is not defined")
            self._conditions[name] = bool(self(self.conditions_src[name]))
        return self._conditions[name]

    def _sub(self, text: str, local: Mapping[str, Any]) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                return str(self(local[name]))
            if "." in name and name not in self.pseudo:
                return self.getatt(name)
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", one, text)

    def getatt(self, dotted: str) -> str:
        if dotted not in self.physical:
            raise TemplateError(f"Fn::GetAtt {dotted}: not known to the local stack")
        return self.physical[dotted]

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            intrinsic = _INTRINSICS.get(key)
            if intrinsic is not None:
                return intrinsic(self, arg)
            if key.startswith("Fn::"):
                raise TemplateError(f"{key} is not resolved by the local run")
        resolved = {k: self(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}


# CloudFormation's intrinsic functions (and Condition) the local run resolves: name -> (resolver, argument)
_INTRINSICS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": lambda r, arg: r.ref(arg),
    "Fn::GetAtt": lambda r, arg: r.getatt(arg if isinstance(arg, str) else ".".join(arg)),
    "Fn::Sub": lambda r, arg: r._sub(arg, {}) if isinstance(arg, str) else r._sub(arg[0], arg[1]),
    "Fn::Join": lambda r, arg: str(arg[0]).join(str(v) for v in r(arg[1])),
    "Fn::Select": lambda r, arg: r(arg[1])[int(r(arg[0]))],
    "Fn::Split": lambda r, arg: str(r(arg[1])).split(str(arg[0])),
    "Fn::If": lambda r, arg: r(arg[1] if r.condition(arg[0]) else arg[2]),
    "Fn::Equals": lambda r, arg: str(r(arg[0])) == str(r(arg[1])),
    "Fn::Not": lambda r, arg: not r(arg[0]),
    "Fn::And": lambda r, arg: all(r(a) for a in arg),
    "Fn::Or": lambda r, arg: any(r(a) for a in arg),
    "Condition": lambda r, arg: r.condition(arg),
}


def resolve_policies(logical_id: str, items: list[Any], resolve: Resolver) -> list[dict[str, Any]]:
    """The identity policies of one resource's role, as SAM would attach them (one inline policy
    per `Policies` item: <LogicalId>RolePolicy<N>)."""
    out: list[dict[str, Any]] = []
    for item in items:
        value = resolve(item)
        if value is NO_VALUE:
            continue
        if isinstance(value, str):
            raise TemplateError(f"{logical_id}: managed policy {value!r} cannot be decided offline")
        if not isinstance(value, dict):
            raise TemplateError(f"{logical_id}: unexpected Policies item {value!r}")
        if "Statement" in value:
            policy = resolve(value)
        elif "PolicyDocument" in value:  # an AWS::IAM::Role's inline policy (SAM's roles too)
            policy = resolve(value["PolicyDocument"])
        else:  # e.g. a SAM policy template in a template that was not transformed
            raise TemplateError(f"{logical_id}: unexpected Policies item {value!r}")
        out.append({"name": f"{logical_id}RolePolicy{len(out)}", "policy": policy})
    return out


def iam_role(template: Mapping[str, Any], resolve: Resolver, logical: str, session_name: str) -> Role:
    """An AWS::IAM::Role of the template (e.g. the Pipe's), as the service assuming it acts."""
    stack = resolve.pseudo.get("AWS::StackName", "stack")
    items = template["Resources"][logical].get("Properties", {}).get("Policies") or []
    return Role(
        logical_id=logical,
        role_name=f"{stack}-{logical}"[:64],
        session_name=session_name,
        policies=resolve_policies(logical, items, resolve),
    )


def _role_of(resource: Mapping[str, Any]) -> str | None:
    """The logical id of the AWS::IAM::Role a transformed function / state machine runs as."""
    prop = ROLE_PROPERTY.get(str(resource.get("Type")))
    ref = (resource.get("Properties") or {}).get(prop or "")
    if not isinstance(ref, dict) or "Fn::GetAtt" not in ref:
        return None  # a role given as an ARN: not one of the template's
    target = ref["Fn::GetAtt"]
    return str(target[0] if isinstance(target, list) else target.split(".")[0])


def role_name(stack: str, logical_id: str) -> str:
    """The name of the role SAM creates for resource `logical_id` of stack `stack` (no RoleName
    given: CloudFormation's <stack>-<logical id>Role-<suffix>, without the suffix here)."""
    return f"{stack}-{logical_id}Role"[:64]


def roles(
    template: Mapping[str, Any],
    resolve: Resolver,
    session_names: Mapping[str, str],
) -> dict[str, Role]:
    """Every function's and state machine's role, by logical id, as the transform makes it.
    `session_names` gives the physical name of each (the local function names; the state
    machine's name)."""
    from netaudit_local.sam_transform import transformed

    stack = resolve.pseudo.get("AWS::StackName", "stack")
    resources = transformed(template)["Resources"]
    out: dict[str, Role] = {}
    for logical, res in resources.items():
        role = _role_of(res)
        if role is None:
            continue
        items = resources[role].get("Properties", {}).get("Policies") or []
        out[logical] = Role(
            logical_id=logical,
            role_name=role_name(stack, logical),  # SAM's role for `logical` is <logical>Role (_role_of)
            session_name=session_names.get(logical, logical),
            policies=resolve_policies(logical, items, resolve),
        )
    return out
