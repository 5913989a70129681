"""Where the local run asks IAM: botocore events on every client (netaudit_local.cloud.botocore_seam),
and moto's Step Functions engine where it starts child executions without an API call.

Every request is decided as the principal AWS would see behind its credentials:
- a member account's credentials (the access key a member role's AssumeRole answered, learnt
  from that answer): the member role (MemberRole@<account>);
- the credentials moto's Step Functions engine signs with (its Lambda invokes, the Distributed
  Map's ItemReader and ResultWriter, its S3 integrations): the role of the state machine whose
  execution made the call (its roleArn, carried by moto_patches.ENGINE_ROLE), each machine its
  own role as on AWS; an engine call of a role no state machine of the stack has is refused;
- otherwise the function whose invocation runs in this context (Seams.invoke: `acting_as`; the
  product's threads keep it, netaudit.concurrency). A call made outside any function (test
  set-up, the CLI) is not a function's and is not decided.
A denied call gets the error AWS answers (AccessDeniedException, S3's AccessDenied, SNS's
AuthorizationError) from a `before-call` handler, before moto sees it, and is not retried (AWS
never retries a denial). moto starts no child executions through an API (it runs them
in-process), so states:StartExecution is decided where the Map Run starts them, once per Map Run
(moto_patches.before_map_run); denied, the Map Run fails with the AccessDenied message (MapRunFailed),
as the Map Run cannot start its children on AWS either.
"""

import threading
import uuid
from collections import Counter
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, cast

from netaudit_local.cloud import moto_patches
from netaudit_local.cloud.botocore_seam import acting_as, acting_function, on_every_client
from netaudit_local.iam.evaluator import EXPLICIT_DENY, Evaluator, Question, policies_key
from netaudit_local.iam.member import MemberAccount
from netaudit_local.iam.policies import Role
from netaudit_local.iam.requests import Request, World, requests_for

# What each service answers an unauthorized request with (code, HTTP status).
DENIAL_CODES: dict[str, tuple[str, int]] = {
    "s3": ("AccessDenied", 403),
    "sns": ("AuthorizationError", 403),
    "lambda": ("AccessDeniedException", 403),
    "sts": ("AccessDenied", 403),  # STS AssumeRole (query protocol)
}
DEFAULT_DENIAL = ("AccessDeniedException", 400)  # ECS, SSM, Security Hub, Step Functions (JSON)


__all__ = ["DENIAL_CODES", "Authorizer", "Denial", "acting_as", "install"]
_PARAMS = "netaudit_iam_params"  # where a call's API parameters wait for its before-call


@dataclass
class Denial:
    role: str  # logical id
    operation: str
    request: Request
    message: str


