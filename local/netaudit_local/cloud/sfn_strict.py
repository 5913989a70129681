"""moto's Step Functions engine, made as strict as AWS where the project depends on it.

moto 5.2 runs the ASL but differs from AWS in ways that hide defects (each below with the AWS
page that says what AWS does); this seam closes those the project relies on:
- **Uncatchable errors.** `States.ALL` matches every error in moto. On AWS it does not match
  `States.Runtime` or `States.DataLimitExceeded` ("A Retry or Catch on States.ALL won't catch
  States.Runtime errors", Step Functions developer guide, "Error names"): here neither matches
  `States.ALL` either, so such an error ends the execution uncaught, as on AWS.
- **Child executions.** moto runs every child of a Distributed Map on one shared, discarded event
  list. On AWS each child is an execution with its own history (Step Functions developer guide,
  "Viewing a Distributed Map Run execution": a Map Run lists its child workflow executions, each
  with its own details). Here each child gets its own
  event list, kept per parent execution (`child_histories`), so tests and the demo see what the
  children did and each child's history is held to the quota below.
- **History quota.** An execution whose history would pass 25,000 events fails (Step Functions
  service quotas, "Maximum execution history size: 25,000 events ... the execution fails").
  moto has no limit; here the 25,001st event fails the execution (or the child).

- **Express executions.** moto 5.2's backend has no StartSyncExecution and describes any
  execution. On AWS StartSyncExecution runs an EXPRESS machine and returns its status and output
  (200 even when it FAILED; a STANDARD machine is refused: Step Functions API reference), and
  DescribeExecution / GetExecutionHistory refuse an EXPRESS execution ("This API action is not
  supported by EXPRESS state machines": its history is in CloudWatch Logs only, as the machine's
  logging level sets). Here both are so; tests read what logging level ALL would record through
  `express_history`, never through the API.

The 256 KiB payload quota is checked on the finished history (`stepfunctions.check_payload_sizes`).
Never imported by a Lambda.
"""

import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

from netaudit_local.cloud import moto_patches

HISTORY_LIMIT = 25_000
UNCATCHABLE = frozenset({"States.Runtime", "States.DataLimitExceeded"})

_children_lock = threading.Lock()
_children: dict[str, list[list[Any]]] = defaultdict(list)  # parent execution ARN -> histories


class HistoryLimitExceeded(RuntimeError):
    """The execution's history reached Step Functions' 25,000-event quota: AWS fails it."""


def child_histories(execution_arn: str) -> list[list[dict[str, Any]]]:
    """The histories of the Distributed Map children of one execution (copies, in start order)."""
    with _children_lock:
        histories = [list(h) for h in _children.get(execution_arn, [])]
    return [[{**e, "type": getattr(e.get("type"), "value", e.get("type"))} for e in h] for h in histories]


def child_events(execution_arn: str) -> Iterator[dict[str, Any]]:
    for history in child_histories(execution_arn):
        yield from history


SYNC_POLL_S = 0.01


def _execution(execution_arn: str) -> Any:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    parts = execution_arn.split(":")  # arn:aws:states:<region>:<account>:execution:<machine>:<name>
    return stepfunctions_parser_backends[parts[4]][parts[3]].describe_execution(execution_arn)


def _is_express(machine: Any) -> bool:
    # moto 5.2 keeps CreateStateMachine's type in `type` (its `sm_type` always says STANDARD)
    return str(getattr(machine, "type", "STANDARD")) == "EXPRESS"


def express_history(execution_arn: str) -> list[dict[str, Any]]:
    """An EXPRESS execution's events, as CloudWatch Logs at level ALL would hold them (the API
    refuses them: see above), from moto's backend."""
    events = _execution(execution_arn).to_history_output()["events"]
    return [{**e, "type": getattr(e.get("type"), "value", e.get("type"))} for e in events]


