"""The in-process moto harness: moto for the AWS control plane, a `Host` for the instance.

Patched at the narrowest seams, everything else is moto's:
- Lambda `invoke` (moto's simple backend echoes) -> the real handler, in-process.
- ECS RunTask / DescribeTasks / StopTask -> the host starts, reports, stops the task; RunTask
  answers `failures` like ECS when the host refuses placement; task ids are 32 hex like ECS's.
- SSM SendCommand -> the document's `allowedPattern` enforced (moto does not), the script run
  by the host, stdout written to S3 (OutputS3BucketName) with AWS's key layout;
  GetCommandInvocation answers from that record (InProgress first, output cut at 24,000
  characters as AWS does); DescribeInstanceInformation (missing in moto) from the hosts, paged
  and validated like SSM (MaxResults 5-50, NextToken).
- Any patched call can be made to throttle once (`ThrottlingException`), like AWS under load.

Never imported by a Lambda.
"""

import importlib
import json
import os
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from netaudit import aws_clients
from netaudit_local import moto_scale, sfn_strict
from netaudit_local.host import CommandOutcome, ContainerLaunch, Host, PlacementRefused, TaskLaunch
from netaudit_local.iam.evaluator import evaluator as iam_evaluator
from netaudit_local.iam.hooks import acting_as
from netaudit_local.ssm_runner import DocumentError, ParameterError, resolve_parameters

REGION = "us-east-1"
ACCOUNT = "123456789012"
STDOUT_LIMIT = 24_000
STDERR_LIMIT = 8_000
SSM_INFO_PAGE_MIN, SSM_INFO_PAGE_MAX = 5, 50  # DescribeInstanceInformation's MaxResults range
# The agent version local hosts report: the first that passes ENV_VAR parameters (a host may set
# `ssm_agent_version` to play an older one).
LOCAL_AGENT_VERSION = "3.3.2746.0"

MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}

LOCAL_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "ecs-netaudit",
    "POWERTOOLS_METRICS_NAMESPACE": "EcsNetaudit",
    "POWERTOOLS_DEV": "false",
    "MOTO_ALLOW_NONEXISTENT_REGION": "true",
}


@dataclass
class FakeLambdaContext:
    function_name: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class CommandRecord:
    command_id: str
    instance_id: str
    document_name: str
    outcome: CommandOutcome
    polls_before_done: int
    step_name: str
    stdout_url: str = ""
    stderr_url: str = ""
    requested: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Invocation:
    function: str
    event: dict[str, Any]
    error: str | None = None


