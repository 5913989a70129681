"""Where the local run asks IAM: botocore events on the functions' clients, and moto's Step
Functions engine for the state machine's role.

- Functions: every client netaudit.aws_clients builds during a local run gets a `before-call`
  handler. The calling function is the one Seams.invoke is running in this thread
  (`acting_as`); a call made outside any function (test set-up, the CLI) is not a function's and
  is not decided. A denied call gets the error AWS answers (AccessDeniedException, S3's
  AccessDenied, SNS's AuthorizationError) as a botocore ClientError, before moto sees it.
- State machine: moto's engine makes its Lambda invokes and the Distributed Map's ItemReader
  (s3 GetObject / ListObjectsV2) and ResultWriter (s3 PutObject) through boto3 clients built by
  `boto_client_for`: those clients are decided as the state machine's role. moto starts no child
  executions through an API (it runs them in-process), so states:StartExecution is decided where
  the Map Run starts them (DistributedIterationComponent._map_run), once per Map Run; denied,
  the Map Run fails with the AccessDenied message (MapRunFailed), as the Map Run cannot start
  its children on AWS either.
"""

import contextvars
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, cast
from unittest import mock

from netaudit_local.iam.evaluator import EXPLICIT_DENY, Evaluator, policies_key
from netaudit_local.iam.member import MEMBER_ROLE, MemberAccount
from netaudit_local.iam.policies import Role
from netaudit_local.iam.requests import Request, World, requests_for

_ACTING: contextvars.ContextVar[str | None] = contextvars.ContextVar("netaudit_iam_acting", default=None)

# What each service answers an unauthorized request with (code, HTTP status).
DENIAL_CODES: dict[str, tuple[str, int]] = {
    "s3": ("AccessDenied", 403),
    "sns": ("AuthorizationError", 403),
    "lambda": ("AccessDeniedException", 403),
    "sts": ("AccessDenied", 403),  # STS AssumeRole (query protocol)
}
DEFAULT_DENIAL = ("AccessDeniedException", 400)  # ECS, SSM, Security Hub, Step Functions (JSON)