@dataclass
class Authorizer:
    """The roles of one local stack and the decisions made for them."""

    evaluator: Evaluator
    world: World
    roles: dict[str, Role]  # logical id -> role
    functions: dict[str, str]  # function name -> logical id
    state_machines: tuple[str, ...]  # logical ids of the state machines (each decided as its role)
    resource_policies: dict[str, str] = field(default_factory=dict)  # bucket name -> policy key
    # the organization (issue 21): member accounts' roles and worlds, the roles' trust policies
    members: dict[str, MemberAccount] = field(default_factory=dict)  # member role's logical id -> it
    worlds: dict[str, World] = field(default_factory=dict)  # account -> its world (members)
    trust_policies: dict[str, str] = field(default_factory=dict)  # role ARN -> trust policy key
    organization_id: str | None = None  # aws:PrincipalOrgID of every account's principals
    _keys: dict[str, str] = field(default_factory=dict)  # logical id -> its policies' key
    _member_arns: dict[str, str] = field(default_factory=dict)  # member role ARN -> logical id
    _machine_arns: dict[str, str] = field(default_factory=dict)  # state machine's role ARN -> logical id
    _assumed: dict[str, str] = field(default_factory=dict)  # access key AssumeRole gave -> logical id | ""
    denials: list[Denial] = field(default_factory=list)
    decided: Counter[str] = field(default_factory=Counter)  # logical id -> requests decided
    log: list[tuple[str, str, str]] = field(default_factory=list)  # (logical id, action, resource)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, bucket_policies: Mapping[str, dict[str, Any]]) -> None:
        for logical, role in self.roles.items():
            self._keys[logical] = policies_key(role.policies)
            self.evaluator.register(self._keys[logical], role.policies)
        for logical in self.state_machines:
            self._machine_arns[self.roles[logical].arn(self.world.account, self.world.partition)] = logical
        for bucket, policy in bucket_policies.items():
            key = "bucket:" + policies_key([policy])
            self.evaluator.register(key, [policy], resource=True)
            self.resource_policies[bucket] = key

    def add_role(self, role: Role) -> None:
        """A role created after the stack (the event path's Pipe role)."""
        self.roles[role.logical_id] = role
        self._keys[role.logical_id] = policies_key(role.policies)
        self.evaluator.register(self._keys[role.logical_id], role.policies)

    def add_member(self, member: MemberAccount, world: World) -> None:
        """A member account's stack (member/netaudit-member.yaml): its role's policies decide the
        calls made with its credentials, its trust policy the hub functions' AssumeRole."""
        logical = member.role.logical_id
        self.members[logical] = member
        self.worlds[member.account] = world
        self.add_role(member.role)
        key = "trust:" + policies_key([member.trust])
        self.evaluator.register(key, [member.trust], resource=True)
        self.trust_policies[member.role_arn(world.partition)] = key
        self._member_arns[member.role_arn(world.partition)] = logical

    def _resource_policy(self, request: Request) -> str | None:
        if request.action == "sts:AssumeRole":
            return self.trust_policies.get(request.resource)
        if not request.resource.startswith("arn:aws:s3:::"):
            return None
        bucket = request.resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
        return self.resource_policies.get(bucket)

    def _denied(self, logical_id: str, service: str, operation: str, request: Request, message: str) -> str:
        with self._lock:
            self.denials.append(Denial(logical_id, f"{service}:{operation}", request, message))
        return message

    def check(self, logical_id: str, service: str, operation: str, params: Mapping[str, Any]) -> str | None:
        """None when AWS would allow every request of the call, else AWS's denial message."""
        role = self.roles[logical_id]
        member = self.members.get(logical_id)
        world = self.worlds[member.account] if member else self.world
        principal = role.principal(world.account, world.partition)
        for request in requests_for(service, operation, params, world):
            resource_policy = self._resource_policy(request)
            if request.action == "sts:AssumeRole" and resource_policy is None:
                # no such role in that account (no member stack there): STS answers AccessDenied
                message = (
                    f"User: {principal} is not authorized to perform: sts:AssumeRole "
                    f"on resource: {request.resource}"
                )
                return self._denied(logical_id, service, operation, request, message)
            # Global keys AWS supplies on every request the SDK signs (HTTPS, to this region's endpoint).
            context = {
                "aws:SecureTransport": "true",
                "aws:PrincipalArn": role.arn(world.account, world.partition),
                "aws:PrincipalAccount": world.account,
                **({"aws:PrincipalOrgID": self.organization_id} if self.organization_id else {}),
                "aws:RequestedRegion": world.region,
                **request.context,
            }
            decision = self.evaluator.decide(
                Question(
                    principal=principal,
                    policies=self._keys[logical_id],
                    action=request.action,
                    resource=request.resource,
                    account=request.account or world.account,
                    context=context,
                    resource_policy=resource_policy,
                )
            )
            with self._lock:
                self.decided[logical_id] += 1
                self.log.append((logical_id, request.action, request.resource))
            if not decision.allowed:
                why = (
                    ""
                    if request.account not in (None, world.account)  # AWS names no policy cross-account
                    else " with an explicit deny in an identity-based policy"
                    if decision.result == EXPLICIT_DENY
                    else f" because no identity-based policy allows the {request.action} action"
                )
                message = (
                    f"User: {principal} is not authorized to perform: {request.action} "
                    f"on resource: {request.resource}{why}"
                )
                return self._denied(logical_id, service, operation, request, message)
        return None

    def instance_write(self, account: str, instance_id: str, bucket: str, key: str) -> str | None:
        """SSM writing a command's output from a member account's instance (its role, with the
        member stack's ProbeOutputPolicy) into this stack's bucket: None when AWS allows it (the
        instance role's policy AND the bucket policy: another account), else the denial."""
        member = next((m for m in self.members.values() if m.account == account), None)
        principal = f"arn:{self.world.partition}:sts::{account}:assumed-role/ecsInstanceRole/{instance_id}"
        resource = f"arn:{self.world.partition}:s3:::{bucket}/{key}"
        message = f"User: {principal} is not authorized to perform: s3:PutObject on resource: {resource}"
        if member is None:
            return message  # no member stack: its instances' role has no ProbeOutputPolicy
        policies = "instance:" + policies_key(member.instance_policies)
        self.evaluator.register(policies, member.instance_policies)
        decision = self.evaluator.decide(
            Question(
                principal=principal,
                policies=policies,
                action="s3:PutObject",
                resource=resource,
                account=self.world.account,
                context={
                    "aws:SecureTransport": "true",
                    "aws:PrincipalArn": f"arn:{self.world.partition}:iam::{account}:role/ecsInstanceRole",
                    "aws:PrincipalAccount": account,
                    **({"aws:PrincipalOrgID": self.organization_id} if self.organization_id else {}),
                },
                resource_policy=self.resource_policies.get(bucket),
            )
        )
        return None if decision.allowed else message

    # --- botocore events (installed by `install`) ---------------------------------------------
    def principal_of(self, access_key: str | None) -> str | None:
        """The logical id of the role a call signed with `access_key` is decided as (module doc);
        not the engine's calls (machine_of)."""
        with self._lock:
            assumed = self._assumed.get(access_key or "")
        if assumed is not None:  # "": a role of no stack here (set-up's): not decided
            return assumed or None
        name = acting_function()
        return None if name is None else self.functions.get(name, name)

    def machine_of(self, role_arn: str) -> str | None:
        """The state machine whose role `role_arn` is (an execution's roleArn), None if none."""
        return self._machine_arns.get(role_arn)

    def before_call(self, model: Any, request_signer: Any, context: dict[str, Any], **_: Any) -> Any:
        service = model.service_model.signing_name or model.service_model.endpoint_prefix
        access_key = _access_key(request_signer)
        if access_key == moto_patches.ENGINE_ACCESS_KEY:
            role_arn = str(context.get(moto_patches.ENGINE_ROLE) or "")
            logical = self.machine_of(role_arn)
            if logical is None:  # never decided as another machine's role, never undecided
                return _denied_response(service, _unknown_machine_role(role_arn, model.name))
        else:
            logical = self.principal_of(access_key)
            if logical is None:
                return None
        message = self.check(logical, service, model.name, context.get(_PARAMS, {}))
        return None if message is None else _denied_response(service, message)

    def after_assume_role(self, parsed: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
        """Learn whose credentials an AssumeRole answered (the member role's, by its ARN)."""
        credentials = parsed.get("Credentials") or {}
        role_arn = str(context.get(_PARAMS, {}).get("RoleArn") or "")
        if not credentials or not role_arn:
            return
        with self._lock:
            self._assumed[str(credentials["AccessKeyId"])] = self._member_arns.get(role_arn, "")


def _unknown_machine_role(role_arn: str, operation: str) -> str:
    return (
        f"The local run decides a state machine's {operation} as its role: {role_arn or 'no role'} "
        "is not the role of a state machine of this stack (or moto built this engine client "
        "outside moto_patches.ENGINE_CLIENTS)"
    )


def _keep_params(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_PARAMS] = dict(params)


def _access_key(request_signer: Any) -> str | None:
    """The access key a call is signed with: what AWS identifies the principal by (None: unsigned)."""
    import botocore

    if request_signer.signature_version is botocore.UNSIGNED:
        return None
    auth = request_signer.get_auth_instance(request_signer.signing_name, request_signer.region_name)
    return getattr(getattr(auth, "credentials", None), "access_key", None)


class _DeniedHttp:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.headers: dict[str, str] = {}
        self.content = b""
        self.raw = None


def _denied_response(service: str, message: str) -> tuple[_DeniedHttp, dict[str, Any]]:
    code, status = DENIAL_CODES.get(service, DEFAULT_DENIAL)
    request_id = str(uuid.uuid4())
    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": status, "HTTPHeaders": {}},
    }
    return _DeniedHttp(status), parsed


