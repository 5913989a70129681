"""Every patch the local run makes into moto (and botocore's loader), in one place, for one moto.

moto is pinned (pyproject: moto==SUPPORTED_MOTO) and these patches were written against that
version's code: each replaces a moto (or botocore) attribute for the lifetime of an ExitStack,
and refuses to (UnsupportedMoto, naming the installed and the supported version) on any other
moto, where the names or their meaning may have changed. The behaviour that replaces moto's
lives in the seam it belongs to (ecs, ssm, lambdas, sfn_strict, moto_scale, startup, iam.hooks);
here are the targets, one line each on what AWS does that moto does not, and the adapters from
moto's calling conventions.

Patches on private names (moto may rename them in any release): Command._get_instance_ids_from_targets,
ErrorEqualsDecl._eval_body, DistributedItemProcessorWorker._eval_job,
ExecutionState._evaluate_with_timeout, StateTaskLambda._from_error,
DistributedIterationComponent._map_run, and the module attributes `boto_client_for` (of
lambda_eval_utils, resource_eval_s3 of the ItemReader and of the ResultWriter,
state_task_service_unsupported, state_task_service_aws_sdk) and
moto.utilities.utils.load_resource / moto.core.utils.create_loader (module functions moto calls
through its own module). ENGINE_ACCESS_KEY is moto's fixed key in `boto_client_for`.

Not a patch: botocore events (cloud.botocore_seam) reach the clients without replacing anything.
Never imported by a Lambda.
"""

import importlib
import threading
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from unittest import mock

SUPPORTED_MOTO = "5.2.5"
# moto's Step Functions engine builds its clients (boto_client_for) signed with this fixed key:
# the local run's IAM knows the state machine's calls by it.
ENGINE_ACCESS_KEY = "ak"
# Where an engine call carries the role ARN of the execution that made it (botocore's request
# context): the state machine's roleArn, which moto hands `boto_client_for` as StateCredentials
# (StateTask._eval_state_credentials), as AWS makes the call with that role's credentials.
ENGINE_ROLE = "netaudit_engine_role"


class UnsupportedMoto(RuntimeError):
    """The installed moto is not the version these patches were written for."""


def require_supported(installed: str | None = None) -> None:
    """Refuse to patch any moto but SUPPORTED_MOTO."""
    if installed is None:
        import moto

        installed = str(moto.__version__)
    if installed != SUPPORTED_MOTO:
        raise UnsupportedMoto(
            f"moto {installed} is installed; netaudit_local's moto patches "
            f"(netaudit_local.cloud.moto_patches) were written for moto {SUPPORTED_MOTO}: install "
            f"moto=={SUPPORTED_MOTO} (pyproject.toml), or re-check every patch against {installed}"
        )


@dataclass(frozen=True)
class Target:
    module: str
    attribute: str  # "Class.method" or a module attribute
    why: str  # what AWS does that moto does not (or what moto does that costs the run)

    @property
    def private(self) -> bool:
        return any(part.startswith("_") for part in self.attribute.split("."))

    def owner(self) -> tuple[Any, str]:
        owner: Any = importlib.import_module(self.module)
        *path, name = self.attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        return owner, name