@contextmanager
def acting_as(function_name: str) -> Iterator[None]:
    """The function whose role the AWS calls made in this block are decided against."""
    token = _ACTING.set(function_name)
    try:
        yield
    finally:
        _ACTING.reset(token)


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
    state_machine: str  # logical id of the state machine
    resource_policies: dict[str, str] = field(default_factory=dict)  # bucket name -> policy key
    # the organization (issue 21): member accounts' roles and worlds, the roles' trust policies
    members: dict[str, MemberAccount] = field(default_factory=dict)  # member role's logical id -> it
    worlds: dict[str, World] = field(default_factory=dict)  # account -> its world (members)
    trust_policies: dict[str, str] = field(default_factory=dict)  # role ARN -> trust policy key
    organization_id: str | None = None  # aws:PrincipalOrgID of every account's principals
    _keys: dict[str, str] = field(default_factory=dict)  # logical id -> its policies' key
    denials: list[Denial] = field(default_factory=list)
    decided: Counter[str] = field(default_factory=Counter)  # logical id -> requests decided
    log: list[tuple[str, str, str]] = field(default_factory=list)  # (logical id, action, resource)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, bucket_policies: Mapping[str, dict[str, Any]]) -> None:
        for logical, role in self.roles.items():
            self._keys[logical] = policies_key(role.policies)
            self.evaluator.register(self._keys[logical], role.policies)
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
                principal=principal,
                policies=self._keys[logical_id],
                action=request.action,
                resource=request.resource,
                account=request.account or world.account,
                context=context,
                resource_policy=resource_policy,
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

    # --- botocore ------------------------------------------------------------------------------
    def attach(self, client: Any, role_of: Callable[[], str | None]) -> None:
        """Decide every call of `client` as the role `role_of()` names (None: not decided)."""
        service = client.meta.service_model.signing_name or client.meta.service_model.endpoint_prefix
        params_key = "netaudit_iam_params"

        def keep_params(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
            context[params_key] = dict(params)

        def before_call(model: Any, context: dict[str, Any], **_: Any) -> Any:
            logical = role_of()
            if logical is None:
                return None
            message = self.check(logical, service, model.name, context.get(params_key, {}))
            if message is None:
                return None
            return _denied_response(service, message)

        client.meta.events.register("before-parameter-build", keep_params)
        client.meta.events.register("before-call", before_call)

    def function_role(self) -> str | None:
        name = _ACTING.get()
        return None if name is None else self.functions.get(name, name)


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


def install(authorizer: Authorizer, stack: ExitStack, state_machine_arn: str) -> None:
    """Hook the functions' clients (netaudit.aws_clients) and moto's engine for this run."""
    from netaudit import aws_clients

    original = aws_clients._client.__wrapped__

    def build(service: str, region: str | None) -> Any:
        client = original(service, region)
        authorizer.attach(client, authorizer.function_role)
        return client

    cached = _cache(build)
    stack.enter_context(mock.patch.object(aws_clients, "_client", cached))
    # A member account's clients (credentials of the member role): decided as that role.
    original_member = aws_clients._member_client.__wrapped__

    def build_member(service: str, region: str | None, account: str, *creds: str) -> Any:
        client = original_member(service, region, account, *creds)
        logical = f"{MEMBER_ROLE}@{account}"
        authorizer.attach(client, lambda: logical)
        return client

    stack.enter_context(mock.patch.object(aws_clients, "_member_client", _cache(build_member)))
    # Each function environment holds its own member credentials (aws_clients.environment).
    stack.enter_context(mock.patch.object(aws_clients, "environment", lambda: _ACTING.get() or ""))
    # A handler's own thread pool (Report reads the host results in threads) acts as the handler:
    # in Lambda every thread of the environment has its role; here the function is known per
    # thread, so the pool's tasks carry the submitting thread's context.
    original_submit = ThreadPoolExecutor.submit

    def submit(self: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return original_submit(self, contextvars.copy_context().run, fn, *args, **kwargs)

    stack.enter_context(mock.patch.object(ThreadPoolExecutor, "submit", submit))
    aws_clients.reset()
    stack.callback(aws_clients.reset)
    _engine_hooks(authorizer, stack, state_machine_arn)


def _cache(build: Callable[..., Any]) -> Any:
    from functools import cache

    return cache(build)


def _engine_hooks(authorizer: Authorizer, stack: ExitStack, state_machine_arn: str) -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval import (
        resource_eval_s3 as item_reader,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        distributed_iteration_component as distributed,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval import (
        resource_eval_s3 as result_writer,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.utils import boto_client

    role = authorizer.state_machine
    # moto builds a boto3 client for every Lambda task it runs (about 10 ms each, 15,000 at
    # 5,000 hosts); one per service serves them all (boto3 clients are thread-safe) and its
    # IAM hook is attached once. The engine signs with fixed keys, so credentials do not vary.
    clients: dict[tuple[str, str], Any] = {}
    clients_lock = threading.Lock()

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        with clients_lock:
            client = clients.get((region, service))
            if client is None:
                client = boto_client.boto_client_for(region, service, state_credentials)
                authorizer.attach(client, lambda: role)
                clients[(region, service)] = client
        return client

    for module in (lambda_eval_utils, item_reader, result_writer):
        stack.enter_context(mock.patch.object(module, "boto_client_for", client_for))

    _lambda_task_errors(stack)

    component = distributed.DistributedIterationComponent
    original_map_run = component._map_run

    def map_run(self: Any, env: Any, eval_input: Any) -> None:
        message = authorizer.check(role, "states", "StartExecution", {"stateMachineArn": state_machine_arn})
        if message is not None:
            raise _map_run_failure(env, message)
        original_map_run(self, env, eval_input)

    stack.enter_context(mock.patch.object(component, "_map_run", map_run))


def _lambda_task_errors(stack: ExitStack) -> None:
    """A Lambda Task state (Resource: a function ARN) whose Invoke AWS refuses fails, on AWS,
    with `Lambda.AWSLambdaException` and the cause "<message> (Service: AWSLambda; Status Code:
    403; Error Code: AccessDeniedException; Request ID: ...; Proxy: null)" (public reports:
    awslabs/aws-deployment-framework#460, aws-samples/lambda-refarch-imagerecognition#19);
    moto names it `Exception`. Only a refused Invoke is renamed here; function errors are moto's."""
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.api import HistoryEventType, LambdaFunctionFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    task = state_task_lambda.StateTaskLambda
    original = task._from_error

    def from_error(self: Any, env: Any, ex: Exception) -> Any:
        if not isinstance(ex, ClientError):
            return original(self, env, ex)
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

    stack.enter_context(mock.patch.object(task, "_from_error", from_error))


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