# --- installation ------------------------------------------------------------------------------


def install(authorizer: Authorizer, stack: ExitStack) -> None:
    """Decide every call of every client built from now on (botocore events), and the Map Runs'
    StartExecution (moto's engine), until `stack` closes."""
    from netaudit import aws_clients

    on_every_client(stack, "before-parameter-build", _keep_params)
    on_every_client(stack, "before-call", authorizer.before_call)
    on_every_client(stack, "after-call.sts.AssumeRole", authorizer.after_assume_role)
    aws_clients.reset()  # the clients built from now on carry the handlers
    stack.callback(aws_clients.reset)
    moto_patches.engine_clients_once(stack)
    moto_patches.lambda_task_errors(stack, _lambda_task_error)

    def map_run_allowed(env: Any) -> None:
        # the children are executions of the Map Run's own state machine, started with its role
        details = env.aws_execution_details
        role = authorizer.machine_of(str(details.role_arn))
        machine = env.states.context_object.context_object_data["StateMachine"]["Id"]
        message = (
            _unknown_machine_role(str(details.role_arn), "StartExecution")
            if role is None
            else authorizer.check(role, "states", "StartExecution", {"stateMachineArn": machine})
        )
        if message is not None:
            raise _map_run_failure(env, message)

    moto_patches.before_map_run(stack, map_run_allowed)


