"""Handlers running at once (Map iterations are threads here) all keep the functions' environment."""

import os
import sys
import threading
import types
from typing import Any

from netaudit_local.cloud.aws import Seams

KEY = "NETAUDIT_TEST_ONLY_SETTING"


def test_a_handler_keeps_its_environment_while_another_one_finishes() -> None:
    first_running, second_running, first_done = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, str | None] = {}

    def first(event: Any, context: Any) -> dict[str, str]:
        first_running.set()
        second_running.wait(5)
        return {}

    def second(event: Any, context: Any) -> dict[str, str]:
        second_running.set()
        first_done.wait(5)  # the first invocation has ended while this one still runs
        seen["value"] = os.environ.get(KEY)
        return {}

    sys.modules["na_test_handlers"] = types.ModuleType("na_test_handlers")
    sys.modules["na_test_handlers.first"] = types.SimpleNamespace(handler=first)  # type: ignore[assignment]
    sys.modules["na_test_handlers.second"] = types.SimpleNamespace(handler=second)  # type: ignore[assignment]
    seams = Seams([], {"first": "na_test_handlers.first", "second": "na_test_handlers.second"})
    seams.env[KEY] = "from-the-template"
    assert KEY not in os.environ
    try:
        one = threading.Thread(target=seams.invoke, args=("first", b"{}", {}))
        one.start()
        assert first_running.wait(5)
        two = threading.Thread(target=seams.invoke, args=("second", b"{}", {}))
        two.start()
        one.join(5)
        first_done.set()
        two.join(5)
        assert seen["value"] == "from-the-template"
    finally:
        for name in ("na_test_handlers", "na_test_handlers.first", "na_test_handlers.second"):
            sys.modules.pop(name, None)
        os.environ.pop(KEY, None)
