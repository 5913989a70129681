"""Step Functions on moto's engine: as strict as AWS where the project depends on it
(`sfn_strict` while it runs; the payload and Express quotas on the finished histories), and
each definition parsed once (`startup`)."""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from typing import Any

from netaudit.models.inputs import EXPRESS_CHILD_SECONDS
from netaudit_cli.history import event_time
from netaudit_local.cloud import sfn_strict, startup

STATE_PAYLOAD_LIMIT = 256 * 1024  # Step Functions: a state's input or output, in bytes
EXPRESS_CHILDREN = '"ExecutionType": "EXPRESS"'


class PayloadLimitExceeded(AssertionError):
    """A state's input or output is over 256 KiB: AWS fails such an execution with
    States.DataLimitExceeded (which no Catch can take); moto does not check it, this runner does."""


class ExpressDurationExceeded(AssertionError):
    """A child execution ran longer than Express allows: AWS would have stopped it."""


def payload_sizes(history: Iterable[Mapping[str, Any]]) -> Iterator[tuple[str, str, int]]:
    """("<event type> <state>", "input" or "output", bytes) of every input and output in it."""
    for event in history:
        for key, details in event.items():
            if key.endswith("EventDetails") and isinstance(details, Mapping):
                for part in ("input", "output"):
                    size = len(str(details.get(part) or "").encode())
                    yield f"{event['type']} {details.get('name', '')}", part, size


def largest_payload(histories: Iterable[Iterable[Mapping[str, Any]]]) -> int:
    return max((size for history in histories for _, _, size in payload_sizes(history)), default=0)


def check_payload_sizes(history: Sequence[Mapping[str, Any]]) -> None:
    for where, part, size in payload_sizes(history):
        if size > STATE_PAYLOAD_LIMIT:
            raise PayloadLimitExceeded(
                f"{where}: {part} is {size} bytes (Step Functions allows {STATE_PAYLOAD_LIMIT})"
            )


def for_moto(definition: str) -> str:
    """moto 5.2's ASL grammar knows only `"ExecutionType": "STANDARD"` for a Distributed Map's
    children and refuses EXPRESS: the one change made to the definition that ships. What Express
    means for the project is checked here instead: each child's duration against the 5-minute
    limit (`check_express_durations`); the children's own histories are kept (sfn_strict)."""
    return definition.replace(EXPRESS_CHILDREN, '"ExecutionType": "STANDARD"')


def check_express_durations(children: Sequence[Sequence[Mapping[str, Any]]]) -> None:
    for child in children:
        stamps = [event_time(e) for e in child if e.get("timestamp") is not None]
        if stamps and max(stamps) - min(stamps) > EXPRESS_CHILD_SECONDS:
            raise ExpressDurationExceeded(
                f"a child execution ran {max(stamps) - min(stamps):.0f} s "
                f"(Express allows {EXPRESS_CHILD_SECONDS})"
            )


class StepFunctionsSeam:
    def install(self, stack: ExitStack) -> None:
        # moto parses a definition when the state machine is created and when each execution
        # starts: each definition text is parsed once (startup.ParsedDefinitions)
        startup.parse_definitions_once(stack)
        sfn_strict.install(stack)