def _lambda_task_error(env: Any, ex: Exception) -> Any:
    """A Lambda Task state (Resource: a function ARN) whose Invoke AWS refuses fails, on AWS,
    with `Lambda.AWSLambdaException` and the cause "<message> (Service: AWSLambda; Status Code:
    403; Error Code: AccessDeniedException; Request ID: ...; Proxy: null)" (public reports:
    awslabs/aws-deployment-framework#460, aws-samples/lambda-refarch-imagerecognition#19);
    moto names it `Exception`. Only a refused Invoke is renamed (its failure event; None: moto's)."""
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.api import HistoryEventType, LambdaFunctionFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    if not isinstance(ex, ClientError):
        return None
    error = ex.response["Error"]
    meta = ex.response.get("ResponseMetadata", {})
    cause = (
        f"{error.get('Message', '')} (Service: AWSLambda; Status Code: {meta.get('HTTPStatusCode')}; "
        f"Error Code: {error.get('Code')}; Request ID: {meta.get('RequestId')}; Proxy: null)"
    )
    name = "Lambda.AWSLambdaException"
    details = LambdaFunctionFailedEventDetails(error=name, cause=cause)
    return FailureEvent(
        env=env,
        error_name=CustomErrorName(name),
        event_type=HistoryEventType.LambdaFunctionFailed,
        event_details=cast(Any, EventDetails)(lambdaFunctionFailedEventDetails=details),
    )


def _map_run_failure(env: Any, message: str) -> Exception:
    """The Map Run cannot start its child executions: it fails (MapRunFailed) and so does the
    Map state. AWS documents no error name for this case; States.Runtime, which no Catch takes,
    is the strict choice (the local run may fail where AWS would catch, never the reverse)."""
    from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    typ = StatesErrorNameType.StatesRuntime
    details = ExecutionFailedEventDetails(error=typ.to_name(), cause=f"AccessDeniedException: {message}")
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=typ),
            event_type=HistoryEventType.MapRunFailed,
            event_details=cast(Any, EventDetails)(executionFailedEventDetails=details),
        )
    )