_SFN = "moto.stepfunctions.parser.asl.component"
TARGETS: dict[str, Target] = {
    # --- the seams: what AWS does that moto cannot ------------------------------------------------
    "lambda.invoke": Target(
        "moto.awslambda_simple.models",
        "LambdaSimpleBackend.invoke",
        "Lambda runs the function's handler; moto's simple backend echoes the event",
    ),
    "ecs.run_task": Target(
        "moto.ecs.responses",
        "EC2ContainerServiceResponse.run_task",
        "ECS places tasks on an instance and answers failures[]; moto never returns failures",
    ),
    "ecs.describe_tasks": Target(
        "moto.ecs.models",
        "EC2ContainerServiceBackend.describe_tasks",
        "a task's status comes from its host (moto advances it on each read); ARNs looked up, not scanned",
    ),
    "ecs.stop_task": Target(
        "moto.ecs.models", "EC2ContainerServiceBackend.stop_task", "StopTask stops the task on its host"
    ),
    "ec2.eni_dns_name": Target(
        "moto.ec2.models.elastic_network_interfaces",
        "NetworkInterface.private_dns_name",
        "an ENI has a private DNS name; moto 5.2's awsvpc RunTask reads one it lacks",
    ),
    "ec2.get_instance": Target(
        "moto.ec2.models.instances",
        "InstanceBackend.get_instance",
        "one instance by id, without moto's copy of every reservation (linear at 5,000 instances)",
    ),
    "ssm.send_command": Target(
        "moto.ssm.models",
        "SimpleSystemManagerBackend.send_command",
        "SSM enforces allowedPattern and runs the document on the instance; moto does neither",
    ),
    "ssm.get_command_invocation": Target(
        "moto.ssm.models",
        "SimpleSystemManagerBackend.get_command_invocation",
        "SSM answers InProgress then the output cut at 24,000 characters; moto answers Success, empty",
    ),
    "ssm.describe_instance_information": Target(
        "moto.ssm.responses",
        "SimpleSystemManagerResponse.describe_instance_information",
        "SSM implements DescribeInstanceInformation; moto does not",
    ),
    "ssm.targets": Target(
        "moto.ssm.models",
        "Command._get_instance_ids_from_targets",
        "SendCommand without Targets runs on InstanceIds only; moto adds every instance of the account",
    ),
    # --- Step Functions as strict as AWS ----------------------------------------------------------
    "sfn.error_equals": Target(
        f"{_SFN}.common.error_name.error_equals_decl",
        "ErrorEqualsDecl._eval_body",
        "States.ALL does not catch States.Runtime or States.DataLimitExceeded; moto's does",
    ),
    "sfn.start_sync_execution": Target(
        "moto.stepfunctions.responses",
        "StepFunctionResponse.start_sync_execution",
        "StartSyncExecution runs an EXPRESS machine to its end; moto 5.2 has no such action",
    ),
    **{
        f"sfn.{name}": Target(
            "moto.stepfunctions.responses",
            f"StepFunctionResponse.{name}",
            "the API refuses an EXPRESS execution (its history is in CloudWatch Logs); moto answers",
        )
        for name in ("describe_execution", "get_execution_history")
    },
    "sfn.add_event": Target(
        "moto.stepfunctions.parser.asl.eval.event.event_manager",
        "EventManager.add_event",
        "an execution fails at 25,000 history events; moto has no limit",
    ),
    "sfn.child_job": Target(
        f"{_SFN}.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker",
        "DistributedItemProcessorWorker._eval_job",
        "each Distributed Map child is an execution with its own history; moto shares one list",
    ),
    "sfn.task_thread": Target(
        f"{_SFN}.state.exec.execute_state",
        "ExecutionState._evaluate_with_timeout",
        "moto keeps every engine thread it ever started (8 MiB stack each): finished ones are dropped",
    ),
    "sfn.lambda_error": Target(
        f"{_SFN}.state.exec.state_task.state_task_lambda",
        "StateTaskLambda._from_error",
        "a refused Lambda Invoke fails the Task with Lambda.AWSLambdaException; moto names it Exception",
    ),
    "sfn.map_run": Target(
        f"{_SFN}.state.exec.state_map.iteration.distributed_iteration_component",
        "DistributedIterationComponent._map_run",
        "a Map Run starts children by states:StartExecution, which IAM decides; moto starts them in-process",
    ),
    **{
        f"sfn.{name}_eval": Target(
            f"{_SFN}.state.exec.state_map.{module}.resource_eval_s3",
            "ResourceEvalS3.eval_resource",
            f"a failed S3 call of a Distributed Map's {name} is States.{error}; moto: States.Runtime",
        )
        for name, module, error in (
            ("item_reader", "item_reader.eval", "ItemReaderFailed"),
            ("result_writer", "result_writer.resource_eval", "ResultWriterFailed"),
        )
    },
    "sfn.parse": Target(
        "moto.stepfunctions.parser.asl.parse.asl_parser",
        "AmazonStateLanguageParser.parse",
        "each definition text parsed once (moto parses it at every create and start: ~0.2 s)",
    ),
    **{
        f"sfn.clients.{name}": Target(
            module,
            "boto_client_for",
            "one engine client per service, not one per Task state (~10 ms each, 15,000 at 5,000 hosts)",
        )
        for name, module in (
            ("lambda", f"{_SFN}.state.exec.state_task.lambda_eval_utils"),
            ("item_reader", f"{_SFN}.state.exec.state_map.item_reader.eval.resource_eval_s3"),
            ("result_writer", f"{_SFN}.state.exec.state_map.result_writer.resource_eval.resource_eval_s3"),
            # arn:aws:states:::s3:getObject and the other integrations moto has no module for
            ("unsupported", f"{_SFN}.state.exec.state_task.service.state_task_service_unsupported"),
            ("aws_sdk", f"{_SFN}.state.exec.state_task.service.state_task_service_aws_sdk"),
        )
    },
    # --- start-up: data read once ------------------------------------------------------------------
    "botocore.create_loader": Target(
        "botocore.session", "create_loader", "one botocore Loader for every Session (startup)"
    ),
    "botocore.regions": Target(
        "botocore.session",
        "Session.get_available_regions",
        "EC2's region list without parsing EC2's whole model (startup)",
    ),
    "moto.create_loader": Target(
        "moto.core.utils", "create_loader", "one moto Loader for every service (startup)"
    ),
    "moto.load_resource": Target(
        "moto.utilities.utils", "load_resource", "EC2's instance type offerings read on first use (startup)"
    ),
}