class Seams:
    """State of one local run: the hosts, the handlers, what was invoked and sent."""

    def __init__(
        self,
        hosts: Sequence[Host],
        handlers: Mapping[str, str],
        in_progress_polls: int = 1,
        throttle_once: Sequence[str] = (),
    ) -> None:
        self.hosts = {h.instance_id: h for h in hosts}
        self.handlers = dict(handlers)
        self.in_progress_polls = in_progress_polls
        self.throttles = set(throttle_once)
        for host in hosts:
            self.throttles |= set(getattr(getattr(host, "faults", None), "throttle_once", ()) or ())
        self.throttled: list[str] = []
        self.documents: dict[str, dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], CommandRecord] = {}  # (command id, instance id)
        self.invocations: list[Invocation] = []
        self.task_hosts: dict[str, str] = {}  # task ARN -> instance id
        self.env: dict[str, str] = {}
        self.env_saved: dict[str, str | None] = {}  # what os.environ held before, restored at the end
        self._env_lock = threading.Lock()
        self.exit_stack: ExitStack | None = None  # the patches of this run (IAM hooks join it)
        self.iam: Any = None  # netaudit_local.iam.Authorizer once create_stack enabled IAM

    # --- helpers -----------------------------------------------------------------------
    def maybe_throttle(self, operation: str) -> None:
        from moto.core.exceptions import JsonRESTError

        if operation in self.throttles:
            self.throttles.discard(operation)
            self.throttled.append(operation)
            raise JsonRESTError("ThrottlingException", "Rate exceeded")

    def host_of_instance(self, instance_id: str) -> Host | None:
        return self.hosts.get(instance_id)

    def host_of_task(self, task_arn: str) -> Host | None:
        iid = self.task_hosts.get(task_arn)
        return self.hosts.get(iid) if iid else None

    # --- Lambda ------------------------------------------------------------------------
    def invoke(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        name = function_name.split(":")[6] if function_name.startswith("arn:") else function_name
        module = self.handlers.get(name)
        if module is None:
            raise KeyError(f"no local handler for Lambda function {name!r}")
        raw = body.decode() if isinstance(body, bytes) else (body or "{}")
        event = json.loads(raw or "{}")
        record = Invocation(name, event)
        self.invocations.append(record)
        handler = importlib.import_module(module).handler
        # The functions' environment stays set until local_aws() ends: restoring it after each
        # call would pull it from under a handler running in another thread (Map iterations).
        with self._env_lock:
            for key in self.env.keys() - self.env_saved.keys():
                self.env_saved[key] = os.environ.get(key)
            os.environ.update(self.env)
        try:
            with acting_as(name):  # its AWS calls are decided against its own role (IAM hooks)
                result = handler(event, FakeLambdaContext(name))
        except Exception as exc:
            record.error = type(exc).__name__
            response_headers["x-amz-function-error"] = "Unhandled"
            message = getattr(exc, "message", None) or str(exc)
            return json.dumps(
                {"errorType": type(exc).__name__, "errorMessage": message, "stackTrace": []}
            ).encode()
        return json.dumps(result).encode()


def _ecs_patches(seams: Seams, stack: ExitStack) -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

    orig_describe = EC2ContainerServiceBackend.describe_tasks
    orig_stop = EC2ContainerServiceBackend.stop_task

    def run_task(resp: Any) -> ActionResult:
        seams.maybe_throttle("ecs:RunTask")
        backend = resp.ecs_backend
        tasks = backend.run_task(
            resp._get_param("cluster", "default"),
            resp._get_param("taskDefinition"),
            resp._get_int_param("count", 1),
            resp._get_param("overrides"),
            resp._get_param("startedBy"),
            resp._get_param("tags"),
            resp._get_param("launchType"),
            resp._get_param("networkConfiguration"),
            resp._get_param("group"),
            resp._get_param("platformVersion"),
            resp._get_param("capacityProviderStrategy"),
        )
        placed, failures = [], []
        for task in tasks:
            cluster_tasks = backend.tasks[task.cluster_name]
            cluster_tasks.pop(task.task_arn, None)
            task.id = uuid.uuid4().hex  # ECS task ids are 32 hex digits
            cluster_tasks[task.task_arn] = task
            ci_id = (task.container_instance_arn or "").split("/")[-1]
            ci = backend.container_instances.get(task.cluster_name, {}).get(ci_id)
            host = seams.host_of_instance(ci.ec2_instance_id) if ci else None
            td = backend.describe_task_definition(task.task_definition_arn)
            launch = TaskLaunch(
                task_arn=task.task_arn,
                cluster=task.cluster_name,
                family=td.family,
                revision=int(td.revision),
                network_mode=td.network_mode or "bridge",
                containers=[
                    ContainerLaunch(
                        name=c["name"],
                        image=c["image"],
                        command=list(c.get("command") or []),
                        memory_mib=c.get("memory"),
                    )
                    for c in td.container_definitions
                ],
            )
            try:
                if host is None:
                    raise PlacementRefused("AGENT")
                placement = host.start_task(launch)
            except PlacementRefused as refused:
                orig_stop(backend, task.cluster_name, task.task_arn, "placement refused")
                cluster_tasks.pop(task.task_arn, None)
                failures.append({"arn": task.container_instance_arn, "reason": refused.reason})
                continue
            seams.task_hosts[task.task_arn] = host.instance_id
            state = host.task_state(task.task_arn)
            task.last_status = state.last_status
            if placement.eni_ipv4:
                for attachment in task.attachments:
                    for detail in attachment.get("details", []):
                        if detail["name"] == "privateIPv4Address":
                            detail["value"] = placement.eni_ipv4
            placed.append(task)
        return ActionResult({"tasks": placed, "failures": failures})

    def describe_tasks(backend: Any, cluster_str: str, tasks: list[str]) -> list[Any]:
        seams.maybe_throttle("ecs:DescribeTasks")
        found = orig_describe(backend, cluster_str, tasks)
        for task in found:
            host = seams.host_of_task(task.task_arn)
            if host is None or task.desired_status == "STOPPED":
                continue
            state = host.task_state(task.task_arn)
            task.last_status = state.last_status
            if state.last_status == "STOPPED":
                task.desired_status = "STOPPED"
                task.stopped_reason = state.stopped_reason
        return found

    def stop_task(backend: Any, cluster_str: str, task_str: str, reason: str) -> Any:
        seams.maybe_throttle("ecs:StopTask")
        host = seams.host_of_task(task_str)
        if host is not None:  # the host first: a task it cannot stop stays RUNNING in ECS too
            try:
                host.stop_task(task_str)
            except Exception as exc:
                raise JsonRESTError("ServerException", f"StopTask failed: {exc}") from None
        try:
            task = orig_stop(backend, cluster_str, task_str, reason)
        except Exception as exc:  # moto raises a bare Exception for unknown tasks
            raise JsonRESTError(
                "InvalidParameterException", f"The referenced task was not found. {exc}"
            ) from None
        if host is None and (late := seams.host_of_task(task.task_arn)) is not None:
            late.stop_task(task.task_arn)  # StopTask named the task by its id
        return task

    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    if not hasattr(NetworkInterface, "private_dns_name"):  # moto 5.2 ECS awsvpc RunTask needs it
        dns = property(lambda eni: f"ip-{eni.private_ip_address.replace('.', '-')}.ec2.internal")
        stack.enter_context(mock.patch.object(NetworkInterface, "private_dns_name", dns, create=True))
    stack.enter_context(mock.patch.object(EC2ContainerServiceResponse, "run_task", run_task))
    stack.enter_context(mock.patch.object(EC2ContainerServiceBackend, "describe_tasks", describe_tasks))
    stack.enter_context(mock.patch.object(EC2ContainerServiceBackend, "stop_task", stop_task))


def _check_parameters(content: dict[str, Any], given: Mapping[str, list[str]]) -> dict[str, str]:
    """SSM's parameter validation for a Command document, answered the way SSM answers it."""
    from moto.core.exceptions import JsonRESTError

    several = sorted(name for name, values in given.items() if len(values) > 1)
    if several:  # every parameter of the probe document is a String: one value each
        raise JsonRESTError("InvalidParameters", f"parameter {several[0]!r} takes one value, got several")
    try:
        return resolve_parameters(content, {name: values[0] for name, values in given.items() if values})
    except (ParameterError, DocumentError) as exc:
        raise JsonRESTError("InvalidParameters", str(exc)) from exc


def _ssm_patches(seams: Seams, stack: ExitStack) -> None:
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult
    from moto.s3.models import s3_backends
    from moto.ssm.models import SimpleSystemManagerBackend
    from moto.ssm.responses import SimpleSystemManagerResponse

    orig_send = SimpleSystemManagerBackend.send_command
    orig_get = SimpleSystemManagerBackend.get_command_invocation

    def send_command(backend: Any, **kwargs: Any) -> Any:
        seams.maybe_throttle("ssm:SendCommand")
        name = kwargs.get("document_name") or ""
        content = seams.documents.get(name)
        if content is None:
            return orig_send(backend, **kwargs)
        values = _check_parameters(content, kwargs.get("parameters") or {})
        instance_ids = list(kwargs.get("instance_ids") or [])
        for iid in instance_ids:
            host = seams.host_of_instance(iid)
            if host is None or host.ping_status() != "Online":
                raise JsonRESTError(
                    "InvalidInstanceId",
                    f"Instances [[{iid}]] not in a valid state for account {ACCOUNT}",
                )
        command = orig_send(backend, **kwargs)
        step = str((content.get("mainSteps") or [{}])[0].get("name", "step"))
        bucket = kwargs.get("output_s3_bucket_name") or ""
        prefix = (kwargs.get("output_s3_key_prefix") or "").strip("/")
        for iid in instance_ids:
            host = seams.hosts[iid]
            outcome = host.run_command(content, values, int(kwargs.get("timeout_seconds") or 3600))
            record = CommandRecord(command.command_id, iid, name, outcome, seams.in_progress_polls, step)
            if bucket:
                base = "/".join(p for p in (prefix, command.command_id, iid, "awsrunShellScript", step) if p)
                s3 = s3_backends[ACCOUNT]["aws"]
                s3.put_object(bucket, f"{base}/stdout", outcome.stdout.encode())
                record.stdout_url = f"https://s3.{REGION}.amazonaws.com/{bucket}/{base}/stdout"
                if outcome.stderr:
                    s3.put_object(bucket, f"{base}/stderr", outcome.stderr.encode())
                    record.stderr_url = f"https://s3.{REGION}.amazonaws.com/{bucket}/{base}/stderr"
            seams.commands[(command.command_id, iid)] = record
        command.status = "InProgress"
        return command

    def get_command_invocation(
        backend: Any, command_id: str, instance_id: str, plugin_name: str | None
    ) -> dict[str, Any]:
        seams.maybe_throttle("ssm:GetCommandInvocation")
        record = seams.commands.get((command_id, instance_id))
        if record is None:
            if any(cid == command_id for cid, _ in seams.commands):  # ours, not on that instance
                raise JsonRESTError("InvocationDoesNotExist", "")
            return dict(orig_get(backend, command_id, instance_id, plugin_name))
        base = {
            "CommandId": command_id,
            "InstanceId": instance_id,
            "Comment": "",
            "DocumentName": record.document_name,
            "DocumentVersion": "$DEFAULT",
            "PluginName": plugin_name or record.step_name,
            "ExecutionStartDateTime": record.requested.isoformat(),
        }
        if record.polls_before_done > 0:
            record.polls_before_done -= 1
            return {
                **base,
                "ResponseCode": -1,
                "Status": "InProgress",
                "StatusDetails": "InProgress",
                "StandardOutputContent": "",
                "StandardErrorContent": "",
            }
        o = record.outcome
        details = {
            "Success": "Success",
            "Failed": "Failed",
            "TimedOut": "ExecutionTimedOut",
            "Cancelled": "Cancelled",
        }[o.status]
        return {
            **base,
            "ResponseCode": o.exit_code,
            "ExecutionEndDateTime": datetime.now(UTC).isoformat(),
            "Status": o.status,
            "StatusDetails": details,
            "StandardOutputContent": o.stdout[:STDOUT_LIMIT],
            "StandardOutputUrl": record.stdout_url,
            "StandardErrorContent": o.stderr[:STDERR_LIMIT],
            "StandardErrorUrl": record.stderr_url,
        }

    def describe_instance_information(resp: Any) -> ActionResult:
        """SSM's answer, with SSM's checks: MaxResults 5-50, Filters and the legacy
        InstanceInformationFilterList not both, at most MaxResults a page (NextToken)."""
        seams.maybe_throttle("ssm:DescribeInstanceInformation")
        filters = resp._get_param("Filters") or []
        legacy = resp._get_param("InstanceInformationFilterList") or []
        if filters and legacy:
            raise JsonRESTError(
                "ValidationException", "InstanceInformationFilterList and Filters cannot be used together"
            )
        max_results = resp._get_param("MaxResults")
        page_size = SSM_INFO_PAGE_MAX if max_results is None else int(max_results)
        if not SSM_INFO_PAGE_MIN <= page_size <= SSM_INFO_PAGE_MAX:
            raise JsonRESTError(
                "ValidationException",
                f"1 validation error detected: Value '{page_size}' at 'maxResults' failed to satisfy "
                f"constraint: Member must have value between {SSM_INFO_PAGE_MIN} and {SSM_INFO_PAGE_MAX}",
            )
        token = resp._get_param("NextToken")
        if token is not None and not str(token).isdigit():
            raise JsonRESTError("InvalidNextToken", "The specified token is not valid.")
        start = int(token or 0)
        wanted: set[str] | None = None
        for f in filters:
            if f.get("Key") == "InstanceIds":
                wanted = set(f.get("Values") or [])
        for f in legacy:
            if f.get("key") == "InstanceIds":
                wanted = set(f.get("valueSet") or [])
        infos = []
        for iid, host in sorted(seams.hosts.items()):
            ping = host.ping_status()
            if ping == "NotRegistered" or (wanted is not None and iid not in wanted):
                continue
            infos.append(
                {
                    "InstanceId": iid,
                    "PingStatus": ping,
                    "LastPingDateTime": datetime.now(UTC),
                    "AgentVersion": getattr(host, "ssm_agent_version", LOCAL_AGENT_VERSION),
                    "IsLatestVersion": True,
                    "PlatformType": "Linux",
                    "PlatformName": "Amazon Linux",
                    "PlatformVersion": "2023",
                    "ResourceType": "EC2Instance",
                }
            )
        answer: dict[str, Any] = {"InstanceInformationList": infos[start : start + page_size]}
        if start + page_size < len(infos):
            answer["NextToken"] = str(start + page_size)
        return ActionResult(answer)

    stack.enter_context(mock.patch.object(SimpleSystemManagerBackend, "send_command", send_command))
    stack.enter_context(
        mock.patch.object(SimpleSystemManagerBackend, "get_command_invocation", get_command_invocation)
    )
    stack.enter_context(
        mock.patch.object(
            SimpleSystemManagerResponse,
            "describe_instance_information",
            describe_instance_information,
            create=True,
        )
    )


def _parse_definition_once(stack: ExitStack) -> None:
    """moto parses a definition when the state machine is created (to validate it) and again
    when an execution starts: hand the validation's parse to the first execution instead of
    parsing twice (the slowest part of a local run's start-up). Later executions parse afresh."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original_parse = AmazonStateLanguageParser.parse
    original_validate = StepFunctionsParserBackend._validate_definition
    spare: dict[str, Any] = {}
    validating = threading.local()

    def parse(definition: str) -> Any:
        if getattr(validating, "on", False):
            spare[definition] = result = original_parse(definition)
            return result
        return spare.pop(definition, None) or original_parse(definition)

    def validate(definition: str) -> None:
        validating.on = True
        try:
            original_validate(definition)
        finally:
            validating.on = False

    stack.enter_context(mock.patch.object(AmazonStateLanguageParser, "parse", staticmethod(parse)))
    stack.enter_context(
        mock.patch.object(StepFunctionsParserBackend, "_validate_definition", staticmethod(validate))
    )


@contextmanager
def local_aws(
    hosts: Host | Sequence[Host],
    handlers: Mapping[str, str] | None = None,
    *,
    in_progress_polls: int = 1,
    throttle_once: Sequence[str] = (),
) -> Iterator[Seams]:
    """moto with the seams installed; `handlers` maps a Lambda function name to its module
    (`netaudit_local.stack.create_stack` fills it from template.yaml when left empty)."""
    from moto import mock_aws
    from moto.awslambda_simple.models import LambdaSimpleBackend
    from moto.moto_api import state_manager

    host_list = [hosts] if not isinstance(hosts, Sequence) else list(hosts)
    seams = Seams(host_list, handlers or {}, in_progress_polls, throttle_once)
    iam_evaluator().start()  # node loads iam-simulate while moto starts
    saved_env = {k: os.environ.get(k) for k in LOCAL_ENV}
    os.environ.update(LOCAL_ENV)
    with ExitStack() as stack:
        stack.enter_context(mock_aws(config=MOTO_CONFIG))  # type: ignore[call-overload]
        # Tasks change status only when a host says so (moto would advance them on each read).
        state_manager.set_transition(
            model_name="ecs::task", transition={"progression": "manual", "times": 10**9}
        )
        stack.callback(state_manager.unset_transition, "ecs::task")

        def invoke(
            backend: Any,
            function_name: str,
            qualifier: Any,
            body: Any,
            headers: Any,
            response_headers: Any,
        ) -> bytes:
            return seams.invoke(function_name, body, response_headers)

        stack.enter_context(mock.patch.object(LambdaSimpleBackend, "invoke", invoke))
        _parse_definition_once(stack)
        sfn_strict.install(stack)
        moto_scale.install(stack)  # before the ECS hooks: they wrap its describe_tasks
        _ecs_patches(seams, stack)
        _ssm_patches(seams, stack)
        aws_clients.reset()
        stack.callback(aws_clients.reset)
        seams.exit_stack = stack
        try:
            yield seams
        finally:
            saved_env = {**seams.env_saved, **saved_env}
            for k, v in saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
