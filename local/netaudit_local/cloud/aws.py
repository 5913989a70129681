"""The in-process moto harness: moto for the AWS control plane, a `Host` for each instance.

Patched at the narrowest seams, one class each, everything else is moto's:
- Lambda `invoke` -> the real handler, in-process (`lambdas.LambdaSeam`);
- ECS RunTask / DescribeTasks / StopTask -> the host starts, reports, stops the task (`ecs.EcsSeam`);
- SSM SendCommand / GetCommandInvocation / DescribeInstanceInformation -> the host runs the
  document, answered as SSM answers (`ssm.SsmSeam`);
- Step Functions held to AWS's rules and quotas (`stepfunctions.StepFunctionsSeam`).
Any patched call can be made to throttle once (`ThrottlingException`), like AWS under load, and
SSM's Run Command calls can be held to rate quotas (`rate_quota`), as AWS holds them; any call of
the audit can fail as AWS fails it (`chaos`, when armed).
`Seams` is one run: the state the seams share (`run_state.RunState`) and the seams; `local_aws()`
installs them. Every moto patch goes through `moto_patches`; IAM and faults reach the clients
through botocore events (`botocore_seam`).

Never imported by a Lambda.
"""

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from functools import cached_property
from typing import Any

from netaudit import aws_clients
from netaudit_local.cloud import chaos, moto_scale, startup
from netaudit_local.cloud.account import LOCAL_ENV
from netaudit_local.cloud.ecs import EcsSeam
from netaudit_local.cloud.lambdas import LambdaSeam
from netaudit_local.cloud.run_state import RunState
from netaudit_local.cloud.ssm import SsmSeam
from netaudit_local.cloud.stepfunctions import StepFunctionsSeam
from netaudit_local.hosts.host import Host
from netaudit_local.iam.evaluator import evaluator as iam_evaluator

MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


class Seams(RunState):
    """One local run: its state (RunState) and the seams installed on moto, one per service."""

    @cached_property
    def lambdas(self) -> LambdaSeam:
        return LambdaSeam(self)

    @cached_property
    def services(self) -> tuple[Any, ...]:
        """One seam each, installed by local_aws."""
        return (self.lambdas, EcsSeam(self), SsmSeam(self), StepFunctionsSeam())

    def invoke(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        """Lambda Invoke of the function's real handler (`LambdaSeam`); the one entry point
        (the Step Functions engine, the janitor's EventBridge rule, a bench timing each call)."""
        return self.lambdas.invoke(function_name, body, response_headers)


@contextmanager
def local_aws(
    hosts: Host | Sequence[Host],
    handlers: Mapping[str, str] | None = None,
    *,
    in_progress_polls: int = 1,
    throttle_once: Sequence[str] = (),
    rate_quotas: Mapping[str, tuple[float, float]] | None = None,
) -> Iterator[Seams]:
    """moto with the seams installed; `handlers` maps a Lambda function name to its module
    (`netaudit_local.stack.create_stack` fills it from template.yaml when left empty)."""
    from moto import mock_aws
    from moto.moto_api import state_manager

    host_list = [hosts] if not isinstance(hosts, Sequence) else list(hosts)
    seams = Seams(host_list, handlers or {}, in_progress_polls, throttle_once, rate_quotas)
    iam_evaluator().start()  # node loads iam-simulate while moto starts
    saved_env = {k: os.environ.get(k) for k in LOCAL_ENV}
    os.environ.update(LOCAL_ENV)

    def restore_env() -> None:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    with ExitStack() as stack:
        # last out: moto's reset at mock_aws' end still reads LOCAL_ENV (no AMI catalogue rebuilt)
        stack.callback(restore_env)
        startup.share_botocore_loader(stack)
        startup.import_moto_ec2()
        stack.enter_context(mock_aws(config=MOTO_CONFIG))  # type: ignore[call-overload]
        armed = chaos.current()
        if armed is not None:  # before any client is built: every one inherits it
            armed.install(stack)
        # Tasks change status only when a host says so (moto would advance them on each read).
        state_manager.set_transition(
            model_name="ecs::task", transition={"progression": "manual", "times": 10**9}
        )
        stack.callback(state_manager.unset_transition, "ecs::task")

        moto_scale.install(stack)  # before the ECS seam: it wraps moto_scale's describe_tasks
        for seam in seams.services:
            seam.install(stack)
        aws_clients.reset()
        stack.callback(aws_clients.reset)
        seams.exit_stack = stack
        yield seams