def patch(stack: ExitStack, key: str, replacement: Any, *, create: bool = False) -> Any:
    """Replace TARGETS[key] by `replacement` until `stack` closes; returns what it replaced."""
    require_supported()
    owner, name = TARGETS[key].owner()
    original = getattr(owner, name, None)
    stack.enter_context(mock.patch.object(owner, name, replacement, create=create))
    return original


def wrap(stack: ExitStack, key: str, make: Callable[[Any], Any]) -> None:
    """Replace TARGETS[key] by `make(original)` until `stack` closes."""
    require_supported()
    owner, name = TARGETS[key].owner()
    stack.enter_context(mock.patch.object(owner, name, make(getattr(owner, name))))


# --- moto's Step Functions engine (iam.hooks) -----------------------------------------------------


ENGINE_CLIENTS = tuple(key for key in TARGETS if key.startswith("sfn.clients."))


def engine_clients_once(stack: ExitStack) -> None:
    """moto builds a boto3 client for every Task state it runs: one per (region, service, role)
    serves them all (boto3 clients are thread-safe; the engine signs with fixed keys). Each
    client's calls carry its role ARN in their request context (ENGINE_ROLE), so IAM decides an
    execution's calls as its own state machine's role. Built while `stack` is open, each carries
    the botocore_seam handlers."""
    from moto.stepfunctions.parser.asl.utils import boto_client

    clients: dict[tuple[str, str, str], Any] = {}
    lock = threading.Lock()

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        role = str(getattr(state_credentials, "role_arn", None) or "")
        with lock:
            client = clients.get((region, service, role))
            if client is None:
                client = boto_client.boto_client_for(region, service, state_credentials)
                client.meta.events.register("before-parameter-build", _carry_role(role))
                clients[(region, service, role)] = client
        return client

    for key in ENGINE_CLIENTS:
        patch(stack, key, client_for)


def _carry_role(role: str) -> Callable[..., None]:
    def carry(context: dict[str, Any], **_: Any) -> None:
        context[ENGINE_ROLE] = role

    return carry


def lambda_task_errors(stack: ExitStack, rename: Callable[[Any, Exception], Any]) -> None:
    """A Lambda Task's failure event is `rename(env, error)` when that is not None, else moto's."""

    def make(original: Any) -> Any:
        def from_error(self: Any, env: Any, ex: Exception) -> Any:
            renamed = rename(env, ex)
            return original(self, env, ex) if renamed is None else renamed

        return from_error

    wrap(stack, "sfn.lambda_error", make)


def before_map_run(stack: ExitStack, check: Callable[[Any], None]) -> None:
    """`check(env)` before a Map Run starts its children (it raises to fail the Map Run)."""

    def make(original: Any) -> Any:
        def map_run(self: Any, env: Any, eval_input: Any) -> None:
            check(env)
            original(self, env, eval_input)

        return map_run

    wrap(stack, "sfn.map_run", make)


# --- moto's EC2 import (startup.import_moto_ec2) ---------------------------------------------------


def import_ec2_instance_types() -> Any:
    """moto.ec2's instance types module, imported now (under the caller's `moto.load_resource`)."""
    require_supported()
    from moto.ec2.models import instance_types

    return instance_types


def keep_instance_types(instance_types: Any, load_resource: Any, offerings: Mapping[str, Any]) -> None:
    """For the process: the module's own `load_resource` back, and each location type's offerings
    (INSTANCE_TYPE_OFFERINGS[type], the dict moto's other modules imported) replaced by `offerings`
    (regions read on first use). Start-up data only: what moto answers is unchanged."""
    require_supported()
    instance_types.load_resource = load_resource
    instance_types.INSTANCE_TYPE_OFFERINGS.update(offerings)
