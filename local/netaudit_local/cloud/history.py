"""The readers of an execution running on moto (the demo's): its whole history with the
Distributed Map children's events, and an incremental reader of moto's own event list. The pure
readers of a history are `netaudit_cli.history` (light: the demo imports this module before moto
starts)."""

from typing import Any

from netaudit_cli.history import event_time, execution_history
from netaudit_local.cloud import sfn_strict


def api_history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    """The execution's whole history through GetExecutionHistory, with its Distributed Map
    children's events in time order (each child is billed as an execution of its own)."""
    history = execution_history(sfn, arn)
    history.extend(sfn_strict.child_events(arn))
    history.sort(key=event_time)
    return history


class HistoryReader:
    """The execution's history while it runs, read incrementally.

    Reads moto's in-memory event list directly (moto 5.2: the parser backend's execution ->
    `exec_worker.env.event_manager`, a deep copy taken under its lock, ~0.5 ms) instead of
    `GetExecutionHistory`, which re-serialises the whole history on every call (~40 ms at 85
    events) and, polled every 20 ms, took the GIL from the execution itself. Falls back to the
    API when moto's internals are not there. The report uses the API's history at the end.
    """

    def __init__(self, sfn: Any, arn: str) -> None:
        self.sfn, self.arn = sfn, arn
        self.seen = 0
        self.children_seen = 0
        self._manager: Any = None

    def _direct(self) -> list[dict[str, Any]] | None:
        try:
            if self._manager is None:
                from moto.stepfunctions.parser.models import stepfunctions_parser_backends

                account, region = self.arn.split(":")[4], self.arn.split(":")[3]
                backend: Any = stepfunctions_parser_backends[account][region]
                env = backend.describe_execution(execution_arn=self.arn).exec_worker.env
                if env is None:
                    return []
                self._manager = env.event_manager
            events = self._manager.get_event_history()
        except Exception:
            return None
        return [{**e, "type": getattr(e.get("type"), "value", e.get("type"))} for e in events]

    def new_events(self) -> list[dict[str, Any]]:
        events = self._direct()
        if events is None:
            events = list(self.sfn.get_execution_history(executionArn=self.arn, maxResults=1000)["events"])
        fresh = events[self.seen :]
        self.seen = len(events)
        # The Distributed Map's children (one per host) have histories of their own.
        children = list(sfn_strict.child_events(self.arn))
        fresh += children[self.children_seen :]
        self.children_seen = len(children)
        return fresh