def _express_only_api(stack: ExitStack) -> None:
    """StartSyncExecution, and the refusals of DescribeExecution / GetExecutionHistory on EXPRESS."""
    from moto.core.exceptions import AWSError
    from moto.core.responses import ActionResult
    from moto.stepfunctions.exceptions import InvalidArn

    class StateMachineTypeNotSupported(AWSError):
        TYPE = "StateMachineTypeNotSupported"
        STATUS = 400

    def start_sync_execution(self: Any) -> ActionResult:
        backend = self.stepfunction_backend
        arn = self._get_param("stateMachineArn")
        machine = backend.describe_state_machine(arn)
        if not _is_express(machine):
            raise StateMachineTypeNotSupported(
                "This operation is not supported by this type of state machine"
            )
        name = self._get_param("name") or secrets.token_hex(16)
        # An Express execution's name need not be unique ("Execution guarantees", Step Functions
        # developer guide: "Starting multiple workflows with the same name results in concurrent
        # executions"; its ARN carries an id of its own): moto's backend refuses a used name with
        # ExecutionAlreadyExists, so a repeated name gets a suffix here instead.
        if any(e.name == name for e in getattr(machine, "executions", [])):
            name = f"{name[:70]}-{secrets.token_hex(4)}"
        execution = backend.start_execution(arn, name, self._get_param("input", if_none="{}"))
        while execution.status == "RUNNING":  # synchronous: the caller waits for the end
            time.sleep(SYNC_POLL_S)
        answer = execution.to_describe_output()
        answer["status"] = execution.status
        return ActionResult(answer)

    moto_patches.patch(stack, "sfn.start_sync_execution", start_sync_execution, create=True)

    def refuse_express(original: Any) -> Any:
        def action(self: Any) -> Any:
            arn = self._get_param("executionArn")
            if _is_express(_execution(arn).state_machine):
                raise InvalidArn(
                    f"Invalid Arn: 'This API action is not supported by EXPRESS state machines: {arn}'"
                )
            return original(self)

        return action

    moto_patches.wrap(stack, "sfn.describe_execution", refuse_express)
    moto_patches.wrap(stack, "sfn.get_execution_history", refuse_express)


def install(stack: ExitStack) -> None:
    """Patch moto's engine for the lifetime of `stack`."""
    _express_only_api(stack)
    moto_patches.wrap(stack, "sfn.error_equals", _error_equals)
    moto_patches.wrap(stack, "sfn.add_event", _add_event)
    moto_patches.wrap(stack, "sfn.child_job", _child_job)
    stack.callback(_children.clear)


def _error_equals(original_eval: Any) -> Any:
    """States.ALL does not catch States.Runtime / States.DataLimitExceeded."""

    def eval_body(self: Any, env: Any) -> None:
        error_name = env.stack[-1] if env.stack else None
        name = getattr(error_name, "error_name", None)
        if name in UNCATCHABLE and self._STATE_ALL_ERROR in self.error_names:
            env.stack.pop()
            env.stack.append(any(getattr(e, "error_name", None) == name for e in self.error_names))
            return
        original_eval(self, env)

    return eval_body


def _add_event(original_add: Any) -> Any:
    """The history quota, for every execution and child."""

    def add_event(self: Any, *args: Any, **kwargs: Any) -> int:
        kind = str(getattr(kwargs.get("event_type", args[1] if len(args) > 1 else ""), "value", ""))
        ending = kind.startswith("Execution") and kind != "ExecutionStarted"  # the failure itself
        if len(self._history_event_list) >= HISTORY_LIMIT and not ending:
            raise HistoryLimitExceeded(
                f"the execution history reached {HISTORY_LIMIT} events (Step Functions quota): "
                "the execution fails"
            )
        event_id: int = original_add(self, *args, **kwargs)
        return event_id

    return add_event


def _child_job(original_job: Any) -> Any:
    """One event list per child execution."""
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    def eval_job(self: Any, env: Any, job: Any) -> None:
        manager = EventManager()
        parent = str(env.states.context_object.context_object_data.get("Execution", {}).get("Id", ""))
        with _children_lock:
            _children[parent].append(manager._history_event_list)
        env.event_manager = manager
        original_job(self, env, job)

    return eval_job
